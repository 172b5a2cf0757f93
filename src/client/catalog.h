/*
 * catalog: the account's file tree, as one encrypted record at the
 * coordinator: for each remote path, the object that holds the file, its
 * size, mode and modification time.
 *
 * The coordinator sees only an opaque, padded blob under an id it cannot
 * link to anything: id and key are both derived from the folder key
 * (crypto_kdf, context "dzcatlg1"), the blob is XChaCha20-Poly1305 with the
 * id in the associated data, so a blob moved under another id or altered
 * is refused. Updates are compare-and-swap on the record's version: two
 * clients changing the tree at once both land (load, change, save; on a
 * conflict, load again and redo the change). Byte layout: docs/formats.md.
 *
 * Not for the file contents (xfer.h) nor for listing the coordinator's
 * records. The coordinator could still serve an older version of the
 * blob (a rollback); nothing here detects that yet.
 */
#ifndef DZ_CATALOG_H
#define DZ_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define CATALOG_PATHMAX 1024     /* bytes of a normalised remote path */
#define CATALOG_NAMEMAX 255      /* bytes of one component a put takes */
#define CATALOG_MAXENTRIES 100000
#define CATALOG_KEYBYTES 32
#define CATALOG_IDBYTES 32

/* What an entry is: the catalog record holds files only; listings of the
 * folder tree (files.h) hold all three. */
enum { CAT_FILE = 0, CAT_DIR = 2, CAT_LINK = 3 };

struct cat_entry {
	char *path;                   /* normalised, NUL-terminated, owned */
	char *target;                 /* CAT_LINK: its target, owned; else NULL */
	uint8_t type;                 /* CAT_FILE, CAT_DIR or CAT_LINK */
	uint8_t id[32];               /* the object (xfer.h record id) */
	uint64_t size;
	int64_t mtime;                /* seconds since the epoch */
	uint32_t mtime_nsec;          /* not in the catalog (0 there): files_get
	                                 fills it from the file record */
	uint32_t mode;                /* permission bits */
	/* listings of the folder tree only (files.h), never in the record:
	 * a file packed into a shared pack object (packed = 1) has id the
	 * pack's, key its own, pack_key the pack's record key and its sealed
	 * bytes at pack_off, pack_len. key and pack_key are secrets: the
	 * catalog wipes them when it clears. */
	uint8_t packed;
	uint8_t key[32], pack_key[32];
	uint64_t pack_off, pack_len;
};

struct catalog {
	struct cat_entry *e;          /* sorted by path (strcmp) */
	size_t n, cap;
	uint64_t version;             /* record version loaded (0: none yet) */
};

/* catalog_keys: the catalog's record id and sealing key (key: caller's
 * sodium_malloc memory) from the folder key. */
int catalog_keys(const uint8_t folder_key[static 32],
    uint8_t id[static CATALOG_IDBYTES], uint8_t key[static CATALOG_KEYBYTES])
	DZ_MUST_CHECK;

/*
 * catalog_path: normalise a remote path into out: leading and repeated
 * slashes dropped, a trailing slash dropped; "." and ".." components,
 * control characters, invalid UTF-8 and paths longer than CATALOG_PATHMAX
 * refused (DZ_EINVAL, em says why). The empty path (the root) is allowed
 * here; callers that need a file name refuse it.
 */
int catalog_path(const char *in, char out[static CATALOG_PATHMAX + 1],
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* catalog_encode: seal c under key for record id into *blob (malloc'd)
 * and *len. */
int catalog_encode(const struct catalog *c, const uint8_t key[static 32],
    const uint8_t id[static 32], uint8_t **blob, size_t *len,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* catalog_decode: open and strictly parse a sealed blob into c (emptied
 * first; version untouched). DZ_EAUTH if it does not authenticate,
 * DZ_EFORMAT / DZ_ERANGE if the plaintext is malformed. */
int catalog_decode(const uint8_t *blob, size_t len, const uint8_t key[static 32],
    const uint8_t id[static 32], struct catalog *c, struct dz_errmsg *em)
	DZ_MUST_CHECK;

/* catalog_find: the entry at path (normalised), or NULL. */
const struct cat_entry *catalog_find(const struct catalog *c, const char *path);

/* catalog_set: insert e (its path copied), or replace the entry at the
 * same path; *replaced (may be NULL) = 1 and old_id = the replaced
 * object's id then. DZ_ERANGE past CATALOG_MAXENTRIES. */
int catalog_set(struct catalog *c, const struct cat_entry *e, int *replaced,
    uint8_t old_id[static 32]) DZ_MUST_CHECK;

/* catalog_append: append a copy of e (path and target copied) without
 * keeping any order or bound: for listings, not for the record. */
int catalog_append(struct catalog *c, const struct cat_entry *e) DZ_MUST_CHECK;

/* catalog_remove: remove the entry at path; old_id = its object.
 * DZ_ENOENT if there is none. */
int catalog_remove(struct catalog *c, const char *path,
    uint8_t old_id[static 32]) DZ_MUST_CHECK;

/* catalog_clear: free every entry (c stays usable); catalog_free also
 * releases the array. */
void catalog_clear(struct catalog *c);
void catalog_free(struct catalog *c);

#endif
