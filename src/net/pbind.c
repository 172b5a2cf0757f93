/*
 * pbind: a peer's signed binding to an account (pbind.h).
 */
#include <fcntl.h>
#include <string.h>

#include <sodium.h>

#include "core/cursor.h"
#include "core/fsio.h"
#include "net/pbind.h"

#define LABEL_BYTES (sizeof(PBIND_LABEL) - 1)
#define MSG_MAX (LABEL_BYTES + 2 * IDENT_PKBYTES + 8 + 1 + PBIND_NAMEMAX)

/* The signed message of b into out (MSG_MAX); its length, or 0 for a bad
 * name. */
static size_t
message(const struct pbind *b, uint8_t out[static MSG_MAX])
{
	size_t n = strnlen(b->name, sizeof(b->name));
	struct wbuf w;

	if (n == 0 || n > PBIND_NAMEMAX)
		return 0;
	wbuf_init(&w, out, MSG_MAX);
	wbuf_bytes(&w, PBIND_LABEL, LABEL_BYTES);
	wbuf_bytes(&w, b->peer_pk, IDENT_PKBYTES);
	wbuf_bytes(&w, b->coord_pk, IDENT_PKBYTES);
	wbuf_u64(&w, b->issued);
	wbuf_u8(&w, (uint8_t)n);
	wbuf_bytes(&w, b->name, n);
	return w.err == 0 ? w.len : 0;
}

int
pbind_sign(struct pbind *b, const struct ident *device)
{
	uint8_t m[MSG_MAX];
	size_t len = message(b, m);

	if (len == 0)
		return DZ_EINVAL;
	memcpy(b->device_pk, device->pk, IDENT_PKBYTES);
	crypto_sign_detached(b->sig, NULL, m, len, device->sk);
	return 0;
}

int
pbind_verify(const struct pbind *b)
{
	uint8_t m[MSG_MAX];
	size_t len = message(b, m);

	if (len == 0 ||
	    crypto_sign_verify_detached(b->sig, m, len, b->device_pk) != 0)
		return DZ_EAUTH;
	return 0;
}

int
pbind_save(const char *path, const struct pbind *b, struct dz_errmsg *em)
{
	uint8_t buf[PBIND_FILEMAX];
	size_t n = strnlen(b->name, sizeof(b->name));
	struct wbuf w;

	if (n == 0 || n > PBIND_NAMEMAX)
		return dz_errf(em, DZ_EINVAL, "a binding needs an account name");
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_u8(&w, PBIND_VERSION);
	wbuf_bytes(&w, "DZB", 3);
	wbuf_bytes(&w, b->peer_pk, IDENT_PKBYTES);
	wbuf_bytes(&w, b->coord_pk, IDENT_PKBYTES);
	wbuf_bytes(&w, b->device_pk, IDENT_PKBYTES);
	wbuf_u64(&w, b->issued);
	wbuf_u8(&w, (uint8_t)n);
	wbuf_bytes(&w, b->name, n);
	wbuf_bytes(&w, b->sig, PBIND_SIGBYTES);
	if (w.err != 0)
		return dz_errf(em, DZ_ERANGE, "binding too large");
	return fsio_write_durable(AT_FDCWD, path, buf, w.len, 0, 0644, em);
}

int
pbind_load(const char *path, struct pbind *b, struct dz_errmsg *em)
{
	uint8_t buf[PBIND_FILEMAX + 1], ver, n;
	char magic[3];
	size_t len = 0;
	struct cur c;
	int rc;

	memset(b, 0, sizeof(*b));
	rc = fsio_read_file(AT_FDCWD, path, buf, sizeof(buf), &len, NULL);
	if (rc == DZ_ENOENT)
		return rc;
	if (rc != 0 && rc != DZ_ERANGE)
		return dz_errf(em, rc, "cannot read %s: %s", path, dz_strerror(rc));
	cur_init(&c, buf, len);
	if (rc == DZ_ERANGE || cur_u8(&c, &ver) != 0 ||
	    cur_bytes(&c, magic, 3) != 0 || memcmp(magic, "DZB", 3) != 0)
		return dz_errf(em, DZ_EFORMAT, "%s is not a peer binding", path);
	if (ver != PBIND_VERSION)
		return dz_errf(em, DZ_EVERSION, "%s: binding version %u is not "
		    "known", path, ver);
	if (cur_bytes(&c, b->peer_pk, IDENT_PKBYTES) != 0 ||
	    cur_bytes(&c, b->coord_pk, IDENT_PKBYTES) != 0 ||
	    cur_bytes(&c, b->device_pk, IDENT_PKBYTES) != 0 ||
	    cur_u64(&c, &b->issued) != 0 || cur_u8(&c, &n) != 0 ||
	    n == 0 || n > PBIND_NAMEMAX || cur_bytes(&c, b->name, n) != 0 ||
	    cur_bytes(&c, b->sig, PBIND_SIGBYTES) != 0 || cur_end(&c) != 0) {
		memset(b, 0, sizeof(*b));
		return dz_errf(em, DZ_EFORMAT, "%s is a damaged peer binding: "
		    "remove it and run drizzle peer --home again", path);
	}
	return 0;
}
