/* test_profile: the client profile keeps the coordinator pin, the user and
 * the keyfile across runs, reads an empty home as "nothing yet", refuses
 * damaged files by name, and logout forgets the account but keeps the pin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "client/profile.h"

static char home[256], top[64];

static int
setup(void **state)
{
	char tmpl[] = "/tmp/dz-profile-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(top, sizeof(top), "%s", tmpl);
	snprintf(home, sizeof(home), "%s/a/b/home", tmpl);
	return 0;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(top, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
round_trip_and_logout(void **state)
{
	struct dz_errmsg em = {{0}};
	struct profile p;
	struct keyfile kf;
	struct pwkey_params pp = {PWKEY_ALG_ARGON2ID13, 1, 65536};
	uint8_t pk[32], blob[KEYFILE_BYTES], login_pk[32];
	uint8_t *mk = sodium_malloc(MKEY_BYTES);
	struct stat st;

	(void)state;
	assert_int_equal(profile_load(home, &p, &em), 0);
	assert_false(p.have_coordinator);
	assert_false(p.have_account);
	randombytes_buf(pk, sizeof(pk));
	assert_int_equal(profile_save_coordinator(home, "127.0.0.1:7000", pk, &em), 0);
	assert_int_equal(stat(home, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(keyfile_create("pw", 2, &pp, "alice", &kf, mk, login_pk), 0);
	keyfile_encode(&kf, blob);
	assert_int_equal(profile_save_account(home, "alice", blob, NULL, &em), 0);
	assert_int_equal(profile_load(home, &p, &em), 0);
	assert_true(p.have_coordinator);
	assert_string_equal(p.coord_addr, "127.0.0.1:7000");
	assert_memory_equal(p.coord_pk, pk, 32);
	assert_true(p.have_account);
	assert_string_equal(p.user, "alice");
	assert_memory_equal(p.keyfile, blob, KEYFILE_BYTES);
	assert_int_equal(profile_forget_account(home, &em), 0);
	assert_int_equal(profile_load(home, &p, &em), 0);
	assert_true(p.have_coordinator);
	assert_false(p.have_account);
	sodium_free(mk);
}

static void
damaged_files_are_named(void **state)
{
	struct dz_errmsg em = {{0}};
	struct profile p;
	char path[300];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/coordinator", home);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("127.0.0.1:7000\nnot-hex\n", f);
	fclose(f);
	assert_int_equal(profile_load(home, &p, &em), DZ_EFORMAT);
	assert_non_null(strstr(em.text, "coordinator"));
	f = fopen(path, "w");
	fputs("127.0.0.1:7000\n", f); /* the key line is missing */
	fclose(f);
	assert_int_equal(profile_load(home, &p, &em), DZ_EFORMAT);
	unlink(path);
	snprintf(path, sizeof(path), "%s/keyfile", home);
	f = fopen(path, "w");
	fputs("short", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/account", home);
	f = fopen(path, "w");
	fputs("alice\n", f);
	fclose(f);
	assert_int_equal(profile_load(home, &p, &em), DZ_EFORMAT);
	assert_non_null(strstr(em.text, "keyfile"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_and_logout),
		cmocka_unit_test(damaged_files_are_named),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
