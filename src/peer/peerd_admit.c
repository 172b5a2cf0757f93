/*
 * peerd_admit: how much one connection may have a peer prepare for it,
 * and what waits for room (issue 13, point 6; docs/net.md, "Memory per
 * connection").
 *
 * Two bounds: requests in the libuv pool per connection (PEERD_CONN_WORK,
 * of which one AUDIT: each re-reads and hashes a whole fragment), checked
 * on the loop before a request goes; and reply bytes, reserved by the
 * worker once it knows the fragment's size (padmit_take, per connection
 * PEERD_CONN_REPLY and per peer PEERD_REPLY_MAX) and given back in two
 * steps: the worker's scratch when its reply is queued, the reply itself
 * when the connection has written everything into its socket
 * (padmit_on_drain) or closed. Reserving in the worker avoids a stat on
 * the loop and guesses of the size; a worker that finds no room returns
 * its request undone, and the request waits on its connection.
 *
 * A request that cannot go now waits on its connection (pconn.pending),
 * whose frames are then not read (conn_hold), and the connection joins
 * the peer's FIFO of waiters; every event that makes room (a reply
 * drained, a worker done, a connection gone) runs padmit_kick. Not for
 * what requests mean: peerd.c.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "net/conn.h"
#include "peer/peerd_int.h"

/* Add n to *a unless that passes max while *a holds something already. */
static int
budget_add(atomic_size_t *a, size_t n, size_t max)
{
	size_t cur = atomic_load(a);

	do {
		if (cur > 0 && (n > max || cur > max - n))
			return 0;
	} while (!atomic_compare_exchange_weak(a, &cur, cur + n));
	return 1;
}

int
padmit_take(struct pwork *w, size_t n)
{
	w->need = n; /* if there is no room: what padmit_ok waits for */
	if (!budget_add(&w->pc->reserved, n, PEERD_CONN_REPLY))
		return 0;
	if (!budget_add(&w->p->reserved, n, PEERD_REPLY_MAX)) {
		atomic_fetch_sub(&w->pc->reserved, n);
		return 0;
	}
	w->need = 0;
	w->reserved += n;
	return 1;
}

static void
budget_give(struct peerd *p, struct pconn *pc, size_t n)
{
	atomic_fetch_sub(&pc->reserved, n);
	atomic_fetch_sub(&p->reserved, n);
}

/* A FRAG_GET reads the fragment and encodes its reply beside it; an
 * AUDIT reads and hashes it whole. */
size_t
padmit_cost(size_t size)
{
	size_t cap = (size + FRAGSTORE_DIO_ALIGN - 1) &
	    ~(size_t)(FRAGSTORE_DIO_ALIGN - 1);

	return 2 * cap + 4096;
}

void
padmit_free(struct pwork *w)
{
	if (w->type == PROTO_FRAG_PUT)
		w->p->inflight -= w->len;
	if (w->reserved > 0)
		budget_give(w->p, w->pc, w->reserved);
	free(w->rep);
	free(w->body);
	pconn_unref(w->pc);
	free(w);
}

/* Would budget_add of n to cur (n 0: anything) pass max? */
static int
fits(size_t cur, size_t n, size_t max)
{
	return cur == 0 || (cur < max && n <= max - cur);
}

int
padmit_ok(const struct pconn *pc, const struct pwork *w)
{
	if (pc->nwork >= PEERD_CONN_WORK ||
	    (w->type == PROTO_AUDIT && pc->naudit > 0))
		return 0;
	if (w->type != PROTO_FRAG_GET && w->type != PROTO_AUDIT)
		return 1;
	/* a budget without room would send it back undone anyway; one that
	 * sent it back already must first make room for what it needed,
	 * else the request would go round the pool until then (a spin that
	 * took a core while a rate-limited peer drained its replies) */
	return fits(atomic_load(&pc->reserved), w->need, PEERD_CONN_REPLY) &&
	    fits(atomic_load(&pc->p->reserved), w->need, PEERD_REPLY_MAX);
}

void
padmit_start(struct pconn *pc, struct pwork *w)
{
	struct peerd *p = pc->p;

	if (uv_queue_work(p->loop, &w->req, peerd_work_, peerd_work_done_) != 0) {
		if (pc->c != NULL)
			peerd_reply_error_(pc->c, w->reqid, DZ_EIO, "peer cannot queue work");
		padmit_free(w);
		return;
	}
	pc->nwork++;
	if (w->type == PROTO_AUDIT)
		pc->naudit++;
	p->nwork++;
}

void
padmit_unwait(struct peerd *p, struct pconn *pc)
{
	if (!pc->waiting)
		return;
	if (pc->wprev != NULL)
		pc->wprev->wnext = pc->wnext;
	else
		p->wait_head = pc->wnext;
	if (pc->wnext != NULL)
		pc->wnext->wprev = pc->wprev;
	else
		p->wait_tail = pc->wprev;
	pc->wprev = pc->wnext = NULL;
	pc->waiting = 0;
}

void
padmit_wait(struct pconn *pc, struct pwork *w)
{
	struct peerd *p = pc->p;
	struct pwork **pp = &pc->pending;

	while (*pp != NULL)
		pp = &(*pp)->next;
	w->next = NULL;
	*pp = w;
	conn_hold(pc->c);
	if (!pc->waiting) {
		pc->waiting = 1;
		pc->wnext = NULL;
		pc->wprev = p->wait_tail;
		if (p->wait_tail != NULL)
			p->wait_tail->wnext = pc;
		else
			p->wait_head = pc;
		p->wait_tail = pc;
	}
}

void
padmit_kick(struct peerd *p)
{
	struct pconn *pc, *next;
	struct pwork *w;

	for (pc = p->wait_head; pc != NULL; pc = next) {
		next = pc->wnext;
		while ((w = pc->pending) != NULL && padmit_ok(pc, w)) {
			pc->pending = w->next;
			padmit_start(pc, w);
		}
		if (pc->pending == NULL) {
			padmit_unwait(p, pc);
			if (pc->c != NULL)
				conn_unhold(pc->c);
		}
	}
}

void
padmit_on_drain(void *arg, struct conn *c)
{
	struct pconn *pc = conn_udata(c);

	(void)arg;
	if (pc == NULL || pc->queued == 0)
		return;
	budget_give(pc->p, pc, pc->queued);
	pc->queued = 0;
	padmit_kick(pc->p);
}

void
padmit_gone(struct pconn *pc)
{
	struct pwork *w;

	padmit_unwait(pc->p, pc);
	while ((w = pc->pending) != NULL) {
		pc->pending = w->next;
		padmit_free(w);
	}
	budget_give(pc->p, pc, pc->queued);
	pc->queued = 0;
	padmit_kick(pc->p);
}
