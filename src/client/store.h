/*
 * store: the interface between the put/get pipelines and wherever fragments
 * and records live.
 *
 * The pipelines know nothing of disks or networks: they hand sealed,
 * erasure-coded fragments to a store_ops implementation and ask it for them
 * back by name. Today a local directory implements it (dirstore.h); the
 * network client implements the same table. Fragment calls come from
 * several worker threads at once and must be thread-safe; record calls come
 * from one thread. Every function returns 0 or a negative dz_err code and
 * may explain itself in em.
 */
#ifndef DZ_STORE_H
#define DZ_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define STORE_NAMEBYTES 32

struct store_rec; /* an open record, write or read side; owned by the store */

struct store_ops {
	/* put_frag: keep len bytes under name. Need not be durable until the
	 * next sync returns. DZ_ENOSPC when full. */
	int (*put_frag)(void *ctx, const uint8_t name[STORE_NAMEBYTES],
	    const uint8_t *buf, size_t len, struct dz_errmsg *em);
	/* put_seg (may be NULL): store the n fragments of segment seq of
	 * object_id (a k-of-n code), fragment i being lens[i] bytes at
	 * frags[i] named names + 32 * i: the same contract as n put_frag
	 * calls, but a store may overlap them (parallel file writes, parallel
	 * uploads) and must place them apart. A store without put_frag needs
	 * this one. */
	int (*put_seg)(void *ctx, const uint8_t object_id[STORE_NAMEBYTES],
	    uint64_t seq, unsigned k, unsigned n, uint8_t *const frags[],
	    const size_t lens[], const uint8_t *names, struct dz_errmsg *em);
	/* get_seg (may be NULL): fetch at least k of the n fragments named
	 * names (32 bytes each) of one segment into frags[i] (cap bytes each),
	 * judging each with check(check_arg, i, buf, len) (0 = keep) as it
	 * arrives; have[i] = 1 and lens[i] for the kept, why[i] = a dz_err
	 * for those tried and not kept (0 otherwise). 0 once k are kept,
	 * DZ_ETOOFEW if they cannot be. */
	int (*get_seg)(void *ctx, unsigned k, unsigned n, const uint8_t *names,
	    uint8_t *const frags[], size_t cap, size_t lens[], uint8_t have[],
	    int why[], int (*check)(void *arg, unsigned i, const uint8_t *buf,
	    size_t len), void *check_arg, struct dz_errmsg *em);
	/* del_obj (may be NULL): forget everything stored for object_id
	 * (cleanup of a failed put, or rm). */
	int (*del_obj)(void *ctx, const uint8_t object_id[STORE_NAMEBYTES]);
	/* get_frag: read the fragment called name into buf (cap bytes);
	 * *len gets its size. DZ_ENOENT if the store does not have it,
	 * DZ_ERANGE if it is larger than cap. The bytes are not verified:
	 * the caller checks them against the name. */
	int (*get_frag)(void *ctx, const uint8_t name[STORE_NAMEBYTES],
	    uint8_t *buf, size_t cap, size_t *len, struct dz_errmsg *em);
	/* del_frag: forget a fragment (cleanup of a failed put); a missing
	 * one is not an error. */
	int (*del_frag)(void *ctx, const uint8_t name[STORE_NAMEBYTES]);
	/* reserve (may be NULL): may bytes more (a file's size, before any
	 * of it is stored) be stored? 0, or DZ_EQUOTA saying what would make
	 * room; the store still checks each segment as it goes. */
	int (*reserve)(void *ctx, uint64_t bytes, struct dz_errmsg *em);
	/* sync: make every fragment put so far durable. */
	int (*sync)(void *ctx, struct dz_errmsg *em);

	/* rec_create: start writing the record of object id. */
	int (*rec_create)(void *ctx, const uint8_t id[STORE_NAMEBYTES],
	    struct store_rec **out, struct dz_errmsg *em);
	int (*rec_write)(struct store_rec *r, const uint8_t *buf, size_t len);
	/* rec_commit: make the record durable and visible, then free r. */
	int (*rec_commit)(struct store_rec *r, struct dz_errmsg *em);
	/* rec_open: start reading the record of object id (DZ_ENOENT). */
	int (*rec_open)(void *ctx, const uint8_t id[STORE_NAMEBYTES],
	    struct store_rec **out, struct dz_errmsg *em);
	/* rec_read: exactly len bytes, DZ_ETRUNC at the record's end. */
	int (*rec_read)(struct store_rec *r, uint8_t *buf, size_t len);
	/* rec_close: free r; a record being written and not committed is
	 * discarded. NULL is fine. */
	void (*rec_close)(struct store_rec *r);
};

struct store {
	const struct store_ops *ops;
	void *ctx;
};

#endif
