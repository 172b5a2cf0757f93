/*
 * folder_vers: the kept versions of a file entry (folder.h): putting a
 * new version over an old one, restoring an old one, finding one by
 * number. The versions live in the entry itself (docs/formats.md, "Folder
 * record"), newest first, numbers strictly decreasing below the current
 * one's, so that a path's history is numbered 1, 2, 3... by put and only
 * grows: a restore makes a new current number instead of reviving an old
 * one, and an object is named by one number at a time (dropping a
 * version never forgets an object that another number still names).
 *
 * Every list built here holds keys: it is wiped before it is freed.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/folder_int.h"

uint32_t
folder_ent_number(const struct folder_entry *e)
{
	return e->number != 0 ? e->number : 1;
}

int
folder_vers_check(const struct folder_entry *e, struct dz_errmsg *em)
{
	uint32_t above = folder_ent_number(e);

	if (e->nvers == 0)
		return 0;
	if (!folder_is_file(e))
		return dz_errf(em, DZ_EINVAL, "'%s': only a file keeps versions", e->name);
	if (e->nvers > FOLDER_VERS_MAX || e->vers == NULL)
		return dz_errf(em, DZ_EINVAL, "'%s': at most %d versions are kept", e->name,
		    FOLDER_VERS_MAX);
	for (uint16_t i = 0; i < e->nvers; i++) {
		const struct folder_version *v = &e->vers[i];

		if (v->number == 0 || v->number >= above)
			return dz_errf(em, DZ_EINVAL,
			    "'%s': versions must be numbered newest first, below %u",
			    e->name, above);
		if (v->mode & ~07777u || v->mtime_nsec >= 1000000000u ||
		    v->size > (uint64_t)INT64_MAX)
			return dz_errf(em, DZ_EINVAL, "'%s': version %u is out of range",
			    e->name, v->number);
		if (v->packed > 1 || (v->packed && folder_pack_check(e->name, v->size,
		    v->pack_off, v->pack_len, NULL) != 0) ||
		    (!v->packed && (v->pack_off != 0 || v->pack_len != 0 ||
		    !sodium_is_zero(v->pack_key, FOLDER_KEYBYTES))))
			return dz_errf(em, DZ_EINVAL,
			    "'%s': version %u's place in its pack is out of range", e->name,
			    v->number);
		above = v->number;
	}
	return 0;
}

int
folder_vers_packed(const struct folder_entry *e)
{
	for (uint16_t i = 0; i < e->nvers; i++)
		if (e->vers[i].packed)
			return 1;
	return 0;
}

/* The current object of file entry e (FILE or PACKED) as a version. */
static void
ent_as_version(const struct folder_entry *e, struct folder_version *v)
{
	memset(v, 0, sizeof(*v));
	if (e->type == FOLDER_T_PACKED) {
		v->packed = 1;
		memcpy(v->pack_key, e->pack_key, FOLDER_KEYBYTES);
		v->pack_off = e->pack_off;
		v->pack_len = e->pack_len;
	}
	v->number = folder_ent_number(e);
	memcpy(v->id, e->id, FOLDER_IDBYTES);
	memcpy(v->key, e->key, FOLDER_KEYBYTES);
	v->size = e->size;
	v->mtime_sec = e->mtime_sec;
	v->mtime_nsec = e->mtime_nsec;
	v->stored_sec = e->stored_sec;
	v->mode = e->mode;
}

int
folder_file_version(const struct folder_entry *e, uint32_t number,
    struct folder_version *out)
{
	memset(out, 0, sizeof(*out));
	if (!folder_is_file(e))
		return DZ_EINVAL;
	if (number == 0 || number == folder_ent_number(e)) {
		ent_as_version(e, out);
		return 0;
	}
	for (uint16_t i = 0; i < e->nvers; i++)
		if (e->vers[i].number == number) {
			*out = e->vers[i];
			return 0;
		}
	return DZ_ENOENT;
}

/* The file named name (for a change): 0, or DZ_ENOENT, DZ_EINVAL with em
 * saying why. */
static int
find_file(const struct folder *f, const char *name, const struct folder_entry **out,
    struct dz_errmsg *em)
{
	int rc = folder_find(f, name, out);

	if (rc == DZ_ENOENT)
		return dz_errf(em, DZ_ENOENT, "no '%s' here", name);
	if (rc != 0)
		return dz_errf(em, DZ_EINVAL, "'%s': its shard is not loaded", name);
	return 0;
}

/* A wiped, freed list of FOLDER_VERS_MAX + 1 versions. */
static void
vers_free(struct folder_version *v)
{
	if (v == NULL)
		return;
	sodium_memzero(v, (FOLDER_VERS_MAX + 1) * sizeof(*v));
	free(v);
}

int
folder_put_version(struct folder *f, const struct folder_entry *e, unsigned keep,
    struct folder_version *dropped, size_t *ndropped, int *replaced,
    struct dz_errmsg *em)
{
	const struct folder_entry *old;
	struct folder_version *h = NULL;
	struct folder_entry ne;
	size_t nh, nk;
	int rc;

	*ndropped = 0;
	if (replaced != NULL)
		*replaced = 0;
	if ((rc = folder_ent_check(e, em)) != 0)
		return rc;
	if (e->nvers > 0)
		return dz_errf(em, DZ_EINVAL, "'%s': a new version carries no history",
		    e->name);
	if ((rc = find_file(f, e->name, &old, em)) == DZ_ENOENT)
		return folder_put(f, e, NULL, em); /* a new name: version as given */
	if (rc != 0)
		return rc;
	if (!folder_is_file(old))
		return dz_errf(em, DZ_EEXIST, "'%s' exists and is not a file", e->name);
	if (folder_ent_number(old) == UINT32_MAX)
		return dz_errf(em, DZ_ERANGE, "'%s': no version number left", e->name);
	/* the whole history, newest first: the old current, then its list */
	if ((h = malloc((FOLDER_VERS_MAX + 1) * sizeof(*h))) == NULL)
		return DZ_ENOMEM;
	ent_as_version(old, &h[0]);
	if (old->nvers > 0)
		memcpy(&h[1], old->vers, old->nvers * sizeof(*h));
	nh = (size_t)old->nvers + 1;
	if (keep > FOLDER_VERS_MAX)
		keep = FOLDER_VERS_MAX;
	nk = !folder_is_file(e) ? 0 : keep < nh ? keep : nh;
	ne = *e;
	if (folder_is_file(e)) {
		ne.number = folder_ent_number(old) + 1;
		ne.vers = nk > 0 ? h : NULL;
		ne.nvers = (uint16_t)nk;
	}
	/* old points into f: everything taken from it before the change */
	if ((rc = folder_put(f, &ne, NULL, em)) == 0) {
		memcpy(dropped, &h[nk], (nh - nk) * sizeof(*h));
		*ndropped = nh - nk;
		if (replaced != NULL)
			*replaced = 1;
	}
	sodium_memzero(&ne, sizeof(ne));
	vers_free(h);
	return rc;
}

int
folder_restore_version(struct folder *f, const char *name, uint32_t number,
    int64_t stored_sec, struct dz_errmsg *em)
{
	const struct folder_entry *old;
	struct folder_version *h = NULL;
	struct folder_entry ne;
	char nm[FOLDER_NAMEMAX + 1];
	size_t j, nh = 0;
	int rc;

	if ((rc = find_file(f, name, &old, em)) != 0)
		return rc;
	if (!folder_is_file(old))
		return dz_errf(em, DZ_EINVAL, "'%s' is not a file", name);
	if (number == folder_ent_number(old))
		return 0;
	for (j = 0; j < old->nvers && old->vers[j].number != number; j++)
		;
	if (j == old->nvers)
		return dz_errf(em, DZ_ENOENT, "'%s' has no version %u", name, number);
	if (folder_ent_number(old) == UINT32_MAX)
		return dz_errf(em, DZ_ERANGE, "'%s': no version number left", name);
	if ((h = malloc((FOLDER_VERS_MAX + 1) * sizeof(*h))) == NULL)
		return DZ_ENOMEM;
	/* the old current becomes the newest previous version; the restored
	 * one leaves the list (its object is current now), the rest stay in
	 * order: as many versions as before, nothing dropped */
	ent_as_version(old, &h[nh++]);
	for (size_t i = 0; i < old->nvers; i++)
		if (i != j)
			h[nh++] = old->vers[i];
	memcpy(nm, old->name, strlen(old->name) + 1);
	ne = *old;
	ne.name = nm;
	ne.number = folder_ent_number(old) + 1;
	ne.stored_sec = stored_sec;
	memcpy(ne.id, old->vers[j].id, FOLDER_IDBYTES);
	memcpy(ne.key, old->vers[j].key, FOLDER_KEYBYTES);
	ne.size = old->vers[j].size;
	ne.mtime_sec = old->vers[j].mtime_sec;
	ne.mtime_nsec = old->vers[j].mtime_nsec;
	ne.mode = old->vers[j].mode;
	/* whole or packed, as that version was stored */
	ne.type = old->vers[j].packed ? FOLDER_T_PACKED : FOLDER_T_FILE;
	memcpy(ne.pack_key, old->vers[j].pack_key, FOLDER_KEYBYTES);
	ne.pack_off = old->vers[j].pack_off;
	ne.pack_len = old->vers[j].pack_len;
	ne.vers = h;
	ne.nvers = (uint16_t)nh;
	rc = folder_put(f, &ne, NULL, em);
	sodium_memzero(&ne, sizeof(ne));
	vers_free(h);
	return rc;
}
