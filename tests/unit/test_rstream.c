/* test_rstream: a sealed chunk stream gives back exactly what was written,
 * whatever the lengths and the pieces it is written and read in, and any
 * cut, reordering, alteration, wrong key, wrong object id, trailing bytes
 * or hostile chunk length is reported instead of returning plaintext. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/cursor.h"
#include "core/rstream.h"

#define CHUNK RSTREAM_CHUNK
#define HDR RSTREAM_HDRBYTES
#define TAG SEG_TAGBYTES

/* --- in-memory callbacks --- */

struct sink {
	uint8_t *p;
	size_t len, cap;
	int calls;
	int fail_at; /* the call that fails with DZ_EIO; 0: never */
};

static int
sink_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink *s = ctx;

	if (++s->calls == s->fail_at)
		return DZ_EIO;
	if (len > s->cap - s->len) {
		size_t cap = (s->cap + len) * 2;
		uint8_t *p = realloc(s->p, cap);

		if (p == NULL)
			return DZ_ENOMEM;
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, buf, len);
	s->len += len;
	return 0;
}

struct source {
	const uint8_t *p;
	size_t len, off;
	size_t asked; /* bytes requested in total, granted or not */
};

static int
source_read(void *ctx, uint8_t *buf, size_t len)
{
	struct source *s = ctx;

	s->asked += len;
	if (len > s->len - s->off) {
		s->off = s->len;
		return DZ_ETRUNC;
	}
	memcpy(buf, s->p + s->off, len);
	s->off += len;
	return 0;
}

/* --- helpers --- */

static struct aead *aead;
static uint8_t key[SEG_KEYBYTES], id[SEG_IDBYTES];

static int
group_setup(void **state)
{
	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(id, sizeof(id));
	return aead_new(&aead);
}

static int
group_teardown(void **state)
{
	(void)state;
	aead_free(aead);
	return 0;
}

static uint8_t *
pattern(size_t len)
{
	uint8_t *p = malloc(len + 1);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + (i >> 16) * 7 + 1);
	return p;
}

/* Pieces of odd sizes, cycling, so writes and reads straddle chunks. */
static const size_t pieces[] = {1, 7, 4093, CHUNK + 3, 2, CHUNK - 5, 65};

/* write_stream: the stream of len pattern bytes into s, under k and i. */
static void
write_stream(struct sink *s, const uint8_t *pt, size_t len,
    const uint8_t *k, const uint8_t *i)
{
	struct rstream_w *w;
	size_t off = 0, n;

	memset(s, 0, sizeof(*s));
	assert_int_equal(rstream_w_new(aead, k, i, sink_write, s, &w), 0);
	for (size_t j = 0; off < len; j++) {
		n = pieces[j % (sizeof(pieces) / sizeof(pieces[0]))];
		if (n > len - off)
			n = len - off;
		assert_int_equal(rstream_w_write(w, pt + off, n), 0);
		off += n;
	}
	assert_int_equal(rstream_w_write(w, pt, 0), 0);
	assert_int_equal(rstream_w_close(w), 0);
	rstream_w_free(w);
}

/* read_stream: open the len bytes at p with k, read want bytes in pieces
 * (starting at piece index skew), then end the stream. Returns the first
 * error, or 0; out (want bytes) gets what was read. */
static int
read_stream(const uint8_t *p, size_t len, const uint8_t *k, uint8_t *out,
    size_t want, size_t skew, struct source *src)
{
	struct rstream_r *r;
	uint8_t got_id[SEG_IDBYTES];
	size_t off = 0, n;
	int rc;

	memset(src, 0, sizeof(*src));
	src->p = p;
	src->len = len;
	if ((rc = rstream_r_new(source_read, src, got_id, &r)) != 0)
		return rc;
	rstream_r_start(r, aead, k);
	for (size_t j = skew; off < want; j++) {
		n = pieces[j % (sizeof(pieces) / sizeof(pieces[0]))];
		if (n > want - off)
			n = want - off;
		if ((rc = rstream_r_read(r, out + off, n)) != 0)
			goto out;
		off += n;
	}
	rc = rstream_r_end(r);
out:
	rstream_r_free(r);
	return rc;
}

/* The encoded length of an honest stream of len bytes: one chunk per full
 * RSTREAM_CHUNK, then a last chunk of the rest (empty for exact multiples). */
static size_t
stream_len(size_t len)
{
	return HDR + (len / CHUNK) * (4 + CHUNK + TAG) + 4 + len % CHUNK + TAG;
}

/* Offset of chunk i's sealed_len field in an honest stream. */
static size_t
chunk_off(size_t i)
{
	return HDR + i * (4 + CHUNK + TAG);
}

/* --- tests --- */

/* Lengths 0, 1, CHUNK-1, CHUNK, CHUNK+1 and 3*CHUNK round-trip when
 * written and read in odd pieces; the encoding has the documented layout
 * (header, full chunks, and a short or empty last chunk). */
static void
round_trip_lengths(void **state)
{
	(void)state;
	const size_t lens[] = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK};
	struct source src;
	struct sink s;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		uint8_t *pt = pattern(len), *out = malloc(len + 1);

		assert_non_null(out);
		write_stream(&s, pt, len, key, id);
		assert_int_equal(s.len, stream_len(len));
		assert_int_equal(s.p[0], RSTREAM_VERSION);
		assert_memory_equal(s.p + 1, "DZS", 3);
		assert_memory_equal(s.p + 4, id, SEG_IDBYTES);
		for (size_t c = 0; c < len / CHUNK; c++)
			assert_int_equal(le32_get(s.p + chunk_off(c)),
			    CHUNK + TAG);
		assert_int_equal(le32_get(s.p + chunk_off(len / CHUNK)),
		    len % CHUNK + TAG);
		/* the ciphertext is not the plaintext */
		if (len >= 16)
			assert_memory_not_equal(s.p + chunk_off(0) + 4, pt, 16);
		for (size_t skew = 0; skew < 3; skew++) {
			memset(out, 0, len + 1);
			assert_int_equal(read_stream(s.p, s.len, key, out, len,
			    skew, &src), 0);
			assert_memory_equal(out, pt, len);
			assert_int_equal(src.off, s.len);
		}
		free(s.p);
		free(pt);
		free(out);
	}
}

/* Asking for more plaintext than the stream holds is DZ_ETRUNC, and the
 * error sticks: later reads and rstream_r_end give it again. */
static void
read_past_end(void **state)
{
	(void)state;
	uint8_t *pt = pattern(CHUNK + 10), *out = malloc(CHUNK + 11);
	uint8_t got[SEG_IDBYTES];
	struct rstream_r *r;
	struct source src = {0};
	struct sink s;

	write_stream(&s, pt, CHUNK + 10, key, id);
	src.p = s.p;
	src.len = s.len;
	assert_int_equal(rstream_r_new(source_read, &src, got, &r), 0);
	assert_memory_equal(got, id, SEG_IDBYTES);
	assert_int_equal(rstream_r_read(r, out, 1), DZ_EINVAL); /* no key */
	rstream_r_start(r, aead, key);
	assert_int_equal(rstream_r_read(r, out, CHUNK + 11), DZ_ETRUNC);
	assert_int_equal(rstream_r_read(r, out, 1), DZ_ETRUNC);
	assert_int_equal(rstream_r_end(r), DZ_ETRUNC);
	rstream_r_free(r);
	free(s.p);
	free(pt);
	free(out);
}

/* A stream cut anywhere (in the header, in a length, in a chunk, between
 * chunks, just before the empty last chunk) fails with DZ_ETRUNC or
 * DZ_EFORMAT, never 0. */
static void
cut_streams(void **state)
{
	(void)state;
	const size_t lens[] = {3 * CHUNK + 5, 2 * CHUNK, 0};
	struct source src;
	struct sink s;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		uint8_t *pt = pattern(len), *out = malloc(len + 1);
		size_t cuts[] = {0, 1, 4, HDR - 1, HDR, HDR + 1, HDR + 3,
		    HDR + 4, HDR + 5, chunk_off(1) - 1, chunk_off(1),
		    chunk_off(1) + 2, chunk_off(2) + 100, chunk_off(3),
		    chunk_off(3) + 4, 0, 0};
		size_t ncuts = sizeof(cuts) / sizeof(cuts[0]);

		write_stream(&s, pt, len, key, id);
		cuts[ncuts - 2] = s.len - 1;
		cuts[ncuts - 1] = s.len - TAG - 4; /* before the last chunk */
		for (size_t c = 0; c < ncuts; c++) {
			int rc;

			if (cuts[c] >= s.len)
				continue;
			rc = read_stream(s.p, cuts[c], key, out, len, 0, &src);
			assert_true(rc == DZ_ETRUNC || rc == DZ_EFORMAT);
		}
		free(s.p);
		free(pt);
		free(out);
	}
}

/* Dropping the empty last chunk of an exact multiple of RSTREAM_CHUNK is
 * noticed by rstream_r_end even when the reader wanted no more plaintext. */
static void
dropped_empty_last_chunk(void **state)
{
	(void)state;
	uint8_t *pt = pattern(2 * CHUNK), *out = malloc(2 * CHUNK);
	struct source src;
	struct sink s;

	write_stream(&s, pt, 2 * CHUNK, key, id);
	assert_int_equal(read_stream(s.p, s.len - 4 - TAG, key, out, 2 * CHUNK,
	    0, &src), DZ_ETRUNC);
	assert_memory_equal(out, pt, 2 * CHUNK); /* authentic, but not all */
	free(s.p);
	free(pt);
	free(out);
}

/* Swapping two chunks, dropping a middle one, flipping a bit anywhere in a
 * chunk, a wrong key and a header naming another object: DZ_EAUTH. */
static void
tampering_fails_auth(void **state)
{
	(void)state;
	const size_t len = 3 * CHUNK + 1000, one = 4 + CHUNK + TAG;
	uint8_t *pt = pattern(len), *out = malloc(len), *b = malloc(len + 1000);
	uint8_t wrong[SEG_KEYBYTES];
	struct source src;
	struct sink s;

	write_stream(&s, pt, len, key, id);
	assert_int_equal(read_stream(s.p, s.len, key, out, len, 0, &src), 0);

	memcpy(b, s.p, s.len); /* chunks 0 and 1 swapped */
	memcpy(b + chunk_off(0), s.p + chunk_off(1), one);
	memcpy(b + chunk_off(1), s.p + chunk_off(0), one);
	assert_int_equal(read_stream(b, s.len, key, out, len, 0, &src),
	    DZ_EAUTH);

	memcpy(b, s.p, chunk_off(1)); /* chunk 1 dropped */
	memcpy(b + chunk_off(1), s.p + chunk_off(2), s.len - chunk_off(2));
	assert_int_equal(read_stream(b, s.len - one, key, out, len, 0, &src),
	    DZ_EAUTH);

	/* a flipped bit in each chunk's sealed bytes, at its start, middle and
	 * tag */
	for (size_t c = 0; c < 4; c++) {
		size_t at[] = {chunk_off(c) + 4, chunk_off(c) + 4 + 500,
		    c < 3 ? chunk_off(c + 1) - 1 : s.len - 1};

		for (size_t j = 0; j < 3; j++) {
			memcpy(b, s.p, s.len);
			b[at[j]] ^= (uint8_t)(1u << (j + c));
			assert_int_equal(read_stream(b, s.len, key, out, len, 0,
			    &src), DZ_EAUTH);
		}
	}

	memcpy(wrong, key, sizeof(wrong));
	wrong[7] ^= 0x10;
	assert_int_equal(read_stream(s.p, s.len, wrong, out, len, 0, &src),
	    DZ_EAUTH);

	memcpy(b, s.p, s.len); /* the header names another object */
	b[4 + 31] ^= 1;
	assert_int_equal(read_stream(b, s.len, key, out, len, 0, &src),
	    DZ_EAUTH);

	free(s.p);
	free(pt);
	free(out);
	free(b);
}

/* A chunk from another object's stream under the same key does not open
 * in this one, even at the same index. */
static void
spliced_chunk_fails_auth(void **state)
{
	(void)state;
	uint8_t *pt = pattern(CHUNK + 50), *out = malloc(CHUNK + 50);
	uint8_t id2[SEG_IDBYTES];
	struct source src;
	struct sink s, s2;

	memcpy(id2, id, sizeof(id2));
	id2[0] ^= 1;
	write_stream(&s, pt, CHUNK + 50, key, id);
	write_stream(&s2, pt, CHUNK + 50, key, id2);
	assert_int_equal(s.len, s2.len);
	memcpy(s.p + chunk_off(1), s2.p + chunk_off(1), s.len - chunk_off(1));
	assert_int_equal(read_stream(s.p, s.len, key, out, CHUNK + 50, 0, &src),
	    DZ_EAUTH);
	free(s.p);
	free(s2.p);
	free(pt);
	free(out);
}

/* Only the chunk length decides the last flag, and the sealed flag must
 * agree: a full chunk sealed as last, or a short chunk sealed as not last
 * (which no honest writer makes), does not open. */
static void
last_flag_must_match_length(void **state)
{
	(void)state;
	uint8_t *pt = pattern(CHUNK), *b = malloc(HDR + 4 + CHUNK + TAG);
	uint8_t *out = malloc(CHUNK);
	struct source src;

	b[0] = RSTREAM_VERSION;
	memcpy(b + 1, "DZS", 3);
	memcpy(b + 4, id, SEG_IDBYTES);
	/* one full chunk flagged last */
	le32_put(b + HDR, CHUNK + TAG);
	assert_int_equal(seg_seal(aead, key, id, 0, 1, pt, CHUNK, b + HDR + 4),
	    0);
	assert_int_equal(read_stream(b, HDR + 4 + CHUNK + TAG, key, out, CHUNK,
	    0, &src), DZ_EAUTH);
	/* one short chunk not flagged last */
	le32_put(b + HDR, 100 + TAG);
	assert_int_equal(seg_seal(aead, key, id, 0, 0, pt, 100, b + HDR + 4),
	    0);
	assert_int_equal(read_stream(b, HDR + 4 + 100 + TAG, key, out, 100, 0,
	    &src), DZ_EAUTH);
	/* the same short chunk flagged last is a valid stream */
	assert_int_equal(seg_seal(aead, key, id, 0, 1, pt, 100, b + HDR + 4),
	    0);
	assert_int_equal(read_stream(b, HDR + 4 + 100 + TAG, key, out, 100, 0,
	    &src), 0);
	assert_memory_equal(out, pt, 100);
	free(pt);
	free(b);
	free(out);
}

/* Nothing after the chunk flagged last is plaintext, even a chunk that
 * would open (sealed by a key holder as the next index): reading on is
 * DZ_ETRUNC and rstream_r_end reports the extra bytes as DZ_EFORMAT. */
static void
nothing_after_last_chunk(void **state)
{
	(void)state;
	const size_t one = 4 + 10 + TAG;
	uint8_t *pt = pattern(20), out[20], *b = malloc(HDR + 2 * one);
	struct source src;

	b[0] = RSTREAM_VERSION;
	memcpy(b + 1, "DZS", 3);
	memcpy(b + 4, id, SEG_IDBYTES);
	for (uint64_t i = 0; i < 2; i++) {
		le32_put(b + HDR + i * one, 10 + TAG);
		assert_int_equal(seg_seal(aead, key, id, i, 1, pt + 10 * i, 10,
		    b + HDR + i * one + 4), 0);
	}
	assert_int_equal(read_stream(b, HDR + one, key, out, 10, 0, &src), 0);
	assert_memory_equal(out, pt, 10);
	assert_int_equal(read_stream(b, HDR + 2 * one, key, out, 20, 0, &src),
	    DZ_ETRUNC);
	assert_int_equal(read_stream(b, HDR + 2 * one, key, out, 10, 0, &src),
	    DZ_EFORMAT);
	free(pt);
	free(b);
}

/* Bytes after the last chunk (one byte, or a whole replayed last chunk)
 * make rstream_r_end fail with DZ_EFORMAT; so does plaintext left unread. */
static void
trailing_bytes_and_leftovers(void **state)
{
	(void)state;
	const size_t lens[] = {10, CHUNK, 2 * CHUNK + 7};
	struct source src;
	struct sink s;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i], last;
		uint8_t *pt = pattern(len), *out = malloc(len + 1);
		uint8_t *b;

		write_stream(&s, pt, len, key, id);
		last = s.len - chunk_off(len / CHUNK);
		b = malloc(s.len + last);
		assert_non_null(b);
		memcpy(b, s.p, s.len);
		b[s.len] = 0;
		assert_int_equal(read_stream(b, s.len + 1, key, out, len, 0,
		    &src), DZ_EFORMAT);
		memcpy(b + s.len, s.p + chunk_off(len / CHUNK), last);
		assert_int_equal(read_stream(b, s.len + last, key, out, len, 0,
		    &src), DZ_EFORMAT);
		/* one plaintext byte left unread */
		assert_int_equal(read_stream(s.p, s.len, key, out, len - 1, 0,
		    &src), DZ_EFORMAT);
		/* a whole full chunk left unread, the reader stopping at a
		 * chunk boundary */
		if (len >= CHUNK)
			assert_int_equal(read_stream(s.p, s.len, key, out,
			    (len / CHUNK - 1) * CHUNK, 0, &src), DZ_EFORMAT);
		free(b);
		free(s.p);
		free(pt);
		free(out);
	}
}

/* A chunk length above RSTREAM_CHUNK + tag (up to 4 GiB) or below the tag
 * is DZ_EFORMAT, found from the 4 length bytes alone: the reader asks the
 * source for nothing more and needs no new buffer. */
static void
hostile_chunk_length(void **state)
{
	(void)state;
	const uint32_t bad[] = {CHUNK + TAG + 1, UINT32_MAX, 1u << 31, TAG - 1,
	    0};
	uint8_t *pt = pattern(100), *out = malloc(100);
	struct source src;
	struct sink s;

	write_stream(&s, pt, 100, key, id);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		le32_put(s.p + HDR, bad[i]);
		assert_int_equal(read_stream(s.p, s.len, key, out, 100, 0, &src),
		    DZ_EFORMAT);
		assert_int_equal(src.asked, HDR + 4);
	}
	free(s.p);
	free(pt);
	free(out);
}

/* The header is strict: another version is DZ_EVERSION (even when it is
 * all there is), a bad magic DZ_EFORMAT, a short header DZ_ETRUNC. */
static void
bad_headers(void **state)
{
	(void)state;
	uint8_t *pt = pattern(10), out[10];
	struct source src;
	struct sink s;

	write_stream(&s, pt, 10, key, id);
	s.p[0] = 2;
	assert_int_equal(read_stream(s.p, 1, key, out, 10, 0, &src),
	    DZ_EVERSION);
	assert_int_equal(read_stream(s.p, s.len, key, out, 10, 0, &src),
	    DZ_EVERSION);
	s.p[0] = 0;
	assert_int_equal(read_stream(s.p, s.len, key, out, 10, 0, &src),
	    DZ_EVERSION);
	s.p[0] = RSTREAM_VERSION;
	for (size_t i = 1; i < 4; i++) {
		s.p[i] ^= 0x40;
		assert_int_equal(read_stream(s.p, s.len, key, out, 10, 0, &src),
		    DZ_EFORMAT);
		s.p[i] ^= 0x40;
	}
	for (size_t len = 0; len < HDR; len++)
		assert_int_equal(read_stream(s.p, len, key, out, 10, 0, &src),
		    DZ_ETRUNC);
	assert_int_equal(read_stream(s.p, s.len, key, out, 10, 0, &src), 0);
	free(s.p);
	free(pt);
}

/* Every failing write of the sink (header, a full chunk, the last chunk)
 * is returned by the call that made it, and sticks. */
static void
writer_failures(void **state)
{
	(void)state;
	const size_t len = 2 * CHUNK + 3;
	uint8_t *pt = pattern(len);
	struct rstream_w *w;
	struct sink s;

	/* calls: 1 header, 2 and 3 full chunks, 4 the last chunk */
	for (int at = 1; at <= 4; at++) {
		int rc;

		memset(&s, 0, sizeof(s));
		s.fail_at = at;
		rc = rstream_w_new(aead, key, id, sink_write, &s, &w);
		if (at == 1) {
			assert_int_equal(rc, DZ_EIO);
			assert_null(w);
			continue;
		}
		assert_int_equal(rc, 0);
		rc = rstream_w_write(w, pt, len);
		assert_int_equal(rc, at <= 3 ? DZ_EIO : 0);
		rc = rstream_w_close(w);
		assert_int_equal(rc, DZ_EIO);
		assert_int_equal(rstream_w_write(w, pt, 1), DZ_EIO);
		rstream_w_free(w);
		free(s.p);
	}
	/* a closed stream takes no more */
	memset(&s, 0, sizeof(s));
	assert_int_equal(rstream_w_new(aead, key, id, sink_write, &s, &w), 0);
	assert_int_equal(rstream_w_close(w), 0);
	assert_int_equal(rstream_w_write(w, pt, 1), DZ_EINVAL);
	assert_int_equal(rstream_w_close(w), DZ_EINVAL);
	rstream_w_free(w);
	rstream_w_free(NULL);
	rstream_r_free(NULL);
	free(s.p);
	free(pt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_lengths),
		cmocka_unit_test(read_past_end),
		cmocka_unit_test(cut_streams),
		cmocka_unit_test(dropped_empty_last_chunk),
		cmocka_unit_test(tampering_fails_auth),
		cmocka_unit_test(spliced_chunk_fails_auth),
		cmocka_unit_test(last_flag_must_match_length),
		cmocka_unit_test(nothing_after_last_chunk),
		cmocka_unit_test(trailing_bytes_and_leftovers),
		cmocka_unit_test(hostile_chunk_length),
		cmocka_unit_test(bad_headers),
		cmocka_unit_test(writer_failures),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
