/*
 * db_sqlite_audit: db_audit.h on SQLite: audit targets, the audit
 * history and counters, peer states, the news a peer fetches about its
 * failed audits, the report an owner reads, and placement candidates by
 * state. Statements are prepared per call (these run a few times a
 * second at most; preparing costs some microseconds) so that this file
 * owns its SQL without a slot in db_sqlite.c's table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/db_audit.h"
#include "coordinator/db_sqlite_int.h"

#define AUDIT_PEER_COLS "id, addr, capacity, used, first_seen, " \
	"last_heartbeat, hb_seen, hb_expected, owner, flags"
_Static_assert(DB_AUDIT_KEEP == 64, "the history bound in db_audit_record");
#define AUDIT_PEER_SCAN 4096 /* peers audited per round, at most */

static int
prep(struct db_sqlite *s, const char *sql, sqlite3_stmt **st,
    struct dz_errmsg *em)
{
	int rc = sqlite3_prepare_v2(s->h, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : db_sqlite_err(s, rc, "prepare audit query", em);
}

/* The fragments to audit on one peer (inside the lock). */
static int
targets_of(struct db_sqlite *s, const uint8_t *peer, const char *addr,
    size_t per_peer, struct db_audit_target *out, size_t cap, size_t *n,
    struct dz_errmsg *em)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	/* a scan of the peer's locations (index locations_peer): about a
	 * microsecond per fragment it holds, once per audit interval */
	if ((rc = prep(s, "SELECT l.name, f.size FROM locations l"
	    " JOIN fragments f ON f.account = l.account AND f.name = l.name"
	    " WHERE l.peer = ?1 ORDER BY random() LIMIT ?2", &st, em)) != 0)
		return rc;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)per_peer)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "list audit targets", em);
		goto out;
	}
	rc = 0;
	while (*n < cap && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_audit_target *t = &out[*n];

		memcpy(t->peer, peer, DB_IDBYTES);
		snprintf(t->addr, sizeof(t->addr), "%s", addr);
		if (db_sqlite_col_fixed(st, 0, t->name, DB_IDBYTES) != 0)
			continue; /* a damaged row is not audited */
		t->size = (uint64_t)sqlite3_column_int64(st, 1);
		(*n)++;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int
db_audit_targets(struct db *db, int64_t since, size_t per_peer,
    struct db_audit_target *out, size_t cap, size_t *n, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	struct db_peer *peers;
	size_t np = 0;
	int rc, step;

	*n = 0;
	if ((peers = calloc(AUDIT_PEER_SCAN, sizeof(*peers))) == NULL)
		return DZ_ENOMEM;
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, "SELECT " AUDIT_PEER_COLS " FROM peers"
	    " WHERE last_heartbeat >= ?1 AND left_at IS NULL AND state < 3"
	    " ORDER BY random() LIMIT ?2", &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, since)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, AUDIT_PEER_SCAN)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "list peers to audit", em);
		goto out;
	}
	rc = 0;
	while (np < AUDIT_PEER_SCAN && (step = sqlite3_step(st)) == SQLITE_ROW)
		if (db_sqlite_read_peer(st, &peers[np]) == 0)
			np++;
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; rc == 0 && i < np && *n < cap; i++)
		rc = targets_of(s, peers[i].id, peers[i].addr, per_peer, out, cap, n, em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	free(peers);
	return rc;
}

/* Failures among peer's last `window` audits (inside the lock). */
static int
window_failed(struct db_sqlite *s, const uint8_t *peer, unsigned window,
    unsigned *out, struct dz_errmsg *em)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(s, "SELECT count(*) FROM (SELECT result FROM audits"
	    " WHERE peer = ?1 ORDER BY seq DESC LIMIT ?2) WHERE result <> 0",
	    &st, em)) != 0)
		return rc;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, window)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW)
		rc = db_sqlite_err(s, rc, "count failed audits", em);
	else {
		*out = (unsigned)sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Run sql with the peer as ?1, the name as ?2 (NULL: SQL NULL), now ?3,
 * reason ?4 (sql may use fewer: the count is the highest ?N it names). */
static int
exec4(struct db_sqlite *s, const char *sql, const uint8_t *peer,
    const uint8_t *name, int64_t now, unsigned reason, int *changes,
    struct dz_errmsg *em)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(s, sql, &st, em)) != 0)
		return rc;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(st) >= 2 &&
	    (rc = name != NULL ? db_sqlite_bind_blob(st, 2, name, DB_IDBYTES) :
	    sqlite3_bind_null(st, 2)) != SQLITE_OK) ||
	    (sqlite3_bind_parameter_count(st) >= 3 &&
	    (rc = sqlite3_bind_int64(st, 3, now)) != SQLITE_OK) ||
	    (sqlite3_bind_parameter_count(st) >= 4 &&
	    (rc = sqlite3_bind_int64(st, 4, reason)) != SQLITE_OK))
		rc = db_sqlite_err(s, rc, "record an audit", em);
	else
		rc = db_sqlite_exec(s, st, "record an audit", changes, em);
	sqlite3_finalize(st);
	return rc;
}

/* The counter column of each outcome, in PROTO_AUDIT_* order. */
static const char *const count_sql[] = {
	"UPDATE peers SET audits_passed = audits_passed + 1 WHERE id = ?1",
	"UPDATE peers SET audits_wrong = audits_wrong + 1, last_fail_reason = ?4,"
	" last_fail_name = ?2, last_fail_at = ?3 WHERE id = ?1",
	"UPDATE peers SET audits_missing = audits_missing + 1, last_fail_reason = ?4,"
	" last_fail_name = ?2, last_fail_at = ?3 WHERE id = ?1",
	"UPDATE peers SET audits_timeout = audits_timeout + 1, last_fail_reason = ?4,"
	" last_fail_name = ?2, last_fail_at = ?3 WHERE id = ?1",
};

int
db_audit_record(struct db *db, const uint8_t peer[static DB_IDBYTES],
    const uint8_t name[static DB_IDBYTES], unsigned reason, int64_t now,
    unsigned window, struct db_audit_standing *out, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, changes = 0;

	if (reason > PROTO_AUDIT_REASON_MAX || window == 0 || window > DB_AUDIT_KEEP)
		return DZ_EINVAL;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->mu);
	if ((rc = db_sqlite_tx_begin(s, em)) != 0)
		goto out;
	if ((rc = exec4(s, count_sql[reason], peer, name, now, reason, &changes,
	    em)) != 0)
		goto rollback;
	if (changes == 0) {
		rc = dz_errf(em, DZ_ENOENT, "audited an unknown peer");
		goto rollback;
	}
	if ((rc = exec4(s, "INSERT INTO audits(peer, name, at, result)"
	    " VALUES(?1, ?2, ?3, ?4)", peer, name, now, reason, NULL, em)) != 0)
		goto rollback;
	out->seq = (uint64_t)sqlite3_last_insert_rowid(s->h);
	if ((rc = exec4(s, "DELETE FROM audits WHERE peer = ?1 AND seq <= (SELECT"
	    " seq FROM audits WHERE peer = ?1 ORDER BY seq DESC LIMIT 1 OFFSET 64)", peer, NULL, 0, 0, NULL, em)) != 0 ||
	    (rc = window_failed(s, peer, window, &out->window_failed, em)) != 0)
		goto rollback;
	if ((rc = prep(s, "SELECT state, audits_passed, audits_wrong +"
	    " audits_missing + audits_timeout FROM peers WHERE id = ?1", &st,
	    em)) != 0)
		goto rollback;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		rc = db_sqlite_err(s, rc, "read a peer's audits", em);
		goto rollback;
	}
	out->state = (unsigned)sqlite3_column_int64(st, 0);
	out->passed = (uint64_t)sqlite3_column_int64(st, 1);
	out->failed = (uint64_t)sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = db_sqlite_tx_commit(s, em)) == 0)
		goto out;
rollback:
	sqlite3_finalize(st);
	db_sqlite_tx_rollback(s);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_audit_set_state(struct db *db, const uint8_t peer[static DB_IDBYTES],
    unsigned state, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	int rc;

	if (state > PROTO_PEER_DISQUALIFIED)
		return DZ_EINVAL;
	pthread_mutex_lock(&s->mu);
	rc = exec4(s, "UPDATE peers SET state = ?4 WHERE id = ?1", peer, NULL, 0, state, NULL, em);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_audit_news(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint64_t after, struct proto_audit_news_rep *rep, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, step;

	memset(rep, 0, sizeof(*rep));
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, "SELECT state FROM peers WHERE id = ?1", &st, em)) != 0)
		goto out;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		rc = db_sqlite_err(s, rc, "read a peer's state", em);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		rc = dz_errf(em, DZ_ENOENT, "unknown peer: send PEER_REGISTER first");
		goto out;
	}
	rep->state = (uint8_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prep(s, "SELECT seq, at, name, result FROM audits WHERE peer = ?1"
	    " AND seq > ?2 AND result BETWEEN 1 AND 3 ORDER BY seq LIMIT ?3",
	    &st, em)) != 0)
		goto out;
	if ((rc = db_sqlite_bind_blob(st, 1, peer, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, after > INT64_MAX ? INT64_MAX :
	    (int64_t)after)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, PROTO_NEWS_MAX)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "read a peer's audits", em);
		goto out;
	}
	rc = 0;
	while (rep->count < PROTO_NEWS_MAX && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct proto_audit_fail *f = &rep->fail[rep->count];

		f->seq = (uint64_t)sqlite3_column_int64(st, 0);
		f->at = (uint64_t)sqlite3_column_int64(st, 1);
		f->reason = (uint8_t)sqlite3_column_int64(st, 3);
		if (db_sqlite_col_fixed(st, 2, f->name, sizeof(f->name)) == 0)
			rep->count++;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_audit_report(struct db *db, int64_t account, int64_t since,
    unsigned window, struct proto_peer_report_rep *rep, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	unsigned wf;
	int rc, step;

	memset(rep, 0, sizeof(*rep));
	if (window == 0 || window > DB_AUDIT_KEEP)
		return DZ_EINVAL;
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, "SELECT id, state, last_heartbeat >= ?2 AND left_at IS NULL,"
	    " audits_passed, audits_wrong, audits_missing, audits_timeout, hb_seen,"
	    " hb_expected, last_fail_reason, last_fail_name, last_fail_at"
	    " FROM peers WHERE owner = ?1 ORDER BY first_seen, id LIMIT ?3",
	    &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, since)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, PROTO_REPORT_MAX)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "list the account's peers", em);
		goto out;
	}
	rc = 0;
	while (rc == 0 && rep->count < PROTO_REPORT_MAX &&
	    (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct proto_peer_rec *r = &rep->peer[rep->count];

		if (db_sqlite_col_fixed(st, 0, r->pk, sizeof(r->pk)) != 0)
			continue;
		r->state = (uint8_t)sqlite3_column_int64(st, 1);
		r->online = sqlite3_column_int64(st, 2) != 0;
		r->passed = (uint64_t)sqlite3_column_int64(st, 3);
		r->wrong = (uint64_t)sqlite3_column_int64(st, 4);
		r->missing = (uint64_t)sqlite3_column_int64(st, 5);
		r->timeout = (uint64_t)sqlite3_column_int64(st, 6);
		r->hb_seen = (uint64_t)sqlite3_column_int64(st, 7);
		r->hb_expected = (uint64_t)sqlite3_column_int64(st, 8);
		r->last_reason = (uint8_t)sqlite3_column_int64(st, 9);
		if (r->last_reason != 0 &&
		    db_sqlite_col_fixed(st, 10, r->last_name, sizeof(r->last_name)) != 0)
			r->last_reason = 0;
		r->last_at = (uint64_t)sqlite3_column_int64(st, 11);
		r->window = (uint16_t)window;
		if ((rc = window_failed(s, r->pk, window, &wf, em)) == 0) {
			r->window_failed = (uint16_t)(wf < window ? wf : window);
			rep->count++;
		}
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_audit_place(struct db *db, int64_t since, int64_t not_owner,
    unsigned state, uint64_t room, struct db_peer *out, size_t cap,
    size_t *n, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, step = SQLITE_DONE;

	*n = 0;
	pthread_mutex_lock(&s->mu);
	/* one peer per owner (an account's peers are one owner; an unowned
	 * peer its own), the one with most free space; then owners by that
	 * space, counted only up to ?6 (claimed, unproven space wins
	 * nothing beyond it), random among equals so that placement rotates */
	if ((rc = prep(s, "SELECT " AUDIT_PEER_COLS " FROM ("
	    "SELECT *, row_number() OVER (PARTITION BY ifnull(owner, id)"
	    " ORDER BY min(max(capacity - used, 0), ?6) DESC, random()) AS rn"
	    " FROM peers"
	    " WHERE last_heartbeat >= ?1 AND left_at IS NULL AND state = ?2"
	    " AND owner IS NOT ?3 AND capacity - used >= ?4)"
	    " WHERE rn = 1"
	    " ORDER BY min(max(capacity - used, 0), ?6) DESC, random() LIMIT ?5",
	    &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, since)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, state)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, not_owner)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, room > INT64_MAX ? INT64_MAX :
	    (int64_t)room)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, cap > INT64_MAX ? INT64_MAX :
	    (int64_t)cap)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, DB_PLACE_UNPROVEN)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "list peers to place on", em);
		goto out;
	}
	rc = 0;
	while (*n < cap && (step = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = db_sqlite_read_peer(st, &out[(*n)++])) != 0) {
			dz_errf(em, rc, "coordinator database: a peer row is damaged");
			goto out;
		}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = db_sqlite_err(s, step, "list peers to place on", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
