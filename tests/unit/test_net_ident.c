/* test_net_ident: a node identity is the Ed25519 key pair of its seed; the
 * seed file is created once (mode 0600, 32 bytes) and gives the same key
 * on every later load; a seed file of the wrong size or readable by others
 * is refused; public keys print as 64 hex digits and parse back, and
 * nothing else parses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "net/ident.h"

struct fx {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/dz-ident-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/node.key", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char tmp[160];

	unlink(f->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	unlink(tmp);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Same seed, same keys; the key pair signs and verifies (it is really
 * Ed25519's). */
static void
test_from_seed(void **state)
{
	uint8_t seed[IDENT_SEEDBYTES], sig[crypto_sign_BYTES];
	struct ident *a, *b;

	(void)state;
	randombytes_buf(seed, sizeof(seed));
	assert_int_equal(ident_from_seed(seed, &a), 0);
	assert_int_equal(ident_from_seed(seed, &b), 0);
	assert_memory_equal(a->pk, b->pk, IDENT_PKBYTES);
	assert_memory_equal(a->sk, seed, IDENT_SEEDBYTES);
	crypto_sign_detached(sig, NULL, (const uint8_t *)"m", 1, a->sk);
	assert_int_equal(crypto_sign_verify_detached(sig,
	    (const uint8_t *)"m", 1, b->pk), 0);
	ident_free(a);
	ident_free(b);
	ident_free(NULL);
}

/* Created once with mode 0600, then loaded with the same key. */
static void
test_load_or_create(void **state)
{
	struct fx *f = *state;
	struct ident *a, *b;
	struct stat st;
	int created = -1;

	assert_int_equal(ident_load_or_create(f->path, &a, &created, NULL), 0);
	assert_int_equal(created, 1);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, IDENT_SEEDBYTES);
	assert_int_equal(ident_load_or_create(f->path, &b, &created, NULL), 0);
	assert_int_equal(created, 0);
	assert_memory_equal(a->pk, b->pk, IDENT_PKBYTES);
	ident_free(a);
	ident_free(b);
}

/* A seed file others can read, or of the wrong size, is refused. */
static void
test_bad_seed_files(void **state)
{
	struct fx *f = *state;
	struct dz_errmsg em = {{0}};
	struct ident *a = NULL;
	int fd;

	assert_int_equal(ident_load_or_create(f->path, &a, NULL, NULL), 0);
	ident_free(a);
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(ident_load_or_create(f->path, &a, NULL, &em), DZ_EINVAL);
	assert_null(a);
	assert_non_null(strstr(em.text, "chmod 600"));
	assert_int_equal(chmod(f->path, 0600), 0);
	fd = open(f->path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(ident_load_or_create(f->path, &a, NULL, &em),
	    DZ_EFORMAT);
	assert_int_equal(truncate(f->path, 31), 0);
	assert_int_equal(ident_load_or_create(f->path, &a, NULL, &em),
	    DZ_EFORMAT);
	assert_null(a);
}

/* Hex round trip; anything but 64 hex digits is refused. */
static void
test_hex(void **state)
{
	uint8_t pk[IDENT_PKBYTES], back[IDENT_PKBYTES];
	char hex[IDENT_HEXBYTES], up[IDENT_HEXBYTES];
	static const char *bad[] = {
		"", "00", "0g00000000000000000000000000000000000000000000000000000000000000",
		"000000000000000000000000000000000000000000000000000000000000000",
		"00000000000000000000000000000000000000000000000000000000000000000",
		" 000000000000000000000000000000000000000000000000000000000000000",
		"00000000:0000000000000000000000000000000000000000000000000000000",
	};

	(void)state;
	randombytes_buf(pk, sizeof(pk));
	ident_pk_hex(pk, hex);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(ident_pk_parse(hex, back), 0);
	assert_memory_equal(pk, back, sizeof(pk));
	for (size_t i = 0; i < sizeof(up); i++)
		up[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
	memset(back, 0, sizeof(back));
	assert_int_equal(ident_pk_parse(up, back), 0);
	assert_memory_equal(pk, back, sizeof(pk));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ident_pk_parse(bad[i], back), DZ_EFORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_seed),
		cmocka_unit_test_setup_teardown(test_load_or_create, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_seed_files, setup,
		    teardown),
		cmocka_unit_test(test_hex),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
