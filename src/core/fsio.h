/*
 * fsio: small, careful file-system helpers: whole reads and writes that
 * retry on EINTR and short counts, durable replacement of a file
 * (temporary file, fsync, rename, fsync of the directory), and errno
 * translated into dz_err codes with a message naming the path.
 * Not for streaming large data through buffers: callers own their loops.
 */
#ifndef DZ_FSIO_H
#define DZ_FSIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"

/* fsio_errno: the dz_err for an errno value (ENOSPC -> DZ_ENOSPC, ENOENT ->
 * DZ_ENOENT, EEXIST -> DZ_EEXIST, ENOMEM -> DZ_ENOMEM, else DZ_EIO). */
int fsio_errno(int e);

/* fsio_write_all: write len bytes to fd. 0 or a dz_err (errno kept). */
int fsio_write_all(int fd, const void *buf, size_t len) DZ_MUST_CHECK;

/* fsio_read_full: read up to len bytes, stopping early only at end of
 * file; *got receives the count. 0 or a dz_err (errno kept). */
int fsio_read_full(int fd, void *buf, size_t len, size_t *got) DZ_MUST_CHECK;

/* fsio_read_file: read a whole file of at most cap bytes at path (relative
 * to dirfd, or AT_FDCWD). DZ_ERANGE if larger, DZ_ENOENT if absent. */
int fsio_read_file(int dirfd, const char *path, uint8_t *buf, size_t cap,
    size_t *len, struct dz_errmsg *em) DZ_MUST_CHECK;

/* fsio_write_durable: replace path (relative to dirfd) with len bytes of
 * buf, durably: write "<path>.tmp", fsync, rename, fsync the directory.
 * If excl is set, fail with DZ_EEXIST rather than replace an existing
 * file. On failure the temporary file is removed and path is untouched. */
int fsio_write_durable(int dirfd, const char *path, const uint8_t *buf,
    size_t len, int excl, mode_t mode, struct dz_errmsg *em) DZ_MUST_CHECK;

/* fsio_fsync_dir: fsync the directory containing path (dirfd-relative). */
int fsio_fsync_dir(int dirfd, const char *path) DZ_MUST_CHECK;

#endif
