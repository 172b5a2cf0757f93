/*
 * tree_ops: walks over whole sub-trees: listing, forgetting a removed
 * folder's records, the loop check of a move (tree.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/tree_int.h"

/* Folders deeper than this are not entered: the local file systems a
 * tree comes from and goes to stop far earlier (paths of 1024 bytes). */
#define TREE_MAXDEPTH 512

/* The ancestors of the folder being listed, to stop at a loop. */
struct chain {
	uint8_t id[TREE_MAXDEPTH][FOLDER_IDBYTES];
	int n;
};

static int
in_chain(const struct chain *c, const uint8_t id[static FOLDER_IDBYTES])
{
	for (int i = 0; i < c->n; i++)
		if (memcmp(c->id[i], id, FOLDER_IDBYTES) == 0)
			return 1;
	return 0;
}

struct lister {
	struct tree *t;
	int recursive;
	int (*fn)(void *arg, const char *path, const struct folder_entry *e);
	void *arg;
	struct chain chain;
	char path[CATALOG_PATHMAX + 1];
};

/* List the folder (id, key) whose path is ls->path. */
static int
list_dir(struct lister *ls, const uint8_t id[static 32], const uint8_t key[static 32],
    struct dz_errmsg *em)
{
	const struct folder_entry **v = NULL;
	struct folder *f = NULL;
	size_t n = 0, plen = strlen(ls->path);
	int rc;

	if (ls->chain.n >= TREE_MAXDEPTH)
		return dz_errf(em, DZ_ERANGE, "folder '%s' is nested too deep", ls->path);
	if ((rc = tree_read(ls->t, id, key, ls->path, NULL, &f, em)) != 0 ||
	    (rc = folder_sorted(f, &v, &n)) != 0)
		goto out;
	memcpy(ls->chain.id[ls->chain.n++], id, FOLDER_IDBYTES);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (snprintf(ls->path + plen, sizeof(ls->path) - plen, "%s%s",
		    plen ? "/" : "", v[i]->name) >= (int)(sizeof(ls->path) - plen)) {
			rc = dz_errf(em, DZ_ERANGE, "a path under '%.*s' is longer than %d "
			    "bytes", (int)plen, ls->path, CATALOG_PATHMAX);
			break;
		}
		if ((rc = ls->fn(ls->arg, ls->path, v[i])) != 0)
			break;
		if (ls->recursive && v[i]->type == FOLDER_T_DIR &&
		    !in_chain(&ls->chain, v[i]->id))
			rc = list_dir(ls, v[i]->id, v[i]->key, em);
	}
	ls->chain.n--;
	ls->path[plen] = '\0';
out:
	free(v);
	folder_free(f);
	return rc;
}

int
tree_list(struct tree *t, const char *dir, int recursive,
    int (*fn)(void *arg, const char *path, const struct folder_entry *e),
    void *arg, struct dz_errmsg *em)
{
	struct lister *ls = calloc(1, sizeof(*ls));
	uint8_t id[FOLDER_IDBYTES], *key = sodium_malloc(32);
	struct folder *f = NULL;
	int rc;

	if (ls == NULL || key == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	/* the walk reads dir's record once more: cheap next to listing it */
	if ((rc = tree_walk(t, dir, "", 0, &f, id, key, em)) != 0)
		goto out;
	ls->t = t;
	ls->recursive = recursive;
	ls->fn = fn;
	ls->arg = arg;
	snprintf(ls->path, sizeof(ls->path), "%s", dir);
	rc = list_dir(ls, id, key, em);
out:
	folder_free(f);
	sodium_free(key);
	free(ls);
	return rc;
}

struct forgetter {
	struct tree *t;
	void (*fn)(void *arg, const struct folder_entry *e);
	void *arg;
	struct chain chain;
	int first;                      /* the first error, kept */
	struct dz_errmsg em;
};

/* Forget what lies below folder (id, key) at path, then its records. */
static void
forget_dir(struct forgetter *fg, const uint8_t id[static 32], const uint8_t key[static 32],
    const char *path)
{
	struct dz_errmsg em = {{0}};
	struct folder *f = NULL;
	size_t cur = 0;
	const struct folder_entry *e;
	uint64_t v;
	int rc;

	if (fg->chain.n >= TREE_MAXDEPTH || in_chain(&fg->chain, id))
		return;
	if ((rc = tree_read(fg->t, id, key, path, NULL, &f, &em)) != 0)
		goto fail;
	memcpy(fg->chain.id[fg->chain.n++], id, FOLDER_IDBYTES);
	while (folder_iter(f, &cur, &e)) {
		char sub[CATALOG_PATHMAX + 1];

		if (folder_is_file(e))
			fg->fn(fg->arg, e);
		else if (e->type == FOLDER_T_DIR) {
			snprintf(sub, sizeof(sub), "%s/%s", path, e->name);
			forget_dir(fg, e->id, e->key, sub);
		}
	}
	fg->chain.n--;
	/* the shards, then the folder record (so that a half-done removal
	 * still leaves a record naming what remains) */
	for (size_t i = 0; i < folder_nshards(f); i++) {
		uint8_t sid[FOLDER_IDBYTES];
		uint64_t sv;

		if (folder_shard_info(f, i, sid, &sv, NULL) == 0 &&
		    (rc = netstore_rec_del(fg->t->ns, sid, sv, &v, &em)) != 0)
			goto fail;
	}
	if (folder_version(f) > 0 &&
	    (rc = netstore_rec_del(fg->t->ns, id, folder_version(f), &v, &em)) != 0)
		goto fail;
	folder_free(f);
	return;
fail:
	folder_free(f);
	if (fg->first == 0) {
		fg->first = rc;
		fg->em = em;
	}
}

int
tree_forget_dir(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path,
    void (*fn)(void *arg, const struct folder_entry *e), void *arg,
    struct dz_errmsg *em)
{
	struct forgetter *fg = calloc(1, sizeof(*fg));
	int rc;

	if (fg == NULL)
		return DZ_ENOMEM;
	fg->t = t;
	fg->fn = fn;
	fg->arg = arg;
	forget_dir(fg, id, key, path);
	if ((rc = fg->first) != 0 && em != NULL)
		*em = fg->em;
	free(fg);
	return rc;
}

int
tree_inside(struct tree *t, const char *dir, const uint8_t id[static FOLDER_IDBYTES],
    int *inside, struct dz_errmsg *em)
{
	char part[CATALOG_PATHMAX + 1];
	uint8_t cur[FOLDER_IDBYTES];
	struct folder *f;
	int rc;

	/* every prefix of dir, from the root down: one walk each keeps this
	 * simple, and moves are rare next to reads */
	*inside = 0;
	for (size_t i = 0;; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		snprintf(part, sizeof(part), "%.*s", (int)i, dir);
		rc = tree_walk(t, part, "", 0, &f, cur, NULL, em);
		if (rc == DZ_ENOENT) {
			memset(em, 0, sizeof(*em));
			return 0; /* the rest does not exist yet */
		}
		if (rc != 0)
			return rc;
		folder_free(f);
		if (memcmp(cur, id, FOLDER_IDBYTES) == 0) {
			*inside = 1;
			return 0;
		}
		if (dir[i] == '\0')
			return 0;
	}
}
