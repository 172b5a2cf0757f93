/*
 * files: put, get, list and remove by remote path (files.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/files.h"
#include "client/pending.h"

/* Attempts at a catalog update before giving up (each lost one means
 * another client changed the tree in between). */
#define FILES_CAS_TRIES 16

struct files {
	struct netstore *ns;
	uint8_t *keys;                /* sodium_malloc: folder key | catalog key */
	uint8_t cat_id[CATALOG_IDBYTES];
	char pending[PATH_MAX];       /* the journal (pending.h); "": none */
};

#define FOLDER_KEY(f) ((f)->keys)
#define CAT_KEY(f) ((f)->keys + 32)

int
files_open(struct netstore *ns, const uint8_t mk[static MKEY_BYTES],
    struct files **out, struct dz_errmsg *em)
{
	struct files *f;
	int rc;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return DZ_ENOMEM;
	if ((f->keys = sodium_malloc(64)) == NULL) {
		free(f);
		return DZ_ENOMEM;
	}
	f->ns = ns;
	if ((rc = mkey_derive(mk, MKEY_SUB_FOLDER, FOLDER_KEY(f))) != 0 ||
	    (rc = catalog_keys(FOLDER_KEY(f), f->cat_id, CAT_KEY(f))) != 0) {
		files_close(f);
		return dz_errf(em, rc, "cannot derive the folder keys");
	}
	*out = f;
	return 0;
}

void
files_close(struct files *f)
{
	if (f == NULL)
		return;
	sodium_free(f->keys); /* wipes */
	free(f);
}

/* Load the catalog and its version (none yet: empty, version 0). */
static int
cat_load(struct files *f, struct catalog *c, struct dz_errmsg *em)
{
	uint8_t *blob;
	size_t len;
	uint64_t v;
	int rc;

	catalog_clear(c);
	c->version = 0;
	rc = netstore_rec_get(f->ns, f->cat_id, &blob, &len, &v, em);
	if (rc == DZ_ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	rc = catalog_decode(blob, len, CAT_KEY(f), f->cat_id, c, em);
	free(blob);
	if (rc == 0)
		c->version = v;
	return rc;
}

/* Save c if nobody changed it since it was loaded: 0 or DZ_ECONFLICT. */
static int
cat_save(struct files *f, struct catalog *c, struct dz_errmsg *em)
{
	uint8_t *blob;
	size_t len;
	uint64_t v;
	int rc;

	if ((rc = catalog_encode(c, CAT_KEY(f), f->cat_id, &blob, &len, em)) != 0)
		return rc;
	rc = netstore_rec_put(f->ns, f->cat_id, c->version, blob, len, &v, em);
	free(blob);
	if (rc == 0)
		c->version = v;
	return rc;
}

int
files_list(struct files *f, struct catalog *c, struct dz_errmsg *em)
{
	memset(c, 0, sizeof(*c));
	return cat_load(f, c, em);
}

/* A file at path would clash with a folder of that name, or sit under a
 * name that is a file. */
static int
path_clash(const struct catalog *c, const char *path, struct dz_errmsg *em)
{
	size_t n = strlen(path);
	char pre[CATALOG_PATHMAX + 1];

	for (size_t i = 0; i < c->n; i++) {
		const char *p = c->e[i].path;

		if (strncmp(p, path, n) == 0 && p[n] == '/')
			return dz_errf(em, DZ_EEXIST, "'%s' is a folder (it holds '%s')", path, p);
	}
	for (size_t i = 0; i < n; i++) {
		if (path[i] != '/')
			continue;
		memcpy(pre, path, i);
		pre[i] = '\0';
		if (catalog_find(c, pre) != NULL)
			return dz_errf(em, DZ_EEXIST, "'%s' is a file, not a folder", pre);
	}
	return 0;
}

/* Journal id (pending.h) before a step that a crash could leave it
 * behind in; without a journal (files_journal not called) nothing. */
static int
journal(struct files *f, const uint8_t id[static 32], struct dz_errmsg *em)
{
	return f->pending[0] != '\0' ? pending_add(f->pending, id, em) : 0;
}

/* The step is done: id's entry goes. Best effort: an entry left behind
 * is looked up and dropped by a later command. */
static void
unjournal(struct files *f, const uint8_t id[static 32])
{
	if (f->pending[0] != '\0' && pending_remove(f->pending, id, NULL) != 0) {
		/* kept: handled as an orphan once this process ended */
	}
}

/* Forget an object no path names any more, then its journal entry.
 * Best effort: what fails here only costs space until the next command
 * finds the entry, and the command's outcome does not depend on it. */
static void
forget_quietly(struct files *f, const uint8_t id[static 32])
{
	if (netstore_forget(f->ns, id, NULL) == 0)
		unjournal(f, id);
}

/*
 * Apply change(arg, c) to the file tree and save it; when another client
 * saved in between, load the tree again and redo the change. The change
 * sees a freshly loaded tree each time (the first time: c as given,
 * loaded by the caller if loaded is set) and returns 0 or an error that
 * ends the update.
 */
static int
cat_update(struct files *f, struct catalog *c, int loaded,
    int (*change)(void *arg, struct catalog *c, struct dz_errmsg *em), void *arg,
    struct dz_errmsg *em)
{
	int rc;

	for (int tries = 0;; tries++) {
		if (!(tries == 0 && loaded) && (rc = cat_load(f, c, em)) != 0)
			return rc;
		if ((rc = change(arg, c, em)) != 0)
			return rc;
		if ((rc = cat_save(f, c, em)) != DZ_ECONFLICT)
			return rc;
		if (tries + 1 >= FILES_CAS_TRIES)
			return dz_errf(em, DZ_ECONFLICT, "the file tree kept changing; try again");
	}
}

/* The change a put makes: point path at the new object. */
struct put_change {
	struct files *f;
	const struct cat_entry *e;
	int replaced;
	uint8_t old[32];
};

static int
put_change(void *arg, struct catalog *c, struct dz_errmsg *em)
{
	struct put_change *pc = arg;
	int rc;

	if ((rc = path_clash(c, pc->e->path, em)) != 0)
		return rc;
	if ((rc = catalog_set(c, pc->e, &pc->replaced, pc->old)) != 0)
		return dz_errf(em, rc, "cannot add '%s' to the file tree", pc->e->path);
	/* the replaced object is named no more once the tree is saved */
	return pc->replaced ? journal(pc->f, pc->old, em) : 0;
}

/* The change an rm makes. */
struct rm_change {
	struct files *f;
	const char *path;
	uint8_t old[32];
};

static int
rm_change(void *arg, struct catalog *c, struct dz_errmsg *em)
{
	struct rm_change *rm = arg;

	if (catalog_remove(c, rm->path, rm->old) != 0)
		return dz_errf(em, DZ_ENOENT, "no file '%s'", rm->path);
	return journal(rm->f, rm->old, em);
}

/* xfer_params.begin: journal the new object before it is stored. */
static int
put_begin(void *arg, const uint8_t id[32], struct dz_errmsg *em)
{
	struct files *f = arg;
	struct dz_errmsg jm = {{0}};
	int rc = journal(f, id, &jm);

	if (rc != 0)
		return dz_errf(em, rc, "cannot note the put in the profile (%s); "
		    "nothing was stored", jm.text[0] ? jm.text : dz_strerror(rc));
	return 0;
}

/* Whether the tree names object id. */
static int
named(const struct catalog *c, const uint8_t id[static 32])
{
	for (size_t i = 0; i < c->n; i++)
		if (sodium_memcmp(c->e[i].id, id, 32) == 0)
			return 1;
	return 0;
}

int
files_journal(struct files *f, const char *path, unsigned *cleaned,
    struct dz_errmsg *em)
{
	struct pending_ent *o = NULL;
	struct catalog c = {0};
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
	if ((rc = pending_orphans(path, o, PENDING_MAX, &n, em)) != 0 || n == 0 ||
	    (rc = cat_load(f, &c, em)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		/* named: the command got as far as the tree; not named: it
		 * did not, or the tree moved on without it: forget it */
		if (!named(&c, o[i].id) && netstore_forget(f->ns, o[i].id, NULL) != 0)
			continue; /* kept for the next command */
		if ((rc = pending_drop(path, &o[i], em)) != 0)
			goto out;
		if (!named(&c, o[i].id))
			(*cleaned)++;
	}
out:
	catalog_free(&c);
	free(o);
	return rc;
}

int
files_put(struct files *f, int fd, const char *path, const struct xfer_file *fi,
    const struct xfer_params *pp, uint64_t *size, int *replaced,
    struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1];
	struct catalog c = {0};
	struct cat_entry e;
	struct xfer_file xf = *fi;
	struct put_change pc;
	int rc;

	*replaced = 0;
	if ((rc = catalog_path(path, norm, em)) != 0)
		return rc;
	if (norm[0] == '\0')
		return dz_errf(em, DZ_EINVAL, "a file needs a remote name, not the root");
	/* a name no file system takes could never be written back by a get */
	for (const char *comp = norm, *sl; *comp != '\0'; comp = *sl ? sl + 1 : sl) {
		if ((sl = strchr(comp, '/')) == NULL)
			sl = comp + strlen(comp);
		if (sl - comp > CATALOG_NAMEMAX)
			return dz_errf(em, DZ_EINVAL, "a remote path component is longer "
			    "than %d bytes (no file system could take it back): '%.*s...'",
			    CATALOG_NAMEMAX, 40, comp);
	}
	/* refuse early what the tree cannot take, before any upload */
	if ((rc = cat_load(f, &c, em)) != 0 || (rc = path_clash(&c, norm, em)) != 0)
		goto out;
	xf.name = norm;
	memset(&e, 0, sizeof(e));
	{
		struct store st;

		struct xfer_params xp = *pp;

		xp.store_copies = NETSTORE_COPIES; /* within its memory budget */
		xp.begin = put_begin;
		xp.begin_arg = f;
		netstore_store(f->ns, &st);
		if ((rc = put_file(&st, FOLDER_KEY(f), fd, &xf, &xp, e.id, size, em)) != 0)
			goto out;
	}
	e.path = norm;
	e.size = *size;
	pc.f = f;
	e.mtime = fi->mtime_sec;
	e.mode = fi->mode;
	pc.e = &e;
	if ((rc = cat_update(f, &c, 1, put_change, &pc, em)) != 0) {
		/* the object is stored but no path names it: forget it */
		forget_quietly(f, e.id);
		goto out;
	}
	unjournal(f, e.id); /* named now */
	*replaced = pc.replaced;
	if (pc.replaced)
		forget_quietly(f, pc.old);
out:
	catalog_free(&c);
	return rc;
}

int
files_get(struct files *f, const char *path, int fd, const struct xfer_params *pp,
    struct cat_entry *out, struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1];
	struct catalog c = {0};
	const struct cat_entry *e;
	struct record_hdr *hdr;
	struct xfer_params xp;
	struct store st;
	int rc;

	if ((rc = catalog_path(path, norm, em)) != 0)
		return rc;
	if ((rc = cat_load(f, &c, em)) != 0)
		goto out;
	if ((e = catalog_find(&c, norm)) == NULL) {
		rc = dz_errf(em, DZ_ENOENT, "no file '%s'", norm);
		goto out;
	}
	if ((hdr = sodium_malloc(sizeof(*hdr))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if (pp != NULL)
		xp = *pp;
	else
		xfer_params_default(&xp);
	xp.store_copies = NETSTORE_COPIES; /* within its memory budget */
	netstore_store(f->ns, &st);
	rc = get_file(&st, FOLDER_KEY(f), e->id, fd, &xp, hdr, em);
	if (rc == 0 && out != NULL) {
		*out = *e;
		out->path = NULL;
		/* the record's nanoseconds, when it agrees with the catalog */
		out->mtime_nsec = hdr->mtime_sec == e->mtime ? hdr->mtime_nsec : 0;
	}
	sodium_free(hdr); /* wipes the file key */
out:
	catalog_free(&c);
	return rc;
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
	if ((rc = get_record(&st, FOLDER_KEY(f), id, hdr, em)) == 0) {
		*k = hdr->k;
		*n = hdr->n;
	}
	sodium_free(hdr); /* wipes the file key */
	return rc;
}

int
files_rm(struct files *f, const char *path, struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1];
	struct catalog c = {0};
	struct rm_change rm;
	int rc;

	if ((rc = catalog_path(path, norm, em)) != 0)
		return rc;
	rm.f = f;
	rm.path = norm;
	rc = cat_update(f, &c, 0, rm_change, &rm, em);
	if (rc == 0 && (rc = netstore_forget(f->ns, rm.old, em)) == 0)
		unjournal(f, rm.old);
	catalog_free(&c);
	return rc;
}
