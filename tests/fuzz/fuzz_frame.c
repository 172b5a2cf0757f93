/* fuzz_frame: the frame decoder never crashes, never reads or allocates
 * beyond what it was given and allowed, and cuts a stream the same way
 * however it is fed: the input is decoded once whole and once in pieces
 * whose sizes come from the input itself, under a small limit (so that
 * the oversize path is reached) and under FRAME_MAX. Every frame it
 * returns re-encodes to exactly the bytes it consumed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXFRAMES 4096

struct result {
	size_t nframes;
	uint32_t sums[MAXFRAMES]; /* a digest of each frame */
	int err;
};

static uint32_t
digest(const struct frame *f)
{
	uint32_t h = 2166136261u ^ f->type ^ (f->reqid * 16777619u);

	for (size_t i = 0; i < f->len; i++)
		h = (h ^ f->body[i]) * 16777619u;
	return h ^ (uint32_t)f->len;
}

/* Decode data[0..size) fed in pieces: piece i has 1 + cuts[i % ncuts]
 * bytes (ncuts 0: all at once). */
static void
run(const uint8_t *data, size_t size, uint32_t max, const uint8_t *cuts,
    size_t ncuts, struct result *r)
{
	uint8_t hdr[FRAME_HDRBYTES];
	struct frame_dec d;
	struct frame f;
	size_t off = 0, piece = 0, n, used, start = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	frame_dec_init(&d, max);
	while (off < size && r->err == 0) {
		n = ncuts == 0 ? size - off : 1 + (size_t)cuts[piece++ % ncuts];
		if (n > size - off)
			n = size - off;
		while (n > 0) {
			rc = frame_dec_feed(&d, data + off, n, &used, &f);
			if (used > n)
				abort();
			off += used;
			n -= used;
			if (rc < 0) {
				if (rc != DZ_ERANGE && rc != DZ_EFORMAT)
					abort();
				r->err = rc;
				break;
			}
			if (rc == 0) {
				if (n != 0)
					abort();
				break;
			}
			/* the frame is exactly the bytes consumed since start */
			if (f.len > (size_t)d.max - FRAME_MINLEN ||
			    frame_hdr_encode(hdr, f.type, f.reqid, f.len) != 0 ||
			    off - start != FRAME_HDRBYTES + f.len ||
			    memcmp(hdr, data + start, FRAME_HDRBYTES) != 0 ||
			    (f.len > 0 && memcmp(f.body, data + start +
			    FRAME_HDRBYTES, f.len) != 0) ||
			    (f.len == 0 && f.body != NULL))
				abort();
			if (r->nframes < MAXFRAMES)
				r->sums[r->nframes] = digest(&f);
			r->nframes++;
			start = off;
			frame_free(&f);
		}
	}
	/* the body buffer never outgrows the frame being received */
	if (d.body_cap > d.body_len)
		abort();
	/* an error is sticky */
	if (r->err != 0 && frame_dec_feed(&d, data, size, &used, &f) != r->err)
		abort();
	frame_dec_free(&d);
}

static struct result whole, cut;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t limits[2] = {64, FRAME_MAX};
	size_t ncuts = size < 8 ? size : 8;

	for (int l = 0; l < 2; l++) {
		/* the first bytes double as piece sizes for the cut run */
		run(data, size, limits[l], NULL, 0, &whole);
		run(data, size, limits[l], data, ncuts, &cut);
		if (whole.err != cut.err || whole.nframes != cut.nframes)
			abort();
		for (size_t i = 0; i < whole.nframes && i < MAXFRAMES; i++)
			if (whole.sums[i] != cut.sums[i])
				abort();
	}
	return 0;
}
