/* test_pending: the journal of objects to forget unless named. Entries of
 * this (running) process are never orphans; those of a process that has
 * exited are, until dropped; remove takes only this process's entry; a
 * damaged journal is refused rather than read; a missing one has none;
 * a full one refuses more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpfix.h"

#include "client/pending.h"

struct fix {
	char dir[64], path[96];
};

static int
setup(void **state)
{
	struct fix *f = tmpfix_new(sizeof(*f), "dz-pending-");

	snprintf(f->path, sizeof(f->path), "%s/pending", f->dir);
	*state = f;
	return 0;
}

static struct pending_ent out[PENDING_MAX];

static void
test_missing_has_none(void **state)
{
	struct fix *f = *state;
	size_t n = 99;

	assert_int_equal(pending_orphans(f->path, out, PENDING_MAX, &n, NULL), 0);
	assert_int_equal(n, 0);
	/* nor made the journal or its lock file appear */
	assert_int_not_equal(access(f->path, F_OK), 0);
}

static void
test_own_entries_are_not_orphans(void **state)
{
	struct fix *f = *state;
	uint8_t a[32], b[32];
	size_t n = 99;

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	assert_int_equal(pending_add(f->path, a, NULL), 0);
	assert_int_equal(pending_add(f->path, b, NULL), 0);
	assert_int_equal(pending_add(f->path, a, NULL), 0); /* no duplicate */
	assert_int_equal(pending_orphans(f->path, out, PENDING_MAX, &n, NULL), 0);
	assert_int_equal(n, 0); /* this process runs: in flight */
	assert_int_equal(pending_remove(f->path, a, NULL), 0);
	assert_int_equal(pending_remove(f->path, b, NULL), 0);
	assert_int_equal(pending_remove(f->path, b, NULL), 0); /* none: fine */
}

static void
test_dead_process_entries_are_orphans(void **state)
{
	struct fix *f = *state;
	uint8_t mine[32], its[32];
	size_t n = 0;
	pid_t pid;
	int st;

	memset(mine, 0x11, sizeof(mine));
	memset(its, 0x22, sizeof(its));
	assert_int_equal(pending_add(f->path, mine, NULL), 0);
	if ((pid = fork()) == 0)
		_exit(pending_add(f->path, its, NULL) == 0 ? 0 : 1); /* then "crashes" */
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	assert_int_equal(pending_orphans(f->path, out, PENDING_MAX, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(out[0].id, its, 32);
	assert_int_equal(out[0].pid, (uint32_t)pid);
	/* our remove does not take the dead process's entry */
	assert_int_equal(pending_remove(f->path, its, NULL), 0);
	assert_int_equal(pending_orphans(f->path, out, PENDING_MAX, &n, NULL), 0);
	assert_int_equal(n, 1);
	/* dropped once handled */
	assert_int_equal(pending_drop(f->path, &out[0], NULL), 0);
	assert_int_equal(pending_orphans(f->path, out, PENDING_MAX, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(pending_remove(f->path, mine, NULL), 0);
}

static void
test_damaged_is_refused(void **state)
{
	struct fix *f = *state;
	struct dz_errmsg em = {{0}};
	uint8_t id[32] = {0};
	size_t n;
	FILE *fp;

	assert_non_null(fp = fopen(f->path, "w"));
	fputs("DZP1" "short", fp); /* not a whole entry */
	fclose(fp);
	assert_int_equal(pending_orphans(f->path, out, PENDING_MAX, &n, &em), DZ_EFORMAT);
	assert_non_null(strstr(em.text, "damaged"));
	assert_int_equal(pending_add(f->path, id, NULL), DZ_EFORMAT);
	assert_non_null(fp = fopen(f->path, "w"));
	fputs("NOPE", fp);
	fclose(fp);
	assert_int_equal(pending_orphans(f->path, out, PENDING_MAX, &n, NULL), DZ_EFORMAT);
}

static void
test_full_refuses(void **state)
{
	struct fix *f = *state;
	uint8_t id[32], ent[PENDING_ENTBYTES] = {0};
	FILE *fp;

	/* a full journal made directly: PENDING_MAX adds would be as many
	 * fsyncs */
	assert_non_null(fp = fopen(f->path, "w"));
	fputs("DZP1", fp);
	for (unsigned i = 0; i < PENDING_MAX; i++) {
		memcpy(ent, &i, sizeof(i));
		assert_int_equal(fwrite(ent, 1, sizeof(ent), fp), sizeof(ent));
	}
	fclose(fp);
	memset(id, 0xff, sizeof(id));
	assert_int_equal(pending_add(f->path, id, NULL), DZ_ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_has_none, setup, tmpfix_teardown),
		cmocka_unit_test_setup_teardown(test_own_entries_are_not_orphans, setup, tmpfix_teardown),
		cmocka_unit_test_setup_teardown(test_dead_process_entries_are_orphans, setup, tmpfix_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_is_refused, setup, tmpfix_teardown),
		cmocka_unit_test_setup_teardown(test_full_refuses, setup, tmpfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
