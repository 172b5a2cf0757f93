/*
 * conn: a connection's lifetime, its deadlines, its send queue and the
 * public API; the bytes themselves move in conn_io.c.
 *
 * Deadlines: one timer for the read side (the handshake -- for a server
 * connection, the handshake and a first frame together, the "proof" --
 * then either the frame being received or idleness), one for the write
 * side (no progress of queued ciphertext into the socket, conn_io.c).
 * Each firing ends the connection. While reading is paused (by
 * backpressure or conn_hold) the read deadlines are suspended: the wait
 * is ours. The read timer also carries conn_unhold's resumption to the
 * next loop turn, so that an owner may unhold from inside any callback.
 *
 * Lifetime: a connection ends through conn_fail_, which closes its four
 * handles (the fourth is the pacing timer, conn_pace.c); when the last close callback runs, on_close is called and the
 * memory freed. Nothing is freed inside a callback's caller, so user
 * callbacks may close connections freely.
 */
#include "net/conn_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#define ALERT_MAX 512               /* last words sent when failing */

void
conn_limits_default(struct conn_limits *l)
{
	l->max_conns = 4096;
	l->max_unproven = 512;
	l->max_frame = FRAME_MAX;
	l->handshake_ms = 10000;
	l->proof_ms = 5000;
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
	free(c->own_scratch);
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

void
conn_fail_(struct conn *c, int err, const char *fmt, ...)
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
	if (c->srv != NULL) /* its slot and descriptor are free now */
		netsrv_conn_step_(c->srv, c, CONN_Q_NONE);
	while ((it = c->sq_head) != NULL) {
		c->sq_head = it->next;
		if (it->release != NULL)
			it->release(it->rarg);
		free(it);
	}
	c->sq_tail = NULL;
	c->sq_bytes = 0;
	/* the socket's descriptor is closed here, at once (libuv closes a
	 * stream's fd inside uv_close): an evicted connection frees its
	 * slot before the next accept */
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->wtimer, on_handle_closed);
	uv_close((uv_handle_t *)&c->ptimer, on_handle_closed);
}

static void
resume(struct conn *c)
{
	/* pump_read pauses again at once if the queue is still too long */
	if (c->st != CONN_OPEN || !c->paused || c->held)
		return;
	c->paused = 0;
	if (conn_reading_start_(c) != 0)
		return;
	conn_advance_(c);
}

static void
on_timer(uv_timer_t *t)
{
	struct conn *c = t->data;
	enum conn_timer kind = c->tkind;

	c->tkind = CONN_T_NONE;
	switch (kind) {
	case CONN_T_HANDSHAKE:
		if (c->st == CONN_CONNECTING || c->rx == 0)
			conn_fail_(c, c->srv == NULL ? DZ_ECONNECT : DZ_EIO,
			    "%s not done within %u ms",
			    c->st == CONN_CONNECTING ? "TCP connect" :
			    "TLS handshake", c->lim.handshake_ms);
		else
			conn_fail_(c, DZ_EIO, "TLS handshake not done within %u ms",
			    c->lim.handshake_ms);
		break;
	case CONN_T_PROOF:
		conn_fail_(c, DZ_EIO, "no TLS handshake and first frame within "
		    "%u ms", c->lim.proof_ms);
		break;
	case CONN_T_FRAME:
		conn_fail_(c, DZ_EIO, "frame not complete within %u ms",
		    c->lim.frame_ms);
		break;
	case CONN_T_IDLE:
		conn_fail_(c, 0, "idle for %u ms", c->lim.idle_ms);
		break;
	case CONN_T_RESUME:
		resume(c);
		conn_timers_update_(c);
		break;
	case CONN_T_NONE:
		break;
	}
}

void
conn_arm_(struct conn *c, enum conn_timer kind, unsigned ms)
{
	c->tkind = kind;
	c->tframe = c->dec.nframes;
	if (ms == 0 && kind != CONN_T_RESUME)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, ms, 0);
}

void
conn_timers_update_(struct conn *c)
{
	/* the proof deadline stands until the first frame; a resumption
	 * due on the next turn picks the deadline itself */
	if (c->st != CONN_OPEN || c->tkind == CONN_T_PROOF ||
	    c->tkind == CONN_T_RESUME)
		return;
	if (c->paused || c->rx_paced) { /* the wait is ours */
		if (c->tkind != CONN_T_NONE) {
			uv_timer_stop(&c->timer);
			c->tkind = CONN_T_NONE;
		}
		return;
	}
	if (frame_dec_busy(&c->dec)) {
		if (c->tkind != CONN_T_FRAME || c->tframe != c->dec.nframes)
			conn_arm_(c, CONN_T_FRAME, c->lim.frame_ms);
	} else if (c->tkind != CONN_T_IDLE || c->tframe != c->dec.nframes) {
		conn_arm_(c, CONN_T_IDLE, c->lim.idle_ms);
	}
}

int
conn_new_(uv_loop_t *loop, struct tls_ctx *tls, const struct conn_limits *lim,
    const struct conn_cbs *cbs, struct conn_scratch *scratch,
    struct conn **out)
{
	struct conn *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return DZ_ENOMEM;
	if (scratch == NULL &&
	    (scratch = c->own_scratch = malloc(sizeof(*scratch))) == NULL) {
		free(c);
		return DZ_ENOMEM;
	}
	c->scratch = scratch;
	c->loop = loop;
	c->uq = CONN_Q_NONE;
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
		free(c->own_scratch);
		free(c);
		ERR_clear_error();
		return DZ_ENOMEM;
	}
	/* an empty rbio means "wait for more", not end of stream */
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	if (uv_tcp_init(loop, &c->tcp) != 0) {
		SSL_free(c->ssl);
		free(c->own_scratch);
		free(c);
		return DZ_ENOMEM;
	}
	uv_timer_init(loop, &c->timer);
	uv_timer_init(loop, &c->wtimer);
	uv_timer_init(loop, &c->ptimer);
	c->handles = 4;
	c->tcp.data = c->timer.data = c->wtimer.data = c->ptimer.data = c;
	c->connect.data = c->shutdown.data = c;
	c->tls = tls_ctx_ref(tls);
	frame_dec_init(&c->dec, c->lim.max_frame);
	*out = c;
	return 0;
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
	rc = conn_new_(loop, tls, lim, cbs, NULL, &c);
	if (rc != 0)
		return dz_errf(em, rc, "%s: out of memory", addr);
	(void)netaddr_format((struct sockaddr *)&sa, c->addr, sizeof(c->addr));
	if (expected_pk != NULL) {
		c->have_expected = 1;
		memcpy(c->expected, expected_pk, IDENT_PKBYTES);
	}
	c->st = CONN_CONNECTING;
	conn_arm_(c, CONN_T_HANDSHAKE, c->lim.handshake_ms);
	rc = uv_tcp_connect(&c->connect, &c->tcp, (struct sockaddr *)&sa,
	    conn_on_connected_);
	if (rc != 0)
		conn_fail_(c, DZ_ECONNECT, "cannot connect: %s",
		    uv_strerror(rc));
	*out = c;
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
		conn_pump_write_(c);
		conn_timers_update_(c);
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
		conn_fail_(c, 0, "closed before the handshake ended");
		return;
	}
	c->st = CONN_CLOSING;
	conn_reading_stop_(c);
	uv_timer_stop(&c->timer);
	c->tkind = CONN_T_NONE;
	conn_pump_write_(c);
}

void
conn_abort(struct conn *c, int err, const char *why)
{
	conn_fail_(c, err, "%s", why != NULL ? why : "closed");
}

const uint8_t *
conn_peer_pk(const struct conn *c)
{
	return c->peer_seen ? c->peer : NULL;
}

const char *
conn_peer_addr(const struct conn *c)
{
	return c->addr;
}

int
conn_handshake_cut(const struct conn *c)
{
	return c->hs_cut;
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

void
conn_hold(struct conn *c)
{
	c->held = 1;
}

void
conn_unhold(struct conn *c)
{
	if (!c->held)
		return;
	c->held = 0;
	if (c->st == CONN_OPEN && c->paused)
		conn_arm_(c, CONN_T_RESUME, 0);
}
