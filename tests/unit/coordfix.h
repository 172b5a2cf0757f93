/*
 * coordfix: what the coordinator tests share: the server in-process on
 * its own loop thread with a clock the test moves (struct srv), clients
 * with identities of their own that talk to it over real loopback TLS
 * with rpc_call, expectations on replies (want, want_error, call_code),
 * accounts (sign-up, PRELOGIN, LOGIN), peers (register, heartbeat),
 * PLACE, REC_PUT and STATUS, and the cmocka fixture that starts a server
 * on a fresh data directory. Static functions only: included by
 * tests/unit/test_coord*.c.
 */
#ifndef DZ_COORDFIX_H
#define DZ_COORDFIX_H

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
#include "coordinator/db_ticket.h"
#include "core/cursor.h"
#include "core/keyfile.h"
#include "net/ident.h"
#include "net/pbind.h"
#include "net/proto.h"
#include "net/rpc.h"
#include "net/tls.h"

#define TIMEOUT 2 /* --peer-timeout of the test server, seconds */
#define T0 1700000000

/* ---- operator peers: every client key is listed ----
 * Clients take their keys from a pool made once per process, all listed
 * in the file the test servers get as --datacentre-keys, so that any
 * client may register as an operator peer (register_peer); a client made
 * by cl_new_unlisted is not listed. */
#define DC_POOL 1024
static struct {
	uint8_t seed[DC_POOL][32];
	unsigned next;
	char path[64];
} dcpool;

/* At exit: the pool's file goes with the process that made it. */
static void
dcpool_unlink(void)
{
	if (dcpool.path[0] != '\0')
		unlink(dcpool.path);
}

__attribute__((unused)) static const char *
dcpool_file(void)
{
	struct ident *id;
	char hex[IDENT_HEXBYTES];
	FILE *f;
	int fd;

	if (dcpool.path[0] != '\0')
		return dcpool.path;
	snprintf(dcpool.path, sizeof(dcpool.path), "/tmp/dz-dckeys-XXXXXX");
	assert_true((fd = mkstemp(dcpool.path)) >= 0);
	atexit(dcpool_unlink);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "# the test clients' keys\n");
	for (unsigned i = 0; i < DC_POOL; i++) {
		randombytes_buf(dcpool.seed[i], 32);
		assert_int_equal(ident_from_seed(dcpool.seed[i], &id), 0);
		fprintf(f, "%s\n", ident_pk_hex(id->pk, hex));
		ident_free(id);
	}
	assert_int_equal(fclose(f), 0);
	return dcpool.path;
}

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

__attribute__((unused)) static int64_t
srv_clock(void *arg)
{
	return atomic_load(&((struct srv *)arg)->clock);
}

__attribute__((unused)) static void
srv_on_stop(uv_async_t *a)
{
	struct srv *s = a->data;

	coord_stop(s->co);
	uv_close((uv_handle_t *)a, NULL);
}

__attribute__((unused)) static void *
srv_main(void *arg)
{
	struct srv *s = arg;

	uv_run(&s->loop, UV_RUN_DEFAULT);
	return NULL;
}

__attribute__((unused)) static void
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
	o.datacentre_keys = dcpool_file();
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

__attribute__((unused)) static void
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
cl_make(int listed)
{
	struct cl *c = calloc(1, sizeof(*c));
	struct dz_errmsg em;

	assert_non_null(c);
	if (listed)
		assert_int_equal(ident_from_seed(dcpool.seed[dcpool.next++ % DC_POOL],
		    &c->id), 0);
	else
		assert_int_equal(ident_generate(&c->id), 0);
	assert_int_equal(tls_ctx_new(c->id, TLS_ROLE_CLIENT, &c->tls, &em), 0);
	assert_int_equal(rpc_new(c->tls, NULL, &c->rpc, &em), 0);
	return c;
}

/* cl_new: a client whose key the servers list as an operator peer's. */
__attribute__((unused)) static struct cl *
cl_new(void)
{
	(void)dcpool_file();
	return cl_make(1);
}

/* cl_new_unlisted: a client whose key no server lists. */
__attribute__((unused)) static struct cl *
cl_new_unlisted(void)
{
	return cl_make(0);
}

__attribute__((unused)) static void
cl_free(struct cl *c)
{
	rpc_free(c->rpc);
	tls_ctx_unref(c->tls);
	ident_free(c->id);
	free(c);
}

/* Send msg (type's struct; NULL: empty body) or raw bytes; answer in r. */
__attribute__((unused)) static void
call_raw(struct srv *s, struct cl *c, uint16_t type, const void *body,
    size_t len, struct frame *r)
{
	struct dz_errmsg em = {{0}};

	memset(r, 0, sizeof(*r));
	if (rpc_call(c->rpc, s->addr, s->pk, type, body, len, 10000, r, &em) != 0)
		fail_msg("rpc_call 0x%04x: %s", type, em.text);
}

__attribute__((unused)) static void
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
__attribute__((unused)) static void
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
__attribute__((unused)) static void
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

__attribute__((unused)) static void
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

__attribute__((unused)) static void
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
__attribute__((unused)) static void
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

/* PRELOGIN then LOGIN signed by sk, on dev's connection. */
__attribute__((unused)) static void
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
__attribute__((unused)) static void
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

__attribute__((unused)) static int
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

__attribute__((unused)) static int
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

/* ---- peers and placement ---- */

/* A PEER_REGISTER of peer p as peer i (capacity 1000 * (i + 1)): for
 * owner (bound by owner's node key, as `drizzle peer --home` does), or
 * (owner NULL) as an operator peer. */
__attribute__((unused)) static void
register_msg(struct srv *s, struct cl *p, int i, const struct acct *owner,
    struct proto_peer_register *m)
{
	struct pbind b;

	memset(m, 0, sizeof(*m));
	snprintf(m->addr, sizeof(m->addr), "127.0.0.1:%d", 7000 + i);
	m->capacity = 1000 * (uint64_t)(i + 1);
	m->used = 0;
	if (owner == NULL) {
		m->flags = PROTO_PEER_DATACENTRE;
		return;
	}
	memset(&b, 0, sizeof(b));
	memcpy(b.peer_pk, p->id->pk, 32);
	memcpy(b.coord_pk, s->pk, 32);
	b.issued = T0;
	snprintf(b.name, sizeof(b.name), "%s", owner->user);
	assert_int_equal(pbind_sign(&b, owner->node->id), 0);
	snprintf(m->owner, sizeof(m->owner), "%s", b.name);
	memcpy(m->device, b.device_pk, 32);
	m->issued = b.issued;
	memcpy(m->sig, b.sig, 64);
}

/* Register peer i for owner (NULL: as an operator peer); it must be
 * admitted. */
__attribute__((unused)) static void
register_owned(struct srv *s, struct cl *p, int i, const struct acct *owner)
{
	struct proto_peer_register m;
	struct frame r;

	register_msg(s, p, i, owner, &m);
	call(s, p, PROTO_PEER_REGISTER, &m, &r);
	want(&r, PROTO_PEER_REGISTER_REP, NULL);
	frame_free(&r);
}

__attribute__((unused)) static void
register_peer(struct srv *s, struct cl *p, int i)
{
	register_owned(s, p, i, NULL);
}

__attribute__((unused)) static void
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
__attribute__((unused)) static int
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

/* The fragment names of the last place(): fresh for every call. */
static uint8_t place_names[PROTO_PLACE_MAX][32];

/* PLACE n of size (names place_names, made fresh), excluding ex[nex], as
 * a segment's first PLACE with k 1 (the quota checked for size more
 * bytes); rep filled on success, else the ERROR code is returned. */
__attribute__((unused)) static int
place(struct srv *s, struct cl *c, unsigned n, uint32_t size,
    const uint8_t (*ex)[32], unsigned nex, struct proto_place_rep *rep)
{
	struct proto_place m = {0};

	randombytes_buf(place_names, sizeof(place_names));
	m.n = (uint8_t)n;
	m.frag_size = size;
	m.names = (const uint8_t (*)[32])place_names;
	m.nexclude = (uint16_t)nex;
	m.exclude = ex;
	m.k = 1;
	return call_code(s, c, PROTO_PLACE, &m, PROTO_PLACE_REP, rep, NULL);
}

/* Note in the coordinator's table a placement ticket for account a to
 * hold name (size bytes) on peer (its key), as PLACE would have issued, so that
 * a FRAGS_COMMIT of that location is accepted. */
__attribute__((unused)) static void
grant(struct srv *s, const struct acct *a, const uint8_t name[32],
    uint64_t size, const uint8_t peer[32])
{
	struct db_account da;
	struct db_ticket t;

	assert_int_equal(db_account_get(s->co->db, a->user, &da, NULL), 0);
	memcpy(t.name, name, 32);
	memcpy(t.peer, peer, 32);
	t.size = size;
	t.expires = srv_clock(s) + COORD_TICKET_TTL;
	assert_int_equal(db_ticket_add(s->co->db, da.id, &t, 1, 0, NULL), 0);
}

/* ---- records and status ---- */

/* REC_PUT of blob under id idb expecting version expected: the new
 * version, or 0 with the current one in *conflict on CONFLICT. */
__attribute__((unused)) static uint64_t
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

/* STATUS as c: used bytes; peers online into *online (may be NULL). */
__attribute__((unused)) static uint64_t
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

#endif /* DZ_COORDFIX_H */
