/*
 * folder_split: how a folder's records split (folder.h), by extendible
 * hashing on the keyed hash of the names.
 *
 * The directory maps the low gdepth bits of a name's hash to the shard
 * holding it; a shard of depth d < gdepth fills 2^(gdepth - d) slots.
 * Shard numbers are heap numbers, (1 << depth) | prefix, so both halves
 * of a split have numbers no other writer can give to something else.
 *
 * Splitting a record that is already at the coordinator takes several
 * records, and the coordinator swaps one at a time, so it goes in an
 * order that no concurrent writer can break (docs/design-tree.md):
 *   1. the record is rewritten frozen (version v+1, same entries): a
 *      writer who read it before loses its compare-and-swap, and one who
 *      reads it after finishes the split before changing anything;
 *   2. its halves are created at version 1 under ids made from their
 *      numbers and v+1 (the generation), with entries that follow from
 *      the frozen record alone: whoever creates them makes the same
 *      records, so a writer who finds one already there moves on;
 *   3. the index is swapped to name the halves.
 * A record never written splits in memory only. Nothing here does I/O:
 * the sealed records wait in f->pend for folder_seal_dirty.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/folder_int.h"

static uint8_t
num_depth(uint32_t n)
{
	return (uint8_t)(31 - __builtin_clz(n));
}

int
folder_dir_build(struct folder *f)
{
	uint8_t g = 0;
	uint32_t *dir;
	size_t slots;

	for (size_t i = 0; i < f->nsh; i++) {
		struct fshard *s = &f->sh[i];

		if (s->number == 0 || s->number >= (2u << FOLDER_MAXDEPTH))
			return DZ_EFORMAT;
		s->depth = num_depth(s->number);
		s->prefix = s->number & ~(1u << s->depth);
		if (s->depth > g)
			g = s->depth;
	}
	slots = (size_t)1 << g;
	if ((dir = malloc(slots * sizeof(*dir))) == NULL)
		return DZ_ENOMEM;
	memset(dir, 0xff, slots * sizeof(*dir));
	for (size_t i = 0; i < f->nsh; i++) {
		size_t step = (size_t)1 << f->sh[i].depth;

		for (size_t j = f->sh[i].prefix; j < slots; j += step) {
			if (dir[j] != UINT32_MAX) {
				free(dir);
				return DZ_EFORMAT; /* two shards claim one hash */
			}
			dir[j] = (uint32_t)i;
		}
	}
	for (size_t j = 0; j < slots; j++)
		if (dir[j] == UINT32_MAX) {
			free(dir);
			return DZ_EFORMAT; /* a hash no shard holds */
		}
	free(f->dir);
	f->dir = dir;
	f->gdepth = g;
	return 0;
}

static int
shard_over(const struct fshard *s)
{
	return s->n > FOLDER_SHARD_ENTRIES || s->bytes > FOLDER_SHARD_BYTES;
}

/* Split shard si in memory by one more bit of the hash: it keeps the
 * names with that bit 0, a new shard (appended) takes the others. Both
 * are new records of si's generation, dirty, never written. */
static int
split_mem(struct folder *f, size_t si)
{
	struct fshard *ns, *s, t = {0};
	uint32_t *dir;
	size_t keep = 0, ti = f->nsh;
	uint8_t d = f->sh[si].depth;

	/* room for every entry up front: nothing fails half-way through */
	t.cap = f->sh[si].n ? f->sh[si].n : 1;
	if ((t.e = calloc(t.cap, sizeof(*t.e))) == NULL)
		return DZ_ENOMEM;
	if (d == f->gdepth) {
		size_t slots = (size_t)1 << f->gdepth;

		if ((dir = malloc(2 * slots * sizeof(*dir))) == NULL) {
			free(t.e);
			return DZ_ENOMEM;
		}
		memcpy(dir, f->dir, slots * sizeof(*dir));
		memcpy(dir + slots, f->dir, slots * sizeof(*dir));
		free(f->dir);
		f->dir = dir;
		f->gdepth++;
	}
	if ((ns = calloc(f->nsh + 1, sizeof(*ns))) == NULL) {
		free(t.e);
		return DZ_ENOMEM;
	}
	memcpy(ns, f->sh, f->nsh * sizeof(*ns));
	free(f->sh); /* the entries' arrays moved with their pointers */
	f->sh = ns;
	s = &f->sh[si];
	t.depth = (uint8_t)(d + 1);
	t.prefix = s->prefix | (1u << d);
	t.number = (1u << t.depth) | t.prefix;
	t.gen = s->gen;
	folder_shard_id(f, t.number, t.gen, t.id);
	t.loaded = t.dirty = 1;
	for (size_t i = 0; i < s->n; i++) {
		struct folder_entry e = s->e[i];

		if ((folder_hash(f, e.name, strlen(e.name)) >> d & 1) == 0) {
			s->e[keep++] = e;
		} else { /* moved by value: the name block changes owner */
			t.e[t.n++] = e;
			t.bytes += folder_ent_bytes(&e);
		}
	}
	s->bytes -= t.bytes;
	sodium_memzero(s->e + keep, (s->n - keep) * sizeof(*s->e));
	s->n = keep;
	s->depth = (uint8_t)(d + 1);
	s->number = (1u << s->depth) | s->prefix;
	folder_shard_id(f, s->number, s->gen, s->id);
	s->version = 0;
	s->frozen = 0;
	s->dirty = 1;
	f->sh[ti] = t;
	f->nsh++;
	for (size_t j = t.prefix; j < ((size_t)1 << f->gdepth); j += (size_t)1 << t.depth)
		f->dir[j] = (uint32_t)ti;
	f->dirty = 1;
	return 0;
}

/* Split shard si, then its halves, in memory until each fits (or the
 * depth bound is reached: such a shard only grows, up to FOLDER_REC_MAX).
 * The shards made are si and those from index f->nsh on. */
static int
fit_mem(struct folder *f, size_t si, int force)
{
	size_t ti;
	int rc;

	if ((!force && !shard_over(&f->sh[si])) || f->sh[si].depth >= FOLDER_MAXDEPTH)
		return 0;
	ti = f->nsh;
	if ((rc = split_mem(f, si)) != 0 || (rc = fit_mem(f, si, 0)) != 0)
		return rc;
	return fit_mem(f, ti, 0);
}

/* Seal shard si and those from first on at version 1 (made from a
 * frozen record: the same whoever makes them). */
static int
pend_made(struct folder *f, size_t si, size_t first, struct dz_errmsg *em)
{
	int rc;

	for (size_t k = first; k <= f->nsh; k++) {
		struct fshard *s = &f->sh[k == f->nsh ? si : k];

		if ((rc = folder_pend(f, FREC_SHARD, s, 1, em)) != 0)
			return rc;
		s->version = 1;
		s->dirty = 0;
	}
	return 0;
}

/* Split shard si, or turn the plain record into an index; freeze first
 * what was written, and seal what it splits into. */
static int
split(struct folder *f, size_t si, int force, struct dz_errmsg *em)
{
	struct fshard *s = &f->sh[si];
	size_t first = f->nsh;
	uint64_t *ver = f->sharded ? &s->version : &f->version, gen;
	int rc;

	if (s->depth >= FOLDER_MAXDEPTH)
		return force ? dz_errf(em, DZ_EFORMAT, "a frozen shard cannot split") : 0;
	if (*ver > 0 && !s->frozen) {
		s->frozen = 1;
		if ((rc = folder_pend(f, f->sharded ? FREC_SHARD : FREC_PLAIN, s, *ver + 1,
		    em)) != 0)
			return rc;
		(*ver)++;
	}
	gen = s->gen = *ver; /* 0: never written, split in memory */
	s->frozen = 0;
	s->dirty = 1;
	f->dirty = 1;
	if (!f->sharded) {
		/* the plain record's entries become shard 1, which splits on
		 * only if it must */
		f->sharded = 1;
		s->number = 1;
		s->depth = 0;
		s->prefix = 0;
		s->version = 0;
		folder_shard_id(f, s->number, s->gen, s->id);
		force = 0;
	}
	if ((rc = fit_mem(f, si, force)) != 0) /* s moves: f->sh grows */
		return rc;
	return gen > 0 ? pend_made(f, si, first, em) : 0;
}

int
folder_fit(struct folder *f, size_t si, struct dz_errmsg *em)
{
	if (!shard_over(&f->sh[si]) || f->sh[si].depth >= FOLDER_MAXDEPTH)
		return 0;
	return split(f, si, 1, em);
}

int
folder_thaw(struct folder *f, size_t si, struct dz_errmsg *em)
{
	return split(f, si, 1, em);
}
