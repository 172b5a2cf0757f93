/*
 * tree: the account's file tree as one encrypted record per folder at the
 * coordinator (client/folder.h), walked by path.
 *
 * The root folder's id and key come from the master key's folder sub-key;
 * every other folder's id and key live in its parent's sealed record, so
 * a path is found by reading one record per component (and, in a sharded
 * folder, only the index and the one shard the name hashes to). A change
 * rewrites the records of the one folder it touches, by compare-and-swap:
 * on a lost swap the path is walked again and the change applied to the
 * fresh folder (redone, never merged byte-wise), so concurrent changes
 * from several computers all land. Every record read or written is
 * checked against the rollback memory (client/seen.h) when one is set:
 * an older version than one seen before is DZ_EROLLBACK naming the
 * folder. An account that still has the single-record catalog
 * (client/catalog.h) and no root folder is migrated on first use
 * (tree_migrate.c). Design: docs/design-tree.md.
 *
 * Not for file contents (xfer.h) nor for the local file system (ltree.h).
 */
#ifndef DZ_TREE_H
#define DZ_TREE_H

#include <stdint.h>

#include "client/catalog.h"
#include "client/folder.h"
#include "client/netstore.h"
#include "core/err.h"

/* Attempts at one change before giving up (each lost swap means another
 * computer changed that folder in between). */
#define TREE_CAS_TRIES 16

struct tree;

/* tree_open: over ns (borrowed) with the account's folder sub-key
 * (MKEY_SUB_FOLDER; copied into sodium_malloc memory). */
int tree_open(struct netstore *ns, const uint8_t subkey[static 32],
    struct tree **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_seen: check every record from now on against the rollback memory
 * at path (the profile's seen.db; created if absent). */
int tree_seen(struct tree *t, const char *path, struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_close: close t, wiping its keys; NULL is fine. */
void tree_close(struct tree *t);

/* tree_batch / tree_flush: make the rollback memory's updates between them
 * one transaction (one fsync); tree_flush makes them durable, to be called
 * before a command reports success. Without a rollback memory: 0. */
int tree_batch(struct tree *t, struct dz_errmsg *em) DZ_MUST_CHECK;
int tree_flush(struct tree *t, struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_split: split normalised path into its folder (dir, "" for the
 * root's children) and its last component (*base points into path). */
void tree_split(const char *path, char dir[static CATALOG_PATHMAX + 1],
    const char **base);

/*
 * tree_walk: the folder at dir (normalised, "" the root) into *out (free
 * with folder_free), with the shard holding name loaded (NULL: every
 * shard; "": none); id and key (key: caller's sodium_malloc memory; both
 * may be NULL) get its id and key. create: make missing folders on the way
 * (mode 0755, mtime now). DZ_ENOENT if a folder on the way is missing,
 * DZ_EEXIST if a component is a file or a link, DZ_EROLLBACK, or a
 * network error; em names the path.
 */
int tree_walk(struct tree *t, const char *dir, const char *name, int create,
    struct folder **out, uint8_t id[FOLDER_IDBYTES], uint8_t *key,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * tree_update: apply change(arg, f, em) to the folder at dir (walked as
 * tree_walk does, with name's shard loaded; create as there) and write
 * it; when another computer wrote that folder in between, walk again and
 * redo the change on the fresh folder, up to TREE_CAS_TRIES times. The
 * change returns 0, or an error that ends the update unwritten. A change
 * that leaves the folder unchanged writes nothing.
 */
int tree_update(struct tree *t, const char *dir, const char *name, int create,
    int (*change)(void *arg, struct folder *f, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_update_from: tree_update whose first try works on folder first
 * (id first_id, as tree_walk gave it, e.g. for a check made before a
 * long upload) instead of walking again; first is freed here. NULL: as
 * tree_update. */
int tree_update_from(struct tree *t, const char *dir, const char *name, int create,
    struct folder *first, const uint8_t first_id[FOLDER_IDBYTES],
    int (*change)(void *arg, struct folder *f, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_create: create the record of a new, empty folder (id, key) that
 * will be at path (version 1), before any parent names it. */
int tree_create(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_update_id: tree_update of the folder (id, key) itself, reached
 * by no walk (at path, for messages): a hidden record such as the pack
 * table. A missing record is a new, empty folder (created by the first
 * write). */
int tree_update_id(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path,
    int (*change)(void *arg, struct folder *f, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_update_at: tree_update of the existing folder (id, key) at path
 * (for messages) with the shard of name loaded; DZ_ENOENT if it is gone.
 * A change returning more than 0 leaves the folder unwritten and that is
 * returned. */
int tree_update_at(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path, const char *name,
    int (*change)(void *arg, struct folder *f, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_read_id: the folder (id, key) with every shard loaded, as
 * tree_update_id reads it (missing: empty). */
int tree_read_id(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path, struct folder **out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* A copy of one entry, owning its strings and its versions; keys are
 * wiped by tree_ent_clear. Zero it before the first copy. */
struct tree_ent {
	struct folder_entry e;           /* e.name -> name, e.target -> target,
	                                    e.vers -> vers */
	char name[FOLDER_NAMEMAX + 1];
	char *target;                    /* malloc'd (a link's), or NULL */
	struct folder_version *vers;     /* sodium_malloc'd, or NULL */
};

/* tree_ent_copy: copy *src into *dst (strings and versions included;
 * what dst held is cleared first). DZ_ENOMEM. */
int tree_ent_copy(struct tree_ent *dst, const struct folder_entry *src) DZ_MUST_CHECK;

/* tree_ent_clear: wipe dst's keys and free its versions. */
void tree_ent_clear(struct tree_ent *dst);

/* tree_stat: the entry at path (normalised, not the root) into *out.
 * DZ_ENOENT if there is none, as tree_walk otherwise. */
int tree_stat(struct tree *t, const char *path, struct tree_ent *out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * tree_list: call fn(arg, path, e) for every entry under the folder at
 * dir (normalised, "" the root), sorted by name within each folder, each
 * folder before its contents; recursive: also inside sub-folders (a
 * folder that is its own ancestor, which two crossing moves can make, is
 * not entered again). path is the entry's full path, valid during the
 * call. fn's non-zero result stops the walk and is returned.
 */
int tree_list(struct tree *t, const char *dir, int recursive,
    int (*fn)(void *arg, const char *path, const struct folder_entry *e),
    void *arg, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * tree_forget_dir: after folder (id, key) at path has been removed from
 * its parent: call fn(arg, e) for every file entry below it (so that the
 * caller forgets the objects), then delete its records and those of every
 * folder below, deepest first. Best effort past the first error: what is
 * left costs space only.
 */
int tree_forget_dir(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path,
    void (*fn)(void *arg, const struct folder_entry *e), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * tree_inside: whether the folder at dir (normalised) is folder id or lies
 * below it (a move of id into dir would make a loop): *inside = 1 then.
 * dir need not exist: the part that exists is checked.
 */
int tree_inside(struct tree *t, const char *dir,
    const uint8_t id[static FOLDER_IDBYTES], int *inside,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_migrate (tree_migrate.c): build the folder records from the
 * single-record catalog, if there is one, and create the root last (its
 * creation is the commit point). 0 when the root exists afterwards
 * (made here or by another computer), or when there is no catalog
 * (*migrated = 0 then, the root still absent). */
int tree_migrate(struct tree *t, int *migrated, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
