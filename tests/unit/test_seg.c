/* test_seg: a sealed segment opens only as the same segment (index, last
 * flag) of the same object under the same stream key, so reordering,
 * truncating, splicing and replaying segments are all DZ_EAUTH; each index
 * has its own key; the construction is exactly the one seg.h documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/cursor.h"
#include "core/seg.h"

static int
setup(void **state)
{
	struct aead *a;

	if (aead_new(&a) != 0)
		return -1;
	*state = a;
	return 0;
}

static int
teardown(void **state)
{
	aead_free(*state);
	return 0;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void
round_trip_sizes(void **state)
{
	/* Proves: segments of 0, 1, 100 and 1 MiB + 1 bytes, last or not,
	 * at small and huge indexes, open back to their plaintext, also in
	 * place. */
	struct aead *a = *state;
	static const size_t lens[] = {0, 1, 100, (1u << 20) + 1};
	static const uint64_t idx[] = {0, 1, 7, UINT64_MAX};
	const size_t max = (1u << 20) + 1;
	uint8_t sk[SEG_KEYBYTES], id[SEG_IDBYTES];
	uint8_t *pt, *ct, *back;

	randombytes_buf(sk, sizeof(sk));
	randombytes_buf(id, sizeof(id));
	pt = malloc(max);
	ct = malloc(max + SEG_TAGBYTES);
	back = malloc(max);
	assert_non_null(pt);
	assert_non_null(ct);
	assert_non_null(back);
	randombytes_buf(pt, max);
	for (size_t i = 0; i < 4; i++) {
		size_t len = lens[i];
		int last = (int)(i % 2);

		assert_int_equal(seg_seal(a, sk, id, idx[i], last, pt, len, ct),
		    0);
		assert_int_equal(seg_open(a, sk, id, idx[i], last, ct,
		    len + SEG_TAGBYTES, back), 0);
		assert_memory_equal(back, pt, len);
		/* In place. */
		assert_int_equal(seg_open(a, sk, id, idx[i], last, ct,
		    len + SEG_TAGBYTES, ct), 0);
		assert_memory_equal(ct, pt, len);
		assert_int_equal(seg_seal(a, sk, id, idx[i], last, ct, len, ct),
		    0);
		assert_int_equal(seg_open(a, sk, id, idx[i], last, ct,
		    len + SEG_TAGBYTES, back), 0);
		assert_memory_equal(back, pt, len);
	}
	assert_int_equal(seg_open(a, sk, id, 0, 0, ct, SEG_TAGBYTES - 1, back),
	    DZ_ETRUNC);
	free(back);
	free(ct);
	free(pt);
}

static void
wrong_context_is_auth_error(void **state)
{
	/* Proves: opening with another index, last flag, object id or stream
	 * key is DZ_EAUTH with the output zeroed; any nonzero `last` means
	 * the same as 1. */
	struct aead *a = *state;
	uint8_t sk[SEG_KEYBYTES], sk2[SEG_KEYBYTES], id[SEG_IDBYTES];
	uint8_t id2[SEG_IDBYTES], pt[64], ct[64 + SEG_TAGBYTES], out[64];

	randombytes_buf(sk, sizeof(sk));
	randombytes_buf(id, sizeof(id));
	randombytes_buf(pt, sizeof(pt));
	memcpy(sk2, sk, sizeof(sk));
	sk2[0] ^= 1;
	memcpy(id2, id, sizeof(id));
	id2[31] ^= 1;
	assert_int_equal(seg_seal(a, sk, id, 5, 1, pt, sizeof(pt), ct), 0);

	memset(out, 0xaa, sizeof(out));
	assert_int_equal(seg_open(a, sk, id, 4, 1, ct, sizeof(ct), out),
	    DZ_EAUTH);
	assert_true(all_zero(out, sizeof(out)));
	assert_int_equal(seg_open(a, sk, id, 6, 1, ct, sizeof(ct), out),
	    DZ_EAUTH);
	assert_int_equal(seg_open(a, sk, id, 5 + (1ULL << 32), 1, ct,
	    sizeof(ct), out), DZ_EAUTH);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(seg_open(a, sk, id, 5, 0, ct, sizeof(ct), out),
	    DZ_EAUTH);
	assert_true(all_zero(out, sizeof(out)));
	assert_int_equal(seg_open(a, sk, id2, 5, 1, ct, sizeof(ct), out),
	    DZ_EAUTH);
	assert_int_equal(seg_open(a, sk2, id, 5, 1, ct, sizeof(ct), out),
	    DZ_EAUTH);

	assert_int_equal(seg_open(a, sk, id, 5, 2, ct, sizeof(ct), out), 0);
	assert_memory_equal(out, pt, sizeof(pt));
}

static void
reorder_truncate_replay_fail(void **state)
{
	/* Proves: an attacker holding every sealed segment cannot swap two
	 * of them, drop the tail and pass the one before as last, or move
	 * segment 0 of object X to object Y. */
	struct aead *a = *state;
	uint8_t sk[SEG_KEYBYTES], x[SEG_IDBYTES], y[SEG_IDBYTES];
	uint8_t pt[3][50], ct[3][50 + SEG_TAGBYTES], cy[50 + SEG_TAGBYTES];
	uint8_t out[50];

	randombytes_buf(sk, sizeof(sk));
	randombytes_buf(x, sizeof(x));
	randombytes_buf(y, sizeof(y));
	randombytes_buf(pt, sizeof(pt));
	for (int i = 0; i < 3; i++)
		assert_int_equal(seg_seal(a, sk, x, (uint64_t)i, i == 2, pt[i],
		    50, ct[i]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(seg_open(a, sk, x, (uint64_t)i, i == 2, ct[i],
		    sizeof(ct[i]), out), 0);

	/* Reorder: segments 0 and 1 swapped. */
	assert_int_equal(seg_open(a, sk, x, 0, 0, ct[1], sizeof(ct[1]), out),
	    DZ_EAUTH);
	assert_int_equal(seg_open(a, sk, x, 1, 0, ct[0], sizeof(ct[0]), out),
	    DZ_EAUTH);
	/* Truncation: segment 2 dropped, segment 1 presented as last. */
	assert_int_equal(seg_open(a, sk, x, 1, 1, ct[1], sizeof(ct[1]), out),
	    DZ_EAUTH);
	/* Replay: X's segment 0 as Y's segment 0 (same stream key even). */
	assert_int_equal(seg_seal(a, sk, y, 0, 0, pt[0], 50, cy), 0);
	assert_memory_not_equal(cy, ct[0], sizeof(cy));
	assert_int_equal(seg_open(a, sk, y, 0, 0, ct[0], sizeof(ct[0]), out),
	    DZ_EAUTH);
	assert_int_equal(seg_open(a, sk, x, 0, 0, cy, sizeof(cy), out),
	    DZ_EAUTH);
}

static void
per_segment_keys_differ(void **state)
{
	/* Proves: the same plaintext at index 0 and 1 (same flag) seals to
	 * different ciphertexts, and the construction is exactly seg.h's:
	 * key = crypto_kdf(stream_key, index, "dzseg_v1"), nonce = index LE
	 * || last || 000, ad = "drizzle seg v1" || id || index LE || last. */
	struct aead *a = *state;
	uint8_t sk[SEG_KEYBYTES], id[SEG_IDBYTES], pt[40];
	uint8_t c0[40 + SEG_TAGBYTES], c1[40 + SEG_TAGBYTES];
	uint8_t ref[40 + SEG_TAGBYTES], key[32], nonce[12], ad[14 + 32 + 9];
	unsigned long long n;
	const uint64_t index = 0x0102030405060708ULL;

	randombytes_buf(sk, sizeof(sk));
	randombytes_buf(id, sizeof(id));
	memset(pt, 0, sizeof(pt));
	assert_int_equal(seg_seal(a, sk, id, 0, 0, pt, sizeof(pt), c0), 0);
	assert_int_equal(seg_seal(a, sk, id, 1, 0, pt, sizeof(pt), c1), 0);
	assert_memory_not_equal(c0, c1, sizeof(pt));

	assert_int_equal(seg_seal(a, sk, id, index, 1, pt, sizeof(pt), c0), 0);
	assert_int_equal(crypto_kdf_derive_from_key(key, sizeof(key), index,
	    "dzseg_v1", sk), 0);
	memset(nonce, 0, sizeof(nonce));
	le64_put(nonce, index);
	nonce[8] = 1;
	memcpy(ad, "drizzle seg v1", 14);
	memcpy(ad + 14, id, 32);
	le64_put(ad + 46, index);
	ad[54] = 1;
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_encrypt(ref, &n, pt,
	    sizeof(pt), ad, sizeof(ad), NULL, nonce, key), 0);
	assert_memory_equal(c0, ref, sizeof(ref));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip_sizes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(wrong_context_is_auth_error,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(reorder_truncate_replay_fail,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(per_segment_keys_differ, setup,
		    teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
