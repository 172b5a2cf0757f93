/*
 * files: the account's files on the network: put, get, list, move and
 * remove by remote path. Ties together the network store (netstore.h), the
 * put/get pipelines (xfer.h) and the encrypted folder tree (tree.h).
 *
 * A put stores the file as a new object first and only then names it in
 * its folder's record (compare-and-swap, redone if another computer
 * changed that folder meanwhile); the object the path held before is
 * forgotten afterwards. So a failed put leaves the old file in place, and
 * a crash between the two steps leaves at worst an unreferenced object,
 * which the journal (files_journal) forgets later.
 */
#ifndef DZ_FILES_H
#define DZ_FILES_H

#include <stdint.h>

#include "client/catalog.h"
#include "client/folder.h"
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

/* files_seen: check every folder record read from now on against the
 * rollback memory at path (the profile's seen.db): an older one than
 * this computer has seen is DZ_EROLLBACK, naming the folder. */
int files_seen(struct files *f, const char *path, struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_flush: make the versions seen durable (before a command reports
 * success). */
int files_flush(struct files *f, struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_tree: the folder tree under f (borrowed), for whole-tree work
 * (files_tree.h). */
struct tree *files_tree(struct files *f);

/* files_keep: how many previous versions a put keeps of the file it
 * replaces (FOLDER_VERS_DEFAULT unless set; at most FOLDER_VERS_MAX; 0
 * keeps none). Dropped versions are forgotten, freeing their space. */
void files_keep(struct files *f, unsigned keep);

/*
 * files_list: what lies at or under path (normalised; "" the root) into c
 * (catalog_free it): the entry at path if it is a file or a link, else
 * every file, folder and link below it (each folder before its contents,
 * names sorted within a folder). DZ_ENOENT if nothing is at path.
 */
int files_list(struct files *f, const char *path, struct catalog *c,
    struct dz_errmsg *em) DZ_MUST_CHECK;

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

/* One kept version of a file, as files_versions lists it. */
struct files_version {
	uint32_t number;       /* 1 = the first put of the path */
	int current;           /* the one a plain get fetches */
	uint64_t size;
	int64_t stored_sec;    /* when it was put (0: unknown, e.g. migrated) */
	int64_t mtime_sec;
	uint32_t mtime_nsec, mode;
};

/* files_versions (files_vers.c): the versions of the file at path, the
 * current one first, then the kept ones newest first, into *out
 * (malloc'd; free it) and *n. DZ_ENOENT, or DZ_EEXIST if path is not a
 * file. */
int files_versions(struct files *f, const char *path, struct files_version **out,
    size_t *n, struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_get_version: files_get of version number (0: the current one).
 * DZ_ENOENT if the file has no such version. */
int files_get_version(struct files *f, const char *path, uint32_t number, int fd,
    const struct xfer_params *pp, struct cat_entry *e, struct dz_errmsg *em)
	DZ_MUST_CHECK;

/* files_restore: make version number of the file at path its current
 * one; the current one becomes a kept version (nothing is dropped). *now
 * (may be NULL) = the restored one's new number. */
int files_restore(struct files *f, const char *path, uint32_t number,
    uint32_t *now, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * Many entries of one folder named at once, for put -r (files_batch.c).
 * files_store uploads a file as a new object, journaled but not named
 * (id, its record key and *size out); files_batch_add queues an entry
 * (copied; FILES_BATCH_FRESH: a folder whose record was made for it,
 * deleted if it ends up not named); files_batch_flush names every queued entry in
 * folder dir (made if missing) by one change, redone on lost swaps: a
 * file keeps what it replaces as a version (files_keep), a folder entry
 * over an existing folder only sets its mode and mtime, and a file or
 * link where the folder has a folder is not named (refused(arg, dir,
 * name) says which; its object is forgotten). Then the named objects
 * leave the journal and what they replaced is forgotten. The batch is
 * empty afterwards, whatever the result.
 */
struct files_batch;
int files_batch_new(struct files_batch **out) DZ_MUST_CHECK;
void files_batch_free(struct files_batch *b);
size_t files_batch_count(const struct files_batch *b);
#define FILES_BATCH_FRESH 1   /* a folder whose record was made for it */
#define FILES_BATCH_INPACK 2  /* a packed file of the pack being built: its
                                 id and pack_key come with set_pack */
int files_batch_add(struct files_batch *b, const struct folder_entry *e, int flags)
	DZ_MUST_CHECK;
/* files_batch_set_pack: the pack is stored: every INPACK entry gets its
 * id and record key. */
void files_batch_set_pack(struct files_batch *b, const uint8_t id[static 32],
    const uint8_t pack_key[static 32]);
int files_batch_flush(struct files *f, struct files_batch *b, const char *dir,
    void (*refused)(void *arg, const char *dir, const char *name), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;
int files_store(struct files *f, int fd, const struct xfer_file *fi,
    const struct xfer_params *pp, uint8_t id[static 32], uint8_t key[static 32],
    uint64_t *size, struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_fetch: rebuild object id (a file entry's) into fd. */
int files_fetch(struct files *f, const uint8_t id[static 32], int fd,
    const struct xfer_params *pp, struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_fetch_packed: rebuild a packed file (a FOLDER_T_PACKED entry's
 * fields, or a listing's cat_entry with packed set) into fd. */
int files_fetch_packed(struct files *f, const uint8_t pack_id[static 32],
    const uint8_t pack_key[static 32], const uint8_t file_key[static 32],
    uint64_t off, uint64_t len, uint64_t size, int fd, const struct xfer_params *pp,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_fetch_many: several files of one pack at once, each segment of
 * the pack read once (pack_fetch_many: items[i].rc says how each went). */
struct pack_item;
int files_fetch_many(struct files *f, const uint8_t pack_id[static 32],
    const uint8_t pack_key[static 32], struct pack_item *items, size_t n,
    const struct xfer_params *pp, struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_pack_register (files_pack.c): list a stored pack of bytes in the
 * account's pack table, so that compaction finds it. */
int files_pack_register(struct files *f, const uint8_t id[static 32], uint64_t bytes,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* What files_compact did. */
struct files_compact_stats {
	uint64_t packs, removed, rewritten;
	uint64_t bytes, live, freed;      /* of the packs: in all, named, freed */
};

/*
 * files_compact: free what removed and replaced packed files left in
 * their packs: a pack nothing names any more is forgotten; one whose
 * named bytes are below pct % of its size is rewritten into a new pack
 * with only those (every entry swapped by compare-and-swap; the old pack
 * forgotten once no entry names it). Reads the whole tree once.
 */
int files_compact(struct files *f, unsigned pct, struct files_compact_stats *st,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_rm: remove the file or link at path and forget its object; with
 * recursive, a folder too, with everything below it. DZ_ENOENT if
 * nothing is there, DZ_EEXIST for a folder without recursive.
 * *files (may be NULL) = files forgotten. */
int files_rm(struct files *f, const char *path, int recursive, uint64_t *files,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_mkdir flags */
#define FILES_MKDIR_PARENTS 1  /* make missing parents */
#define FILES_MKDIR_EXISTOK 2  /* an existing folder is fine: its mode and
                                  mtime are set to those given */

/* files_mkdir: make the folder at path with mode and mtime. DZ_EEXIST if
 * path is taken (by a folder, unless FILES_MKDIR_EXISTOK), DZ_ENOENT if
 * its parent is missing (unless FILES_MKDIR_PARENTS). *made (may be
 * NULL) = 1 if it was made. */
int files_mkdir(struct files *f, const char *path, int flags, uint32_t mode,
    int64_t mtime_sec, uint32_t mtime_nsec, int *made, struct dz_errmsg *em)
	DZ_MUST_CHECK;

/*
 * files_mv: move the file, link or folder at from to to (normalised
 * paths; to's missing parents are made). A folder moves as one entry:
 * nothing below it is read, rewritten or uploaded. An existing file at to
 * is replaced by a moved file (its object forgotten); a folder or link
 * there, or a move of a folder into itself, is refused (DZ_EEXIST,
 * DZ_EINVAL). Within one folder the move is one swap; between two, the
 * entry is added to to's folder first, then removed from from's (a crash
 * in between leaves it in both, never in neither). With a moves journal
 * (files_moves) such a move is journaled first, so that the next command
 * finishes it.
 */
int files_mv(struct files *f, const char *from, const char *to,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * files_moves: journal moves between folders in the directory dir (the
 * profile's `moving`, moving.h), and finish those of commands that ended
 * between their two changes: an entry that reached its destination is
 * dropped from its source (only if it still names the same thing).
 * *finished = moves finished. A failure leaves the journal for the next
 * command; the caller may go on.
 */
int files_moves(struct files *f, const char *dir, unsigned *finished,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* files_test_die_midway: tests only: the next move between folders ends
 * the process (_exit 9) between its two changes, as a crash would. */
void files_test_die_midway(struct files *f);

#endif
