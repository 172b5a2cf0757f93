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
}

/* One mapping per buffer, populated at once: large, long-lived, and freed
 * back to the system at the end. */
static void *
map_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

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

int
xfer_setup(struct xfer *x, unsigned k, unsigned n, uint32_t seg_size,
    unsigned nworkers)
{
	size_t payload;
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
	x->nworkers = nworkers;
	/* one slot per worker, one being read or written by the caller, one
	 * waiting: enough to keep every core busy, and no more memory */
	x->nslots = nworkers + 2;
	payload = frag_payload_len((uint32_t)seg_cap(x), k);
	/* page-aligned fragments let a store move them with direct I/O */
	x->stride = (FRAG_HDRBYTES + payload + 4095) & ~(size_t)4095;
	x->slots = calloc(x->nslots, sizeof(*x->slots));
	x->workers = calloc(x->nworkers, sizeof(*x->workers));
	if (x->slots == NULL || x->workers == NULL) {
		rc = DZ_ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < x->nslots; i++) {
		struct xfer_slot *s = &x->slots[i];
		s->seg = map_buf(seg_cap(x));
		s->frags = map_buf(x->stride * n);
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
