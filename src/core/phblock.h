/*
 * phblock: placeholder blocks, the filler a peer keeps in offered space
 * not yet holding fragments, so that it can prove the space is really
 * there (docs/trading.md, "Earning").
 *
 * Block `index` of a peer is a function of the coordinator's seed for that
 * peer and the index only, but a slow, sequential one: a 64-byte state
 * starts as BLAKE2b-512(key seed, "drizzle-ph1" | index u64 LE), and each
 * 64-byte piece of the block is the state after `rounds` more BLAKE2b-512
 * steps over it. Making a block thus takes len/64 x rounds hash steps one
 * after the other; a proof is BLAKE2b-256 keyed with a fresh nonce over
 * the whole block, which only the whole block (kept, or made again in
 * full) gives. Not for secrets: seeds and blocks are not confidential.
 */
#ifndef DZ_PHBLOCK_H
#define DZ_PHBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PHBLOCK_SEEDBYTES 32
#define PHBLOCK_NONCEBYTES 32
#define PHBLOCK_HASHBYTES 32
#define PHBLOCK_PIECE 64

/* phblock_make: block index of seed into out (len bytes, a multiple of
 * PHBLOCK_PIECE; else DZ_EINVAL). rounds >= 1. Returns 0 or DZ_EINVAL. */
int phblock_make(const uint8_t seed[static PHBLOCK_SEEDBYTES], uint64_t index,
    uint32_t rounds, uint8_t *out, size_t len) DZ_MUST_CHECK;

/* phblock_prove: the proof of len bytes of block for nonce into out. */
void phblock_prove(const uint8_t nonce[static PHBLOCK_NONCEBYTES],
    const uint8_t *block, size_t len, uint8_t out[static PHBLOCK_HASHBYTES]);

#endif
