/* test_peercfg: the peer's config file (docs/formats.md, "Peer
 * settings"): the keys and values it documents are read, comments and
 * blank lines skipped, and every kind of bad line refuses the whole file
 * with its line number; what peercfg_save writes reads back the same;
 * an absent file is an empty configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "peer/peercfg.h"

static int
parse(const char *text, struct peercfg *c, struct dz_errmsg *em)
{
	return peercfg_parse(text, strlen(text), c, em);
}

static void
reads_keys_comments_and_suffixes(void **state)
{
	struct dz_errmsg em = {{0}};
	struct peercfg c;

	(void)state;
	assert_int_equal(parse("# mine\n\ncapacity 64M\r\n\tmax-upload  2MiB\n"
	    "max-download 0", &c, &em), 0);
	assert_int_equal(c.set, 7);
	assert_true(c.v[PEERCFG_CAPACITY] == 64ull << 20);
	assert_true(c.v[PEERCFG_MAX_UPLOAD] == 2ull << 20);
	assert_true(c.v[PEERCFG_MAX_DOWNLOAD] == 0);
	assert_int_equal(parse("", &c, &em), 0);
	assert_int_equal(c.set, 0);
}

static void
refuses_bad_lines_naming_them(void **state)
{
	static const char *const bad[] = {
		"capacity 1G\nspeed 3\n",          /* unknown key */
		"capacity 1G\nmax-upload\n",       /* no value */
		"capacity 1G\nmax-upload 1M 2M\n", /* extra word */
		"capacity 1G\ncapacity 2G\n",      /* twice */
		"capacity 1G\ncapacity 0\n",       /* no capacity */
		"capacity 1G\nmax-upload 10K\n",   /* below the minimum */
		"capacity 1G\nmax-upload 1.5M\n",  /* a fraction */
		"capacity 1G\nmax-upload -1\n",    /* a sign */
		"capacity 1G\nmax-download 99999999999999999999\n", /* range */
	};
	struct dz_errmsg em;
	struct peercfg c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&em, 0, sizeof(em));
		assert_int_equal(parse(bad[i], &c, &em), DZ_EFORMAT);
		assert_non_null(strstr(em.text, "line 2:"));
	}
	/* a NUL byte and an overlong line */
	assert_int_equal(peercfg_parse("capacity 1G\0", 12, &c, &em), DZ_EFORMAT);
	char lng[400];
	memset(lng, 'x', sizeof(lng));
	assert_int_equal(peercfg_parse(lng, sizeof(lng), &c, &em), DZ_EFORMAT);
}

static void
saved_file_reads_back(void **state)
{
	char dir[] = "/tmp/test_peercfg.XXXXXX", path[64];
	struct dz_errmsg em = {{0}};
	struct peercfg c, d;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(peercfg_load(dir, &d, &em), 0); /* absent: empty */
	assert_int_equal(d.set, 0);
	c.v[PEERCFG_CAPACITY] = 1536ull << 10;
	c.v[PEERCFG_MAX_DOWNLOAD] = 3ull << 20;
	c.set = (1u << PEERCFG_CAPACITY) | (1u << PEERCFG_MAX_DOWNLOAD);
	assert_int_equal(peercfg_save(dir, &c, &em), 0);
	assert_int_equal(peercfg_load(dir, &d, &em), 0);
	assert_int_equal(d.set, c.set);
	assert_true(d.v[PEERCFG_CAPACITY] == c.v[PEERCFG_CAPACITY]);
	assert_true(d.v[PEERCFG_MAX_DOWNLOAD] == c.v[PEERCFG_MAX_DOWNLOAD]);
	snprintf(path, sizeof(path), "%s/config", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_keys_comments_and_suffixes),
		cmocka_unit_test(refuses_bad_lines_naming_them),
		cmocka_unit_test(saved_file_reads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
