/*
 * proto_audit: the bodies of the audit and reputation messages (type range
 * 0x0701..0x070F, replies 0x87xx; docs/protocol.md, "Audits"). Included by
 * proto.h, whose visitor table (proto.c) encodes and decodes them; not for
 * the AUDIT request itself (proto.h, beside the other peer requests).
 */
#ifndef DZ_PROTO_AUDIT_H
#define DZ_PROTO_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PROTO_NEWS_MAX 16   /* failed audits per AUDIT_NEWS_REP */
#define PROTO_REPORT_MAX 64 /* peers per PEER_REPORT_REP */

/* Peer states (peers.state; docs/protocol.md "Audits"). */
enum proto_peer_state {
	PROTO_PEER_VETTING = 0,      /* new: a limited share of placements */
	PROTO_PEER_TRUSTED = 1,
	PROTO_PEER_SUSPENDED = 2,    /* no placements; holds count unhealthy */
	PROTO_PEER_DISQUALIFIED = 3, /* never placed again */
};

/* Why an audit failed (0: it passed). */
enum proto_audit_reason {
	PROTO_AUDIT_PASSED = 0,
	PROTO_AUDIT_WRONG = 1,   /* a proof that does not verify, or the peer
	                            found its copy damaged */
	PROTO_AUDIT_MISSING = 2, /* the peer does not have the fragment */
	PROTO_AUDIT_TIMEOUT = 3, /* no proof within the deadline */
};
#define PROTO_AUDIT_REASON_MAX 3

/* AUDIT_NEWS (peer -> coordinator, on the peer's own key): after u64 (the
 * last seq this peer has seen; 0: none). Reply AUDIT_NEWS_REP. */
struct proto_audit_news {
	uint64_t after;
};

/* One failed audit: seq u64 | at u64 (seconds since the epoch) |
 * name[32] | reason u8 (1..PROTO_AUDIT_REASON_MAX). */
struct proto_audit_fail {
	uint64_t seq;
	uint64_t at;
	uint8_t name[32];
	uint8_t reason;
};

/* AUDIT_NEWS_REP: state u8 (<= 3) | count u16 (<= PROTO_NEWS_MAX) |
 * count x proto_audit_fail, oldest first, every seq > after. */
struct proto_audit_news_rep {
	uint8_t state;
	uint16_t count;
	struct proto_audit_fail fail[PROTO_NEWS_MAX];
};

/* One peer's audit record in PEER_REPORT_REP: pk[32] | state u8 (<= 3) |
 * online u8 (0/1) | passed u64 | wrong u64 | missing u64 | timeout u64 |
 * window u16 | window_failed u16 (<= window) | hb_seen u64 |
 * hb_expected u64 | last_reason u8 (0: no failure yet) | last_name[32] |
 * last_at u64. */
struct proto_peer_rec {
	uint8_t pk[32];
	uint8_t state;
	uint8_t online;
	uint64_t passed, wrong, missing, timeout;
	uint16_t window, window_failed;
	uint64_t hb_seen, hb_expected;
	uint8_t last_reason;
	uint8_t last_name[32];
	uint64_t last_at;
};

/* PEER_REPORT (client -> coordinator, empty): the audit records of the
 * peers whose declared owner is the connection's account. Reply
 * PEER_REPORT_REP: count u16 (<= PROTO_REPORT_MAX) | count x
 * proto_peer_rec. */
struct proto_peer_report_rep {
	uint16_t count;
	struct proto_peer_rec peer[PROTO_REPORT_MAX];
};

struct wbuf;
int proto_audit_news_encode(const struct proto_audit_news *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_audit_news_decode(const uint8_t *buf, size_t len, struct proto_audit_news *m) DZ_MUST_CHECK;
int proto_audit_news_rep_encode(const struct proto_audit_news_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_audit_news_rep_decode(const uint8_t *buf, size_t len, struct proto_audit_news_rep *m) DZ_MUST_CHECK;
int proto_peer_report_rep_encode(const struct proto_peer_report_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_peer_report_rep_decode(const uint8_t *buf, size_t len, struct proto_peer_report_rep *m) DZ_MUST_CHECK;

/* proto_peer_state_name: "vetting", "trusted", ... ("?" if unknown). */
const char *proto_peer_state_name(unsigned state);

/* proto_audit_reason_name: "wrong data", "missing", "timeout" ("passed"
 * for 0, "?" if unknown). */
const char *proto_audit_reason_name(unsigned reason);

#endif
