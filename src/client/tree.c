/*
 * tree: reading, writing and walking folder records (tree.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/tree_int.h"

int
tree_open(struct netstore *ns, const uint8_t subkey[static 32], struct tree **out,
    struct dz_errmsg *em)
{
	struct tree *t;
	int rc;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return DZ_ENOMEM;
	if ((t->keys = sodium_malloc(96)) == NULL) {
		free(t);
		return DZ_ENOMEM;
	}
	t->ns = ns;
	memcpy(TREE_SUBKEY(t), subkey, 32);
	if ((rc = folder_root_keys(subkey, t->root_id, TREE_ROOTKEY(t))) != 0 ||
	    (rc = catalog_keys(subkey, t->cat_id, TREE_CATKEY(t))) != 0) {
		tree_close(t);
		return dz_errf(em, rc, "cannot derive the folder keys");
	}
	*out = t;
	return 0;
}

int
tree_seen(struct tree *t, const char *path, struct dz_errmsg *em)
{
	seen_close(t->seen);
	t->seen = NULL;
	return seen_open(path, &t->seen, em);
}

void
tree_close(struct tree *t)
{
	if (t == NULL)
		return;
	seen_close(t->seen);
	sodium_free(t->keys); /* wipes */
	free(t);
}

int
tree_batch(struct tree *t, struct dz_errmsg *em)
{
	int rc;

	if (t->seen == NULL || t->batch)
		return 0;
	if ((rc = seen_begin(t->seen, em)) == 0)
		t->batch = 1;
	return rc;
}

int
tree_flush(struct tree *t, struct dz_errmsg *em)
{
	if (t->seen == NULL || !t->batch)
		return 0;
	t->batch = 0;
	return seen_commit(t->seen, em);
}

void
tree_split(const char *path, char dir[static CATALOG_PATHMAX + 1], const char **base)
{
	const char *sl = strrchr(path, '/');

	if (sl == NULL) {
		dir[0] = '\0';
		*base = path;
		return;
	}
	snprintf(dir, CATALOG_PATHMAX + 1, "%.*s", (int)(sl - path), path);
	*base = sl + 1;
}

void
tree_what(const char *path, char what[static TREE_WHATMAX])
{
	if (path[0] == '\0')
		snprintf(what, TREE_WHATMAX, "the root folder");
	else
		snprintf(what, TREE_WHATMAX, "folder '%s'", path);
}

/* A record just read or written at version: remembered, or refused as
 * rolled back. */
static int
tree_check(struct tree *t, const uint8_t id[static 32], uint64_t version,
    const char *path, struct dz_errmsg *em)
{
	char what[TREE_WHATMAX];

	if (t->seen == NULL)
		return 0;
	tree_what(path, what);
	return seen_check(t->seen, id, version, what, em);
}

/* The coordinator's version of a record must be the one sealed in it:
 * both grow by one per write of an id that is never reused. */
static int
tree_agree(uint64_t coord, uint64_t sealed, const char *path, struct dz_errmsg *em)
{
	char what[TREE_WHATMAX];

	if (coord == sealed)
		return 0;
	tree_what(path, what);
	return dz_errf(em, DZ_EAUTH, "%s: the coordinator says version %llu, the "
	    "record itself %llu (a coordinator that lies, or damage)", what,
	    (unsigned long long)coord, (unsigned long long)sealed);
}

/* Load shard i of f (folder at path) unless it is loaded. */
static int
shard_read(struct tree *t, struct folder *f, size_t i, const char *path,
    struct dz_errmsg *em)
{
	uint8_t sid[FOLDER_IDBYTES], *blob = NULL;
	uint64_t v, sv;
	size_t len;
	int loaded, rc;

	if ((rc = folder_shard_info(f, i, sid, NULL, &loaded)) != 0 || loaded)
		return rc;
	if ((rc = netstore_rec_get(t->ns, sid, &blob, &len, &v, em)) != 0) {
		char what[TREE_WHATMAX];

		tree_what(path, what);
		return rc == DZ_ENOENT ? dz_errf(em, DZ_EFORMAT, "%s: a shard its index "
		    "names is missing at the coordinator", what) : rc;
	}
	rc = folder_shard_load(f, i, blob, len, em);
	free(blob);
	if (rc == 0 && (rc = folder_shard_info(f, i, NULL, &sv, NULL)) == 0 &&
	    (rc = tree_agree(v, sv, path, em)) == 0)
		rc = tree_check(t, sid, v, path, em);
	return rc;
}

/* The root record is missing: rolled back if it was seen, else migrate
 * the catalog (if any) or start empty. */
static int
root_missing(struct tree *t, struct folder **out, struct dz_errmsg *em)
{
	uint64_t seen = 0;
	int migrated, rc;

	if (t->seen != NULL && (rc = seen_get(t->seen, t->root_id, &seen, em)) != 0)
		return rc;
	if (seen > 0)
		return dz_errf(em, DZ_EROLLBACK, "the root folder was rolled back: the "
		    "coordinator has none, this computer has seen version %llu",
		    (unsigned long long)seen);
	if ((rc = tree_migrate(t, &migrated, em)) != 0)
		return rc;
	if (migrated)
		return 1; /* read it again */
	return folder_new(t->root_id, TREE_ROOTKEY(t), out);
}

/* tree_read's one attempt. */
static int
read_once(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path, const char *name,
    struct folder **out, struct dz_errmsg *em)
{
	struct folder *f = NULL;
	uint8_t *blob = NULL;
	size_t len;
	uint64_t v;
	int rc, again = 0;

	*out = NULL;
	do {
		rc = netstore_rec_get(t->ns, id, &blob, &len, &v, em);
		if (t->after_fetch != NULL)
			t->after_fetch(t->after_fetch_arg);
		if (rc == DZ_ENOENT && sodium_memcmp(id, t->root_id, 32) == 0) {
			memset(em, 0, sizeof(*em));
			if ((rc = root_missing(t, &f, em)) < 0)
				return rc;
			if (rc == 0) {
				*out = f;
				return 0;
			}
			if (again++ > 0)
				return dz_errf(em, DZ_EFORMAT, "the root folder vanished "
				    "after it was made");
			continue;
		}
		if (rc == DZ_ENOENT) {
			char what[TREE_WHATMAX];

			tree_what(path, what);
			return dz_errf(em, DZ_ENOENT, "%s is gone (removed meanwhile?)", what);
		}
		if (rc != 0)
			return rc;
		break;
	} while (1);
	rc = folder_open(id, key, blob, len, &f, em);
	free(blob);
	if (rc == DZ_EAUTH) {
		char what[TREE_WHATMAX];

		tree_what(path, what);
		return dz_errf(em, rc, "%s does not authenticate: the coordinator served "
		    "a record that is not this folder's (altered or swapped)", what);
	}
	if (rc != 0)
		return rc;
	if ((rc = tree_agree(v, folder_version(f), path, em)) != 0 ||
	    (rc = tree_check(t, id, v, path, em)) != 0)
		goto fail;
	if (folder_is_sharded(f) && name == NULL) {
		for (size_t i = 0; i < folder_nshards(f); i++)
			if ((rc = shard_read(t, f, i, path, em)) != 0)
				goto fail;
	} else if (folder_is_sharded(f) && name[0] != '\0' &&
	    (rc = shard_read(t, f, folder_shard_of(f, name), path, em)) != 0)
		goto fail;
	*out = f;
	return 0;
fail:
	folder_free(f);
	return rc;
}

int
tree_read(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path, const char *name,
    struct folder **out, struct dz_errmsg *em)
{
	int rc = read_once(t, id, key, path, name, out, em);

	/* Another command of this computer may have written a newer version
	 * and recorded it between this fetch and its check. It recorded it
	 * only once the coordinator had taken it, so a fetch made now gets
	 * that version or a later one from an honest coordinator: ask once
	 * more, and call it a rollback only if the answer is still older. */
	if (rc == DZ_EROLLBACK) {
		memset(em, 0, sizeof(*em));
		rc = read_once(t, id, key, path, name, out, em);
	}
	return rc;
}

int
tree_write(struct tree *t, struct folder *f, const uint8_t id[static FOLDER_IDBYTES],
    const char *path, struct dz_errmsg *em)
{
	struct folder_blob *b = NULL;
	size_t n = 0;
	uint64_t v;
	int rc;

	if ((rc = folder_seal_dirty(f, &b, &n, em)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = netstore_rec_put(t->ns, b[i].id, b[i].version - 1, b[i].blob, b[i].len,
		    &v, em);
		/* a shard half made from the same frozen record by another
		 * writer: the same record, already there */
		if (rc == DZ_ECONFLICT && b[i].version == 1 && v == 1 &&
		    memcmp(b[i].id, id, FOLDER_IDBYTES) != 0) {
			memset(em, 0, sizeof(*em));
			continue;
		}
		if (rc != 0)
			break;
		if ((rc = tree_agree(v, b[i].version, path, em)) != 0 ||
		    (rc = tree_check(t, b[i].id, v, path, em)) != 0)
			break;
	}
	folder_blobs_free(b, n);
	return rc;
}

int
tree_create(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path, struct dz_errmsg *em)
{
	struct folder *nf;
	int rc;

	if ((rc = folder_new(id, key, &nf)) != 0)
		return rc;
	rc = tree_write(t, nf, id, path, em);
	folder_free(nf);
	return rc;
}

int
tree_ent_copy(struct tree_ent *dst, const struct folder_entry *src)
{
	tree_ent_clear(dst);
	if (src->nvers > 0) {
		if ((dst->vers = sodium_malloc(src->nvers * sizeof(*dst->vers))) == NULL)
			return DZ_ENOMEM;
		memcpy(dst->vers, src->vers, src->nvers * sizeof(*dst->vers));
	}
	dst->e = *src;
	dst->e.vers = dst->vers;
	snprintf(dst->name, sizeof(dst->name), "%s", src->name);
	dst->e.name = dst->name;
	if (src->target != NULL && (dst->target = strdup(src->target)) == NULL) {
		tree_ent_clear(dst);
		return DZ_ENOMEM;
	}
	dst->e.target = dst->target;
	return 0;
}

void
tree_ent_clear(struct tree_ent *dst)
{
	sodium_memzero(dst->e.key, sizeof(dst->e.key));
	sodium_memzero(dst->e.pack_key, sizeof(dst->e.pack_key));
	sodium_free(dst->vers); /* wipes */
	dst->vers = NULL;
	free(dst->target);
	dst->target = NULL;
	dst->e.target = NULL;
	dst->e.vers = NULL;
	dst->e.nvers = 0;
}

/* Make folder name in parent *pf (id pid, key pkey, at ppath, name's shard
 * loaded): its record first (version 1), then its entry by swap, redone on
 * a lost one. If the name turns out to be a folder already (made by another
 * computer meanwhile) that one is taken and ours deleted. cid and ckey get
 * the folder's id and key. */
static int
mkdir_in(struct tree *t, struct folder **pf, const uint8_t pid[static 32],
    const uint8_t pkey[static 32], const char *ppath, const char *name,
    uint8_t cid[static 32], uint8_t ckey[static 32], struct dz_errmsg *em)
{
	struct folder_entry e;
	const struct folder_entry *old;
	char path[CATALOG_PATHMAX + 1];
	uint64_t v;
	int rc;

	if (snprintf(path, sizeof(path), "%s%s%s", ppath, ppath[0] ? "/" : "", name) >=
	    (int)sizeof(path))
		return dz_errf(em, DZ_ERANGE, "a path under '%s' is longer than %d bytes",
		    ppath, CATALOG_PATHMAX);
	memset(&e, 0, sizeof(e));
	folder_fresh_keys(e.id, e.key);
	if ((rc = tree_create(t, e.id, e.key, path, em)) != 0)
		goto out;
	e.name = name;
	e.type = FOLDER_T_DIR;
	e.mode = 0755;
	e.mtime_sec = (int64_t)time(NULL);
	for (int tries = 0;; tries++) {
		if (folder_find(*pf, name, &old) == 0) {
			if (old->type != FOLDER_T_DIR) {
				rc = dz_errf(em, DZ_EEXIST, "'%s' is a file, not a folder", path);
				break;
			}
			memcpy(cid, old->id, 32);
			memcpy(ckey, old->key, 32);
			rc = 1; /* someone else's: ours goes */
			break;
		}
		if ((rc = folder_add(*pf, &e, em)) != 0 ||
		    (rc = tree_write(t, *pf, pid, ppath, em)) != DZ_ECONFLICT)
			break;
		if (tries + 1 >= TREE_CAS_TRIES) {
			rc = dz_errf(em, DZ_ECONFLICT, "folder '%s' kept changing; try again",
			    ppath);
			break;
		}
		folder_free(*pf);
		*pf = NULL;
		memset(em, 0, sizeof(*em));
		if ((rc = tree_read(t, pid, pkey, ppath, name, pf, em)) != 0)
			break;
	}
	if (rc == 0) {
		memcpy(cid, e.id, 32);
		memcpy(ckey, e.key, 32);
	} else if (netstore_rec_del(t->ns, e.id, 1, &v, NULL) != 0) {
		/* an unnamed empty record: costs its size only */
	}
	if (rc == 1)
		rc = 0;
out:
	sodium_memzero(e.key, sizeof(e.key));
	return rc;
}

int
tree_walk(struct tree *t, const char *dir, const char *name, int create,
    struct folder **out, uint8_t id[FOLDER_IDBYTES], uint8_t *key,
    struct dz_errmsg *em)
{
	uint8_t *k = sodium_malloc(2 * 32), cid[32], nid[32];
	char cur[CATALOG_PATHMAX + 1] = "", comp[FOLDER_NAMEMAX + 1];
	struct folder *f = NULL;
	const struct folder_entry *e;
	const char *p = dir;
	int rc;

	*out = NULL;
	if (k == NULL)
		return DZ_ENOMEM;
	memcpy(cid, t->root_id, 32);
	memcpy(k, TREE_ROOTKEY(t), 32);
	for (;;) {
		const char *sl;
		size_t n;

		if (*p == '\0') {
			rc = tree_read(t, cid, k, cur, name, &f, em);
			break;
		}
		sl = strchr(p, '/');
		n = sl != NULL ? (size_t)(sl - p) : strlen(p);
		if (n > FOLDER_NAMEMAX) {
			rc = dz_errf(em, DZ_EINVAL, "a path component is longer than %d bytes",
			    FOLDER_NAMEMAX);
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if ((rc = tree_read(t, cid, k, cur, comp, &f, em)) != 0)
			break;
		rc = folder_find(f, comp, &e);
		if (rc == 0 && e->type == FOLDER_T_DIR) {
			memcpy(nid, e->id, 32);
			memcpy(k + 32, e->key, 32);
		} else if (rc == 0) {
			rc = dz_errf(em, DZ_EEXIST, "'%s%s%s' is a %s, not a folder", cur,
			    cur[0] ? "/" : "", comp,
			    e->type == FOLDER_T_LINK ? "symbolic link" : "file");
			break;
		} else if (rc == DZ_ENOENT && create) {
			if ((rc = mkdir_in(t, &f, cid, k, cur, comp, nid, k + 32, em)) != 0)
				break;
		} else {
			rc = dz_errf(em, DZ_ENOENT, "no folder '%s%s%s'", cur, cur[0] ? "/" : "",
			    comp);
			break;
		}
		folder_free(f);
		f = NULL;
		memcpy(cid, nid, 32);
		memcpy(k, k + 32, 32);
		snprintf(cur + strlen(cur), sizeof(cur) - strlen(cur), "%s%s",
		    cur[0] ? "/" : "", comp);
		p += n + (sl != NULL);
	}
	if (rc == 0) {
		*out = f;
		if (id != NULL)
			memcpy(id, cid, 32);
		if (key != NULL)
			memcpy(key, k, 32);
	} else
		folder_free(f);
	sodium_free(k);
	return rc;
}

int
tree_update(struct tree *t, const char *dir, const char *name, int create,
    int (*change)(void *arg, struct folder *f, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em)
{
	return tree_update_from(t, dir, name, create, NULL, NULL, change, arg, em);
}

int
tree_update_from(struct tree *t, const char *dir, const char *name, int create,
    struct folder *first, const uint8_t first_id[FOLDER_IDBYTES],
    int (*change)(void *arg, struct folder *f, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em)
{
	uint8_t id[FOLDER_IDBYTES];
	struct folder *f;
	int rc;

	for (int tries = 0;; tries++) {
		if (tries == 0 && first != NULL) {
			f = first;
			memcpy(id, first_id, FOLDER_IDBYTES);
		} else if ((rc = tree_walk(t, dir, name, create, &f, id, NULL, em)) != 0)
			return rc;
		if ((rc = change(arg, f, em)) == 0)
			rc = tree_write(t, f, id, dir, em);
		folder_free(f);
		if (rc != DZ_ECONFLICT)
			return rc;
		if (tries + 1 >= TREE_CAS_TRIES)
			return dz_errf(em, DZ_ECONFLICT, "folder '%s' kept changing; try again",
			    dir);
		memset(em, 0, sizeof(*em));
	}
}

int
tree_read_id(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path, struct folder **out,
    struct dz_errmsg *em)
{
	uint64_t seen = 0;
	char what[TREE_WHATMAX];
	int rc = tree_read(t, id, key, path, NULL, out, em);

	if (rc != DZ_ENOENT)
		return rc;
	memset(em, 0, sizeof(*em));
	if (t->seen == NULL)
		return folder_new(id, key, out);
	if ((rc = seen_get(t->seen, id, &seen, em)) != 0)
		return rc;
	if (seen == 0)
		return folder_new(id, key, out);
	/* made by another command of this computer since the fetch? (as in
	 * tree_read) */
	if ((rc = tree_read(t, id, key, path, NULL, out, em)) != DZ_ENOENT)
		return rc;
	tree_what(path, what);
	return dz_errf(em, DZ_EROLLBACK, "%s was rolled back: the coordinator has none, "
	    "this computer has seen version %llu", what, (unsigned long long)seen);
}

/* tree_update_id (name NULL: every shard, a missing record empty) and
 * tree_update_at (the shard of name, a missing record DZ_ENOENT). */
static int
update_by_id(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path, const char *name,
    int (*change)(void *arg, struct folder *f, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em)
{
	struct folder *f;
	int rc;

	for (int tries = 0;; tries++) {
		rc = name == NULL ? tree_read_id(t, id, key, path, &f, em) :
		    tree_read(t, id, key, path, name, &f, em);
		if (rc != 0)
			return rc;
		if ((rc = change(arg, f, em)) == 0)
			rc = tree_write(t, f, id, path, em);
		folder_free(f);
		if (rc != DZ_ECONFLICT)
			return rc;
		if (tries + 1 >= TREE_CAS_TRIES)
			return dz_errf(em, DZ_ECONFLICT, "%s kept changing; try again", path);
		memset(em, 0, sizeof(*em));
	}
}

int
tree_update_id(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path,
    int (*change)(void *arg, struct folder *f, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em)
{
	return update_by_id(t, id, key, path, NULL, change, arg, em);
}

int
tree_update_at(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path, const char *name,
    int (*change)(void *arg, struct folder *f, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em)
{
	return update_by_id(t, id, key, path, name, change, arg, em);
}

int
tree_stat(struct tree *t, const char *path, struct tree_ent *out,
    struct dz_errmsg *em)
{
	char dir[CATALOG_PATHMAX + 1];
	const struct folder_entry *e;
	struct folder *f;
	const char *base;
	int rc;

	memset(out, 0, sizeof(*out));
	tree_split(path, dir, &base);
	if (base[0] == '\0')
		return dz_errf(em, DZ_EINVAL, "the root has no entry");
	if ((rc = tree_walk(t, dir, base, 0, &f, NULL, NULL, em)) != 0)
		return rc;
	if ((rc = folder_find(f, base, &e)) == 0)
		rc = tree_ent_copy(out, e);
	else
		rc = dz_errf(em, DZ_ENOENT, "no file or folder '%s'", path);
	folder_free(f);
	return rc;
}
