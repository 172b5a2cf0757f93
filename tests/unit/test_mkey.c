/* test_mkey: a wrapped master key opens only under the same KEK and
 * associated data and unaltered; sub-keys are distinct, deterministic and
 * exactly crypto_kdf with context "dzmaster"; the identity key pairs work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/mkey.h"

static const uint8_t ad1[] = "header bytes||alice";

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void
wrap_unwrap_round_trip(void **state)
{
	/* Proves: unwrap gives back the wrapped key, with or without ad, and
	 * two wraps of one key differ (fresh nonce each time). */
	(void)state;
	uint8_t kek[32], mk[MKEY_BYTES], mk2[MKEY_BYTES];
	uint8_t w1[MKEY_WRAPPEDBYTES], w2[MKEY_WRAPPEDBYTES];

	randombytes_buf(kek, sizeof(kek));
	mkey_generate(mk);
	assert_false(all_zero(mk, sizeof(mk)));
	assert_int_equal(mkey_wrap(kek, mk, ad1, sizeof(ad1), w1), 0);
	assert_int_equal(mkey_unwrap(kek, w1, ad1, sizeof(ad1), mk2), 0);
	assert_memory_equal(mk, mk2, MKEY_BYTES);

	assert_int_equal(mkey_wrap(kek, mk, ad1, sizeof(ad1), w2), 0);
	assert_memory_not_equal(w1, w2, MKEY_WRAPPEDBYTES);
	assert_memory_not_equal(w1, w2, MKEY_NONCEBYTES);

	assert_int_equal(mkey_wrap(kek, mk, NULL, 0, w2), 0);
	memset(mk2, 0, sizeof(mk2));
	assert_int_equal(mkey_unwrap(kek, w2, NULL, 0, mk2), 0);
	assert_memory_equal(mk, mk2, MKEY_BYTES);
	/* The key itself is not in the clear in the wrapped blob. */
	assert_memory_not_equal(w1 + MKEY_NONCEBYTES, mk, MKEY_BYTES);
}

static void
wrong_kek_is_password_error_and_zeroes(void **state)
{
	/* Proves: a wrong KEK is DZ_EPASSWORD and leaves mk zeroed. */
	(void)state;
	uint8_t kek[32], kek2[32], mk[MKEY_BYTES], out[MKEY_BYTES];
	uint8_t w[MKEY_WRAPPEDBYTES];

	randombytes_buf(kek, sizeof(kek));
	memcpy(kek2, kek, sizeof(kek));
	kek2[31] ^= 0x80;
	mkey_generate(mk);
	assert_int_equal(mkey_wrap(kek, mk, ad1, sizeof(ad1), w), 0);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(mkey_unwrap(kek2, w, ad1, sizeof(ad1), out),
	    DZ_EPASSWORD);
	assert_true(all_zero(out, sizeof(out)));
}

static void
every_bit_of_wrapped_is_checked(void **state)
{
	/* Proves: flipping any single bit of nonce, ciphertext or tag makes
	 * unwrap fail with DZ_EPASSWORD and a zeroed mk. */
	(void)state;
	uint8_t kek[32], mk[MKEY_BYTES], out[MKEY_BYTES];
	uint8_t w[MKEY_WRAPPEDBYTES];

	randombytes_buf(kek, sizeof(kek));
	mkey_generate(mk);
	assert_int_equal(mkey_wrap(kek, mk, ad1, sizeof(ad1), w), 0);
	for (size_t i = 0; i < sizeof(w); i++) {
		for (int b = 0; b < 8; b++) {
			w[i] ^= (uint8_t)(1u << b);
			memset(out, 0xaa, sizeof(out));
			assert_int_equal(mkey_unwrap(kek, w, ad1, sizeof(ad1),
			    out), DZ_EPASSWORD);
			assert_true(all_zero(out, sizeof(out)));
			w[i] ^= (uint8_t)(1u << b);
		}
	}
	assert_int_equal(mkey_unwrap(kek, w, ad1, sizeof(ad1), out), 0);
	assert_memory_equal(out, mk, MKEY_BYTES);
}

static void
different_ad_is_password_error(void **state)
{
	/* Proves: the associated data is bound: a changed byte, a shorter or
	 * longer ad, or none at all all fail. */
	(void)state;
	uint8_t kek[32], mk[MKEY_BYTES], out[MKEY_BYTES];
	uint8_t w[MKEY_WRAPPEDBYTES], ad[sizeof(ad1) + 1];

	randombytes_buf(kek, sizeof(kek));
	mkey_generate(mk);
	assert_int_equal(mkey_wrap(kek, mk, ad1, sizeof(ad1), w), 0);

	memcpy(ad, ad1, sizeof(ad1));
	ad[0] ^= 1;
	assert_int_equal(mkey_unwrap(kek, w, ad, sizeof(ad1), out),
	    DZ_EPASSWORD);
	memcpy(ad, ad1, sizeof(ad1));
	assert_int_equal(mkey_unwrap(kek, w, ad, sizeof(ad1) - 1, out),
	    DZ_EPASSWORD);
	ad[sizeof(ad1)] = 0;
	assert_int_equal(mkey_unwrap(kek, w, ad, sizeof(ad), out),
	    DZ_EPASSWORD);
	assert_int_equal(mkey_unwrap(kek, w, NULL, 0, out), DZ_EPASSWORD);
	assert_int_equal(mkey_unwrap(kek, w, ad, sizeof(ad1), out), 0);
}

static void
subkeys_distinct_and_deterministic(void **state)
{
	/* Proves: the four sub-keys differ from each other and from mk, are
	 * the same on every call, change with mk, and are exactly
	 * crypto_kdf_derive_from_key(32, id, "dzmaster", mk). */
	(void)state;
	static const enum mkey_sub ids[] = {MKEY_SUB_SIGN, MKEY_SUB_BOX,
	    MKEY_SUB_FOLDER, MKEY_SUB_CONVERGENCE};
	uint8_t mk[MKEY_BYTES], mk2[MKEY_BYTES], sub[4][32], again[32];
	uint8_t ref[32];

	mkey_generate(mk);
	mkey_generate(mk2);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(mkey_derive(mk, ids[i], sub[i]), 0);
		assert_memory_not_equal(sub[i], mk, 32);
		assert_int_equal(mkey_derive(mk, ids[i], again), 0);
		assert_memory_equal(sub[i], again, 32);
		assert_int_equal(mkey_derive(mk2, ids[i], again), 0);
		assert_memory_not_equal(sub[i], again, 32);
		assert_int_equal(crypto_kdf_derive_from_key(ref, 32,
		    (uint64_t)ids[i], "dzmaster", mk), 0);
		assert_memory_equal(sub[i], ref, 32);
		for (size_t j = 0; j < i; j++)
			assert_memory_not_equal(sub[i], sub[j], 32);
	}
}

static void
unknown_subkey_id_is_invalid(void **state)
{
	/* Proves: ids outside the enum are refused and the output zeroed. */
	(void)state;
	uint8_t mk[MKEY_BYTES], out[32];

	mkey_generate(mk);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(mkey_derive(mk, (enum mkey_sub)0, out), DZ_EINVAL);
	assert_true(all_zero(out, sizeof(out)));
	assert_int_equal(mkey_derive(mk, (enum mkey_sub)6, out), DZ_EINVAL);
	assert_int_equal(mkey_derive(mk, (enum mkey_sub)-1, out), DZ_EINVAL);
}

static void
sign_keypair_signs_and_verifies(void **state)
{
	/* Proves: the identity key pair is the Ed25519 pair seeded by sub-key
	 * MKEY_SUB_SIGN, is deterministic, and its signatures verify (and a
	 * changed message does not). */
	(void)state;
	uint8_t mk[MKEY_BYTES], pk[32], sk[64], pk2[32], sk2[64], seed[32];
	uint8_t sig[crypto_sign_BYTES];
	uint8_t msg[] = "challenge 42";

	mkey_generate(mk);
	assert_int_equal(mkey_sign_keypair(mk, pk, sk), 0);
	assert_int_equal(mkey_sign_keypair(mk, pk2, sk2), 0);
	assert_memory_equal(pk, pk2, 32);
	assert_memory_equal(sk, sk2, 64);

	assert_int_equal(mkey_derive(mk, MKEY_SUB_SIGN, seed), 0);
	assert_int_equal(crypto_sign_seed_keypair(pk2, sk2, seed), 0);
	assert_memory_equal(pk, pk2, 32);

	assert_int_equal(crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk),
	    0);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), pk),
	    0);
	msg[0] ^= 1;
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), pk),
	    -1);
}

static void
box_keypair_is_consistent(void **state)
{
	/* Proves: the X25519 pair's pk is scalarmult_base(sk), it is seeded
	 * by sub-key MKEY_SUB_BOX, and it differs from the signing key. */
	(void)state;
	uint8_t mk[MKEY_BYTES], pk[32], sk[32], base[32], seed[32];
	uint8_t pk2[32], sk2[32], spk[32], ssk[64];

	mkey_generate(mk);
	assert_int_equal(mkey_box_keypair(mk, pk, sk), 0);
	assert_int_equal(crypto_scalarmult_base(base, sk), 0);
	assert_memory_equal(pk, base, 32);

	assert_int_equal(mkey_derive(mk, MKEY_SUB_BOX, seed), 0);
	assert_int_equal(crypto_box_seed_keypair(pk2, sk2, seed), 0);
	assert_memory_equal(pk, pk2, 32);
	assert_memory_equal(sk, sk2, 32);

	assert_int_equal(mkey_sign_keypair(mk, spk, ssk), 0);
	assert_memory_not_equal(pk, spk, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrap_unwrap_round_trip),
		cmocka_unit_test(wrong_kek_is_password_error_and_zeroes),
		cmocka_unit_test(every_bit_of_wrapped_is_checked),
		cmocka_unit_test(different_ad_is_password_error),
		cmocka_unit_test(subkeys_distinct_and_deterministic),
		cmocka_unit_test(unknown_subkey_id_is_invalid),
		cmocka_unit_test(sign_keypair_signs_and_verifies),
		cmocka_unit_test(box_keypair_is_consistent),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
