/*
 * net_fixture: what the network tests share: a test server running its
 * own loop on its own thread (struct tsrv, in one of a few modes), the
 * client fixture (identity, TLS context, rpc), blocking TCP and TLS
 * clients for playing attacks by hand, and waits with deadlines. Static
 * functions only: included by tests/unit/test_net*.c.
 */
#ifndef DZ_NET_FIXTURE_H
#define DZ_NET_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <sodium.h>

#include "core/cursor.h"
#include "net/conn.h"
#include "net/frame.h"
#include "net/ident.h"
#include "net/netsrv.h"
#include "net/rpc.h"
#include "net/tls.h"

extern char **environ;

/* ---- a test server on its own thread ---- */

enum tmode {
	M_ECHO,        /* answer every frame with itself */
	M_SILENT,      /* never answer */
	M_GARBAGE,     /* answer with a wrong body */
	M_BADREQID,    /* answer with another reqid */
	M_CLOSE_AFTER, /* echo, then close in order */
	M_FLOOD,       /* answer every frame with FLOOD_BYTES */
};

#define FLOOD_BYTES (512u * 1024)

struct tsrv {
	enum tmode mode;
	struct conn_limits lim;
	const uint8_t *allow;          /* the only client key welcome */
	struct ident *id;
	struct tls_ctx *tls;
	uv_loop_t loop;
	uv_async_t stop;
	struct netsrv *srv;
	pthread_t th;
	char addr[32];
	atomic_int npeer, nrefpeer, nframes, nclose, nclose_err, last_err;
	atomic_size_t maxq;
	uint64_t nrefused, nevicted;   /* read after the thread ended */
	pthread_mutex_t mu;
	char last_msg[DZ_ERRMSG_MAX];
	char log[8192];                /* every close message, one a line */
	uint8_t flood[FLOOD_BYTES];
};

static int
ts_on_peer(void *arg, struct conn *c, const uint8_t pk[IDENT_PKBYTES])
{
	struct tsrv *t = arg;

	(void)c;
	if (t->allow != NULL && memcmp(pk, t->allow, IDENT_PKBYTES) != 0) {
		atomic_fetch_add(&t->nrefpeer, 1);
		return DZ_EPEERKEY;
	}
	atomic_fetch_add(&t->npeer, 1);
	return 0;
}

static void
ts_on_frame(void *arg, struct conn *c, struct frame *f)
{
	struct tsrv *t = arg;
	size_t q;
	int rc = 0;

	atomic_fetch_add(&t->nframes, 1);
	switch (t->mode) {
	case M_ECHO:
	case M_CLOSE_AFTER:
		rc = conn_send(c, f->type, f->reqid, f->body, f->len);
		if (t->mode == M_CLOSE_AFTER)
			conn_close(c);
		break;
	case M_SILENT:
		break;
	case M_GARBAGE:
		rc = conn_send(c, f->type, f->reqid, "garbage", 7);
		break;
	case M_BADREQID:
		rc = conn_send(c, f->type, f->reqid + 1000, f->body, f->len);
		break;
	case M_FLOOD:
		rc = conn_send(c, f->type, f->reqid, t->flood, FLOOD_BYTES);
		q = conn_queued(c);
		if (q > atomic_load(&t->maxq))
			atomic_store(&t->maxq, q);
		break;
	}
	if (rc != 0)
		conn_abort(c, rc, "test server cannot send");
}

static void
ts_on_close(void *arg, struct conn *c, int err, const char *msg)
{
	struct tsrv *t = arg;

	(void)c;
	pthread_mutex_lock(&t->mu);
	snprintf(t->last_msg, sizeof(t->last_msg), "%s", msg);
	if (strlen(t->log) + strlen(msg) + 2 < sizeof(t->log)) {
		strcat(t->log, msg);
		strcat(t->log, "\n");
	}
	pthread_mutex_unlock(&t->mu);
	atomic_store(&t->last_err, err);
	if (err != 0)
		atomic_fetch_add(&t->nclose_err, 1);
	atomic_fetch_add(&t->nclose, 1);
}

static void
ts_on_stop(uv_async_t *a)
{
	struct tsrv *t = a->data;

	t->nrefused = netsrv_nrefused(t->srv);
	t->nevicted = netsrv_nevicted(t->srv);
	netsrv_close(t->srv, NULL, NULL);
	uv_close((uv_handle_t *)a, NULL);
}

static void *
ts_main(void *arg)
{
	struct tsrv *t = arg;

	uv_run(&t->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* Start a server in mode; lim NULL: short test deadlines. */
static struct tsrv *
ts_start(enum tmode mode, const struct conn_limits *lim, const uint8_t *allow)
{
	struct tsrv *t = calloc(1, sizeof(*t));
	struct conn_cbs cbs = {0};
	struct dz_errmsg em = {{0}};

	assert_non_null(t);
	t->mode = mode;
	t->allow = allow;
	if (lim != NULL) {
		t->lim = *lim;
	} else {
		conn_limits_default(&t->lim);
		t->lim.handshake_ms = 8000;
		t->lim.frame_ms = 8000;
		t->lim.write_ms = 8000;
	}
	pthread_mutex_init(&t->mu, NULL);
	assert_int_equal(ident_generate(&t->id), 0);
	assert_int_equal(tls_ctx_new(t->id, TLS_ROLE_SERVER, &t->tls, &em), 0);
	assert_int_equal(uv_loop_init(&t->loop), 0);
	assert_int_equal(uv_async_init(&t->loop, &t->stop, ts_on_stop), 0);
	t->stop.data = t;
	cbs.on_peer = ts_on_peer;
	cbs.on_frame = ts_on_frame;
	cbs.on_close = ts_on_close;
	cbs.arg = t;
	if (netsrv_listen(&t->loop, t->tls, "127.0.0.1:0", &t->lim, &cbs,
	    &t->srv, &em) != 0)
		fail_msg("listen: %s", em.text);
	snprintf(t->addr, sizeof(t->addr), "127.0.0.1:%d",
	    netsrv_port(t->srv));
	assert_int_equal(pthread_create(&t->th, NULL, ts_main, t), 0);
	return t;
}

/* Stop t's thread and release all but t itself (its counters stay
 * readable); ts_stop frees t too. */
static void
ts_halt(struct tsrv *t)
{
	uv_async_send(&t->stop);
	pthread_join(t->th, NULL);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	tls_ctx_unref(t->tls);
	ident_free(t->id);
	pthread_mutex_destroy(&t->mu);
}

static void
ts_stop(struct tsrv *t)
{
	ts_halt(t);
	free(t);
}

static void
ts_last_msg(struct tsrv *t, char *out, size_t cap)
{
	pthread_mutex_lock(&t->mu);
	snprintf(out, cap, "%s", t->last_msg);
	pthread_mutex_unlock(&t->mu);
}

/* ---- client side helpers ---- */

struct fx {
	struct ident *cid;        /* the client's identity */
	struct tls_ctx *cli;
	struct rpc *rpc;
};

static int
group_setup(void **state)
{
	static struct fx f;

	signal(SIGPIPE, SIG_IGN);
	if (ident_generate(&f.cid) != 0 ||
	    tls_ctx_new(f.cid, TLS_ROLE_CLIENT, &f.cli, NULL) != 0 ||
	    rpc_new(f.cli, NULL, &f.rpc, NULL) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fx *f = *state;

	rpc_free(f->rpc);
	tls_ctx_unref(f->cli);
	ident_free(f->cid);
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait until *v >= want, at most ms; returns the last value seen. */
static int
wait_atomic(atomic_int *v, int want, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	int x;

	while ((x = atomic_load(v)) < want && now_ms() < end)
		usleep(5000);
	return x;
}

/* Wait until one of t's close messages contains s, at most ms. */
static int
wait_msg(struct tsrv *t, const char *s, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	int found;

	do {
		pthread_mutex_lock(&t->mu);
		found = strstr(t->log, s) != NULL;
		pthread_mutex_unlock(&t->mu);
		if (found)
			return 1;
		usleep(5000);
	} while (now_ms() < end);
	return 0;
}

/* One echo through rpc must come back intact. */
static void
echo_ok(struct fx *f, struct tsrv *t, size_t len)
{
	struct dz_errmsg em = {{0}};
	struct frame resp;
	uint8_t *body = malloc(len + 1);

	assert_non_null(body);
	randombytes_buf(body, len);
	if (rpc_call(f->rpc, t->addr, t->id->pk, 7, body, len, 5000, &resp,
	    &em) != 0)
		fail_msg("echo of %zu bytes: %s", len, em.text);
	assert_int_equal(resp.type, 7);
	assert_int_equal(resp.len, len);
	if (len > 0)
		assert_memory_equal(resp.body, body, len);
	frame_free(&resp);
	free(body);
}

/* A blocking TCP socket to t, with a 5 s receive timeout. */
static int
tcp_to(struct tsrv *t)
{
	struct sockaddr_in sa = {0};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(strchr(t->addr, ':') + 1));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	return fd;
}

/* Milliseconds until the server closes fd (EOF or reset), -1 if it did
 * not within the 5 s receive timeout. */
static long
tcp_wait_closed(int fd)
{
	uint64_t t0 = now_ms();
	char b[4096];
	ssize_t n;

	for (;;) {
		n = recv(fd, b, sizeof(b), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return (long)(now_ms() - t0);
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* A blocking TLS client with the fixture's identity. */
struct raw {
	int fd;
	SSL *ssl;
};

static void
raw_open(struct fx *f, struct tsrv *t, struct raw *r)
{
	r->fd = tcp_to(t);
	r->ssl = tls_ssl_new(f->cli);
	assert_non_null(r->ssl);
	assert_int_equal(SSL_set_fd(r->ssl, r->fd), 1);
	assert_int_equal(SSL_connect(r->ssl), 1);
}

static void
raw_write(struct raw *r, const void *p, size_t n)
{
	assert_int_equal(SSL_write(r->ssl, p, (int)n), (int)n);
}

static void
raw_frame(struct raw *r, uint16_t type, uint32_t reqid, const void *body,
    size_t len)
{
	uint8_t h[FRAME_HDRBYTES];

	assert_int_equal(frame_hdr_encode(h, type, reqid, len), 0);
	raw_write(r, h, sizeof(h));
	if (len > 0)
		raw_write(r, body, len);
}

/* Read one whole frame; 0 or -1. */
static int
raw_read_frame(struct raw *r, struct frame *out)
{
	struct frame_dec d;
	uint8_t b[4096];
	size_t used, off;
	int n, rc = 0;

	frame_dec_init(&d, FRAME_MAX);
	while (rc == 0) {
		n = SSL_read(r->ssl, b, sizeof(b));
		if (n <= 0) {
			rc = -1;
			break;
		}
		for (off = 0; off < (size_t)n && rc == 0; off += used)
			rc = frame_dec_feed(&d, b + off, (size_t)n - off,
			    &used, out);
	}
	frame_dec_free(&d);
	ERR_clear_error();
	return rc == 1 ? 0 : -1;
}

/* Milliseconds until the server ends the TLS connection, -1 if not in
 * 5 s. Whatever arrives before is discarded. */
static long
raw_wait_closed(struct raw *r)
{
	uint64_t t0 = now_ms();
	uint8_t b[16384];
	int n;

	for (;;) {
		n = SSL_read(r->ssl, b, sizeof(b));
		if (n > 0)
			continue;
		if (SSL_get_error(r->ssl, n) == SSL_ERROR_SYSCALL &&
		    (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ERR_clear_error();
			return -1;
		}
		ERR_clear_error();
		return (long)(now_ms() - t0);
	}
}

static void
raw_close(struct raw *r)
{
	SSL_free(r->ssl);
	close(r->fd);
}

/* One small frame out and its echo back on r: r is proven. */
static void
raw_echo(struct raw *r, uint32_t reqid)
{
	struct frame resp;

	raw_frame(r, 5, reqid, "ok", 2);
	assert_int_equal(raw_read_frame(r, &resp), 0);
	assert_int_equal(resp.reqid, reqid);
	assert_memory_equal(resp.body, "ok", 2);
	frame_free(&resp);
}

#endif
