/*
 * files_vers: the kept versions of a file: listing them, fetching one,
 * making one current again (files.h). A put keeps the object a path held
 * as a previous version (folder_put_version) up to the setting
 * (files_keep); they are objects like any other, counted in used, and
 * forgotten when dropped.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/files_int.h"

/* The file entry at path (a copy) or an error naming it. */
static int
file_at(struct files *f, const char *path, char norm[static CATALOG_PATHMAX + 1],
    struct tree_ent *te, struct dz_errmsg *em)
{
	int rc;

	if ((rc = catalog_path(path, norm, em)) != 0)
		return rc;
	if (norm[0] == '\0')
		return dz_errf(em, DZ_EEXIST, "the root is a folder (get -r fetches "
		    "folders)");
	if ((rc = tree_stat(f->t, norm, te, em)) != 0)
		return rc == DZ_ENOENT ? dz_errf(em, rc, "no file '%s'", norm) : rc;
	if (te->e.type == FOLDER_T_DIR)
		rc = dz_errf(em, DZ_EEXIST, "'%s' is a folder (get -r fetches folders)",
		    norm);
	else if (te->e.type == FOLDER_T_LINK)
		rc = dz_errf(em, DZ_EEXIST, "'%s' is a symbolic link to '%s' (get -r "
		    "re-creates links)", norm, te->target);
	if (rc != 0)
		tree_ent_clear(te);
	return rc;
}

int
files_versions(struct files *f, const char *path, struct files_version **out,
    size_t *n, struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1];
	struct files_version *v;
	struct tree_ent te;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = file_at(f, path, norm, &te, em)) != 0)
		return rc;
	if ((v = calloc(te.e.nvers + 1u, sizeof(*v))) == NULL) {
		tree_ent_clear(&te);
		return DZ_ENOMEM;
	}
	v[0].number = folder_ent_number(&te.e);
	v[0].current = 1;
	v[0].size = te.e.size;
	v[0].stored_sec = te.e.stored_sec;
	v[0].mtime_sec = te.e.mtime_sec;
	v[0].mtime_nsec = te.e.mtime_nsec;
	v[0].mode = te.e.mode;
	for (size_t i = 0; i < te.e.nvers; i++) {
		const struct folder_version *p = &te.vers[i];

		v[i + 1].number = p->number;
		v[i + 1].size = p->size;
		v[i + 1].stored_sec = p->stored_sec;
		v[i + 1].mtime_sec = p->mtime_sec;
		v[i + 1].mtime_nsec = p->mtime_nsec;
		v[i + 1].mode = p->mode;
	}
	*out = v;
	*n = te.e.nvers + 1u;
	tree_ent_clear(&te);
	return 0;
}

int
files_get_version(struct files *f, const char *path, uint32_t number, int fd,
    const struct xfer_params *pp, struct cat_entry *out, struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1];
	struct folder_version v;
	struct tree_ent te;
	int rc;

	if ((rc = file_at(f, path, norm, &te, em)) != 0)
		return rc;
	if ((rc = folder_file_version(&te.e, number, &v)) != 0) {
		rc = dz_errf(em, rc == DZ_ENOENT ? DZ_ENOENT : rc, "'%s' has no version %u "
		    "(drizzle versions lists them)", norm, (unsigned)number);
		goto out;
	}
	rc = v.packed ? files_fetch_packed(f, v.id, v.pack_key, v.key, v.pack_off,
	    v.pack_len, v.size, fd, pp, em) : files_fetch(f, v.id, fd, pp, em);
	if (rc == 0 && out != NULL) {
		memset(out, 0, sizeof(*out));
		memcpy(out->id, v.id, 32);
		out->size = v.size;
		out->mtime = v.mtime_sec;
		out->mtime_nsec = v.mtime_nsec;
		out->mode = v.mode;
	}
out:
	sodium_memzero(&v, sizeof(v));
	tree_ent_clear(&te);
	return rc;
}

struct restore_change {
	const char *base, *path;
	uint32_t number, now;
};

static int
restore_change(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	struct restore_change *rc = arg;
	const struct folder_entry *e;
	int r;

	if ((r = folder_restore_version(fo, rc->base, rc->number, (int64_t)time(NULL),
	    em)) != 0)
		return r == DZ_ENOENT ? dz_errf(em, r, "'%s' has no version %u (drizzle "
		    "versions lists them)", rc->path, (unsigned)rc->number) : r;
	if (folder_find(fo, rc->base, &e) == 0)
		rc->now = folder_ent_number(e);
	return 0;
}

int
files_restore(struct files *f, const char *path, uint32_t number, uint32_t *now,
    struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1], dir[CATALOG_PATHMAX + 1];
	struct restore_change c = {0};
	struct tree_ent te;
	int rc;

	if ((rc = file_at(f, path, norm, &te, em)) != 0)
		return rc;
	tree_ent_clear(&te);
	tree_split(norm, dir, &c.base);
	c.path = norm;
	c.number = number;
	if ((rc = tree_update(f->t, dir, c.base, 0, restore_change, &c, em)) == 0 &&
	    now != NULL)
		*now = c.now;
	return rc;
}
