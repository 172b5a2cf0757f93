/* test_frag: fragment headers survive init/encode/parse unchanged, the
 * parser rejects every malformed header or length listed in frag.h, and
 * frag_check accepts a fragment only under its own name: one flipped bit
 * anywhere, or another name, is DZ_EINTEGRITY (or a parse error). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/cursor.h"
#include "core/frag.h"
#include "core/merkle.h"

/* Byte offsets of the v1 header fields (docs/formats.md). */
enum {
	OFF_VERSION = 0,
	OFF_MAGIC = 1,
	OFF_K = 4,
	OFF_N = 5,
	OFF_INDEX = 6,
	OFF_RESERVED = 7,
	OFF_PAYLOAD_LEN = 8,
	OFF_SEG_LEN = 12,
};

/* make_frag: a whole fragment (header + random payload) for the given
 * parameters; *len gets its length. */
static uint8_t *
make_frag(unsigned k, unsigned n, unsigned index, uint32_t seg_len,
    size_t *len)
{
	struct frag_hdr h;
	uint8_t *b;

	assert_int_equal(frag_hdr_init(&h, k, n, index, seg_len), 0);
	*len = FRAG_HDRBYTES + h.payload_len;
	b = malloc(*len + 1);
	assert_non_null(b);
	frag_hdr_encode(&h, b);
	randombytes_buf(b + FRAG_HDRBYTES, h.payload_len);
	return b;
}

/* payload_len is ceil(seg_len / k) and at least 1. */
static void
payload_lengths(void **state)
{
	(void)state;
	assert_int_equal(frag_payload_len(0, 1), 1);
	assert_int_equal(frag_payload_len(0, 7), 1);
	assert_int_equal(frag_payload_len(1, 7), 1);
	assert_int_equal(frag_payload_len(7, 7), 1);
	assert_int_equal(frag_payload_len(8, 7), 2);
	assert_int_equal(frag_payload_len(14, 7), 2);
	assert_int_equal(frag_payload_len(100, 1), 100);
	assert_int_equal(frag_payload_len(FRAG_MAXSEG, 4), FRAG_MAXSEG / 4);
	assert_int_equal(frag_payload_len(FRAG_MAXSEG, 254),
	    (FRAG_MAXSEG + 253) / 254);
	assert_int_equal(frag_payload_len(UINT32_MAX, 2), 1u << 31);
}

/* frag_hdr_init accepts 1 <= k < n <= 255, index < n, seg_len <=
 * FRAG_MAXSEG at their edges, and DZ_EINVAL just past each edge. */
static void
init_bounds(void **state)
{
	(void)state;
	struct frag_hdr h;

	assert_int_equal(frag_hdr_init(&h, 1, 2, 1, 0), 0);
	assert_int_equal(frag_hdr_init(&h, 254, 255, 254, FRAG_MAXSEG), 0);
	assert_int_equal(h.k, 254);
	assert_int_equal(h.n, 255);
	assert_int_equal(h.index, 254);
	assert_int_equal(h.seg_len, FRAG_MAXSEG);
	assert_int_equal(h.payload_len, frag_payload_len(FRAG_MAXSEG, 254));
	assert_int_equal(frag_hdr_init(&h, 0, 2, 0, 10), DZ_EINVAL);
	assert_int_equal(frag_hdr_init(&h, 2, 2, 0, 10), DZ_EINVAL);
	assert_int_equal(frag_hdr_init(&h, 3, 2, 0, 10), DZ_EINVAL);
	assert_int_equal(frag_hdr_init(&h, 4, 256, 0, 10), DZ_EINVAL);
	assert_int_equal(frag_hdr_init(&h, 4, 12, 12, 10), DZ_EINVAL);
	assert_int_equal(frag_hdr_init(&h, 4, 12, 0, FRAG_MAXSEG + 1),
	    DZ_EINVAL);
}

/* A fragment parses back to the header it was made from, its header bytes
 * sit where the format says, and re-encoding gives the same 16 bytes. */
static void
round_trip(void **state)
{
	(void)state;
	const struct {
		unsigned k, n, index;
		uint32_t seg_len;
	} c[] = {
		{4, 12, 0, 4u * 1024 * 1024 + 16},
		{4, 12, 11, 4u * 1024 * 1024 + 16},
		{1, 2, 1, 16},
		{10, 30, 17, 0},
		{29, 80, 79, 1000003},
		{254, 255, 254, 100000},
	};
	uint8_t again[FRAG_HDRBYTES];
	struct frag_hdr h;
	size_t len;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *b = make_frag(c[i].k, c[i].n, c[i].index, c[i].seg_len,
		    &len);

		memset(&h, 0xee, sizeof(h));
		assert_int_equal(frag_parse(b, len, &h), 0);
		assert_int_equal(h.k, c[i].k);
		assert_int_equal(h.n, c[i].n);
		assert_int_equal(h.index, c[i].index);
		assert_int_equal(h.seg_len, c[i].seg_len);
		assert_int_equal(h.payload_len, len - FRAG_HDRBYTES);
		assert_int_equal(b[OFF_VERSION], FRAG_VERSION);
		assert_memory_equal(b + OFF_MAGIC, "DZF", 3);
		assert_int_equal(b[OFF_K], c[i].k);
		assert_int_equal(b[OFF_N], c[i].n);
		assert_int_equal(b[OFF_INDEX], c[i].index);
		assert_int_equal(b[OFF_RESERVED], 0);
		assert_int_equal(le32_get(b + OFF_PAYLOAD_LEN), h.payload_len);
		assert_int_equal(le32_get(b + OFF_SEG_LEN), c[i].seg_len);
		frag_hdr_encode(&h, again);
		assert_memory_equal(again, b, FRAG_HDRBYTES);
		free(b);
	}
}

/* parse the len bytes of a patched copy of b and expect rc */
static void
expect(const uint8_t *b, size_t len, size_t off, uint8_t v, int rc)
{
	uint8_t *c = malloc(len + 1);
	struct frag_hdr h;

	assert_non_null(c);
	memcpy(c, b, len);
	if (off < len)
		c[off] = v;
	assert_int_equal(frag_parse(c, len, &h), rc);
	free(c);
}

static void
expect32(const uint8_t *b, size_t len, size_t off, uint32_t v, int rc)
{
	uint8_t *c = malloc(len + 1);
	struct frag_hdr h;

	assert_non_null(c);
	memcpy(c, b, len);
	le32_put(c + off, v);
	assert_int_equal(frag_parse(c, len, &h), rc);
	free(c);
}

/* Each rejection of frag.h: DZ_EVERSION for another version (judged first,
 * even on one byte), DZ_EFORMAT for magic, reserved, k/n/index out of
 * range, payload_len not ceil(seg_len/k), seg_len > FRAG_MAXSEG, or bytes
 * past the payload; DZ_ETRUNC for any shorter buffer. */
static void
rejections(void **state)
{
	(void)state;
	struct frag_hdr h;
	size_t len;
	uint8_t *b = make_frag(4, 12, 5, 1001, &len); /* payload 251 */
	uint8_t *big;
	size_t i;

	assert_int_equal(len, FRAG_HDRBYTES + 251);
	expect(b, len, len, 0, 0);
	/* version */
	expect(b, len, OFF_VERSION, 0, DZ_EVERSION);
	expect(b, len, OFF_VERSION, 2, DZ_EVERSION);
	expect(b, 1, OFF_VERSION, 2, DZ_EVERSION);
	/* magic, reserved */
	for (i = 0; i < 3; i++)
		expect(b, len, OFF_MAGIC + i, b[OFF_MAGIC + i] ^ 1, DZ_EFORMAT);
	expect(b, len, OFF_RESERVED, 1, DZ_EFORMAT);
	expect(b, len, OFF_RESERVED, 0x80, DZ_EFORMAT);
	/* k, n, index (payload_len stays consistent where k changes) */
	expect(b, len, OFF_K, 0, DZ_EFORMAT);
	expect(b, len, OFF_K, 12, DZ_EFORMAT);
	expect(b, len, OFF_K, 13, DZ_EFORMAT);
	expect(b, len, OFF_N, 4, DZ_EFORMAT);
	expect(b, len, OFF_N, 5, DZ_EFORMAT); /* index 5 == n */
	expect(b, len, OFF_N, 0, DZ_EFORMAT);
	expect(b, len, OFF_INDEX, 12, DZ_EFORMAT);
	expect(b, len, OFF_INDEX, 255, DZ_EFORMAT);
	expect(b, len, OFF_N, 255, 0);   /* any n > k with index < n */
	expect(b, len, OFF_INDEX, 11, 0);
	/* payload_len must be ceil(seg_len / k), checked before lengths */
	expect32(b, len, OFF_PAYLOAD_LEN, 250, DZ_EFORMAT);
	expect32(b, len, OFF_PAYLOAD_LEN, 252, DZ_EFORMAT);
	expect32(b, len, OFF_PAYLOAD_LEN, 0, DZ_EFORMAT);
	expect32(b, len, OFF_PAYLOAD_LEN, UINT32_MAX, DZ_EFORMAT);
	expect32(b, len, OFF_SEG_LEN, 1004, 0);   /* still 251 */
	expect32(b, len, OFF_SEG_LEN, 1000, DZ_EFORMAT); /* 250 */
	expect32(b, len, OFF_SEG_LEN, 1005, DZ_EFORMAT); /* 252 */
	/* every short buffer, header or payload */
	for (i = 0; i < len; i++)
		assert_int_equal(frag_parse(b, i, &h), DZ_ETRUNC);
	/* bytes after the payload */
	big = realloc(b, len + 100);
	assert_non_null(big);
	b = big;
	memset(b + len, 0, 100);
	assert_int_equal(frag_parse(b, len + 1, &h), DZ_EFORMAT);
	assert_int_equal(frag_parse(b, len + 100, &h), DZ_EFORMAT);
	free(b);

	/* seg_len past FRAG_MAXSEG, with a consistent payload_len so that
	 * only the bound can reject it (the buffer is not that long: the
	 * bound must be judged before the length) */
	b = make_frag(1, 2, 0, 100, &len);
	le32_put(b + OFF_SEG_LEN, FRAG_MAXSEG + 1);
	le32_put(b + OFF_PAYLOAD_LEN, FRAG_MAXSEG + 1);
	assert_int_equal(frag_parse(b, len, &h), DZ_EFORMAT);
	le32_put(b + OFF_SEG_LEN, UINT32_MAX);
	le32_put(b + OFF_PAYLOAD_LEN, UINT32_MAX);
	assert_int_equal(frag_parse(b, len, &h), DZ_EFORMAT);
	le32_put(b + OFF_SEG_LEN, FRAG_MAXSEG);
	le32_put(b + OFF_PAYLOAD_LEN, FRAG_MAXSEG);
	assert_int_equal(frag_parse(b, len, &h), DZ_ETRUNC);
	free(b);
}

/* frag_check accepts a fragment under the Merkle root of its bytes, and
 * rejects a wrong name and a flipped bit at every byte of a small fragment
 * (header bytes may fail parsing first; payload bytes are
 * DZ_EINTEGRITY). */
static void
check_small(void **state)
{
	(void)state;
	uint8_t name[MERKLE_HASHBYTES], bad[MERKLE_HASHBYTES];
	struct merkle *m;
	struct frag_hdr h;
	size_t len;
	uint8_t *b = make_frag(3, 5, 2, 300, &len);

	assert_int_equal(merkle_new(len, &m), 0);
	assert_int_equal(merkle_build(m, b, len, name), 0);
	memset(&h, 0, sizeof(h));
	assert_int_equal(frag_check(m, b, len, name, &h), 0);
	assert_int_equal(h.index, 2);
	assert_int_equal(h.payload_len, 100);
	for (size_t i = 0; i < MERKLE_HASHBYTES; i++) {
		memcpy(bad, name, sizeof(bad));
		bad[i] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(frag_check(m, b, len, bad, &h), DZ_EINTEGRITY);
	}
	for (size_t i = 0; i < len; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			int rc;

			b[i] ^= (uint8_t)(1u << bit);
			rc = frag_check(m, b, len, name, &h);
			b[i] ^= (uint8_t)(1u << bit);
			if (i >= FRAG_HDRBYTES)
				assert_int_equal(rc, DZ_EINTEGRITY);
			else
				assert_true(rc == DZ_EINTEGRITY ||
				    rc == DZ_EFORMAT || rc == DZ_EVERSION);
		}
	}
	/* a header that parses differently but validly is caught by the
	 * name alone: index 2 -> 3 */
	b[OFF_INDEX] = 3;
	assert_int_equal(frag_parse(b, len, &h), 0);
	assert_int_equal(frag_check(m, b, len, name, &h), DZ_EINTEGRITY);
	b[OFF_INDEX] = 2;
	assert_int_equal(frag_check(m, b, len, name, &h), 0);
	/* a malformed fragment is reported as such, even under its name */
	assert_int_equal(merkle_build(m, b, len - 1, name), 0);
	assert_int_equal(frag_check(m, b, len - 1, name, &h), DZ_ETRUNC);
	merkle_free(m);
	free(b);
}

/* The same over a fragment of several Merkle blocks: a flipped bit in any
 * block (first, middle, last, and at block edges) is DZ_EINTEGRITY, and a
 * Merkle builder too small for the fragment is an error, not a pass. */
static void
check_multi_block(void **state)
{
	(void)state;
	uint8_t name[MERKLE_HASHBYTES];
	struct merkle *m, *small;
	struct frag_hdr h;
	size_t len;
	uint8_t *b = make_frag(2, 4, 3, 3 * MERKLE_BLOCK + 1000, &len);

	assert_true(merkle_nleaves(len) >= 2);
	assert_int_equal(merkle_new(len, &m), 0);
	assert_int_equal(merkle_build(m, b, len, name), 0);
	assert_int_equal(frag_check(m, b, len, name, &h), 0);
	for (size_t i = FRAG_HDRBYTES; i < len; i += 997) {
		b[i] ^= 0x01;
		assert_int_equal(frag_check(m, b, len, name, &h),
		    DZ_EINTEGRITY);
		b[i] ^= 0x01;
	}
	for (size_t blk = 1; blk * MERKLE_BLOCK <= len; blk++) {
		size_t at[] = {blk * MERKLE_BLOCK - 1, blk * MERKLE_BLOCK};

		for (size_t j = 0; j < 2; j++) {
			if (at[j] >= len)
				continue;
			b[at[j]] ^= 0x80;
			assert_int_equal(frag_check(m, b, len, name, &h),
			    DZ_EINTEGRITY);
			b[at[j]] ^= 0x80;
		}
	}
	b[len - 1] ^= 0x40;
	assert_int_equal(frag_check(m, b, len, name, &h), DZ_EINTEGRITY);
	b[len - 1] ^= 0x40;
	assert_int_equal(frag_check(m, b, len, name, &h), 0);

	assert_int_equal(merkle_new(len - 1, &small), 0);
	assert_true(frag_check(small, b, len, name, &h) != 0);
	merkle_free(small);
	merkle_free(m);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(payload_lengths),
		cmocka_unit_test(init_bounds),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(rejections),
		cmocka_unit_test(check_small),
		cmocka_unit_test(check_multi_block),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
