/*
 * frag: the fragment format: one erasure-coded piece of one sealed segment.
 *
 * A fragment is a 16-byte header followed by its payload, and is named by
 * the Merkle root (merkle.h) of all its bytes, header included, so nothing
 * in it can change without changing its name. Format v1 (little-endian; see
 * docs/formats.md):
 *   version u8 = 1 | magic "DZF" | k u8 | n u8 | index u8 | reserved u8 = 0 |
 *   payload_len u32 | seg_len u32 | payload[payload_len]
 * seg_len is the sealed segment's length; payload_len = ceil(seg_len / k)
 * (at least 1) and the segment is the first seg_len bytes of the k data
 * payloads concatenated. The header carries what a keyless repairer needs
 * (k, n, index, lengths) and nothing about the file or its owner.
 */
#ifndef DZ_FRAG_H
#define DZ_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/merkle.h"

#define FRAG_VERSION 1
#define FRAG_HDRBYTES 16
#define FRAG_MAXSEG (64u * 1024 * 1024 + 64) /* largest sealed segment */

struct frag_hdr {
	uint8_t k, n, index;
	uint32_t payload_len;
	uint32_t seg_len;
};

/* frag_payload_len: ceil(seg_len / k), at least 1. */
uint32_t frag_payload_len(uint32_t seg_len, unsigned k);

/* frag_hdr_init: fill h for fragment `index` of a k-of-n code over a sealed
 * segment of seg_len bytes. DZ_EINVAL on bad k, n, index or seg_len. */
int frag_hdr_init(struct frag_hdr *h, unsigned k, unsigned n, unsigned index,
    uint32_t seg_len) DZ_MUST_CHECK;

/* frag_hdr_encode: the 16 header bytes. */
void frag_hdr_encode(const struct frag_hdr *h, uint8_t out[static FRAG_HDRBYTES]);

/* frag_parse: strict parse of a whole fragment of len bytes: DZ_EVERSION,
 * DZ_EFORMAT (magic, reserved, k/n/index out of range, payload_len not
 * ceil(seg_len/k), seg_len > FRAG_MAXSEG), DZ_ETRUNC (len shorter than
 * header + payload; longer is DZ_EFORMAT). */
int frag_parse(const uint8_t *buf, size_t len, struct frag_hdr *h) DZ_MUST_CHECK;

/* frag_check: frag_parse, then recompute the Merkle root over the len bytes
 * and compare it with name: DZ_EINTEGRITY when they differ. m must have
 * room for len bytes. */
int frag_check(struct merkle *m, const uint8_t *buf, size_t len,
    const uint8_t name[static MERKLE_HASHBYTES], struct frag_hdr *h) DZ_MUST_CHECK;

#endif
