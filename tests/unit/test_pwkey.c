/* test_pwkey: a password and salt give the same KEK and login seed every
 * time, any change of password, salt or cost gives different ones, the two
 * halves are exactly libsodium's Argon2id output, and parameters outside the
 * bounds are refused before any work is done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/pwkey.h"

static const uint8_t salt1[PWKEY_SALTBYTES] = "0123456789abcdef";
static const uint8_t salt2[PWKEY_SALTBYTES] = "0123456789abcdeg";

/* Cheap costs: the tests prove behaviour, not strength. */
static const struct pwkey_params cheap = {PWKEY_ALG_ARGON2ID13, 1, 65536};

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void
derive_ok(const char *pw, const uint8_t *salt, const struct pwkey_params *p,
    uint8_t kek[PWKEY_KEYBYTES], uint8_t seed[PWKEY_KEYBYTES])
{
	assert_int_equal(pwkey_derive(pw, strlen(pw), salt, p, kek, seed), 0);
}

static void
same_inputs_same_keys(void **state)
{
	/* Proves: derivation is deterministic and the two halves differ. */
	(void)state;
	uint8_t k1[32], s1[32], k2[32], s2[32];

	derive_ok("correct horse", salt1, &cheap, k1, s1);
	derive_ok("correct horse", salt1, &cheap, k2, s2);
	assert_memory_equal(k1, k2, 32);
	assert_memory_equal(s1, s2, 32);
	assert_memory_not_equal(k1, s1, 32);
	assert_false(all_zero(k1, 32));
}

static void
halves_are_argon2id_output(void **state)
{
	/* Proves: kek || login_seed is exactly crypto_pwhash Argon2id13 over
	 * the password with these costs (the split is part of the format). */
	(void)state;
	uint8_t k[32], s[32], ref[64];
	const char *pw = "correct horse";

	derive_ok(pw, salt1, &cheap, k, s);
	assert_int_equal(crypto_pwhash(ref, sizeof(ref), pw, strlen(pw), salt1,
	    cheap.opslimit, (size_t)cheap.memlimit,
	    crypto_pwhash_ALG_ARGON2ID13), 0);
	assert_memory_equal(k, ref, 32);
	assert_memory_equal(s, ref + 32, 32);
}

static void
any_input_change_changes_keys(void **state)
{
	/* Proves: password, salt, passes and memory all enter the result. */
	(void)state;
	uint8_t k0[32], s0[32], k[32], s[32];
	struct pwkey_params p;

	derive_ok("correct horse", salt1, &cheap, k0, s0);

	derive_ok("correct horsf", salt1, &cheap, k, s);
	assert_memory_not_equal(k0, k, 32);
	assert_memory_not_equal(s0, s, 32);

	derive_ok("correct horse", salt2, &cheap, k, s);
	assert_memory_not_equal(k0, k, 32);
	assert_memory_not_equal(s0, s, 32);

	p = cheap;
	p.opslimit = 2;
	derive_ok("correct horse", salt1, &p, k, s);
	assert_memory_not_equal(k0, k, 32);
	assert_memory_not_equal(s0, s, 32);

	p = cheap;
	p.memlimit = 2 * cheap.memlimit;
	derive_ok("correct horse", salt1, &p, k, s);
	assert_memory_not_equal(k0, k, 32);
	assert_memory_not_equal(s0, s, 32);

	/* The empty password is a password too. */
	assert_int_equal(pwkey_derive("", 0, salt1, &cheap, k, s), 0);
	assert_memory_not_equal(k0, k, 32);
}

static void
params_check_bounds(void **state)
{
	/* Proves: each limit is enforced at exactly its documented edge, and
	 * an unknown algorithm is a version error. */
	(void)state;
	struct pwkey_params p;

	p = cheap;
	assert_int_equal(pwkey_params_check(&p), 0);
	p.opslimit = 0;
	assert_int_equal(pwkey_params_check(&p), DZ_ERANGE);
	p.opslimit = PWKEY_OPS_MAX;
	assert_int_equal(pwkey_params_check(&p), 0);
	p.opslimit = 65;
	assert_int_equal(pwkey_params_check(&p), DZ_ERANGE);
	p.opslimit = UINT64_MAX;
	assert_int_equal(pwkey_params_check(&p), DZ_ERANGE);

	p = cheap;
	p.memlimit = PWKEY_MEM_MIN;
	assert_int_equal(pwkey_params_check(&p), 0);
	p.memlimit = PWKEY_MEM_MIN - 1;
	assert_int_equal(pwkey_params_check(&p), DZ_ERANGE);
	p.memlimit = 0;
	assert_int_equal(pwkey_params_check(&p), DZ_ERANGE);
	p.memlimit = 4ULL << 30;
	assert_int_equal(pwkey_params_check(&p), 0);
	p.memlimit = (4ULL << 30) + 1;
	assert_int_equal(pwkey_params_check(&p), DZ_ERANGE);
	p.memlimit = UINT64_MAX;
	assert_int_equal(pwkey_params_check(&p), DZ_ERANGE);

	p = cheap;
	p.alg = 0;
	assert_int_equal(pwkey_params_check(&p), DZ_EVERSION);
	p.alg = 2;
	assert_int_equal(pwkey_params_check(&p), DZ_EVERSION);
}

static void
bad_params_refused_and_outputs_zeroed(void **state)
{
	/* Proves: pwkey_derive runs the same checks (so a hostile 1 TiB
	 * memlimit is never attempted) and zeroes both outputs on failure. */
	(void)state;
	uint8_t k[32], s[32];
	struct pwkey_params p = cheap;

	p.memlimit = 1ULL << 40;
	memset(k, 0xaa, sizeof(k));
	memset(s, 0xaa, sizeof(s));
	assert_int_equal(pwkey_derive("pw", 2, salt1, &p, k, s), DZ_ERANGE);
	assert_true(all_zero(k, 32));
	assert_true(all_zero(s, 32));

	p = cheap;
	p.alg = 7;
	memset(k, 0xaa, sizeof(k));
	memset(s, 0xaa, sizeof(s));
	assert_int_equal(pwkey_derive("pw", 2, salt1, &p, k, s), DZ_EVERSION);
	assert_true(all_zero(k, 32));
	assert_true(all_zero(s, 32));
}

static void
default_is_at_least_moderate(void **state)
{
	/* Proves: the default costs are libsodium's MODERATE or more, pass
	 * our own bounds, and really run (once: ~0.7 s and 256 MiB). */
	(void)state;
	struct pwkey_params p;
	uint8_t k[32], s[32], kc[32], sc[32];

	memset(&p, 0, sizeof(p));
	pwkey_params_default(&p);
	assert_int_equal(p.alg, PWKEY_ALG_ARGON2ID13);
	assert_true(p.opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MODERATE);
	assert_true(p.memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MODERATE);
	assert_int_equal(pwkey_params_check(&p), 0);

	derive_ok("correct horse", salt1, &p, k, s);
	derive_ok("correct horse", salt1, &cheap, kc, sc);
	assert_memory_not_equal(k, kc, 32);
	assert_memory_not_equal(s, sc, 32);
}

/* The client's judgement of a coordinator's parameters: below the floor
 * is weak, above 16 passes or 1 GiB excessive, both DZ_EWEAKKDF with the
 * words the command line shows; the floor rises to what is held. */
static void
judge_floor_and_ceiling(void **state)
{
	struct pwkey_params floor, p, held;
	struct dz_errmsg em = {{0}};

	(void)state;
	pwkey_params_default(&floor);
	p = floor;
	assert_int_equal(pwkey_params_judge(&p, &floor, "coordinator x", &em), 0);
	p.opslimit = 1;
	p.memlimit = 8192;
	assert_int_equal(pwkey_params_judge(&p, &floor, "coordinator x", &em),
	    DZ_EWEAKKDF);
	assert_non_null(strstr(em.text, "weak key-stretching parameters"));
	assert_non_null(strstr(em.text, "coordinator x"));
	p = floor;
	p.memlimit = floor.memlimit / 2;
	assert_int_equal(pwkey_params_judge(&p, &floor, "c", &em), DZ_EWEAKKDF);
	p = floor;
	p.opslimit = PWKEY_CEIL_OPS + 1;
	assert_int_equal(pwkey_params_judge(&p, &floor, "c", &em), DZ_EWEAKKDF);
	assert_non_null(strstr(em.text, "excessive key-stretching parameters"));
	p = floor;
	p.memlimit = PWKEY_CEIL_MEM + 1;
	assert_int_equal(pwkey_params_judge(&p, &floor, "c", &em), DZ_EWEAKKDF);
	p.memlimit = PWKEY_CEIL_MEM;
	p.opslimit = PWKEY_CEIL_OPS;
	assert_int_equal(pwkey_params_judge(&p, &floor, "c", &em), 0);
	/* an explicit lower floor accepts down to itself only */
	floor.opslimit = 1;
	floor.memlimit = 65536;
	p.opslimit = 1;
	p.memlimit = 65536;
	assert_int_equal(pwkey_params_judge(&p, &floor, "c", &em), 0);
	p.memlimit = 32768;
	assert_int_equal(pwkey_params_judge(&p, &floor, "c", &em), DZ_EWEAKKDF);
	/* raising: each limit to the larger */
	pwkey_params_default(&floor);
	held = floor;
	held.opslimit = floor.opslimit + 2;
	held.memlimit = floor.memlimit / 2;
	pwkey_params_raise(&floor, &held);
	assert_int_equal(floor.opslimit, held.opslimit);
	assert_int_equal(floor.memlimit, (uint64_t)crypto_pwhash_argon2id_MEMLIMIT_MODERATE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_inputs_same_keys),
		cmocka_unit_test(halves_are_argon2id_output),
		cmocka_unit_test(any_input_change_changes_keys),
		cmocka_unit_test(params_check_bounds),
		cmocka_unit_test(bad_params_refused_and_outputs_zeroed),
		cmocka_unit_test(default_is_at_least_moderate),
		cmocka_unit_test(judge_floor_and_ceiling),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
