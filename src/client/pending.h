/*
 * pending: this computer's journal of objects that must be forgotten at
 * the coordinator unless the file tree names them.
 *
 * A put stores its object before the file tree points at it, and a
 * replaced or removed file's object is forgotten only after the tree
 * stopped naming it. A command killed in between (SIGKILL, a crash, a
 * power cut) would leave an object nothing names, counted against the
 * account's quota and kept on the peers for ever: the coordinator cannot
 * tell, since the tree is sealed. So the object's id is written here,
 * durably, before the step that can leave it behind, and removed once the
 * step is done. The next command that opens the files (files_open) and
 * finds an entry of a process that is no longer running looks the id up
 * in the tree: named, the entry is dropped; not named, the object is
 * forgotten (OBJ_DELETE) and the entry dropped.
 *
 * Entries of a process still running are never touched: its put may be
 * in flight. A process is told by its pid and its start time (field 22 of
 * /proc/PID/stat), so a recycled pid is not mistaken for it.
 *
 * File format (docs/formats.md, "Pending"): magic "DZP1", then entries of
 * PENDING_ENTBYTES: object id[32] | pid u32 | start u64 (big-endian).
 * Changes are read-modify-write under flock(LOCK_EX) on the file, written
 * to a temporary file, fsynced and renamed. Object ids are what the
 * coordinator already knows; nothing secret is kept here.
 */
#ifndef DZ_PENDING_H
#define DZ_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PENDING_IDBYTES 32
#define PENDING_ENTBYTES (PENDING_IDBYTES + 4 + 8)
#define PENDING_MAX 4096 /* entries; an add beyond it is refused */

struct pending_ent {
	uint8_t id[PENDING_IDBYTES];
	uint32_t pid;
	uint64_t start;
};

/* pending_add: journal id for this process. DZ_ERANGE when the journal
 * is full, DZ_EIO with detail in em when it cannot be written. */
int pending_add(const char *path, const uint8_t id[static PENDING_IDBYTES],
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* pending_remove: drop this process's entries for id (none: 0). */
int pending_remove(const char *path, const uint8_t id[static PENDING_IDBYTES],
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* pending_remove_many: pending_remove of n ids in one rewrite of the
 * journal (a put -r naming a folder's worth of files at once). */
int pending_remove_many(const char *path, const uint8_t (*ids)[PENDING_IDBYTES],
    size_t n, struct dz_errmsg *em) DZ_MUST_CHECK;

/* pending_orphans: the entries of processes no longer running, into out
 * (at most cap; *n of them). A missing journal has none. DZ_EFORMAT for
 * a damaged one. */
int pending_orphans(const char *path, struct pending_ent *out, size_t cap,
    size_t *n, struct dz_errmsg *em) DZ_MUST_CHECK;

/* pending_drop: remove the entry e (an orphan handled). */
int pending_drop(const char *path, const struct pending_ent *e,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* pending_self: this process's pid and start time. */
void pending_self(uint32_t *pid, uint64_t *start);

/* pending_running: 1 if the process (pid, start) of pending_self is still
 * running (a recycled pid has another start time), else 0. */
int pending_running(uint32_t pid, uint64_t start);

#endif
