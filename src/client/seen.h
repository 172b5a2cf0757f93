/*
 * seen: the client's rollback memory: the highest version it has seen of
 * every folder record and shard (client/folder.h) it read or wrote.
 *
 * The coordinator cannot forge a folder record (it is sealed under keys it
 * does not have), but it could serve an older one it once stored: a
 * database restored from a backup, or a fork that shows one computer an
 * old tree. Each record's authenticated version grows by one on every
 * write, so a computer that remembers the versions it has seen refuses an
 * older one with DZ_EROLLBACK, naming the folder. A computer that never
 * saw the newer state cannot tell (docs/design-tree.md says what is and
 * is not detected).
 *
 * Storage: one SQLite database in the profile (seen.db), table
 * seen(id BLOB PRIMARY KEY, version INTEGER) WITHOUT ROWID, in WAL mode
 * with synchronous=FULL: a version recorded by seen_check is on disk when
 * seen_check returns (or, inside seen_begin / seen_commit, when
 * seen_commit returns), so a command that reports success has made it
 * durable. Ids are the coordinator's record ids, already known to it:
 * nothing secret is kept here. Several commands at once share the file
 * (SQLite locking, waiting up to 10 s for each other).
 *
 * Not for anything but versions: the records themselves are not cached.
 */
#ifndef DZ_SEEN_H
#define DZ_SEEN_H

#include <stdint.h>

#include "core/err.h"

#define SEEN_IDBYTES 32
#define SEEN_FILE "seen.db"

struct seen;

/* seen_open: open (creating it if absent, mode 0600) the database at
 * path into *out. A file that is not such a database, or is damaged, is
 * DZ_EFORMAT with em naming it (and saying that removing it forgets the
 * versions seen, so that rollbacks before now go undetected); one of a
 * later format is DZ_EVERSION; DZ_EIO if it cannot be opened. */
int seen_open(const char *path, struct seen **out, struct dz_errmsg *em)
	DZ_MUST_CHECK;

/* seen_close: close s (committing nothing pending: call seen_commit
 * first); NULL is fine. */
void seen_close(struct seen *s);

/*
 * seen_check: the record id was just read (or written) at version.
 * Returns DZ_EROLLBACK if a higher version of it was seen before, em
 * saying "<what> was rolled back: the coordinator served version V, this
 * computer has seen W" (what: the folder's path as the caller names it,
 * e.g. "folder 'photos/2024'"; may be NULL). Otherwise records version if
 * it is higher than what was seen (an equal one is the same record) and
 * returns 0; DZ_EIO / DZ_EFORMAT if the database fails.
 */
int seen_check(struct seen *s, const uint8_t id[static SEEN_IDBYTES],
    uint64_t version, const char *what, struct dz_errmsg *em) DZ_MUST_CHECK;

/* seen_get: the highest version seen of id in *version (0: never). */
int seen_get(struct seen *s, const uint8_t id[static SEEN_IDBYTES],
    uint64_t *version, struct dz_errmsg *em) DZ_MUST_CHECK;

/* seen_begin / seen_commit: make the seen_check calls between them one
 * transaction (one fsync instead of one per record: listing a folder of
 * 200 shards, or a put -r of a tree). Until seen_commit returns 0 none of
 * them is durable, nor seen by other commands; seen_close without it drops
 * them. They wait in memory: no lock on the file is held in between, so a
 * long batch never stalls another command. Not nested. */
int seen_begin(struct seen *s, struct dz_errmsg *em) DZ_MUST_CHECK;
int seen_commit(struct seen *s, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
