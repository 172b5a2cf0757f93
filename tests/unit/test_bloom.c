/* test_bloom: a Bloom filter never loses an item it was given (no false
 * negative, at any size), its false positive rate at the planned size is
 * about 1%, another seed gives independent false positives, the encoding
 * round-trips, and the decoder refuses every malformed header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/bloom.h"

static void
name_of(uint64_t i, uint8_t out[32])
{
	/* distinct, uniform-looking names, as fragment names are */
	crypto_generichash(out, 32, (const uint8_t *)&i, sizeof(i), NULL, 0);
}

static void
test_no_false_negative(void **state)
{
	static const uint64_t sizes[] = {0, 1, 7, 100, 5000, 100000};
	uint8_t seed[BLOOM_SEEDBYTES] = {1}, name[32];

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct bloom b;

		assert_int_equal(bloom_new(sizes[s], seed, &b), 0);
		for (uint64_t i = 0; i < sizes[s]; i++) {
			name_of(i, name);
			bloom_add(&b, name, sizeof(name));
		}
		for (uint64_t i = 0; i < sizes[s]; i++) {
			name_of(i, name);
			assert_int_equal(bloom_has(&b, name, sizeof(name)), 1);
		}
		bloom_free(&b);
	}
}

/* Even overfilled (10x the planned items) it loses nothing. */
static void
test_overfilled(void **state)
{
	uint8_t seed[BLOOM_SEEDBYTES] = {2}, name[32];
	struct bloom b;

	(void)state;
	assert_int_equal(bloom_new(100, seed, &b), 0);
	for (uint64_t i = 0; i < 1000; i++) {
		name_of(i, name);
		bloom_add(&b, name, sizeof(name));
	}
	for (uint64_t i = 0; i < 1000; i++) {
		name_of(i, name);
		assert_true(bloom_has(&b, name, sizeof(name)));
	}
	bloom_free(&b);
}

static unsigned
false_positives(const struct bloom *b, uint64_t from, uint64_t n, uint8_t *hit)
{
	uint8_t name[32];
	unsigned fp = 0;

	for (uint64_t i = 0; i < n; i++) {
		name_of(from + i, name);
		if (bloom_has(b, name, sizeof(name))) {
			fp++;
			if (hit != NULL)
				hit[i] = 1;
		}
	}
	return fp;
}

static void
test_rate_and_seed(void **state)
{
	const uint64_t n = 20000, probes = 100000;
	uint8_t seed1[BLOOM_SEEDBYTES] = {3}, seed2[BLOOM_SEEDBYTES] = {4};
	uint8_t name[32], *hit;
	struct bloom a, b;
	unsigned fa, fb, both = 0;

	(void)state;
	assert_non_null(hit = calloc(1, probes));
	assert_int_equal(bloom_new(n, seed1, &a), 0);
	assert_int_equal(bloom_new(n, seed2, &b), 0);
	for (uint64_t i = 0; i < n; i++) {
		name_of(i, name);
		bloom_add(&a, name, sizeof(name));
		bloom_add(&b, name, sizeof(name));
	}
	fa = false_positives(&a, 1u << 30, probes, hit);
	fb = false_positives(&b, 1u << 30, probes, NULL);
	/* 1% of 100,000 = 1,000; allow 0.6% .. 1.5% */
	assert_in_range(fa, 600, 1500);
	assert_in_range(fb, 600, 1500);
	for (uint64_t i = 0; i < probes; i++) {
		name_of((1u << 30) + i, name);
		both += hit[i] && bloom_has(&b, name, sizeof(name));
	}
	/* independent: about 1% of 1%, far below either */
	assert_true(both < 60);
	bloom_free(&a);
	bloom_free(&b);
	free(hit);
}

static void
test_plan(void **state)
{
	uint32_t nbits;
	unsigned nhash;

	(void)state;
	assert_int_equal(bloom_plan(0, &nbits, &nhash), 0);
	assert_int_equal(nbits, BLOOM_MINBITS);
	assert_int_equal(bloom_plan(1000, &nbits, &nhash), 0);
	assert_int_equal(nbits, 9600);
	assert_int_equal(nhash, 7);
	assert_int_equal(bloom_plan(BLOOM_MAXITEMS, &nbits, &nhash), 0);
	assert_true(nbits <= BLOOM_MAXBITS);
	assert_int_equal(bloom_plan(BLOOM_MAXITEMS + 1, &nbits, &nhash), DZ_ERANGE);
}

static void
test_encode_view(void **state)
{
	uint8_t seed[BLOOM_SEEDBYTES], name[32], *buf;
	struct bloom b, v;
	size_t len;

	(void)state;
	randombytes_buf(seed, sizeof(seed));
	assert_int_equal(bloom_new(500, seed, &b), 0);
	for (uint64_t i = 0; i < 500; i++) {
		name_of(i, name);
		bloom_add(&b, name, sizeof(name));
	}
	len = bloom_encoded_len(&b);
	assert_int_equal(len, BLOOM_HDRBYTES + 4800 / 8);
	assert_non_null(buf = malloc(len + 1));
	bloom_encode(&b, buf);
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[1], 7);
	assert_memory_equal(buf + 2, seed, BLOOM_SEEDBYTES);
	assert_int_equal(bloom_view(buf, len, &v), 0);
	assert_int_equal(v.nbits, b.nbits);
	assert_null(v.own);
	for (uint64_t i = 0; i < 500; i++) {
		name_of(i, name);
		assert_true(bloom_has(&v, name, sizeof(name)));
	}
	/* malformed */
	assert_int_equal(bloom_view(buf, len - 1, &v), DZ_ETRUNC);
	assert_int_equal(v.bits, NULL);
	assert_int_equal(bloom_view(buf, BLOOM_HDRBYTES - 1, &v), DZ_ETRUNC);
	assert_int_equal(bloom_view(NULL, 0, &v), DZ_ETRUNC);
	buf[len] = 0;
	assert_int_equal(bloom_view(buf, len + 1, &v), DZ_EFORMAT);
	buf[0] = 2;
	assert_int_equal(bloom_view(buf, len, &v), DZ_EVERSION);
	buf[0] = 1;
	buf[1] = 0;
	assert_int_equal(bloom_view(buf, len, &v), DZ_ERANGE);
	buf[1] = BLOOM_MAXHASH + 1;
	assert_int_equal(bloom_view(buf, len, &v), DZ_ERANGE);
	buf[1] = 7;
	buf[2 + BLOOM_SEEDBYTES] ^= 1; /* nbits not a multiple of 8 */
	assert_int_equal(bloom_view(buf, len, &v), DZ_ERANGE);
	buf[2 + BLOOM_SEEDBYTES] ^= 1;
	buf[2 + BLOOM_SEEDBYTES + 3] = 0xff; /* nbits too large */
	assert_int_equal(bloom_view(buf, len, &v), DZ_ERANGE);
	memset(buf + 2 + BLOOM_SEEDBYTES, 0, 4);
	buf[2 + BLOOM_SEEDBYTES] = 56; /* below the minimum */
	assert_int_equal(bloom_view(buf, len, &v), DZ_ERANGE);
	free(buf);
	bloom_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_false_negative),
		cmocka_unit_test(test_overfilled),
		cmocka_unit_test(test_rate_and_seed),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_encode_view),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
