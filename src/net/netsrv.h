/*
 * netsrv: a listening socket that accepts Drizzle connections (conn.h) on
 * an event loop, within a limit on how many are open at once.
 *
 * Each accepted connection runs the TLS handshake under the server's
 * limits and calls the server's callbacks (on_peer decides which client
 * keys are welcome; on_frame serves requests; responses go out with
 * conn_send).
 *
 * Floods: a connection is "unproven" until it has completed the TLS
 * handshake and delivered a first frame, which it must do within
 * proof_ms. When max_unproven unproven connections are open, or
 * max_conns connections in all, a new one makes room by closing the
 * oldest unproven connection (one still in its handshake first, then one
 * handshaken but silent); proven connections are never closed for a
 * newcomer, and when all max_conns are proven the newcomer is closed at
 * once, before any TLS work. So idle sockets, garbage and stalled
 * handshakes cost the server a bounded, recycled set of slots while the
 * users already served are not disturbed. max_conns is lowered, if need
 * be, to what the process's descriptor limit can hold (raising the soft
 * limit up to the hard one first). Not for deciding what requests mean:
 * that belongs to the peer and coordinator layers. Loop thread only.
 */
#ifndef DZ_NETSRV_H
#define DZ_NETSRV_H

#include <stdint.h>

#include <uv.h>

#include "core/err.h"
#include "net/conn.h"
#include "net/tls.h"

struct netsrv;

/*
 * netsrv_listen: listen on addr ("IPv4:PORT" or "[IPv6]:PORT"; port 0
 * picks a free port, see netsrv_port) with the server context tls
 * (referenced until the server is gone). lim (NULL: defaults) and cbs are
 * copied; cbs apply to every accepted connection. May raise the
 * process's soft RLIMIT_NOFILE toward its hard limit (see the top).
 * Returns 0 and *out, or
 * DZ_EFORMAT (bad address), DZ_EINVAL (not a server context), DZ_EIO
 * (bind/listen failed, e.g. address in use), DZ_ENOMEM, with detail in em.
 */
int netsrv_listen(uv_loop_t *loop, struct tls_ctx *tls, const char *addr,
    const struct conn_limits *lim, const struct conn_cbs *cbs,
    struct netsrv **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* netsrv_port: the port actually bound. */
int netsrv_port(const struct netsrv *s);

/* netsrv_nconns: connections open now (handshakes included). */
unsigned netsrv_nconns(const struct netsrv *s);

/* netsrv_nrefused: connections closed at once for being over max_conns
 * with every slot proven. */
uint64_t netsrv_nrefused(const struct netsrv *s);

/* netsrv_nevicted: unproven connections closed to make room. */
uint64_t netsrv_nevicted(const struct netsrv *s);

/* netsrv_max_conns: the connection limit in force (max_conns, lowered
 * to what the descriptor limit allows). */
unsigned netsrv_max_conns(const struct netsrv *s);

/*
 * netsrv_close: stop listening and abort every connection (each gets its
 * on_close). The server's memory is released once every handle is closed,
 * which takes a turn or two of the loop; then done(arg) is called, if done
 * is not NULL. s must not be used after this call.
 */
void netsrv_close(struct netsrv *s, void (*done)(void *arg), void *arg);

#endif
