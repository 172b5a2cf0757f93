/*
 * folder_seal: the byte format of folder records (folder.h): encoding and
 * sealing, opening and strict decoding. Layout, byte by byte, in
 * docs/formats.md "Folder record"; in short (little-endian):
 *
 * Sealed blob: head[20] = version u8 (1) | magic "DZD" | kind u8 |
 *   reserved[3] = 0 | record version u64 | shard number u32,
 *   then nonce[24] and XChaCha20-Poly1305 ciphertext + tag under the
 *   folder's sealing key, associated data = head || folder id.
 * Plaintext: the same head, folder id[32], then by kind
 *   1 plain:  flags u8 | count u32 | count entries, names strictly
 *             increasing
 *   2 index:  nleaves u32 | nleaves x (number u32 | gen u64), numbers
 *             strictly increasing (folder_split.c)
 *   3 shard:  flags u8 | gen u64 | count u32 | entries (each name's
 *             hash ends in the number's prefix bits)
 * flags bit 0: frozen (a split under way); the other bits are 0.
 *   then zeros up to the size bucket of max(length, FOLDER_PADMIN).
 * Entry: type u8 | name_len u8 | name | mode u32 | mtime_sec i64 |
 *   mtime_nsec u32 | size u64 | FILE, DIR: id[32] key[32];
 *   PACKED: id[32] key[32] pack_key[32] pack_off u64 pack_len u64;
 *   LINK: target_len u16 | target; then (format 2) ext u8: bit 0 number
 *   u32 | stored_sec i64, bit 1 (files) nvers u8 | nvers versions, bit 2
 *   (with bit 1) each version led by a kind byte, packed ones followed by
 *   their pack fields (folder_int.h). Format 1 (no ext byte) is still
 *   read; 2 is written.
 * The decoder trusts nothing the plaintext says that the head or the
 * caller already know: both copies must agree with what was expected.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/folder_int.h"
#include "core/cursor.h"
#include "core/pad.h"

#define FREC_VERSION 2     /* written */
#define FREC_VERSION_MIN 1 /* read: format 1 has no ext byte in entries */
#define FREC_MAGIC "DZD"
#define FREC_HEAD 20
#define FREC_PLAINHEAD (FREC_HEAD + FOLDER_IDBYTES)
#define FREC_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define FREC_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define FREC_LEAF 12
#define FREC_FROZEN 0x01 /* flags: a split of this record is under way */

static void
head_put(uint8_t h[static FREC_HEAD], uint8_t fmt, uint8_t kind, uint64_t version,
    uint32_t shard)
{
	h[0] = fmt;
	memcpy(h + 1, FREC_MAGIC, 3);
	h[4] = kind;
	h[5] = h[6] = h[7] = 0;
	le64_put(h + 8, version);
	le32_put(h + 16, shard);
}

/* A packed file's place: pack_key[32] | pack_off u64 | pack_len u64. */
static void
pack_put(struct wbuf *w, const uint8_t *key, uint64_t off, uint64_t len)
{
	wbuf_bytes(w, key, FOLDER_KEYBYTES);
	wbuf_u64(w, off);
	wbuf_u64(w, len);
}

static int
pack_get(struct cur *c, uint8_t *key, uint64_t *off, uint64_t *len)
{
	int rc;

	if ((rc = cur_bytes(c, key, FOLDER_KEYBYTES)) != 0 || (rc = cur_u64(c, off)) != 0)
		return rc;
	return cur_u64(c, len);
}

static void
ent_put(struct wbuf *w, const struct folder_entry *e)
{
	size_t nl = strlen(e->name);
	uint8_t ext;

	wbuf_u8(w, e->type);
	wbuf_u8(w, (uint8_t)nl);
	wbuf_bytes(w, e->name, nl);
	wbuf_u32(w, e->mode);
	wbuf_u64(w, (uint64_t)e->mtime_sec);
	wbuf_u32(w, e->mtime_nsec);
	wbuf_u64(w, e->size);
	if (e->type == FOLDER_T_LINK) {
		size_t tl = strlen(e->target);

		wbuf_u16(w, (uint16_t)tl);
		wbuf_bytes(w, e->target, tl);
	} else {
		wbuf_bytes(w, e->id, FOLDER_IDBYTES);
		wbuf_bytes(w, e->key, FOLDER_KEYBYTES);
		if (e->type == FOLDER_T_PACKED)
			pack_put(w, e->pack_key, e->pack_off, e->pack_len);
	}
	/* an entry without versions costs one byte more than in format 1 */
	ext = (e->number != 0 || e->stored_sec != 0 ? FENT_EXT_NUM : 0) |
	    (e->nvers > 0 ? FENT_EXT_VERS : 0) |
	    (folder_vers_packed(e) ? FENT_EXT_VKIND : 0);
	wbuf_u8(w, ext);
	if (ext & FENT_EXT_NUM) {
		wbuf_u32(w, e->number);
		wbuf_u64(w, (uint64_t)e->stored_sec);
	}
	if (ext & FENT_EXT_VERS) {
		wbuf_u8(w, (uint8_t)e->nvers);
		for (uint16_t i = 0; i < e->nvers; i++) {
			const struct folder_version *v = &e->vers[i];

			if (ext & FENT_EXT_VKIND)
				wbuf_u8(w, v->packed ? FOLDER_T_PACKED : FOLDER_T_FILE);
			wbuf_u32(w, v->number);
			wbuf_bytes(w, v->id, FOLDER_IDBYTES);
			wbuf_bytes(w, v->key, FOLDER_KEYBYTES);
			wbuf_u64(w, v->size);
			wbuf_u64(w, (uint64_t)v->mtime_sec);
			wbuf_u32(w, v->mtime_nsec);
			wbuf_u64(w, (uint64_t)v->stored_sec);
			wbuf_u32(w, v->mode);
			if (v->packed)
				pack_put(w, v->pack_key, v->pack_off, v->pack_len);
		}
	}
}

static int
leaf_cmp(const void *a, const void *b)
{
	uint32_t x = (*(const struct fshard *const *)a)->number,
	    y = (*(const struct fshard *const *)b)->number;

	return x < y ? -1 : x > y;
}

int
folder_seal_rec(const struct folder *f, uint8_t kind, const struct fshard *s,
    uint64_t version, struct folder_blob *out, struct dz_errmsg *em)
{
	uint8_t head[FREC_HEAD], ad[FREC_HEAD + FOLDER_IDBYTES];
	size_t plen = FREC_PLAINHEAD, padded;
	uint32_t shard = kind == FREC_SHARD ? s->number : 0;
	const struct fshard **leaves = NULL;
	unsigned long long clen;
	uint8_t *plain, *blob;
	struct wbuf w;

	if (kind == FREC_INDEX)
		plen += 4 + f->nsh * FREC_LEAF;
	else
		plen += 1 + (kind == FREC_SHARD ? 8 : 0) + 4 + s->bytes;
	if (pad_bucket(plen < FOLDER_PADMIN ? FOLDER_PADMIN : plen, &padded) != 0 ||
	    padded > FOLDER_REC_MAX - FREC_HEAD - FREC_NONCE - FREC_TAG)
		return dz_errf(em, DZ_ERANGE, "a folder record would be too large");
	if (kind == FREC_INDEX) {
		if ((leaves = malloc(f->nsh * sizeof(*leaves))) == NULL)
			return DZ_ENOMEM;
		for (size_t i = 0; i < f->nsh; i++)
			leaves[i] = &f->sh[i];
		qsort(leaves, f->nsh, sizeof(*leaves), leaf_cmp);
	}
	if ((plain = sodium_malloc(padded)) == NULL) {
		free(leaves);
		return DZ_ENOMEM;
	}
	memset(plain, 0, padded);
	head_put(head, FREC_VERSION, kind, version, shard);
	wbuf_init(&w, plain, padded);
	wbuf_bytes(&w, head, FREC_HEAD);
	wbuf_bytes(&w, f->id, FOLDER_IDBYTES);
	if (kind == FREC_INDEX) {
		wbuf_u32(&w, (uint32_t)f->nsh);
		for (size_t i = 0; i < f->nsh; i++) {
			wbuf_u32(&w, leaves[i]->number);
			wbuf_u64(&w, leaves[i]->gen);
		}
		free(leaves);
	} else {
		wbuf_u8(&w, s->frozen ? FREC_FROZEN : 0);
		if (kind == FREC_SHARD)
			wbuf_u64(&w, s->gen);
		wbuf_u32(&w, (uint32_t)s->n);
		for (size_t i = 0; i < s->n; i++)
			ent_put(&w, &s->e[i]);
	}
	if (w.err != 0 || (blob = malloc(FREC_HEAD + FREC_NONCE + padded + FREC_TAG)) == NULL) {
		sodium_free(plain);
		return w.err != 0 ? dz_errf(em, DZ_ERANGE, "folder encoding overflow") :
		    DZ_ENOMEM;
	}
	memcpy(ad, head, FREC_HEAD);
	memcpy(ad + FREC_HEAD, f->id, FOLDER_IDBYTES);
	memcpy(blob, head, FREC_HEAD);
	randombytes_buf(blob + FREC_HEAD, FREC_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + FREC_HEAD + FREC_NONCE, &clen,
	    plain, padded, ad, sizeof(ad), NULL, blob + FREC_HEAD, FKEY_SEAL(f));
	sodium_free(plain); /* wipes the keys it held */
	memcpy(out->id, kind == FREC_SHARD ? s->id : f->id, FOLDER_IDBYTES);
	out->version = version;
	out->blob = blob;
	out->len = FREC_HEAD + FREC_NONCE + (size_t)clen;
	return 0;
}

int
folder_pend(struct folder *f, uint8_t kind, const struct fshard *s, uint64_t version,
    struct dz_errmsg *em)
{
	struct folder_blob *v;
	int rc;

	/* blobs hold no secret in the clear: realloc is fine here */
	if ((v = realloc(f->pend, (f->npend + 1) * sizeof(*v))) == NULL)
		return DZ_ENOMEM;
	f->pend = v;
	if ((rc = folder_seal_rec(f, kind, s, version, &v[f->npend], em)) != 0)
		return rc;
	f->npend++;
	return 0;
}

void
folder_blobs_free(struct folder_blob *b, size_t n)
{
	for (size_t i = 0; b != NULL && i < n; i++)
		free(b[i].blob);
	free(b);
}

int
folder_seal_dirty(struct folder *f, struct folder_blob **out, size_t *n,
    struct dz_errmsg *em)
{
	struct folder_blob *v;
	size_t k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((v = calloc(f->npend + f->nsh + 1, sizeof(*v))) == NULL)
		return DZ_ENOMEM;
	/* what splits froze and made go first, in the order made */
	for (; k < f->npend; k++)
		v[k] = f->pend[k];
	if (f->sharded) {
		for (size_t i = 0; i < f->nsh; i++) {
			if (!f->sh[i].dirty)
				continue;
			if ((rc = folder_seal_rec(f, FREC_SHARD, &f->sh[i], f->sh[i].version + 1,
			    &v[k], em)) != 0)
				goto fail;
			k++;
		}
		if (f->dirty &&
		    (rc = folder_seal_rec(f, FREC_INDEX, NULL, f->version + 1, &v[k++], em)) != 0) {
			k--;
			goto fail;
		}
	} else if (f->sh[0].dirty) {
		if ((rc = folder_seal_rec(f, FREC_PLAIN, &f->sh[0], f->version + 1, &v[k++], em)) != 0) {
			k--;
			goto fail;
		}
	}
	/* all sealed: now the versions move and the records count as clean */
	for (size_t i = 0; i < f->nsh; i++)
		if (f->sharded && f->sh[i].dirty)
			f->sh[i].version++;
	if (f->sharded ? f->dirty : f->sh[0].dirty)
		f->version++;
	for (size_t i = 0; i < f->nsh; i++)
		f->sh[i].dirty = 0;
	f->dirty = 0;
	free(f->pend);
	f->pend = NULL;
	f->npend = 0;
	*out = v;
	*n = k;
	return 0;
fail:
	/* the pending ones stay f's */
	for (size_t i = f->npend; i < k; i++)
		free(v[i].blob);
	free(v);
	return rc;
}

/* Open blob as the record (kind, shard) of f; *plain (sodium_malloc'd)
 * and *plen get the plaintext past its head and the folder id, *version
 * the record's version. */
static int
open_one(const struct folder *f, uint8_t kind, uint32_t shard, const uint8_t *blob,
    size_t len, uint8_t **plain, size_t *plen, uint64_t *version, uint8_t *fmt,
    struct dz_errmsg *em)
{
	uint8_t ad[FREC_HEAD + FOLDER_IDBYTES], want[FREC_HEAD];
	unsigned long long ml;
	uint8_t *p;

	*plain = NULL;
	if (len >= 1 && (blob[0] < FREC_VERSION_MIN || blob[0] > FREC_VERSION))
		return dz_errf(em, DZ_EVERSION, "a folder record has format %u, unknown here",
		    blob[0]);
	if (len < FREC_HEAD + FREC_NONCE + FREC_TAG + FREC_PLAINHEAD)
		return dz_errf(em, DZ_ETRUNC, "a folder record is truncated");
	if (len > FOLDER_REC_MAX)
		return dz_errf(em, DZ_ERANGE, "a folder record is too large");
	/* kind and shard are what the caller expects; the version is the
	 * blob's own, authenticated below */
	head_put(want, blob[0], kind, le64_get(blob + 8), shard);
	if (memcmp(blob, want, FREC_HEAD) != 0)
		return dz_errf(em, memcmp(blob + 1, FREC_MAGIC, 3) != 0 ? DZ_EFORMAT :
		    DZ_EAUTH, "a folder record is not the one asked for");
	if ((p = sodium_malloc(len)) == NULL)
		return DZ_ENOMEM;
	memcpy(ad, blob, FREC_HEAD);
	memcpy(ad + FREC_HEAD, f->id, FOLDER_IDBYTES);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(p, &ml, NULL,
	    blob + FREC_HEAD + FREC_NONCE, len - FREC_HEAD - FREC_NONCE, ad, sizeof(ad),
	    blob + FREC_HEAD, FKEY_SEAL(f)) != 0) {
		sodium_free(p);
		return dz_errf(em, DZ_EAUTH,
		    "a folder record from the coordinator does not authenticate");
	}
	/* sealed by a holder of the key; still, both copies must agree */
	if (ml < FREC_PLAINHEAD || memcmp(p, blob, FREC_HEAD) != 0 ||
	    memcmp(p + FREC_HEAD, f->id, FOLDER_IDBYTES) != 0) {
		sodium_free(p);
		return dz_errf(em, DZ_EFORMAT, "a folder record's header is inconsistent");
	}
	*plain = p;
	*plen = (size_t)ml;
	*version = le64_get(blob + 8);
	*fmt = blob[0];
	return 0;
}

/* Decode format 2's ext part of an entry at c into e (versions into
 * vbuf, FOLDER_VERS_MAX long). Counts are checked against what is left
 * before anything is read. */
static int
ext_get(struct cur *c, struct folder_entry *e, struct folder_version *vbuf)
{
	uint8_t ext, nv;
	uint64_t t;
	int rc;

	if ((rc = cur_u8(c, &ext)) != 0)
		return rc;
	if (ext & ~(FENT_EXT_NUM | FENT_EXT_VERS | FENT_EXT_VKIND) ||
	    (ext & (FENT_EXT_VERS | FENT_EXT_VKIND)) == FENT_EXT_VKIND)
		return DZ_EFORMAT;
	if (ext & FENT_EXT_NUM) {
		if ((rc = cur_u32(c, &e->number)) != 0 || (rc = cur_u64(c, &t)) != 0)
			return rc;
		e->stored_sec = (int64_t)t;
		if (e->number == 0 && e->stored_sec == 0)
			return DZ_EFORMAT; /* written without the bit: canonical */
	}
	if (!(ext & FENT_EXT_VERS))
		return 0;
	if ((rc = cur_u8(c, &nv)) != 0)
		return rc;
	if (nv == 0 || !folder_is_file(e) || nv > cur_left(c) / FVER_BYTES)
		return DZ_EFORMAT;
	for (uint8_t i = 0; i < nv; i++) {
		struct folder_version *v = &vbuf[i];
		uint8_t kind = FOLDER_T_FILE;
		uint64_t ms;

		memset(v, 0, sizeof(*v));
		if ((ext & FENT_EXT_VKIND) && (rc = cur_u8(c, &kind)) != 0)
			return rc;
		if (kind != FOLDER_T_FILE && kind != FOLDER_T_PACKED)
			return kind > FOLDER_T_PACKED ? DZ_EVERSION : DZ_EFORMAT;
		if ((rc = cur_u32(c, &v->number)) != 0 ||
		    (rc = cur_bytes(c, v->id, FOLDER_IDBYTES)) != 0 ||
		    (rc = cur_bytes(c, v->key, FOLDER_KEYBYTES)) != 0 ||
		    (rc = cur_u64(c, &v->size)) != 0 || (rc = cur_u64(c, &ms)) != 0 ||
		    (rc = cur_u32(c, &v->mtime_nsec)) != 0 || (rc = cur_u64(c, &t)) != 0 ||
		    (rc = cur_u32(c, &v->mode)) != 0)
			return rc;
		v->mtime_sec = (int64_t)ms;
		v->stored_sec = (int64_t)t;
		v->packed = kind == FOLDER_T_PACKED;
		if (v->packed &&
		    (rc = pack_get(c, v->pack_key, &v->pack_off, &v->pack_len)) != 0)
			return rc;
	}
	e->vers = vbuf;
	e->nvers = nv;
	/* bit 2 only when needed: one encoding per entry */
	if ((ext & FENT_EXT_VKIND) && !folder_vers_packed(e))
		return DZ_EFORMAT;
	return 0;
}

/* Scratch space for decoding one entry: name, target, versions. */
struct entbuf {
	char name[FOLDER_NAMEMAX + 1];
	char target[FOLDER_LINKMAX + 1];
	struct folder_version vers[FOLDER_VERS_MAX];
};

/* Decode one entry of format fmt at c into e (pointers into b). */
static int
ent_get(struct cur *c, uint8_t fmt, struct folder_entry *e, struct entbuf *b)
{
	const uint8_t *p;
	uint8_t nl;
	uint16_t tl;
	uint64_t mt;
	int rc;

	memset(e, 0, sizeof(*e));
	if ((rc = cur_u8(c, &e->type)) != 0 || (rc = cur_u8(c, &nl)) != 0)
		return rc;
	if (e->type > FOLDER_T_PACKED)
		return DZ_EVERSION; /* a later version's entry */
	if (e->type == 0 || nl == 0)
		return DZ_EFORMAT;
	if ((rc = cur_ptr(c, nl, &p)) != 0)
		return rc;
	if (memchr(p, 0, nl) != NULL)
		return DZ_EFORMAT;
	memcpy(b->name, p, nl);
	b->name[nl] = '\0';
	e->name = b->name;
	if ((rc = cur_u32(c, &e->mode)) != 0 || (rc = cur_u64(c, &mt)) != 0 ||
	    (rc = cur_u32(c, &e->mtime_nsec)) != 0 || (rc = cur_u64(c, &e->size)) != 0)
		return rc;
	e->mtime_sec = (int64_t)mt;
	if (e->type == FOLDER_T_LINK) {
		if ((rc = cur_u16(c, &tl)) != 0)
			return rc;
		if (tl == 0 || tl > FOLDER_LINKMAX)
			return DZ_EFORMAT;
		if ((rc = cur_ptr(c, tl, &p)) != 0)
			return rc;
		if (memchr(p, 0, tl) != NULL)
			return DZ_EFORMAT;
		memcpy(b->target, p, tl);
		b->target[tl] = '\0';
		e->target = b->target;
	} else if ((rc = cur_bytes(c, e->id, FOLDER_IDBYTES)) != 0 ||
	    (rc = cur_bytes(c, e->key, FOLDER_KEYBYTES)) != 0 ||
	    (e->type == FOLDER_T_PACKED &&
	    (rc = pack_get(c, e->pack_key, &e->pack_off, &e->pack_len)) != 0))
		return rc;
	if (fmt >= 2 && (rc = ext_get(c, e, b->vers)) != 0)
		return rc;
	/* the same rules as for what a caller adds (version numbers too) */
	return folder_ent_check(e, NULL) != 0 ? DZ_EFORMAT : 0;
}

/* Decode count entries from c into s, sorted and unique; in a shard
 * (depth >= 0) each must hash into s's prefix. Then only zeros. */
static int
ents_get(const struct folder *f, struct cur *c, uint8_t fmt, struct fshard *s, int shard)
{
	struct entbuf *b;
	struct folder_entry e;
	uint32_t count;
	int rc;

	if ((rc = cur_u32(c, &count)) != 0)
		return rc;
	if (count > FOLDER_REC_MAXENTRIES || count > cur_left(c) / (FENT_FIXED + 1))
		return DZ_EFORMAT;
	/* it holds keys (versions'): sodium_malloc wipes it when freed */
	if ((b = sodium_malloc(sizeof(*b))) == NULL)
		return DZ_ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		if ((rc = ent_get(c, fmt, &e, b)) != 0)
			goto out;
		if ((s->n > 0 && strcmp(s->e[s->n - 1].name, e.name) >= 0) ||
		    (shard && (folder_hash(f, e.name, strlen(e.name)) &
		    ((1u << s->depth) - 1)) != s->prefix)) {
			rc = DZ_EFORMAT;
			goto out;
		}
		rc = folder_push(s, &e);
		sodium_memzero(e.key, sizeof(e.key));
		sodium_memzero(e.pack_key, sizeof(e.pack_key));
		if (rc != 0)
			goto out;
	}
	while (cur_left(c) > 0)
		if (c->p[c->off++] != 0) {
			rc = DZ_EFORMAT;
			goto out;
		}
	rc = 0;
out:
	sodium_memzero(&e, sizeof(e));
	sodium_free(b);
	if (rc != 0)
		folder_shard_clear(s);
	return rc;
}

/* Decode an index's leaves from c into f's shards. */
static int
index_get(struct folder *f, struct cur *c)
{
	struct fshard *sh;
	uint32_t nleaves;
	int rc;

	if ((rc = cur_u32(c, &nleaves)) != 0)
		return rc;
	if (nleaves == 0 || nleaves > (1u << FOLDER_MAXDEPTH) ||
	    nleaves > cur_left(c) / FREC_LEAF)
		return DZ_EFORMAT;
	if ((sh = calloc(nleaves, sizeof(*sh))) == NULL)
		return DZ_ENOMEM;
	free(f->sh);
	f->sh = sh;
	f->nsh = nleaves;
	for (uint32_t i = 0; i < nleaves; i++) {
		if ((rc = cur_u32(c, &sh[i].number)) != 0 || (rc = cur_u64(c, &sh[i].gen)) != 0)
			return rc;
		/* numbers in order, each once: the list is canonical */
		if (i > 0 && sh[i].number <= sh[i - 1].number)
			return DZ_EFORMAT;
		folder_shard_id(f, sh[i].number, sh[i].gen, sh[i].id);
	}
	while (cur_left(c) > 0)
		if (c->p[c->off++] != 0)
			return DZ_EFORMAT;
	f->sharded = 1;
	return folder_dir_build(f);
}

/* The flags byte: 0 or FREC_FROZEN into *frozen. */
static int
flags_get(struct cur *c, int *frozen)
{
	uint8_t fl;
	int rc;

	if ((rc = cur_u8(c, &fl)) != 0)
		return rc;
	if (fl & ~FREC_FROZEN)
		return DZ_EFORMAT;
	*frozen = fl & FREC_FROZEN;
	return 0;
}

int
folder_open(const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const uint8_t *blob, size_t len,
    struct folder **out, struct dz_errmsg *em)
{
	struct folder *f = NULL;
	uint8_t *plain = NULL;
	size_t plen;
	uint64_t version;
	uint8_t fmt;
	struct cur c;
	int rc;

	*out = NULL;
	if ((rc = folder_alloc(id, key, &f)) != 0)
		return rc;
	/* plain or index: the head says which, the AD checks it */
	rc = open_one(f, len > 4 && blob[4] == FREC_INDEX ? FREC_INDEX : FREC_PLAIN, 0,
	    blob, len, &plain, &plen, &version, &fmt, em);
	if (rc != 0)
		goto out;
	cur_init(&c, plain + FREC_PLAINHEAD, plen - FREC_PLAINHEAD);
	if (blob[4] == FREC_INDEX) {
		rc = index_get(f, &c);
	} else {
		f->sh[0].loaded = 1;
		if ((rc = flags_get(&c, &f->sh[0].frozen)) == 0)
			rc = ents_get(f, &c, fmt, &f->sh[0], 0);
	}
	if (rc != 0) {
		rc = dz_errf(em, rc, "a folder record is malformed%s",
		    rc == DZ_EVERSION ? " (it holds an entry of a later version)" : "");
		goto out;
	}
	f->version = version;
	*out = f;
	f = NULL;
out:
	if (plain != NULL)
		sodium_free(plain);
	folder_free(f);
	return rc;
}

int
folder_shard_load(struct folder *f, size_t i, const uint8_t *blob, size_t len,
    struct dz_errmsg *em)
{
	struct fshard *s;
	uint8_t *plain = NULL;
	uint64_t gen;
	int frozen;
	size_t plen;
	uint64_t version;
	uint8_t fmt;
	struct cur c;
	int rc;

	if (!f->sharded || i >= f->nsh)
		return dz_errf(em, DZ_ERANGE, "no shard %zu in this folder", i);
	s = &f->sh[i];
	folder_shard_clear(s);
	s->loaded = 0;
	if ((rc = open_one(f, FREC_SHARD, s->number, blob, len, &plain, &plen, &version,
	    &fmt, em)) != 0)
		return rc;
	cur_init(&c, plain + FREC_PLAINHEAD, plen - FREC_PLAINHEAD);
	if ((rc = flags_get(&c, &frozen)) != 0 || (rc = cur_u64(&c, &gen)) != 0) {
		rc = dz_errf(em, DZ_EFORMAT, "a folder shard is malformed");
		goto out;
	}
	/* the same number of another generation (from before a split, or
	 * after one the index does not know) holds other names */
	if (gen != s->gen) {
		rc = dz_errf(em, DZ_EAUTH,
		    "a folder shard does not match the folder's index");
		goto out;
	}
	if ((rc = ents_get(f, &c, fmt, s, 1)) != 0) {
		rc = dz_errf(em, rc, "a folder shard is malformed");
		goto out;
	}
	s->version = version;
	s->frozen = frozen;
	s->loaded = 1;
	s->dirty = 0;
out:
	sodium_free(plain);
	return rc;
}
