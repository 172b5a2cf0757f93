/* cursor: bounds-checked little-endian reading and writing. */
#include "core/cursor.h"

#include <string.h>

void
cur_init(struct cur *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
}

size_t
cur_left(const struct cur *c)
{
	return c->len - c->off;
}

int
cur_ptr(struct cur *c, size_t n, const uint8_t **out)
{
	if (n > cur_left(c))
		return DZ_ETRUNC;
	*out = c->p + c->off;
	c->off += n;
	return 0;
}

int
cur_bytes(struct cur *c, void *out, size_t n)
{
	const uint8_t *p;
	int rc = cur_ptr(c, n, &p);

	if (rc == 0 && n > 0)
		memcpy(out, p, n);
	return rc;
}

int
cur_u8(struct cur *c, uint8_t *v)
{
	return cur_bytes(c, v, 1);
}

int
cur_u16(struct cur *c, uint16_t *v)
{
	const uint8_t *p;
	int rc = cur_ptr(c, 2, &p);

	if (rc == 0)
		*v = (uint16_t)(p[0] | p[1] << 8);
	return rc;
}

int
cur_u32(struct cur *c, uint32_t *v)
{
	const uint8_t *p;
	int rc = cur_ptr(c, 4, &p);

	if (rc == 0)
		*v = le32_get(p);
	return rc;
}

int
cur_u64(struct cur *c, uint64_t *v)
{
	const uint8_t *p;
	int rc = cur_ptr(c, 8, &p);

	if (rc == 0)
		*v = le64_get(p);
	return rc;
}

int
cur_end(const struct cur *c)
{
	return cur_left(c) == 0 ? 0 : DZ_EFORMAT;
}

void
wbuf_init(struct wbuf *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

void
wbuf_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (w->err != 0)
		return;
	if (n > w->cap - w->len) {
		w->err = DZ_ERANGE;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

void
wbuf_u8(struct wbuf *w, uint8_t v)
{
	wbuf_bytes(w, &v, 1);
}

void
wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	wbuf_bytes(w, b, 2);
}

void
wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];

	le32_put(b, v);
	wbuf_bytes(w, b, 4);
}

void
wbuf_u64(struct wbuf *w, uint64_t v)
{
	uint8_t b[8];

	le64_put(b, v);
	wbuf_bytes(w, b, 8);
}
