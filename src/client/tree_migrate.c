/*
 * tree_migrate: an account written by an older build keeps its whole
 * tree in one catalog record (catalog.h). On first use without a root
 * folder it becomes folder records: one per directory of the catalog's
 * paths, with fresh ids and keys; each file entry takes the catalog's
 * object id, size, mode and mtime, and as its key the one its file record
 * is already sealed under (record_key of the folder sub-key and the id),
 * so no file record or fragment is rewritten. Every other folder is
 * created first, the root last: its creation is the commit point (before
 * it the catalog is the tree, after it the folder records are). Two
 * computers migrating at once: one root create wins, the loser deletes
 * what it made and reads the winner's tree. The catalog record itself is
 * left in place (docs/design-tree.md, "Migration").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/tree_int.h"
#include "core/record.h"

struct mdir {
	char *path;
	struct folder *f;
	uint8_t id[FOLDER_IDBYTES];
};

struct mig {
	struct tree *t;
	struct mdir *d;
	size_t n, cap, last;
};

/* The folder at path in m, made (and named in its parent) if new. */
static int
mig_dir(struct mig *m, const char *path, struct folder **out, struct dz_errmsg *em)
{
	char dir[CATALOG_PATHMAX + 1];
	struct folder_entry e;
	struct folder *parent;
	const char *base;
	int rc;

	if (m->last < m->n && strcmp(m->d[m->last].path, path) == 0) {
		*out = m->d[m->last].f;
		return 0;
	}
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->d[i].path, path) == 0) {
			m->last = i;
			*out = m->d[i].f;
			return 0;
		}
	tree_split(path, dir, &base);
	if ((rc = mig_dir(m, dir, &parent, em)) != 0)
		return rc;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct mdir *d = realloc(m->d, cap * sizeof(*d));

		if (d == NULL)
			return DZ_ENOMEM;
		m->d = d;
		m->cap = cap;
	}
	memset(&e, 0, sizeof(e));
	folder_fresh_keys(e.id, e.key);
	e.name = base;
	e.type = FOLDER_T_DIR;
	e.mode = 0755;
	if ((m->d[m->n].path = strdup(path)) == NULL)
		rc = DZ_ENOMEM;
	else if ((rc = folder_new(e.id, e.key, &m->d[m->n].f)) == 0 &&
	    (rc = folder_add(parent, &e, em)) != 0)
		folder_free(m->d[m->n].f);
	if (rc != 0) {
		free(m->d[m->n].path);
	} else {
		memcpy(m->d[m->n].id, e.id, FOLDER_IDBYTES);
		*out = m->d[m->n].f;
		m->last = m->n++;
	}
	sodium_memzero(e.key, sizeof(e.key));
	return rc;
}

/* Delete the records written for m->d[0..n) (the loser of two
 * migrations, or a failed one): best effort, unnamed records cost their
 * size only. */
static void
mig_undo(struct mig *m, size_t n)
{
	uint64_t v;

	for (size_t i = 1; i < n; i++) {
		struct folder *f = m->d[i].f;

		for (size_t s = 0; s < folder_nshards(f); s++) {
			uint8_t sid[FOLDER_IDBYTES];
			uint64_t sv;

			if (folder_shard_info(f, s, sid, &sv, NULL) == 0 && sv > 0 &&
			    netstore_rec_del(m->t->ns, sid, sv, &v, NULL) != 0)
				continue;
		}
		if (folder_version(f) > 0 &&
		    netstore_rec_del(m->t->ns, m->d[i].id, folder_version(f), &v, NULL) != 0)
			continue;
	}
}

int
tree_migrate(struct tree *t, int *migrated, struct dz_errmsg *em)
{
	struct catalog c = {0};
	struct mig m = {0};
	uint8_t *blob = NULL;
	size_t len, written = 0;
	uint64_t v;
	int rc;

	*migrated = 0;
	rc = netstore_rec_get(t->ns, t->cat_id, &blob, &len, &v, em);
	if (rc == DZ_ENOENT) {
		memset(em, 0, sizeof(*em));
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = catalog_decode(blob, len, TREE_CATKEY(t), t->cat_id, &c, em);
	free(blob);
	if (rc != 0)
		return rc;
	m.t = t;
	if ((m.d = calloc(64, sizeof(*m.d))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	m.cap = 64;
	if ((m.d[0].path = strdup("")) == NULL ||
	    (rc = folder_new(t->root_id, TREE_ROOTKEY(t), &m.d[0].f)) != 0) {
		free(m.d[0].path);
		rc = rc ? rc : DZ_ENOMEM;
		goto out;
	}
	memcpy(m.d[0].id, t->root_id, FOLDER_IDBYTES);
	m.n = 1;
	for (size_t i = 0; i < c.n; i++) {
		char dir[CATALOG_PATHMAX + 1];
		struct folder_entry e;
		struct folder *f;
		const char *base;

		tree_split(c.e[i].path, dir, &base);
		if ((rc = mig_dir(&m, dir, &f, em)) != 0)
			goto out;
		memset(&e, 0, sizeof(e));
		e.name = base;
		e.type = FOLDER_T_FILE;
		e.mode = c.e[i].mode & 07777;
		e.mtime_sec = c.e[i].mtime;
		e.size = c.e[i].size;
		memcpy(e.id, c.e[i].id, 32);
		record_key(TREE_SUBKEY(t), c.e[i].id, e.key);
		rc = folder_add(f, &e, em);
		sodium_memzero(e.key, sizeof(e.key));
		if (rc != 0) {
			/* the catalog allowed a file and a folder of one name */
			rc = dz_errf(em, rc, "cannot migrate '%s' into the folder tree",
			    c.e[i].path);
			goto out;
		}
	}
	/* every folder but the root, then the root */
	for (written = 1; written < m.n; written++)
		if ((rc = tree_write(t, m.d[written].f, m.d[written].id, m.d[written].path,
		    em)) != 0)
			goto undo;
	rc = tree_write(t, m.d[0].f, t->root_id, "", em);
	if (rc == DZ_ECONFLICT) {
		memset(em, 0, sizeof(*em));
		rc = 0; /* another computer migrated first: its tree counts */
		goto undo;
	}
	if (rc != 0)
		goto undo;
	*migrated = 1;
	goto out;
undo:
	mig_undo(&m, written);
	*migrated = rc == 0;
out:
	for (size_t i = 0; i < m.n; i++) {
		free(m.d[i].path);
		folder_free(m.d[i].f);
	}
	free(m.d);
	catalog_free(&c);
	return rc;
}
