/*
 * iopool: a few threads that run the items of a batch in parallel, for
 * I/O that would otherwise wait one item at a time (a segment's n fragment
 * files, later its n uploads). Several threads may run batches at once;
 * the caller works on its own batch too, so a batch always progresses.
 * Not for CPU work: the pipelines' opipe spreads that over the cores.
 */
#ifndef DZ_IOPOOL_H
#define DZ_IOPOOL_H

#include "core/err.h"

struct iopool;

/* iopool_new: start nthreads helper threads (0 is allowed: the caller then
 * runs every item itself). */
int iopool_new(unsigned nthreads, struct iopool **out) DZ_MUST_CHECK;

/* iopool_run: call fn(arg, i) for i in [0, n), in parallel, and return when
 * all have returned: 0, or the first non-zero result (every item still
 * runs, so the caller knows nothing is left in flight). */
int iopool_run(struct iopool *p, unsigned n, int (*fn)(void *arg, unsigned i),
    void *arg);

/* iopool_free: stop and join the threads (no batch may be running). */
void iopool_free(struct iopool *p);

#endif
