/*
 * files: put, get, list, move and remove by remote path (files.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/files_int.h"
#include "client/pack.h"
#include "client/pending.h"
#include "client/tree.h"
#include "core/record.h"


int
files_open(struct netstore *ns, const uint8_t mk[static MKEY_BYTES],
    struct files **out, struct dz_errmsg *em)
{
	struct files *f;
	int rc;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return DZ_ENOMEM;
	if ((f->key = sodium_malloc(32)) == NULL) {
		free(f);
		return DZ_ENOMEM;
	}
	f->ns = ns;
	f->keep = FOLDER_VERS_DEFAULT;
	if ((rc = mkey_derive(mk, MKEY_SUB_FOLDER, f->key)) != 0) {
		files_close(f);
		return dz_errf(em, rc, "cannot derive the folder keys");
	}
	if ((rc = tree_open(ns, f->key, &f->t, em)) != 0) {
		files_close(f);
		return rc;
	}
	*out = f;
	return 0;
}

void
files_close(struct files *f)
{
	if (f == NULL)
		return;
	tree_close(f->t);
	sodium_free(f->key); /* wipes */
	free(f);
}

int
files_seen(struct files *f, const char *path, struct dz_errmsg *em)
{
	return tree_seen(f->t, path, em);
}

int
files_flush(struct files *f, struct dz_errmsg *em)
{
	return tree_flush(f->t, em);
}

struct tree *
files_tree(struct files *f)
{
	return f->t;
}

void
files_keep(struct files *f, unsigned keep)
{
	f->keep = keep > FOLDER_VERS_MAX ? FOLDER_VERS_MAX : keep;
}

int
files_jadd(struct files *f, const uint8_t id[static 32], struct dz_errmsg *em)
{
	return f->pending[0] != '\0' ? pending_add(f->pending, id, em) : 0;
}

void
files_jdone(struct files *f, const uint8_t id[static 32])
{
	if (f->pending[0] != '\0' && pending_remove(f->pending, id, NULL) != 0) {
		/* kept: handled as an orphan once this process ended */
	}
}

void
files_forget(struct files *f, const uint8_t id[static 32])
{
	if (netstore_forget(f->ns, id, NULL) == 0)
		files_jdone(f, id);
}

/* The ids every file entry of the tree names, sorted, for the journal's
 * "is it named?" question. */
struct idset {
	uint8_t (*id)[32];
	size_t n, cap;
};

static int
idset_add(void *arg, const char *path, const struct folder_entry *e)
{
	struct idset *s = arg;

	(void)path;
	if (!folder_is_file(e))
		return 0;
	/* the current object (a pack, if packed) and every kept version */
	for (size_t i = 0; i <= e->nvers; i++)
		if (files_ids_push(&s->id, &s->n, &s->cap, i == 0 ? e->id :
		    e->vers[i - 1].id) != 0)
			return DZ_ENOMEM;
	return 0;
}

/* The i-th object of e that is its own (files_int.h): the current one
 * first unless packed, then the unpacked versions. */
static const uint8_t *
own_obj(const struct folder_entry *e, size_t i, size_t *count)
{
	size_t k = 0;

	if (!folder_is_file(e)) {
		*count = 0;
		return NULL;
	}
	if (e->type == FOLDER_T_FILE && k++ == i && count == NULL)
		return e->id;
	for (size_t v = 0; v < e->nvers; v++)
		if (!e->vers[v].packed && k++ == i && count == NULL)
			return e->vers[v].id;
	if (count != NULL)
		*count = k;
	return NULL;
}

size_t
files_nobjs(const struct folder_entry *e)
{
	size_t n;

	(void)own_obj(e, 0, &n);
	return n;
}

const uint8_t *
files_obj(const struct folder_entry *e, size_t i)
{
	return own_obj(e, i, NULL);
}

int
files_ids_push(uint8_t (**v)[32], size_t *n, size_t *cap, const uint8_t id[static 32])
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		uint8_t (*nv)[32] = realloc(*v, c * 32);

		if (nv == NULL)
			return DZ_ENOMEM;
		*v = nv;
		*cap = c;
	}
	memcpy((*v)[(*n)++], id, 32);
	return 0;
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int
idset_has(const struct idset *s, const uint8_t id[static 32])
{
	return s->n > 0 && bsearch(id, s->id, s->n, 32, id_cmp) != NULL;
}

int
files_journal(struct files *f, const char *path, unsigned *cleaned,
    struct dz_errmsg *em)
{
	struct pending_ent *o = NULL;
	struct idset named = {0};
	size_t n = 0;
	int rc;

	*cleaned = 0;
	if (snprintf(f->pending, sizeof(f->pending), "%s", path) >=
	    (int)sizeof(f->pending)) {
		f->pending[0] = '\0';
		return dz_errf(em, DZ_EINVAL, "the profile path is too long");
	}
	if ((o = calloc(PENDING_MAX, sizeof(*o))) == NULL)
		return DZ_ENOMEM;
	/* only after a crash: then the whole tree is read once */
	if ((rc = pending_orphans(path, o, PENDING_MAX, &n, em)) != 0 || n == 0 ||
	    (rc = tree_list(f->t, "", 1, idset_add, &named, em)) != 0)
		goto out;
	if (named.n > 0)
		qsort(named.id, named.n, 32, id_cmp);
	for (size_t i = 0; i < n; i++) {
		int is = idset_has(&named, o[i].id);

		/* named: the command got as far as the tree; not named: it
		 * did not, or the tree moved on without it: forget it */
		if (!is && netstore_forget(f->ns, o[i].id, NULL) != 0)
			continue; /* kept for the next command */
		if ((rc = pending_drop(path, &o[i], em)) != 0)
			goto out;
		if (!is)
			(*cleaned)++;
	}
out:
	free(named.id);
	free(o);
	return rc;
}

/* One folder entry as a listing entry, appended to c. */
static int
list_add(void *arg, const char *path, const struct folder_entry *e)
{
	struct cat_entry ce;
	int rc;

	memset(&ce, 0, sizeof(ce));
	ce.path = (char *)path;
	ce.type = e->type == FOLDER_T_DIR ? CAT_DIR :
	    e->type == FOLDER_T_LINK ? CAT_LINK : CAT_FILE;
	ce.target = (char *)e->target;
	memcpy(ce.id, e->id, 32);
	ce.size = e->size;
	ce.mtime = e->mtime_sec;
	ce.mtime_nsec = e->mtime_nsec;
	ce.mode = e->mode;
	if (e->type == FOLDER_T_PACKED) {
		ce.packed = 1;
		memcpy(ce.key, e->key, 32);
		memcpy(ce.pack_key, e->pack_key, 32);
		ce.pack_off = e->pack_off;
		ce.pack_len = e->pack_len;
	}
	rc = catalog_append(arg, &ce);
	sodium_memzero(&ce, sizeof(ce));
	return rc;
}

int
files_list(struct files *f, const char *path, struct catalog *c, struct dz_errmsg *em)
{
	struct tree_ent te;
	int rc;

	memset(c, 0, sizeof(*c));
	if (path[0] != '\0') {
		if ((rc = tree_stat(f->t, path, &te, em)) != 0)
			return rc;
		tree_ent_clear(&te);
		if (te.e.type != FOLDER_T_DIR)
			return list_add(c, path, &te.e);
	}
	if ((rc = tree_list(f->t, path, 1, list_add, c, em)) != 0)
		catalog_free(c);
	return rc;
}

int
files_path_ok(const char *path, char norm[static CATALOG_PATHMAX + 1], struct dz_errmsg *em)
{
	char *in = strdup(path); /* norm may be path */
	int rc;

	if (in == NULL)
		return DZ_ENOMEM;
	rc = catalog_path(in, norm, em);
	free(in);
	if (rc != 0)
		return rc;
	for (const char *comp = norm, *sl; *comp != '\0'; comp = *sl ? sl + 1 : sl) {
		if ((sl = strchr(comp, '/')) == NULL)
			sl = comp + strlen(comp);
		if (sl - comp > CATALOG_NAMEMAX)
			return dz_errf(em, DZ_EINVAL, "a remote path component is longer "
			    "than %d bytes (no file system could take it back): '%.*s...'",
			    CATALOG_NAMEMAX, 40, comp);
	}
	return 0;
}

/* The change a put makes to its folder: name the new object; the one the
 * name held becomes a previous version, and versions past the setting
 * are dropped (dropped[] then, forgotten once the folder is written). */
struct put_change {
	struct files *f;
	const char *path;
	struct folder_entry e;
	int replaced;
	size_t ndropped;
	struct folder_version dropped[FOLDER_VERS_MAX + 1];
};

static int
put_change(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	struct put_change *pc = arg;
	const struct folder_entry *cur;
	int rc;

	pc->replaced = 0;
	sodium_memzero(pc->dropped, pc->ndropped * sizeof(pc->dropped[0]));
	pc->ndropped = 0;
	if (folder_find(fo, pc->e.name, &cur) == 0 && cur->type == FOLDER_T_DIR)
		return dz_errf(em, DZ_EEXIST, "'%s' is a folder", pc->path);
	if ((rc = folder_put_version(fo, &pc->e, pc->f->keep, pc->dropped, &pc->ndropped,
	    &pc->replaced, em)) != 0)
		return dz_errf(em, rc, "cannot add '%s' to its folder", pc->path);
	/* the dropped objects are named no more once the folder is written
	 * (a packed version's pack is shared: it stays until compaction) */
	for (size_t i = 0; i < pc->ndropped; i++)
		if (!pc->dropped[i].packed &&
		    (rc = files_jadd(pc->f, pc->dropped[i].id, em)) != 0)
			return rc;
	return 0;
}

int
files_put_begin(void *arg, const uint8_t id[32], struct dz_errmsg *em)
{
	struct files *f = arg;
	struct dz_errmsg jm = {{0}};
	int rc = files_jadd(f, id, &jm);

	if (rc != 0)
		return dz_errf(em, rc, "cannot note the put in the profile (%s); "
		    "nothing was stored", jm.text[0] ? jm.text : dz_strerror(rc));
	return 0;
}

/* Refuse early, before any upload, a put the tree cannot take: a folder
 * at path, or a file on the way to it. The folder read (*fo, *id) is
 * kept for the change after the upload (NULL if it does not exist yet). */
static int
put_precheck(struct files *f, const char *dir, const char *base, const char *path,
    struct folder **fo, uint8_t id[static FOLDER_IDBYTES], struct dz_errmsg *em)
{
	const struct folder_entry *e;
	int rc = tree_walk(f->t, dir, base, 0, fo, id, NULL, em);

	if (rc == DZ_ENOENT) {
		memset(em, 0, sizeof(*em));
		*fo = NULL;
		return 0; /* its folders are made by the put */
	}
	if (rc != 0)
		return rc;
	if (folder_find(*fo, base, &e) == 0 && e->type == FOLDER_T_DIR) {
		folder_free(*fo);
		*fo = NULL;
		return dz_errf(em, DZ_EEXIST, "'%s' is a folder", path);
	}
	return 0;
}

int
files_put(struct files *f, int fd, const char *path, const struct xfer_file *fi,
    const struct xfer_params *pp, uint64_t *size, int *replaced,
    struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1], dir[CATALOG_PATHMAX + 1];
	struct xfer_file xf = *fi;
	struct put_change *pc;
	struct folder *fo = NULL;
	uint8_t fid[FOLDER_IDBYTES];
	struct xfer_params xp = *pp;
	struct store st;
	const char *base;
	int rc;

	*replaced = 0;
	if ((rc = files_path_ok(path, norm, em)) != 0)
		return rc;
	if (norm[0] == '\0')
		return dz_errf(em, DZ_EINVAL, "a file needs a remote name, not the root");
	tree_split(norm, dir, &base);
	if ((rc = put_precheck(f, dir, base, norm, &fo, fid, em)) != 0)
		return rc;
	xf.name = norm;
	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		folder_free(fo);
		return DZ_ENOMEM;
	}
	xp.store_copies = NETSTORE_COPIES; /* within its memory budget */
	xp.begin = files_put_begin;
	xp.begin_arg = f;
	netstore_store(f->ns, &st);
	if ((rc = put_file(&st, f->key, fd, &xf, &xp, pc->e.id, size, em)) != 0) {
		folder_free(fo);
		goto out;
	}
	pc->f = f;
	pc->path = norm;
	pc->e.name = base;
	pc->e.type = FOLDER_T_FILE;
	pc->e.mode = fi->mode & 07777;
	pc->e.mtime_sec = fi->mtime_sec;
	pc->e.mtime_nsec = fi->mtime_nsec < 1000000000u ? fi->mtime_nsec : 0;
	pc->e.size = *size;
	pc->e.stored_sec = (int64_t)time(NULL);
	record_key(f->key, pc->e.id, pc->e.key);
	/* the folder read before the upload, unless it changed meanwhile */
	rc = tree_update_from(f->t, dir, base, 1, fo, fid, put_change, pc, em);
	if (rc != 0) {
		/* the object is stored but no path names it: forget it */
		files_forget(f, pc->e.id);
		goto out;
	}
	files_jdone(f, pc->e.id); /* named now */
	*replaced = pc->replaced;
	for (size_t i = 0; i < pc->ndropped; i++)
		if (!pc->dropped[i].packed)
			files_forget(f, pc->dropped[i].id);
out:
	sodium_memzero(pc, sizeof(*pc));
	free(pc);
	return rc;
}

/* The parameters and store of a fetch: pp's (or the defaults), with the
 * network store's copies counted in the memory budget. */
static void
fetch_setup(struct files *f, const struct xfer_params *pp, struct xfer_params *xp,
    struct store *st)
{
	if (pp != NULL)
		*xp = *pp;
	else
		xfer_params_default(xp);
	xp->store_copies = NETSTORE_COPIES; /* within its memory budget */
	netstore_store(f->ns, st);
}

int
files_fetch(struct files *f, const uint8_t id[static 32], int fd,
    const struct xfer_params *pp, struct dz_errmsg *em)
{
	struct xfer_params xp;
	struct store st;

	fetch_setup(f, pp, &xp, &st);
	return get_file(&st, f->key, id, fd, &xp, NULL, em);
}

int
files_fetch_packed(struct files *f, const uint8_t pack_id[static 32],
    const uint8_t pack_key[static 32], const uint8_t file_key[static 32],
    uint64_t off, uint64_t len, uint64_t size, int fd, const struct xfer_params *pp,
    struct dz_errmsg *em)
{
	struct xfer_params xp;
	struct store st;

	fetch_setup(f, pp, &xp, &st);
	return pack_fetch(&st, pack_key, pack_id, file_key, off, len, size, fd, &xp, em);
}

int
files_fetch_many(struct files *f, const uint8_t pack_id[static 32],
    const uint8_t pack_key[static 32], struct pack_item *items, size_t n,
    const struct xfer_params *pp, struct dz_errmsg *em)
{
	struct xfer_params xp;
	struct store st;

	fetch_setup(f, pp, &xp, &st);
	return pack_fetch_many(&st, pack_key, pack_id, items, n, &xp, em);
}

int
files_get(struct files *f, const char *path, int fd, const struct xfer_params *pp,
    struct cat_entry *out, struct dz_errmsg *em)
{
	return files_get_version(f, path, 0, fd, pp, out, em);
}

int
files_code(struct files *f, const uint8_t id[static 32], unsigned *k,
    unsigned *n, struct dz_errmsg *em)
{
	struct record_hdr *hdr = sodium_malloc(sizeof(*hdr));
	struct store st;
	int rc;

	if (hdr == NULL)
		return DZ_ENOMEM;
	netstore_store(f->ns, &st);
	if ((rc = get_record(&st, f->key, id, hdr, em)) == 0) {
		*k = hdr->k;
		*n = hdr->n;
	}
	sodium_free(hdr); /* wipes the file key */
	return rc;
}
