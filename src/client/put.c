/*
 * put: store a stream as sealed, erasure-coded, named fragments plus one
 * sealed file record.
 *
 * The calling thread reads the input in order, one segment ahead (a
 * segment is known to be the last only once the next read finds the end),
 * and hands each full slot to the workers, which seal, code, name and store
 * it. Completed segments are committed in order: their fragment names are
 * appended to a spool file, not kept in memory, so that memory stays flat
 * however long the file. At the end the spool becomes the record's table,
 * the store syncs the fragments, and only then is the record committed: a
 * record never points at fragments that a crash could lose.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "client/opipe.h"
#include "client/xfer_int.h"
#include "core/fsio.h"
#include "core/frag.h"
#include "core/rstream.h"
#include "core/seg.h"

/* sync the store every this many segments, so durability work is spread
 * over the put rather than piled at its end */
#define PUT_SYNC_EVERY 64

struct put {
	struct xfer x;
	const struct store *st;
	struct record_hdr *hdr; /* sodium_malloc: holds the file key */
	FILE *spool;            /* committed segments' fragment names */
	uint64_t committed;     /* segments committed */
	uint64_t bytes;         /* plaintext bytes committed */
};

static int
put_work(void *ctx, unsigned worker, unsigned slot, uint64_t seq)
{
	struct put *p = ctx;
	struct xfer *x = &p->x;
	struct xfer_slot *s = &x->slots[slot];
	struct xfer_worker *w = &x->workers[worker];
	uint8_t *payloads[RS_MAXN], *frags[RS_MAXN];
	size_t lens[RS_MAXN];
	struct frag_hdr fh;
	uint32_t sealed = s->len + SEG_TAGBYTES;
	uint32_t plen = frag_payload_len(sealed, x->k);
	int rc;

	rc = seg_seal(w->aead, p->hdr->file_key, p->hdr->object_id, seq, s->last,
	    s->seg, s->len, s->seg);
	if (rc != 0)
		return dz_errf(&s->em, rc, "segment %llu: sealing failed",
		    (unsigned long long)seq);
	/* the sealed segment, cut in k payloads (the last zero-padded) */
	for (unsigned i = 0; i < x->n; i++)
		payloads[i] = xfer_frag(x, s, i) + FRAG_HDRBYTES;
	for (unsigned i = 0; i < x->k; i++) {
		size_t off = (size_t)i * plen;
		size_t take = off >= sealed ? 0 : sealed - off < plen ? sealed - off : plen;
		memcpy(payloads[i], s->seg + off, take);
		memset(payloads[i] + take, 0, plen - take);
	}
	rc = rs_encode(w->rs, payloads, plen);
	if (rc != 0)
		return dz_errf(&s->em, rc, "segment %llu: erasure coding failed",
		    (unsigned long long)seq);
	for (unsigned i = 0; i < x->n; i++) {
		uint8_t *f = xfer_frag(x, s, i);
		uint8_t *name = s->names + (size_t)i * MERKLE_HASHBYTES;
		if ((rc = frag_hdr_init(&fh, x->k, x->n, i, sealed)) != 0)
			return dz_errf(&s->em, rc, "segment %llu: bad fragment header",
			    (unsigned long long)seq);
		frag_hdr_encode(&fh, f);
		rc = merkle_build(w->merkle, f, FRAG_HDRBYTES + plen, name);
		if (rc != 0)
			return dz_errf(&s->em, rc, "segment %llu: hashing failed",
			    (unsigned long long)seq);
		lens[i] = FRAG_HDRBYTES + plen;
		frags[i] = f;
	}
	if (p->st->ops->put_seg != NULL)
		return p->st->ops->put_seg(p->st->ctx, p->hdr->object_id, seq, x->k,
		    x->n, frags, lens, s->names, &s->em);
	for (unsigned i = 0; i < x->n; i++) {
		rc = p->st->ops->put_frag(p->st->ctx,
		    s->names + (size_t)i * MERKLE_HASHBYTES, frags[i], lens[i], &s->em);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Forget the fragments of one slot (cleanup after a failure). */
static void
put_forget(struct put *p, const uint8_t *names)
{
	for (unsigned i = 0; i < p->x.n; i++)
		(void)p->st->ops->del_frag(p->st->ctx,
		    names + (size_t)i * MERKLE_HASHBYTES);
}

/* Commit the oldest segment in flight: append its names to the spool. */
static int
put_commit_one(struct put *p, struct opipe *op, const struct xfer_params *pp,
    struct dz_errmsg *em)
{
	struct xfer_slot *s;
	unsigned slot;
	uint64_t seq;
	int rc = opipe_wait(op, &slot, &seq);

	s = &p->x.slots[slot];
	if (rc != 0) {
		/* fragments it stored before failing go too */
		put_forget(p, s->names);
		if (em != NULL)
			*em = s->em;
		return rc;
	}
	if (fwrite(s->names, MERKLE_HASHBYTES, p->x.n, p->spool) != p->x.n)
		return dz_errf(em, DZ_EIO, "cannot write the temporary fragment list: %s",
		    strerror(errno));
	p->committed++;
	p->bytes += s->len;
	if (p->committed % PUT_SYNC_EVERY == 0 &&
	    (rc = p->st->ops->sync(p->st->ctx, em)) != 0)
		return rc;
	if (pp->progress != NULL)
		pp->progress(pp->progress_arg, p->bytes);
	return 0;
}

/* Delete every fragment named in the spool (cleanup after a failure). */
static void
put_forget_spool(struct put *p)
{
	uint8_t names[RS_MAXN * MERKLE_HASHBYTES];

	if (fflush(p->spool) != 0 || fseek(p->spool, 0, SEEK_SET) != 0)
		return;
	while (fread(names, MERKLE_HASHBYTES, p->x.n, p->spool) == p->x.n)
		put_forget(p, names);
}

struct put_recw {
	const struct store *st;
	struct store_rec *rec;
};

static int
put_recw_cb(void *ctx, const uint8_t *buf, size_t len)
{
	struct put_recw *w = ctx;

	return w->st->ops->rec_write(w->rec, buf, len);
}

/* Zeros after the table, up to the record's size bucket (record.h), so
 * that the record's length does not give away the name's. */
static int
put_record_pad(struct put *p, struct rstream_w *rw, size_t hlen, struct dz_errmsg *em)
{
	static const uint8_t zeros[4096];
	uint64_t total, left;
	int rc;

	if ((rc = record_padded_len(p->hdr, &total)) != 0)
		return dz_errf(em, rc, "the file record is too large");
	left = total - hlen - p->committed * record_entry_bytes(p->x.n);
	while (left > 0) {
		size_t take = left < sizeof(zeros) ? (size_t)left : sizeof(zeros);

		if ((rc = rstream_w_write(rw, zeros, take)) != 0)
			return dz_errf(em, rc, "cannot write the file record");
		left -= take;
	}
	return 0;
}

/* Write and commit the sealed record: header, then the spooled table,
 * then the padding. */
static int
put_record(struct put *p, const uint8_t folder_key[static 32],
    struct dz_errmsg *em)
{
	uint8_t names[RS_MAXN * MERKLE_HASHBYTES];
	uint8_t *hbuf = NULL, *key = NULL;
	struct rstream_w *rw = NULL;
	struct aead *a = NULL;
	struct put_recw w = {p->st, NULL};
	size_t hlen, entry = record_entry_bytes(p->x.n);
	int rc;

	hbuf = sodium_malloc(RECORD_MAXHDR); /* holds the file key */
	key = sodium_malloc(32);
	if (hbuf == NULL || key == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if ((rc = record_hdr_encode(p->hdr, hbuf, RECORD_MAXHDR, &hlen)) != 0) {
		dz_errf(em, rc, "cannot encode the file record");
		goto out;
	}
	record_key(folder_key, p->hdr->object_id, key);
	if ((rc = aead_new(&a)) != 0)
		goto out;
	rc = p->st->ops->rec_create(p->st->ctx, p->hdr->object_id, &w.rec, em);
	if (rc != 0)
		goto out;
	if ((rc = rstream_w_new(a, key, p->hdr->object_id, put_recw_cb, &w, &rw)) != 0 ||
	    (rc = rstream_w_write(rw, hbuf, hlen)) != 0) {
		dz_errf(em, rc, "cannot write the file record");
		goto out;
	}
	if (fflush(p->spool) != 0 || fseek(p->spool, 0, SEEK_SET) != 0) {
		rc = dz_errf(em, DZ_EIO, "cannot read back the temporary fragment list: %s",
		    strerror(errno));
		goto out;
	}
	for (uint64_t i = 0; i < p->committed; i++) {
		if (fread(names, entry, 1, p->spool) != 1) {
			rc = dz_errf(em, DZ_EIO, "cannot read back the temporary fragment list");
			goto out;
		}
		if ((rc = rstream_w_write(rw, names, entry)) != 0) {
			dz_errf(em, rc, "cannot write the file record");
			goto out;
		}
	}
	if ((rc = put_record_pad(p, rw, hlen, em)) != 0)
		goto out;
	if ((rc = rstream_w_close(rw)) != 0) {
		dz_errf(em, rc, "cannot write the file record");
		goto out;
	}
	/* fragments first, then the record that points at them */
	if ((rc = p->st->ops->sync(p->st->ctx, em)) != 0)
		goto out;
	rc = p->st->ops->rec_commit(w.rec, em);
	w.rec = NULL;
out:
	if (w.rec != NULL)
		p->st->ops->rec_close(w.rec);
	rstream_w_free(rw);
	aead_free(a);
	sodium_free(hbuf); /* wipes */
	sodium_free(key);
	return rc;
}

/* Did the regular file at fd change (size or modification time) since
 * *before was taken, or give other than its size in bytes? A put that
 * read a file being written stores neither the old nor the new file. */
static int
put_changed(int fd, const struct stat *before, uint64_t bytes, struct dz_errmsg *em)
{
	struct stat now;

	if (!S_ISREG(before->st_mode))
		return 0;
	if (fstat(fd, &now) != 0)
		return dz_errf(em, DZ_EIO, "cannot check the input: %s", strerror(errno));
	if (now.st_size != before->st_size || bytes != (uint64_t)before->st_size ||
	    now.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != before->st_mtim.tv_nsec)
		return dz_errf(em, DZ_EIO, "the file changed while it was being read "
		    "(its size or modification time); nothing was stored, try again "
		    "once it is no longer written to");
	return 0;
}

/* DZ_EINTR if the caller asked the put to stop (pp->stop), else 0. */
static int
put_stopped(const struct xfer_params *pp, struct dz_errmsg *em)
{
	if (pp->stop == NULL || !pp->stop(pp->stop_arg))
		return 0;
	return dz_errf(em, DZ_EINTR, "interrupted; what was stored of it is forgotten");
}

int
put_file(const struct store *st, const uint8_t folder_key[static 32], int fd,
    const struct xfer_file *fi, const struct xfer_params *pp,
    uint8_t object_id[static RECORD_IDBYTES], uint64_t *size,
    struct dz_errmsg *em)
{
	struct put p;
	struct opipe *op = NULL;
	struct xfer_slot *s;
	struct stat before;
	size_t got, namelen = strlen(fi->name);
	int rc, failed = 0;

	memset(&p, 0, sizeof(p));
	p.st = st;
	if (fstat(fd, &before) != 0)
		return dz_errf(em, DZ_EIO, "cannot read the input: %s", strerror(errno));
	if (namelen > RECORD_MAXNAME)
		return dz_errf(em, DZ_ERANGE, "the file name is longer than %d bytes",
		    RECORD_MAXNAME);
	/* the whole file against the quota before a byte goes out (a
	 * regular file's size; a pipe's is known only as it comes) */
	if (st->ops->reserve != NULL && S_ISREG(before.st_mode) &&
	    (rc = st->ops->reserve(st->ctx, (uint64_t)before.st_size, em)) != 0)
		return rc;
	rc = xfer_setup(&p.x, pp->k, pp->n, xfer_fit_segment(pp->k, pp->n,
	    pp->seg_size, pp), pp, 0);
	if (rc != 0)
		return dz_errf(em, rc, "cannot set up a %u-of-%u transfer with %u-byte segments",
		    pp->k, pp->n, pp->seg_size);
	p.hdr = sodium_malloc(sizeof(*p.hdr));
	p.spool = tmpfile();
	if (p.hdr == NULL || p.spool == NULL) {
		rc = dz_errf(em, p.hdr == NULL ? DZ_ENOMEM : DZ_EIO,
		    "cannot create a temporary file: %s", strerror(errno));
		goto out;
	}
	memset(p.hdr, 0, sizeof(*p.hdr));
	randombytes_buf(p.hdr->object_id, sizeof(p.hdr->object_id));
	randombytes_buf(p.hdr->file_key, sizeof(p.hdr->file_key));
	if (pp->begin != NULL &&
	    (rc = pp->begin(pp->begin_arg, p.hdr->object_id, em)) != 0)
		goto out; /* nothing stored yet: nothing to undo */
	rc = opipe_new(p.x.nslots, p.x.nworkers, put_work, &p, &op);
	if (rc != 0)
		goto out;

	s = &p.x.slots[opipe_next_slot(op)];
	rc = fsio_read_full(fd, s->seg, p.x.seg_size, &got);
	for (;;) {
		if (rc == 0 && (rc = put_stopped(pp, em)) != 0)
			break;
		if (rc != 0) {
			rc = dz_errf(em, rc, "cannot read the input: %s", strerror(errno));
			break;
		}
		s->len = (uint32_t)got;
		if (got < p.x.seg_size) { /* the input ended inside this segment */
			s->last = 1;
			opipe_submit(op);
			break;
		}
		/* a full segment: read the next one to learn if this is the last */
		while (opipe_inflight(op) + 2 > p.x.nslots && rc == 0)
			rc = put_commit_one(&p, op, pp, em);
		if (rc != 0)
			break;
		struct xfer_slot *next =
		    &p.x.slots[(opipe_next_slot(op) + 1) % p.x.nslots];
		rc = fsio_read_full(fd, next->seg, p.x.seg_size, &got);
		if (rc == 0 && got == 0) {
			s->last = 1;
			opipe_submit(op);
			break;
		}
		s->last = 0;
		opipe_submit(op);
		s = next;
	}
	while (opipe_inflight(op) > 0) {
		if (rc == 0) {
			rc = put_commit_one(&p, op, pp, em);
		} else {
			unsigned slot;
			uint64_t seq;
			(void)opipe_wait(op, &slot, &seq);
			put_forget(&p, p.x.slots[slot].names);
		}
	}
	if (rc == 0)
		rc = put_changed(fd, &before, p.bytes, em);
	/* interrupted after the last read: still nothing committed, so undo */
	if (rc == 0)
		rc = put_stopped(pp, em);
	if (rc != 0) {
		failed = 1;
		goto out;
	}
	p.hdr->size = p.bytes;
	p.hdr->nsegs = p.committed;
	p.hdr->seg_size = p.x.seg_size;
	p.hdr->k = (uint8_t)p.x.k;
	p.hdr->n = (uint8_t)p.x.n;
	p.hdr->mtime_sec = fi->mtime_sec;
	p.hdr->mtime_nsec = fi->mtime_nsec;
	p.hdr->mode = fi->mode;
	p.hdr->name_len = (uint16_t)namelen;
	memcpy(p.hdr->name, fi->name, namelen + 1);
	rc = put_record(&p, folder_key, em);
	if (rc != 0) {
		failed = 1;
		goto out;
	}
	memcpy(object_id, p.hdr->object_id, RECORD_IDBYTES);
	*size = p.bytes;
out:
	opipe_free(op);
	if (failed && p.spool != NULL)
		put_forget_spool(&p);
	if (failed && p.hdr != NULL && st->ops->del_obj != NULL)
		(void)st->ops->del_obj(st->ctx, p.hdr->object_id);
	if (p.spool != NULL)
		fclose(p.spool);
	sodium_free(p.hdr);
	xfer_teardown(&p.x);
	return rc;
}
