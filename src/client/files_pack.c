/*
 * files_pack: the account's pack table and compaction (files.h).
 *
 * Every pack put -r stores is listed in the pack table, a hidden folder
 * record (folder.h) that no other folder names, with an id and key
 * derived from the folder sub-key (crypto_kdf, context "dzpacks1"): one
 * entry per pack, named by the pack id in hex, holding its id and size.
 * It is sealed, padded, versioned and checked against the rollback memory
 * like any folder.
 *
 * A removed or replaced packed file leaves its bytes in its pack, since
 * the pack is shared. files_compact walks the whole tree once, counting
 * per pack the bytes that entries (current files and kept versions) still
 * name: a pack nothing names is forgotten; one below half live is
 * rewritten: its live files are copied, each sealed again under a new
 * key, into a new pack, every entry naming them is swapped to it by
 * compare-and-swap (an entry changed meanwhile no longer names the old
 * bytes and is left alone), and the old pack is forgotten only when every
 * entry that named it was swapped (otherwise the next compaction tries
 * again). Design: docs/design-tree.md, "Small files: packing".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "client/files_int.h"
#include "client/pack.h"
#include "core/hex.h"
#include "core/record.h"

#define PTABLE_PATH ".packs"

/* The pack table's id and key (key: 32 bytes of sodium_malloc memory). */
static int
ptable_keys(struct files *f, uint8_t id[static 32], uint8_t *key)
{
	if (crypto_kdf_derive_from_key(id, 32, 1, "dzpacks1", f->key) != 0 ||
	    crypto_kdf_derive_from_key(key, 32, 2, "dzpacks1", f->key) != 0)
		return DZ_ECRYPTO;
	return 0;
}

struct preg {
	const uint8_t *id;
	uint64_t bytes;
	int drop;            /* remove the entry instead */
};

static int
preg_change(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	struct preg *r = arg;
	struct folder_entry e;
	char name[65];

	hex_encode(r->id, 32, name);
	if (r->drop) {
		int rc = folder_remove(fo, name);

		return rc == DZ_ENOENT ? 0 : rc;
	}
	memset(&e, 0, sizeof(e));
	e.name = name;
	e.type = FOLDER_T_FILE;
	e.mode = 0600;
	e.size = r->bytes;
	memcpy(e.id, r->id, 32);
	return folder_put(fo, &e, NULL, em);
}

/* Add (or with drop, remove) pack id of bytes to the table. */
static int
ptable_set(struct files *f, const uint8_t id[static 32], uint64_t bytes, int drop,
    struct dz_errmsg *em)
{
	uint8_t tid[32], *tkey = sodium_malloc(32);
	struct preg r = {id, bytes, drop};
	int rc;

	if (tkey == NULL)
		return DZ_ENOMEM;
	if ((rc = ptable_keys(f, tid, tkey)) == 0)
		rc = tree_update_id(f->t, tid, tkey, PTABLE_PATH, preg_change, &r, em);
	sodium_free(tkey);
	return rc;
}

int
files_pack_register(struct files *f, const uint8_t id[static 32], uint64_t bytes,
    struct dz_errmsg *em)
{
	return ptable_set(f, id, bytes, 0, em);
}

/* One pack of the table and what the tree still names in it. */
struct cpack {
	uint8_t id[32];
	uint64_t bytes, live;
	size_t nrefs;
};

/* One entry (or kept version) naming bytes of a pack. */
struct cref {
	char *path;          /* the file's path */
	size_t pack;         /* index in the packs */
	uint32_t number;     /* its version number (the current one's too) */
	uint64_t off, len, size;
	uint8_t key[32];     /* the file's key; then its new key */
	uint64_t noff, nlen; /* where it went in the new pack */
};

struct compact {
	struct files *f;
	struct cpack *p;
	size_t np;
	struct cref *r;
	size_t nr, capr;
};

static int
cpack_cmp(const void *a, const void *b)
{
	return memcmp(((const struct cpack *)a)->id, ((const struct cpack *)b)->id, 32);
}

static struct cpack *
cpack_find(struct compact *c, const uint8_t id[static 32])
{
	struct cpack k;

	memcpy(k.id, id, 32);
	return c->np > 0 ? bsearch(&k, c->p, c->np, sizeof(k), cpack_cmp) : NULL;
}

static int
cref_add(struct compact *c, const char *path, const uint8_t id[static 32],
    uint32_t number, uint64_t off, uint64_t len, uint64_t size,
    const uint8_t key[static 32])
{
	struct cpack *p = cpack_find(c, id);
	struct cref *r;

	if (p == NULL)
		return 0; /* not in the table (a crash before it was listed) */
	p->live += len;
	p->nrefs++;
	if (c->nr == c->capr) {
		size_t cap = c->capr ? 2 * c->capr : 256;

		/* not realloc: the refs hold keys */
		if ((r = calloc(cap, sizeof(*r))) == NULL)
			return DZ_ENOMEM;
		if (c->r != NULL) {
			memcpy(r, c->r, c->nr * sizeof(*r));
			sodium_memzero(c->r, c->nr * sizeof(*r));
			free(c->r);
		}
		c->r = r;
		c->capr = cap;
	}
	r = &c->r[c->nr];
	if ((r->path = strdup(path)) == NULL)
		return DZ_ENOMEM;
	r->pack = (size_t)(p - c->p);
	r->number = number;
	r->off = off;
	r->len = len;
	r->size = size;
	memcpy(r->key, key, 32);
	c->nr++;
	return 0;
}

/* tree_list's fn: count the packed bytes entry e names. */
static int
compact_count(void *arg, const char *path, const struct folder_entry *e)
{
	struct compact *c = arg;
	int rc = 0;

	if (!folder_is_file(e))
		return 0;
	if (e->type == FOLDER_T_PACKED)
		rc = cref_add(c, path, e->id, folder_ent_number(e), e->pack_off, e->pack_len,
		    e->size, e->key);
	for (size_t i = 0; rc == 0 && i < e->nvers; i++)
		if (e->vers[i].packed)
			rc = cref_add(c, path, e->vers[i].id, e->vers[i].number,
			    e->vers[i].pack_off, e->vers[i].pack_len, e->vers[i].size,
			    e->vers[i].key);
	return rc;
}

/* The changes of one folder: swap the refs r[0..n) (all of this folder,
 * all of pack old) to the new pack. */
struct swap {
	struct cref *r;
	size_t n, swapped;
	const uint8_t *old, *nid, *nkey;
};

static int
swap_change(void *arg, struct folder *fo, struct dz_errmsg *em)
{
	struct swap *sw = arg;
	struct tree_ent te;
	int rc = 0;

	memset(&te, 0, sizeof(te));
	sw->swapped = 0;
	for (size_t i = 0; rc == 0 && i < sw->n; i++) {
		struct cref *r = &sw->r[i];
		const struct folder_entry *cur;
		const char *base = strrchr(r->path, '/');
		int hit = 0;

		base = base != NULL ? base + 1 : r->path;
		if (folder_find(fo, base, &cur) != 0 || !folder_is_file(cur))
			continue; /* gone or changed: it names the old pack no more */
		if ((rc = tree_ent_copy(&te, cur)) != 0)
			break;
		if (te.e.type == FOLDER_T_PACKED && memcmp(te.e.id, sw->old, 32) == 0 &&
		    te.e.pack_off == r->off && folder_ent_number(&te.e) == r->number) {
			memcpy(te.e.id, sw->nid, 32);
			memcpy(te.e.pack_key, sw->nkey, 32);
			memcpy(te.e.key, r->key, 32);
			te.e.pack_off = r->noff;
			te.e.pack_len = r->nlen;
			hit = 1;
		}
		for (size_t v = 0; !hit && v < te.e.nvers; v++) {
			struct folder_version *x = &te.vers[v];

			if (x->packed && memcmp(x->id, sw->old, 32) == 0 && x->pack_off == r->off &&
			    x->number == r->number) {
				memcpy(x->id, sw->nid, 32);
				memcpy(x->pack_key, sw->nkey, 32);
				memcpy(x->key, r->key, 32);
				x->pack_off = r->noff;
				x->pack_len = r->nlen;
				hit = 1;
			}
		}
		if (hit && (rc = folder_replace(fo, &te.e, em)) == 0)
			sw->swapped++;
	}
	tree_ent_clear(&te);
	return rc;
}

static int
cref_path_cmp(const void *a, const void *b)
{
	const struct cref *x = a, *y = b;

	if (x->pack != y->pack)
		return x->pack < y->pack ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* The folder of ref path into dir. */
static void
ref_dir(const char *path, char dir[static CATALOG_PATHMAX + 1])
{
	const char *base;

	tree_split(path, dir, &base);
}

/* Rewrite pack p: its live files (refs r[0..n)) into a new pack, the
 * entries swapped to it; the old one forgotten if every entry was. */
static int
compact_rewrite(struct compact *c, struct cpack *p, struct cref *r, size_t n,
    struct files_compact_stats *st, struct dz_errmsg *em)
{
	struct files *f = c->f;
	struct xfer_params xp;
	struct store s;
	struct pack *np = NULL;
	uint8_t *buf = NULL, *plain = NULL, *okey = sodium_malloc(32), *nkey = sodium_malloc(32);
	uint8_t nid[32];
	size_t swapped = 0;
	uint64_t nbytes;
	int rc, fd = -1;

	if (okey == NULL || nkey == NULL || (buf = malloc(p->bytes ? p->bytes : 1)) == NULL ||
	    (plain = sodium_malloc(PACK_SMALL + 1)) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	xfer_params_default(&xp);
	xp.store_copies = NETSTORE_COPIES;
	netstore_store(f->ns, &s);
	/* the new pack keeps the old one's code */
	if ((rc = files_code(f, p->id, &xp.k, &xp.n, em)) != 0)
		goto out;
	record_key(f->key, p->id, okey);
	if ((rc = get_range(&s, okey, p->id, 0, p->bytes, buf, &xp, em)) != 0 ||
	    (rc = pack_new(0, &np)) != 0)
		goto out;
	if ((fd = memfd_create("dzcompact", MFD_CLOEXEC)) < 0) {
		rc = dz_errf(em, DZ_EIO, "cannot make a memory file");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t got;

		if (r[i].off + r[i].len > p->bytes) {
			rc = dz_errf(em, DZ_EFORMAT, "'%s' lies past the end of its pack", r[i].path);
			goto out;
		}
		if ((rc = pack_open(r[i].key, buf + r[i].off, r[i].len, plain, PACK_SMALL + 1,
		    &got, em)) != 0)
			goto out;
		if (ftruncate(fd, 0) != 0 || pwrite(fd, plain, got, 0) != (ssize_t)got ||
		    lseek(fd, 0, SEEK_SET) != 0) {
			rc = dz_errf(em, DZ_EIO, "cannot write a memory file");
			goto out;
		}
		if ((rc = pack_add(np, fd, got, r[i].key, &r[i].noff, &r[i].nlen, em)) != 0)
			goto out;
	}
	close(fd);
	fd = -1;
	{
		struct xfer_file fi = {.name = "", .mode = 0600};
		uint8_t rk[32];

		if ((rc = pack_fd(np, &fd, em)) != 0 ||
		    (rc = files_store(f, fd, &fi, &xp, nid, rk, &nbytes, em)) != 0)
			goto out;
		memcpy(nkey, rk, 32);
		sodium_memzero(rk, sizeof(rk));
		close(fd);
		fd = -1;
	}
	if ((rc = files_pack_register(f, nid, nbytes, em)) != 0)
		goto out;
	/* folder by folder (r is sorted by path) */
	for (size_t i = 0; i < n;) {
		char dir[CATALOG_PATHMAX + 1], d2[CATALOG_PATHMAX + 1];
		struct swap sw = {&r[i], 0, 0, p->id, nid, nkey};
		const char *base;
		size_t j = i;

		ref_dir(r[i].path, dir);
		while (j < n && (ref_dir(r[j].path, d2), strcmp(d2, dir) == 0))
			j++;
		sw.n = j - i;
		tree_split(r[i].path, d2, &base);
		(void)base; /* every shard: the refs spread over them */
		if ((rc = tree_update(f->t, dir, NULL, 0, swap_change, &sw, em)) != 0 &&
		    rc != DZ_ENOENT)
			goto out;
		rc = 0;
		memset(em, 0, sizeof(*em));
		swapped += sw.swapped;
		i = j;
	}
	files_jdone(f, nid); /* named now (or by nothing: see below) */
	st->rewritten++;
	if (swapped == n) {
		if ((rc = netstore_forget(f->ns, p->id, em)) == 0 || rc == DZ_ENOENT)
			rc = ptable_set(f, p->id, 0, 1, em);
		if (rc == 0)
			st->freed += p->bytes > nbytes ? p->bytes - nbytes : 0;
	}
out:
	if (fd >= 0)
		close(fd);
	pack_free(np);
	free(buf);
	sodium_free(plain);
	sodium_free(okey);
	sodium_free(nkey);
	return rc;
}

int
files_compact(struct files *f, unsigned pct, struct files_compact_stats *st,
    struct dz_errmsg *em)
{
	struct compact c = {0};
	struct folder *tab = NULL;
	uint8_t tid[32], *tkey = sodium_malloc(32);
	size_t cur = 0;
	const struct folder_entry *e;
	int rc;

	memset(st, 0, sizeof(*st));
	c.f = f;
	if (tkey == NULL)
		return DZ_ENOMEM;
	if ((rc = ptable_keys(f, tid, tkey)) != 0 ||
	    (rc = tree_read_id(f->t, tid, tkey, PTABLE_PATH, &tab, em)) != 0)
		goto out;
	if ((c.p = calloc(folder_count(tab) + 1, sizeof(*c.p))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	while (folder_iter(tab, &cur, &e)) {
		memcpy(c.p[c.np].id, e->id, 32);
		c.p[c.np++].bytes = e->size;
	}
	st->packs = c.np;
	if (c.np == 0)
		goto out;
	qsort(c.p, c.np, sizeof(*c.p), cpack_cmp);
	if ((rc = tree_list(f->t, "", 1, compact_count, &c, em)) != 0)
		goto out;
	if (c.nr > 0)
		qsort(c.r, c.nr, sizeof(*c.r), cref_path_cmp);
	for (size_t i = 0, k = 0; i < c.np; i++) {
		struct cpack *p = &c.p[i];
		size_t first = k;

		while (k < c.nr && c.r[k].pack == i)
			k++;
		st->live += p->live;
		st->bytes += p->bytes;
		if (p->nrefs == 0) {
			/* nothing names it: gone */
			if ((rc = netstore_forget(f->ns, p->id, em)) != 0 && rc != DZ_ENOENT)
				goto out;
			if ((rc = ptable_set(f, p->id, 0, 1, em)) != 0)
				goto out;
			st->removed++;
			st->freed += p->bytes;
		} else if (p->live * 100 < (uint64_t)pct * p->bytes &&
		    (rc = compact_rewrite(&c, p, &c.r[first], k - first, st, em)) != 0)
			goto out;
	}
out:
	for (size_t i = 0; i < c.nr; i++)
		free(c.r[i].path);
	if (c.r != NULL)
		sodium_memzero(c.r, c.nr * sizeof(*c.r));
	free(c.r);
	free(c.p);
	folder_free(tab);
	sodium_free(tkey);
	return rc;
}
