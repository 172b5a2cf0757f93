/*
 * opipe: an ordered work pipeline: jobs submitted in sequence, worked on by
 * several threads at once, completed in the same sequence.
 *
 * The put and get pipelines both read or write a stream in order while the
 * costly middle (sealing, coding, hashing; fetching, checking, decoding)
 * runs on every core. Job number s uses slot s % nslots, so the caller
 * preallocates one buffer set per slot and never allocates per job; a slot
 * may be refilled once opipe_wait has returned the job that used it. Each
 * worker has a fixed index, so per-thread scratch (cipher contexts, coders)
 * is allocated once too. The caller is a single thread.
 */
#ifndef DZ_OPIPE_H
#define DZ_OPIPE_H

#include <stdint.h>

#include "core/err.h"

/* work: do job `seq` in slot `slot` on worker `worker`; 0 or a dz_err. */
typedef int (*opipe_work_fn)(void *ctx, unsigned worker, unsigned slot, uint64_t seq);

struct opipe;

/* opipe_new: start nworkers threads over nslots slots. */
int opipe_new(unsigned nslots, unsigned nworkers, opipe_work_fn fn, void *ctx,
    struct opipe **out) DZ_MUST_CHECK;

/* opipe_next_slot: the slot the next submitted job will use. It is free
 * only when opipe_inflight() < nslots. */
unsigned opipe_next_slot(const struct opipe *p);
unsigned opipe_inflight(const struct opipe *p);

/* opipe_submit: queue the next job (its slot must have been filled). */
void opipe_submit(struct opipe *p);

/* opipe_wait: wait for the oldest job in flight to finish; *slot and *seq
 * name it. Returns the job's result. Must not be called with none in flight. */
int opipe_wait(struct opipe *p, unsigned *slot, uint64_t *seq);

/* opipe_free: wait for every job in flight, stop the threads, free. */
void opipe_free(struct opipe *p);

#endif
