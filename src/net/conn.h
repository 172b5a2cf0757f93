/*
 * conn: one framed, mutually authenticated TLS 1.3 connection driven by a
 * libuv event loop, and the limits and deadlines that keep a hostile peer
 * from costing more than its own connection.
 *
 * TCP comes from libuv; TLS is OpenSSL on two memory BIOs (ciphertext is
 * moved between the socket and the BIOs by this module), so nothing ever
 * blocks and one thread serves every connection of its loop. After the
 * handshake the peer's Ed25519 key is checked: a client given an expected
 * key refuses any other (DZ_EPEERKEY, the key that answered in
 * conn_peer_pk), and the on_peer callback may refuse it too. Then frames (frame.h) flow
 * both ways. Any failure -- a malformed, oversized or late frame, a TLS
 * error, a peer that stops reading -- ends that connection alone: on_close
 * says why, and nothing else on the loop is disturbed.
 *
 * The server side (netsrv.h) accepts connections into the same machinery.
 * Not for request/response bookkeeping or blocking callers: see rpc.h.
 * Every function here must be called on the loop's thread. The process
 * must ignore SIGPIPE (main's job: libuv writes with write(2), and a peer
 * that resets would otherwise kill the process).
 */
#ifndef DZ_CONN_H
#define DZ_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "core/err.h"
#include "net/frame.h"
#include "net/ident.h"
#include "net/tls.h"

/*
 * struct conn_limits: every bound of a connection, in one place. Fill it
 * with conn_limits_default and change what differs. A zero deadline
 * disables that deadline (do not do that with peers you do not trust).
 */
struct conn_limits {
	unsigned max_conns;    /* server: open connections (4096, lowered to
	                          what the descriptor limit allows) */
	unsigned max_unproven; /* server: of which without a handshake and a
	                          first frame yet; at either limit the oldest
	                          such is closed to make room (512; 0: only
	                          max_conns bounds them) */
	uint32_t max_frame;    /* largest frame len accepted (FRAME_MAX) */
	unsigned handshake_ms; /* client: TCP connect + TLS handshake must end
	                          within (10000) */
	unsigned proof_ms;     /* server: TLS handshake and a first frame
	                          must be done within (5000; 0: handshake_ms
	                          for the handshake alone) */
	unsigned frame_ms;     /* a frame begun must be complete within
	                          (60000) */
	unsigned idle_ms;      /* close when no frame starts in either
	                          direction within (120000) */
	unsigned write_ms;     /* close when queued bytes make no progress
	                          into the socket within (60000) */
	size_t sendq_high;     /* server: above this many queued bytes, stop
	                          reading requests (4 MiB) ... */
	size_t sendq_low;      /* ... and resume below this many (1 MiB) */
};

/* conn_limits_default: the defaults in parentheses above. */
void conn_limits_default(struct conn_limits *l);

struct conn;

/*
 * struct conn_cbs: what a connection tells its owner. All are called on
 * the loop's thread; arg is passed back as is. Every pointer handed to a
 * callback is valid only during the call unless said otherwise.
 */
struct conn_cbs {
	/* on_peer (optional): the handshake is done and pk is the peer's
	 * key (already compared with the expected key, if one was given).
	 * Return 0 to accept, or a dz_err to close the connection
	 * (DZ_EPEERKEY for a key that is not welcome). */
	int (*on_peer)(void *arg, struct conn *c, const uint8_t pk[IDENT_PKBYTES]);
	/* on_frame: one complete frame. The callback may take f->body
	 * (set f->body to NULL; then it must free() it); otherwise it is
	 * freed after the call. It may send and close. */
	void (*on_frame)(void *arg, struct conn *c, struct frame *f);
	/* on_close (optional): called exactly once, when the connection is
	 * gone; err is 0 for an orderly end (either side closed at a frame
	 * boundary) or a dz_err, msg says what happened. c is freed when
	 * the callback returns. */
	void (*on_close)(void *arg, struct conn *c, int err, const char *msg);
	/* on_drain (optional): every queued byte went into the socket. */
	void (*on_drain)(void *arg, struct conn *c);
	void *arg;
};

/*
 * conn_connect: start connecting to addr ("IPv4:PORT" or "[IPv6]:PORT",
 * see netaddr.h) with the client context tls (referenced while the
 * connection lives). If expected_pk is not NULL the server must show that
 * key, else the connection ends with DZ_EPEERKEY, a message naming both
 * keys, and the key that answered in conn_peer_pk. lim (NULL: defaults)
 * and cbs are copied. Returns 0 with *out set, after which on_close will
 * be called exactly once (connection refused and deadlines included); or
 * DZ_EFORMAT (bad address), DZ_EINVAL (not a client context), DZ_ENOMEM,
 * with detail in em, and no callback at all. Frames may be sent at once:
 * they leave after the handshake.
 *
 * on_close's err then says: DZ_ECONNECT when the server could not be
 * reached (connect refused or failed, or the connect or handshake ended
 * -- timed out, reset, closed -- before the server sent a byte);
 * DZ_EPEERKEY for a key mismatch; DZ_EAUTH for other TLS failures;
 * DZ_EVERSION, DZ_EFORMAT, DZ_ERANGE, DZ_ETRUNC, DZ_EIO as in docs/net.md.
 */
int conn_connect(uv_loop_t *loop, struct tls_ctx *tls, const char *addr,
    const uint8_t *expected_pk, const struct conn_limits *lim,
    const struct conn_cbs *cbs, struct conn **out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * conn_send: queue one frame; the len bytes of body (NULL if len is 0) are
 * copied, so the caller keeps its buffer. The frame goes out in order
 * after those queued before, as fast as the peer reads. Returns 0,
 * DZ_ERANGE (len > FRAME_MAXBODY), DZ_ENOMEM, or DZ_EIO when the
 * connection is closing or closed.
 */
int conn_send(struct conn *c, uint16_t type, uint32_t reqid,
    const void *body, size_t len) DZ_MUST_CHECK;

/*
 * conn_send_ref: conn_send without the copy: body is borrowed until
 * release(rarg) is called, once, when the bytes are no longer needed (they
 * were encrypted, or the connection closed). On an error return release is
 * not called and body was not kept. release may be NULL.
 */
int conn_send_ref(struct conn *c, uint16_t type, uint32_t reqid,
    const void *body, size_t len, void (*release)(void *rarg),
    void *rarg) DZ_MUST_CHECK;

/*
 * conn_send_pre: conn_send_ref of a body made of two parts: plen bytes at
 * prefix (at most CONN_PREFIX_MAX, copied now) followed by the len bytes
 * at body (borrowed as by conn_send_ref). So a message's small fixed
 * fields need not be copied next to megabytes of data to go out as one
 * frame.
 */
#define CONN_PREFIX_MAX 256 /* FRAG_PUT's, with its ticket: 194 */
int conn_send_pre(struct conn *c, uint16_t type, uint32_t reqid,
    const void *prefix, size_t plen, const void *body, size_t len,
    void (*release)(void *rarg), void *rarg) DZ_MUST_CHECK;

/* conn_close: end c in order: frames already queued are sent, then TLS
 * close_notify, then the socket closes. Idempotent; on_close follows. */
void conn_close(struct conn *c);

/* conn_abort: end c now, dropping what is queued; on_close will get err
 * and why (why may be NULL). Idempotent: the first reason wins. */
void conn_abort(struct conn *c, int err, const char *why);

/* conn_peer_pk: the peer's key once the handshake showed it, else NULL.
 * After a key mismatch (DZ_EPEERKEY) it is the key that answered, so
 * on_close can say which; no frame was exchanged with it. */
const uint8_t *conn_peer_pk(const struct conn *c);

/* conn_peer_addr: the remote address as "ADDR:PORT" (valid while c is). */
const char *conn_peer_addr(const struct conn *c);

/* conn_is_open: 1 while frames can be sent (handshake done or under way,
 * not closing), else 0. */
int conn_is_open(const struct conn *c);

/* conn_handshake_cut: 1 if the other end closed or reset the TCP
 * connection during the TLS handshake (not our deadline, not a refusal
 * by alert). No frame given to c can have left; a server under a flood
 * does this to its oldest unproven connections, so a fresh try may
 * succeed. */
int conn_handshake_cut(const struct conn *c);

/* conn_queued: bytes queued but not yet written into the socket. */
size_t conn_queued(const struct conn *c);

/*
 * conn_hold: stop delivering c's frames (and reading its socket) until
 * conn_unhold: a server whose answers to c are still being prepared
 * elsewhere (worker threads) bounds what one peer can have in progress.
 * Read deadlines are suspended meanwhile (the wait is ours); the write
 * deadline still applies.
 */
void conn_hold(struct conn *c);

/* conn_unhold: undo conn_hold. Delivery resumes on the next loop turn,
 * never inside this call, so it may be called from any callback. */
void conn_unhold(struct conn *c);

/*
 * conn_set_pace: meter c's traffic through the owner's token buckets
 * (ratelimit.h): rx the bytes read from its socket, tx the bytes written
 * (either NULL: not paced). Buckets may be shared by many connections of
 * the loop and must outlive c; a bucket's rate may change at any time.
 * Reading waits while rx is in debt, queued frames while tx is (see
 * conn_pace.c); deadlines do not count the wait against the peer. Call
 * it from on_peer: the handshake is not paced.
 */
struct ratelimit;
void conn_set_pace(struct conn *c, struct ratelimit *rx, struct ratelimit *tx);

/* conn_set_udata, conn_udata: one pointer of the owner's per connection. */
void conn_set_udata(struct conn *c, void *udata);
void *conn_udata(const struct conn *c);

#endif
