/* test_folder_pack: packed entries (FOLDER_T_PACKED) in folder records
 * (client/folder.c, folder_seal.c, folder_vers.c). A packed entry and
 * packed versions survive seal and open with every field, and take
 * exactly the bytes the shard bound counts; the place in the pack is
 * bounded (pack_len = size + overhead, within 2^48) both when added and
 * when read; a put over a packed file keeps it as a packed version and a
 * dropped packed version comes back flagged, so that its shared pack is
 * not forgotten; restore makes a packed version a packed entry again;
 * altered bytes do not authenticate and malformed ones sealed under the
 * right key are refused; a sharded folder of packed entries round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/folder_int.h"
#include "core/cursor.h"

#include "folderfix.h"

/* A packed file of tag's fields, at offset 4096 * tag in its pack. */
static struct folder_entry
packed_ent(const char *name, uint8_t tag)
{
	struct folder_entry e = file_ent(name, tag);

	e.type = FOLDER_T_PACKED;
	memset(e.pack_key, tag ^ 0xa5, 32);
	e.pack_off = 4096u * tag;
	e.pack_len = e.size + FOLDER_PACK_OVERHEAD;
	return e;
}

static void
ent_equal(const struct folder_entry *a, const struct folder_entry *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->mtime_sec, b->mtime_sec);
	assert_int_equal(a->mtime_nsec, b->mtime_nsec);
	assert_int_equal(a->size, b->size);
	assert_memory_equal(a->id, b->id, 32);
	assert_memory_equal(a->key, b->key, 32);
	assert_memory_equal(a->pack_key, b->pack_key, 32);
	assert_int_equal(a->pack_off, b->pack_off);
	assert_int_equal(a->pack_len, b->pack_len);
	assert_int_equal(a->number, b->number);
	assert_int_equal(a->stored_sec, b->stored_sec);
	assert_int_equal(a->nvers, b->nvers);
	for (uint16_t i = 0; i < a->nvers; i++)
		assert_memory_equal(&a->vers[i], &b->vers[i], sizeof(a->vers[i]));
}

/* v[0] packed, v[1] whole, under current number 3. */
static struct folder_entry
mixed_ent(const char *name, struct folder_version v[2])
{
	struct folder_entry e = packed_ent(name, 3);

	memset(v, 0, 2 * sizeof(*v));
	e.number = 3;
	e.stored_sec = 1800000003;
	v[0].number = 2;
	memset(v[0].id, 0x82, 32);
	memset(v[0].key, 0x42, 32);
	v[0].size = 77;
	v[0].mode = 0600;
	v[0].packed = 1;
	memset(v[0].pack_key, 0x62, 32);
	v[0].pack_off = FOLDER_PACK_MAXOFF - 117; /* the very end of the range */
	v[0].pack_len = 117;
	v[1].number = 1;
	memset(v[1].id, 0x81, 32);
	memset(v[1].key, 0x41, 32);
	v[1].size = 5;
	v[1].mode = 0644;
	e.vers = v;
	e.nvers = 2;
	return e;
}

static void
roundtrip(void **state)
{
	struct folder_version v[2];
	struct folder_entry a = packed_ent("a-packed", 1), m = mixed_ent("m-mixed", v);
	struct folder_entry z = packed_ent("z-empty", 2);
	struct folder_blob *b;
	struct folder *f, *g;
	uint8_t *p;
	size_t plen, end;

	(void)state;
	z.size = 0; /* an empty file packs too: nonce and tag only */
	z.pack_len = FOLDER_PACK_OVERHEAD;
	z.number = 1;
	z.stored_sec = 0x0102030405060708; /* its last byte ends the entries */
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	assert_int_equal(folder_add(f, &a, NULL), 0);
	assert_int_equal(folder_add(f, &m, NULL), 0);
	assert_int_equal(folder_add(f, &z, NULL), 0);
	assert_true(folder_is_file(ent(f, "a-packed")));
	b = seal1(f);
	/* the bytes the bound counts are the bytes written: past the three
	 * entries only padding */
	p = plain_of(b->blob, b->len, &plen);
	end = ENT0 + folder_ent_bytes(&a) + folder_ent_bytes(&m) + folder_ent_bytes(&z);
	assert_true(end <= plen);
	assert_int_equal(p[end - 1], 0x01);
	for (size_t i = end; i < plen; i++)
		assert_int_equal(p[i], 0);
	/* the first entry: type 4, and its pack fields after id and key */
	assert_int_equal(p[ENT0], FOLDER_T_PACKED);
	assert_memory_equal(p + ENT0 + 26 + 8 + 64, a.pack_key, 32);
	assert_int_equal(le64_get(p + ENT0 + 26 + 8 + 96), a.pack_off);
	assert_int_equal(le64_get(p + ENT0 + 26 + 8 + 104), a.pack_len);
	free(p);
	assert_int_equal(folder_open(fid, fkey, b->blob, b->len, &g, NULL), 0);
	ent_equal(ent(g, "a-packed"), &a);
	ent_equal(ent(g, "m-mixed"), &m);
	ent_equal(ent(g, "z-empty"), &z);
	folder_blobs_free(b, 1);
	folder_free(g);
	folder_free(f);
}

static void
bounds(void **state)
{
	struct folder_entry e = packed_ent("p", 1), w = file_ent("w", 2);
	struct folder_version v[2];
	struct folder *f;

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	e.pack_len--;                           /* not size + overhead */
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	e.pack_len += 2;
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	e.pack_len--;
	e.pack_off = FOLDER_PACK_MAXOFF - e.pack_len + 1; /* ends past 2^48 */
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	e.pack_off = UINT64_MAX;                /* wraps */
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	e.pack_off = FOLDER_PACK_MAXOFF - e.pack_len; /* ends at 2^48: fine */
	assert_int_equal(folder_add(f, &e, NULL), 0);
	e.size = (uint64_t)INT64_MAX;           /* size + overhead would pass */
	e.pack_len = e.size + FOLDER_PACK_OVERHEAD;
	e.name = "q";
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	/* a whole file or a folder has no pack */
	w.pack_len = 40;
	assert_int_equal(folder_add(f, &w, NULL), DZ_EINVAL);
	w.pack_len = 0;
	w.pack_key[5] = 1;
	assert_int_equal(folder_add(f, &w, NULL), DZ_EINVAL);
	/* nor does a whole version; a packed one has a bounded place */
	w = mixed_ent("v", v);
	v[1].pack_off = 1;
	assert_int_equal(folder_add(f, &w, NULL), DZ_EINVAL);
	v[1].pack_off = 0;
	v[0].pack_len++;
	assert_int_equal(folder_add(f, &w, NULL), DZ_EINVAL);
	v[0].pack_len--;
	v[0].packed = 2;
	assert_int_equal(folder_add(f, &w, NULL), DZ_EINVAL);
	v[0].packed = 1;
	assert_int_equal(folder_add(f, &w, NULL), 0);
	assert_int_equal(folder_count(f), 2);
	folder_free(f);
}

/* Put a whole (packed = 0) or packed file of tag over name. */
static size_t
put(struct folder *f, const char *name, uint8_t tag, int packed,
    struct folder_version *dropped)
{
	struct folder_entry e = packed ? packed_ent(name, tag) : file_ent(name, tag);
	size_t nd = 99;

	e.stored_sec = 1800000000 + tag;
	assert_int_equal(folder_put_version(f, &e, 2, dropped, &nd, NULL, NULL), 0);
	return nd;
}

static void
versions(void **state)
{
	struct folder_version dropped[FOLDER_VERS_MAX + 1], got;
	struct folder_entry l = file_ent("x", 9);
	const struct folder_entry *e;
	struct folder *f, *g;
	size_t nd;

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	/* packed 1, whole 2, packed 3: the packed first put stays a
	 * packed version */
	assert_int_equal(put(f, "a", 1, 1, dropped), 0);
	assert_int_equal(put(f, "a", 2, 0, dropped), 0);
	assert_int_equal(put(f, "a", 3, 1, dropped), 0);
	g = cycle(f);
	folder_free(f);
	f = g;
	e = ent(f, "a");
	assert_int_equal(e->type, FOLDER_T_PACKED);
	assert_int_equal(e->number, 3);
	assert_int_equal(e->nvers, 2);
	assert_int_equal(e->vers[0].number, 2);
	assert_int_equal(e->vers[0].packed, 0);
	assert_int_equal(e->vers[1].number, 1);
	assert_int_equal(e->vers[1].packed, 1);
	assert_int_equal(e->vers[1].pack_key[0], 1 ^ 0xa5);
	assert_int_equal(e->vers[1].pack_off, 4096);
	assert_int_equal(e->vers[1].pack_len, 1000 + FOLDER_PACK_OVERHEAD);
	/* the current packed one as a version */
	assert_int_equal(folder_file_version(e, 0, &got), 0);
	assert_int_equal(got.packed, 1);
	assert_int_equal(got.pack_off, 3 * 4096);
	assert_int_equal(got.key[0], 3 ^ 0x5a);
	/* keep 2: the fourth put drops version 1, flagged packed: its id is
	 * the shared pack, not an object to forget */
	nd = put(f, "a", 4, 0, dropped);
	assert_int_equal(nd, 1);
	assert_int_equal(dropped[0].number, 1);
	assert_int_equal(dropped[0].packed, 1);
	assert_int_equal(dropped[0].id[0], 1);
	assert_int_equal(dropped[0].pack_len, 1000 + FOLDER_PACK_OVERHEAD);
	nd = put(f, "a", 5, 0, dropped);
	assert_int_equal(nd, 1);
	assert_int_equal(dropped[0].number, 2);
	assert_int_equal(dropped[0].packed, 0); /* a whole object: forget it */
	/* restore the packed version 3: the entry is packed again */
	assert_int_equal(folder_restore_version(f, "a", 3, 1900000000, NULL), 0);
	g = cycle(f);
	folder_free(f);
	f = g;
	e = ent(f, "a");
	assert_int_equal(e->type, FOLDER_T_PACKED);
	assert_int_equal(e->number, 6);
	assert_int_equal(e->pack_off, 3 * 4096);
	assert_int_equal(e->pack_key[0], 3 ^ 0xa5);
	assert_int_equal(e->nvers, 2);
	assert_int_equal(e->vers[0].number, 5);
	assert_int_equal(e->vers[0].packed, 0);
	/* and back to the whole version 5: no pack left on the entry */
	assert_int_equal(folder_restore_version(f, "a", 5, 1900000001, NULL), 0);
	e = ent(f, "a");
	assert_int_equal(e->type, FOLDER_T_FILE);
	assert_int_equal(e->pack_len, 0);
	assert_true(sodium_is_zero(e->pack_key, 32));
	assert_int_equal(e->vers[0].number, 6);
	assert_int_equal(e->vers[0].packed, 1);
	/* a link over it drops everything, the packed ones flagged */
	l.name = "a";
	l.type = FOLDER_T_LINK;
	l.target = "elsewhere";
	memset(l.id, 0, 32);
	memset(l.key, 0, 32);
	assert_int_equal(folder_put_version(f, &l, 2, dropped, &nd, NULL, NULL), 0);
	assert_int_equal(nd, 3);
	assert_int_equal(dropped[0].packed, 0);
	assert_int_equal(dropped[1].packed, 1);
	assert_int_equal(dropped[2].packed, 0);
	sodium_memzero(dropped, sizeof(dropped));
	folder_free(f);
}

static void
tamper(void **state)
{
	struct folder_version v[2];
	struct folder_entry m = mixed_ent("m", v);
	/* offsets in m's plaintext: the entry's fixed part and name, its
	 * body (id, key, pack fields), ext, number, nvers, versions */
	const size_t body = ENT0 + 26 + 1, pk = body + 64, ext = pk + 48,
	    v0 = ext + 1 + 12 + 1;
	struct folder_blob *b;
	struct folder *f, *g;
	uint8_t *p, *q, *out;
	size_t plen, olen;
	static const struct {
		size_t at;   /* offset from the ext byte, or before it */
		int from_pk; /* at is from the pack fields instead */
		uint64_t val;
		int width;
	} bad[] = {
		{40, 1, 0, 8},                   /* pack_len 0: not size + overhead */
		{40, 1, 3000 + 41, 8},           /* one byte too many */
		{32, 1, FOLDER_PACK_MAXOFF, 8},  /* offset at 2^48: ends past it */
		{0, 0, 0x03, 1},                 /* kinds dropped: v0's kind read as number */
		{14, 0, 0, 1},                   /* kind 0 */
		{14 + 1 + 100 + 48, 0, 2, 1},    /* v1's kind: a folder */
		{14 + 1 + 100 + 40, 0, 118, 8},  /* v0's pack_len off by one */
	};

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	assert_int_equal(folder_add(f, &m, NULL), 0);
	b = seal1(f);
	p = plain_of(b->blob, b->len, &plen);
	assert_int_equal(p[ENT0], FOLDER_T_PACKED);
	assert_int_equal(p[ext], FENT_EXT_NUM | FENT_EXT_VERS | FENT_EXT_VKIND);
	assert_int_equal(p[v0], FOLDER_T_PACKED);
	assert_int_equal(p[v0 + 1 + 100 + 48], FOLDER_T_FILE);
	/* the coordinator flips a bit of a pack field: never opens */
	for (size_t i = 44 + pk; i < 44 + v0 + 200; i += 5) {
		uint8_t *c = malloc(b->len);

		memcpy(c, b->blob, b->len);
		c[i] ^= 0x04;
		assert_int_equal(folder_open(fid, fkey, c, b->len, &g, NULL), DZ_EAUTH);
		free(c);
	}
	/* malformed, sealed under the right key (a buggy client) */
	q = malloc(plen);
	out = malloc(plen + 60);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		size_t at = (bad[k].from_pk ? pk : ext) + bad[k].at;

		memcpy(q, p, plen);
		for (int i = 0; i < bad[k].width; i++)
			q[at + i] = (uint8_t)(bad[k].val >> (8 * i));
		olen = seal_plain(q, plen, out);
		assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), DZ_EFORMAT);
		assert_null(g);
	}
	/* a version kind from a later format: DZ_EVERSION, as an entry type */
	memcpy(q, p, plen);
	q[v0] = FOLDER_T_PACKED + 1;
	olen = seal_plain(q, plen, out);
	assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), DZ_EVERSION);
	/* bit 2 with no packed version: not canonical */
	memcpy(q, p, plen);
	q[v0] = FOLDER_T_FILE;
	memmove(q + v0 + 1 + 100, q + v0 + 1 + 100 + 48, plen - (v0 + 1 + 100 + 48));
	memset(q + plen - 48, 0, 48);
	olen = seal_plain(q, plen, out);
	assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), DZ_EFORMAT);
	/* cut inside the pack fields: truncated */
	olen = seal_plain(p, pk + 20, out);
	assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), DZ_ETRUNC);
	/* the intact plaintext, resealed: opens (the cases above are real) */
	olen = seal_plain(p, plen, out);
	assert_int_equal(folder_open(fid, fkey, out, olen, &g, NULL), 0);
	folder_free(g);
	free(q);
	free(out);
	free(p);
	folder_blobs_free(b, 1);
	folder_free(f);
}

static void
sharded(void **state)
{
	struct folder *f, *g;
	struct folder_blob *b;
	size_t n, got = 0;
	char name[32];

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (unsigned i = 0; i < 3000; i++) {
		struct folder_entry e;

		snprintf(name, sizeof(name), "small-%05u", i);
		e = packed_ent(name, (uint8_t)(i % 200 + 1));
		e.pack_off = (uint64_t)i * 5000;
		assert_int_equal(folder_add(f, &e, NULL), 0);
	}
	assert_true(folder_is_sharded(f));
	assert_int_equal(folder_seal_dirty(f, &b, &n, NULL), 0);
	/* the index is the last blob; open it, then every shard */
	assert_int_equal(folder_open(fid, fkey, b[n - 1].blob, b[n - 1].len, &g, NULL), 0);
	for (size_t i = 0; i < folder_nshards(g); i++) {
		uint8_t id[32];

		assert_int_equal(folder_shard_info(g, i, id, NULL, NULL), 0);
		for (size_t j = 0; j < n; j++)
			if (memcmp(b[j].id, id, 32) == 0)
				assert_int_equal(folder_shard_load(g, i, b[j].blob, b[j].len,
				    NULL), 0);
	}
	for (unsigned i = 0; i < 3000; i += 7) {
		const struct folder_entry *e;

		snprintf(name, sizeof(name), "small-%05u", i);
		e = ent(g, name);
		assert_int_equal(e->type, FOLDER_T_PACKED);
		assert_int_equal(e->pack_off, (uint64_t)i * 5000);
		assert_int_equal(e->pack_key[0], (i % 200 + 1) ^ 0xa5);
		got++;
	}
	assert_int_equal(folder_count(g), 3000);
	assert_true(got > 400);
	folder_blobs_free(b, n);
	folder_free(g);
	folder_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip),
		cmocka_unit_test(bounds),
		cmocka_unit_test(versions),
		cmocka_unit_test(tamper),
		cmocka_unit_test(sharded),
	};

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(fid, 32);
	randombytes_buf(fkey, 32);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
