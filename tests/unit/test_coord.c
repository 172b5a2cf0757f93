/* test_coord: the coordinator server, in-process on its own loop thread,
 * driven over real loopback TLS with rpc_call by identities made with
 * ident_generate. Sign-up binds the node key and LOGIN by challenge and
 * response returns the keyfile; a wrong signature is DZ_EPASSWORD and
 * repeated failures lock the user out for a while; a taken name is
 * DZ_EEXIST; account requests from an unbound key are refused; malformed
 * and unknown messages get ERROR and the server keeps serving. PLACE
 * gives n distinct online peers by free space, honours exclusions and
 * room, refuses too few (DZ_ETOOFEW), skips peers whose heartbeats
 * stopped (the server's clock is the test's) and never gives an account
 * the peers that declare it as their owner. FRAGS_COMMIT / LOCATE /
 * OBJ_DELETE stay within an account; records are compare-and-swap; PASSWD
 * replaces the login key; everything survives a restart with the same
 * data directory and identity. STATUS carries the default code the server
 * was started with (4-of-12 unless told), and coord_start refuses a code
 * that is not 1 <= k < n <= 255. Fragment names are each account's own
 * (a squatter's earlier commit blocks nothing), records count toward used
 * and the quota (DZ_EQUOTA), and a peer that sends PEER_LEAVE is offline
 * at once. OBJ_HEALTH counts each segment's fragments on peers heard
 * from within the grace period, worst segment first, for the caller's
 * own objects only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include <sodium.h>

#include "coordinator/coord.h"
#include "coordinator/coord_int.h" /* the throttle's constants */
#include "core/cursor.h"
#include "core/keyfile.h"
#include "net/ident.h"
#include "net/proto.h"
#include "net/rpc.h"
#include "net/tls.h"

#define TIMEOUT 2 /* --peer-timeout of the test server, seconds */
#define T0 1700000000

/* ---- the server on its own thread ---- */

struct srv {
	char dir[64];
	uv_loop_t loop;
	uv_async_t stop;
	struct coord *co;
	pthread_t th;
	atomic_llong clock;
	char addr[64];
	uint8_t pk[IDENT_PKBYTES];
	unsigned k, n; /* default code; 0: coord_opts_default's */
};

static int64_t
srv_clock(void *arg)
{
	return atomic_load(&((struct srv *)arg)->clock);
}

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
	o.peer_timeout = TIMEOUT;
	o.base_quota = 1000000;
	o.clock = srv_clock;
	o.clock_arg = s;
	if (s->k != 0)
		o.default_k = s->k;
	if (s->n != 0)
		o.default_n = s->n;
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

/* ---- clients ---- */

struct cl {
	struct ident *id;
	struct tls_ctx *tls;
	struct rpc *rpc;
};

static struct cl *
cl_new(void)
{
	struct cl *c = calloc(1, sizeof(*c));
	struct dz_errmsg em;

	assert_non_null(c);
	assert_int_equal(ident_generate(&c->id), 0);
	assert_int_equal(tls_ctx_new(c->id, TLS_ROLE_CLIENT, &c->tls, &em), 0);
	assert_int_equal(rpc_new(c->tls, NULL, &c->rpc, &em), 0);
	return c;
}

static void
cl_free(struct cl *c)
{
	rpc_free(c->rpc);
	tls_ctx_unref(c->tls);
	ident_free(c->id);
	free(c);
}

/* Send msg (type's struct; NULL: empty body) or raw bytes; answer in r. */
static void
call_raw(struct srv *s, struct cl *c, uint16_t type, const void *body,
    size_t len, struct frame *r)
{
	struct dz_errmsg em = {{0}};

	memset(r, 0, sizeof(*r));
	if (rpc_call(c->rpc, s->addr, s->pk, type, body, len, 10000, r, &em) != 0)
		fail_msg("rpc_call 0x%04x: %s", type, em.text);
}

static void
call(struct srv *s, struct cl *c, uint16_t type, const void *msg, struct frame *r)
{
	static const struct proto_empty empty;
	struct wbuf w;
	uint8_t *buf;
	size_t len;

	assert_int_equal(proto_encoded_len(type, msg != NULL ? msg : &empty, &len), 0);
	buf = malloc(len + 1);
	assert_non_null(buf);
	wbuf_init(&w, buf, len);
	assert_int_equal(proto_encode(type, msg != NULL ? msg : &empty, &w), 0);
	call_raw(s, c, type, buf, len, r);
	free(buf);
}

/* The reply must be ERROR with code; returns nothing, frees r. */
static void
want_error(struct frame *r, int code)
{
	struct proto_error e;

	if (r->type != PROTO_ERROR)
		fail_msg("expected ERROR %d, got type 0x%04x", code, r->type);
	assert_int_equal(proto_error_decode(r->body, r->len, &e), 0);
	if (e.code != code)
		fail_msg("expected ERROR %d, got %d: %s", code, e.code, e.message);
	frame_free(r);
}

/* The reply must be type, decoded into out (its struct). */
static void
want(struct frame *r, uint16_t type, void *out)
{
	struct proto_error e;

	if (r->type == PROTO_ERROR && proto_error_decode(r->body, r->len, &e) == 0)
		fail_msg("expected 0x%04x, got ERROR %d: %s", type, e.code, e.message);
	assert_int_equal(r->type, type);
	if (out != NULL)
		assert_int_equal(proto_decode(type, r->body, r->len, out), 0);
}

/* ---- accounts ---- */

struct acct {
	char user[PROTO_USER_MAX + 1];
	uint8_t keyfile[KEYFILE_BYTES];
	uint8_t login_pk[32], login_sk[64];
	struct cl *node; /* its node key's connection */
};

static void
make_keyfile(uint8_t out[static KEYFILE_BYTES])
{
	struct keyfile kf;

	memset(&kf, 0, sizeof(kf));
	kf.params.alg = PWKEY_ALG_ARGON2ID13;
	kf.params.opslimit = 1;
	kf.params.memlimit = 65536;
	randombytes_buf(kf.salt, sizeof(kf.salt));
	randombytes_buf(kf.wrapped, sizeof(kf.wrapped));
	keyfile_encode(&kf, out);
}

static void
signup(struct srv *s, struct acct *a, const char *user)
{
	struct proto_signup m;
	struct frame r;

	memset(a, 0, sizeof(*a));
	snprintf(a->user, sizeof(a->user), "%s", user);
	make_keyfile(a->keyfile);
	crypto_sign_keypair(a->login_pk, a->login_sk);
	a->node = cl_new();
	memset(&m, 0, sizeof(m));
	snprintf(m.user, sizeof(m.user), "%s", user);
	memcpy(m.keyfile, a->keyfile, KEYFILE_BYTES);
	memcpy(m.login_pk, a->login_pk, 32);
	snprintf(m.hint, sizeof(m.hint), "the usual, for %s", user);
	call(s, a->node, PROTO_SIGNUP, &m, &r);
	want(&r, PROTO_SIGNUP_REP, NULL);
	frame_free(&r);
}

/* PRELOGIN on c's connection: the challenge. */
static void
prelogin(struct srv *s, struct cl *c, const char *user, uint8_t chal[32],
    struct proto_prelogin_rep *out)
{
	struct proto_prelogin m;
	struct proto_prelogin_rep rep;
	struct frame r;

	memset(&m, 0, sizeof(m));
	snprintf(m.user, sizeof(m.user), "%s", user);
	call(s, c, PROTO_PRELOGIN, &m, &r);
	want(&r, PROTO_PRELOGIN_REP, &rep);
	memcpy(chal, rep.challenge, 32);
	if (out != NULL)
		*out = rep;
	frame_free(&r);
}

/* PRELOGIN + LOGIN from a fresh device signed with sk; the reply in r. */
/* PRELOGIN then LOGIN signed by sk, on dev's connection. */
static void
login_on(struct srv *s, struct cl *dev, const char *user, const uint8_t *sk,
    struct frame *r)
{
	struct proto_login m;
	uint8_t chal[32], t[PROTO_LOGIN_TBYTES];

	prelogin(s, dev, user, chal, NULL);
	memset(&m, 0, sizeof(m));
	snprintf(m.user, sizeof(m.user), "%s", user);
	proto_login_transcript(t, s->pk, dev->id->pk, chal);
	crypto_sign_detached(m.sig, NULL, t, sizeof(t), sk);
	call(s, dev, PROTO_LOGIN, &m, r);
}

/* The same from a new computer (a throwaway device key). */
static void
login(struct srv *s, const char *user, const uint8_t *sk, struct frame *r)
{
	struct cl *dev = cl_new();

	login_on(s, dev, user, sk, r);
	cl_free(dev);
}

/* ---- fixture ---- */

struct fx {
	struct srv s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->s.dir, sizeof(f->s.dir), "/tmp/test_coord.XXXXXX");
	assert_non_null(mkdtemp(f->s.dir));
	atomic_store(&f->s.clock, T0);
	srv_start(&f->s);
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
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->s.dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

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
	uint8_t junk[5] = {1, 2, 3, 4, 5};

	call(s, u, PROTO_STATUS, NULL, &r);
	want_error(&r, DZ_ENOLOGIN);
	memset(&rg, 0, sizeof(rg));
	rg.id[0] = 1;
	call(s, u, PROTO_REC_GET, &rg, &r);
	want_error(&r, DZ_ENOLOGIN);
	pl.n = 1;
	pl.frag_size = 10;
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

/* ---- peers and placement ---- */

#define NPEERS 5

/* Register peer i (capacity 1000 * (i + 1)) declaring owner (NULL: none). */
static void
register_owned(struct srv *s, struct cl *p, int i, const char *owner)
{
	struct proto_peer_register m;
	struct frame r;

	memset(&m, 0, sizeof(m));
	snprintf(m.addr, sizeof(m.addr), "127.0.0.1:%d", 7000 + i);
	m.capacity = 1000 * (uint64_t)(i + 1);
	m.used = 0;
	m.flags = PROTO_PEER_DATACENTRE; /* claimed, not believed */
	if (owner != NULL)
		snprintf(m.owner, sizeof(m.owner), "%s", owner);
	call(s, p, PROTO_PEER_REGISTER, &m, &r);
	want(&r, PROTO_PEER_REGISTER_REP, NULL);
	frame_free(&r);
}

static void
register_peer(struct srv *s, struct cl *p, int i)
{
	register_owned(s, p, i, NULL);
}

static void
heartbeat(struct srv *s, struct cl *p, int i)
{
	struct proto_peer_heartbeat m = {1000 * (uint64_t)(i + 1), 0, 0};
	struct frame r;

	call(s, p, PROTO_PEER_HEARTBEAT, &m, &r);
	want(&r, PROTO_PEER_HEARTBEAT_REP, NULL);
	frame_free(&r);
}

/* Call type with msg; on ERROR return its code (text into msg_out if not
 * NULL), else want rep_type decoded into out (may be NULL) and return 0. */
static int
call_code(struct srv *s, struct cl *c, uint16_t type, const void *msg,
    uint16_t rep_type, void *out, char *msg_out)
{
	struct proto_error e;
	struct frame r;

	call(s, c, type, msg, &r);
	if (r.type == PROTO_ERROR) {
		assert_int_equal(proto_error_decode(r.body, r.len, &e), 0);
		if (msg_out != NULL)
			memcpy(msg_out, e.message, sizeof(e.message));
		frame_free(&r);
		return e.code;
	}
	want(&r, rep_type, out);
	frame_free(&r);
	return 0;
}

/* PLACE n of size, excluding ex[nex]; rep filled on success, else the
 * ERROR code is returned. */
static int
place(struct srv *s, struct cl *c, unsigned n, uint32_t size,
    const uint8_t (*ex)[32], unsigned nex, struct proto_place_rep *rep)
{
	struct proto_place m = {0};

	m.n = (uint8_t)n;
	m.frag_size = size;
	m.nexclude = (uint16_t)nex;
	m.exclude = ex;
	return call_code(s, c, PROTO_PLACE, &m, PROTO_PLACE_REP, rep, NULL);
}

static void
test_place(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct cl *peers[NPEERS];
	struct proto_place_rep *rep = calloc(1, sizeof(*rep));
	struct proto_status_rep st;
	uint8_t ex[1][32];
	struct acct a;
	struct frame r;

	assert_non_null(rep);
	signup(s, &a, "placer");
	for (int i = 0; i < NPEERS; i++) {
		peers[i] = cl_new();
		register_peer(s, peers[i], i);
	}
	/* most free space first: peers 4, 3, 2 */
	assert_int_equal(place(s, a.node, 3, 100, NULL, 0, rep), 0);
	assert_int_equal(rep->npeers, 3);
	for (int j = 0; j < 3; j++) {
		char want_addr[32];

		assert_memory_equal(rep->peers[j].pk, peers[4 - j]->id->pk, 32);
		snprintf(want_addr, sizeof(want_addr), "127.0.0.1:%d", 7000 + 4 - j);
		assert_string_equal(rep->peers[j].addr, want_addr);
	}
	/* exclusions */
	memcpy(ex[0], peers[4]->id->pk, 32);
	assert_int_equal(place(s, a.node, 4, 100, ex, 1, rep), 0);
	assert_memory_equal(rep->peers[0].pk, peers[3]->id->pk, 32);
	assert_memory_equal(rep->peers[3].pk, peers[0]->id->pk, 32);
	assert_int_equal(place(s, a.node, 5, 100, ex, 1, rep), DZ_ETOOFEW);
	/* all five, distinct */
	assert_int_equal(place(s, a.node, 5, 100, NULL, 0, rep), 0);
	for (int j = 0; j < 5; j++)
		for (int k = j + 1; k < 5; k++)
			assert_memory_not_equal(rep->peers[j].pk, rep->peers[k].pk, 32);
	assert_int_equal(place(s, a.node, 6, 100, NULL, 0, rep), DZ_ETOOFEW);
	/* room: only peers 2..4 have 2500 bytes free */
	assert_int_equal(place(s, a.node, 3, 2500, NULL, 0, rep), 0);
	assert_int_equal(place(s, a.node, 4, 2500, NULL, 0, rep), DZ_ETOOFEW);
	/* quota: 1000000 bytes */
	assert_int_equal(place(s, a.node, 1, 1000001, NULL, 0, rep), DZ_EQUOTA);

	/* time passes; only peers 0..2 keep beating */
	atomic_fetch_add(&s->clock, TIMEOUT + 1);
	for (int i = 0; i < 3; i++)
		heartbeat(s, peers[i], i);
	assert_int_equal(place(s, a.node, 3, 100, NULL, 0, rep), 0);
	assert_memory_equal(rep->peers[0].pk, peers[2]->id->pk, 32);
	assert_memory_equal(rep->peers[2].pk, peers[0]->id->pk, 32);
	assert_int_equal(place(s, a.node, 4, 100, NULL, 0, rep), DZ_ETOOFEW);
	call(s, a.node, PROTO_STATUS, NULL, &r);
	want(&r, PROTO_STATUS_REP, &st);
	frame_free(&r);
	assert_int_equal(st.peers_online, 3);
	assert_int_equal(st.peers_total, NPEERS);
	assert_int_equal(st.quota, 1000000);
	assert_int_equal(st.used, 0);
	assert_int_equal(st.default_k, 4);
	assert_int_equal(st.default_n, 12);
	/* a peer back from the dead is placed again */
	register_peer(s, peers[4], 4);
	assert_int_equal(place(s, a.node, 4, 100, NULL, 0, rep), 0);
	assert_memory_equal(rep->peers[0].pk, peers[4]->id->pk, 32);

	for (int i = 0; i < NPEERS; i++)
		cl_free(peers[i]);
	cl_free(a.node);
	free(rep);
}

/* 1 if PLACE's answer names peer c. */
static int
placed(const struct proto_place_rep *rep, const struct cl *c)
{
	for (size_t j = 0; j < rep->npeers; j++)
		if (memcmp(rep->peers[j].pk, c->id->pk, 32) == 0)
			return 1;
	return 0;
}

/* PLACE never gives an account the peers that declare it as their owner,
 * even when they have the most room, and refuses (DZ_ETOOFEW) rather than
 * fall back to them; other accounts get them as usual. The owner is bound
 * at registration: an unknown name binds none (nor later, until the peer
 * registers again), and heartbeats keep the binding. */
static void
test_place_owner(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct cl *peers[NPEERS];
	struct proto_place_rep *rep = calloc(1, sizeof(*rep));
	uint8_t ex[1][32];
	struct acct alice, bob, carol;

	assert_non_null(rep);
	signup(s, &alice, "alice");
	signup(s, &bob, "bob");
	for (int i = 0; i < NPEERS; i++)
		peers[i] = cl_new();
	/* the two largest peers are alice's; peer 2 names an account that
	 * does not exist yet */
	register_peer(s, peers[0], 0);
	register_peer(s, peers[1], 1);
	register_owned(s, peers[2], 2, "carol");
	register_owned(s, peers[3], 3, "alice");
	register_owned(s, peers[4], 4, "alice");

	/* alice: never peers 3 and 4, so at most three */
	assert_int_equal(place(s, alice.node, 3, 100, NULL, 0, rep), 0);
	assert_int_equal(rep->npeers, 3);
	assert_memory_equal(rep->peers[0].pk, peers[2]->id->pk, 32);
	assert_memory_equal(rep->peers[2].pk, peers[0]->id->pk, 32);
	assert_false(placed(rep, peers[3]) || placed(rep, peers[4]));
	assert_int_equal(place(s, alice.node, 4, 100, NULL, 0, rep), DZ_ETOOFEW);
	memcpy(ex[0], peers[2]->id->pk, 32);
	assert_int_equal(place(s, alice.node, 2, 100, ex, 1, rep), 0);
	assert_memory_equal(rep->peers[0].pk, peers[1]->id->pk, 32);
	assert_memory_equal(rep->peers[1].pk, peers[0]->id->pk, 32);
	/* bob: all of them, alice's first (most room) */
	assert_int_equal(place(s, bob.node, 5, 100, NULL, 0, rep), 0);
	assert_memory_equal(rep->peers[0].pk, peers[4]->id->pk, 32);
	assert_true(placed(rep, peers[3]));
	/* only alice's peers have room for 3500 bytes */
	assert_int_equal(place(s, alice.node, 1, 3500, NULL, 0, rep), DZ_ETOOFEW);
	assert_int_equal(place(s, bob.node, 2, 3500, NULL, 0, rep), 0);
	assert_true(placed(rep, peers[3]) && placed(rep, peers[4]));

	/* heartbeats (a capacity change too) keep the owner */
	atomic_fetch_add(&s->clock, 1);
	heartbeat(s, peers[4], 5);
	assert_int_equal(place(s, alice.node, 4, 100, NULL, 0, rep), DZ_ETOOFEW);

	/* carol signs up after peer 2 registered: not bound until it
	 * registers again */
	signup(s, &carol, "carol");
	assert_int_equal(place(s, carol.node, 5, 100, NULL, 0, rep), 0);
	register_owned(s, peers[2], 2, "carol");
	assert_int_equal(place(s, carol.node, 5, 100, NULL, 0, rep), DZ_ETOOFEW);
	assert_int_equal(place(s, carol.node, 4, 100, NULL, 0, rep), 0);
	assert_false(placed(rep, peers[2]));
	/* registering again without an owner drops the claim */
	register_peer(s, peers[3], 3);
	assert_int_equal(place(s, alice.node, 4, 100, NULL, 0, rep), 0);
	assert_true(placed(rep, peers[3]));
	assert_false(placed(rep, peers[4]));

	for (int i = 0; i < NPEERS; i++)
		cl_free(peers[i]);
	cl_free(alice.node);
	cl_free(bob.node);
	cl_free(carol.node);
	free(rep);
}

static void
test_frags(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct cl *peers[3];
	struct proto_frags_locate_rep *lr = calloc(1, sizeof(*lr));
	struct proto_frags_commit fc = {.k = 0};
	struct proto_frags_locate fl = {0};
	struct proto_obj_delete od;
	struct proto_status_rep st;
	struct proto_commit_ent e;
	uint8_t ents[4 * PROTO_COMMIT_ENTBYTES], names[3][32];
	struct acct a, b;
	struct frame r;

	assert_non_null(lr);
	signup(s, &a, "frag-a");
	signup(s, &b, "frag-b");
	for (int i = 0; i < 3; i++) {
		peers[i] = cl_new();
		register_peer(s, peers[i], i);
	}
	/* fragment 0 on peers 0 and 1, fragment 1 on peer 2, fragment 2 on
	 * peer 0 */
	for (int i = 0; i < 4; i++) {
		int frag = i < 2 ? 0 : i - 1;

		memset(&e, 0, sizeof(e));
		e.seg = 0;
		e.index = (uint8_t)frag;
		memset(names[frag], 0x10 + frag, 32);
		memcpy(e.name, names[frag], 32);
		e.size = 100;
		memcpy(e.peer, peers[i == 3 ? 0 : i]->id->pk, 32);
		proto_commit_ent_put(ents + (size_t)i * PROTO_COMMIT_ENTBYTES, &e);
	}
	memset(fc.object_id, 7, 32);
	fc.k = 2;
	fc.n = 3;
	fc.nentries = 4;
	fc.entries = ents;
	call(s, a.node, PROTO_FRAGS_COMMIT, &fc, &r);
	want(&r, PROTO_FRAGS_COMMIT_REP, NULL);
	frame_free(&r);

	fl.nnames = 3;
	fl.names = (const uint8_t(*)[32])names;
	call(s, a.node, PROTO_FRAGS_LOCATE, &fl, &r);
	want(&r, PROTO_FRAGS_LOCATE_REP, lr);
	frame_free(&r);
	assert_int_equal(lr->nnames, 3);
	assert_int_equal(lr->names[0].nlocs, 2);
	assert_int_equal(lr->names[1].nlocs, 1);
	assert_memory_equal(lr->names[1].locs[0].pk, peers[2]->id->pk, 32);
	assert_string_equal(lr->names[1].locs[0].addr, "127.0.0.1:7002");
	assert_int_equal(lr->names[2].nlocs, 1);

	call(s, a.node, PROTO_STATUS, NULL, &r);
	want(&r, PROTO_STATUS_REP, &st);
	frame_free(&r);
	assert_int_equal(st.used, 300);

	/* another account sees nothing */
	call(s, b.node, PROTO_FRAGS_LOCATE, &fl, &r);
	want(&r, PROTO_FRAGS_LOCATE_REP, lr);
	frame_free(&r);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lr->names[i].nlocs, 0);

	/* a location on a peer that never registered */
	memset(&e, 0, sizeof(e));
	memset(e.name, 0x55, 32);
	e.size = 1;
	memset(e.peer, 0xee, 32);
	proto_commit_ent_put(ents, &e);
	fc.nentries = 1;
	call(s, a.node, PROTO_FRAGS_COMMIT, &fc, &r);
	want_error(&r, DZ_ENOENT);

	/* delete: gone */
	memset(&od, 0, sizeof(od));
	memset(od.object_id, 7, 32);
	call(s, a.node, PROTO_OBJ_DELETE, &od, &r);
	want(&r, PROTO_OBJ_DELETE_REP, NULL);
	frame_free(&r);
	call(s, a.node, PROTO_FRAGS_LOCATE, &fl, &r);
	want(&r, PROTO_FRAGS_LOCATE_REP, lr);
	frame_free(&r);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lr->names[i].nlocs, 0);

	for (int i = 0; i < 3; i++)
		cl_free(peers[i]);
	cl_free(a.node);
	cl_free(b.node);
	free(lr);
}

/* ---- records ---- */

static uint64_t
rec_put(struct srv *s, struct cl *c, uint8_t idb, uint64_t expected,
    const char *blob, uint64_t *conflict)
{
	struct proto_rec_put m = {.expected_version = 0};
	struct proto_rec_put_rep rep;
	struct proto_conflict cf;
	struct frame r;

	memset(m.id, idb, 32);
	m.expected_version = expected;
	m.blob = (const uint8_t *)blob;
	m.blob_len = strlen(blob);
	call(s, c, PROTO_REC_PUT, &m, &r);
	if (r.type == PROTO_CONFLICT) {
		assert_int_equal(proto_conflict_decode(r.body, r.len, &cf), 0);
		*conflict = cf.current_version;
		frame_free(&r);
		return 0;
	}
	want(&r, PROTO_REC_PUT_REP, &rep);
	frame_free(&r);
	return rep.version;
}

static void
test_records(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct proto_rec_get rg;
	struct proto_rec_get_rep gr;
	struct proto_rec_list rl = {.max = 0};
	struct proto_rec_list_rep lr;
	struct proto_reclist_ent le;
	struct proto_rec_del rd = {.expected_version = 0};
	struct proto_conflict cf;
	uint64_t conflict = 99;
	struct acct a, b;
	struct frame r;

	signup(s, &a, "rec-a");
	signup(s, &b, "rec-b");
	assert_int_equal(rec_put(s, a.node, 1, 0, "one", &conflict), 1);
	assert_int_equal(rec_put(s, a.node, 1, 0, "again", &conflict), 0);
	assert_int_equal(conflict, 1);
	assert_int_equal(rec_put(s, a.node, 1, 1, "two", &conflict), 2);
	assert_int_equal(rec_put(s, a.node, 1, 1, "stale", &conflict), 0);
	assert_int_equal(conflict, 2);
	assert_int_equal(rec_put(s, a.node, 2, 0, "other", &conflict), 1);
	/* the same id in another account is another record */
	assert_int_equal(rec_put(s, b.node, 1, 0, "bob's", &conflict), 1);

	memset(rg.id, 1, 32);
	call(s, a.node, PROTO_REC_GET, &rg, &r);
	want(&r, PROTO_REC_GET_REP, &gr);
	assert_int_equal(gr.version, 2);
	assert_int_equal(gr.blob_len, 3);
	assert_memory_equal(gr.blob, "two", 3);
	frame_free(&r);

	rl.max = 10;
	call(s, a.node, PROTO_REC_LIST, &rl, &r);
	want(&r, PROTO_REC_LIST_REP, &lr);
	assert_int_equal(lr.nentries, 2);
	assert_int_equal(proto_rec_list_rep_ent(&lr, 1, &le), 0);
	assert_int_equal(le.id[0], 2);
	assert_int_equal(le.size, 5);
	frame_free(&r);
	rl.max = 1;
	memset(rl.after_id, 1, 32);
	call(s, a.node, PROTO_REC_LIST, &rl, &r);
	want(&r, PROTO_REC_LIST_REP, &lr);
	assert_int_equal(lr.nentries, 1);
	assert_int_equal(proto_rec_list_rep_ent(&lr, 0, &le), 0);
	assert_int_equal(le.id[0], 2);
	frame_free(&r);

	memset(rd.id, 1, 32);
	rd.expected_version = 1;
	call(s, a.node, PROTO_REC_DEL, &rd, &r);
	want(&r, PROTO_CONFLICT, &cf);
	assert_int_equal(cf.current_version, 2);
	frame_free(&r);
	rd.expected_version = 2;
	call(s, a.node, PROTO_REC_DEL, &rd, &r);
	want(&r, PROTO_REC_DEL_REP, NULL);
	frame_free(&r);
	call(s, a.node, PROTO_REC_GET, &rg, &r);
	want_error(&r, DZ_ENOENT);
	call(s, a.node, PROTO_REC_DEL, &rd, &r);
	want(&r, PROTO_CONFLICT, &cf);
	assert_int_equal(cf.current_version, 0);
	frame_free(&r);
	/* bob's is untouched */
	call(s, b.node, PROTO_REC_GET, &rg, &r);
	want(&r, PROTO_REC_GET_REP, &gr);
	assert_memory_equal(gr.blob, "bob's", 5);
	frame_free(&r);
	cl_free(a.node);
	cl_free(b.node);
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

/* ---- storage hardening: names, records in the quota, leaving ---- */

/* Commit one fragment name of object obj on peer p for account c. */
static int
commit_one(struct srv *s, struct cl *c, uint8_t obj, const uint8_t name[32],
    uint32_t size, const struct cl *p)
{
	struct proto_frags_commit fc = {.k = 1};
	struct proto_commit_ent e;
	uint8_t ent[PROTO_COMMIT_ENTBYTES];

	memset(&e, 0, sizeof(e));
	memcpy(e.name, name, 32);
	memcpy(e.peer, p->id->pk, 32);
	e.size = size;
	proto_commit_ent_put(ent, &e);
	memset(fc.object_id, obj, 32);
	fc.n = 2;
	fc.nentries = 1;
	fc.entries = ent;
	return call_code(s, c, PROTO_FRAGS_COMMIT, &fc, PROTO_FRAGS_COMMIT_REP, NULL,
	    NULL);
}

/* The holders of name for account c: their count, the first in first. */
static unsigned
locate_one(struct srv *s, struct cl *c, const uint8_t name[32], uint8_t first[32])
{
	struct proto_frags_locate_rep *lr = calloc(1, sizeof(*lr));
	struct proto_frags_locate fl = {.nnames = 1};
	struct frame r;
	unsigned n;

	assert_non_null(lr);
	fl.names = (const uint8_t(*)[32])name;
	call(s, c, PROTO_FRAGS_LOCATE, &fl, &r);
	want(&r, PROTO_FRAGS_LOCATE_REP, lr);
	frame_free(&r);
	n = lr->names[0].nlocs;
	if (n > 0 && first != NULL)
		memcpy(first, lr->names[0].locs[0].pk, 32);
	free(lr);
	return n;
}

/* A peer operator who saw name N arrive commits it first under its own
 * account: the owner's commit of N still succeeds, the owner finds its
 * own holder, and the squatter deleting its object removes nothing of
 * the owner's. */
static void
test_name_squat(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct cl *honest = cl_new(), *evil = cl_new();
	struct proto_obj_delete od;
	uint8_t name[32], holder[32];
	struct acct a, m;
	struct frame r;

	signup(s, &a, "squat-owner");
	signup(s, &m, "squat-thief");
	register_peer(s, honest, 0);
	register_peer(s, evil, 1);
	memset(name, 0x5a, sizeof(name));
	assert_int_equal(commit_one(s, m.node, 0xbb, name, 1, evil), 0);
	assert_int_equal(commit_one(s, a.node, 0x07, name, 100, honest), 0);
	assert_int_equal(locate_one(s, a.node, name, holder), 1);
	assert_memory_equal(holder, honest->id->pk, 32);
	assert_int_equal(locate_one(s, m.node, name, holder), 1);
	assert_memory_equal(holder, evil->id->pk, 32);
	memset(&od, 0, sizeof(od));
	memset(od.object_id, 0xbb, 32);
	call(s, m.node, PROTO_OBJ_DELETE, &od, &r);
	want(&r, PROTO_OBJ_DELETE_REP, NULL);
	frame_free(&r);
	assert_int_equal(locate_one(s, a.node, name, holder), 1);
	assert_memory_equal(holder, honest->id->pk, 32);
	assert_int_equal(locate_one(s, m.node, name, NULL), 0);
	cl_free(honest);
	cl_free(evil);
	cl_free(a.node);
	cl_free(m.node);
}

/* REC_PUT of len bytes of 'x' under id idb; 0 or the ERROR code, with
 * its text in msg (may be NULL). */
static int
rec_put_len(struct srv *s, struct cl *c, uint8_t idb, uint64_t expected,
    size_t len, uint64_t *version, char msg[PROTO_ERRMSG_MAX + 1])
{
	struct proto_rec_put m = {.expected_version = expected};
	struct proto_rec_put_rep rep;
	uint8_t *blob = malloc(len + 1);
	int rc;

	assert_non_null(blob);
	memset(blob, 'x', len);
	memset(m.id, idb, 32);
	m.blob = blob;
	m.blob_len = len;
	rc = call_code(s, c, PROTO_REC_PUT, &m, PROTO_REC_PUT_REP, &rep, msg);
	free(blob);
	if (rc == 0)
		*version = rep.version;
	return rc;
}

static uint64_t
status_used(struct srv *s, struct cl *c, uint32_t *online)
{
	struct proto_status_rep st;
	struct frame r;

	call(s, c, PROTO_STATUS, NULL, &r);
	want(&r, PROTO_STATUS_REP, &st);
	frame_free(&r);
	if (online != NULL)
		*online = st.peers_online;
	return st.used;
}

/* Encrypted records count toward used and the quota (1000000 bytes on
 * the test server): past it REC_PUT is refused with DZ_EQUOTA saying
 * what is used and allowed, a replacement is charged the difference, a
 * deletion frees it, and PLACE sees the records' bytes. */
static void
test_records_quota(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct cl *peer = cl_new();
	struct proto_place_rep *rep = calloc(1, sizeof(*rep));
	struct proto_rec_del rd = {.expected_version = 0};
	char msg[PROTO_ERRMSG_MAX + 1];
	uint64_t v1 = 0, v2 = 0;
	struct acct a;
	struct frame r;

	assert_non_null(rep);
	signup(s, &a, "rec-quota");
	register_peer(s, peer, 5);
	assert_int_equal(rec_put_len(s, a.node, 1, 0, 600000, &v1, NULL), 0);
	assert_int_equal(status_used(s, a.node, NULL), 600000);
	assert_int_equal(rec_put_len(s, a.node, 2, 0, 500000, &v2, msg), DZ_EQUOTA);
	assert_non_null(strstr(msg, "600000 of 1000000 bytes used"));
	assert_int_equal(place(s, a.node, 1, 500000, NULL, 0, rep), DZ_EQUOTA);
	/* replaced by 100 bytes: charged the difference */
	assert_int_equal(rec_put_len(s, a.node, 1, v1, 100, &v1, NULL), 0);
	assert_int_equal(status_used(s, a.node, NULL), 100);
	assert_int_equal(rec_put_len(s, a.node, 2, 0, 500000, &v2, NULL), 0);
	assert_int_equal(status_used(s, a.node, NULL), 500100);
	memset(rd.id, 2, 32);
	rd.expected_version = v2;
	call(s, a.node, PROTO_REC_DEL, &rd, &r);
	want(&r, PROTO_REC_DEL_REP, NULL);
	frame_free(&r);
	assert_int_equal(status_used(s, a.node, NULL), 100);
	free(rep);
	cl_free(peer);
	cl_free(a.node);
}

/* PEER_LEAVE: offline at once (STATUS, PLACE), long before the heartbeat
 * timeout; its next heartbeat brings it back. */
static void
test_peer_leave(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct cl *peer = cl_new();
	struct proto_place_rep *rep = calloc(1, sizeof(*rep));
	uint32_t online = 0;
	struct acct a;
	struct frame r;

	assert_non_null(rep);
	signup(s, &a, "leave-user");
	register_peer(s, peer, 3);
	(void)status_used(s, a.node, &online);
	assert_int_equal(online, 1);
	assert_int_equal(place(s, a.node, 1, 10, NULL, 0, rep), 0);
	call(s, peer, PROTO_PEER_LEAVE, NULL, &r);
	want(&r, PROTO_PEER_LEAVE_REP, NULL);
	frame_free(&r);
	(void)status_used(s, a.node, &online);
	assert_int_equal(online, 0);
	assert_int_equal(place(s, a.node, 1, 10, NULL, 0, rep), DZ_ETOOFEW);
	heartbeat(s, peer, 3);
	(void)status_used(s, a.node, &online);
	assert_int_equal(online, 1);
	/* a node that never registered cannot leave */
	call(s, a.node, PROTO_PEER_LEAVE, NULL, &r);
	want_error(&r, DZ_ENOENT);
	free(rep);
	cl_free(peer);
	cl_free(a.node);
}

/* ---- health of stored objects ---- */

/* commit fragment (seg, index) of object 7 on peer, named by (seg, idx) */
static void
health_commit(struct srv *s, struct acct *a, uint64_t seg, unsigned idx,
    const struct cl *peer)
{
	struct proto_frags_commit fc = {.k = 2, .n = 3, .nentries = 1};
	struct proto_commit_ent e;
	uint8_t ent[PROTO_COMMIT_ENTBYTES];
	struct frame r;

	memset(&e, 0, sizeof(e));
	e.seg = seg;
	e.index = (uint8_t)idx;
	memset(e.name, (int)(0x40 + seg * 16 + idx), 32);
	e.size = 100;
	memcpy(e.peer, peer->id->pk, 32);
	proto_commit_ent_put(ent, &e);
	memset(fc.object_id, 7, 32);
	fc.entries = ent;
	call(s, a->node, PROTO_FRAGS_COMMIT, &fc, &r);
	want(&r, PROTO_FRAGS_COMMIT_REP, NULL);
	frame_free(&r);
}

/* OBJ_HEALTH for objects 7 and 9 as c; returns the reply (free it). */
static struct proto_obj_health_rep *
obj_health(struct srv *s, struct cl *c, struct frame *r)
{
	static const uint8_t ids[2][32] = {{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
		7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, {9}};
	struct proto_obj_health m = {2, ids};
	struct proto_obj_health_rep *rep = calloc(1, sizeof(*rep));

	assert_non_null(rep);
	call(s, c, PROTO_OBJ_HEALTH, &m, r);
	want(r, PROTO_OBJ_HEALTH_REP, rep);
	assert_int_equal(rep->nobjs, 2);
	assert_true(rep->objs[1].nsegs == 0); /* object 9: never stored */
	return rep;
}

/* Segment i of object 0 of rep: healthy count, availability. */
static unsigned
seg_healthy(const struct proto_obj_health_rep *rep, size_t i, uint16_t *avail)
{
	struct proto_health_seg e;

	assert_int_equal(proto_health_seg_get(&rep->objs[0], i, &e), 0);
	*avail = e.avail;
	return e.healthy;
}

/* OBJ_HEALTH counts, per segment and worst first, the fragments on peers
 * seen within the grace period; a peer silent longer holds nothing
 * healthy; another account's object reads as unknown. */
static void
test_obj_health(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct proto_obj_health_rep *rep;
	struct cl *peers[3];
	struct acct a, b;
	struct frame r;
	uint16_t av;

	signup(s, &a, "health-a");
	signup(s, &b, "health-b");
	for (int i = 0; i < 3; i++) {
		peers[i] = cl_new();
		register_peer(s, peers[i], i);
	}
	/* segment 0: fragment 0 on peers 0 and 1, 1 on peer 2, 2 on peer 0;
	 * segment 1: fragment 0 on peer 2 only */
	health_commit(s, &a, 0, 0, peers[0]);
	health_commit(s, &a, 0, 0, peers[1]);
	health_commit(s, &a, 0, 1, peers[2]);
	health_commit(s, &a, 0, 2, peers[0]);
	health_commit(s, &a, 1, 0, peers[2]);

	rep = obj_health(s, a.node, &r);
	assert_true(rep->objs[0].nsegs == 2);
	assert_int_equal(rep->objs[0].nlisted, 2);
	assert_int_equal(seg_healthy(rep, 0, &av), 1); /* worst first */
	assert_true(av > 0);
	assert_int_equal(seg_healthy(rep, 1, &av), 3);
	assert_true(av > 0);
	frame_free(&r);
	free(rep);

	/* bob asks about alice's object: nothing */
	rep = obj_health(s, b.node, &r);
	assert_true(rep->objs[0].nsegs == 0);
	frame_free(&r);
	free(rep);

	/* past the grace period, only peer 0 (heard from again) counts */
	atomic_fetch_add(&s->clock, COORD_GRACE_DEFAULT + 1);
	heartbeat(s, peers[0], 0);
	rep = obj_health(s, a.node, &r);
	assert_true(rep->objs[0].nsegs == 2);
	assert_int_equal(seg_healthy(rep, 0, &av), 0); /* segment 1 */
	assert_int_equal(av, 0);
	assert_int_equal(seg_healthy(rep, 1, &av), 2); /* fragments 0 and 2 */
	assert_true(av > 0);
	frame_free(&r);
	free(rep);

	/* an unbound key may not ask */
	{
		struct proto_obj_health m = {0, NULL};
		call(s, peers[1], PROTO_OBJ_HEALTH, &m, &r);
		want_error(&r, DZ_ENOLOGIN);
	}
	for (int i = 0; i < 3; i++)
		cl_free(peers[i]);
	cl_free(a.node);
	cl_free(b.node);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signup_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbound_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passwd_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_squat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_obj_health, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
