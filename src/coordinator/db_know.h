/*
 * db_know: what the coordinator's database holds about one account and
 * the peers it owns (for WHATDOYOUKNOW, coord_know.c), and the aggregate
 * figures that /metrics serves (coord_metrics.c), beside db.h.
 *
 * Both read existing tables only (no schema change). The account view is
 * meant to cover every column that concerns the account: accounts (all
 * columns), account_keys (pk, created, seen), records (count, bytes,
 * tombstones; never ids or blobs), fragments and objects (counts and
 * sizes; never names or object ids), locations (copies), peers owned
 * (every column), audits (rows kept per owned peer). A table added later
 * that holds something about an account must be added here too
 * (docs/trading.md, "What the coordinator knows").
 *
 * The aggregates carry no account or file: counts and sums over all rows.
 * SQLite only for now, like db_repair.h; safe from any thread (the
 * handle's mutex serialises the calls).
 */
#ifndef DZ_DB_KNOW_H
#define DZ_DB_KNOW_H

#include <stddef.h>
#include <stdint.h>

#include "coordinator/db.h"
#include "net/proto.h"

/* The account's own rows, summed where they are about files. */
struct db_know {
	struct db_account acct;      /* every column of its accounts row */
	uint64_t records, record_bytes, tombstones;
	uint64_t objects, fragments, fragment_bytes, copies;
};

/*
 * db_know_account: account's row and the counts above into *k. Returns 0,
 * DZ_ENOENT if there is no such account, or a database error.
 */
int db_know_account(struct db *db, int64_t account, struct db_know *k,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_know_peers: the peers whose owner is account, oldest first, at most
 * PROTO_KNOW_PEERS_MAX, into rep->peer and rep->npeers; a peer counts as
 * online if it sent a heartbeat at or after since and has not left.
 * Returns 0 or a database error (DZ_EFORMAT for a damaged row).
 */
int db_know_peers(struct db *db, int64_t account, int64_t since,
    struct proto_whatdoyouknow_rep *rep, struct dz_errmsg *em) DZ_MUST_CHECK;

/* Aggregates for /metrics (docs/net.md, "Metrics"). */
struct db_stats {
	uint64_t peers_total, peers_online;
	uint64_t capacity_offered;  /* sum of the capacity online peers claim */
	uint64_t capacity_proven;   /* db_know_proven */
	uint64_t bytes_stored;      /* fragment copies located on peers */
	uint64_t record_bytes;      /* record blobs held by the coordinator */
	uint64_t accounts;
	uint64_t repair_backlog;    /* segments below their repair threshold */
};

/*
 * db_know_stats: the aggregates into *st. online: heartbeat at or after
 * online_since and not left; healthy holders for the backlog as
 * DB_SQ_HEALTHY_HOLDER with grace_since. Returns 0 or a database error.
 */
int db_know_stats(struct db *db, int64_t online_since, int64_t grace_since,
    struct db_stats *st, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_know_proven: the capacity the network can count as really held, in
 * *bytes. Today: for each peer neither suspended nor disqualified that has
 * passed at least one audit, the bytes of the fragment copies located on
 * it, at most its claimed capacity. The one place to change when credit
 * for proven space (placeholders, issue 15 point 5) replaces it. Returns 0
 * or a database error.
 */
int db_know_proven(struct db *db, uint64_t *bytes, struct dz_errmsg *em)
    DZ_MUST_CHECK;

#endif
