/* test_coord_store: what the coordinator stores for an account
 * (coordfix.h). FRAGS_COMMIT / FRAGS_LOCATE / OBJ_DELETE stay within an
 * account, and fragment names are each account's own: a squatter's
 * earlier commit of a name blocks nothing and its deletion removes
 * nothing of the owner's. Records are compare-and-swap (CONFLICT with the
 * current version), listed in id order, and count toward used and the
 * quota (DZ_EQUOTA), a replacement charged the difference. */
#include "coordfix.h"

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
		grant(s, &a, e.name, e.size, e.peer);
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
	assert_int_equal(st.used, 200); /* one 2-of-3 segment: 2 x 100, once */

	/* another account sees nothing */
	call(s, b.node, PROTO_FRAGS_LOCATE, &fl, &r);
	want(&r, PROTO_FRAGS_LOCATE_REP, lr);
	frame_free(&r);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lr->names[i].nlocs, 0);

	/* a location without a placement ticket: refused */
	memset(&e, 0, sizeof(e));
	memset(e.name, 0x55, 32);
	e.size = 1;
	memcpy(e.peer, peers[1]->id->pk, 32);
	proto_commit_ent_put(ents, &e);
	fc.nentries = 1;
	call(s, a.node, PROTO_FRAGS_COMMIT, &fc, &r);
	want_error(&r, DZ_EDENIED);
	/* another account's ticket does not count either */
	grant(s, &b, e.name, e.size, e.peer);
	call(s, a.node, PROTO_FRAGS_COMMIT, &fc, &r);
	want_error(&r, DZ_EDENIED);
	/* the ticket's size, not another */
	grant(s, &a, e.name, 2, e.peer);
	call(s, a.node, PROTO_FRAGS_COMMIT, &fc, &r);
	want_error(&r, DZ_EDENIED);
	/* an expired one (beyond the commit grace) */
	grant(s, &a, e.name, 1, e.peer);
	atomic_fetch_add(&s->clock, 2 * COORD_TICKET_TTL + 1);
	call(s, a.node, PROTO_FRAGS_COMMIT, &fc, &r);
	want_error(&r, DZ_EDENIED);
	atomic_fetch_sub(&s->clock, 2 * COORD_TICKET_TTL + 1);
	/* a location on a peer that never registered, ticketed */
	memset(e.peer, 0xee, 32);
	proto_commit_ent_put(ents, &e);
	grant(s, &a, e.name, e.size, e.peer);
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

/* ---- storage hardening: names, records in the quota ---- */

/* Commit one fragment name of object obj on peer p for account c. */
static int
commit_one(struct srv *s, const struct acct *a, uint8_t obj,
    const uint8_t name[32], uint32_t size, const struct cl *p)
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
	grant(s, a, name, size, p->id->pk);
	return call_code(s, a->node, PROTO_FRAGS_COMMIT, &fc,
	    PROTO_FRAGS_COMMIT_REP, NULL, NULL);
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
	assert_int_equal(commit_one(s, &m, 0xbb, name, 1, evil), 0);
	assert_int_equal(commit_one(s, &a, 0x07, name, 100, honest), 0);
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
	grant(s, a, e.name, e.size, e.peer);
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
		cmocka_unit_test_setup_teardown(test_frags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_squat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_obj_health, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
