/*
 * device: this computer's own key for the account (its "device key").
 *
 * Each computer logged in to an account shows its own Ed25519 key in TLS,
 * bound to the account at the coordinator by SIGNUP or LOGIN, so that one
 * computer can be logged out (a password change, `drizzle devices
 * revoke`) without the others. The key's 32-byte seed is random, and is
 * kept in the profile (file `device`) wrapped under a sub-key of the
 * master key (mkey_derive MKEY_SUB_DEVICE): using it needs the master key,
 * so the password (or an unlocked session), as before.
 *
 * Format v1 (DEVICE_BYTES, docs/formats.md):
 *   version u8 = 1 | magic "DZD" | wrapped[MKEY_WRAPPEDBYTES]
 * The wrap's associated data is the 4 header bytes followed by the
 * account name, so a device file moved to another account does not open.
 */
#ifndef DZ_DEVICE_H
#define DZ_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mkey.h"

#define DEVICE_VERSION 1
#define DEVICE_HDRBYTES 4
#define DEVICE_BYTES (DEVICE_HDRBYTES + MKEY_WRAPPEDBYTES)
#define DEVICE_SEEDBYTES 32

/* device_seal: wrap seed (this computer's key seed) under mk for account
 * user into out. Returns 0 or DZ_ECRYPTO / DZ_EINVAL. */
int device_seal(const uint8_t mk[static MKEY_BYTES], const char *user,
    const uint8_t seed[static DEVICE_SEEDBYTES],
    uint8_t out[static DEVICE_BYTES]) DZ_MUST_CHECK;

/* device_open: the seed sealed in in (DEVICE_BYTES) under mk for user.
 * Returns 0, DZ_EFORMAT / DZ_EVERSION (not a device file), or DZ_EAUTH
 * (sealed under another master key or account, or altered); seed is zeroed
 * on failure. */
int device_open(const uint8_t mk[static MKEY_BYTES], const char *user,
    const uint8_t in[static DEVICE_BYTES],
    uint8_t seed[static DEVICE_SEEDBYTES]) DZ_MUST_CHECK;

#endif
