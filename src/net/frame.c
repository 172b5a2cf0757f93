/*
 * frame: encoding of frame headers and the incremental frame decoder.
 *
 * The decoder has two phases: gathering the 10 header bytes (the length is
 * judged as soon as its 4 bytes are in), then gathering the body into a
 * buffer that grows geometrically from 64 KiB toward the announced length.
 * Growing costs at most one extra copy of the body but bounds memory by
 * what a peer really sent, which matters with hundreds of connections.
 */
#include "net/frame.h"

#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"

#define BODY_FIRSTCAP (64u * 1024)

void
frame_free(struct frame *f)
{
	if (f == NULL)
		return;
	free(f->body);
	memset(f, 0, sizeof(*f));
}

int
frame_hdr_encode(uint8_t out[static FRAME_HDRBYTES], uint16_t type,
    uint32_t reqid, size_t body_len)
{
	struct wbuf w;

	if (body_len > FRAME_MAXBODY)
		return DZ_ERANGE;
	wbuf_init(&w, out, FRAME_HDRBYTES);
	wbuf_u32(&w, (uint32_t)(body_len + FRAME_MINLEN));
	wbuf_u16(&w, type);
	wbuf_u32(&w, reqid);
	return w.err;
}

int
frame_len_check(uint32_t len, uint32_t max)
{
	if (len < FRAME_MINLEN)
		return DZ_EFORMAT;
	if (len > max)
		return DZ_ERANGE;
	return 0;
}

void
frame_dec_init(struct frame_dec *d, uint32_t max)
{
	memset(d, 0, sizeof(*d));
	if (max < FRAME_MINLEN)
		max = FRAME_MINLEN;
	if (max > FRAME_MAX)
		max = FRAME_MAX;
	d->max = max;
}

void
frame_dec_free(struct frame_dec *d)
{
	free(d->body);
	d->body = NULL;
	d->body_cap = d->body_len = d->body_have = 0;
	d->hdr_have = 0;
}

int
frame_dec_busy(const struct frame_dec *d)
{
	return d->hdr_have > 0;
}

/* Make room for at least `need` body bytes (need <= body_len). */
static int
body_reserve(struct frame_dec *d, size_t need)
{
	size_t cap = d->body_cap;
	uint8_t *p;

	if (need <= cap)
		return 0;
	if (cap < BODY_FIRSTCAP)
		cap = BODY_FIRSTCAP;
	while (cap < need)
		cap *= 2; /* need <= FRAME_MAX: cannot overflow */
	if (cap > d->body_len)
		cap = d->body_len;
	p = realloc(d->body, cap);
	if (p == NULL)
		return DZ_ENOMEM;
	d->body = p;
	d->body_cap = cap;
	return 0;
}

/* The header is complete: parse it (the length was judged already). */
static void
hdr_parse(struct frame_dec *d, struct frame *out)
{
	struct cur c;
	uint32_t len;

	cur_init(&c, d->hdr, FRAME_HDRBYTES);
	/* cannot fail: exactly FRAME_HDRBYTES bytes are read */
	if (cur_u32(&c, &len) != 0 || cur_u16(&c, &out->type) != 0 ||
	    cur_u32(&c, &out->reqid) != 0)
		abort();
	d->body_len = len - FRAME_MINLEN;
}

int
frame_dec_feed(struct frame_dec *d, const uint8_t *p, size_t n, size_t *used,
    struct frame *out)
{
	struct frame f = {0};
	size_t off = 0, take;
	int rc;

	*used = 0;
	if (d->err != 0)
		return d->err;
	while (off < n || (d->hdr_have == FRAME_HDRBYTES &&
	    d->body_have == d->body_len)) {
		if (d->hdr_have < FRAME_HDRBYTES) {
			take = FRAME_HDRBYTES - d->hdr_have;
			if (take > n - off)
				take = n - off;
			memcpy(d->hdr + d->hdr_have, p + off, take);
			off += take;
			if (d->hdr_have < FRAME_LENBYTES &&
			    d->hdr_have + take >= FRAME_LENBYTES) {
				rc = frame_len_check(le32_get(d->hdr), d->max);
				if (rc != 0) {
					d->hdr_have += take;
					goto fail;
				}
			}
			d->hdr_have += take;
			if (d->hdr_have < FRAME_HDRBYTES)
				break;
			hdr_parse(d, &f);
			/* keep type and reqid in the header bytes */
			continue;
		}
		if (d->body_have < d->body_len) {
			take = d->body_len - d->body_have;
			if (take > n - off)
				take = n - off;
			rc = body_reserve(d, d->body_have + take);
			if (rc != 0)
				goto fail;
			memcpy(d->body + d->body_have, p + off, take);
			off += take;
			d->body_have += take;
			if (d->body_have < d->body_len)
				break;
		}
		/* complete */
		hdr_parse(d, &f);
		f.body = d->body;
		f.len = d->body_len;
		d->body = NULL;
		d->body_cap = d->body_len = d->body_have = 0;
		d->hdr_have = 0;
		d->nframes++;
		*out = f;
		*used = off;
		return 1;
	}
	*used = off;
	return 0;
fail:
	d->err = rc;
	*used = off;
	return rc;
}
