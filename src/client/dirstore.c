/*
 * dirstore: fragments and records as files under one directory, with
 * fragment durability grouped under one syncfs per sync call.
 */
#include "client/dirstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/iopool.h"
#include "core/fragfile.h"
#include "core/fsio.h"

/* Threads writing a segment's fragment files at once: direct I/O waits for
 * the device, so a deeper queue is what makes the disk go at its speed. */
#define DS_IO_THREADS 8

struct dirstore {
	int dirfd;
	struct store_ops ops;
	struct iopool *io; /* for put_seg */
};

struct store_rec {
	struct dirstore *d;
	int fd;
	int writing;
	char path[128];
	char tmp[136];
};

static int
ds_put_frag(void *ctx, const uint8_t name[STORE_NAMEBYTES], const uint8_t *buf,
    size_t len, struct dz_errmsg *em)
{
	struct dirstore *d = ctx;
	char path[FRAGFILE_PATH_MAX], tmp[FRAGFILE_PATH_MAX + 8];
	int rc;

	fragfile_path(name, path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((rc = fragfile_write_new(d->dirfd, tmp, O_TRUNC, buf, len, em)) != 0)
		return rc;
	if (renameat(d->dirfd, tmp, d->dirfd, path) != 0) {
		rc = dz_errf(em, fsio_errno(errno), "cannot rename fragment file %s: %s",
		    tmp, strerror(errno));
		unlinkat(d->dirfd, tmp, 0);
	}
	return rc;
}

struct ds_seg {
	struct dirstore *d;
	uint8_t *const *frags;
	const size_t *lens;
	const uint8_t *names;
	struct dz_errmsg *ems;
};

static int
ds_seg_one(void *arg, unsigned i)
{
	struct ds_seg *g = arg;

	return ds_put_frag(g->d, g->names + (size_t)i * STORE_NAMEBYTES, g->frags[i],
	    g->lens[i], &g->ems[i]);
}

static int
ds_put_seg(void *ctx, const uint8_t object_id[STORE_NAMEBYTES], uint64_t seq,
    unsigned k, unsigned n, uint8_t *const frags[], const size_t lens[],
    const uint8_t *names, struct dz_errmsg *em)
{
	struct dirstore *d = ctx;
	struct dz_errmsg *ems = calloc(n, sizeof(*ems));
	struct ds_seg g = {d, frags, lens, names, ems};
	int rc;

	(void)object_id; /* a directory needs no placement */
	(void)seq;
	(void)k;

	if (ems == NULL)
		return DZ_ENOMEM;
	rc = iopool_run(d->io, n, ds_seg_one, &g);
	if (rc != 0 && em != NULL)
		for (unsigned i = 0; i < n; i++)
			if (ems[i].text[0] != '\0') {
				*em = ems[i];
				break;
			}
	free(ems);
	return rc;
}

static int
ds_get_frag(void *ctx, const uint8_t name[STORE_NAMEBYTES], uint8_t *buf,
    size_t cap, size_t *len, struct dz_errmsg *em)
{
	struct dirstore *d = ctx;
	char path[FRAGFILE_PATH_MAX];

	fragfile_path(name, path);
	return fragfile_read(d->dirfd, path, buf, cap, len, em);
}

static int
ds_del_frag(void *ctx, const uint8_t name[STORE_NAMEBYTES])
{
	struct dirstore *d = ctx;
	char path[FRAGFILE_PATH_MAX];

	fragfile_path(name, path);
	if (unlinkat(d->dirfd, path, 0) != 0 && errno != ENOENT)
		return fsio_errno(errno);
	return 0;
}

static int
ds_sync(void *ctx, struct dz_errmsg *em)
{
	struct dirstore *d = ctx;

	/* One syncfs makes every fragment written and renamed since the last
	 * call durable, data and directory entries alike. */
	if (syncfs(d->dirfd) != 0)
		return dz_errf(em, fsio_errno(errno), "cannot sync the store: %s",
		    strerror(errno));
	return 0;
}

static int
rec_new(struct dirstore *d, const uint8_t id[STORE_NAMEBYTES], int writing,
    struct store_rec **out)
{
	struct store_rec *r = calloc(1, sizeof(*r));
	char hex[2 * STORE_NAMEBYTES + 1];

	if (r == NULL)
		return DZ_ENOMEM;
	hex_encode(id, STORE_NAMEBYTES, hex);
	snprintf(r->path, sizeof(r->path), "records/%s", hex);
	snprintf(r->tmp, sizeof(r->tmp), "%s.tmp", r->path);
	r->d = d;
	r->fd = -1;
	r->writing = writing;
	*out = r;
	return 0;
}

static int
ds_rec_create(void *ctx, const uint8_t id[STORE_NAMEBYTES],
    struct store_rec **out, struct dz_errmsg *em)
{
	struct dirstore *d = ctx;
	struct store_rec *r;
	int rc = rec_new(d, id, 1, &r);

	if (rc != 0)
		return rc;
	r->fd = openat(d->dirfd, r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (r->fd < 0) {
		rc = dz_errf(em, fsio_errno(errno), "cannot create record file %s: %s",
		    r->tmp, strerror(errno));
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static int
ds_rec_write(struct store_rec *r, const uint8_t *buf, size_t len)
{
	return fsio_write_all(r->fd, buf, len);
}

static void
ds_rec_close(struct store_rec *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->writing)
		unlinkat(r->d->dirfd, r->tmp, 0);
	free(r);
}

static int
ds_rec_commit(struct store_rec *r, struct dz_errmsg *em)
{
	int rc = 0;

	if (fsync(r->fd) != 0)
		rc = dz_errf(em, fsio_errno(errno), "cannot sync record file %s: %s",
		    r->tmp, strerror(errno));
	if (close(r->fd) != 0 && rc == 0)
		rc = dz_errf(em, fsio_errno(errno), "cannot write record file %s: %s",
		    r->tmp, strerror(errno));
	r->fd = -1;
	if (rc == 0 && renameat(r->d->dirfd, r->tmp, r->d->dirfd, r->path) != 0)
		rc = dz_errf(em, fsio_errno(errno), "cannot rename record file %s: %s",
		    r->tmp, strerror(errno));
	if (rc == 0) {
		r->writing = 0;
		rc = fsio_fsync_dir(r->d->dirfd, r->path);
		if (rc != 0)
			dz_errf(em, rc, "cannot sync the records directory");
	}
	ds_rec_close(r);
	return rc;
}

static int
ds_rec_open(void *ctx, const uint8_t id[STORE_NAMEBYTES], struct store_rec **out,
    struct dz_errmsg *em)
{
	struct dirstore *d = ctx;
	struct store_rec *r;
	int rc = rec_new(d, id, 0, &r);

	if (rc != 0)
		return rc;
	r->fd = openat(d->dirfd, r->path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		rc = dz_errf(em, fsio_errno(errno), "cannot open record %s: %s",
		    r->path, strerror(errno));
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static int
ds_rec_read(struct store_rec *r, uint8_t *buf, size_t len)
{
	size_t got;
	int rc = fsio_read_full(r->fd, buf, len, &got);

	if (rc != 0)
		return rc;
	return got == len ? 0 : DZ_ETRUNC;
}

static const struct store_ops dirstore_ops = {
	.put_frag = ds_put_frag,
	.put_seg = ds_put_seg,
	.get_frag = ds_get_frag,
	.del_frag = ds_del_frag,
	.sync = ds_sync,
	.rec_create = ds_rec_create,
	.rec_write = ds_rec_write,
	.rec_commit = ds_rec_commit,
	.rec_open = ds_rec_open,
	.rec_read = ds_rec_read,
	.rec_close = ds_rec_close,
};

int
dirstore_open(const char *dir, int create, struct dirstore **out,
    struct dz_errmsg *em)
{
	struct dirstore *d;
	int rc = 0;

	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return dz_errf(em, fsio_errno(errno), "cannot create store directory %s: %s",
		    dir, strerror(errno));
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return DZ_ENOMEM;
	d->ops = dirstore_ops;
	if ((rc = iopool_new(DS_IO_THREADS, &d->io)) != 0) {
		d->io = NULL;
		d->dirfd = -1;
		goto fail;
	}
	d->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dirfd < 0) {
		rc = dz_errf(em, fsio_errno(errno), "cannot open store directory %s: %s",
		    dir, strerror(errno));
		goto fail;
	}
	if (create) {
		rc = fragfile_mkdirs(d->dirfd);
		if (rc == 0)
			rc = fragfile_mkdir_at(d->dirfd, "records");
		if (rc != 0) {
			dz_errf(em, rc, "cannot create the layout of store %s: %s",
			    dir, strerror(errno));
			goto fail;
		}
	} else if (faccessat(d->dirfd, "records", F_OK, 0) != 0 ||
	    faccessat(d->dirfd, "frags", F_OK, 0) != 0) {
		rc = dz_errf(em, DZ_ENOENT, "%s is not a drizzle store (run `drizzle local init --store %s` first)",
		    dir, dir);
		goto fail;
	}
	*out = d;
	return 0;
fail:
	dirstore_close(d);
	return rc;
}

void
dirstore_close(struct dirstore *d)
{
	if (d == NULL)
		return;
	if (d->dirfd >= 0)
		close(d->dirfd);
	iopool_free(d->io);
	free(d);
}

struct store
dirstore_store(struct dirstore *d)
{
	struct store s = {&d->ops, d};

	return s;
}

int
dirstore_dirfd(const struct dirstore *d)
{
	return d->dirfd;
}

int
dirstore_list(struct dirstore *d,
    int (*fn)(void *arg, const uint8_t id[STORE_NAMEBYTES]), void *arg,
    struct dz_errmsg *em)
{
	uint8_t id[STORE_NAMEBYTES];
	struct dirent *e;
	DIR *dp;
	int fd, rc = 0;

	fd = openat(d->dirfd, "records", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dp = fdopendir(fd)) == NULL) {
		rc = dz_errf(em, fsio_errno(errno), "cannot list records: %s",
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	while (rc == 0 && (e = readdir(dp)) != NULL) {
		if (hex_decode(e->d_name, id, sizeof(id)) != 0)
			continue; /* ., .., temporary files */
		rc = fn(arg, id);
	}
	closedir(dp);
	return rc;
}
