/*
 * files_batch: many entries named in one folder by one change, for
 * put -r (files.h). Uploading a tree file by file would rewrite the
 * folder's record once per file (a 90 KB shard each, in a big folder) and
 * journal each object twice; a batch uploads a folder's files first
 * (files_store: each journaled before it is stored, as a put does), then
 * names them all with one compare-and-swap (redone on a lost one, the
 * whole batch applied again to the fresh folder), then clears them from
 * the journal in one rewrite and forgets what they replaced.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/files_int.h"
#include "client/pending.h"
#include "core/record.h"

struct bent {
	struct tree_ent te;
	int fresh;       /* DIR: its record was made for this batch */
	int inpack;      /* PACKED: in the pack being built (no id yet) */
	int outcome;     /* 0 named, 1 refused (a folder is there), 2 kept
	                  * theirs (a folder of that name appeared meanwhile) */
};

struct files_batch {
	struct bent **e;              /* each its own block: a tree_ent points
	                               * into itself and holds keys, so it is
	                               * never moved (nor left behind by realloc) */
	size_t n, cap;
	uint8_t (*drop)[32];          /* objects to forget once named */
	size_t ndrop, capdrop;
	struct folder_version *dv;    /* scratch for folder_put_version */
	struct files *f;
	const char *dir;
	void (*refused)(void *arg, const char *dir, const char *name);
	void *arg;
};

int
files_batch_new(struct files_batch **out)
{
	struct files_batch *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (b == NULL)
		return DZ_ENOMEM;
	if ((b->dv = sodium_malloc((FOLDER_VERS_MAX + 1) * sizeof(*b->dv))) == NULL) {
		free(b);
		return DZ_ENOMEM;
	}
	*out = b;
	return 0;
}

/* Empty b (the entries' keys wiped). */
static void
batch_clear(struct files_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		tree_ent_clear(&b->e[i]->te);
		free(b->e[i]);
	}
	b->n = 0;
	b->ndrop = 0;
}

void
files_batch_free(struct files_batch *b)
{
	if (b == NULL)
		return;
	batch_clear(b);
	free(b->e);
	free(b->drop);
	sodium_free(b->dv);
	free(b);
}

size_t
files_batch_count(const struct files_batch *b)
{
	return b->n;
}

int
files_batch_add(struct files_batch *b, const struct folder_entry *e, int flags)
{
	struct bent *x;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct bent **v = realloc(b->e, cap * sizeof(*v));

		if (v == NULL)
			return DZ_ENOMEM;
		b->e = v;
		b->cap = cap;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return DZ_ENOMEM;
	if (tree_ent_copy(&x->te, e) != 0) {
		free(x);
		return DZ_ENOMEM;
	}
	x->fresh = (flags & FILES_BATCH_FRESH) != 0;
	x->inpack = (flags & FILES_BATCH_INPACK) != 0;
	b->e[b->n++] = x;
	return 0;
}

void
files_batch_set_pack(struct files_batch *b, const uint8_t id[static 32],
    const uint8_t pack_key[static 32])
{
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i]->inpack) {
			memcpy(b->e[i]->te.e.id, id, 32);
			memcpy(b->e[i]->te.e.pack_key, pack_key, 32);
			b->e[i]->inpack = 0;
		}
}

static int
drop_add(struct files_batch *b, const uint8_t id[static 32])
{
	return files_ids_push(&b->drop, &b->ndrop, &b->capdrop, id);
}

/* A folder entry replacing a file: the file's objects go. */
static int
drop_file(struct files_batch *b, const struct folder_entry *cur)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < files_nobjs(cur); i++)
		rc = drop_add(b, files_obj(cur, i));
	return rc;
}

/* Name every entry of b in folder fo (the change, redone on a lost swap). */
static int
batch_change(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	struct files_batch *b = arg;
	int rc = 0;

	b->ndrop = 0;
	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		struct bent *x = b->e[i];
		const struct folder_entry *cur = NULL;
		size_t nd = 0;
		int replaced;

		x->outcome = 0;
		if (folder_find(fo, x->te.e.name, &cur) != 0)
			cur = NULL;
		if (x->te.e.type == FOLDER_T_DIR) {
			if (cur != NULL && cur->type == FOLDER_T_DIR) {
				struct folder_entry ne = *cur;

				x->outcome = memcmp(cur->id, x->te.e.id, 32) != 0 ? 2 : 0;
				if (cur->mode == x->te.e.mode && cur->mtime_sec == x->te.e.mtime_sec &&
				    cur->mtime_nsec == x->te.e.mtime_nsec)
					continue;
				ne.mode = x->te.e.mode;
				ne.mtime_sec = x->te.e.mtime_sec;
				ne.mtime_nsec = x->te.e.mtime_nsec;
				rc = folder_replace(fo, &ne, em);
				continue;
			}
			if (cur != NULL && folder_is_file(cur) && (rc = drop_file(b, cur)) != 0)
				break;
			rc = folder_put(fo, &x->te.e, NULL, em);
			continue;
		}
		if (cur != NULL && cur->type == FOLDER_T_DIR) {
			x->outcome = 1; /* never a folder replaced by a file */
			continue;
		}
		rc = folder_put_version(fo, &x->te.e, b->f->keep, b->dv, &nd, &replaced, em);
		for (size_t k = 0; rc == 0 && k < nd; k++)
			if (!b->dv[k].packed) /* a pack is shared */
				rc = drop_add(b, b->dv[k].id);
		sodium_memzero(b->dv, nd * sizeof(*b->dv));
	}
	return rc;
}

int
files_batch_flush(struct files *f, struct files_batch *b, const char *dir,
    void (*refused)(void *arg, const char *dir, const char *name), void *arg,
    struct dz_errmsg *em)
{
	uint8_t (*named)[32] = NULL;
	size_t nn = 0;
	uint64_t v;
	int rc;

	if (b->n == 0)
		return 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i]->inpack)
			return dz_errf(em, DZ_EINVAL, "a packed file named before its pack "
			    "was stored (a bug)");
	b->f = f;
	rc = tree_update(f->t, dir, NULL, 1, batch_change, b, em);
	if (rc == 0 && (named = calloc(b->n, 32)) == NULL)
		rc = DZ_ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		struct bent *x = b->e[i];

		if (x->te.e.type == FOLDER_T_FILE || x->te.e.type == FOLDER_T_PACKED) {
			if (rc == 0 && x->outcome == 0)
				memcpy(named[nn++], x->te.e.id, 32);
			else if (x->te.e.type == FOLDER_T_FILE)
				files_forget(f, x->te.e.id); /* stored, not named */
			/* a pack no entry names stays journaled: the next
			 * command forgets it */
		} else if (x->te.e.type == FOLDER_T_DIR && x->fresh &&
		    (rc != 0 || x->outcome == 2) &&
		    netstore_rec_del(f->ns, x->te.e.id, 1, &v, NULL) != 0) {
			/* an unnamed empty record: costs its size only */
		}
		if (rc == 0 && x->outcome == 1 && refused != NULL)
			refused(arg, dir, x->te.e.name);
	}
	if (rc == 0) {
		if (f->pending[0] != '\0' &&
		    pending_remove_many(f->pending, (const uint8_t (*)[32])named, nn,
		    NULL) != 0) {
			/* kept: handled as orphans (named, so kept) later */
		}
		for (size_t i = 0; i < b->ndrop; i++)
			files_forget(f, b->drop[i]);
	}
	free(named);
	batch_clear(b);
	return rc;
}

int
files_store(struct files *f, int fd, const struct xfer_file *fi,
    const struct xfer_params *pp, uint8_t id[static 32], uint8_t key[static 32],
    uint64_t *size, struct dz_errmsg *em)
{
	struct xfer_params xp = *pp;
	struct store st;
	int rc;

	xp.store_copies = NETSTORE_COPIES;
	xp.begin = files_put_begin;
	xp.begin_arg = f;
	netstore_store(f->ns, &st);
	if ((rc = put_file(&st, f->key, fd, fi, &xp, id, size, em)) == 0)
		record_key(f->key, id, key);
	return rc;
}
