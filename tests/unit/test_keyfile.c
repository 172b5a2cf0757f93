/* test_keyfile: a keyfile round-trips through its exact byte layout, opens
 * only with its password and account name, detects any change to its
 * parameters or salt, is parsed strictly, and re-wraps to a new password
 * without changing the master key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/cursor.h"
#include "core/keyfile.h"

/* Cheap costs so each derivation takes a millisecond. */
static const struct pwkey_params cheap = {PWKEY_ALG_ARGON2ID13, 1, 65536};
static const char pw[] = "correct horse battery staple";

/* Byte offsets of format v1. */
enum {
	OFF_VERSION = 0,
	OFF_MAGIC = 1,
	OFF_ALG = 4,
	OFF_RESERVED = 5,
	OFF_OPS = 8,
	OFF_MEM = 16,
	OFF_SALT = 24,
	OFF_WRAPPED = 40,
};

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Field by field: struct copies need not copy padding. */
static void
assert_kf_equal(const struct keyfile *a, const struct keyfile *b)
{
	assert_int_equal(a->params.alg, b->params.alg);
	assert_true(a->params.opslimit == b->params.opslimit);
	assert_true(a->params.memlimit == b->params.memlimit);
	assert_memory_equal(a->salt, b->salt, PWKEY_SALTBYTES);
	assert_memory_equal(a->wrapped, b->wrapped, MKEY_WRAPPEDBYTES);
}

/* A fresh keyfile for "alice" with the cheap params, encoded into buf. */
static void
make(struct keyfile *kf, uint8_t mk[MKEY_BYTES], uint8_t buf[KEYFILE_BYTES])
{
	uint8_t pk[32];

	assert_int_equal(keyfile_create(pw, strlen(pw), &cheap, "alice", kf, mk,
	    pk), 0);
	keyfile_encode(kf, buf);
}

/* Parse buf and try to open it with pw as "alice"; returns the first
 * error, or 0 with the master key in mk. */
static int
parse_open(const uint8_t *buf, size_t len, uint8_t mk[MKEY_BYTES])
{
	struct keyfile kf;
	int rc;

	if ((rc = keyfile_parse(buf, len, &kf)) != 0)
		return rc;
	return keyfile_open(&kf, pw, strlen(pw), "alice", mk);
}

static void
round_trip_and_layout(void **state)
{
	/* Proves: create -> encode -> parse -> open gives back the master key;
	 * the bytes are laid out as documented; parse -> encode is the
	 * identity; login_pk is the Ed25519 key of the password's login seed;
	 * two creates make different salts and master keys. */
	(void)state;
	struct keyfile kf, kf2;
	uint8_t mk[MKEY_BYTES], mk2[MKEY_BYTES], pk[32], pk2[32], sk[64];
	uint8_t buf[KEYFILE_BYTES], buf2[KEYFILE_BYTES];
	uint8_t kek[32], seed[32];

	assert_int_equal(KEYFILE_BYTES, 112);
	assert_int_equal(keyfile_create(pw, strlen(pw), &cheap, "alice", &kf,
	    mk, pk), 0);
	assert_false(all_zero(mk, sizeof(mk)));
	keyfile_encode(&kf, buf);

	assert_int_equal(buf[OFF_VERSION], 1);
	assert_memory_equal(buf + OFF_MAGIC, "DZK", 3);
	assert_int_equal(buf[OFF_ALG], PWKEY_ALG_ARGON2ID13);
	assert_true(all_zero(buf + OFF_RESERVED, 3));
	assert_true(le64_get(buf + OFF_OPS) == cheap.opslimit);
	assert_true(le64_get(buf + OFF_MEM) == cheap.memlimit);
	assert_memory_equal(buf + OFF_SALT, kf.salt, PWKEY_SALTBYTES);
	assert_memory_equal(buf + OFF_WRAPPED, kf.wrapped, MKEY_WRAPPEDBYTES);

	memset(&kf2, 0xaa, sizeof(kf2));
	assert_int_equal(keyfile_parse(buf, sizeof(buf), &kf2), 0);
	keyfile_encode(&kf2, buf2);
	assert_memory_equal(buf, buf2, KEYFILE_BYTES);
	assert_int_equal(keyfile_open(&kf2, pw, strlen(pw), "alice", mk2), 0);
	assert_memory_equal(mk, mk2, MKEY_BYTES);

	assert_int_equal(pwkey_derive(pw, strlen(pw), kf.salt, &cheap, kek,
	    seed), 0);
	assert_int_equal(crypto_sign_seed_keypair(pk2, sk, seed), 0);
	assert_memory_equal(pk, pk2, 32);

	assert_int_equal(keyfile_create(pw, strlen(pw), &cheap, "alice", &kf2,
	    mk2, pk2), 0);
	assert_memory_not_equal(kf.salt, kf2.salt, PWKEY_SALTBYTES);
	assert_memory_not_equal(mk, mk2, MKEY_BYTES);
	assert_memory_not_equal(pk, pk2, 32);
}

static void
wrong_password_or_account(void **state)
{
	/* Proves: another password, or the right password under another
	 * account name (same length, a prefix, an extension), is DZ_EPASSWORD
	 * with mk zeroed. */
	(void)state;
	struct keyfile kf;
	uint8_t mk[MKEY_BYTES], out[MKEY_BYTES], buf[KEYFILE_BYTES];

	make(&kf, mk, buf);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(keyfile_open(&kf, "correct horse battery stapler",
	    strlen(pw) + 1, "alice", out), DZ_EPASSWORD);
	assert_true(all_zero(out, sizeof(out)));
	assert_int_equal(keyfile_open(&kf, pw, strlen(pw) - 1, "alice", out),
	    DZ_EPASSWORD);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(keyfile_open(&kf, pw, strlen(pw), "bob", out),
	    DZ_EPASSWORD);
	assert_true(all_zero(out, sizeof(out)));
	assert_int_equal(keyfile_open(&kf, pw, strlen(pw), "Alice", out),
	    DZ_EPASSWORD);
	assert_int_equal(keyfile_open(&kf, pw, strlen(pw), "alicf", out),
	    DZ_EPASSWORD);
	assert_int_equal(keyfile_open(&kf, pw, strlen(pw), "alic", out),
	    DZ_EPASSWORD);
	assert_int_equal(keyfile_open(&kf, pw, strlen(pw), "alicea", out),
	    DZ_EPASSWORD);
	assert_int_equal(keyfile_open(&kf, pw, strlen(pw), NULL, out),
	    DZ_EINVAL);
	assert_int_equal(keyfile_open(&kf, pw, strlen(pw), "alice", out), 0);
	assert_memory_equal(out, mk, MKEY_BYTES);
}

static void
altered_header_is_detected(void **state)
{
	/* Proves: changing opslimit, memlimit (even by one byte, which leaves
	 * Argon2's KiB count and so the KEK unchanged: only the ad catches
	 * it) or any salt bit fails the password check; out-of-bounds params
	 * are refused at parse time. */
	(void)state;
	struct keyfile kf;
	uint8_t mk[MKEY_BYTES], out[MKEY_BYTES], buf[KEYFILE_BYTES];
	uint8_t b[KEYFILE_BYTES];

	make(&kf, mk, buf);
	assert_int_equal(parse_open(buf, sizeof(buf), out), 0);

	memcpy(b, buf, sizeof(b));
	le64_put(b + OFF_OPS, 2);
	assert_int_equal(parse_open(b, sizeof(b), out), DZ_EPASSWORD);
	assert_true(all_zero(out, sizeof(out)));

	memcpy(b, buf, sizeof(b));
	le64_put(b + OFF_MEM, cheap.memlimit + 1);
	assert_int_equal(parse_open(b, sizeof(b), out), DZ_EPASSWORD);

	memcpy(b, buf, sizeof(b));
	le64_put(b + OFF_MEM, 2 * cheap.memlimit);
	assert_int_equal(parse_open(b, sizeof(b), out), DZ_EPASSWORD);

	for (size_t i = 0; i < PWKEY_SALTBYTES; i += 5) {
		memcpy(b, buf, sizeof(b));
		b[OFF_SALT + i] ^= 0x10;
		assert_int_equal(parse_open(b, sizeof(b), out), DZ_EPASSWORD);
	}
	memcpy(b, buf, sizeof(b));
	b[OFF_WRAPPED + 30] ^= 1;
	assert_int_equal(parse_open(b, sizeof(b), out), DZ_EPASSWORD);

	memcpy(b, buf, sizeof(b));
	le64_put(b + OFF_OPS, PWKEY_OPS_MAX + 1);
	assert_int_equal(parse_open(b, sizeof(b), out), DZ_ERANGE);
	le64_put(b + OFF_OPS, 0);
	assert_int_equal(parse_open(b, sizeof(b), out), DZ_ERANGE);

	memcpy(b, buf, sizeof(b));
	le64_put(b + OFF_MEM, PWKEY_MEM_MAX + 1);
	assert_int_equal(parse_open(b, sizeof(b), out), DZ_ERANGE);
	le64_put(b + OFF_MEM, PWKEY_MEM_MIN - 1);
	assert_int_equal(parse_open(b, sizeof(b), out), DZ_ERANGE);

	memcpy(b, buf, sizeof(b));
	b[OFF_ALG] = 2;
	assert_int_equal(parse_open(b, sizeof(b), out), DZ_EVERSION);
}

static void
parser_is_strict(void **state)
{
	/* Proves: every shorter length, a longer one, bad magic, another
	 * version and any nonzero reserved byte are refused with the
	 * documented code, and a refused parse leaves kf zeroed. */
	(void)state;
	struct keyfile kf, zero;
	uint8_t mk[MKEY_BYTES], buf[KEYFILE_BYTES], b[KEYFILE_BYTES + 1];

	make(&kf, mk, buf);
	memset(&zero, 0, sizeof(zero));

	for (size_t n = 0; n < KEYFILE_BYTES; n++) {
		memset(&kf, 0xaa, sizeof(kf));
		assert_int_equal(keyfile_parse(buf, n, &kf), DZ_EFORMAT);
		assert_kf_equal(&kf, &zero);
	}
	memcpy(b, buf, KEYFILE_BYTES);
	b[KEYFILE_BYTES] = 0;
	assert_int_equal(keyfile_parse(b, sizeof(b), &kf), DZ_EFORMAT);

	for (size_t i = 0; i < 3; i++) {
		memcpy(b, buf, KEYFILE_BYTES);
		b[OFF_MAGIC + i] ^= 0x20;
		assert_int_equal(keyfile_parse(b, KEYFILE_BYTES, &kf),
		    DZ_EFORMAT);
	}
	memcpy(b, buf, KEYFILE_BYTES);
	b[OFF_VERSION] = 2;
	assert_int_equal(keyfile_parse(b, KEYFILE_BYTES, &kf), DZ_EVERSION);
	/* A later version may have another length: still a version error. */
	assert_int_equal(keyfile_parse(b, KEYFILE_BYTES + 1, &kf), DZ_EVERSION);
	b[OFF_VERSION] = 0;
	assert_int_equal(keyfile_parse(b, KEYFILE_BYTES, &kf), DZ_EVERSION);

	for (size_t i = 0; i < 3; i++) {
		memcpy(b, buf, KEYFILE_BYTES);
		b[OFF_RESERVED + i] = 1;
		memset(&kf, 0xaa, sizeof(kf));
		assert_int_equal(keyfile_parse(b, KEYFILE_BYTES, &kf),
		    DZ_EFORMAT);
		assert_kf_equal(&kf, &zero);
	}
	assert_int_equal(keyfile_parse(buf, KEYFILE_BYTES, &kf), 0);
}

static void
rewrap_changes_password_not_key(void **state)
{
	/* Proves: after a re-wrap the new password opens the same master key
	 * under a fresh salt and the new params, the old password no longer
	 * does, and a refused re-wrap leaves the keyfile untouched. */
	(void)state;
	struct keyfile kf, before;
	struct pwkey_params p2 = cheap, bad = cheap;
	uint8_t mk[MKEY_BYTES], out[MKEY_BYTES], buf[KEYFILE_BYTES];
	const char *npw = "new password";

	make(&kf, mk, buf);
	p2.opslimit = 2;
	before = kf;
	assert_int_equal(keyfile_rewrap(&kf, npw, strlen(npw), &p2, "alice",
	    mk), 0);
	assert_memory_not_equal(kf.salt, before.salt, PWKEY_SALTBYTES);
	assert_true(kf.params.opslimit == 2);
	assert_int_equal(keyfile_open(&kf, npw, strlen(npw), "alice", out), 0);
	assert_memory_equal(out, mk, MKEY_BYTES);
	assert_int_equal(keyfile_open(&kf, pw, strlen(pw), "alice", out),
	    DZ_EPASSWORD);
	/* The new keyfile survives encode and parse too. */
	keyfile_encode(&kf, buf);
	assert_int_equal(keyfile_parse(buf, sizeof(buf), &kf), 0);
	assert_int_equal(keyfile_open(&kf, npw, strlen(npw), "alice", out), 0);
	assert_memory_equal(out, mk, MKEY_BYTES);

	before = kf;
	bad.opslimit = 0;
	assert_int_equal(keyfile_rewrap(&kf, pw, strlen(pw), &bad, "alice",
	    mk), DZ_ERANGE);
	assert_int_equal(keyfile_rewrap(&kf, pw, strlen(pw), &cheap, NULL, mk),
	    DZ_EINVAL);
	assert_kf_equal(&kf, &before);
	assert_int_equal(keyfile_open(&kf, npw, strlen(npw), "alice", out), 0);
}

static void
create_with_bad_params_fails_clean(void **state)
{
	/* Proves: create refuses out-of-bounds params and leaves mk,
	 * login_pk and kf zeroed. */
	(void)state;
	struct keyfile kf, zero;
	struct pwkey_params bad = cheap;
	uint8_t mk[MKEY_BYTES], pk[32];

	memset(&zero, 0, sizeof(zero));
	bad.memlimit = PWKEY_MEM_MAX + 1;
	memset(&kf, 0xaa, sizeof(kf));
	memset(mk, 0xaa, sizeof(mk));
	memset(pk, 0xaa, sizeof(pk));
	assert_int_equal(keyfile_create(pw, strlen(pw), &bad, "alice", &kf, mk,
	    pk), DZ_ERANGE);
	assert_true(all_zero(mk, sizeof(mk)));
	assert_true(all_zero(pk, sizeof(pk)));
	assert_kf_equal(&kf, &zero);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_and_layout),
		cmocka_unit_test(wrong_password_or_account),
		cmocka_unit_test(altered_header_is_detected),
		cmocka_unit_test(parser_is_strict),
		cmocka_unit_test(rewrap_changes_password_not_key),
		cmocka_unit_test(create_with_bad_params_fails_clean),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
