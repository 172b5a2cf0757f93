/*
 * rstream: a sealed stream of small objects (file records, later folder
 * records), written and read in pieces through caller callbacks.
 *
 * The plaintext is cut in chunks of RSTREAM_CHUNK bytes (the last may be
 * shorter, even empty), each sealed with seg_seal under the stream key with
 * its index and last flag. Encoded form (little-endian; docs/formats.md):
 *   version u8 = 1 | magic "DZS" | object_id[32] |
 *   then per chunk: sealed_len u32 | sealed[sealed_len]
 * Every chunk but the last holds exactly RSTREAM_CHUNK plaintext bytes and
 * the last holds fewer (0 to RSTREAM_CHUNK - 1): a plaintext that is an
 * exact multiple of RSTREAM_CHUNK (the empty one included) ends with an
 * empty last chunk. So a chunk's length alone says whether it is the last,
 * and the last flag sealed into it confirms it; a full chunk flagged last,
 * or a short one not flagged last, does not open (DZ_EAUTH).
 * sealed_len is bounded before anything is allocated or read. Memory is
 * one chunk whatever the stream's length. A reader reports the stream's end
 * only after the chunk flagged last, so a cut stream is DZ_ETRUNC.
 */
#ifndef DZ_RSTREAM_H
#define DZ_RSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/aead.h"
#include "core/err.h"
#include "core/seg.h"

#define RSTREAM_VERSION 1
#define RSTREAM_HDRBYTES (4 + SEG_IDBYTES)
#define RSTREAM_CHUNK 65536

/* Write exactly len bytes; return 0 or a negative dz_err. */
typedef int (*rstream_write_fn)(void *ctx, const uint8_t *buf, size_t len);
/* Read exactly len bytes; return 0, DZ_ETRUNC if the source ends first,
 * or another negative dz_err. */
typedef int (*rstream_read_fn)(void *ctx, uint8_t *buf, size_t len);

struct rstream_w;
struct rstream_r;

/* rstream_w_new: start a stream: writes the header through fn. key and
 * object_id are copied (the key into sodium_malloc memory). a is borrowed. */
int rstream_w_new(struct aead *a, const uint8_t key[static SEG_KEYBYTES],
    const uint8_t object_id[static SEG_IDBYTES], rstream_write_fn fn, void *ctx,
    struct rstream_w **out) DZ_MUST_CHECK;
/* rstream_w_write: append len plaintext bytes. */
int rstream_w_write(struct rstream_w *w, const uint8_t *buf, size_t len) DZ_MUST_CHECK;
/* rstream_w_close: seal and write the last chunk. The stream is complete
 * only after this returns 0. */
int rstream_w_close(struct rstream_w *w) DZ_MUST_CHECK;
/* rstream_w_free: free (wiping key and buffer); NULL is fine. */
void rstream_w_free(struct rstream_w *w);

/* rstream_r_new: read the header through fn; object_id receives the id it
 * names (so the caller can derive the key). DZ_EVERSION, DZ_EFORMAT,
 * DZ_ETRUNC. */
int rstream_r_new(rstream_read_fn fn, void *ctx,
    uint8_t object_id[static SEG_IDBYTES], struct rstream_r **out) DZ_MUST_CHECK;
/* rstream_r_start: give the key (copied) and the aead context (borrowed). */
void rstream_r_start(struct rstream_r *r, struct aead *a,
    const uint8_t key[static SEG_KEYBYTES]);
/* rstream_r_read: exactly len plaintext bytes. DZ_ETRUNC if the stream's
 * last chunk ends first, DZ_EAUTH if a chunk does not open (wrong key,
 * altered, reordered or cut), DZ_EFORMAT on a bad chunk length. */
int rstream_r_read(struct rstream_r *r, uint8_t *buf, size_t len) DZ_MUST_CHECK;
/* rstream_r_end: 0 if every plaintext byte up to the last chunk was read;
 * DZ_EFORMAT if plaintext is left over (reads ahead to find out) or if the
 * source holds bytes after the last chunk (one more read of it must give
 * DZ_ETRUNC). A reader's errors are sticky: after one, every read and
 * rstream_r_end return it again. Reads before rstream_r_start: DZ_EINVAL. */
int rstream_r_end(struct rstream_r *r) DZ_MUST_CHECK;
void rstream_r_free(struct rstream_r *r);

#endif
