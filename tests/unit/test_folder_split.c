/* test_folder_split: big folders (client/folder_split.c). A folder of
 * 100,000 entries is sharded so that adding one entry rewrites one shard
 * (and, when that shard splits, it frozen, its two halves and the index);
 * a shard from before a split, or another shard's record, is refused; a
 * split that stalls after its first record is finished by the next writer
 * and nothing is lost; two writers on one shard: the loser redoes its
 * change from a fresh read and lands; a written folder that outgrows one
 * record turns into an index the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/folder.h"
#include "folderfix.h"

/* A stand-in for the coordinator's records: blobs by id. */
struct store {
	struct folder_blob *b;
	size_t n;
};

static struct folder_blob *
store_get(struct store *st, const uint8_t id[32])
{
	for (size_t i = 0; i < st->n; i++)
		if (memcmp(st->b[i].id, id, 32) == 0)
			return &st->b[i];
	return NULL;
}

/* Write v[from..to) of what folder_seal_dirty gave, each by
 * compare-and-swap as the coordinator does it: a version-1 record
 * creates, any other replaces version - 1. A shard created at version 1
 * that is there at version 1 already was made by another writer from
 * the same frozen record: skipped (the rule for a client). DZ_ECONFLICT
 * at the first lost swap (what came before stays written). The store
 * takes the blobs it keeps (their pointers become NULL). */
static int
store_put_n(struct store *st, struct folder_blob *v, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		struct folder_blob *old = store_get(st, v[i].id);

		if (old == NULL && v[i].version == 1) {
			st->b = realloc(st->b, (st->n + 1) * sizeof(*st->b));
			assert_non_null(st->b);
			st->b[st->n++] = v[i];
			v[i].blob = NULL;
			continue;
		}
		if (old != NULL && v[i].version == 1 && old->version == 1 &&
		    memcmp(v[i].id, fid, 32) != 0)
			continue;
		if (old == NULL || old->version + 1 != v[i].version)
			return DZ_ECONFLICT;
		free(old->blob);
		*old = v[i];
		v[i].blob = NULL;
	}
	return 0;
}

static void
store_put(struct store *st, struct folder_blob *v, size_t n)
{
	assert_int_equal(store_put_n(st, v, 0, n), 0);
	folder_blobs_free(v, n);
}

static void
store_free(struct store *st)
{
	folder_blobs_free(st->b, st->n);
}

/* The folder as the store has it: the index and every shard. */
static struct folder *
open_all(struct store *st)
{
	struct folder_blob *b = store_get(st, fid);
	struct folder *f;
	uint8_t id[32];

	assert_non_null(b);
	assert_int_equal(folder_open(fid, fkey, b->blob, b->len, &f, NULL), 0);
	for (size_t i = 0; i < folder_nshards(f); i++) {
		assert_int_equal(folder_shard_info(f, i, id, NULL, NULL), 0);
		assert_non_null(b = store_get(st, id));
		assert_int_equal(folder_shard_load(f, i, b->blob, b->len, NULL), 0);
	}
	return f;
}

#define BIG 100000

static void
sharded(void **state)
{
	struct store st = {0};
	struct folder *f;
	struct folder_blob *v, *b;
	struct folder_entry e;
	const struct folder_entry *got, **sorted;
	char name[64];
	size_t n, maxshard = 0, total = 0, splits = 0, plain = 0;
	double t0, t1, t2, t3;
	uint8_t id[32];

	(void)state;
	t0 = now();
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (unsigned i = 0; i < BIG; i++) {
		snprintf(name, sizeof(name), "IMG_%06u.jpg", i);
		e = file_ent(name, (uint8_t)i);
		assert_int_equal(folder_add(f, &e, NULL), 0);
	}
	t1 = now();
	assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
	t2 = now();
	assert_true(folder_is_sharded(f));
	assert_int_equal(n, folder_nshards(f) + 1);
	assert_memory_equal(v[n - 1].id, fid, 32); /* the index comes last */
	for (size_t i = 0; i < n; i++) {
		total += v[i].len;
		if (i + 1 < n && v[i].len > maxshard)
			maxshard = v[i].len;
	}
	printf("# %d entries: %zu shards, added in %.3f s, sealed in %.3f s; "
	    "%zu bytes in all, largest shard %zu, index %zu\n", BIG,
	    folder_nshards(f), t1 - t0, t2 - t1, total, maxshard, v[n - 1].len);
	store_put(&st, v, n);
	folder_free(f);

	t2 = now();
	f = open_all(&st);
	t3 = now();
	printf("# opened index and %zu shards in %.3f s\n", folder_nshards(f), t3 - t2);
	assert_int_equal(folder_count(f), BIG);
	assert_int_equal(folder_find(f, "IMG_054321.jpg", &got), 0);
	assert_int_equal(got->size, 1000u * (uint8_t)54321);
	assert_int_equal(folder_sorted(f, &sorted, &n), 0);
	assert_int_equal(n, BIG);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(sorted[i - 1]->name, sorted[i]->name) < 0);
	free(sorted);
	folder_free(f);

	/* one more entry at a time, as a client does it: the index, the one
	 * shard that holds the name, then write what changed */
	for (unsigned k = 0; k < 3000 && (splits < 1 || plain < 20); k++) {
		struct folder_blob *ib = store_get(&st, fid), *old = NULL, keep;
		uint64_t ver;
		size_t si;
		int loaded;

		assert_int_equal(folder_open(fid, fkey, ib->blob, ib->len, &f, NULL), 0);
		snprintf(name, sizeof(name), "new_%05u", k);
		/* past the first few, fill one shard until it splits */
		for (unsigned j = 0; plain >= 20 && folder_shard_of(f, name) !=
		    folder_shard_of(f, "IMG_000000.jpg"); j++)
			snprintf(name, sizeof(name), "new_%05u_%u", k, j);
		si = folder_shard_of(f, name);
		assert_int_equal(folder_shard_info(f, si, id, NULL, NULL), 0);
		b = store_get(&st, id);
		/* another shard is not loaded: changing it is refused */
		assert_int_equal(folder_shard_info(f, (si + 1) % folder_nshards(f), NULL,
		    NULL, &loaded), 0);
		assert_false(loaded);
		assert_int_equal(folder_shard_load(f, si, b->blob, b->len, NULL), 0);
		assert_int_equal(folder_shard_info(f, si, NULL, &ver, &loaded), 0);
		assert_true(loaded);
		assert_int_equal(ver, b->version);
		e = file_ent(name, (uint8_t)k);
		assert_int_equal(folder_add(f, &e, NULL), 0);
		assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
		if (n == 1) {
			assert_memory_equal(v[0].id, id, 32);
			assert_int_equal(v[0].version, ver + 1);
			plain++;
		} else {
			/* a split: that shard rewritten frozen, its two halves
			 * created, the index */
			assert_int_equal(n, 4);
			assert_memory_equal(v[0].id, id, 32);
			assert_int_equal(v[0].version, ver + 1);
			assert_int_equal(v[1].version, 1);
			assert_int_equal(v[2].version, 1);
			assert_memory_equal(v[3].id, fid, 32);
			old = b;
			keep.len = old->len;
			keep.blob = malloc(old->len);
			memcpy(keep.blob, old->blob, old->len);
			splits++;
		}
		store_put(&st, v, n);
		folder_free(f);
		if (old != NULL) {
			/* the shard as it was before the split does not fit the
			 * new index: refused, not merged in */
			ib = store_get(&st, fid);
			assert_int_equal(folder_open(fid, fkey, ib->blob, ib->len, &f, NULL), 0);
			assert_int_equal(folder_shard_load(f, folder_shard_of(f, name),
			    keep.blob, keep.len, NULL), DZ_EAUTH);
			/* nor is another shard's record in its place */
			for (size_t j = 0; j < folder_nshards(f); j++) {
				uint8_t jid[32];

				assert_int_equal(folder_shard_info(f, j, jid, NULL, NULL), 0);
				if (memcmp(jid, id, 32) == 0)
					continue;
				b = store_get(&st, id);
				assert_int_equal(folder_shard_load(f, j, b->blob, b->len, NULL),
				    DZ_EAUTH);
				break;
			}
			free(keep.blob);
			folder_free(f);
		}
	}
	printf("# then %zu adds rewrote one shard each, %zu split one (4 records)\n",
	    plain, splits);
	assert_true(plain >= 20);
	assert_true(splits >= 1);
	f = open_all(&st);
	assert_int_equal(folder_count(f), BIG + plain + splits);
	folder_free(f);
	store_free(&st);
}

/* The folder as a client that changes name reads it: the index and the
 * one shard holding name (or the plain record). */
static struct folder *
open_for(struct store *st, const char *name)
{
	struct folder_blob *b = store_get(st, fid);
	struct folder *f;
	uint8_t id[32];
	size_t si;

	assert_non_null(b);
	assert_int_equal(folder_open(fid, fkey, b->blob, b->len, &f, NULL), 0);
	if (folder_is_sharded(f)) {
		si = folder_shard_of(f, name);
		assert_int_equal(folder_shard_info(f, si, id, NULL, NULL), 0);
		assert_non_null(b = store_get(st, id));
		assert_int_equal(folder_shard_load(f, si, b->blob, b->len, NULL), 0);
	}
	return f;
}

/* One client's put of name, redone from a fresh read after each lost
 * swap, as files.c does for the catalog. Returns the attempts made. */
static int
op_put(struct store *st, const char *name, uint8_t tag)
{
	for (int tries = 1; tries <= 10; tries++) {
		struct folder *f = open_for(st, name);
		struct folder_entry e = file_ent(name, tag);
		struct folder_blob *v;
		size_t n;
		int rc;

		assert_int_equal(folder_put(f, &e, NULL, NULL), 0);
		assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
		rc = store_put_n(st, v, 0, n);
		folder_blobs_free(v, n);
		folder_free(f);
		if (rc == 0)
			return tries;
		assert_int_equal(rc, DZ_ECONFLICT);
	}
	fail();
	return 0;
}

/* A name of the shard that holds near (its own prefix p, number k). */
static void
name_near(const struct folder *f, const char *near, const char *p, unsigned k,
    char out[64])
{
	for (unsigned j = 0;; j++) {
		snprintf(out, 64, "%s_%u_%u", p, k, j);
		if (folder_shard_of(f, out) == folder_shard_of(f, near))
			return;
	}
}

static void
races(void **state)
{
	struct store st = {0};
	struct folder *f, *g;
	struct folder_blob *v, *w;
	struct folder_entry e;
	const struct folder_entry *got;
	char name[64], n1[64], n2[64];
	size_t n = 0, nw, adds = 0;
	int tries;

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (unsigned i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "f%05u", i);
		e = file_ent(name, (uint8_t)i);
		assert_int_equal(folder_add(f, &e, NULL), 0);
	}
	assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
	store_put(&st, v, n);
	folder_free(f);

	/* writer 1 fills one shard until its next put splits it */
	for (unsigned k = 0;; k++) {
		f = open_for(&st, "f00000");
		name_near(f, "f00000", "w1", k, n1);
		e = file_ent(n1, 1);
		assert_int_equal(folder_add(f, &e, NULL), 0);
		assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
		folder_free(f);
		if (n == 4)
			break;
		store_put(&st, v, n);
		adds++;
	}
	/* it writes the frozen shard, then stalls (or dies) */
	assert_int_equal(store_put_n(&st, v, 0, 1), 0);

	/* writer 2 puts into the same shard: it finds it frozen under the
	 * old index, finishes the split and lands */
	f = open_for(&st, "f00000");
	name_near(f, "f00000", "w2", 0, n2);
	folder_free(f);
	tries = op_put(&st, n2, 2);
	assert_int_equal(tries, 1);

	/* writer 1 resumes: its halves are there, changed since: lost; it
	 * redoes its put from a fresh read */
	assert_int_equal(store_put_n(&st, v, 1, n), DZ_ECONFLICT);
	folder_blobs_free(v, n);
	assert_int_equal(op_put(&st, n1, 1), 1);

	/* two writers at once on one shard: one loses and redoes */
	f = open_for(&st, "f00001");
	g = open_for(&st, "f00001");
	name_near(f, "f00001", "a", 0, name);
	e = file_ent(name, 3);
	assert_int_equal(folder_put(f, &e, NULL, NULL), 0);
	name_near(g, "f00001", "b", 0, name);
	e = file_ent(name, 4);
	assert_int_equal(folder_put(g, &e, NULL, NULL), 0);
	assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
	assert_int_equal(folder_seal_dirty(g, &w, &nw, NULL), 0);
	assert_int_equal(store_put_n(&st, v, 0, n), 0);
	assert_int_equal(store_put_n(&st, w, 0, nw), DZ_ECONFLICT);
	folder_blobs_free(v, n);
	folder_blobs_free(w, nw);
	folder_free(f);
	folder_free(g);
	assert_int_equal(op_put(&st, name, 4), 1);

	/* nothing lost */
	f = open_all(&st);
	assert_int_equal(folder_count(f), 3000 + adds + 4);
	assert_int_equal(folder_find(f, n1, &got), 0);
	assert_int_equal(folder_find(f, n2, &got), 0);
	assert_int_equal(folder_find(f, name, &got), 0);
	printf("# races: a split stalled after its first record was finished by the "
	    "next writer; both puts and a lost swap's redo landed, %zu entries\n",
	    folder_count(f));
	folder_free(f);
	store_free(&st);
}

/* A written folder that outgrows one record: the plain record is
 * rewritten frozen, its shards created, then it becomes the index; a
 * writer who finds it frozen (the first writer died) finishes it. */
static void
convert(void **state)
{
	struct store st = {0};
	struct folder *f;
	struct folder_blob *v;
	struct folder_entry e;
	char name[64];
	size_t n;

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (unsigned i = 0; i < FOLDER_SHARD_ENTRIES; i++) {
		snprintf(name, sizeof(name), "c%05u", i);
		e = file_ent(name, (uint8_t)i);
		assert_int_equal(folder_add(f, &e, NULL), 0);
	}
	assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_false(folder_is_sharded(f));
	store_put(&st, v, n);
	folder_free(f);

	f = open_for(&st, "x");
	e = file_ent("one-more", 1);
	assert_int_equal(folder_add(f, &e, NULL), 0);
	assert_true(folder_is_sharded(f));
	assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
	assert_true(n >= 4);
	assert_memory_equal(v[0].id, fid, 32); /* the plain record, frozen */
	assert_int_equal(v[0].version, 2);
	assert_memory_equal(v[n - 1].id, fid, 32); /* then the index */
	assert_int_equal(v[n - 1].version, 3);
	/* the writer dies after freezing */
	assert_int_equal(store_put_n(&st, v, 0, 1), 0);
	folder_blobs_free(v, n);
	folder_free(f);
	/* a reader sees the frozen record whole; a writer finishes */
	f = open_for(&st, "x");
	assert_false(folder_is_sharded(f));
	assert_int_equal(folder_count(f), FOLDER_SHARD_ENTRIES + 1);
	folder_free(f);
	assert_int_equal(op_put(&st, "two-more", 2), 1);
	f = open_all(&st);
	assert_true(folder_is_sharded(f));
	assert_int_equal(folder_count(f), FOLDER_SHARD_ENTRIES + 2);
	assert_int_equal(folder_version(f), 3);
	folder_free(f);
	store_free(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sharded),
		cmocka_unit_test(races),
		cmocka_unit_test(convert),
	};

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(fid, 32);
	randombytes_buf(fkey, 32);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
