/*
 * pack: small files packed into one shared object, as restic packs them
 * (docs/design-tree.md, "Small files: packing").
 *
 * A pack is built in memory: each small file is read whole and sealed on
 * its own, under a random key of its own, and appended as
 *   nonce[24] | ciphertext (the file's size) | tag[16]
 * (XChaCha20-Poly1305, associated data "drizzle pack file v1" || size
 * u64 little-endian: docs/formats.md, "Pack object"). The finished
 * bytes are stored as one ordinary object (put_file of pack_fd), so a
 * pack costs one record, one set of segments and one placement however
 * many files it holds. The folder entry of each file (FOLDER_T_PACKED)
 * names the pack, the pack's record key, the file's key and where its
 * sealed bytes lie; because each file has its own key, handing one
 * folder's key to someone reveals only that folder's files of a pack.
 *
 * Reading one back (pack_fetch) rebuilds only the segments of the pack
 * that hold the file (get_range), then authenticates it alone.
 *
 * Not for big files (above PACK_SMALL they are objects of their own),
 * nor for keeping track of which files of a pack are still alive (the
 * pack table and compaction: design-tree.md).
 */
#ifndef DZ_PACK_H
#define DZ_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "client/folder.h"
#include "client/store.h"
#include "client/xfer.h"
#include "core/err.h"

#define PACK_MAX ((size_t)16 << 20)     /* the default (and largest) pack */
#define PACK_SMALL ((uint64_t)1 << 20)  /* files above this are not packed */
#define PACK_NONCEBYTES 24u
#define PACK_TAGBYTES 16u
#define PACK_OVERHEAD (PACK_NONCEBYTES + PACK_TAGBYTES)
#define PACK_KEYBYTES 32u
_Static_assert(PACK_OVERHEAD == FOLDER_PACK_OVERHEAD, "the folder entry's bound");

struct pack;

/* pack_new: an empty pack builder holding up to cap bytes of sealed
 * files (0: PACK_MAX; else PACK_OVERHEAD..PACK_MAX, DZ_EINVAL). */
int pack_new(size_t cap, struct pack **out) DZ_MUST_CHECK;

/* pack_free: free p; NULL is fine. */
void pack_free(struct pack *p);

/* pack_reset: empty p (after its bytes were stored) for the next pack. */
void pack_reset(struct pack *p);

/* pack_bytes: the sealed bytes in p so far (the pack's size). */
size_t pack_bytes(const struct pack *p);

/* pack_count: the files in p so far. */
size_t pack_count(const struct pack *p);

/*
 * pack_add: read exactly size bytes from fd (at its current offset), seal
 * them under a fresh random key (into file_key, the caller's: a secret,
 * to wipe) and append them to p; *off and *len say where the sealed bytes
 * lie in the pack (len = size + PACK_OVERHEAD). DZ_EINVAL if size is
 * above PACK_SMALL (not for packs); DZ_ENOSPC if it would not fit (flush
 * p first; an empty pack takes any small file unless cap is below it);
 * DZ_ECHANGED if fd held fewer or more bytes than size (the file changed
 * while read); DZ_EIO. On failure p is as before.
 */
int pack_add(struct pack *p, int fd, uint64_t size, uint8_t file_key[static 32],
    uint64_t *off, uint64_t *len, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * pack_fd: p's bytes as a readable regular file (a memfd) at offset 0,
 * to hand to put_file as one ordinary object; the caller closes *fd. p
 * is unchanged. DZ_EIO.
 */
int pack_fd(const struct pack *p, int *fd, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * pack_open: authenticate and decrypt one file's sealed bytes (len, as
 * stored in the pack) under its key into out (out_cap bytes); *n gets
 * its size (len - PACK_OVERHEAD). DZ_EFORMAT if len is below the
 * overhead, DZ_ERANGE if out is too small, DZ_EAUTH if the bytes were
 * altered or belong to another file.
 */
int pack_open(const uint8_t file_key[static 32], const uint8_t *sealed, size_t len,
    uint8_t *out, size_t out_cap, size_t *n, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * pack_fetch: write the packed file of size bytes at off, len in the
 * pack object pack_id (its record opened under pack_key) to fd_out:
 * get_range of just those bytes, pack_open, a check of the size, one
 * write. DZ_EFORMAT if len is not size + PACK_OVERHEAD or size is above
 * PACK_SMALL (not what a folder entry may say); else as get_range and
 * pack_open. Nothing is written unless the whole file authenticated.
 */
int pack_fetch(const struct store *st, const uint8_t pack_key[static 32],
    const uint8_t pack_id[static 32], const uint8_t file_key[static 32],
    uint64_t off, uint64_t len, uint64_t size, int fd_out,
    const struct xfer_params *pp, struct dz_errmsg *em) DZ_MUST_CHECK;

/* One file of a pack_fetch_many: where it lies, its key, where it goes;
 * rc receives its own result (0, DZ_EAUTH, DZ_EFORMAT, DZ_EIO). */
struct pack_item {
	const uint8_t *file_key;  /* 32 bytes */
	uint64_t off, len, size;
	int fd;
	int rc;
};

/*
 * pack_fetch_many: pack_fetch of n files of one pack with one pass over
 * the pack's segments: the span from the lowest off to the highest end
 * (at most the pack's size, PACK_MAX for packs this module makes) is
 * fetched once, then each file opened and written on its own. Returns
 * the span's failure (as get_range: no file written) or 0, each item's
 * rc saying how it went (the first failed item's code is also returned
 * when the span was fetched). DZ_ERANGE if the span is above PACK_MAX.
 */
int pack_fetch_many(const struct store *st, const uint8_t pack_key[static 32],
    const uint8_t pack_id[static 32], struct pack_item *items, size_t n,
    const struct xfer_params *pp, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
