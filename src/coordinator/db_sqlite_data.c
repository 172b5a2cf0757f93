/*
 * db_sqlite_data: the fragment and record tables of the SQLite backend.
 *
 * Fragments: one row per (account, name) (object, position, size) and one
 * per (account, name, peer) location: a name is the account's, never a
 * global key another account could take first; a batch goes in one transaction, and so
 * costs one WAL fsync. Records: a compare-and-swap is one statement whose
 * WHERE clause holds the expected version, so it cannot race another
 * writer (RETURNING hands back the new version). A deleted record stays as
 * a tombstone (blob NULL) that keeps its version counting.
 * Each operation holds the handle's mutex for its whole run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coordinator/db_sqlite_int.h"

static int
bind_frag(sqlite3_stmt *st, const struct db_frag_loc *l)
{
	int rc;

	if ((rc = db_sqlite_bind_blob(st, 1, l->name, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, l->account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 3, l->object, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, l->segment)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, l->index)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, (int64_t)l->size)) != SQLITE_OK)
		return rc;
	return SQLITE_OK;
}

static int
read_loc(sqlite3_stmt *st, struct db_frag_loc *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	if ((rc = db_sqlite_col_fixed(st, 0, l->name, DB_IDBYTES)) != 0 ||
	    (rc = db_sqlite_col_fixed(st, 1, l->peer, DB_IDBYTES)) != 0 ||
	    (rc = db_sqlite_col_fixed(st, 2, l->object, DB_IDBYTES)) != 0)
		return rc;
	l->account = sqlite3_column_int64(st, 3);
	l->segment = (uint32_t)sqlite3_column_int64(st, 4);
	l->index = (uint32_t)sqlite3_column_int64(st, 5);
	l->size = (uint64_t)sqlite3_column_int64(st, 6);
	return 0;
}

/* One location inside the batch transaction. */
static int
add_one(struct db_sqlite *s, const struct db_frag_loc *l, struct dz_errmsg *em)
{
	sqlite3_stmt *ins = s->st[ST_FRAG_INSERT], *same = s->st[ST_FRAG_SAME];
	sqlite3_stmt *loc = s->st[ST_LOC_INSERT];
	char hex[2 * DB_IDBYTES + 1];
	int rc, changes = 0;

	db_sqlite_usage_forget(s, l->account, DB_SQ_FRAGS);
	if ((rc = bind_frag(ins, l)) != SQLITE_OK) {
		db_sqlite_done(ins);
		return db_sqlite_err(s, rc, "add fragment", em);
	}
	if ((rc = db_sqlite_exec(s, ins, "add fragment", &changes, em)) != 0)
		return rc == DZ_ENOENT ? dz_errf(em, rc, "add fragment: no account has id %lld",
		    (long long)l->account) : rc;
	if (changes == 0) { /* known name: must be the same fragment */
		if ((rc = bind_frag(same, l)) == SQLITE_OK)
			rc = sqlite3_step(same);
		db_sqlite_done(same);
		if (rc == SQLITE_DONE) {
			for (size_t i = 0; i < DB_IDBYTES; i++)
				snprintf(hex + 2 * i, 3, "%02x", l->name[i]);
			return dz_errf(em, DZ_EEXIST,
			    "this account already has fragment %s for another object, segment, index or size",
			    hex);
		}
		if (rc != SQLITE_ROW)
			return db_sqlite_err(s, rc, "add fragment", em);
	}
	if (sodium_is_zero(l->peer, DB_IDBYTES))
		return 0; /* a fragment not placed: named, held nowhere */
	if ((rc = sqlite3_bind_int64(loc, 1, l->account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(loc, 2, l->name, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(loc, 3, l->peer, DB_IDBYTES)) != SQLITE_OK) {
		db_sqlite_done(loc);
		return db_sqlite_err(s, rc, "add fragment location", em);
	}
	rc = db_sqlite_exec(s, loc, "add fragment location", NULL, em);
	if (rc == DZ_ENOENT)
		dz_errf(em, rc, "add fragment location: the peer never registered");
	return rc;
}

int
db_sqlite_frag_add(struct db *db, const struct db_frag_loc *locs, size_t n,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_tx_begin(s, em)) != 0)
		goto out;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = add_one(s, &locs[i], em);
	if (rc == 0)
		rc = db_sqlite_tx_commit(s, em);
	if (rc != 0)
		db_sqlite_tx_rollback(s);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Call fn for every row of a statement returning LOC_COLS. */
static int
each_loc(struct db_sqlite *s, sqlite3_stmt *st,
    int (*fn)(void *, const struct db_frag_loc *), void *arg,
    struct dz_errmsg *em)
{
	struct db_frag_loc l;
	int rc = 0, step;

	/* step is SQLite's code, rc ours (or fn's): never mixed */
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = read_loc(st, &l)) != 0) {
			dz_errf(em, rc, "coordinator database: a fragment row is damaged");
			break;
		}
		if ((rc = fn(arg, &l)) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_sqlite_err(s, step, "look up fragments", em);
	db_sqlite_done(st);
	return rc;
}

int
db_sqlite_frag_lookup(struct db *db, int64_t account,
    const uint8_t (*names)[DB_IDBYTES], size_t n,
    int (*fn)(void *, const struct db_frag_loc *), void *arg,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_FRAG_LOOKUP];
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
		    (rc = db_sqlite_bind_blob(st, 2, names[i], DB_IDBYTES)) != SQLITE_OK) {
			db_sqlite_done(st);
			rc = db_sqlite_err(s, rc, "look up fragments", em);
		} else {
			rc = each_loc(s, st, fn, arg, em);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_frag_del_object(struct db *db, int64_t account, const uint8_t *object,
    int (*fn)(void *, const struct db_frag_loc *), void *arg, size_t *ndel,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *locs = s->st[ST_FRAG_OBJ_LOCS], *del = s->st[ST_FRAG_DEL_OBJ];
	int rc, changes = 0;

	*ndel = 0;
	pthread_mutex_lock(&s->mu);
	db_sqlite_usage_forget(s, account, DB_SQ_FRAGS);
	if ((rc = db_sqlite_tx_begin(s, em)) != 0)
		goto out;
	if (fn != NULL) {
		if ((rc = sqlite3_bind_int64(locs, 1, account)) != SQLITE_OK ||
		    (rc = db_sqlite_bind_blob(locs, 2, object, DB_IDBYTES)) != SQLITE_OK) {
			db_sqlite_done(locs);
			rc = db_sqlite_err(s, rc, "delete object", em);
		} else {
			rc = each_loc(s, locs, fn, arg, em);
		}
	}
	if (rc == 0) {
		if ((rc = sqlite3_bind_int64(del, 1, account)) != SQLITE_OK ||
		    (rc = db_sqlite_bind_blob(del, 2, object, DB_IDBYTES)) != SQLITE_OK) {
			db_sqlite_done(del);
			rc = db_sqlite_err(s, rc, "delete object", em);
		} else {
			rc = db_sqlite_exec(s, del, "delete object", &changes, em);
		}
	}
	if (rc == 0)
		rc = db_sqlite_tx_commit(s, em);
	if (rc != 0)
		db_sqlite_tx_rollback(s);
	else
		*ndel = (size_t)changes;
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void
db_sqlite_usage_forget(struct db_sqlite *s, int64_t account, int which)
{
	struct db_sq_usage *u = &s->usage[(uint64_t)account % DB_SQ_USAGE_SLOTS];

	if (u->account != account)
		return;
	if (which & DB_SQ_FRAGS)
		u->have_frag = 0;
	if (which & DB_SQ_RECS)
		u->have_rec = 0;
}

/* A record of account went from old to len bytes (0: none): correct the
 * records' sum if it is kept. */
static void
usage_rec_moved(struct db_sqlite *s, int64_t account, uint64_t old, uint64_t len)
{
	struct db_sq_usage *u = &s->usage[(uint64_t)account % DB_SQ_USAGE_SLOTS];

	if (u->account == account && u->have_rec && u->rec >= old)
		u->rec = u->rec - old + len;
	else
		db_sqlite_usage_forget(s, account, DB_SQ_RECS);
}

void
db_sqlite_usage_clear(struct db_sqlite *s)
{
	memset(s->usage, 0, sizeof(s->usage));
}

/* Forget every slot if another connection committed since they were
 * filled; 0 or an error. */
static int
usage_fresh(struct db_sqlite *s, struct dz_errmsg *em)
{
	sqlite3_stmt *st = s->st[ST_DATA_VERSION];
	int64_t v;
	int rc;

	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_sqlite_done(st);
		return db_sqlite_err(s, rc, "storage used", em);
	}
	v = sqlite3_column_int64(st, 0);
	db_sqlite_done(st);
	if (v != s->data_version) {
		db_sqlite_usage_clear(s);
		s->data_version = v;
	}
	return 0;
}

/* One coalesce(sum(...), 0) over account's rows (ST_FRAG_USED or
 * ST_REC_USED), inside the caller's lock, from the slot when it has it;
 * a sum past INT64_MAX turns into a float: report it. */
static int
sum_locked(struct db_sqlite *s, int which, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em)
{
	struct db_sq_usage *u = &s->usage[(uint64_t)account % DB_SQ_USAGE_SLOTS];
	sqlite3_stmt *st = s->st[which];
	int frag = which == ST_FRAG_USED;
	int64_t v;
	int rc;

	*bytes = 0;
	if ((rc = usage_fresh(s, em)) != 0)
		return rc;
	if (u->account == account && (frag ? u->have_frag : u->have_rec)) {
		*bytes = frag ? u->frag : u->rec;
		return 0;
	}
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		rc = db_sqlite_err(s, rc, "storage used", em);
	} else {
		v = sqlite3_column_int64(st, 0);
		rc = sqlite3_column_type(st, 0) == SQLITE_INTEGER && v >= 0 ? 0 :
		    dz_errf(em, DZ_ERANGE, "storage used is out of range");
		*bytes = rc == 0 ? (uint64_t)v : 0;
	}
	db_sqlite_done(st);
	if (rc == 0) {
		if (u->account != account) {
			memset(u, 0, sizeof(*u));
			u->account = account;
		}
		if (frag) {
			u->frag = *bytes;
			u->have_frag = 1;
		} else {
			u->rec = *bytes;
			u->have_rec = 1;
		}
	}
	return rc;
}

/* Fragments plus live records of account, inside the caller's lock. */
static int
used_locked(struct db_sqlite *s, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em)
{
	uint64_t f, r;
	int rc;

	if ((rc = sum_locked(s, ST_FRAG_USED, account, &f, em)) != 0 ||
	    (rc = sum_locked(s, ST_REC_USED, account, &r, em)) != 0)
		return rc;
	*bytes = f + r; /* both at most INT64_MAX: no wrap */
	return 0;
}

int
db_sqlite_frag_used(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = sum_locked(s, ST_FRAG_USED, account, bytes, em);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_account_used(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = used_locked(s, account, bytes, em);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- records ---- */

/* After a failed compare-and-swap: *version and *live of (account, id). */
static int
rec_state(struct db_sqlite *s, int64_t account, const uint8_t *id,
    uint64_t *version, int *live, struct dz_errmsg *em)
{
	sqlite3_stmt *st = s->st[ST_REC_STATE];
	int rc;

	*version = 0;
	*live = 0;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, id, DB_IDBYTES)) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		rc = db_sqlite_err(s, rc, "read record version", em);
	} else {
		if (rc == SQLITE_ROW) {
			*version = (uint64_t)sqlite3_column_int64(st, 0);
			*live = sqlite3_column_int(st, 1);
		}
		rc = 0;
	}
	db_sqlite_done(st);
	return rc;
}

int
db_sqlite_rec_version(struct db *db, int64_t account, const uint8_t *id,
    uint64_t *version, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	uint64_t v;
	int rc, live;

	pthread_mutex_lock(&s->mu);
	rc = rec_state(s, account, id, &v, &live, em);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0)
		*version = live ? v : 0;
	return rc;
}

/* Length of the live record (account, id), 0 if none; caller's lock. */
static int
rec_len(struct db_sqlite *s, int64_t account, const uint8_t *id, uint64_t *len,
    struct dz_errmsg *em)
{
	sqlite3_stmt *st = s->st[ST_REC_LEN];
	int rc;

	*len = 0;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, id, DB_IDBYTES)) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		rc = db_sqlite_err(s, rc, "read record size", em);
	} else {
		if (rc == SQLITE_ROW)
			*len = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	}
	db_sqlite_done(st);
	return rc;
}

/* Would replacing (account, id) by len bytes pass quota? Caller's lock,
 * inside the transaction of the write; *oldp gets its length now.
 * Growing only: a record that keeps or shrinks its length is always
 * allowed. */
static int
rec_quota(struct db_sqlite *s, int64_t account, const uint8_t *id, size_t len,
    uint64_t quota, uint64_t *oldp, struct dz_errmsg *em)
{
	uint64_t old, used;
	int rc;

	if ((rc = rec_len(s, account, id, &old, em)) != 0)
		return rc;
	*oldp = old;
	if (len <= old)
		return rc;
	if ((rc = used_locked(s, account, &used, em)) != 0)
		return rc;
	if (used > quota || len - old > quota - used)
		return dz_errf(em, DZ_EQUOTA,
		    "over quota: %llu of %llu bytes used, this record needs %llu more; "
		    "delete files or offer disk space to earn more",
		    (unsigned long long)used, (unsigned long long)quota,
		    (unsigned long long)(len - old));
	return 0;
}

int
db_sqlite_rec_put(struct db *db, int64_t account, const uint8_t *id, uint64_t expected,
    const uint8_t *blob, size_t len, uint64_t quota, uint64_t *version,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[expected == 0 ? ST_REC_CREATE : ST_REC_UPDATE];
	uint64_t cur, old = 0;
	int rc, live, got = 0, tx = quota != DB_NO_QUOTA;

	*version = 0;
	pthread_mutex_lock(&s->mu);
	/* the quota's sums and the swap in one transaction: another writer
	 * on the file cannot slip a record in between */
	if (tx && ((rc = db_sqlite_tx_begin(s, em)) != 0 ||
	    (rc = rec_quota(s, account, id, len, quota, &old, em)) != 0))
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, id, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, expected == 0 ? 3 : 4, blob, len)) != SQLITE_OK ||
	    (expected != 0 &&
	    (rc = sqlite3_bind_int64(st, 3, (int64_t)expected)) != SQLITE_OK)) {
		db_sqlite_done(st);
		rc = db_sqlite_err(s, rc, "write record", em);
		goto out;
	}
	/* RETURNING: the row, if the swap happened, then DONE */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = (uint64_t)sqlite3_column_int64(st, 0);
		got = 1;
	}
	db_sqlite_done(st);
	if (rc != SQLITE_DONE) {
		rc = db_sqlite_err(s, rc, "write record", em);
		if (rc == DZ_ENOENT)
			dz_errf(em, rc, "write record: no account has id %lld",
			    (long long)account);
		goto out;
	}
	rc = 0;
	if (!got && (rc = rec_state(s, account, id, &cur, &live, em)) == 0)
		rc = dz_errf(em, DZ_ECONFLICT,
		    "version conflict: the record %s %llu, not %llu: re-read, merge and retry",
		    live ? "is at version" : cur == 0 ? "does not exist: version" :
		    "was deleted at version", (unsigned long long)cur,
		    (unsigned long long)expected);
	if (rc == 0 && tx)
		rc = db_sqlite_tx_commit(s, em);
out:
	if (rc != 0 && tx)
		db_sqlite_tx_rollback(s);
	if (rc != 0)
		*version = 0;
	/* after rec_quota's sums: committed, the records' sum moved by the
	 * difference; else (or with the old length unknown) it goes */
	if (rc == 0 && tx)
		usage_rec_moved(s, account, old, len);
	else
		db_sqlite_usage_forget(s, account, DB_SQ_RECS);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_rec_get(struct db *db, int64_t account, const uint8_t *id, uint8_t **blob,
    size_t *len, uint64_t *version, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_REC_GET];
	const void *p;
	size_t n;
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, id, DB_IDBYTES)) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		rc = db_sqlite_err(s, rc, "read record", em);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		rc = dz_errf(em, DZ_ENOENT, "no such record");
		goto out;
	}
	p = sqlite3_column_blob(st, 0);
	n = (size_t)sqlite3_column_bytes(st, 0);
	if (n > DB_REC_MAX || (n > 0 && p == NULL)) {
		rc = dz_errf(em, n > DB_REC_MAX ? DZ_EFORMAT : DZ_ENOMEM,
		    "coordinator database: cannot read a record of %zu bytes", n);
		goto out;
	}
	if ((*blob = malloc(n > 0 ? n : 1)) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if (n > 0)
		memcpy(*blob, p, n);
	*len = n;
	*version = (uint64_t)sqlite3_column_int64(st, 1);
	rc = 0;
out:
	db_sqlite_done(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_rec_list(struct db *db, int64_t account,
    int (*fn)(void *, const uint8_t *, uint64_t), void *arg,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_REC_LIST];
	uint8_t id[DB_IDBYTES];
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "list records", em);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = db_sqlite_col_fixed(st, 0, id, DB_IDBYTES)) != 0) {
			dz_errf(em, rc, "coordinator database: a record row is damaged");
			goto out;
		}
		if ((rc = fn(arg, id, (uint64_t)sqlite3_column_int64(st, 1))) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : db_sqlite_err(s, rc, "list records", em);
out:
	db_sqlite_done(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_rec_del(struct db *db, int64_t account, const uint8_t *id, uint64_t expected,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_REC_DEL];
	uint64_t cur;
	int rc, live, changes = 0;

	pthread_mutex_lock(&s->mu);
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, id, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, (int64_t)expected)) != SQLITE_OK) {
		db_sqlite_done(st);
		rc = db_sqlite_err(s, rc, "delete record", em);
		goto out;
	}
	rc = db_sqlite_exec(s, st, "delete record", &changes, em);
	if (rc == 0 && changes == 0 &&
	    (rc = rec_state(s, account, id, &cur, &live, em)) == 0)
		rc = !live ? dz_errf(em, DZ_ENOENT, "no such record") :
		    dz_errf(em, DZ_ECONFLICT,
		    "version conflict: the record is at version %llu, not %llu",
		    (unsigned long long)cur, (unsigned long long)expected);
out:
	db_sqlite_usage_forget(s, account, DB_SQ_RECS);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_rec_page(struct db *db, int64_t account, const uint8_t *after, size_t max,
    int (*fn)(void *, const uint8_t *, uint64_t, uint64_t), void *arg,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_REC_PAGE];
	uint8_t id[DB_IDBYTES];
	int rc = 0, step;

	pthread_mutex_lock(&s->mu);
	if ((step = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (step = db_sqlite_bind_blob(st, 2, after, DB_IDBYTES)) != SQLITE_OK ||
	    (step = sqlite3_bind_int64(st, 3, (int64_t)max)) != SQLITE_OK) {
		rc = db_sqlite_err(s, step, "list records", em);
		goto out;
	}
	/* step is SQLite's code, rc ours (or fn's): never mixed */
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = db_sqlite_col_fixed(st, 0, id, DB_IDBYTES)) != 0) {
			dz_errf(em, rc, "coordinator database: a record row is damaged");
			break;
		}
		if ((rc = fn(arg, id, (uint64_t)sqlite3_column_int64(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 2))) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_sqlite_err(s, step, "list records", em);
out:
	db_sqlite_done(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
