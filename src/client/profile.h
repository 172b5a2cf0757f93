/*
 * profile: what a client keeps on its computer between commands, in one
 * directory (--home DIR, else $DRIZZLE_HOME, else ~/.config/drizzle):
 *   coordinator   "ADDR:PORT\n<64-hex Ed25519 key>\n": where the
 *                 coordinator is and the key pinned at first contact
 *   account       the user name, one line
 *   keyfile       the account's keyfile (keyfile.h): the master key wrapped
 *                 under the password, so commands can unlock offline
 *   device        this computer's own key, sealed under the master key
 *                 (client/device.h): what its connections show
 * Nothing here decrypts anything without the password: the device key
 * that authenticates the client to the coordinator opens only with the
 * master key, never stored unwrapped. Files are written
 * durably (temporary file, fsync, rename) with mode 0600 in a 0700
 * directory. Not for the password or any unwrapped key.
 */
#ifndef DZ_PROFILE_H
#define DZ_PROFILE_H

#include <limits.h>
#include <stdint.h>

#include "core/err.h"
#include "core/keyfile.h"

#define PROFILE_ADDRMAX 64
#define PROFILE_USERMAX 64
#define PROFILE_DEVICEBYTES 76 /* DEVICE_BYTES (client/device.h) */

struct profile {
	char home[PATH_MAX];
	int have_coordinator;
	char coord_addr[PROFILE_ADDRMAX + 1];
	uint8_t coord_pk[32];
	int have_account; /* account and keyfile both present */
	char user[PROFILE_USERMAX + 1];
	uint8_t keyfile[KEYFILE_BYTES];
	int have_device;  /* the device file is present */
	uint8_t device[PROFILE_DEVICEBYTES];
};

/* profile_home: resolve the home directory from opt (may be NULL), then
 * $DRIZZLE_HOME, then $HOME/.config/drizzle, into out. */
int profile_home(const char *opt, char out[PATH_MAX], struct dz_errmsg *em) DZ_MUST_CHECK;

/* profile_load: read whatever the profile in home holds (a missing home
 * or file is not an error: the have_ flags say what was found). A file
 * that exists but is malformed is DZ_EFORMAT, naming the file. */
int profile_load(const char *home, struct profile *p, struct dz_errmsg *em) DZ_MUST_CHECK;

/* profile_save_coordinator: record the coordinator and its pinned key
 * (creating home if needed). */
int profile_save_coordinator(const char *home, const char *addr,
    const uint8_t pk[static 32], struct dz_errmsg *em) DZ_MUST_CHECK;

/* profile_save_account: record the user name, the keyfile blob and the
 * sealed device key (device may be NULL: the device file is kept). */
int profile_save_account(const char *home, const char *user,
    const uint8_t keyfile[static KEYFILE_BYTES], const uint8_t *device,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* profile_forget_account: remove account, keyfile and device (logout); the
 * coordinator pin stays. Missing files are fine. */
int profile_forget_account(const char *home, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
