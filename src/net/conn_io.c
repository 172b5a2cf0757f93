/*
 * conn_io: the data path of a connection: libuv TCP below, OpenSSL on two
 * memory BIOs in the middle, frames above. Lifetime, deadlines and the
 * public API are conn.c's; this file only moves bytes and reports what
 * went wrong through conn_fail_.
 *
 * Reading: socket -> scratch rbuf -> rbio -> SSL_read -> pt -> frame
 * decoder -> on_frame. Writing: conn_send queues frames; pump_write stages
 * small pieces (headers, short bodies: several frames share one TLS
 * record) or encrypts large bodies straight from the caller's memory, and
 * moves the ciphertext from wbio to the socket in chunks of up to 256 KiB,
 * keeping at most 1 MiB in flight so that memory stays bounded when the
 * peer is slow.
 *
 * Backpressure on servers: while a server connection has more than
 * sendq_high bytes queued for a peer, it stops decoding and reading that
 * peer's requests (TCP then slows the peer down) and resumes below
 * sendq_low; the owner may also hold a connection (conn_hold) while the
 * replies it is preparing for it are not yet queued. Clients never stop
 * reading: that, and servers only writing in answer to reading, is what
 * rules out two sides waiting on each other.
 *
 * Error codes: a TCP connect that fails, or a handshake that ends (EOF,
 * reset, deadline) before the server sent a single byte, is DZ_ECONNECT
 * (nothing answered: "cannot reach"); a server key other than the one
 * expected is DZ_EPEERKEY, with the key that answered kept for
 * conn_peer_pk; other TLS failures are DZ_EAUTH.
 */
#include "net/conn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "core/cursor.h"

#define WRITE_HIGH (1024u * 1024)   /* ciphertext in flight, at most */
#define FLUSH_CHUNK (256u * 1024)   /* ciphertext per uv_write, about */
#define DIRECT_CHUNK (256u * 1024)  /* body bytes per direct SSL_write */

struct wreq {
	uv_write_t req;
	struct conn *c;
	size_t len;
	uint8_t data[];
};

/* A TLS failure: OpenSSL's reason goes into the message. */
static void
conn_fail_tls(struct conn *c, const char *what)
{
	struct dz_errmsg em;

	tls_errf(&em, DZ_EAUTH, c->ssl, what);
	conn_fail_(c, DZ_EAUTH, "%s", em.text);
}

/* A client's handshake that never heard the server is a failure to
 * reach it, whatever ended it. */
static int
hs_code(const struct conn *c, int code)
{
	return c->srv == NULL && c->rx == 0 ? DZ_ECONNECT : code;
}

/* ---- reading ---- */

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)hint;
	buf->base = (char *)c->scratch->rbuf;
	buf->len = sizeof(c->scratch->rbuf);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	(void)buf;
	if (c->st == CONN_DEAD || n == 0)
		return;
	if (c->st == CONN_HANDSHAKE && n < 0)
		c->hs_cut = 1;
	if (n == UV_EOF) {
		if (c->st == CONN_HANDSHAKE) /* no alert: not a refusal */
			conn_fail_(c, hs_code(c, DZ_EIO),
			    "connection closed during the TLS handshake");
		else if (frame_dec_busy(&c->dec))
			conn_fail_(c, DZ_ETRUNC,
			    "connection closed in the middle of a frame");
		else
			conn_fail_(c, 0, "connection closed by the peer");
		return;
	}
	if (n < 0) {
		conn_fail_(c, c->st == CONN_HANDSHAKE ? hs_code(c, DZ_EIO) :
		    DZ_EIO, "read: %s", uv_strerror((int)n));
		return;
	}
	c->rx += (uint64_t)n;
	if (BIO_write(c->rbio, c->scratch->rbuf, (int)n) != (int)n) {
		conn_fail_(c, DZ_ENOMEM, "out of memory");
		return;
	}
	if (c->rx_rl != NULL)
		conn_pace_rx_(c, (size_t)n);
	conn_advance_(c);
}

int
conn_reading_start_(struct conn *c)
{
	int rc;

	if (c->reading || c->rx_paced) /* pacing resumes it (conn_pace.c) */
		return 0;
	rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (rc != 0) {
		conn_fail_(c, DZ_EIO, "read: %s", uv_strerror(rc));
		return -1;
	}
	c->reading = 1;
	return 0;
}

void
conn_reading_stop_(struct conn *c)
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
		conn_fail_(c, rc, "%s", em.text);
		return;
	}
	c->peer_seen = 1;
	if (c->have_expected &&
	    memcmp(c->peer, c->expected, IDENT_PKBYTES) != 0) {
		conn_fail_(c, DZ_EPEERKEY,
		    "server key mismatch: expected %s, got %s",
		    ident_pk_hex(c->expected, want), ident_pk_hex(c->peer, got));
		return;
	}
	c->have_peer = 1;
	c->st = CONN_OPEN;
	if (c->srv != NULL && c->uq == CONN_Q_TLS)
		netsrv_conn_step_(c->srv, c, CONN_Q_FRAME);
	/* a server connection keeps its proof deadline until a first frame */
	if (c->tkind != CONN_T_PROOF) {
		c->tkind = CONN_T_NONE;
		uv_timer_stop(&c->timer);
	}
	if (c->cbs.on_peer != NULL) {
		rc = c->cbs.on_peer(c->cbs.arg, c, c->peer);
		if (rc != 0)
			conn_fail_(c, rc, "peer key %s refused",
			    ident_pk_hex(c->peer, got));
	}
}

static void
frame_error(struct conn *c, int rc)
{
	uint32_t len = le32_get(c->dec.hdr);

	if (rc == DZ_ERANGE)
		conn_fail_(c, rc, "frame length %u is over the limit of %u",
		    len, c->dec.max);
	else if (rc == DZ_EFORMAT)
		conn_fail_(c, rc, "malformed frame: length %u", len);
	else
		conn_fail_(c, rc, "cannot receive a frame: %s",
		    dz_strerror(rc));
}

/* One frame came out of the decoder: the first proves the connection. */
static void
deliver(struct conn *c, struct frame *f)
{
	if (c->srv != NULL && c->uq != CONN_Q_NONE) {
		netsrv_conn_step_(c->srv, c, CONN_Q_NONE);
		c->tkind = CONN_T_NONE;
		uv_timer_stop(&c->timer);
	}
	c->cbs.on_frame(c->cbs.arg, c, f);
	frame_free(f);
}

/* Decrypt and deliver frames until the TLS input runs dry or we pause. */
static void
pump_read(struct conn *c)
{
	struct frame f;
	size_t used;
	int n, rc;

	while (c->st == CONN_OPEN) {
		if (c->held || (c->srv != NULL &&
		    c->sq_bytes + c->inflight > c->lim.sendq_high)) {
			c->paused = 1;
			conn_reading_stop_(c);
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
			if (rc == 1)
				deliver(c, &f);
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
				conn_fail_(c, DZ_ETRUNC,
				    "connection closed in the middle of a frame");
			else
				conn_fail_(c, 0, "connection closed by the peer");
			return;
		default:
			conn_fail_tls(c, "TLS");
			return;
		}
	}
}

/* ---- writing ---- */

static void on_wtimer(uv_timer_t *t);

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
		conn_fail_(c, DZ_EIO, "write: %s", uv_strerror(status));
		return;
	}
	if (c->inflight > 0 && c->lim.write_ms > 0)
		uv_timer_start(&c->wtimer, on_wtimer, c->lim.write_ms, 0);
	else
		uv_timer_stop(&c->wtimer);
	if (c->paused && !c->held &&
	    c->sq_bytes + c->inflight < c->lim.sendq_low) {
		c->paused = 0;
		if (conn_reading_start_(c) != 0)
			return;
		conn_advance_(c);
	} else {
		conn_pump_write_(c);
	}
	if (c->st == CONN_OPEN && c->sq_head == NULL && c->inflight == 0 &&
	    c->cbs.on_drain != NULL)
		c->cbs.on_drain(c->cbs.arg, c);
}

static void
on_wtimer(uv_timer_t *t)
{
	struct conn *c = t->data;

	conn_fail_(c, DZ_EIO, "peer read nothing for %u ms", c->lim.write_ms);
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
		conn_fail_(c, DZ_ENOMEM, "out of memory");
		return -1;
	}
	if (BIO_read(c->wbio, w->data, (int)n) != (int)n) {
		free(w);
		conn_fail_(c, DZ_ENOMEM, "cannot drain the TLS output");
		return -1;
	}
	w->c = c;
	w->len = n;
	b = uv_buf_init((char *)w->data, (unsigned)n);
	rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
	if (rc != 0) {
		free(w);
		conn_fail_(c, DZ_EIO, "write: %s", uv_strerror(rc));
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

/* Copy queued bytes into the stage, up to one record. Returns the count. */
static size_t
stage_fill(struct conn *c)
{
	uint8_t *stage = c->scratch->stage;
	struct conn_item *it;
	size_t n = 0, take;

	while ((it = c->sq_head) != NULL && n < CONN_PTBUF) {
		if (it->hdr_off < it->hdr_len) {
			take = it->hdr_len - it->hdr_off;
			if (take > CONN_PTBUF - n)
				take = CONN_PTBUF - n;
			memcpy(stage + n, it->hdr + it->hdr_off, take);
			it->hdr_off += take;
			n += take;
			c->sq_bytes -= take;
			continue;
		}
		take = it->len - it->off;
		if (take > CONN_PTBUF - n)
			take = CONN_PTBUF - n;
		if (take > 0)
			memcpy(stage + n, it->body + it->off, take);
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
	conn_fail_(c, 0, "connection closed");
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
		conn_fail_(c, 0, "connection closed");
}

void
conn_pump_write_(struct conn *c)
{
	struct conn_item *it;
	size_t n, room;

	if (c->st != CONN_OPEN && c->st != CONN_CLOSING)
		return;
	while ((it = c->sq_head) != NULL && c->inflight < WRITE_HIGH &&
	    (room = conn_pace_tx_room_(c)) > 0) {
		if (it->hdr_off == it->hdr_len &&
		    it->len - it->off >= CONN_PTBUF) {
			/* a large body: encrypt it where it lies */
			n = it->len - it->off;
			if (n > DIRECT_CHUNK)
				n = DIRECT_CHUNK;
			if (n > room) /* paced: what the bucket allows */
				n = room < CONN_PTBUF ? CONN_PTBUF : room;
			if (ssl_write(c, it->body + it->off, n) != 0)
				return;
			it->off += n;
			c->sq_bytes -= n;
			if (it->off == it->len)
				item_done(c);
		} else {
			n = stage_fill(c);
			if (ssl_write(c, c->scratch->stage, n) != 0)
				return;
		}
		conn_pace_tx_charge_(c, n);
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

void
conn_advance_(struct conn *c)
{
	if (c->st == CONN_HANDSHAKE) {
		handshake_step(c);
		if (c->st == CONN_HANDSHAKE)
			(void)flush(c);
	}
	if (c->st == CONN_OPEN)
		pump_read(c);
	conn_pump_write_(c);
	conn_timers_update_(c);
}

void
conn_on_connected_(uv_connect_t *req, int status)
{
	struct conn *c = req->data;

	if (c->st == CONN_DEAD)
		return;
	if (status < 0) {
		conn_fail_(c, DZ_ECONNECT, "cannot connect: %s",
		    uv_strerror(status));
		return;
	}
	(void)uv_tcp_nodelay(&c->tcp, 1);
	c->st = CONN_HANDSHAKE;
	if (conn_reading_start_(c) != 0)
		return;
	conn_advance_(c);
}
