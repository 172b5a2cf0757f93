/*
 * db: the coordinator's database, behind one small interface.
 *
 * Everything the coordinator stores goes through here, and here is all of
 * it (the privacy promise of docs/design.md, enforced by the shape of the API):
 *   accounts   name, opaque keyfile blob (salt, KDF parameters, wrapped
 *              master key: keyfile.h), login public key, hint, created time
 *   node keys  Ed25519 keys bound to an account (schema v2): the key a
 *              client's TLS connections show, so its requests act for it
 *   peers      public key, "ip:port", capacity, used, heartbeats, owner,
 *              flags
 *   fragments  (account, name) -> peers holding it, with object id,
 *              segment and fragment index, size: keyed by account, so
 *              that no account's commit of a name blocks another's
 *   records    encrypted opaque blobs keyed by (account, id), versioned
 * No plaintext, no password, no file name. Every input is bounded (the
 * DB_*_MAX constants) and checked here, before any backend sees it, so
 * that every backend enforces the same limits; values reach SQL only as
 * bound parameters.
 *
 * Backends: SQLite now (DIR/coordinator.db, see db_sqlite.c), PostgreSQL
 * later, through struct db_ops (db_int.h). Functions are safe to call from
 * several threads on one handle (a backend serialises them); callbacks run
 * inside the call and must not call back into the same handle.
 *
 * Times are seconds since the epoch and always passed in by the caller, so
 * that tests (and replays) are deterministic. Not for: placement policy,
 * quota arithmetic, audits (the coordinator's modules above this one).
 */
#ifndef DZ_DB_H
#define DZ_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define DB_IDBYTES 32          /* peer keys, fragment names, object/record ids */
#define DB_PKBYTES 32          /* Ed25519 public keys */
#define DB_NAME_MAX 64         /* account name: [a-z0-9._-], first a-z0-9 */
#define DB_HINT_MAX 256        /* password hint: bytes, no control characters */
#define DB_KEYBLOB_MAX 1024    /* encoded keyfile (KEYFILE_BYTES today) */
#define DB_ADDR_MAX 64         /* "a.b.c.d:port" or "[v6]:port" */
#define DB_REC_MAX (64u << 20) /* one encrypted record or folder blob */
#define DB_BATCH_MAX 1000000   /* fragment locations per db_frag_add */
#define DB_LOOKUP_MAX 100000   /* names per db_frag_lookup */

#define DB_PEER_DATACENTRE 1u  /* operator-run data-centre node */

struct db;

struct db_account {
	int64_t id; /* assigned by db_account_create */
	char name[DB_NAME_MAX + 1];
	uint8_t keyblob[DB_KEYBLOB_MAX];
	size_t keyblob_len;
	uint8_t login_pk[DB_PKBYTES];
	char hint[DB_HINT_MAX + 1];
	int64_t created;
};

struct db_peer {
	uint8_t id[DB_IDBYTES]; /* its Ed25519 public key */
	char addr[DB_ADDR_MAX + 1];
	uint64_t capacity, used; /* bytes, at most INT64_MAX */
	int64_t first_seen, last_heartbeat;
	/* availability = hb_seen / hb_expected: each heartbeat counts one seen
	 * and as many expected as heartbeat intervals elapsed since the last */
	uint64_t hb_seen, hb_expected;
	int64_t owner;  /* account id, 0 for none */
	uint32_t flags; /* DB_PEER_* */
	/* when the peer said it was leaving (PEER_LEAVE), 0 if it has not
	 * since it last registered or sent a heartbeat; read by db_peer_get
	 * only. A peer that left is offline whatever its last heartbeat. */
	int64_t left_at;
};

struct db_frag_loc {
	uint8_t name[DB_IDBYTES]; /* the fragment's Merkle root */
	uint8_t peer[DB_IDBYTES];
	uint8_t object[DB_IDBYTES];
	int64_t account;
	uint32_t segment;
	uint32_t index; /* fragment index, < 255 */
	uint64_t size;  /* bytes, at most INT64_MAX */
};

/*
 * db_open: open (creating and migrating as needed) the database of the
 * coordinator whose data directory is dir (SQLite: dir/coordinator.db).
 * *out receives a handle for db_close. Returns 0; DZ_EVERSION if the
 * schema is newer than this build; DZ_EFORMAT if the file is not a
 * database; DZ_EIO with detail in em (may be NULL).
 */
int db_open(const char *dir, struct db **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_close: close and free db (NULL is a no-op). */
void db_close(struct db *db);

/* db_schema_version: the schema version of the open database. */
int db_schema_version(struct db *db);

/* ---- accounts ---- */

/*
 * db_account_create: add account a (id ignored; created, name, keyblob,
 * login_pk, hint used) and return its id in *id. Returns 0; DZ_EEXIST if
 * the name is taken; DZ_ERANGE if name, hint or keyblob is too long (or
 * empty); DZ_EINVAL if name or hint has a character not allowed.
 */
int db_account_create(struct db *db, const struct db_account *a, int64_t *id,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_account_get: fill *a with the account called name. DZ_ENOENT if none;
 * DZ_ERANGE / DZ_EINVAL for a name that could not exist. */
int db_account_get(struct db *db, const char *name, struct db_account *a,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_account_rekey: after a password change, replace the keyfile blob and
 * login public key (and the hint, unless hint is NULL) of account id, all
 * in one transaction. Returns 0, DZ_ENOENT, DZ_ERANGE, DZ_EINVAL.
 */
int db_account_rekey(struct db *db, int64_t id, const uint8_t *keyblob,
    size_t keyblob_len, const uint8_t login_pk[static DB_PKBYTES],
    const char *hint, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_account_signup: create account a (as db_account_create) and bind the
 * node key node_pk to it at time now, in one transaction: both or
 * neither. Returns 0 and the new id in *id; DZ_EEXIST if the name is
 * taken or the key is already bound (em says which); as
 * db_account_create otherwise.
 */
int db_account_signup(struct db *db, const struct db_account *a,
    const uint8_t node_pk[static DB_PKBYTES], int64_t now, int64_t *id,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_key_bind: bind node key pk to account at time now. Binding a key to
 * the account it is already bound to is a no-op. Returns 0; DZ_EEXIST if
 * pk is bound to another account; DZ_ENOENT if account does not exist.
 */
int db_key_bind(struct db *db, const uint8_t pk[static DB_PKBYTES],
    int64_t account, int64_t now, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_key_account: *account = the account node key pk is bound to.
 * Returns 0 or DZ_ENOENT if pk is bound to none. */
int db_key_account(struct db *db, const uint8_t pk[static DB_PKBYTES],
    int64_t *account, struct dz_errmsg *em) DZ_MUST_CHECK;

/* ---- device keys of an account (schema v3: last seen) ---- */

/* A node key bound to an account: when bound and when it last made a
 * request (0: never since schema v3). */
struct db_key {
	uint8_t pk[DB_PKBYTES];
	int64_t bound;
	int64_t seen;
};

/*
 * db_key_list: fill out (cap entries) with the keys bound to account, in
 * order of binding; *n = how many there are in all (may exceed cap: only
 * cap are written). Returns 0 or a database error.
 */
int db_key_list(struct db *db, int64_t account, struct db_key *out,
    size_t cap, size_t *n, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_key_unbind: unbind pk from account. DZ_ENOENT if pk is not bound to
 * account (to another one, or to none). */
int db_key_unbind(struct db *db, int64_t account,
    const uint8_t pk[static DB_PKBYTES], struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_key_seen: record that pk made a request at time now. */
int db_key_seen(struct db *db, const uint8_t pk[static DB_PKBYTES],
    int64_t now, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_account_passwd: a password change of account id in one transaction:
 * replace keyfile blob and login key (and the hint, unless hint is NULL),
 * and unless keep is NULL unbind every key of the account but keep (the
 * device that changed it), so that the other computers must log in with
 * the new password. Returns 0, DZ_ENOENT (no such account), or as
 * db_account_rekey.
 */
int db_account_passwd(struct db *db, int64_t id, const uint8_t *keyblob,
    size_t keyblob_len, const uint8_t login_pk[static DB_PKBYTES],
    const char *hint, const uint8_t *keep, struct dz_errmsg *em) DZ_MUST_CHECK;

/* ---- peers ---- */

/*
 * db_peer_upsert: register peer p (id, addr, capacity, used, owner, flags
 * used) at time now: a new peer gets first_seen = last_heartbeat = now and
 * one heartbeat seen and expected; a known one gets its address, resources,
 * owner and flags replaced, and keeps its history, last heartbeat included
 * (a peer coming back calls db_peer_heartbeat next, which counts the
 * heartbeats it missed while away). Returns 0; DZ_ERANGE /
 * DZ_EINVAL for a bad address or a size over INT64_MAX; DZ_ENOENT if owner
 * is not an account.
 */
int db_peer_upsert(struct db *db, const struct db_peer *p, int64_t now,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_peer_heartbeat: peer id is alive at now with `used` bytes stored:
 * counts one heartbeat seen and max(1, (now - last) / interval) expected
 * (interval in seconds, > 0), then sets last_heartbeat = now. Returns 0,
 * DZ_ENOENT if the peer never registered, DZ_ERANGE.
 */
int db_peer_heartbeat(struct db *db, const uint8_t id[static DB_IDBYTES],
    uint64_t used, int64_t now, int64_t interval, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_peer_get: fill *p with peer id. Returns 0 or DZ_ENOENT. */
int db_peer_get(struct db *db, const uint8_t id[static DB_IDBYTES],
    struct db_peer *p, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_peer_online: the peers whose last heartbeat is at most max_age
 * seconds before now and that have not left (db_peer_leave), except `exclude` (NULL: none) and those owned by
 * account not_owner (0: none excluded; peers without owner always count),
 * most free space (capacity - used) first, at most cap of them into out
 * (caller-owned); *n gets the count. Returns 0, DZ_ERANGE for a negative
 * max_age, now or not_owner, or another error.
 */
int db_peer_online(struct db *db, int64_t now, int64_t max_age,
    const uint8_t *exclude, int64_t not_owner, struct db_peer *out,
    size_t cap, size_t *n, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_peer_count: *total = every peer ever registered, *online = those
 * whose last heartbeat is at most max_age seconds before now and that
 * have not left. */
int db_peer_count(struct db *db, int64_t now, int64_t max_age,
    uint64_t *online, uint64_t *total, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_peer_frags: clean-up: *count (may be NULL) = the fragment locations
 * on peer (its rows in locations, every account), and, if fn is not NULL,
 * fn(arg, name) for each of them (a name kept for two accounts comes
 * twice), in no particular order; a non-zero return of fn stops and is
 * returned. The count and the listing are read in one transaction, so
 * they agree. What a peer must keep is exactly these names.
 */
int db_peer_frags(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint64_t *count, int (*fn)(void *arg, const uint8_t *name), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_peer_leave: peer id said at now (> 0) that it is stopping: it counts
 * as offline from now (db_peer_online, db_peer_count) until it registers
 * or sends a heartbeat again. Its availability history is kept: the time
 * away is counted at its next heartbeat, as for any absence. Returns 0 or
 * DZ_ENOENT if it never registered.
 */
int db_peer_leave(struct db *db, const uint8_t id[static DB_IDBYTES],
    int64_t now, struct dz_errmsg *em) DZ_MUST_CHECK;

/* ---- fragments ---- */

/*
 * db_frag_add: record n fragment locations (at most DB_BATCH_MAX) in one
 * transaction: all or none. Fragments are keyed by (account, name): the
 * same name committed by two accounts is two fragments that never meet,
 * so nobody can squat a name another account is about to commit. A name
 * the account already has gains the peer as a further location; adding a
 * known (account, name, peer) again is a no-op; a location whose peer is
 * all zero records the fragment's name only (it was not placed: repair
 * will place it). Returns 0; DZ_EEXIST if
 * the account already has the name for another object, segment, index or
 * size; DZ_ENOENT if a peer or account is unknown; DZ_ERANGE.
 */
int db_frag_add(struct db *db, const struct db_frag_loc *locs, size_t n,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_frag_lookup: for each of the n names (at most DB_LOOKUP_MAX) that
 * account has, call fn(arg, loc) once per peer holding it (names unknown
 * to the account are skipped: another account's fragment of that name is
 * never seen). Stops at and returns fn's first non-zero value; 0
 * otherwise.
 */
int db_frag_lookup(struct db *db, int64_t account,
    const uint8_t (*names)[DB_IDBYTES],
    size_t n, int (*fn)(void *arg, const struct db_frag_loc *loc), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_frag_del_object: forget every fragment of object (owned by account)
 * and all their locations, in one transaction; fn (may be NULL) is called
 * for each location removed, e.g. to tell its peer. *ndel (may be NULL)
 * gets the number of fragments removed. fn returning non-zero rolls the
 * whole deletion back and is returned.
 */
int db_frag_del_object(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES],
    int (*fn)(void *arg, const struct db_frag_loc *loc), void *arg,
    size_t *ndel, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_frag_used: *bytes = the sum of the sizes of account's fragments, each
 * counted once however many peers hold it. */
int db_frag_used(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_account_used: *bytes = what account stores at the coordinator and on
 * peers: its fragments (as db_frag_used) plus the length of each of its
 * live encrypted records. What the quota is checked against. */
int db_account_used(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* ---- health of stored objects (db_sqlite_health.c) ---- */

/* One segment's health: how many of its fragments sit on a healthy holder
 * (a peer seen within the grace period that has not left longer ago), and
 * the mean measured availability (hb_seen / hb_expected, 0..1) of the
 * peers holding those fragments, the best holder of each fragment counted
 * (0 if none). */
struct db_seg_health {
	uint64_t segment;
	unsigned healthy;
	double avail;
};

/*
 * db_obj_health: call fn(arg, h) once per segment of account's object
 * (the segments its fragments name), worst first: by healthy, then avail,
 * ascending. Holders count as healthy if they sent a heartbeat at or after
 * now - grace and did not leave before then. An object with no fragments
 * (or another account's) has no segments: fn is never called. Stops at
 * and returns fn's first non-zero value; else 0, or DZ_ERANGE for a
 * negative now or grace.
 */
int db_obj_health(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], int64_t now, int64_t grace,
    int (*fn)(void *arg, const struct db_seg_health *h), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* ---- records ---- */

/*
 * db_rec_put: compare-and-swap record (account, id) to blob (len <=
 * DB_REC_MAX, copied): succeeds only if its version is expected_version,
 * where 0 means "must not exist" (never written, or deleted). The new
 * version (expected_version + 1, or the deleted record's version + 1)
 * goes to *version. Records count toward the account's storage (see
 * db_account_used): a put that makes the record longer than it was and
 * would bring that total past quota bytes is refused (DB_NO_QUOTA: no
 * limit); one that keeps or shrinks its length is always allowed, so an
 * account over quota can still tidy up. Returns 0; DZ_ECONFLICT on a
 * version conflict (the caller re-reads, merges and retries); DZ_EQUOTA (em says
 * what is used and allowed); DZ_ERANGE; DZ_ENOENT if account is unknown.
 */
#define DB_NO_QUOTA UINT64_MAX
int db_rec_put(struct db *db, int64_t account, const uint8_t id[static DB_IDBYTES],
    uint64_t expected_version, const uint8_t *blob, size_t len,
    uint64_t quota, uint64_t *version, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_rec_get: *blob receives a malloc'd copy of the record (free() it;
 * NULL-safe if len is 0), *len its length and *version its version.
 * DZ_ENOENT if there is none (or it was deleted). */
int db_rec_get(struct db *db, int64_t account, const uint8_t id[static DB_IDBYTES],
    uint8_t **blob, size_t *len, uint64_t *version, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_rec_list: call fn(arg, id, version) for every live record of account,
 * in id order. Stops at and returns fn's first non-zero value. */
int db_rec_list(struct db *db, int64_t account,
    int (*fn)(void *arg, const uint8_t id[DB_IDBYTES], uint64_t version),
    void *arg, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_rec_del: delete record (account, id) if its version is
 * expected_version. The version sequence survives the deletion (a
 * tombstone), so a writer holding a version from before the deletion
 * cannot overwrite a record re-created after it. Returns 0, DZ_ENOENT if
 * there is no live record, DZ_ECONFLICT on a version conflict.
 */
int db_rec_del(struct db *db, int64_t account, const uint8_t id[static DB_IDBYTES],
    uint64_t expected_version, struct dz_errmsg *em) DZ_MUST_CHECK;

/* db_rec_version: *version = the version of the live record (account,
 * id), or 0 if there is none (never written, or deleted): what a client
 * that lost a compare-and-swap is told. Returns 0 or a database error. */
int db_rec_version(struct db *db, int64_t account,
    const uint8_t id[static DB_IDBYTES], uint64_t *version,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_rec_page: one page of account's live records: fn(arg, id, version,
 * size) for at most max (1..DB_PAGE_MAX) records whose id is greater than
 * after (memcmp order), in id order; size is the blob's length. Stops at
 * and returns fn's first non-zero value; 0 otherwise.
 */
#define DB_PAGE_MAX 100000
int db_rec_page(struct db *db, int64_t account,
    const uint8_t after[static DB_IDBYTES], size_t max,
    int (*fn)(void *arg, const uint8_t id[DB_IDBYTES], uint64_t version,
    uint64_t size), void *arg, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
