/* test_moving: the journal of moves between folders. A move journaled by
 * a process that is still running is left alone; one of a process that
 * ended comes back whole (ids, keys, type, paths), and is removed only
 * when the finisher says so; the file is 0600, of one size whatever the
 * paths, and holds no path or key in the clear; a file sealed under
 * another key, cut short, or bit-flipped is kept and named (DZ_EFORMAT)
 * while the others are still finished; stray names (a .tmp) are ignored;
 * a missing directory has none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpfix.h"

#include <sodium.h>

#include "client/moving.h"

struct fix {
	char dir[64], jdir[96];
	uint8_t key[32];
};

static int
setup(void **state)
{
	struct fix *f = tmpfix_new(sizeof(*f), "dz-moving-");

	assert_true(sodium_init() >= 0);
	snprintf(f->jdir, sizeof(f->jdir), "%s/%s", f->dir, MOVING_DIR);
	randombytes_buf(f->key, sizeof(f->key));
	*state = f;
	return 0;
}

static void
rec_fill(struct moving_rec *r, uint8_t tag, const char *from, const char *to)
{
	memset(r, 0, sizeof(*r));
	memset(r->src_id, tag, 32);
	memset(r->src_key, tag + 1, 32);
	memset(r->dst_id, tag + 2, 32);
	memset(r->dst_key, tag + 3, 32);
	memset(r->ent_id, tag + 4, 32);
	r->type = 2;
	snprintf(r->from, sizeof(r->from), "%s", from);
	snprintf(r->to, sizeof(r->to), "%s", to);
}

/* Journal r from a child process that then ends (as if killed). */
static void
begin_in_child(struct fix *f, const struct moving_rec *r)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		char file[MOVING_FILEMAX];

		_exit(moving_begin(f->jdir, f->key, r, file, NULL) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

struct seen {
	struct moving_rec got[4];
	int n, ret;
};

static int
collect(void *arg, const struct moving_rec *r)
{
	struct seen *s = arg;

	if (s->n < 4)
		s->got[s->n++] = *r;
	return s->ret;
}

static int
count_files(const char *dir)
{
	char cmd[160], buf[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", dir);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(buf, sizeof(buf), p));
	pclose(p);
	return atoi(buf);
}

static void
test_roundtrip(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = {{0}};
	struct moving_rec r, r2;
	struct seen s = {.ret = -1};
	char file[MOVING_FILEMAX], cmd[MOVING_FILEMAX + 64];
	struct stat st, st2;
	unsigned done;

	/* none yet: no directory */
	assert_int_equal(moving_orphans(f->jdir, f->key, collect, &s, &done, &em), 0);
	assert_int_equal(s.n, 0);

	/* this process's own move: running, so left alone */
	rec_fill(&r, 0x10, "photos/2024", "archive/2024");
	assert_int_equal(moving_begin(f->jdir, f->key, &r, file, &em), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(moving_orphans(f->jdir, f->key, collect, &s, &done, &em), 0);
	assert_int_equal(s.n, 0);
	/* no path and no key in the clear */
	snprintf(cmd, sizeof(cmd), "grep -qa -e photos -e archive '%s'", file);
	assert_int_not_equal(system(cmd), 0);
	moving_end(file);
	assert_int_not_equal(access(file, F_OK), 0);

	/* an ended process's: back whole; kept while the finisher fails */
	rec_fill(&r2, 0x40, "a/much/longer/path/than/the/other/one", "b");
	begin_in_child(f, &r2);
	assert_int_equal(moving_orphans(f->jdir, f->key, collect, &s, &done, &em), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(done, 0);
	assert_memory_equal(&s.got[0], &r2, sizeof(r2));
	assert_int_equal(count_files(f->jdir), 1);
	/* one size whatever the paths */
	assert_int_equal(moving_begin(f->jdir, f->key, &r, file, &em), 0);
	assert_int_equal(stat(file, &st2), 0);
	moving_end(file);
	s.n = 0;
	s.ret = 0;
	assert_int_equal(moving_orphans(f->jdir, f->key, collect, &s, &done, &em), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(done, 1);
	assert_int_equal(count_files(f->jdir), 0);
	assert_int_equal(st.st_size, st2.st_size);
}

static void
test_damaged(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = {{0}};
	struct moving_rec r;
	struct seen s = {.ret = 0};
	uint8_t other[32];
	char cmd[512];
	unsigned done;

	rec_fill(&r, 0x70, "x/y", "z/y");
	begin_in_child(f, &r); /* a good one, finished despite the bad ones */
	/* sealed under another account's key */
	memcpy(other, f->key, 32);
	randombytes_buf(f->key, 32);
	begin_in_child(f, &r);
	memcpy(f->key, other, 32);
	/* a stray temporary file, never read */
	snprintf(cmd, sizeof(cmd), "echo junk >'%s/1-1-0000000000000001.tmp'", f->jdir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(moving_orphans(f->jdir, f->key, collect, &s, &done, &em),
	    DZ_EFORMAT);
	assert_int_equal(s.n, 1);
	assert_int_equal(done, 1);
	assert_non_null(strstr(em.text, "is not a move this account began"));
	assert_non_null(strstr(em.text, f->jdir));
	assert_int_equal(count_files(f->jdir), 2); /* the bad one and the .tmp */

	/* cut short, and one flipped bit: both refused, both kept */
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/*", f->jdir);
	assert_int_equal(system(cmd), 0);
	begin_in_child(f, &r);
	begin_in_child(f, &r);
	snprintf(cmd, sizeof(cmd), "cd '%s' && set -- * && truncate -s -1 \"$1\" && "
	    "printf '\\001\\002' | dd of=\"$2\" bs=1 seek=100 conv=notrunc status=none",
	    f->jdir);
	assert_int_equal(system(cmd), 0);
	s.n = 0;
	memset(&em, 0, sizeof(em));
	assert_int_equal(moving_orphans(f->jdir, f->key, collect, &s, &done, &em),
	    DZ_EFORMAT);
	assert_int_equal(s.n, 0);
	assert_int_equal(done, 0);
	assert_int_equal(count_files(f->jdir), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, tmpfix_teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, tmpfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
