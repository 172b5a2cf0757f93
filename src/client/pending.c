/*
 * pending: the journal of objects to forget unless named (pending.h).
 */
#include "client/pending.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/fsio.h"

#define PENDING_MAGIC "DZP1"
#define PENDING_HDR 4
#define PENDING_FILEMAX (PENDING_HDR + PENDING_MAX * PENDING_ENTBYTES)

/* The start time of process pid (clock ticks since boot), 0 if there is
 * no such process (or it cannot be read). */
static uint64_t
proc_start(uint32_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	size_t got;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%u/stat", (unsigned)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	got = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[got] = '\0';
	/* the name in parentheses may hold spaces: fields count from the
	 * last ')'; field 3 (state) follows it, field 22 is the start time */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	p++;
	for (int field = 3; field <= 22 && *p != '\0'; field++) {
		while (*p == ' ')
			p++;
		if (field == 22) {
			start = strtoull(p, NULL, 10);
			break;
		}
		while (*p != ' ' && *p != '\0')
			p++;
	}
	return start;
}

void
pending_self(uint32_t *pid, uint64_t *start)
{
	*pid = (uint32_t)getpid();
	*start = proc_start(*pid);
}

int
pending_running(uint32_t pid, uint64_t start)
{
	uint64_t st = proc_start(pid);

	return st != 0 && st == start;
}

static void
put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* The journal, locked: its lock file's descriptor, its entries. */
struct jnl {
	int lockfd;
	struct pending_ent *e;
	size_t n;
};

static int
jnl_open(const char *path, struct jnl *j, struct dz_errmsg *em)
{
	char lock[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	memset(j, 0, sizeof(*j));
	j->lockfd = -1;
	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		return dz_errf(em, DZ_EINVAL, "the profile path is too long");
	/* a lock file of its own: the journal itself is replaced by rename,
	 * so a lock on it would be on a file that is gone */
	if ((j->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return dz_errf(em, DZ_EIO, "cannot open %s: %s", lock, strerror(errno));
	if (flock(j->lockfd, LOCK_EX) != 0) {
		rc = dz_errf(em, DZ_EIO, "cannot lock %s: %s", lock, strerror(errno));
		goto fail;
	}
	if ((buf = malloc(PENDING_FILEMAX)) == NULL ||
	    (j->e = calloc(PENDING_MAX, sizeof(*j->e))) == NULL) {
		rc = DZ_ENOMEM;
		goto fail;
	}
	rc = fsio_read_file(AT_FDCWD, path, buf, PENDING_FILEMAX, &len, em);
	if (rc == DZ_ENOENT) {
		free(buf);
		return 0;
	}
	if (rc != 0)
		goto fail;
	if (len < PENDING_HDR || memcmp(buf, PENDING_MAGIC, PENDING_HDR) != 0 ||
	    (len - PENDING_HDR) % PENDING_ENTBYTES != 0) {
		rc = dz_errf(em, DZ_EFORMAT, "%s is damaged (remove it to start "
		    "afresh: at worst, objects of interrupted puts stay stored)", path);
		goto fail;
	}
	for (size_t off = PENDING_HDR; off < len; off += PENDING_ENTBYTES) {
		struct pending_ent *e = &j->e[j->n++];

		memcpy(e->id, buf + off, PENDING_IDBYTES);
		e->pid = (uint32_t)get_be(buf + off + PENDING_IDBYTES, 4);
		e->start = get_be(buf + off + PENDING_IDBYTES + 4, 8);
	}
	free(buf);
	return 0;
fail:
	free(buf);
	free(j->e);
	j->e = NULL;
	close(j->lockfd);
	j->lockfd = -1;
	return rc;
}

/* Write the entries back (temporary file, fsync, rename) and unlock. */
static int
jnl_close(const char *path, struct jnl *j, int write, struct dz_errmsg *em)
{
	uint8_t *buf = NULL;
	size_t len = PENDING_HDR + j->n * PENDING_ENTBYTES;
	int rc = 0;

	if (write) {
		if ((buf = malloc(len)) == NULL) {
			rc = DZ_ENOMEM;
			goto out;
		}
		memcpy(buf, PENDING_MAGIC, PENDING_HDR);
		for (size_t i = 0; i < j->n; i++) {
			uint8_t *p = buf + PENDING_HDR + i * PENDING_ENTBYTES;

			memcpy(p, j->e[i].id, PENDING_IDBYTES);
			put_be(p + PENDING_IDBYTES, j->e[i].pid, 4);
			put_be(p + PENDING_IDBYTES + 4, j->e[i].start, 8);
		}
		rc = fsio_write_durable(AT_FDCWD, path, buf, len, 0, 0600, em);
	}
out:
	free(buf);
	free(j->e);
	close(j->lockfd); /* unlocks */
	memset(j, 0, sizeof(*j));
	return rc;
}

int
pending_add(const char *path, const uint8_t id[static PENDING_IDBYTES],
    struct dz_errmsg *em)
{
	struct jnl j;
	struct pending_ent me;
	int rc;

	memcpy(me.id, id, PENDING_IDBYTES);
	pending_self(&me.pid, &me.start);
	if ((rc = jnl_open(path, &j, em)) != 0)
		return rc;
	for (size_t i = 0; i < j.n; i++)
		if (memcmp(&j.e[i], &me, sizeof(me)) == 0)
			return jnl_close(path, &j, 0, em);
	if (j.n >= PENDING_MAX) {
		(void)jnl_close(path, &j, 0, em);
		return dz_errf(em, DZ_ERANGE, "%s is full (%d objects of interrupted "
		    "commands): run `drizzle ls` once no other command runs, to "
		    "clean it up", path, PENDING_MAX);
	}
	j.e[j.n++] = me;
	return jnl_close(path, &j, 1, em);
}

/* Remove the entries equal to e (id, and pid and start unless any). */
static int
remove_where(const char *path, const struct pending_ent *e, struct dz_errmsg *em)
{
	struct jnl j;
	size_t kept = 0;
	int rc;

	if ((rc = jnl_open(path, &j, em)) != 0)
		return rc;
	for (size_t i = 0; i < j.n; i++)
		if (memcmp(j.e[i].id, e->id, PENDING_IDBYTES) != 0 ||
		    j.e[i].pid != e->pid || j.e[i].start != e->start)
			j.e[kept++] = j.e[i];
	if (kept == j.n)
		return jnl_close(path, &j, 0, em);
	j.n = kept;
	return jnl_close(path, &j, 1, em);
}

int
pending_remove(const char *path, const uint8_t id[static PENDING_IDBYTES],
    struct dz_errmsg *em)
{
	struct pending_ent me;

	memcpy(me.id, id, PENDING_IDBYTES);
	pending_self(&me.pid, &me.start);
	return remove_where(path, &me, em);
}

int
pending_remove_many(const char *path, const uint8_t (*ids)[PENDING_IDBYTES], size_t n,
    struct dz_errmsg *em)
{
	struct pending_ent me;
	struct jnl j;
	size_t kept = 0;
	int rc;

	if (n == 0)
		return 0;
	pending_self(&me.pid, &me.start);
	if ((rc = jnl_open(path, &j, em)) != 0)
		return rc;
	for (size_t i = 0; i < j.n; i++) {
		int drop = 0;

		for (size_t k = 0; !drop && k < n; k++)
			drop = j.e[i].pid == me.pid && j.e[i].start == me.start &&
			    memcmp(j.e[i].id, ids[k], PENDING_IDBYTES) == 0;
		if (!drop)
			j.e[kept++] = j.e[i];
	}
	if (kept == j.n)
		return jnl_close(path, &j, 0, em);
	j.n = kept;
	return jnl_close(path, &j, 1, em);
}

int
pending_drop(const char *path, const struct pending_ent *e, struct dz_errmsg *em)
{
	return remove_where(path, e, em);
}

int
pending_orphans(const char *path, struct pending_ent *out, size_t cap,
    size_t *n, struct dz_errmsg *em)
{
	struct jnl j;
	int rc;

	*n = 0;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0; /* the common case: no journal, no lock file made */
	if ((rc = jnl_open(path, &j, em)) != 0)
		return rc;
	for (size_t i = 0; i < j.n && *n < cap; i++) {
		/* running (the same process, not a recycled pid): in flight */
		if (pending_running(j.e[i].pid, j.e[i].start))
			continue;
		out[(*n)++] = j.e[i];
	}
	return jnl_close(path, &j, 0, em);
}
