/*
 * rpc: blocking calls made by running a private event loop until the
 * answers the caller needs are in.
 *
 * State between calls is only the connection cache; during a call, one
 * struct call lists its requests (struct pend), each tied to the cached
 * connection it went out on. A connection's on_frame matches answers to
 * requests by reqid; its on_close fails the requests still waiting on it.
 * When a call ends, every connection that still owes it an answer, or
 * still holds one of its borrowed bodies, is aborted, so no callback can
 * ever touch a finished call or the caller's memory.
 *
 * Reuse: a cached connection is reused only while open and used less than
 * half its idle deadline ago, so that a server's idle timeout (whose EOF
 * is read by the non-blocking loop turn at the start of every call) seldom
 * races our next request. When it does -- a reused connection ends in
 * order (err 0) before answering -- the request is sent once more on a new
 * connection. That is safe because a server closes in order only after
 * answering what it read (conn_close flushes answers first), so a request
 * lost that way was never acted upon.
 */
#include "net/rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/netaddr.h"

#define RPC_CACHE_MAX 64       /* idle connections kept, at most */
#define RPC_REUSE_MS 30000u    /* when the idle deadline is 0 */

struct rpc_conn {
	struct rpc_conn *next;
	struct rpc *r;
	struct conn *c;        /* NULL once on_close came */
	char addr[NETADDR_STRMAX];
	int have_pk;
	uint8_t pk[IDENT_PKBYTES];
	uint64_t last_used;
};

/* Fresh connections a request may try when the server hangs up during
 * the handshake. */
#define RPC_HANDSHAKE_RETRIES 2

struct pend {
	struct call *call;
	struct rpc_conn *rc;
	uint32_t reqid;
	int done, released;
	int reused, retried;   /* sent on a cached connection; sent again */
};

struct call {
	struct rpc *r;
	struct rpc_req *reqs;
	struct pend *p;
	struct dz_errmsg *ems;
	size_t n, want, kept, finished;
	size_t soft;           /* 0, or: once this many are kept ... */
	unsigned grace_min;    /* ... the rest get max(this, elapsed) more ms */
	uint64_t t0;           /* loop time the call started */
	int grace_on;
	rpc_accept_fn accept;
	void *arg;
	int timed_out;
};

struct rpc {
	uv_loop_t loop;
	uv_timer_t deadline;
	struct tls_ctx *tls;
	struct conn_limits lim;
	struct rpc_conn *conns;
	unsigned nconns;       /* rpc_conns alive (on_close not yet come) */
	uint32_t next_reqid;
	struct call *call;     /* the call under way, or NULL */
};

static void on_deadline(uv_timer_t *t);

static void
request_end(struct call *k, size_t i, int status, const char *msg)
{
	struct pend *p = &k->p[i];

	if (p->done)
		return;
	p->done = 1;
	k->finished++;
	k->reqs[i].status = status;
	if (status == RPC_KEPT)
		k->kept++;
	if (k->soft > 0 && !k->grace_on && k->kept >= k->soft && k->kept < k->want) {
		/* the rest are late compared with the others: they get as long
		 * again as the call took so far (at least grace_min), unless
		 * the overall deadline comes first */
		uint64_t el = uv_now(&k->r->loop) - k->t0, g = el > k->grace_min ?
		    el : k->grace_min, due = uv_timer_get_due_in(&k->r->deadline);

		k->grace_on = 1;
		if (due == 0 || g < due)
			uv_timer_start(&k->r->deadline, on_deadline, g, 0);
	}
	if (msg != NULL)
		snprintf(k->ems[i].text, sizeof(k->ems[i].text), "%s", msg);
}

static void
rc_on_frame(void *arg, struct conn *c, struct frame *f)
{
	struct rpc_conn *rc = arg;
	struct call *k = rc->r->call;
	char why[64];
	size_t i;
	int keep;

	if (k != NULL) {
		for (i = 0; i < k->n; i++) {
			struct pend *p = &k->p[i];
			if (p->rc == rc && p->reqid == f->reqid && !p->done)
				break;
		}
		if (i < k->n) {
			k->reqs[i].answered = 1;
			memcpy(k->reqs[i].peer_pk, conn_peer_pk(c),
			    IDENT_PKBYTES);
			keep = k->accept != NULL ? k->accept(k->arg, i, f) : 1;
			request_end(k, i, keep ? RPC_KEPT : RPC_REJECTED,
			    keep ? NULL : "answer rejected");
			return;
		}
	}
	snprintf(why, sizeof(why), "answer to no question (reqid %u)",
	    (unsigned)f->reqid);
	conn_abort(c, DZ_EFORMAT, why);
}

static int send_one(struct rpc *r, struct call *k, size_t i);

static void
rc_on_close(void *arg, struct conn *c, int err, const char *msg)
{
	struct rpc_conn *rc = arg, **pp;
	struct rpc *r = rc->r;
	struct call *k = r->call;
	size_t i;

	(void)c;
	rc->c = NULL;
	for (i = 0; k != NULL && i < k->n; i++) {
		struct pend *p = &k->p[i];
		if (p->rc != rc)
			continue;
		p->rc = NULL;
		if (err == DZ_EPEERKEY && conn_peer_pk(c) != NULL)
			memcpy(k->reqs[i].peer_pk, conn_peer_pk(c),
			    IDENT_PKBYTES);
		if (!p->done && err == 0 && p->reused && !p->retried) {
			/* see "Reuse" at the top */
			p->retried = 1;
			if (send_one(r, k, i) == 0)
				continue;
			msg = k->ems[i].text;
		} else if (!p->done && conn_handshake_cut(c) &&
		    p->retried < RPC_HANDSHAKE_RETRIES) {
			/* Hung up on during the handshake, so the request
			 * never left: a server under a flood closes its oldest
			 * unproven connections (docs/net.md), and a try on a
			 * fresh connection is safe for any request. */
			p->retried++;
			if (send_one(r, k, i) == 0)
				continue;
			msg = k->ems[i].text;
		}
		request_end(k, i, err != 0 ? err : DZ_EIO, msg);
	}
	for (pp = &r->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == rc) {
			*pp = rc->next;
			break;
		}
	r->nconns--;
	free(rc);
}

static void
on_released(void *rarg)
{
	struct pend *p = rarg;

	p->released = 1;
}

static void
on_deadline(uv_timer_t *t)
{
	struct rpc *r = t->data;

	if (r->call != NULL)
		r->call->timed_out = 1;
}

int
rpc_new(struct tls_ctx *tls, const struct conn_limits *lim, struct rpc **out,
    struct dz_errmsg *em)
{
	struct rpc *r;
	int rc;

	*out = NULL;
	if (tls_ctx_role(tls) != TLS_ROLE_CLIENT)
		return dz_errf(em, DZ_EINVAL, "not a client TLS context");
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	rc = uv_loop_init(&r->loop);
	if (rc != 0) {
		free(r);
		return dz_errf(em, DZ_EIO, "event loop: %s", uv_strerror(rc));
	}
	uv_timer_init(&r->loop, &r->deadline);
	r->deadline.data = r;
	if (lim != NULL)
		r->lim = *lim;
	else
		conn_limits_default(&r->lim);
	r->tls = tls_ctx_ref(tls);
	r->next_reqid = 1;
	*out = r;
	return 0;
}

void
rpc_free(struct rpc *r)
{
	struct rpc_conn *rc;

	if (r == NULL)
		return;
	for (rc = r->conns; rc != NULL; rc = rc->next)
		if (rc->c != NULL)
			conn_abort(rc->c, 0, "closed by its owner");
	uv_close((uv_handle_t *)&r->deadline, NULL);
	while (uv_run(&r->loop, UV_RUN_DEFAULT) != 0)
		;
	(void)uv_loop_close(&r->loop);
	tls_ctx_unref(r->tls);
	free(r);
}

/* A fresh cached connection to (addr, pk), or a new one. */
static int
conn_get(struct rpc *r, const char *addr, const uint8_t *pk,
    struct rpc_conn **out, int *reused, struct dz_errmsg *em)
{
	struct conn_cbs cbs = {0};
	struct sockaddr_storage sa;
	char canon[NETADDR_STRMAX];
	uint64_t reuse = r->lim.idle_ms != 0 ? r->lim.idle_ms / 2 :
	    RPC_REUSE_MS;
	struct rpc_conn *rc;
	int rv;

	*out = NULL;
	*reused = 0;
	rv = netaddr_parse(addr, 0, &sa, em);
	if (rv != 0)
		return rv;
	(void)netaddr_format((struct sockaddr *)&sa, canon, sizeof(canon));
	for (rc = r->conns; rc != NULL; rc = rc->next) {
		if (rc->c == NULL || !conn_is_open(rc->c) ||
		    strcmp(rc->addr, canon) != 0 ||
		    rc->have_pk != (pk != NULL) ||
		    (pk != NULL && memcmp(rc->pk, pk, IDENT_PKBYTES) != 0) ||
		    uv_now(&r->loop) - rc->last_used >= reuse)
			continue;
		rc->last_used = uv_now(&r->loop);
		*out = rc;
		*reused = 1;
		return 0;
	}
	rc = calloc(1, sizeof(*rc));
	if (rc == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	rc->r = r;
	memcpy(rc->addr, canon, sizeof(canon));
	if (pk != NULL) {
		rc->have_pk = 1;
		memcpy(rc->pk, pk, IDENT_PKBYTES);
	}
	rc->last_used = uv_now(&r->loop);
	cbs.on_frame = rc_on_frame;
	cbs.on_close = rc_on_close;
	cbs.arg = rc;
	rv = conn_connect(&r->loop, r->tls, canon, pk, &r->lim, &cbs, &rc->c,
	    em);
	if (rv != 0) {
		free(rc);
		return rv;
	}
	rc->next = r->conns;
	r->conns = rc;
	r->nconns++;
	*out = rc;
	return 0;
}

/* Keep the cache within RPC_CACHE_MAX by closing the least recently used. */
static void
cache_trim(struct rpc *r)
{
	struct rpc_conn *rc, *old;
	unsigned open;

	for (;;) {
		open = 0;
		old = NULL;
		for (rc = r->conns; rc != NULL; rc = rc->next) {
			if (rc->c == NULL || !conn_is_open(rc->c))
				continue;
			open++;
			if (old == NULL || rc->last_used < old->last_used)
				old = rc;
		}
		if (open <= RPC_CACHE_MAX || old == NULL)
			return;
		conn_abort(old->c, 0, "dropped from the connection cache");
	}
}

/* End call k: close what still owes it something, then let closes land. */
static void
call_end(struct rpc *r, struct call *k)
{
	char why[DZ_ERRMSG_MAX];
	struct rpc_conn *rc;
	size_t i;

	uv_timer_stop(&r->deadline);
	for (i = 0; i < k->n; i++) {
		struct pend *p = &k->p[i];
		if (p->rc == NULL || p->rc->c == NULL)
			continue;
		if (!p->done && k->timed_out) {
			snprintf(why, sizeof(why), "%s: no answer before the "
			    "deadline", p->rc->addr);
			request_end(k, i, DZ_EIO, why);
		} else if (!p->done) {
			request_end(k, i, RPC_CANCELLED, NULL);
		} else if (p->released) {
			continue;
		}
		conn_abort(p->rc->c, 0, "request cancelled");
	}
	r->call = NULL;
	cache_trim(r);
	/* aborted connections close within this loop turn */
	(void)uv_run(&r->loop, UV_RUN_NOWAIT);
	for (rc = r->conns; rc != NULL; rc = rc->next)
		rc->last_used = uv_now(&r->loop);
}

/* Send request i of k on a fresh or cached connection. 0 or a dz_err
 * (detail in k->ems[i]). */
static int
send_one(struct rpc *r, struct call *k, size_t i)
{
	struct rpc_req *q = &k->reqs[i];
	struct pend *p = &k->p[i];
	struct rpc_conn *rc;
	int rv;

	p->released = 1;
	p->reqid = r->next_reqid++;
	rv = conn_get(r, q->addr, q->pk, &rc, &p->reused, &k->ems[i]);
	if (rv != 0)
		return rv;
	p->rc = rc;
	p->released = 0;
	rv = conn_send_pre(rc->c, q->type, p->reqid, q->prefix, q->prefix_len,
	    q->body, q->len, on_released, p);
	if (rv != 0) {
		p->released = 1;
		snprintf(k->ems[i].text, sizeof(k->ems[i].text),
		    "%s: cannot send: %s", rc->addr, dz_strerror(rv));
	}
	return rv;
}

/* The body of rpc_call_many; first receives the first failure's detail. */
static int
call_run(struct rpc *r, struct rpc_req *reqs, size_t n, size_t want,
    size_t soft, unsigned grace_min, unsigned deadline_ms, rpc_accept_fn accept,
    void *arg, size_t *kept, struct dz_errmsg *first)
{
	struct call k = {0};
	size_t i;
	int rv;

	*kept = 0;
	for (i = 0; i < n; i++) {
		reqs[i].status = RPC_CANCELLED;
		reqs[i].answered = 0;
	}
	if (want == 0)
		return 0;
	k.p = calloc(n, sizeof(*k.p));
	k.ems = calloc(n, sizeof(*k.ems));
	if (k.p == NULL || k.ems == NULL) {
		free(k.p);
		free(k.ems);
		return dz_errf(first, DZ_ENOMEM, "out of memory");
	}
	k.r = r;
	k.reqs = reqs;
	k.n = n;
	k.want = want;
	k.soft = soft;
	k.grace_min = grace_min;
	k.accept = accept;
	k.arg = arg;
	/* read what arrived since the last call: EOFs of closed servers */
	(void)uv_run(&r->loop, UV_RUN_NOWAIT);
	r->call = &k;
	uv_update_time(&r->loop);
	k.t0 = uv_now(&r->loop);
	for (i = 0; i < n; i++) {
		k.p[i].call = &k;
		rv = send_one(r, &k, i);
		if (rv != 0)
			request_end(&k, i, rv, NULL);
	}
	if (deadline_ms > 0)
		uv_timer_start(&r->deadline, on_deadline, deadline_ms, 0);
	/* Once want cannot be reached the others still run to their end:
	 * what they bring is not wasted (a get keeps the fragments it has, a
	 * put the copies that landed) and cancelling them would only make the
	 * caller ask again. */
	while (k.kept < want && !k.timed_out && k.finished < n)
		(void)uv_run(&r->loop, UV_RUN_ONCE);
	call_end(r, &k);
	for (i = 0; i < n; i++)
		if (reqs[i].why != NULL)
			*reqs[i].why = k.ems[i];
	*kept = k.kept;
	rv = 0;
	if (k.kept < want) {
		rv = DZ_ETOOFEW;
		dz_errf(first, rv, "no answer");
		for (i = 0; i < n; i++)
			if (reqs[i].status != RPC_KEPT &&
			    reqs[i].status != RPC_CANCELLED &&
			    k.ems[i].text[0] != '\0') {
				*first = k.ems[i];
				break;
			}
	}
	free(k.p);
	free(k.ems);
	return rv;
}

int
rpc_call_many(struct rpc *r, struct rpc_req *reqs, size_t n, size_t want,
    unsigned deadline_ms, rpc_accept_fn accept, void *arg, size_t *kept,
    struct dz_errmsg *em)
{
	return rpc_call_many_grace(r, reqs, n, want, 0, 0, deadline_ms, accept,
	    arg, kept, em);
}

int
rpc_call_many_grace(struct rpc *r, struct rpc_req *reqs, size_t n, size_t want,
    size_t soft, unsigned grace_min_ms, unsigned deadline_ms,
    rpc_accept_fn accept, void *arg, size_t *kept, struct dz_errmsg *em)
{
	struct dz_errmsg first;
	size_t got;
	int rv;

	if (kept != NULL)
		*kept = 0;
	if (want > n)
		return dz_errf(em, DZ_EINVAL, "want %zu answers of %zu", want,
		    n);
	if (soft > want)
		return dz_errf(em, DZ_EINVAL, "soft %zu above want %zu", soft, want);
	rv = call_run(r, reqs, n, want, soft, grace_min_ms, deadline_ms, accept,
	    arg, &got, &first);
	if (kept != NULL)
		*kept = got;
	if (rv == DZ_ETOOFEW)
		dz_errf(em, rv, "%zu of %zu answers wanted; %s", got, want,
		    first.text);
	else if (rv != 0)
		dz_errf(em, rv, "%s", first.text);
	return rv;
}

/* rpc_call's accept: keep the answer and take its body. */
static int
take_answer(void *arg, size_t i, struct frame *f)
{
	struct frame *resp = arg;

	(void)i;
	*resp = *f;
	f->body = NULL;
	return 1;
}

int
rpc_call(struct rpc *r, const char *addr, const uint8_t *expected_pk,
    uint16_t type, const void *body, size_t len, unsigned deadline_ms,
    struct frame *resp, struct dz_errmsg *em)
{
	struct rpc_req q = {0};
	struct dz_errmsg first;
	size_t got;
	int rv;

	memset(resp, 0, sizeof(*resp));
	q.addr = addr;
	q.pk = expected_pk;
	q.type = type;
	q.body = body;
	q.len = len;
	rv = call_run(r, &q, 1, 1, 0, 0, deadline_ms, take_answer, resp, &got,
	    &first);
	if (rv == DZ_ETOOFEW)
		/* report the request's own failure, not a count */
		rv = q.status < 0 ? q.status : DZ_EIO;
	if (rv != 0)
		dz_errf(em, rv, "%s", first.text);
	return rv;
}
