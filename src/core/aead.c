/*
 * aead: ChaCha20-Poly1305 (RFC 8439) over OpenSSL 3 EVP, for bulk data.
 *
 * Every byte Drizzle stores goes through here, so the hot path allocates
 * nothing: aead_new fetches the cipher once and binds it to a context; each
 * call then re-keys that context with a NULL cipher, which OpenSSL takes as
 * "same cipher, keep the provider context" (passing the cipher again would
 * reset and reallocate it). After each call the context is re-keyed with
 * zeros so the caller's key does not linger in it between calls.
 */
#include "core/aead.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

struct aead {
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;
};

static const uint8_t aead_zero_key[AEAD_KEYBYTES];

int
aead_new(struct aead **out)
{
	struct aead *a;
	int rc;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return DZ_ENOMEM;
	if ((a->cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL)) ==
	    NULL) {
		rc = DZ_ECRYPTO;
		goto err;
	}
	if ((a->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		rc = DZ_ENOMEM;
		goto err;
	}
	if (EVP_CipherInit_ex2(a->ctx, a->cipher, NULL, NULL, 1, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_IVLEN,
	    AEAD_NONCEBYTES, NULL) != 1) {
		rc = DZ_ECRYPTO;
		goto err;
	}
	*out = a;
	return 0;
err:
	aead_free(a);
	return rc;
}

void
aead_free(struct aead *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->ctx); /* clears the key schedule */
	EVP_CIPHER_free(a->cipher);
	free(a);
}

/* Overwrite the key held in the context (direction unchanged). */
static void
aead_forget(struct aead *a)
{
	(void)EVP_CipherInit_ex2(a->ctx, NULL, aead_zero_key, NULL, -1, NULL);
}

int
aead_seal(struct aead *a, const uint8_t key[static AEAD_KEYBYTES],
    const uint8_t nonce[static AEAD_NONCEBYTES], const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t fin[AEAD_TAGBYTES];
	int n, rc = DZ_ECRYPTO;

	if (len > INT_MAX || adlen > INT_MAX)
		return DZ_ERANGE;
	if (EVP_CipherInit_ex2(a->ctx, NULL, key, nonce, 1, NULL) != 1)
		goto out;
	if (adlen > 0 &&
	    EVP_CipherUpdate(a->ctx, NULL, &n, ad, (int)adlen) != 1)
		goto out;
	if (len > 0) {
		if (EVP_CipherUpdate(a->ctx, out, &n, in, (int)len) != 1 ||
		    (size_t)n != len)
			goto out;
	}
	/* The stream cipher has nothing left to emit; fin is only a place
	 * for it not to write. */
	if (EVP_CipherFinal_ex(a->ctx, fin, &n) != 1 || n != 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAGBYTES,
	    out + len) != 1)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		ERR_clear_error();
	aead_forget(a);
	return rc;
}

int
aead_open(struct aead *a, const uint8_t key[static AEAD_KEYBYTES],
    const uint8_t nonce[static AEAD_NONCEBYTES], const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out)
{
	uint8_t tag[AEAD_TAGBYTES], fin[AEAD_TAGBYTES];
	size_t len;
	int n, rc = DZ_ECRYPTO;

	if (inlen < AEAD_TAGBYTES)
		return DZ_ETRUNC;
	len = inlen - AEAD_TAGBYTES;
	if (len > INT_MAX || adlen > INT_MAX) {
		rc = DZ_ERANGE;
		goto out;
	}
	/* SET_TAG takes a non-const pointer: hand it a copy rather than cast
	 * away the const of in. */
	memcpy(tag, in + len, AEAD_TAGBYTES);
	if (EVP_CipherInit_ex2(a->ctx, NULL, key, nonce, 0, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAGBYTES,
	    tag) != 1)
		goto out;
	if (adlen > 0 &&
	    EVP_CipherUpdate(a->ctx, NULL, &n, ad, (int)adlen) != 1)
		goto out;
	if (len > 0) {
		if (EVP_CipherUpdate(a->ctx, out, &n, in, (int)len) != 1 ||
		    (size_t)n != len)
			goto out;
	}
	/* Only the tag comparison in Final tells of altered data. */
	if (EVP_CipherFinal_ex(a->ctx, fin, &n) != 1) {
		rc = DZ_EAUTH;
		goto out;
	}
	rc = n == 0 ? 0 : DZ_ECRYPTO;
out:
	if (rc != 0) {
		if (len > 0)
			memset(out, 0, len);
		ERR_clear_error();
	}
	aead_forget(a);
	return rc;
}
