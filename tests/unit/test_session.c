/* test_session: the client's account session against a real coordinator
 * running in-process on 127.0.0.1 (its own loop thread). Sign-up then
 * login from a second home gives the same master key and its own device
 * key, both acting for the account;
 * a wrong password is DZ_EPASSWORD "wrong password" with the hint; an
 * unknown user is DZ_ENOENT and a taken name DZ_EEXIST, leaving the
 * profile untouched; passwd makes the old password fail and the new one
 * work, from a fresh home and from the home that changed it; a
 * coordinator showing another key than the pinned or given one is refused
 * by name (DZ_EPEERKEY, both keys in the message); passwd logs the other
 * computers out (DZ_ENOLOGIN); login refuses weak key stretching
 * (DZ_EWEAKKDF) unless asked for; logout forgets the
 * account but keeps the pin; neither the password nor the master key is
 * ever written to the profile or the coordinator's data directory. KDF
 * costs are cheap and explicit (1 pass, 64 KiB). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "client/profile.h"
#include "client/session.h"
#include "coordinator/coord.h"
#include "net/proto.h"

static const char PW[] = "correct horse battery staple";
static const char PW2[] = "tr0ub4dor&3 but longer";

/* ---- the coordinator on its own thread (as in test_coord) ---- */

struct srv {
	char dir[80];
	uv_loop_t loop;
	uv_async_t stop;
	struct coord *co;
	pthread_t th;
	char addr[64];
	uint8_t pk[IDENT_PKBYTES];
};

static void
srv_on_stop(uv_async_t *a)
{
	struct srv *s = a->data;

	coord_stop(s->co);
	uv_close((uv_handle_t *)a, NULL);
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;

	uv_run(&s->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void
srv_start(struct srv *s)
{
	struct coord_opts o;
	struct dz_errmsg em = {{0}};

	coord_opts_default(&o);
	o.data_dir = s->dir;
	o.listen = "127.0.0.1:0";
	o.base_quota = 1000000;
	assert_int_equal(uv_loop_init(&s->loop), 0);
	if (coord_start(&s->loop, &o, &s->co, &em) != 0)
		fail_msg("coord_start: %s", em.text);
	snprintf(s->addr, sizeof(s->addr), "%s", coord_addr(s->co));
	memcpy(s->pk, coord_pk(s->co), IDENT_PKBYTES);
	assert_int_equal(uv_async_init(&s->loop, &s->stop, srv_on_stop), 0);
	s->stop.data = s;
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void
srv_stop(struct srv *s)
{
	uv_async_send(&s->stop);
	pthread_join(s->th, NULL);
	coord_free(s->co);
	s->co = NULL;
	assert_int_equal(uv_loop_close(&s->loop), 0);
}

/* ---- fixture ---- */

struct fx {
	char dir[64];     /* scratch: homes live here */
	struct srv s;
	struct pwkey_params kdf;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_session.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->s.dir, sizeof(f->s.dir), "%s/coord", f->dir);
	srv_start(&f->s);
	f->kdf.alg = PWKEY_ALG_ARGON2ID13;
	f->kdf.opslimit = 1;
	f->kdf.memlimit = 65536;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	if (f->s.co != NULL)
		srv_stop(&f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The home directory NAME under the scratch directory, into out. */
static const char *
home(struct fx *f, const char *name, char out[256])
{
	snprintf(out, 256, "%s/%s", f->dir, name);
	return out;
}

static void
signup(struct fx *f, const char *h, const char *user, const char *pw,
    const char *hint)
{
	struct dz_errmsg em = {{0}};

	if (session_signup(h, f->s.addr, NULL, user, pw, strlen(pw), &f->kdf,
	    hint, &em) != 0)
		fail_msg("signup %s: %s", user, em.text);
}

static struct session *
open_ok(const char *h, const char *pw)
{
	struct dz_errmsg em = {{0}};
	struct session *s = NULL;

	if (session_open(h, pw, strlen(pw), &s, &em) != 0)
		fail_msg("session_open %s: %s", h, em.text);
	return s;
}

static int
file_exists(const char *h, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", h, name);
	return stat(p, &st) == 0;
}

/* 1 if the n bytes of needle occur in any file under dir (recursively). */
static int
tree_contains(const char *dir, const void *needle, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (d == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		char p[1024];
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			found = tree_contains(p, needle, n);
		} else if (S_ISREG(st.st_mode) && st.st_size > 0) {
			FILE *fp = fopen(p, "rb");
			uint8_t *buf = malloc((size_t)st.st_size);
			size_t got;
			assert_non_null(fp);
			assert_non_null(buf);
			got = fread(buf, 1, (size_t)st.st_size, fp);
			fclose(fp);
			found = memmem(buf, got, needle, n) != NULL;
			free(buf);
		}
	}
	closedir(d);
	return found;
}

/* ---- tests ---- */

static void
test_signup_login(void **state)
{
	struct fx *f = *state;
	struct dz_errmsg em = {{0}};
	struct session *a, *b;
	struct profile p;
	struct frame r;
	struct proto_status_rep st;
	char ha[256], hb[256];

	signup(f, home(f, "a", ha), "alice", PW, "the usual one");
	assert_int_equal(profile_load(ha, &p, &em), 0);
	assert_true(p.have_coordinator && p.have_account);
	assert_string_equal(p.user, "alice");
	assert_string_equal(p.coord_addr, f->s.addr);
	assert_memory_equal(p.coord_pk, f->s.pk, IDENT_PKBYTES); /* pinned */

	if (session_login(home(f, "b", hb), f->s.addr, NULL, "alice", PW,
	    strlen(PW), &f->kdf, &em) != 0)
		fail_msg("login: %s", em.text);
	a = open_ok(ha, PW);
	b = open_ok(hb, PW);
	assert_memory_equal(a->mk, b->mk, MKEY_BYTES);
	/* each computer its own device key */
	assert_memory_not_equal(a->id->pk, b->id->pk, IDENT_PKBYTES);
	assert_string_equal(b->user, "alice");
	assert_string_equal(b->coord_addr, f->s.addr);
	assert_memory_equal(b->coord_pk, f->s.pk, IDENT_PKBYTES);

	/* either device key acts for the account */
	assert_int_equal(session_call(a, PROTO_STATUS, NULL, 0, &r, &em), 0);
	frame_free(&r);
	assert_int_equal(session_call(b, PROTO_STATUS, NULL, 0, &r, &em), 0);
	assert_int_equal(r.type, PROTO_STATUS_REP);
	assert_int_equal(proto_status_rep_decode(r.body, r.len, &st), 0);
	assert_int_equal(st.quota, 1000000);
	frame_free(&r);

	/* nothing secret anywhere on disk, on either side */
	assert_false(tree_contains(ha, PW, strlen(PW)));
	assert_false(tree_contains(hb, PW, strlen(PW)));
	assert_false(tree_contains(ha, a->mk, MKEY_BYTES));
	assert_false(tree_contains(hb, a->mk, MKEY_BYTES));
	assert_false(tree_contains(f->s.dir, PW, strlen(PW)));
	assert_false(tree_contains(f->s.dir, a->mk, MKEY_BYTES));
	session_close(a);
	session_close(b);
}

static void
test_wrong_password(void **state)
{
	struct fx *f = *state;
	struct dz_errmsg em = {{0}};
	struct session *s = NULL;
	char ha[256], hb[256], hc[256], hint[300];

	signup(f, home(f, "a", ha), "bob", PW, "name of the first cat");
	assert_int_equal(session_login(home(f, "b", hb), f->s.addr, NULL, "bob",
	    "nope", 4, &f->kdf, &em), DZ_EPASSWORD);
	assert_string_equal(em.text, "wrong password (hint: name of the first cat)");
	assert_false(file_exists(hb, "account")); /* profile untouched */
	assert_false(file_exists(hb, "keyfile"));
	assert_false(file_exists(hb, "coordinator"));

	/* offline: no hint in the message, but session_hint asks for it */
	assert_int_equal(session_open(ha, "nope", 4, &s, &em), DZ_EPASSWORD);
	assert_null(s);
	assert_string_equal(em.text, "wrong password");
	assert_int_equal(session_hint(ha, hint, sizeof(hint), &em), 0);
	assert_string_equal(hint, "name of the first cat");

	/* without a hint, the message is the bare sentence */
	signup(f, home(f, "c", hc), "carol", PW, NULL);
	assert_int_equal(session_login(hb, f->s.addr, NULL, "carol", "nope", 4,
	    &f->kdf, &em), DZ_EPASSWORD);
	assert_string_equal(em.text, "wrong password");
	assert_int_equal(session_hint(hc, hint, sizeof(hint), &em), 0);
	assert_string_equal(hint, "");

	/* the account's cheap costs are refused unless asked for: before
	 * any proof, so even a wrong password is not judged */
	assert_int_equal(session_login(hb, f->s.addr, NULL, "carol", "nope", 4,
	    NULL, &em), DZ_EWEAKKDF);
	assert_non_null(strstr(em.text, "weak key-stretching parameters"));
	assert_false(file_exists(hb, "account"));
}

static void
test_unknown_and_taken(void **state)
{
	struct fx *f = *state;
	struct dz_errmsg em = {{0}};
	char ha[256], hb[256];

	assert_int_equal(session_login(home(f, "a", ha), f->s.addr, NULL,
	    "nobody", PW, strlen(PW), &f->kdf, &em), DZ_ENOENT);
	assert_non_null(strstr(em.text, "nobody"));
	assert_false(file_exists(ha, "coordinator"));

	signup(f, ha, "dave", PW, NULL);
	assert_int_equal(session_signup(home(f, "b", hb), f->s.addr, NULL,
	    "dave", PW2, strlen(PW2), &f->kdf, NULL, &em), DZ_EEXIST);
	assert_non_null(strstr(em.text, "taken"));
	assert_false(file_exists(hb, "account"));
	assert_false(file_exists(hb, "keyfile"));
	assert_false(file_exists(hb, "coordinator"));

	/* bad input never reaches the network */
	assert_int_equal(session_signup(hb, f->s.addr, NULL, "Bad Name", PW,
	    strlen(PW), &f->kdf, NULL, &em), DZ_EINVAL);
	assert_int_equal(session_signup(hb, "localhost:1", NULL, "eve", PW,
	    strlen(PW), &f->kdf, NULL, &em), DZ_EINVAL);
	assert_int_equal(session_signup(hb, f->s.addr, NULL, "eve", PW,
	    strlen(PW), &f->kdf, "bell\a", &em), DZ_EINVAL);
}

static void
test_passwd(void **state)
{
	struct fx *f = *state;
	struct dz_errmsg em = {{0}};
	struct session_passwd_opts po = {.params = &f->kdf, .floor = &f->kdf};
	struct session *s, *t, *other;
	struct frame r;
	uint8_t mk[MKEY_BYTES];
	char ha[256], hb[256], hc[256];

	signup(f, home(f, "a", ha), "erin", PW, "old hint");
	if (session_login(home(f, "c", hc), f->s.addr, NULL, "erin", PW,
	    strlen(PW), &f->kdf, &em) != 0)
		fail_msg("login c: %s", em.text);
	other = open_ok(hc, PW);
	s = open_ok(ha, PW);
	memcpy(mk, s->mk, MKEY_BYTES);

	/* a wrong old password changes nothing */
	assert_int_equal(session_passwd(s, "nope", 4, PW2, strlen(PW2), &po,
	    &em), DZ_EPASSWORD);
	assert_string_equal(em.text, "wrong password (hint: old hint)");

	if (session_passwd(s, PW, strlen(PW), PW2, strlen(PW2), &po, &em) != 0)
		fail_msg("passwd: %s", em.text);
	session_close(s);
	/* the other computer is logged out, and told how to come back */
	assert_int_equal(session_call(other, PROTO_STATUS, NULL, 0, &r, &em),
	    DZ_ENOLOGIN);
	assert_non_null(strstr(em.text, "drizzle login"));
	session_close(other);

	/* a fresh home: the old password fails, the new one works */
	assert_int_equal(session_login(home(f, "b", hb), f->s.addr, NULL,
	    "erin", PW, strlen(PW), &f->kdf, &em), DZ_EPASSWORD);
	if (session_login(hb, f->s.addr, NULL, "erin", PW2, strlen(PW2), &f->kdf, &em) != 0)
		fail_msg("login with the new password: %s", em.text);
	t = open_ok(hb, PW2);
	assert_memory_equal(t->mk, mk, MKEY_BYTES); /* nothing re-encrypted */
	session_close(t);

	/* the home that changed it has the new keyfile */
	assert_int_equal(session_open(ha, PW, strlen(PW), &s, &em), DZ_EPASSWORD);
	s = open_ok(ha, PW2);
	assert_memory_equal(s->mk, mk, MKEY_BYTES);
	/* and may change it again (the cached connection is reused) */
	if (session_passwd(s, PW2, strlen(PW2), PW, strlen(PW), &po,
	    &em) != 0)
		fail_msg("passwd back: %s", em.text);
	session_close(s);
	s = open_ok(ha, PW);
	session_close(s);
	assert_false(tree_contains(ha, PW2, strlen(PW2)));
	assert_false(tree_contains(f->s.dir, PW2, strlen(PW2)));
	sodium_memzero(mk, sizeof(mk));
}

static void
test_pinning(void **state)
{
	struct fx *f = *state;
	struct dz_errmsg em = {{0}};
	struct session *s;
	struct frame r;
	uint8_t other[IDENT_PKBYTES];
	char ha[256], hb[256], hex1[IDENT_HEXBYTES], hex2[IDENT_HEXBYTES];

	randombytes_buf(other, sizeof(other));
	ident_pk_hex(f->s.pk, hex1);
	ident_pk_hex(other, hex2);

	/* a key given by the caller that the server does not show */
	assert_int_equal(session_signup(home(f, "a", ha), f->s.addr, other,
	    "frank", PW, strlen(PW), &f->kdf, NULL, &em), DZ_EPEERKEY);
	assert_non_null(strstr(em.text, hex1));
	assert_non_null(strstr(em.text, hex2));
	assert_non_null(strstr(em.text, "showed key"));
	assert_false(file_exists(ha, "account"));
	/* the right one is fine */
	if (session_signup(ha, f->s.addr, f->s.pk, "frank", PW, strlen(PW),
	    &f->kdf, NULL, &em) != 0)
		fail_msg("signup with the key: %s", em.text);

	/* a profile that pins another key for this address refuses the
	 * coordinator, at login ... */
	home(f, "b", hb);
	assert_int_equal(profile_save_coordinator(hb, f->s.addr, other, &em), 0);
	assert_int_equal(session_login(hb, f->s.addr, NULL, "frank", PW,
	    strlen(PW), &f->kdf, &em), DZ_EPEERKEY);
	{
		char want[512];
		snprintf(want, sizeof(want), "coordinator %s showed key %s, pinned %s",
		    f->s.addr, hex1, hex2);
		assert_string_equal(em.text, want);
	}
	assert_false(file_exists(hb, "account"));
	/* ... and a given key that contradicts the pin is refused too */
	assert_int_equal(session_login(hb, f->s.addr, f->s.pk, "frank", PW,
	    strlen(PW), &f->kdf, &em), DZ_EPEERKEY);

	/* ... and for every call of an open session */
	assert_int_equal(profile_save_coordinator(ha, f->s.addr, other, &em), 0);
	s = open_ok(ha, PW);
	assert_int_equal(session_call(s, PROTO_STATUS, NULL, 0, &r, &em), DZ_EPEERKEY);
	assert_non_null(strstr(em.text, hex1));
	assert_non_null(strstr(em.text, hex2));
	session_close(s);

	/* an address nobody listens on */
	assert_int_equal(session_login(hb, "127.0.0.1:1", NULL, "frank", PW,
	    strlen(PW), &f->kdf, &em), DZ_ECONNECT);
	assert_non_null(strstr(em.text, "cannot reach the coordinator 127.0.0.1:1"));
}

static void
test_logout(void **state)
{
	struct fx *f = *state;
	struct dz_errmsg em = {{0}};
	struct session *s = NULL;
	struct profile p;
	char ha[256];

	signup(f, home(f, "a", ha), "grace", PW, NULL);
	assert_int_equal(session_logout(ha, &em), 0);
	assert_int_equal(session_open(ha, PW, strlen(PW), &s, &em), DZ_ENOLOGIN);
	assert_null(s);
	assert_non_null(strstr(em.text, "not logged in"));
	assert_int_equal(profile_load(ha, &p, &em), 0);
	assert_false(p.have_account);
	assert_true(p.have_coordinator); /* the pin stays */
	assert_int_equal(session_logout(ha, &em), 0); /* nobody: still fine */
	assert_int_equal(session_hint(ha, (char[8]){0}, 8, &em), DZ_ENOENT);

	/* and back in, against the kept pin */
	if (session_login(ha, f->s.addr, NULL, "grace", PW, strlen(PW), &f->kdf, &em) != 0)
		fail_msg("login after logout: %s", em.text);
	s = open_ok(ha, PW);
	session_close(s);
	session_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signup_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
