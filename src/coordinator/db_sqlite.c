/*
 * db_sqlite: the coordinator's database in one SQLite file,
 * DIR/coordinator.db (mode 0600).
 *
 * Settings, and why:
 *  - WAL journal: readers never block the writer, and a commit appends to
 *    one file instead of rewriting pages in place.
 *  - synchronous=FULL: every commit fsyncs the WAL. With NORMAL, WAL mode
 *    stays consistent but a power failure may roll back the last commits;
 *    the coordinator answers "stored" (fragment locations, a record's new
 *    version) to clients that then forget their copy, so a forgotten
 *    commit loses data or an update. Batches (db_frag_add) share one
 *    commit, and so one fsync.
 *  - foreign_keys=ON: locations name existing fragments and peers, records
 *    and fragments existing accounts; deleting a fragment drops its
 *    locations (ON DELETE CASCADE).
 *  - busy timeout of 5 s: several coordinator processes may share the file.
 *  - one connection per handle, every statement prepared once at open,
 *    calls serialised by a mutex (statements and transactions are per
 *    connection).
 *
 * Schema versions and their migrations: db_sqlite_migrate.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/db_sqlite_int.h"
#include "core/fsio.h"

#define SQ_BUSY_MS 5000


#define PEER_COLS "id, addr, capacity, used, first_seen, last_heartbeat, " \
	"hb_seen, hb_expected, owner, flags"
#define LOC_COLS "f.name, l.peer, f.object, f.account, f.segment, f.idx, f.size"
#define LOC_JOIN " JOIN locations l ON l.account = f.account AND l.name = f.name"


static const char *const sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_ACC_INSERT] = "INSERT INTO accounts(name, keyfile, login_pk, hint, created)"
	    " VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_ACC_GET] = "SELECT id, name, keyfile, login_pk, hint, created"
	    " FROM accounts WHERE name = ?1",
	[ST_ACC_REKEY] = "UPDATE accounts SET keyfile = ?2, login_pk = ?3,"
	    " hint = coalesce(?4, hint) WHERE id = ?1",
	[ST_PEER_UPSERT] = "INSERT INTO peers(" PEER_COLS ")"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?5, 1, 1, ?6, ?7)"
	    " ON CONFLICT(id) DO UPDATE SET addr = excluded.addr,"
	    " capacity = excluded.capacity, used = excluded.used,"
	    " owner = excluded.owner, flags = excluded.flags, left_at = NULL",
	/* expected: one per interval elapsed, at least 1, at most 2^32 (a
	 * peer back after a century must not overflow the counter) */
	[ST_PEER_HB] = "UPDATE peers SET hb_seen = hb_seen + 1,"
	    " hb_expected = hb_expected +"
	    "   max(1, min((?3 - last_heartbeat) / ?4, 4294967296)),"
	    " last_heartbeat = max(last_heartbeat, ?3), used = ?2, left_at = NULL"
	    " WHERE id = ?1",
	[ST_PEER_GET] = "SELECT " PEER_COLS ", left_at FROM peers WHERE id = ?1",
	[ST_PEER_ONLINE] = "SELECT " PEER_COLS " FROM peers"
	    " WHERE last_heartbeat >= ?1 AND left_at IS NULL"
	    " AND (?2 IS NULL OR id <> ?2)"
	    " AND owner IS NOT ?4" /* ?4 = 0 (no account) keeps every peer */
	    " ORDER BY max(capacity - used, 0) DESC, id LIMIT ?3",
	[ST_FRAG_INSERT] = "INSERT INTO fragments(name, account, object, segment, idx, size)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(account, name) DO NOTHING",
	[ST_FRAG_SAME] = "SELECT 1 FROM fragments WHERE name = ?1 AND account = ?2"
	    " AND object = ?3 AND segment = ?4 AND idx = ?5 AND size = ?6",
	[ST_LOC_INSERT] = "INSERT INTO locations(account, name, peer) VALUES(?1, ?2, ?3)"
	    " ON CONFLICT DO NOTHING",
	[ST_FRAG_LOOKUP] = "SELECT " LOC_COLS " FROM fragments f" LOC_JOIN
	    " WHERE f.account = ?1 AND f.name = ?2",
	[ST_FRAG_OBJ_LOCS] = "SELECT " LOC_COLS " FROM fragments f" LOC_JOIN
	    " WHERE f.account = ?1 AND f.object = ?2",
	[ST_FRAG_DEL_OBJ] = "DELETE FROM fragments WHERE account = ?1 AND object = ?2",
	/* counted once, on the plaintext side: per segment k fragments'
	 * worth (its sealed size), not the n stored; a segment whose object
	 * has no code recorded counts the fragments committed, each once */
	[ST_FRAG_USED] = "SELECT coalesce(sum(sz), 0) FROM"
	    " (SELECT coalesce(max(o.k) * max(f.size), sum(f.size)) AS sz"
	    "  FROM fragments f LEFT JOIN objects o"
	    "  ON o.account = f.account AND o.object = f.object"
	    "  WHERE f.account = ?1 GROUP BY f.object, f.segment)",
	/* version 0 expected: insert, or revive a tombstone after its version */
	[ST_REC_CREATE] = "INSERT INTO records(account, id, version, blob)"
	    " VALUES(?1, ?2, 1, ?3) ON CONFLICT(account, id) DO UPDATE"
	    " SET version = version + 1, blob = excluded.blob WHERE blob IS NULL"
	    " RETURNING version",
	[ST_REC_UPDATE] = "UPDATE records SET blob = ?4, version = version + 1"
	    " WHERE account = ?1 AND id = ?2 AND version = ?3 AND blob IS NOT NULL"
	    " RETURNING version",
	[ST_REC_GET] = "SELECT blob, version FROM records"
	    " WHERE account = ?1 AND id = ?2 AND blob IS NOT NULL",
	[ST_REC_STATE] = "SELECT version, blob IS NOT NULL FROM records"
	    " WHERE account = ?1 AND id = ?2",
	[ST_REC_LIST] = "SELECT id, version FROM records"
	    " WHERE account = ?1 AND blob IS NOT NULL ORDER BY id",
	[ST_REC_DEL] = "UPDATE records SET blob = NULL, version = version + 1"
	    " WHERE account = ?1 AND id = ?2 AND version = ?3 AND blob IS NOT NULL",
	[ST_KEY_INSERT] = "INSERT INTO account_keys(pk, account, created)"
	    " VALUES(?1, ?2, ?3)",
	[ST_KEY_GET] = "SELECT account FROM account_keys WHERE pk = ?1",
	[ST_REC_PAGE] = "SELECT id, version, length(blob) FROM records"
	    " WHERE account = ?1 AND id > ?2 AND blob IS NOT NULL ORDER BY id"
	    " LIMIT ?3",
	[ST_PEER_COUNT] = "SELECT count(*),"
	    " coalesce(sum(last_heartbeat >= ?1 AND left_at IS NULL), 0) FROM peers",
	[ST_PEER_LEAVE] = "UPDATE peers SET left_at = ?2 WHERE id = ?1",
	[ST_REC_USED] = "SELECT coalesce(sum(length(blob)), 0) FROM records"
	    " WHERE account = ?1",
	[ST_REC_LEN] = "SELECT length(blob) FROM records"
	    " WHERE account = ?1 AND id = ?2 AND blob IS NOT NULL",
	[ST_DATA_VERSION] = "PRAGMA data_version",
};

/* ---- helpers (documented in db_sqlite_int.h) ---- */

int
db_sqlite_err(struct db_sqlite *s, int rc, const char *what, struct dz_errmsg *em)
{
	int code;

	/* SQLite may have rolled a transaction back by itself */
	db_sqlite_usage_clear(s);
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		code = DZ_ENOMEM;
		break;
	case SQLITE_FULL:
		code = DZ_ENOSPC;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		code = DZ_EFORMAT;
		break;
	case SQLITE_TOOBIG:
		code = DZ_ERANGE;
		break;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			code = DZ_ENOENT; /* names an account or peer not known */
		else if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			code = DZ_EEXIST;
		else
			code = DZ_EINVAL;
		break;
	default:
		code = DZ_EIO;
	}
	return dz_errf(em, code, "coordinator database: %s: %s", what,
	    s->h != NULL ? sqlite3_errmsg(s->h) : sqlite3_errstr(rc));
}

int
db_sqlite_prep(struct db_sqlite *s, const char *text, sqlite3_stmt **st,
    const char *what, struct dz_errmsg *em)
{
	int rc = sqlite3_prepare_v2(s->h, text, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : db_sqlite_err(s, rc, what, em);
}

void
db_sqlite_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* SQLITE_STATIC: every caller resets the statement before its bytes go. */
int
db_sqlite_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
	if (len == 0)
		return sqlite3_bind_zeroblob(st, i, 0);
	return sqlite3_bind_blob64(st, i, p, (sqlite3_uint64)len, SQLITE_STATIC);
}

int
db_sqlite_col_fixed(sqlite3_stmt *st, int i, uint8_t *out, size_t n)
{
	const void *p = sqlite3_column_blob(st, i);

	if (p == NULL || (size_t)sqlite3_column_bytes(st, i) != n)
		return DZ_EFORMAT;
	memcpy(out, p, n);
	return 0;
}

/* Copy a text column of at most max bytes and a NUL into out. */
static int
col_text(sqlite3_stmt *st, int i, char *out, size_t max)
{
	const unsigned char *p = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (p == NULL || n > max || memchr(p, '\0', n) != NULL)
		return DZ_EFORMAT;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
db_sqlite_tx_begin(struct db_sqlite *s, struct dz_errmsg *em)
{
	int rc = sqlite3_step(s->st[ST_BEGIN]);

	db_sqlite_done(s->st[ST_BEGIN]);
	return rc == SQLITE_DONE ? 0 : db_sqlite_err(s, rc, "begin", em);
}

int
db_sqlite_tx_commit(struct db_sqlite *s, struct dz_errmsg *em)
{
	int rc = sqlite3_step(s->st[ST_COMMIT]);

	db_sqlite_done(s->st[ST_COMMIT]);
	return rc == SQLITE_DONE ? 0 : db_sqlite_err(s, rc, "commit", em);
}

void
db_sqlite_tx_rollback(struct db_sqlite *s)
{
	db_sqlite_usage_clear(s); /* a sum may have seen what is undone */
	sqlite3_step(s->st[ST_ROLLBACK]);
	db_sqlite_done(s->st[ST_ROLLBACK]);
}

int
db_sqlite_exec(struct db_sqlite *s, sqlite3_stmt *st, const char *what, int *changes,
    struct dz_errmsg *em)
{
	int rc = sqlite3_step(st);

	db_sqlite_done(st);
	if (rc != SQLITE_DONE)
		return db_sqlite_err(s, rc, what, em);
	if (changes != NULL)
		*changes = sqlite3_changes(s->h);
	return 0;
}

int
db_sqlite_exec_sql(struct db_sqlite *s, const char *text, const char *what,
    struct dz_errmsg *em)
{
	int rc = sqlite3_exec(s->h, text, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_sqlite_err(s, rc, what, em);
}

/* ---- open, close ---- */

static int
sq_version(struct db *db)
{
	return sq(db)->version;
}

static void
sq_close(struct db *db)
{
	struct db_sqlite *s = sq(db);

	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->h); /* every statement is finalized: cannot be busy */
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static const struct db_ops sq_ops;

int
db_sqlite_open(const char *dir, struct db **out, struct dz_errmsg *em)
{
	struct db_sqlite *s;
	char path[4096];
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int rc, fd;

	if (snprintf(path, sizeof(path), "%s/coordinator.db", dir) >= (int)sizeof(path))
		return dz_errf(em, DZ_ERANGE, "path too long: %s", dir);
	/* create it ourselves first: 0600, whatever the umask (SQLite gives
	 * the -wal and -shm files the database file's mode) */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return dz_errf(em, fsio_errno(errno), "cannot open %s: %s", path,
		    strerror(errno));
	close(fd);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return DZ_ENOMEM;
	s->db.ops = &sq_ops;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return DZ_ENOMEM;
	}
	rc = sqlite3_open_v2(path, &s->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, path, em);
		goto fail;
	}
	sqlite3_extended_result_codes(s->h, 1);
	sqlite3_busy_timeout(s->h, SQ_BUSY_MS);
	/* journal_mode answers with the mode in force: WAL can be refused
	 * (e.g. on a file system without shared memory) */
	rc = sqlite3_prepare_v2(s->h, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		mode = sqlite3_column_text(st, 0);
		rc = mode != NULL && strcmp((const char *)mode, "wal") == 0 ?
		    SQLITE_OK : SQLITE_CANTOPEN;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "cannot use write-ahead logging", em);
		goto fail;
	}
	if ((rc = db_sqlite_exec_sql(s, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
	    "settings", em)) != 0)
		goto fail;
	if ((rc = db_sqlite_migrate(s, em)) != 0)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->h, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &s->st[i], NULL);
		if (rc != SQLITE_OK) {
			rc = db_sqlite_err(s, rc, "prepare", em);
			goto fail;
		}
	}
	*out = &s->db;
	return 0;
fail:
	sq_close(&s->db);
	return rc;
}


/*
 * The account and peer operations (fragments and records are in
 * db_sqlite_data.c). Each takes the handle's mutex for its whole run;
 * binds are checked (a failed bind would leave a NULL in place of the
 * value).
 */

/* ---- accounts ---- */

static int
sq_account_create(struct db *db, const struct db_account *a, int64_t *id,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_ACC_INSERT];
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, a->keyblob, a->keyblob_len)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 3, a->login_pk, DB_PKBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 4, a->hint, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, a->created)) != SQLITE_OK) {
		db_sqlite_done(st);
		rc = db_sqlite_err(s, rc, "create account", em);
		goto out;
	}
	rc = db_sqlite_exec(s, st, "create account", NULL, em);
	if (rc == DZ_EEXIST)
		dz_errf(em, rc, "the account name %s is taken", a->name);
	else if (rc == 0)
		*id = sqlite3_last_insert_rowid(s->h);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int
sq_account_get(struct db *db, const char *name, struct db_account *a,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_ACC_GET];
	const void *blob;
	size_t n;
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "get account", em);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = dz_errf(em, DZ_ENOENT, "no account is called %s", name);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = db_sqlite_err(s, rc, "get account", em);
		goto out;
	}
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	blob = sqlite3_column_blob(st, 2);
	n = (size_t)sqlite3_column_bytes(st, 2);
	rc = col_text(st, 1, a->name, DB_NAME_MAX);
	if (rc == 0 && (blob == NULL || n == 0 || n > DB_KEYBLOB_MAX))
		rc = DZ_EFORMAT;
	if (rc == 0) {
		memcpy(a->keyblob, blob, n);
		a->keyblob_len = n;
		rc = db_sqlite_col_fixed(st, 3, a->login_pk, DB_PKBYTES);
	}
	if (rc == 0)
		rc = col_text(st, 4, a->hint, DB_HINT_MAX);
	a->created = sqlite3_column_int64(st, 5);
	if (rc != 0)
		dz_errf(em, rc, "coordinator database: account %s is damaged", name);
out:
	db_sqlite_done(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* A password change that keeps every device: db_sqlite_keys.c's,
 * which writes blob, key and hint in one transaction. */
static int
sq_account_rekey(struct db *db, int64_t id, const uint8_t *keyblob,
    size_t keyblob_len, const uint8_t *login_pk, const char *hint,
    struct dz_errmsg *em)
{
	return db_sqlite_account_passwd(db, id, keyblob, keyblob_len, login_pk,
	    hint, NULL, em);
}

/* ---- peers ---- */

int
db_sqlite_read_peer(sqlite3_stmt *st, struct db_peer *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = db_sqlite_col_fixed(st, 0, p->id, DB_IDBYTES)) != 0 ||
	    (rc = col_text(st, 1, p->addr, DB_ADDR_MAX)) != 0)
		return rc;
	p->capacity = (uint64_t)sqlite3_column_int64(st, 2);
	p->used = (uint64_t)sqlite3_column_int64(st, 3);
	p->first_seen = sqlite3_column_int64(st, 4);
	p->last_heartbeat = sqlite3_column_int64(st, 5);
	p->hb_seen = (uint64_t)sqlite3_column_int64(st, 6);
	p->hb_expected = (uint64_t)sqlite3_column_int64(st, 7);
	p->owner = sqlite3_column_int64(st, 8); /* NULL reads as 0 */
	p->flags = (uint32_t)sqlite3_column_int64(st, 9);
	if (sqlite3_column_count(st) > 10) /* ST_PEER_GET; NULL reads as 0 */
		p->left_at = sqlite3_column_int64(st, 10);
	return 0;
}

static int
sq_peer_upsert(struct db *db, const struct db_peer *p, int64_t now,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_PEER_UPSERT];
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_bind_blob(st, 1, p->id, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 2, p->addr, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, (int64_t)p->capacity)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, (int64_t)p->used)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, now)) != SQLITE_OK ||
	    (rc = p->owner != 0 ? sqlite3_bind_int64(st, 6, p->owner) :
	    sqlite3_bind_null(st, 6)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 7, p->flags)) != SQLITE_OK) {
		db_sqlite_done(st);
		rc = db_sqlite_err(s, rc, "register peer", em);
		goto out;
	}
	rc = db_sqlite_exec(s, st, "register peer", NULL, em);
	if (rc == DZ_ENOENT)
		dz_errf(em, rc, "peer owner: no account has id %lld", (long long)p->owner);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int
sq_peer_heartbeat(struct db *db, const uint8_t *id, uint64_t used, int64_t now,
    int64_t interval, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_PEER_HB];
	int rc, changes = 0;

	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_bind_blob(st, 1, id, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)used)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, now)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, interval)) != SQLITE_OK) {
		db_sqlite_done(st);
		rc = db_sqlite_err(s, rc, "peer heartbeat", em);
		goto out;
	}
	rc = db_sqlite_exec(s, st, "peer heartbeat", &changes, em);
	if (rc == 0 && changes == 0)
		rc = dz_errf(em, DZ_ENOENT, "heartbeat from a peer that never registered");
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int
sq_peer_get(struct db *db, const uint8_t *id, struct db_peer *p,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_PEER_GET];
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_bind_blob(st, 1, id, DB_IDBYTES)) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE))
		rc = db_sqlite_err(s, rc, "get peer", em);
	else if (rc == SQLITE_DONE)
		rc = dz_errf(em, DZ_ENOENT, "no such peer");
	else if ((rc = db_sqlite_read_peer(st, p)) != 0)
		dz_errf(em, rc, "coordinator database: a peer row is damaged");
	db_sqlite_done(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int
sq_peer_online(struct db *db, int64_t since, const uint8_t *exclude,
    int64_t not_owner, struct db_peer *out, size_t cap, size_t *n,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_PEER_ONLINE];
	int rc, step;

	pthread_mutex_lock(&s->mu);
	if ((rc = sqlite3_bind_int64(st, 1, since)) != SQLITE_OK ||
	    (rc = exclude != NULL ? db_sqlite_bind_blob(st, 2, exclude, DB_IDBYTES) :
	    sqlite3_bind_null(st, 2)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3,
	    cap > (size_t)INT64_MAX ? INT64_MAX : (int64_t)cap)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, not_owner)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "list peers", em);
		goto out;
	}
	/* step is SQLite's code, rc ours: never mixed */
	for (step = SQLITE_DONE; *n < cap && (step = sqlite3_step(st)) == SQLITE_ROW;)
		if ((rc = db_sqlite_read_peer(st, &out[(*n)++])) != 0) {
			dz_errf(em, rc, "coordinator database: a peer row is damaged");
			goto out;
		}
	rc = step == SQLITE_DONE || step == SQLITE_ROW ? 0 :
	    db_sqlite_err(s, step, "list peers", em);
out:
	db_sqlite_done(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static const struct db_ops sq_ops = {
	.close = sq_close,
	.schema_version = sq_version,
	.account_create = sq_account_create,
	.account_get = sq_account_get,
	.account_rekey = sq_account_rekey,
	.peer_upsert = sq_peer_upsert,
	.peer_heartbeat = sq_peer_heartbeat,
	.peer_get = sq_peer_get,
	.peer_online = sq_peer_online,
	.frag_add = db_sqlite_frag_add,
	.frag_lookup = db_sqlite_frag_lookup,
	.frag_del_object = db_sqlite_frag_del_object,
	.frag_used = db_sqlite_frag_used,
	.rec_put = db_sqlite_rec_put,
	.rec_get = db_sqlite_rec_get,
	.rec_list = db_sqlite_rec_list,
	.rec_del = db_sqlite_rec_del,
	.account_signup = db_sqlite_account_signup,
	.key_bind = db_sqlite_key_bind,
	.key_account = db_sqlite_key_account,
	.peer_count = db_sqlite_peer_count,
	.rec_version = db_sqlite_rec_version,
	.rec_page = db_sqlite_rec_page,
	.peer_leave = db_sqlite_peer_leave,
	.account_used = db_sqlite_account_used,
	.key_list = db_sqlite_key_list,
	.key_unbind = db_sqlite_key_unbind,
	.key_seen = db_sqlite_key_seen,
	.account_passwd = db_sqlite_account_passwd,
	.peer_frags = db_sqlite_peer_frags,
	.obj_health = db_sqlite_obj_health,
};
