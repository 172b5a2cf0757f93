/*
 * fragfile: fragment files on a local disk, as both the peer's fragment
 * store (peer/fragstore.c) and the client's directory store
 * (client/dirstore.c) keep them:
 *   DIR/frags/XX/<64 hex digits>   XX = the name's first byte
 * written and read with direct I/O for their page-aligned bulk (on our
 * virtual machines the page cache costs more than the disk: every newly
 * cached page faults on the host, and a buffered 1 GiB write ran at a third
 * of the speed of a direct one; fragments are written once and read
 * rarely), the unaligned tail through the page cache, and plain I/O on a
 * file system without O_DIRECT.
 *
 * Not for: deciding where a file goes once written (rename rules, syncs,
 * capacity): each store has its own.
 */
#ifndef DZ_FRAGFILE_H
#define DZ_FRAGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define FRAGFILE_NAMEBYTES 32
/* buffers aligned to this (and at least this long) get direct I/O */
#define FRAGFILE_DIO_ALIGN 4096
/* "frags/XX/" + a name and room for a temporary prefix and counter */
#define FRAGFILE_PATH_MAX 128

/* fragfile_path: "frags/XX/<hex>" for name into out. */
void fragfile_path(const uint8_t name[static FRAGFILE_NAMEBYTES],
    char out[static FRAGFILE_PATH_MAX]);

/* fragfile_mkdir_at: make directory path (dirfd-relative, mode 0700);
 * one that exists is fine. 0 or a dz_err (errno kept). */
int fragfile_mkdir_at(int dirfd, const char *path) DZ_MUST_CHECK;

/* fragfile_mkdirs: make frags/ and its 256 subdirectories under dirfd.
 * 0 or a dz_err (errno kept). */
int fragfile_mkdirs(int dirfd) DZ_MUST_CHECK;

/*
 * fragfile_write_new: create path (dirfd-relative, mode 0600, flags added
 * to O_WRONLY | O_CREAT: O_EXCL or O_TRUNC) and write len bytes of buf,
 * directly if buf is aligned, then close it. Not synced. On failure path
 * is removed and em names it. Returns 0, DZ_EEXIST (O_EXCL), DZ_ENOSPC,
 * DZ_EIO.
 */
int fragfile_write_new(int dirfd, const char *path, int flags,
    const uint8_t *buf, size_t len, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * fragfile_read: read the whole regular file at path (dirfd-relative)
 * into buf (cap bytes; aligned to FRAGFILE_DIO_ALIGN for direct reads).
 * *len receives its size, also when it does not fit. Returns 0; DZ_ENOENT;
 * DZ_ERANGE if larger than cap; DZ_EIO (not a regular file, a read error,
 * or it changed size while being read); detail in em.
 */
int fragfile_read(int dirfd, const char *path, uint8_t *buf, size_t cap,
    size_t *len, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
