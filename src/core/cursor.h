/*
 * cursor: bounds-checked reading and writing of little-endian binary data.
 *
 * Every parser in Drizzle reads through a struct cur, which knows how many
 * bytes are left and fails (DZ_ETRUNC) when asked for more; every encoder
 * writes through a struct wbuf over a fixed caller buffer, whose error is
 * sticky so that a sequence of writes is checked once at the end. Neither
 * allocates. Not for streams: see rstream for data that arrives in pieces.
 */
#ifndef DZ_CURSOR_H
#define DZ_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
};

/* cur_init: read the len bytes at p (borrowed, must outlive the cursor). */
void cur_init(struct cur *c, const uint8_t *p, size_t len);
/* cur_left: bytes not yet read. */
size_t cur_left(const struct cur *c);
/* Each reader returns 0, or DZ_ETRUNC if fewer bytes are left than it needs
 * (the cursor does not move then). */
int cur_u8(struct cur *c, uint8_t *v) DZ_MUST_CHECK;
int cur_u16(struct cur *c, uint16_t *v) DZ_MUST_CHECK;
int cur_u32(struct cur *c, uint32_t *v) DZ_MUST_CHECK;
int cur_u64(struct cur *c, uint64_t *v) DZ_MUST_CHECK;
/* cur_bytes: copy n bytes into out. */
int cur_bytes(struct cur *c, void *out, size_t n) DZ_MUST_CHECK;
/* cur_ptr: point *out at the next n bytes (inside the cursor's buffer). */
int cur_ptr(struct cur *c, size_t n, const uint8_t **out) DZ_MUST_CHECK;
/* cur_end: 0 if every byte was read, DZ_EFORMAT if trailing bytes remain. */
int cur_end(const struct cur *c) DZ_MUST_CHECK;

struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	int err; /* 0, or DZ_ERANGE once a write did not fit */
};

/* wbuf_init: write into the cap bytes at p (borrowed). */
void wbuf_init(struct wbuf *w, uint8_t *p, size_t cap);
void wbuf_u8(struct wbuf *w, uint8_t v);
void wbuf_u16(struct wbuf *w, uint16_t v);
void wbuf_u32(struct wbuf *w, uint32_t v);
void wbuf_u64(struct wbuf *w, uint64_t v);
void wbuf_bytes(struct wbuf *w, const void *p, size_t n);

/* Little-endian loads and stores on raw memory. */
static inline void
le32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t
le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}
static inline void
le64_put(uint8_t *p, uint64_t v)
{
	le32_put(p, (uint32_t)v);
	le32_put(p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t
le64_get(const uint8_t *p)
{
	return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}

#endif
