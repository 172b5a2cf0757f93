/*
 * files_ops: remove, make and move by remote path (files.h): each a
 * change to one folder's record (two for a move between folders), by
 * compare-and-swap through tree_update.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/files_int.h"

/* The change an rm makes: drop the entry, keep a copy of it. */
struct rm_change {
	struct files *f;
	const char *path, *base;
	int recursive;
	struct tree_ent old;
};

static int
rm_change(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	struct rm_change *rm = arg;
	const struct folder_entry *e;
	int rc;

	if (folder_find(fo, rm->base, &e) != 0)
		return dz_errf(em, DZ_ENOENT, "no file or folder '%s'", rm->path);
	if (e->type == FOLDER_T_DIR && !rm->recursive)
		return dz_errf(em, DZ_EEXIST, "'%s' is a folder: `drizzle rm -r` removes "
		    "it with everything in it", rm->path);
	if ((rc = tree_ent_copy(&rm->old, e)) != 0)
		return rc;
	if (folder_remove(fo, rm->base) != 0)
		return dz_errf(em, DZ_ENOENT, "no file or folder '%s'", rm->path);
	/* the file's objects, its kept versions' too, are named no more once
	 * the folder is written */
	for (size_t i = 0; i < files_nobjs(&rm->old.e); i++)
		if ((rc = files_jadd(rm->f, files_obj(&rm->old.e, i), em)) != 0)
			return rc;
	return 0;
}

struct rm_count {
	struct files *f;
	uint64_t files;
};

static void
rm_forget(void *arg, const struct folder_entry *e)
{
	struct rm_count *c = arg;

	for (size_t i = 0; i < files_nobjs(e); i++)
		files_forget(c->f, files_obj(e, i));
	c->files++;
}

int
files_rm(struct files *f, const char *path, int recursive, uint64_t *files,
    struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1], dir[CATALOG_PATHMAX + 1];
	struct rm_change rm;
	struct rm_count cnt = {f, 0};
	int rc;

	if (files != NULL)
		*files = 0;
	if ((rc = catalog_path(path, norm, em)) != 0)
		return rc;
	if (norm[0] == '\0')
		return dz_errf(em, DZ_EINVAL, "the root cannot be removed (remove what "
		    "is in it one by one)");
	memset(&rm, 0, sizeof(rm));
	rm.f = f;
	rm.path = norm;
	rm.recursive = recursive;
	tree_split(norm, dir, &rm.base);
	if ((rc = tree_update(f->t, dir, rm.base, 0, rm_change, &rm, em)) != 0)
		goto out;
	if (folder_is_file(&rm.old.e)) {
		for (size_t i = 0; i < files_nobjs(&rm.old.e); i++)
			files_forget(f, files_obj(&rm.old.e, i));
		cnt.files = 1;
	} else if (rm.old.e.type == FOLDER_T_DIR)
		rc = tree_forget_dir(f->t, rm.old.e.id, rm.old.e.key, norm, rm_forget,
		    &cnt, em);
	if (files != NULL)
		*files = cnt.files;
out:
	tree_ent_clear(&rm.old);
	return rc;
}

/* The change a mkdir makes; the new folder's record is made on the first
 * call that needs it and kept across redone ones. */
struct mk_change {
	struct files *f;
	const char *path;
	int flags, made, recmade;
	struct folder_entry e;
};

static int
mk_change(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	struct mk_change *mk = arg;
	const struct folder_entry *cur;
	int rc;

	mk->made = 0;
	if (folder_find(fo, mk->e.name, &cur) == 0) {
		struct folder_entry ne;

		if (cur->type != FOLDER_T_DIR)
			return dz_errf(em, DZ_EEXIST, "'%s' is a %s", mk->path,
			    cur->type == FOLDER_T_LINK ? "symbolic link" : "file");
		if (!(mk->flags & FILES_MKDIR_EXISTOK))
			return dz_errf(em, DZ_EEXIST, "folder '%s' exists", mk->path);
		if (cur->mode == mk->e.mode && cur->mtime_sec == mk->e.mtime_sec &&
		    cur->mtime_nsec == mk->e.mtime_nsec)
			return 0; /* nothing to write */
		ne = *cur;
		ne.mode = mk->e.mode;
		ne.mtime_sec = mk->e.mtime_sec;
		ne.mtime_nsec = mk->e.mtime_nsec;
		return folder_replace(fo, &ne, em);
	}
	if (!mk->recmade) {
		folder_fresh_keys(mk->e.id, mk->e.key);
		if ((rc = tree_create(mk->f->t, mk->e.id, mk->e.key, mk->path, em)) != 0)
			return rc;
		mk->recmade = 1;
	}
	if ((rc = folder_add(fo, &mk->e, em)) == 0)
		mk->made = 1;
	return rc;
}

int
files_mkdir(struct files *f, const char *path, int flags, uint32_t mode,
    int64_t mtime_sec, uint32_t mtime_nsec, int *made, struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1], dir[CATALOG_PATHMAX + 1];
	struct mk_change mk;
	uint64_t v;
	int rc;

	if (made != NULL)
		*made = 0;
	if ((rc = files_path_ok(path, norm, em)) != 0)
		return rc;
	if (norm[0] == '\0')
		return flags & FILES_MKDIR_EXISTOK ? 0 :
		    dz_errf(em, DZ_EEXIST, "the root folder exists");
	memset(&mk, 0, sizeof(mk));
	mk.f = f;
	mk.path = norm;
	mk.flags = flags;
	tree_split(norm, dir, &mk.e.name);
	mk.e.type = FOLDER_T_DIR;
	mk.e.mode = mode & 07777;
	mk.e.mtime_sec = mtime_sec;
	mk.e.mtime_nsec = mtime_nsec < 1000000000u ? mtime_nsec : 0;
	rc = tree_update(f->t, dir, mk.e.name, flags & FILES_MKDIR_PARENTS, mk_change,
	    &mk, em);
	if (rc == DZ_ENOENT && !(flags & FILES_MKDIR_PARENTS))
		rc = dz_errf(em, rc, "no folder '%s' to make '%s' in (mkdir -p makes "
		    "the parents)", dir, norm);
	/* made but not named (an error, or someone else's folder won) */
	if (mk.recmade && !mk.made && netstore_rec_del(f->ns, mk.e.id, 1, &v, NULL) != 0) {
		/* an unnamed empty record: costs its size only */
	}
	if (rc == 0 && made != NULL)
		*made = mk.made;
	sodium_memzero(mk.e.key, sizeof(mk.e.key));
	return rc;
}
