/*
 * record: encoding and strict parsing of the file record header, the
 * segment arithmetic that follows from it, and the key a record is sealed
 * under.
 *
 * A record is read after it authenticates, but its writer may be a buggy or
 * hostile client sharing the folder, so the parser still trusts no field:
 * every length and count is bounded, nsegs must follow from size and
 * seg_size, and sizes are bounded (RECORD_MAXSIZE) so that no arithmetic a
 * reader does with them can overflow. Encoder and parser share one validity
 * check, so what one accepts the other produces. The byte table is in
 * docs/formats.md.
 */
#include "core/record.h"

#include <string.h>

#include <sodium.h>

#include "core/cursor.h"
#include "core/pad.h"

static const uint8_t record_magic[3] = {'D', 'Z', 'R'};
/* Domain separation for record_key: the string without its NUL. */
static const char record_key_domain[] = "drizzle record v1";
#define RECORD_FRAGNAMEBYTES 32 /* a fragment name: MERKLE_HASHBYTES */

uint64_t
record_nsegs(uint64_t size, uint32_t seg_size)
{
	uint64_t q;

	if (seg_size == 0)
		return 0; /* never valid; the parser rejects seg_size first */
	/* size / seg_size rounded up, without size + seg_size - 1 overflowing */
	q = size / seg_size + (size % seg_size != 0);
	return q == 0 ? 1 : q;
}

uint32_t
record_seg_len(const struct record_hdr *h, uint64_t i)
{
	if (h->seg_size == 0 || i >= h->nsegs)
		return 0;
	if (i + 1 < h->nsegs)
		return h->seg_size;
	/* The last segment: what the others leave. (nsegs - 1) * seg_size <=
	 * size for a valid header, so neither operation can wrap. */
	return (uint32_t)(h->size - (h->nsegs - 1) * h->seg_size);
}

size_t
record_entry_bytes(unsigned n)
{
	return (size_t)n * RECORD_FRAGNAMEBYTES;
}

size_t
record_hdr_len(const struct record_hdr *h)
{
	return RECORD_FIXEDBYTES + (size_t)h->name_len;
}

/* record_hdr_valid: every check but the framing ones (version, magic,
 * hdr_len), shared by encoder and parser. */
static int
record_hdr_valid(const struct record_hdr *h)
{
	if (h->version != 0 &&
	    (h->version < RECORD_VERSION_MIN || h->version > RECORD_VERSION))
		return 0;
	if (h->seg_size < RECORD_SEGMIN || h->seg_size > RECORD_SEGMAX)
		return 0;
	if (h->k < 1 || h->k >= h->n)
		return 0;
	if (h->size > RECORD_MAXSIZE)
		return 0;
	if (h->nsegs != record_nsegs(h->size, h->seg_size))
		return 0;
	if (h->mtime_nsec >= 1000000000u)
		return 0;
	if (h->name_len > RECORD_MAXNAME ||
	    memchr(h->name, '\0', h->name_len) != NULL)
		return 0;
	return 1;
}

int
record_padded_len(const struct record_hdr *h, uint64_t *out)
{
	uint64_t table, len;
	size_t padded;

	if (__builtin_mul_overflow(h->nsegs, (uint64_t)record_entry_bytes(h->n), &table) ||
	    __builtin_add_overflow(table, (uint64_t)record_hdr_len(h), &len))
		return DZ_ERANGE;
	if (h->version == 1) {
		*out = len;
		return 0;
	}
	if (len > SIZE_MAX || pad_bucket((size_t)len, &padded) != 0)
		return DZ_ERANGE;
	*out = padded;
	return 0;
}

int
record_hdr_encode(const struct record_hdr *h, uint8_t *out, size_t cap,
    size_t *outlen)
{
	struct wbuf w;
	size_t hdr_len;

	if (h == NULL || out == NULL || outlen == NULL || !record_hdr_valid(h))
		return DZ_EINVAL;
	hdr_len = record_hdr_len(h);
	if (cap < hdr_len)
		return DZ_ERANGE;
	wbuf_init(&w, out, cap);
	wbuf_u8(&w, h->version != 0 ? h->version : RECORD_VERSION);
	wbuf_bytes(&w, record_magic, sizeof(record_magic));
	wbuf_u32(&w, (uint32_t)hdr_len);
	wbuf_bytes(&w, h->object_id, RECORD_IDBYTES);
	wbuf_bytes(&w, h->file_key, RECORD_KEYBYTES);
	wbuf_u64(&w, h->size);
	wbuf_u64(&w, (uint64_t)h->mtime_sec);
	wbuf_u32(&w, h->mtime_nsec);
	wbuf_u32(&w, h->mode);
	wbuf_u32(&w, h->seg_size);
	wbuf_u8(&w, h->k);
	wbuf_u8(&w, h->n);
	wbuf_u16(&w, 0); /* reserved */
	wbuf_u64(&w, h->nsegs);
	wbuf_u16(&w, h->name_len);
	wbuf_bytes(&w, h->name, h->name_len);
	if (w.err != 0)
		return w.err; /* cannot happen: cap >= hdr_len was checked */
	*outlen = w.len;
	return 0;
}

int
record_prefix_parse(const uint8_t *buf, size_t len, uint32_t *hdr_len)
{
	struct cur c;
	uint8_t version, magic[3];
	uint32_t v;
	int rc;

	if (buf == NULL || hdr_len == NULL)
		return DZ_EINVAL;
	cur_init(&c, buf, len);
	if ((rc = cur_u8(&c, &version)) != 0)
		return rc;
	if (version < RECORD_VERSION_MIN || version > RECORD_VERSION)
		return DZ_EVERSION;
	if ((rc = cur_bytes(&c, magic, sizeof(magic))) != 0 ||
	    (rc = cur_u32(&c, &v)) != 0)
		return rc;
	if (memcmp(magic, record_magic, sizeof(magic)) != 0)
		return DZ_EFORMAT;
	if (v < RECORD_FIXEDBYTES || v > RECORD_MAXHDR)
		return DZ_EFORMAT;
	*hdr_len = v;
	return 0;
}

/*
 * record_hdr_parse: the framing first (prefix, then exactly hdr_len bytes),
 * then the fields in order, then the cross-checks. h is written as we go and
 * wiped on failure, so no partial file key is left behind.
 */
int
record_hdr_parse(const uint8_t *buf, size_t len, struct record_hdr *h)
{
	struct cur c;
	const uint8_t *name, *skip;
	uint32_t hdr_len;
	uint64_t mtime;
	uint16_t reserved;
	int rc;

	if (buf == NULL || h == NULL)
		return DZ_EINVAL;
	if ((rc = record_prefix_parse(buf, len, &hdr_len)) != 0)
		goto out;
	if (len < hdr_len) {
		rc = DZ_ETRUNC;
		goto out;
	}
	if (len > hdr_len) {
		rc = DZ_EFORMAT;
		goto out;
	}
	cur_init(&c, buf, len);
	if ((rc = cur_ptr(&c, RECORD_PREFIXBYTES, &skip)) != 0 ||
	    (rc = cur_bytes(&c, h->object_id, RECORD_IDBYTES)) != 0 ||
	    (rc = cur_bytes(&c, h->file_key, RECORD_KEYBYTES)) != 0 ||
	    (rc = cur_u64(&c, &h->size)) != 0 ||
	    (rc = cur_u64(&c, &mtime)) != 0 ||
	    (rc = cur_u32(&c, &h->mtime_nsec)) != 0 ||
	    (rc = cur_u32(&c, &h->mode)) != 0 ||
	    (rc = cur_u32(&c, &h->seg_size)) != 0 ||
	    (rc = cur_u8(&c, &h->k)) != 0 || (rc = cur_u8(&c, &h->n)) != 0 ||
	    (rc = cur_u16(&c, &reserved)) != 0 ||
	    (rc = cur_u64(&c, &h->nsegs)) != 0 ||
	    (rc = cur_u16(&c, &h->name_len)) != 0)
		goto out; /* cannot happen: hdr_len >= RECORD_FIXEDBYTES */
	h->version = buf[0];
	h->mtime_sec = (int64_t)mtime;
	/* The name fills exactly what hdr_len leaves. */
	if ((size_t)h->name_len != cur_left(&c) || reserved != 0) {
		rc = DZ_EFORMAT;
		goto out;
	}
	if ((rc = cur_ptr(&c, h->name_len, &name)) != 0)
		goto out;
	if (h->name_len > RECORD_MAXNAME) {
		rc = DZ_EFORMAT;
		goto out;
	}
	memcpy(h->name, name, h->name_len);
	h->name[h->name_len] = '\0';
	if (!record_hdr_valid(h)) {
		rc = DZ_EFORMAT;
		goto out;
	}
	rc = cur_end(&c);
out:
	if (rc != 0)
		sodium_memzero(h, sizeof(*h));
	return rc;
}

void
record_key(const uint8_t folder_key[static 32],
    const uint8_t object_id[static RECORD_IDBYTES], uint8_t out[static 32])
{
	crypto_generichash_state st;

	/* Cannot fail with these lengths (32-byte key and output). */
	(void)crypto_generichash_init(&st, folder_key, 32, 32);
	(void)crypto_generichash_update(&st,
	    (const unsigned char *)record_key_domain,
	    sizeof(record_key_domain) - 1);
	(void)crypto_generichash_update(&st, object_id, RECORD_IDBYTES);
	(void)crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof(st));
}
