/* test_ltree: walking a local tree for put -r. The walk is pre-order with
 * names in strcmp order and reports type, mode, size, exact mtime and
 * link targets; it names and skips sockets, FIFOs, devices, names that
 * are not valid UTF-8 or hold control characters, entries deeper than 64
 * levels and paths over 1024 bytes, and (as an unprivileged user)
 * unreadable files and folders; symlinks below the root are never
 * followed (a loop through one ends), the root may be one; at most one fd
 * per level is open; fn's result stops the walk; ltree_open_file refuses
 * a file replaced by a link, a FIFO or another file (no hang). The
 * round trip through ltree_out is in test_ltree_out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "ltreefix.h"

static void
order_and_types(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct coll c = { 0 };
	char p[256];
	const char *want[] = { "f A", "f a", "d b", "f b/y", "d b/z", "f b/z/deep",
		"l c", "d e" };
	int i;

	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "a"), "hello", 5, 0640), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "A"), "", 0, 0600), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "b"), 0750), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "b/y"), "yy", 2, 04755), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "b/z"), 0700), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "b/z/deep"), "d", 1, 0644), 0);
	assert_int_equal(symlink("../../../etc/passwd", pth(p, sizeof(p), f->src, "c")), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "e"), 0755), 0);
	assert_int_equal(set_mtime(pth(p, sizeof(p), f->src, "a"), 1234567890, 123456789), 0);
	assert_int_equal(set_mtime(pth(p, sizeof(p), f->src, "c"), 1000000000, 999999999), 0);

	assert_int_equal(ltree_scan(f->src, coll_fn, coll_skip, &c, &em), 0);
	assert_int_equal(c.nskip, 0);
	assert_int_equal(c.n, sizeof(want) / sizeof(want[0]));
	for (size_t k = 0; k < c.n; k++)
		assert_string_equal(c.seen[k], want[k]);
	i = coll_find(&c, "f a");
	assert_int_equal(c.ent[i].size, 5);
	assert_int_equal(c.ent[i].mode, 0640);
	assert_int_equal(c.ent[i].depth, 1);
	assert_int_equal(c.ent[i].mtime_sec, 1234567890);
	assert_int_equal(c.ent[i].mtime_nsec, 123456789);
	assert_int_equal(c.ent[coll_find(&c, "f b/y")].mode, 04755);
	assert_int_equal(c.ent[coll_find(&c, "d b/z")].mode, 0700);
	assert_int_equal(c.ent[coll_find(&c, "f b/z/deep")].depth, 3);
	i = coll_find(&c, "l c");
	assert_string_equal(c.ent[i].target, "../../../etc/passwd");
	assert_int_equal(c.ent[i].mtime_nsec, 999999999);
	assert_int_equal(c.ent[i].size, 0);
	coll_free(&c);

	/* fn's result stops the walk and is returned */
	c.stop_at = 3;
	assert_int_equal(ltree_scan(f->src, coll_fn, coll_skip, &c, &em), 7);
	assert_int_equal(c.n, 3);
	coll_free(&c);
}

static void
skips(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct coll c = { 0 };
	char p[256];
	int s, dev;

	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "ok"), "x", 1, 0644), 0);
	assert_int_equal(mkfifo(pth(p, sizeof(p), f->src, "fifo"), 0644), 0);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	pth(sa.sun_path, sizeof(sa.sun_path), f->src, "sock");
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* a device needs CAP_MKNOD: checked where the test may make one */
	dev = mknod(pth(p, sizeof(p), f->src, "null"), S_IFCHR | 0600, makedev(1, 3)) == 0;
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "bad\xff\xfe"), "x", 1, 0644), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "ctl\x01x"), "x", 1, 0644), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "del\x7f"), "x", 1, 0644), 0);
	/* overlong encoding of '/' and a lone continuation byte */
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "ov\xc0\xaf"), "x", 1, 0644), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "d\x80"), 0755), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "d\x80/in"), "x", 1, 0644), 0);
	/* valid UTF-8 is kept */
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "caf\xc3\xa9"), "x", 1, 0644), 0);
	/* loops through links: not followed */
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "sub"), 0755), 0);
	assert_int_equal(symlink("..", pth(p, sizeof(p), f->src, "sub/up")), 0);
	assert_int_equal(symlink(".", pth(p, sizeof(p), f->src, "self")), 0);
	assert_int_equal(symlink("self", pth(p, sizeof(p), f->src, "sub/self2")), 0);

	assert_int_equal(ltree_scan(f->src, coll_fn, coll_skip, &c, &em), 0);
	close(s);
	assert_true(coll_skipped(&c, "fifo: a FIFO"));
	assert_true(coll_skipped(&c, "sock: a socket"));
	if (dev)
		assert_true(coll_skipped(&c, "null: a device"));
	assert_true(coll_skipped(&c, "bad\xff\xfe: name is not valid UTF-8"));
	assert_true(coll_skipped(&c, "ctl\x01x: name has a control character"));
	assert_true(coll_skipped(&c, "del\x7f: name has a control character"));
	assert_true(coll_skipped(&c, "ov\xc0\xaf: name is not valid UTF-8"));
	assert_true(coll_skipped(&c, "d\x80: name is not valid UTF-8"));
	assert_int_equal(c.nskip, 7 + dev);
	/* stored: the rest, the links as links, nothing below them */
	assert_int_equal(c.n, 6);
	assert_true(coll_find(&c, "f ok") >= 0);
	assert_true(coll_find(&c, "f caf\xc3\xa9") >= 0);
	assert_true(coll_find(&c, "d sub") >= 0);
	assert_string_equal(c.ent[coll_find(&c, "l sub/up")].target, "..");
	assert_string_equal(c.ent[coll_find(&c, "l self")].target, ".");
	assert_string_equal(c.ent[coll_find(&c, "l sub/self2")].target, "self");
	coll_free(&c);
}

static void
depth_and_length(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct coll c = { 0 };
	char p[4096], name[201], want[64 * 2 + 32];
	size_t n;
	int base = count_fds();

	/* 70 levels of "d": 64 are stored, the 65th is named */
	n = (size_t)snprintf(p, sizeof(p), "%s", f->src);
	for (int i = 0; i < 70; i++) {
		n += (size_t)snprintf(p + n, sizeof(p) - n, "/d");
		assert_int_equal(mkdir(p, 0755), 0);
	}
	/* names of 200 bytes: 5 levels are 1004 bytes, the 6th passes 1024 */
	memset(name, 'n', 200);
	name[200] = '\0';
	n = (size_t)snprintf(p, sizeof(p), "%s", f->src);
	for (int i = 0; i < 6; i++) {
		name[0] = (char)('0' + i);
		n += (size_t)snprintf(p + n, sizeof(p) - n, "/%s", name);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	assert_int_equal(ltree_scan(f->src, coll_fn, coll_skip, &c, &em), 0);
	assert_int_equal(c.n, 64 + 5);
	assert_int_equal(c.nskip, 2);
	n = 0;
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%sd", i ? "/" : "");
	snprintf(want + n, sizeof(want) - n, ": deeper than 64 levels");
	assert_true(coll_skipped(&c, want));
	assert_int_equal(c.ent[coll_find(&c, "d d")].depth, 1);
	/* the long path is named by its first 1024 bytes ("0nn..." sorts
	 * before "d") */
	assert_non_null(strstr(c.skipped[0], ": path is longer than 1024 bytes"));
	assert_int_equal(strstr(c.skipped[0], ": path") - c.skipped[0], 1024);
	/* one fd per level (and the root's), not more */
	assert_true(c.maxfds <= base + 65 + 1);
	assert_true(c.maxfds >= base + 60);
	coll_free(&c);
}

static void
root_rules(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct coll c = { 0 };
	char p[256], q[256];

	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "x"), "x", 1, 0644), 0);
	/* the root may be reached through a link */
	assert_int_equal(symlink(f->src, pth(q, sizeof(q), f->dir, "rootlink")), 0);
	assert_int_equal(ltree_scan(q, coll_fn, coll_skip, &c, &em), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.seen[0], "f x");
	coll_free(&c);
	assert_int_equal(ltree_scan(p, coll_fn, coll_skip, &c, &em), DZ_EINVAL);
	assert_non_null(strstr(em.text, "not a folder"));
	assert_int_equal(ltree_scan(pth(p, sizeof(p), f->dir, "nope"), coll_fn, coll_skip,
	    &c, &em), DZ_ENOENT);
	assert_non_null(strstr(em.text, "nope"));
	assert_int_equal(c.n, 0);
}

/* Run the scan of root as user nobody in a child; its exit status says
 * what it saw: 0 as expected, else the number of the failed check. */
static int
scan_as_nobody(const char *root)
{
	struct dz_errmsg em = { { 0 } };
	struct coll c = { 0 };
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(10);
		if (ltree_scan(root, coll_fn, coll_skip, &c, &em) != 0)
			_exit(11);
		if (!coll_skipped(&c, "secret: permission denied"))
			_exit(12);
		if (!coll_skipped(&c, "locked: permission denied"))
			_exit(13);
		if (!coll_skipped(&c, "listless: permission denied"))
			_exit(14);
		if (c.nskip != 3 || c.n != 1 || coll_find(&c, "f open") < 0)
			_exit(15);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
unreadable(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct coll c = { 0 };
	char p[256];

	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "open"), "x", 1, 0644), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "secret"), "x", 1, 0000), 0);
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "locked"), 0755), 0);
	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "locked/in"), "x", 1, 0644), 0);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(chmod(pth(p, sizeof(p), f->src, "locked"), 0000), 0);
	/* searchable but not listable: skipped whole too, not stored empty */
	assert_int_equal(mkdir(pth(p, sizeof(p), f->src, "listless"), 0311), 0);
	if (geteuid() == 0) {
		/* root reads everything: play an ordinary user in a child */
		assert_int_equal(chmod(f->dir, 0755), 0);
		assert_int_equal(scan_as_nobody(f->src), 0);
		/* and root itself stores all of it */
		assert_int_equal(ltree_scan(f->src, coll_fn, coll_skip, &c, &em), 0);
		assert_int_equal(c.nskip, 0);
		assert_int_equal(c.n, 5);
	} else {
		assert_int_equal(ltree_scan(f->src, coll_fn, coll_skip, &c, &em), 0);
		assert_true(coll_skipped(&c, "secret: permission denied"));
		assert_true(coll_skipped(&c, "locked: permission denied"));
		assert_true(coll_skipped(&c, "listless: permission denied"));
		assert_int_equal(c.n, 1);
	}
	coll_free(&c);
}

/* During the walk, replace the file "victim" as the test asks, then open
 * it with ltree_open_file: the result goes into c->stop_at's place. */
static int swap_kind, swap_rc;

static int
swap_then_open(struct coll *c, const struct ltree_ent *e)
{
	struct dz_errmsg em = { { 0 } };
	char buf[8] = { 0 };
	int fd, fl;

	(void)c;
	if (strcmp(e->rel, "victim") != 0)
		return 0;
	if (swap_kind == 1 || swap_kind == 2)
		assert_int_equal(unlinkat(e->dirfd, e->name, 0), 0);
	if (swap_kind == 1)
		assert_int_equal(symlinkat("other", e->dirfd, e->name), 0);
	if (swap_kind == 2)
		assert_int_equal(mkfifoat(e->dirfd, e->name, 0644), 0);
	if (swap_kind == 3) {
		/* another file renamed over it (made first: a new inode, not
		 * the freed one reused) */
		fd = openat(e->dirfd, "new", O_WRONLY | O_CREAT | O_EXCL, 0644);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(renameat(e->dirfd, "new", e->dirfd, e->name), 0);
	}
	swap_rc = ltree_open_file(e, &fd, &em);
	if (swap_rc == 0) {
		assert_int_equal(read(fd, buf, sizeof(buf)), 4);
		assert_string_equal(buf, "vict");
		fl = fcntl(fd, F_GETFL);
		assert_int_equal(fl & O_NONBLOCK, 0);
		assert_int_equal(fl & O_ACCMODE, O_RDONLY);
		close(fd);
	} else {
		assert_int_equal(fd, -1);
		assert_non_null(strstr(em.text, "victim"));
	}
	return 0;
}

static void
open_changed(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = { { 0 } };
	struct coll c = { 0 };
	char p[256];
	const int want[] = { 0, DZ_ECHANGED, DZ_ECHANGED, DZ_ECHANGED };

	assert_int_equal(mkfile(pth(p, sizeof(p), f->src, "other"), "x", 1, 0644), 0);
	for (swap_kind = 0; swap_kind < 4; swap_kind++) {
		unlink(pth(p, sizeof(p), f->src, "victim"));
		assert_int_equal(mkfile(p, "vict", 4, 0644), 0);
		c.also = swap_then_open;
		swap_rc = 1;
		assert_int_equal(ltree_scan(f->src, coll_fn, coll_skip, &c, &em), 0);
		assert_int_equal(swap_rc, want[swap_kind]);
		coll_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(order_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(skips, setup, teardown),
		cmocka_unit_test_setup_teardown(depth_and_length, setup, teardown),
		cmocka_unit_test_setup_teardown(root_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(open_changed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
