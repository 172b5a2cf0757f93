/*
 * db_sqlite_int: what db_sqlite.c (settings, schema, helpers, accounts,
 * peers) and db_sqlite_data.c (fragments, records) share: the handle, the
 * table of prepared statements and the small helpers around them. Not for
 * use outside those two files.
 */
#ifndef DZ_DB_SQLITE_INT_H
#define DZ_DB_SQLITE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "coordinator/db_int.h"

/* The prepared statements, one per query; their SQL is in db_sqlite.c. */
enum {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_ACC_INSERT, ST_ACC_GET, ST_ACC_REKEY,
	ST_PEER_UPSERT, ST_PEER_HB, ST_PEER_GET, ST_PEER_ONLINE,
	ST_FRAG_INSERT, ST_FRAG_SAME, ST_LOC_INSERT, ST_FRAG_LOOKUP,
	ST_FRAG_OBJ_LOCS, ST_FRAG_DEL_OBJ, ST_FRAG_USED,
	ST_REC_CREATE, ST_REC_UPDATE, ST_REC_GET, ST_REC_STATE, ST_REC_LIST,
	ST_REC_DEL,
	ST_KEY_INSERT, ST_KEY_GET, ST_PEER_COUNT, ST_REC_PAGE,
	ST_PEER_LEAVE, ST_REC_USED, ST_REC_LEN, ST_DATA_VERSION,
	ST_COUNT
};

/*
 * What an account uses (its fragments' sum, its records' sum), kept
 * between requests: the sums read every fragment and record row of the
 * account, and every record write and placement asks for them (a put -r
 * of 100,000 files asked 5,700 times, 1-3 ms each as the account grew).
 * A sum is forgotten by every write of this connection to what it sums
 * (db_sqlite_usage_forget; a record write that knows the old and new
 * lengths corrects the records' sum instead), and all of them
 * by any rollback or error, and when another connection committed
 * (PRAGMA data_version moved): never a stale figure, at worst a sum
 * recomputed.
 */
#define DB_SQ_USAGE_SLOTS 64
struct db_sq_usage {
	int64_t account;          /* 0: empty */
	uint64_t frag, rec;
	int have_frag, have_rec;
};

struct db_sqlite {
	struct db db; /* first: a struct db * is a struct db_sqlite * */
	sqlite3 *h;
	pthread_mutex_t mu;
	int version;
	sqlite3_stmt *st[ST_COUNT];
	struct db_sq_usage usage[DB_SQ_USAGE_SLOTS];
	int64_t data_version;     /* as of the slots' sums */
};

/* db_sqlite_usage_forget: account's fragments or objects (DB_SQ_FRAGS)
 * or records (DB_SQ_RECS) are being changed: that cached sum goes
 * (caller's lock). */
#define DB_SQ_FRAGS 1
#define DB_SQ_RECS 2
void db_sqlite_usage_forget(struct db_sqlite *s, int64_t account, int which);

/* db_sqlite_usage_clear: every cached sum goes (caller's lock). */
void db_sqlite_usage_clear(struct db_sqlite *s);

static inline struct db_sqlite *
sq(struct db *db)
{
	return (struct db_sqlite *)db;
}

/* db_sqlite_err: the dz_err for an SQLite result code (constraint
 * failures: foreign key -> DZ_ENOENT, unique -> DZ_EEXIST), with SQLite's
 * message after `what` in em. */
int db_sqlite_err(struct db_sqlite *s, int rc, const char *what,
    struct dz_errmsg *em);

/* db_sqlite_exec_sql: run text (one or more statements, no results) on
 * s's connection; 0 or a dz_err naming what. */
int db_sqlite_exec_sql(struct db_sqlite *s, const char *text, const char *what,
    struct dz_errmsg *em);

/* db_sqlite_migrate (db_sqlite_migrate.c): read the schema version of s's
 * file (0 for a new one) and run the missing migrations in one
 * transaction, setting s->version; DZ_EVERSION for a file from a newer
 * build (left untouched), DZ_EFORMAT for a bad schema_version table. */
int db_sqlite_migrate(struct db_sqlite *s, struct dz_errmsg *em);

/* db_sqlite_prep: prepare sql on s's connection into *st (finalize it
 * after use); 0 or a dz_err naming what. For the files whose statements
 * are prepared per call. */
int db_sqlite_prep(struct db_sqlite *s, const char *sql, sqlite3_stmt **st,
    const char *what, struct dz_errmsg *em);

/* db_sqlite_done: reset a statement and clear its bindings for reuse. */
void db_sqlite_done(sqlite3_stmt *st);

/* db_sqlite_bind_blob: bind len bytes (0: an empty blob, never NULL) as
 * SQLITE_STATIC; returns an SQLite code. */
int db_sqlite_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len);

/* db_sqlite_col_fixed: copy column i of exactly n bytes to out;
 * DZ_EFORMAT if it has another length (a damaged database). */
int db_sqlite_col_fixed(sqlite3_stmt *st, int i, uint8_t *out, size_t n);

/* db_sqlite_read_peer: the struct db_peer of a row whose columns are
 * PEER_COLS (db_sqlite.c), then optionally left_at. 0 or DZ_EFORMAT. */
int db_sqlite_read_peer(sqlite3_stmt *st, struct db_peer *p);

/* Transactions on the handle's connection (BEGIN IMMEDIATE: the write
 * lock is taken at once, so a commit cannot fail for lock order). */
int db_sqlite_tx_begin(struct db_sqlite *s, struct dz_errmsg *em);
int db_sqlite_tx_commit(struct db_sqlite *s, struct dz_errmsg *em);
void db_sqlite_tx_rollback(struct db_sqlite *s);

/* db_sqlite_exec: step a statement that returns no rows, then reset it;
 * *changes (may be NULL) gets the rows it changed. 0 or a dz_err. */
int db_sqlite_exec(struct db_sqlite *s, sqlite3_stmt *st, const char *what,
    int *changes, struct dz_errmsg *em);

/* The fragment and record operations of struct db_ops (db_sqlite_data.c);
 * arguments and results as in db_int.h. */
int db_sqlite_frag_add(struct db *db, const struct db_frag_loc *locs, size_t n,
    struct dz_errmsg *em);
int db_sqlite_frag_lookup(struct db *db, int64_t account,
    const uint8_t (*names)[DB_IDBYTES],
    size_t n, int (*fn)(void *, const struct db_frag_loc *), void *arg,
    struct dz_errmsg *em);
int db_sqlite_frag_del_object(struct db *db, int64_t account,
    const uint8_t *object, int (*fn)(void *, const struct db_frag_loc *),
    void *arg, size_t *ndel, struct dz_errmsg *em);
int db_sqlite_frag_used(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em);
int db_sqlite_rec_put(struct db *db, int64_t account, const uint8_t *id,
    uint64_t expected, const uint8_t *blob, size_t len, uint64_t quota,
    uint64_t *version, struct dz_errmsg *em);
int db_sqlite_rec_get(struct db *db, int64_t account, const uint8_t *id,
    uint8_t **blob, size_t *len, uint64_t *version, struct dz_errmsg *em);
int db_sqlite_rec_list(struct db *db, int64_t account,
    int (*fn)(void *, const uint8_t *, uint64_t), void *arg,
    struct dz_errmsg *em);
int db_sqlite_rec_del(struct db *db, int64_t account, const uint8_t *id,
    uint64_t expected, struct dz_errmsg *em);

/* Node keys, counts and record versions (db_sqlite_keys.c and
 * db_sqlite_data.c); arguments and results as in db_int.h. */
int db_sqlite_account_signup(struct db *db, const struct db_account *a,
    const uint8_t *node_pk, int64_t now, int64_t *id, struct dz_errmsg *em);
int db_sqlite_key_bind(struct db *db, const uint8_t *pk, int64_t account,
    int64_t now, struct dz_errmsg *em);
int db_sqlite_key_account(struct db *db, const uint8_t *pk, int64_t *account,
    struct dz_errmsg *em);
int db_sqlite_peer_leave(struct db *db, const uint8_t *id, int64_t now,
    struct dz_errmsg *em);
int db_sqlite_account_used(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em);
int db_sqlite_peer_count(struct db *db, int64_t since, uint64_t *online,
    uint64_t *total, struct dz_errmsg *em);
int db_sqlite_rec_version(struct db *db, int64_t account, const uint8_t *id,
    uint64_t *version, struct dz_errmsg *em);
int db_sqlite_rec_page(struct db *db, int64_t account, const uint8_t *after,
    size_t max, int (*fn)(void *, const uint8_t *, uint64_t, uint64_t),
    void *arg, struct dz_errmsg *em);

/* The names a peer holds, for clean-up (db_sqlite_gc.c; its statements
 * are its own, prepared per call). */
int db_sqlite_peer_frags(struct db *db, const uint8_t *peer, uint64_t *count,
    int (*fn)(void *, const uint8_t *), void *arg, struct dz_errmsg *em);

/* Device keys of an account, schema v3 (db_sqlite_keys.c). */
int db_sqlite_key_list(struct db *db, int64_t account, struct db_key *out,
    size_t cap, size_t *n, struct dz_errmsg *em);
int db_sqlite_key_unbind(struct db *db, int64_t account, const uint8_t *pk,
    struct dz_errmsg *em);
int db_sqlite_key_seen(struct db *db, const uint8_t *pk, int64_t now,
    struct dz_errmsg *em);
int db_sqlite_account_passwd(struct db *db, int64_t id, const uint8_t *keyblob,
    size_t keyblob_len, const uint8_t *login_pk, const char *hint,
    const uint8_t *keep, struct dz_errmsg *em);

/* Health of stored objects (db_sqlite_health.c). */
int db_sqlite_obj_health(struct db *db, int64_t account, const uint8_t *object,
    int64_t since, int (*fn)(void *, const struct db_seg_health *), void *arg,
    struct dz_errmsg *em);

/* The migration that adds the tickets table (db_sqlite_ticket.c). */
extern const char db_sqlite_tickets_sql[];

/*
 * DB_SQ_HEALTHY_HOLDER(SINCE): the one place that says which holder of a
 * fragment counts (docs/durability.md; repair, ls -l and status all use
 * it). p is the holder's row in peers and SINCE the SQL parameter holding
 * now minus the grace period: a peer heard from since then, that had not
 * said it left before then, and whose audits have not suspended or
 * disqualified it (peers.state < 2: docs/protocol.md, "Audits").
 */
#define DB_SQ_HEALTHY_HOLDER(SINCE) \
	"(p.last_heartbeat >= " SINCE " AND (p.left_at IS NULL OR p.left_at >= " \
	SINCE ") AND p.state < 2)"

#endif
