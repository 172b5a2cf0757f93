/*
 * db_sqlite_know: the queries of db_know.h on the SQLite backend: one
 * account's rows for WHATDOYOUKNOW and the aggregates of /metrics.
 *
 * Prepared per call, as db_sqlite_repair.c's: a user asks rarely, and a
 * scrape comes every few seconds at most, so preparing (tens of
 * microseconds) costs nothing that matters and keeps this SQL here. The
 * aggregates scan whole tables; /metrics runs them in the libuv pool, not
 * on the loop (coord_metrics.c).
 */
#include <string.h>

#include "coordinator/db_know.h"
#include "coordinator/db_sqlite_int.h"

/* healthy holder: db_sqlite_int.h; ?1 is now minus the grace period */
#define KNOW_HEALTHY DB_SQ_HEALTHY_HOLDER("?1")

static const char sql_account[] =
    "SELECT name, keyfile, login_pk, hint, created FROM accounts WHERE id = ?1";

/* records: live count, their bytes, tombstones (deleted, version kept) */
static const char sql_records[] =
    "SELECT count(blob), coalesce(sum(length(blob)), 0), count(*) - count(blob)"
    " FROM records WHERE account = ?1";

static const char sql_frags[] =
    "SELECT count(*), coalesce(sum(size), 0),"
    " (SELECT count(*) FROM (SELECT object FROM fragments WHERE account = ?1"
    "   UNION SELECT object FROM objects WHERE account = ?1)),"
    " (SELECT count(*) FROM locations WHERE account = ?1)"
    " FROM fragments WHERE account = ?1";

static const char sql_peers[] =
    "SELECT p.id, p.addr, p.capacity, p.used, p.first_seen, p.last_heartbeat,"
    " p.hb_seen, p.hb_expected, coalesce(p.left_at, 0), p.flags,"
    " p.last_heartbeat >= ?2 AND p.left_at IS NULL, p.state,"
    " p.audits_passed, p.audits_wrong, p.audits_missing, p.audits_timeout,"
    " p.last_fail_reason, p.last_fail_name, p.last_fail_at,"
    " (SELECT count(*) FROM audits a WHERE a.peer = p.id),"
    " (SELECT count(*) FROM locations l WHERE l.peer = p.id),"
    " (SELECT coalesce(sum(f.size), 0) FROM locations l JOIN fragments f"
    "   ON f.account = l.account AND f.name = l.name WHERE l.peer = p.id)"
    " FROM peers p WHERE p.owner = ?1 ORDER BY p.first_seen, p.id LIMIT ?3";

static const char sql_peer_stats[] =
    "SELECT count(*), coalesce(sum(on_), 0),"
    " coalesce(sum(CASE WHEN on_ THEN capacity ELSE 0 END), 0),"
    " (SELECT count(*) FROM accounts),"
    " (SELECT coalesce(sum(length(blob)), 0) FROM records),"
    " (SELECT coalesce(sum(f.size), 0) FROM locations l JOIN fragments f"
    "   ON f.account = l.account AND f.name = l.name)"
    " FROM (SELECT capacity, last_heartbeat >= ?1 AND left_at IS NULL AS on_"
    "       FROM peers)";

/* segments whose healthy fragment indexes are fewer than the threshold */
static const char sql_backlog[] =
    "SELECT count(*) FROM (SELECT o.threshold AS t,"
    " count(DISTINCT CASE WHEN " KNOW_HEALTHY " THEN f.idx END) AS h"
    " FROM objects o"
    " JOIN fragments f ON f.account = o.account AND f.object = o.object"
    " LEFT JOIN locations l ON l.account = f.account AND l.name = f.name"
    " LEFT JOIN peers p ON p.id = l.peer"
    " GROUP BY o.account, o.object, f.segment HAVING h < t)";

static const char sql_proven[] =
    "SELECT coalesce(sum(min(p.capacity, h.b)), 0) FROM peers p"
    " JOIN (SELECT l.peer AS peer, sum(f.size) AS b FROM locations l"
    "       JOIN fragments f ON f.account = l.account AND f.name = l.name"
    "       GROUP BY l.peer) h ON h.peer = p.id"
    " WHERE p.state < 2 AND p.audits_passed > 0";

static uint64_t
col_u64(sqlite3_stmt *st, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (uint64_t)v;
}

/* Prepare text and bind ?1 .. ?nargs to args. */
static int
prep(struct db_sqlite *s, const char *text, const int64_t *args, int nargs,
    sqlite3_stmt **st, struct dz_errmsg *em)
{
	int rc = sqlite3_prepare_v2(s->h, text, -1, st, NULL);

	for (int i = 0; rc == SQLITE_OK && i < nargs; i++)
		rc = sqlite3_bind_int64(*st, i + 1, args[i]);
	return rc == SQLITE_OK ? 0 : db_sqlite_err(s, rc, "prepare a query", em);
}

/* Run a one-row query of ncols integer columns into out; 0 or an error. */
static int
row_u64(struct db_sqlite *s, const char *text, const int64_t *args, int nargs,
    uint64_t *out, int ncols, struct dz_errmsg *em)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(s, text, args, nargs, &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		rc = db_sqlite_err(s, rc, "read totals", em);
		goto out;
	}
	for (int i = 0; i < ncols; i++)
		out[i] = col_u64(st, i);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
read_account(struct db_sqlite *s, int64_t account, struct db_account *a,
    struct dz_errmsg *em)
{
	sqlite3_stmt *st = NULL;
	const void *p;
	size_t n;
	int rc;

	if ((rc = prep(s, sql_account, &account, 1, &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		rc = dz_errf(em, DZ_ENOENT, "no account %lld", (long long)account);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = db_sqlite_err(s, rc, "read an account", em);
		goto out;
	}
	rc = dz_errf(em, DZ_EFORMAT, "coordinator database: an account row is damaged");
	a->id = account;
	n = (size_t)sqlite3_column_bytes(st, 0);
	if ((p = sqlite3_column_text(st, 0)) == NULL || n > DB_NAME_MAX)
		goto out;
	memcpy(a->name, p, n);
	a->name[n] = '\0';
	n = (size_t)sqlite3_column_bytes(st, 1);
	if ((p = sqlite3_column_blob(st, 1)) == NULL || n > DB_KEYBLOB_MAX)
		goto out;
	memcpy(a->keyblob, p, n);
	a->keyblob_len = n;
	if (db_sqlite_col_fixed(st, 2, a->login_pk, DB_PKBYTES) != 0)
		goto out;
	n = (size_t)sqlite3_column_bytes(st, 3);
	if ((p = sqlite3_column_text(st, 3)) == NULL || n > DB_HINT_MAX)
		goto out;
	memcpy(a->hint, p, n);
	a->hint[n] = '\0';
	a->created = sqlite3_column_int64(st, 4);
	rc = 0;
	em->text[0] = '\0';
out:
	sqlite3_finalize(st);
	return rc;
}

int
db_know_account(struct db *db, int64_t account, struct db_know *k,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	uint64_t r[4];
	int rc;

	memset(k, 0, sizeof(*k));
	pthread_mutex_lock(&s->mu);
	if ((rc = read_account(s, account, &k->acct, em)) != 0 ||
	    (rc = row_u64(s, sql_records, &account, 1, r, 3, em)) != 0)
		goto out;
	k->records = r[0];
	k->record_bytes = r[1];
	k->tombstones = r[2];
	if ((rc = row_u64(s, sql_frags, &account, 1, r, 4, em)) != 0)
		goto out;
	k->fragments = r[0];
	k->fragment_bytes = r[1];
	k->objects = r[2];
	k->copies = r[3];
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* One row of sql_peers into *p; 0 or DZ_EFORMAT. */
static int
read_peer(sqlite3_stmt *st, struct proto_know_peer *p)
{
	const unsigned char *a;
	size_t n;

	memset(p, 0, sizeof(*p));
	if (db_sqlite_col_fixed(st, 0, p->pk, sizeof(p->pk)) != 0)
		return DZ_EFORMAT;
	n = (size_t)sqlite3_column_bytes(st, 1);
	if ((a = sqlite3_column_text(st, 1)) == NULL || n >= sizeof(p->addr) ||
	    !proto_addr_chars_ok((const char *)a, n))
		return DZ_EFORMAT;
	memcpy(p->addr, a, n);
	p->capacity = col_u64(st, 2);
	p->used = col_u64(st, 3);
	p->first_seen = col_u64(st, 4);
	p->last_heartbeat = col_u64(st, 5);
	p->hb_seen = col_u64(st, 6);
	p->hb_expected = col_u64(st, 7);
	p->left_at = col_u64(st, 8);
	p->flags = (uint32_t)col_u64(st, 9);
	p->online = sqlite3_column_int(st, 10) != 0;
	p->state = (uint8_t)col_u64(st, 11);
	p->passed = col_u64(st, 12);
	p->wrong = col_u64(st, 13);
	p->missing = col_u64(st, 14);
	p->timeout = col_u64(st, 15);
	p->last_reason = (uint8_t)col_u64(st, 16);
	if (p->state > PROTO_PEER_DISQUALIFIED || p->last_reason > PROTO_AUDIT_REASON_MAX)
		return DZ_EFORMAT;
	if (sqlite3_column_type(st, 17) != SQLITE_NULL &&
	    db_sqlite_col_fixed(st, 17, p->last_name, sizeof(p->last_name)) != 0)
		return DZ_EFORMAT;
	p->last_at = col_u64(st, 18);
	p->audits_kept = (uint32_t)col_u64(st, 19);
	p->held = col_u64(st, 20);
	p->held_bytes = col_u64(st, 21);
	return 0;
}

int
db_know_peers(struct db *db, int64_t account, int64_t since,
    struct proto_whatdoyouknow_rep *rep, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	int64_t args[3] = {account, since, PROTO_KNOW_PEERS_MAX};
	sqlite3_stmt *st = NULL;
	int rc, step;

	rep->npeers = 0;
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, sql_peers, args, 3, &st, em)) != 0)
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW &&
	    rep->npeers < PROTO_KNOW_PEERS_MAX) {
		if ((rc = read_peer(st, &rep->peer[rep->npeers])) != 0) {
			dz_errf(em, rc, "coordinator database: a peer row is damaged");
			goto out;
		}
		rep->npeers++;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_sqlite_err(s, step, "read the account's peers", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_know_proven(struct db *db, uint64_t *bytes, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = row_u64(s, sql_proven, NULL, 0, bytes, 1, em);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_know_stats(struct db *db, int64_t online_since, int64_t grace_since,
    struct db_stats *st, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	int64_t a[2] = {online_since, grace_since};
	uint64_t r[6];
	int rc;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&s->mu);
	if ((rc = row_u64(s, sql_peer_stats, a, 1, r, 6, em)) != 0)
		goto out;
	st->peers_total = r[0];
	st->peers_online = r[1];
	st->capacity_offered = r[2];
	st->accounts = r[3];
	st->record_bytes = r[4];
	st->bytes_stored = r[5];
	rc = row_u64(s, sql_backlog, a + 1, 1, &st->repair_backlog, 1, em);
out:
	pthread_mutex_unlock(&s->mu);
	if (rc == 0)
		rc = db_know_proven(db, &st->capacity_proven, em);
	return rc;
}
