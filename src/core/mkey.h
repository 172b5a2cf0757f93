/*
 * mkey: the account's master key: making it, wrapping it under the
 * password's key-encryption key, and deriving every sub-key from it.
 *
 * The master key is random and never changes (a password change re-wraps
 * it). Everything else a user owns is derived from it with crypto_kdf, so the
 * password and the wrapped key are all a second computer needs. Wrapping is
 * authenticated (XChaCha20-Poly1305, libsodium) with caller-supplied
 * associated data, so a wrapped key moved to another account or altered is
 * detected. Keys live in sodium_malloc memory owned by the caller.
 */
#ifndef DZ_MKEY_H
#define DZ_MKEY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define MKEY_BYTES 32
#define MKEY_NONCEBYTES 24
/* wrapped = nonce || ciphertext(master key) || tag */
#define MKEY_WRAPPEDBYTES (MKEY_NONCEBYTES + MKEY_BYTES + 16)

/* Sub-key identifiers; their numbers are part of the format: never reuse. */
enum mkey_sub {
	MKEY_SUB_SIGN = 1,        /* Ed25519 identity signing seed */
	MKEY_SUB_BOX = 2,         /* X25519 share-receiving seed */
	MKEY_SUB_FOLDER = 3,      /* root folder key */
	MKEY_SUB_CONVERGENCE = 4, /* convergence secret (dedup within the account) */
	MKEY_SUB_DEVICE = 5,      /* wraps this computer's device key (client/device.h) */
};

/* mkey_generate: fill mk with a fresh random master key. */
void mkey_generate(uint8_t mk[static MKEY_BYTES]);

/* mkey_wrap: seal mk under kek with a random nonce, binding the adlen bytes
 * of ad. Returns 0 or DZ_ECRYPTO. */
int mkey_wrap(const uint8_t kek[static 32], const uint8_t mk[static MKEY_BYTES],
    const uint8_t *ad, size_t adlen,
    uint8_t out[static MKEY_WRAPPEDBYTES]) DZ_MUST_CHECK;

/* mkey_unwrap: open a wrapped key. Returns 0, or DZ_EPASSWORD when it does
 * not authenticate (a wrong password, or a wrapped key or ad that was
 * altered or swapped: the two cannot be told apart); mk is zeroed then. */
int mkey_unwrap(const uint8_t kek[static 32],
    const uint8_t in[static MKEY_WRAPPEDBYTES], const uint8_t *ad,
    size_t adlen, uint8_t mk[static MKEY_BYTES]) DZ_MUST_CHECK;

/* mkey_derive: the 32-byte sub-key `id` of mk (crypto_kdf, context
 * "dzmaster"). Returns 0 or DZ_EINVAL for an unknown id. */
int mkey_derive(const uint8_t mk[static MKEY_BYTES], enum mkey_sub id,
    uint8_t out[static 32]) DZ_MUST_CHECK;

/* mkey_sign_keypair: the Ed25519 identity key pair (pk 32, sk 64). */
int mkey_sign_keypair(const uint8_t mk[static MKEY_BYTES],
    uint8_t pk[static 32], uint8_t sk[static 64]) DZ_MUST_CHECK;

/* mkey_box_keypair: the X25519 share-receiving key pair (pk 32, sk 32). */
int mkey_box_keypair(const uint8_t mk[static MKEY_BYTES],
    uint8_t pk[static 32], uint8_t sk[static 32]) DZ_MUST_CHECK;

#endif
