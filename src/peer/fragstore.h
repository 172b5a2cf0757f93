/*
 * fragstore: the storage peer's fragment store on its local disk.
 *
 * What a peer lends to the network: a bounded directory of fragments, each
 * a file named by its Merkle root (frag.h), kept as
 *   DIR/frags/XX/<64 hex digits>   XX = the name's first byte
 *   DIR/dirty                      present while the store is open
 * A put verifies the bytes against their name (a peer never stores what
 * does not match), charges each fragment what it really costs on disk (its
 * size rounded up to whole file-system blocks, at least one block: 4,000
 * fragments of 24 bytes cost 16 MB and 4,000 files, not 96 KB), refuses
 * what would exceed the capacity, writes a
 * temporary file and renames it into place, without syncing. Durability is
 * grouped: every put returns a ticket, and fragstore_sync(upto) makes
 * everything written up to that ticket durable with one syncfs shared by
 * all callers waiting at that time (group commit), so a batch of fragments
 * costs one disk flush instead of one per fragment. Only what a sync has
 * covered may be acknowledged to the sender.
 *
 * After a crash, temporary files are removed at open; a store that was not
 * closed cleanly (the "dirty" marker) also has every fragment's size
 * checked against its header, so that a fragment cut short by a power
 * failure before its sync is dropped rather than advertised. Damage that
 * keeps the size (bit rot, tampering) is caught by fragstore_get and
 * fragstore_audit, which re-verify every byte against the name.
 *
 * Every function is safe to call from several threads on one store. Not
 * for: networking, quotas per sender, or fragment placement; one process
 * per data directory (open takes an exclusive lock on it).
 */
#ifndef DZ_FRAGSTORE_H
#define DZ_FRAGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/frag.h"
#include "core/fragfile.h"
#include "core/merkle.h"

#define FRAGSTORE_NAMEBYTES MERKLE_HASHBYTES
/* the largest fragment: header plus a whole segment (k = 1) */
#define FRAGSTORE_MAXFRAG ((size_t)FRAG_HDRBYTES + FRAG_MAXSEG)
/* the smallest fragment accepted: the smallest a client makes is the
 * header and ceil(16 / k) bytes of the sealed empty segment (its tag),
 * 17 bytes at k >= 16; anything shorter is not a fragment. What stops a
 * flood of small fragments is the charge, not this: see fragstore_charge */
#define FRAGSTORE_MINFRAG ((size_t)FRAG_HDRBYTES + 1)
/* buffers aligned to this (and fragments at least this long) are written
 * and read with direct I/O, bypassing the page cache (core/fragfile.h) */
#define FRAGSTORE_DIO_ALIGN FRAGFILE_DIO_ALIGN

struct fragstore;

/* Counters since open, for monitoring and tests. */
struct fragstore_stats {
	uint64_t puts;        /* successful fragstore_put calls */
	uint64_t puts_new;    /* of which wrote a new file */
	uint64_t syncs;       /* syncfs calls made (group commits) */
	uint64_t sync_calls;  /* fragstore_sync calls that had to wait */
	uint64_t removed_at_open; /* temporary or cut-short files removed */
};

/*
 * fragstore_open: open (creating if needed) the store in dir with a
 * capacity of `capacity` bytes. The capacity may differ from the last
 * run's; used bytes are counted by scanning, and a store already over a
 * lowered capacity opens but refuses puts. Removes temporary files left by
 * a crash. *out receives the store, to be freed with fragstore_close.
 * Returns 0, DZ_EEXIST if another process (or handle) has dir open, or
 * DZ_EIO / DZ_ENOSPC / DZ_ENOMEM with detail in em (may be NULL).
 */
int fragstore_open(const char *dir, uint64_t capacity, struct fragstore **out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* fragstore_close: make everything durable (one last sync), mark the store
 * clean and free fs. No other call on fs may be in progress. Returns 0, or
 * the sync's error (the store is freed either way, and then opens as
 * unclean next time). NULL is a no-op. */
int fragstore_close(struct fragstore *fs);

/*
 * fragstore_put: store fragment `name` (len bytes at buf, caller-owned and
 * only read). Verifies buf with frag_check first. The file is in place when
 * this returns but not yet durable: *ticket receives the ticket to pass to
 * fragstore_sync before acknowledging. Putting a name already present is a
 * success that writes nothing but the file's mtime, set to now so that
 * clean-up treats it as just stored (and still yields a ticket that covers
 * the existing file). A buffer aligned to FRAGSTORE_DIO_ALIGN is written with
 * direct I/O. Returns 0; DZ_EINTEGRITY if the bytes do not match name (or
 * a frag_parse code if they are not a fragment at all); DZ_ERANGE if len is
 * below FRAGSTORE_MINFRAG or above FRAGSTORE_MAXFRAG; DZ_ENOSPC if its
 * charge would exceed the capacity, or the disk is full
 * (fragstore_disk_full then says which); DZ_EIO.
 */
int fragstore_put(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], const uint8_t *buf,
    size_t len, uint64_t *ticket, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * fragstore_sync: return once every put whose ticket is <= upto is durable.
 * Callers arriving while a sync runs wait for it if it covers them, or
 * else share the next one: one syncfs serves every waiter (see the stats).
 * upto larger than the last ticket issued means "everything so far"; 0
 * returns at once. Returns 0, or DZ_EIO (DZ_ENOSPC) if a sync covering upto
 * failed: those fragments must not be acknowledged. A failed sync breaks
 * the store: the kernel may have dropped the data it could not write and
 * a second syncfs would not say so (PostgreSQL's "fsyncgate"), so from then
 * on puts and syncs of anything not yet durable fail with DZ_EIO until the
 * store is closed and reopened (which rechecks every fragment's size).
 */
int fragstore_sync(struct fragstore *fs, uint64_t upto,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * fragstore_get: read fragment `name` into buf (cap bytes, caller-owned;
 * aligned to FRAGSTORE_DIO_ALIGN for direct reads) and re-verify it;
 * *len receives its length. Returns 0; DZ_ENOENT if absent; DZ_ERANGE if
 * cap is too small (*len then holds the size needed); DZ_EINTEGRITY if the
 * stored bytes no longer match their name: the caller should then delete
 * it with fragstore_del (the coordinator will have it repaired); DZ_EIO.
 */
int fragstore_get(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], uint8_t *buf, size_t cap,
    size_t *len, struct dz_errmsg *em) DZ_MUST_CHECK;

/* fragstore_has: 1 if fragment `name` is stored (its size in *len if len
 * is non-NULL), 0 if not, or a negative dz_err. Does not read the bytes. */
int fragstore_has(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], size_t *len) DZ_MUST_CHECK;

/* fragstore_del: remove fragment `name` and give its bytes back to the
 * capacity. Returns 0, DZ_ENOENT if it was not there, DZ_EIO. Not synced:
 * a crash may bring a deleted fragment back, which is harmless. */
int fragstore_del(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * fragstore_del_older: clean-up's delete: remove fragment `name` only if
 * its file's mtime (the time it was stored, or last put again: a put of
 * a name already present refreshes it) is before cutoff (seconds since
 * the epoch, this machine's clock), judged and done atomically with
 * respect to puts, so a put acknowledged for the name is never undone.
 * *freed receives the bytes given back to the capacity. Returns 1 if it
 * was deleted, 0 if it was kept (young) or absent, or DZ_EIO (detail in
 * em). Not synced, like fragstore_del.
 */
int fragstore_del_older(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], int64_t cutoff,
    uint64_t *freed, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * fragstore_audit: answer a storage audit: read and re-verify fragment
 * `name`, then copy its block number `leaf` (MERKLE_BLOCK bytes, the last
 * block may be shorter) into block with its length in *blocklen, and the
 * block's Merkle audit path into path with its length in *pathlen, so that
 * merkle_verify(name, *nleaves, leaf, ...) accepts them. nleaves may be
 * NULL. Returns 0; DZ_ENOENT; DZ_ERANGE if leaf is past the last block;
 * DZ_EINTEGRITY if the stored bytes are damaged (delete them); DZ_EIO.
 */
int fragstore_audit(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], size_t leaf,
    uint8_t block[static MERKLE_BLOCK], size_t *blocklen,
    uint8_t path[static MERKLE_MAXPATH][MERKLE_HASHBYTES], size_t *pathlen,
    size_t *nleaves, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * fragstore_list: call fn(arg, name, len) for every stored fragment, in no
 * particular order (what a peer reports to the coordinator). Stops at and
 * returns the first non-zero value fn returns. fn may call other
 * fragstore functions. Returns 0 or DZ_EIO.
 */
int fragstore_list(struct fragstore *fs,
    int (*fn)(void *arg, const uint8_t name[FRAGSTORE_NAMEBYTES], size_t len),
    void *arg, struct dz_errmsg *em) DZ_MUST_CHECK;

/* fragstore_count: fragments stored now (counted at open, then kept up
 * to date by puts and deletes: no listing needed). */
uint64_t fragstore_count(struct fragstore *fs);

/* fragstore_used: bytes charged for stored fragments (puts in progress
 * included), each fragstore_charge(its size). */
uint64_t fragstore_used(struct fragstore *fs);

/* fragstore_charge: what a fragment of len bytes costs against the
 * capacity: len rounded up to whole blocks of the store's file system
 * (statvfs f_frsize, 4096 if it cannot tell), and at least one block. */
uint64_t fragstore_charge(const struct fragstore *fs, uint64_t len);

/*
 * fragstore_offer: the room this store can honestly offer: *offer =
 * min(capacity, used + free space of its file system for unprivileged
 * writers (statvfs f_bavail)), and *disk_free (may be NULL) that free
 * space. On failure *offer is the capacity and the dz_err is returned.
 */
int fragstore_offer(struct fragstore *fs, uint64_t *offer, uint64_t *disk_free) DZ_MUST_CHECK;

/* fragstore_disk_full: 1 if the last new fragment could not be written
 * because the file system was full (ENOSPC), 0 once one has been since. */
int fragstore_disk_full(struct fragstore *fs);

/* fragstore_capacity: the capacity now (given at open, or set since). */
uint64_t fragstore_capacity(struct fragstore *fs);

/* fragstore_set_capacity: change the capacity while the store is in use
 * (any thread). Puts charged from now on are checked against it under
 * the same lock as the charge itself, so concurrent puts never take the
 * store past it; fragments already stored beyond a lowered capacity are
 * kept (nothing is deleted), and new puts are refused until there is
 * room. */
void fragstore_set_capacity(struct fragstore *fs, uint64_t capacity);

/* fragstore_stats: a consistent copy of the counters. */
void fragstore_stats(struct fragstore *fs, struct fragstore_stats *st);

#endif
