/*
 * merkle: SHA-256 Merkle trees over fixed-size blocks (RFC 6962 shape).
 *
 * A fragment is named by the root of the tree over its bytes cut in
 * MERKLE_BLOCK-byte blocks (the last may be shorter). Leaves and inner nodes
 * are domain-separated as in RFC 6962 section 2.1:
 *   leaf = SHA-256(0x00 || block),  node = SHA-256(0x01 || left || right),
 * and a tree of n leaves splits at the largest power of two below n. One
 * pass over the bytes gives both the name and the leaf hashes that storage
 * audits later prove blocks against. SHA-256 comes from OpenSSL (EVP), which
 * uses the CPU's SHA instructions here. One struct merkle per thread.
 */
#ifndef DZ_MERKLE_H
#define DZ_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define MERKLE_HASHBYTES 32
#define MERKLE_BLOCK 16384
/* enough for 2^32 leaves; proofs never have more levels than this */
#define MERKLE_MAXPATH 32

struct merkle;

/* merkle_new: a tree builder for data of at most max_len bytes (its leaf
 * array is allocated once here). Returns 0, DZ_ENOMEM or DZ_ECRYPTO. */
int merkle_new(size_t max_len, struct merkle **out) DZ_MUST_CHECK;
void merkle_free(struct merkle *m);

/* merkle_nleaves: number of leaves for len bytes (0 for len 0). */
size_t merkle_nleaves(size_t len);

/* merkle_build: hash len bytes of data; root receives the tree's root (for
 * len 0, SHA-256 of the empty string, as RFC 6962). Leaf hashes are kept in
 * m for merkle_proof until the next build. DZ_ERANGE if len > max_len. */
int merkle_build(struct merkle *m, const uint8_t *data, size_t len,
    uint8_t root[static MERKLE_HASHBYTES]) DZ_MUST_CHECK;

/* merkle_proof: the audit path of leaf `leaf` of the last build, leaf to
 * root, into path (room for MERKLE_MAXPATH hashes); *pathlen gets the count.
 * DZ_ERANGE if leaf is past the last leaf. */
int merkle_proof(const struct merkle *m, size_t leaf,
    uint8_t path[][MERKLE_HASHBYTES], size_t *pathlen) DZ_MUST_CHECK;

/* merkle_verify: check that block (blocklen bytes) is leaf `leaf` of a tree
 * of nleaves leaves with this root, given its audit path. Returns 0,
 * DZ_EINTEGRITY if it is not, DZ_EFORMAT if the path length is wrong for
 * (leaf, nleaves), leaf >= nleaves, or blocklen is 0 or > MERKLE_BLOCK
 * (DZ_ENOMEM or DZ_ECRYPTO if OpenSSL fails). */
int merkle_verify(const uint8_t root[static MERKLE_HASHBYTES], size_t nleaves,
    size_t leaf, const uint8_t *block, size_t blocklen,
    const uint8_t path[][MERKLE_HASHBYTES], size_t pathlen) DZ_MUST_CHECK;

/* merkle_hex: write the 64 hex digits of a hash and a NUL into out. */
void merkle_hex(const uint8_t h[static MERKLE_HASHBYTES], char out[static 65]);

#endif
