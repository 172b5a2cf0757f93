/*
 * conn_int: the inside of struct conn, shared by conn.c and netsrv.c only.
 * Nothing outside src/net/ may include this file.
 */
#ifndef DZ_CONN_INT_H
#define DZ_CONN_INT_H

#include "net/conn.h"
#include "net/netaddr.h"

struct netsrv;

#define CONN_RBUF (64u * 1024)   /* ciphertext read from the socket at once */
#define CONN_PTBUF (16u * 1024)  /* plaintext: one TLS record */

enum conn_state {
	CONN_CONNECTING = 1, /* client: TCP connect under way */
	CONN_HANDSHAKE,      /* TLS handshake under way */
	CONN_OPEN,           /* frames flow */
	CONN_CLOSING,        /* conn_close: flushing, then close_notify */
	CONN_DEAD,           /* handles closing; on_close comes next */
};

enum conn_timer {
	CONN_T_NONE = 0,
	CONN_T_HANDSHAKE,
	CONN_T_FRAME,
	CONN_T_IDLE,
};

/* A queued frame: header, then body (borrowed or in owned[]). */
struct conn_item {
	struct conn_item *next;
	/* the frame header, then a small copied prefix of the body (see
	 * conn_send_pre): hdr_len bytes in all */
	uint8_t hdr[FRAME_HDRBYTES + CONN_PREFIX_MAX];
	size_t hdr_len, hdr_off;
	const uint8_t *body;
	size_t len, off;
	void (*release)(void *rarg);
	void *rarg;
	uint8_t owned[];
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;      /* read side: handshake, frame, idle */
	uv_timer_t wtimer;     /* write side: progress into the socket */
	uv_connect_t connect;
	uv_shutdown_t shutdown;
	uv_loop_t *loop;
	int handles;           /* handles not yet closed */
	enum conn_state st;
	struct tls_ctx *tls;
	SSL *ssl;
	BIO *rbio, *wbio;      /* socket -> TLS, TLS -> socket */
	struct conn_limits lim;
	struct conn_cbs cbs;
	void *udata;

	struct netsrv *srv;    /* server connections: their server */
	struct conn *prev, *next;

	int have_expected, have_peer;
	uint8_t expected[IDENT_PKBYTES];
	uint8_t peer[IDENT_PKBYTES];
	char addr[NETADDR_STRMAX];

	/* reading */
	struct frame_dec dec;
	int reading, paused;
	size_t pt_off, pt_len;
	enum conn_timer tkind;
	uint64_t tframe;       /* dec.nframes when the timer was set */

	/* writing */
	struct conn_item *sq_head, *sq_tail;
	size_t sq_bytes;       /* plaintext bytes queued */
	size_t inflight;       /* ciphertext bytes handed to uv_write */
	int shut_sent;

	int err;
	char msg[DZ_ERRMSG_MAX];

	uint8_t rbuf[CONN_RBUF];
	uint8_t pt[CONN_PTBUF];
	uint8_t stage[CONN_PTBUF];
};

/* conn_accept_: accept one pending connection of listener into a new
 * server connection of srv. 0 or a dz_err (nothing accepted then). */
int conn_accept_(struct netsrv *srv, uv_stream_t *listener, uv_loop_t *loop,
    struct tls_ctx *tls, const struct conn_limits *lim,
    const struct conn_cbs *cbs, struct conn **out);

/* netsrv_conn_gone_: called by conn.c just before a server connection's
 * on_close, so the server drops it from its list. */
void netsrv_conn_gone_(struct netsrv *srv, struct conn *c);

#endif
