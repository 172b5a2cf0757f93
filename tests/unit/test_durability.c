/* test_durability: the loss model of docs/durability.md gives known
 * values: holder loss from availability, binomial tails computed by hand,
 * the repair window, a file's loss from its segments, and nines, with tiny
 * probabilities kept precise instead of rounding to 0 or 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "client/durability.h"

#define assert_close(a, b, rel) \
	assert_true(fabs((a) - (b)) <= (rel) * fabs(b) + 1e-300)

static void
holder_loss(void **state)
{
	(void)state;
	assert_close(dur_holder_loss(1.0), DUR_CHURN_YEAR, 1e-12);
	assert_close(dur_holder_loss(0.0), 1.0, 1e-12);
	assert_close(dur_holder_loss(0.5), 1.0 - 0.5 * (1.0 - DUR_CHURN_YEAR), 1e-12);
	/* out of range and NaN are clamped, never a probability outside 0..1 */
	assert_close(dur_holder_loss(2.0), DUR_CHURN_YEAR, 1e-12);
	assert_close(dur_holder_loss(-1.0), 1.0, 1e-12);
	assert_close(dur_holder_loss(NAN), 1.0, 1e-12);
}

/* Without repair in the year the segment loss is the binomial tail. */
static void
segment_no_repair(void **state)
{
	(void)state;
	/* 1 of 2: lost when both go */
	assert_close(dur_segment_loss(2, 1, 0.5, 365), 0.25, 1e-12);
	/* 2 of 3, p = 0.1: two or three of three lost */
	assert_close(dur_segment_loss(3, 2, 0.1, 365),
	    3 * 0.01 * 0.9 + 0.001, 1e-12);
	/* 4 of 12 with all 12 healthy, p = 0.25: more than 8 of 12 lost */
	{
		double want = 0;
		for (int j = 9; j <= 12; j++)
			want += exp(lgamma(13) - lgamma(j + 1) - lgamma(13 - j)) *
			    pow(0.25, j) * pow(0.75, 12 - j);
		assert_close(dur_segment_loss(12, 4, 0.25, 365), want, 1e-9);
	}
	/* h = k: any holder lost loses the segment */
	assert_close(dur_segment_loss(4, 4, 0.25, 365), 1 - pow(0.75, 4), 1e-12);
	/* fewer than k healthy: lost already */
	assert_close(dur_segment_loss(3, 4, 0.0, 365), 1.0, 0);
	assert_close(dur_segment_loss(0, 1, 0.0, 1), 1.0, 0);
	/* perfect holders never lose anything */
	assert_true(dur_segment_loss(12, 4, 0.0, 1) == 0.0);
}

/* With a repair window of a day, only losses within one day add up: the
 * leading term C(12,9) q^9 with q the per-day loss, times 365 days. */
static void
segment_repair_window(void **state)
{
	double q = 1 - pow(0.75, 1.0 / 365), pw, got;

	(void)state;
	pw = 220 * pow(q, 9) * pow(1 - q, 3);
	got = dur_segment_loss(12, 4, 0.25, 1.0);
	assert_true(got > 0.0);
	assert_close(got, 365 * pw, 1e-3);
	/* repair makes things better, more holders make things better */
	assert_true(got < dur_segment_loss(12, 4, 0.25, 365));
	assert_true(dur_segment_loss(11, 4, 0.25, 1.0) > got);
	/* ~23 nines: tiny, yet not rounded to zero */
	assert_true(dur_nines(got) > 20 && dur_nines(got) < 26);
}

static void
file_loss(void **state)
{
	struct dur_file f;

	(void)state;
	dur_file_init(&f);
	assert_true(dur_file_loss(&f) == 0.0);
	dur_file_add(&f, 0.5, 2);
	assert_close(dur_file_loss(&f), 0.75, 1e-12);
	dur_file_add(&f, 0.0, 1000);
	assert_close(dur_file_loss(&f), 0.75, 1e-12);
	dur_file_add(&f, 1.0, 1);
	assert_close(dur_file_loss(&f), 1.0, 0);
	/* a million segments of 1e-20 each: 1e-14, not 0 */
	dur_file_init(&f);
	dur_file_add(&f, 1e-20, 1000000);
	assert_close(dur_file_loss(&f), 1e-14, 1e-9);
	/* nothing added for count 0 */
	dur_file_init(&f);
	dur_file_add(&f, 1.0, 0);
	assert_true(dur_file_loss(&f) == 0.0);
}

static void
nines(void **state)
{
	(void)state;
	assert_close(dur_nines(1e-3), 3.0, 1e-12);
	assert_close(dur_nines(0.1), 1.0, 1e-12);
	assert_true(dur_nines(1.0) == 0.0);
	assert_true(dur_nines(0.0) == DUR_NINES_MAX);
	assert_true(dur_nines(1e-300) == DUR_NINES_MAX);
	assert_true(dur_nines(NAN) == 0.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(holder_loss),
		cmocka_unit_test(segment_no_repair),
		cmocka_unit_test(segment_repair_window),
		cmocka_unit_test(file_loss),
		cmocka_unit_test(nines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
