/*
 * frag: encoding, strict parsing and checking of fragments.
 *
 * A fragment travels between untrusted peers, so its parser trusts nothing:
 * every header field is bounded and cross-checked (payload_len must follow
 * from seg_len and k) before the payload length is used, and the buffer
 * must be exactly header + payload. frag_check adds the one thing a parser
 * cannot know, that the bytes are the ones their name (a Merkle root) says.
 * The byte table is in docs/formats.md.
 */
#include "core/frag.h"

#include <string.h>

#include <sodium.h>

#include "core/cursor.h"

static const uint8_t frag_magic[3] = {'D', 'Z', 'F'};

uint32_t
frag_payload_len(uint32_t seg_len, unsigned k)
{
	uint32_t q;

	if (k == 0)
		return 0; /* no valid code has k == 0; callers check k first */
	q = seg_len / k + (seg_len % k != 0);
	return q == 0 ? 1 : q;
}

/* frag_params_ok: the checks shared by frag_hdr_init and frag_parse. */
static int
frag_params_ok(unsigned k, unsigned n, unsigned index, uint32_t seg_len)
{
	return k >= 1 && k < n && n <= 255 && index < n &&
	    seg_len <= FRAG_MAXSEG;
}

int
frag_hdr_init(struct frag_hdr *h, unsigned k, unsigned n, unsigned index,
    uint32_t seg_len)
{
	if (h == NULL || !frag_params_ok(k, n, index, seg_len))
		return DZ_EINVAL;
	h->k = (uint8_t)k;
	h->n = (uint8_t)n;
	h->index = (uint8_t)index;
	h->seg_len = seg_len;
	h->payload_len = frag_payload_len(seg_len, k);
	return 0;
}

void
frag_hdr_encode(const struct frag_hdr *h, uint8_t out[static FRAG_HDRBYTES])
{
	struct wbuf w;

	wbuf_init(&w, out, FRAG_HDRBYTES);
	wbuf_u8(&w, FRAG_VERSION);
	wbuf_bytes(&w, frag_magic, sizeof(frag_magic));
	wbuf_u8(&w, h->k);
	wbuf_u8(&w, h->n);
	wbuf_u8(&w, h->index);
	wbuf_u8(&w, 0); /* reserved */
	wbuf_u32(&w, h->payload_len);
	wbuf_u32(&w, h->seg_len);
	/* 16 bytes into a 16-byte buffer: w.err cannot be set. */
}

/*
 * frag_parse: fields are read in order through a cursor; the version is
 * judged before anything else so that a future format is reported as such
 * even when it is shorter than ours.
 */
int
frag_parse(const uint8_t *buf, size_t len, struct frag_hdr *h)
{
	struct cur c;
	uint8_t version, magic[3], k, n, index, reserved;
	uint32_t payload_len, seg_len;
	int rc;

	if (buf == NULL || h == NULL)
		return DZ_EINVAL;
	cur_init(&c, buf, len);
	if ((rc = cur_u8(&c, &version)) != 0)
		return rc;
	if (version != FRAG_VERSION)
		return DZ_EVERSION;
	if ((rc = cur_bytes(&c, magic, sizeof(magic))) != 0 ||
	    (rc = cur_u8(&c, &k)) != 0 || (rc = cur_u8(&c, &n)) != 0 ||
	    (rc = cur_u8(&c, &index)) != 0 ||
	    (rc = cur_u8(&c, &reserved)) != 0 ||
	    (rc = cur_u32(&c, &payload_len)) != 0 ||
	    (rc = cur_u32(&c, &seg_len)) != 0)
		return rc;
	if (memcmp(magic, frag_magic, sizeof(magic)) != 0 || reserved != 0)
		return DZ_EFORMAT;
	if (!frag_params_ok(k, n, index, seg_len) ||
	    payload_len != frag_payload_len(seg_len, k))
		return DZ_EFORMAT;
	if (cur_left(&c) < payload_len)
		return DZ_ETRUNC;
	if (cur_left(&c) > payload_len)
		return DZ_EFORMAT;
	h->k = k;
	h->n = n;
	h->index = index;
	h->payload_len = payload_len;
	h->seg_len = seg_len;
	return 0;
}

int
frag_check(struct merkle *m, const uint8_t *buf, size_t len,
    const uint8_t name[static MERKLE_HASHBYTES], struct frag_hdr *h)
{
	uint8_t root[MERKLE_HASHBYTES];
	struct frag_hdr tmp;
	int rc;

	if (m == NULL || h == NULL)
		return DZ_EINVAL;
	if ((rc = frag_parse(buf, len, &tmp)) != 0)
		return rc;
	if ((rc = merkle_build(m, buf, len, root)) != 0)
		return rc;
	/* Names are public, so timing does not matter; sodium_memcmp is just
	 * the comparison at hand that cannot be misread as an ordering. */
	if (sodium_memcmp(root, name, MERKLE_HASHBYTES) != 0)
		return DZ_EINTEGRITY;
	*h = tmp;
	return 0;
}
