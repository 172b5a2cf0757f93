/*
 * ratelimit: the token bucket (ratelimit.h). Refills are computed in
 * 128-bit byte-nanoseconds with the remainder carried, so no byte of the
 * rate is lost to rounding however often the bucket is asked.
 */
#include "net/ratelimit.h"

#define NS 1000000000ull

static uint64_t
burst_of(uint64_t rate)
{
	uint64_t b = rate / 10;

	return b < RATELIMIT_BURST_MIN ? RATELIMIT_BURST_MIN : b;
}

static uint64_t
quantum_of(const struct ratelimit *rl)
{
	return rl->burst < RATELIMIT_QUANTUM ? rl->burst : RATELIMIT_QUANTUM;
}

/* Add what the rate earned since last_ns, up to the burst. */
static void
refill(struct ratelimit *rl, uint64_t now_ns)
{
	unsigned __int128 acc;
	uint64_t add;

	if (now_ns <= rl->last_ns) /* a clock that did not move, or went back */
		return;
	acc = (unsigned __int128)rl->rate * (now_ns - rl->last_ns) + rl->carry;
	rl->last_ns = now_ns;
	if (acc / NS >= (unsigned __int128)(rl->burst + (uint64_t)INT64_MAX / 2)) {
		rl->tokens = (int64_t)rl->burst;
		rl->carry = 0;
		return;
	}
	add = (uint64_t)(acc / NS);
	rl->carry = (uint64_t)(acc % NS);
	rl->tokens += (int64_t)add;
	if (rl->tokens >= (int64_t)rl->burst) {
		rl->tokens = (int64_t)rl->burst;
		rl->carry = 0;
	}
}

void
ratelimit_init(struct ratelimit *rl, uint64_t rate, uint64_t now_ns)
{
	rl->rate = rate;
	rl->burst = burst_of(rate);
	rl->tokens = (int64_t)rl->burst;
	rl->carry = 0;
	rl->last_ns = now_ns;
	rl->total = 0;
}

void
ratelimit_set_rate(struct ratelimit *rl, uint64_t rate, uint64_t now_ns)
{
	if (rl->rate != 0)
		refill(rl, now_ns);
	else
		rl->tokens = 0; /* from unlimited: start empty, no burst */
	rl->last_ns = now_ns;
	rl->rate = rate;
	rl->burst = burst_of(rate);
	if (rl->tokens > (int64_t)rl->burst)
		rl->tokens = (int64_t)rl->burst;
	rl->carry = 0;
}

size_t
ratelimit_room(struct ratelimit *rl, uint64_t now_ns)
{
	if (rl->rate == 0)
		return SIZE_MAX;
	refill(rl, now_ns);
	return rl->tokens > 0 ? (size_t)rl->tokens : 0;
}

void
ratelimit_charge(struct ratelimit *rl, size_t n, uint64_t now_ns)
{
	rl->total += n;
	if (rl->rate == 0)
		return;
	refill(rl, now_ns);
	/* a debt of more than a few seconds cannot come from one read or
	 * record; the bound only keeps the arithmetic in range */
	if ((uint64_t)n > (uint64_t)INT64_MAX / 4)
		n = (size_t)(INT64_MAX / 4);
	rl->tokens -= (int64_t)n;
	if (rl->tokens < INT64_MIN / 2)
		rl->tokens = INT64_MIN / 2;
}

uint64_t
ratelimit_wait_ms(struct ratelimit *rl, uint64_t now_ns)
{
	int64_t want;
	unsigned __int128 ns;
	uint64_t ms;

	if (rl->rate == 0)
		return 0;
	refill(rl, now_ns);
	want = (int64_t)quantum_of(rl);
	if (rl->tokens >= want)
		return 0;
	/* byte-nanoseconds still to earn, minus the carry already earned */
	ns = (unsigned __int128)(uint64_t)(want - rl->tokens) * NS;
	ns = ns > rl->carry ? ns - rl->carry : 0;
	ns = (ns + rl->rate - 1) / rl->rate; /* nanoseconds */
	ms = (uint64_t)((ns + 999999) / 1000000);
	return ms == 0 ? 1 : ms;
}
