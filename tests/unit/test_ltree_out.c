/* test_ltree_out: re-creating a tree for get -r. A tree with nested
 * folders, an empty folder, a read-only folder with files in it, links
 * (one pointing outside), setuid/setgid/sticky bits, odd modes and mtimes
 * with nanoseconds is scanned and re-created, and every entry's lstat
 * (type, mode, size, mtime) and link target and every byte agree. Hostile
 * paths (.., ., empty components, leading '/', too long, control
 * characters, invalid UTF-8) are DZ_EINVAL and create nothing; a link
 * planted where a folder should be is never written through (with
 * --force ltree_out_mkdir replaces it by a folder); a link is created as
 * a link and never followed; existing files are kept unless force; a
 * file created meanwhile is not replaced at commit; an aborted or
 * unfinished file leaves nothing behind; the lazy-sync mode (one syncfs
 * at close) re-creates the same tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <sys/wait.h>

#include "ltreefix.h"

/* Write data to rel through ltree_out. */
static int
put(struct ltree_out *o, const char *rel, const char *data, uint32_t mode,
    int64_t sec, uint32_t nsec, struct dz_errmsg *em)
{
	size_t len = strlen(data);
	int fd, rc;

	if ((rc = ltree_out_file_begin(o, rel, &fd, em)) != 0)
		return rc;
	if (write(fd, data, len) != (ssize_t)len) {
		ltree_out_file_abort(o, rel, fd);
		return DZ_EIO;
	}
	return ltree_out_file_commit(o, rel, fd, mode, sec, nsec, em);
}

/* Entries in folder path but "." and ".." (-1 if it cannot be read). */
static int
count_in(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
hostile_paths(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct ltree_out *o;
	char longp[1100], longc[300];
	const char *bad[] = { "", "..", ".", "../x", "a/../b", "a/./b", "a/..", "a//b",
		"/a", "/etc/x", "a/", "ctl\x01", "tab\tx", "del\x7f", "nl\nx",
		"bad\xff", "ov\xc0\xaf", "half\xc3", "sur\xed\xa0\x80", longp, longc };
	int fd;

	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	for (size_t i = 1; i < 1025; i += 2)
		longp[i] = '/'; /* 1099 bytes of short components */
	memset(longc, 'c', sizeof(longc) - 1);
	longc[sizeof(longc) - 1] = '\0'; /* one component of 299 bytes */
	assert_int_equal(ltree_out_open(f->out, 0, &o, &em), 0);
	assert_int_equal(ltree_out_mkdir(o, "a", 0755, 1, 0, &em), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ltree_rel_ok(bad[i], &em), DZ_EINVAL);
		assert_int_equal(ltree_out_mkdir(o, bad[i], 0755, 1, 0, &em), DZ_EINVAL);
		assert_int_equal(ltree_out_file_begin(o, bad[i], &fd, &em), DZ_EINVAL);
		assert_int_equal(fd, -1);
		assert_int_equal(ltree_out_link(o, bad[i], "t", 1, 0, &em), DZ_EINVAL);
	}
	/* the longest path is fine: 1024 bytes */
	longp[1023] = 'a';
	longp[1024] = '\0';
	assert_int_equal(ltree_rel_ok(longp, &em), 0);
	assert_int_equal(ltree_rel_ok("caf\xc3\xa9/\xe2\x82\xac", &em), 0);
	/* nanoseconds and link targets are checked too */
	assert_int_equal(ltree_out_mkdir(o, "b", 0755, 1, 1000000000u, &em), DZ_EINVAL);
	assert_int_equal(ltree_out_link(o, "l", "", 1, 0, &em), DZ_EINVAL);
	assert_int_equal(ltree_out_close(o, &em), 0);
	/* nothing but "a" was made, inside or beside the root */
	assert_int_equal(count_in(f->out), 1);
	assert_int_equal(count_in(f->dir), 2); /* src, out */
}

static void
planted_link(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct ltree_out *o;
	char p[256], elsewhere[256];
	struct stat st;
	int fd;

	/* out/a -> elsewhere (a folder outside the root), out/f a file */
	pth(elsewhere, sizeof(elsewhere), f->dir, "elsewhere");
	assert_int_equal(mkdir(elsewhere, 0755), 0);
	assert_int_equal(mkdir(f->out, 0755), 0);
	assert_int_equal(symlink(elsewhere, pth(p, sizeof(p), f->out, "a")), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->out, "f"), "x", 1, 0644), 0);

	assert_int_equal(ltree_out_open(f->out, 0, &o, &em), 0);
	assert_int_equal(ltree_out_mkdir(o, "a", 0755, 1, 0, &em), DZ_EEXIST);
	assert_non_null(strstr(em.text, "'a'"));
	assert_int_equal(ltree_out_file_begin(o, "a/x", &fd, &em), DZ_EEXIST);
	assert_non_null(strstr(em.text, "'a' is in the way"));
	assert_int_equal(ltree_out_mkdir(o, "a/b", 0755, 1, 0, &em), DZ_EEXIST);
	assert_int_equal(ltree_out_link(o, "a/l", "/etc", 1, 0, &em), DZ_EEXIST);
	assert_int_equal(ltree_out_file_begin(o, "f/x", &fd, &em), DZ_EEXIST);
	assert_non_null(strstr(em.text, "'f' is in the way"));
	/* a missing folder is not made on the way */
	assert_int_equal(ltree_out_file_begin(o, "no/x", &fd, &em), DZ_ENOENT);
	/* planted after its folder was made, deeper down */
	assert_int_equal(ltree_out_mkdir(o, "d", 0755, 1, 0, &em), 0);
	assert_int_equal(symlink(elsewhere, pth(p, sizeof(p), f->out, "d/e")), 0);
	assert_int_equal(put(o, "d/e/x", "bad", 0644, 1, 0, &em), DZ_EEXIST);
	assert_int_equal(ltree_out_close(o, &em), 0);
	assert_int_equal(count_in(elsewhere), 0);

	/* with force, mkdir replaces the link by a folder; the files land
	 * inside the root */
	assert_int_equal(ltree_out_open(f->out, 1, &o, &em), 0);
	assert_int_equal(ltree_out_mkdir(o, "a", 0750, 1, 0, &em), 0);
	assert_int_equal(put(o, "a/x", "good", 0644, 1, 0, &em), 0);
	/* but a link in the way of a deeper path is never followed nor
	 * removed on the way */
	assert_int_equal(put(o, "d/e/x", "bad", 0644, 1, 0, &em), DZ_EEXIST);
	assert_int_equal(ltree_out_close(o, &em), 0);
	assert_int_equal(count_in(elsewhere), 0);
	assert_int_equal(lstat(pth(p, sizeof(p), f->out, "a"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(lstat(pth(p, sizeof(p), f->out, "a/x"), &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(lstat(pth(p, sizeof(p), f->out, "d/e"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

static void
links_not_followed(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct ltree_out *o;
	char p[256], target[256], buf[256];
	struct stat st, before;
	ssize_t n;

	/* a file outside the root with a known mtime: the link to it gets
	 * its own mtime, the file keeps its own */
	pth(target, sizeof(target), f->dir, "outside");
	assert_int_equal(mkfile(target, "keep", 4, 0644), 0);
	assert_int_equal(set_mtime(target, 1111111111, 111), 0);
	assert_int_equal(lstat(target, &before), 0);
	assert_int_equal(ltree_out_open(f->out, 0, &o, &em), 0);
	assert_int_equal(ltree_out_link(o, "l", target, 1500000000, 987654321, &em), 0);
	assert_int_equal(ltree_out_link(o, "rel", "../../../../etc/shadow", 1600000000, 5,
	    &em), 0);
	/* an existing link: kept without force */
	assert_int_equal(ltree_out_link(o, "l", "/x", 1, 0, &em), DZ_EEXIST);
	/* nor replaced by a file without force */
	assert_int_equal(put(o, "l", "overwrite", 0644, 1, 0, &em), DZ_EEXIST);
	assert_int_equal(ltree_out_close(o, &em), 0);
	n = readlink(pth(p, sizeof(p), f->out, "l"), buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)strlen(target));
	assert_memory_equal(buf, target, (size_t)n);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1500000000);
	assert_int_equal(st.st_mtim.tv_nsec, 987654321);
	assert_int_equal(lstat(target, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(st.st_size, 4);

	/* with force: a link replaced by a link, and by a file (the link
	 * itself, not its target) */
	assert_int_equal(ltree_out_open(f->out, 1, &o, &em), 0);
	assert_int_equal(ltree_out_link(o, "rel", "new", 7, 8, &em), 0);
	assert_int_equal(put(o, "l", "replaced", 0600, 9, 10, &em), 0);
	assert_int_equal(ltree_out_close(o, &em), 0);
	n = readlink(pth(p, sizeof(p), f->out, "rel"), buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "new", 3);
	assert_int_equal(lstat(pth(p, sizeof(p), f->out, "l"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 8);
	assert_int_equal(lstat(target, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(count_in(f->out), 2); /* no temporary file left */
}

static void
existing_and_abort(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct ltree_out *o;
	char p[256];
	struct stat st;
	int fd, fd2;

	assert_int_equal(ltree_out_open(f->out, 0, &o, &em), 0);
	assert_int_equal(ltree_out_mkdir(o, "d", 0755, 1, 0, &em), 0);
	assert_int_equal(put(o, "d/x", "one", 0644, 1, 0, &em), 0);
	/* an existing file: refused at once without force */
	assert_int_equal(ltree_out_file_begin(o, "d/x", &fd, &em), DZ_EEXIST);
	assert_non_null(strstr(em.text, "d/x"));
	/* a folder is never replaced by a file or a link */
	assert_int_equal(ltree_out_file_begin(o, "d", &fd, &em), DZ_EEXIST);
	assert_int_equal(ltree_out_link(o, "d", "t", 1, 0, &em), DZ_EEXIST);
	/* an existing folder is fine */
	assert_int_equal(ltree_out_mkdir(o, "d", 0700, 2, 0, &em), 0);
	/* a file made by someone else between begin and commit is kept */
	assert_int_equal(ltree_out_file_begin(o, "d/y", &fd, &em), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->out, "d/y"), "theirs", 6, 0644), 0);
	assert_int_equal(write(fd, "mine", 4), 4);
	assert_int_equal(ltree_out_file_commit(o, "d/y", fd, 0644, 1, 0, &em), DZ_EEXIST);
	/* aborted and unfinished files leave nothing */
	assert_int_equal(ltree_out_file_begin(o, "d/z", &fd, &em), 0);
	assert_int_equal(ltree_out_file_begin(o, "d/w", &fd2, &em), 0);
	assert_int_equal(write(fd, "zz", 2), 2);
	ltree_out_file_abort(o, "d/z", fd);
	assert_int_equal(count_in(pth(p, sizeof(p), f->out, "d")), 3); /* x, y, w's temp */
	assert_int_equal(ltree_out_close(o, &em), 0);
	assert_int_equal(count_in(p), 2);
	assert_int_equal(lstat(pth(p, sizeof(p), f->out, "d/y"), &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(lstat(pth(p, sizeof(p), f->out, "d"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700); /* the last mkdir's */

	/* force replaces the file */
	assert_int_equal(ltree_out_open(f->out, 1, &o, &em), 0);
	assert_int_equal(put(o, "d/x", "second", 0600, 1, 0, &em), 0);
	assert_int_equal(ltree_out_close(o, &em), 0);
	assert_int_equal(lstat(pth(p, sizeof(p), f->out, "d/x"), &st), 0);
	assert_int_equal(st.st_size, 6);

	/* the root: made if missing, its parents not; a file is refused */
	assert_int_equal(ltree_out_open(pth(p, sizeof(p), f->dir, "no/such"), 0, &o, &em),
	    DZ_ENOENT);
	assert_int_equal(ltree_out_open(pth(p, sizeof(p), f->out, "d/x"), 0, &o, &em),
	    DZ_EEXIST);
	assert_non_null(strstr(em.text, "not a folder"));
	assert_null(o);
	assert_int_equal(ltree_out_close(NULL, &em), 0);
}

/* The round trip: scan src and re-create every entry under out. */
struct copy {
	struct ltree_out *o;
	int files, dirs, links;
};

static int
copy_ent(void *arg, const struct ltree_ent *e)
{
	struct copy *c = arg;
	struct dz_errmsg em = { { 0 } };
	char buf[65536];
	int in, out, rc;
	ssize_t n;

	switch (e->type) {
	case LTREE_DIR:
		c->dirs++;
		return ltree_out_mkdir(c->o, e->rel, e->mode, e->mtime_sec, e->mtime_nsec, &em);
	case LTREE_LINK:
		c->links++;
		return ltree_out_link(c->o, e->rel, e->target, e->mtime_sec, e->mtime_nsec,
		    &em);
	}
	c->files++;
	if ((rc = ltree_open_file(e, &in, &em)) != 0)
		return rc;
	if ((rc = ltree_out_file_begin(c->o, e->rel, &out, &em)) != 0) {
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	close(in);
	if (n < 0) {
		ltree_out_file_abort(c->o, e->rel, out);
		return DZ_EIO;
	}
	return ltree_out_file_commit(c->o, e->rel, out, e->mode, e->mtime_sec,
	    e->mtime_nsec, &em);
}

/* Compare a and b (paths of the same entry) by lstat and content; then
 * their children, recursively. Returns the number of entries compared. */
static int
same_tree(const char *a, const char *b, int top)
{
	struct stat sa, sb;
	char pa[1024], pb[1024], la[256], lb[256];
	struct dirent *de;
	int n = 1;
	DIR *d;

	assert_int_equal(lstat(a, &sa), 0);
	assert_int_equal(lstat(b, &sb), 0);
	assert_int_equal(sa.st_mode & S_IFMT, sb.st_mode & S_IFMT);
	if (!top) {
		if (!S_ISLNK(sa.st_mode))
			assert_int_equal(sa.st_mode & 07777, sb.st_mode & 07777);
		assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
		assert_int_equal(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
	}
	if (S_ISLNK(sa.st_mode)) {
		ssize_t x = readlink(a, la, sizeof(la)), y = readlink(b, lb, sizeof(lb));

		assert_true(x > 0);
		assert_int_equal(x, y);
		assert_memory_equal(la, lb, (size_t)x);
	}
	if (S_ISREG(sa.st_mode)) {
		FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
		int ca, cb;

		assert_int_equal(sa.st_size, sb.st_size);
		assert_non_null(fa);
		assert_non_null(fb);
		do {
			ca = fgetc(fa);
			cb = fgetc(fb);
			assert_int_equal(ca, cb);
		} while (ca != EOF);
		fclose(fa);
		fclose(fb);
	}
	if (!S_ISDIR(sa.st_mode))
		return n;
	assert_int_equal(count_in(a), count_in(b));
	assert_non_null(d = opendir(a));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(pa, sizeof(pa), "%s/%s", a, de->d_name);
		snprintf(pb, sizeof(pb), "%s/%s", b, de->d_name);
		n += same_tree(pa, pb, 0);
	}
	closedir(d);
	return n;
}

static void
round_trip(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct copy c = { 0 };
	static char big[300000];
	char p[256];
	struct {
		const char *rel;
		time_t sec;
		long nsec;
	} times[] = {
		{ "top", 1234567890, 123456789 }, { "empty", 1000000000, 1 },
		{ "ro/in", 1600000000, 999999999 }, { "ro/also", 1600000001, 0 },
		{ "a/b/c/deep", 1500000000, 500000000 }, { "a/b/c", 1400000000, 400000000 },
		{ "a/b/big", 1300000000, 300000001 }, { "a/b/zero", 1700000000, 7 },
		{ "a/b", 1200000000, 200000000 }, { "a/link", 1100000000, 100000000 },
		{ "a/out", 1000000001, 11 }, { "a/suid", 1234, 5678 },
		{ "a/sgid", 99, 98 }, { "a", 1000000000, 1000 },
		{ "sticky", 2000000000, 2 }, { "ro", 1900000000, 19 },
		{ "run", 1, 999999999 },
	};

	/* nested folders, an empty folder, a read-only folder with files,
	 * links inside and outside, odd modes, exact mtimes */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7919 >> 3);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "top"), "top", 3, 0600), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "empty"), 0700), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "ro"), 0755), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "ro/in"), "in", 2, 0444), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "ro/also"), "al", 2, 0640), 0);
	assert_int_equal(chmod(pth(p, sizeof(p), f->src, "ro"), 0555), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "a"), 0751), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "a/b"), 0710), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "a/b/c"), 0700), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "a/b/c/deep"), "deep", 4, 0755), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "a/b/big"), big, sizeof(big), 0644), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "a/b/zero"), "", 0, 0604), 0);
	assert_int_equal(symlink("b/c/deep", pth(p, sizeof(p), f->src, "a/link")), 0);
	assert_int_equal(symlink("/nonexistent/../etc", pth(p, sizeof(p), f->src, "a/out")), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "a/suid"), "s", 1, 04711), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "a/sgid"), "g", 1, 02750), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "sticky"), 0755), 0);
	assert_int_equal(chmod(p, 01777), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "run"), "#!", 2, 0755), 0);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		assert_int_equal(set_mtime(pth(p, sizeof(p), f->src, "%s", times[i].rel),
		    times[i].sec, times[i].nsec), 0);

	assert_int_equal(ltree_out_open(f->out, 0, &c.o, &em), 0);
	assert_int_equal(ltree_scan(f->src, copy_ent, NULL, &c, &em), 0);
	assert_int_equal(ltree_out_close(c.o, &em), 0);
	assert_int_equal(c.dirs, 6);
	assert_int_equal(c.links, 2);
	assert_int_equal(c.files, 9);
	assert_int_equal(same_tree(f->src, f->out, 1), 1 + 6 + 2 + 9);
	/* no temporary file anywhere: same_tree compared the counts */

	/* the same with one syncfs at close instead of an fsync per file */
	memset(&c, 0, sizeof(c));
	assert_int_equal(ltree_out_open(pth(p, sizeof(p), f->dir, "lazy"), 0, &c.o, &em), 0);
	ltree_out_lazy_sync(c.o);
	assert_int_equal(ltree_scan(f->src, copy_ent, NULL, &c, &em), 0);
	assert_int_equal(ltree_out_close(c.o, &em), 0);
	assert_int_equal(same_tree(f->src, p, 1), 1 + 6 + 2 + 9);
}

/* What copy_as_user does as the user: re-create src under out; then,
 * under out + "2", a folder of mode 0600 (no search bit) holding a folder
 * and a file, which only works if the deepest folder gets its mode first.
 * 0 or the dz_err. */
static int
user_work(const char *src, const char *out)
{
	struct dz_errmsg em = { { 0 } };
	struct copy c = { 0 };
	char out2[256];
	int rc, fd;

	if ((rc = ltree_out_open(out, 0, &c.o, &em)) != 0)
		return rc;
	rc = ltree_scan(src, copy_ent, NULL, &c, &em);
	if (ltree_out_close(c.o, &em) != 0 && rc == 0)
		rc = DZ_EIO;
	if (rc != 0)
		return rc;
	snprintf(out2, sizeof(out2), "%s2", out);
	if ((rc = ltree_out_open(out2, 0, &c.o, &em)) != 0)
		return rc;
	if ((rc = ltree_out_mkdir(c.o, "nox", 0600, 5, 5, &em)) == 0 &&
	    (rc = ltree_out_mkdir(c.o, "nox/sub", 0755, 6, 6, &em)) == 0 &&
	    (rc = ltree_out_file_begin(c.o, "nox/sub/f", &fd, &em)) == 0)
		rc = ltree_out_file_commit(c.o, "nox/sub/f", fd, 0644, 7, 7, &em);
	if (ltree_out_close(c.o, &em) != 0 && rc == 0)
		rc = DZ_EIO;
	return rc;
}

/* user_work as the current user, or as user nobody in a child when run
 * as root (root writes into read-only folders anyway, so only an
 * ordinary user shows that a 0555 folder is filled before its mode is
 * set). 0 or the dz_err. */
static int
copy_as_user(const char *src, const char *out)
{
	int st;
	pid_t pid;

	if (geteuid() != 0)
		return user_work(src, out);
	if ((pid = fork()) < 0)
		return DZ_EIO;
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(99);
		_exit(-user_work(src, out));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return DZ_EIO;
	return -WEXITSTATUS(st);
}

static void
read_only_as_user(void **state)
{
	struct fix *f = *state;
	char p[256], out[256];
	struct stat st;

	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "ro"), 0755), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "ro/sub"), 0755), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "ro/sub/f"), "f", 1, 0444), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "ro/g"), "g", 1, 0644), 0);
	assert_int_equal(set_mtime(p, 1500000000, 1), 0);
	assert_int_equal(chmod(pth(p, sizeof(p), f->src, "ro/sub"), 0555), 0);
	assert_int_equal(set_mtime(p, 1400000000, 2), 0);
	assert_int_equal(chmod(pth(p, sizeof(p), f->src, "ro"), 0500), 0);
	assert_int_equal(set_mtime(p, 1300000000, 3), 0);
	pth(out, sizeof(out), f->dir, "u");
	assert_int_equal(mkdir(out, 0755), 0);
	if (geteuid() == 0) {
		assert_int_equal(chmod(f->dir, 0755), 0);
		assert_int_equal(chown(out, 65534, 65534), 0);
		assert_int_equal(chown(f->src, 65534, 65534), 0);
		assert_int_equal(chown(pth(p, sizeof(p), f->src, "ro"), 65534, 65534), 0);
	}
	pth(out, sizeof(out), f->dir, "u/out");
	assert_int_equal(copy_as_user(f->src, out), 0);
	assert_int_equal(same_tree(f->src, out, 1), 5);
	assert_int_equal(lstat(pth(p, sizeof(p), f->dir, "u/out2/nox"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_mtim.tv_nsec, 5);
	assert_int_equal(lstat(pth(p, sizeof(p), f->dir, "u/out2/nox/sub/f"), &st), 0);
	assert_int_equal(st.st_mtim.tv_nsec, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(hostile_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(planted_link, setup, teardown),
		cmocka_unit_test_setup_teardown(links_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(existing_and_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only_as_user, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
