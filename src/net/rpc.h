/*
 * rpc: blocking request/response calls over Drizzle connections, for
 * threads that do not run an event loop (the client's worker threads).
 *
 * Each calling thread owns a struct rpc: a private libuv loop, a reference
 * to a client TLS context, and a cache of open connections, one per server
 * address and expected key, reused by later calls while fresh. A call runs
 * the private loop until it is done, so nothing happens between calls and
 * no thread is started. rpc_call asks one server one question;
 * rpc_call_many asks several at once, hands each answer to the caller as
 * it arrives, and stops as soon as enough answers were accepted, closing
 * the connections of the questions still open ("ask more than k peers,
 * keep the first k whose hash checks, cancel the rest"; "upload to n
 * peers, done when enough have confirmed").
 *
 * A response is a frame whose reqid is the request's; a server answering
 * a question that was not asked is lying and loses its connection. Not
 * for serving (netsrv.h) nor for event-loop threads (use conn.h there).
 * A struct rpc must not be used by two threads at once. As for conn.h,
 * the process must ignore SIGPIPE.
 */
#ifndef DZ_RPC_H
#define DZ_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "net/conn.h"
#include "net/frame.h"
#include "net/tls.h"

struct rpc;

/*
 * rpc_new: a caller's RPC state over the client context tls (referenced
 * until rpc_free). lim (NULL: defaults) applies to each connection.
 * Returns 0 and *out, or DZ_EINVAL (not a client context), DZ_ENOMEM,
 * DZ_EIO (the loop could not be made), with detail in em.
 */
int rpc_new(struct tls_ctx *tls, const struct conn_limits *lim,
    struct rpc **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* rpc_free: close every cached connection and release r (NULL is fine). */
void rpc_free(struct rpc *r);

/*
 * rpc_call: send one request (type, the len bytes of body) to addr and
 * wait for its answer, at most deadline_ms (0: no overall deadline, the
 * connection's own deadlines still apply). If expected_pk is not NULL the
 * server must show that key (see conn_connect). On success *resp holds the
 * answer, its body the caller's (frame_free). Returns 0, or the failure of
 * the exchange: DZ_EPEERKEY (the server showed another key than
 * expected_pk: the message names both), DZ_ECONNECT (the server could not
 * be reached: refused, unreachable, nothing heard before the connect or
 * handshake deadline), DZ_EAUTH (TLS failed or refused), DZ_EIO
 * (connection lost, deadline passed), DZ_EFORMAT / DZ_ERANGE (the server
 * sent a malformed or oversized frame), DZ_EFORMAT for a bad address,
 * DZ_ENOMEM; detail in em.
 */
int rpc_call(struct rpc *r, const char *addr, const uint8_t *expected_pk,
    uint16_t type, const void *body, size_t len, unsigned deadline_ms,
    struct frame *resp, struct dz_errmsg *em) DZ_MUST_CHECK;

/* Outcome of one request of rpc_call_many (rpc_req.status): RPC_KEPT, RPC_REJECTED
 * (answered, refused by the accept callback), RPC_CANCELLED (not answered
 * when the call ended because enough answers were kept), or a negative
 * dz_err saying why it failed (DZ_EIO when the deadline passed). */
#define RPC_KEPT 0
#define RPC_REJECTED 1
#define RPC_CANCELLED 2

/* One request of rpc_call_many. The strings, key and body are borrowed
 * for the duration of the call. peer_pk says which key answered: with pk
 * NULL, that is how a client pins a server on first contact; when status
 * is DZ_EPEERKEY it holds the key the server showed instead of pk (so no
 * caller need read it out of a message). */
struct rpc_req {
	const char *addr;
	const uint8_t *pk;   /* expected server key, or NULL */
	uint16_t type;
	const void *prefix;  /* optional: the body is these prefix_len bytes */
	size_t prefix_len;   /* (<= CONN_PREFIX_MAX) then the len at body */
	const void *body;
	size_t len;
	int status;          /* out: see above */
	int answered;        /* out: 1 if peer_pk is set (an answer came) */
	uint8_t peer_pk[IDENT_PKBYTES]; /* out: the answering server's key
	                                   (answered, or status DZ_EPEERKEY) */
	struct dz_errmsg *why; /* in: NULL, or where this request's own
	                          failure detail goes ("" if it has none) */
};

/*
 * rpc_accept_fn: judge the answer to reqs[i]: return 1 to keep it, 0 to
 * reject it (then the call waits for others). It may take resp->body (set
 * it to NULL and free() it later); otherwise the body is freed after the
 * call. It must not use the struct rpc.
 */
typedef int (*rpc_accept_fn)(void *arg, size_t i, struct frame *resp);

/*
 * rpc_call_many: send the n requests at once (each to its own address;
 * requests to the same address share its connection) and pass each answer
 * to accept (NULL: keep every answer) as it arrives. Returns as soon as
 * want answers were kept; or when every request has been answered or has
 * failed, or deadline_ms passed (0: no overall deadline). A call that can
 * no longer reach want still waits for the requests in flight, so the
 * caller has every answer that could be had. The connections of requests still unanswered then are
 * closed (RPC_CANCELLED, or DZ_EIO if the deadline passed). *kept (may be
 * NULL) receives the number kept. Returns 0 if want were kept, DZ_ETOOFEW
 * if not (the first failure's detail in em), DZ_EINVAL if want > n.
 */
int rpc_call_many(struct rpc *r, struct rpc_req *reqs, size_t n,
    size_t want, unsigned deadline_ms, rpc_accept_fn accept, void *arg,
    size_t *kept, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * rpc_call_many_grace: rpc_call_many that does not wait long for
 * stragglers: once soft (<= want; 0: off) answers were kept, the requests
 * still open get as long again as the call has taken so far (at least
 * grace_min_ms; never past deadline_ms), then end as DZ_EIO like at the
 * deadline. "Upload to n peers; the last few, if much slower than the
 * others, go elsewhere."
 */
int rpc_call_many_grace(struct rpc *r, struct rpc_req *reqs, size_t n,
    size_t want, size_t soft, unsigned grace_min_ms, unsigned deadline_ms,
    rpc_accept_fn accept, void *arg, size_t *kept,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
