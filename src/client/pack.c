/*
 * pack: building pack objects of small sealed files, and reading one
 * file (or many) back out of a stored pack (pack.h).
 *
 * The builder's buffer holds only sealed bytes once pack_add returns: a
 * file's plaintext is read straight into the place its ciphertext will
 * take and sealed in place, and wiped if the read fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "client/pack.h"
#include "core/cursor.h"
#include "core/fsio.h"

/* The associated data of a sealed file: context, then its size. */
#define PACK_CTX "drizzle pack file v1"
#define PACK_ADBYTES (sizeof(PACK_CTX) - 1 + 8)

struct pack {
	uint8_t *buf;
	size_t len, cap;
	size_t count;
};

static void
pack_ad(uint64_t size, uint8_t ad[static PACK_ADBYTES])
{
	memcpy(ad, PACK_CTX, sizeof(PACK_CTX) - 1);
	le64_put(ad + sizeof(PACK_CTX) - 1, size);
}

int
pack_new(size_t cap, struct pack **out)
{
	struct pack *p;

	*out = NULL;
	if (cap == 0)
		cap = PACK_MAX;
	if (cap < PACK_OVERHEAD || cap > PACK_MAX)
		return DZ_EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return DZ_ENOMEM;
	/* pages are touched only as files fill them */
	if ((p->buf = malloc(cap)) == NULL) {
		free(p);
		return DZ_ENOMEM;
	}
	p->cap = cap;
	*out = p;
	return 0;
}

void
pack_free(struct pack *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p);
}

void
pack_reset(struct pack *p)
{
	p->len = 0;
	p->count = 0;
}

size_t
pack_bytes(const struct pack *p)
{
	return p->len;
}

size_t
pack_count(const struct pack *p)
{
	return p->count;
}

int
pack_add(struct pack *p, int fd, uint64_t size, uint8_t file_key[static 32],
    uint64_t *off, uint64_t *len, struct dz_errmsg *em)
{
	uint8_t ad[PACK_ADBYTES], extra;
	uint8_t *at = p->buf + p->len, *plain = at + PACK_NONCEBYTES;
	unsigned long long clen;
	size_t got;
	int rc;

	if (size > PACK_SMALL)
		return dz_errf(em, DZ_EINVAL, "a file of %llu bytes is too large for a pack",
		    (unsigned long long)size);
	if (size + PACK_OVERHEAD > p->cap - p->len)
		return dz_errf(em, DZ_ENOSPC, "the pack is full");
	/* exactly size bytes, then the end: anything else is a file that
	 * changed since its size was taken */
	rc = fsio_read_full(fd, plain, (size_t)size, &got);
	if (rc == 0 && got == size)
		rc = fsio_read_full(fd, &extra, 1, &got) != 0 ? DZ_EIO : got != 0 ?
		    DZ_ECHANGED : 0;
	else if (rc == 0)
		rc = DZ_ECHANGED;
	if (rc != 0) {
		sodium_memzero(plain, (size_t)size);
		return rc == DZ_ECHANGED ?
		    dz_errf(em, rc, "the file changed while it was read (%llu bytes expected)",
			(unsigned long long)size) :
		    dz_errf(em, rc, "cannot read the file: %s", strerror(errno));
	}
	crypto_aead_xchacha20poly1305_ietf_keygen(file_key);
	randombytes_buf(at, PACK_NONCEBYTES);
	pack_ad(size, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(plain, &clen, plain, (size_t)size, ad,
	    sizeof(ad), NULL, at, file_key);
	*off = p->len;
	*len = size + PACK_OVERHEAD;
	p->len += (size_t)*len;
	p->count++;
	return 0;
}

int
pack_fd(const struct pack *p, int *fd, struct dz_errmsg *em)
{
	int f = memfd_create("drizzle-pack", MFD_CLOEXEC), rc;

	*fd = -1;
	if (f < 0)
		return dz_errf(em, DZ_EIO, "cannot make the pack's file: %s", strerror(errno));
	if ((rc = fsio_write_all(f, p->buf, p->len)) != 0 || lseek(f, 0, SEEK_SET) != 0) {
		rc = dz_errf(em, DZ_EIO, "cannot write the pack's file: %s", strerror(errno));
		close(f);
		return rc;
	}
	*fd = f;
	return 0;
}

int
pack_open(const uint8_t file_key[static 32], const uint8_t *sealed, size_t len,
    uint8_t *out, size_t out_cap, size_t *n, struct dz_errmsg *em)
{
	uint8_t ad[PACK_ADBYTES];
	unsigned long long ml;

	*n = 0;
	if (len < PACK_OVERHEAD)
		return dz_errf(em, DZ_EFORMAT, "a packed file is shorter than its seal");
	if (len - PACK_OVERHEAD > out_cap)
		return dz_errf(em, DZ_ERANGE, "a packed file is larger than the room for it");
	pack_ad(len - PACK_OVERHEAD, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &ml, NULL,
	    sealed + PACK_NONCEBYTES, len - PACK_NONCEBYTES, ad, sizeof(ad), sealed,
	    file_key) != 0)
		return dz_errf(em, DZ_EAUTH,
		    "a packed file does not authenticate: altered, or another file's");
	*n = (size_t)ml;
	return 0;
}

/* What a folder entry may say of a packed file. */
static int
pack_item_ok(uint64_t len, uint64_t size, struct dz_errmsg *em)
{
	if (size > PACK_SMALL || len != size + PACK_OVERHEAD)
		return dz_errf(em, DZ_EFORMAT,
		    "a packed file's place (%llu bytes for %llu) is not one this build makes",
		    (unsigned long long)len, (unsigned long long)size);
	return 0;
}

/* Open the sealed bytes of one file and write them to fd. */
static int
pack_write(const uint8_t *file_key, const uint8_t *sealed, uint64_t len,
    uint64_t size, int fd, struct dz_errmsg *em)
{
	uint8_t *plain = malloc(size > 0 ? (size_t)size : 1);
	size_t n;
	int rc;

	if (plain == NULL)
		return DZ_ENOMEM;
	rc = pack_open(file_key, sealed, (size_t)len, plain, (size_t)size, &n, em);
	if (rc == 0 && n != size)
		rc = dz_errf(em, DZ_EFORMAT, "a packed file has %zu bytes, its entry says %llu",
		    n, (unsigned long long)size);
	if (rc == 0 && (rc = fsio_write_all(fd, plain, n)) != 0)
		dz_errf(em, rc, "cannot write the output: %s", strerror(errno));
	sodium_memzero(plain, (size_t)size);
	free(plain);
	return rc;
}

int
pack_fetch(const struct store *st, const uint8_t pack_key[static 32],
    const uint8_t pack_id[static 32], const uint8_t file_key[static 32],
    uint64_t off, uint64_t len, uint64_t size, int fd_out,
    const struct xfer_params *pp, struct dz_errmsg *em)
{
	uint8_t *sealed;
	int rc;

	if ((rc = pack_item_ok(len, size, em)) != 0)
		return rc;
	if ((sealed = malloc((size_t)len)) == NULL)
		return DZ_ENOMEM;
	rc = get_range(st, pack_key, pack_id, off, len, sealed, pp, em);
	if (rc == 0)
		rc = pack_write(file_key, sealed, len, size, fd_out, em);
	free(sealed);
	return rc;
}

int
pack_fetch_many(const struct store *st, const uint8_t pack_key[static 32],
    const uint8_t pack_id[static 32], struct pack_item *items, size_t n,
    const struct xfer_params *pp, struct dz_errmsg *em)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	uint8_t *span;
	int rc, first = 0;

	for (size_t i = 0; i < n; i++) {
		struct pack_item *it = &items[i];

		if ((it->rc = pack_item_ok(it->len, it->size, em)) != 0)
			return it->rc;
		if (it->off > UINT64_MAX - it->len)
			return dz_errf(em, DZ_ERANGE, "a packed file's place is out of range");
		lo = it->off < lo ? it->off : lo;
		hi = it->off + it->len > hi ? it->off + it->len : hi;
	}
	if (n == 0)
		return 0;
	if (hi - lo > PACK_MAX)
		return dz_errf(em, DZ_ERANGE, "the files span more than a pack");
	if ((span = malloc((size_t)(hi - lo))) == NULL)
		return DZ_ENOMEM;
	/* one pass over the segments that hold any of them */
	rc = get_range(st, pack_key, pack_id, lo, hi - lo, span, pp, em);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct pack_item *it = &items[i];

		it->rc = pack_write(it->file_key, span + (it->off - lo), it->len, it->size,
		    it->fd, first == 0 ? em : NULL);
		if (first == 0)
			first = it->rc;
	}
	free(span);
	return rc != 0 ? rc : first;
}
