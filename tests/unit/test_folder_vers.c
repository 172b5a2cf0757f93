/* test_folder_vers: kept versions of a file (client/folder_vers.c, and
 * their bytes in folder_seal.c). Versions survive seal and open with
 * every field; an entry without versions costs one byte more than in
 * format 1, and format 1 records are still read; three puts keep
 * versions 1 and 2 under current 3; the keep limit drops the oldest and
 * hands it back (keep 0: the old object itself); restore makes an old
 * object current under a new number and drops nothing; altered version
 * bytes do not authenticate, and malformed versions sealed under the
 * right key are refused; a sharded folder of versioned entries splits by
 * bytes and round-trips, and the worst case (255-byte names, 255
 * versions each) keeps every record far below FOLDER_REC_MAX. */
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
#include "core/cursor.h"

#include "folderfix.h"

/* A file entry of current number cur with n previous versions
 * cur-1 .. cur-n (in v, the caller's). */
static struct folder_entry
vers_ent(const char *name, uint32_t cur, struct folder_version *v, uint16_t n)
{
	struct folder_entry e = file_ent(name, (uint8_t)cur);

	e.number = cur;
	e.stored_sec = 1800000000 + cur;
	for (uint16_t i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].number = cur - 1 - i;
		memset(v[i].id, 0x80 + (int)v[i].number, 32);
		memset(v[i].key, 0x40 + (int)v[i].number, 32);
		v[i].size = 7u * v[i].number;
		v[i].mtime_sec = -5 - (int64_t)v[i].number; /* before 1970 is fine */
		v[i].mtime_nsec = 999999999u - v[i].number;
		v[i].stored_sec = 1700000000 + v[i].number;
		v[i].mode = 0600 | v[i].number % 8;
	}
	e.vers = v;
	e.nvers = n;
	return e;
}

static void
vers_equal(const struct folder_version *a, const struct folder_version *b)
{
	assert_int_equal(a->number, b->number);
	assert_memory_equal(a->id, b->id, 32);
	assert_memory_equal(a->key, b->key, 32);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->mtime_sec, b->mtime_sec);
	assert_int_equal(a->mtime_nsec, b->mtime_nsec);
	assert_int_equal(a->stored_sec, b->stored_sec);
	assert_int_equal(a->mode, b->mode);
}

static void
roundtrip(void **state)
{
	struct folder_version v[5], w;
	struct folder_entry e = vers_ent("report.pdf", 6, v, 5), d = file_ent("dir", 2);
	const struct folder_entry *got;
	struct folder *f, *g;

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	assert_int_equal(folder_add(f, &e, NULL), 0);
	/* copied in: the caller's array may change at once */
	memset(v, 0xee, sizeof(v));
	e = vers_ent("report.pdf", 6, v, 5);
	d.type = FOLDER_T_DIR;
	d.stored_sec = 1800000123; /* any entry may say when it was made */
	assert_int_equal(folder_add(f, &d, NULL), 0);
	g = cycle(f);
	assert_int_equal(folder_find(g, "report.pdf", &got), 0);
	assert_int_equal(got->number, 6);
	assert_int_equal(got->stored_sec, e.stored_sec);
	assert_memory_equal(got->id, e.id, 32);
	assert_int_equal(got->nvers, 5);
	for (int i = 0; i < 5; i++)
		vers_equal(&got->vers[i], &v[i]);
	/* get PATH@N: each version, the current one included */
	assert_int_equal(folder_file_version(got, 0, &w), 0);
	assert_int_equal(w.number, 6);
	assert_memory_equal(w.key, e.key, 32);
	assert_int_equal(folder_file_version(got, 6, &w), 0);
	assert_int_equal(w.size, e.size);
	assert_int_equal(folder_file_version(got, 3, &w), 0);
	vers_equal(&w, &v[2]);
	assert_int_equal(folder_file_version(got, 7, &w), DZ_ENOENT);
	assert_int_equal(folder_find(g, "dir", &got), 0);
	assert_int_equal(got->stored_sec, 1800000123);
	assert_int_equal(got->number, 0);
	assert_int_equal(folder_file_version(got, 0, &w), DZ_EINVAL);
	folder_free(g);

	/* what is refused on the way in */
	d.nvers = 1;
	d.vers = v;
	assert_int_equal(folder_put(f, &d, NULL, NULL), DZ_EINVAL); /* a folder */
	e.number = 5; /* the newest version is not below the current one */
	assert_int_equal(folder_put(f, &e, NULL, NULL), DZ_EINVAL);
	e = vers_ent("report.pdf", 6, v, 5);
	v[3].number = v[2].number; /* not strictly decreasing */
	assert_int_equal(folder_put(f, &e, NULL, NULL), DZ_EINVAL);
	e = vers_ent("report.pdf", 6, v, 5);
	v[1].mode = 0100644;
	assert_int_equal(folder_put(f, &e, NULL, NULL), DZ_EINVAL);
	e = vers_ent("report.pdf", 300, NULL, 0);
	e.nvers = 256;
	assert_int_equal(folder_put(f, &e, NULL, NULL), DZ_EINVAL);
	folder_free(f);
}

static void
compact(void **state)
{
	struct folder *f, *g;
	struct folder_blob *b;
	struct folder_entry e = file_ent("plain", 1);
	const struct folder_entry *got;
	uint8_t *p, *out;
	size_t plen, ext = ENT0 + 26 + 5 + 64, olen;

	(void)state;
	/* no number, no time, no versions: format 1's bytes and one zero */
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	assert_int_equal(folder_add(f, &e, NULL), 0);
	b = seal1(f);
	assert_int_equal(b->blob[0], 2);
	p = plain_of(b->blob, b->len, &plen);
	assert_int_equal(p[ENT0], FOLDER_T_FILE);
	assert_memory_equal(p + ENT0 + 26 + 5 + 32, e.key, 32);
	for (size_t i = ext; i < plen; i++)
		assert_int_equal(p[i], 0);

	/* the same record in format 1 (no ext byte): still read */
	p[0] = 1;
	memmove(p + ext, p + ext + 1, plen - ext - 1);
	out = malloc(plen + 60);
	olen = seal_plain(p, plen, out);
	assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), 0);
	assert_int_equal(folder_find(g, "plain", &got), 0);
	assert_memory_equal(got->key, e.key, 32);
	assert_int_equal(got->nvers, 0);
	folder_free(g);
	/* a format-1 head on a format-2 blob's bytes does not authenticate */
	memcpy(out, b->blob, b->len);
	out[0] = 1;
	assert_int_equal(folder_open(fid, fkey, out, b->len, &g, NULL), DZ_EAUTH);
	out[0] = 3;
	assert_int_equal(folder_open(fid, fkey, out, b->len, &g, NULL), DZ_EVERSION);
	free(out);
	free(p);
	folder_blobs_free(b, 1);
	folder_free(f);
}

/* Put the file name with tag (its id) keeping keep; the dropped ones
 * in dropped[], their count returned. */
static size_t
put(struct folder *f, const char *name, uint8_t tag, unsigned keep,
    struct folder_version *dropped)
{
	struct folder_entry e = file_ent(name, tag);
	size_t nd = 99;
	int replaced = -1, had = folder_find(f, name, &(const struct folder_entry *){0}) == 0;

	e.stored_sec = 1800000000 + tag;
	assert_int_equal(folder_put_version(f, &e, keep, dropped, &nd, &replaced, NULL), 0);
	assert_int_equal(replaced, had);
	return nd;
}

static void
puts_keep(void **state)
{
	struct folder_version dropped[FOLDER_VERS_MAX + 1];
	struct folder_entry l = file_ent("x", 9);
	const struct folder_entry *got;
	struct folder *f, *g;
	size_t nd;

	(void)state;
	/* three puts: current 3, then 2 and 1 */
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	assert_int_equal(put(f, "a", 1, 10, dropped), 0);
	assert_int_equal(folder_ent_number(ent(f, "a")), 1);
	assert_int_equal(put(f, "a", 2, 10, dropped), 0);
	assert_int_equal(put(f, "a", 3, 10, dropped), 0);
	g = cycle(f);
	got = ent(g, "a");
	assert_int_equal(got->number, 3);
	assert_int_equal(got->id[0], 3);
	assert_int_equal(got->stored_sec, 1800000003);
	assert_int_equal(got->nvers, 2);
	assert_int_equal(got->vers[0].number, 2);
	assert_int_equal(got->vers[0].id[0], 2);
	assert_int_equal(got->vers[0].key[0], 2 ^ 0x5a);
	assert_int_equal(got->vers[0].stored_sec, 1800000002);
	assert_int_equal(got->vers[0].size, 2000);
	assert_int_equal(got->vers[1].number, 1);
	assert_int_equal(got->vers[1].id[0], 1);
	folder_free(f);
	f = g;

	/* keep 2: the fourth put drops version 1 and hands it back */
	nd = put(f, "a", 4, 2, dropped);
	assert_int_equal(nd, 1);
	assert_int_equal(dropped[0].number, 1);
	assert_int_equal(dropped[0].id[0], 1);
	assert_int_equal(dropped[0].key[0], 1 ^ 0x5a);
	got = ent(f, "a");
	assert_int_equal(got->number, 4);
	assert_int_equal(got->nvers, 2);
	assert_int_equal(got->vers[0].number, 3);
	assert_int_equal(got->vers[1].number, 2);
	/* a lower setting drops what it no longer keeps, oldest first */
	nd = put(f, "a", 5, 1, dropped);
	assert_int_equal(nd, 2);
	assert_int_equal(dropped[0].number, 3);
	assert_int_equal(dropped[1].number, 2);
	/* keep 0: the old object itself is dropped */
	nd = put(f, "a", 6, 0, dropped);
	assert_int_equal(nd, 2);
	assert_int_equal(dropped[0].number, 5);
	assert_int_equal(dropped[1].number, 4);
	assert_int_equal(ent(f, "a")->number, 6);
	assert_int_equal(ent(f, "a")->nvers, 0);
	/* a keep above the bound is the bound: 300 puts keep 255 */
	for (unsigned i = 0; i < 300; i++)
		nd = put(f, "b", (uint8_t)i, 100000, dropped);
	assert_int_equal(nd, 1);
	assert_int_equal(dropped[0].number, 44); /* put 300 kept 299..45 */
	assert_int_equal(ent(f, "b")->nvers, FOLDER_VERS_MAX);
	assert_int_equal(ent(f, "b")->number, 300);
	g = cycle(f);
	assert_int_equal(ent(g, "b")->nvers, FOLDER_VERS_MAX);
	assert_int_equal(ent(g, "b")->vers[254].number, 45);
	folder_free(g);

	/* a link put over a file: the file and all its versions dropped */
	assert_int_equal(put(f, "a", 7, 10, dropped), 0);
	l.name = "a";
	l.type = FOLDER_T_LINK;
	l.target = "elsewhere";
	assert_int_equal(folder_put_version(f, &l, 10, dropped, &nd, NULL, NULL), 0);
	assert_int_equal(nd, 2);
	assert_int_equal(dropped[0].number, 7);
	assert_int_equal(dropped[1].number, 6);
	assert_int_equal(ent(f, "a")->type, FOLDER_T_LINK);
	/* over a link or a folder: refused as folder_add would */
	l = file_ent("a", 8);
	assert_int_equal(folder_put_version(f, &l, 10, dropped, &nd, NULL, NULL), DZ_EEXIST);
	assert_int_equal(nd, 0);
	/* a new version carries no history of its own */
	l = vers_ent("c", 3, dropped, 1);
	assert_int_equal(folder_put_version(f, &l, 10, dropped, &nd, NULL, NULL), DZ_EINVAL);
	folder_free(f);
}

static void
restore(void **state)
{
	struct folder_version dropped[FOLDER_VERS_MAX + 1], w;
	const struct folder_entry *got;
	struct folder *f, *g;
	struct folder_entry d = file_ent("d", 1);

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (uint8_t i = 1; i <= 3; i++)
		assert_int_equal(put(f, "a", i, 10, dropped), 0);
	/* version 1 becomes current as 4; 3 and 2 stay; nothing dropped */
	assert_int_equal(folder_restore_version(f, "a", 1, 1900000000, NULL), 0);
	g = cycle(f);
	got = ent(g, "a");
	assert_int_equal(got->number, 4);
	assert_int_equal(got->stored_sec, 1900000000);
	assert_int_equal(got->id[0], 1);
	assert_int_equal(got->key[0], 1 ^ 0x5a);
	assert_int_equal(got->size, 1000);
	assert_int_equal(got->mtime_sec, 1700000001);
	assert_int_equal(got->nvers, 2);
	assert_int_equal(got->vers[0].number, 3);
	assert_int_equal(got->vers[0].id[0], 3);
	assert_int_equal(got->vers[0].stored_sec, 1800000003);
	assert_int_equal(got->vers[1].number, 2);
	/* get PATH@3 after it: the object put third */
	assert_int_equal(folder_file_version(got, 3, &w), 0);
	assert_int_equal(w.id[0], 3);
	/* version 1 is no more (it is 4 now), 9 never was */
	assert_int_equal(folder_restore_version(g, "a", 1, 0, NULL), DZ_ENOENT);
	assert_int_equal(folder_restore_version(g, "a", 9, 0, NULL), DZ_ENOENT);
	assert_int_equal(folder_restore_version(g, "nope", 1, 0, NULL), DZ_ENOENT);
	/* the current one: nothing to do, nothing to write */
	assert_int_equal(folder_restore_version(g, "a", 4, 0, NULL), 0);
	{
		struct folder_blob *b;
		size_t n;

		assert_int_equal(folder_seal_dirty(g, &b, &n, NULL), 0);
		assert_int_equal(n, 0);
		folder_blobs_free(b, n);
	}
	/* restore again: 3 becomes 5 */
	assert_int_equal(folder_restore_version(g, "a", 3, 1900000001, NULL), 0);
	got = ent(g, "a");
	assert_int_equal(got->number, 5);
	assert_int_equal(got->id[0], 3);
	assert_int_equal(got->nvers, 2);
	assert_int_equal(got->vers[0].number, 4);
	assert_int_equal(got->vers[0].id[0], 1);
	assert_int_equal(got->vers[1].number, 2);
	d.type = FOLDER_T_DIR;
	assert_int_equal(folder_add(g, &d, NULL), 0);
	assert_int_equal(folder_restore_version(g, "d", 1, 0, NULL), DZ_EINVAL);
	folder_free(g);
	folder_free(f);
}

/* Seal a one-file folder whose entry has 3 versions; its plaintext. */
static uint8_t *
vers_plain(size_t *plen, struct folder_blob **b)
{
	struct folder_version v[3];
	struct folder_entry e = vers_ent("abc", 10, v, 3);
	struct folder *f;
	uint8_t *p;

	assert_int_equal(folder_new(fid, fkey, &f), 0);
	assert_int_equal(folder_add(f, &e, NULL), 0);
	*b = seal1(f);
	folder_free(f);
	p = plain_of((*b)->blob, (*b)->len, plen);
	return p;
}

static void
tamper(void **state)
{
	const size_t ext = ENT0 + 26 + 3 + 64, nv = ext + 13, v0 = nv + 1;
	struct folder_blob *b;
	struct folder *g;
	uint8_t *p, *q, *out;
	size_t plen, olen;
	static const struct {
		size_t at;   /* offset from the ext byte */
		uint32_t val;
		int width;   /* bytes written, little-endian */
	} bad[] = {
		{0, 0x0b, 1},                 /* an unknown ext bit (bit 3) */
		{0, 0x02 | 0x00, 1},          /* versions but no number: above 1 */
		{13, 0, 1},                   /* nvers 0 with the bit set */
		{13, 200, 1},                 /* more versions than bytes left */
		{14, 10, 4},                  /* version 10 is the current one */
		{14 + 100, 9, 4},             /* 9 after 9: not decreasing */
		{14 + 200, 0, 4},             /* version 0 */
		{14 + 96, 0100600, 4},        /* a mode with the file type bits */
		{14 + 84, 1000000000u, 4},    /* nanoseconds out of range */
		{14 + 68 + 7, 0x80, 1},       /* size above 2^63 - 1 */
		{1, 0, 4},                    /* number 0 ... */
	};

	(void)state;
	p = vers_plain(&plen, &b);
	assert_int_equal(p[ext], 3);
	assert_int_equal(le32_get(p + ext + 1), 10);
	assert_int_equal(p[nv], 3);
	assert_int_equal(le32_get(p + v0), 9);
	/* the coordinator flips a bit of any version field: never opens */
	for (size_t i = 44 + v0; i < 44 + v0 + 300; i += 7) {
		uint8_t *c = malloc(b->len);

		memcpy(c, b->blob, b->len);
		c[i] ^= 0x10;
		assert_int_equal(folder_open(fid, fkey, c, b->len, &g, NULL), DZ_EAUTH);
		free(c);
	}
	/* malformed versions, sealed under the right key (a buggy client) */
	q = malloc(plen);
	out = malloc(plen + 60);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memcpy(q, p, plen);
		for (int i = 0; i < bad[k].width; i++)
			q[ext + bad[k].at + i] = (uint8_t)(bad[k].val >> (8 * i));
		if (k == sizeof(bad) / sizeof(bad[0]) - 1)
			memset(q + ext + 5, 0, 8); /* ... and time 0: not canonical */
		olen = seal_plain(q, plen, out);
		assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), DZ_EFORMAT);
		assert_null(g);
	}
	/* cut inside the versions (the padding gone too): the count does
	 * not fit what is left; cut inside the number: truncated */
	olen = seal_plain(p, v0 + 150, out);
	assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), DZ_EFORMAT);
	olen = seal_plain(p, ext + 3, out);
	assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), DZ_ETRUNC);
	/* the intact plaintext, resealed: opens (the cases above are real) */
	olen = seal_plain(p, plen, out);
	assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), 0);
	folder_free(g);
	free(q);
	free(out);
	free(p);
	folder_blobs_free(b, 1);
}

/* Open every record of v[0..n) (index last) as a reader does. */
static struct folder *
open_blobs(struct folder_blob *v, size_t n)
{
	struct folder *f;
	uint8_t id[32];

	assert_memory_equal(v[n - 1].id, fid, 32);
	assert_int_equal(folder_open(fid, fkey, v[n - 1].blob, v[n - 1].len, &f, NULL), 0);
	for (size_t i = 0; i < folder_nshards(f); i++) {
		size_t j;

		assert_int_equal(folder_shard_info(f, i, id, NULL, NULL), 0);
		for (j = 0; j + 1 < n && memcmp(v[j].id, id, 32) != 0; j++)
			;
		assert_true(j + 1 < n);
		assert_int_equal(folder_shard_load(f, i, v[j].blob, v[j].len, NULL), 0);
	}
	return f;
}

/* A folder of n files named with len bytes, each put nv + 1 times
 * (keeping nv): sealed, every record no larger than bound, reopened and
 * checked; returns the largest record. */
static size_t
versioned(unsigned n, size_t len, unsigned nv, size_t *nrec, size_t *total)
{
	struct folder_version dropped[FOLDER_VERS_MAX + 1];
	struct folder *f, *g;
	struct folder_blob *v;
	const struct folder_entry *got;
	char name[256];
	size_t nb, largest = 0;

	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%06u", i);
		memset(name + 6, 'v', len - 6);
		name[len] = '\0';
		for (unsigned k = 0; k <= nv; k++)
			put(f, name, (uint8_t)(i + k), nv, dropped);
	}
	assert_int_equal(folder_seal_dirty(f, &v, &nb, NULL), 0);
	*total = 0;
	for (size_t i = 0; i < nb; i++) {
		*total += v[i].len;
		if (v[i].len > largest)
			largest = v[i].len;
	}
	*nrec = nb;
	g = open_blobs(v, nb);
	assert_int_equal(folder_count(g), n);
	for (unsigned i = 0; i < n; i += 7) {
		snprintf(name, sizeof(name), "%06u", i);
		memset(name + 6, 'v', len - 6);
		name[len] = '\0';
		assert_int_equal(folder_find(g, name, &got), 0);
		assert_int_equal(got->number, nv + 1);
		assert_int_equal(got->id[0], (uint8_t)(i + nv));
		assert_int_equal(got->nvers, nv);
		for (unsigned k = 0; k < nv; k++) {
			assert_int_equal(got->vers[k].number, nv - k);
			assert_int_equal(got->vers[k].id[0], (uint8_t)(i + nv - 1 - k));
		}
	}
	folder_free(g);
	folder_blobs_free(v, nb);
	folder_free(f);
	return largest;
}

static void
sharded(void **state)
{
	size_t nrec, total, big;

	(void)state;
	/* 2,000 files of 10 versions: the byte bound shards them (not the
	 * count bound, 1,000), about 230 entries a shard */
	big = versioned(2000, 13, 10, &nrec, &total);
	printf("# 2000 files x 10 versions: %zu records, %zu bytes in all, largest %zu\n",
	    nrec, total, big);
	assert_true(nrec >= 9);
	assert_true(big <= FOLDER_SHARD_BYTES + 64 * 1024);
	/* the worst case: 255-byte names, 255 versions each (25,859 bytes
	 * an entry): every record still splits below the byte bound plus one
	 * entry, far under FOLDER_REC_MAX */
	big = versioned(200, 255, FOLDER_VERS_MAX, &nrec, &total);
	printf("# 200 files x 255 versions, 255-byte names: %zu records, %zu bytes in "
	    "all, largest %zu (bound %u)\n", nrec, total, big, FOLDER_REC_MAX);
	assert_true(big <= FOLDER_SHARD_BYTES + 64 * 1024);
	assert_true(nrec >= 20);
}

/* The coordinator's records, as far as this test needs: the newest
 * blob of each id (taken from v, which is freed). */
struct store {
	struct folder_blob b[256];
	size_t n;
};

static void
store_put(struct store *st, struct folder_blob *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < st->n && memcmp(st->b[j].id, v[i].id, 32) != 0; j++)
			;
		if (j == st->n) {
			assert_true(st->n < 256);
			assert_int_equal(v[i].version, 1); /* a create */
			st->n++;
		} else {
			assert_int_equal(v[i].version, st->b[j].version + 1); /* a swap */
			free(st->b[j].blob);
		}
		st->b[j] = v[i];
		v[i].blob = NULL;
	}
	folder_blobs_free(v, n);
}

/* The folder as the store has it (index and every shard). */
static struct folder *
store_open(struct store *st)
{
	struct folder_blob *v = calloc(st->n, sizeof(*v));
	struct folder *f;
	size_t k = 0;

	/* open_blobs wants the index last */
	for (size_t i = 0; i < st->n; i++)
		if (memcmp(st->b[i].id, fid, 32) != 0)
			v[k++] = st->b[i];
	for (size_t i = 0; i < st->n; i++)
		if (memcmp(st->b[i].id, fid, 32) == 0)
			v[k++] = st->b[i];
	f = open_blobs(v, k);
	free(v);
	return f;
}

/* A written sharded folder of versioned entries: new versions of the
 * names of one shard rewrite that shard alone, until it splits (frozen,
 * two halves, the index), and what the coordinator then holds has every
 * entry with every version. */
static void
split_written(void **state)
{
	struct folder_version dropped[FOLDER_VERS_MAX + 1];
	struct store st = {0};
	struct folder *f, *g;
	struct folder_blob *v;
	const struct folder_entry **all, *got;
	char name[64];
	size_t n, before, na, ones = 0;

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (unsigned i = 0; i < 800; i++) {
		snprintf(name, sizeof(name), "s%04u", i);
		for (unsigned j = 0; j < 4; j++)
			put(f, name, (uint8_t)j, 10, dropped);
	}
	assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
	assert_true(folder_is_sharded(f));
	store_put(&st, v, n);
	before = folder_nshards(f);
	for (unsigned k = 0; k < 20000 && folder_nshards(f) == before; k++) {
		snprintf(name, sizeof(name), "s%04u", k % 800);
		if (folder_shard_of(f, name) != folder_shard_of(f, "s0000"))
			continue;
		put(f, name, (uint8_t)(4 + k / 800), 10, dropped);
		assert_int_equal(folder_seal_dirty(f, &v, &n, NULL), 0);
		if (n == 1)
			ones++;
		else
			assert_int_equal(n, 4); /* frozen, two halves, the index */
		store_put(&st, v, n);
	}
	printf("# %zu new versions rewrote one shard each, then one split it\n", ones);
	assert_true(folder_nshards(f) > before);
	assert_true(ones > 10);
	g = store_open(&st);
	assert_int_equal(folder_nshards(g), folder_nshards(f));
	assert_int_equal(folder_sorted(f, &all, &na), 0);
	assert_int_equal(na, 800);
	assert_int_equal(folder_count(g), 800);
	for (size_t i = 0; i < na; i++) {
		got = ent(g, all[i]->name);
		assert_int_equal(got->number, all[i]->number);
		assert_memory_equal(got->id, all[i]->id, 32);
		assert_int_equal(got->nvers, all[i]->nvers);
		for (uint16_t j = 0; j < got->nvers; j++)
			vers_equal(&got->vers[j], &all[i]->vers[j]);
	}
	assert_true(ent(g, "s0000")->number > 4);
	free(all);
	folder_free(g);
	folder_free(f);
	for (size_t i = 0; i < st.n; i++)
		free(st.b[i].blob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip),
		cmocka_unit_test(compact),
		cmocka_unit_test(puts_keep),
		cmocka_unit_test(restore),
		cmocka_unit_test(tamper),
		cmocka_unit_test(sharded),
		cmocka_unit_test(split_written),
	};

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(fid, 32);
	randombytes_buf(fkey, 32);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
