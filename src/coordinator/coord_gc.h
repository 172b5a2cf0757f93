/*
 * coord_gc: the coordinator's clean-up rounds (coord_gc.c): Bloom filters
 * of what each peer must keep, sent as GC_FILTER every gc_interval
 * seconds. For coord.c only.
 */
#ifndef DZ_COORD_GC_H
#define DZ_COORD_GC_H

#include "coordinator/coord_int.h"

/* coord_gc_start: start the rounds' timer (none if opts.gc_interval is
 * 0). 0, or DZ_EIO / DZ_ENOMEM / a TLS error with em. */
int coord_gc_start(struct coord *co, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_gc_stop: close the timer and make a running round end after the
 * peer it is at. Loop thread; idempotent. */
void coord_gc_stop(struct coord *co);

/* coord_gc_free: release the state, once the loop has run out. */
void coord_gc_free(struct coord *co);

#endif
