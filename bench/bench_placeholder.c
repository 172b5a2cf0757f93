/*
 * bench_placeholder: what placeholders cost (docs/trading.md, "Earning"),
 * for bench/placeholder.sh. For each block size and rounds given as
 * SIZE:ROUNDS pairs, prints the time to make one block (what an honest
 * peer pays once per block, and the coordinator once per check), the
 * time to prove a kept block (hash of the whole block, from memory), and
 * their ratio: the deadline must sit between the two, and the ratio is
 * how many cores a cheat regenerating one block would need to answer in
 * time.
 *
 *   bench_placeholder [SIZE:ROUNDS ...]   (default 16M:32 4M:32 1M:256)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/phblock.h"

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
one(size_t size, unsigned rounds)
{
	uint8_t seed[PHBLOCK_SEEDBYTES], nonce[PHBLOCK_NONCEBYTES], h[PHBLOCK_HASHBYTES];
	uint8_t *b = malloc(size);
	double t0, make, prove;
	int reps = 0;

	if (b == NULL)
		return 1;
	randombytes_buf(seed, sizeof(seed));
	randombytes_buf(nonce, sizeof(nonce));
	t0 = now();
	if (phblock_make(seed, 7, rounds, b, size) != 0) {
		free(b);
		return 1;
	}
	make = now() - t0;
	t0 = now();
	do {
		phblock_prove(nonce, b, size, h);
		reps++;
	} while (now() - t0 < 0.2);
	prove = (now() - t0) / reps;
	printf("block %6zu KiB, %5u rounds: make %8.3f s (%6.1f MB/s), prove %7.2f ms, "
	    "ratio %6.0f; filling 1 GiB: %6.0f s of one core, %zu blocks\n",
	    size >> 10, rounds, make, (double)size / make / 1e6, prove * 1e3,
	    make / prove, make * (double)(1u << 30) / (double)size,
	    (size_t)((1u << 30) / size));
	free(b);
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const def[] = {"16M:32", "4M:32", "1M:256", "256K:512"};
	const char *const *v = argc > 1 ? (const char *const *)argv + 1 : def;
	int n = argc > 1 ? argc - 1 : 4;

	if (sodium_init() < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		char *end;
		unsigned long long sz = strtoull(v[i], &end, 10);
		unsigned rounds;

		if (*end == 'K')
			sz <<= 10, end++;
		else if (*end == 'M')
			sz <<= 20, end++;
		if (*end != ':' || sz == 0 || sz % PHBLOCK_PIECE != 0 ||
		    (rounds = (unsigned)strtoul(end + 1, NULL, 10)) == 0) {
			fprintf(stderr, "bench_placeholder: bad SIZE:ROUNDS '%s'\n", v[i]);
			return 2;
		}
		if (one((size_t)sz, rounds) != 0)
			return 1;
	}
	return 0;
}
