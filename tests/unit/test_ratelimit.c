/* test_ratelimit: the peer's token bucket keeps a stream within its rate
 * over every 10-second window (at most rate * 10 + burst + one chunk, at
 * least 97 % of it for a sender that always has data), lets at most a
 * tenth of a second's worth through after an idle spell, follows a rate
 * change at once, loses nothing to rounding, and is a no-op when
 * unlimited. Time is simulated: the bucket takes it as an argument. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "net/ratelimit.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define MIB (1024ull * 1024)

/* A greedy sender of chunk-byte pieces under rl from t0 for secs
 * seconds: it sends whenever a quantum is there (a whole chunk, into
 * debt, as a socket read would) and otherwise sleeps as told. bytes[i]
 * is what passed in the i-th 100 ms. */
static void
run_greedy(struct ratelimit *rl, uint64_t t0, unsigned secs, size_t chunk,
    uint64_t *bytes)
{
	uint64_t t = t0, end = t0 + secs * SEC, w;

	while (t < end) {
		if ((w = ratelimit_wait_ms(rl, t)) == 0) {
			ratelimit_charge(rl, chunk, t);
			bytes[(t - t0) / (100 * MS)] += chunk;
			t += 50000; /* 50 us of work per chunk */
		} else {
			t += w * MS + 300000; /* a timer fires a little late */
		}
	}
}

/* Every 10 s window of bytes[0..n) within [lo, hi]. */
static void
check_windows(const uint64_t *bytes, size_t n, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i + 100 <= n; i++) {
		uint64_t sum = 0;

		for (size_t j = i; j < i + 100; j++)
			sum += bytes[j];
		if (sum < lo || sum > hi)
			fail_msg("window at %zu00 ms: %llu bytes, not in [%llu, %llu]",
			    i, (unsigned long long)sum, (unsigned long long)lo,
			    (unsigned long long)hi);
	}
}

static void
greedy_stream_keeps_to_the_rate_in_every_window(void **state)
{
	static uint64_t bytes[600];
	struct ratelimit rl;
	uint64_t rate = 2 * MIB;

	(void)state;
	ratelimit_init(&rl, rate, 5 * SEC);
	run_greedy(&rl, 5 * SEC, 60, 64 * 1024, bytes);
	check_windows(bytes, 600, rate * 10 * 97 / 100,
	    rate * 10 + rl.burst + 64 * 1024);
	/* within 1.5 % over the whole minute */
	assert_true(rl.total <= rate * 60 + rl.burst + 64 * 1024);
	assert_true(rl.total >= rate * 60 * 985 / 1000);
}

static void
idle_bucket_bursts_a_tenth_of_a_second(void **state)
{
	struct ratelimit rl;
	uint64_t t = 0, passed = 0;

	(void)state;
	ratelimit_init(&rl, 10 * MIB, 0);
	ratelimit_charge(&rl, ratelimit_room(&rl, 0), 0);
	t = 100 * SEC; /* idle for 100 s: no more than the burst saved up */
	while (ratelimit_room(&rl, t) > 0) {
		size_t n = ratelimit_room(&rl, t);

		ratelimit_charge(&rl, n, t);
		passed += n;
	}
	assert_int_equal(passed, 10 * MIB / 10);
	assert_true(ratelimit_wait_ms(&rl, t) > 0);
}

static void
rate_change_applies_at_once(void **state)
{
	static uint64_t bytes[300];
	struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, 4 * MIB, 0);
	run_greedy(&rl, 0, 10, 16 * 1024, bytes);
	ratelimit_set_rate(&rl, 1 * MIB, 10 * SEC);
	for (size_t i = 0; i < 300; i++)
		bytes[i] = 0;
	run_greedy(&rl, 10 * SEC, 20, 16 * 1024, bytes);
	check_windows(bytes, 200, 1 * MIB * 10 * 97 / 100,
	    1 * MIB * 10 + rl.burst + 16 * 1024 + 4 * MIB / 10);
	/* and back to unlimited: nothing waits */
	ratelimit_set_rate(&rl, 0, 30 * SEC);
	assert_int_equal(ratelimit_wait_ms(&rl, 30 * SEC), 0);
	assert_true(ratelimit_room(&rl, 30 * SEC) == SIZE_MAX);
}

static void
rounding_loses_nothing(void **state)
{
	struct ratelimit rl;
	uint64_t t;

	(void)state;
	/* 1000 bytes a second asked about every 0.7 ms: 10 s earn exactly
	 * 10,000 bytes, which pass as the bucket (burst 1 KiB) allows */
	ratelimit_init(&rl, 1000, 0);
	ratelimit_charge(&rl, RATELIMIT_BURST_MIN, 0);
	uint64_t got = 0;
	for (t = 0; t <= 10 * SEC; t += 700000) {
		size_t n = ratelimit_room(&rl, t);

		ratelimit_charge(&rl, n, t);
		got += n;
	}
	assert_true(got >= 9999 && got <= 10000);
}

static void
wait_is_the_time_to_a_quantum(void **state)
{
	struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, 1 * MIB, 0);
	ratelimit_charge(&rl, ratelimit_room(&rl, 0), 0);
	/* 16 KiB at 1 MiB/s: 15.625 ms, rounded up */
	assert_int_equal(ratelimit_wait_ms(&rl, 0), 16);
	assert_int_equal(ratelimit_wait_ms(&rl, 16 * MS), 0);
	/* a debt is repaid first */
	ratelimit_charge(&rl, 1 * MIB, 16 * MS);
	assert_true(ratelimit_wait_ms(&rl, 16 * MS) >= 1000);
	assert_int_equal(ratelimit_room(&rl, 16 * MS), 0);
}

static void
unlimited_never_waits(void **state)
{
	struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, 0, 0);
	ratelimit_charge(&rl, SIZE_MAX / 2, 0);
	assert_int_equal(ratelimit_wait_ms(&rl, 0), 0);
	assert_true(ratelimit_room(&rl, 0) == SIZE_MAX);
	/* limited again: no stored burst from the unlimited time */
	ratelimit_set_rate(&rl, 1 * MIB, 0);
	assert_int_equal(ratelimit_room(&rl, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(greedy_stream_keeps_to_the_rate_in_every_window),
		cmocka_unit_test(idle_bucket_bursts_a_tenth_of_a_second),
		cmocka_unit_test(rate_change_applies_at_once),
		cmocka_unit_test(rounding_loses_nothing),
		cmocka_unit_test(wait_is_the_time_to_a_quantum),
		cmocka_unit_test(unlimited_never_waits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
