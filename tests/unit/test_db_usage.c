/* test_db_usage: schema v3 of the coordinator database. Fragment names
 * are an account's own: another account committing a name first (a peer
 * operator who saw it arrive) neither blocks the owner's commit nor sees
 * or removes its locations. Encrypted records count toward used and the
 * quota: a put past it is refused with DZ_EQUOTA, a replacement is charged
 * the difference, a deletion frees it; the figures kept between requests
 * stay exact through every change, another connection's too. A peer that leaves is offline at
 * once. A version 2 database migrates with its fragments and locations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "dbfix.h"

/* B commits name N first (for its own object), then A commits N for its
 * object: both stand, each sees only its own, and deleting B's object
 * leaves A's locations alone. */
static void
squatted_name(void **state)
{
	struct fix *f = *state;
	struct db_frag_loc la, lb;
	struct dz_errmsg em;
	struct seen s;
	uint8_t obj[DB_IDBYTES];
	uint64_t used;
	size_t ndel;
	int64_t a = add_account(f->db, "alice"), b = add_account(f->db, "mallory");

	register_peers(f->db, 3);
	make_loc(&lb, 5, 3, 0xbb, b, 10); /* squatter: another object and size */
	make_loc(&la, 5, 1, 0xaa, a, 4096);
	assert_int_equal(db_frag_add(f->db, &lb, 1, &em), 0);
	assert_int_equal(db_frag_add(f->db, &la, 1, &em), 0);
	make_loc(&la, 5, 2, 0xaa, a, 4096); /* a second holder of A's fragment */
	assert_int_equal(db_frag_add(f->db, &la, 1, &em), 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(db_frag_lookup(f->db, a, (const uint8_t(*)[DB_IDBYTES])la.name,
	    1, collect, &s, &em), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.peers[0] + s.peers[1], 1 + 2); /* never peer 3 */
	assert_int_equal(db_frag_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 4096);

	memset(obj, 0xbb, sizeof(obj));
	assert_int_equal(db_frag_del_object(f->db, b, obj, NULL, NULL, &ndel, &em), 0);
	assert_int_equal(ndel, 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_frag_lookup(f->db, a, (const uint8_t(*)[DB_IDBYTES])la.name,
	    1, collect, &s, &em), 0);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_frag_lookup(f->db, b, (const uint8_t(*)[DB_IDBYTES])la.name,
	    1, collect, &s, &em), 0);
	assert_int_equal(s.n, 0);

	/* within one account a name still means one fragment */
	make_loc(&la, 5, 3, 0xcc, a, 4096);
	assert_int_equal(db_frag_add(f->db, &la, 1, &em), DZ_EEXIST);
}

/* Records and fragments share the quota; growing past it is refused with
 * what is used and allowed, shrinking and deleting always work. */
static void
records_in_quota(void **state)
{
	struct fix *f = *state;
	struct db_frag_loc l;
	struct dz_errmsg em;
	uint8_t id1[DB_IDBYTES], id2[DB_IDBYTES], blob[100] = {0};
	uint64_t v1, v2, vx, used;
	int64_t a = add_account(f->db, "carol"), b = add_account(f->db, "dave");

	memset(id1, 1, sizeof(id1));
	memset(id2, 2, sizeof(id2));
	assert_int_equal(db_rec_put(f->db, a, id1, 0, blob, 60, 100, &v1, &em), 0);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 60);
	assert_int_equal(db_frag_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 0);
	/* 60 + 50 > 100 */
	assert_int_equal(db_rec_put(f->db, a, id2, 0, blob, 50, 100, &vx, &em), DZ_EQUOTA);
	assert_non_null(strstr(em.text, "60 of 100 bytes used"));
	assert_non_null(strstr(em.text, "50 more"));
	assert_int_equal(db_rec_version(f->db, a, id2, &v2, &em), 0);
	assert_int_equal(v2, 0); /* nothing written */
	/* replacing 60 by 30 frees 30; then 30 + 50 fits, and growing id2 to
	 * 70 is charged 20, exactly the quota */
	assert_int_equal(db_rec_put(f->db, a, id1, v1, blob, 30, 100, &v1, &em), 0);
	assert_int_equal(db_rec_put(f->db, a, id2, 0, blob, 50, 100, &v2, &em), 0);
	assert_int_equal(db_rec_put(f->db, a, id2, v2, blob, 70, 100, &v2, &em), 0);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 100);
	assert_int_equal(db_rec_put(f->db, a, id2, v2, blob, 71, 100, &vx, &em), DZ_EQUOTA);
	/* the same size again is no growth: allowed even at the quota */
	assert_int_equal(db_rec_put(f->db, a, id2, v2, blob, 70, 100, &v2, &em), 0);
	/* another account is not charged */
	assert_int_equal(db_rec_put(f->db, b, id1, 0, blob, 100, 100, &v1, &em), 0);
	/* fragments count against the same quota */
	register_peers(f->db, 1);
	assert_int_equal(db_rec_del(f->db, a, id2, v2, &em), 0);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 30);
	make_loc(&l, 1, 1, 0xa, a, 60);
	assert_int_equal(db_frag_add(f->db, &l, 1, &em), 0);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 90);
	assert_int_equal(db_rec_put(f->db, a, id2, 0, blob, 11, 100, &vx, &em), DZ_EQUOTA);
	assert_int_equal(db_rec_put(f->db, a, id2, 0, blob, 10, 100, &v2, &em), 0);
	/* a lost swap is still a conflict, not a quota refusal */
	assert_int_equal(db_rec_put(f->db, a, id2, v2 + 5, blob, 1, 100, &vx, &em), DZ_ECONFLICT);
}

/* The used figures are kept between requests: still exact after every
 * kind of change: a record write or delete, a fragment added, an object's
 * fragments deleted, a write by another connection to the file, and for
 * two accounts that share a cache slot. */
static void
usage_kept_exact(void **state)
{
	struct fix *f = *state;
	struct db_frag_loc l[3];
	struct dz_errmsg em;
	uint8_t id[DB_IDBYTES], blob[100] = {0};
	char path[128], sql[160];
	uint64_t v, used;
	size_t ndel;
	int64_t a = add_account(f->db, "erin"), b = 0;
	sqlite3 *h;

	for (int i = 0; i < 64; i++) { /* b: a's slot (64 slots) */
		char name[16];

		snprintf(name, sizeof(name), "slot%d", i);
		b = add_account(f->db, name);
	}
	assert_int_equal(b, a + 64);
	memset(id, 7, sizeof(id));
	register_peers(f->db, 1);
	assert_int_equal(db_rec_put(f->db, a, id, 0, blob, 40, 1000, &v, &em), 0);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 40);
	assert_int_equal(db_rec_put(f->db, b, id, 0, blob, 5, 1000, &v, &em), 0);
	assert_int_equal(db_account_used(f->db, b, &used, &em), 0);
	assert_int_equal(used, 5);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 40);
	for (uint32_t i = 0; i < 3; i++)
		make_loc(&l[i], i, 1, 0xc, a, 100);
	assert_int_equal(db_frag_add(f->db, l, 3, &em), 0);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 340);
	/* another connection: records and fragments changed behind our back */
	snprintf(path, sizeof(path), "%s/coordinator.db", f->dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE records SET blob = zeroblob(75) WHERE account = "
	    "%lld; UPDATE fragments SET size = 200 WHERE account = %lld", (long long)a,
	    (long long)a);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 675);
	assert_int_equal(db_frag_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 600);
	assert_int_equal(db_frag_del_object(f->db, a, l[0].object, NULL, NULL, &ndel, &em), 0);
	assert_int_equal(ndel, 3);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 75);
	assert_int_equal(db_rec_del(f->db, a, id, 1, &em), 0);
	assert_int_equal(db_account_used(f->db, a, &used, &em), 0);
	assert_int_equal(used, 0);
	assert_int_equal(db_account_used(f->db, b, &used, &em), 0);
	assert_int_equal(used, 5);
}

/* PEER_LEAVE: offline at once, counted so, back with its next heartbeat. */
static void
peer_leaves(void **state)
{
	struct fix *f = *state;
	struct db_peer p, list[4];
	uint64_t online, total;
	size_t n;

	make_peer(&p, 7, 1000, 0);
	assert_int_equal(db_peer_leave(f->db, p.id, 1001, NULL), DZ_ENOENT);
	assert_int_equal(db_peer_upsert(f->db, &p, 1000, NULL), 0);
	assert_int_equal(db_peer_count(f->db, 1001, 60, &online, &total, NULL), 0);
	assert_int_equal(online, 1);
	assert_int_equal(db_peer_leave(f->db, p.id, 1001, NULL), 0);
	assert_int_equal(db_peer_count(f->db, 1001, 60, &online, &total, NULL), 0);
	assert_int_equal(online, 0);
	assert_int_equal(total, 1);
	assert_int_equal(db_peer_online(f->db, 1001, 60, NULL, 0, list, 4, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(db_peer_get(f->db, p.id, &p, NULL), 0);
	assert_int_equal(p.left_at, 1001);
	assert_int_equal(db_peer_heartbeat(f->db, p.id, 0, 1010, 5, NULL), 0);
	assert_int_equal(db_peer_count(f->db, 1010, 60, &online, &total, NULL), 0);
	assert_int_equal(online, 1);
	assert_int_equal(db_peer_get(f->db, p.id, &p, NULL), 0);
	assert_int_equal(p.left_at, 0);
}

/* A database written by schema 2 (fragments keyed by name alone) opens
 * as schema 3 with every fragment and location kept. The old schema is
 * frozen here on purpose: it is what files in the field hold. */
static void
migrate_v2(void **state)
{
	static const char v2[] =
	    "CREATE TABLE schema_version(version INTEGER NOT NULL);"
	    "INSERT INTO schema_version VALUES(2);"
	    "CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	    " keyfile BLOB NOT NULL, login_pk BLOB NOT NULL, hint TEXT NOT NULL,"
	    " created INTEGER NOT NULL);"
	    "CREATE TABLE peers(id BLOB PRIMARY KEY, addr TEXT NOT NULL, capacity INTEGER"
	    " NOT NULL, used INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_heartbeat"
	    " INTEGER NOT NULL, hb_seen INTEGER NOT NULL, hb_expected INTEGER NOT NULL,"
	    " owner INTEGER REFERENCES accounts(id), flags INTEGER NOT NULL) WITHOUT ROWID;"
	    "CREATE TABLE fragments(name BLOB PRIMARY KEY, account INTEGER NOT NULL"
	    " REFERENCES accounts(id), object BLOB NOT NULL, segment INTEGER NOT NULL,"
	    " idx INTEGER NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID;"
	    "CREATE TABLE locations(name BLOB NOT NULL REFERENCES fragments(name) ON"
	    " DELETE CASCADE, peer BLOB NOT NULL REFERENCES peers(id), PRIMARY KEY(name,"
	    " peer)) WITHOUT ROWID;"
	    "CREATE TABLE records(account INTEGER NOT NULL REFERENCES accounts(id),"
	    " id BLOB NOT NULL, version INTEGER NOT NULL, blob BLOB,"
	    " PRIMARY KEY(account, id));"
	    "CREATE TABLE account_keys(pk BLOB PRIMARY KEY, account INTEGER NOT NULL"
	    " REFERENCES accounts(id), created INTEGER NOT NULL) WITHOUT ROWID;"
	    "INSERT INTO accounts VALUES(1, 'old', x'00', zeroblob(32), '', 1);"
	    "INSERT INTO peers VALUES(zeroblob(32), '10.0.0.1:7000', 100, 0, 1, 1, 1, 1,"
	    " NULL, 0);"
	    "INSERT INTO fragments VALUES(randomblob(32), 1, zeroblob(32), 0, 0, 1234);"
	    "INSERT INTO locations SELECT name, zeroblob(32) FROM fragments;";
	struct fix *f = *state;
	struct db_frag_loc l;
	struct seen s = {0};
	struct dz_errmsg em;
	char dir[96], path[128];
	struct db *db;
	sqlite3 *h;
	uint64_t used;

	snprintf(dir, sizeof(dir), "%s/v2", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/coordinator.db", dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, v2, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "SELECT 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	assert_int_equal(db_open(dir, &db, &em), 0);
	assert_int_equal(db_schema_version(db), 9);
	assert_int_equal(db_frag_used(db, 1, &used, &em), 0);
	assert_int_equal(used, 1234);
	/* the old location is found under its account */
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT name FROM fragments", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memset(&l, 0, sizeof(l));
	memcpy(l.name, sqlite3_column_blob(st, 0), DB_IDBYTES);
	sqlite3_finalize(st);
	sqlite3_close(h);
	assert_int_equal(db_frag_lookup(db, 1, (const uint8_t(*)[DB_IDBYTES])l.name, 1,
	    collect, &s, &em), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.bytes, 1234);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(squatted_name, setup, teardown),
		cmocka_unit_test_setup_teardown(records_in_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(usage_kept_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(peer_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_v2, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
