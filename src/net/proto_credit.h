/*
 * proto_credit: the bodies of the storage-credit messages (types
 * 0x0831..0x083F, replies 0x8831..; docs/protocol.md, "Storage credit"):
 * the account's credit and its peers (CREDIT), the quota check before a
 * put (QUOTA), and placeholders (PH_SEED, PH_CLAIM: peer -> coordinator;
 * PH_PROVE: coordinator -> peer). Included by proto.h; the visitors are in
 * proto_credit.c, listed in proto.c's table.
 */
#ifndef DZ_PROTO_CREDIT_H
#define DZ_PROTO_CREDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "core/err.h"

#define PROTO_PH_SEEDBYTES 32
#define PROTO_PH_NONCEBYTES 32
#define PROTO_PH_HASHBYTES 32
#define PROTO_CREDIT_MAXPEERS 64  /* peers of one account listed */
#define PROTO_AVAIL_ONE 65535u    /* availability 1 on the wire */
#define PROTO_PH_BLOCK_MIN 4096u
#define PROTO_PH_BLOCK_MAX (64u << 20)

/* One peer of the account in CREDIT_REP. */
struct proto_credit_peer {
	uint8_t pk[32];
	uint64_t capacity;   /* offered */
	uint64_t proven;     /* counted: held fragments + proven placeholders */
	uint64_t held;       /* bytes of fragments the coordinator placed on it */
	uint64_t earned;     /* proven x availability, 0 below the minimum */
	uint16_t avail;      /* over the window, PROTO_AVAIL_ONE = 1 */
	uint8_t online;      /* 0 or 1 */
	uint8_t state;       /* PROTO_PEER_* trust state */
	uint64_t audits_passed, audits_failed;
	uint32_t ph_block;   /* placeholder block bytes, 0: none yet */
	uint64_t ph_claimed, ph_proven, ph_passed, ph_failed;
};

/* CREDIT: empty. CREDIT_REP: used u64 | earned u64 | quota u64 | base
 * u64 | grant u64 (quota = base + earned + grant, else DZ_ERANGE) |
 * min_avail u16 | window u32 (seconds) | peers_online u32 | peers_total
 * u32 (>= online) | npeers u16 (<= PROTO_CREDIT_MAXPEERS) | npeers x
 * (pk[32] | capacity u64 | proven u64 | held u64 | earned u64 | avail u16
 * | online u8 (0/1) | state u8 (<= 3) | audits_passed u64 | audits_failed
 * u64 | ph_block u32 | ph_claimed u64 | ph_proven u64 (<= claimed) |
 * ph_passed u64 | ph_failed u64). */
struct proto_credit_rep {
	uint64_t used, earned, quota, base, grant;
	uint16_t min_avail;
	uint32_t window;
	uint32_t peers_online, peers_total;
	uint16_t npeers;
	struct proto_credit_peer peers[PROTO_CREDIT_MAXPEERS];
};

/* QUOTA: bytes u64 (what the caller is about to store, plaintext side).
 * Reply QUOTA_REP (empty), or ERROR DZ_EQUOTA saying what would make room. */
struct proto_quota {
	uint64_t bytes;
};

/* PH_SEED: empty (from a registered peer). PH_SEED_REP: seed[32] | block
 * u32 (PROTO_PH_BLOCK_MIN..MAX, a multiple of 64) | rounds u32 (>= 1). */
struct proto_ph_seed_rep {
	uint8_t seed[PROTO_PH_SEEDBYTES];
	uint32_t block;
	uint32_t rounds;
};

/* PH_CLAIM: blocks u64 (the peer keeps placeholder blocks 0..blocks-1).
 * Reply PH_CLAIM_REP (empty). */
struct proto_ph_claim {
	uint64_t blocks;
};

/* PH_PROVE (coordinator -> peer): index u64 | nonce[32]. PH_PROVE_REP:
 * hash[32] = BLAKE2b-256 keyed with nonce over the whole block. */
struct proto_ph_prove {
	uint64_t index;
	uint8_t nonce[PROTO_PH_NONCEBYTES];
};
struct proto_ph_prove_rep {
	uint8_t hash[PROTO_PH_HASHBYTES];
};

int proto_credit_rep_encode(const struct proto_credit_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_credit_rep_decode(const uint8_t *buf, size_t len, struct proto_credit_rep *m) DZ_MUST_CHECK;
int proto_quota_encode(const struct proto_quota *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_quota_decode(const uint8_t *buf, size_t len, struct proto_quota *m) DZ_MUST_CHECK;
int proto_ph_seed_rep_encode(const struct proto_ph_seed_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_ph_seed_rep_decode(const uint8_t *buf, size_t len, struct proto_ph_seed_rep *m) DZ_MUST_CHECK;
int proto_ph_claim_encode(const struct proto_ph_claim *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_ph_claim_decode(const uint8_t *buf, size_t len, struct proto_ph_claim *m) DZ_MUST_CHECK;
int proto_ph_prove_encode(const struct proto_ph_prove *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_ph_prove_decode(const uint8_t *buf, size_t len, struct proto_ph_prove *m) DZ_MUST_CHECK;
int proto_ph_prove_rep_encode(const struct proto_ph_prove_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_ph_prove_rep_decode(const uint8_t *buf, size_t len, struct proto_ph_prove_rep *m) DZ_MUST_CHECK;

#endif
