/*
 * coord_credit_ph: placeholders on the coordinator side (docs/trading.md,
 * "Earning"): PH_SEED gives a registered peer its seed (random, kept for
 * the peer's life) with the block size and rounds; PH_CLAIM records how
 * many blocks it says it keeps; every audit interval a round in the pool
 * checks opts.ph_checks random claimed blocks of each online peer: it makes
 * the block itself first (the slow part, before asking), then asks for
 * the proof under a fresh nonce and allows opts.ph_deadline_ms for the
 * answer, less than making the block takes, so only a peer that keeps the
 * block answers in time.
 *
 * Outcomes: every check passed: proven blocks grow to the claim, at most
 * doubling per round (+COORD_PH_GROW), so a lucky pass by a peer keeping
 * only part of its claim gains little; a failed check of block i (wrong,
 * missing, late, unanswered) cuts both claim and proven to i: an honest
 * peer writes blocks in order, so what it lost is a suffix. Rounds never
 * overlap; results are logged on the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coordinator/coord_credit.h"
#include "coordinator/coord_int.h"
#include "coordinator/coord_round.h"
#include "core/phblock.h"
#include "net/rpc.h"

#define COORD_PH_TARGETS 1024 /* peers checked per round, at most */
#define COORD_PH_GROW 8       /* blocks a passing peer gains at least */
#define COORD_PH_CHECKS_MAX 8

struct ph_out {
	uint64_t claimed, proven, failed_at;
	int passed, recorded;
	char why[64];
};

struct coord_ph {
	struct coord_round r; /* first: the round driver */
	struct coord *co;
	struct db_ph_target *t;
	struct ph_out *out;
	size_t nt;
	uint8_t *block;       /* opts.ph_block bytes, the pool's */
};

/* One check of block i of t: 0 passed, else why in out. */
static int
check_one(struct coord_ph *a, const struct db_ph_target *t, uint64_t i,
    char *why, size_t cap)
{
	struct coord *co = a->co;
	struct proto_ph_prove q;
	struct proto_ph_prove_rep r;
	uint8_t want[PHBLOCK_HASHBYTES], body[8 + PROTO_PH_NONCEBYTES];
	struct frame resp = {0};
	struct dz_errmsg em = {{0}};
	struct wbuf w;
	int rc;

	if (t->block != co->opts.ph_block) {
		snprintf(why, cap, "made for another block size");
		return DZ_EFORMAT;
	}
	/* the slow part, before the question: the deadline is the peer's */
	randombytes_buf(q.nonce, sizeof(q.nonce));
	q.index = i;
	if (phblock_make(t->seed, i, co->opts.ph_rounds, a->block, t->block) != 0)
		return DZ_EINVAL;
	phblock_prove(q.nonce, a->block, t->block, want);
	wbuf_init(&w, body, sizeof(body));
	if ((rc = proto_ph_prove_encode(&q, &w)) != 0)
		return rc;
	rc = rpc_call(a->r.rpc, t->addr, t->peer, PROTO_PH_PROVE, body, w.len,
	    co->opts.ph_deadline_ms, &resp, &em);
	if (rc != 0) {
		snprintf(why, cap, "%s", rc == DZ_EIO ? "no proof in time" : dz_strerror(rc));
		return rc;
	}
	if (resp.type == PROTO_ERROR)
		rc = DZ_ENOENT, snprintf(why, cap, "missing");
	else if (resp.type != PROTO_PH_PROVE_REP ||
	    proto_ph_prove_rep_decode(resp.body, resp.len, &r) != 0 ||
	    sodium_memcmp(r.hash, want, sizeof(want)) != 0)
		rc = DZ_EINTEGRITY, snprintf(why, cap, "wrong proof");
	frame_free(&resp);
	return rc;
}

static void
ph_work(struct coord_round *r)
{
	struct coord_ph *a = (struct coord_ph *)r;
	struct coord *co = a->co;
	struct dz_errmsg em;
	unsigned checks = co->opts.ph_checks < COORD_PH_CHECKS_MAX ?
	    co->opts.ph_checks : COORD_PH_CHECKS_MAX;

	if (db_credit_ph_targets(co->db, a->r.now - (int64_t)co->opts.peer_timeout,
	    a->t, COORD_PH_TARGETS, &a->nt, &em) != 0)
		a->nt = 0;
	for (size_t k = 0; k < a->nt; k++) {
		const struct db_ph_target *t = &a->t[k];
		struct ph_out *o = &a->out[k];
		uint64_t grow;

		memset(o, 0, sizeof(*o));
		o->passed = 1;
		o->failed_at = t->claimed;
		for (unsigned c = 0; c < checks; c++) {
			uint64_t i = t->claimed <= UINT32_MAX ?
			    randombytes_uniform((uint32_t)t->claimed) :
			    ((uint64_t)randombytes_random() << 32 | randombytes_random()) %
			    t->claimed;

			if (check_one(a, t, i, o->why, sizeof(o->why)) != 0) {
				o->passed = 0;
				if (i < o->failed_at)
					o->failed_at = i;
			}
		}
		if (o->passed) {
			grow = t->proven > COORD_PH_GROW ? t->proven : COORD_PH_GROW;
			o->claimed = t->claimed;
			o->proven = t->claimed - t->proven > grow ? t->proven + grow :
			    t->claimed;
		} else {
			o->claimed = o->failed_at;
			o->proven = t->proven < o->failed_at ? t->proven : o->failed_at;
		}
		o->recorded = db_credit_ph_result(co->db, t->peer, o->claimed, o->proven,
		    o->passed, &em) == 0;
	}
}

static void
ph_begin(struct coord_round *r)
{
	((struct coord_ph *)r)->nt = 0;
}

static void
ph_end(struct coord_round *r)
{
	struct coord_ph *a = (struct coord_ph *)r;
	char hex[IDENT_HEXBYTES];

	for (size_t k = 0; k < a->nt; k++) {
		const struct ph_out *o = &a->out[k];

		if (!o->recorded || o->passed)
			continue;
		ident_pk_hex(a->t[k].peer, hex);
		coord_log(a->co, "placeholder audit failed: peer %.16s block %llu: %s; "
		    "its claim is cut to %llu blocks", hex,
		    (unsigned long long)o->failed_at, o->why,
		    (unsigned long long)o->claimed);
	}
}

int
coord_ph_start(struct coord *co, struct dz_errmsg *em)
{
	struct coord_ph *a;

	if (co->opts.ph_checks == 0)
		return 0; /* no placeholder audits: placeholders earn nothing */
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return DZ_ENOMEM;
	a->co = co;
	co->ph = a;
	a->t = calloc(COORD_PH_TARGETS, sizeof(*a->t));
	a->out = calloc(COORD_PH_TARGETS, sizeof(*a->out));
	a->block = malloc(co->opts.ph_block);
	if (a->t == NULL || a->out == NULL || a->block == NULL)
		return DZ_ENOMEM; /* coord_ph_free releases what was made */
	a->r.begin = ph_begin;
	a->r.run = ph_work;
	a->r.end = ph_end;
	return coord_round_start(&a->r, co, "placeholder", em);
}

void
coord_ph_stop(struct coord *co)
{
	if (co->ph != NULL)
		coord_round_stop(&co->ph->r);
}

void
coord_ph_free(struct coord *co)
{
	struct coord_ph *a = co->ph;

	if (a == NULL)
		return;
	coord_round_free(&a->r);
	free(a->t);
	free(a->out);
	free(a->block);
	free(a);
	co->ph = NULL;
}

/* ---- requests from peers ---- */

int
coord_ph_seed(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	struct proto_ph_seed_rep rep;
	int rc;

	(void)msg;
	if (s->co->opts.ph_checks == 0)
		return dz_errf(em, DZ_EDENIED, "placeholders are off at this "
		    "coordinator (--placeholder-checks 0): they would earn nothing");
	memset(&rep, 0, sizeof(rep));
	randombytes_buf(rep.seed, sizeof(rep.seed));
	rep.block = s->co->opts.ph_block;
	/* the current block size and rounds: a peer whose blocks were made
	 * with others makes new ones */
	if ((rc = db_credit_ph_seed(s->co->db, s->pk, rep.seed, &rep.block, em)) != 0)
		return rc;
	rep.rounds = s->co->opts.ph_rounds;
	return coord_send(s, reqid, PROTO_PH_SEED_REP, &rep);
}

int
coord_ph_claim(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_ph_claim *m = msg;
	struct proto_empty rep = {0};
	struct db_peer p;
	uint64_t blocks = m->blocks;
	int rc;

	if ((rc = db_peer_get(s->co->db, s->pk, &p, em)) == DZ_ENOENT)
		return dz_errf(em, rc, "unknown peer: send PEER_REGISTER first");
	if (rc != 0)
		return rc;
	/* never more than its offer holds */
	if (blocks > p.capacity / s->co->opts.ph_block)
		blocks = p.capacity / s->co->opts.ph_block;
	if ((rc = db_credit_ph_claim(s->co->db, s->pk, blocks, em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_PH_CLAIM_REP, &rep);
}
