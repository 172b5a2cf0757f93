/* folderfix: what the folder tests share: a folder id and key, entries,
 * a clock, sealing and opening record plaintexts by hand. */
#ifndef DZ_FOLDERFIX_H
#define DZ_FOLDERFIX_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/folder.h"

static uint8_t fid[32], fkey[32];

static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline struct folder_entry
file_ent(const char *name, uint8_t tag)
{
	struct folder_entry e;

	memset(&e, 0, sizeof(e));
	e.name = name;
	e.type = FOLDER_T_FILE;
	e.mode = 0640;
	e.mtime_sec = 1700000000 + tag;
	e.mtime_nsec = 123456789;
	e.size = 1000u * tag;
	memset(e.id, tag, 32);
	memset(e.key, tag ^ 0x5a, 32);
	return e;
}

/* Seal f's dirty records; exactly one expected: its blob. */
static inline struct folder_blob *
seal1(struct folder *f)
{
	struct folder_blob *b;
	size_t n;

	assert_int_equal(folder_seal_dirty(f, &b, &n, NULL), 0);
	assert_int_equal(n, 1);
	return b;
}

#define ENT0 57 /* head, folder id, flags, count: the first entry */

/* The plaintext of folder fid's record blob (malloc'd) in *plen. */
static inline uint8_t *
plain_of(const uint8_t *blob, size_t len, size_t *plen)
{
	uint8_t k[32], ad[52], *p = malloc(len);
	unsigned long long ml;

	assert_int_equal(crypto_kdf_derive_from_key(k, 32, 1, "dzfoldr1", fkey), 0);
	memcpy(ad, blob, 20);
	memcpy(ad + 20, fid, 32);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(p, &ml, NULL, blob + 44,
	    len - 44, ad, 52, blob + 20, k), 0);
	*plen = (size_t)ml;
	return p;
}

/* Seal plaintext p (its head becomes the blob's) as folder fid's record
 * into out (room for plen + 60); returns the blob's length. */
static inline size_t
seal_plain(const uint8_t *p, size_t plen, uint8_t *out)
{
	uint8_t k[32], ad[52];
	unsigned long long cl;

	assert_int_equal(crypto_kdf_derive_from_key(k, 32, 1, "dzfoldr1", fkey), 0);
	memcpy(ad, p, 20);
	memcpy(ad + 20, fid, 32);
	memcpy(out, p, 20);
	randombytes_buf(out + 20, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 44, &cl, p, plen, ad, 52, NULL,
	    out + 20, k);
	return 44 + (size_t)cl;
}

/* Seal f (one record) and open it again. */
static inline struct folder *
cycle(struct folder *f)
{
	struct folder_blob *b = seal1(f);
	struct folder *g;

	assert_int_equal(folder_open(fid, fkey, b->blob, b->len, &g, NULL), 0);
	folder_blobs_free(b, 1);
	return g;
}

/* f's entry name (loaded). */
static inline const struct folder_entry *
ent(const struct folder *f, const char *name)
{
	const struct folder_entry *got;

	assert_int_equal(folder_find(f, name, &got), 0);
	return got;
}

#endif
