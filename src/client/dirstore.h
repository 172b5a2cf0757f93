/*
 * dirstore: a store (store.h) in a local directory.
 *
 * Stands in for the network until it exists, and stays useful for tests and
 * for offline copies. Layout:
 *   DIR/keyfile              the account key record (keyfile.h)
 *   DIR/frags/XX/<hex name>  one file per fragment, XX = first hex byte
 *   DIR/records/<hex id>     one file per sealed file record
 * Fragments are written to a temporary name and renamed, and made durable
 * in groups by sync (one syncfs for everything written since the last one,
 * since one fsync per fragment would cap us at a few hundred fragments per
 * second on this disk). Records are fsynced and renamed one by one.
 */
#ifndef DZ_DIRSTORE_H
#define DZ_DIRSTORE_H

#include <stdint.h>

#include "client/store.h"
#include "core/err.h"
#include "core/hex.h" /* hex_encode for the users of record ids */

struct dirstore;

/* dirstore_open: open the store in dir; with create, make dir and its
 * subdirectories first (an existing store is fine). DZ_ENOENT if dir is
 * not a store and create is not set. */
int dirstore_open(const char *dir, int create, struct dirstore **out,
    struct dz_errmsg *em) DZ_MUST_CHECK;
void dirstore_close(struct dirstore *d);

/* dirstore_store: the store_ops view of d (valid while d is open). */
struct store dirstore_store(struct dirstore *d);

/* dirstore_dirfd: descriptor of the store's root (for the keyfile). */
int dirstore_dirfd(const struct dirstore *d);

/* dirstore_list: call fn for every committed record id, in no order; stops
 * at and returns the first non-zero value fn returns. */
int dirstore_list(struct dirstore *d,
    int (*fn)(void *arg, const uint8_t id[STORE_NAMEBYTES]), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
