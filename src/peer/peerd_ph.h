/*
 * peerd_ph: the peer's placeholders (docs/trading.md, "Earning"). Offered
 * space that holds no fragment is filled with placeholder blocks
 * (core/phblock.h) made from the coordinator's seed for this peer, in
 * DIR/placeholders/, blocks 0..n-1, one file each; the coordinator is told
 * n (PH_CLAIM) and checks blocks at random (PH_PROVE), so the space earns
 * only while it is really kept. One block's room is left free for arriving
 * fragments, and blocks are given up (highest first) as fragments fill the
 * offer: every heartbeat re-reckons how many fit. Making a block is slow
 * on purpose; it runs in the pool, one block at a time.
 */
#ifndef DZ_PEERD_PH_H
#define DZ_PEERD_PH_H

#include <stdatomic.h>
#include <stdint.h>

#include <uv.h>

#include "core/err.h"
#include "net/frame.h"
#include "net/proto.h"

struct peerd;
struct pwork;
struct conn;

struct pph {
	char *dir;               /* DIR/placeholders */
	int have_seed;
	uint8_t seed[PROTO_PH_SEEDBYTES];
	uint32_t block, rounds;
	uint32_t seed_reqid, claim_reqid;
	const struct conn *asked_on; /* the connection those went on */
	uint64_t nblocks;        /* blocks 0..nblocks-1 kept (loop thread) */
	atomic_uint_fast64_t bytes; /* nblocks x block, for the offer */
	uint64_t claimed;        /* the count the coordinator last took */
	uint64_t claim_sent;     /* the count in the PH_CLAIM in flight */
	int claim_known;
	int refused;             /* no seed on this connection */
	int busy;                /* a work item is in the pool */
	uv_work_t req;
	/* the work item's input and result */
	uint64_t w_target, w_n;
	int w_rc;
};

/* peerd_ph_init: make DIR/placeholders. 0 or a dz_err with em. */
int peerd_ph_init(struct peerd *p, struct dz_errmsg *em) DZ_MUST_CHECK;

/* peerd_ph_free: release the state (nothing in the pool). */
void peerd_ph_free(struct peerd *p);

/* peerd_ph_tick: after each heartbeat: ask for the seed, re-reckon the
 * blocks, tell the coordinator the count. Loop thread. */
void peerd_ph_tick(struct peerd *p);

/* peerd_ph_reply: a frame from the coordinator answering one of ours?
 * Handled (1) or not (0). */
int peerd_ph_reply(struct peerd *p, struct frame *f);

/* peerd_ph_prove: the worker half of PH_PROVE (w->m.ph_prove): the
 * proof of the block asked for, in w->rep. */
int peerd_ph_prove(struct pwork *w);

#endif
