/*
 * conn: the connection engine: libuv TCP below, OpenSSL on memory BIOs in
 * the middle, frames above, and the deadlines around them.
 *
 * Data path. Reading: socket -> rbuf -> rbio -> SSL_read -> pt -> frame
 * decoder -> on_frame. Writing: conn_send queues frames; pump_write stages
 * small pieces (headers, short bodies: several frames share one TLS record)
 * or encrypts large bodies straight from the caller's memory, and moves the
 * ciphertext from wbio to the socket in chunks of up to 256 KiB, keeping at
 * most 1 MiB in flight so that memory stays bounded when the peer is slow.
 *
 * Backpressure on servers: while a server connection has more than
 * sendq_high bytes queued for a peer, it stops decoding and reading that
 * peer's requests (TCP then slows the peer down) and resumes below
 * sendq_low; its read deadlines are suspended meanwhile, since the wait is
 * ours. Clients never stop reading: that, and servers only writing in
 * answer to reading, is what rules out two sides waiting on each other.
 *
 * Deadlines: one timer for the read side (the handshake, then either the
 * frame being received or idleness), one for the write side (no progress
 * of queued ciphertext into the socket). Each firing ends the connection.
 *
 * Lifetime: a connection ends through conn_fail, which closes its three
 * handles; when the last close callback runs, on_close is called and the
 * memory freed. Nothing is freed inside a callback's caller, so user
 * callbacks may close connections freely.
 */
#include "net/conn_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "core/cursor.h"

#define WRITE_HIGH (1024u * 1024)   /* ciphertext in flight, at most */
#define FLUSH_CHUNK (256u * 1024)   /* ciphertext per uv_write, about */
#define DIRECT_CHUNK (256u * 1024)  /* body bytes per direct SSL_write */
#define ALERT_MAX 512               /* last words sent when failing */

struct wreq {
	uv_write_t req;
	struct conn *c;
	size_t len;
	uint8_t data[];
};

static void advance(struct conn *c);
static void pump_write(struct conn *c);

void
conn_limits_default(struct conn_limits *l)
{
	l->max_conns = 256;
	l->max_frame = FRAME_MAX;
	l->handshake_ms = 10000;
	l->frame_ms = 60000;
	l->idle_ms = 120000;
	l->write_ms = 60000;
	l->sendq_high = 4u * 1024 * 1024;
	l->sendq_low = 1024u * 1024;
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->handles > 0)
		return;
	if (c->srv != NULL)
		netsrv_conn_gone_(c->srv, c);
	if (c->cbs.on_close != NULL)
		c->cbs.on_close(c->cbs.arg, c, c->err, c->msg);
	SSL_free(c->ssl); /* frees both BIOs */
	frame_dec_free(&c->dec);
	tls_ctx_unref(c->tls);
	free(c);
}

/* Send what TLS has to say (an alert, usually) if it fits in one go. */
static void
last_words(struct conn *c)
{
	uint8_t b[ALERT_MAX];
	size_t n = BIO_ctrl_pending(c->wbio);
	uv_buf_t ub;

	if (c->st == CONN_CONNECTING || c->inflight > 0 || n == 0 ||
	    n > sizeof(b) || BIO_read(c->wbio, b, (int)n) != (int)n)
		return;
	ub = uv_buf_init((char *)b, (unsigned)n);
	(void)uv_try_write((uv_stream_t *)&c->tcp, &ub, 1);
}

/* End c: record why, drop the queue, close the handles (see the top). */
static void __attribute__((format(printf, 3, 4)))
conn_fail(struct conn *c, int err, const char *fmt, ...)
{
	struct conn_item *it;
	va_list ap;
	int n;

	if (c->st == CONN_DEAD)
		return;
	last_words(c);
	c->st = CONN_DEAD;
	c->err = err;
	n = snprintf(c->msg, sizeof(c->msg), "%s: ", c->addr);
	if (n < 0 || (size_t)n >= sizeof(c->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(c->msg + n, sizeof(c->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	while ((it = c->sq_head) != NULL) {
		c->sq_head = it->next;
		if (it->release != NULL)
			it->release(it->rarg);
		free(it);
	}
	c->sq_tail = NULL;
	c->sq_bytes = 0;
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->wtimer, on_handle_closed);
}

/* A TLS failure: OpenSSL's reason goes into the message. */
static void
conn_fail_tls(struct conn *c, const char *what)
{
	struct dz_errmsg em;

	tls_errf(&em, DZ_EAUTH, c->ssl, what);
	conn_fail(c, DZ_EAUTH, "%s", em.text);
}

static void
on_timer(uv_timer_t *t)
{
	struct conn *c = t->data;

	switch (c->tkind) {
	case CONN_T_HANDSHAKE:
		conn_fail(c, DZ_EIO, "%s not done within %u ms",
		    c->st == CONN_CONNECTING ? "TCP connect" : "TLS handshake",
		    c->lim.handshake_ms);
		break;
	case CONN_T_FRAME:
		conn_fail(c, DZ_EIO, "frame not complete within %u ms",
		    c->lim.frame_ms);
		break;
	case CONN_T_IDLE:
		conn_fail(c, 0, "idle for %u ms", c->lim.idle_ms);
		break;
	case CONN_T_NONE:
		break;
	}
}

static void
on_wtimer(uv_timer_t *t)
{
	struct conn *c = t->data;

	conn_fail(c, DZ_EIO, "peer read nothing for %u ms", c->lim.write_ms);
}

static void
arm(struct conn *c, enum conn_timer kind, unsigned ms)
{
	c->tkind = kind;
	c->tframe = c->dec.nframes;
	if (ms == 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* Pick the read-side deadline that applies now (see the top). */
static void
timers_update(struct conn *c)
{
	if (c->st != CONN_OPEN)
		return;
	if (c->paused) {
		if (c->tkind != CONN_T_NONE) {
			uv_timer_stop(&c->timer);
			c->tkind = CONN_T_NONE;
		}
		return;
	}
	if (frame_dec_busy(&c->dec)) {
		if (c->tkind != CONN_T_FRAME || c->tframe != c->dec.nframes)
			arm(c, CONN_T_FRAME, c->lim.frame_ms);
	} else if (c->tkind != CONN_T_IDLE || c->tframe != c->dec.nframes) {
		arm(c, CONN_T_IDLE, c->lim.idle_ms);
	}
}

static int
conn_new(uv_loop_t *loop, struct tls_ctx *tls, const struct conn_limits *lim,
    const struct conn_cbs *cbs, struct conn **out)
{
	struct conn *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return DZ_ENOMEM;
	c->loop = loop;
	if (lim != NULL)
		c->lim = *lim;
	else
		conn_limits_default(&c->lim);
	c->cbs = *cbs;
	snprintf(c->addr, sizeof(c->addr), "?");
	c->ssl = tls_ssl_new(tls);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		SSL_free(c->ssl);
		free(c);
		ERR_clear_error();
		return DZ_ENOMEM;
	}
	/* an empty rbio means "wait for more", not end of stream */
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	if (uv_tcp_init(loop, &c->tcp) != 0) {
		SSL_free(c->ssl);
		free(c);
		return DZ_ENOMEM;
	}
	uv_timer_init(loop, &c->timer);
	uv_timer_init(loop, &c->wtimer);
	c->handles = 3;
	c->tcp.data = c->timer.data = c->wtimer.data = c;
	c->connect.data = c->shutdown.data = c;
	c->tls = tls_ctx_ref(tls);
	frame_dec_init(&c->dec, c->lim.max_frame);
	*out = c;
	return 0;
}

/* ---- reading ---- */

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)hint;
	buf->base = (char *)c->rbuf;
	buf->len = sizeof(c->rbuf);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	(void)buf;
	if (c->st == CONN_DEAD || n == 0)
		return;
	if (n == UV_EOF) {
		if (c->st == CONN_HANDSHAKE) /* no alert: not a refusal */
			conn_fail(c, DZ_EIO,
			    "connection closed during the TLS handshake");
		else if (frame_dec_busy(&c->dec))
			conn_fail(c, DZ_ETRUNC,
			    "connection closed in the middle of a frame");
		else
			conn_fail(c, 0, "connection closed by the peer");
		return;
	}
	if (n < 0) {
		conn_fail(c, DZ_EIO, "read: %s", uv_strerror((int)n));
		return;
	}
	if (BIO_write(c->rbio, c->rbuf, (int)n) != (int)n) {
		conn_fail(c, DZ_ENOMEM, "out of memory");
		return;
	}
	advance(c);
}

static int
reading_start(struct conn *c)
{
	int rc;

	if (c->reading)
		return 0;
	rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (rc != 0) {
		conn_fail(c, DZ_EIO, "read: %s", uv_strerror(rc));
		return -1;
	}
	c->reading = 1;
	return 0;
}

static void
reading_stop(struct conn *c)
{
	if (c->reading)
		uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = 0;
}

static void
handshake_done(struct conn *c)
{
	char want[IDENT_HEXBYTES], got[IDENT_HEXBYTES];
	struct dz_errmsg em;
	int rc;

	rc = tls_peer_check(c->ssl, c->peer, &em);
	if (rc != 0) {
		conn_fail(c, rc, "%s", em.text);
		return;
	}
	if (c->have_expected &&
	    memcmp(c->peer, c->expected, IDENT_PKBYTES) != 0) {
		conn_fail(c, DZ_EAUTH,
		    "server key mismatch: expected %s, got %s",
		    ident_pk_hex(c->expected, want), ident_pk_hex(c->peer, got));
		return;
	}
	c->have_peer = 1;
	c->st = CONN_OPEN;
	c->tkind = CONN_T_NONE;
	uv_timer_stop(&c->timer);
	if (c->cbs.on_peer != NULL) {
		rc = c->cbs.on_peer(c->cbs.arg, c, c->peer);
		if (rc != 0)
			conn_fail(c, rc, "peer key %s refused",
			    ident_pk_hex(c->peer, got));
	}
}

static void
frame_error(struct conn *c, int rc)
{
	uint32_t len = le32_get(c->dec.hdr);

	if (rc == DZ_ERANGE)
		conn_fail(c, rc, "frame length %u is over the limit of %u",
		    len, c->dec.max);
	else if (rc == DZ_EFORMAT)
		conn_fail(c, rc, "malformed frame: length %u", len);
	else
		conn_fail(c, rc, "cannot receive a frame: %s",
		    dz_strerror(rc));
}

/* Decrypt and deliver frames until the TLS input runs dry or we pause. */
static void
pump_read(struct conn *c)
{
	struct frame f;
	size_t used;
	int n, rc;

	while (c->st == CONN_OPEN) {
		if (c->srv != NULL &&
		    c->sq_bytes + c->inflight > c->lim.sendq_high) {
			c->paused = 1;
			reading_stop(c);
			return;
		}
		if (c->pt_off < c->pt_len) {
			rc = frame_dec_feed(&c->dec, c->pt + c->pt_off,
			    c->pt_len - c->pt_off, &used, &f);
			c->pt_off += used;
			if (rc < 0) {
				frame_error(c, rc);
				return;
			}
			if (rc == 1) {
				c->cbs.on_frame(c->cbs.arg, c, &f);
				frame_free(&f);
			}
			continue;
		}
		n = SSL_read(c->ssl, c->pt, sizeof(c->pt));
		if (n > 0) {
			c->pt_off = 0;
			c->pt_len = (size_t)n;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_READ:
			return;
		case SSL_ERROR_ZERO_RETURN:
			if (frame_dec_busy(&c->dec))
				conn_fail(c, DZ_ETRUNC,
				    "connection closed in the middle of a frame");
			else
				conn_fail(c, 0, "connection closed by the peer");
			return;
		default:
			conn_fail_tls(c, "TLS");
			return;
		}
	}
}

/* ---- writing ---- */

static void
on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct conn *c = w->c;

	c->inflight -= w->len;
	free(w);
	if (c->st == CONN_DEAD)
		return;
	if (status < 0) {
		conn_fail(c, DZ_EIO, "write: %s", uv_strerror(status));
		return;
	}
	if (c->inflight > 0 && c->lim.write_ms > 0)
		uv_timer_start(&c->wtimer, on_wtimer, c->lim.write_ms, 0);
	else
		uv_timer_stop(&c->wtimer);
	if (c->paused && c->sq_bytes + c->inflight < c->lim.sendq_low) {
		c->paused = 0;
		if (reading_start(c) != 0)
			return;
		advance(c);
	} else {
		pump_write(c);
	}
	if (c->st == CONN_OPEN && c->sq_head == NULL && c->inflight == 0 &&
	    c->cbs.on_drain != NULL)
		c->cbs.on_drain(c->cbs.arg, c);
}

/* Move all pending ciphertext to the socket. 0, or -1 if c failed. */
static int
flush(struct conn *c)
{
	size_t n = BIO_ctrl_pending(c->wbio);
	struct wreq *w;
	uv_buf_t b;
	int rc;

	if (n == 0)
		return 0;
	w = malloc(sizeof(*w) + n);
	if (w == NULL) {
		conn_fail(c, DZ_ENOMEM, "out of memory");
		return -1;
	}
	if (BIO_read(c->wbio, w->data, (int)n) != (int)n) {
		free(w);
		conn_fail(c, DZ_ENOMEM, "cannot drain the TLS output");
		return -1;
	}
	w->c = c;
	w->len = n;
	b = uv_buf_init((char *)w->data, (unsigned)n);
	rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
	if (rc != 0) {
		free(w);
		conn_fail(c, DZ_EIO, "write: %s", uv_strerror(rc));
		return -1;
	}
	if (c->inflight == 0 && c->lim.write_ms > 0)
		uv_timer_start(&c->wtimer, on_wtimer, c->lim.write_ms, 0);
	c->inflight += n;
	return 0;
}

static int
ssl_write(struct conn *c, const uint8_t *p, size_t n)
{
	/* a memory BIO takes everything: anything short is an error */
	if (SSL_write(c->ssl, p, (int)n) != (int)n) {
		conn_fail_tls(c, "TLS write");
		return -1;
	}
	return 0;
}

/* The head item was fully encrypted or staged: release it. */
static void
item_done(struct conn *c)
{
	struct conn_item *it = c->sq_head;

	c->sq_head = it->next;
	if (c->sq_head == NULL)
		c->sq_tail = NULL;
	if (it->release != NULL)
		it->release(it->rarg);
	free(it);
}

/* Copy queued bytes into stage, up to one record. Returns the count. */
static size_t
stage_fill(struct conn *c)
{
	struct conn_item *it;
	size_t n = 0, take;

	while ((it = c->sq_head) != NULL && n < sizeof(c->stage)) {
		if (it->hdr_off < it->hdr_len) {
			take = it->hdr_len - it->hdr_off;
			if (take > sizeof(c->stage) - n)
				take = sizeof(c->stage) - n;
			memcpy(c->stage + n, it->hdr + it->hdr_off, take);
			it->hdr_off += take;
			n += take;
			c->sq_bytes -= take;
			continue;
		}
		take = it->len - it->off;
		if (take > sizeof(c->stage) - n)
			take = sizeof(c->stage) - n;
		if (take > 0)
			memcpy(c->stage + n, it->body + it->off, take);
		it->off += take;
		n += take;
		c->sq_bytes -= take;
		if (it->off < it->len)
			break;
		item_done(c);
	}
	return n;
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;

	(void)status;
	conn_fail(c, 0, "connection closed");
}

static void
start_shutdown(struct conn *c)
{
	int rc;

	c->shut_sent = 1;
	(void)SSL_shutdown(c->ssl); /* queues close_notify */
	ERR_clear_error();
	if (flush(c) != 0)
		return;
	rc = uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp,
	    on_shutdown);
	if (rc != 0)
		conn_fail(c, 0, "connection closed");
}

static void
pump_write(struct conn *c)
{
	struct conn_item *it;
	size_t n;

	if (c->st != CONN_OPEN && c->st != CONN_CLOSING)
		return;
	while ((it = c->sq_head) != NULL && c->inflight < WRITE_HIGH) {
		if (it->hdr_off == it->hdr_len &&
		    it->len - it->off >= sizeof(c->stage)) {
			/* a large body: encrypt it where it lies */
			n = it->len - it->off;
			if (n > DIRECT_CHUNK)
				n = DIRECT_CHUNK;
			if (ssl_write(c, it->body + it->off, n) != 0)
				return;
			it->off += n;
			c->sq_bytes -= n;
			if (it->off == it->len)
				item_done(c);
		} else {
			n = stage_fill(c);
			if (ssl_write(c, c->stage, n) != 0)
				return;
		}
		if (BIO_ctrl_pending(c->wbio) >= FLUSH_CHUNK && flush(c) != 0)
			return;
	}
	if (flush(c) != 0)
		return;
	if (c->st == CONN_CLOSING && c->sq_head == NULL && !c->shut_sent)
		start_shutdown(c);
}

/* ---- driving ---- */

static void
handshake_step(struct conn *c)
{
	int r = SSL_do_handshake(c->ssl);

	if (r == 1) {
		handshake_done(c);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return;
	default:
		conn_fail_tls(c, "TLS handshake");
	}
}

/* React to whatever arrived: handshake, frames, then send what is due. */
static void
advance(struct conn *c)
{
	if (c->st == CONN_HANDSHAKE) {
		handshake_step(c);
		if (c->st == CONN_HANDSHAKE)
			(void)flush(c);
	}
	if (c->st == CONN_OPEN)
		pump_read(c);
	pump_write(c);
	timers_update(c);
}

static void
on_connected(uv_connect_t *req, int status)
{
	struct conn *c = req->data;

	if (c->st == CONN_DEAD)
		return;
	if (status < 0) {
		conn_fail(c, DZ_EIO, "cannot connect: %s", uv_strerror(status));
		return;
	}
	(void)uv_tcp_nodelay(&c->tcp, 1);
	c->st = CONN_HANDSHAKE;
	if (reading_start(c) != 0)
		return;
	advance(c);
}

int
conn_connect(uv_loop_t *loop, struct tls_ctx *tls, const char *addr,
    const uint8_t *expected_pk, const struct conn_limits *lim,
    const struct conn_cbs *cbs, struct conn **out, struct dz_errmsg *em)
{
	struct sockaddr_storage sa;
	struct conn *c;
	int rc;

	*out = NULL;
	if (tls_ctx_role(tls) != TLS_ROLE_CLIENT)
		return dz_errf(em, DZ_EINVAL, "not a client TLS context");
	rc = netaddr_parse(addr, 0, &sa, em);
	if (rc != 0)
		return rc;
	rc = conn_new(loop, tls, lim, cbs, &c);
	if (rc != 0)
		return dz_errf(em, rc, "%s: out of memory", addr);
	(void)netaddr_format((struct sockaddr *)&sa, c->addr, sizeof(c->addr));
	if (expected_pk != NULL) {
		c->have_expected = 1;
		memcpy(c->expected, expected_pk, IDENT_PKBYTES);
	}
	c->st = CONN_CONNECTING;
	arm(c, CONN_T_HANDSHAKE, c->lim.handshake_ms);
	rc = uv_tcp_connect(&c->connect, &c->tcp, (struct sockaddr *)&sa,
	    on_connected);
	if (rc != 0)
		conn_fail(c, DZ_EIO, "cannot connect: %s", uv_strerror(rc));
	*out = c;
	return 0;
}

int
conn_accept_(struct netsrv *srv, uv_stream_t *listener, uv_loop_t *loop,
    struct tls_ctx *tls, const struct conn_limits *lim,
    const struct conn_cbs *cbs, struct conn **out)
{
	struct sockaddr_storage sa;
	int len = sizeof(sa), rc;
	struct conn *c;

	rc = conn_new(loop, tls, lim, cbs, &c);
	if (rc != 0)
		return rc;
	c->srv = srv;
	*out = c;
	c->st = CONN_HANDSHAKE;
	arm(c, CONN_T_HANDSHAKE, c->lim.handshake_ms);
	rc = uv_accept(listener, (uv_stream_t *)&c->tcp);
	if (rc != 0) {
		conn_fail(c, DZ_EIO, "accept: %s", uv_strerror(rc));
		return 0;
	}
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &len) == 0)
		(void)netaddr_format((struct sockaddr *)&sa, c->addr,
		    sizeof(c->addr));
	(void)uv_tcp_nodelay(&c->tcp, 1);
	(void)reading_start(c);
	return 0;
}

/* ---- the rest of the API ---- */

static void
enqueue(struct conn *c, struct conn_item *it)
{
	if (c->sq_tail != NULL)
		c->sq_tail->next = it;
	else
		c->sq_head = it;
	c->sq_tail = it;
	c->sq_bytes += it->hdr_len + it->len;
	/* a frame going out is activity: the idle deadline starts over */
	if (c->tkind == CONN_T_IDLE)
		c->tkind = CONN_T_NONE;
	if (c->st == CONN_OPEN) {
		pump_write(c);
		timers_update(c);
	}
}

int
conn_send_pre(struct conn *c, uint16_t type, uint32_t reqid,
    const void *prefix, size_t plen, const void *body, size_t len,
    void (*release)(void *rarg), void *rarg)
{
	struct conn_item *it;
	int rc;

	if (!conn_is_open(c))
		return DZ_EIO;
	if ((len > 0 && body == NULL) || (plen > 0 && prefix == NULL) ||
	    plen > CONN_PREFIX_MAX)
		return DZ_EINVAL;
	if (len > FRAME_MAXBODY - plen)
		return DZ_ERANGE;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return DZ_ENOMEM;
	rc = frame_hdr_encode(it->hdr, type, reqid, plen + len);
	if (rc != 0) {
		free(it);
		return rc;
	}
	if (plen > 0)
		memcpy(it->hdr + FRAME_HDRBYTES, prefix, plen);
	it->hdr_len = FRAME_HDRBYTES + plen;
	it->body = body;
	it->len = len;
	it->release = release;
	it->rarg = rarg;
	enqueue(c, it);
	return 0;
}

int
conn_send_ref(struct conn *c, uint16_t type, uint32_t reqid,
    const void *body, size_t len, void (*release)(void *rarg), void *rarg)
{
	return conn_send_pre(c, type, reqid, NULL, 0, body, len, release, rarg);
}

int
conn_send(struct conn *c, uint16_t type, uint32_t reqid, const void *body,
    size_t len)
{
	struct conn_item *it;
	int rc;

	if (!conn_is_open(c))
		return DZ_EIO;
	if (len > FRAME_MAXBODY)
		return DZ_ERANGE;
	if (len > 0 && body == NULL)
		return DZ_EINVAL;
	it = malloc(sizeof(*it) + len);
	if (it == NULL)
		return DZ_ENOMEM;
	memset(it, 0, sizeof(*it));
	rc = frame_hdr_encode(it->hdr, type, reqid, len);
	if (rc != 0) {
		free(it);
		return rc;
	}
	if (len > 0)
		memcpy(it->owned, body, len);
	it->hdr_len = FRAME_HDRBYTES;
	it->body = it->owned;
	it->len = len;
	enqueue(c, it);
	return 0;
}

void
conn_close(struct conn *c)
{
	if (c->st == CONN_DEAD || c->st == CONN_CLOSING)
		return;
	if (c->st != CONN_OPEN) {
		conn_fail(c, 0, "closed before the handshake ended");
		return;
	}
	c->st = CONN_CLOSING;
	reading_stop(c);
	uv_timer_stop(&c->timer);
	c->tkind = CONN_T_NONE;
	pump_write(c);
}

void
conn_abort(struct conn *c, int err, const char *why)
{
	conn_fail(c, err, "%s", why != NULL ? why : "closed");
}

const uint8_t *
conn_peer_pk(const struct conn *c)
{
	return c->have_peer ? c->peer : NULL;
}

const char *
conn_peer_addr(const struct conn *c)
{
	return c->addr;
}

int
conn_is_open(const struct conn *c)
{
	return c->st == CONN_CONNECTING || c->st == CONN_HANDSHAKE ||
	    c->st == CONN_OPEN;
}

size_t
conn_queued(const struct conn *c)
{
	return c->sq_bytes + c->inflight;
}

void
conn_set_udata(struct conn *c, void *udata)
{
	c->udata = udata;
}

void *
conn_udata(const struct conn *c)
{
	return c->udata;
}
