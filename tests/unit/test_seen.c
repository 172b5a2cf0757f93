/* test_seen: the rollback memory. Versions only go up; an older one is
 * refused with DZ_EROLLBACK and "rolled back" and the folder's name in
 * the message, an equal one is the same record; what was seen survives
 * closing (and a child process killed right after a check: durable
 * before seen_check returns); a file that is not a rollback memory, or a
 * damaged one, is refused with a clear message; one million ids are
 * recorded in batches (the time is printed, not judged). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpfix.h"

#include "client/seen.h"
#include "core/cursor.h"

struct fix {
	char dir[64], path[96];
};

static int
setup(void **state)
{
	struct fix *f = tmpfix_new(sizeof(*f), "dz-seen-");

	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, SEEN_FILE);
	*state = f;
	return 0;
}

static void
idn(uint8_t id[32], uint64_t n)
{
	memset(id, 0xa5, 32);
	le64_put(id, n);
}

static void
monotonic(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = {{0}};
	struct seen *s;
	struct stat st;
	uint8_t a[32], b[32];
	uint64_t v;

	idn(a, 1);
	idn(b, 2);
	assert_int_equal(seen_open(f->path, &s, &em), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(seen_get(s, a, &v, NULL), 0);
	assert_int_equal(v, 0);
	assert_int_equal(seen_check(s, a, 1, "folder 'x'", &em), 0);
	assert_int_equal(seen_check(s, a, 1, "folder 'x'", &em), 0); /* same */
	assert_int_equal(seen_check(s, a, 5, "folder 'x'", &em), 0);
	assert_int_equal(seen_check(s, b, 3, "folder 'y'", &em), 0);
	assert_int_equal(seen_get(s, a, &v, NULL), 0);
	assert_int_equal(v, 5);
	/* an older one: refused, named, and nothing recorded */
	assert_int_equal(seen_check(s, a, 4, "folder 'photos/2024'", &em), DZ_EROLLBACK);
	assert_non_null(strstr(em.text, "rolled back"));
	assert_non_null(strstr(em.text, "photos/2024"));
	assert_non_null(strstr(dz_strerror(DZ_EROLLBACK), "rolled back"));
	assert_int_equal(seen_get(s, a, &v, NULL), 0);
	assert_int_equal(v, 5);
	/* other ids are not affected */
	assert_int_equal(seen_check(s, b, 3, NULL, &em), 0);
	assert_int_equal(seen_check(s, b, 2, NULL, &em), DZ_EROLLBACK);
	assert_int_equal(seen_check(s, a, (uint64_t)INT64_MAX + 1, NULL, &em), DZ_ERANGE);
	seen_close(s);
}

static void
persists(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = {{0}};
	struct seen *s;
	uint8_t a[32];
	pid_t pid;
	int status;

	idn(a, 7);
	assert_int_equal(seen_open(f->path, &s, &em), 0);
	assert_int_equal(seen_check(s, a, 9, NULL, &em), 0);
	seen_close(s);
	assert_int_equal(seen_open(f->path, &s, &em), 0);
	assert_int_equal(seen_check(s, a, 8, NULL, &em), DZ_EROLLBACK);
	/* a transaction left open is dropped, a committed one kept */
	assert_int_equal(seen_begin(s, &em), 0);
	assert_int_equal(seen_check(s, a, 20, NULL, &em), 0);
	seen_close(s);
	assert_int_equal(seen_open(f->path, &s, &em), 0);
	assert_int_equal(seen_check(s, a, 10, NULL, &em), 0);
	assert_int_equal(seen_begin(s, &em), 0);
	assert_int_equal(seen_check(s, a, 11, NULL, &em), 0);
	assert_int_equal(seen_commit(s, &em), 0);
	seen_close(s);
	/* a process that dies the instant seen_check returns has still
	 * recorded it */
	if ((pid = fork()) == 0) {
		if (seen_open(f->path, &s, NULL) != 0 || seen_check(s, a, 12, NULL, NULL) != 0)
			_exit(1);
		_exit(0); /* no close */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(seen_open(f->path, &s, &em), 0);
	assert_int_equal(seen_check(s, a, 11, "folder 'z'", &em), DZ_EROLLBACK);
	seen_close(s);
}

static void
damaged(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = {{0}};
	struct seen *s;
	FILE *fp;
	char junk[8192];

	/* not a database at all */
	assert_non_null(fp = fopen(f->path, "w"));
	memset(junk, 'j', sizeof(junk));
	assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	fclose(fp);
	assert_int_equal(seen_open(f->path, &s, &em), DZ_EFORMAT);
	assert_null(s);
	assert_non_null(strstr(em.text, "damaged"));
	assert_non_null(strstr(em.text, f->path));
	unlink(f->path);
	/* a database, but of another kind */
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd),
		    "sqlite3 '%s' 'CREATE TABLE other(x)' 2>/dev/null || "
		    "python3 -c \"import sqlite3; sqlite3.connect('%s').execute("
		    "'CREATE TABLE other(x)')\"", f->path, f->path);
		if (system(cmd) == 0) {
			memset(&em, 0, sizeof(em));
			assert_int_equal(seen_open(f->path, &s, &em), DZ_EFORMAT);
			assert_non_null(strstr(em.text, "not a rollback memory"));
		}
		unlink(f->path);
	}
	/* a later format */
	assert_int_equal(seen_open(f->path, &s, &em), 0);
	seen_close(s);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "python3 -c \"import sqlite3; c = sqlite3.connect("
		    "'%s'); c.execute('PRAGMA user_version=9'); c.commit()\"", f->path);
		if (system(cmd) == 0)
			assert_int_equal(seen_open(f->path, &s, &em), DZ_EVERSION);
	}
	/* a directory that does not exist */
	assert_int_equal(seen_open("/nonexistent-dir/seen.db", &s, &em), DZ_EIO);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define MILLION 1000000
#define BATCH 100000

static void
million(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = {{0}};
	struct seen *s;
	struct stat st;
	uint8_t id[32];
	double t0, t1, t2;
	uint64_t v;

	assert_int_equal(seen_open(f->path, &s, &em), 0);
	t0 = now();
	for (uint64_t i = 0; i < MILLION; i++) {
		if (i % BATCH == 0)
			assert_int_equal(seen_begin(s, &em), 0);
		idn(id, i * 2654435761u); /* keys in no order, as random ids are */
		assert_int_equal(seen_check(s, id, 1 + i % 7, NULL, &em), 0);
		if (i % BATCH == BATCH - 1)
			assert_int_equal(seen_commit(s, &em), 0);
	}
	t1 = now();
	/* one lookup and one refusal among a million */
	idn(id, (uint64_t)123456 * 2654435761u);
	assert_int_equal(seen_get(s, id, &v, NULL), 0);
	assert_int_equal(v, 1 + 123456 % 7);
	assert_int_equal(seen_check(s, id, v - 1 ? v - 1 : 0, NULL, &em),
	    v > 1 ? DZ_EROLLBACK : 0);
	for (uint64_t i = 0; i < 1000; i++) {
		idn(id, (MILLION + i) * 2654435761u);
		assert_int_equal(seen_check(s, id, 8, NULL, &em), 0);
	}
	t2 = now();
	seen_close(s);
	assert_int_equal(stat(f->path, &st), 0);
	printf("# %d ids recorded in %.2f s (batches of %d); 1000 single checks, each "
	    "durable, in %.2f s; file %.1f MB\n", MILLION, t1 - t0, BATCH, t2 - t1,
	    st.st_size / 1e6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(monotonic, setup, tmpfix_teardown),
		cmocka_unit_test_setup_teardown(persists, setup, tmpfix_teardown),
		cmocka_unit_test_setup_teardown(damaged, setup, tmpfix_teardown),
		cmocka_unit_test_setup_teardown(million, setup, tmpfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
