/*
 * ltree_scan: the walk of a local tree for `put -r` (ltree.h). One
 * recursion level per folder, each holding one open directory (its DIR)
 * and the sorted names read from it, so open fds are bounded by the depth
 * (LTREE_MAXDEPTH + 1) and memory by the names along one path. The
 * relative path is built in one fixed buffer that the kernel never sees:
 * every call is relative to the parent's fd.
 */
#include "client/ltree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/folder.h"
#include "core/fsio.h"

struct scan {
	int (*fn)(void *arg, const struct ltree_ent *e);
	void (*skip)(void *arg, const char *rel, const char *why);
	void *arg;
	struct dz_errmsg *em;
	char rel[LTREE_PATHMAX + 1];
	char target[LTREE_LINKMAX + 1];
};

/* The names of one folder, sorted: one arena, one index. */
struct names {
	char *buf;
	size_t len, cap;
	size_t *off;
	size_t n, ncap;
};

static void
names_free(struct names *nm)
{
	free(nm->buf);
	free(nm->off);
}

static int
names_add(struct names *nm, const char *name)
{
	size_t l = strlen(name) + 1;

	if (nm->len + l > nm->cap) {
		size_t cap = nm->cap ? nm->cap * 2 : 4096;
		char *b;

		while (cap < nm->len + l)
			cap *= 2;
		if ((b = realloc(nm->buf, cap)) == NULL)
			return DZ_ENOMEM;
		nm->buf = b;
		nm->cap = cap;
	}
	if (nm->n == nm->ncap) {
		size_t ncap = nm->ncap ? nm->ncap * 2 : 64;
		size_t *o = reallocarray(nm->off, ncap, sizeof(*o));

		if (o == NULL)
			return DZ_ENOMEM;
		nm->off = o;
		nm->ncap = ncap;
	}
	memcpy(nm->buf + nm->len, name, l);
	nm->off[nm->n++] = nm->len;
	nm->len += l;
	return 0;
}

/* qsort's comparison needs the arena: offsets are turned into pointers
 * first, so the sort compares strings directly. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read every name of d but "." and "..", sorted in strcmp order, into
 * *sorted (an array of pointers into nm's arena, malloc'd). errno-level
 * failures come back as -errno, allocation as DZ_ENOMEM. */
static int
names_read(DIR *d, struct names *nm, char ***sorted)
{
	struct dirent *de;
	char **v;
	int rc;

	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((rc = names_add(nm, de->d_name)) != 0)
			return rc;
	}
	if (errno != 0)
		return -errno;
	if ((v = calloc(nm->n ? nm->n : 1, sizeof(*v))) == NULL)
		return DZ_ENOMEM;
	for (size_t i = 0; i < nm->n; i++)
		v[i] = nm->buf + nm->off[i];
	qsort(v, nm->n, sizeof(*v), cmp_str);
	*sorted = v;
	return 0;
}

static void
skipped(struct scan *s, const char *why)
{
	if (s->skip != NULL)
		s->skip(s->arg, s->rel, why);
}

/* Why a name read from a folder cannot be a remote name (folder_name_ok
 * decides; this only words it for the user). */
static const char *
name_why(const char *name)
{
	if (strlen(name) > LTREE_NAMEMAX)
		return "name is longer than 255 bytes";
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "name has a control character";
	return "name is not valid UTF-8";
}

/* The skip reason for an errno met while reading an entry. */
static const char *
errno_why(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return "permission denied";
	case ENOENT:
		return "vanished while walking";
	case ELOOP:
	case ENOTDIR:
		return "changed while walking";
	default:
		return "cannot be read";
	}
}

static void
ent_fill(struct ltree_ent *e, const struct stat *st)
{
	e->mode = (uint32_t)(st->st_mode & 07777);
	e->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	e->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	e->dev = (uint64_t)st->st_dev;
	e->ino = (uint64_t)st->st_ino;
}

static int visit(struct scan *s, int dfd, const char *name, size_t plen,
    int depth);

/* The names of folder d (path s->rel of rlen bytes), read and sorted into
 * nm and *v. 0, or 1 if they cannot be read (named to skip), or DZ_ENOMEM. */
static int
folder_names(struct scan *s, DIR *d, size_t rlen, struct names *nm, char ***v)
{
	int rc = names_read(d, nm, v);

	if (rc == DZ_ENOMEM)
		return dz_errf(s->em, DZ_ENOMEM, "out of memory reading folder '%s'",
		    s->rel);
	if (rc < 0) {
		s->rel[rlen] = '\0';
		skipped(s, errno_why(-rc));
		return 1;
	}
	return 0;
}

/* Visit the n sorted names v of folder d (path s->rel of rlen bytes, at
 * depth: its children are at depth + 1). */
static int
walk(struct scan *s, DIR *d, size_t rlen, int depth, char **v, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = visit(s, dirfd(d), v[i], rlen, depth + 1);
		s->rel[rlen] = '\0';
	}
	return rc;
}

/* The folder name (already in s->rel, of length rlen) inside dfd: open it
 * without following, read its names, report it, then walk it. A folder
 * that cannot be opened or read is skipped whole, before fn sees it (not
 * stored empty). */
static int
descend(struct scan *s, int dfd, const char *name, size_t rlen, int depth)
{
	struct ltree_ent e = { 0 };
	struct names nm = { 0 };
	char **v = NULL;
	struct stat st;
	DIR *d;
	int fd, rc;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		skipped(s, errno_why(errno));
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		skipped(s, "changed while walking");
		return 0;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return dz_errf(s->em, DZ_ENOMEM, "cannot read folder '%s'", s->rel);
	}
	if ((rc = folder_names(s, d, rlen, &nm, &v)) != 0) {
		rc = rc == 1 ? 0 : rc;
		goto out;
	}
	/* the folder as opened (fstat), not as lstat saw it a moment before */
	e.rel = s->rel;
	e.name = name;
	e.dirfd = dfd;
	e.type = LTREE_DIR;
	e.depth = depth;
	ent_fill(&e, &st);
	if ((rc = s->fn(s->arg, &e)) == 0)
		rc = walk(s, d, rlen, depth, v, nm.n);
out:
	free(v);
	names_free(&nm);
	closedir(d);
	return rc;
}

/* One entry name of the folder open as dfd at depth. */
static int
visit(struct scan *s, int dfd, const char *name, size_t plen, int depth)
{
	struct ltree_ent e = { 0 };
	size_t nlen = strlen(name), rlen = plen + (plen > 0) + nlen;
	struct stat st;
	ssize_t tl;

	if (rlen > LTREE_PATHMAX) {
		/* name it by as much of its path as fits (plen <= LTREE_PATHMAX:
		 * the folder's own path was checked when it was visited) */
		size_t room = plen + 1 < LTREE_PATHMAX ? LTREE_PATHMAX - plen - 1 : 0;

		if (room > 0) {
			s->rel[plen] = '/';
			memcpy(s->rel + plen + 1, name, room);
			s->rel[LTREE_PATHMAX] = '\0';
		}
		skipped(s, "path is longer than 1024 bytes");
		return 0;
	}
	if (plen > 0)
		s->rel[plen] = '/';
	memcpy(s->rel + plen + (plen > 0), name, nlen + 1);
	if (folder_name_ok(name, NULL) != 0) {
		skipped(s, name_why(name));
		return 0;
	}
	if (depth > LTREE_MAXDEPTH) {
		skipped(s, "deeper than 64 levels");
		return 0;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		skipped(s, errno_why(errno));
		return 0;
	}
	e.rel = s->rel;
	e.name = s->rel + rlen - nlen;
	e.dirfd = dfd;
	e.depth = depth;
	ent_fill(&e, &st);
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		return descend(s, dfd, e.name, rlen, depth);
	case S_IFREG:
		if (faccessat(dfd, name, R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) != 0) {
			skipped(s, errno_why(errno));
			return 0;
		}
		e.type = LTREE_FILE;
		e.size = (uint64_t)st.st_size;
		return s->fn(s->arg, &e);
	case S_IFLNK:
		tl = readlinkat(dfd, name, s->target, sizeof(s->target));
		if (tl < 0) {
			skipped(s, errno_why(errno));
			return 0;
		}
		if ((size_t)tl >= sizeof(s->target)) {
			skipped(s, "link target is longer than 4095 bytes");
			return 0;
		}
		if (tl == 0) {
			skipped(s, "link target is empty");
			return 0;
		}
		s->target[tl] = '\0';
		e.type = LTREE_LINK;
		e.target = s->target;
		return s->fn(s->arg, &e);
	case S_IFSOCK:
		skipped(s, "a socket");
		return 0;
	case S_IFIFO:
		skipped(s, "a FIFO");
		return 0;
	case S_IFCHR:
	case S_IFBLK:
		skipped(s, "a device");
		return 0;
	default:
		skipped(s, "not a file, folder or link");
		return 0;
	}
}

int
ltree_scan(const char *root,
    int (*fn)(void *arg, const struct ltree_ent *e),
    void (*skip)(void *arg, const char *rel, const char *why), void *arg,
    struct dz_errmsg *em)
{
	struct names nm = { 0 };
	char **v = NULL;
	struct scan *s;
	struct stat st;
	DIR *d = NULL;
	int fd, rc;

	/* the root may be a symlink to a folder: the user named it */
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		if (errno == ENOTDIR)
			return dz_errf(em, DZ_EINVAL, "'%s' is not a folder", root);
		return dz_errf(em, fsio_errno(errno), "cannot open folder '%s': %s",
		    root, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return dz_errf(em, DZ_EINVAL, "'%s' is not a folder", root);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || (d = fdopendir(fd)) == NULL) {
		close(fd);
		free(s);
		return dz_errf(em, DZ_ENOMEM, "out of memory walking '%s'", root);
	}
	s->fn = fn;
	s->skip = skip;
	s->arg = arg;
	s->em = em;
	rc = names_read(d, &nm, &v);
	if (rc == DZ_ENOMEM)
		rc = dz_errf(em, DZ_ENOMEM, "out of memory walking '%s'", root);
	else if (rc < 0)
		rc = dz_errf(em, fsio_errno(-rc), "cannot read folder '%s': %s", root,
		    strerror(-rc));
	else
		rc = walk(s, d, 0, 0, v, nm.n);
	free(v);
	names_free(&nm);
	closedir(d);
	free(s);
	return rc;
}

int
ltree_open_file(const struct ltree_ent *e, int *fd, struct dz_errmsg *em)
{
	struct stat st;
	int f, fl;

	*fd = -1;
	f = openat(e->dirfd, e->name,
	    O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (f < 0) {
		if (errno == ELOOP)
			return dz_errf(em, DZ_ECHANGED, "'%s' became a link while walking",
			    e->rel);
		if (errno == ENOENT)
			return dz_errf(em, DZ_ENOENT, "'%s' vanished while walking", e->rel);
		return dz_errf(em, DZ_EIO, "cannot open '%s': %s", e->rel, strerror(errno));
	}
	if (fstat(f, &st) != 0) {
		int err = errno;

		close(f);
		return dz_errf(em, DZ_EIO, "cannot stat '%s': %s", e->rel, strerror(err));
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_dev != e->dev ||
	    (uint64_t)st.st_ino != e->ino) {
		close(f);
		return dz_errf(em, DZ_ECHANGED, "'%s' was replaced while walking", e->rel);
	}
	/* O_NONBLOCK only guarded the open (a FIFO swapped in); reads of a
	 * regular file should block as usual */
	if ((fl = fcntl(f, F_GETFL)) < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int err = errno;

		close(f);
		return dz_errf(em, DZ_EIO, "cannot open '%s': %s", e->rel, strerror(err));
	}
	*fd = f;
	return 0;
}
