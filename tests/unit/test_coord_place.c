/* test_coord_place: peers and placement at the coordinator (coordfix.h).
 * PLACE gives n distinct online peers by free space, honours exclusions,
 * room and the quota, refuses too few (DZ_ETOOFEW), skips peers whose
 * heartbeats stopped (the server's clock is the test's) and places a peer
 * that comes back; it never gives an account the peers that declare it
 * as their owner, bound at registration. A peer that sends PEER_LEAVE is
 * offline at once, and its next heartbeat brings it back. */
#include "coordfix.h"
#include "net/ticket.h"

#define NPEERS 5

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
	/* a ticket each, signed by the coordinator for that peer, name and
	 * size, lasting COORD_TICKET_TTL; not for any other peer, name or
	 * size, nor past its expiry (and the skew forgiven) */
	for (int j = 0; j < 3; j++) {
		const struct proto_ticket *t = &rep->tickets[j];
		int64_t now = T0;

		assert_int_equal(ticket_check(t, s->pk, rep->peers[j].pk,
		    place_names[j], 100, now, NULL), 0);
		assert_int_equal((int64_t)t->expires, now + COORD_TICKET_TTL);
		assert_int_equal(ticket_check(t, s->pk, rep->peers[(j + 1) % 3].pk,
		    place_names[j], 100, now, NULL), DZ_EDENIED);
		assert_int_equal(ticket_check(t, s->pk, rep->peers[j].pk,
		    place_names[(j + 1) % 3], 100, now, NULL), DZ_EDENIED);
		assert_int_equal(ticket_check(t, s->pk, rep->peers[j].pk,
		    place_names[j], 99, now, NULL), DZ_EDENIED);
		assert_int_equal(ticket_check(t, s->pk, rep->peers[j].pk,
		    place_names[j], 100, now + COORD_TICKET_TTL + TICKET_SKEW + 1,
		    NULL), DZ_EDENIED);
		assert_int_equal(ticket_check(t, peers[0]->id->pk, rep->peers[j].pk,
		    place_names[j], 100, now, NULL), DZ_EDENIED);
	}
	/* the same account, the same tag; another account, another tag */
	assert_memory_equal(rep->tickets[0].account, rep->tickets[1].account,
	    PROTO_TICKET_ACCTBYTES);
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
	/* placed and never committed counts until the tickets expire: PLACE
	 * after PLACE cannot store past the quota */
	{
		int placed_ok = 0, rc;

		while ((rc = place(s, a.node, 1, 4000, NULL, 0, rep)) == 0 &&
		    placed_ok < 1000)
			placed_ok++;
		assert_int_equal(rc, DZ_EQUOTA);
		/* 1000000 / 4000, less what this test placed before */
		assert_true(placed_ok >= 240 && placed_ok <= 250);
		atomic_fetch_add(&s->clock, COORD_TICKET_TTL + 1);
		for (int i = 0; i < NPEERS; i++)
			heartbeat(s, peers[i], i);
		assert_int_equal(place(s, a.node, 1, 4000, NULL, 0, rep), 0);
	}

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

/* PLACE never gives an account the peers it runs, even when they have the
 * most room, and refuses (DZ_ETOOFEW) rather than fall back to them;
 * other accounts get them, but only one fragment for all of one
 * account's peers (one owner). Operator peers are each their own owner.
 * Heartbeats keep the owner; registering again as an operator peer drops
 * it. */
static void
test_place_owner(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct cl *peers[NPEERS];
	struct proto_place_rep *rep = calloc(1, sizeof(*rep));
	uint8_t ex[1][32], tag[PROTO_TICKET_ACCTBYTES];
	struct acct alice, bob;

	assert_non_null(rep);
	signup(s, &alice, "alice");
	signup(s, &bob, "bob");
	for (int i = 0; i < NPEERS; i++)
		peers[i] = cl_new();
	/* the two largest peers are alice's */
	register_peer(s, peers[0], 0);
	register_peer(s, peers[1], 1);
	register_peer(s, peers[2], 2);
	register_owned(s, peers[3], 3, &alice);
	register_owned(s, peers[4], 4, &alice);

	/* alice: never peers 3 and 4, so at most three */
	assert_int_equal(place(s, alice.node, 3, 100, NULL, 0, rep), 0);
	assert_int_equal(rep->npeers, 3);
	memcpy(tag, rep->tickets[0].account, sizeof(tag));
	assert_memory_equal(rep->peers[0].pk, peers[2]->id->pk, 32);
	assert_memory_equal(rep->peers[2].pk, peers[0]->id->pk, 32);
	assert_false(placed(rep, peers[3]) || placed(rep, peers[4]));
	assert_int_equal(place(s, alice.node, 4, 100, NULL, 0, rep), DZ_ETOOFEW);
	memcpy(ex[0], peers[2]->id->pk, 32);
	assert_int_equal(place(s, alice.node, 2, 100, ex, 1, rep), 0);
	assert_memory_equal(rep->peers[0].pk, peers[1]->id->pk, 32);
	assert_memory_equal(rep->peers[1].pk, peers[0]->id->pk, 32);
	/* bob: four owners, one of alice's peers (the roomier) among them;
	 * his tickets carry another account tag than alice's */
	assert_int_equal(place(s, bob.node, 4, 100, NULL, 0, rep), 0);
	assert_memory_not_equal(rep->tickets[0].account, tag, sizeof(tag));
	assert_true(placed(rep, peers[4]));
	assert_false(placed(rep, peers[3]));
	assert_int_equal(place(s, bob.node, 5, 100, NULL, 0, rep), DZ_ETOOFEW);
	/* excluding one of alice's peers (it failed) excludes her as owner */
	memcpy(ex[0], peers[4]->id->pk, 32);
	assert_int_equal(place(s, bob.node, 4, 100, ex, 1, rep), DZ_ETOOFEW);
	/* only alice's peers have room for 3500 bytes: one owner */
	assert_int_equal(place(s, alice.node, 1, 3500, NULL, 0, rep), DZ_ETOOFEW);
	assert_int_equal(place(s, bob.node, 2, 3500, NULL, 0, rep), DZ_ETOOFEW);
	assert_int_equal(place(s, bob.node, 1, 3500, NULL, 0, rep), 0);

	/* heartbeats (a capacity change too) keep the owner */
	atomic_fetch_add(&s->clock, 1);
	heartbeat(s, peers[4], 5);
	assert_int_equal(place(s, alice.node, 4, 100, NULL, 0, rep), DZ_ETOOFEW);
	/* registering again as an operator peer: no longer alice's */
	register_peer(s, peers[3], 3);
	assert_int_equal(place(s, alice.node, 4, 100, NULL, 0, rep), 0);
	assert_true(placed(rep, peers[3]));
	assert_false(placed(rep, peers[4]));

	for (int i = 0; i < NPEERS; i++)
		cl_free(peers[i]);
	cl_free(alice.node);
	cl_free(bob.node);
	free(rep);
}

/* One fragment per network: peers claiming addresses in one IPv4 /24 or
 * one IPv6 /48 count as one; loopback peers (the other tests) are each
 * their own network. */
static void
test_place_prefix(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	static const char *addrs[] = {"10.1.2.3:7000", "10.1.2.200:7001",
		"10.1.3.1:7000", "[2001:db8:1::1]:7000", "[2001:db8:1:ffff::2]:7000",
		"[2001:db8:2::1]:7000"};
	struct cl *peers[6];
	struct proto_place_rep *rep = calloc(1, sizeof(*rep));
	struct proto_peer_register m;
	struct frame r;
	struct acct a;

	assert_non_null(rep);
	signup(s, &a, "alice");
	for (int i = 0; i < 6; i++) {
		peers[i] = cl_new();
		register_msg(s, peers[i], i, NULL, &m);
		snprintf(m.addr, sizeof(m.addr), "%s", addrs[i]);
		call(s, peers[i], PROTO_PEER_REGISTER, &m, &r);
		want(&r, PROTO_PEER_REGISTER_REP, NULL);
		frame_free(&r);
	}
	/* four networks: 10.1.2/24, 10.1.3/24, 2001:db8:1/48, 2001:db8:2/48 */
	assert_int_equal(place(s, a.node, 4, 100, NULL, 0, rep), 0);
	assert_true(placed(rep, peers[2]) && placed(rep, peers[5]));
	assert_true(placed(rep, peers[0]) != placed(rep, peers[1]));
	assert_true(placed(rep, peers[3]) != placed(rep, peers[4]));
	assert_int_equal(place(s, a.node, 5, 100, NULL, 0, rep), DZ_ETOOFEW);
	for (int i = 0; i < 6; i++)
		cl_free(peers[i]);
	cl_free(a.node);
	free(rep);
}

/* Admission, played by clients: no binding, a binding by another
 * account's device, a binding made for another peer, a binding by a key
 * no account has, an unknown account, and an unlisted operator claim
 * are refused; a device unbound (revoked) no longer admits. */
static void
test_admission(void **state)
{
	struct fx *f = *state;
	struct srv *s = &f->s;
	struct cl *p = cl_new(), *q = cl_new(), *u = cl_new_unlisted();
	struct proto_peer_register m;
	struct acct alice, bob, ghost;
	char msg[PROTO_ERRMSG_MAX + 1];
	int64_t id;

	signup(s, &alice, "alice");
	signup(s, &bob, "bob");
	/* no binding, no flag */
	register_msg(s, p, 0, NULL, &m);
	m.flags = 0;
	assert_int_equal(call_code(s, p, PROTO_PEER_REGISTER, &m,
	    PROTO_PEER_REGISTER_REP, NULL, msg), DZ_ENOLOGIN);
	assert_non_null(strstr(msg, "drizzle peer --home"));
	/* bob's device signs for alice */
	register_msg(s, p, 0, &bob, &m);
	snprintf(m.owner, sizeof(m.owner), "alice");
	assert_int_equal(call_code(s, p, PROTO_PEER_REGISTER, &m,
	    PROTO_PEER_REGISTER_REP, NULL, NULL), DZ_EDENIED); /* signature */
	/* alice's binding of peer p, shown by peer q */
	register_msg(s, p, 0, &alice, &m);
	assert_int_equal(call_code(s, q, PROTO_PEER_REGISTER, &m,
	    PROTO_PEER_REGISTER_REP, NULL, NULL), DZ_EDENIED);
	/* a key that is no device of any account; an unknown account */
	memset(&ghost, 0, sizeof(ghost));
	ghost.node = cl_new();
	snprintf(ghost.user, sizeof(ghost.user), "alice");
	register_msg(s, p, 0, &ghost, &m);
	assert_int_equal(call_code(s, p, PROTO_PEER_REGISTER, &m,
	    PROTO_PEER_REGISTER_REP, NULL, msg), DZ_ENOLOGIN);
	snprintf(ghost.user, sizeof(ghost.user), "nobody");
	register_msg(s, p, 0, &ghost, &m);
	assert_int_equal(call_code(s, p, PROTO_PEER_REGISTER, &m,
	    PROTO_PEER_REGISTER_REP, NULL, NULL), DZ_ENOLOGIN);
	/* an operator claim for a key not listed */
	register_msg(s, u, 0, NULL, &m);
	assert_int_equal(call_code(s, u, PROTO_PEER_REGISTER, &m,
	    PROTO_PEER_REGISTER_REP, NULL, msg), DZ_EDENIED);
	assert_non_null(strstr(msg, "--datacentre-keys"));
	/* alice's own binding is admitted, until her device is unbound */
	register_owned(s, p, 0, &alice);
	assert_int_equal(db_key_account(s->co->db, alice.node->id->pk, &id, NULL), 0);
	assert_int_equal(db_key_unbind(s->co->db, id, alice.node->id->pk, NULL), 0);
	register_msg(s, p, 0, &alice, &m);
	assert_int_equal(call_code(s, p, PROTO_PEER_REGISTER, &m,
	    PROTO_PEER_REGISTER_REP, NULL, msg), DZ_ENOLOGIN);
	assert_non_null(strstr(msg, "no longer logged in"));

	cl_free(p);
	cl_free(q);
	cl_free(u);
	cl_free(ghost.node);
	cl_free(alice.node);
	cl_free(bob.node);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_leave, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
