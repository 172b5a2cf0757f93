/* fsio: whole reads and writes, durable replacement, errno mapping. */
#include "core/fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
fsio_errno(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
		return DZ_ENOSPC;
	case ENOENT:
		return DZ_ENOENT;
	case EEXIST:
		return DZ_EEXIST;
	case ENOMEM:
		return DZ_ENOMEM;
	default:
		return DZ_EIO;
	}
}

int
fsio_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return fsio_errno(errno);
		}
		if (w == 0) {
			errno = EIO;
			return DZ_EIO;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
fsio_read_full(int fd, void *buf, size_t len, size_t *got)
{
	uint8_t *p = buf;
	size_t n = 0;

	while (n < len) {
		ssize_t r = read(fd, p + n, len - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*got = n;
			return fsio_errno(errno);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return 0;
}

int
fsio_read_file(int dirfd, const char *path, uint8_t *buf, size_t cap,
    size_t *len, struct dz_errmsg *em)
{
	struct stat st;
	int fd, rc;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dz_errf(em, fsio_errno(errno), "cannot open %s: %s",
		    path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = dz_errf(em, DZ_EIO, "cannot stat %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size > cap) {
		rc = dz_errf(em, DZ_ERANGE, "%s is not a regular file of at most %zu bytes",
		    path, cap);
		goto out;
	}
	rc = fsio_read_full(fd, buf, cap, len);
	if (rc != 0)
		rc = dz_errf(em, rc, "cannot read %s: %s", path, strerror(errno));
	else if (*len != (size_t)st.st_size)
		rc = dz_errf(em, DZ_EIO, "%s changed while being read", path);
out:
	close(fd);
	return rc;
}

int
fsio_fsync_dir(int dirfd, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return DZ_ERANGE;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (dir[0] == '\0')
			snprintf(dir, sizeof(dir), "/");
	}
	fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fsio_errno(errno);
	if (fsync(fd) != 0)
		rc = fsio_errno(errno);
	close(fd);
	return rc;
}

int
fsio_write_durable(int dirfd, const char *path, const uint8_t *buf,
    size_t len, int excl, mode_t mode, struct dz_errmsg *em)
{
	char tmp[PATH_MAX];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return dz_errf(em, DZ_ERANGE, "path too long: %s", path);
	if (excl && faccessat(dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return dz_errf(em, DZ_EEXIST, "%s already exists", path);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return dz_errf(em, fsio_errno(errno), "cannot create %s: %s",
		    tmp, strerror(errno));
	rc = fsio_write_all(fd, buf, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = fsio_errno(errno);
	if (close(fd) != 0 && rc == 0)
		rc = fsio_errno(errno);
	if (rc != 0) {
		rc = dz_errf(em, rc, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (excl) {
		/* link fails if path appeared meanwhile: no overwrite race */
		if (linkat(dirfd, tmp, dirfd, path, 0) != 0) {
			rc = dz_errf(em, fsio_errno(errno), "cannot create %s: %s",
			    path, strerror(errno));
			goto fail;
		}
		unlinkat(dirfd, tmp, 0);
	} else if (renameat(dirfd, tmp, dirfd, path) != 0) {
		rc = dz_errf(em, fsio_errno(errno), "cannot rename %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	rc = fsio_fsync_dir(dirfd, path);
	if (rc != 0)
		return dz_errf(em, rc, "cannot sync the directory of %s", path);
	return 0;
fail:
	unlinkat(dirfd, tmp, 0);
	return rc;
}
