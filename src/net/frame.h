/*
 * frame: the message format inside a Drizzle TLS channel, and an
 * incremental decoder that cuts a byte stream into messages.
 *
 * Format (all integers little-endian; byte table in docs/net.md):
 *   len u32 | type u16 | reqid u32 | body[len - 6]
 * len counts the bytes after itself, so 6 <= len <= FRAME_MAX. type names
 * the message (its meaning belongs to the layers above); reqid pairs a
 * response with its request (the responder copies it). The protocol's
 * version is not in the frame: it is the TLS ALPN name (tls.h), agreed
 * before any frame is sent.
 *
 * FRAME_MAX is 17 MiB: a fragment of the largest segment (64 MiB sealed,
 * k = 4) is 16 MiB plus a 16-byte header, and the remaining MiB leaves
 * room for a request's own header and a Merkle path. A receiver may set a
 * lower limit. Not for anything above the frame: bodies are opaque here.
 */
#ifndef DZ_FRAME_H
#define DZ_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define FRAME_LENBYTES 4
#define FRAME_HDRBYTES 10                  /* len + type + reqid */
#define FRAME_MINLEN 6                     /* type + reqid, empty body */
#define FRAME_MAX (17u * 1024 * 1024)      /* largest len */
#define FRAME_MAXBODY (FRAME_MAX - FRAME_MINLEN)

/* struct frame: one message. body is malloc'd (NULL when len is 0) and
 * owned by whoever holds the frame; frame_free releases it. */
struct frame {
	uint16_t type;
	uint32_t reqid;
	uint8_t *body;
	size_t len;
};

/* frame_free: free f->body and clear f (f may be NULL). */
void frame_free(struct frame *f);

/* frame_hdr_encode: the FRAME_HDRBYTES bytes that precede a body of
 * body_len bytes. Returns 0 or DZ_ERANGE if body_len > FRAME_MAXBODY. */
int frame_hdr_encode(uint8_t out[static FRAME_HDRBYTES], uint16_t type,
    uint32_t reqid, size_t body_len) DZ_MUST_CHECK;

/* frame_len_check: judge a len field against the receiver's limit max:
 * 0, DZ_EFORMAT (below FRAME_MINLEN) or DZ_ERANGE (above max). */
int frame_len_check(uint32_t len, uint32_t max) DZ_MUST_CHECK;

/*
 * struct frame_dec: an incremental decoder. Memory for a body grows with
 * the bytes that actually arrive (never more than twice what arrived, and
 * never more than the announced length), so a peer announcing 17 MiB and
 * sending nothing costs nothing. A length outside the limit is refused as
 * soon as its four bytes are in, before any allocation.
 */
struct frame_dec {
	uint32_t max;          /* largest len accepted */
	uint8_t hdr[FRAME_HDRBYTES];
	size_t hdr_have;
	uint8_t *body;
	size_t body_len, body_cap, body_have;
	uint64_t nframes;      /* frames completed so far */
	int err;               /* sticky: 0 or the first error */
};

/* frame_dec_init: an empty decoder accepting len <= max (max is clamped
 * to [FRAME_MINLEN, FRAME_MAX]). */
void frame_dec_init(struct frame_dec *d, uint32_t max);

/* frame_dec_free: release a partial body; d may be re-initialised. */
void frame_dec_free(struct frame_dec *d);

/*
 * frame_dec_feed: consume bytes of p[0..n) up to the end of the next
 * complete frame; *used receives how many were consumed. Returns 1 with
 * the frame in *out (its body now the caller's), 0 when all n bytes were
 * consumed without completing a frame, or a negative dz_err (DZ_EFORMAT,
 * DZ_ERANGE, DZ_ENOMEM), which sticks: the stream cannot be resynchronised
 * and every later call returns it.
 */
int frame_dec_feed(struct frame_dec *d, const uint8_t *p, size_t n,
    size_t *used, struct frame *out) DZ_MUST_CHECK;

/* frame_dec_busy: 1 if part of a frame has arrived, else 0. */
int frame_dec_busy(const struct frame_dec *d);

#endif
