/* ltreefix: what the ltree tests share: a temporary directory with src/
 * and out/ in it, files made with a mode and an exact mtime, and a
 * collector of what ltree_scan reports and skips. */
#ifndef DZ_LTREEFIX_H
#define DZ_LTREEFIX_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/ltree.h"

struct fix {
	char dir[64], src[80], out[80];
};

static inline int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/dz-ltree-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->src, sizeof(f->src), "%s/src", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
	if (mkdir(f->src, 0755) != 0)
		return -1;
	*state = f;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[256];

	/* folders left 0000 or 0555 by a test must not stop the clean-up
	 * when not run as root */
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'",
	    f->dir, f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A path under base, formatted. */
static inline const char *
pth(char *buf, size_t cap, const char *base, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, cap, "%s/", base);

	va_start(ap, fmt);
	vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
	return buf;
}

static inline int
mkfile(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	if (len > 0 && write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	if (close(fd) != 0)
		return -1;
	return chmod(path, mode);
}

/* Set path's mtime exactly (not following a link). */
static inline int
set_mtime(const char *path, time_t sec, long nsec)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { sec, nsec } };

	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* What one scan saw: each entry as "T rel" (T: f, d or l) plus a copy of
 * the entry, and each skip as "rel: why". */
#define COLL_MAX 4096
struct coll {
	char *seen[COLL_MAX];
	struct ltree_ent ent[COLL_MAX];
	size_t n;
	char *skipped[COLL_MAX];
	size_t nskip;
	int stop_at;      /* fn returns 7 at this call (1-based); 0: never */
	int (*also)(struct coll *c, const struct ltree_ent *e); /* extra check */
	int maxfds;       /* most fds open during a callback */
};

static inline int
count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static inline int
coll_fn(void *arg, const struct ltree_ent *e)
{
	struct coll *c = arg;
	char line[LTREE_PATHMAX + 8];
	int fds = count_fds();

	if (c->n == COLL_MAX)
		return -100;
	snprintf(line, sizeof(line), "%c %s",
	    e->type == LTREE_FILE ? 'f' : e->type == LTREE_DIR ? 'd' : 'l', e->rel);
	c->seen[c->n] = strdup(line);
	c->ent[c->n] = *e;
	c->ent[c->n].rel = c->seen[c->n] + 2;
	c->ent[c->n].name = NULL;
	c->ent[c->n].target = e->target ? strdup(e->target) : NULL;
	c->n++;
	if (fds > c->maxfds)
		c->maxfds = fds;
	if (c->also != NULL) {
		int rc = c->also(c, e);

		if (rc != 0)
			return rc;
	}
	if (c->stop_at > 0 && (int)c->n == c->stop_at)
		return 7;
	return 0;
}

static inline void
coll_skip(void *arg, const char *rel, const char *why)
{
	struct coll *c = arg;
	char line[LTREE_PATHMAX + 64];

	if (c->nskip == COLL_MAX)
		return;
	snprintf(line, sizeof(line), "%s: %s", rel, why);
	c->skipped[c->nskip++] = strdup(line);
}

static inline void
coll_free(struct coll *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->seen[i]);
		free((char *)c->ent[i].target);
	}
	for (size_t i = 0; i < c->nskip; i++)
		free(c->skipped[i]);
	memset(c, 0, sizeof(*c));
}

/* Index of the entry seen as line ("f a/b"), or -1. */
static inline int
coll_find(const struct coll *c, const char *line)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->seen[i], line) == 0)
			return (int)i;
	return -1;
}

static inline int
coll_skipped(const struct coll *c, const char *line)
{
	for (size_t i = 0; i < c->nskip; i++)
		if (strcmp(c->skipped[i], line) == 0)
			return 1;
	return 0;
}

#endif
