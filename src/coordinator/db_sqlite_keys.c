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

/* ---- device keys of an account (schema v4) ----
 *
 * These run rarely (a login, `drizzle devices`, a password change, and a
 * "seen" stamp at most once a minute per connection), so each prepares
 * its statement when called instead of adding to the handle's table. */

/* Prepare text into *st inside the caller's lock. */
static int
key_prep(struct db_sqlite *s, const char *text, sqlite3_stmt **st,
    const char *what, struct dz_errmsg *em)
{
	int rc = sqlite3_prepare_v2(s->h, text, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return db_sqlite_err(s, rc, what, em);
	}
	return 0;
}

int
db_sqlite_key_list(struct db *db, int64_t account, struct db_key *out,
    size_t cap, size_t *n, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, step;

	pthread_mutex_lock(&s->mu);
	if ((rc = key_prep(s, "SELECT pk, created, seen FROM account_keys"
	    " WHERE account = ?1 ORDER BY created, pk", &st, "list device keys",
	    em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "list device keys", em);
		goto out;
	}
	rc = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n < cap) {
			struct db_key *k = &out[*n];
			if ((rc = db_sqlite_col_fixed(st, 0, k->pk, DB_PKBYTES)) != 0) {
				dz_errf(em, rc, "coordinator database: a device key row is damaged");
				goto out;
			}
			k->bound = sqlite3_column_int64(st, 1);
			k->seen = sqlite3_column_int64(st, 2);
		}
		(*n)++;
	}
	if (step != SQLITE_DONE)
		rc = db_sqlite_err(s, step, "list device keys", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_key_unbind(struct db *db, int64_t account, const uint8_t *pk,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, changes = 0;

	pthread_mutex_lock(&s->mu);
	if ((rc = key_prep(s, "DELETE FROM account_keys WHERE account = ?1"
	    " AND pk = ?2", &st, "unbind device key", em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, pk, DB_PKBYTES)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "unbind device key", em);
		goto out;
	}
	rc = db_sqlite_exec(s, st, "unbind device key", &changes, em);
	if (rc == 0 && changes == 0)
		rc = dz_errf(em, DZ_ENOENT, "no such device key in this account");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_key_seen(struct db *db, const uint8_t *pk, int64_t now,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = key_prep(s, "UPDATE account_keys SET seen = max(seen, ?2)"
	    " WHERE pk = ?1", &st, "stamp device key", em)) != 0)
		goto out;
	if ((rc = db_sqlite_bind_blob(st, 1, pk, DB_PKBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, now)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "stamp device key", em);
		goto out;
	}
	rc = db_sqlite_exec(s, st, "stamp device key", NULL, em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_sqlite_account_passwd(struct db *db, int64_t id, const uint8_t *keyblob,
    size_t keyblob_len, const uint8_t *login_pk, const char *hint,
    const uint8_t *keep, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = s->st[ST_ACC_REKEY], *del = NULL;
	int rc, changes = 0;

	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_tx_begin(s, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, keyblob, keyblob_len)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 3, login_pk, DB_PKBYTES)) != SQLITE_OK ||
	    (rc = hint != NULL ? sqlite3_bind_text(st, 4, hint, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK) {
		db_sqlite_done(st);
		rc = db_sqlite_err(s, rc, "change account keys", em);
		goto rollback;
	}
	if ((rc = db_sqlite_exec(s, st, "change account keys", &changes, em)) != 0)
		goto rollback;
	if (changes == 0) {
		rc = dz_errf(em, DZ_ENOENT, "no account has id %lld", (long long)id);
		goto rollback;
	}
	if (keep != NULL) {
		if ((rc = key_prep(s, "DELETE FROM account_keys WHERE account = ?1"
		    " AND pk <> ?2", &del, "log out the other devices", em)) != 0)
			goto rollback;
		if ((rc = sqlite3_bind_int64(del, 1, id)) != SQLITE_OK ||
		    (rc = db_sqlite_bind_blob(del, 2, keep, DB_PKBYTES)) != SQLITE_OK) {
			rc = db_sqlite_err(s, rc, "log out the other devices", em);
			goto rollback;
		}
		if ((rc = db_sqlite_exec(s, del, "log out the other devices", NULL,
		    em)) != 0)
			goto rollback;
	}
	if ((rc = db_sqlite_tx_commit(s, em)) == 0)
		goto out;
rollback:
	db_sqlite_tx_rollback(s);
out:
	sqlite3_finalize(del);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
