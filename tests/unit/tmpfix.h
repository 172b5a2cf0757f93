/* tmpfix: a scratch directory for a unit test, made under /tmp and removed
 * whole afterwards. Static functions only: included by the tests that
 * use it (after cmocka.h). */
#ifndef DZ_TMPFIX_H
#define DZ_TMPFIX_H

#include <stdio.h>
#include <stdlib.h>

/* Make /tmp/<prefix>XXXXXX into dir (cap bytes). */
__attribute__((unused)) static void
tmpdir_make(char *dir, size_t cap, const char *prefix)
{
	snprintf(dir, cap, "/tmp/%sXXXXXX", prefix);
	assert_non_null(mkdtemp(dir));
}

/* Remove dir and everything in it. */
__attribute__((unused)) static void
tmpdir_remove(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A fixture of size bytes, zeroed, whose first member is char dir[64]:
 * a new scratch directory /tmp/<prefix>XXXXXX. */
__attribute__((unused)) static void *
tmpfix_new(size_t size, const char *prefix)
{
	char *f = calloc(1, size);

	assert_non_null(f);
	tmpdir_make(f, 64, prefix);
	return f;
}

/* cmocka teardown of a tmpfix_new fixture: the directory, then it. */
__attribute__((unused)) static int
tmpfix_teardown(void **state)
{
	tmpdir_remove(*state);
	free(*state);
	return 0;
}

#endif
