/* test_db_repair: schema v5, what the repair worker asks the coordinator
 * database. A segment's health counts the fragment indexes with a healthy
 * holder (heard from since the grace period began, and not left before
 * it); fragments committed without a holder count as missing. The scan
 * lists only segments below their object's threshold and not below k,
 * most urgent (fewest healthy beyond k) first, at most as many as asked;
 * a deleted object is no longer listed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "coordinator/db_repair.h"
#include "dbfix.h"

#define SINCE 1900 /* now 2000, grace 100 */

/* fragment idx of segment seg of object obj on peer (0: not placed) */
static void
add_frag(struct db *db, int64_t account, uint8_t obj, uint32_t seg,
    unsigned idx, uint8_t peer)
{
	struct db_frag_loc l;
	struct dz_errmsg em;

	memset(&l, 0, sizeof(l));
	l.name[0] = obj;
	l.name[1] = (uint8_t)seg;
	l.name[2] = (uint8_t)idx;
	l.name[31] = 0xf0;
	memset(l.peer, peer, peer != 0 ? sizeof(l.peer) : 0);
	memset(l.object, obj, sizeof(l.object));
	l.account = account;
	l.segment = seg;
	l.index = idx;
	l.size = 1000;
	assert_int_equal(db_frag_add(db, &l, 1, &em), 0);
}

static void
add_seg(struct db *db, int64_t account, uint8_t obj, uint32_t seg,
    const uint8_t peers[6])
{
	for (unsigned i = 0; i < 6; i++)
		add_frag(db, account, obj, seg, i, peers[i]);
}

static void
scan_order(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em;
	struct db_peer p;
	struct db_repair_seg s[8];
	struct db_repair_frag fr[16];
	uint8_t obj[DB_IDBYTES];
	size_t n;
	int64_t a = add_account(f->db, "alice");

	/* peers 1..12 registered at 1000; 1..10 heard from at 2000; 9 left
	 * at 1950 (within the grace: still healthy), 10 at 1800 (lost);
	 * 11, 12 silent since 1000 (lost) */
	for (uint8_t i = 1; i <= 12; i++) {
		make_peer(&p, i, 1 << 20, 0);
		assert_int_equal(db_peer_upsert(f->db, &p, 1000, &em), 0);
		if (i <= 10)
			assert_int_equal(db_peer_heartbeat(f->db, p.id, 0, 2000, 1, &em), 0);
	}
	memset(p.id, 9, sizeof(p.id));
	assert_int_equal(db_peer_leave(f->db, p.id, 1950, &em), 0);
	memset(p.id, 10, sizeof(p.id));
	assert_int_equal(db_peer_leave(f->db, p.id, 1800, &em), 0);

	for (uint8_t o = 0xa0; o <= 0xc0; o += 0x10) {
		memset(obj, o, sizeof(obj));
		assert_int_equal(db_object_put(f->db, a, obj, 2, 6, 6, 0, 1000, &em), 0);
	}
	add_seg(f->db, a, 0xa0, 0, (const uint8_t[6]){1, 2, 3, 4, 5, 6});   /* 6 */
	add_seg(f->db, a, 0xa0, 1, (const uint8_t[6]){1, 2, 3, 4, 11, 12}); /* 4 */
	add_seg(f->db, a, 0xb0, 0, (const uint8_t[6]){1, 2, 10, 11, 12, 0}); /* 2 */
	add_seg(f->db, a, 0xb0, 1, (const uint8_t[6]){9, 1, 2, 11, 12, 10}); /* 3 */
	add_seg(f->db, a, 0xc0, 0, (const uint8_t[6]){1, 11, 12, 11, 12, 0}); /* 1 */

	assert_int_equal(db_repair_scan(f->db, SINCE, s, 8, &n, &em), 0);
	assert_int_equal(n, 3);
	assert_int_equal(s[0].object[0], 0xb0);
	assert_int_equal(s[0].segment, 0);
	assert_int_equal(s[0].healthy, 2);
	assert_int_equal(s[1].object[0], 0xb0);
	assert_int_equal(s[1].segment, 1);
	assert_int_equal(s[1].healthy, 3);
	assert_int_equal(s[2].object[0], 0xa0);
	assert_int_equal(s[2].segment, 1);
	assert_int_equal(s[2].healthy, 4);
	assert_true(s[2].k == 2 && s[2].n == 6 && s[2].threshold == 6 && s[2].account == a);
	/* at most as many as asked, the most urgent */
	assert_int_equal(db_repair_scan(f->db, SINCE, s, 1, &n, &em), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].object[0], 0xb0);

	/* one row per (fragment, holder), the unplaced one with none */
	memset(obj, 0xb0, sizeof(obj));
	assert_int_equal(db_repair_frags(f->db, a, obj, 0, SINCE, fr, 16, &n, &em), 0);
	assert_int_equal(n, 6);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(fr[i].index, i);
		assert_int_equal(fr[i].name[2], i);
		assert_int_equal(fr[i].size, 1000);
		assert_int_equal(fr[i].located, i < 5);
		assert_int_equal(fr[i].healthy, i < 2);
	}
	assert_string_equal(fr[0].addr, "10.0.0.1:7000");

	/* a deleted object is not repaired */
	assert_int_equal(db_object_del(f->db, a, obj, &em), 0);
	assert_int_equal(db_repair_scan(f->db, SINCE, s, 8, &n, &em), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].object[0], 0xa0);
}

/* The code and threshold are checked; the first record of an object stays. */
static void
object_bounds(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em;
	struct db_repair_seg s[2];
	struct db_peer p;
	uint8_t obj[DB_IDBYTES];
	size_t n;
	int64_t a = add_account(f->db, "bob");

	memset(obj, 7, sizeof(obj));
	assert_int_equal(db_object_put(f->db, a, obj, 4, 12, 4, 0, 1, &em), DZ_ERANGE);
	assert_int_equal(db_object_put(f->db, a, obj, 4, 12, 13, 0, 1, &em), DZ_ERANGE);
	assert_int_equal(db_object_put(f->db, a, obj, 12, 12, 12, 0, 1, &em), DZ_ERANGE);
	assert_int_equal(db_object_put(f->db, 999, obj, 4, 12, 8, 0, 1, &em), DZ_ENOENT);
	assert_int_equal(db_object_put(f->db, a, obj, 2, 6, 5, 0, 1, &em), 0);
	assert_int_equal(db_object_put(f->db, a, obj, 2, 6, 6, 0, 1, &em), 0);
	make_peer(&p, 1, 1 << 20, 0);
	assert_int_equal(db_peer_upsert(f->db, &p, 2000, &em), 0);
	add_seg(f->db, a, 7, 0, (const uint8_t[6]){1, 1, 1, 1, 1, 0}); /* 5 healthy */
	assert_int_equal(db_repair_scan(f->db, SINCE, s, 2, &n, &em), 0);
	assert_int_equal(n, 0); /* threshold 5 stayed: 5 healthy is enough */
}

/* The scan looks only where health can have fallen: at segments with an
 * unhealthy holder, and at objects committed with fragments that had no
 * holder (marked unplaced) until every fragment has one. */
static void
unplaced_marks(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em;
	struct db_peer p;
	struct db_repair_seg s[4];
	struct db_repair_frag fr[16];
	uint8_t obj[DB_IDBYTES];
	size_t n;
	int64_t a = add_account(f->db, "carol");

	for (uint8_t i = 1; i <= 6; i++) {
		make_peer(&p, i, 1 << 20, 0);
		assert_int_equal(db_peer_upsert(f->db, &p, 1000, &em), 0);
		assert_int_equal(db_peer_heartbeat(f->db, p.id, 0, 2000, 1, &em), 0);
	}
	/* 0xd0: committed short of n, marked; 0xe0: the same fragments
	 * without the mark (the contract: commits say when they are short) */
	memset(obj, 0xd0, sizeof(obj));
	assert_int_equal(db_object_put(f->db, a, obj, 2, 6, 6, 1, 1000, &em), 0);
	add_seg(f->db, a, 0xd0, 0, (const uint8_t[6]){1, 2, 3, 4, 0, 0});
	memset(obj, 0xe0, sizeof(obj));
	assert_int_equal(db_object_put(f->db, a, obj, 2, 6, 6, 0, 1000, &em), 0);
	add_seg(f->db, a, 0xe0, 0, (const uint8_t[6]){1, 2, 3, 4, 0, 0});
	assert_int_equal(db_repair_scan(f->db, SINCE, s, 4, &n, &em), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].object[0], 0xd0);
	assert_int_equal(s[0].healthy, 4);
	/* a later commit of the object without holders marks it again */
	memset(obj, 0xe0, sizeof(obj));
	assert_int_equal(db_object_put(f->db, a, obj, 2, 6, 6, 1, 1000, &em), 0);
	assert_int_equal(db_repair_scan(f->db, SINCE, s, 4, &n, &em), 0);
	assert_int_equal(n, 2);
	/* repaired: every fragment has a holder; both leave the scan */
	add_frag(f->db, a, 0xd0, 0, 4, 5);
	add_frag(f->db, a, 0xd0, 0, 5, 6);
	add_frag(f->db, a, 0xe0, 0, 4, 5);
	add_frag(f->db, a, 0xe0, 0, 5, 6);
	assert_int_equal(db_repair_scan(f->db, SINCE, s, 4, &n, &em), 0);
	assert_int_equal(n, 0);
	/* a holder lost later is found through the peer, marked or not */
	memset(p.id, 6, sizeof(p.id));
	assert_int_equal(db_peer_leave(f->db, p.id, 1800, &em), 0);
	assert_int_equal(db_repair_scan(f->db, SINCE, s, 4, &n, &em), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].healthy, 5);
	/* index 5 rebuilt on peer 1: its lost holder (6) is forgotten, the
	 * healthy ones stay, and 0xd0 leaves the scan */
	add_frag(f->db, a, 0xd0, 0, 5, 1);
	memset(obj, 0, sizeof(obj));
	obj[0] = 0xd0;
	obj[1] = 0;
	obj[2] = 5;
	obj[31] = 0xf0; /* add_frag's name of (0xd0, 0, 5) */
	assert_int_equal(db_repair_drop_stale(f->db, a, obj, SINCE, &em), 0);
	assert_int_equal(db_repair_scan(f->db, SINCE, s, 4, &n, &em), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].object[0], 0xe0);
	memset(obj, 0xd0, sizeof(obj));
	assert_int_equal(db_repair_frags(f->db, a, obj, 0, SINCE, fr, 16, &n, &em), 0);
	assert_int_equal(n, 6); /* one row per index: 6's is gone, 1's is new */
	for (unsigned i = 0; i < 6; i++)
		assert_true(fr[i].located && fr[i].healthy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(scan_order, setup, teardown),
		cmocka_unit_test_setup_teardown(object_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(unplaced_marks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
