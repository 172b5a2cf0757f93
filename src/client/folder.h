/*
 * folder: one folder of the account's tree, as encrypted records at the
 * coordinator (a Cryptree node, as Peergos and Wuala build them).
 *
 * Each folder has a random 32-byte id (its record id at the coordinator)
 * and a random 32-byte folder key; the root's id and key are derived from
 * the master key's folder sub-key (folder_root_keys), so that every
 * computer of the account finds it. A folder record lists the folder's
 * entries sorted by name: files (object id and the file record's own
 * random key, and the kept previous versions of the file, each an object
 * id and key of its own: folder_put_version), sub-folders (their id and key) and symbolic links (the
 * target, stored as given). Keys of children live only inside the sealed
 * parent, so handing one folder's key to someone hands over exactly its
 * subtree, and `mv` moves an entry without re-encrypting anything.
 *
 * Every record is XChaCha20-Poly1305 under a key derived from the folder
 * key, with the format, the folder id, the record's kind, its shard
 * number and its version in the associated data and again in the
 * plaintext: the coordinator can neither read, forge, move a record under
 * another id or shard, nor change its version without the client
 * noticing. The version grows by one on every write (the rollback counter
 * that client/seen.h remembers). Plaintexts are padded to a size bucket
 * (core/pad.h) of at least FOLDER_PADMIN, so a folder of one short name
 * and one of twenty 200-byte names look the same.
 *
 * Big folders are sharded (extendible hashing): past FOLDER_SHARD_ENTRIES
 * entries or FOLDER_SHARD_BYTES encoded bytes the folder record becomes an
 * index naming shard records, and each entry lives in the shard chosen by
 * a keyed hash of its name (the key comes from the folder key: the hash
 * tells the coordinator nothing). A shard that outgrows the bound splits
 * in two by one more bit of the hash (folder_split.c says how, so that
 * concurrent writers lose nothing). What a change rewrites:
 *   - a folder that is not sharded: its one record;
 *   - a sharded folder: one shard record, plus, only when that shard
 *     splits, the shard again (frozen), its two halves and the index
 *     (4 records);
 *   - the moment a folder becomes sharded: the record (frozen), every
 *     shard, and the record again as the index.
 * To change one entry of a sharded folder a client reads the index and
 * the one shard folder_shard_of names; listing reads index and all shards.
 * Shards never merge (an emptied shard stays as one small record).
 *
 * This module does no I/O: the caller fetches blobs from the coordinator,
 * hands them in, and writes what folder_seal_dirty gives back by
 * compare-and-swap. Byte layout: docs/formats.md, "Folder record";
 * how the tree is built from it: docs/design-tree.md.
 *
 * Not for file contents (record.h), nor for whole paths (the caller walks
 * the tree one folder at a time).
 */
#ifndef DZ_FOLDER_H
#define DZ_FOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define FOLDER_IDBYTES 32
#define FOLDER_KEYBYTES 32
#define FOLDER_NAMEMAX 255
#define FOLDER_LINKMAX 4095
#define FOLDER_PADMIN 8192u            /* smallest sealed plaintext */
#define FOLDER_SHARD_ENTRIES 1000      /* a record past this splits */
#define FOLDER_SHARD_BYTES (256u * 1024)
#define FOLDER_MAXDEPTH 20             /* at most 2^20 shards */
#define FOLDER_REC_MAXENTRIES 65536    /* per record, as read */
#define FOLDER_REC_MAX (16u * 1024 * 1024) /* PROTO_REC_MAX */
#define FOLDER_VERS_MAX 255            /* previous versions per file */
#define FOLDER_VERS_DEFAULT 10         /* the setting's default */

/* Entry types; the numbers are part of the format: never reuse. */
enum folder_type {
	FOLDER_T_FILE = 1,   /* object id + file record key */
	FOLDER_T_DIR = 2,    /* folder id + folder key */
	FOLDER_T_LINK = 3,   /* symlink target */
	FOLDER_T_PACKED = 4, /* a small file inside a pack object: pack id,
	                      * pack record key, the file's own key, its
	                      * offset and length in the pack (pack.h) */
};

/* A packed file's sealed bytes in its pack: nonce and tag around the
 * plaintext (pack.h), so pack_len = size + FOLDER_PACK_OVERHEAD exactly;
 * pack_off + pack_len stays within FOLDER_PACK_MAXOFF. */
#define FOLDER_PACK_OVERHEAD 40u
#define FOLDER_PACK_MAXOFF ((uint64_t)1 << 48)

/*
 * struct folder_version: one kept previous version of a file (an object
 * that an earlier put of the same name stored, or, packed, a file inside
 * a pack object). key and pack_key are secrets: wipe copies of them
 * (sodium_memzero). Zero the whole struct before filling it.
 */
struct folder_version {
	uint32_t number;            /* 1 = the first put of this path; grows */
	uint8_t id[FOLDER_IDBYTES]; /* object id */
	uint8_t key[FOLDER_KEYBYTES]; /* its record key */
	uint64_t size;              /* <= INT64_MAX */
	int64_t mtime_sec;          /* the file's mtime */
	uint32_t mtime_nsec;        /* < 1e9 */
	int64_t stored_sec;         /* when that version was put (client clock) */
	uint32_t mode;              /* permission bits (07777) only */
	/* packed = 1: the version is a file inside a pack (as a
	 * FOLDER_T_PACKED entry): id is the pack's object id, key the file's
	 * own key, pack_key the pack's record key, pack_off and pack_len
	 * where its sealed bytes lie. The pack is shared: a dropped packed
	 * version never means "forget object id". 0: an object of its own,
	 * the pack_ fields zero. */
	uint8_t packed;
	uint8_t pack_key[FOLDER_KEYBYTES];
	uint64_t pack_off, pack_len;
};

/*
 * struct folder_entry: one name in a folder. As given to folder_put the
 * pointers are borrowed (copied in); as returned by the folder they point
 * into it and stay valid until the next change or folder_free. key is a
 * secret (a file's or sub-folder's key): the folder wipes its copies.
 */
struct folder_entry {
	const char *name;           /* 1..255 bytes, NUL-terminated */
	const char *target;         /* FOLDER_T_LINK: NUL-terminated; else NULL */
	uint8_t type;               /* enum folder_type */
	uint32_t mode;              /* permission bits (07777) only */
	int64_t mtime_sec;
	uint32_t mtime_nsec;        /* < 1e9 */
	uint64_t size;              /* bytes (a file's); <= INT64_MAX */
	uint8_t id[FOLDER_IDBYTES]; /* FILE: object id; DIR: folder id;
	                             * PACKED: the pack's object id */
	uint8_t key[FOLDER_KEYBYTES]; /* FILE: record key; DIR: folder key;
	                               * PACKED: the file's own key */
	uint32_t number;            /* the current version's number; 0 means 1 */
	int64_t stored_sec;         /* when it was put (client clock); 0: unknown */
	/* FILE and PACKED only: the previous versions, newest first, numbers
	 * strictly decreasing and below the current one (borrowed and copied
	 * in as given; as returned, pointing into the folder like name). Zero
	 * the whole struct before filling it: nvers must be 0 for no
	 * versions, and the pack_ fields below 0 for other types. */
	const struct folder_version *vers;
	uint16_t nvers;             /* <= FOLDER_VERS_MAX */
	/* PACKED only (size, mode, mtime as for FILE): the pack's record key
	 * (a secret: the folder wipes its copies) and where the file's sealed
	 * bytes lie in the pack's plaintext: pack_len = size +
	 * FOLDER_PACK_OVERHEAD, pack_off + pack_len <= FOLDER_PACK_MAXOFF. */
	uint8_t pack_key[FOLDER_KEYBYTES];
	uint64_t pack_off, pack_len;
};

/* folder_is_file: 1 if e is a file, stored whole (FILE) or packed. */
int folder_is_file(const struct folder_entry *e);

/* One sealed record to write: its id at the coordinator, the version it
 * carries (1 for a new record: create with expected version 0; else
 * compare-and-swap against version - 1), and the blob (malloc'd). */
struct folder_blob {
	uint8_t id[FOLDER_IDBYTES];
	uint64_t version;
	uint8_t *blob;
	size_t len;
};

struct folder;

/* folder_root_keys: the root folder's id and key (key: caller's
 * sodium_malloc memory) from the master key's folder sub-key
 * (MKEY_SUB_FOLDER; crypto_kdf, context "dzroot01"). */
int folder_root_keys(const uint8_t folder_subkey[static 32],
    uint8_t id[static FOLDER_IDBYTES], uint8_t key[static FOLDER_KEYBYTES])
	DZ_MUST_CHECK;

/* folder_fresh_keys: a random id and key for a new folder or file. */
void folder_fresh_keys(uint8_t id[static FOLDER_IDBYTES],
    uint8_t key[static FOLDER_KEYBYTES]);

/* folder_name_ok: 0 if name may be an entry's name: 1..255 bytes, valid
 * UTF-8 without control characters, no '/', not "." or ".." (as remote
 * paths, catalog.h); DZ_EINVAL with em saying why. */
int folder_name_ok(const char *name, struct dz_errmsg *em) DZ_MUST_CHECK;

/* folder_new: an empty folder that was never written (version 0), under
 * id and key (copied; the key into sodium_malloc memory). */
int folder_new(const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], struct folder **out) DZ_MUST_CHECK;

/* folder_open: open and strictly decode the folder record blob of
 * folder id under key into *out. A folder that is sharded comes back with
 * its index only: load shards with folder_shard_load. DZ_EAUTH if the
 * blob does not authenticate as this folder's record (altered, another
 * folder's, a shard, a changed version), DZ_EVERSION for an unknown
 * format or entry type, DZ_EFORMAT / DZ_ETRUNC / DZ_ERANGE if malformed. */
int folder_open(const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const uint8_t *blob,
    size_t len, struct folder **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* folder_free: free f, wiping every key it holds; NULL is fine. */
void folder_free(struct folder *f);

/* folder_version: the version of the folder record (plain or index) as
 * read or last sealed; 0 for a folder never written. */
uint64_t folder_version(const struct folder *f);

/* folder_count: entries in the loaded records. */
size_t folder_count(const struct folder *f);

/* folder_is_sharded: 1 if the folder record is an index of shards. */
int folder_is_sharded(const struct folder *f);

/* folder_nshards: shard records (0 if not sharded). */
size_t folder_nshards(const struct folder *f);

/* folder_shard_info: for shard i < folder_nshards: its record id, its
 * version (0 while not loaded or never written) and whether it is loaded
 * (each pointer may be NULL). DZ_ERANGE for a bad i. */
int folder_shard_info(const struct folder *f, size_t i,
    uint8_t id[FOLDER_IDBYTES], uint64_t *version, int *loaded) DZ_MUST_CHECK;

/* folder_shard_of: the shard (index for folder_shard_info) holding name;
 * 0 when the folder is not sharded. */
size_t folder_shard_of(const struct folder *f, const char *name);

/* folder_shard_load: open shard i's record blob and take its entries.
 * DZ_EAUTH if it is not this folder's shard i as the index describes it
 * (altered, another shard's, from before a split), else as folder_open. */
int folder_shard_load(struct folder *f, size_t i, const uint8_t *blob,
    size_t len, struct dz_errmsg *em) DZ_MUST_CHECK;

/* folder_find: the entry named name in *out (valid until the next
 * change). DZ_ENOENT if there is none, DZ_EINVAL if its shard is not
 * loaded. */
int folder_find(const struct folder *f, const char *name,
    const struct folder_entry **out) DZ_MUST_CHECK;

/* folder_add: insert e (copied); DZ_EEXIST if the name is taken.
 * folder_replace: replace the entry of the same name; DZ_ENOENT if none.
 * folder_put: either; *replaced (may be NULL) says which.
 * All: DZ_EINVAL (em says why) for a bad name, type, mode, nsec or link,
 * or if the shard of the name is not loaded; DZ_ENOMEM. A shard that
 * outgrows the bound splits here (folder_seal_dirty then has more). */
int folder_add(struct folder *f, const struct folder_entry *e,
    struct dz_errmsg *em) DZ_MUST_CHECK;
int folder_replace(struct folder *f, const struct folder_entry *e,
    struct dz_errmsg *em) DZ_MUST_CHECK;
int folder_put(struct folder *f, const struct folder_entry *e, int *replaced,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* folder_remove: drop the entry named name; DZ_ENOENT if none, DZ_EINVAL
 * if its shard is not loaded. A file's previous versions go with it:
 * read them (folder_find) first to forget their objects too (a packed
 * one's object is its shared pack: lower the pack's live bytes instead). */
int folder_remove(struct folder *f, const char *name) DZ_MUST_CHECK;

/* folder_put_version: put e as the new current version of a file: as
 * folder_put, but when the name holds a file, that file's current object
 * becomes its newest previous version (its number kept), the new entry
 * gets number (old current) + 1, and the previous versions beyond keep
 * (the oldest; keep is capped at FOLDER_VERS_MAX, 0 keeps none) are
 * removed and copied into dropped[] (the caller's array of
 * FOLDER_VERS_MAX + 1), *ndropped of them, so that the caller forgets
 * their objects (and wipes their keys). When e is not a file (a link put
 * over a file), the file's current object and all its versions are
 * dropped. "A file" is FILE or PACKED alike (folder_is_file), old and
 * new: a packed current becomes a packed version, and a dropped one
 * comes back with packed = 1: its id is a pack that other entries may
 * still use, so the caller must NOT forget that object, only lower the
 * pack's live bytes by pack_len (a pack is forgotten once nothing names
 * it: design-tree.md, compaction). Dropped versions with packed = 0 are
 * objects of their own, to forget as before.
 * e must carry no versions of its own (DZ_EINVAL); its number is
 * ignored when it replaces a file, kept as given (0: 1) when the name is
 * new. *replaced (may be NULL) says whether a file was there. DZ_EEXIST
 * if the name holds a folder or a link (as folder_add); DZ_ERANGE if the
 * number would pass UINT32_MAX; else as folder_put. */
int folder_put_version(struct folder *f, const struct folder_entry *e,
    unsigned keep, struct folder_version *dropped, size_t *ndropped,
    int *replaced, struct dz_errmsg *em) DZ_MUST_CHECK;

/* folder_restore_version: make version number of the file name current
 * (a packed version makes the entry PACKED again, a whole one FILE):
 * the current object becomes the newest previous version, the restored
 * one leaves the list and becomes current with number (old current) + 1
 * and stored_sec (the time of the restore), its size, mode and mtime as
 * they were; history only grows and no object is dropped. Restoring the
 * current number changes nothing (0). DZ_ENOENT if there is no such name
 * or version, DZ_EINVAL if name is not a file or its shard is not loaded,
 * DZ_ERANGE if the number would pass UINT32_MAX. */
int folder_restore_version(struct folder *f, const char *name, uint32_t number,
    int64_t stored_sec, struct dz_errmsg *em) DZ_MUST_CHECK;

/* folder_file_version: version number of file entry e into *out (a copy;
 * wipe out->key and out->pack_key when done): the current one (number 0
 * asks for it, as does its own number; packed = 1 for a PACKED entry) or
 * a previous one. DZ_ENOENT if e has no such version, DZ_EINVAL if e is
 * not a file (FILE or PACKED). */
int folder_file_version(const struct folder_entry *e, uint32_t number,
    struct folder_version *out) DZ_MUST_CHECK;

/* folder_ent_number: e's current version number (1 when e says 0). */
uint32_t folder_ent_number(const struct folder_entry *e);

/* folder_iter: the entries of the loaded records one by one: start with
 * *cursor = 0; returns 1 and sets *out while there is one, then 0. Names
 * come sorted within a shard, shards in hash order: folder_sorted gives
 * one sorted list. */
int folder_iter(const struct folder *f, size_t *cursor,
    const struct folder_entry **out);

/* folder_sorted: every entry, sorted by name, as an array of pointers
 * into f (*out malloc'd; free it, not the entries). DZ_EINVAL if a shard
 * is not loaded. */
int folder_sorted(const struct folder *f, const struct folder_entry ***out,
    size_t *n) DZ_MUST_CHECK;

/* folder_seal_dirty: seal every record changed since it was opened or
 * last sealed, each with its version raised by one, into *out (an array
 * of *n, malloc'd; free with folder_blobs_free), in the order to write
 * them: frozen records and the shards made from them first, the index
 * last. Write each by compare-and-swap (version 1: create; else expect
 * version - 1). A shard of version 1 whose create finds it there at
 * version 1 was made by another writer from the same frozen record: skip
 * it. Any other lost swap: stop, drop f, re-read and redo the change.
 * The records count as clean afterwards. */
int folder_seal_dirty(struct folder *f, struct folder_blob **out, size_t *n,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* folder_blobs_free: free what folder_seal_dirty gave. */
void folder_blobs_free(struct folder_blob *b, size_t n);

#endif
