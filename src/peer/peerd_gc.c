/*
 * peerd_gc: the storage peer's side of clean-up (docs/protocol.md,
 * "Clean-up"). The coordinator sends GC_FILTER: a Bloom filter of the
 * fragments this peer must keep among the names whose first two bytes lie
 * in lo..hi, and a protection time. The peer deletes each fragment in the
 * range that the filter does not hold and whose file is older than
 * protect seconds by the peer's own clock, so that clocks need not agree
 * and a fragment stored after the coordinator read its records (a put in
 * flight, not committed yet) survives. A Bloom filter has no false
 * negatives, so nothing the coordinator listed is ever deleted; its false
 * positives only keep some garbage until a later round (each filter has a
 * new seed).
 *
 * Only the coordinator this peer pinned may send it: a GC_FILTER from any
 * other key is refused (DZ_EDENIED) and changes nothing. One sweep runs at
 * a time; another arriving meanwhile is refused (DZ_EDENIED, retry later).
 * The sweep runs in the thread pool (it lists every fragment).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/bloom.h"
#include "core/cursor.h"
#include "peer/peerd_gc.h"

#define GC_REPBYTES (8 + 8 + 8)

int
peerd_gc_admit(struct peerd *p, const struct pconn *pc, struct dz_errmsg *em)
{
	char hex[IDENT_HEXBYTES];

	if (!p->co.have_pk)
		return dz_errf(em, DZ_EDENIED, "clean-up refused: this peer has not "
		    "pinned a coordinator yet");
	if (sodium_memcmp(pc->pk, p->co.pk, IDENT_PKBYTES) != 0)
		return dz_errf(em, DZ_EDENIED, "clean-up refused: only the coordinator "
		    "this peer pinned (key %s) may send GC_FILTER",
		    ident_pk_hex(p->co.pk, hex));
	return 0;
}

struct sweep {
	struct fragstore *fs;
	struct bloom b;
	uint16_t lo, hi;
	int64_t cutoff;
	uint64_t examined, deleted, freed;
	struct dz_errmsg *em;
};

static int
sweep_one(void *arg, const uint8_t name[FRAGSTORE_NAMEBYTES], size_t len)
{
	struct sweep *sw = arg;
	unsigned prefix = (unsigned)name[0] << 8 | name[1];
	uint64_t freed = 0;
	int rc;

	(void)len;
	if (prefix < sw->lo || prefix > sw->hi)
		return 0;
	sw->examined++;
	if (bloom_has(&sw->b, name, FRAGSTORE_NAMEBYTES))
		return 0;
	if ((rc = fragstore_del_older(sw->fs, name, sw->cutoff, &freed, sw->em)) < 0)
		return rc;
	if (rc == 1) {
		sw->deleted++;
		sw->freed += freed;
	}
	return 0;
}

int
peerd_gc_work(struct pwork *w)
{
	const struct proto_gc_filter *m = &w->m.gc;
	struct proto_gc_filter_rep r;
	struct sweep sw;
	struct wbuf wb;
	int rc;

	if (atomic_exchange(&w->p->gc_busy, 1) != 0)
		return dz_errf(&w->em, DZ_EDENIED,
		    "a clean-up is already running on this peer: retry later");
	memset(&sw, 0, sizeof(sw));
	sw.fs = w->p->fs;
	sw.lo = m->lo;
	sw.hi = m->hi;
	sw.cutoff = (int64_t)time(NULL) - (int64_t)m->protect;
	sw.em = &w->em;
	/* the decoder accepted it; judged again rather than trusted */
	if ((rc = bloom_view(m->filter, m->filter_len, &sw.b)) != 0) {
		rc = dz_errf(&w->em, rc, "malformed clean-up filter");
		goto out;
	}
	if ((rc = fragstore_list(sw.fs, sweep_one, &sw, &w->em)) != 0)
		goto out;
	r.examined = sw.examined;
	r.deleted = sw.deleted;
	r.freed = sw.freed;
	w->rep_type = PROTO_GC_FILTER_REP;
	w->rep_len = GC_REPBYTES;
	if ((w->rep = malloc(GC_REPBYTES)) == NULL) {
		rc = dz_errf(&w->em, DZ_ENOMEM, "out of memory for a reply");
		goto out;
	}
	wbuf_init(&wb, w->rep, w->rep_len);
	if ((rc = proto_gc_filter_rep_encode(&r, &wb)) != 0)
		rc = dz_errf(&w->em, rc, "cannot encode GC_FILTER_REP");
out:
	atomic_store(&w->p->gc_busy, 0);
	return rc;
}

void
peerd_gc_done(struct peerd *p, const struct pwork *w)
{
	struct proto_gc_filter_rep r;

	if (w->rc != 0) {
		peerd_logf(p, "clean-up failed: %s",
		    w->em.text[0] != '\0' ? w->em.text : dz_strerror(w->rc));
		return;
	}
	if (w->rep == NULL ||
	    proto_gc_filter_rep_decode(w->rep, w->rep_len, &r) != 0 ||
	    r.deleted == 0)
		return; /* nothing to say: rounds that delete nothing are quiet */
	peerd_logf(p, "clean-up: deleted %llu of %llu fragments that no file "
	    "references any more (%llu bytes freed)",
	    (unsigned long long)r.deleted, (unsigned long long)r.examined,
	    (unsigned long long)r.freed);
}
