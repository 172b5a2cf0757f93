/* test_peerd: a real peer (peerd over loopback TLS) and a real coordinator
 * in this process, attacked and starved by a raw client. Many tiny
 * FRAG_PUTs fill the capacity block by block (each fragment costs at
 * least a file-system block) and fragments below the minimum are refused;
 * on an 8 MiB tmpfs with a 1 GiB capacity the peer warns at start, offers
 * the coordinator no more than the disk holds, and logs a full disk once
 * however many fragments it refuses; a stopped peer tells the coordinator
 * it is leaving and counts as offline at once, long before the heartbeat
 * timeout. The tmpfs case needs mount rights and is skipped without. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "coordinator/coord.h"
#include "coordinator/coord_int.h" /* the coordinator's key, to sign */
#include "coordinator/db.h"
#include "core/cursor.h"
#include "net/ident.h"
#include "net/proto.h"
#include "net/rpc.h"
#include "net/ticket.h"
#include "net/tls.h"
#include "peer/peerd.h"
#include "fragfix.h"

#define PEER_TIMEOUT 60 /* seconds: far longer than any wait below */
#define MAXLOG 256

struct net {
	char dir[64], cdir[96], pdir[96];
	int mounted;
	uv_loop_t loop;
	uv_async_t stop_peer, stop_all;
	struct coord *co;
	struct peerd *p;
	pthread_t th;
	int peer_done;
	pthread_mutex_t mu;
	char *log[MAXLOG];
	size_t nlog;
	/* the raw client */
	struct ident *id;
	struct tls_ctx *tls;
	struct rpc *rpc;
	char paddr[64];
	uint8_t ppk[IDENT_PKBYTES];
};

static void
on_log(void *arg, const char *line)
{
	struct net *n = arg;

	pthread_mutex_lock(&n->mu);
	if (n->nlog < MAXLOG)
		n->log[n->nlog++] = strdup(line);
	pthread_mutex_unlock(&n->mu);
}

/* Lines of the peer's log containing text. */
static unsigned
log_count(struct net *n, const char *text)
{
	unsigned c = 0;

	pthread_mutex_lock(&n->mu);
	for (size_t i = 0; i < n->nlog; i++)
		c += n->log[i] != NULL && strstr(n->log[i], text) != NULL;
	pthread_mutex_unlock(&n->mu);
	return c;
}

/* Wait up to ms for a log line containing text. */
static int
log_wait(struct net *n, const char *text, unsigned ms)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (unsigned i = 0; i < ms / 10; i++) {
		if (log_count(n, text) > 0)
			return 1;
		nanosleep(&ts, NULL);
	}
	return log_count(n, text) > 0;
}

static void
peer_stopped(void *arg)
{
	struct net *n = arg;

	pthread_mutex_lock(&n->mu);
	n->peer_done = 1;
	pthread_mutex_unlock(&n->mu);
}

static void
on_stop_peer(uv_async_t *a)
{
	struct net *n = a->data;

	peerd_stop(n->p, peer_stopped, n);
	uv_close((uv_handle_t *)a, NULL);
}

static void
on_stop_all(uv_async_t *a)
{
	struct net *n = a->data;

	if (!uv_is_closing((uv_handle_t *)&n->stop_peer))
		on_stop_peer(&n->stop_peer);
	coord_stop(n->co);
	uv_close((uv_handle_t *)a, NULL);
}

static void *
loop_main(void *arg)
{
	uv_run(&((struct net *)arg)->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* Coordinator and peer (capacity cap, data in pdir) on one loop thread,
 * and the raw client's identity. */
static void
net_start(struct net *n, uint64_t cap)
{
	struct coord_opts o;
	struct peerd_config pc;
	struct dz_errmsg em = {{0}};

	/* the peer is an operator's: its key listed for the coordinator */
	char kpath[160], line[IDENT_HEXBYTES + 1];
	struct ident *pid;
	FILE *kf;

	(void)mkdir(n->pdir, 0700);
	snprintf(kpath, sizeof(kpath), "%s/identity.key", n->pdir);
	assert_int_equal(ident_load_or_create(kpath, &pid, NULL, &em), 0);
	snprintf(kpath, sizeof(kpath), "%s/dc.keys", n->dir);
	assert_non_null(kf = fopen(kpath, "w"));
	fprintf(kf, "%s\n", ident_pk_hex(pid->pk, line));
	assert_int_equal(fclose(kf), 0);
	ident_free(pid);
	coord_opts_default(&o);
	o.data_dir = n->cdir;
	o.listen = "127.0.0.1:0";
	o.peer_timeout = PEER_TIMEOUT;
	o.datacentre_keys = kpath;
	assert_int_equal(uv_loop_init(&n->loop), 0);
	if (coord_start(&n->loop, &o, &n->co, &em) != 0)
		fail_msg("coord_start: %s", em.text);
	memset(&pc, 0, sizeof(pc));
	pc.dir = n->pdir;
	pc.listen = "127.0.0.1:0";
	pc.coordinator = coord_addr(n->co);
	pc.coordinator_pk = coord_pk(n->co);
	pc.capacity = cap;
	pc.heartbeat_s = 1;
	pc.datacentre = 1;
	pc.log = on_log;
	pc.log_arg = n;
	if (peerd_open(&n->loop, &pc, &n->p, &em) != 0)
		fail_msg("peerd_open: %s", em.text);
	snprintf(n->paddr, sizeof(n->paddr), "%s", peerd_addr(n->p));
	memcpy(n->ppk, peerd_pk(n->p), IDENT_PKBYTES);
	assert_int_equal(uv_async_init(&n->loop, &n->stop_peer, on_stop_peer), 0);
	assert_int_equal(uv_async_init(&n->loop, &n->stop_all, on_stop_all), 0);
	n->stop_peer.data = n->stop_all.data = n;
	assert_int_equal(pthread_create(&n->th, NULL, loop_main, n), 0);
	assert_int_equal(ident_generate(&n->id), 0);
	assert_int_equal(tls_ctx_new(n->id, TLS_ROLE_CLIENT, &n->tls, &em), 0);
	assert_int_equal(rpc_new(n->tls, NULL, &n->rpc, &em), 0);
}

static int
setup(void **state)
{
	struct net *n = calloc(1, sizeof(*n));

	assert_non_null(n);
	snprintf(n->dir, sizeof(n->dir), "/tmp/test_peerd.XXXXXX");
	assert_non_null(mkdtemp(n->dir));
	snprintf(n->cdir, sizeof(n->cdir), "%s/coord", n->dir);
	snprintf(n->pdir, sizeof(n->pdir), "%s/peer", n->dir);
	pthread_mutex_init(&n->mu, NULL);
	*state = n;
	return 0;
}

static int
teardown(void **state)
{
	struct net *n = *state;
	char cmd[128];

	if (n->co != NULL) {
		uv_async_send(&n->stop_all);
		pthread_join(n->th, NULL);
		assert_int_equal(peerd_free(n->p), 0);
		coord_free(n->co);
		assert_int_equal(uv_loop_close(&n->loop), 0);
	}
	rpc_free(n->rpc);
	tls_ctx_unref(n->tls);
	ident_free(n->id);
	if (n->mounted)
		umount2(n->pdir, MNT_DETACH);
	for (size_t i = 0; i < n->nlog; i++)
		free(n->log[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", n->dir);
	assert_int_equal(system(cmd), 0);
	pthread_mutex_destroy(&n->mu);
	free(n);
	return 0;
}

/* FRAG_PUT f from the raw client with ticket t (NULL: none): 0 or the
 * ERROR's code. */
static int
frag_put_t(struct net *n, const uint8_t name[32], const uint8_t *buf,
    size_t len, const struct proto_ticket *t)
{
	struct proto_frag_put m = {.has_ticket = t != NULL};
	struct proto_error e;
	struct dz_errmsg em = {{0}};
	struct frame r;
	struct wbuf w;
	uint8_t *body;
	size_t blen;
	int rc;

	memcpy(m.name, name, 32);
	if (t != NULL)
		m.ticket = *t;
	m.data = buf;
	m.len = len;
	assert_int_equal(proto_encoded_len(PROTO_FRAG_PUT, &m, &blen), 0);
	assert_non_null(body = malloc(blen));
	wbuf_init(&w, body, blen);
	assert_int_equal(proto_encode(PROTO_FRAG_PUT, &m, &w), 0);
	rc = rpc_call(n->rpc, n->paddr, n->ppk, PROTO_FRAG_PUT, body, blen, 20000, &r, &em);
	free(body);
	if (rc != 0)
		fail_msg("FRAG_PUT: %s", em.text);
	if (r.type == PROTO_ERROR) {
		assert_int_equal(proto_error_decode(r.body, r.len, &e), 0);
		rc = e.code;
	} else {
		assert_int_equal(r.type, PROTO_FRAG_PUT_REP);
	}
	frame_free(&r);
	return rc;
}

/* The coordinator's view of our peer, read from its database. */
static void
coord_view(struct net *n, struct db_peer *p, uint64_t *online)
{
	struct db *db;
	uint64_t total;

	assert_int_equal(db_open(n->cdir, &db, NULL), 0);
	assert_int_equal(db_peer_get(db, n->ppk, p, NULL), 0);
	assert_int_equal(db_peer_count(db, (int64_t)time(NULL), PEER_TIMEOUT, online,
	    &total, NULL), 0);
	db_close(db);
}

/* A ticket as the coordinator signs them, signed by id (the
 * coordinator's, or a forger's), for peer pk, name, len and expiry. */
static void
sign_ticket(struct proto_ticket *t, const struct ident *id, const uint8_t pk[32],
    const uint8_t name[32], size_t len, int64_t expires)
{
	assert_int_equal(ticket_sign(t, id, 1, name, (uint32_t)len, pk,
	    (uint64_t)expires), 0);
}

/* Does the peer hold name (FRAG_HAS)? */
static int
frag_has(struct net *n, const uint8_t name[32])
{
	struct proto_frag_has m = {1, (const uint8_t (*)[32])name};
	struct proto_frag_has_rep rep;
	struct dz_errmsg em = {{0}};
	uint8_t body[2 + 32];
	struct frame r;
	struct wbuf w;
	int has;

	wbuf_init(&w, body, sizeof(body));
	assert_int_equal(proto_frag_has_encode(&m, &w), 0);
	if (rpc_call(n->rpc, n->paddr, n->ppk, PROTO_FRAG_HAS, body, w.len, 20000,
	    &r, &em) != 0)
		fail_msg("FRAG_HAS: %s", em.text);
	assert_int_equal(r.type, PROTO_FRAG_HAS_REP);
	assert_int_equal(proto_frag_has_rep_decode(r.body, r.len, &rep), 0);
	has = proto_has_bit(&rep, 0);
	frame_free(&r);
	return has;
}

/* FRAG_PUT with a valid ticket of the coordinator's. */
static int
frag_put(struct net *n, const uint8_t name[32], const uint8_t *buf, size_t len)
{
	struct proto_ticket t;

	sign_ticket(&t, n->co->id, n->ppk, name, len, (int64_t)time(NULL) + 600);
	return frag_put_t(n, name, buf, len, &t);
}

/* The attack of issue 15: a throwaway key (the raw client's) stores
 * nothing without a ticket of the coordinator's for this peer, this name
 * and size, not expired; a ticket of the peer's own forging counts for
 * nothing. Each refusal is DZ_EDENIED and leaves nothing on disk; the
 * valid ticket then stores, and one expired by less than the forgiven
 * skew still does. */
static void
tickets(void **state)
{
	struct net *n = *state;
	struct proto_ticket t;
	struct tfrag f, g;
	uint8_t other[32];
	int64_t now = (int64_t)time(NULL);

	net_start(n, 64u << 20);
	make_frag(&f, 4000, 1, 0);
	make_frag(&g, 4000, 2, 0);
	memset(other, 0x42, sizeof(other));
	assert_int_equal(frag_put_t(n, f.name, f.buf, f.len, NULL), DZ_EDENIED);
	sign_ticket(&t, n->id, n->ppk, f.name, f.len, now + 600);
	assert_int_equal(frag_put_t(n, f.name, f.buf, f.len, &t), DZ_EDENIED);
	sign_ticket(&t, n->co->id, other, f.name, f.len, now + 600);
	assert_int_equal(frag_put_t(n, f.name, f.buf, f.len, &t), DZ_EDENIED);
	sign_ticket(&t, n->co->id, n->ppk, g.name, f.len, now + 600);
	assert_int_equal(frag_put_t(n, f.name, f.buf, f.len, &t), DZ_EDENIED);
	sign_ticket(&t, n->co->id, n->ppk, f.name, f.len + 1, now + 600);
	assert_int_equal(frag_put_t(n, f.name, f.buf, f.len, &t), DZ_EDENIED);
	sign_ticket(&t, n->co->id, n->ppk, f.name, f.len, now - TICKET_SKEW - 5);
	assert_int_equal(frag_put_t(n, f.name, f.buf, f.len, &t), DZ_EDENIED);
	sign_ticket(&t, n->co->id, n->ppk, f.name, f.len, now + 2 * TICKET_TTL_MAX);
	assert_int_equal(frag_put_t(n, f.name, f.buf, f.len, &t), DZ_EDENIED);
	t.expires = (uint64_t)now + 600; /* tampered after signing */
	assert_int_equal(frag_put_t(n, f.name, f.buf, f.len, &t), DZ_EDENIED);
	assert_false(frag_has(n, f.name));
	sign_ticket(&t, n->co->id, n->ppk, f.name, f.len, now - TICKET_SKEW / 2);
	assert_int_equal(frag_put_t(n, f.name, f.buf, f.len, &t), 0);
	assert_true(frag_has(n, f.name));
	free_frag(&f);
	free_frag(&g);
}

/* 300 fragments of 22 bytes against a 1 MiB peer: each costs a block, so
 * only 1 MiB / block of them are taken (not all 300, as when a fragment
 * was charged its 22 bytes), and a 16-byte one is refused outright. */
static void
tiny_flood(void **state)
{
	struct net *n = *state;
	struct statvfs vfs;
	struct tfrag f;
	unsigned ok = 0, full = 0;
	int rc;

	assert_int_equal(mkdir(n->pdir, 0700), 0);
	assert_int_equal(statvfs(n->pdir, &vfs), 0);
	net_start(n, 1u << 20);
	for (unsigned i = 0; i < 300; i++) {
		make_frag(&f, 16, i % 5, 0);
		rc = frag_put(n, f.name, f.buf, f.len);
		free_frag(&f);
		ok += rc == 0;
		full += rc == DZ_ENOSPC;
	}
	print_message("# 300 puts of 22 bytes, block %lu: %u stored, %u refused\n",
	    (unsigned long)vfs.f_frsize, ok, full);
	assert_int_equal(ok, (1u << 20) / vfs.f_frsize);
	assert_int_equal(ok + full, 300);
	make_frag(&f, 16, 0, 0);
	assert_int_equal(frag_put(n, f.name, f.buf, FRAGSTORE_MINFRAG - 1), DZ_ERANGE);
	free_frag(&f);
}

/* An 8 MiB disk under a 1 GiB --capacity: a warning at start, an offer of
 * at most what the disk holds, and one "disk full" however many puts are
 * refused. */
static void
small_disk(void **state)
{
	struct net *n = *state;
	struct db_peer p;
	struct tfrag f;
	uint64_t online;
	unsigned refused = 0;

	assert_int_equal(mkdir(n->pdir, 0700), 0);
	if (mount("tmpfs", n->pdir, "tmpfs", 0, "size=8m,mode=0700") != 0) {
		print_message("# skip: cannot mount a tmpfs (%s)\n", strerror(errno));
		skip();
	}
	n->mounted = 1;
	net_start(n, 1ULL << 30);
	assert_true(log_count(n, "warning: --capacity is 1024 MiB") == 1);
	assert_true(log_wait(n, "registered with the coordinator", 10000));
	coord_view(n, &p, &online);
	print_message("# offered %llu bytes on an 8 MiB tmpfs\n",
	    (unsigned long long)p.capacity);
	assert_true(p.capacity <= 8u << 20);
	assert_true(p.capacity > 0);
	/* 1 MiB fragments until the disk refuses, then some more */
	for (unsigned i = 0; i < 16 && refused < 4; i++) {
		make_frag(&f, 3 * (1u << 20), i % 5, 0);
		if (frag_put(n, f.name, f.buf, f.len) == DZ_ENOSPC)
			refused++;
		free_frag(&f);
	}
	assert_int_equal(refused, 4);
	assert_true(log_wait(n, "disk full", 2000));
	assert_int_equal(log_count(n, "disk full"), 1);
	/* a heartbeat after the puts still offers no more than the disk */
	for (int i = 0; i < 500; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		coord_view(n, &p, &online);
		if (p.used > 0)
			break;
		nanosleep(&ts, NULL);
	}
	assert_true(p.used > 0);
	assert_true(p.capacity <= 8u << 20 && p.capacity >= p.used);
}

/* Stopping the peer (as SIGTERM does) tells the coordinator at once. */
static void
leave(void **state)
{
	struct net *n = *state;
	struct db_peer p;
	uint64_t online;
	int done = 0;
	time_t t0;

	assert_int_equal(mkdir(n->pdir, 0700), 0);
	net_start(n, 1u << 20);
	assert_true(log_wait(n, "registered with the coordinator", 10000));
	coord_view(n, &p, &online);
	assert_int_equal(online, 1);
	t0 = time(NULL);
	uv_async_send(&n->stop_peer);
	for (int i = 0; i < 500 && !done; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
		pthread_mutex_lock(&n->mu);
		done = n->peer_done;
		pthread_mutex_unlock(&n->mu);
	}
	assert_true(done);
	assert_int_equal(log_count(n, "that this peer is leaving"), 1);
	coord_view(n, &p, &online);
	assert_int_equal(online, 0);
	assert_true(p.left_at >= t0);
	assert_true(time(NULL) - t0 < PEER_TIMEOUT / 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tickets, setup, teardown),
		cmocka_unit_test_setup_teardown(tiny_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(small_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(leave, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
