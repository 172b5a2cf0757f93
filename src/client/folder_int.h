/*
 * folder_int: what folder.c (entries, shards, splits) and folder_seal.c
 * (the byte format) share. Not for any other module: use folder.h.
 */
#ifndef DZ_FOLDER_INT_H
#define DZ_FOLDER_INT_H

#include "client/folder.h"

/* Encoded bytes of an entry before name and body: type, name_len, mode,
 * mtime_sec, mtime_nsec, size. */
#define FENT_FIXED (1 + 1 + 4 + 8 + 4 + 8)

/* Format 2: after the body, an ext byte; bit 0: number u32 and
 * stored_sec i64 follow (set unless both are 0); bit 1 (files only):
 * nvers u8 (1..255) and nvers versions of FVER_BYTES follow: number u32 |
 * id[32] | key[32] | size u64 | mtime_sec i64 | mtime_nsec u32 |
 * stored_sec i64 | mode u32. */
#define FENT_EXT_NUM 0x01
#define FENT_EXT_VERS 0x02
#define FENT_NUMBYTES (4 + 8)
#define FVER_BYTES (4 + FOLDER_IDBYTES + FOLDER_KEYBYTES + 8 + 8 + 4 + 8 + 4)

/* Packed files (FOLDER_T_PACKED): the body is id[32] | key[32] then
 * FPACK_BYTES: pack_key[32] | pack_off u64 | pack_len u64. Ext bit 2
 * (with bit 1, set only when some version is packed): every version
 * starts with a kind byte, FOLDER_T_FILE or FOLDER_T_PACKED, and a packed
 * one ends with FPACK_BYTES. Without bit 2 the versions are as above,
 * byte for byte, so records without packed versions are unchanged. */
#define FENT_EXT_VKIND 0x04
#define FPACK_BYTES (FOLDER_KEYBYTES + 8 + 8)

/* The largest entry: a packed file of FOLDER_VERS_MAX packed versions
 * and a 255-byte name (38,402 bytes; unpacked, 25,859; a link's longest
 * target is 4,391). A record holds
 * at most FOLDER_SHARD_BYTES plus one entry before it splits, so with the
 * head and padding (under 1/8 more) it stays far below FOLDER_REC_MAX;
 * the index, at most 2^FOLDER_MAXDEPTH leaves of 12 bytes, stays below
 * it too. Only a shard at FOLDER_MAXDEPTH cannot split: it grows until
 * sealing refuses it (DZ_ERANGE), which takes names whose keyed hashes
 * share 20 bits by the hundred. */
#define FENT_MAXBYTES (FENT_FIXED + FOLDER_NAMEMAX + FOLDER_IDBYTES + \
	FOLDER_KEYBYTES + FPACK_BYTES + 1 + FENT_NUMBYTES + 1 + \
	FOLDER_VERS_MAX * (1 + FVER_BYTES + FPACK_BYTES))
_Static_assert(FENT_MAXBYTES == 38402, "the worst-case entry as documented");
_Static_assert((FOLDER_SHARD_BYTES + FENT_MAXBYTES + 4096) / 8 * 9 < FOLDER_REC_MAX,
    "a record that may still split fits a coordinator record");
_Static_assert(((1u << FOLDER_MAXDEPTH) * 12 + 4096) / 8 * 9 < FOLDER_REC_MAX,
    "the largest index fits a coordinator record");

/* Record kinds (byte 4 of the head). */
enum frec_kind { FREC_PLAIN = 1, FREC_INDEX = 2, FREC_SHARD = 3 };

/* One record's worth of entries: the whole folder when it is not
 * sharded, else one shard: the names whose hash's low depth bits are
 * prefix. A shard's number is (1 << depth) | prefix, so that both halves
 * of a split have numbers fixed in advance; gen is the version of the
 * frozen record it was made from (0: made by a client that had never
 * written it), and the record id follows from number and gen. */
struct fshard {
	uint8_t id[FOLDER_IDBYTES]; /* record id (a shard's; unused unsharded) */
	uint32_t number;
	uint8_t depth;
	uint32_t prefix;
	uint64_t gen;
	uint64_t version;           /* as read or last sealed; 0: never written */
	struct folder_entry *e;     /* sorted by name; name, target owned */
	size_t n, cap;
	size_t bytes;               /* encoded bytes of the entries */
	int loaded, dirty;
	int frozen;                 /* written frozen: a split is under way */
};

struct folder {
	uint8_t id[FOLDER_IDBYTES];
	uint8_t *keys;              /* sodium_malloc: FKEY_* below */
	uint64_t version;           /* the folder record's (plain or index) */
	int sharded;
	int dirty;                  /* the index must be rewritten */
	uint8_t gdepth;             /* the directory has 2^gdepth slots */
	uint32_t *dir;              /* slot (hash's low bits) -> index in sh */
	struct fshard *sh;
	size_t nsh;
	struct folder_blob *pend;   /* sealed by splits, written first */
	size_t npend;
};

/* Sub-keys of the folder key (crypto_kdf, context "dzfoldr1", ids 1..3). */
#define FKEY_FOLDER(f) ((f)->keys)
#define FKEY_SEAL(f) ((f)->keys + 32)
#define FKEY_HASH(f) ((f)->keys + 64)
#define FKEY_SHARDID(f) ((f)->keys + 96)
#define FKEY_ALL 128

/* folder_alloc: an empty folder struct for id and key with its sub-keys
 * derived and one empty, unloaded record (sh[0]); DZ_ENOMEM, DZ_ECRYPTO. */
int folder_alloc(const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], struct folder **out);

/* folder_hash: the keyed 64-bit hash of a name that places it. */
uint64_t folder_hash(const struct folder *f, const char *name, size_t len);

/* folder_shard_id: the record id of shard number of generation gen. */
void folder_shard_id(const struct folder *f, uint32_t number, uint64_t gen,
    uint8_t out[static FOLDER_IDBYTES]);

/* folder_seal_rec: seal the record of kind (s: the shard or the plain
 * folder's one record; NULL for the index) at version into *out. */
int folder_seal_rec(const struct folder *f, uint8_t kind, const struct fshard *s,
    uint64_t version, struct folder_blob *out, struct dz_errmsg *em);

/* folder_pend: seal as folder_seal_rec and keep the blob for
 * folder_seal_dirty to hand out first. */
int folder_pend(struct folder *f, uint8_t kind, const struct fshard *s,
    uint64_t version, struct dz_errmsg *em);

/* folder_ent_bytes: the encoded length of e. */
size_t folder_ent_bytes(const struct folder_entry *e);

/* folder_ent_check: DZ_EINVAL (em says why) unless e is a valid entry. */
int folder_ent_check(const struct folder_entry *e, struct dz_errmsg *em);

/* folder_pack_check: DZ_EINVAL (em names name) unless a packed file of
 * size bytes may lie at off, len in its pack (folder.h's bounds). */
int folder_pack_check(const char *name, uint64_t size, uint64_t off, uint64_t len,
    struct dz_errmsg *em);

/* folder_vers_packed: 1 if some version of e is packed (ext bit 2). */
int folder_vers_packed(const struct folder_entry *e);

/* folder_vers_check: DZ_EINVAL (em says why) unless e's versions are
 * valid: files only, at most FOLDER_VERS_MAX, numbers strictly
 * decreasing below e's own, fields as for an entry. */
int folder_vers_check(const struct folder_entry *e, struct dz_errmsg *em);

/* folder_push: append a copy of e to s (the caller keeps the order). */
int folder_push(struct fshard *s, const struct folder_entry *e);

/* folder_shard_clear: wipe and free s's entries (s stays usable). */
void folder_shard_clear(struct fshard *s);

/* folder_dir_build: the directory of f->sh[0..nsh) (numbers set; depths
 * and prefixes follow): DZ_EFORMAT unless they cover every hash exactly
 * once. */
int folder_dir_build(struct folder *f);

/* folder_fit: after a change to shard si (or the plain record), split
 * what outgrew the bound: in memory for records never written; else
 * freezing the written record first and sealing its halves at version 1
 * (folder_pend), so that any writer who finishes the split makes the
 * same records. */
int folder_fit(struct folder *f, size_t si, struct dz_errmsg *em);

/* folder_thaw: shard si (or the plain record) was read frozen: finish
 * its split (halves at version 1, the index to rewrite) so that a change
 * can go to the half that holds the name. */
int folder_thaw(struct folder *f, size_t si, struct dz_errmsg *em);

#endif
