/*
 * db_credit: what storage credit needs from the database (schema
 * migration "storage credit", db_sqlite_credit.c): each peer's online
 * seconds per time bucket, operator grants per account, each peer's
 * placeholder state, and the per-peer facts earned space is computed from
 * (coord_credit.c). SQLite only, like db_audit.h: these take the struct
 * db of db_open. Each call holds the handle's mutex for its own run only,
 * so the loop thread and the placeholder audit worker may both call them.
 */
#ifndef DZ_DB_CREDIT_H
#define DZ_DB_CREDIT_H

#include <stddef.h>
#include <stdint.h>

#include "coordinator/db.h"

#define DB_PH_SEEDBYTES 32

/* What credit is computed from, for one peer. */
struct db_credit_peer {
	struct db_peer p;       /* left_at filled */
	unsigned state;         /* PROTO_PEER_* trust state */
	uint64_t audits_passed, audits_failed; /* fragment audits */
	uint64_t held;          /* bytes of fragments located on it */
	uint64_t uptime;        /* online seconds in the buckets asked for */
	uint32_t ph_block;      /* placeholder block size, 0: none assigned */
	uint64_t ph_claimed, ph_proven, ph_passed, ph_failed;
};

/*
 * db_credit_uptime_add: add secs online seconds to peer's bucket, and
 * forget its buckets before oldest (so at most window/width + 1 rows per
 * peer). Returns 0 or a dz_err.
 */
int db_credit_uptime_add(struct db *db, const uint8_t peer[static DB_IDBYTES],
    int64_t bucket, uint64_t secs, int64_t oldest, struct dz_errmsg *em)
    DZ_MUST_CHECK;

/*
 * db_credit_peers: the peers owned by account (account > 0), or with
 * account 0 the one peer `peer` (NULL otherwise), up to cap in out (*n
 * set), each with its uptime summed over buckets >= from. 0 or a dz_err.
 */
int db_credit_peers(struct db *db, int64_t account, const uint8_t *peer,
    int64_t from, struct db_credit_peer *out, size_t cap, size_t *n,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_credit_grant_get / _set: the operator's grant to account (bytes, 0:
 * none; at most INT64_MAX). DZ_ENOENT from _set for no such account. */
int db_credit_grant_get(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em) DZ_MUST_CHECK;
int db_credit_grant_set(struct db *db, int64_t account, uint64_t bytes,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_credit_ph_seed: peer's placeholder seed into seed (if it has none
 * yet, the given one is stored) and its block size set to *block (a
 * changed size sets its claimed and proven counts to 0). A peer's seed
 * never changes once given: the blocks it wrote stay valid.
 */
int db_credit_ph_seed(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint8_t seed[static DB_PH_SEEDBYTES], uint32_t *block,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_credit_ph_claim: the peer says it keeps blocks 0..claimed-1; proven
 * is cut to claimed if above (a peer gives blocks up as fragments come). */
int db_credit_ph_claim(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint64_t claimed, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_credit_ph_result: the outcome of a placeholder audit round: the
 * new claimed and proven counts, and one pass or failure counted. */
int db_credit_ph_result(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint64_t claimed, uint64_t proven, int passed, struct dz_errmsg *em)
    DZ_MUST_CHECK;

/* One peer's placeholders to audit. */
struct db_ph_target {
	uint8_t peer[DB_IDBYTES];
	char addr[DB_ADDR_MAX + 1];
	uint8_t seed[DB_PH_SEEDBYTES];
	uint32_t block;
	uint64_t claimed, proven;
};

/* db_credit_ph_targets: peers online since `since`, not disqualified,
 * claiming placeholders; at most cap in out, *n set. */
int db_credit_ph_targets(struct db *db, int64_t since,
    struct db_ph_target *out, size_t cap, size_t *n, struct dz_errmsg *em)
    DZ_MUST_CHECK;

#endif
