/*
 * files: the account's files on the network: put, get, list and remove
 * by remote path. Ties together the network store (netstore.h), the
 * put/get pipelines (xfer.h) and the encrypted file tree (catalog.h).
 *
 * A put stores the file as a new object first and only then points its
 * path at it (compare-and-swap on the catalog, redone if another client
 * changed the tree meanwhile); the object the path held before is
 * forgotten afterwards. So a failed put leaves the old file in place, and
 * a crash between the two steps leaves at worst an unreferenced object.
 */
#ifndef DZ_FILES_H
#define DZ_FILES_H

#include <stdint.h>

#include "client/catalog.h"
#include "client/netstore.h"
#include "client/xfer.h"
#include "core/err.h"
#include "core/mkey.h"

struct files;

/* files_open: over network store ns (borrowed), with the keys of master
 * key mk (copied into sodium_malloc memory, wiped at close). */
int files_open(struct netstore *ns, const uint8_t mk[static MKEY_BYTES],
    struct files **out, struct dz_errmsg *em) DZ_MUST_CHECK;
void files_close(struct files *f);

/*
 * files_journal: keep the journal of objects to forget unless named
 * (pending.h) at path (the profile's `pending`), and clean up after
 * commands that ended before finishing: every entry of a process no
 * longer running is looked up in the tree and, if not named, its object
 * forgotten. *cleaned = objects forgotten. Without this call nothing is
 * journaled. An error leaves the journal as it was (the next command
 * tries again); the caller may go on.
 */
int files_journal(struct files *f, const char *path, unsigned *cleaned,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_list: the file tree now, into c (catalog_free it). */
int files_list(struct files *f, struct catalog *c, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * files_put: store what fd holds at remote path (normalised, not the
 * root, no component over CATALOG_NAMEMAX bytes: DZ_EINVAL; a path that
 * is a directory of other files is refused: DZ_EEXIST),
 * replacing the file there if any (*replaced = 1). fi gives mode and
 * mtime (its name is ignored: the path is stored). *size = bytes stored.
 */
int files_put(struct files *f, int fd, const char *path, const struct xfer_file *fi,
    const struct xfer_params *pp, uint64_t *size, int *replaced,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_get: rebuild the file at path into fd; on success *e (may be
 * NULL) gets a copy of its catalog entry (path not copied: NULL) with
 * mtime_nsec from the file record. DZ_ENOENT if no file is there. */
int files_get(struct files *f, const char *path, int fd, const struct xfer_params *pp,
    struct cat_entry *e, struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_code: the code k-of-n of object id's file record (its header
 * read and authenticated, the table not). */
int files_code(struct files *f, const uint8_t id[static 32], unsigned *k,
    unsigned *n, struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_rm: remove the file at path and forget its object. DZ_ENOENT if
 * none. */
int files_rm(struct files *f, const char *path, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
