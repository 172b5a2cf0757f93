/*
 * record: the file record: everything needed to find, rebuild and decrypt
 * one stored file, and nothing a server may read.
 *
 * A record's plaintext is a header followed by one table entry per segment;
 * it is stored only sealed, as an rstream (rstream.h) under a key derived
 * from the folder key and the object id (record_key). Header, versions 1
 * and 2 alike (little-endian; see docs/formats.md):
 *   version u8 (1 or 2) | magic "DZR" | hdr_len u32 (whole header, name included) |
 *   object_id[32] | file_key[32] | size u64 | mtime_sec i64 | mtime_nsec u32 |
 *   mode u32 | seg_size u32 | k u8 | n u8 | reserved u16 = 0 | nsegs u64 |
 *   name_len u16 | name[name_len]
 * then nsegs entries, entry i = the n fragment names (32 bytes each) of
 * segment i, in fragment-index order. Version 2 follows the table with
 * zero bytes up to the size bucket (core/pad.h) of header plus table
 * (record_padded_len), so the record's length does not give away the
 * name's; version 1 (no padding) is still read. Parsers trust no field: every length,
 * count and parameter is bounded and cross-checked (nsegs must follow from
 * size and seg_size; a file always has at least one segment, the last).
 */
#ifndef DZ_RECORD_H
#define DZ_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define RECORD_VERSION 2   /* written; 1 is still read */
#define RECORD_VERSION_MIN 1
#define RECORD_IDBYTES 32
#define RECORD_KEYBYTES 32
#define RECORD_MAXNAME 4096
#define RECORD_FIXEDBYTES (1 + 3 + 4 + 32 + 32 + 8 + 8 + 4 + 4 + 4 + 1 + 1 + 2 + 8 + 2)
#define RECORD_MAXHDR (RECORD_FIXEDBYTES + RECORD_MAXNAME)
#define RECORD_PREFIXBYTES 8 /* version, magic, hdr_len: enough to learn hdr_len */
#define RECORD_SEGMIN 4096u
#define RECORD_SEGMAX (64u * 1024 * 1024)
#define RECORD_SEGDEFAULT (4u * 1024 * 1024)
/* Largest file size a record may hold (it fits an off_t). With it, and
 * seg_size >= RECORD_SEGMIN, nsegs * record_entry_bytes(255) + RECORD_MAXHDR
 * (the whole record's length) cannot overflow 64 bits. */
#define RECORD_MAXSIZE ((uint64_t)INT64_MAX)

/* Holds file_key: allocate with sodium_malloc and wipe after use. */
struct record_hdr {
	uint8_t version;              /* 0 when encoding: RECORD_VERSION */
	uint8_t object_id[RECORD_IDBYTES];
	uint8_t file_key[RECORD_KEYBYTES];
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t mode;
	uint32_t seg_size;
	uint8_t k, n;
	uint64_t nsegs;
	uint16_t name_len;
	char name[RECORD_MAXNAME + 1]; /* NUL-terminated; no NUL inside */
};

/* record_nsegs: segments of a file of size bytes: max(1, ceil(size/seg)). */
uint64_t record_nsegs(uint64_t size, uint32_t seg_size);

/* record_seg_len: plaintext length of segment i of h (i < h->nsegs). */
uint32_t record_seg_len(const struct record_hdr *h, uint64_t i);

/* record_entry_bytes: size of one table entry for an n-fragment code. */
size_t record_entry_bytes(unsigned n);

/* record_hdr_len: the encoded header's length for h. */
size_t record_hdr_len(const struct record_hdr *h);

/* record_padded_len: the whole plaintext's length for a record of
 * version h->version (0: RECORD_VERSION) with h's header and table:
 * header + table, padded to a size bucket from version 2 on. DZ_ERANGE
 * if it overflows. */
int record_padded_len(const struct record_hdr *h, uint64_t *out) DZ_MUST_CHECK;

/* record_hdr_encode: encode h into out (cap bytes); *outlen gets the length.
 * DZ_EINVAL if h is not valid (same checks as the parser), DZ_ERANGE if cap
 * is too small. */
int record_hdr_encode(const struct record_hdr *h, uint8_t *out, size_t cap,
    size_t *outlen) DZ_MUST_CHECK;

/* record_prefix_parse: from the first RECORD_PREFIXBYTES bytes (version
 * RECORD_VERSION_MIN..RECORD_VERSION), the whole header's length (bounded by RECORD_MAXHDR): DZ_EVERSION, DZ_EFORMAT. */
int record_prefix_parse(const uint8_t *buf, size_t len, uint32_t *hdr_len) DZ_MUST_CHECK;

/* record_hdr_parse: strict parse of exactly len bytes of header into h
 * (h->version = the version read). */
int record_hdr_parse(const uint8_t *buf, size_t len, struct record_hdr *h) DZ_MUST_CHECK;

/* record_key: the key that seals the record of object_id in a folder:
 * BLAKE2b keyed with folder_key over "drizzle record v1" || object_id. */
void record_key(const uint8_t folder_key[static 32],
    const uint8_t object_id[static RECORD_IDBYTES], uint8_t out[static 32]);

#endif
