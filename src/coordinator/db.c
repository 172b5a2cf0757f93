/*
 * db: argument checks shared by every backend, then dispatch.
 *
 * The coordinator faces the internet, so everything that reaches its
 * database is bounded here once: lengths (DZ_ERANGE when too long or
 * empty), character sets (DZ_EINVAL), integers that a backend stores as
 * signed 64-bit values (DZ_ERANGE above INT64_MAX). Backends (db_int.h)
 * then only store and fetch.
 */
#include "coordinator/db.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/db_int.h"

/* ---- checks ---- */

static int
check_name(const char *name, struct dz_errmsg *em)
{
	size_t n;

	if (name == NULL)
		return DZ_EINVAL;
	n = strnlen(name, DB_NAME_MAX + 1);
	if (n == 0 || n > DB_NAME_MAX)
		return dz_errf(em, DZ_ERANGE, "an account name has 1 to %d characters",
		    DB_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return dz_errf(em, DZ_EINVAL,
			    "an account name has only a-z, 0-9, '.', '_' and '-', and starts with a letter or digit");
	}
	return 0;
}

/* A hint is shown on a terminal: no control characters (escape sequences
 * could rewrite the screen); other bytes, UTF-8 included, are the user's. */
static int
check_hint(const char *hint, struct dz_errmsg *em)
{
	size_t n;

	if (hint == NULL)
		return DZ_EINVAL;
	n = strnlen(hint, DB_HINT_MAX + 1);
	if (n > DB_HINT_MAX)
		return dz_errf(em, DZ_ERANGE, "a password hint has at most %d bytes",
		    DB_HINT_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)hint[i] < 0x20 || hint[i] == 0x7f)
			return dz_errf(em, DZ_EINVAL,
			    "a password hint cannot hold control characters");
	return 0;
}

static int
check_keyblob(const uint8_t *blob, size_t len, struct dz_errmsg *em)
{
	if (blob == NULL)
		return DZ_EINVAL;
	if (len == 0 || len > DB_KEYBLOB_MAX)
		return dz_errf(em, DZ_ERANGE, "a keyfile blob has 1 to %d bytes, not %zu",
		    DB_KEYBLOB_MAX, len);
	return 0;
}

/* "a.b.c.d:port" or "[v6]:port", port 1-65535, nothing else. */
static int
check_addr(const char *addr, struct dz_errmsg *em)
{
	char host[DB_ADDR_MAX + 1];
	const char *port, *end;
	unsigned char ip[16];
	size_t n, hlen;
	unsigned long p = 0;
	int v6;

	if (addr == NULL)
		return DZ_EINVAL;
	n = strnlen(addr, DB_ADDR_MAX + 1);
	if (n == 0 || n > DB_ADDR_MAX)
		return dz_errf(em, DZ_ERANGE, "a peer address has 1 to %d characters",
		    DB_ADDR_MAX);
	v6 = addr[0] == '[';
	end = v6 ? strchr(addr, ']') : strrchr(addr, ':');
	if (end == NULL || (v6 && end[1] != ':'))
		goto bad;
	port = end + 1 + v6;
	hlen = (size_t)(end - addr) - (size_t)v6;
	memcpy(host, addr + v6, hlen);
	host[hlen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, ip) != 1)
		goto bad;
	if (*port == '\0' || strlen(port) > 5 || port[0] == '0')
		goto bad;
	for (const char *c = port; *c != '\0'; c++) {
		if (*c < '0' || *c > '9')
			goto bad;
		p = p * 10 + (unsigned long)(*c - '0');
	}
	if (p <= 65535)
		return 0;
bad:
	return dz_errf(em, DZ_EINVAL, "bad peer address (want ip:port or [ipv6]:port)");
}

static int
check_u63(uint64_t v, const char *what, struct dz_errmsg *em)
{
	if (v > (uint64_t)INT64_MAX)
		return dz_errf(em, DZ_ERANGE, "%s is out of range", what);
	return 0;
}

static int
check_time(int64_t t, struct dz_errmsg *em)
{
	if (t < 0)
		return dz_errf(em, DZ_ERANGE, "a time before 1970 is out of range");
	return 0;
}

/* ---- open, close ---- */

int
db_open(const char *dir, struct db **out, struct dz_errmsg *em)
{
	if (dir == NULL || out == NULL)
		return DZ_EINVAL;
	*out = NULL;
	return db_sqlite_open(dir, out, em);
}

void
db_close(struct db *db)
{
	if (db != NULL)
		db->ops->close(db);
}

int
db_schema_version(struct db *db)
{
	return db->ops->schema_version(db);
}

/* ---- accounts ---- */

int
db_account_create(struct db *db, const struct db_account *a, int64_t *id,
    struct dz_errmsg *em)
{
	int rc;

	if (a == NULL || id == NULL)
		return DZ_EINVAL;
	if ((rc = check_name(a->name, em)) != 0 ||
	    (rc = check_hint(a->hint, em)) != 0 ||
	    (rc = check_keyblob(a->keyblob, a->keyblob_len, em)) != 0 ||
	    (rc = check_time(a->created, em)) != 0)
		return rc;
	return db->ops->account_create(db, a, id, em);
}

int
db_account_get(struct db *db, const char *name, struct db_account *a,
    struct dz_errmsg *em)
{
	int rc;

	if (a == NULL)
		return DZ_EINVAL;
	if ((rc = check_name(name, em)) != 0)
		return rc;
	return db->ops->account_get(db, name, a, em);
}

int
db_account_rekey(struct db *db, int64_t id, const uint8_t *keyblob,
    size_t keyblob_len, const uint8_t login_pk[static DB_PKBYTES],
    const char *hint, struct dz_errmsg *em)
{
	int rc;

	if ((rc = check_keyblob(keyblob, keyblob_len, em)) != 0 ||
	    (hint != NULL && (rc = check_hint(hint, em)) != 0))
		return rc;
	return db->ops->account_rekey(db, id, keyblob, keyblob_len, login_pk,
	    hint, em);
}

int
db_account_signup(struct db *db, const struct db_account *a,
    const uint8_t node_pk[static DB_PKBYTES], int64_t now, int64_t *id,
    struct dz_errmsg *em)
{
	int rc;

	if (a == NULL || id == NULL)
		return DZ_EINVAL;
	if ((rc = check_name(a->name, em)) != 0 ||
	    (rc = check_hint(a->hint, em)) != 0 ||
	    (rc = check_keyblob(a->keyblob, a->keyblob_len, em)) != 0 ||
	    (rc = check_time(a->created, em)) != 0 ||
	    (rc = check_time(now, em)) != 0)
		return rc;
	return db->ops->account_signup(db, a, node_pk, now, id, em);
}

int
db_key_bind(struct db *db, const uint8_t pk[static DB_PKBYTES],
    int64_t account, int64_t now, struct dz_errmsg *em)
{
	int rc;

	if ((rc = check_time(now, em)) != 0)
		return rc;
	if (account <= 0)
		return dz_errf(em, DZ_ENOENT, "no account has id %lld", (long long)account);
	return db->ops->key_bind(db, pk, account, now, em);
}

int
db_key_account(struct db *db, const uint8_t pk[static DB_PKBYTES],
    int64_t *account, struct dz_errmsg *em)
{
	if (account == NULL)
		return DZ_EINVAL;
	*account = 0;
	return db->ops->key_account(db, pk, account, em);
}

/* ---- device keys ---- */

int
db_key_list(struct db *db, int64_t account, struct db_key *out, size_t cap,
    size_t *n, struct dz_errmsg *em)
{
	if (n == NULL || (out == NULL && cap > 0))
		return DZ_EINVAL;
	*n = 0;
	return db->ops->key_list(db, account, out, cap, n, em);
}

int
db_key_unbind(struct db *db, int64_t account,
    const uint8_t pk[static DB_PKBYTES], struct dz_errmsg *em)
{
	return db->ops->key_unbind(db, account, pk, em);
}

int
db_key_seen(struct db *db, const uint8_t pk[static DB_PKBYTES], int64_t now,
    struct dz_errmsg *em)
{
	int rc;

	if ((rc = check_time(now, em)) != 0)
		return rc;
	return db->ops->key_seen(db, pk, now, em);
}

int
db_account_passwd(struct db *db, int64_t id, const uint8_t *keyblob,
    size_t keyblob_len, const uint8_t login_pk[static DB_PKBYTES],
    const char *hint, const uint8_t *keep, struct dz_errmsg *em)
{
	int rc;

	if ((rc = check_keyblob(keyblob, keyblob_len, em)) != 0 ||
	    (hint != NULL && (rc = check_hint(hint, em)) != 0))
		return rc;
	return db->ops->account_passwd(db, id, keyblob, keyblob_len, login_pk,
	    hint, keep, em);
}

/* ---- peers ---- */

int
db_peer_upsert(struct db *db, const struct db_peer *p, int64_t now,
    struct dz_errmsg *em)
{
	int rc;

	if (p == NULL)
		return DZ_EINVAL;
	if ((rc = check_addr(p->addr, em)) != 0 ||
	    (rc = check_u63(p->capacity, "capacity", em)) != 0 ||
	    (rc = check_u63(p->used, "used bytes", em)) != 0 ||
	    (rc = check_time(now, em)) != 0)
		return rc;
	if (p->owner < 0)
		return dz_errf(em, DZ_ERANGE, "bad owner account id");
	return db->ops->peer_upsert(db, p, now, em);
}

int
db_peer_heartbeat(struct db *db, const uint8_t id[static DB_IDBYTES],
    uint64_t used, int64_t now, int64_t interval, struct dz_errmsg *em)
{
	int rc;

	if ((rc = check_u63(used, "used bytes", em)) != 0 ||
	    (rc = check_time(now, em)) != 0)
		return rc;
	if (interval <= 0)
		return dz_errf(em, DZ_ERANGE, "the heartbeat interval must be positive");
	return db->ops->peer_heartbeat(db, id, used, now, interval, em);
}

int
db_peer_get(struct db *db, const uint8_t id[static DB_IDBYTES],
    struct db_peer *p, struct dz_errmsg *em)
{
	if (p == NULL)
		return DZ_EINVAL;
	return db->ops->peer_get(db, id, p, em);
}

int
db_peer_online(struct db *db, int64_t now, int64_t max_age,
    const uint8_t *exclude, int64_t not_owner, struct db_peer *out,
    size_t cap, size_t *n, struct dz_errmsg *em)
{
	int rc;

	if (n == NULL || (out == NULL && cap > 0))
		return DZ_EINVAL;
	*n = 0;
	if ((rc = check_time(now, em)) != 0)
		return rc;
	if (max_age < 0)
		return dz_errf(em, DZ_ERANGE, "a negative heartbeat age is out of range");
	if (not_owner < 0)
		return dz_errf(em, DZ_ERANGE, "bad owner account id");
	if (max_age > now)
		max_age = now; /* everything since the epoch */
	return db->ops->peer_online(db, now - max_age, exclude, not_owner, out,
	    cap, n, em);
}

int
db_peer_frags(struct db *db, const uint8_t peer[static DB_IDBYTES],
    uint64_t *count, int (*fn)(void *arg, const uint8_t *name), void *arg,
    struct dz_errmsg *em)
{
	if (peer == NULL)
		return DZ_EINVAL;
	return db->ops->peer_frags(db, peer, count, fn, arg, em);
}

int
db_peer_count(struct db *db, int64_t now, int64_t max_age, uint64_t *online,
    uint64_t *total, struct dz_errmsg *em)
{
	int rc;

	if (online == NULL || total == NULL)
		return DZ_EINVAL;
	*online = *total = 0;
	if ((rc = check_time(now, em)) != 0)
		return rc;
	if (max_age < 0)
		return dz_errf(em, DZ_ERANGE, "a negative heartbeat age is out of range");
	if (max_age > now)
		max_age = now;
	return db->ops->peer_count(db, now - max_age, online, total, em);
}

/* ---- fragments ---- */

int
db_frag_add(struct db *db, const struct db_frag_loc *locs, size_t n,
    struct dz_errmsg *em)
{
	int rc;

	if (locs == NULL && n > 0)
		return DZ_EINVAL;
	if (n > DB_BATCH_MAX)
		return dz_errf(em, DZ_ERANGE, "at most %d fragment locations per batch",
		    DB_BATCH_MAX);
	for (size_t i = 0; i < n; i++) {
		if ((rc = check_u63(locs[i].size, "fragment size", em)) != 0)
			return rc;
		if (locs[i].index >= 255)
			return dz_errf(em, DZ_ERANGE, "fragment index %u is out of range",
			    (unsigned)locs[i].index);
	}
	return n == 0 ? 0 : db->ops->frag_add(db, locs, n, em);
}

int
db_frag_lookup(struct db *db, int64_t account, const uint8_t (*names)[DB_IDBYTES],
    size_t n,
    int (*fn)(void *arg, const struct db_frag_loc *loc), void *arg,
    struct dz_errmsg *em)
{
	if (fn == NULL || (names == NULL && n > 0))
		return DZ_EINVAL;
	if (n > DB_LOOKUP_MAX)
		return dz_errf(em, DZ_ERANGE, "at most %d names per lookup",
		    DB_LOOKUP_MAX);
	return n == 0 ? 0 : db->ops->frag_lookup(db, account, names, n, fn, arg, em);
}

int
db_frag_del_object(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES],
    int (*fn)(void *arg, const struct db_frag_loc *loc), void *arg,
    size_t *ndel, struct dz_errmsg *em)
{
	size_t dummy;

	return db->ops->frag_del_object(db, account, object, fn, arg,
	    ndel != NULL ? ndel : &dummy, em);
}

int
db_frag_used(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em)
{
	if (bytes == NULL)
		return DZ_EINVAL;
	return db->ops->frag_used(db, account, bytes, em);
}

/* ---- health of stored objects ---- */

int
db_obj_health(struct db *db, int64_t account,
    const uint8_t object[static DB_IDBYTES], int64_t now, int64_t grace,
    int (*fn)(void *arg, const struct db_seg_health *h), void *arg,
    struct dz_errmsg *em)
{
	int rc;

	if (fn == NULL)
		return DZ_EINVAL;
	if ((rc = check_time(now, em)) != 0)
		return rc;
	if (grace < 0)
		return dz_errf(em, DZ_ERANGE, "a negative grace period is out of range");
	if (grace > now)
		grace = now;
	return db->ops->obj_health(db, account, object, now - grace, fn, arg, em);
}

/* ---- records ---- */

int
db_account_used(struct db *db, int64_t account, uint64_t *bytes,
    struct dz_errmsg *em)
{
	if (bytes == NULL)
		return DZ_EINVAL;
	*bytes = 0;
	return db->ops->account_used(db, account, bytes, em);
}

int
db_peer_leave(struct db *db, const uint8_t id[static DB_IDBYTES], int64_t now,
    struct dz_errmsg *em)
{
	if (now <= 0)
		return dz_errf(em, DZ_ERANGE, "a time must be positive");
	return db->ops->peer_leave(db, id, now, em);
}

int
db_rec_put(struct db *db, int64_t account, const uint8_t id[static DB_IDBYTES],
    uint64_t expected_version, const uint8_t *blob, size_t len,
    uint64_t quota, uint64_t *version, struct dz_errmsg *em)
{
	if (version == NULL || (blob == NULL && len > 0))
		return DZ_EINVAL;
	if (len > DB_REC_MAX)
		return dz_errf(em, DZ_ERANGE, "a record has at most %u bytes, not %zu",
		    DB_REC_MAX, len);
	/* the new version (expected + 1) must fit too */
	if (expected_version >= (uint64_t)INT64_MAX)
		return dz_errf(em, DZ_ERANGE, "record version is out of range");
	return db->ops->rec_put(db, account, id, expected_version, blob, len,
	    quota, version, em);
}

int
db_rec_get(struct db *db, int64_t account, const uint8_t id[static DB_IDBYTES],
    uint8_t **blob, size_t *len, uint64_t *version, struct dz_errmsg *em)
{
	if (blob == NULL || len == NULL || version == NULL)
		return DZ_EINVAL;
	*blob = NULL;
	*len = 0;
	return db->ops->rec_get(db, account, id, blob, len, version, em);
}

int
db_rec_list(struct db *db, int64_t account,
    int (*fn)(void *arg, const uint8_t id[DB_IDBYTES], uint64_t version),
    void *arg, struct dz_errmsg *em)
{
	if (fn == NULL)
		return DZ_EINVAL;
	return db->ops->rec_list(db, account, fn, arg, em);
}

int
db_rec_del(struct db *db, int64_t account, const uint8_t id[static DB_IDBYTES],
    uint64_t expected_version, struct dz_errmsg *em)
{
	int rc;

	if ((rc = check_u63(expected_version, "record version", em)) != 0)
		return rc;
	return db->ops->rec_del(db, account, id, expected_version, em);
}

int
db_rec_version(struct db *db, int64_t account, const uint8_t id[static DB_IDBYTES],
    uint64_t *version, struct dz_errmsg *em)
{
	if (version == NULL)
		return DZ_EINVAL;
	*version = 0;
	return db->ops->rec_version(db, account, id, version, em);
}

int
db_rec_page(struct db *db, int64_t account, const uint8_t after[static DB_IDBYTES],
    size_t max, int (*fn)(void *arg, const uint8_t id[DB_IDBYTES],
    uint64_t version, uint64_t size), void *arg, struct dz_errmsg *em)
{
	if (fn == NULL)
		return DZ_EINVAL;
	if (max == 0 || max > DB_PAGE_MAX)
		return dz_errf(em, DZ_ERANGE, "a page has 1 to %d records", DB_PAGE_MAX);
	return db->ops->rec_page(db, account, after, max, fn, arg, em);
}
