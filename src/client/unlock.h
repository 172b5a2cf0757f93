/*
 * unlock: keeping an account's master key unlocked for a while, so that
 * commands after `drizzle unlock` skip Argon2id (about a second and
 * 256 MiB each) and ask for no password.
 *
 * The key lives in the kernel's session keyring (keyrings(7)), as a
 * "user" key whose payload is kernel memory: never swapped, never
 * written to disk, gone at reboot, and dropped by the kernel itself when
 * its timeout passes (keyctl_set_timeout), whether or not any process of
 * ours is still running. Only processes that possess the session keyring
 * (this login session's processes) may read it; other processes of the
 * same user may see that it exists, not read it. docs/security.md
 * ("Unlocked sessions") says what this trades.
 *
 * One item per profile: its description is "drizzle-unlock:" and a hash
 * of the profile directory's real path, so two profiles never find each
 * other's key. Its payload (80 bytes, little-endian):
 *   version u8 = 1 | reserved u8[7] = 0 | expires u64 (Unix seconds) |
 *   binding[32] | master key[32]
 * where binding is a BLAKE2b-256 of the profile directory, user name,
 * coordinator address and pinned key, and the keyfile's bytes: a payload
 * whose binding no longer matches the profile (logged in again, another
 * account, password changed here) is stale, is removed, and the caller
 * asks for the password as if nothing was unlocked.
 *
 * Not for the password: only what the password unlocks is kept.
 */
#ifndef DZ_UNLOCK_H
#define DZ_UNLOCK_H

#include <stdint.h>

#include "client/profile.h"
#include "core/err.h"
#include "core/mkey.h"

#define UNLOCK_DEFAULT_SECONDS (15u * 60)
#define UNLOCK_MAX_SECONDS (24u * 3600)

/*
 * unlock_store: keep mk (the master key that p's keyfile wraps, as
 * session_open found it) unlocked for the profile p loaded from home, for
 * seconds (1 to UNLOCK_MAX_SECONDS), replacing what was kept before.
 * *until (may be NULL) receives the Unix time it expires. Returns 0,
 * DZ_ERANGE (seconds), DZ_ENOENT (home has no account) or DZ_EIO (the
 * kernel keyring refused: em says why).
 */
int unlock_store(const char *home, const struct profile *p,
    const uint8_t mk[static MKEY_BYTES], unsigned seconds, int64_t *until,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * unlock_fetch: the master key kept unlocked for the profile p loaded
 * from home, into mk (caller's sodium_malloc memory), and its expiry
 * into *until (may be NULL). Returns 0, or DZ_ENOENT when nothing usable
 * is kept (never unlocked, locked, expired, or stale: a stale item is
 * removed), or DZ_EIO when the keyring cannot be read; mk is zeroed on
 * failure.
 */
int unlock_fetch(const char *home, const struct profile *p,
    uint8_t mk[static MKEY_BYTES], int64_t *until,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * unlock_forget: forget at once what is kept unlocked for the profile in
 * home, whatever account it was for. *had (may be NULL) is set to 1 if
 * something was kept. 0 also when nothing was; DZ_EIO if the kernel
 * refused to remove it.
 */
int unlock_forget(const char *home, int *had, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
