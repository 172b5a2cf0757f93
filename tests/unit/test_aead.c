/* test_aead: our OpenSSL ChaCha20-Poly1305 is RFC 8439's (its test vector,
 * and byte-for-byte agreement with libsodium both ways at every length that
 * matters), works in place, survives reuse of its context across keys and
 * failures, and refuses any altered byte of ciphertext, tag, ad, nonce or
 * key with a zeroed output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/aead.h"

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

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

static void
rfc8439_vector(void **state)
{
	/* Proves: seal gives RFC 8439 section 2.8.2's ciphertext and tag, and
	 * open gives back the plaintext. */
	struct aead *a = *state;
	static const char pt[] = "Ladies and Gentlemen of the class of '99: "
	    "If I could offer you only one tip for the future, sunscreen "
	    "would be it.";
	static const uint8_t aad[] = {0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2,
	    0xc3, 0xc4, 0xc5, 0xc6, 0xc7};
	static const uint8_t nonce[12] = {0x07, 0x00, 0x00, 0x00, 0x40, 0x41,
	    0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
	static const uint8_t expect[114 + 16] = {
	    0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb, 0x7b, 0x86, 0xaf,
	    0xbc, 0x53, 0xef, 0x7e, 0xc2, 0xa4, 0xad, 0xed, 0x51, 0x29, 0x6e,
	    0x08, 0xfe, 0xa9, 0xe2, 0xb5, 0xa7, 0x36, 0xee, 0x62, 0xd6, 0x3d,
	    0xbe, 0xa4, 0x5e, 0x8c, 0xa9, 0x67, 0x12, 0x82, 0xfa, 0xfb, 0x69,
	    0xda, 0x92, 0x72, 0x8b, 0x1a, 0x71, 0xde, 0x0a, 0x9e, 0x06, 0x0b,
	    0x29, 0x05, 0xd6, 0xa5, 0xb6, 0x7e, 0xcd, 0x3b, 0x36, 0x92, 0xdd,
	    0xbd, 0x7f, 0x2d, 0x77, 0x8b, 0x8c, 0x98, 0x03, 0xae, 0xe3, 0x28,
	    0x09, 0x1b, 0x58, 0xfa, 0xb3, 0x24, 0xe4, 0xfa, 0xd6, 0x75, 0x94,
	    0x55, 0x85, 0x80, 0x8b, 0x48, 0x31, 0xd7, 0xbc, 0x3f, 0xf4, 0xde,
	    0xf0, 0x8e, 0x4b, 0x7a, 0x9d, 0xe5, 0x76, 0xd2, 0x65, 0x86, 0xce,
	    0xc6, 0x4b, 0x61, 0x16,
	    /* tag */
	    0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a, 0x7e, 0x90, 0x2e,
	    0xcb, 0xd0, 0x60, 0x06, 0x91};
	uint8_t key[32], out[114 + 16], back[114];

	assert_int_equal(sizeof(pt) - 1, 114);
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	assert_int_equal(aead_seal(a, key, nonce, aad, sizeof(aad),
	    (const uint8_t *)pt, 114, out), 0);
	assert_memory_equal(out, expect, sizeof(expect));
	assert_int_equal(aead_open(a, key, nonce, aad, sizeof(aad), expect,
	    sizeof(expect), back), 0);
	assert_memory_equal(back, pt, 114);
}

static void
agrees_with_libsodium(void **state)
{
	/* Proves: for lengths 0, 1, 63, 64, 65 and 4 MiB + 3 (with and
	 * without ad), aead_seal's output is what libsodium's IETF
	 * ChaCha20-Poly1305 makes, libsodium opens it, and aead_open opens
	 * what libsodium sealed. */
	struct aead *a = *state;
	static const size_t lens[] = {0, 1, 63, 64, 65, (4u << 20) + 3};
	const size_t max = (4u << 20) + 3;
	uint8_t key[32], nonce[12], ad[40];
	uint8_t *pt, *ct, *ref, *back;
	unsigned long long n;

	pt = malloc(max);
	ct = malloc(max + 16);
	ref = malloc(max + 16);
	back = malloc(max);
	assert_non_null(pt);
	assert_non_null(ct);
	assert_non_null(ref);
	assert_non_null(back);
	randombytes_buf(pt, max);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i], adlen = i % 2 ? sizeof(ad) : 0;

		randombytes_buf(key, sizeof(key));
		randombytes_buf(nonce, sizeof(nonce));
		randombytes_buf(ad, sizeof(ad));

		assert_int_equal(aead_seal(a, key, nonce, ad, adlen, pt, len,
		    ct), 0);
		assert_int_equal(crypto_aead_chacha20poly1305_ietf_encrypt(ref,
		    &n, pt, len, ad, adlen, NULL, nonce, key), 0);
		assert_true(n == len + 16);
		assert_memory_equal(ct, ref, len + 16);
		assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(back,
		    &n, NULL, ct, len + 16, ad, adlen, nonce, key), 0);
		assert_memory_equal(back, pt, len);

		/* And the other way round, with fresh parameters. */
		randombytes_buf(key, sizeof(key));
		randombytes_buf(nonce, sizeof(nonce));
		assert_int_equal(crypto_aead_chacha20poly1305_ietf_encrypt(ref,
		    &n, pt, len, ad, adlen, NULL, nonce, key), 0);
		assert_int_equal(aead_open(a, key, nonce, ad, adlen, ref,
		    len + 16, back), 0);
		assert_memory_equal(back, pt, len);
	}
	free(back);
	free(ref);
	free(ct);
	free(pt);
}

static void
in_place(void **state)
{
	/* Proves: in == out gives the same bytes as separate buffers, both
	 * sealing and opening. */
	struct aead *a = *state;
	uint8_t key[32], nonce[12], pt[1000], buf[1000 + 16], ref[1000 + 16];

	randombytes_buf(key, sizeof(key));
	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(pt, sizeof(pt));
	assert_int_equal(aead_seal(a, key, nonce, NULL, 0, pt, sizeof(pt), ref),
	    0);
	memcpy(buf, pt, sizeof(pt));
	assert_int_equal(aead_seal(a, key, nonce, NULL, 0, buf, sizeof(pt), buf),
	    0);
	assert_memory_equal(buf, ref, sizeof(ref));
	assert_int_equal(aead_open(a, key, nonce, NULL, 0, buf, sizeof(buf),
	    buf), 0);
	assert_memory_equal(buf, pt, sizeof(pt));
}

static void
any_flip_is_auth_error(void **state)
{
	/* Proves: flipping any bit of ciphertext or tag, any byte of ad,
	 * nonce or key, or dropping the last byte, is DZ_EAUTH with out
	 * zeroed; afterwards the same context still opens the original. */
	struct aead *a = *state;
	uint8_t key[32], nonce[12], ad[20], pt[80], ct[80 + 16], out[80];

	randombytes_buf(key, sizeof(key));
	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(ad, sizeof(ad));
	randombytes_buf(pt, sizeof(pt));
	assert_int_equal(aead_seal(a, key, nonce, ad, sizeof(ad), pt,
	    sizeof(pt), ct), 0);

	for (size_t i = 0; i < sizeof(ct); i++) {
		for (int b = 0; b < 8; b++) {
			ct[i] ^= (uint8_t)(1u << b);
			memset(out, 0xaa, sizeof(out));
			assert_int_equal(aead_open(a, key, nonce, ad,
			    sizeof(ad), ct, sizeof(ct), out), DZ_EAUTH);
			assert_true(all_zero(out, sizeof(out)));
			ct[i] ^= (uint8_t)(1u << b);
		}
	}
	for (size_t i = 0; i < sizeof(ad); i++) {
		ad[i] ^= 1;
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(aead_open(a, key, nonce, ad, sizeof(ad), ct,
		    sizeof(ct), out), DZ_EAUTH);
		assert_true(all_zero(out, sizeof(out)));
		ad[i] ^= 1;
	}
	assert_int_equal(aead_open(a, key, nonce, ad, sizeof(ad) - 1, ct,
	    sizeof(ct), out), DZ_EAUTH);
	assert_int_equal(aead_open(a, key, nonce, NULL, 0, ct, sizeof(ct), out),
	    DZ_EAUTH);
	for (size_t i = 0; i < sizeof(nonce); i++) {
		nonce[i] ^= 1;
		assert_int_equal(aead_open(a, key, nonce, ad, sizeof(ad), ct,
		    sizeof(ct), out), DZ_EAUTH);
		nonce[i] ^= 1;
	}
	for (size_t i = 0; i < sizeof(key); i++) {
		key[i] ^= 1;
		assert_int_equal(aead_open(a, key, nonce, ad, sizeof(ad), ct,
		    sizeof(ct), out), DZ_EAUTH);
		key[i] ^= 1;
	}
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(aead_open(a, key, nonce, ad, sizeof(ad), ct,
	    sizeof(ct) - 1, out), DZ_EAUTH);
	assert_true(all_zero(out, sizeof(out) - 1));

	assert_int_equal(aead_open(a, key, nonce, ad, sizeof(ad), ct,
	    sizeof(ct), out), 0);
	assert_memory_equal(out, pt, sizeof(pt));
}

static void
short_input_is_truncated(void **state)
{
	/* Proves: fewer bytes than a tag is DZ_ETRUNC, while exactly a tag
	 * (the empty message) opens. */
	struct aead *a = *state;
	uint8_t key[32] = {1}, nonce[12] = {2}, ct[16] = {0}, out[1];

	assert_int_equal(aead_open(a, key, nonce, NULL, 0, ct, 0, out),
	    DZ_ETRUNC);
	assert_int_equal(aead_open(a, key, nonce, NULL, 0, ct, 15, out),
	    DZ_ETRUNC);
	assert_int_equal(aead_seal(a, key, nonce, NULL, 0, NULL, 0, ct), 0);
	assert_int_equal(aead_open(a, key, nonce, NULL, 0, ct, 16, out), 0);
	ct[0] ^= 1;
	assert_int_equal(aead_open(a, key, nonce, NULL, 0, ct, 16, out),
	    DZ_EAUTH);
}

static void
contexts_are_independent_of_history(void **state)
{
	/* Proves: a reused context gives the same bytes as a fresh one after
	 * seals and opens under other keys and a failed open in between. */
	struct aead *a = *state, *b;
	uint8_t k1[32], k2[32], nonce[12], pt[200], c1[216], c2[216], junk[216];
	uint8_t out[200];

	randombytes_buf(k1, sizeof(k1));
	randombytes_buf(k2, sizeof(k2));
	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(pt, sizeof(pt));
	assert_int_equal(aead_new(&b), 0);
	assert_int_equal(aead_seal(b, k1, nonce, pt, 7, pt, sizeof(pt), c1), 0);
	aead_free(b);
	aead_free(NULL);

	assert_int_equal(aead_seal(a, k2, nonce, NULL, 0, pt, 100, junk), 0);
	memset(junk, 0, sizeof(junk));
	assert_int_equal(aead_open(a, k2, nonce, NULL, 0, junk, sizeof(junk),
	    out), DZ_EAUTH);
	assert_int_equal(aead_seal(a, k1, nonce, pt, 7, pt, sizeof(pt), c2), 0);
	assert_memory_equal(c1, c2, sizeof(c1));
	assert_int_equal(aead_open(a, k1, nonce, pt, 7, c2, sizeof(c2), out),
	    0);
	assert_memory_equal(out, pt, sizeof(pt));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rfc8439_vector, setup, teardown),
		cmocka_unit_test_setup_teardown(agrees_with_libsodium, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(any_flip_is_auth_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(short_input_is_truncated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    contexts_are_independent_of_history, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
