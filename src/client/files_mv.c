/*
 * files_mv: moving a file, link or folder by remote path (files.h): one
 * change to one folder's record within a folder; between two folders two
 * changes, journaled (moving.h) so that a command killed between them is
 * finished by the next one (files_moves).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "client/files_int.h"
#include "client/moving.h"

/* The changes of a move: add the entry at to (replacing a file there), and
 * drop it from from when it still names what was moved. Within one
 * folder, both in one change. */
struct mv_change {
	const char *from_base, *to_base, *to_path;
	struct tree_ent src;
	int add, drop;             /* which halves this change does */
	int replaced;
	struct tree_ent old;       /* the file replaced at to */
};

static int
mv_change(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	struct mv_change *mv = arg;
	const struct folder_entry *cur;
	struct folder_entry ne;
	int rc;

	mv->replaced = 0;
	if (mv->drop) {
		if (folder_find(fo, mv->from_base, &cur) != 0 ||
		    cur->type != mv->src.e.type || memcmp(cur->id, mv->src.e.id, 32) != 0) {
			if (mv->add)
				return dz_errf(em, DZ_ENOENT, "'%s' changed or went while "
				    "moving it; try again", mv->from_base);
			return 0; /* changed meanwhile: what is there now stays */
		}
	}
	if (mv->add && folder_find(fo, mv->to_base, &cur) == 0) {
		if (!folder_is_file(cur) || !folder_is_file(&mv->src.e))
			return dz_errf(em, DZ_EEXIST, "'%s' exists (a %s); remove it first",
			    mv->to_path, cur->type == FOLDER_T_DIR ? "folder" :
			    cur->type == FOLDER_T_LINK ? "symbolic link" : "file");
		if ((rc = tree_ent_copy(&mv->old, cur)) != 0)
			return rc;
		mv->replaced = 1;
	}
	if (mv->drop && (rc = folder_remove(fo, mv->from_base)) != 0)
		return rc;
	if (mv->add) {
		ne = mv->src.e;
		ne.name = mv->to_base;
		if ((rc = folder_put(fo, &ne, NULL, em)) != 0)
			return rc;
	}
	return 0;
}

/* The file a move replaced: its objects go. */
static void
mv_forget(struct files *f, const struct tree_ent *old)
{
	for (size_t i = 0; i < files_nobjs(&old->e); i++)
		files_forget(f, files_obj(&old->e, i));
}

/* The key journaled moves are sealed under (sodium_malloc memory). */
static uint8_t *
mv_key(const struct files *f)
{
	uint8_t *k = sodium_malloc(32);

	if (k != NULL && crypto_kdf_derive_from_key(k, 32, 1, "dzmoves1", f->key) != 0) {
		sodium_free(k);
		k = NULL;
	}
	return k;
}

/* Whether an add that failed with rc surely wrote nothing: a refusal of
 * the change itself, not an answer lost on the way back. */
static int
mv_refused(int rc)
{
	return rc == DZ_EEXIST || rc == DZ_ENOENT || rc == DZ_EINVAL ||
	    rc == DZ_ECONFLICT || rc == DZ_ERANGE;
}

/* A move between folders fdir and tdir: journal it (when there is a
 * journal), add the entry to tdir's folder, drop it from fdir's, and end
 * the journal entry. */
static int
mv_between(struct files *f, struct mv_change *mv, const char *nf, const char *fdir,
    const char *tdir, struct dz_errmsg *em)
{
	char jfile[MOVING_FILEMAX] = "";
	struct moving_rec *r = NULL;
	struct folder *src = NULL, *dst = NULL;
	uint8_t *k = NULL;
	int rc = 0;

	if (f->moving[0] != '\0') {
		if ((r = sodium_malloc(sizeof(*r))) == NULL || (k = mv_key(f)) == NULL) {
			rc = DZ_ENOMEM;
			goto out;
		}
		memset(r, 0, sizeof(*r));
		/* the source first: making the destination may change it, and
		 * its swap then finds that and reads it again */
		if ((rc = tree_walk(f->t, fdir, mv->from_base, 0, &src, r->src_id, r->src_key,
		    em)) != 0 ||
		    (rc = tree_walk(f->t, tdir, mv->to_base, 1, &dst, r->dst_id, r->dst_key,
		    em)) != 0)
			goto out;
		memcpy(r->ent_id, mv->src.e.id, 32);
		r->type = mv->src.e.type;
		snprintf(r->from, sizeof(r->from), "%s", nf);
		snprintf(r->to, sizeof(r->to), "%s", mv->to_path);
		if ((rc = moving_begin(f->moving, k, r, jfile, em)) != 0)
			goto out;
	}
	mv->add = 1;
	rc = tree_update_from(f->t, tdir, mv->to_base, 1, dst, r ? r->dst_id : NULL,
	    mv_change, mv, em);
	dst = NULL; /* freed there */
	if (rc != 0) {
		if (mv_refused(rc))
			moving_end(jfile);
		goto out;
	}
	if (mv->replaced)
		mv_forget(f, &mv->old);
	if (f->die_midway)
		_exit(9); /* tests: a command killed between the two changes */
	mv->add = 0;
	mv->drop = 1;
	mv->replaced = 0;
	rc = tree_update_from(f->t, fdir, mv->from_base, 0, src, r ? r->src_id : NULL,
	    mv_change, mv, em);
	src = NULL;
	/* done, or failed: then finished by the next command */
	if (rc == 0)
		moving_end(jfile);
out:
	folder_free(src);
	folder_free(dst);
	sodium_free(r); /* wipes */
	sodium_free(k);
	return rc;
}

int
files_mv(struct files *f, const char *from, const char *to, struct dz_errmsg *em)
{
	char nf[CATALOG_PATHMAX + 1], nt[CATALOG_PATHMAX + 1];
	char fdir[CATALOG_PATHMAX + 1], tdir[CATALOG_PATHMAX + 1];
	struct mv_change mv;
	struct tree_ent dst;
	size_t flen;
	int rc, inside = 0;

	memset(&mv, 0, sizeof(mv));
	if ((rc = catalog_path(from, nf, em)) != 0 || (rc = catalog_path(to, nt, em)) != 0)
		return rc;
	if (nf[0] == '\0')
		return dz_errf(em, DZ_EINVAL, "the root cannot be moved");
	if ((rc = tree_stat(f->t, nf, &mv.src, em)) != 0)
		goto out;
	tree_split(nf, fdir, &mv.from_base);
	/* into an existing folder: TO/<base name>, as mv does */
	rc = nt[0] == '\0' ? 0 : tree_stat(f->t, nt, &dst, em);
	if (rc == 0 && (nt[0] == '\0' || dst.e.type == FOLDER_T_DIR)) {
		size_t l = strlen(nt);

		if (snprintf(nt + l, sizeof(nt) - l, "%s%s", l ? "/" : "", mv.from_base) >=
		    (int)(sizeof(nt) - l)) {
			rc = dz_errf(em, DZ_ERANGE, "the path would pass %d bytes",
			    CATALOG_PATHMAX);
			goto out;
		}
	} else if (rc != 0 && rc != DZ_ENOENT)
		goto out;
	if (nt[0] != '\0')
		tree_ent_clear(&dst);
	memset(em, 0, sizeof(*em));
	if ((rc = files_path_ok(nt, nt, em)) != 0)
		goto out;
	if (strcmp(nf, nt) == 0)
		goto out; /* already there */
	flen = strlen(nf);
	tree_split(nt, tdir, &mv.to_base);
	if (mv.src.e.type == FOLDER_T_DIR) {
		if ((strncmp(nt, nf, flen) == 0 && nt[flen] == '/') ||
		    ((rc = tree_inside(f->t, tdir, mv.src.e.id, &inside, em)) == 0 && inside)) {
			rc = dz_errf(em, DZ_EINVAL, "cannot move folder '%s' into itself ('%s')",
			    nf, nt);
			goto out;
		}
		if (rc != 0)
			goto out;
	}
	mv.to_path = nt;
	if (strcmp(fdir, tdir) == 0) {
		mv.add = mv.drop = 1;
		rc = tree_update(f->t, fdir, mv.to_base, 0, mv_change, &mv, em);
	} else if ((rc = mv_between(f, &mv, nf, fdir, tdir, em)) != 0)
		goto out;
	if (rc == 0 && mv.replaced)
		mv_forget(f, &mv.old);
out:
	tree_ent_clear(&mv.src);
	tree_ent_clear(&mv.old);
	return rc;
}

/* The base name of path, and whether folder fo names the moved entry
 * of r under it (same type, same id). */
static int
mv_names(const struct folder *fo, const struct moving_rec *r, const char *path,
    const char **base)
{
	const struct folder_entry *e;
	const char *sl = strrchr(path, '/');

	*base = sl ? sl + 1 : path;
	return folder_find(fo, *base, &e) == 0 && e->type == r->type &&
	    sodium_memcmp(e->id, r->ent_id, 32) == 0;
}

/* Is the moved entry named at its destination? 1 yes, 2 no (writes
 * nothing either way). */
static int
mv_named(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	const struct moving_rec *r = arg;
	const char *base;

	(void)em;
	return mv_names(fo, r, r->to, &base) ? 1 : 2;
}

/* Drop the moved entry from its source if it still names the same thing;
 * 2 if it does not (nothing written). */
static int
mv_drop(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	const struct moving_rec *r = arg;
	const char *base;

	(void)em;
	if (!mv_names(fo, r, r->from, &base))
		return 2;
	return folder_remove(fo, base) == 0 ? 0 : 2;
}

/* Finish the journaled move r of a command that ended before it did: if
 * the entry reached its destination, drop it from its source. 0 when
 * nothing is left to do. */
static int
mv_finish(void *arg, const struct moving_rec *r)
{
	struct files *f = arg;
	struct dz_errmsg em = {{0}};
	char fdir[CATALOG_PATHMAX + 1], tdir[CATALOG_PATHMAX + 1];
	const char *fbase, *tbase;
	int rc;

	tree_split(r->from, fdir, &fbase);
	tree_split(r->to, tdir, &tbase);
	rc = tree_update_at(f->t, r->dst_id, r->dst_key, tdir, tbase, mv_named, (void *)r,
	    &em);
	if (rc == 2 || rc == DZ_ENOENT)
		return 0; /* it never got there (or went since): the source holds it */
	if (rc != 1)
		return -1; /* unknown yet: the next command tries again */
	rc = tree_update_at(f->t, r->src_id, r->src_key, fdir, fbase, mv_drop, (void *)r,
	    &em);
	if (rc != 0 && rc != 2 && rc != DZ_ENOENT)
		return -1;
	f->moves_done++;
	return 0;
}

int
files_moves(struct files *f, const char *dir, unsigned *finished, struct dz_errmsg *em)
{
	uint8_t *k;
	unsigned done = 0;
	int rc;

	*finished = 0;
	if (snprintf(f->moving, sizeof(f->moving), "%s", dir) >= (int)sizeof(f->moving)) {
		f->moving[0] = '\0';
		return dz_errf(em, DZ_EINVAL, "the profile path is too long");
	}
	if ((k = mv_key(f)) == NULL)
		return DZ_ENOMEM;
	f->moves_done = 0;
	rc = moving_orphans(dir, k, mv_finish, f, &done, em);
	sodium_free(k);
	*finished = f->moves_done;
	return rc;
}

void
files_test_die_midway(struct files *f)
{
	f->die_midway = 1;
}
