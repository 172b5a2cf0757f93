/*
 * db_audit: the coordinator's audit records and peer trust (schema
 * migration "peer trust": peers.state, audit counters, the last failure,
 * and table audits, a bounded history per peer). Used by coord_audit.c
 * (auditing, reputation, AUDIT_NEWS, PEER_REPORT) and by placement.
 * SQLite only for now (db_sqlite_audit.c): these take the struct db of
 * db_open, whose backend is SQLite; a second backend adds them to db_ops.
 * Each call holds the handle's mutex for its own run only, so the audit
 * worker thread and the loop thread may both call them.
 */
#ifndef DZ_DB_AUDIT_H
#define DZ_DB_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "coordinator/db.h"
#include "net/proto_audit.h"

/* Audits kept per peer (older ones are deleted as new ones arrive). */
#define DB_AUDIT_KEEP 64

/* One fragment to audit on one peer. */
struct db_audit_target {
	uint8_t peer[DB_IDBYTES];
	char addr[DB_ADDR_MAX + 1];
	uint8_t name[DB_IDBYTES];
	uint64_t size; /* bytes: the fragment has merkle_nleaves(size) leaves */
};

/*
 * db_audit_targets: for each peer online since `since` (last heartbeat at
 * or after it, not left) and not disqualified, up to per_peer fragments
 * it should hold, chosen at random among its locations; at most cap in
 * out, *n set. Returns 0 or a dz_err.
 */
int db_audit_targets(struct db *db, int64_t since, size_t per_peer,
    struct db_audit_target *out, size_t cap, size_t *n,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* What a peer's record says after an audit (db_audit_record). */
struct db_audit_standing {
	unsigned state;         /* PROTO_PEER_* */
	uint64_t passed, failed;
	unsigned window_failed; /* failures among its last `window` audits */
	uint64_t seq;           /* the audit's number (AUDIT_NEWS) */
};

/*
 * db_audit_record: record that peer's audit of fragment name at `now`
 * ended with reason (PROTO_AUDIT_PASSED or a failure), update its
 * counters, keep its last DB_AUDIT_KEEP audits, and fill *st (window: how
 * many of its last audits window_failed counts, <= DB_AUDIT_KEEP). One
 * transaction. Returns 0, DZ_ENOENT for an unknown peer, or a dz_err.
 */
int db_audit_record(struct db *db, const uint8_t peer[static DB_IDBYTES],
    const uint8_t name[static DB_IDBYTES], unsigned reason, int64_t now,
    unsigned window, struct db_audit_standing *st,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_audit_set_state: set peer's state (PROTO_PEER_*). 0 or a dz_err. */
int db_audit_set_state(struct db *db, const uint8_t peer[static DB_IDBYTES],
    unsigned state, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_audit_news: peer's state and its failed audits with seq > after,
 * oldest first, at most PROTO_NEWS_MAX, into *rep. 0, DZ_ENOENT (unknown
 * peer) or a dz_err.
 */
int db_audit_news(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint64_t after, struct proto_audit_news_rep *rep,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_audit_report: the audit records of the peers whose owner is account
 * (at most PROTO_REPORT_MAX), online meaning a heartbeat at or after
 * since and not left; window_failed over the last `window` audits.
 * 0 or a dz_err.
 */
int db_audit_report(struct db *db, int64_t account, int64_t since,
    unsigned window, struct proto_peer_report_rep *rep,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* Free space a peer's claim counts for in placement order, at most: its
 * capacity is its own say-so until audits prove it (issue 15, point 5),
 * so beyond this a bigger claim wins nothing. */
#define DB_PLACE_UNPROVEN (1LL << 30)

/*
 * db_audit_place: peers in state `state` online since `since`, not owned
 * by not_owner (0: any), with at least room free bytes: one per owner (an
 * account's peers are one owner; an unowned peer is its own), by free
 * space counted up to DB_PLACE_UNPROVEN, random among equals; at most cap
 * into out (*n set). 0 or a dz_err.
 */
int db_audit_place(struct db *db, int64_t since, int64_t not_owner,
    unsigned state, uint64_t room, struct db_peer *out, size_t cap,
    size_t *n, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
