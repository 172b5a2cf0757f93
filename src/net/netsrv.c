/*
 * netsrv: the listener, its list of open connections, and the
 * connection limit. Connections are accepted into conn.c's engine
 * (conn_accept_) and report their end here (netsrv_conn_gone_), so the
 * count of open connections is exact at all times.
 */
#include "net/netsrv.h"

#include <stdlib.h>
#include <string.h>

#include "net/conn_int.h"
#include "net/netaddr.h"

struct netsrv {
	uv_tcp_t tcp;
	uv_loop_t *loop;
	struct tls_ctx *tls;
	struct conn_limits lim;
	struct conn_cbs cbs;
	struct conn *conns;
	unsigned nconns;
	uint64_t nrefused;
	int port;
	int closing, listener_closed;
	void (*done)(void *arg);
	void *done_arg;
};

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

static void
on_connection(uv_stream_t *listener, int status)
{
	struct netsrv *s = listener->data;
	struct conn *c = NULL;

	if (status < 0 || s->closing)
		return;
	if (s->nconns >= s->lim.max_conns) {
		refuse_one(s);
		return;
	}
	if (conn_accept_(s, listener, s->loop, s->tls, &s->lim, &s->cbs,
	    &c) != 0 || c == NULL) {
		refuse_one(s);
		return;
	}
	c->prev = NULL;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
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
		rc = uv_listen((uv_stream_t *)&s->tcp, 128, on_connection);
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
