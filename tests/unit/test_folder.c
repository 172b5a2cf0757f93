/* test_folder: one folder's encrypted records (client/folder.h). Every
 * entry type survives seal and open; bad names are refused; a record that
 * was altered, moved under another folder or shard, given another version
 * or cut short is refused; names' lengths and counts hide in one size
 * bucket; the decoder survives random bytes and random plaintexts sealed
 * under the right key (what a buggy client, not the coordinator, could
 * produce). Sharding: test_folder_split.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/folder.h"
#include "core/cursor.h"

#include "folderfix.h"

static void
roundtrip(void **state)
{
	struct folder *f, *g;
	struct folder_blob *b;
	struct folder_entry e[3];
	const struct folder_entry *got, **v;
	size_t n, cur = 0;
	uint8_t rid[32], rkey[32], sub[32];

	(void)state;
	memset(sub, 7, 32);
	assert_int_equal(folder_root_keys(sub, rid, rkey), 0);
	assert_int_equal(folder_root_keys(sub, fid, fkey), 0);
	assert_memory_equal(rid, fid, 32); /* every computer finds the root */
	assert_memory_not_equal(rid, rkey, 32);

	assert_int_equal(folder_new(fid, fkey, &f), 0);
	e[0] = file_ent("photo.jpg", 1);
	e[1] = file_ent("sub", 2);
	e[1].type = FOLDER_T_DIR;
	e[1].mode = 0755;
	e[1].size = 0;
	e[2] = file_ent("link", 3);
	e[2].type = FOLDER_T_LINK;
	e[2].mode = 0777;
	e[2].target = "../../etc/\xc3\xa9 whatever";
	for (int i = 0; i < 3; i++)
		assert_int_equal(folder_add(f, &e[i], NULL), 0);
	assert_int_equal(folder_add(f, &e[0], NULL), DZ_EEXIST);
	b = seal1(f);
	assert_int_equal(b->version, 1);
	assert_memory_equal(b->id, fid, 32);
	assert_int_equal(folder_version(f), 1);

	assert_int_equal(folder_open(fid, fkey, b->blob, b->len, &g, NULL), 0);
	assert_int_equal(folder_version(g), 1);
	assert_int_equal(folder_count(g), 3);
	assert_int_equal(folder_is_sharded(g), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(folder_find(g, e[i].name, &got), 0);
		assert_string_equal(got->name, e[i].name);
		assert_int_equal(got->type, e[i].type);
		assert_int_equal(got->mode, e[i].mode);
		assert_int_equal(got->mtime_sec, e[i].mtime_sec);
		assert_int_equal(got->mtime_nsec, e[i].mtime_nsec);
		assert_int_equal(got->size, e[i].size);
		if (e[i].type == FOLDER_T_LINK) {
			assert_string_equal(got->target, e[i].target);
		} else {
			assert_null(got->target);
			assert_memory_equal(got->id, e[i].id, 32);
			assert_memory_equal(got->key, e[i].key, 32);
		}
	}
	/* iteration in name order, sorted list alike */
	assert_int_equal(folder_iter(g, &cur, &got), 1);
	assert_string_equal(got->name, "link");
	assert_int_equal(folder_iter(g, &cur, &got), 1);
	assert_string_equal(got->name, "photo.jpg");
	assert_int_equal(folder_iter(g, &cur, &got), 1);
	assert_int_equal(folder_iter(g, &cur, &got), 0);
	assert_int_equal(folder_sorted(g, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[2]->name, "sub");
	free(v);

	/* replace, remove; the version grows by one per write */
	e[0].size = 42;
	assert_int_equal(folder_replace(g, &e[0], NULL), 0);
	assert_int_equal(folder_remove(g, "link"), 0);
	assert_int_equal(folder_remove(g, "link"), DZ_ENOENT);
	assert_int_equal(folder_find(g, "link", &got), DZ_ENOENT);
	folder_blobs_free(b, 1);
	b = seal1(g);
	assert_int_equal(b->version, 2);
	folder_free(g);
	assert_int_equal(folder_open(fid, fkey, b->blob, b->len, &g, NULL), 0);
	assert_int_equal(folder_count(g), 2);
	assert_int_equal(folder_find(g, "photo.jpg", &got), 0);
	assert_int_equal(got->size, 42);
	folder_free(g);
	folder_blobs_free(b, 1);
	folder_free(f);
}

static void
names(void **state)
{
	struct folder *f;
	struct folder_entry e = file_ent("x", 1);
	char big[300];
	static const char *const bad[] = {
		"", ".", "..", "a/b", "/", "\xff", "\xc0\xaf", "\xed\xa0\x80", "a\nb",
	};
	static const char *const good[] = {
		"a", "...", ".hidden", "d\xc3\xa9j\xc3\xa0 vu", "with space", "x.tar.gz",
	};

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.name = bad[i];
		assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		e.name = good[i];
		assert_int_equal(folder_add(f, &e, NULL), 0);
	}
	memset(big, 'n', sizeof(big));
	big[255] = '\0';
	e.name = big;
	assert_int_equal(folder_add(f, &e, NULL), 0);
	big[255] = 'n';
	big[256] = '\0';
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	/* modes, nanoseconds, links */
	e = file_ent("m", 2);
	e.mode = 0100644;
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	e.mode = 0644;
	e.mtime_nsec = 1000000000u;
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	e.mtime_nsec = 0;
	e.type = FOLDER_T_LINK;
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL); /* no target */
	e.target = "";
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL);
	e.type = FOLDER_T_PACKED;
	e.target = NULL;
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL); /* no place in a pack */
	e.type = FOLDER_T_PACKED + 1;
	assert_int_equal(folder_add(f, &e, NULL), DZ_EINVAL); /* unknown */
	assert_int_equal(folder_count(f), 7);
	folder_free(f);
}

static void
tamper(void **state)
{
	struct folder *f, *g;
	struct folder_blob *b;
	struct folder_entry e = file_ent("secret-name", 9);
	uint8_t other[32], *copy;

	(void)state;
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	assert_int_equal(folder_add(f, &e, NULL), 0);
	b = seal1(f);
	copy = malloc(b->len);
	/* every byte flipped in turn (the head, the nonce, the ciphertext,
	 * the tag): never opens */
	for (size_t i = 0; i < b->len; i += (i < 64 ? 1 : 97)) {
		int rc;

		memcpy(copy, b->blob, b->len);
		copy[i] ^= 0x01;
		rc = folder_open(fid, fkey, copy, b->len, &g, NULL);
		assert_true(rc == DZ_EAUTH || rc == DZ_EFORMAT || rc == DZ_EVERSION);
		assert_null(g);
	}
	/* the version in the AD changed: the coordinator cannot relabel */
	memcpy(copy, b->blob, b->len);
	le64_put(copy + 8, 7);
	assert_int_equal(folder_open(fid, fkey, copy, b->len, &g, NULL), DZ_EAUTH);
	/* moved under another folder's id */
	memcpy(other, fid, 32);
	other[0] ^= 1;
	assert_int_equal(folder_open(other, fkey, b->blob, b->len, &g, NULL), DZ_EAUTH);
	/* presented as shard 0 of an index, or a shard as a folder */
	memcpy(copy, b->blob, b->len);
	copy[4] = 3;
	assert_int_equal(folder_open(fid, fkey, copy, b->len, &g, NULL), DZ_EAUTH);
	/* truncated, anywhere */
	for (size_t len = 0; len < b->len; len += (len < 100 ? 1 : 501))
		assert_true(folder_open(fid, fkey, b->blob, len, &g, NULL) < 0);
	/* wrong key */
	other[0] = fkey[0] ^ 1;
	memcpy(other + 1, fkey + 1, 31);
	assert_int_equal(folder_open(fid, other, b->blob, b->len, &g, NULL), DZ_EAUTH);
	/* the name is not in the blob */
	assert_null(memmem(b->blob, b->len, "secret-name", 11));
	free(copy);
	folder_blobs_free(b, 1);
	folder_free(f);
}

/* The sealed size of a folder of n entries named with len bytes. */
static size_t
sealed_size(size_t n, size_t len)
{
	struct folder *f;
	struct folder_blob *b;
	struct folder_entry e;
	char name[256];
	size_t out;

	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (size_t i = 0; i < n; i++) {
		memset(name, 'a' + (int)(i % 26), len);
		name[len] = '\0';
		name[0] = (char)('A' + (int)i); /* distinct */
		e = file_ent(name, (uint8_t)i);
		assert_int_equal(folder_add(f, &e, NULL), 0);
	}
	b = seal1(f);
	out = b->len;
	folder_blobs_free(b, 1);
	folder_free(f);
	return out;
}

static void
buckets(void **state)
{
	size_t a = sealed_size(1, 1), b = sealed_size(1, 200), c = sealed_size(20, 1),
	    d = sealed_size(20, 200), z = sealed_size(0, 1);

	(void)state;
	printf("# sealed sizes: empty %zu, 1x1 %zu, 1x200 %zu, 20x1 %zu, 20x200 %zu bytes\n",
	    z, a, b, c, d);
	assert_int_equal(a, b);
	assert_int_equal(a, c);
	assert_int_equal(a, d);
	assert_int_equal(a, z);
}


/* Re-seal blob (of folder fid) after fn changes its plaintext. */
static size_t
reseal(const uint8_t *blob, size_t len, uint8_t *out, void (*fn)(uint8_t *, size_t))
{
	uint8_t k[32], ad[52], *plain = malloc(len);
	unsigned long long ml, cl;

	assert_int_equal(crypto_kdf_derive_from_key(k, 32, 1, "dzfoldr1", fkey), 0);
	memcpy(ad, blob, 20);
	memcpy(ad + 20, fid, 32);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &ml, NULL,
	    blob + 44, len - 44, ad, 52, blob + 20, k), 0);
	fn(plain, (size_t)ml);
	memcpy(out, blob, 44);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 44, &cl, plain, ml, ad, 52, NULL,
	    blob + 20, k);
	free(plain);
	return 44 + (size_t)cl;
}

static void
mutate(uint8_t *p, size_t len)
{
	uint32_t flips = 1 + randombytes_uniform(4);

	for (uint32_t i = 0; i < flips; i++) {
		/* mostly where the counts and entries are */
		size_t at = randombytes_uniform(8) ? 52 + randombytes_uniform(600) :
		    randombytes_uniform((uint32_t)len);

		p[at % len] = (uint8_t)randombytes_uniform(256);
	}
}

static void
type5(uint8_t *p, size_t len)
{
	(void)len;
	p[52 + 1 + 4] = FOLDER_T_PACKED + 1; /* flags, count, then the first type */
}

static void
fuzzish(void **state)
{
	struct folder *f, *g;
	struct folder_blob *b;
	struct folder_entry e;
	uint8_t *buf = malloc(FOLDER_REC_MAX), *out = malloc(FOLDER_REC_MAX);
	size_t ok = 0, refused = 0;
	char name[32];

	(void)state;
	/* random bytes: never authenticate */
	for (int i = 0; i < 2000; i++) {
		size_t len = randombytes_uniform(20000);

		randombytes_buf(buf, len);
		if (len > 0 && i % 2)
			buf[0] = 1;
		if (len > 4 && i % 4 == 1)
			memcpy(buf + 1, "DZD", 3);
		assert_true(folder_open(fid, fkey, buf, len, &g, NULL) < 0);
	}
	/* plaintexts broken at random, sealed under the right key */
	assert_int_equal(folder_new(fid, fkey, &f), 0);
	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		e = file_ent(name, (uint8_t)i);
		e.type = (uint8_t)(1 + i % 3);
		e.target = e.type == FOLDER_T_LINK ? "t/a/r/g/e/t" : NULL;
		assert_int_equal(folder_add(f, &e, NULL), 0);
	}
	b = seal1(f);
	for (int i = 0; i < 10000; i++) {
		size_t len = reseal(b->blob, b->len, out, mutate);
		int rc = folder_open(fid, fkey, out, len, &g, NULL);

		if (rc == 0) {
			ok++;
			folder_free(g);
		} else {
			assert_true(rc == DZ_EFORMAT || rc == DZ_ETRUNC || rc == DZ_EVERSION ||
			    rc == DZ_ERANGE);
			refused++;
		}
	}
	printf("# fuzz: %zu mutated plaintexts opened, %zu refused\n", ok, refused);
	assert_int_equal(folder_open(fid, fkey, out, reseal(b->blob, b->len, out, type5),
	    &g, NULL), DZ_EVERSION);
	folder_blobs_free(b, 1);
	free(buf);
	free(out);
	folder_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip),
		cmocka_unit_test(names),
		cmocka_unit_test(tamper),
		cmocka_unit_test(buckets),
		cmocka_unit_test(fuzzish),
	};

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(fid, 32);
	randombytes_buf(fkey, 32);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
