/*
 * seg: sealing one segment of an object's stream.
 *
 * An object (a file's contents, or a file record) is a stream cut into
 * numbered segments, sealed one by one. Each segment gets its own key,
 * derived from the object's stream key and the segment index (crypto_kdf,
 * 8-byte context "dzseg_v1", subkey id = index), and its nonce and
 * associated data bind the object id, the index and the last-segment flag
 * (last is 1 for any nonzero `last` argument):
 *   nonce = index u64 LE || last u8 || 0 0 0
 *   ad    = "drizzle seg v1" (14 bytes) || object_id[32] || index u64 LE || last u8
 * so a segment moved to another position or object, a dropped tail (no
 * segment flagged last) and a replayed segment all fail to open.
 */
#ifndef DZ_SEG_H
#define DZ_SEG_H

#include <stddef.h>
#include <stdint.h>

#include "core/aead.h"
#include "core/err.h"

#define SEG_KEYBYTES 32
#define SEG_IDBYTES 32
#define SEG_TAGBYTES AEAD_TAGBYTES

/* seg_seal: seal len bytes of segment `index` into out (len + SEG_TAGBYTES).
 * in and out may be the same. Returns 0 or an aead_seal error. */
int seg_seal(struct aead *a, const uint8_t stream_key[static SEG_KEYBYTES],
    const uint8_t object_id[static SEG_IDBYTES], uint64_t index, int last,
    const uint8_t *in, size_t len, uint8_t *out) DZ_MUST_CHECK;

/* seg_open: the reverse; out receives inlen - SEG_TAGBYTES bytes. Returns 0,
 * DZ_ETRUNC, or DZ_EAUTH when the segment is not segment `index` (with that
 * last flag) of that object under that key. */
int seg_open(struct aead *a, const uint8_t stream_key[static SEG_KEYBYTES],
    const uint8_t object_id[static SEG_IDBYTES], uint64_t index, int last,
    const uint8_t *in, size_t inlen, uint8_t *out) DZ_MUST_CHECK;

#endif
