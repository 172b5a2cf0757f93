/*
 * ident: a node's identity: one Ed25519 key pair, kept in locked memory.
 *
 * Every Drizzle node (client, peer, coordinator) is known to the others by
 * its Ed25519 public key alone: the TLS layer (tls.h) carries it in a
 * self-signed certificate and the other side pins it. This module makes,
 * stores and loads that key pair, and writes and reads the public key as
 * hex for display and for pinning on the command line (--coordinator-key).
 *
 * Layout is libsodium's: a 32-byte seed gives pk[32] and sk[64] (sk = seed
 * || pk). Only the seed is ever stored. Not for account keys: a client's
 * identity seed is derived from its master key (mkey.h) and handed to
 * ident_from_seed; peers and the coordinator keep a seed file.
 * Assumes sodium_init() was called by main().
 */
#ifndef DZ_IDENT_H
#define DZ_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define IDENT_SEEDBYTES 32
#define IDENT_PKBYTES 32
#define IDENT_SKBYTES 64
#define IDENT_HEXBYTES (2 * IDENT_PKBYTES + 1) /* with the NUL */

/* struct ident: lives wholly in sodium_malloc memory (made by the functions
 * below, released by ident_free). sk's first 32 bytes are the seed. */
struct ident {
	uint8_t pk[IDENT_PKBYTES];
	uint8_t sk[IDENT_SKBYTES];
};

/* ident_from_seed: the identity of a 32-byte seed (the caller keeps and
 * wipes its copy). *out is the caller's, released with ident_free.
 * Returns 0, DZ_ENOMEM or DZ_ECRYPTO. */
int ident_from_seed(const uint8_t seed[static IDENT_SEEDBYTES],
    struct ident **out) DZ_MUST_CHECK;

/* ident_generate: a fresh random identity, released with ident_free. */
int ident_generate(struct ident **out) DZ_MUST_CHECK;

/*
 * ident_load_or_create: the identity whose seed is stored at path. If the
 * file does not exist, a random seed is written there durably (temporary
 * file of mode 0600, fsync, link into place, fsync of the directory) and
 * *created is set to 1 (created may be NULL). A seed file must be exactly
 * 32 bytes of a regular file not readable or writable by group or others.
 * Returns 0 or DZ_EFORMAT (wrong size), DZ_EINVAL (loose permissions),
 * DZ_EIO/DZ_ENOSPC (file-system errors), DZ_ENOMEM, with detail in em.
 */
int ident_load_or_create(const char *path, struct ident **out, int *created,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* ident_free: wipe and release id (NULL is fine). */
void ident_free(struct ident *id);

/* ident_pk_hex: pk as 64 lower-case hex digits and a NUL; returns out. */
char *ident_pk_hex(const uint8_t pk[static IDENT_PKBYTES],
    char out[static IDENT_HEXBYTES]);

/* ident_pk_parse: exactly 64 hex digits (either case, nothing else) into
 * pk. Returns 0 or DZ_EFORMAT (pk untouched then). */
int ident_pk_parse(const char *hex, uint8_t pk[static IDENT_PKBYTES]) DZ_MUST_CHECK;

#endif
