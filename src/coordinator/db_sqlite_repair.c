/*
 * db_sqlite_repair: the objects table (schema v5) and the queries of the
 * repair worker, on the SQLite backend (db_repair.h).
 *
 * The statements are prepared per call rather than at open: the worker
 * runs a few of them per tick, and keeping them here keeps this part's
 * SQL out of db_sqlite.c's table. Each call holds the handle's mutex for
 * its whole run, as every other one does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/db_repair.h"
#include "coordinator/db_sqlite_int.h"

/* healthy holder: db_sqlite_int.h; ?1 is now minus the grace period */
#define REPAIR_HEALTHY DB_SQ_HEALTHY_HOLDER("?1")

static const char sql_object_put[] =
    "INSERT INTO objects(account, object, k, n, threshold, created, unplaced)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(account, object)"
    " DO UPDATE SET unplaced = 1 WHERE excluded.unplaced = 1";

static const char sql_object_threshold[] =
    "SELECT threshold FROM objects WHERE account = ?1 AND object = ?2";

static const char sql_object_del[] =
    "DELETE FROM objects WHERE account = ?1 AND object = ?2";

/*
 * Health per segment: distinct indexes with a healthy holder, for the
 * segments that may be below threshold only, so that a pass costs what
 * is damaged, not what is stored (a scan of every fragment took 30 s at a
 * million fragments, with the database locked). A segment can fall below
 * its threshold only (a) when a holder stops being healthy: its
 * locations are found from the unhealthy peers (index locations_peer), or
 * (b) when some of its fragments were committed without a holder (a put
 * short of n): the object is marked unplaced at commit until a pass finds
 * it whole (sql_placed). ?1 is now minus the grace period, ?2 the limit.
 */
static const char sql_scan[] =
    /* CROSS JOIN fixes the join order SQLite would otherwise choose
     * badly here (a scan of every location or fragment): from the
     * unhealthy peers to their locations, from the marked objects to
     * their fragments, from the candidates to their segments */
    "WITH cand(account, object, segment) AS ("
    " SELECT f.account, f.object, f.segment FROM peers p"
    "  CROSS JOIN locations l ON l.peer = p.id"
    "  CROSS JOIN fragments f ON f.account = l.account AND f.name = l.name"
    "  WHERE NOT " REPAIR_HEALTHY
    " UNION"
    " SELECT f.account, f.object, f.segment FROM objects o"
    "  CROSS JOIN fragments f ON f.account = o.account AND f.object = o.object"
    "  WHERE o.unplaced = 1)"
    " SELECT o.account, o.object, c.segment, o.k, o.n, o.threshold,"
    " count(DISTINCT CASE WHEN " REPAIR_HEALTHY " THEN f.idx END) AS h"
    " FROM cand c"
    " CROSS JOIN objects o ON o.account = c.account AND o.object = c.object"
    " CROSS JOIN fragments f ON f.account = c.account AND f.object = c.object"
    "  AND f.segment = c.segment"
    " LEFT JOIN locations l ON l.account = f.account AND l.name = f.name"
    " LEFT JOIN peers p ON p.id = l.peer"
    " GROUP BY o.account, o.object, c.segment"
    " HAVING h < o.threshold AND h >= o.k"
    " ORDER BY h - o.k, o.account, o.object, c.segment LIMIT ?2";

/* a rebuilt fragment's holders that count as lost (not healthy at ?3):
 * forgotten once the fragment has a new holder */
static const char sql_drop_stale[] =
    "DELETE FROM locations WHERE account = ?1 AND name = ?2 AND peer IN ("
    " SELECT p.id FROM locations l JOIN peers p ON p.id = l.peer"
    " WHERE l.account = ?1 AND l.name = ?2 AND NOT "
    DB_SQ_HEALTHY_HOLDER("?3") ")";

/* objects marked unplaced whose every fragment has a holder now */
static const char sql_placed[] =
    "UPDATE objects SET unplaced = 0 WHERE unplaced = 1 AND NOT EXISTS ("
    " SELECT 1 FROM fragments f WHERE f.account = objects.account"
    "  AND f.object = objects.object AND NOT EXISTS (SELECT 1 FROM locations l"
    "  WHERE l.account = f.account AND l.name = f.name))";

static const char sql_frags[] =
    "SELECT f.idx, f.name, f.size, l.peer, p.addr,"
    " coalesce(" REPAIR_HEALTHY ", 0)"
    " FROM fragments f"
    " LEFT JOIN locations l ON l.account = f.account AND l.name = f.name"
    " LEFT JOIN peers p ON p.id = l.peer"
    " WHERE f.account = ?2 AND f.object = ?3 AND f.segment = ?4"
    " ORDER BY f.idx, l.peer";

static int
prep(struct db_sqlite *s, const char *text, sqlite3_stmt **st,
    struct dz_errmsg *em)
{
	int rc = sqlite3_prepare_v2(s->h, text, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : db_sqlite_err(s, rc, "prepare a repair query", em);
}

int
db_object_put(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], unsigned k, unsigned n,
    unsigned threshold, int unplaced, int64_t now, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	if (k < 1 || k >= threshold || threshold > n || n > 255)
		return dz_errf(em, DZ_ERANGE, "bad code %u-of-%u with repair threshold %u",
		    k, n, threshold);
	pthread_mutex_lock(&s->mu);
	db_sqlite_usage_forget(s, account, DB_SQ_FRAGS); /* its code counts */
	if ((rc = prep(s, sql_object_put, &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, object, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, k)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, n)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, threshold)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, now)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 7, unplaced != 0)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "record an object", em);
		goto out;
	}
	rc = db_sqlite_exec(s, st, "record an object", NULL, em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_object_threshold(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], unsigned *threshold,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	*threshold = 0;
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, sql_object_threshold, &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, object, DB_IDBYTES)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "read an object's threshold", em);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 t = sqlite3_column_int64(st, 0);

		*threshold = t > 0 && t <= 255 ? (unsigned)t : 0;
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = db_sqlite_err(s, rc, "read an object's threshold", em);
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_object_del(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&s->mu);
	db_sqlite_usage_forget(s, account, DB_SQ_FRAGS);
	if ((rc = prep(s, sql_object_del, &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, object, DB_IDBYTES)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "forget an object", em);
		goto out;
	}
	rc = db_sqlite_exec(s, st, "forget an object", NULL, em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_repair_scan(struct db *db, int64_t since, struct db_repair_seg *out,
    size_t cap, size_t *n, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, step;

	*n = 0;
	if (cap == 0)
		return 0;
	pthread_mutex_lock(&s->mu);
	/* objects whole again leave the candidates (before the scan: one
	 * still short is scanned this pass, and stays marked) */
	if ((rc = prep(s, sql_placed, &st, em)) != 0 ||
	    (rc = db_sqlite_exec(s, st, "scan for repair", NULL, em)) != 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prep(s, sql_scan, &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, since)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)cap)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "scan for repair", em);
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_repair_seg *r = &out[*n];

		r->account = sqlite3_column_int64(st, 0);
		if ((rc = db_sqlite_col_fixed(st, 1, r->object, DB_IDBYTES)) != 0) {
			dz_errf(em, rc, "coordinator database: an object row is damaged");
			goto out;
		}
		r->segment = (uint32_t)sqlite3_column_int64(st, 2);
		r->k = (unsigned)sqlite3_column_int64(st, 3);
		r->n = (unsigned)sqlite3_column_int64(st, 4);
		r->threshold = (unsigned)sqlite3_column_int64(st, 5);
		r->healthy = (unsigned)sqlite3_column_int64(st, 6);
		if (r->k < 1 || r->k >= r->n || r->n > 255) {
			rc = dz_errf(em, DZ_EFORMAT, "coordinator database: an object row "
			    "has code %u-of-%u", r->k, r->n);
			goto out;
		}
		(*n)++;
	}
	if (step != SQLITE_DONE)
		rc = db_sqlite_err(s, step, "scan for repair", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_repair_frags(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], uint32_t segment, int64_t since,
    struct db_repair_frag *out, size_t cap, size_t *n, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc, step;

	*n = 0;
	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, sql_frags, &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, since)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 3, object, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, segment)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "list a segment's fragments", em);
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_repair_frag *f;
		const unsigned char *addr;
		size_t alen;

		if (*n >= cap) {
			(*n)++;
			continue;
		}
		f = &out[*n];
		memset(f, 0, sizeof(*f));
		f->index = (unsigned)sqlite3_column_int64(st, 0);
		f->size = (uint64_t)sqlite3_column_int64(st, 2);
		if ((rc = db_sqlite_col_fixed(st, 1, f->name, DB_IDBYTES)) != 0 ||
		    f->index >= 255) {
			rc = dz_errf(em, DZ_EFORMAT, "coordinator database: a fragment row is damaged");
			goto out;
		}
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			addr = sqlite3_column_text(st, 4);
			alen = (size_t)sqlite3_column_bytes(st, 4);
			if ((rc = db_sqlite_col_fixed(st, 3, f->peer, DB_IDBYTES)) != 0 ||
			    addr == NULL || alen > DB_ADDR_MAX) {
				rc = dz_errf(em, DZ_EFORMAT, "coordinator database: a location row is damaged");
				goto out;
			}
			memcpy(f->addr, addr, alen);
			f->addr[alen] = '\0';
			f->located = 1;
			f->healthy = sqlite3_column_int(st, 5) != 0;
		}
		(*n)++;
	}
	if (step != SQLITE_DONE)
		rc = db_sqlite_err(s, step, "list a segment's fragments", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
db_repair_drop_stale(struct db *db, int64_t account,
    const uint8_t name[static DB_IDBYTES], int64_t since, struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((rc = prep(s, sql_drop_stale, &st, em)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, name, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, since)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "forget lost holders", em);
		goto out;
	}
	rc = db_sqlite_exec(s, st, "forget lost holders", NULL, em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
