/*
 * db_repair: what the repair worker needs from the coordinator's database
 * (schema v5: the objects table), beside db.h.
 *
 * Every object committed with FRAGS_COMMIT has a row (account, object, k,
 * n, threshold); its fragments (db_frag_add) carry the names of all n
 * fragments of each segment, those that could not be placed included
 * (with no location). A segment's health is the number of its fragment
 * indexes with at least one HEALTHY holder: a peer that sent a heartbeat
 * at or after `since` (now minus the grace period) and has not said it
 * left before `since`; the condition is written once, in
 * db_sqlite_repair.c (REPAIR_HEALTHY). A segment whose health is below its
 * object's threshold (and at least k, else it cannot be rebuilt) needs
 * repair.
 *
 * SQLite only for now: these call the SQLite backend directly (a second
 * backend would move them into struct db_ops). Safe from any thread, as
 * db.h. Not for policy: which segment to repair first beyond the order
 * given, where to put the fragments (coord_repair.c).
 */
#ifndef DZ_DB_REPAIR_H
#define DZ_DB_REPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "coordinator/db.h"

/*
 * db_object_put: record object (of account) as a k-of-n code repaired
 * below threshold healthy fragments per segment, at time now; unplaced:
 * the commit it comes with has fragments without a holder (the repair
 * scan then looks at the object until every fragment has one). The first
 * record of an object stays (a later commit of more segments changes
 * nothing but marking it unplaced). Returns 0; DZ_ERANGE unless 1 <= k <
 * threshold <= n <= 255; DZ_ENOENT if account is unknown.
 */
int db_object_put(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], unsigned k, unsigned n,
    unsigned threshold, int unplaced, int64_t now, struct dz_errmsg *em)
    DZ_MUST_CHECK;

/* db_object_threshold: object's repair threshold into *threshold (0 if
 * the object has no row: committed before objects were recorded, or
 * unknown). Returns 0 or a dz_err. */
int db_object_threshold(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], unsigned *threshold,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_object_del: forget object's row (none: not an error). */
int db_object_del(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], struct dz_errmsg *em) DZ_MUST_CHECK;

/* One segment that needs repair. */
struct db_repair_seg {
	int64_t account;
	uint8_t object[DB_IDBYTES];
	uint32_t segment;
	unsigned k, n, threshold;
	unsigned healthy; /* indexes with a healthy holder, k <= healthy < threshold */
};

/*
 * db_repair_scan: the segments needing repair (health below threshold,
 * at least k), most urgent first (fewest healthy beyond k, then object
 * and segment order), at most cap into out; *n gets how many. since: see
 * the top of this file. Returns 0 or a database error.
 */
int db_repair_scan(struct db *db, int64_t since, struct db_repair_seg *out,
    size_t cap, size_t *n, struct dz_errmsg *em) DZ_MUST_CHECK;

/* One fragment of a segment and one of its holders (or none). */
struct db_repair_frag {
	unsigned index;
	uint8_t name[DB_IDBYTES];
	uint64_t size;
	int located;              /* 0: no holder at all; peer, addr unset */
	uint8_t peer[DB_IDBYTES];
	char addr[DB_ADDR_MAX + 1];
	int healthy;              /* the holder is healthy (since) */
};

/*
 * db_repair_frags: every (fragment, holder) pair of segment `segment` of
 * object (account's), a fragment without holder once with located 0, in
 * index order, at most cap into out; *n gets the count (may exceed cap:
 * only cap written). Returns 0 or a database error.
 */
int db_repair_frags(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], uint32_t segment, int64_t since,
    struct db_repair_frag *out, size_t cap, size_t *n,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_repair_drop_stale: forget the holders of account's fragment name
 * that are not healthy holders at since (now minus the grace period),
 * once repair gave it a new one: the segment then leaves the repair
 * scan's candidates, and a lost peer that comes back has its surplus copy
 * cleaned up. Healthy holders stay. 0 or a dz_err.
 */
int db_repair_drop_stale(struct db *db, int64_t account,
    const uint8_t name[static DB_IDBYTES], int64_t since,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
