/*
 * aead: ChaCha20-Poly1305 (RFC 8439) through OpenSSL 3 EVP, for bulk data.
 *
 * OpenSSL rather than libsodium here because it is about three times faster
 * on this hardware for the bytes that dominate our cost. One struct aead
 * per thread (it owns an EVP_CIPHER_CTX, which is not shareable); the key is
 * given on each call and not kept. Not for small secrets: see mkey.
 */
#ifndef DZ_AEAD_H
#define DZ_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define AEAD_KEYBYTES 32
#define AEAD_NONCEBYTES 12
#define AEAD_TAGBYTES 16

struct aead;

/* aead_new: a context for one thread. Returns 0, DZ_ENOMEM or DZ_ECRYPTO. */
int aead_new(struct aead **out) DZ_MUST_CHECK;
/* aead_free: free (and clear) the context; NULL is fine. */
void aead_free(struct aead *a);

/* aead_seal: encrypt len bytes of in into out (len + AEAD_TAGBYTES bytes:
 * ciphertext then tag), authenticating the adlen bytes of ad. in and out
 * may be the same buffer. Returns 0, DZ_ERANGE (len > INT_MAX) or DZ_ECRYPTO. */
int aead_seal(struct aead *a, const uint8_t key[static AEAD_KEYBYTES],
    const uint8_t nonce[static AEAD_NONCEBYTES], const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out) DZ_MUST_CHECK;

/* aead_open: verify and decrypt inlen bytes (ciphertext then tag) into out
 * (inlen - AEAD_TAGBYTES bytes). Returns 0, DZ_ETRUNC (inlen < tag), or
 * DZ_EAUTH if anything was altered (DZ_ERANGE, DZ_ECRYPTO as aead_seal);
 * out is zeroed on failure. */
int aead_open(struct aead *a, const uint8_t key[static AEAD_KEYBYTES],
    const uint8_t nonce[static AEAD_NONCEBYTES], const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out) DZ_MUST_CHECK;

#endif
