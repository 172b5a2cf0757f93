/*
 * opipe: ordered work pipeline over a ring of slots, with one mutex and two
 * condition variables (work available; job done).
 */
#include "client/opipe.h"

#include <pthread.h>
#include <stdlib.h>

struct opipe_worker {
	struct opipe *p;
	unsigned index;
	pthread_t thread;
	int started;
};

struct opipe {
	pthread_mutex_t mu;
	pthread_cond_t work_cv; /* signalled when a job is submitted or on stop */
	pthread_cond_t done_cv; /* signalled when a job finishes */
	unsigned nslots, nworkers;
	opipe_work_fn fn;
	void *ctx;
	uint64_t submitted; /* jobs [0, submitted) were submitted */
	uint64_t taken;     /* jobs [0, taken) were taken by a worker */
	uint64_t waited;    /* jobs [0, waited) were returned by opipe_wait */
	int *rc;            /* per slot: the job's result */
	uint8_t *done;      /* per slot: finished, not yet waited for */
	int stop;
	struct opipe_worker *workers;
};

static void *
worker_main(void *arg)
{
	struct opipe_worker *w = arg;
	struct opipe *p = w->p;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->taken == p->submitted)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->taken == p->submitted && p->stop)
			break;
		uint64_t seq = p->taken++;
		unsigned slot = (unsigned)(seq % p->nslots);
		pthread_mutex_unlock(&p->mu);
		int rc = p->fn(p->ctx, w->index, slot, seq);
		pthread_mutex_lock(&p->mu);
		p->rc[slot] = rc;
		p->done[slot] = 1;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
opipe_new(unsigned nslots, unsigned nworkers, opipe_work_fn fn, void *ctx,
    struct opipe **out)
{
	struct opipe *p;

	if (nslots == 0 || nworkers == 0)
		return DZ_EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return DZ_ENOMEM;
	p->nslots = nslots;
	p->fn = fn;
	p->ctx = ctx;
	p->rc = calloc(nslots, sizeof(*p->rc));
	p->done = calloc(nslots, 1);
	p->workers = calloc(nworkers, sizeof(*p->workers));
	if (p->rc == NULL || p->done == NULL || p->workers == NULL ||
	    pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->rc);
		free(p->done);
		free(p->workers);
		free(p);
		return DZ_ENOMEM;
	}
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	for (unsigned i = 0; i < nworkers; i++) {
		p->workers[i].p = p;
		p->workers[i].index = i;
		if (pthread_create(&p->workers[i].thread, NULL, worker_main,
		    &p->workers[i]) != 0)
			break;
		p->workers[i].started = 1;
		p->nworkers++;
	}
	if (p->nworkers == 0) {
		opipe_free(p);
		return DZ_ENOMEM;
	}
	*out = p;
	return 0;
}

unsigned
opipe_next_slot(const struct opipe *p)
{
	return (unsigned)(p->submitted % p->nslots);
}

unsigned
opipe_inflight(const struct opipe *p)
{
	return (unsigned)(p->submitted - p->waited);
}

void
opipe_submit(struct opipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->done[p->submitted % p->nslots] = 0;
	p->submitted++;
	pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
}

int
opipe_wait(struct opipe *p, unsigned *slot, uint64_t *seq)
{
	unsigned s = (unsigned)(p->waited % p->nslots);
	int rc;

	pthread_mutex_lock(&p->mu);
	while (!p->done[s])
		pthread_cond_wait(&p->done_cv, &p->mu);
	p->done[s] = 0;
	rc = p->rc[s];
	*slot = s;
	*seq = p->waited++;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void
opipe_free(struct opipe *p)
{
	unsigned slot;
	uint64_t seq;

	if (p == NULL)
		return;
	while (opipe_inflight(p) > 0)
		(void)opipe_wait(p, &slot, &seq);
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->workers[i].started)
			pthread_join(p->workers[i].thread, NULL);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	free(p->rc);
	free(p->done);
	free(p->workers);
	free(p);
}
