/*
 * rstream: the sealed chunk stream that carries small objects (file records).
 *
 * Each end of a stream holds one chunk of plaintext (in its struct) and one
 * sealed chunk (a second block), allocated once: memory does not grow with
 * the stream, and nothing is allocated while reading, so a hostile length
 * cannot make us allocate. The key sits in its own sodium_malloc block, and
 * the struct holding the plaintext chunk (a record's plaintext holds file
 * keys) is sodium_malloc memory too: locked, never swapped, wiped on free.
 * That costs ~0.3 ms per stream here, which a listing of many records pays
 * once per record; keys are worth it.
 * Chunks are sealed with seg_seal, whose nonce and associated data bind
 * object id, chunk index and last flag, so reordered, spliced, replayed or
 * dropped chunks do not open. Assumes sodium_init() was called by main().
 *
 * The last chunk always holds fewer than RSTREAM_CHUNK bytes (an exact
 * multiple of RSTREAM_CHUNK ends with an empty last chunk), so the writer
 * emits a chunk as soon as it fills and the reader learns from a chunk's
 * length which last flag to open it with: one decryption per chunk, and one
 * encoding for any plaintext. The byte table is in docs/formats.md.
 */
#include "core/rstream.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/cursor.h"

static const uint8_t rstream_magic[3] = {'D', 'Z', 'S'};
#define RSTREAM_LENBYTES 4
#define RSTREAM_MAXSEALED (RSTREAM_CHUNK + SEG_TAGBYTES)

struct rstream_w {
	struct aead *a;
	rstream_write_fn fn;
	void *ctx;
	uint64_t index; /* of the next chunk to emit */
	size_t fill;    /* plaintext bytes waiting in plain */
	int err;        /* sticky: once a write failed the stream is broken */
	int closed;
	uint8_t object_id[SEG_IDBYTES];
	uint8_t *key; /* SEG_KEYBYTES, sodium_malloc */
	/* sealed_len u32 then the sealed chunk, written in one call */
	uint8_t *out; /* RSTREAM_LENBYTES + RSTREAM_MAXSEALED */
	uint8_t plain[RSTREAM_CHUNK];
};

struct rstream_r {
	struct aead *a;
	rstream_read_fn fn;
	void *ctx;
	uint64_t index; /* of the next chunk to read */
	size_t have;    /* plaintext bytes in plain */
	size_t pos;     /* of them, already handed out */
	int err;        /* sticky */
	int started;
	int seen_last;
	uint8_t object_id[SEG_IDBYTES];
	uint8_t *key; /* SEG_KEYBYTES, sodium_malloc */
	uint8_t *sealed; /* RSTREAM_MAXSEALED */
	uint8_t plain[RSTREAM_CHUNK];
};

/* --- writer --- */

/* rstream_emit: seal the fill bytes waiting as chunk w->index and write
 * sealed_len and the sealed bytes through the callback. */
static int
rstream_emit(struct rstream_w *w, int last)
{
	size_t sealed_len = w->fill + SEG_TAGBYTES;
	int rc;

	rc = seg_seal(w->a, w->key, w->object_id, w->index, last, w->plain,
	    w->fill, w->out + RSTREAM_LENBYTES);
	if (rc != 0)
		return rc;
	le32_put(w->out, (uint32_t)sealed_len);
	if ((rc = w->fn(w->ctx, w->out, RSTREAM_LENBYTES + sealed_len)) != 0)
		return rc;
	w->index++;
	w->fill = 0;
	return 0;
}

int
rstream_w_new(struct aead *a, const uint8_t key[static SEG_KEYBYTES],
    const uint8_t object_id[static SEG_IDBYTES], rstream_write_fn fn, void *ctx,
    struct rstream_w **out)
{
	struct rstream_w *w = NULL;
	uint8_t hdr[RSTREAM_HDRBYTES];
	struct wbuf wb;
	int rc;

	if (out == NULL)
		return DZ_EINVAL;
	*out = NULL;
	if (a == NULL || fn == NULL) {
		rc = DZ_EINVAL;
		goto out;
	}
	/* Only the fields are cleared: the buffers are written before read. */
	if ((w = sodium_malloc(sizeof(*w))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	memset(w, 0, offsetof(struct rstream_w, plain));
	if ((w->key = sodium_malloc(SEG_KEYBYTES)) == NULL ||
	    (w->out = malloc(RSTREAM_LENBYTES + RSTREAM_MAXSEALED)) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	w->a = a;
	w->fn = fn;
	w->ctx = ctx;
	memcpy(w->key, key, SEG_KEYBYTES);
	memcpy(w->object_id, object_id, SEG_IDBYTES);

	wbuf_init(&wb, hdr, sizeof(hdr));
	wbuf_u8(&wb, RSTREAM_VERSION);
	wbuf_bytes(&wb, rstream_magic, sizeof(rstream_magic));
	wbuf_bytes(&wb, object_id, SEG_IDBYTES);
	if ((rc = fn(ctx, hdr, sizeof(hdr))) != 0)
		goto out;
	*out = w;
	w = NULL;
out:
	rstream_w_free(w);
	return rc;
}

int
rstream_w_write(struct rstream_w *w, const uint8_t *buf, size_t len)
{
	size_t n;
	int rc;

	if (w == NULL || (buf == NULL && len > 0) || w->closed)
		return DZ_EINVAL;
	if (w->err != 0)
		return w->err;
	while (len > 0) {
		n = RSTREAM_CHUNK - w->fill;
		if (n > len)
			n = len;
		memcpy(w->plain + w->fill, buf, n);
		w->fill += n;
		buf += n;
		len -= n;
		/* A full chunk is never the last, so it can go now. */
		if (w->fill == RSTREAM_CHUNK && (rc = rstream_emit(w, 0)) != 0)
			return w->err = rc;
	}
	return 0;
}

int
rstream_w_close(struct rstream_w *w)
{
	int rc;

	if (w == NULL || w->closed)
		return DZ_EINVAL;
	if (w->err != 0)
		return w->err;
	/* fill < RSTREAM_CHUNK here: write emits every chunk that fills. */
	if ((rc = rstream_emit(w, 1)) != 0)
		return w->err = rc;
	w->closed = 1;
	return 0;
}

void
rstream_w_free(struct rstream_w *w)
{
	if (w == NULL)
		return;
	sodium_free(w->key); /* wipes it */
	free(w->out);
	sodium_free(w); /* wipes the plaintext chunk */
}

/* --- reader --- */

int
rstream_r_new(rstream_read_fn fn, void *ctx,
    uint8_t object_id[static SEG_IDBYTES], struct rstream_r **out)
{
	struct rstream_r *r = NULL;
	uint8_t hdr[RSTREAM_HDRBYTES];
	const uint8_t *id;
	struct cur c;
	int rc;

	if (out == NULL)
		return DZ_EINVAL;
	*out = NULL;
	if (fn == NULL)
		return DZ_EINVAL;
	/* The version byte alone first, so that a stream of another version
	 * is reported as such whatever its length. */
	if ((rc = fn(ctx, hdr, 1)) != 0)
		goto out;
	if (hdr[0] != RSTREAM_VERSION) {
		rc = DZ_EVERSION;
		goto out;
	}
	if ((rc = fn(ctx, hdr + 1, sizeof(hdr) - 1)) != 0)
		goto out;
	cur_init(&c, hdr + 1, sizeof(hdr) - 1);
	if ((rc = cur_ptr(&c, sizeof(rstream_magic), &id)) != 0)
		goto out;
	if (memcmp(id, rstream_magic, sizeof(rstream_magic)) != 0) {
		rc = DZ_EFORMAT;
		goto out;
	}
	if ((rc = cur_ptr(&c, SEG_IDBYTES, &id)) != 0 ||
	    (rc = cur_end(&c)) != 0)
		goto out;

	/* Only the fields are cleared: the buffers are written before read. */
	if ((r = sodium_malloc(sizeof(*r))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	memset(r, 0, offsetof(struct rstream_r, plain));
	if ((r->key = sodium_malloc(SEG_KEYBYTES)) == NULL ||
	    (r->sealed = malloc(RSTREAM_MAXSEALED)) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	r->fn = fn;
	r->ctx = ctx;
	memcpy(r->object_id, id, SEG_IDBYTES);
	memcpy(object_id, id, SEG_IDBYTES);
	*out = r;
	r = NULL;
out:
	rstream_r_free(r);
	return rc;
}

void
rstream_r_start(struct rstream_r *r, struct aead *a,
    const uint8_t key[static SEG_KEYBYTES])
{
	if (r == NULL)
		return;
	r->a = a;
	memcpy(r->key, key, SEG_KEYBYTES);
	r->started = a != NULL;
}

/*
 * rstream_next: read, bound and open the next chunk into plain. Its sealed
 * length is checked before a byte of it is read; its plaintext length says
 * whether it must be the last chunk, and opening it under that flag checks
 * the claim. DZ_ETRUNC if the source ends (a cut stream).
 */
static int
rstream_next(struct rstream_r *r)
{
	uint8_t lenb[RSTREAM_LENBYTES];
	uint32_t sealed_len;
	size_t plain_len;
	int last, rc;

	if ((rc = r->fn(r->ctx, lenb, sizeof(lenb))) != 0)
		return rc;
	sealed_len = le32_get(lenb);
	if (sealed_len < SEG_TAGBYTES || sealed_len > RSTREAM_MAXSEALED)
		return DZ_EFORMAT;
	if ((rc = r->fn(r->ctx, r->sealed, sealed_len)) != 0)
		return rc;
	plain_len = sealed_len - SEG_TAGBYTES;
	last = plain_len < RSTREAM_CHUNK;
	rc = seg_open(r->a, r->key, r->object_id, r->index, last, r->sealed,
	    sealed_len, r->plain);
	if (rc != 0)
		return rc;
	r->index++;
	r->have = plain_len;
	r->pos = 0;
	r->seen_last = last;
	return 0;
}

int
rstream_r_read(struct rstream_r *r, uint8_t *buf, size_t len)
{
	size_t n;
	int rc;

	if (r == NULL || (buf == NULL && len > 0) || !r->started)
		return DZ_EINVAL;
	if (r->err != 0)
		return r->err;
	while (len > 0) {
		if (r->pos == r->have) {
			if (r->seen_last)
				return r->err = DZ_ETRUNC;
			if ((rc = rstream_next(r)) != 0)
				return r->err = rc;
			continue;
		}
		n = r->have - r->pos;
		if (n > len)
			n = len;
		memcpy(buf, r->plain + r->pos, n);
		r->pos += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int
rstream_r_end(struct rstream_r *r)
{
	uint8_t probe;
	int rc;

	if (r == NULL || !r->started)
		return DZ_EINVAL;
	if (r->err != 0)
		return r->err;
	/* Chunks up to the last one must hold no plaintext the caller did
	 * not read: only an empty last chunk may follow. */
	while (r->pos == r->have && !r->seen_last) {
		if ((rc = rstream_next(r)) != 0)
			return r->err = rc;
	}
	if (r->pos != r->have)
		return r->err = DZ_EFORMAT;
	/* Nothing may follow the last chunk. */
	rc = r->fn(r->ctx, &probe, 1);
	if (rc == 0)
		return r->err = DZ_EFORMAT;
	if (rc != DZ_ETRUNC)
		return r->err = rc;
	return 0;
}

void
rstream_r_free(struct rstream_r *r)
{
	if (r == NULL)
		return;
	sodium_free(r->key); /* wipes it */
	free(r->sealed);
	sodium_free(r); /* wipes the plaintext chunk */
}
