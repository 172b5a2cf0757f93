/*
 * fragfile: fragment files written and read with direct I/O for their
 * aligned bulk (see fragfile.h for why).
 */
#include "core/fragfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsio.h"
#include "core/hex.h"

void
fragfile_path(const uint8_t name[static FRAGFILE_NAMEBYTES],
    char out[static FRAGFILE_PATH_MAX])
{
	char hex[2 * FRAGFILE_NAMEBYTES + 1];

	hex_encode(name, FRAGFILE_NAMEBYTES, hex);
	snprintf(out, FRAGFILE_PATH_MAX, "frags/%.2s/%s", hex, hex);
}

int
fragfile_mkdir_at(int dirfd, const char *path)
{
	if (mkdirat(dirfd, path, 0700) != 0 && errno != EEXIST)
		return fsio_errno(errno);
	return 0;
}

int
fragfile_mkdirs(int dirfd)
{
	char sub[16];
	int rc = fragfile_mkdir_at(dirfd, "frags");

	for (unsigned i = 0; rc == 0 && i < 256; i++) {
		snprintf(sub, sizeof(sub), "frags/%02x", i);
		rc = fragfile_mkdir_at(dirfd, sub);
	}
	return rc;
}

static int
dio_ok(const void *buf, size_t len)
{
	return ((uintptr_t)buf % FRAGFILE_DIO_ALIGN) == 0 &&
	    len >= FRAGFILE_DIO_ALIGN;
}

/* Open with O_DIRECT if *direct and the file system allows it; *direct
 * is cleared when it does not. */
static int
open_maybe_direct(int dirfd, const char *path, int flags, int *direct)
{
	int fd;

	if (*direct) {
		fd = openat(dirfd, path, flags | O_DIRECT, 0600);
		if (fd >= 0 || errno != EINVAL)
			return fd;
		*direct = 0;
	}
	return openat(dirfd, path, flags, 0600);
}

/* The tail is not a whole block: O_DIRECT would refuse it. */
static int
clear_direct(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_DIRECT) != 0)
		return fsio_errno(errno);
	return 0;
}

int
fragfile_write_new(int dirfd, const char *path, int flags,
    const uint8_t *buf, size_t len, struct dz_errmsg *em)
{
	int direct = dio_ok(buf, len), fd, rc = 0;
	size_t bulk;

	fd = open_maybe_direct(dirfd, path, O_WRONLY | O_CREAT | O_CLOEXEC | flags,
	    &direct);
	if (fd < 0)
		return dz_errf(em, fsio_errno(errno), "cannot create fragment file %s: %s",
		    path, strerror(errno));
	bulk = direct ? len & ~(size_t)(FRAGFILE_DIO_ALIGN - 1) : 0;
	if (bulk > 0)
		rc = fsio_write_all(fd, buf, bulk);
	if (rc == 0 && direct)
		rc = clear_direct(fd);
	if (rc == 0)
		rc = fsio_write_all(fd, buf + bulk, len - bulk);
	if (rc != 0)
		dz_errf(em, rc, "cannot write fragment file %s: %s", path,
		    strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = dz_errf(em, fsio_errno(errno), "cannot write fragment file %s: %s",
		    path, strerror(errno));
	if (rc != 0)
		unlinkat(dirfd, path, 0);
	return rc;
}

int
fragfile_read(int dirfd, const char *path, uint8_t *buf, size_t cap,
    size_t *len, struct dz_errmsg *em)
{
	struct stat st;
	size_t size, bulk, got = 0, tail = 0;
	int fd, rc, direct = dio_ok(buf, cap);

	*len = 0;
	fd = open_maybe_direct(dirfd, path, O_RDONLY | O_CLOEXEC, &direct);
	if (fd < 0)
		return dz_errf(em, fsio_errno(errno), "cannot open fragment file %s: %s",
		    path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = dz_errf(em, DZ_EIO, "%s is not a readable fragment file", path);
		goto out;
	}
	if ((uintmax_t)st.st_size > SIZE_MAX) {
		rc = dz_errf(em, DZ_ERANGE, "fragment file %s is too large", path);
		goto out;
	}
	size = (size_t)st.st_size;
	*len = size;
	if (size > cap) {
		rc = dz_errf(em, DZ_ERANGE, "fragment file %s has %zu bytes, the buffer %zu",
		    path, size, cap);
		goto out;
	}
	bulk = direct ? size & ~(size_t)(FRAGFILE_DIO_ALIGN - 1) : 0;
	rc = bulk > 0 ? fsio_read_full(fd, buf, bulk, &got) : 0;
	if (rc == 0 && direct)
		rc = clear_direct(fd);
	if (rc == 0 && got == bulk) {
		rc = fsio_read_full(fd, buf + bulk, size - bulk, &tail);
		got += tail;
	}
	if (rc != 0)
		dz_errf(em, rc, "cannot read fragment file %s: %s", path, strerror(errno));
	else if (got != size)
		rc = dz_errf(em, DZ_EIO, "fragment file %s changed while being read", path);
out:
	close(fd);
	return rc;
}
