/* fuzz_rstream: reading any input as an rstream under a fixed key never
 * crashes, leaks or reads out of bounds, whatever the chunk lengths say.
 * The input is consumed in pieces of varying sizes until an error or the
 * end; hostile lengths must be refused, not followed. Most mutations fail
 * authentication, so this mainly exercises framing and bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/rstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The key the seed corpus was made with: 32 bytes 0x01, 0x02, ... 0x20. */
static uint8_t key[SEG_KEYBYTES];
static struct aead *aead;
static uint8_t out[3 * RSTREAM_CHUNK];

struct src {
	const uint8_t *p;
	size_t len, off;
};

static int
src_read(void *ctx, uint8_t *buf, size_t len)
{
	struct src *s = ctx;

	if (len > s->len - s->off) {
		s->off = s->len;
		return DZ_ETRUNC;
	}
	memcpy(buf, s->p + s->off, len);
	s->off += len;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || aead_new(&aead) != 0)
		abort();
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	return 0;
}

/* read_all: open the input, read skip bytes at once (if any), then pieces
 * (or single bytes if bytewise) until an error; *total gets the bytes
 * read. Returns the error that stopped reading, then rstream_r_end's. */
static int
read_all(const uint8_t *data, size_t size, size_t skip, int bytewise,
    size_t *total, int *end_rc)
{
	static const size_t pieces[] = {1, 100, RSTREAM_CHUNK - 1,
	    RSTREAM_CHUNK + 7, 3 * RSTREAM_CHUNK, 13};
	uint8_t id[SEG_IDBYTES];
	struct rstream_r *r;
	struct src s = {data, size, 0};
	int rc;

	*total = 0;
	*end_rc = 1;
	if ((rc = rstream_r_new(src_read, &s, id, &r)) != 0)
		return rc;
	rstream_r_start(r, aead, key);
	if (skip > 0) {
		if (skip > sizeof(out))
			abort();
		if ((rc = rstream_r_read(r, out, skip)) != 0)
			goto out;
		*total = skip;
	}
	for (size_t i = 0;; i++) {
		size_t n = bytewise ? 1 :
		    pieces[(i + size) % (sizeof(pieces) / sizeof(pieces[0]))];

		if ((rc = rstream_r_read(r, out, n)) != 0)
			break;
		*total += n;
		/* a stream holds no more plaintext than it has bytes */
		if (*total > size)
			abort();
	}
	/* errors are sticky: the end cannot succeed after a failed read */
	if ((*end_rc = rstream_r_end(r)) == 0)
		abort();
out:
	rstream_r_free(r);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[SEG_IDBYTES];
	struct rstream_r *r;
	struct src s = {data, size, 0};
	size_t total, total2, skip;
	int rc, end_rc;

	/* Reading on until the stream ends: only DZ_ETRUNC means the stream
	 * opened all the way to a chunk flagged last (or was cut). */
	rc = read_all(data, size, 0, 0, &total, &end_rc);
	if (rc != DZ_ETRUNC)
		return 0;
	/* Again, single bytes after what the pieces got: the exact length. */
	skip = total < sizeof(out) ? total : 0;
	rc = read_all(data, size, skip, 1, &total2, &end_rc);
	if (rc != DZ_ETRUNC || total2 < total)
		return 0;
	/* Then exactly that much, and the end must judge the rest. */
	if (total2 > sizeof(out) ||
	    rstream_r_new(src_read, &s, id, &r) != 0)
		return 0;
	rstream_r_start(r, aead, key);
	if (rstream_r_read(r, out, total2) != 0)
		abort(); /* the same bytes opened a moment ago */
	rc = rstream_r_end(r);
	if (rc != 0 && rc != DZ_EFORMAT && rc != DZ_ETRUNC)
		abort();
	rstream_r_free(r);
	return 0;
}
