/*
 * db_sqlite_credit: the SQL of db_credit.h (tables peer_uptime and
 * grants, the peers.ph_* columns; schema migration 6 -> 7 in
 * db_sqlite.c). Statements are prepared per call, as in
 * db_sqlite_audit.c: they run a few times per heartbeat interval and per
 * status request, where preparing (tens of microseconds) does not matter.
 */
#include <string.h>

#include "coordinator/db_credit.h"
#include "coordinator/db_sqlite_int.h"

#define CREDIT_PEER_COLS "id, addr, capacity, used, first_seen, " \
	"last_heartbeat, hb_seen, hb_expected, owner, flags, left_at, state, " \
	"audits_passed, audits_wrong + audits_missing + audits_timeout, " \
	"ph_block, ph_claimed, ph_proven, ph_passed, ph_failed"

static int
prep(struct db_sqlite *s, const char *sql, sqlite3_stmt **st,
    struct dz_errmsg *em)
{
	int rc = sqlite3_prepare_v2(s->h, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : db_sqlite_err(s, rc, "prepare credit query", em);
}

/* Run a statement without rows to its end (inside the lock). */
static int
done(struct db_sqlite *s, sqlite3_stmt *st, const char *what,
    struct dz_errmsg *em)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_DONE ? 0 : db_sqlite_err(s, rc, what, em);
}

int
db_credit_uptime_add(struct db *db, const uint8_t peer[static DB_IDBYTES],
    int64_t bucket, uint64_t secs, int64_t oldest, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	if (secs > INT32_MAX)
		secs = INT32_MAX; /* one heartbeat gap is bounded by the timeout */
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, "INSERT INTO peer_uptime(peer, bucket, secs)"
	    " VALUES(?1, ?2, ?3) ON CONFLICT(peer, bucket)"
	    " DO UPDATE SET secs = secs + excluded.secs", &st, em)) != 0)
		goto out;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, bucket)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, (int64_t)secs)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind uptime", em);
		goto out;
	}
	if ((rc = done(s, st, "record uptime", em)) != 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prep(s, "DELETE FROM peer_uptime WHERE peer = ?1 AND bucket < ?2",
	    &st, em)) != 0)
		goto out;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, oldest)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind uptime", em);
		goto out;
	}
	rc = done(s, st, "forget old uptime", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* One column as a non-negative count (NULL and negatives read as 0). */
static uint64_t
col_u(sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);

	return v > 0 ? (uint64_t)v : 0;
}

/* The fragment bytes located on peer, and its uptime since bucket from
 * (inside the lock). */
static int
peer_sums(struct db_sqlite *s, struct db_credit_peer *c, int64_t from,
    struct dz_errmsg *em)
{
	static const char *const q[2] = {
		"SELECT coalesce(sum(f.size), 0) FROM locations l JOIN fragments f"
		" ON f.account = l.account AND f.name = l.name WHERE l.peer = ?1",
		"SELECT coalesce(sum(secs), 0) FROM peer_uptime"
		" WHERE peer = ?1 AND bucket >= ?2",
	};
	sqlite3_stmt *st = NULL;
	int rc = 0;

	for (int i = 0; rc == 0 && i < 2; i++) {
		if ((rc = prep(s, q[i], &st, em)) != 0)
			break;
		if ((rc = db_sqlite_bind_blob(st, 1, c->p.id, DB_IDBYTES)) != SQLITE_OK ||
		    (i == 1 && (rc = sqlite3_bind_int64(st, 2, from)) != SQLITE_OK) ||
		    (rc = sqlite3_step(st)) != SQLITE_ROW)
			rc = db_sqlite_err(s, rc, "sum a peer's credit", em);
		else
			rc = 0;
		if (rc == 0 && i == 0)
			c->held = col_u(st, 0);
		else if (rc == 0)
			c->uptime = col_u(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	return rc;
}

int
db_credit_peers(struct db *db, int64_t account, const uint8_t *peer,
    int64_t from, struct db_credit_peer *out, size_t cap, size_t *n,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, step;

	*n = 0;
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, account > 0 ?
	    "SELECT " CREDIT_PEER_COLS " FROM peers WHERE owner = ?1"
	    " ORDER BY first_seen, id LIMIT ?2" :
	    "SELECT " CREDIT_PEER_COLS " FROM peers WHERE id = ?3", &st, em)) != 0)
		goto out;
	if (account > 0 ? (rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)cap)) != SQLITE_OK :
	    peer == NULL || (rc = db_sqlite_bind_blob(st, 3, peer, DB_IDBYTES)) != SQLITE_OK) {
		rc = peer == NULL && account <= 0 ? DZ_EINVAL :
		    db_sqlite_err(s, rc, "bind credit peers", em);
		goto out;
	}
	while (*n < cap && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_credit_peer *c = &out[*n];

		memset(c, 0, sizeof(*c));
		if (db_sqlite_read_peer(st, &c->p) != 0)
			continue;
		c->p.left_at = sqlite3_column_int64(st, 10);
		c->state = (unsigned)col_u(st, 11);
		c->audits_passed = col_u(st, 12);
		c->audits_failed = col_u(st, 13);
		c->ph_block = (uint32_t)col_u(st, 14);
		c->ph_claimed = col_u(st, 15);
		c->ph_proven = col_u(st, 16);
		c->ph_passed = col_u(st, 17);
		c->ph_failed = col_u(st, 18);
		(*n)++;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; rc == 0 && i < *n; i++)
		rc = peer_sums(s, &out[i], from, em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_credit_grant_get(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	*bytes = 0;
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, "SELECT bytes FROM grants WHERE account = ?1", &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind grant", em);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*bytes = col_u(st, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    db_sqlite_err(s, rc, "read grant", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_credit_grant_set(struct db *db, int64_t account, uint64_t bytes,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	if (bytes > INT64_MAX)
		return dz_errf(em, DZ_ERANGE, "the grant is out of range");
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, "INSERT INTO grants(account, bytes) VALUES(?1, ?2)"
	    " ON CONFLICT(account) DO UPDATE SET bytes = excluded.bytes",
	    &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)bytes)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind grant", em);
		goto out;
	}
	rc = done(s, st, "store grant", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_credit_ph_seed(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint8_t seed[static DB_PH_SEEDBYTES], uint32_t *block,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&s->mu);
	/* the first seed stays; a block size changed since (the operator's
	 * setting) makes the old blocks worthless: their counts start over */
	if ((rc = prep(s, "UPDATE peers SET ph_seed = coalesce(ph_seed, ?2),"
	    " ph_claimed = CASE WHEN ph_block = ?3 THEN ph_claimed ELSE 0 END,"
	    " ph_proven = CASE WHEN ph_block = ?3 THEN ph_proven ELSE 0 END,"
	    " ph_block = ?3 WHERE id = ?1", &st, em)) != 0)
		goto out;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, seed, DB_PH_SEEDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, *block)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind placeholder seed", em);
		goto out;
	}
	if ((rc = done(s, st, "store placeholder seed", em)) != 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prep(s, "SELECT ph_seed, ph_block FROM peers WHERE id = ?1",
	    &st, em)) != 0)
		goto out;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind placeholder seed", em);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = dz_errf(em, DZ_ENOENT, "unknown peer: send PEER_REGISTER first");
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = db_sqlite_err(s, rc, "read placeholder seed", em);
		goto out;
	}
	if ((rc = db_sqlite_col_fixed(st, 0, seed, DB_PH_SEEDBYTES)) != 0) {
		dz_errf(em, rc, "a peer's placeholder seed is damaged");
		goto out;
	}
	*block = (uint32_t)col_u(st, 1);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_credit_ph_claim(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint64_t claimed, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	if (claimed > INT64_MAX)
		return dz_errf(em, DZ_ERANGE, "placeholder count out of range");
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, "UPDATE peers SET ph_claimed = ?2,"
	    " ph_proven = min(ph_proven, ?2) WHERE id = ?1", &st, em)) != 0)
		goto out;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)claimed)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind placeholder claim", em);
		goto out;
	}
	rc = done(s, st, "store placeholder claim", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_credit_ph_result(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint64_t claimed, uint64_t proven, int passed, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	if (claimed > INT64_MAX || proven > claimed)
		return dz_errf(em, DZ_ERANGE, "placeholder count out of range");
	pthread_mutex_lock(&s->mu);
	/* a pass leaves the claim as it is now (the peer may have claimed
	 * more during the round); a failure cuts it; proven never exceeds
	 * the claim, old or new */
	if ((rc = prep(s, "UPDATE peers SET"
	    " ph_claimed = CASE ?4 WHEN 1 THEN ph_claimed ELSE min(ph_claimed, ?2) END,"
	    " ph_proven = min(ph_claimed, ?2, ?3),"
	    " ph_passed = ph_passed + ?4, ph_failed = ph_failed + 1 - ?4"
	    " WHERE id = ?1", &st, em)) != 0)
		goto out;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)claimed)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, (int64_t)proven)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, passed ? 1 : 0)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind placeholder result", em);
		goto out;
	}
	rc = done(s, st, "store placeholder result", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_credit_ph_targets(struct db *db, int64_t since, struct db_ph_target *out,
    size_t cap, size_t *n, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, step;

	*n = 0;
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, "SELECT id, addr, ph_seed, ph_block, ph_claimed, ph_proven"
	    " FROM peers WHERE last_heartbeat >= ?1 AND left_at IS NULL"
	    " AND state < 3 AND ph_claimed > 0 AND ph_block > 0"
	    " AND ph_seed IS NOT NULL ORDER BY random() LIMIT ?2", &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, since)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)cap)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind placeholder targets", em);
		goto out;
	}
	rc = 0;
	while (*n < cap && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_ph_target *t = &out[*n];
		const unsigned char *addr = sqlite3_column_text(st, 1);

		memset(t, 0, sizeof(*t));
		if (db_sqlite_col_fixed(st, 0, t->peer, DB_IDBYTES) != 0 ||
		    db_sqlite_col_fixed(st, 2, t->seed, DB_PH_SEEDBYTES) != 0 ||
		    addr == NULL || strlen((const char *)addr) > DB_ADDR_MAX)
			continue;
		memcpy(t->addr, addr, strlen((const char *)addr) + 1);
		t->block = (uint32_t)col_u(st, 3);
		t->claimed = col_u(st, 4);
		t->proven = col_u(st, 5);
		(*n)++;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
