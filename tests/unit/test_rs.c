/* test_rs: any k of the n fragments give back the data bit-exact, whatever
 * the code size, erasure pattern or length; rs_rebuild restores parity too;
 * fewer than k and bad parameters are refused; the parity bytes are the
 * systematic Cauchy code (the stored format) and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/mman.h>

#include <isa-l/erasure_code.h>

#include "core/rs.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
fill_random(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd();
}

/* n fragments of len bytes, and the pristine copy of each after encoding */
struct frags {
	unsigned k, n;
	size_t len;
	uint8_t *frag[RS_MAXN];
	uint8_t *orig[RS_MAXN];
};

static void
frags_init(struct frags *f, struct rs *r, size_t len)
{
	f->k = rs_k(r);
	f->n = rs_n(r);
	f->len = len;
	for (unsigned i = 0; i < f->n; i++) {
		/* +1 so that len 0 still gets a real pointer */
		f->frag[i] = malloc(len + 1);
		f->orig[i] = malloc(len + 1);
		assert_non_null(f->frag[i]);
		assert_non_null(f->orig[i]);
		fill_random(f->frag[i], len);
	}
	assert_int_equal(rs_encode(r, f->frag, len), 0);
	for (unsigned i = 0; i < f->n; i++)
		memcpy(f->orig[i], f->frag[i], len);
}

static void
frags_free(struct frags *f)
{
	for (unsigned i = 0; i < f->n; i++) {
		free(f->frag[i]);
		free(f->orig[i]);
	}
}

static int
frag_ok(const struct frags *f, unsigned i)
{
	return memcmp(f->frag[i], f->orig[i], f->len) == 0;
}

static int
all_byte(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static int
want_rc(const struct frags *f, const uint8_t have[])
{
	unsigned present = 0;

	for (unsigned i = 0; i < f->n; i++)
		present += have[i] != 0;
	return present >= f->k ? 0 : DZ_ETOOFEW;
}

/* Lose the fragments with have[i] == 0 (overwritten with garbage) and
 * rs_decode: it succeeds iff at least k remain, restores exactly the data
 * pieces and leaves everything else alone. f is pristine again after. */
static void
check_decode(struct rs *r, struct frags *f, const uint8_t have[])
{
	int want = want_rc(f, have);

	for (unsigned i = 0; i < f->n; i++)
		if (!have[i])
			memset(f->frag[i], 0xa5, f->len);
	assert_int_equal(rs_decode(r, f->frag, have, f->len), want);
	for (unsigned i = 0; i < f->n; i++) {
		if (have[i] || (want == 0 && i < f->k)) {
			assert_true(frag_ok(f, i));
		} else {
			/* missing parity is not written, nor anything on refusal */
			assert_true(all_byte(f->frag[i], f->len, 0xa5));
			memcpy(f->frag[i], f->orig[i], f->len);
		}
	}
}

/* The same for rs_rebuild, which restores every missing fragment. */
static void
check_rebuild(struct rs *r, struct frags *f, const uint8_t have[])
{
	int want = want_rc(f, have);

	for (unsigned i = 0; i < f->n; i++)
		if (!have[i])
			memset(f->frag[i], 0x5a, f->len);
	assert_int_equal(rs_rebuild(r, f->frag, have, f->len), want);
	for (unsigned i = 0; i < f->n; i++) {
		if (want == 0 || have[i]) {
			assert_true(frag_ok(f, i));
		} else {
			assert_true(all_byte(f->frag[i], f->len, 0x5a));
			memcpy(f->frag[i], f->orig[i], f->len);
		}
	}
}

static void
check_pattern(struct rs *r, struct frags *f, const uint8_t have[])
{
	check_decode(r, f, have);
	check_rebuild(r, f, have);
}

/* every subset of the n fragments missing, for n <= 12 */
static void
exhaustive(unsigned k, unsigned n, size_t len)
{
	struct rs *r;
	struct frags f;
	uint8_t have[RS_MAXN];

	assert_int_equal(rs_new(k, n, &r), 0);
	frags_init(&f, r, len);
	for (unsigned mask = 0; mask < (1u << n); mask++) {
		for (unsigned i = 0; i < n; i++)
			have[i] = (mask >> i & 1) ? 0 : (uint8_t)(1 + i);
		check_pattern(r, &f, have);
	}
	frags_free(&f);
	rs_free(r);
}

static void
every_pattern_small_codes(void **state)
{
	/* every erasure set, recoverable or not, of small codes at lengths on
	 * both sides of the 64-byte vector width */
	static const unsigned codes[][2] = {
		{1, 2}, {2, 3}, {3, 5}, {4, 6}, {4, 12},
	};
	static const size_t lens[] = {1, 63, 65};
	(void)state;

	for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++)
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
			exhaustive(codes[c][0], codes[c][1], lens[l]);
}

/* have[] with exactly `miss` random fragments missing */
static void
random_pattern(unsigned n, unsigned miss, uint8_t have[])
{
	uint8_t idx[RS_MAXN];

	for (unsigned i = 0; i < n; i++) {
		idx[i] = (uint8_t)i;
		have[i] = 1;
	}
	for (unsigned i = 0; i < miss; i++) {
		unsigned j = i + (unsigned)(rnd() % (n - i));
		uint8_t t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
		have[idx[i]] = 0;
	}
}

static void
random_patterns_large_codes(void **state)
{
	/* large and lopsided codes at odd lengths: the worst pattern (as many
	 * data pieces lost as possible), random sets of exactly n-k lost, a
	 * random smaller loss, and one too many lost. Each pattern runs over
	 * every length in turn, so kept decode tables meet new buffers. */
	static const unsigned codes[][2] = {
		{10, 30}, {29, 80}, {1, 255}, {254, 255}, {128, 255},
	};
	static const size_t lens[] = {1, 3, 63, 65, 4097};
	enum { NLENS = sizeof(lens) / sizeof(lens[0]), NPATTERNS = 6 };
	uint8_t have[RS_MAXN];
	(void)state;

	for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
		unsigned k = codes[c][0], n = codes[c][1];
		unsigned lost = k < n - k ? k : n - k;
		struct frags f[NLENS];
		struct rs *r;

		assert_int_equal(rs_new(k, n, &r), 0);
		for (size_t l = 0; l < NLENS; l++)
			frags_init(&f[l], r, lens[l]);
		for (int p = 0; p < NPATTERNS; p++) {
			if (p == 0) {
				for (unsigned i = 0; i < n; i++)
					have[i] = i >= lost;
			} else if (p < 4) {
				random_pattern(n, n - k, have);
			} else if (p == 4) {
				random_pattern(n,
				    (unsigned)(rnd() % (n - k + 1)), have);
			} else {
				random_pattern(n, n - k + 1, have);
			}
			for (size_t l = 0; l < NLENS; l++)
				check_decode(r, &f[l], have);
			for (size_t l = 0; l < NLENS; l++)
				check_rebuild(r, &f[l], have);
		}
		for (size_t l = 0; l < NLENS; l++)
			frags_free(&f[l]);
		rs_free(r);
	}
}

static void
zero_length_is_fine(void **state)
{
	/* len 0 encodes, decodes and rebuilds without touching any byte */
	struct rs *r;
	uint8_t b[3] = {7, 8, 9};
	uint8_t *frag[3] = {&b[0], &b[1], &b[2]};
	const uint8_t have[3] = {0, 1, 1};
	(void)state;

	assert_int_equal(rs_new(2, 3, &r), 0);
	assert_int_equal(rs_encode(r, frag, 0), 0);
	assert_int_equal(rs_decode(r, frag, have, 0), 0);
	assert_int_equal(rs_rebuild(r, frag, have, 0), 0);
	assert_int_equal(b[0], 7);
	assert_int_equal(b[1], 8);
	assert_int_equal(b[2], 9);
	rs_free(r);
}

static void
parity_is_the_cauchy_code(void **state)
{
	/* parity p (fragment k+p) byte b is XOR over j of data[j][b] / ((k+p)
	 * xor j) in GF(2^8): fragments on disk stay readable by any build */
	static const unsigned codes[][2] = {{1, 2}, {4, 12}, {29, 80}, {254, 255}};
	(void)state;

	for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
		unsigned k = codes[c][0], n = codes[c][1];
		struct rs *r;
		struct frags f;

		assert_int_equal(rs_new(k, n, &r), 0);
		frags_init(&f, r, 100);
		for (unsigned p = k; p < n; p++) {
			for (size_t b = 0; b < f.len; b++) {
				uint8_t v = 0;

				for (unsigned j = 0; j < k; j++)
					v ^= gf_mul(gf_inv((uint8_t)(p ^ j)),
					    f.orig[j][b]);
				assert_int_equal(f.frag[p][b], v);
			}
		}
		frags_free(&f);
		rs_free(r);
	}
}

static void
pattern_changes_are_not_stale(void **state)
{
	/* decode tables kept from one call are not reused for another pattern,
	 * another mode, or after a refusal with too few fragments */
	struct rs *r;
	struct frags f;
	uint8_t a[6] = {0, 1, 0, 1, 1, 1}, b[6] = {1, 0, 1, 0, 1, 1};
	uint8_t few[6] = {0, 1, 0, 1, 0, 1};
	(void)state;

	assert_int_equal(rs_new(4, 6, &r), 0);
	frags_init(&f, r, 4097);
	check_pattern(r, &f, a);
	check_pattern(r, &f, a);
	check_pattern(r, &f, b);
	check_pattern(r, &f, few);
	check_pattern(r, &f, b);
	check_pattern(r, &f, a);
	frags_free(&f);
	rs_free(r);
}

static void
past_one_gib_in_pieces(void **state)
{
	/* ISA-L takes an int length: 1 GiB + 65549 bytes (1-of-2, so parity
	 * equals data) must come out right on both sides of the 1 GiB piece
	 * boundary and at the end. Data is mostly untouched zero pages, so this
	 * costs about 2 GiB of memory while it runs. */
	const size_t len = ((size_t)1 << 30) + 65549, g = (size_t)1 << 30;
	const size_t at[] = {0, g - 4097, g, len - 4097};
	uint8_t save[4][4097], *frag[2] = {NULL, NULL};
	const uint8_t have[2] = {0, 1};
	struct rs *r;
	(void)state;

	for (int i = 0; i < 2; i++) {
		frag[i] = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (frag[i] == MAP_FAILED) {
			if (i == 1)
				munmap(frag[0], len);
			skip();
		}
		/* huge pages: 512 times fewer page faults (~15 us each) */
		(void)madvise(frag[i], len, MADV_HUGEPAGE);
	}
	for (int i = 0; i < 4; i++) {
		fill_random(frag[0] + at[i], 4097);
		memcpy(save[i], frag[0] + at[i], 4097);
	}
	assert_int_equal(rs_new(1, 2, &r), 0);
	assert_int_equal(rs_encode(r, frag, len), 0);
	for (int i = 0; i < 4; i++) {
		assert_memory_equal(frag[1] + at[i], save[i], 4097);
		memset(frag[0] + at[i], 0xa5, 4097);
	}
	assert_int_equal(rs_decode(r, frag, have, len), 0);
	for (int i = 0; i < 4; i++)
		assert_memory_equal(frag[0] + at[i], save[i], 4097);
	assert_true(all_byte(frag[0] + g / 2, 4096, 0));
	rs_free(r);
	munmap(frag[0], len);
	munmap(frag[1], len);
}

static void
bad_parameters_are_refused(void **state)
{
	/* k = 0, k = n, k > n and n > 255 are DZ_EINVAL; the edges are fine */
	static const unsigned bad[][2] = {
		{0, 1}, {0, 0}, {3, 3}, {5, 3}, {1, 256}, {255, 255}, {255, 256},
	};
	struct rs *r = (struct rs *)&r;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rs_new(bad[i][0], bad[i][1], &r), DZ_EINVAL);
		assert_null(r);
	}
	assert_int_equal(rs_new(1, 255, &r), 0);
	assert_int_equal(rs_k(r), 1);
	assert_int_equal(rs_n(r), 255);
	rs_free(r);
	assert_int_equal(rs_new(254, 255, &r), 0);
	rs_free(r);
	rs_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_pattern_small_codes),
		cmocka_unit_test(random_patterns_large_codes),
		cmocka_unit_test(zero_length_is_fine),
		cmocka_unit_test(parity_is_the_cauchy_code),
		cmocka_unit_test(pattern_changes_are_not_stale),
		cmocka_unit_test(past_one_gib_in_pieces),
		cmocka_unit_test(bad_parameters_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
