/*
 * mkey: the master key, its password wrapping, and the sub-keys derived
 * from it.
 *
 * Wrapping is libsodium's XChaCha20-Poly1305: a random 24-byte nonce is safe
 * for as many re-wraps as anyone will ever do, and the caller's associated
 * data ties the wrapped key to its parameters and owner. Sub-keys come from
 * crypto_kdf (BLAKE2b) with the context "dzmaster" and the sub-key number as
 * id; the identity key pairs are made from such sub-keys as seeds. Every
 * seed is wiped before return on every path. Assumes sodium_init() was
 * called by main().
 */
#include "core/mkey.h"

#include <string.h>

#include <sodium.h>

#define MKEY_KDF_CONTEXT "dzmaster"
#define MKEY_SUBBYTES 32

void
mkey_generate(uint8_t mk[static MKEY_BYTES])
{
	randombytes_buf(mk, MKEY_BYTES);
}

int
mkey_wrap(const uint8_t kek[static 32], const uint8_t mk[static MKEY_BYTES],
    const uint8_t *ad, size_t adlen, uint8_t out[static MKEY_WRAPPEDBYTES])
{
	unsigned long long clen = 0;

	randombytes_buf(out, MKEY_NONCEBYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + MKEY_NONCEBYTES,
	    &clen, mk, MKEY_BYTES, ad, adlen, NULL, out, kek) != 0 ||
	    clen != MKEY_WRAPPEDBYTES - MKEY_NONCEBYTES) {
		sodium_memzero(out, MKEY_WRAPPEDBYTES);
		return DZ_ECRYPTO;
	}
	return 0;
}

int
mkey_unwrap(const uint8_t kek[static 32],
    const uint8_t in[static MKEY_WRAPPEDBYTES], const uint8_t *ad,
    size_t adlen, uint8_t mk[static MKEY_BYTES])
{
	unsigned long long mlen = 0;

	/* Decrypt straight into the caller's (locked) memory: no copy of the
	 * master key ever sits on our stack. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(mk, &mlen, NULL,
	    in + MKEY_NONCEBYTES, MKEY_WRAPPEDBYTES - MKEY_NONCEBYTES, ad,
	    adlen, in, kek) != 0 || mlen != MKEY_BYTES) {
		sodium_memzero(mk, MKEY_BYTES);
		return DZ_EPASSWORD;
	}
	return 0;
}

int
mkey_derive(const uint8_t mk[static MKEY_BYTES], enum mkey_sub id,
    uint8_t out[static 32])
{
	switch (id) {
	case MKEY_SUB_SIGN:
	case MKEY_SUB_BOX:
	case MKEY_SUB_FOLDER:
	case MKEY_SUB_CONVERGENCE:
	case MKEY_SUB_DEVICE:
		break;
	default:
		sodium_memzero(out, MKEY_SUBBYTES);
		return DZ_EINVAL;
	}
	if (crypto_kdf_derive_from_key(out, MKEY_SUBBYTES, (uint64_t)id,
	    MKEY_KDF_CONTEXT, mk) != 0) {
		sodium_memzero(out, MKEY_SUBBYTES);
		return DZ_ECRYPTO;
	}
	return 0;
}

int
mkey_sign_keypair(const uint8_t mk[static MKEY_BYTES], uint8_t pk[static 32],
    uint8_t sk[static 64])
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	int rc;

	if ((rc = mkey_derive(mk, MKEY_SUB_SIGN, seed)) != 0)
		goto out;
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0) {
		rc = DZ_ECRYPTO;
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	if (rc != 0) {
		sodium_memzero(pk, crypto_sign_PUBLICKEYBYTES);
		sodium_memzero(sk, crypto_sign_SECRETKEYBYTES);
	}
	return rc;
}

int
mkey_box_keypair(const uint8_t mk[static MKEY_BYTES], uint8_t pk[static 32],
    uint8_t sk[static 32])
{
	uint8_t seed[crypto_box_SEEDBYTES];
	int rc;

	if ((rc = mkey_derive(mk, MKEY_SUB_BOX, seed)) != 0)
		goto out;
	if (crypto_box_seed_keypair(pk, sk, seed) != 0) {
		rc = DZ_ECRYPTO;
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	if (rc != 0) {
		sodium_memzero(pk, crypto_box_PUBLICKEYBYTES);
		sodium_memzero(sk, crypto_box_SECRETKEYBYTES);
	}
	return rc;
}
