/*
 * bloom: Bloom filters of names (see bloom.h for the format and the
 * hashing).
 */
#include "core/bloom.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

_Static_assert(BLOOM_SEEDBYTES >= crypto_generichash_KEYBYTES_MIN,
    "the seed is a BLAKE2b key");
_Static_assert(BLOOM_MAXBITS % 8 == 0 && BLOOM_MINBITS % 8 == 0, "whole bytes");

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The two 64-bit hashes of an item under b's seed. */
static void
hash2(const struct bloom *b, const uint8_t *item, size_t len, uint64_t *h1,
    uint64_t *h2)
{
	uint8_t h[16];

	crypto_generichash(h, sizeof(h), item, len, b->seed, BLOOM_SEEDBYTES);
	*h1 = le64(h);
	*h2 = le64(h + 8);
}

int
bloom_plan(uint64_t nitems, uint32_t *nbits, unsigned *nhash)
{
	uint64_t bits;

	if (nitems > BLOOM_MAXITEMS)
		return DZ_ERANGE;
	/* nitems <= ~7e6: no overflow */
	bits = (nitems * BLOOM_BITS_PER_10 + 9) / 10;
	bits = (bits + 7) / 8 * 8;
	if (bits < BLOOM_MINBITS)
		bits = BLOOM_MINBITS;
	if (bits > BLOOM_MAXBITS)
		bits = BLOOM_MAXBITS;
	*nbits = (uint32_t)bits;
	*nhash = BLOOM_NHASH;
	return 0;
}

int
bloom_new(uint64_t nitems, const uint8_t seed[static BLOOM_SEEDBYTES],
    struct bloom *b)
{
	int rc;

	memset(b, 0, sizeof(*b));
	if ((rc = bloom_plan(nitems, &b->nbits, &b->nhash)) != 0)
		return rc;
	if ((b->own = calloc(1, b->nbits / 8)) == NULL) {
		memset(b, 0, sizeof(*b));
		return DZ_ENOMEM;
	}
	b->bits = b->own;
	memcpy(b->seed, seed, BLOOM_SEEDBYTES);
	return 0;
}

void
bloom_free(struct bloom *b)
{
	if (b == NULL)
		return;
	free(b->own);
	memset(b, 0, sizeof(*b));
}

void
bloom_add(struct bloom *b, const uint8_t *item, size_t len)
{
	uint64_t h1, h2, i;

	if (b->own == NULL)
		return; /* a view is read-only */
	hash2(b, item, len, &h1, &h2);
	for (unsigned j = 0; j < b->nhash; j++) {
		i = (h1 + (uint64_t)j * h2) % b->nbits;
		b->own[i / 8] |= (uint8_t)(1u << (i % 8));
	}
}

int
bloom_has(const struct bloom *b, const uint8_t *item, size_t len)
{
	uint64_t h1, h2, i;

	if (b->bits == NULL || b->nbits == 0)
		return 0;
	hash2(b, item, len, &h1, &h2);
	for (unsigned j = 0; j < b->nhash; j++) {
		i = (h1 + (uint64_t)j * h2) % b->nbits;
		if ((b->bits[i / 8] & (1u << (i % 8))) == 0)
			return 0;
	}
	return 1;
}

size_t
bloom_encoded_len(const struct bloom *b)
{
	return BLOOM_HDRBYTES + (size_t)b->nbits / 8;
}

void
bloom_encode(const struct bloom *b, uint8_t *out)
{
	out[0] = BLOOM_VERSION;
	out[1] = (uint8_t)b->nhash;
	memcpy(out + 2, b->seed, BLOOM_SEEDBYTES);
	for (int i = 0; i < 4; i++)
		out[2 + BLOOM_SEEDBYTES + i] = (uint8_t)(b->nbits >> (8 * i));
	memcpy(out + BLOOM_HDRBYTES, b->bits, b->nbits / 8);
}

int
bloom_view(const uint8_t *buf, size_t len, struct bloom *b)
{
	const uint8_t *p;
	uint32_t nbits;

	memset(b, 0, sizeof(*b));
	if (buf == NULL || len < BLOOM_HDRBYTES)
		return DZ_ETRUNC;
	if (buf[0] != BLOOM_VERSION)
		return DZ_EVERSION;
	p = buf + 2 + BLOOM_SEEDBYTES;
	nbits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	/* every bound before the length is used */
	if (buf[1] < 1 || buf[1] > BLOOM_MAXHASH || nbits % 8 != 0 ||
	    nbits < BLOOM_MINBITS || nbits > BLOOM_MAXBITS)
		return DZ_ERANGE;
	if (len - BLOOM_HDRBYTES < nbits / 8)
		return DZ_ETRUNC;
	if (len - BLOOM_HDRBYTES > nbits / 8)
		return DZ_EFORMAT;
	b->nhash = buf[1];
	memcpy(b->seed, buf + 2, BLOOM_SEEDBYTES);
	b->nbits = nbits;
	b->bits = buf + BLOOM_HDRBYTES;
	return 0;
}
