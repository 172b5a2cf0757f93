/* test_catalog: the encrypted file tree: remote paths are normalised and
 * hostile ones refused; entries stay sorted through set, replace and
 * remove; a sealed catalog opens only under its key and its id, and a
 * plaintext that breaks the format (sealed with the right key, as a
 * coordinator cannot, but a bug might) is refused, not trusted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/catalog.h"
#include "core/cursor.h"

static void
paths(void **state)
{
	char out[CATALOG_PATHMAX + 1], big[CATALOG_PATHMAX + 8];
	static const char *const good[][2] = {
		{"a", "a"}, {"/a/b/", "a/b"}, {"//a///b", "a/b"}, {"", ""}, {"/", ""},
		{"d\xc3\xa9j\xc3\xa0 vu/x.txt", "d\xc3\xa9j\xc3\xa0 vu/x.txt"},
		{"a/.hidden", "a/.hidden"}, {"a/...", "a/..."},
	};
	static const char *const bad[] = {
		"a/../b", "..", "./a", "a/.", "a\nb", "a\x7f", "\xff", "\xc0\xaf",
		"\xed\xa0\x80", "a\x01",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(catalog_path(good[i][0], out, NULL), 0);
		assert_string_equal(out, good[i][1]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(catalog_path(bad[i], out, NULL), DZ_EINVAL);
	memset(big, 'x', CATALOG_PATHMAX);
	big[CATALOG_PATHMAX] = '\0';
	assert_int_equal(catalog_path(big, out, NULL), 0);
	big[CATALOG_PATHMAX] = 'x';
	big[CATALOG_PATHMAX + 1] = '\0';
	assert_int_equal(catalog_path(big, out, NULL), DZ_EINVAL);
}

static struct cat_entry
ent(const char *path, uint8_t tag)
{
	struct cat_entry e;

	memset(&e, 0, sizeof(e));
	e.path = (char *)path;
	memset(e.id, tag, 32);
	e.size = tag * 1000u;
	e.mtime = 1700000000 + tag;
	e.mode = 0640;
	return e;
}

static void
set_remove_order(void **state)
{
	struct catalog c = {0};
	struct cat_entry e;
	uint8_t old[32];
	int rep;
	static const char *const names[] = {"m", "b", "z", "a/x", "a", "q/r/s"};

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		e = ent(names[i], (uint8_t)(i + 1));
		assert_int_equal(catalog_set(&c, &e, &rep, old), 0);
		assert_int_equal(rep, 0);
	}
	assert_int_equal(c.n, 6);
	for (size_t i = 1; i < c.n; i++)
		assert_true(strcmp(c.e[i - 1].path, c.e[i].path) < 0);
	e = ent("b", 9);
	assert_int_equal(catalog_set(&c, &e, &rep, old), 0);
	assert_int_equal(rep, 1);
	assert_int_equal(old[0], 2);
	assert_int_equal(catalog_find(&c, "b")->id[0], 9);
	assert_int_equal(catalog_remove(&c, "m", old), 0);
	assert_int_equal(old[0], 1);
	assert_int_equal(catalog_remove(&c, "m", old), DZ_ENOENT);
	assert_null(catalog_find(&c, "m"));
	assert_int_equal(c.n, 5);
	catalog_free(&c);
}

static void
seal_open(void **state)
{
	struct catalog c = {0}, d = {0};
	uint8_t fk[32], key[32], id[32], key2[32], id2[32];
	uint8_t *blob;
	size_t len, len0;
	struct cat_entry e;

	(void)state;
	randombytes_buf(fk, sizeof(fk));
	assert_int_equal(catalog_keys(fk, id, key), 0);
	fk[0] ^= 1;
	assert_int_equal(catalog_keys(fk, id2, key2), 0);
	assert_memory_not_equal(id, id2, 32);
	assert_memory_not_equal(id, key, 32);

	/* empty */
	assert_int_equal(catalog_encode(&c, key, id, &blob, &len, NULL), 0);
	assert_int_equal(catalog_decode(blob, len, key, id, &d, NULL), 0);
	assert_int_equal(d.n, 0);
	len0 = len;
	free(blob);

	for (int i = 0; i < 50; i++) {
		char p[32];

		snprintf(p, sizeof(p), "dir%d/file%d", i % 5, i);
		e = ent(p, (uint8_t)i);
		assert_int_equal(catalog_set(&c, &e, NULL, id2), 0);
	}
	assert_int_equal(catalog_encode(&c, key, id, &blob, &len, NULL), 0);
	/* padding hides small differences in the names */
	assert_int_equal(len, len0);
	assert_null(memmem(blob, len, "file1", 5));
	assert_int_equal(catalog_decode(blob, len, key, id, &d, NULL), 0);
	assert_int_equal(d.n, 50);
	for (size_t i = 0; i < d.n; i++) {
		assert_string_equal(d.e[i].path, c.e[i].path);
		assert_memory_equal(d.e[i].id, c.e[i].id, 32);
		assert_int_equal(d.e[i].size, c.e[i].size);
		assert_int_equal(d.e[i].mtime, c.e[i].mtime);
		assert_int_equal(d.e[i].mode, c.e[i].mode);
	}
	/* wrong key, wrong id (a blob moved to another record), any bit */
	assert_int_equal(catalog_decode(blob, len, key2, id, &d, NULL), DZ_EAUTH);
	assert_int_equal(catalog_decode(blob, len, key, id2, &d, NULL), DZ_EAUTH);
	assert_int_equal(d.n, 0);
	for (size_t i = 1; i < len; i += 97) {
		blob[i] ^= 0x20;
		assert_int_equal(catalog_decode(blob, len, key, id, &d, NULL), DZ_EAUTH);
		blob[i] ^= 0x20;
	}
	blob[0] = 2;
	assert_int_equal(catalog_decode(blob, len, key, id, &d, NULL), DZ_EVERSION);
	blob[0] = 1;
	assert_int_equal(catalog_decode(blob, 10, key, id, &d, NULL), DZ_EFORMAT);
	free(blob);
	catalog_free(&c);
	catalog_free(&d);
}

/* Seal an arbitrary plaintext as catalog_encode would. */
static size_t
seal_raw(const uint8_t *plain, size_t plen, const uint8_t key[32],
    const uint8_t id[32], uint8_t *out)
{
	uint8_t ad[18 + 32];
	unsigned long long clen;

	memcpy(ad, "drizzle catalog v1", 18);
	memcpy(ad + 18, id, 32);
	out[0] = 1;
	randombytes_buf(out + 1, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 25, &clen, plain, plen, ad,
	    sizeof(ad), NULL, out + 1, key);
	return 25 + (size_t)clen;
}

/* One entry's bytes. */
static void
put_ent(struct wbuf *w, const char *path)
{
	uint8_t id[32] = {1};

	wbuf_u16(w, (uint16_t)strlen(path));
	wbuf_bytes(w, path, strlen(path));
	wbuf_bytes(w, id, 32);
	wbuf_u64(w, 1);
	wbuf_u64(w, 2);
	wbuf_u32(w, 0644);
}

static void
malformed_plaintexts(void **state)
{
	uint8_t key[32], id[32], plain[512], blob[1024];
	struct catalog d = {0};
	struct wbuf w;
	size_t len;
	static const char *const pairs[][2] = {
		{"b", "a"},      /* out of order */
		{"a", "a"},      /* duplicate */
		{"a", "/b"},     /* not canonical */
		{"a", "b/../c"}, /* hostile */
	};

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(id, sizeof(id));
	for (size_t i = 0; i < 4; i++) {
		memset(plain, 0, sizeof(plain));
		wbuf_init(&w, plain, sizeof(plain));
		wbuf_bytes(&w, "DZCATv1", 8);
		wbuf_u32(&w, 2);
		put_ent(&w, pairs[i][0]);
		put_ent(&w, pairs[i][1]);
		len = seal_raw(plain, w.len, key, id, blob);
		assert_int_equal(catalog_decode(blob, len, key, id, &d, NULL), DZ_EFORMAT);
		assert_int_equal(d.n, 0);
	}
	/* a count larger than the bytes, a huge count, bad magic, dirty padding */
	memset(plain, 0, sizeof(plain));
	wbuf_init(&w, plain, sizeof(plain));
	wbuf_bytes(&w, "DZCATv1", 8);
	wbuf_u32(&w, 3);
	put_ent(&w, "a");
	len = seal_raw(plain, w.len, key, id, blob);
	assert_int_not_equal(catalog_decode(blob, len, key, id, &d, NULL), 0);
	le32_put(plain + 8, 0xffffffffu);
	len = seal_raw(plain, w.len, key, id, blob);
	assert_int_equal(catalog_decode(blob, len, key, id, &d, NULL), DZ_ERANGE);
	le32_put(plain + 8, 1);
	plain[0] = 'X';
	len = seal_raw(plain, w.len, key, id, blob);
	assert_int_equal(catalog_decode(blob, len, key, id, &d, NULL), DZ_EFORMAT);
	plain[0] = 'D';
	len = seal_raw(plain, w.len + 16, key, id, blob);
	assert_int_equal(catalog_decode(blob, len, key, id, &d, NULL), 0);
	assert_int_equal(d.n, 1);
	plain[w.len + 3] = 7;
	len = seal_raw(plain, w.len + 16, key, id, blob);
	assert_int_equal(catalog_decode(blob, len, key, id, &d, NULL), DZ_EFORMAT);
	catalog_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paths),
		cmocka_unit_test(set_remove_order),
		cmocka_unit_test(seal_open),
		cmocka_unit_test(malformed_plaintexts),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
