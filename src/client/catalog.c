/*
 * catalog: the encrypted file tree (catalog.h).
 *
 * Sealed blob: version u8 (1) | nonce[24] | XChaCha20-Poly1305 ciphertext
 * and tag, associated data "drizzle catalog v1" || record id.
 * Plaintext: magic "DZCATv1\0" | count u32 | count entries, paths strictly
 * increasing (strcmp) | zero padding to the size bucket of pad.h, so
 * the blob's size tells the coordinator little about names. The reader
 * takes any amount of zero padding: catalogs written before the buckets
 * (multiples of 4 KiB) still read, and are padded anew on the next save.
 * Entry: path_len u16 (1..CATALOG_PATHMAX) | path | object id[32] |
 * size u64 | mtime i64 | mode u32.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/catalog.h"
#include "core/cursor.h"
#include "core/pad.h"

#define CAT_VERSION 1
#define CAT_MAGIC "DZCATv1"      /* 8 bytes with its NUL */
#define CAT_AD "drizzle catalog v1"
#define CAT_CTX "dzcatlg1"
#define CAT_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define CAT_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define CAT_ENTFIXED (2 + 32 + 8 + 8 + 4)

int
catalog_keys(const uint8_t folder_key[static 32],
    uint8_t id[static CATALOG_IDBYTES], uint8_t key[static CATALOG_KEYBYTES])
{
	if (crypto_kdf_derive_from_key(key, CATALOG_KEYBYTES, 1, CAT_CTX, folder_key) != 0 ||
	    crypto_kdf_derive_from_key(id, CATALOG_IDBYTES, 2, CAT_CTX, folder_key) != 0)
		return DZ_ECRYPTO;
	return 0;
}

/* Length of the UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int
catalog_path(const char *in, char out[static CATALOG_PATHMAX + 1],
    struct dz_errmsg *em)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = strlen(in), o = 0, i = 0;

	while (i < n) {
		size_t start, clen;

		while (i < n && s[i] == '/')
			i++;
		if (i == n)
			break;
		start = i;
		while (i < n && s[i] != '/') {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return dz_errf(em, DZ_EINVAL,
				    "remote path '%s' has a control character", in);
			if ((clen = utf8_len(s + i, n - i)) == 0)
				return dz_errf(em, DZ_EINVAL, "remote path is not valid UTF-8");
			i += clen;
		}
		clen = i - start;
		if ((clen == 1 && s[start] == '.') ||
		    (clen == 2 && s[start] == '.' && s[start + 1] == '.'))
			return dz_errf(em, DZ_EINVAL,
			    "remote path '%s' has a '.' or '..' component", in);
		if (o + (o > 0) + clen > CATALOG_PATHMAX)
			return dz_errf(em, DZ_EINVAL, "remote path longer than %d bytes",
			    CATALOG_PATHMAX);
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, s + start, clen);
		o += clen;
	}
	out[o] = '\0';
	return 0;
}

int
catalog_encode(const struct catalog *c, const uint8_t key[static 32],
    const uint8_t id[static 32], uint8_t **blob, size_t *len,
    struct dz_errmsg *em)
{
	uint8_t ad[sizeof(CAT_AD) - 1 + 32];
	size_t plen = 8 + 4, padded;
	uint8_t *plain, *out;
	unsigned long long clen;
	struct wbuf w;

	*blob = NULL;
	*len = 0;
	for (size_t i = 0; i < c->n; i++)
		plen += CAT_ENTFIXED + strlen(c->e[i].path);
	if (pad_bucket(plen, &padded) != 0)
		return dz_errf(em, DZ_ERANGE, "the file catalog is too large");
	if ((plain = calloc(1, padded)) == NULL)
		return DZ_ENOMEM;
	wbuf_init(&w, plain, padded);
	wbuf_bytes(&w, CAT_MAGIC, 8);
	wbuf_u32(&w, (uint32_t)c->n);
	for (size_t i = 0; i < c->n; i++) {
		const struct cat_entry *e = &c->e[i];
		size_t pl = strlen(e->path);

		wbuf_u16(&w, (uint16_t)pl);
		wbuf_bytes(&w, e->path, pl);
		wbuf_bytes(&w, e->id, 32);
		wbuf_u64(&w, e->size);
		wbuf_u64(&w, (uint64_t)e->mtime);
		wbuf_u32(&w, e->mode);
	}
	if (w.err != 0 || (out = malloc(1 + CAT_NONCE + padded + CAT_TAG)) == NULL) {
		free(plain);
		return w.err != 0 ? dz_errf(em, w.err, "catalog encoding overflow") : DZ_ENOMEM;
	}
	memcpy(ad, CAT_AD, sizeof(CAT_AD) - 1);
	memcpy(ad + sizeof(CAT_AD) - 1, id, 32);
	out[0] = CAT_VERSION;
	randombytes_buf(out + 1, CAT_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + CAT_NONCE, &clen, plain,
	    padded, ad, sizeof(ad), NULL, out + 1, key);
	free(plain);
	*blob = out;
	*len = 1 + CAT_NONCE + (size_t)clen;
	return 0;
}

/* Append a copy of e (a file: a record holds nothing else); the caller
 * keeps the order. */
static int
cat_push(struct catalog *c, const struct cat_entry *e)
{
	struct cat_entry f = *e;

	if (c->n >= CATALOG_MAXENTRIES)
		return DZ_ERANGE;
	f.target = NULL;
	f.type = CAT_FILE;
	f.packed = 0;
	return catalog_append(c, &f);
}

int
catalog_append(struct catalog *c, const struct cat_entry *e)
{
	struct cat_entry *ne = &c->e[c->n];

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;

		/* not realloc: the old block may hold keys (listings) */
		if ((ne = calloc(cap, sizeof(*ne))) == NULL)
			return DZ_ENOMEM;
		if (c->e != NULL) {
			memcpy(ne, c->e, c->n * sizeof(*ne));
			sodium_memzero(c->e, c->n * sizeof(*ne));
			free(c->e);
		}
		c->e = ne;
		c->cap = cap;
		ne = &c->e[c->n];
	}
	*ne = *e;
	ne->target = NULL;
	if ((ne->path = strdup(e->path)) == NULL ||
	    (e->target != NULL && (ne->target = strdup(e->target)) == NULL)) {
		free(ne->path);
		return DZ_ENOMEM;
	}
	c->n++;
	return 0;
}

int
catalog_decode(const uint8_t *blob, size_t len, const uint8_t key[static 32],
    const uint8_t id[static 32], struct catalog *c, struct dz_errmsg *em)
{
	uint8_t ad[sizeof(CAT_AD) - 1 + 32];
	char path[CATALOG_PATHMAX + 1], norm[CATALOG_PATHMAX + 1];
	unsigned long long plen;
	uint8_t *plain;
	const uint8_t *p;
	struct cur cu;
	uint32_t count;
	int rc = 0;

	catalog_clear(c);
	if (len < 1 + CAT_NONCE + CAT_TAG || blob[0] != CAT_VERSION)
		return dz_errf(em, len >= 1 && blob[0] != CAT_VERSION ? DZ_EVERSION :
		    DZ_EFORMAT, "the file catalog has an unknown format");
	if ((plain = malloc(len)) == NULL)
		return DZ_ENOMEM;
	memcpy(ad, CAT_AD, sizeof(CAT_AD) - 1);
	memcpy(ad + sizeof(CAT_AD) - 1, id, 32);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL,
	    blob + 1 + CAT_NONCE, len - 1 - CAT_NONCE, ad, sizeof(ad), blob + 1, key) != 0) {
		free(plain);
		return dz_errf(em, DZ_EAUTH,
		    "the file catalog from the coordinator does not authenticate");
	}
	cur_init(&cu, plain, (size_t)plen);
	if ((rc = cur_ptr(&cu, 8, &p)) != 0 || memcmp(p, CAT_MAGIC, 8) != 0 ||
	    (rc = cur_u32(&cu, &count)) != 0) {
		rc = DZ_EFORMAT;
		goto bad;
	}
	if (count > CATALOG_MAXENTRIES) {
		rc = DZ_ERANGE;
		goto bad;
	}
	for (uint32_t i = 0; i < count; i++) {
		struct cat_entry e;
		uint16_t pl;
		uint64_t mt;

		if ((rc = cur_u16(&cu, &pl)) != 0 || pl == 0 || pl > CATALOG_PATHMAX ||
		    (rc = cur_ptr(&cu, pl, &p)) != 0) {
			rc = rc ? rc : DZ_ERANGE;
			goto bad;
		}
		memcpy(path, p, pl);
		path[pl] = '\0';
		/* canonical paths only, strictly increasing: no duplicates */
		if (memchr(p, 0, pl) != NULL || catalog_path(path, norm, NULL) != 0 ||
		    strcmp(norm, path) != 0 ||
		    (c->n > 0 && strcmp(c->e[c->n - 1].path, path) >= 0)) {
			rc = DZ_EFORMAT;
			goto bad;
		}
		e.path = path;
		e.mtime_nsec = 0;
		if ((rc = cur_ptr(&cu, 32, &p)) != 0)
			goto bad;
		memcpy(e.id, p, 32);
		if ((rc = cur_u64(&cu, &e.size)) != 0 || (rc = cur_u64(&cu, &mt)) != 0 ||
		    (rc = cur_u32(&cu, &e.mode)) != 0)
			goto bad;
		e.mtime = (int64_t)mt;
		if ((rc = cat_push(c, &e)) != 0)
			goto bad;
	}
	/* the rest is padding: zeros only */
	while (cu.off < cu.len)
		if (plain[cu.off++] != 0) {
			rc = DZ_EFORMAT;
			goto bad;
		}
	free(plain);
	return 0;
bad:
	free(plain);
	catalog_clear(c);
	return dz_errf(em, rc, "the file catalog is malformed");
}

/* Index of path, or of where it would go (*found = 0). */
static size_t
cat_search(const struct catalog *c, const char *path, int *found)
{
	size_t lo = 0, hi = c->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(c->e[mid].path, path);

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

const struct cat_entry *
catalog_find(const struct catalog *c, const char *path)
{
	int found;
	size_t i = cat_search(c, path, &found);

	return found ? &c->e[i] : NULL;
}

int
catalog_set(struct catalog *c, const struct cat_entry *e, int *replaced,
    uint8_t old_id[static 32])
{
	int found, rc;
	size_t i = cat_search(c, e->path, &found);
	struct cat_entry tmp;

	if (replaced != NULL)
		*replaced = found;
	if (found) {
		char *p = c->e[i].path;

		memcpy(old_id, c->e[i].id, 32);
		free(c->e[i].target);
		c->e[i] = *e;
		c->e[i].path = p;
		c->e[i].target = NULL;
		c->e[i].type = CAT_FILE;
		return 0;
	}
	if ((rc = cat_push(c, e)) != 0)
		return rc;
	/* move the new last entry into its place */
	tmp = c->e[c->n - 1];
	memmove(&c->e[i + 1], &c->e[i], (c->n - 1 - i) * sizeof(*c->e));
	c->e[i] = tmp;
	return 0;
}

int
catalog_remove(struct catalog *c, const char *path, uint8_t old_id[static 32])
{
	int found;
	size_t i = cat_search(c, path, &found);

	if (!found)
		return DZ_ENOENT;
	memcpy(old_id, c->e[i].id, 32);
	free(c->e[i].path);
	free(c->e[i].target);
	memmove(&c->e[i], &c->e[i + 1], (c->n - i - 1) * sizeof(*c->e));
	c->n--;
	return 0;
}

void
catalog_clear(struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].path);
		free(c->e[i].target);
	}
	if (c->e != NULL)
		sodium_memzero(c->e, c->n * sizeof(*c->e)); /* keys of listings */
	c->n = 0;
}

void
catalog_free(struct catalog *c)
{
	catalog_clear(c);
	free(c->e);
	c->e = NULL;
	c->cap = 0;
}
