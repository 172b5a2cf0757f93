/*
 * coord_credit: what an account may store (docs/trading.md).
 *
 *   availability(peer) = its online seconds over the last
 *                        opts.availability_window (or since it first
 *                        registered, if later) / that span, at most 1
 *   proven(peer)       = min(offered, bytes of fragments it holds while
 *                        not suspended or disqualified by audits +
 *                        placeholder blocks proven x block size)
 *   earned(account)    = sum over its peers (peers.owner) of proven x
 *                        availability, each only at availability >=
 *                        opts.min_availability
 *   quota(account)     = opts.base_quota + earned + the operator's grant
 *   used(account)      = db_account_used: each segment once (k fragments'
 *                        worth) plus its records
 *
 * Online seconds come from heartbeats: each heartbeat (or re-registration)
 * credits the time since the previous one if the peer was online all along
 * (it had not left and the gap is within opts.peer_timeout), into buckets
 * of window/COORD_UPTIME_BUCKETS seconds; older buckets are deleted, so a
 * peer has at most COORD_UPTIME_BUCKETS + 1 rows. Sending heartbeats
 * faster earns nothing: time is counted, not heartbeats. A peer that
 * vanishes is credited until its last heartbeat, plus the time since then
 * while that is within the timeout; after that it is offline.
 *
 * Placeholders: coord_credit_ph.c.
 */
#ifndef DZ_COORD_CREDIT_H
#define DZ_COORD_CREDIT_H

#include <stdint.h>

#include "coordinator/db_credit.h"
#include "core/err.h"

#define COORD_UPTIME_BUCKETS 30

struct coord;
struct coord_sess;

/* An account's credit, as CREDIT_REP says it. */
struct coord_credit {
	uint64_t used, earned, base, grant, quota;
	double avail;       /* of its earning peers, proven-weighted (0: none) */
	uint64_t proven;    /* sum over its peers */
};

/* coord_credit_grants: store opts.grants at start. DZ_ENOENT (no such
 * account) or a database failure, with em. */
int coord_credit_grants(struct coord *co, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_credit_seen: peer `old` (as it was before this heartbeat or
 * registration) is heard from at now: credit its online time. A failure
 * only loses those seconds. */
void coord_credit_seen(struct coord *co, const struct db_peer *old, int64_t now);

/* coord_credit_avail: c's availability now (0..1). */
double coord_credit_avail(const struct coord *co, const struct db_credit_peer *c,
    int64_t now);

/* coord_credit_proven: the bytes c is credited with holding. */
uint64_t coord_credit_proven(const struct db_credit_peer *c);

/* coord_credit_online: is c online now? */
int coord_credit_online(const struct coord *co, const struct db_credit_peer *c,
    int64_t now);

/* coord_credit_from: the oldest uptime bucket counted now. */
int64_t coord_credit_from(const struct coord *co, int64_t now);

/* coord_credit_account: account's credit now. 0 or a dz_err. */
int coord_credit_account(struct coord *co, int64_t account,
    struct coord_credit *out, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * coord_credit_room: may account store `need` more bytes? 0, or DZ_EQUOTA
 * with em saying how much is used of what, and how much more disk (at its
 * peers' current availability) or uptime would make room; another dz_err
 * if the credit cannot be read.
 */
int coord_credit_room(struct coord *co, int64_t account, uint64_t need,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_credit_refusal: em's text for a refusal of need more bytes. */
void coord_credit_refusal(struct coord *co, const struct coord_credit *c,
    uint64_t need, struct dz_errmsg *em);

/* Placeholder audits (coord_credit_ph.c): started, stopped and freed with
 * the coordinator, like coord_audit. */
int coord_ph_start(struct coord *co, struct dz_errmsg *em) DZ_MUST_CHECK;
void coord_ph_stop(struct coord *co);
void coord_ph_free(struct coord *co);

/* Handlers: CREDIT, QUOTA (account), PH_SEED, PH_CLAIM (peer). */
int coord_credit(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_quota(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_ph_seed(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_ph_claim(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);

#endif
