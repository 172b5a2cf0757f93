/*
 * coord_round: the driver of a coordinator job that runs in rounds in the
 * libuv thread pool and talks to peers as a client on the coordinator's
 * own key (which peers have pinned): the audit rounds (coord_audit.c) and
 * the placeholder checks (coord_credit_ph.c). It owns the timer, the work
 * item, the client TLS context and RPC, and the rules both jobs share:
 * a round starts opts.audit_interval seconds after the last one ended (so
 * rounds never overlap, and a slow one delays the next instead of piling
 * up); stopping lets a running round finish, then closes the timer.
 *
 * Not for what a round does: the owner's callbacks. The struct rpc belongs
 * to the pool thread of the round in flight.
 */
#ifndef DZ_COORD_ROUND_H
#define DZ_COORD_ROUND_H

#include <stdint.h>

#include <uv.h>

#include "core/err.h"

struct coord;
struct rpc;
struct tls_ctx;

struct coord_round {
	struct coord *co;
	uv_timer_t timer;
	int timer_open, running, stopping;
	uv_work_t work;
	struct tls_ctx *tls;
	struct rpc *rpc;
	int64_t now;        /* the round's time (coord_now), read on the loop */
	/* begin: on the loop just before a round goes to the pool (clear the
	 * last round's results; may be NULL); run: in the pool, the round;
	 * end: on the loop after it (log what it found; may be NULL). */
	void (*begin)(struct coord_round *r);
	void (*run)(struct coord_round *r);
	void (*end)(struct coord_round *r);
};

/*
 * coord_round_start: make r's client TLS context and RPC on co's key and
 * its timer, and arm the first round (r->begin, run, end set by the
 * caller; the rest of *r zero). what names the job in the error ("cannot
 * make the audit timer"). Returns 0 or a dz_err with em; on failure what
 * was made is released by coord_round_free.
 */
int coord_round_start(struct coord_round *r, struct coord *co,
    const char *what, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_round_stop: no more rounds; a round running ends first (its end
 * callback still runs), then the timer closes. Idempotent. */
void coord_round_stop(struct coord_round *r);

/* coord_round_free: release r's RPC and TLS context, after the loop
 * ended (r itself is the caller's). */
void coord_round_free(struct coord_round *r);

#endif
