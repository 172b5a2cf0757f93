/* test_net: Drizzle connections over real loopback sockets. A client and a
 * server that pin each other's keys exchange frames of every size up to
 * the maximum; a wrong key on either side, a client without identity (the
 * real `openssl s_client`), bytes that are not TLS, an oversized or
 * malformed frame, a frame that stalls, a silent or idle connection, a
 * client over the connection limit, a server that lies about reqids and a
 * client that never reads each end their own connection only, and the
 * server keeps serving. rpc_call_many keeps the first good answers and
 * closes the rest.
 *
 * Every server runs its own loop on its own thread (the test thread plays
 * the clients, with rpc or with blocking sockets) and is stopped by the
 * test that started it. Deadlines are shortened to a few hundred ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <sodium.h>

#include "core/cursor.h"
#include "net/conn.h"
#include "net/frame.h"
#include "net/ident.h"
#include "net/netsrv.h"
#include "net/rpc.h"
#include "net/tls.h"

#include "net_fixture.h"

extern char **environ;

/* ---- the tests ---- */

/* Both sides pin: the server welcomes only the client's key and the
 * client expects the server's; frames from empty to the largest allowed
 * come back intact over one reused connection. */
static void
test_echo_pinned(void **state)
{
	struct fx *f = *state;
	struct tsrv *t = ts_start(M_ECHO, NULL, f->cid->pk);

	echo_ok(f, t, 0);
	echo_ok(f, t, 1);
	echo_ok(f, t, 100000);
	echo_ok(f, t, FRAME_MAXBODY);
	assert_int_equal(atomic_load(&t->npeer), 1); /* one connection */
	assert_int_equal(atomic_load(&t->nframes), 4);
	ts_stop(t);
}

/* First contact: asked without an expected key, the call reports which
 * key answered, and that key then pins the server. */
static void
test_first_contact(void **state)
{
	struct fx *f = *state;
	struct tsrv *t = ts_start(M_ECHO, NULL, NULL);
	struct rpc_req q = {0};
	size_t kept;

	q.addr = t->addr;
	q.type = 2;
	q.body = "hi";
	q.len = 2;
	assert_int_equal(rpc_call_many(f->rpc, &q, 1, 1, 3000, NULL, NULL,
	    &kept, NULL), 0);
	assert_int_equal(kept, 1);
	assert_int_equal(q.status, RPC_KEPT);
	assert_true(q.answered);
	assert_memory_equal(q.peer_pk, t->id->pk, IDENT_PKBYTES);
	echo_ok(f, t, 3); /* pinned from now on */
	ts_stop(t);
}

/* A client whose key the server does not know is refused by on_peer, and
 * its request is never delivered. */
static void
test_unknown_client_refused(void **state)
{
	struct fx *f = *state;
	uint8_t other[IDENT_PKBYTES];
	struct dz_errmsg em = {{0}};
	struct frame resp;
	struct tsrv *t;

	randombytes_buf(other, sizeof(other));
	t = ts_start(M_ECHO, NULL, other);
	assert_int_not_equal(rpc_call(f->rpc, t->addr, t->id->pk, 1, "x", 1,
	    3000, &resp, &em), 0);
	assert_int_equal(wait_atomic(&t->nrefpeer, 1, 2000), 1);
	assert_int_equal(atomic_load(&t->npeer), 0);
	assert_int_equal(atomic_load(&t->nframes), 0);
	ts_stop(t);
}

/* A server showing another key than the one expected is refused with
 * DZ_EPEERKEY and a message naming both keys; the key that answered is in
 * rpc_req.peer_pk (no caller reads it out of the message); nothing is
 * sent to it. */
static void
test_wrong_server_key(void **state)
{
	struct fx *f = *state;
	char want[IDENT_HEXBYTES], got[IDENT_HEXBYTES];
	uint8_t other[IDENT_PKBYTES];
	struct dz_errmsg em = {{0}};
	struct frame resp;
	struct tsrv *t = ts_start(M_ECHO, NULL, NULL);

	struct rpc_req q = {0};

	randombytes_buf(other, sizeof(other));
	assert_int_equal(rpc_call(f->rpc, t->addr, other, 1, "x", 1, 3000,
	    &resp, &em), DZ_EPEERKEY);
	assert_non_null(strstr(em.text, "key mismatch"));
	assert_non_null(strstr(em.text, ident_pk_hex(other, want)));
	assert_non_null(strstr(em.text, ident_pk_hex(t->id->pk, got)));
	q.addr = t->addr;
	q.pk = other;
	q.type = 1;
	assert_int_equal(rpc_call_many(f->rpc, &q, 1, 1, 3000, NULL, NULL,
	    NULL, &em), DZ_ETOOFEW);
	assert_int_equal(q.status, DZ_EPEERKEY);
	assert_false(q.answered);
	assert_memory_equal(q.peer_pk, t->id->pk, IDENT_PKBYTES);
	usleep(100000);
	assert_int_equal(atomic_load(&t->nframes), 0);
	/* the right key still works, on the same server */
	echo_ok(f, t, 10);
	ts_stop(t);
}

/* `openssl s_client` without a certificate is refused in the handshake:
 * the server closes its connection (s_client, told to ignore the end of
 * its input, exits only because of that), no key reaches on_peer, no frame
 * is delivered, and a good client is served afterwards. */
static void
test_s_client_refused(void **state)
{
	struct fx *f = *state;
	struct tsrv *t = ts_start(M_ECHO, NULL, NULL);
	posix_spawn_file_actions_t fa;
	char connect[64], msg[DZ_ERRMSG_MAX];
	char *argv[] = {"openssl", "s_client", "-connect", connect, "-tls1_3",
	    "-alpn", "drizzle/1", "-ign_eof", NULL};
	uint64_t end;
	pid_t pid;
	int st = 0;

	if (access("/usr/bin/openssl", X_OK) != 0) {
		ts_stop(t);
		skip();
	}
	snprintf(connect, sizeof(connect), "%s", t->addr);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	assert_int_equal(posix_spawnp(&pid, "openssl", &fa, NULL, argv,
	    environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	end = now_ms() + 10000;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			ts_stop(t);
			fail_msg("s_client was not disconnected");
		}
		usleep(10000);
	}
	assert_int_equal(wait_atomic(&t->nclose, 1, 2000), 1);
	assert_int_equal(atomic_load(&t->last_err), DZ_EAUTH);
	ts_last_msg(t, msg, sizeof(msg));
	assert_non_null(strstr(msg, "certificate"));
	assert_int_equal(atomic_load(&t->npeer), 0);
	assert_int_equal(atomic_load(&t->nframes), 0);
	echo_ok(f, t, 10);
	ts_stop(t);
}

/* Bytes that are not TLS end the connection at once; the server serves
 * the next client. */
static void
test_garbage_bytes(void **state)
{
	struct fx *f = *state;
	struct tsrv *t = ts_start(M_ECHO, NULL, NULL);
	static const char junk[] = "GET / HTTP/1.0\r\n\r\n";
	int fd = tcp_to(t);
	long ms;

	assert_int_equal(send(fd, junk, sizeof(junk) - 1, 0),
	    (ssize_t)sizeof(junk) - 1);
	ms = tcp_wait_closed(fd);
	close(fd);
	assert_true(ms >= 0 && ms < 3000);
	assert_int_equal(wait_atomic(&t->nclose_err, 1, 2000), 1);
	assert_int_equal(atomic_load(&t->last_err), DZ_EAUTH);
	echo_ok(f, t, 10);
	ts_stop(t);
}

/* A frame length over the server's limit, or under the minimum, ends the
 * connection as soon as it is read, with DZ_ERANGE / DZ_EFORMAT. */
static void
test_bad_frame_len(void **state)
{
	struct fx *f = *state;
	struct conn_limits lim;
	struct tsrv *t;
	struct raw r;
	uint8_t len[4];
	long ms;

	conn_limits_default(&lim);
	lim.max_frame = 4096;
	t = ts_start(M_ECHO, &lim, NULL);
	raw_open(f, t, &r);
	le32_put(len, 4097);
	raw_write(&r, len, 4);
	ms = raw_wait_closed(&r);
	raw_close(&r);
	assert_true(ms >= 0 && ms < 3000);
	assert_int_equal(wait_atomic(&t->nclose, 1, 2000), 1);
	assert_int_equal(atomic_load(&t->last_err), DZ_ERANGE);

	raw_open(f, t, &r);
	le32_put(len, 5);
	raw_write(&r, len, 4);
	ms = raw_wait_closed(&r);
	raw_close(&r);
	assert_true(ms >= 0 && ms < 3000);
	assert_int_equal(wait_atomic(&t->nclose, 2, 2000), 2);
	assert_int_equal(atomic_load(&t->last_err), DZ_EFORMAT);
	assert_int_equal(atomic_load(&t->nframes), 0);
	echo_ok(f, t, 10);
	ts_stop(t);
}

/* A frame begun and not finished is cut at the frame deadline, while
 * another client is served meanwhile; a client that sends nothing at all,
 * or shakes hands and sends no frame, is cut at the proof deadline; one
 * that was served and then says nothing is closed at the idle deadline. */
static void
test_deadlines(void **state)
{
	struct fx *f = *state;
	struct conn_limits lim;
	struct tsrv *t;
	struct raw r;
	uint8_t h[FRAME_HDRBYTES + 10] = {0};
	uint64_t t0;
	long ms;
	int fd;

	conn_limits_default(&lim);
	lim.frame_ms = 300;
	lim.proof_ms = 300;
	lim.idle_ms = 600;
	t = ts_start(M_ECHO, &lim, NULL);

	/* slow frame: header and 10 of 100 body bytes, then silence */
	raw_open(f, t, &r);
	raw_echo(&r, 1);
	t0 = now_ms();
	assert_int_equal(frame_hdr_encode(h, 1, 1, 100), 0);
	raw_write(&r, h, sizeof(h));
	echo_ok(f, t, 10);
	ms = raw_wait_closed(&r);
	raw_close(&r);
	ms = (long)(now_ms() - t0);
	assert_true(ms >= 250 && ms < 3000);
	assert_int_equal(wait_atomic(&t->nclose_err, 1, 1000), 1);
	assert_true(wait_msg(t, "frame not complete", 1000));

	/* silent TCP: no handshake */
	fd = tcp_to(t);
	ms = tcp_wait_closed(fd);
	close(fd);
	assert_true(ms >= 250 && ms < 3000);
	assert_int_equal(wait_atomic(&t->nclose_err, 2, 1000), 2);
	assert_true(wait_msg(t, "no TLS handshake and first frame", 1000));

	/* a handshake and no frame: the same deadline, counted from accept */
	raw_open(f, t, &r);
	ms = raw_wait_closed(&r);
	raw_close(&r);
	assert_true(ms >= 0 && ms < 3000);
	assert_int_equal(wait_atomic(&t->nclose_err, 3, 1000), 3);

	/* idle after a frame: closed in order (err 0) */
	raw_open(f, t, &r);
	raw_echo(&r, 2);
	ms = raw_wait_closed(&r);
	raw_close(&r);
	assert_true(ms >= 500 && ms < 4000);
	assert_true(wait_msg(t, "idle", 1000));
	assert_int_equal(atomic_load(&t->nclose_err), 3);
	assert_int_equal(atomic_load(&t->nframes), 3);
	ts_stop(t);
}

/* Over max_conns of proven connections, a new connection is closed at
 * once, while those open keep working; once one leaves, a newcomer is
 * served again. */
static void
test_conn_limit(void **state)
{
	struct fx *f = *state;
	struct conn_limits lim;
	struct dz_errmsg em;
	struct frame resp;
	struct raw a, b;
	struct tsrv *t;
	uint64_t end;
	long ms;
	int fd, rc;

	conn_limits_default(&lim);
	lim.max_conns = 2;
	t = ts_start(M_ECHO, &lim, NULL);
	raw_open(f, t, &a);
	raw_echo(&a, 1);
	raw_open(f, t, &b);
	raw_echo(&b, 2);
	fd = tcp_to(t);
	ms = tcp_wait_closed(fd);
	close(fd);
	assert_true(ms >= 0 && ms < 3000);
	/* the two open connections still echo */
	raw_frame(&a, 5, 1, "aa", 2);
	raw_frame(&b, 5, 2, "bb", 2);
	assert_int_equal(raw_read_frame(&a, &resp), 0);
	assert_int_equal(resp.reqid, 1);
	assert_memory_equal(resp.body, "aa", 2);
	frame_free(&resp);
	assert_int_equal(raw_read_frame(&b, &resp), 0);
	assert_int_equal(resp.reqid, 2);
	frame_free(&resp);
	/* one leaves; a newcomer gets in once the server has seen it go */
	raw_close(&a);
	assert_int_equal(wait_atomic(&t->nclose, 1, 2000), 1);
	end = now_ms() + 2000;
	do {
		rc = rpc_call(f->rpc, t->addr, t->id->pk, 1, "c", 1, 2000,
		    &resp, &em);
		frame_free(&resp);
	} while (rc != 0 && now_ms() < end);
	assert_int_equal(rc, 0);
	raw_close(&b);
	ts_stop(t);
}

/* A flood of connections that never prove themselves: at max_unproven
 * the oldest unproven is closed for each newcomer, those still in their
 * handshake before those handshaken; a proven connection is never closed
 * for them, and a real client gets through the flood. */
static void
test_unproven_evicted(void **state)
{
	struct fx *f = *state;
	struct conn_limits lim;
	struct raw p, h;
	struct tsrv *t;
	int fd[12], i;

	conn_limits_default(&lim);
	lim.max_conns = 8;
	lim.max_unproven = 4;
	t = ts_start(M_ECHO, &lim, NULL);
	raw_open(f, t, &p);
	raw_echo(&p, 1);          /* proven */
	raw_open(f, t, &h);       /* handshaken, no frame yet */
	for (i = 0; i < 12; i++)  /* silent TCP: no handshake */
		fd[i] = tcp_to(t);
	/* 13 unproven came for 4 slots: the first silent 9 were closed */
	for (i = 0; i < 9; i++)
		assert_true(tcp_wait_closed(fd[i]) >= 0);
	assert_int_equal(wait_atomic(&t->nclose_err, 9, 2000), 9);
	echo_ok(f, t, 10);        /* evicts the 10th silent one */
	raw_echo(&h, 2);          /* the handshaken one was spared */
	raw_echo(&p, 3);          /* and the proven one */
	for (i = 0; i < 12; i++)
		close(fd[i]);
	raw_close(&p);
	raw_close(&h);
	ts_halt(t);
	assert_true(t->nevicted >= 10);
	assert_int_equal(t->nrefused, 0);
	free(t);
}

/* A client that keeps asking for large answers and never reads them does
 * not make the server queue without bound: it stops reading that client
 * above sendq_high, then drops it when its writes make no progress. */
static void
test_nonreading_client(void **state)
{
	struct fx *f = *state;
	struct conn_limits lim;
	struct tsrv *t;
	struct frame resp;
	struct raw r;
	char msg[DZ_ERRMSG_MAX];
	int i;

	conn_limits_default(&lim);
	lim.sendq_high = 2u * 1024 * 1024;
	lim.sendq_low = 512u * 1024;
	lim.write_ms = 400;
	t = ts_start(M_FLOOD, &lim, NULL);
	raw_open(f, t, &r);
	for (i = 0; i < 200; i++)
		raw_frame(&r, 9, (uint32_t)i, NULL, 0);
	assert_int_equal(wait_atomic(&t->nclose_err, 1, 5000), 1);
	ts_last_msg(t, msg, sizeof(msg));
	assert_non_null(strstr(msg, "read nothing"));
	/* 200 answers would be 100 MiB: far fewer were queued at once */
	assert_true(atomic_load(&t->maxq) <= lim.sendq_high + FLOOD_BYTES +
	    1024 * 1024 + 64);
	assert_true(atomic_load(&t->nframes) < 200);
	raw_close(&r);
	/* and a client that reads is served in full */
	assert_int_equal(rpc_call(f->rpc, t->addr, t->id->pk, 9, NULL, 0,
	    3000, &resp, NULL), 0);
	assert_int_equal(resp.len, FLOOD_BYTES);
	frame_free(&resp);
	ts_stop(t);
}

/* Servers that lie are left: an answer to a question not asked ends the
 * connection (DZ_EFORMAT), and an answer over the client's frame limit too
 * (DZ_ERANGE); a server that answers and closes in order delivers its
 * answer first. */
static void
test_lying_servers(void **state)
{
	struct fx *f = *state;
	struct conn_limits lim;
	struct dz_errmsg em = {{0}};
	struct frame resp;
	struct rpc *small;
	struct tsrv *t;
	uint8_t big[2000] = {0};

	t = ts_start(M_BADREQID, NULL, NULL);
	assert_int_equal(rpc_call(f->rpc, t->addr, t->id->pk, 1, "x", 1, 3000,
	    &resp, &em), DZ_EFORMAT);
	assert_non_null(strstr(em.text, "no question"));
	ts_stop(t);

	t = ts_start(M_ECHO, NULL, NULL);
	conn_limits_default(&lim);
	lim.max_frame = 1024;
	assert_int_equal(rpc_new(f->cli, &lim, &small, NULL), 0);
	assert_int_equal(rpc_call(small, t->addr, t->id->pk, 1, big,
	    sizeof(big), 3000, &resp, &em), DZ_ERANGE);
	rpc_free(small);
	ts_stop(t);

	t = ts_start(M_CLOSE_AFTER, NULL, NULL);
	echo_ok(f, t, 50000);
	echo_ok(f, t, 10); /* a new connection: the old one was closed */
	assert_int_equal(wait_atomic(&t->nclose, 2, 2000), 2);
	assert_int_equal(atomic_load(&t->nclose_err), 0);
	ts_stop(t);
}

/* The overall deadline of a call ends it with DZ_EIO on time, and the
 * connection it used is closed. A refused connection fails at once. */
static void
test_rpc_deadline(void **state)
{
	struct fx *f = *state;
	struct dz_errmsg em = {{0}};
	struct frame resp;
	struct tsrv *t = ts_start(M_SILENT, NULL, NULL);
	char addr[32];
	uint64_t t0 = now_ms();
	long ms;

	assert_int_equal(rpc_call(f->rpc, t->addr, t->id->pk, 1, "x", 1, 300,
	    &resp, &em), DZ_EIO);
	ms = (long)(now_ms() - t0);
	assert_true(ms >= 250 && ms < 3000);
	assert_non_null(strstr(em.text, "deadline"));
	assert_int_equal(wait_atomic(&t->nclose, 1, 2000), 1);
	snprintf(addr, sizeof(addr), "%s", t->addr);
	ts_stop(t);
	/* nobody listens there any more */
	assert_int_equal(rpc_call(f->rpc, addr, NULL, 1, "x", 1, 3000, &resp,
	    &em), DZ_ECONNECT);
	assert_non_null(strstr(em.text, "connect"));
}

struct many {
	const uint8_t *want;
	size_t len;
};

static int
accept_echo(void *arg, size_t i, struct frame *resp)
{
	struct many *m = arg;

	(void)i;
	return resp->len == m->len && memcmp(resp->body, m->want, m->len) == 0;
}

/* Of five servers, two answer right, one answers garbage and two never
 * answer: with want = 2 the call returns the two good answers well before
 * its deadline, rejects the garbage if it came first, and closes the
 * connections of the silent two. */
static void
test_call_many(void **state)
{
	struct fx *f = *state;
	enum tmode modes[5] = {M_SILENT, M_GARBAGE, M_ECHO, M_SILENT, M_ECHO};
	struct tsrv *t[5];
	struct rpc_req q[5];
	struct dz_errmsg em = {{0}};
	struct many m;
	uint8_t body[4096];
	uint64_t t0;
	size_t kept, i;

	randombytes_buf(body, sizeof(body));
	m.want = body;
	m.len = sizeof(body);
	for (i = 0; i < 5; i++) {
		t[i] = ts_start(modes[i], NULL, NULL);
		memset(&q[i], 0, sizeof(q[i]));
		q[i].addr = t[i]->addr;
		q[i].pk = t[i]->id->pk;
		q[i].type = 3;
		q[i].body = body;
		q[i].len = sizeof(body);
	}
	t0 = now_ms();
	if (rpc_call_many(f->rpc, q, 5, 2, 5000, accept_echo, &m, &kept,
	    &em) != 0)
		fail_msg("call_many: %s", em.text);
	assert_true(now_ms() - t0 < 3000);
	assert_int_equal(kept, 2);
	assert_int_equal(q[2].status, RPC_KEPT);
	assert_int_equal(q[4].status, RPC_KEPT);
	assert_true(q[1].status == RPC_REJECTED ||
	    q[1].status == RPC_CANCELLED);
	assert_int_equal(q[0].status, RPC_CANCELLED);
	assert_int_equal(q[3].status, RPC_CANCELLED);
	/* the silent ones were hung up on (maybe before they read the
	 * question: the answers can be that quick) */
	assert_int_equal(wait_atomic(&t[0]->nclose, 1, 2000), 1);
	assert_int_equal(wait_atomic(&t[3]->nclose, 1, 2000), 1);
	/* want 3 of these five cannot be had: DZ_ETOOFEW, on the deadline */
	t0 = now_ms();
	assert_int_equal(rpc_call_many(f->rpc, q, 5, 3, 400, accept_echo, &m,
	    &kept, &em), DZ_ETOOFEW);
	assert_true(now_ms() - t0 < 3000);
	assert_int_equal(kept, 2);
	assert_int_equal(q[1].status, RPC_REJECTED);
	assert_int_equal(q[0].status, DZ_EIO);
	/* want all of echo, garbage, echo: out of reach as soon as the
	 * garbage is rejected, yet both good answers are still had */
	q[0] = q[2];
	q[2] = q[4];
	assert_int_equal(rpc_call_many(f->rpc, q, 3, 3, 5000, accept_echo, &m,
	    &kept, &em), DZ_ETOOFEW);
	assert_int_equal(kept, 2);
	assert_int_equal(q[0].status, RPC_KEPT);
	assert_int_equal(q[1].status, RPC_REJECTED);
	assert_int_equal(q[2].status, RPC_KEPT);
	/* a straggler: two echo at once, the third never answers; with
	 * soft = 2 it gets a short grace, not the 10 s deadline */
	q[1] = q[2];
	q[2].addr = t[0]->addr;
	q[2].pk = t[0]->id->pk;
	t0 = now_ms();
	assert_int_equal(rpc_call_many_grace(f->rpc, q, 3, 3, 2, 200, 10000,
	    accept_echo, &m, &kept, &em), DZ_ETOOFEW);
	assert_true(now_ms() - t0 < 3000);
	assert_int_equal(kept, 2);
	assert_int_equal(q[0].status, RPC_KEPT);
	assert_int_equal(q[1].status, RPC_KEPT);
	assert_int_equal(q[2].status, DZ_EIO);
	assert_int_equal(rpc_call_many_grace(f->rpc, q, 3, 2, 3, 200, 10000,
	    accept_echo, &m, &kept, &em), DZ_EINVAL);
	for (i = 0; i < 5; i++)
		ts_stop(t[i]);
}

/* A body sent in two parts (a copied prefix, then borrowed bytes, as a
 * client sends a fragment) arrives as one: the echo is both, in order;
 * a prefix larger than CONN_PREFIX_MAX is refused before anything goes
 * out. */
static void
test_prefix_body(void **state)
{
	struct fx *f = *state;
	struct tsrv *t = ts_start(M_ECHO, NULL, f->cid->pk);
	static uint8_t body[300000], whole[36 + 300000];
	uint8_t pre[CONN_PREFIX_MAX + 1];
	struct rpc_req q = {0};
	struct many m;
	size_t kept;

	randombytes_buf(pre, sizeof(pre));
	randombytes_buf(body, sizeof(body));
	memcpy(whole, pre, 36);
	memcpy(whole + 36, body, sizeof(body));
	m.want = whole;
	m.len = sizeof(whole);
	q.addr = t->addr;
	q.pk = t->id->pk;
	q.type = 2;
	q.prefix = pre;
	q.prefix_len = 36;
	q.body = body;
	q.len = sizeof(body);
	assert_int_equal(rpc_call_many(f->rpc, &q, 1, 1, 5000, accept_echo, &m,
	    &kept, NULL), 0);
	assert_int_equal(q.status, RPC_KEPT);
	/* a prefix alone */
	m.len = 36;
	q.len = 0;
	q.body = NULL;
	assert_int_equal(rpc_call_many(f->rpc, &q, 1, 1, 5000, accept_echo, &m,
	    &kept, NULL), 0);
	q.prefix_len = CONN_PREFIX_MAX + 1;
	assert_int_equal(rpc_call_many(f->rpc, &q, 1, 1, 5000, accept_echo, &m,
	    &kept, NULL), DZ_ETOOFEW);
	assert_int_equal(q.status, DZ_EINVAL);
	ts_stop(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_pinned),
		cmocka_unit_test(test_first_contact),
		cmocka_unit_test(test_prefix_body),
		cmocka_unit_test(test_unknown_client_refused),
		cmocka_unit_test(test_wrong_server_key),
		cmocka_unit_test(test_s_client_refused),
		cmocka_unit_test(test_garbage_bytes),
		cmocka_unit_test(test_bad_frame_len),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_conn_limit),
		cmocka_unit_test(test_unproven_evicted),
		cmocka_unit_test(test_nonreading_client),
		cmocka_unit_test(test_lying_servers),
		cmocka_unit_test(test_rpc_deadline),
		cmocka_unit_test(test_call_many),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
