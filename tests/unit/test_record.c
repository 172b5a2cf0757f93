/* test_record: a file record header survives encode/parse unchanged, the
 * parser rejects every field that is out of bounds or inconsistent, segment
 * arithmetic is right at its edges, and record keys are separated by folder
 * key and object id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/cursor.h"
#include "core/pad.h"
#include "core/record.h"

/* Byte offsets of the v1 header fields (docs/formats.md). */
enum {
	OFF_VERSION = 0,
	OFF_MAGIC = 1,
	OFF_HDRLEN = 4,
	OFF_ID = 8,
	OFF_FILEKEY = 40,
	OFF_SIZE = 72,
	OFF_MTIME = 80,
	OFF_NSEC = 88,
	OFF_MODE = 92,
	OFF_SEGSIZE = 96,
	OFF_K = 100,
	OFF_N = 101,
	OFF_RESERVED = 102,
	OFF_NSEGS = 104,
	OFF_NAMELEN = 112,
	OFF_NAME = 114,
};

struct fixture {
	struct record_hdr *h, *p; /* sodium_malloc: they hold a file key */
	uint8_t buf[RECORD_MAXHDR + 16];
	size_t len;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->h = sodium_malloc(sizeof(*f->h));
	f->p = sodium_malloc(sizeof(*f->p));
	if (f->h == NULL || f->p == NULL)
		return -1;
	memset(f->h, 0, sizeof(*f->h));
	randombytes_buf(f->h->object_id, RECORD_IDBYTES);
	randombytes_buf(f->h->file_key, RECORD_KEYBYTES);
	f->h->size = 10u * 1024 * 1024 + 3;
	f->h->mtime_sec = -1234567890123LL; /* negative: before 1970 */
	f->h->mtime_nsec = 999999999;
	f->h->mode = 0100644;
	f->h->seg_size = RECORD_SEGDEFAULT;
	f->h->k = 4;
	f->h->n = 12;
	f->h->nsegs = 3;
	strcpy(f->h->name, "holiday photos/beach.jpg");
	f->h->name_len = (uint16_t)strlen(f->h->name);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sodium_free(f->h);
	sodium_free(f->p);
	free(f);
	return 0;
}

static void
encode(struct fixture *f)
{
	assert_int_equal(record_hdr_encode(f->h, f->buf, sizeof(f->buf),
	    &f->len), 0);
	assert_int_equal(f->len, record_hdr_len(f->h));
}

static void
assert_same_hdr(const struct record_hdr *a, const struct record_hdr *b)
{
	assert_memory_equal(a->object_id, b->object_id, RECORD_IDBYTES);
	assert_memory_equal(a->file_key, b->file_key, RECORD_KEYBYTES);
	assert_true(a->size == b->size);
	assert_true(a->mtime_sec == b->mtime_sec);
	assert_int_equal(a->mtime_nsec, b->mtime_nsec);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->seg_size, b->seg_size);
	assert_int_equal(a->k, b->k);
	assert_int_equal(a->n, b->n);
	assert_true(a->nsegs == b->nsegs);
	assert_int_equal(a->name_len, b->name_len);
	assert_memory_equal(a->name, b->name, a->name_len);
	assert_int_equal(b->name[b->name_len], '\0');
}

/* encode, prefix_parse, parse and re-encode give back the same header and
 * the same bytes. */
static void
round_trip(struct fixture *f)
{
	uint8_t again[RECORD_MAXHDR];
	uint32_t hdr_len;
	size_t len2;

	encode(f);
	assert_int_equal(record_prefix_parse(f->buf, RECORD_PREFIXBYTES,
	    &hdr_len), 0);
	assert_int_equal(hdr_len, f->len);
	memset(f->p, 0xa5, sizeof(*f->p));
	assert_int_equal(record_hdr_parse(f->buf, f->len, f->p), 0);
	assert_same_hdr(f->h, f->p);
	assert_int_equal(record_hdr_encode(f->p, again, sizeof(again), &len2),
	    0);
	assert_int_equal(len2, f->len);
	assert_memory_equal(again, f->buf, f->len);
}

/* A typical header round-trips, and its bytes sit where the format says. */
static void
round_trip_typical(void **state)
{
	struct fixture *f = *state;

	round_trip(f);
	assert_int_equal(f->len, RECORD_FIXEDBYTES + f->h->name_len);
	assert_int_equal(f->buf[OFF_VERSION], RECORD_VERSION);
	assert_memory_equal(f->buf + OFF_MAGIC, "DZR", 3);
	assert_int_equal(le32_get(f->buf + OFF_HDRLEN), f->len);
	assert_memory_equal(f->buf + OFF_ID, f->h->object_id, 32);
	assert_memory_equal(f->buf + OFF_FILEKEY, f->h->file_key, 32);
	assert_true(le64_get(f->buf + OFF_SIZE) == f->h->size);
	assert_int_equal(le32_get(f->buf + OFF_SEGSIZE), RECORD_SEGDEFAULT);
	assert_int_equal(f->buf[OFF_K], 4);
	assert_int_equal(f->buf[OFF_N], 12);
	assert_true(le64_get(f->buf + OFF_NSEGS) == 3);
	assert_memory_equal(f->buf + OFF_NAME, f->h->name, f->h->name_len);
}

/* The empty name and the longest name (4096 bytes) round-trip. */
static void
round_trip_name_edges(void **state)
{
	struct fixture *f = *state;

	f->h->name_len = 0;
	f->h->name[0] = '\0';
	round_trip(f);
	assert_int_equal(f->len, RECORD_FIXEDBYTES);

	memset(f->h->name, 'x', RECORD_MAXNAME);
	f->h->name[0] = (char)0xc3; /* any byte but NUL: names are bytes */
	f->h->name[RECORD_MAXNAME] = '\0';
	f->h->name_len = RECORD_MAXNAME;
	round_trip(f);
	assert_int_equal(f->len, RECORD_MAXHDR);
}

/* Sizes at segment boundaries round-trip with the right nsegs: 0 -> 1,
 * seg_size -> 1, seg_size + 1 -> 2, and the largest size allowed. */
static void
round_trip_size_edges(void **state)
{
	struct fixture *f = *state;
	const struct {
		uint64_t size;
		uint32_t seg;
		uint64_t nsegs;
	} c[] = {
		{0, RECORD_SEGMIN, 1},
		{1, RECORD_SEGMIN, 1},
		{RECORD_SEGMIN, RECORD_SEGMIN, 1},
		{RECORD_SEGMIN + 1, RECORD_SEGMIN, 2},
		{RECORD_SEGMAX, RECORD_SEGMAX, 1},
		{3ull * RECORD_SEGMAX, RECORD_SEGMAX, 3},
		{RECORD_MAXSIZE, RECORD_SEGMIN, (RECORD_MAXSIZE >> 12) + 1},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_true(record_nsegs(c[i].size, c[i].seg) == c[i].nsegs);
		f->h->size = c[i].size;
		f->h->seg_size = c[i].seg;
		f->h->nsegs = c[i].nsegs;
		round_trip(f);
	}
}

/* record_seg_len: full segments but the last, which holds the rest. */
static void
segment_lengths(void **state)
{
	struct fixture *f = *state;
	struct record_hdr *h = f->h;

	h->seg_size = RECORD_SEGMIN;
	h->size = 0;
	h->nsegs = record_nsegs(h->size, h->seg_size);
	assert_int_equal(record_seg_len(h, 0), 0);
	assert_int_equal(record_seg_len(h, 1), 0); /* past the end */

	h->size = RECORD_SEGMIN;
	h->nsegs = record_nsegs(h->size, h->seg_size);
	assert_int_equal(record_seg_len(h, 0), RECORD_SEGMIN);

	h->size = RECORD_SEGMIN + 1;
	h->nsegs = record_nsegs(h->size, h->seg_size);
	assert_true(h->nsegs == 2);
	assert_int_equal(record_seg_len(h, 0), RECORD_SEGMIN);
	assert_int_equal(record_seg_len(h, 1), 1);

	h->size = 3ull * RECORD_SEGMIN;
	h->nsegs = record_nsegs(h->size, h->seg_size);
	assert_true(h->nsegs == 3);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(record_seg_len(h, i), RECORD_SEGMIN);
	assert_int_equal(record_seg_len(h, 3), 0);

	h->size = RECORD_MAXSIZE;
	h->nsegs = record_nsegs(h->size, h->seg_size);
	assert_int_equal(record_seg_len(h, 0), RECORD_SEGMIN);
	assert_int_equal(record_seg_len(h, h->nsegs - 1), RECORD_SEGMIN - 1);

	assert_int_equal(record_entry_bytes(12), 12 * 32);
	assert_int_equal(record_entry_bytes(255), 255 * 32);
}

/* Patch the encoding, parse it, and expect rc; a failed parse leaves no
 * trace of the file key in the output struct. */
static void
expect_parse(struct fixture *f, const uint8_t *b, size_t len, int rc)
{
	static const uint8_t zero[sizeof(struct record_hdr)];

	memset(f->p, 0x5a, sizeof(*f->p));
	assert_int_equal(record_hdr_parse(b, len, f->p), rc);
	if (rc != 0)
		assert_memory_equal(f->p, zero, sizeof(*f->p));
}

static void
patch32(struct fixture *f, size_t off, uint32_t v, int rc)
{
	uint8_t b[RECORD_MAXHDR + 16];

	memcpy(b, f->buf, f->len);
	le32_put(b + off, v);
	expect_parse(f, b, f->len, rc);
}

static void
patch64(struct fixture *f, size_t off, uint64_t v, int rc)
{
	uint8_t b[RECORD_MAXHDR + 16];

	memcpy(b, f->buf, f->len);
	le64_put(b + off, v);
	expect_parse(f, b, f->len, rc);
}

static void
patch8(struct fixture *f, size_t off, uint8_t v, int rc)
{
	uint8_t b[RECORD_MAXHDR + 16];

	memcpy(b, f->buf, f->len);
	b[off] = v;
	expect_parse(f, b, f->len, rc);
}

/* The framing is strict: version, magic, hdr_len equal to the buffer's
 * length and within [RECORD_FIXEDBYTES, RECORD_MAXHDR], nothing after it. */
static void
rejects_bad_framing(void **state)
{
	struct fixture *f = *state;
	uint8_t b[RECORD_MAXHDR + 16];
	uint32_t hl;

	encode(f);
	expect_parse(f, f->buf, f->len, 0);
	patch8(f, OFF_VERSION, 0, DZ_EVERSION);
	patch8(f, OFF_VERSION, 1, 0); /* unpadded records of old builds still read */
	patch8(f, OFF_VERSION, RECORD_VERSION + 1, DZ_EVERSION);
	for (size_t i = 0; i < 3; i++)
		patch8(f, OFF_MAGIC + i, f->buf[OFF_MAGIC + i] ^ 0x20,
		    DZ_EFORMAT);
	/* every truncation, including inside the prefix */
	for (size_t len = 0; len < f->len; len++)
		expect_parse(f, f->buf, len, DZ_ETRUNC);
	/* a byte more than hdr_len says */
	memcpy(b, f->buf, f->len);
	b[f->len] = 0;
	expect_parse(f, b, f->len + 1, DZ_EFORMAT);
	/* hdr_len disagreeing with the buffer, either way */
	patch32(f, OFF_HDRLEN, (uint32_t)f->len + 1, DZ_ETRUNC);
	patch32(f, OFF_HDRLEN, (uint32_t)f->len - 1, DZ_EFORMAT);
	/* hdr_len out of bounds, also for the prefix parser */
	patch32(f, OFF_HDRLEN, RECORD_FIXEDBYTES - 1, DZ_EFORMAT);
	patch32(f, OFF_HDRLEN, RECORD_MAXHDR + 1, DZ_EFORMAT);
	patch32(f, OFF_HDRLEN, UINT32_MAX, DZ_EFORMAT);
	memcpy(b, f->buf, f->len);
	le32_put(b + OFF_HDRLEN, RECORD_MAXHDR + 1);
	assert_int_equal(record_prefix_parse(b, 8, &hl), DZ_EFORMAT);
	le32_put(b + OFF_HDRLEN, RECORD_FIXEDBYTES - 1);
	assert_int_equal(record_prefix_parse(b, 8, &hl), DZ_EFORMAT);
	le32_put(b + OFF_HDRLEN, RECORD_MAXHDR);
	assert_int_equal(record_prefix_parse(b, 8, &hl), 0);
	assert_int_equal(hl, RECORD_MAXHDR);
	for (size_t len = 1; len < RECORD_PREFIXBYTES; len++)
		assert_int_equal(record_prefix_parse(b, len, &hl), DZ_ETRUNC);
	assert_int_equal(record_prefix_parse(b, 0, &hl), DZ_ETRUNC);
	b[0] = 7; /* the version is judged first, however short */
	assert_int_equal(record_prefix_parse(b, 1, &hl), DZ_EVERSION);
}

/* Every field bound and cross-check is enforced by the parser. */
static void
rejects_bad_fields(void **state)
{
	struct fixture *f = *state;

	encode(f); /* size 10 MiB + 3, seg 4 MiB, 3 segments, 4-of-12 */
	patch32(f, OFF_SEGSIZE, RECORD_SEGMIN - 1, DZ_EFORMAT);
	patch32(f, OFF_SEGSIZE, RECORD_SEGMAX + 1, DZ_EFORMAT);
	patch32(f, OFF_SEGSIZE, 0, DZ_EFORMAT);
	patch8(f, OFF_K, 0, DZ_EFORMAT);
	patch8(f, OFF_K, 12, DZ_EFORMAT); /* k == n */
	patch8(f, OFF_K, 13, DZ_EFORMAT); /* k > n */
	patch8(f, OFF_N, 4, DZ_EFORMAT);
	patch8(f, OFF_N, 0, DZ_EFORMAT);
	patch8(f, OFF_RESERVED, 1, DZ_EFORMAT);
	patch8(f, OFF_RESERVED + 1, 0x80, DZ_EFORMAT);
	patch64(f, OFF_NSEGS, 2, DZ_EFORMAT);
	patch64(f, OFF_NSEGS, 4, DZ_EFORMAT);
	patch64(f, OFF_NSEGS, 0, DZ_EFORMAT);
	patch64(f, OFF_NSEGS, UINT64_MAX, DZ_EFORMAT);
	patch64(f, OFF_SIZE, 12u * 1024 * 1024 + 1, DZ_EFORMAT); /* 4 segs */
	patch64(f, OFF_SIZE, 8u * 1024 * 1024, DZ_EFORMAT);      /* 2 segs */
	patch32(f, OFF_NSEC, 1000000000, DZ_EFORMAT);
	patch32(f, OFF_NSEC, UINT32_MAX, DZ_EFORMAT);
	/* the name must fill exactly what hdr_len leaves */
	patch8(f, OFF_NAMELEN, (uint8_t)(f->h->name_len + 1), DZ_EFORMAT);
	patch8(f, OFF_NAMELEN, (uint8_t)(f->h->name_len - 1), DZ_EFORMAT);
	patch8(f, OFF_NAMELEN + 1, 1, DZ_EFORMAT);
	/* no NUL inside the name, wherever it is */
	patch8(f, OFF_NAME, 0, DZ_EFORMAT);
	patch8(f, OFF_NAME + 5, 0, DZ_EFORMAT);
	patch8(f, f->len - 1, 0, DZ_EFORMAT);
	/* fields without bounds take any value */
	patch32(f, OFF_MODE, UINT32_MAX, 0);
	patch64(f, OFF_MTIME, UINT64_MAX, 0);
	patch8(f, OFF_N, 255, 0);
	patch8(f, OFF_K, 11, 0);
	patch32(f, OFF_NSEC, 999999999, 0);
}

/* A size above RECORD_MAXSIZE is rejected even with a matching nsegs, so
 * that table arithmetic (nsegs * entry bytes) cannot overflow. */
static void
rejects_oversized_file(void **state)
{
	struct fixture *f = *state;
	uint8_t b[RECORD_MAXHDR];
	uint64_t big = RECORD_MAXSIZE + 1;

	f->h->seg_size = RECORD_SEGMIN;
	f->h->size = RECORD_MAXSIZE;
	f->h->nsegs = record_nsegs(f->h->size, f->h->seg_size);
	encode(f);
	expect_parse(f, f->buf, f->len, 0);
	memcpy(b, f->buf, f->len);
	le64_put(b + OFF_SIZE, big);
	le64_put(b + OFF_NSEGS, record_nsegs(big, RECORD_SEGMIN));
	expect_parse(f, b, f->len, DZ_EFORMAT);
	le64_put(b + OFF_SIZE, UINT64_MAX);
	le64_put(b + OFF_NSEGS, record_nsegs(UINT64_MAX, RECORD_SEGMIN));
	expect_parse(f, b, f->len, DZ_EFORMAT);
}

/* The encoder refuses what the parser would refuse, and a short buffer. */
static void
encoder_checks(void **state)
{
	struct fixture *f = *state;
	struct record_hdr *h = f->h;
	uint8_t b[RECORD_MAXHDR];
	size_t len = 12345;

	assert_int_equal(record_hdr_encode(h, b, record_hdr_len(h) - 1, &len),
	    DZ_ERANGE);
	assert_int_equal(len, 12345);
	assert_int_equal(record_hdr_encode(h, b, record_hdr_len(h), &len), 0);

	/* each case breaks one rule of a copy of the valid header */
	struct record_hdr *g = sodium_malloc(sizeof(*g));

	assert_non_null(g);
	for (int i = 0; i < 10; i++) {
		memcpy(g, h, sizeof(*g));
		switch (i) {
		case 0: g->seg_size = RECORD_SEGMIN - 1; break;
		case 1: g->seg_size = RECORD_SEGMAX + 1; break;
		case 2: g->k = 0; break;
		case 3: g->k = g->n; break;
		case 4: g->nsegs++; break;
		case 5:
			g->size = RECORD_MAXSIZE + 1;
			g->nsegs = record_nsegs(g->size, g->seg_size);
			break;
		case 6: g->mtime_nsec = 1000000000; break;
		case 7: /* no NUL at all: only the length is wrong */
			memset(g->name, 'a', sizeof(g->name));
			g->name_len = RECORD_MAXNAME + 1;
			break;
		case 8: g->name[3] = '\0'; break;
		case 9: g->nsegs = 0; break;
		}
		assert_int_equal(record_hdr_encode(g, b, sizeof(b), &len),
		    DZ_EINVAL);
	}
	sodium_free(g);
}
/* record_key is keyed BLAKE2b-256 over "drizzle record v1" || object_id
 * (checked against a one-shot computation), and changes with either input. */
static void
record_keys(void **state)
{
	(void)state;
	uint8_t fk[32], fk2[32], id[32], id2[32];
	uint8_t k1[32], k2[32], k3[32], k4[32], want[32];
	uint8_t msg[17 + 32];

	randombytes_buf(fk, sizeof(fk));
	randombytes_buf(id, sizeof(id));
	memcpy(fk2, fk, 32);
	fk2[31] ^= 1;
	memcpy(id2, id, 32);
	id2[0] ^= 0x80;

	record_key(fk, id, k1);
	memcpy(msg, "drizzle record v1", 17);
	memcpy(msg + 17, id, 32);
	assert_int_equal(crypto_generichash(want, 32, msg, sizeof(msg), fk, 32),
	    0);
	assert_memory_equal(k1, want, 32);

	record_key(fk, id, k2);
	assert_memory_equal(k1, k2, 32);
	record_key(fk, id2, k3);
	assert_memory_not_equal(k1, k3, 32);
	record_key(fk2, id, k4);
	assert_memory_not_equal(k1, k4, 32);
	assert_memory_not_equal(k3, k4, 32);
}

/* Records of names 1 and 57 bytes long have one padded length (the
 * bucket), a version 1 record none, and the buckets are pad.h's. */
static void
padded_lengths(void **state)
{
	struct fixture *f = *state;
	uint64_t a, b, v1;
	size_t p;

	f->h->name_len = 1;
	assert_int_equal(record_padded_len(f->h, &a), 0);
	f->h->name_len = 57;
	assert_int_equal(record_padded_len(f->h, &b), 0);
	assert_true(a == b);
	assert_true(a % PAD_MIN == 0 && a >= record_hdr_len(f->h) + 3 * 12 * 32);
	f->h->version = 1;
	assert_int_equal(record_padded_len(f->h, &v1), 0);
	assert_true(v1 == record_hdr_len(f->h) + 3 * 12 * 32);
	/* buckets: 4 KiB steps to 64 KiB, then eight per doubling */
	assert_int_equal(pad_bucket(0, &p), 0);
	assert_int_equal(p, PAD_MIN);
	assert_int_equal(pad_bucket(4097, &p), 0);
	assert_int_equal(p, 8192);
	assert_int_equal(pad_bucket(65536, &p), 0);
	assert_int_equal(p, 65536);
	assert_int_equal(pad_bucket(65537, &p), 0);
	assert_int_equal(p, 65536 + 8192);
	assert_int_equal(pad_bucket((size_t)1 << 20, &p), 0);
	assert_int_equal(p, (size_t)1 << 20);
	assert_int_equal(pad_bucket(((size_t)1 << 20) + 1, &p), 0);
	assert_int_equal(p, ((size_t)1 << 20) + (1 << 17));
	assert_int_equal(pad_bucket(SIZE_MAX, &p), DZ_ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip_typical, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(round_trip_name_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(round_trip_size_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(segment_lengths, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(rejects_bad_framing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(rejects_bad_fields, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(rejects_oversized_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(encoder_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(padded_lengths, setup,
		    teardown),
		cmocka_unit_test(record_keys),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
