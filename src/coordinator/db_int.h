/*
 * db_int: the contract between db.c and its backends (db_sqlite.c now,
 * a PostgreSQL one later). Not for use outside src/coordinator/db*.c.
 *
 * db.c checks every argument against the bounds of db.h before calling a
 * backend, so a backend may rely on: names and hints NUL-terminated within
 * their bounds and of the allowed characters, addresses well formed, blob
 * lengths within their maximum, sizes and versions at most INT64_MAX, times
 * >= 0, counts within DB_BATCH_MAX / DB_LOOKUP_MAX. A backend embeds
 * struct db as its first member and serialises calls on one handle.
 * Semantics (return codes, atomicity) are those documented in db.h.
 */
#ifndef DZ_DB_INT_H
#define DZ_DB_INT_H

#include "coordinator/db.h"

struct db_ops {
	void (*close)(struct db *db);
	int (*schema_version)(struct db *db);
	int (*account_create)(struct db *db, const struct db_account *a,
	    int64_t *id, struct dz_errmsg *em);
	int (*account_get)(struct db *db, const char *name,
	    struct db_account *a, struct dz_errmsg *em);
	int (*account_rekey)(struct db *db, int64_t id, const uint8_t *keyblob,
	    size_t keyblob_len, const uint8_t *login_pk, const char *hint,
	    struct dz_errmsg *em);
	int (*peer_upsert)(struct db *db, const struct db_peer *p, int64_t now,
	    struct dz_errmsg *em);
	int (*peer_heartbeat)(struct db *db, const uint8_t *id, uint64_t used,
	    int64_t now, int64_t interval, struct dz_errmsg *em);
	int (*peer_get)(struct db *db, const uint8_t *id, struct db_peer *p,
	    struct dz_errmsg *em);
	int (*peer_online)(struct db *db, int64_t since, const uint8_t *exclude,
	    int64_t not_owner, struct db_peer *out, size_t cap, size_t *n, struct dz_errmsg *em);
	int (*frag_add)(struct db *db, const struct db_frag_loc *locs, size_t n,
	    struct dz_errmsg *em);
	int (*frag_lookup)(struct db *db, int64_t account,
	    const uint8_t (*names)[DB_IDBYTES],
	    size_t n, int (*fn)(void *, const struct db_frag_loc *), void *arg,
	    struct dz_errmsg *em);
	int (*frag_del_object)(struct db *db, int64_t account,
	    const uint8_t *object, int (*fn)(void *, const struct db_frag_loc *),
	    void *arg, size_t *ndel, struct dz_errmsg *em);
	int (*frag_used)(struct db *db, int64_t account, uint64_t *bytes,
	    struct dz_errmsg *em);
	int (*rec_put)(struct db *db, int64_t account, const uint8_t *id,
	    uint64_t expected, const uint8_t *blob, size_t len, uint64_t quota,
	    uint64_t *version, struct dz_errmsg *em);
	int (*rec_get)(struct db *db, int64_t account, const uint8_t *id,
	    uint8_t **blob, size_t *len, uint64_t *version, struct dz_errmsg *em);
	int (*rec_list)(struct db *db, int64_t account,
	    int (*fn)(void *, const uint8_t *, uint64_t), void *arg,
	    struct dz_errmsg *em);
	int (*rec_del)(struct db *db, int64_t account, const uint8_t *id,
	    uint64_t expected, struct dz_errmsg *em);
	/* schema v2: node keys bound to accounts, counts, versions */
	int (*account_signup)(struct db *db, const struct db_account *a,
	    const uint8_t *node_pk, int64_t now, int64_t *id,
	    struct dz_errmsg *em);
	int (*key_bind)(struct db *db, const uint8_t *pk, int64_t account,
	    int64_t now, struct dz_errmsg *em);
	int (*key_account)(struct db *db, const uint8_t *pk, int64_t *account,
	    struct dz_errmsg *em);
	int (*peer_count)(struct db *db, int64_t since, uint64_t *online,
	    uint64_t *total, struct dz_errmsg *em);
	int (*rec_version)(struct db *db, int64_t account, const uint8_t *id,
	    uint64_t *version, struct dz_errmsg *em);
	int (*rec_page)(struct db *db, int64_t account, const uint8_t *after,
	    size_t max, int (*fn)(void *, const uint8_t *, uint64_t, uint64_t),
	    void *arg, struct dz_errmsg *em);
	/* schema v3: fragments by account, peers leaving, records in used */
	int (*peer_leave)(struct db *db, const uint8_t *id, int64_t now,
	    struct dz_errmsg *em);
	int (*account_used)(struct db *db, int64_t account, uint64_t *bytes,
	    struct dz_errmsg *em);
	/* schema v4: device keys listed, unbound, last seen */
	int (*key_list)(struct db *db, int64_t account, struct db_key *out,
	    size_t cap, size_t *n, struct dz_errmsg *em);
	int (*key_unbind)(struct db *db, int64_t account, const uint8_t *pk,
	    struct dz_errmsg *em);
	int (*key_seen)(struct db *db, const uint8_t *pk, int64_t now,
	    struct dz_errmsg *em);
	int (*account_passwd)(struct db *db, int64_t id, const uint8_t *keyblob,
	    size_t keyblob_len, const uint8_t *login_pk, const char *hint,
	    const uint8_t *keep, struct dz_errmsg *em);
	/* clean-up (db_sqlite_gc.c): the names a peer holds */
	int (*peer_frags)(struct db *db, const uint8_t *peer, uint64_t *count,
	    int (*fn)(void *, const uint8_t *), void *arg, struct dz_errmsg *em);
	/* health of stored objects (no schema change): holders healthy if
	 * seen at or after since */
	int (*obj_health)(struct db *db, int64_t account, const uint8_t *object,
	    int64_t since, int (*fn)(void *, const struct db_seg_health *),
	    void *arg, struct dz_errmsg *em);
};

struct db {
	const struct db_ops *ops;
};

/* db_sqlite_open: the SQLite backend on dir/coordinator.db. */
int db_sqlite_open(const char *dir, struct db **out, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
