/* test_credit: the pieces storage credit is built on. Placeholder blocks
 * (core/phblock.h) are a function of seed and index only, every piece
 * depends on the one before, and a proof needs the whole block; the
 * credit tables (db_credit.h) keep uptime in bounded buckets per peer,
 * grants across reopen, a seed once given, a claim cut by a failed check
 * but not by a passed one; and used counts a segment k fragments' worth,
 * once, however many of its n fragments are stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "coordinator/db.h"
#include "coordinator/db_credit.h"
#include "coordinator/db_repair.h"
#include "core/keyfile.h"
#include "core/phblock.h"
#include "dbfix.h"

static void
blocks(void **state)
{
	uint8_t seed[32], seed2[32], nonce[32], nonce2[32];
	uint8_t a[4096], b[4096], h1[32], h2[32];

	(void)state;
	memset(seed, 1, sizeof(seed));
	memset(seed2, 2, sizeof(seed2));
	memset(nonce, 3, sizeof(nonce));
	memset(nonce2, 4, sizeof(nonce2));
	assert_int_equal(phblock_make(seed, 5, 3, a, sizeof(a)), 0);
	assert_int_equal(phblock_make(seed, 5, 3, b, sizeof(b)), 0);
	assert_memory_equal(a, b, sizeof(a)); /* a function of seed, index */
	assert_int_equal(phblock_make(seed, 6, 3, b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, 64);
	assert_int_equal(phblock_make(seed2, 5, 3, b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, 64);
	assert_int_equal(phblock_make(seed, 5, 4, b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, 64);
	/* a prefix of a longer block is the shorter block: pieces in order */
	assert_int_equal(phblock_make(seed, 5, 3, b, 1024), 0);
	assert_memory_equal(a, b, 1024);
	/* piece j + 1 is `rounds` hashes of piece j */
	uint8_t st[64];
	memcpy(st, a + 64, 64);
	for (int r = 0; r < 3; r++)
		crypto_generichash(st, 64, st, 64, NULL, 0);
	assert_memory_equal(st, a + 128, 64);
	assert_int_equal(phblock_make(seed, 5, 3, b, 100), DZ_EINVAL);
	assert_int_equal(phblock_make(seed, 5, 0, b, 64), DZ_EINVAL);
	/* proofs: keyed by the nonce, over every byte */
	phblock_prove(nonce, a, sizeof(a), h1);
	phblock_prove(nonce2, a, sizeof(a), h2);
	assert_memory_not_equal(h1, h2, 32);
	a[4095] ^= 1;
	phblock_prove(nonce, a, sizeof(a), h2);
	assert_memory_not_equal(h1, h2, 32);
}

static void
uptime_bounded(void **state)
{
	struct fix *f = *state;
	struct db_credit_peer c[2];
	size_t n;
	int64_t acc = add_account(f->db, "alice");
	struct db_peer p;
	sqlite3 *h;
	sqlite3_stmt *st;
	char path[4096];

	make_peer(&p, 1, 1 << 20, 0);
	p.owner = acc;
	assert_int_equal(db_peer_upsert(f->db, &p, 1000, NULL), 0);
	/* 100 buckets written, only those from 70 on kept */
	for (int64_t b = 0; b < 100; b++)
		assert_int_equal(db_credit_uptime_add(f->db, p.id, b, 10,
		    b - 30, NULL), 0);
	assert_int_equal(db_credit_uptime_add(f->db, p.id, 99, 5, 69, NULL), 0);
	assert_int_equal(db_credit_peers(f->db, acc, NULL, 0, c, 2, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].uptime, 31 * 10 + 5);
	assert_int_equal(db_credit_peers(f->db, acc, NULL, 90, c, 2, &n, NULL), 0);
	assert_int_equal(c[0].uptime, 10 * 10 + 5);
	snprintf(path, sizeof(path), "%s/coordinator.db", f->dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM peer_uptime",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 31);
	sqlite3_finalize(st);
	sqlite3_close(h);
	/* another account's peers are not alice's */
	assert_int_equal(db_credit_peers(f->db, add_account(f->db, "bob"), NULL, 0,
	    c, 2, &n, NULL), 0);
	assert_int_equal(n, 0);
}

static void
grants_and_seeds(void **state)
{
	struct fix *f = *state;
	int64_t acc = add_account(f->db, "carol");
	uint8_t seed[32], again[32];
	uint32_t block = 65536;
	uint64_t g;
	struct db_peer p;
	struct db_credit_peer c;
	size_t n;

	assert_int_equal(db_credit_grant_get(f->db, acc, &g, NULL), 0);
	assert_int_equal(g, 0);
	assert_int_equal(db_credit_grant_set(f->db, acc, 5000, NULL), 0);
	assert_int_equal(db_credit_grant_set(f->db, 999, 5000, NULL), DZ_ENOENT);
	reopen(f);
	assert_int_equal(db_credit_grant_get(f->db, acc, &g, NULL), 0);
	assert_int_equal(g, 5000);

	memset(seed, 7, sizeof(seed));
	assert_int_equal(db_credit_ph_seed(f->db, seed, seed, &block, NULL), DZ_ENOENT);
	make_peer(&p, 9, 100 << 16, 0);
	assert_int_equal(db_peer_upsert(f->db, &p, 1000, NULL), 0);
	assert_int_equal(db_credit_ph_seed(f->db, p.id, seed, &block, NULL), 0);
	memset(again, 8, sizeof(again));
	block = 4096;
	assert_int_equal(db_credit_ph_seed(f->db, p.id, again, &block, NULL), 0);
	assert_memory_equal(again, seed, 32); /* the first seed stays */
	block = 65536;
	assert_int_equal(db_credit_ph_seed(f->db, p.id, again, &block, NULL), 0);

	/* claim 50; a passed round started at 40 does not cut it; a failure
	 * at 30 does */
	assert_int_equal(db_credit_ph_claim(f->db, p.id, 50, NULL), 0);
	assert_int_equal(db_credit_ph_result(f->db, p.id, 40, 40, 1, NULL), 0);
	assert_int_equal(db_credit_peers(f->db, 0, p.id, 0, &c, 1, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c.ph_claimed, 50);
	assert_int_equal(c.ph_proven, 40);
	assert_int_equal(c.ph_passed, 1);
	assert_int_equal(db_credit_ph_result(f->db, p.id, 30, 30, 0, NULL), 0);
	assert_int_equal(db_credit_peers(f->db, 0, p.id, 0, &c, 1, &n, NULL), 0);
	assert_int_equal(c.ph_claimed, 30);
	assert_int_equal(c.ph_proven, 30);
	assert_int_equal(c.ph_failed, 1);
	/* a lower claim lowers proven with it */
	assert_int_equal(db_credit_ph_claim(f->db, p.id, 10, NULL), 0);
	assert_int_equal(db_credit_peers(f->db, 0, p.id, 0, &c, 1, &n, NULL), 0);
	assert_int_equal(c.ph_proven, 10);
	assert_int_equal(db_credit_ph_result(f->db, p.id, 20, 30, 1, NULL), DZ_ERANGE);
	/* another block size: the old blocks count for nothing */
	block = 4096;
	assert_int_equal(db_credit_ph_seed(f->db, p.id, again, &block, NULL), 0);
	assert_int_equal(db_credit_peers(f->db, 0, p.id, 0, &c, 1, &n, NULL), 0);
	assert_int_equal(c.ph_block, 4096);
	assert_int_equal(c.ph_claimed, 0);
	assert_int_equal(c.ph_proven, 0);
	assert_memory_equal(again, seed, 32);
}

/* used: a 2-of-4 segment of 1000-byte fragments is 2000 bytes, however
 * many of its fragments are committed, and stays so */
static void
used_once(void **state)
{
	struct fix *f = *state;
	struct db_frag_loc l[4];
	int64_t acc = add_account(f->db, "dave");
	uint64_t used;

	register_peers(f->db, 4);
	for (uint32_t i = 0; i < 4; i++)
		make_loc(&l[i], i, (uint8_t)(i + 1), 0xc, acc, 1000);
	assert_int_equal(db_object_put(f->db, acc, l[0].object, 2, 4, 3, 0, 1000, NULL), 0);
	assert_int_equal(db_frag_add(f->db, l, 3, NULL), 0);
	assert_int_equal(db_account_used(f->db, acc, &used, NULL), 0);
	assert_int_equal(used, 2000);
	assert_int_equal(db_frag_add(f->db, l + 3, 1, NULL), 0);
	assert_int_equal(db_account_used(f->db, acc, &used, NULL), 0);
	assert_int_equal(used, 2000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks),
		cmocka_unit_test_setup_teardown(uptime_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(grants_and_seeds, setup, teardown),
		cmocka_unit_test_setup_teardown(used_once, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
