/*
 * xfer: buffers and scratch shared by put_file and get_file, allocated once
 * per transfer and touched up front so that no page fault (12-20 us each
 * on our virtual machines) lands in the middle of the pipeline.
 */
#include "client/xfer_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/frag.h"
#include "core/seg.h"

#include <sodium.h>

void
xfer_params_default(struct xfer_params *p)
{
	memset(p, 0, sizeof(*p));
	p->k = 4;
	p->n = 12;
	p->seg_size = RECORD_SEGDEFAULT;
	p->mem_budget = XFER_MEM_BUDGET;
}

/* One mapping per buffer, populated at once unless sparse: large,
 * long-lived, and freed back to the system at the end. */
static void *
map_buf(size_t len, int sparse)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | (sparse ? 0 : MAP_POPULATE), -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void
unmap_buf(void *p, size_t len)
{
	if (p != NULL)
		munmap(p, len);
}

static size_t
seg_cap(const struct xfer *x)
{
	return (size_t)x->seg_size + SEG_TAGBYTES;
}

/* A fragment's buffer: header and payload, page-aligned so that a store
 * can move it with direct I/O. */
static size_t
frag_stride(const struct xfer *x)
{
	size_t payload = frag_payload_len((uint32_t)seg_cap(x), x->k);

	return (FRAG_HDRBYTES + payload + 4095) & ~(size_t)4095;
}

size_t
xfer_mem(const struct xfer *x, unsigned nslots, unsigned nworkers,
    unsigned store_copies)
{
	size_t frags = x->stride * x->n;

	/* every slot holds a segment and its n fragments; each worker's
	 * segment is also in the store's hands (a network store: TLS output
	 * and write buffers, about twice its fragments, measured) */
	return nslots * (seg_cap(x) + frags) + (size_t)nworkers * store_copies * frags;
}

/*
 * Segments in flight within the budget: as many workers as asked, or
 * fewer, keeping the two slots beyond the workers (one being read or
 * written by the caller, one waiting) while they fit, then one. A
 * network transfer is bound by its links, not its cores, and one
 * segment already goes to n peers at once: fewer segments in flight
 * cost it little (measured on a 30-peer testnet: 64 MiB put 10-of-30 in
 * 0.98 s with one worker, 1.19 s with four).
 */
static void
size_pipeline(struct xfer *x, unsigned want, const struct xfer_params *pp)
{
	size_t budget = pp != NULL ? pp->mem_budget : XFER_MEM_BUDGET;
	unsigned copies = pp != NULL ? pp->store_copies : 0;

	x->nworkers = want;
	x->nslots = want + 2;
	if (budget == 0)
		return;
	for (unsigned w = want; w >= 1; w--)
		for (unsigned spare = 2; spare >= 1; spare--)
			if (xfer_mem(x, w + spare, w, copies) <= budget) {
				x->nworkers = w;
				x->nslots = w + spare;
				return;
			}
	x->nworkers = 1; /* the floor: one segment at a time */
	x->nslots = 2;
}

uint32_t
xfer_fit_segment(unsigned k, unsigned n, uint32_t seg_size,
    const struct xfer_params *pp)
{
	struct xfer x;

	if (pp == NULL || pp->mem_budget == 0 || k < 1 || k >= n)
		return seg_size;
	memset(&x, 0, sizeof(x));
	x.k = k;
	x.n = n;
	for (x.seg_size = seg_size; x.seg_size / 2 >= RECORD_SEGMIN;
	    x.seg_size /= 2) {
		x.stride = frag_stride(&x);
		/* the floor of size_pipeline: one worker, one spare slot */
		if (xfer_mem(&x, 2, 1, pp->store_copies) <= pp->mem_budget)
			break;
	}
	return x.seg_size;
}

int
xfer_setup(struct xfer *x, unsigned k, unsigned n, uint32_t seg_size,
    const struct xfer_params *pp, int is_get)
{
	unsigned nworkers = pp != NULL ? pp->threads : 0;

	int rc;

	memset(x, 0, sizeof(*x));
	if (k < 1 || k >= n || n > RS_MAXN || seg_size < RECORD_SEGMIN ||
	    seg_size > RECORD_SEGMAX)
		return DZ_EINVAL;
	if (nworkers == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = cpus < 1 ? 1 : cpus > 16 ? 16 : (unsigned)cpus;
	}
	x->k = k;
	x->n = n;
	x->seg_size = seg_size;
	x->sparse = is_get;
	x->stride = frag_stride(x);
	size_pipeline(x, nworkers, pp);
	x->slots = calloc(x->nslots, sizeof(*x->slots));
	x->workers = calloc(x->nworkers, sizeof(*x->workers));
	if (x->slots == NULL || x->workers == NULL) {
		rc = DZ_ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < x->nslots; i++) {
		struct xfer_slot *s = &x->slots[i];
		s->seg = map_buf(seg_cap(x), 0);
		/* a get fetches k and a few of the n: only those pages are
		 * ever touched, so only those become resident */
		s->frags = map_buf(x->stride * n, x->sparse);
		s->names = calloc(n, MERKLE_HASHBYTES);
		s->dmg_index = calloc(n, 1);
		s->dmg_why = calloc(n, sizeof(*s->dmg_why));
		if (s->seg == NULL || s->frags == NULL || s->names == NULL ||
		    s->dmg_index == NULL || s->dmg_why == NULL) {
			rc = DZ_ENOMEM;
			goto fail;
		}
	}
	for (unsigned i = 0; i < x->nworkers; i++) {
		struct xfer_worker *w = &x->workers[i];
		if ((rc = aead_new(&w->aead)) != 0 ||
		    (rc = rs_new(k, n, &w->rs)) != 0 ||
		    (rc = merkle_new(x->stride, &w->merkle)) != 0)
			goto fail;
	}
	return 0;
fail:
	xfer_teardown(x);
	return rc;
}

void
xfer_teardown(struct xfer *x)
{
	if (x->slots != NULL) {
		for (unsigned i = 0; i < x->nslots; i++) {
			struct xfer_slot *s = &x->slots[i];
			/* plaintext passed through here: wipe before unmapping */
			if (s->seg != NULL)
				sodium_memzero(s->seg, seg_cap(x));
			unmap_buf(s->seg, seg_cap(x));
			unmap_buf(s->frags, x->stride * x->n);
			free(s->names);
			free(s->dmg_index);
			free(s->dmg_why);
		}
		free(x->slots);
	}
	if (x->workers != NULL) {
		for (unsigned i = 0; i < x->nworkers; i++) {
			aead_free(x->workers[i].aead);
			rs_free(x->workers[i].rs);
			merkle_free(x->workers[i].merkle);
		}
		free(x->workers);
	}
	memset(x, 0, sizeof(*x));
}
