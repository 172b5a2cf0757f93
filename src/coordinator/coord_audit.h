/*
 * coord_audit: storage audits and peer reputation (docs/protocol.md,
 * "Audits"). Every opts.audit_interval seconds the coordinator picks, for
 * each online peer that is not disqualified, COORD_AUDIT_FRAGS fragments
 * it should hold (at random among its locations), asks each for one
 * Merkle leaf chosen at random now (AUDIT), and checks the block and its
 * path against the fragment's name within COORD_AUDIT_DEADLINE_MS. It
 * never fetches a fragment. Outcomes (passed, wrong data, missing,
 * timeout) go into the peer's record (db_audit.h) and move its state:
 *
 *   VETTING -> TRUSTED      after opts.vetting_audits passed audits
 *   any -> SUSPENDED        COORD_AUDIT_SUSPEND failures among its last
 *                           COORD_AUDIT_WINDOW audits
 *   SUSPENDED -> TRUSTED    once none of its last COORD_AUDIT_WINDOW fail
 *                           (or VETTING if it has not passed enough yet)
 *   any -> DISQUALIFIED     COORD_AUDIT_DISQUALIFY failures in the window;
 *                           final: never placed on, no longer audited
 *
 * The round runs in the libuv pool (database scan, blocking RPC with the
 * coordinator's own identity, Merkle checks), one round at a time; the
 * loop only starts it and logs its outcome. Peers learn each failure with
 * its reason (AUDIT_NEWS, fetched after each heartbeat) and owners see
 * their peers' records (PEER_REPORT): no opaque verdicts.
 */
#ifndef DZ_COORD_AUDIT_H
#define DZ_COORD_AUDIT_H

#include <stdint.h>

#include "core/err.h"

#define COORD_AUDIT_INTERVAL_DEFAULT 300 /* seconds between rounds */
#define COORD_AUDIT_VETTING_DEFAULT 10   /* passed audits to be trusted */
#define COORD_AUDIT_FRAGS 2              /* fragments per peer per round */
#define COORD_AUDIT_DEADLINE_MS 5000     /* for every proof of one batch */
#define COORD_AUDIT_MAXTARGETS 2048      /* audits per round, at most */
#define COORD_AUDIT_WINDOW 20
#define COORD_AUDIT_SUSPEND 3
#define COORD_AUDIT_DISQUALIFY 8

struct coord;

/* coord_audit_start: make the audit state (a client TLS context and RPC
 * state on the coordinator's identity) and arm the first round. 0,
 * DZ_ENOMEM or a TLS failure with detail in em. */
int coord_audit_start(struct coord *co, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_audit_stop: no more rounds; a round running ends at its
 * deadline, then its handles close. Idempotent; loop thread. */
void coord_audit_stop(struct coord *co);

/* coord_audit_free: release the audit state after the loop ended. */
void coord_audit_free(struct coord *co);

/* coord_audit_next_state: the state a peer in state old moves to after
 * an audit left it with `passed` audits passed and window_failed
 * failures among its last COORD_AUDIT_WINDOW (see above). */
unsigned coord_audit_next_state(unsigned old, uint64_t passed,
    unsigned window_failed, unsigned vetting);

#endif
