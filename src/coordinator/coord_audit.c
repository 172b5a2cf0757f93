/*
 * coord_audit: the audit rounds, the reputation they build, and the two
 * requests that show it: AUDIT_NEWS (a peer's own failed audits) and
 * PEER_REPORT (an owner's peers). See coord_audit.h for the rules.
 *
 * A round: the timer fires on the loop; the pool thread lists targets
 * (db_audit_targets), sends the audits in COORD_AUDIT_FRAGS batches (one
 * audit per peer per batch: a peer answers one AUDIT per connection at a
 * time), judges each answer as it arrives, records every outcome and the
 * state it leads to; back on the loop, the failures and state changes are
 * logged and the next round is armed COORD_AUDIT_INTERVAL after this one
 * ended (rounds never overlap, so a slow round delays the next instead
 * of piling up). The struct rpc belongs to the pool thread of the round
 * in flight; the database serialises the two threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coordinator/coord_audit.h"
#include "coordinator/coord_int.h"
#include "coordinator/coord_round.h"
#include "coordinator/db_audit.h"
#include "core/merkle.h"
#include "net/rpc.h"

/* What one audit found, for the log. */
struct audit_out {
	uint8_t reason;       /* PROTO_AUDIT_* */
	uint8_t recorded;     /* db_audit_record succeeded */
	unsigned old_state, new_state;
	struct db_audit_standing st;
};

struct coord_audit {
	struct coord_round r;         /* first: the round driver */
	struct coord *co;
	struct db_audit_target *t;    /* this round's targets ... */
	uint32_t *leaf;               /* ... the leaf asked of each ... */
	struct audit_out *out;        /* ... and what it found */
	size_t nt;
	int rc;                       /* listing failure, for the log */
	struct dz_errmsg em;
};

unsigned
coord_audit_next_state(unsigned old, uint64_t passed, unsigned window_failed,
    unsigned vetting)
{
	if (old == PROTO_PEER_DISQUALIFIED ||
	    window_failed >= COORD_AUDIT_DISQUALIFY)
		return PROTO_PEER_DISQUALIFIED;
	if (window_failed >= COORD_AUDIT_SUSPEND ||
	    (old == PROTO_PEER_SUSPENDED && window_failed > 0))
		return PROTO_PEER_SUSPENDED;
	return passed >= vetting ? PROTO_PEER_TRUSTED : PROTO_PEER_VETTING;
}

/* ---- judging one answer (pool thread) ---- */

struct batch {
	struct coord_audit *a;
	size_t *idx; /* reqs[i] audits a->t[idx[i]] */
};

/* The outcome an ERROR answer stands for. */
static uint8_t
error_reason(const struct frame *f)
{
	struct proto_error e;

	if (proto_error_decode(f->body, f->len, &e) != 0)
		return PROTO_AUDIT_WRONG;
	switch (e.code) {
	case DZ_ENOENT:
		return PROTO_AUDIT_MISSING;
	case DZ_EINTEGRITY: /* it found its own copy damaged */
	case DZ_ERANGE:     /* its copy is shorter than the one recorded */
		return PROTO_AUDIT_WRONG;
	default:            /* busy, failing: no proof came */
		return PROTO_AUDIT_TIMEOUT;
	}
}

static int
judge(void *arg, size_t i, struct frame *resp)
{
	struct batch *b = arg;
	size_t k = b->idx[i];
	const struct db_audit_target *t = &b->a->t[k];
	struct proto_audit_rep r;
	uint8_t reason = PROTO_AUDIT_WRONG;

	if (resp->type == PROTO_ERROR)
		reason = error_reason(resp);
	else if (resp->type == PROTO_AUDIT_REP &&
	    proto_audit_rep_decode(resp->body, resp->len, &r) == 0 &&
	    r.nleaves == merkle_nleaves(t->size) &&
	    merkle_verify(t->name, r.nleaves, b->a->leaf[k], r.block, r.block_len,
	    r.path, r.npath) == 0)
		reason = PROTO_AUDIT_PASSED;
	b->a->out[k].reason = reason;
	return 1;
}

/* Send the audits whose index within their peer's targets is j. */
static void
run_batch(struct coord_audit *a, size_t j)
{
	struct rpc_req *reqs = calloc(a->nt, sizeof(*reqs));
	uint8_t (*body)[PROTO_NAMEBYTES + 4] = calloc(a->nt, sizeof(*body));
	size_t *idx = calloc(a->nt, sizeof(*idx));
	struct dz_errmsg em = {{0}};
	struct batch b = {a, idx};
	size_t m = 0, ord = 0, kept;

	if (reqs == NULL || body == NULL || idx == NULL)
		goto out; /* these audits stay unjudged: "timeout" */
	for (size_t k = 0; k < a->nt; k++) {
		struct proto_audit q;
		struct wbuf w;

		ord = k > 0 && memcmp(a->t[k].peer, a->t[k - 1].peer, DB_IDBYTES) == 0 ?
		    ord + 1 : 0;
		if (ord != j)
			continue;
		memcpy(q.name, a->t[k].name, PROTO_NAMEBYTES);
		q.leaf = a->leaf[k];
		wbuf_init(&w, body[m], sizeof(body[m]));
		if (proto_audit_encode(&q, &w) != 0)
			continue;
		reqs[m].addr = a->t[k].addr;
		reqs[m].pk = a->t[k].peer;
		reqs[m].type = PROTO_AUDIT;
		reqs[m].body = body[m];
		reqs[m].len = w.len;
		idx[m++] = k;
	}
	/* DZ_ETOOFEW when some did not answer in time: those stay at
	 * "timeout", which is what they are */
	if (m > 0 && rpc_call_many(a->r.rpc, reqs, m, m, COORD_AUDIT_DEADLINE_MS,
	    judge, &b, &kept, &em) != 0) {
		/* nothing more to do */
	}
out:
	free(reqs);
	free(body);
	free(idx);
}

static void
audit_work(struct coord_round *r)
{
	struct coord_audit *a = (struct coord_audit *)r;
	struct coord *co = a->co;
	unsigned vetting = co->opts.vetting_audits;

	a->rc = db_audit_targets(co->db, a->r.now - (int64_t)co->opts.peer_timeout,
	    COORD_AUDIT_FRAGS, a->t, COORD_AUDIT_MAXTARGETS, &a->nt, &a->em);
	if (a->rc != 0)
		return;
	for (size_t k = 0; k < a->nt; k++) {
		size_t nl = merkle_nleaves(a->t[k].size);

		/* chosen now, unpredictably: a peer cannot keep only the
		 * leaves it expects to be asked for */
		a->leaf[k] = nl > 1 ? randombytes_uniform((uint32_t)nl) : 0;
		a->out[k].reason = PROTO_AUDIT_TIMEOUT; /* until an answer */
	}
	for (size_t j = 0; j < COORD_AUDIT_FRAGS; j++)
		run_batch(a, j);
	for (size_t k = 0; k < a->nt; k++) {
		struct audit_out *o = &a->out[k];
		struct dz_errmsg em = {{0}};

		if (db_audit_record(co->db, a->t[k].peer, a->t[k].name, o->reason,
		    a->r.now, COORD_AUDIT_WINDOW, &o->st, &em) != 0)
			continue;
		o->recorded = 1;
		o->old_state = o->st.state;
		o->new_state = coord_audit_next_state(o->st.state, o->st.passed,
		    o->st.window_failed, vetting);
		if (o->new_state != o->old_state &&
		    db_audit_set_state(co->db, a->t[k].peer, o->new_state, &em) != 0)
			o->new_state = o->old_state;
	}
}

/* ---- the loop side ---- */

static void
audit_begin(struct coord_round *r)
{
	struct coord_audit *a = (struct coord_audit *)r;

	a->nt = 0;
	a->rc = 0;
	memset(&a->em, 0, sizeof(a->em));
	memset(a->out, 0, COORD_AUDIT_MAXTARGETS * sizeof(*a->out));
}

static void
audit_end(struct coord_round *r)
{
	struct coord_audit *a = (struct coord_audit *)r;
	char ph[IDENT_HEXBYTES], nh[MERKLE_HASHBYTES * 2 + 1];

	if (a->rc != 0) {
		coord_log(a->co, "audit: cannot list what to audit: %s",
		    a->em.text[0] ? a->em.text : dz_strerror(a->rc));
		return;
	}
	for (size_t k = 0; k < a->nt; k++) {
		const struct audit_out *o = &a->out[k];

		if (!o->recorded)
			continue;
		atomic_fetch_add_explicit(o->reason == PROTO_AUDIT_PASSED ?
		    &a->co->ctr.audits_passed : &a->co->ctr.audits_failed, 1,
		    memory_order_relaxed);
		ident_pk_hex(a->t[k].peer, ph);
		merkle_hex(a->t[k].name, nh);
		if (o->reason != PROTO_AUDIT_PASSED)
			coord_log(a->co, "audit failed: peer %.16s fragment %.16s: %s",
			    ph, nh, proto_audit_reason_name(o->reason));
		if (o->new_state != o->old_state)
			coord_log(a->co, "peer %.16s %s: %u of its last %u audits "
			    "failed, %llu passed in all", ph,
			    proto_peer_state_name(o->new_state), o->st.window_failed,
			    COORD_AUDIT_WINDOW, (unsigned long long)o->st.passed);
	}
}

int
coord_audit_start(struct coord *co, struct dz_errmsg *em)
{
	struct coord_audit *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return DZ_ENOMEM;
	a->co = co;
	co->audit = a;
	a->t = calloc(COORD_AUDIT_MAXTARGETS, sizeof(*a->t));
	a->leaf = calloc(COORD_AUDIT_MAXTARGETS, sizeof(*a->leaf));
	a->out = calloc(COORD_AUDIT_MAXTARGETS, sizeof(*a->out));
	if (a->t == NULL || a->leaf == NULL || a->out == NULL)
		return DZ_ENOMEM; /* coord_audit_free releases what was made */
	a->r.begin = audit_begin;
	a->r.run = audit_work;
	a->r.end = audit_end;
	return coord_round_start(&a->r, co, "audit", em);
}

void
coord_audit_stop(struct coord *co)
{
	if (co->audit != NULL)
		coord_round_stop(&co->audit->r);
}

void
coord_audit_free(struct coord *co)
{
	struct coord_audit *a = co->audit;

	if (a == NULL)
		return;
	coord_round_free(&a->r);
	free(a->t);
	free(a->leaf);
	free(a->out);
	free(a);
	co->audit = NULL;
}

/* ---- what peers and owners see ---- */

/* AUDIT_NEWS: the asking peer's failed audits after a sequence number
 * (the peer's TLS key is its id: nobody reads another peer's record). */
int
coord_audit_news(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_audit_news *m = msg;
	struct proto_audit_news_rep *rep;
	int rc;

	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return DZ_ENOMEM;
	if ((rc = db_audit_news(s->co->db, s->pk, m->after, rep, em)) == 0)
		rc = coord_send(s, reqid, PROTO_AUDIT_NEWS_REP, rep);
	free(rep);
	return rc;
}

/* PEER_REPORT: the audit records of the peers the account runs (their
 * owner, verified at registration: coord_admit.c). */
int
coord_peer_report(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	struct proto_peer_report_rep *rep;
	int64_t since = coord_now(s->co) - (int64_t)s->co->opts.peer_timeout;
	int rc;

	(void)msg;
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return DZ_ENOMEM;
	if ((rc = db_audit_report(s->co->db, s->account, since, COORD_AUDIT_WINDOW,
	    rep, em)) == 0)
		rc = coord_send(s, reqid, PROTO_PEER_REPORT_REP, rep);
	free(rep);
	return rc;
}
