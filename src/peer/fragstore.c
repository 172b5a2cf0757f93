/*
 * fragstore: fragments as files under frags/XX/, verified on the way in and
 * on the way out, made durable by group commit.
 *
 * Concurrency: one mutex guards the counters (used bytes, tickets, sync
 * state, stats) and a small pool of Merkle builders; no file-system call is
 * made while holding it, except in fragstore_sync where it is released
 * around syncfs. Files themselves need no lock: a fragment appears under its
 * final name only by renameat2(RENAME_NOREPLACE) of a complete temporary
 * file, so readers see all of it or nothing, two puts of one name cannot
 * both count its bytes, and nothing ever replaces a final name.
 *
 * Group commit: a ticket is issued after the rename, so a syncfs that
 * starts after ticket t was issued covers t. fragstore_sync records what
 * the running sync covers (sync_target = every ticket issued when it
 * began); callers whose ticket it covers wait for it, the others wait for
 * it to end and then one of them starts the next, covering everyone.
 *
 * syncfs or fsync of each file? Measured on this machine (ext4 on the
 * shared virtual disk, 32 fragments of 4 MiB written with direct I/O and
 * renamed into random XX directories, then made durable): one syncfs took
 * 100-110 ms, fsync of each file and each touched directory 300-320 ms; with
 * 200 MiB of someone else's dirty data on the same file system, 235 ms
 * against 475 ms. So syncfs, as dirstore does. Its cost is flushing other
 * writers' dirty data too; keep the data directory on a file system not
 * shared with heavy writers if that matters.
 */
#include "peer/fragstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/fragfile.h"
#include "core/fsio.h"
#include "core/hex.h"

#define FS_POOL_MAX 4           /* Merkle builders kept for reuse */
#define FS_DIRTY "dirty"        /* marker: the store is open (or crashed) */
#define FS_TMP_PREFIX ".tmp-"   /* temporary files, removed at open */
/* "frags/XX/" + a temporary name: prefix, 20-digit counter, '-', 64 hex */
#define FS_PATH_MAX FRAGFILE_PATH_MAX
/* a block size statvfs cannot tell, or one too odd to believe */
#define FS_BLK_DEFAULT 4096u
#define FS_BLK_MAX (1u << 20)

struct fragstore {
	int dirfd;
	uint64_t capacity;
	uint64_t blk;         /* the file system's block: what a file costs at least */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* clean-up: held around "touch an existing fragment" (a put of a
	 * name already stored) and around "delete it if still old"
	 * (fragstore_del_older), so that a put acknowledged for a name never
	 * loses its file to a sweep that judged it before the put. Short
	 * file-system calls only (fstatat, utimensat, unlinkat). */
	pthread_mutex_t gcmu;
	uint64_t used;        /* stored bytes + reservations of puts in flight */
	uint64_t nfrags;      /* fragments stored (counted at open, then kept) */
	uint64_t tmpseq;      /* makes temporary names unique */
	uint64_t ticket;      /* last ticket issued */
	uint64_t synced_upto; /* every ticket <= this is durable */
	uint64_t sync_target; /* what the running sync covers */
	int syncing;          /* a syncfs is running */
	int broken;           /* a syncfs failed: see fragstore_sync */
	uint64_t disk_full;   /* 1: the last new fragment met ENOSPC */
	struct merkle *pool[FS_POOL_MAX];
	size_t npool;
	struct fragstore_stats st;
};

static void
final_path(const uint8_t name[static FRAGSTORE_NAMEBYTES],
    char out[static FS_PATH_MAX])
{
	fragfile_path(name, out);
}

static void
tmp_path(const uint8_t name[static FRAGSTORE_NAMEBYTES], uint64_t seq,
    char out[static FS_PATH_MAX])
{
	char hex[2 * FRAGSTORE_NAMEBYTES + 1];

	hex_encode(name, FRAGSTORE_NAMEBYTES, hex);
	snprintf(out, FS_PATH_MAX, "frags/%.2s/" FS_TMP_PREFIX "%llu-%s", hex,
	    (unsigned long long)seq, hex);
}

/* is_name: s is exactly 64 lower-case hex digits starting with dir's two. */
static int
is_name(const char *s, const char *dir)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 2 * FRAGSTORE_NAMEBYTES ||
		    !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 2 * FRAGSTORE_NAMEBYTES && s[0] == dir[0] && s[1] == dir[1];
}

/* A Merkle builder for one call: from the pool, or a new one. */
static int
pool_take(struct fragstore *fs, struct merkle **m)
{
	*m = NULL;
	pthread_mutex_lock(&fs->mu);
	if (fs->npool > 0)
		*m = fs->pool[--fs->npool];
	pthread_mutex_unlock(&fs->mu);
	return *m != NULL ? 0 : merkle_new(FRAGSTORE_MAXFRAG, m);
}

static void
pool_give(struct fragstore *fs, struct merkle *m)
{
	pthread_mutex_lock(&fs->mu);
	if (fs->npool < FS_POOL_MAX) {
		fs->pool[fs->npool++] = m;
		m = NULL;
	}
	pthread_mutex_unlock(&fs->mu);
	merkle_free(m);
}

/*
 * check_stored: re-verify bytes read from disk. They matched their name
 * when put, so any failure of frag_check other than the machine's own
 * (memory, crypto library) means they were damaged on disk.
 */
static int
check_stored(struct merkle *m, const uint8_t *buf, size_t len,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], const char *path,
    struct dz_errmsg *em)
{
	struct frag_hdr h;
	int rc = frag_check(m, buf, len, name, &h);

	if (rc == DZ_ENOMEM || rc == DZ_ECRYPTO)
		return dz_errf(em, rc, "cannot verify fragment %s", path);
	if (rc != 0)
		return dz_errf(em, DZ_EINTEGRITY,
		    "fragment %s is damaged on disk (%s): delete it", path,
		    dz_strerror(rc));
	return 0;
}

/* Place tmp at path unless path exists: 0, DZ_EEXIST, or another code. */
static int
place(int dirfd, const char *tmp, const char *path)
{
	if (renameat2(dirfd, tmp, dirfd, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return fsio_errno(errno);
	/* no RENAME_NOREPLACE here: link fails just as atomically */
	if (linkat(dirfd, tmp, dirfd, path, 0) != 0)
		return fsio_errno(errno);
	unlinkat(dirfd, tmp, 0);
	return 0;
}

/* A put of a name already stored: its file counts as stored now (mtime
 * set to now), so that clean-up, which spares young files, spares it
 * until the client has committed it. 0, DZ_ENOENT if absent, or another
 * code. The ticket issued after this covers the new mtime too (syncfs). */
static int
touch_existing(struct fragstore *fs, const char *path)
{
	struct stat st;
	int rc = 0;

	pthread_mutex_lock(&fs->gcmu);
	if (fstatat(fs->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
		rc = errno == ENOENT ? DZ_ENOENT : fsio_errno(errno);
	else if (utimensat(fs->dirfd, path, NULL, AT_SYMLINK_NOFOLLOW) != 0)
		rc = fsio_errno(errno);
	pthread_mutex_unlock(&fs->gcmu);
	return rc;
}

/* Record a successful put and issue its ticket. */
static uint64_t
put_done(struct fragstore *fs, int is_new)
{
	uint64_t t;

	pthread_mutex_lock(&fs->mu);
	t = ++fs->ticket;
	fs->st.puts++;
	fs->st.puts_new += is_new != 0;
	fs->nfrags += is_new != 0;
	if (is_new)
		fs->disk_full = 0;
	pthread_mutex_unlock(&fs->mu);
	return t;
}

uint64_t
fragstore_charge(const struct fragstore *fs, uint64_t len)
{
	uint64_t b = fs->blk;

	/* len <= FRAGSTORE_MAXFRAG or a file's size: no overflow */
	return len <= b ? b : (len + b - 1) / b * b;
}

static void
unreserve(struct fragstore *fs, uint64_t len)
{
	pthread_mutex_lock(&fs->mu);
	/* saturate: a file grown behind our back must not wrap the count */
	fs->used -= len < fs->used ? len : fs->used;
	pthread_mutex_unlock(&fs->mu);
}

int
fragstore_put(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], const uint8_t *buf,
    size_t len, uint64_t *ticket, struct dz_errmsg *em)
{
	char path[FS_PATH_MAX], tmp[FS_PATH_MAX];
	struct merkle *m = NULL;
	struct frag_hdr h;
	uint64_t total, seq = 0, cost = fragstore_charge(fs, len);
	int rc;

	*ticket = 0;
	final_path(name, path);
	if (buf == NULL)
		return DZ_EINVAL;
	if (len < FRAGSTORE_MINFRAG)
		return dz_errf(em, DZ_ERANGE,
		    "fragment %s: %zu bytes is less than the %u-byte minimum",
		    path, len, (unsigned)FRAGSTORE_MINFRAG);
	if (len > FRAGSTORE_MAXFRAG)
		return dz_errf(em, DZ_ERANGE, "fragment %s: %zu bytes is more than the %zu allowed",
		    path, len, FRAGSTORE_MAXFRAG);
	if ((rc = pool_take(fs, &m)) != 0)
		return dz_errf(em, rc, "cannot verify fragment %s", path);
	rc = frag_check(m, buf, len, name, &h);
	pool_give(fs, m);
	if (rc == DZ_EINTEGRITY)
		return dz_errf(em, rc, "refused fragment %s: its bytes do not match its name",
		    path);
	if (rc != 0)
		return dz_errf(em, rc, "refused fragment %s: %s", path, dz_strerror(rc));

	if ((rc = touch_existing(fs, path)) != DZ_ENOENT) {
		if (rc != 0)
			return dz_errf(em, rc, "cannot refresh fragment %s: %s", path,
			    strerror(errno));
		*ticket = put_done(fs, 0); /* idempotent; the ticket covers it */
		return 0;
	}
	rc = 0;
	pthread_mutex_lock(&fs->mu);
	if (fs->broken) {
		rc = dz_errf(em, DZ_EIO, "fragment store unusable after a failed sync: reopen it");
	} else if (__builtin_add_overflow(fs->used, cost, &total) ||
	    total > fs->capacity) {
		rc = dz_errf(em, DZ_ENOSPC,
		    "no room for fragment %s of %zu bytes (%llu on disk): capacity "
		    "%llu bytes, %llu used", path, len, (unsigned long long)cost,
		    (unsigned long long)fs->capacity, (unsigned long long)fs->used);
	} else {
		fs->used = total; /* reserved until the put fails or is undone */
		seq = ++fs->tmpseq;
	}
	pthread_mutex_unlock(&fs->mu);
	if (rc != 0)
		return rc;

	tmp_path(name, seq, tmp);
	rc = fragfile_write_new(fs->dirfd, tmp, O_EXCL, buf, len, em);
	if (rc == DZ_ENOSPC) {
		pthread_mutex_lock(&fs->mu);
		fs->disk_full = 1;
		pthread_mutex_unlock(&fs->mu);
	}
	if (rc == 0) {
		rc = place(fs->dirfd, tmp, path);
		/* a concurrent put of the same name won; if a sweep took its
		 * file since, ours goes in after all */
		if (rc == DZ_EEXIST && touch_existing(fs, path) == DZ_ENOENT)
			rc = place(fs->dirfd, tmp, path);
		if (rc == DZ_EEXIST) {
			unlinkat(fs->dirfd, tmp, 0);
			unreserve(fs, cost);
			*ticket = put_done(fs, 0);
			return 0;
		}
		if (rc != 0)
			dz_errf(em, rc, "cannot rename into place (%s): %s",
			    strerror(errno), tmp);
	}
	if (rc != 0) {
		unlinkat(fs->dirfd, tmp, 0);
		unreserve(fs, cost);
		return rc;
	}
	*ticket = put_done(fs, 1);
	return 0;
}

int
fragstore_sync(struct fragstore *fs, uint64_t upto, struct dz_errmsg *em)
{
	uint64_t target;
	int rc = 0, err;

	pthread_mutex_lock(&fs->mu);
	if (upto > fs->ticket)
		upto = fs->ticket;
	if (upto > fs->synced_upto)
		fs->st.sync_calls++;
	while (rc == 0 && upto > fs->synced_upto) {
		if (fs->broken) {
			rc = dz_errf(em, DZ_EIO,
			    "an earlier sync of the fragment store failed: reopen it");
			break;
		}
		if (fs->syncing) {
			/* Wait for the running sync: it covers us if it
			 * began after our ticket, else we start the next. */
			pthread_cond_wait(&fs->cv, &fs->mu);
			continue;
		}
		target = fs->ticket;
		fs->syncing = 1;
		fs->sync_target = target;
		fs->st.syncs++;
		pthread_mutex_unlock(&fs->mu);
		err = syncfs(fs->dirfd) == 0 ? 0 : errno;
		pthread_mutex_lock(&fs->mu);
		fs->syncing = 0;
		if (err == 0 && target > fs->synced_upto)
			fs->synced_upto = target;
		if (err != 0) {
			fs->broken = 1;
			rc = dz_errf(em, fsio_errno(err),
			    "cannot sync the fragment store: %s", strerror(err));
		}
		pthread_cond_broadcast(&fs->cv);
	}
	pthread_mutex_unlock(&fs->mu);
	return rc;
}

int
fragstore_get(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], uint8_t *buf, size_t cap,
    size_t *len, struct dz_errmsg *em)
{
	char path[FS_PATH_MAX];
	struct merkle *m;
	int rc;

	final_path(name, path);
	if ((rc = fragfile_read(fs->dirfd, path, buf, cap, len, em)) != 0)
		return rc;
	if ((rc = pool_take(fs, &m)) != 0)
		return dz_errf(em, rc, "cannot verify fragment %s", path);
	rc = check_stored(m, buf, *len, name, path, em);
	pool_give(fs, m);
	return rc;
}

int
fragstore_has(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], size_t *len)
{
	char path[FS_PATH_MAX];
	struct stat st;

	final_path(name, path);
	if (fstatat(fs->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : fsio_errno(errno);
	if (!S_ISREG(st.st_mode))
		return 0;
	if (len != NULL)
		*len = (size_t)st.st_size;
	return 1;
}

int
fragstore_del(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], struct dz_errmsg *em)
{
	char path[FS_PATH_MAX];
	struct stat st;

	/* Nothing replaces a final name, so the size read here is the size
	 * of what the unlink removes; of two concurrent deletes, only the
	 * one whose unlink succeeds gives the bytes back. */
	final_path(name, path);
	if (fstatat(fs->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    unlinkat(fs->dirfd, path, 0) != 0)
		return dz_errf(em, fsio_errno(errno), "cannot delete fragment %s: %s",
		    path, strerror(errno));
	unreserve(fs, fragstore_charge(fs, (uint64_t)st.st_size));
	pthread_mutex_lock(&fs->mu);
	fs->nfrags--;
	pthread_mutex_unlock(&fs->mu);
	return 0;
}

int
fragstore_del_older(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], int64_t cutoff,
    uint64_t *freed, struct dz_errmsg *em)
{
	char path[FS_PATH_MAX];
	struct stat st;
	int rc = 0;

	*freed = 0;
	final_path(name, path);
	pthread_mutex_lock(&fs->gcmu);
	if (fstatat(fs->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT)
			rc = dz_errf(em, fsio_errno(errno), "cannot examine fragment %s: %s",
			    path, strerror(errno));
	} else if (S_ISREG(st.st_mode) && (int64_t)st.st_mtime < cutoff) {
		if (unlinkat(fs->dirfd, path, 0) != 0)
			rc = errno == ENOENT ? 0 : dz_errf(em, fsio_errno(errno),
			    "cannot delete fragment %s: %s", path, strerror(errno));
		else
			rc = 1;
	}
	pthread_mutex_unlock(&fs->gcmu);
	if (rc != 1)
		return rc;
	*freed = fragstore_charge(fs, (uint64_t)st.st_size);
	unreserve(fs, *freed);
	pthread_mutex_lock(&fs->mu);
	fs->nfrags--;
	pthread_mutex_unlock(&fs->mu);
	return 1;
}

int
fragstore_audit(struct fragstore *fs,
    const uint8_t name[static FRAGSTORE_NAMEBYTES], size_t leaf,
    uint8_t block[static MERKLE_BLOCK], size_t *blocklen,
    uint8_t path[static MERKLE_MAXPATH][MERKLE_HASHBYTES], size_t *pathlen,
    size_t *nleaves, struct dz_errmsg *em)
{
	char fpath[FS_PATH_MAX];
	struct merkle *m = NULL;
	uint8_t *buf = NULL;
	size_t size = 0, len, cap, off;
	int rc;

	*blocklen = 0;
	*pathlen = 0;
	final_path(name, fpath);
	if ((rc = fragstore_has(fs, name, &size)) <= 0) {
		rc = rc == 0 ? DZ_ENOENT : rc;
		return dz_errf(em, rc, "cannot audit fragment %s: %s", fpath,
		    dz_strerror(rc));
	}
	if (size > FRAGSTORE_MAXFRAG)
		return dz_errf(em, DZ_EINTEGRITY,
		    "fragment %s is damaged on disk (too large): delete it", fpath);
	/* room for direct reads: a whole number of aligned blocks */
	cap = (size + FRAGSTORE_DIO_ALIGN - 1) & ~(size_t)(FRAGSTORE_DIO_ALIGN - 1);
	if (cap == 0 || posix_memalign((void **)&buf, FRAGSTORE_DIO_ALIGN, cap) != 0) {
		buf = NULL;
		rc = cap == 0 ? DZ_EINTEGRITY : DZ_ENOMEM;
		dz_errf(em, rc, "cannot audit fragment %s", fpath);
		goto out;
	}
	if ((rc = fragfile_read(fs->dirfd, fpath, buf, cap, &len, em)) != 0)
		goto out;
	if ((rc = pool_take(fs, &m)) != 0) {
		dz_errf(em, rc, "cannot verify fragment %s", fpath);
		goto out;
	}
	if ((rc = check_stored(m, buf, len, name, fpath, em)) != 0)
		goto out;
	if (leaf >= merkle_nleaves(len)) {
		rc = dz_errf(em, DZ_ERANGE, "fragment %s has %zu blocks, not %zu",
		    fpath, merkle_nleaves(len), leaf + 1);
		goto out;
	}
	if ((rc = merkle_proof(m, leaf, path, pathlen)) != 0)
		goto out;
	off = leaf * (size_t)MERKLE_BLOCK; /* < len: no overflow */
	*blocklen = len - off < MERKLE_BLOCK ? len - off : MERKLE_BLOCK;
	memcpy(block, buf + off, *blocklen);
	if (nleaves != NULL)
		*nleaves = merkle_nleaves(len);
out:
	if (m != NULL)
		pool_give(fs, m);
	free(buf);
	return rc;
}

/* scan_dir callback of open: count the fragments kept. */
static int
count_one(void *arg, const uint8_t *name, size_t len)
{
	(void)name;
	(void)len;
	(*(uint64_t *)arg)++;
	return 0;
}

/*
 * scan_dir: visit frags/XX. At open (`at_open`), temporary files are
 * removed; never later, when they are puts in progress. With `deep`, so is
 * every fragment whose size differs from what its header announces (cut
 * short by a crash before its sync). fn, if given, is called for each
 * fragment kept; *used (if given) adds its size.
 */
static int
scan_dir(struct fragstore *fs, unsigned xx, int at_open, int deep, uint64_t *used,
    int (*fn)(void *, const uint8_t *, size_t), void *arg,
    struct dz_errmsg *em)
{
	uint8_t name[FRAGSTORE_NAMEBYTES], hdr[FRAG_HDRBYTES];
	char sub[16];
	struct dirent *e;
	struct stat st;
	size_t got;
	DIR *dp;
	int fd, dfd, rc = 0, keep;

	snprintf(sub, sizeof(sub), "frags/%02x", xx);
	dfd = openat(fs->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (dp = fdopendir(dfd)) == NULL) {
		rc = dz_errf(em, fsio_errno(errno), "cannot list %s: %s", sub,
		    strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return rc;
	}
	while (rc == 0 && (e = readdir(dp)) != NULL) {
		if (strncmp(e->d_name, FS_TMP_PREFIX, strlen(FS_TMP_PREFIX)) == 0) {
			if (at_open && unlinkat(dfd, e->d_name, 0) == 0)
				fs->st.removed_at_open++;
			continue;
		}
		if (!is_name(e->d_name, sub + 6) ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue; /* not ours: leave it alone */
		keep = 1;
		if (deep) {
			/* header: version u8 | "DZF" | k n index rsv | payload_len u32le */
			fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC);
			got = 0;
			if (fd < 0 || fsio_read_full(fd, hdr, sizeof(hdr), &got) != 0)
				got = 0;
			if (fd >= 0)
				close(fd);
			keep = got == sizeof(hdr) && (uintmax_t)st.st_size ==
			    FRAG_HDRBYTES + ((uint64_t)hdr[8] | (uint64_t)hdr[9] << 8 |
			    (uint64_t)hdr[10] << 16 | (uint64_t)hdr[11] << 24);
			if (!keep && unlinkat(dfd, e->d_name, 0) == 0)
				fs->st.removed_at_open++;
		}
		if (!keep)
			continue;
		if (used != NULL)
			*used += fragstore_charge(fs, (uint64_t)st.st_size);
		if (fn != NULL && hex_decode(e->d_name, name, sizeof(name)) == 0)
			rc = fn(arg, name, (size_t)st.st_size);
	}
	closedir(dp);
	return rc;
}

int
fragstore_list(struct fragstore *fs,
    int (*fn)(void *arg, const uint8_t name[FRAGSTORE_NAMEBYTES], size_t len),
    void *arg, struct dz_errmsg *em)
{
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < 256; i++)
		rc = scan_dir(fs, i, 0, 0, NULL, fn, arg, em);
	return rc;
}

int
fragstore_open(const char *dir, uint64_t capacity, struct fragstore **out,
    struct dz_errmsg *em)
{
	struct fragstore *fs;
	struct statvfs vfs;
	int rc = 0, deep, locks = 0;

	*out = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return dz_errf(em, fsio_errno(errno), "cannot create fragment store %s: %s",
		    dir, strerror(errno));
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return DZ_ENOMEM;
	fs->capacity = capacity;
	fs->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->dirfd < 0) {
		rc = dz_errf(em, fsio_errno(errno), "cannot open fragment store %s: %s",
		    dir, strerror(errno));
		goto fail;
	}
	/* flock on the directory itself: released by the kernel when the
	 * process dies, so a crash never leaves a stale lock. */
	if (flock(fs->dirfd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? DZ_EEXIST : fsio_errno(errno);
		dz_errf(em, rc, "fragment store %s is already open (another peer running?)",
		    dir);
		goto fail;
	}
	if (pthread_mutex_init(&fs->mu, NULL) != 0) {
		rc = DZ_ENOMEM;
		goto fail;
	}
	locks++;
	if (pthread_cond_init(&fs->cv, NULL) != 0) {
		rc = DZ_ENOMEM;
		goto fail;
	}
	locks++;
	if (pthread_mutex_init(&fs->gcmu, NULL) != 0) {
		rc = DZ_ENOMEM;
		goto fail;
	}
	locks++;
	/* the fragment block: f_frsize is what statvfs counts free space in */
	if (fstatvfs(fs->dirfd, &vfs) == 0)
		fs->blk = vfs.f_frsize > 0 ? vfs.f_frsize : vfs.f_bsize;
	if (fs->blk == 0 || fs->blk > FS_BLK_MAX)
		fs->blk = FS_BLK_DEFAULT;
	if ((rc = fragfile_mkdirs(fs->dirfd)) != 0) {
		dz_errf(em, rc, "cannot create the directories of fragment store %s: %s",
		    dir, strerror(errno));
		goto fail;
	}
	deep = faccessat(fs->dirfd, FS_DIRTY, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	for (unsigned i = 0; rc == 0 && i < 256; i++)
		rc = scan_dir(fs, i, 1, deep, &fs->used, count_one, &fs->nfrags, em);
	if (rc != 0)
		goto fail;
	/* Durable before any put: if it were lost in a crash, the next open
	 * would skip the size check that catches fragments cut short. */
	rc = fsio_write_durable(fs->dirfd, FS_DIRTY, (const uint8_t *)"1\n", 2, 0,
	    0600, em);
	if (rc != 0)
		goto fail;
	*out = fs;
	return 0;
fail:
	if (locks > 2)
		pthread_mutex_destroy(&fs->gcmu);
	if (locks > 1)
		pthread_cond_destroy(&fs->cv);
	if (locks > 0)
		pthread_mutex_destroy(&fs->mu);
	if (fs->dirfd >= 0)
		close(fs->dirfd);
	free(fs);
	return rc;
}

int
fragstore_close(struct fragstore *fs)
{
	int rc;

	if (fs == NULL)
		return 0;
	rc = fragstore_sync(fs, UINT64_MAX, NULL);
	if (rc == 0 && !fs->broken) {
		if (unlinkat(fs->dirfd, FS_DIRTY, 0) != 0 && errno != ENOENT)
			rc = fsio_errno(errno);
		else
			rc = fsio_fsync_dir(fs->dirfd, FS_DIRTY);
	}
	for (size_t i = 0; i < fs->npool; i++)
		merkle_free(fs->pool[i]);
	pthread_cond_destroy(&fs->cv);
	pthread_mutex_destroy(&fs->gcmu);
	pthread_mutex_destroy(&fs->mu);
	close(fs->dirfd);
	free(fs);
	return rc;
}

/* A counter of fs, read under its lock. */
static uint64_t
read_locked(struct fragstore *fs, const uint64_t *v)
{
	uint64_t x;

	pthread_mutex_lock(&fs->mu);
	x = *v;
	pthread_mutex_unlock(&fs->mu);
	return x;
}

uint64_t
fragstore_count(struct fragstore *fs)
{
	return read_locked(fs, &fs->nfrags);
}

uint64_t
fragstore_used(struct fragstore *fs)
{
	return read_locked(fs, &fs->used);
}

uint64_t
fragstore_capacity(struct fragstore *fs)
{
	return read_locked(fs, &fs->capacity);
}

void
fragstore_set_capacity(struct fragstore *fs, uint64_t capacity)
{
	pthread_mutex_lock(&fs->mu);
	fs->capacity = capacity;
	pthread_mutex_unlock(&fs->mu);
}

void
fragstore_stats(struct fragstore *fs, struct fragstore_stats *st)
{
	pthread_mutex_lock(&fs->mu);
	*st = fs->st;
	pthread_mutex_unlock(&fs->mu);
}

int
fragstore_disk_full(struct fragstore *fs)
{
	return read_locked(fs, &fs->disk_full) != 0;
}

int
fragstore_offer(struct fragstore *fs, uint64_t *offer, uint64_t *disk_free)
{
	struct statvfs vfs;
	uint64_t avail, used = fragstore_used(fs), room;

	*offer = fragstore_capacity(fs);
	if (disk_free != NULL)
		*disk_free = UINT64_MAX;
	if (fstatvfs(fs->dirfd, &vfs) != 0)
		return fsio_errno(errno);
	if (__builtin_mul_overflow((uint64_t)vfs.f_bavail, (uint64_t)vfs.f_frsize, &avail))
		avail = UINT64_MAX;
	if (disk_free != NULL)
		*disk_free = avail;
	if (__builtin_add_overflow(used, avail, &room))
		room = UINT64_MAX;
	if (room < *offer)
		*offer = room;
	return 0;
}
