/*
 * db_sqlite_keys: schema v2 of the SQLite backend: node keys bound to
 * accounts (table account_keys), sign-up as one transaction that creates
 * the account and binds its node key, the peer counts that the
 * coordinator's STATUS reports, and (schema v3) a peer's leaving, which
 * those counts and placement honour. Each operation holds the handle's mutex
 * for its whole run.
 */
#include <string.h>

#include "coordinator/db_sqlite_int.h"

/* Bind pk to account inside the caller's lock (and transaction, if any). */
static int
key_insert(struct db_sqlite *s, const uint8_t *pk, int64_t account, int64_t now,
    struct dz_errmsg *em)
{
	sqlite3_stmt *st = s->st[ST_KEY_INSERT];
	int rc;

	if ((rc = db_sqlite_bind_blob(st, 1, pk, DB_PKBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, account)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, now)) != SQLITE_OK) {
		db_sqlite_done(st);
		return db_sqlite_err(s, rc, "bind node key", em);
	}
	rc = db_sqlite_exec(s, st, "bind node key", NULL, em);
	if (rc == DZ_EEXIST)
		dz_errf(em, rc, "this node key already belongs to an account");
	else if (rc == DZ_ENOENT)
		dz_errf(em, rc, "no account has id %lld", (long long)account);
	return rc;
}

/* The account pk is bound to, inside the caller's lock: 0 or DZ_ENOENT. */
static int
key_get(struct db_sqlite *s, const uint8_t *pk, int64_t *account,
    struct dz_errmsg *em)
{
	sqlite3_stmt *st = s->st[ST_KEY_GET];
	int rc;

	if ((rc = db_sqlite_bind_blob(st, 1, pk, DB_PKBYTES)) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE))
		rc = db_sqlite_err(s, rc, "look up node key", em);
	else if (rc == SQLITE_DONE)
		rc = dz_errf(em, DZ_ENOENT, "this node key belongs to no account");
	else {
		*account = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	db_sqlite_done(st);
	return rc;
}

int
db_sqlite_account_signup(struct db *db, const struct db_account *a,
    const uint8_t *node_pk, int64_t now, int64_t *id, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_ACC_INSERT];
	int64_t newid;
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_tx_begin(s, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, a->keyblob, a->keyblob_len)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 3, a->login_pk, DB_PKBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 4, a->hint, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, a->created)) != SQLITE_OK) {
		db_sqlite_done(st);
		rc = db_sqlite_err(s, rc, "create account", em);
		goto rollback;
	}
	rc = db_sqlite_exec(s, st, "create account", NULL, em);
	if (rc == DZ_EEXIST)
		dz_errf(em, rc, "the account name %s is taken", a->name);
	if (rc != 0)
		goto rollback;
	newid = sqlite3_last_insert_rowid(s->h);
	if ((rc = key_insert(s, node_pk, newid, now, em)) != 0)
		goto rollback;
	if ((rc = db_sqlite_tx_commit(s, em)) != 0)
		goto rollback;
	*id = newid;
	goto out;
rollback:
	db_sqlite_tx_rollback(s);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_key_bind(struct db *db, const uint8_t *pk, int64_t account, int64_t now,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	int64_t cur = 0;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = key_get(s, pk, &cur, em);
	if (rc == 0 && cur != account)
		rc = dz_errf(em, DZ_EEXIST, "this node key belongs to another account");
	else if (rc == DZ_ENOENT)
		rc = key_insert(s, pk, account, now, em);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_key_account(struct db *db, const uint8_t *pk, int64_t *account,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = key_get(s, pk, account, em);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_peer_count(struct db *db, int64_t since, uint64_t *online,
    uint64_t *total, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_PEER_COUNT];
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = sqlite3_bind_int64(st, 1, since)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		rc = db_sqlite_err(s, rc, "count peers", em);
	} else {
		*total = (uint64_t)sqlite3_column_int64(st, 0);
		*online = (uint64_t)sqlite3_column_int64(st, 1);
		rc = 0;
	}
	db_sqlite_done(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_peer_leave(struct db *db, const uint8_t *id, int64_t now,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_PEER_LEAVE];
	int rc, changes = 0;

	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_bind_blob(st, 1, id, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, now)) != SQLITE_OK) {
		db_sqlite_done(st);
		rc = db_sqlite_err(s, rc, "peer leaving", em);
	} else {
		rc = db_sqlite_exec(s, st, "peer leaving", &changes, em);
		if (rc == 0 && changes == 0)
			rc = dz_errf(em, DZ_ENOENT, "a peer that never registered cannot leave");
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}
