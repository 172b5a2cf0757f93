/*
 * ratelimit: a token bucket that paces a byte stream to a rate, for the
 * peer's upload and download limits (`drizzle peer --max-upload`,
 * `--max-download`). One bucket may be shared by many connections of one
 * loop (conn_set_pace): their bytes together keep to the rate.
 *
 * Tokens are bytes. They accrue at `rate` per second up to a burst of a
 * tenth of a second's worth (at least RATELIMIT_BURST_MIN), so over any
 * window of T seconds at most rate * T + burst + one chunk pass: at
 * 2 MiB/s and T = 10 s that is within 1.3 % of the limit. Charging may
 * take the bucket into debt (a read of 64 KiB that was already in the
 * socket, a TLS record): later bytes wait until the debt is repaid, so
 * the average stays exact. A rate of 0 is unlimited.
 *
 * Time is the caller's (nanoseconds of a monotonic clock, uv_hrtime), so
 * the bucket is pure arithmetic and its tests need no clock. Not thread
 * safe: one loop thread. Not for: fairness between connections (whoever
 * asks first when tokens are there takes them), or counting messages.
 */
#ifndef DZ_RATELIMIT_H
#define DZ_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/* The smallest burst, and the piece worth waking up for (bytes). */
#define RATELIMIT_BURST_MIN 1024u
#define RATELIMIT_QUANTUM (16u * 1024)

struct ratelimit {
	uint64_t rate;    /* bytes per second; 0: unlimited */
	uint64_t burst;   /* most tokens kept */
	int64_t tokens;   /* bytes that may pass now; negative: debt */
	uint64_t carry;   /* refill remainder, in byte-nanoseconds */
	uint64_t last_ns; /* time of the last refill */
	uint64_t total;   /* bytes charged since ratelimit_init */
};

/* ratelimit_init: a full bucket for rate bytes a second (0: unlimited)
 * at time now_ns. */
void ratelimit_init(struct ratelimit *rl, uint64_t rate, uint64_t now_ns);

/* ratelimit_set_rate: change the rate at now_ns; tokens earned so far at
 * the old rate are kept, up to the new burst, and a debt stays owed. */
void ratelimit_set_rate(struct ratelimit *rl, uint64_t rate, uint64_t now_ns);

/* ratelimit_room: bytes that may pass now (SIZE_MAX when unlimited, 0 in
 * debt). */
size_t ratelimit_room(struct ratelimit *rl, uint64_t now_ns);

/* ratelimit_charge: n bytes passed at now_ns (may go into debt). */
void ratelimit_charge(struct ratelimit *rl, size_t n, uint64_t now_ns);

/* ratelimit_wait_ms: milliseconds (rounded up, at least 1) until the
 * bucket holds a quantum (RATELIMIT_QUANTUM, or the burst if smaller),
 * or 0 if it does now or the rate is unlimited. */
uint64_t ratelimit_wait_ms(struct ratelimit *rl, uint64_t now_ns);

#endif
