/*
 * ltree_out: re-creating a tree under a local root for `get -r` (ltree.h).
 *
 * Names come from the network, so nothing here trusts them: every rel is
 * checked (ltree_rel_ok) and reached from the root's fd one component at
 * a time with O_NOFOLLOW|O_DIRECTORY, so a symlink planted in the output
 * tree (out/a -> /elsewhere) stops the write with an error instead of
 * redirecting it. The parent folder last reached is kept open (one fd)
 * because a pre-order get -r writes the files of one folder one after the
 * other: one openat per component per folder, not per file.
 *
 * Folders are made 0700 and get their stored mode and mtime only at
 * ltree_out_close, deepest first: a 0555 folder can still be filled, and
 * writing its files does not disturb its mtime.
 */
#include "client/ltree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "client/folder.h"
#include "core/fsio.h"

/* A folder named by ltree_out_mkdir, for ltree_out_close. */
struct odir {
	char *rel;
	int depth;
	uint32_t mode;
	int64_t sec;
	uint32_t nsec;
};

/* A file between begin and commit/abort: its own dup of the parent's fd
 * (the cached parent moves on) and its temporary name there. */
struct opend {
	int fd, pfd;
	char tmp[32];
	char *rel;
};

struct ltree_out {
	int rootfd, force;
	int lazy;                      /* ltree_out_lazy_sync: one syncfs at close */
	struct odir *dirs;
	size_t ndirs, capdirs;
	struct opend *pend;
	size_t npend, cappend;
	int cfd;                       /* the cached parent folder, or -1 */
	char crel[LTREE_PATHMAX + 1];  /* its path ("" is never cached: rootfd) */
};

int
ltree_rel_ok(const char *rel, struct dz_errmsg *em)
{
	char comp[LTREE_NAMEMAX + 1];
	size_t n = strlen(rel), i = 0;

	if (n == 0)
		return dz_errf(em, DZ_EINVAL, "an empty path");
	if (n > LTREE_PATHMAX)
		return dz_errf(em, DZ_EINVAL, "a path longer than %d bytes", LTREE_PATHMAX);
	if (rel[0] == '/')
		return dz_errf(em, DZ_EINVAL, "a path under the root cannot start with '/'");
	while (i <= n) {
		size_t j = i;

		while (j < n && rel[j] != '/')
			j++;
		if (j == i)
			return dz_errf(em, DZ_EINVAL, "a path with an empty component");
		if (j - i > LTREE_NAMEMAX)
			return dz_errf(em, DZ_EINVAL, "a path with a component over %d bytes",
			    LTREE_NAMEMAX);
		memcpy(comp, rel + i, j - i);
		comp[j - i] = '\0';
		/* UTF-8, no control character, not "." or ".." */
		if (folder_name_ok(comp, em) != 0)
			return DZ_EINVAL;
		i = j + 1;
	}
	return 0;
}

static const char *
leaf_of(const char *rel)
{
	const char *s = strrchr(rel, '/');

	return s ? s + 1 : rel;
}

static void
cache_drop(struct ltree_out *o)
{
	if (o->cfd >= 0)
		close(o->cfd);
	o->cfd = -1;
	o->crel[0] = '\0';
}

/*
 * parent_fd: the fd of rel's parent folder (borrowed: o's root or its
 * cache), reached from the root component by component without following
 * anything. A link or file in the way is DZ_EEXIST, a missing folder
 * DZ_ENOENT; em names the component's path.
 */
static int
parent_fd(struct ltree_out *o, const char *rel, int *pfd, struct dz_errmsg *em)
{
	const char *leaf = leaf_of(rel);
	size_t plen = leaf > rel ? (size_t)(leaf - rel - 1) : 0, i = 0;
	char comp[LTREE_NAMEMAX + 1];
	int cur = o->rootfd;

	if (plen == 0) {
		*pfd = o->rootfd;
		return 0;
	}
	if (o->cfd >= 0 && strlen(o->crel) == plen && memcmp(o->crel, rel, plen) == 0) {
		*pfd = o->cfd;
		return 0;
	}
	cache_drop(o);
	while (i < plen) {
		size_t j = i;
		int next;

		while (j < plen && rel[j] != '/')
			j++;
		memcpy(comp, rel + i, j - i); /* <= LTREE_NAMEMAX: ltree_rel_ok */
		comp[j - i] = '\0';
		next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno;

			if (cur != o->rootfd)
				close(cur);
			if (e == ELOOP || e == ENOTDIR)
				return dz_errf(em, DZ_EEXIST,
				    "'%.*s' is in the way: a link or file where a folder should "
				    "be (nothing is written through it)", (int)j, rel);
			if (e == ENOENT)
				return dz_errf(em, DZ_ENOENT, "folder '%.*s' does not exist",
				    (int)j, rel);
			return dz_errf(em, fsio_errno(e), "cannot open folder '%.*s': %s",
			    (int)j, rel, strerror(e));
		}
		if (cur != o->rootfd)
			close(cur);
		cur = next;
		i = j + 1;
	}
	o->cfd = cur;
	memcpy(o->crel, rel, plen);
	o->crel[plen] = '\0';
	*pfd = cur;
	return 0;
}

static int
times_ok(uint32_t nsec, const char *rel, struct dz_errmsg *em)
{
	if (nsec >= 1000000000u)
		return dz_errf(em, DZ_EINVAL, "'%s': nanoseconds out of range", rel);
	return 0;
}

static void
times_set(struct timespec ts[2], int64_t sec, uint32_t nsec)
{
	/* atime: now (not stored); mtime: as stored */
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_sec = (time_t)sec;
	ts[1].tv_nsec = (long)nsec;
}

int
ltree_out_open(const char *root, int force, struct ltree_out **out,
    struct dz_errmsg *em)
{
	struct ltree_out *o;
	int created = 0, fd;

	*out = NULL;
	if (mkdir(root, 0777) == 0)
		created = 1;
	else if (errno != EEXIST)
		return dz_errf(em, fsio_errno(errno), "cannot make folder '%s': %s", root,
		    strerror(errno));
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		if (errno == ENOTDIR)
			return dz_errf(em, DZ_EEXIST, "'%s' exists and is not a folder", root);
		return dz_errf(em, fsio_errno(errno), "cannot open folder '%s': %s", root,
		    strerror(errno));
	}
	if (created && fsio_fsync_dir(AT_FDCWD, root) != 0) {
		close(fd);
		return dz_errf(em, DZ_EIO, "cannot sync the folder holding '%s'", root);
	}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		close(fd);
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	}
	o->rootfd = fd;
	o->force = force;
	o->cfd = -1;
	*out = o;
	return 0;
}

void
ltree_out_lazy_sync(struct ltree_out *o)
{
	o->lazy = 1;
}

static int
dir_note(struct ltree_out *o, const char *rel, uint32_t mode, int64_t sec,
    uint32_t nsec, struct dz_errmsg *em)
{
	struct odir *d;
	int depth = 1;

	if (o->ndirs == o->capdirs) {
		size_t cap = o->capdirs ? o->capdirs * 2 : 64;

		if ((d = reallocarray(o->dirs, cap, sizeof(*d))) == NULL)
			return dz_errf(em, DZ_ENOMEM, "out of memory");
		o->dirs = d;
		o->capdirs = cap;
	}
	for (const char *p = rel; *p; p++)
		depth += *p == '/';
	d = &o->dirs[o->ndirs];
	if ((d->rel = strdup(rel)) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	d->depth = depth;
	d->mode = mode & 07777u;
	d->sec = sec;
	d->nsec = nsec;
	o->ndirs++;
	return 0;
}

int
ltree_out_mkdir(struct ltree_out *o, const char *rel, uint32_t mode,
    int64_t mtime_sec, uint32_t mtime_nsec, struct dz_errmsg *em)
{
	const char *leaf = leaf_of(rel);
	struct stat st;
	int pfd, rc;

	if ((rc = ltree_rel_ok(rel, em)) != 0 || (rc = times_ok(mtime_nsec, rel, em)) != 0 ||
	    (rc = parent_fd(o, rel, &pfd, em)) != 0)
		return rc;
	if (mkdirat(pfd, leaf, 0700) != 0) {
		if (errno != EEXIST)
			return dz_errf(em, fsio_errno(errno), "cannot make folder '%s': %s",
			    rel, strerror(errno));
		if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return dz_errf(em, fsio_errno(errno), "cannot stat '%s': %s", rel,
			    strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			/* kept; writable for now so that its files can be
			 * replaced (its mode is set at close). If that fails the
			 * writes into it say why. */
			if ((st.st_mode & 0700) != 0700)
				(void)fchmodat(pfd, leaf, (st.st_mode & 07777) | 0700, 0);
		} else if (!o->force) {
			return dz_errf(em, DZ_EEXIST,
			    "'%s' exists and is not a folder (--force replaces it)", rel);
		} else if (unlinkat(pfd, leaf, 0) != 0 || mkdirat(pfd, leaf, 0700) != 0) {
			return dz_errf(em, fsio_errno(errno), "cannot replace '%s' by a folder: %s",
			    rel, strerror(errno));
		}
	}
	return dir_note(o, rel, mode, mtime_sec, mtime_nsec, em);
}

/* Whether rel (leaf in pfd) may be replaced: absent, or force and not a
 * folder. */
static int
may_replace(struct ltree_out *o, int pfd, const char *rel, struct dz_errmsg *em)
{
	struct stat st;

	if (fstatat(pfd, leaf_of(rel), &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		return dz_errf(em, fsio_errno(errno), "cannot stat '%s': %s", rel,
		    strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return dz_errf(em, DZ_EEXIST, "'%s' exists and is a folder (not replaced)",
		    rel);
	if (!o->force)
		return dz_errf(em, DZ_EEXIST, "'%s' exists (--force replaces it)", rel);
	return 0;
}

/* A fresh temporary name in tmp[32]: ".dztmp-" and 16 random hex digits
 * (not derived from the leaf, which may already have 255 bytes). */
static void
tmp_name(char tmp[static 32])
{
	uint8_t r[8];

	randombytes_buf(r, sizeof(r));
	memcpy(tmp, ".dztmp-", 7);
	sodium_bin2hex(tmp + 7, 32 - 7, r, sizeof(r));
}

int
ltree_out_file_begin(struct ltree_out *o, const char *rel, int *fd,
    struct dz_errmsg *em)
{
	struct opend *p;
	int pfd, rc, f = -1, dfd;
	char tmp[32];

	*fd = -1;
	if ((rc = ltree_rel_ok(rel, em)) != 0 || (rc = parent_fd(o, rel, &pfd, em)) != 0 ||
	    (rc = may_replace(o, pfd, rel, em)) != 0)
		return rc;
	if (o->npend == o->cappend) {
		size_t cap = o->cappend ? o->cappend * 2 : 8;

		if ((p = reallocarray(o->pend, cap, sizeof(*p))) == NULL)
			return dz_errf(em, DZ_ENOMEM, "out of memory");
		o->pend = p;
		o->cappend = cap;
	}
	for (int tries = 0; f < 0 && tries < 8; tries++) {
		tmp_name(tmp);
		f = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (f < 0 && errno != EEXIST)
			break;
	}
	if (f < 0)
		return dz_errf(em, fsio_errno(errno), "cannot create a file beside '%s': %s",
		    rel, strerror(errno));
	p = &o->pend[o->npend];
	if ((dfd = fcntl(pfd, F_DUPFD_CLOEXEC, 0)) < 0 || (p->rel = strdup(rel)) == NULL) {
		rc = dz_errf(em, dfd < 0 ? fsio_errno(errno) : DZ_ENOMEM,
		    "cannot create a file beside '%s'", rel);
		(void)unlinkat(pfd, tmp, 0);
		close(f);
		if (dfd >= 0)
			close(dfd);
		return rc;
	}
	p->fd = f;
	p->pfd = dfd;
	memcpy(p->tmp, tmp, sizeof(tmp));
	o->npend++;
	*fd = f;
	return 0;
}

/* Take the pending file of fd out of o's list into *out; -1 if unknown. */
static int
pend_take(struct ltree_out *o, int fd, struct opend *out)
{
	for (size_t i = 0; i < o->npend; i++) {
		if (o->pend[i].fd != fd)
			continue;
		*out = o->pend[i];
		o->pend[i] = o->pend[--o->npend];
		return 0;
	}
	return -1;
}

/* Forget p, removing its temporary file unless it was renamed. */
static void
pend_drop(struct opend *p, int renamed)
{
	if (!renamed)
		(void)unlinkat(p->pfd, p->tmp, 0);
	close(p->pfd);
	free(p->rel);
}

/* Rename tmp to leaf in pfd: with force over a file or link, without
 * never over anything (RENAME_NOREPLACE, or link+unlink where the file
 * system lacks it). */
static int
put_in_place(int pfd, const char *tmp, const char *leaf, int force)
{
	if (force)
		return renameat(pfd, tmp, pfd, leaf);
	if (renameat2(pfd, tmp, pfd, leaf, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(pfd, tmp, pfd, leaf, 0) != 0)
		return -1;
	(void)unlinkat(pfd, tmp, 0);
	return 0;
}

int
ltree_out_file_commit(struct ltree_out *o, const char *rel, int fd,
    uint32_t mode, int64_t mtime_sec, uint32_t mtime_nsec, struct dz_errmsg *em)
{
	struct timespec ts[2];
	struct opend p;
	int rc = 0, renamed = 0;

	if (pend_take(o, fd, &p) != 0) {
		close(fd);
		return dz_errf(em, DZ_EINVAL, "'%s': not a file begun here", rel);
	}
	if (strcmp(p.rel, rel) != 0) {
		rc = dz_errf(em, DZ_EINVAL, "'%s': the file was begun as another path", rel);
		close(fd);
		goto out;
	}
	if ((rc = times_ok(mtime_nsec, rel, em)) != 0) {
		close(fd);
		goto out;
	}
	times_set(ts, mtime_sec, mtime_nsec);
	/* mode and mtime before the fsync, so that it makes them durable too;
	 * the mode after the writes, which would clear setuid/setgid */
	if (fchmod(fd, mode & 07777u) != 0 || futimens(fd, ts) != 0 ||
	    (!o->lazy && fsync(fd) != 0)) {
		rc = dz_errf(em, fsio_errno(errno), "cannot finish '%s': %s", rel,
		    strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		rc = dz_errf(em, fsio_errno(errno), "cannot finish '%s': %s", rel,
		    strerror(errno));
		goto out;
	}
	if (put_in_place(p.pfd, p.tmp, leaf_of(rel), o->force) == 0) {
		renamed = 1;
	} else {
		if (errno == EEXIST || errno == EISDIR || errno == ENOTEMPTY)
			rc = dz_errf(em, DZ_EEXIST, "'%s' exists%s", rel,
			    o->force ? " and is a folder (not replaced)" : " (--force replaces it)");
		else
			rc = dz_errf(em, fsio_errno(errno), "cannot put '%s' in place: %s", rel,
			    strerror(errno));
	}
out:
	pend_drop(&p, renamed);
	return rc;
}

void
ltree_out_file_abort(struct ltree_out *o, const char *rel, int fd)
{
	struct opend p;

	(void)rel;
	close(fd);
	if (pend_take(o, fd, &p) == 0)
		pend_drop(&p, 0);
}

int
ltree_out_link(struct ltree_out *o, const char *rel, const char *target,
    int64_t mtime_sec, uint32_t mtime_nsec, struct dz_errmsg *em)
{
	const char *leaf = leaf_of(rel);
	size_t tl = strlen(target);
	struct timespec ts[2];
	int pfd, rc;
	char tmp[32];

	if ((rc = ltree_rel_ok(rel, em)) != 0 || (rc = times_ok(mtime_nsec, rel, em)) != 0)
		return rc;
	if (tl == 0 || tl > LTREE_LINKMAX)
		return dz_errf(em, DZ_EINVAL, "'%s': a link target must have 1 to %d bytes",
		    rel, LTREE_LINKMAX);
	if ((rc = parent_fd(o, rel, &pfd, em)) != 0)
		return rc;
	if (symlinkat(target, pfd, leaf) != 0) {
		if (errno != EEXIST)
			return dz_errf(em, fsio_errno(errno), "cannot make link '%s': %s", rel,
			    strerror(errno));
		if ((rc = may_replace(o, pfd, rel, em)) != 0)
			return rc;
		/* replaced atomically: a link beside it, renamed over it */
		tmp_name(tmp);
		if (symlinkat(target, pfd, tmp) != 0)
			return dz_errf(em, fsio_errno(errno), "cannot make link '%s': %s", rel,
			    strerror(errno));
		if (renameat(pfd, tmp, pfd, leaf) != 0) {
			int e = errno;

			(void)unlinkat(pfd, tmp, 0);
			return dz_errf(em, e == EISDIR ? DZ_EEXIST : fsio_errno(e),
			    "cannot replace '%s': %s", rel, strerror(e));
		}
	}
	times_set(ts, mtime_sec, mtime_nsec);
	if (utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) != 0)
		return dz_errf(em, fsio_errno(errno), "cannot set the time of link '%s': %s",
		    rel, strerror(errno));
	return 0;
}

/* Deepest first; within a depth by path, so that siblings come together
 * and share the cached parent. */
static int
cmp_dir(const void *a, const void *b)
{
	const struct odir *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return strcmp(x->rel, y->rel);
}

/* Set one folder's mode and mtime and fsync it. */
static int
dir_finish(struct ltree_out *o, const struct odir *d, struct dz_errmsg *em)
{
	struct timespec ts[2];
	int pfd, fd, rc;

	if ((rc = parent_fd(o, d->rel, &pfd, em)) != 0)
		return rc;
	fd = openat(pfd, leaf_of(d->rel), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return dz_errf(em, errno == ELOOP || errno == ENOTDIR ? DZ_EEXIST :
		    fsio_errno(errno), "cannot open folder '%s': %s", d->rel, strerror(errno));
	times_set(ts, d->sec, d->nsec);
	if (fchmod(fd, d->mode) != 0 || futimens(fd, ts) != 0 || fsync(fd) != 0)
		rc = dz_errf(em, fsio_errno(errno), "cannot finish folder '%s': %s", d->rel,
		    strerror(errno));
	close(fd);
	return rc;
}

int
ltree_out_close(struct ltree_out *o, struct dz_errmsg *em)
{
	struct dz_errmsg one;
	int rc = 0, r;

	if (o == NULL)
		return 0;
	while (o->npend > 0)
		ltree_out_file_abort(o, o->pend[0].rel, o->pend[0].fd);
	if (o->ndirs > 0) /* qsort of NULL, even of 0, is undefined */
		qsort(o->dirs, o->ndirs, sizeof(*o->dirs), cmp_dir);
	for (size_t i = 0; i < o->ndirs; i++) {
		one.text[0] = '\0';
		if ((r = dir_finish(o, &o->dirs[i], &one)) != 0 && rc == 0) {
			rc = r;
			if (em != NULL)
				*em = one;
		}
		free(o->dirs[i].rel);
	}
	if (fsync(o->rootfd) != 0 && rc == 0)
		rc = dz_errf(em, fsio_errno(errno), "cannot sync the root folder: %s",
		    strerror(errno));
	/* lazy: the files' data, all at once (after the folders, whose
	 * fsyncs above do not cover their files' contents) */
	if (o->lazy && syncfs(o->rootfd) != 0 && rc == 0)
		rc = dz_errf(em, fsio_errno(errno), "cannot sync the files written: %s",
		    strerror(errno));
	cache_drop(o);
	close(o->rootfd);
	free(o->dirs);
	free(o->pend);
	free(o);
	return rc;
}
