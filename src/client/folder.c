/*
 * folder: entries, shards and splits of one folder (folder.h); the byte
 * format is in folder_seal.c.
 *
 * Each record's entries are a sorted array searched by bisection: a shard
 * holds at most FOLDER_SHARD_ENTRIES, so an insertion moves at most a
 * thousand entries. The directory (extendible hashing) maps the low
 * gdepth bits of a name's keyed hash to the shard holding it; a shard of
 * depth d < gdepth fills 2^(gdepth - d) slots. Arrays that hold keys are
 * never realloc'd (the old block would keep the keys): they grow by
 * copy, wipe and free.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/catalog.h"
#include "client/folder_int.h"
#include "core/cursor.h"

#define ROOT_CTX "dzroot01"
#define FOLDER_CTX "dzfoldr1"
#define SHARD_TAG "drizzle folder shard v1"

int
folder_root_keys(const uint8_t folder_subkey[static 32],
    uint8_t id[static FOLDER_IDBYTES], uint8_t key[static FOLDER_KEYBYTES])
{
	if (crypto_kdf_derive_from_key(key, FOLDER_KEYBYTES, 1, ROOT_CTX, folder_subkey) != 0 ||
	    crypto_kdf_derive_from_key(id, FOLDER_IDBYTES, 2, ROOT_CTX, folder_subkey) != 0)
		return DZ_ECRYPTO;
	return 0;
}

void
folder_fresh_keys(uint8_t id[static FOLDER_IDBYTES], uint8_t key[static FOLDER_KEYBYTES])
{
	randombytes_buf(id, FOLDER_IDBYTES);
	randombytes_buf(key, FOLDER_KEYBYTES);
}

int
folder_name_ok(const char *name, struct dz_errmsg *em)
{
	char norm[CATALOG_PATHMAX + 1];
	size_t len = strlen(name);

	if (len == 0 || len > FOLDER_NAMEMAX)
		return dz_errf(em, DZ_EINVAL, "a name must have 1 to %d bytes",
		    FOLDER_NAMEMAX);
	if (strchr(name, '/') != NULL)
		return dz_errf(em, DZ_EINVAL, "a name cannot hold '/'");
	/* the remote-path rules for one component: UTF-8, no control
	 * character, not "." or ".." */
	if (catalog_path(name, norm, em) != 0)
		return DZ_EINVAL;
	return 0;
}

int
folder_is_file(const struct folder_entry *e)
{
	return e->type == FOLDER_T_FILE || e->type == FOLDER_T_PACKED;
}

int
folder_pack_check(const char *name, uint64_t size, uint64_t off, uint64_t len,
    struct dz_errmsg *em)
{
	/* size <= INT64_MAX is checked first: size + overhead cannot wrap */
	if (size > (uint64_t)INT64_MAX || len != size + FOLDER_PACK_OVERHEAD ||
	    len > FOLDER_PACK_MAXOFF || off > FOLDER_PACK_MAXOFF - len)
		return dz_errf(em, DZ_EINVAL, "'%s': its place in the pack is out of range",
		    name);
	return 0;
}

int
folder_ent_check(const struct folder_entry *e, struct dz_errmsg *em)
{
	int rc;

	if (e->name == NULL)
		return dz_errf(em, DZ_EINVAL, "an entry needs a name");
	if ((rc = folder_name_ok(e->name, em)) != 0)
		return rc;
	if (e->mode & ~07777u)
		return dz_errf(em, DZ_EINVAL, "'%s': mode %o has more than permission bits",
		    e->name, e->mode);
	if (e->mtime_nsec >= 1000000000u)
		return dz_errf(em, DZ_EINVAL, "'%s': nanoseconds out of range", e->name);
	if (e->size > (uint64_t)INT64_MAX)
		return dz_errf(em, DZ_EINVAL, "'%s': size out of range", e->name);
	if ((rc = folder_vers_check(e, em)) != 0)
		return rc;
	if (e->type != FOLDER_T_PACKED &&
	    (e->pack_off != 0 || e->pack_len != 0 || !sodium_is_zero(e->pack_key,
	    FOLDER_KEYBYTES)))
		return dz_errf(em, DZ_EINVAL, "'%s': only a packed file has a pack", e->name);
	switch (e->type) {
	case FOLDER_T_PACKED:
		if ((rc = folder_pack_check(e->name, e->size, e->pack_off, e->pack_len,
		    em)) != 0)
			return rc;
		/* fall through */
	case FOLDER_T_FILE:
	case FOLDER_T_DIR:
		if (e->target != NULL)
			return dz_errf(em, DZ_EINVAL, "'%s': only a link has a target", e->name);
		return 0;
	case FOLDER_T_LINK:
		if (e->target == NULL || e->target[0] == '\0' ||
		    strlen(e->target) > FOLDER_LINKMAX)
			return dz_errf(em, DZ_EINVAL,
			    "'%s': a link target must have 1 to %d bytes", e->name,
			    FOLDER_LINKMAX);
		return 0;
	}
	return dz_errf(em, DZ_EINVAL, "'%s': entry type %u cannot be stored", e->name,
	    e->type);
}

static void ent_drop(struct folder_entry *e);

int
folder_alloc(const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], struct folder **out)
{
	struct folder *f;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return DZ_ENOMEM;
	if ((f->keys = sodium_malloc(FKEY_ALL)) == NULL ||
	    (f->sh = calloc(1, sizeof(*f->sh))) == NULL ||
	    (f->dir = calloc(1, sizeof(*f->dir))) == NULL) {
		folder_free(f);
		return DZ_ENOMEM;
	}
	f->nsh = 1;
	memcpy(f->id, id, FOLDER_IDBYTES);
	memcpy(FKEY_FOLDER(f), key, FOLDER_KEYBYTES);
	for (uint64_t i = 1; i <= 3; i++)
		if (crypto_kdf_derive_from_key(f->keys + 32 * i, 32, i, FOLDER_CTX, key) != 0) {
			folder_free(f);
			return DZ_ECRYPTO;
		}
	*out = f;
	return 0;
}

int
folder_new(const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], struct folder **out)
{
	int rc;

	if ((rc = folder_alloc(id, key, out)) != 0)
		return rc;
	(*out)->sh[0].loaded = 1;
	(*out)->sh[0].dirty = 1; /* a new folder's record is still to write */
	return 0;
}

void
folder_shard_clear(struct fshard *s)
{
	for (size_t i = 0; i < s->n; i++)
		ent_drop(&s->e[i]);
	sodium_memzero(s->e, s->cap * sizeof(*s->e));
	free(s->e);
	s->e = NULL;
	s->n = s->cap = 0;
	s->bytes = 0;
}

void
folder_free(struct folder *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; f->sh != NULL && i < f->nsh; i++)
		folder_shard_clear(&f->sh[i]);
	free(f->sh);
	free(f->dir);
	folder_blobs_free(f->pend, f->npend);
	sodium_free(f->keys); /* wipes */
	free(f);
}

uint64_t
folder_version(const struct folder *f)
{
	return f->version;
}

size_t
folder_count(const struct folder *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nsh; i++)
		n += f->sh[i].n;
	return n;
}

int
folder_is_sharded(const struct folder *f)
{
	return f->sharded;
}

size_t
folder_nshards(const struct folder *f)
{
	return f->sharded ? f->nsh : 0;
}

int
folder_shard_info(const struct folder *f, size_t i, uint8_t id[FOLDER_IDBYTES],
    uint64_t *version, int *loaded)
{
	if (!f->sharded || i >= f->nsh)
		return DZ_ERANGE;
	if (id != NULL)
		memcpy(id, f->sh[i].id, FOLDER_IDBYTES);
	if (version != NULL)
		*version = f->sh[i].version;
	if (loaded != NULL)
		*loaded = f->sh[i].loaded;
	return 0;
}

uint64_t
folder_hash(const struct folder *f, const char *name, size_t len)
{
	uint8_t h[crypto_generichash_BYTES_MIN];

	crypto_generichash(h, sizeof(h), (const uint8_t *)name, len, FKEY_HASH(f), 32);
	return le64_get(h);
}

void
folder_shard_id(const struct folder *f, uint32_t number, uint64_t gen,
    uint8_t out[static FOLDER_IDBYTES])
{
	crypto_generichash_state st;
	uint8_t nb[12];

	le32_put(nb, number);
	le64_put(nb + 4, gen);
	crypto_generichash_init(&st, FKEY_SHARDID(f), 32, FOLDER_IDBYTES);
	crypto_generichash_update(&st, (const uint8_t *)SHARD_TAG, sizeof(SHARD_TAG) - 1);
	crypto_generichash_update(&st, f->id, FOLDER_IDBYTES);
	crypto_generichash_update(&st, nb, sizeof(nb));
	crypto_generichash_final(&st, out, FOLDER_IDBYTES);
}

size_t
folder_shard_of(const struct folder *f, const char *name)
{
	if (!f->sharded)
		return 0;
	return f->dir[folder_hash(f, name, strlen(name)) & ((1u << f->gdepth) - 1)];
}

size_t
folder_ent_bytes(const struct folder_entry *e)
{
	size_t n = FENT_FIXED + strlen(e->name) + 1; /* and the ext byte */

	if (e->number != 0 || e->stored_sec != 0)
		n += FENT_NUMBYTES;
	if (e->nvers > 0)
		n += 1 + (size_t)e->nvers * FVER_BYTES;
	for (uint16_t i = 0; i < e->nvers; i++)
		if (e->vers[i].packed)
			n += 1 + FPACK_BYTES; /* its kind byte (bit 2: all have one) */
		else if (folder_vers_packed(e))
			n++;
	if (e->type == FOLDER_T_LINK)
		return n + 2 + strlen(e->target);
	if (e->type == FOLDER_T_PACKED)
		n += FPACK_BYTES;
	return n + FOLDER_IDBYTES + FOLDER_KEYBYTES;
}

/* Make room for one more entry in s: grow by copy, wipe and free. */
static int
shard_reserve(struct fshard *s)
{
	struct folder_entry *ne;
	size_t cap;

	if (s->n < s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 16;
	if ((ne = calloc(cap, sizeof(*ne))) == NULL)
		return DZ_ENOMEM;
	if (s->n > 0)
		memcpy(ne, s->e, s->n * sizeof(*ne));
	sodium_memzero(s->e, s->cap * sizeof(*s->e));
	free(s->e);
	s->e = ne;
	s->cap = cap;
	return 0;
}

/* A copy of e with name and target in one owned block, the versions
 * (which hold keys) in another. */
static int
ent_copy(const struct folder_entry *e, struct folder_entry *out)
{
	size_t nl = strlen(e->name), tl = e->target ? strlen(e->target) + 1 : 0;
	struct folder_version *v = NULL;
	char *blk;

	if ((blk = malloc(nl + 1 + tl)) == NULL)
		return DZ_ENOMEM;
	if (e->nvers > 0) {
		if ((v = malloc(e->nvers * sizeof(*v))) == NULL) {
			free(blk);
			return DZ_ENOMEM;
		}
		memcpy(v, e->vers, e->nvers * sizeof(*v));
	}
	memcpy(blk, e->name, nl + 1);
	*out = *e;
	out->name = blk;
	out->vers = v;
	out->target = NULL;
	if (tl > 0) {
		memcpy(blk + nl + 1, e->target, tl);
		out->target = blk + nl + 1;
	}
	return 0;
}

int
folder_push(struct fshard *s, const struct folder_entry *e)
{
	int rc;

	if ((rc = shard_reserve(s)) != 0 || (rc = ent_copy(e, &s->e[s->n])) != 0)
		return rc;
	s->bytes += folder_ent_bytes(e);
	s->n++;
	return 0;
}

/* Index of name in s, or of where it would go (*found = 0). */
static size_t
shard_search(const struct fshard *s, const char *name, int *found)
{
	size_t lo = 0, hi = s->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(s->e[mid].name, name);

		if (d == 0) {
			*found = 1;
			return mid;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The shard of name and name's index in it: 0, DZ_ENOENT (*i is where
 * it would go), DZ_EINVAL if the shard is not loaded. */
static int
locate(const struct folder *f, const char *name, size_t *si, size_t *i)
{
	const struct fshard *s = &f->sh[*si = folder_shard_of(f, name)];
	int found;

	if (!s->loaded)
		return DZ_EINVAL;
	*i = shard_search(s, name, &found);
	return found ? 0 : DZ_ENOENT;
}

/* Free what an entry owns and wipe its keys. */
static void
ent_drop(struct folder_entry *e)
{
	free((void *)e->name); /* name and target: one block */
	sodium_memzero(e->key, FOLDER_KEYBYTES);
	sodium_memzero(e->pack_key, FOLDER_KEYBYTES);
	if (e->vers != NULL) {
		sodium_memzero((void *)e->vers, e->nvers * sizeof(*e->vers));
		free((void *)e->vers);
	}
	e->vers = NULL;
	e->nvers = 0;
}

int
folder_find(const struct folder *f, const char *name, const struct folder_entry **out)
{
	size_t si, i;
	int rc;

	*out = NULL;
	if ((rc = locate(f, name, &si, &i)) == 0)
		*out = &f->sh[si].e[i];
	return rc;
}

int
folder_put(struct folder *f, const struct folder_entry *e, int *replaced,
    struct dz_errmsg *em)
{
	struct folder_entry ne;
	struct fshard *s;
	size_t si, i;
	int found, rc;

	if (replaced != NULL)
		*replaced = 0;
	if ((rc = folder_ent_check(e, em)) != 0)
		return rc;
	if ((rc = locate(f, e->name, &si, &i)) == DZ_EINVAL)
		return dz_errf(em, DZ_EINVAL, "'%s': its shard is not loaded", e->name);
	if (f->sh[si].frozen) {
		/* finish the split a writer began before changing anything */
		if ((rc = folder_thaw(f, si, em)) != 0)
			return rc;
		rc = locate(f, e->name, &si, &i);
	}
	found = rc == 0;
	s = &f->sh[si];
	if ((rc = ent_copy(e, &ne)) != 0)
		return rc;
	if (found) {
		s->bytes -= folder_ent_bytes(&s->e[i]);
		ent_drop(&s->e[i]);
		s->e[i] = ne;
	} else {
		if ((rc = shard_reserve(s)) != 0) {
			ent_drop(&ne);
			sodium_memzero(&ne, sizeof(ne));
			return rc;
		}
		memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(*s->e));
		s->e[i] = ne;
		s->n++;
	}
	s->bytes += folder_ent_bytes(&ne);
	s->dirty = 1;
	sodium_memzero(&ne, sizeof(ne));
	if (replaced != NULL)
		*replaced = found;
	return folder_fit(f, si, em);
}

int
folder_add(struct folder *f, const struct folder_entry *e, struct dz_errmsg *em)
{
	const struct folder_entry *old;
	int rc;

	if (e->name != NULL && (rc = folder_find(f, e->name, &old)) != DZ_ENOENT)
		return rc == 0 ? dz_errf(em, DZ_EEXIST, "'%s' exists", e->name) :
		    folder_put(f, e, NULL, em);
	return folder_put(f, e, NULL, em);
}

int
folder_replace(struct folder *f, const struct folder_entry *e, struct dz_errmsg *em)
{
	const struct folder_entry *old;
	int rc;

	if (e->name != NULL && (rc = folder_find(f, e->name, &old)) == DZ_ENOENT)
		return dz_errf(em, DZ_ENOENT, "no '%s' here", e->name);
	return folder_put(f, e, NULL, em);
}

int
folder_remove(struct folder *f, const char *name)
{
	struct fshard *s;
	size_t si, i;
	int rc;

	if ((rc = locate(f, name, &si, &i)) != 0)
		return rc;
	if (f->sh[si].frozen && ((rc = folder_thaw(f, si, NULL)) != 0 ||
	    (rc = locate(f, name, &si, &i)) != 0))
		return rc;
	s = &f->sh[si];
	s->bytes -= folder_ent_bytes(&s->e[i]);
	ent_drop(&s->e[i]);
	memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof(*s->e));
	s->n--;
	sodium_memzero(&s->e[s->n], sizeof(*s->e));
	s->dirty = 1;
	return 0;
}

int
folder_iter(const struct folder *f, size_t *cursor, const struct folder_entry **out)
{
	size_t si = *cursor >> 32, i = *cursor & 0xffffffffu;

	for (; si < f->nsh; si++, i = 0)
		if (f->sh[si].loaded && i < f->sh[si].n) {
			*out = &f->sh[si].e[i];
			*cursor = (si << 32) | (i + 1);
			return 1;
		}
	*cursor = si << 32;
	return 0;
}

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct folder_entry *const *)a)->name,
	    (*(const struct folder_entry *const *)b)->name);
}

int
folder_sorted(const struct folder *f, const struct folder_entry ***out, size_t *n)
{
	const struct folder_entry **v;
	size_t total = folder_count(f), k = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < f->nsh; i++)
		if (!f->sh[i].loaded)
			return DZ_EINVAL;
	if ((v = malloc((total ? total : 1) * sizeof(*v))) == NULL)
		return DZ_ENOMEM;
	for (size_t i = 0; i < f->nsh; i++)
		for (size_t j = 0; j < f->sh[i].n; j++)
			v[k++] = &f->sh[i].e[j];
	if (f->nsh > 1)
		qsort(v, total, sizeof(*v), ent_cmp);
	*out = v;
	*n = total;
	return 0;
}
