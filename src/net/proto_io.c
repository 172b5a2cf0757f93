/*
 * proto_io: the field steps of the message visitors (proto_io.h says how
 * they work together).
 */
#include "net/proto_io.h"

#include <string.h>

/* ---- Field steps -------------------------------------------------------- */

/* io_check: fail with code unless cond holds (a bound or a rule). */
void
io_check(struct io *io, int cond, int code)
{
	if (io->err == 0 && !cond)
		io->err = code;
}

/* io_bytes: n bytes at p, fixed size: copied in READ, written in WRITE. */
void
io_bytes(struct io *io, void *p, size_t n)
{
	if (io->err != 0)
		return;
	switch (io->mode) {
	case IO_READ:
		io->err = cur_bytes(&io->c, p, n);
		break;
	case IO_MEASURE:
		io->len += n;
		break;
	case IO_WRITE:
		wbuf_bytes(io->w, p, n);
		break;
	}
}

/* io_span: n bytes that stay in the input: *p points at them in READ; in
 * the other modes *p must hold n bytes (NULL only if n is 0). */
void
io_span(struct io *io, const uint8_t **p, size_t n)
{
	if (io->err != 0)
		return;
	if (io->mode == IO_READ) {
		io->err = cur_ptr(&io->c, n, p);
		return;
	}
	if (*p == NULL && n > 0) {
		io->err = DZ_EINVAL;
		return;
	}
	if (io->mode == IO_MEASURE)
		io->len += n;
	else
		wbuf_bytes(io->w, *p, n);
}

void
io_u8(struct io *io, uint8_t *v)
{
	io_bytes(io, v, 1);
}

void
io_u16(struct io *io, uint16_t *v)
{
	uint8_t b[2] = {(uint8_t)*v, (uint8_t)(*v >> 8)};

	io_bytes(io, b, 2);
	if (io->mode == IO_READ && io->err == 0)
		*v = (uint16_t)(b[0] | b[1] << 8);
}

void
io_u32(struct io *io, uint32_t *v)
{
	uint8_t b[4];

	le32_put(b, *v);
	io_bytes(io, b, 4);
	if (io->mode == IO_READ && io->err == 0)
		*v = le32_get(b);
}

void
io_u64(struct io *io, uint64_t *v)
{
	uint8_t b[8];

	le64_put(b, *v);
	io_bytes(io, b, 8);
	if (io->mode == IO_READ && io->err == 0)
		*v = le64_get(b);
}

/* io_i32: two's complement in a u32. */
void
io_i32(struct io *io, int32_t *v)
{
	uint32_t u = (uint32_t)*v;

	io_u32(io, &u);
	if (io->mode == IO_READ && io->err == 0)
		*v = u <= INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

/* io_text: u16 length | bytes, into the NUL-terminated array s of max + 1
 * bytes. The length is bounded before the bytes are read, and the bytes
 * are judged before they are copied. */
void
io_text(struct io *io, char *s, size_t min, size_t max,
    int (*chars_ok)(const char *, size_t))
{
	const uint8_t *p;
	uint16_t n16;
	size_t n;

	if (io->err != 0)
		return;
	if (io->mode == IO_READ) {
		io_u16(io, &n16);
		n = n16;
		io_check(io, n >= min && n <= max, DZ_ERANGE);
		io_span(io, &p, n);
		if (io->err == 0 && !chars_ok((const char *)p, n))
			io->err = DZ_EFORMAT;
		if (io->err == 0) {
			memcpy(s, p, n);
			s[n] = '\0';
		}
		return;
	}
	n = strnlen(s, max + 1);
	io_check(io, n >= min && n <= max, DZ_ERANGE);
	if (io->err == 0 && !chars_ok(s, n))
		io->err = DZ_EFORMAT;
	if (io->err != 0)
		return;
	n16 = (uint16_t)n;
	io_u16(io, &n16);
	p = (const uint8_t *)s;
	io_span(io, &p, n);
}

/* io_blob: u32 length (min..max) | bytes, left in the input. */
void
io_blob(struct io *io, const uint8_t **p, size_t *len, size_t min, size_t max)
{
	uint32_t n32 = (uint32_t)*len;

	if (io->err != 0)
		return;
	io_check(io, io->mode == IO_READ || *len <= max, DZ_ERANGE);
	io_u32(io, &n32);
	io_check(io, n32 >= min && n32 <= max, DZ_ERANGE);
	io_span(io, p, n32);
	if (io->mode == IO_READ && io->err == 0)
		*len = n32;
}

/* io_count16 / io_count32: a list's count, checked against max before the
 * caller uses it to read or index anything. */
void
io_count16(struct io *io, uint16_t *n, size_t max)
{
	io_u16(io, n);
	io_check(io, *n <= max, DZ_ERANGE);
}

void
io_count32(struct io *io, uint32_t *n, size_t max)
{
	io_u32(io, n);
	io_check(io, *n <= max, DZ_ERANGE);
}

/* io_hashes: count u16 (<= max) | count x 32 bytes, left in the input. */
void
io_hashes(struct io *io, const uint8_t (**h)[32], uint16_t *count, size_t max)
{
	const uint8_t *p = (const uint8_t *)*h;

	io_count16(io, count, max);
	io_span(io, &p, (size_t)*count * 32);
	if (io->mode == IO_READ && io->err == 0)
		*h = (const uint8_t (*)[32])p;
}

void
io_peeraddr(struct io *io, struct proto_peeraddr *pa)
{
	io_bytes(io, pa->pk, PROTO_PKBYTES);
	io_text(io, pa->addr, 1, PROTO_ADDR_MAX, proto_addr_chars_ok);
}

/* io_ticket: a placement ticket (proto_ticket.h): only version 1, a size
 * a FRAG_PUT could carry; the signature is for the peer to judge. */
void
io_ticket(struct io *io, struct proto_ticket *t)
{
	io_u8(io, &t->version);
	io_check(io, t->version == PROTO_TICKET_VERSION, DZ_EVERSION);
	io_bytes(io, t->account, PROTO_TICKET_ACCTBYTES);
	io_bytes(io, t->name, PROTO_NAMEBYTES);
	io_u32(io, &t->size);
	io_check(io, t->size >= 1 && t->size <= PROTO_FRAG_MAX, DZ_ERANGE);
	io_bytes(io, t->peer, PROTO_PKBYTES);
	io_u64(io, &t->expires);
	io_bytes(io, t->sig, PROTO_SIGBYTES);
}

void
io_user(struct io *io, char *user)
{
	io_text(io, user, 1, PROTO_USER_MAX, proto_user_chars_ok);
}

void
io_hint(struct io *io, char *hint)
{
	io_text(io, hint, 0, PROTO_HINT_MAX, proto_text_chars_ok);
}

int
io_is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n-- > 0)
		acc |= *p++;
	return acc == 0;
}
