/*
 * db_sqlite_ticket: db_ticket.h on SQLite: the table of issued placement
 * tickets (its migration, db_sqlite_tickets_sql, is appended to
 * db_sqlite.c's list) and its two queries. Statements are prepared per
 * call (once per PLACE or FRAGS_COMMIT, for up to 255 rows), so this file
 * owns its SQL without a slot in db_sqlite.c's table.
 */
#include "coordinator/db_sqlite_int.h"
#include "coordinator/db_ticket.h"

/* 6 -> 7: tickets, keyed as the fragments are, by (account, name), plus
 * the peer; the index on expires serves the pruning. */
const char db_sqlite_tickets_sql[] =
    "CREATE TABLE tickets("
    "  account INTEGER NOT NULL REFERENCES accounts(id),"
    "  name BLOB NOT NULL CHECK(length(name) = 32),"
    "  peer BLOB NOT NULL CHECK(length(peer) = 32),"
    "  size INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  PRIMARY KEY(account, name, peer)) WITHOUT ROWID;"
    "CREATE INDEX tickets_expires ON tickets(expires);";

int
db_ticket_add(struct db *db, int64_t account, const struct db_ticket *t,
    size_t n, int64_t prune_before, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *del = NULL, *ins = NULL;
	int rc, tx = 0;

	if (n > DB_BATCH_MAX)
		return dz_errf(em, DZ_ERANGE, "too many tickets at once");
	for (size_t i = 0; i < n; i++)
		if (t[i].size > INT64_MAX)
			return dz_errf(em, DZ_ERANGE, "ticket size out of range");
	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_prep(s, "DELETE FROM tickets WHERE expires < ?1", &del,
	    "prepare ticket pruning", em)) != 0 ||
	    (rc = db_sqlite_prep(s, "INSERT OR REPLACE INTO tickets(account, "
	    "name, peer, size, expires) VALUES(?1, ?2, ?3, ?4, ?5)", &ins,
	    "prepare ticket insertion", em)) != 0)
		goto out;
	if ((rc = db_sqlite_tx_begin(s, em)) != 0)
		goto out;
	tx = 1;
	if ((rc = sqlite3_bind_int64(del, 1, prune_before)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind ticket pruning", em);
		goto out;
	}
	if ((rc = db_sqlite_exec(s, del, "prune tickets", NULL, em)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((rc = sqlite3_bind_int64(ins, 1, account)) != SQLITE_OK ||
		    (rc = db_sqlite_bind_blob(ins, 2, t[i].name, DB_IDBYTES)) != SQLITE_OK ||
		    (rc = db_sqlite_bind_blob(ins, 3, t[i].peer, DB_IDBYTES)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(ins, 4, (int64_t)t[i].size)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(ins, 5, t[i].expires)) != SQLITE_OK) {
			rc = db_sqlite_err(s, rc, "bind a ticket", em);
			goto out;
		}
		if ((rc = db_sqlite_exec(s, ins, "record a ticket", NULL, em)) != 0)
			goto out;
	}
	rc = db_sqlite_tx_commit(s, em);
	tx = 0;
out:
	if (tx)
		db_sqlite_tx_rollback(s);
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_ticket_sizes(struct db *db, int64_t account, const struct db_frag_loc *locs,
    size_t n, int64_t not_before, uint64_t *sizes, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, step;

	if (n > DB_BATCH_MAX)
		return dz_errf(em, DZ_ERANGE, "too many tickets at once");
	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_prep(s, "SELECT size FROM tickets WHERE account = ?1 "
	    "AND name = ?2 AND peer = ?3 AND expires >= ?4", &st,
	    "prepare ticket lookup", em)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		sqlite3_int64 v;

		sizes[i] = 0;
		if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
		    (rc = db_sqlite_bind_blob(st, 2, locs[i].name, DB_IDBYTES)) != SQLITE_OK ||
		    (rc = db_sqlite_bind_blob(st, 3, locs[i].peer, DB_IDBYTES)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 4, not_before)) != SQLITE_OK) {
			rc = db_sqlite_err(s, rc, "bind a ticket lookup", em);
			goto out;
		}
		step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			v = sqlite3_column_int64(st, 0);
			sizes[i] = v > 0 ? (uint64_t)v : 0;
		} else if (step != SQLITE_DONE) {
			rc = db_sqlite_err(s, step, "look a ticket up", em);
			goto out;
		}
		db_sqlite_done(st);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_ticket_pending(struct db *db, int64_t account, int64_t not_before,
    uint64_t *bytes, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	sqlite3_int64 v;
	int rc, step;

	*bytes = 0;
	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_prep(s, "SELECT coalesce(sum(size), 0) FROM"
	    " (SELECT max(t.size) AS size FROM tickets t"
	    "  WHERE t.account = ?1 AND t.expires >= ?2 AND NOT EXISTS"
	    "  (SELECT 1 FROM fragments f WHERE f.account = t.account"
	    "   AND f.name = t.name) GROUP BY t.name)", &st,
	    "prepare the pending tickets", em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, not_before)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind the pending tickets", em);
		goto out;
	}
	if ((step = sqlite3_step(st)) != SQLITE_ROW) {
		rc = db_sqlite_err(s, step, "sum the pending tickets", em);
		goto out;
	}
	v = sqlite3_column_int64(st, 0);
	*bytes = v > 0 ? (uint64_t)v : 0;
	rc = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
