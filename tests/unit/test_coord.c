/* test_coord: accounts at the coordinator, in-process and driven over
 * real loopback TLS (coordfix.h). Sign-up binds the node key and LOGIN by
 * challenge and response returns the keyfile; a wrong signature is
 * DZ_EPASSWORD; a taken name is DZ_EEXIST; repeated failures make a
 * source wait and exhaust an account's budget for new computers but
 * never lock its own devices out; DEVICES lists and DEVICE_REVOKE unbinds
 * a computer; account requests from an unbound key are refused
 * (DZ_ENOLOGIN); malformed and unknown messages get ERROR and the server
 * keeps serving. PASSWD replaces the login key; everything survives a
 * restart with the same data directory and identity. STATUS carries the
 * default code the server was started with, and coord_start refuses a
 * code that is not 1 <= k < n <= 255. Placement is in
 * test_coord_place.c, fragments and records in test_coord_store.c. */
#include "coordfix.h"

/* ---- tests ---- */

static void
test_signup_login(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct acct a, b;
	struct proto_login_rep lr;
	struct proto_prelogin_rep pr;
	struct proto_login m;
	struct proto_signup su;
	struct proto_prelogin pl;
	struct keyfile kf;
	struct frame r;
	uint8_t chal[32], wrong_pk[32], wrong_sk[64];
	struct cl *dev;

	signup(s, &a, "alice");
	/* PRELOGIN: salt, parameters and hint of the stored keyfile */
	dev = cl_new();
	prelogin(s, dev, "alice", chal, &pr);
	assert_int_equal(keyfile_parse(a.keyfile, KEYFILE_BYTES, &kf), 0);
	assert_memory_equal(pr.salt, kf.salt, sizeof(kf.salt));
	assert_int_equal(pr.params.opslimit, 1);
	assert_string_equal(pr.hint, "the usual, for alice");
	cl_free(dev);

	login(s, "alice", a.login_sk, &r);
	want(&r, PROTO_LOGIN_REP, &lr);
	assert_memory_equal(lr.keyfile, a.keyfile, KEYFILE_BYTES);
	frame_free(&r);

	crypto_sign_keypair(wrong_pk, wrong_sk);
	login(s, "alice", wrong_sk, &r);
	want_error(&r, DZ_EPASSWORD);

	/* LOGIN without a challenge, and a challenge used twice */
	dev = cl_new();
	memset(&m, 0, sizeof(m));
	snprintf(m.user, sizeof(m.user), "alice");
	call(s, dev, PROTO_LOGIN, &m, &r);
	want_error(&r, DZ_EAUTH);
	cl_free(dev);

	/* unknown user */
	dev = cl_new();
	memset(&pl, 0, sizeof(pl));
	snprintf(pl.user, sizeof(pl.user), "nobody");
	call(s, dev, PROTO_PRELOGIN, &pl, &r);
	want_error(&r, DZ_ENOENT);

	/* a taken name, from another node key */
	memset(&su, 0, sizeof(su));
	snprintf(su.user, sizeof(su.user), "alice");
	make_keyfile(su.keyfile);
	call(s, dev, PROTO_SIGNUP, &su, &r);
	want_error(&r, DZ_EEXIST);
	cl_free(dev);

	/* a node key already bound cannot sign up again */
	snprintf(su.user, sizeof(su.user), "alice2");
	call(s, a.node, PROTO_SIGNUP, &su, &r);
	want_error(&r, DZ_EEXIST);

	/* a keyfile that does not parse */
	dev = cl_new();
	snprintf(su.user, sizeof(su.user), "carol");
	memset(su.keyfile, 0x41, sizeof(su.keyfile));
	call(s, dev, PROTO_SIGNUP, &su, &r);
	want_error(&r, DZ_EFORMAT);
	cl_free(dev);

	signup(s, &b, "bob");
	login(s, "bob", b.login_sk, &r);
	want(&r, PROTO_LOGIN_REP, &lr);
	assert_memory_equal(lr.keyfile, b.keyfile, KEYFILE_BYTES);
	frame_free(&r);
	cl_free(a.node);
	cl_free(b.node);
}

/* Failed proofs: a source address waits after COORD_SRC_FREE of them and
 * an account refuses new computers past COORD_ACCT_BUDGET, but its own
 * devices always get in; counts decay; a new computer's successful LOGIN
 * binds its key, which DEVICES lists and DEVICE_REVOKE unbinds. */
static void
test_rate_limit(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct proto_devices_rep *d = calloc(1, sizeof(*d));
	struct proto_device_revoke rv;
	struct cl *laptop = cl_new();
	uint8_t pk[32], sk[64];
	struct acct a;
	struct frame r;

	assert_non_null(d);
	signup(s, &a, "mallory-target");
	crypto_sign_keypair(pk, sk);
	for (int i = 0; i < COORD_SRC_FREE; i++) {
		login(s, a.user, sk, &r);
		want_error(&r, DZ_EPASSWORD);
	}
	login(s, a.user, a.login_sk, &r); /* right key, new computer: waits */
	want_error(&r, DZ_EDENIED);
	login_on(s, a.node, a.user, a.login_sk, &r); /* the owner's device */
	want(&r, PROTO_LOGIN_REP, NULL);
	frame_free(&r);
	/* past the delays, the account's budget runs out */
	for (int i = COORD_SRC_FREE; i < COORD_ACCT_BUDGET; i++) {
		/* the source's delay, 1, 2, 4 ... s: under a decay period in all */
		atomic_fetch_add(&s->clock, (int64_t)1 << (i - COORD_SRC_FREE));
		login(s, a.user, sk, &r);
		want_error(&r, DZ_EPASSWORD);
	}
	login(s, a.user, a.login_sk, &r);
	want_error(&r, DZ_EDENIED);
	login_on(s, a.node, a.user, a.login_sk, &r);
	want(&r, PROTO_LOGIN_REP, NULL);
	frame_free(&r);
	/* a day later every count has decayed: a new computer gets in, and
	 * its key is bound */
	atomic_fetch_add(&s->clock, 86400);
	login_on(s, laptop, a.user, a.login_sk, &r);
	want(&r, PROTO_LOGIN_REP, NULL);
	frame_free(&r);
	call(s, laptop, PROTO_DEVICES, NULL, &r);
	want(&r, PROTO_DEVICES_REP, d);
	frame_free(&r);
	assert_int_equal(d->count, 2);
	memcpy(rv.pk, laptop->id->pk, 32);
	call(s, a.node, PROTO_DEVICE_REVOKE, &rv, &r);
	want(&r, PROTO_DEVICE_REVOKE_REP, NULL);
	frame_free(&r);
	call(s, laptop, PROTO_STATUS, NULL, &r);
	want_error(&r, DZ_ENOLOGIN);
	call(s, a.node, PROTO_DEVICE_REVOKE, &rv, &r);
	want_error(&r, DZ_ENOENT);
	free(d);
	cl_free(laptop);
	cl_free(a.node);
}

static void
test_unbound_and_malformed(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct cl *u = cl_new();
	struct proto_rec_get rg;
	struct proto_place pl = {0};
	struct frame r;
	uint8_t junk[5] = {1, 2, 3, 4, 5}, junk32[32] = {0};

	call(s, u, PROTO_STATUS, NULL, &r);
	want_error(&r, DZ_ENOLOGIN);
	memset(&rg, 0, sizeof(rg));
	rg.id[0] = 1;
	call(s, u, PROTO_REC_GET, &rg, &r);
	want_error(&r, DZ_ENOLOGIN);
	pl.n = 1;
	pl.frag_size = 10;
	pl.names = (const uint8_t (*)[32])junk32;
	call(s, u, PROTO_PLACE, &pl, &r);
	want_error(&r, DZ_ENOLOGIN);
	/* unknown types, a reply type, malformed bodies */
	call_raw(s, u, 0x0777, NULL, 0, &r);
	want_error(&r, DZ_EFORMAT);
	call_raw(s, u, PROTO_SIGNUP_REP, NULL, 0, &r);
	want_error(&r, DZ_EFORMAT);
	call_raw(s, u, PROTO_SIGNUP, junk, sizeof(junk), &r);
	assert_int_equal(r.type, PROTO_ERROR);
	frame_free(&r);
	call_raw(s, u, PROTO_STATUS, junk, sizeof(junk), &r);
	want_error(&r, DZ_EFORMAT);
	/* a heartbeat before registering */
	{
		struct proto_peer_heartbeat hb = {100, 0, 0};

		call(s, u, PROTO_PEER_HEARTBEAT, &hb, &r);
		want_error(&r, DZ_ENOENT);
	}
	/* still serving */
	call(s, u, PROTO_LOGOUT, NULL, &r);
	want(&r, PROTO_LOGOUT_REP, NULL);
	frame_free(&r);
	cl_free(u);
}

/* ---- password change and restart ---- */

static void
passwd(struct srv *s, struct acct *a, const uint8_t *sign_sk,
    const uint8_t newkf[KEYFILE_BYTES], const uint8_t newpk[32], struct frame *r)
{
	struct proto_passwd m;
	uint8_t chal[32], t[PROTO_PASSWD_TBYTES];

	prelogin(s, a->node, a->user, chal, NULL);
	memset(&m, 0, sizeof(m));
	memcpy(m.keyfile, newkf, KEYFILE_BYTES);
	memcpy(m.login_pk, newpk, 32);
	proto_passwd_transcript(t, chal, newkf, newpk);
	crypto_sign_detached(m.sig, NULL, t, sizeof(t), sign_sk);
	call(s, a->node, PROTO_PASSWD, &m, r);
}

static void
test_passwd_restart(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	uint8_t newkf[KEYFILE_BYTES], newpk[32], newsk[64], oldpk[IDENT_PKBYTES];
	struct proto_login_rep lr;
	struct proto_rec_get rg;
	struct proto_rec_get_rep gr;
	struct proto_passwd m;
	uint64_t conflict;
	struct acct a;
	struct frame r;

	signup(s, &a, "dana");
	make_keyfile(newkf);
	crypto_sign_keypair(newpk, newsk);
	/* signed by the wrong key */
	passwd(s, &a, newsk, newkf, newpk, &r);
	want_error(&r, DZ_EPASSWORD);
	/* without a challenge */
	memset(&m, 0, sizeof(m));
	memcpy(m.keyfile, newkf, KEYFILE_BYTES);
	call(s, a.node, PROTO_PASSWD, &m, &r);
	want_error(&r, DZ_EAUTH);
	/* right */
	passwd(s, &a, a.login_sk, newkf, newpk, &r);
	want(&r, PROTO_PASSWD_REP, NULL);
	frame_free(&r);
	login(s, "dana", a.login_sk, &r);
	want_error(&r, DZ_EPASSWORD);
	login(s, "dana", newsk, &r);
	want(&r, PROTO_LOGIN_REP, &lr);
	assert_memory_equal(lr.keyfile, newkf, KEYFILE_BYTES);
	frame_free(&r);
	assert_int_equal(rec_put(s, a.node, 3, 0, "kept", &conflict), 1);

	/* restart: same key, same state, node key still bound */
	memcpy(oldpk, s->pk, sizeof(oldpk));
	srv_stop(s);
	srv_start(s);
	assert_memory_equal(s->pk, oldpk, sizeof(oldpk));
	login(s, "dana", newsk, &r);
	want(&r, PROTO_LOGIN_REP, &lr);
	assert_memory_equal(lr.keyfile, newkf, KEYFILE_BYTES);
	frame_free(&r);
	memset(rg.id, 3, 32);
	call(s, a.node, PROTO_REC_GET, &rg, &r);
	want(&r, PROTO_REC_GET_REP, &gr);
	assert_memory_equal(gr.blob, "kept", 4);
	frame_free(&r);
	cl_free(a.node);
}

/* ---- the default code ---- */

/* STATUS answers the code the server was started with; coord_start
 * refuses codes out of range and starts nothing. */
static void
test_default_code(void **state)
{
	static const unsigned bad[][2] = {{0, 12}, {4, 4}, {5, 4}, {4, 256},
	    {255, 255}};
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct proto_status_rep st;
	struct coord_opts o;
	struct dz_errmsg em = {{0}};
	struct coord *co = NULL;
	uv_loop_t loop;
	struct acct a;
	struct frame r;

	srv_stop(s);
	s->k = 2;
	s->n = 5;
	srv_start(s);
	signup(s, &a, "coder");
	call(s, a.node, PROTO_STATUS, NULL, &r);
	want(&r, PROTO_STATUS_REP, &st);
	frame_free(&r);
	assert_int_equal(st.default_k, 2);
	assert_int_equal(st.default_n, 5);
	srv_stop(s);
	s->k = 254;
	s->n = 255;
	srv_start(s);
	call(s, a.node, PROTO_STATUS, NULL, &r);
	want(&r, PROTO_STATUS_REP, &st);
	frame_free(&r);
	assert_int_equal(st.default_k, 254);
	assert_int_equal(st.default_n, 255);
	cl_free(a.node);

	assert_int_equal(uv_loop_init(&loop), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		coord_opts_default(&o);
		o.data_dir = s->dir;
		o.listen = "127.0.0.1:0";
		o.default_k = bad[i][0];
		o.default_n = bad[i][1];
		assert_int_equal(coord_start(&loop, &o, &co, &em), DZ_EINVAL);
		assert_null(co);
	}
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signup_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbound_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passwd_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_code, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
