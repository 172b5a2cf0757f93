/*
 * xfer_int: what put.c and get.c share: the per-slot segment buffers and
 * the per-worker scratch, each allocated once per transfer. Internal to
 * the xfer module.
 */
#ifndef DZ_XFER_INT_H
#define DZ_XFER_INT_H

#include <stdint.h>

#include "client/xfer.h"
#include "core/aead.h"
#include "core/merkle.h"
#include "core/rs.h"

struct xfer_slot {
	uint8_t *seg;       /* plaintext, sealed in place: seg_size + tag bytes */
	uint8_t *frags;     /* n fragments, `stride` bytes apart */
	uint8_t *names;     /* n names of 32 bytes */
	uint32_t len;       /* plaintext bytes in seg */
	int last;
	unsigned ndamaged;  /* get: fragments found missing or bad ... */
	uint8_t *dmg_index; /* ... their indexes (n entries) ... */
	int *dmg_why;       /* ... and why (a dz_err), n entries */
	struct dz_errmsg em;
};

struct xfer_worker {
	struct aead *aead;
	struct rs *rs;
	struct merkle *merkle;
};

struct xfer {
	unsigned k, n, nslots, nworkers;
	uint32_t seg_size;
	int sparse;         /* fragment buffers not populated up front (get) */
	size_t stride;      /* bytes between fragments: header + max payload, rounded */
	struct xfer_slot *slots;
	struct xfer_worker *workers;
};

/*
 * xfer_setup: slots and workers for a k-of-n code over seg_size segments,
 * with pp's threads (0 = one per CPU), fewer if pp's memory budget says so
 * (pp NULL: xfer_params_default). A get (is_get) touches only the
 * fragments it fetches, so its fragment buffers are not populated up front.
 */
int xfer_setup(struct xfer *x, unsigned k, unsigned n, uint32_t seg_size,
    const struct xfer_params *pp, int is_get) DZ_MUST_CHECK;

/*
 * xfer_fit_segment: the segment size a put should use: seg_size, halved
 * (not below RECORD_SEGMIN) until one segment in flight fits pp's memory
 * budget with its n fragments and the store's copies of them. Without it
 * a wide code (1-of-10: ten fragments each the whole segment) would take
 * the client past its bound however few segments are in flight. The size
 * goes into the file record, so a get of the file fits as well (it holds
 * k and a few of the n fragments). pp NULL or a zero budget: seg_size.
 */
uint32_t xfer_fit_segment(unsigned k, unsigned n, uint32_t seg_size,
    const struct xfer_params *pp);

/* xfer_mem: the bytes the buffers of a transfer with nslots slots and
 * nworkers workers are expected to take (xfer_setup's estimate). */
size_t xfer_mem(const struct xfer *x, unsigned nslots, unsigned nworkers,
    unsigned store_copies);
void xfer_teardown(struct xfer *x);

/* xfer_frag: fragment i of slot s. */
static inline uint8_t *
xfer_frag(const struct xfer *x, const struct xfer_slot *s, unsigned i)
{
	return s->frags + (size_t)i * x->stride;
}

#endif
