/*
 * iopool: batches on a list; helper threads and each batch's caller claim
 * items one at a time under one mutex. Items are coarse (a fragment file),
 * so the lock is not the bottleneck.
 */
#include "client/iopool.h"

#include <pthread.h>
#include <stdlib.h>

struct batch {
	int (*fn)(void *arg, unsigned i);
	void *arg;
	unsigned n, next, done;
	int rc;
	pthread_cond_t cv; /* signalled when done reaches n */
	struct batch *link;
};

struct iopool {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* work added, or stop */
	struct batch *head;
	int stop;
	unsigned nthreads;
	pthread_t *threads;
};

/* Claim the next item of the first batch with one left; mu held. */
static struct batch *
claim(struct iopool *p, unsigned *item)
{
	for (struct batch *b = p->head; b != NULL; b = b->link)
		if (b->next < b->n) {
			*item = b->next++;
			return b;
		}
	return NULL;
}

/* Run one claimed item and account for it; called and returns with mu held. */
static void
run_item(struct iopool *p, struct batch *b, unsigned item)
{
	pthread_mutex_unlock(&p->mu);
	int rc = b->fn(b->arg, item);
	pthread_mutex_lock(&p->mu);
	if (rc != 0 && b->rc == 0)
		b->rc = rc;
	if (++b->done == b->n)
		pthread_cond_signal(&b->cv);
}

static void *
helper_main(void *arg)
{
	struct iopool *p = arg;
	struct batch *b;
	unsigned item;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		if ((b = claim(p, &item)) == NULL) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		run_item(p, b, item);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
iopool_new(unsigned nthreads, struct iopool **out)
{
	struct iopool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return DZ_ENOMEM;
	p->threads = calloc(nthreads ? nthreads : 1, sizeof(*p->threads));
	if (p->threads == NULL) {
		free(p);
		return DZ_ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (unsigned i = 0; i < nthreads; i++) {
		if (pthread_create(&p->threads[i], NULL, helper_main, p) != 0)
			break;
		p->nthreads++;
	}
	*out = p;
	return 0;
}

int
iopool_run(struct iopool *p, unsigned n, int (*fn)(void *arg, unsigned i),
    void *arg)
{
	struct batch b = {fn, arg, n, 0, 0, 0, PTHREAD_COND_INITIALIZER, NULL};
	struct batch **pp;
	unsigned item;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	b.link = p->head;
	p->head = &b;
	pthread_cond_broadcast(&p->cv);
	/* the caller works on its own batch until every item is claimed */
	while (b.next < b.n) {
		item = b.next++;
		run_item(p, &b, item);
	}
	while (b.done < b.n)
		pthread_cond_wait(&b.cv, &p->mu);
	for (pp = &p->head; *pp != &b; pp = &(*pp)->link)
		;
	*pp = b.link;
	pthread_mutex_unlock(&p->mu);
	pthread_cond_destroy(&b.cv);
	return b.rc;
}

void
iopool_free(struct iopool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}
