/*
 * db_sqlite_health: the health of an account's stored objects, per
 * segment, for OBJ_HEALTH (coord_health.c): how many fragments of each
 * segment sit on healthy holders, and how available those holders have
 * been. Reads the existing tables (fragments, locations, peers); no schema
 * change of its own.
 *
 * The statement is prepared per call rather than kept in db_sqlite.c's
 * table: a client asks for health when it lists files with -l or asks for
 * its status, rarely enough that preparing (tens of microseconds) does not
 * matter, and it keeps this query out of the shared statement table.
 */
#include <string.h>

#include "coordinator/db_sqlite_int.h"

/* healthy holder: db_sqlite_int.h; ?3 is now minus the grace period */
#define SQ_HEALTHY_HOLDER DB_SQ_HEALTHY_HOLDER("?3")

/* Every segment of the object, with its healthy fragment count and their
 * holders' mean availability (each fragment's best holder), worst first. */
static const char sq_obj_health[] =
    "SELECT s.segment, count(h.idx), coalesce(avg(h.a), 0.0)"
    " FROM (SELECT DISTINCT segment FROM fragments"
    "       WHERE account = ?1 AND object = ?2) s"
    " LEFT JOIN (SELECT f.segment AS segment, f.idx AS idx,"
    "              max(min(1.0, CAST(p.hb_seen AS REAL) /"
    "                  max(p.hb_expected, 1))) AS a"
    "            FROM fragments f"
    "            JOIN locations l ON l.account = f.account AND l.name = f.name"
    "            JOIN peers p ON p.id = l.peer"
    "            WHERE f.account = ?1 AND f.object = ?2 AND " SQ_HEALTHY_HOLDER
    "            GROUP BY f.segment, f.idx) h ON h.segment = s.segment"
    " GROUP BY s.segment ORDER BY 2, 3, s.segment";

int
db_sqlite_obj_health(struct db *db, int64_t account, const uint8_t *object,
    int64_t since, int (*fn)(void *, const struct db_seg_health *), void *arg,
    struct dz_errmsg *em)
{
	struct db_sqlite *s = sq(db);
	struct db_seg_health h;
	sqlite3_stmt *st = NULL;
	int rc, step;

	pthread_mutex_lock(&s->mu);
	if ((rc = sqlite3_prepare_v2(s->h, sq_obj_health, -1, &st, NULL)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "prepare the health query", em);
		goto out;
	}
	if ((rc = sqlite3_bind_int64(st, 1, account)) != SQLITE_OK ||
	    (rc = db_sqlite_bind_blob(st, 2, object, DB_IDBYTES)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, since)) != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "bind the health query", em);
		goto out;
	}
	rc = 0;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 n = sqlite3_column_int64(st, 1);

		h.segment = (uint64_t)sqlite3_column_int64(st, 0);
		h.healthy = n < 0 ? 0 : n > 255 ? 255 : (unsigned)n;
		h.avail = sqlite3_column_double(st, 2);
		if (!(h.avail >= 0.0)) /* NaN too: a damaged row */
			h.avail = 0.0;
		else if (h.avail > 1.0)
			h.avail = 1.0;
		rc = fn(arg, &h);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_sqlite_err(s, step, "read segment health", em);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
