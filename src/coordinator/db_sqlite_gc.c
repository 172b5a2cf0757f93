/*
 * db_sqlite_gc: what clean-up reads from the SQLite backend: the names of
 * the fragments located on one peer (index locations_peer). Its
 * statements are prepared per call (once per peer per clean-up round),
 * not kept in db_sqlite.c's table.
 */
#include "coordinator/db_sqlite_int.h"

int
db_sqlite_peer_frags(struct db *db, const uint8_t *peer, uint64_t *count,
    int (*fn)(void *, const uint8_t *), void *arg, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *cnt = NULL, *list = NULL;
	const void *name;
	int rc, step, tx = 0;

	pthread_mutex_lock(&s->mu);
	if ((rc = sqlite3_prepare_v2(s->h, "SELECT count(*) FROM locations"
	    " WHERE peer = ?1", -1, &cnt, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(s->h, "SELECT name FROM locations"
	    " WHERE peer = ?1", -1, &list, NULL)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(cnt, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(list, 1, peer, DB_IDBYTES)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "list a peer's fragments", em);
		goto out;
	}
	/* a read transaction: the count and the listing see one snapshot */
	if ((rc = sqlite3_exec(s->h, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "begin", em);
		goto out;
	}
	tx = 1;
	if ((step = sqlite3_step(cnt)) != SQLITE_ROW) {
		rc = db_sqlite_err(s, step, "count a peer's fragments", em);
		goto out;
	}
	if (count != NULL)
		*count = (uint64_t)sqlite3_column_int64(cnt, 0);
	rc = 0;
	while (fn != NULL && rc == 0 && (step = sqlite3_step(list)) == SQLITE_ROW) {
		name = sqlite3_column_blob(list, 0);
		if (name == NULL || sqlite3_column_bytes(list, 0) != DB_IDBYTES) {
			rc = dz_errf(em, DZ_EFORMAT, "coordinator database: a location "
			    "with a malformed name");
			break;
		}
		rc = fn(arg, name);
	}
	if (rc == 0 && fn != NULL && step != SQLITE_DONE)
		rc = db_sqlite_err(s, step, "list a peer's fragments", em);
out:
	sqlite3_finalize(cnt);
	sqlite3_finalize(list);
	if (tx)
		sqlite3_exec(s->h, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
