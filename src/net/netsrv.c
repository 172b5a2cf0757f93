/*
 * netsrv: the listener, its list of open connections, the unproven
 * queues and the connection limits (see netsrv.h for the policy).
 * Connections are accepted into the connection engine (conn_new_) and
 * report their progress (netsrv_conn_step_) and their end
 * (netsrv_conn_gone_) here, so the counts are exact at all times.
 *
 * Counts: nconns is every connection whose handles are not yet closed
 * (the server's memory waits for them); nlive those not yet failed, which
 * hold a descriptor (a failing connection closes its socket at once);
 * the two FIFO queues hold the unproven ones, oldest first.
 */
#include "net/netsrv.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "net/conn_int.h"
#include "net/netaddr.h"

/* descriptors kept for everything else a server opens: files, databases,
 * its own client connections, libuv's internals */
#define FD_RESERVE 256u
#define MIN_CONNS 16u

struct uqueue {
	struct conn *head, *tail;
	unsigned n;
};

struct netsrv {
	uv_tcp_t tcp;
	uv_loop_t *loop;
	struct tls_ctx *tls;
	struct conn_limits lim;
	struct conn_cbs cbs;
	struct conn_scratch scratch; /* shared by every connection */
	struct conn *conns;
	unsigned nconns, nlive;
	struct uqueue uq[2];         /* CONN_Q_TLS, CONN_Q_FRAME */
	uint64_t nrefused, nevicted;
	int port;
	int closing, listener_closed;
	void (*done)(void *arg);
	void *done_arg;
};

static void
uq_remove(struct uqueue *q, struct conn *c)
{
	if (c->uprev != NULL)
		c->uprev->unext = c->unext;
	else
		q->head = c->unext;
	if (c->unext != NULL)
		c->unext->uprev = c->uprev;
	else
		q->tail = c->uprev;
	c->uprev = c->unext = NULL;
	q->n--;
}

static void
uq_append(struct uqueue *q, struct conn *c)
{
	c->unext = NULL;
	c->uprev = q->tail;
	if (q->tail != NULL)
		q->tail->unext = c;
	else
		q->head = c;
	q->tail = c;
	q->n++;
}

void
netsrv_conn_step_(struct netsrv *s, struct conn *c, enum conn_queue to)
{
	if (c->uq != CONN_Q_NONE)
		uq_remove(&s->uq[c->uq], c);
	else if (to != CONN_Q_NONE)
		return; /* proven or dead: it never comes back */
	c->uq = to;
	if (to != CONN_Q_NONE)
		uq_append(&s->uq[to], c);
	if (c->st == CONN_DEAD)
		s->nlive--;
}

/* A connection over the limit: accepted only to be closed. */
static void
on_refused_closed(uv_handle_t *h)
{
	free(h);
}

static void
refuse_one(struct netsrv *s)
{
	uv_tcp_t *t = malloc(sizeof(*t));

	s->nrefused++;
	if (t == NULL || uv_tcp_init(s->loop, t) != 0) {
		/* cannot even accept it: the kernel's backlog keeps it */
		free(t);
		return;
	}
	(void)uv_accept((uv_stream_t *)&s->tcp, (uv_stream_t *)t);
	uv_close((uv_handle_t *)t, on_refused_closed);
}

/* Close the oldest unproven connection, preferring one that has not
 * even finished its handshake. 0, or -1 if every connection is proven. */
static int
evict_one(struct netsrv *s)
{
	struct conn *c = s->uq[CONN_Q_TLS].head;

	if (c == NULL)
		c = s->uq[CONN_Q_FRAME].head;
	if (c == NULL)
		return -1;
	s->nevicted++;
	conn_fail_(c, DZ_EDENIED, "closed to make room: the oldest of %u "
	    "connections without a first frame", s->uq[0].n + s->uq[1].n);
	return 0;
}

/* Accept one pending connection into a new server connection. */
static int
accept_one(struct netsrv *s)
{
	struct sockaddr_storage sa;
	int len = sizeof(sa), rc;
	struct conn *c;

	rc = conn_new_(s->loop, s->tls, &s->lim, &s->cbs, &s->scratch, &c);
	if (rc != 0)
		return rc;
	c->srv = s;
	c->prev = NULL;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->nlive++;
	c->st = CONN_HANDSHAKE;
	c->uq = CONN_Q_TLS;
	uq_append(&s->uq[CONN_Q_TLS], c);
	if (s->lim.proof_ms > 0)
		conn_arm_(c, CONN_T_PROOF, s->lim.proof_ms);
	else
		conn_arm_(c, CONN_T_HANDSHAKE, s->lim.handshake_ms);
	rc = uv_accept((uv_stream_t *)&s->tcp, (uv_stream_t *)&c->tcp);
	if (rc != 0) {
		conn_fail_(c, DZ_EIO, "accept: %s", uv_strerror(rc));
		return 0;
	}
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &len) == 0)
		(void)netaddr_format((struct sockaddr *)&sa, c->addr,
		    sizeof(c->addr));
	(void)uv_tcp_nodelay(&c->tcp, 1);
	(void)conn_reading_start_(c);
	return 0;
}

static void
on_connection(uv_stream_t *listener, int status)
{
	struct netsrv *s = listener->data;

	if (status < 0 || s->closing)
		return;
	while (s->nlive >= s->lim.max_conns || (s->lim.max_unproven > 0 &&
	    s->uq[0].n + s->uq[1].n >= s->lim.max_unproven)) {
		if (evict_one(s) != 0) {
			refuse_one(s);
			return;
		}
	}
	if (accept_one(s) != 0)
		refuse_one(s);
}

static void
maybe_done(struct netsrv *s)
{
	void (*done)(void *arg) = s->done;
	void *arg = s->done_arg;

	if (!s->closing || !s->listener_closed || s->nconns > 0)
		return;
	tls_ctx_unref(s->tls);
	free(s);
	if (done != NULL)
		done(arg);
}

void
netsrv_conn_gone_(struct netsrv *s, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	s->nconns--;
	maybe_done(s);
}

/*
 * Fit max_conns to the descriptors this process may open: raise the soft
 * RLIMIT_NOFILE toward the hard limit if it is short (a server should
 * not refuse users for want of a number it is allowed to take), then
 * keep FD_RESERVE of them for everything else.
 */
static unsigned
fit_to_fds(unsigned want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + FD_RESERVE;
	unsigned fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit up = rl;

		up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ?
		    need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return want;
	fit = rl.rlim_cur > FD_RESERVE + MIN_CONNS ?
	    (unsigned)(rl.rlim_cur - FD_RESERVE) : MIN_CONNS;
	return fit < want ? fit : want;
}

int
netsrv_listen(uv_loop_t *loop, struct tls_ctx *tls, const char *addr,
    const struct conn_limits *lim, const struct conn_cbs *cbs,
    struct netsrv **out, struct dz_errmsg *em)
{
	struct sockaddr_storage sa;
	int len = sizeof(sa), rc;
	struct netsrv *s;

	*out = NULL;
	if (tls_ctx_role(tls) != TLS_ROLE_SERVER)
		return dz_errf(em, DZ_EINVAL, "not a server TLS context");
	rc = netaddr_parse(addr, 1, &sa, em);
	if (rc != 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	s->loop = loop;
	if (lim != NULL)
		s->lim = *lim;
	else
		conn_limits_default(&s->lim);
	s->lim.max_conns = fit_to_fds(s->lim.max_conns);
	if (s->lim.max_conns == 0)
		s->lim.max_conns = 1;
	s->cbs = *cbs;
	rc = uv_tcp_init(loop, &s->tcp);
	if (rc != 0) {
		free(s);
		return dz_errf(em, DZ_EIO, "listen on %s: %s", addr,
		    uv_strerror(rc));
	}
	s->tcp.data = s;
	s->tls = tls_ctx_ref(tls);
	rc = uv_tcp_bind(&s->tcp, (struct sockaddr *)&sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->tcp, 511, on_connection);
	if (rc == 0)
		rc = uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&sa, &len);
	if (rc != 0) {
		/* the handle must close through the loop; no conns exist */
		s->closing = 1;
		netsrv_close(s, NULL, NULL);
		return dz_errf(em, DZ_EIO, "listen on %s: %s", addr,
		    uv_strerror(rc));
	}
	s->port = netaddr_port((struct sockaddr *)&sa);
	*out = s;
	return 0;
}

int
netsrv_port(const struct netsrv *s)
{
	return s->port;
}

unsigned
netsrv_nconns(const struct netsrv *s)
{
	return s->nconns;
}

uint64_t
netsrv_nrefused(const struct netsrv *s)
{
	return s->nrefused;
}

uint64_t
netsrv_nevicted(const struct netsrv *s)
{
	return s->nevicted;
}

unsigned
netsrv_max_conns(const struct netsrv *s)
{
	return s->lim.max_conns;
}

static void
on_listener_closed(uv_handle_t *h)
{
	struct netsrv *s = h->data;

	s->listener_closed = 1;
	maybe_done(s);
}

void
netsrv_close(struct netsrv *s, void (*done)(void *arg), void *arg)
{
	struct conn *c, *next;

	s->closing = 1;
	s->done = done;
	s->done_arg = arg;
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		conn_abort(c, 0, "server shutting down");
	}
	uv_close((uv_handle_t *)&s->tcp, on_listener_closed);
}
