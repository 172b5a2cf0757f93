/*
 * keyfile: encoding, strict parsing, creating, opening and re-wrapping the
 * account key record (format v1, byte table in keyfile.h and
 * docs/formats.md).
 *
 * The record is a fixed 112 bytes. The parser accepts exactly one encoding
 * of each record (fixed length, zero reserved bytes, bounded parameters), so
 * parse followed by encode gives back the same bytes. The wrap binds every
 * header byte and the account name as associated data: altering the
 * parameters, the salt or the owner turns into a failed password check
 * rather than a silently weaker KDF. The KEK, login seed and login secret
 * key live in one sodium_malloc block, freed (and so wiped) on every path.
 * Assumes sodium_init() was called by main().
 */
#include "core/keyfile.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/cursor.h"

static const uint8_t keyfile_magic[3] = {'D', 'Z', 'K'};

/* Secrets of one create/open/rewrap, in locked memory. */
struct kf_secrets {
	uint8_t kek[PWKEY_KEYBYTES];
	uint8_t login_seed[PWKEY_KEYBYTES];
	uint8_t login_sk[crypto_sign_SECRETKEYBYTES];
};

/* Write the KEYFILE_HDRBYTES bytes that precede `wrapped`. */
static void
keyfile_encode_hdr(const struct keyfile *kf, uint8_t hdr[static KEYFILE_HDRBYTES])
{
	static const uint8_t reserved[3] = {0, 0, 0};
	struct wbuf w;

	wbuf_init(&w, hdr, KEYFILE_HDRBYTES);
	wbuf_u8(&w, KEYFILE_VERSION);
	wbuf_bytes(&w, keyfile_magic, sizeof(keyfile_magic));
	wbuf_u8(&w, kf->params.alg);
	wbuf_bytes(&w, reserved, sizeof(reserved));
	wbuf_u64(&w, kf->params.opslimit);
	wbuf_u64(&w, kf->params.memlimit);
	wbuf_bytes(&w, kf->salt, PWKEY_SALTBYTES);
	/* Fixed sizes: w.err cannot be set and w.len == KEYFILE_HDRBYTES. */
}

void
keyfile_encode(const struct keyfile *kf, uint8_t out[static KEYFILE_BYTES])
{
	keyfile_encode_hdr(kf, out);
	memcpy(out + KEYFILE_HDRBYTES, kf->wrapped, MKEY_WRAPPEDBYTES);
}

int
keyfile_parse(const uint8_t *buf, size_t len, struct keyfile *kf)
{
	uint8_t version, magic[3], reserved[3];
	struct cur c;
	int rc;

	memset(kf, 0, sizeof(*kf));
	/* Magic first so that a file that is not a keyfile at all is
	 * DZ_EFORMAT; then the version, so that a keyfile of another version
	 * (and perhaps another length) is DZ_EVERSION; then the length. */
	if (len < 1 + sizeof(magic) ||
	    memcmp(buf + 1, keyfile_magic, sizeof(magic)) != 0) {
		rc = DZ_EFORMAT;
		goto out;
	}
	if (buf[0] != KEYFILE_VERSION) {
		rc = DZ_EVERSION;
		goto out;
	}
	if (len != KEYFILE_BYTES) {
		rc = DZ_EFORMAT;
		goto out;
	}
	cur_init(&c, buf, len);
	if ((rc = cur_u8(&c, &version)) != 0 ||
	    (rc = cur_bytes(&c, magic, sizeof(magic))) != 0 ||
	    (rc = cur_u8(&c, &kf->params.alg)) != 0 ||
	    (rc = cur_bytes(&c, reserved, sizeof(reserved))) != 0 ||
	    (rc = cur_u64(&c, &kf->params.opslimit)) != 0 ||
	    (rc = cur_u64(&c, &kf->params.memlimit)) != 0 ||
	    (rc = cur_bytes(&c, kf->salt, PWKEY_SALTBYTES)) != 0 ||
	    (rc = cur_bytes(&c, kf->wrapped, MKEY_WRAPPEDBYTES)) != 0 ||
	    (rc = cur_end(&c)) != 0) {
		/* Cannot happen after the length check; keep it an EFORMAT. */
		rc = DZ_EFORMAT;
		goto out;
	}
	if (reserved[0] != 0 || reserved[1] != 0 || reserved[2] != 0) {
		rc = DZ_EFORMAT;
		goto out;
	}
	if ((rc = pwkey_params_check(&kf->params)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		memset(kf, 0, sizeof(*kf));
	return rc;
}

/* The wrap's associated data: header bytes || account name. Caller frees
 * *adp (not secret). */
static int
keyfile_ad(const struct keyfile *kf, const char *account, uint8_t **adp,
    size_t *adlenp)
{
	size_t alen, adlen;
	uint8_t *ad;

	*adp = NULL;
	*adlenp = 0;
	if (account == NULL)
		return DZ_EINVAL;
	alen = strlen(account);
	if (__builtin_add_overflow(alen, (size_t)KEYFILE_HDRBYTES, &adlen))
		return DZ_ERANGE;
	if ((ad = malloc(adlen)) == NULL)
		return DZ_ENOMEM;
	keyfile_encode_hdr(kf, ad);
	memcpy(ad + KEYFILE_HDRBYTES, account, alen);
	*adp = ad;
	*adlenp = adlen;
	return 0;
}

/*
 * Fresh salt and the given params into kf, derive from pw, wrap mk. On
 * success and if login_pk is not NULL, it receives the login public key.
 * On failure kf->wrapped and login_pk are zeroed (kf's other fields are
 * then meaningless; callers work on a copy).
 */
static int
keyfile_wrap_new(struct keyfile *kf, const char *pw, size_t pwlen,
    const struct pwkey_params *params, const char *account,
    const uint8_t mk[static MKEY_BYTES], uint8_t *login_pk)
{
	struct kf_secrets *s = NULL;
	uint8_t *ad = NULL;
	size_t adlen;
	int rc;

	if ((rc = pwkey_params_check(params)) != 0)
		goto out;
	if ((s = sodium_malloc(sizeof(*s))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	kf->params = *params;
	randombytes_buf(kf->salt, PWKEY_SALTBYTES);
	if ((rc = keyfile_ad(kf, account, &ad, &adlen)) != 0)
		goto out;
	if ((rc = pwkey_derive(pw, pwlen, kf->salt, params, s->kek,
	    s->login_seed)) != 0)
		goto out;
	if ((rc = mkey_wrap(s->kek, mk, ad, adlen, kf->wrapped)) != 0)
		goto out;
	if (login_pk != NULL &&
	    crypto_sign_seed_keypair(login_pk, s->login_sk, s->login_seed) !=
	    0) {
		rc = DZ_ECRYPTO;
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		sodium_memzero(kf->wrapped, MKEY_WRAPPEDBYTES);
		if (login_pk != NULL)
			sodium_memzero(login_pk, crypto_sign_PUBLICKEYBYTES);
	}
	free(ad);
	if (s != NULL)
		sodium_free(s); /* wipes */
	return rc;
}

int
keyfile_create(const char *pw, size_t pwlen, const struct pwkey_params *params,
    const char *account, struct keyfile *kf, uint8_t mk[static MKEY_BYTES],
    uint8_t login_pk[static 32])
{
	struct keyfile nkf;
	int rc;

	memset(&nkf, 0, sizeof(nkf));
	mkey_generate(mk);
	if ((rc = keyfile_wrap_new(&nkf, pw, pwlen, params, account, mk,
	    login_pk)) != 0)
		goto out;
	*kf = nkf;
	rc = 0;
out:
	if (rc != 0) {
		sodium_memzero(mk, MKEY_BYTES);
		memset(kf, 0, sizeof(*kf));
	}
	return rc;
}

int
keyfile_open(const struct keyfile *kf, const char *pw, size_t pwlen,
    const char *account, uint8_t mk[static MKEY_BYTES])
{
	struct kf_secrets *s = NULL;
	uint8_t *ad = NULL;
	size_t adlen;
	int rc;

	if ((rc = pwkey_params_check(&kf->params)) != 0)
		goto out;
	if ((s = sodium_malloc(sizeof(*s))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if ((rc = keyfile_ad(kf, account, &ad, &adlen)) != 0)
		goto out;
	if ((rc = pwkey_derive(pw, pwlen, kf->salt, &kf->params, s->kek,
	    s->login_seed)) != 0)
		goto out;
	rc = mkey_unwrap(s->kek, kf->wrapped, ad, adlen, mk);
out:
	if (rc != 0)
		sodium_memzero(mk, MKEY_BYTES);
	free(ad);
	if (s != NULL)
		sodium_free(s);
	return rc;
}

int
keyfile_rewrap(struct keyfile *kf, const char *newpw, size_t newpwlen,
    const struct pwkey_params *params, const char *account,
    const uint8_t mk[static MKEY_BYTES])
{
	struct keyfile nkf;
	int rc;

	/* Work on a copy: on failure the old keyfile is left as it was. */
	memset(&nkf, 0, sizeof(nkf));
	if ((rc = keyfile_wrap_new(&nkf, newpw, newpwlen, params, account, mk,
	    NULL)) != 0)
		return rc;
	*kf = nkf;
	return 0;
}
