/*
 * bloom: a Bloom filter of fixed-size names (fragment names), with one
 * byte encoding, for the clean-up protocol (docs/protocol.md, "Clean-up";
 * docs/formats.md, "Bloom filter").
 *
 * A filter answers "maybe in the set" or "certainly not": an item added is
 * always found (no false negatives), and an item never added is found with
 * a probability of about 1% when the filter was sized for at least as many
 * items as were added (bloom_plan: 9.6 bits per item, 7 hashes). Each
 * filter has its own random 16-byte seed, the key of the hash, so an item
 * that is a false positive in one filter is not, by more than chance, in
 * the next one: garbage kept by a false positive goes at a later round.
 *
 * Hashing: h = BLAKE2b-128 keyed with the seed over the item; h1, h2 its
 * two little-endian 64-bit halves; the item sets bits (h1 + j * h2) mod
 * nbits for j = 0 .. nhash - 1 (Kirsch-Mitzenmacher double hashing).
 *
 * Encoding (BLOOM_HDRBYTES + nbits / 8 bytes):
 *   version u8 (1) | nhash u8 (1..BLOOM_MAXHASH) | seed[16] |
 *   nbits u32 (BLOOM_MINBITS..BLOOM_MAXBITS, a multiple of 8) |
 *   bits: bit i is byte i / 8, value 1 << (i % 8)
 * Not for: sets that shrink (there is no delete), or secrets.
 */
#ifndef DZ_BLOOM_H
#define DZ_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BLOOM_VERSION 1
#define BLOOM_SEEDBYTES 16
#define BLOOM_HDRBYTES (1 + 1 + BLOOM_SEEDBYTES + 4)
#define BLOOM_MAXHASH 16
#define BLOOM_MINBITS 64u
/* 8 MiB of bits: the whole encoding fits a frame with room to spare */
#define BLOOM_MAXBITS (64u * 1024 * 1024)
/* bloom_plan's sizing: 96 bits per 10 items and 7 hashes give a false
 * positive rate of 1.0% ((1 - e^(-7 / 9.6))^7 = 0.0100) */
#define BLOOM_BITS_PER_10 96u
#define BLOOM_NHASH 7u
/* the most items one filter is sized for (6,990,506) */
#define BLOOM_MAXITEMS ((uint64_t)BLOOM_MAXBITS * 10 / BLOOM_BITS_PER_10)

struct bloom {
	uint8_t seed[BLOOM_SEEDBYTES];
	uint32_t nbits;
	unsigned nhash;
	const uint8_t *bits; /* nbits / 8 bytes */
	uint8_t *own;        /* == bits for a filter made by bloom_new, else NULL */
};

/*
 * bloom_plan: the size of a filter for nitems items at a 1% false
 * positive rate: *nbits (a multiple of 8, at least BLOOM_MINBITS) and
 * *nhash. Returns 0, or DZ_ERANGE if nitems > BLOOM_MAXITEMS.
 */
int bloom_plan(uint64_t nitems, uint32_t *nbits, unsigned *nhash) DZ_MUST_CHECK;

/*
 * bloom_new: an empty filter sized by bloom_plan(nitems) with the given
 * seed (the caller draws it at random) into *b, its bits allocated here
 * (bloom_free). Returns 0, DZ_ERANGE (too many items), DZ_ENOMEM.
 */
int bloom_new(uint64_t nitems, const uint8_t seed[static BLOOM_SEEDBYTES],
    struct bloom *b) DZ_MUST_CHECK;

/* bloom_free: release what bloom_new allocated (a view: nothing); b is
 * zeroed. */
void bloom_free(struct bloom *b);

/* bloom_add: add the len bytes at item to b (made by bloom_new). */
void bloom_add(struct bloom *b, const uint8_t *item, size_t len);

/* bloom_has: 1 if the len bytes at item may be in b, 0 if certainly not. */
int bloom_has(const struct bloom *b, const uint8_t *item, size_t len);

/* bloom_encoded_len: BLOOM_HDRBYTES + b->nbits / 8. */
size_t bloom_encoded_len(const struct bloom *b);

/* bloom_encode: write b's encoding, bloom_encoded_len(b) bytes, to out. */
void bloom_encode(const struct bloom *b, uint8_t *out);

/*
 * bloom_view: decode the len bytes at buf (untrusted) strictly into *b,
 * whose bits then point into buf (valid while buf lives; bloom_add must
 * not be called on it). Returns 0; DZ_ETRUNC (shorter than its header
 * says), DZ_EFORMAT (bytes left over), DZ_EVERSION, DZ_ERANGE (nhash or
 * nbits out of bounds or not a multiple of 8); *b is zeroed on failure.
 */
int bloom_view(const uint8_t *buf, size_t len, struct bloom *b) DZ_MUST_CHECK;

#endif
