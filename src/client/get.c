/*
 * get: rebuild a stored file from its record and any k intact fragments of
 * each segment.
 *
 * The calling thread reads the sealed record as a stream (header, then one
 * table entry per segment, never the whole table at once) and hands each
 * segment's fragment names to the workers; a worker fetches fragments,
 * data ones first so that an intact segment needs no decoding, rejects any
 * whose bytes do not match its name or whose header disagrees with the
 * record, decodes when data fragments are missing, and opens the sealed
 * segment. The calling thread writes segments out in order, so what
 * reaches the output is authentic, and a failure names its segment.
 * get_range runs the same pipeline over just the segments a byte range
 * touches (a small file inside a pack object: pack.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "client/opipe.h"
#include "client/xfer_int.h"
#include "core/frag.h"
#include "core/fsio.h"
#include "core/rstream.h"
#include "core/seg.h"

struct get {
	struct xfer x;
	const struct store *st;
	struct record_hdr *hdr;
	uint64_t base;  /* the segment that pipeline job 0 rebuilds */
};

struct get_recr {
	const struct store *st;
	struct store_rec *rec;
};

static int
get_recr_cb(void *ctx, uint8_t *buf, size_t len)
{
	struct get_recr *r = ctx;

	return r->st->ops->rec_read(r->rec, buf, len);
}

/* Is f (len bytes) fragment i of this segment, intact? Its bytes must
 * match its name, and its header what the record says. */
static int
get_check_frag(struct xfer_worker *w, const struct xfer *x, uint32_t sealed,
    unsigned i, const uint8_t *f, size_t len, const uint8_t *name)
{
	struct frag_hdr fh;
	int rc = frag_check(w->merkle, f, len, name, &fh);

	/* The fragment the name stands for has a well-formed header, so bytes
	 * whose header does not parse are not it: say so, whatever the
	 * parser's reason (garbage, cut short, another version). */
	if (rc == DZ_EFORMAT || rc == DZ_EVERSION || rc == DZ_ETRUNC || rc == DZ_ERANGE)
		rc = DZ_EINTEGRITY;
	if (rc == 0 && (fh.k != x->k || fh.n != x->n || fh.index != i ||
	    fh.seg_len != sealed))
		rc = DZ_EFORMAT; /* intact, but not the fragment the record expects */
	return rc;
}

struct get_check {
	struct xfer_worker *w;
	const struct xfer *x;
	uint32_t sealed;
	const uint8_t *names;
};

static int
get_check_one(void *arg, unsigned i, const uint8_t *buf, size_t len)
{
	struct get_check *c = arg;

	return get_check_frag(c->w, c->x, c->sealed, i, buf, len,
	    c->names + (size_t)i * MERKLE_HASHBYTES);
}

static int
get_work(void *ctx, unsigned worker, unsigned slot, uint64_t job)
{
	struct get *g = ctx;
	struct xfer *x = &g->x;
	struct xfer_slot *s = &x->slots[slot];
	struct xfer_worker *w = &x->workers[worker];
	uint8_t *payloads[RS_MAXN];
	uint8_t have[RS_MAXN];
	struct dz_errmsg fem;
	uint32_t sealed = s->len + SEG_TAGBYTES;
	/* the segment's number in the file, what its seal is bound to */
	uint64_t seq = g->base + job;
	uint32_t plen = frag_payload_len(sealed, x->k);
	unsigned got = 0, missing = 0, bad = 0, need_decode = 0;
	int rc, lastbad = 0;
	size_t len;

	memset(have, 0, sizeof(have));
	s->ndamaged = 0;
	for (unsigned i = 0; i < x->n; i++)
		payloads[i] = xfer_frag(x, s, i) + FRAG_HDRBYTES;
	if (g->st->ops->get_seg != NULL) {
		/* the store races its sources; we judge each fragment as it comes */
		struct get_check gc = {w, x, sealed, s->names};
		uint8_t *frags[RS_MAXN];
		size_t lens[RS_MAXN];
		int why[RS_MAXN];
		for (unsigned i = 0; i < x->n; i++)
			frags[i] = xfer_frag(x, s, i);
		fem.text[0] = '\0';
		rc = g->st->ops->get_seg(g->st->ctx, x->k, x->n, s->names, frags,
		    x->stride, lens, have, why, get_check_one, &gc, &fem);
		/* the store could not even ask (the coordinator did not say
		 * where the fragments are): its reason, not a count of none */
		if (rc != 0 && rc != DZ_ETOOFEW) {
			unsigned any = 0;

			for (unsigned i = 0; i < x->n; i++)
				any |= have[i] | (why[i] != 0);
			if (!any)
				return dz_errf(&s->em, rc, "segment %llu: %s",
				    (unsigned long long)seq,
				    fem.text[0] != '\0' ? fem.text : dz_strerror(rc));
		}
		for (unsigned i = 0; i < x->n; i++) {
			got += have[i] != 0;
			if (have[i] || why[i] == 0)
				continue;
			if (why[i] == DZ_ENOENT || why[i] == DZ_EIO || why[i] == DZ_ECONNECT)
				missing++;
			else {
				bad++;
				lastbad = why[i];
			}
			s->dmg_index[s->ndamaged] = (uint8_t)i;
			s->dmg_why[s->ndamaged++] = why[i];
		}
	} else {
		/* data fragments first: when they are all intact, nothing to decode */
		for (unsigned i = 0; i < x->n && got < x->k; i++) {
			uint8_t *f = xfer_frag(x, s, i);
			const uint8_t *name = s->names + (size_t)i * MERKLE_HASHBYTES;
			rc = g->st->ops->get_frag(g->st->ctx, name, f, x->stride, &len, &fem);
			if (rc == 0)
				rc = get_check_frag(w, x, sealed, i, f, len, name);
			if (rc != 0) {
				if (rc == DZ_ENOENT)
					missing++;
				else {
					bad++;
					lastbad = rc;
				}
				s->dmg_index[s->ndamaged] = (uint8_t)i;
				s->dmg_why[s->ndamaged++] = rc;
				continue;
			}
			have[i] = 1;
			got++;
		}
	}
	if (got < x->k)
		return dz_errf(&s->em, DZ_ETOOFEW,
		    "segment %llu: only %u of the %u fragments it needs are intact (%u missing, %u corrupt%s%s)",
		    (unsigned long long)seq, got, x->k, missing, bad,
		    bad ? ": " : "", bad ? dz_strerror(lastbad) : "");
	for (unsigned i = 0; i < x->k; i++)
		if (!have[i])
			need_decode = 1;
	if (need_decode && (rc = rs_decode(w->rs, payloads, have, plen)) != 0)
		return dz_errf(&s->em, rc, "segment %llu: decoding failed",
		    (unsigned long long)seq);
	for (unsigned i = 0; i < x->k; i++) {
		size_t off = (size_t)i * plen;
		if (off >= sealed)
			break;
		memcpy(s->seg + off, payloads[i], sealed - off < plen ? sealed - off : plen);
	}
	rc = seg_open(w->aead, g->hdr->file_key, g->hdr->object_id, seq, s->last,
	    s->seg, sealed, s->seg);
	if (rc != 0)
		return dz_errf(&s->em, rc,
		    "segment %llu failed authentication: it was altered, moved or belongs to another file",
		    (unsigned long long)seq);
	return 0;
}

/* Open object id's record under its record key and read its header; r
 * is left open just past the header, for the table. */
static int
get_open_record_key(const struct store *st, const uint8_t rkey[static 32],
    const uint8_t id[static RECORD_IDBYTES], struct record_hdr *hdr,
    struct get_recr *r, struct aead **a, struct rstream_r **rr,
    struct dz_errmsg *em)
{
	uint8_t seen[RECORD_IDBYTES];
	uint8_t *hbuf = NULL;
	uint32_t hlen;
	int rc;

	r->st = st;
	r->rec = NULL;
	*a = NULL;
	*rr = NULL;
	if ((rc = st->ops->rec_open(st->ctx, id, &r->rec, em)) != 0)
		return rc;
	if ((hbuf = sodium_malloc(RECORD_MAXHDR)) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if ((rc = aead_new(a)) != 0)
		goto out;
	if ((rc = rstream_r_new(get_recr_cb, r, seen, rr)) != 0) {
		dz_errf(em, rc, "the file record is damaged: %s", dz_strerror(rc));
		goto out;
	}
	if (sodium_memcmp(seen, id, RECORD_IDBYTES) != 0) {
		rc = dz_errf(em, DZ_EAUTH, "the file record belongs to another object");
		goto out;
	}
	rstream_r_start(*rr, *a, rkey);
	if ((rc = rstream_r_read(*rr, hbuf, RECORD_PREFIXBYTES)) != 0 ||
	    (rc = record_prefix_parse(hbuf, RECORD_PREFIXBYTES, &hlen)) != 0 ||
	    (rc = rstream_r_read(*rr, hbuf + RECORD_PREFIXBYTES,
		hlen - RECORD_PREFIXBYTES)) != 0 ||
	    (rc = record_hdr_parse(hbuf, hlen, hdr)) != 0) {
		dz_errf(em, rc, "the file record does not open: %s%s", dz_strerror(rc),
		    rc == DZ_EAUTH ? " (wrong key, or the record was altered)" : "");
		goto out;
	}
	if (sodium_memcmp(hdr->object_id, id, RECORD_IDBYTES) != 0)
		rc = dz_errf(em, DZ_EAUTH, "the file record names another object");
out:
	sodium_free(hbuf);
	return rc;
}

/* get_open_record_key with the record key of id in the folder of
 * folder_key. */
static int
get_open_record(const struct store *st, const uint8_t folder_key[static 32],
    const uint8_t id[static RECORD_IDBYTES], struct record_hdr *hdr,
    struct get_recr *r, struct aead **a, struct rstream_r **rr,
    struct dz_errmsg *em)
{
	uint8_t *key = sodium_malloc(32);
	int rc;

	r->st = st;
	r->rec = NULL;
	*a = NULL;
	*rr = NULL;
	if (key == NULL)
		return DZ_ENOMEM;
	record_key(folder_key, id, key);
	rc = get_open_record_key(st, key, id, hdr, r, a, rr, em);
	sodium_free(key);
	return rc;
}

static void
get_close_record(const struct get_recr *r, struct aead *a, struct rstream_r *rr)
{
	rstream_r_free(rr);
	aead_free(a);
	if (r->rec != NULL)
		r->st->ops->rec_close(r->rec);
}

int
get_record(const struct store *st, const uint8_t folder_key[static 32],
    const uint8_t id[static RECORD_IDBYTES], struct record_hdr *hdr,
    struct dz_errmsg *em)
{
	struct get_recr r;
	struct aead *a;
	struct rstream_r *rr;
	int rc = get_open_record(st, folder_key, id, hdr, &r, &a, &rr, em);

	get_close_record(&r, a, rr);
	return rc;
}

int
get_walk(const struct store *st, const uint8_t folder_key[static 32],
    const uint8_t id[static RECORD_IDBYTES],
    int (*fn)(void *arg, uint64_t seg, unsigned n, const uint8_t *names),
    void *arg, struct dz_errmsg *em)
{
	struct record_hdr *hdr = sodium_malloc(sizeof(*hdr));
	uint8_t names[RS_MAXN * MERKLE_HASHBYTES];
	struct get_recr r = {st, NULL};
	struct aead *a = NULL;
	struct rstream_r *rr = NULL;
	int rc;

	if (hdr == NULL)
		return DZ_ENOMEM;
	rc = get_open_record(st, folder_key, id, hdr, &r, &a, &rr, em);
	for (uint64_t seq = 0; rc == 0 && seq < hdr->nsegs; seq++) {
		rc = rstream_r_read(rr, names, record_entry_bytes(hdr->n));
		if (rc != 0)
			dz_errf(em, rc, "the file record is damaged at segment %llu",
			    (unsigned long long)seq);
		else
			rc = fn(arg, seq, hdr->n, names);
	}
	get_close_record(&r, a, rr);
	sodium_free(hdr);
	return rc;
}

/* What a finished segment is handed to: write it out (get_file) or copy
 * the part of it a range asks for (get_range). seg is its number in the
 * file, s its authentic plaintext. */
typedef int (*get_emit_fn)(void *arg, const struct get *g, uint64_t seg,
    const struct xfer_slot *s, struct dz_errmsg *em);

/* Wait for the oldest segment in flight, report its damage, and hand it
 * to emit. */
static int
get_emit_one(struct get *g, struct opipe *op, get_emit_fn emit, void *arg,
    uint64_t *done, const struct xfer_params *pp, struct dz_errmsg *em)
{
	unsigned slot;
	uint64_t job;
	int rc = opipe_wait(op, &slot, &job);
	struct xfer_slot *s = &g->x.slots[slot];

	if (pp != NULL && pp->damage != NULL)
		for (unsigned i = 0; i < s->ndamaged; i++)
			pp->damage(pp->damage_arg, g->base + job, s->dmg_index[i],
			    s->names + (size_t)s->dmg_index[i] * MERKLE_HASHBYTES,
			    s->dmg_why[i]);
	if (rc != 0) {
		if (em != NULL)
			*em = s->em;
		return rc;
	}
	if ((rc = emit(arg, g, g->base + job, s, em)) != 0)
		return rc;
	*done += s->len;
	if (pp != NULL && pp->progress != NULL)
		pp->progress(pp->progress_arg, *done);
	return 0;
}

/* Rebuild segments g->base .. end - 1, their table entries next in rr,
 * in order through emit; *done counts their plaintext bytes. */
static int
get_segments(struct get *g, struct rstream_r *rr, uint64_t end, get_emit_fn emit,
    void *arg, uint64_t *done, const struct xfer_params *pp, struct dz_errmsg *em)
{
	struct opipe *op = NULL;
	int rc;

	*done = 0;
	if ((rc = opipe_new(g->x.nslots, g->x.nworkers, get_work, g, &op)) != 0)
		return rc;
	for (uint64_t seq = g->base; seq < end && rc == 0; seq++) {
		while (opipe_inflight(op) >= g->x.nslots && rc == 0)
			rc = get_emit_one(g, op, emit, arg, done, pp, em);
		if (rc == 0 && pp != NULL && pp->stop != NULL && pp->stop(pp->stop_arg))
			rc = dz_errf(em, DZ_EINTR, "interrupted");
		if (rc != 0)
			break;
		struct xfer_slot *s = &g->x.slots[opipe_next_slot(op)];
		rc = rstream_r_read(rr, s->names, record_entry_bytes(g->x.n));
		if (rc != 0) {
			dz_errf(em, rc, "the file record is damaged at segment %llu: %s",
			    (unsigned long long)seq, dz_strerror(rc));
			break;
		}
		s->len = record_seg_len(g->hdr, seq);
		s->last = seq + 1 == g->hdr->nsegs;
		opipe_submit(op);
	}
	while (opipe_inflight(op) > 0) {
		if (rc == 0) {
			rc = get_emit_one(g, op, emit, arg, done, pp, em);
		} else {
			unsigned slot;
			uint64_t job;
			(void)opipe_wait(op, &slot, &job);
		}
	}
	opipe_free(op);
	return rc;
}

static int
get_emit_fd(void *arg, const struct get *g, uint64_t seg, const struct xfer_slot *s,
    struct dz_errmsg *em)
{
	int rc = fsio_write_all(*(const int *)arg, s->seg, s->len);

	(void)g;
	(void)seg;
	if (rc != 0)
		return dz_errf(em, rc, "cannot write the output: %s", strerror(errno));
	return 0;
}

/* Read the zeros that follow the table of a padded record (version 2 on:
 * record.h): exactly as many as its size bucket asks for, all zero. */
static int
get_padding(struct rstream_r *rr, const struct record_hdr *hdr, struct dz_errmsg *em)
{
	uint8_t buf[4096];
	uint64_t total, left;
	int rc;

	if ((rc = record_padded_len(hdr, &total)) != 0)
		return dz_errf(em, DZ_EFORMAT, "the file record is too large");
	left = total - record_hdr_len(hdr) - hdr->nsegs * record_entry_bytes(hdr->n);
	while (left > 0) {
		size_t take = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		if ((rc = rstream_r_read(rr, buf, take)) != 0)
			return dz_errf(em, rc, "the file record's padding is cut short: %s",
			    dz_strerror(rc));
		for (size_t i = 0; i < take; i++)
			if (buf[i] != 0)
				return dz_errf(em, DZ_EFORMAT,
				    "the file record's padding is not zeros");
		left -= take;
	}
	return 0;
}

int
get_file(const struct store *st, const uint8_t folder_key[static 32],
    const uint8_t id[static RECORD_IDBYTES], int fd, const struct xfer_params *pp,
    struct record_hdr *hdr_out, struct dz_errmsg *em)
{
	struct get g;
	struct get_recr r = {st, NULL};
	struct aead *a = NULL;
	struct rstream_r *rr = NULL;
	uint64_t done = 0;
	int rc;

	memset(&g, 0, sizeof(g));
	g.st = st;
	g.hdr = sodium_malloc(sizeof(*g.hdr));
	if (g.hdr == NULL)
		return DZ_ENOMEM;
	rc = get_open_record(st, folder_key, id, g.hdr, &r, &a, &rr, em);
	if (rc != 0)
		goto out;
	rc = xfer_setup(&g.x, g.hdr->k, g.hdr->n, g.hdr->seg_size, pp, 1);
	if (rc != 0) {
		dz_errf(em, rc, "cannot set up the transfer");
		goto out;
	}
	rc = get_segments(&g, rr, g.hdr->nsegs, get_emit_fd, &fd, &done, pp, em);
	if (rc == 0)
		rc = get_padding(rr, g.hdr, em);
	if (rc == 0 && (rc = rstream_r_end(rr)) != 0)
		dz_errf(em, rc, "the file record has data past its last segment");
	if (rc == 0 && done != g.hdr->size)
		rc = dz_errf(em, DZ_EFORMAT, "rebuilt %llu bytes, the record says %llu",
		    (unsigned long long)done, (unsigned long long)g.hdr->size);
	if (rc == 0 && hdr_out != NULL)
		memcpy(hdr_out, g.hdr, sizeof(*g.hdr));
out:
	xfer_teardown(&g.x);
	get_close_record(&r, a, rr);
	sodium_free(g.hdr);
	return rc;
}

/* The range a get_range copies out: [off, off + len) of the file. */
struct get_span {
	uint64_t off, len;
	uint8_t *out;
};

static int
get_emit_span(void *arg, const struct get *g, uint64_t seg, const struct xfer_slot *s,
    struct dz_errmsg *em)
{
	const struct get_span *sp = arg;
	uint64_t start = seg * g->hdr->seg_size, end = start + s->len;
	uint64_t lo = sp->off > start ? sp->off : start;
	uint64_t hi = sp->off + sp->len < end ? sp->off + sp->len : end;

	(void)em;
	if (lo < hi)
		memcpy(sp->out + (lo - sp->off), s->seg + (lo - start), (size_t)(hi - lo));
	return 0;
}

int
get_range(const struct store *st, const uint8_t record_key[static 32],
    const uint8_t id[static RECORD_IDBYTES], uint64_t off, uint64_t len,
    uint8_t *out, const struct xfer_params *pp, struct dz_errmsg *em)
{
	struct get_span sp = {off, len, out};
	struct xfer_params lp;
	struct get g;
	struct get_recr r = {st, NULL};
	struct aead *a = NULL;
	struct rstream_r *rr = NULL;
	uint64_t first, end, done;
	long cpus;
	int rc;

	memset(&g, 0, sizeof(g));
	g.st = st;
	if ((g.hdr = sodium_malloc(sizeof(*g.hdr))) == NULL)
		return DZ_ENOMEM;
	if ((rc = get_open_record_key(st, record_key, id, g.hdr, &r, &a, &rr, em)) != 0)
		goto out;
	if (off > g.hdr->size || len > g.hdr->size - off) {
		rc = dz_errf(em, DZ_ERANGE,
		    "bytes %llu to %llu pass the end of the object (%llu bytes)",
		    (unsigned long long)off, (unsigned long long)(off + len),
		    (unsigned long long)g.hdr->size);
		goto out;
	}
	if (len == 0)
		goto out;
	first = off / g.hdr->seg_size;
	end = (off + len - 1) / g.hdr->seg_size + 1;
	/* no more workers than segments: a small file of a pack is one */
	if (pp != NULL)
		lp = *pp;
	else
		xfer_params_default(&lp);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (lp.threads == 0)
		lp.threads = cpus > 0 ? (unsigned)cpus : 1;
	if (lp.threads > end - first)
		lp.threads = (unsigned)(end - first);
	if ((rc = xfer_setup(&g.x, g.hdr->k, g.hdr->n, g.hdr->seg_size, &lp, 1)) != 0) {
		dz_errf(em, rc, "cannot set up the transfer");
		goto out;
	}
	/* the table up to the first segment asked for: read, not fetched
	 * (the stream is authenticated in order) */
	for (uint64_t seq = 0; seq < first && rc == 0; seq++)
		if ((rc = rstream_r_read(rr, g.x.slots[0].names,
		    record_entry_bytes(g.x.n))) != 0)
			dz_errf(em, rc, "the file record is damaged at segment %llu: %s",
			    (unsigned long long)seq, dz_strerror(rc));
	g.base = first;
	if (rc == 0)
		rc = get_segments(&g, rr, end, get_emit_span, &sp, &done, &lp, em);
out:
	xfer_teardown(&g.x);
	get_close_record(&r, a, rr);
	sodium_free(g.hdr);
	return rc;
}
