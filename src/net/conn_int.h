/*
 * conn_int: the inside of struct conn, shared by the three files of the
 * connection engine only: conn.c (lifetime, deadlines, the send queue and
 * the public API), conn_io.c (moving bytes: socket, memory BIOs, TLS,
 * frames) and netsrv.c (the listener and its limits). Nothing outside
 * src/net/ may include this file.
 */
#ifndef DZ_CONN_INT_H
#define DZ_CONN_INT_H

#include "net/conn.h"
#include "net/netaddr.h"
#include "net/ratelimit.h"

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
	CONN_T_PROOF,        /* server: handshake and first frame, in all */
	CONN_T_FRAME,
	CONN_T_IDLE,
	CONN_T_RESUME,       /* conn_unhold: resume reading on the next turn */
};

/* Where a server connection stands in its server's unproven queues. */
enum conn_queue {
	CONN_Q_NONE = -1,    /* proven, dead, or a client connection */
	CONN_Q_TLS = 0,      /* TLS handshake not done */
	CONN_Q_FRAME = 1,    /* handshake done, no frame yet */
};

/*
 * Scratch buffers used only synchronously inside one callback (the read
 * buffer between libuv and the read BIO, the staging buffer of a TLS
 * record): every server connection of a loop shares its server's, so
 * that thousands of idle connections cost little; a client connection
 * owns its own.
 */
struct conn_scratch {
	uint8_t rbuf[CONN_RBUF];
	uint8_t stage[CONN_PTBUF];
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
	uv_timer_t timer;      /* read side: handshake/proof, frame, idle */
	uv_timer_t wtimer;     /* write side: progress into the socket */
	uv_timer_t ptimer;     /* pacing: when the buckets have room again */
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
	struct conn *prev, *next;   /* the server's list of all */
	struct conn *uprev, *unext; /* the server's unproven queue */
	enum conn_queue uq;    /* which unproven queue, if any */

	int have_expected, have_peer, peer_seen;
	int hs_cut;          /* the other end hung up during the handshake */
	uint8_t expected[IDENT_PKBYTES];
	uint8_t peer[IDENT_PKBYTES]; /* valid once peer_seen */
	char addr[NETADDR_STRMAX];
	uint64_t rx;           /* ciphertext bytes received */

	/* reading */
	struct frame_dec dec;
	int reading, paused, held;
	size_t pt_off, pt_len;
	enum conn_timer tkind;
	uint64_t tframe;       /* dec.nframes when the timer was set */

	/* writing */
	struct conn_item *sq_head, *sq_tail;
	size_t sq_bytes;       /* plaintext bytes queued */
	size_t inflight;       /* ciphertext bytes handed to uv_write */
	int shut_sent;

	/* pacing (conn_pace.c): the owner's shared buckets, or NULL */
	struct ratelimit *rx_rl, *tx_rl;
	int rx_paced;          /* reading stopped until rx_rl has room */
	int tx_paced;          /* writing stopped until tx_rl has room */

	int err;
	char msg[DZ_ERRMSG_MAX];

	struct conn_scratch *scratch; /* shared (server) or own_scratch */
	struct conn_scratch *own_scratch;
	uint8_t pt[CONN_PTBUF];
};

/* conn_fail_: end c: record why, drop the queue, close the handles; the
 * message is prefixed with the peer's address. Idempotent. */
void conn_fail_(struct conn *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* conn_advance_: react to whatever arrived (handshake, frames), then
 * send what is due and pick the deadline (conn_io.c). */
void conn_advance_(struct conn *c);

/* conn_pump_write_: move queued frames through TLS to the socket. */
void conn_pump_write_(struct conn *c);

/* conn_reading_start_: start reading the socket; 0, or -1 if c failed. */
int conn_reading_start_(struct conn *c);

/* conn_reading_stop_: stop reading the socket. */
void conn_reading_stop_(struct conn *c);

/* conn_timers_update_: pick the read-side deadline that applies now. */
void conn_timers_update_(struct conn *c);

/* conn_on_connected_: libuv's connect callback (conn_io.c). */
void conn_on_connected_(uv_connect_t *req, int status);

/* conn_new_: a connection in no state yet, with its handles initialised;
 * scratch NULL gives it its own buffers. 0 or DZ_ENOMEM. */
int conn_new_(uv_loop_t *loop, struct tls_ctx *tls,
    const struct conn_limits *lim, const struct conn_cbs *cbs,
    struct conn_scratch *scratch, struct conn **out);

/* conn_arm_: set the read-side deadline to kind, ms from now (0: none). */
void conn_arm_(struct conn *c, enum conn_timer kind, unsigned ms);

/* conn_pace_rx_: n bytes were read from the socket: charge them to
 * rx_rl, and stop reading until it has room again if it has none. */
void conn_pace_rx_(struct conn *c, size_t n);

/* conn_pace_tx_room_: plaintext bytes c may encrypt and write now
 * (SIZE_MAX when unpaced); 0 means wait: the pacing timer is armed. */
size_t conn_pace_tx_room_(struct conn *c);

/* conn_pace_tx_charge_: n plaintext bytes were encrypted for writing. */
void conn_pace_tx_charge_(struct conn *c, size_t n);

/* netsrv_conn_gone_: called by conn.c just before a server connection's
 * on_close, so the server drops it from its list. */
void netsrv_conn_gone_(struct netsrv *srv, struct conn *c);

/* netsrv_conn_step_: a server connection finished its TLS handshake
 * (CONN_Q_FRAME), delivered its first frame or failed (CONN_Q_NONE): the
 * server moves it between its unproven queues. */
void netsrv_conn_step_(struct netsrv *srv, struct conn *c,
    enum conn_queue to);

#endif
