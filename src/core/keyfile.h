/*
 * keyfile: the account key record: KDF parameters, salt and wrapped master
 * key, as stored in a local store (and, later, at the coordinator).
 *
 * Format v1 (all integers little-endian; see docs/formats.md):
 *   version u8 = 1 | magic "DZK" | alg u8 | reserved u8[3] = 0 |
 *   opslimit u64 | memlimit u64 | salt[16] | wrapped[MKEY_WRAPPEDBYTES]
 * The wrap's associated data is every byte before `wrapped`, followed by the
 * account name, so neither the parameters nor the owner can be changed
 * without the password check failing.
 */
#ifndef DZ_KEYFILE_H
#define DZ_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mkey.h"
#include "core/pwkey.h"

#define KEYFILE_VERSION 1
#define KEYFILE_HDRBYTES (1 + 3 + 1 + 3 + 8 + 8 + PWKEY_SALTBYTES)
#define KEYFILE_BYTES (KEYFILE_HDRBYTES + MKEY_WRAPPEDBYTES)

struct keyfile {
	struct pwkey_params params;
	uint8_t salt[PWKEY_SALTBYTES];
	uint8_t wrapped[MKEY_WRAPPEDBYTES];
};

/* keyfile_encode: serialise kf into exactly KEYFILE_BYTES at out. */
void keyfile_encode(const struct keyfile *kf, uint8_t out[static KEYFILE_BYTES]);

/* keyfile_parse: strict parse of len bytes (must be exactly KEYFILE_BYTES):
 * DZ_EFORMAT (bad magic, length or reserved bytes), DZ_EVERSION, DZ_ERANGE
 * (parameters out of bounds). */
int keyfile_parse(const uint8_t *buf, size_t len, struct keyfile *kf) DZ_MUST_CHECK;

/*
 * keyfile_create: new random salt and master key; derive the KEK from the
 * password with params and wrap the master key, binding the account name.
 * mk (caller's sodium_malloc memory) receives the master key, and
 * login_pk the Ed25519 public login key. Returns 0 or an error.
 */
int keyfile_create(const char *pw, size_t pwlen, const struct pwkey_params *params,
    const char *account, struct keyfile *kf, uint8_t mk[static MKEY_BYTES],
    uint8_t login_pk[static 32]) DZ_MUST_CHECK;

/* keyfile_open: derive the KEK from the password and unwrap. DZ_EPASSWORD
 * on a wrong password (or an altered keyfile). */
int keyfile_open(const struct keyfile *kf, const char *pw, size_t pwlen,
    const char *account, uint8_t mk[static MKEY_BYTES]) DZ_MUST_CHECK;

/* keyfile_rewrap: re-wrap mk under a new password (fresh salt, given
 * params): a password change that re-encrypts no data. */
int keyfile_rewrap(struct keyfile *kf, const char *newpw, size_t newpwlen,
    const struct pwkey_params *params, const char *account,
    const uint8_t mk[static MKEY_BYTES]) DZ_MUST_CHECK;

#endif
