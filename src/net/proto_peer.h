/*
 * proto_peer: the bodies of the messages a storage peer sends to its
 * coordinator (PEER_REGISTER, PEER_HEARTBEAT) and serves to clients and
 * the coordinator (FRAG_PUT, FRAG_GET, FRAG_HAS, AUDIT, GC_FILTER), with
 * their typed codecs and helpers. Included by proto.h after the client's
 * message bodies; the bounds they use (PROTO_FRAG_MAX, PROTO_HAS_MAX, ...)
 * are proto.h's, the visitors proto_peer.c's, listed in proto.c's table.
 * Not for what a peer does with them: src/peer/.
 */
#ifndef DZ_PROTO_PEER_H
#define DZ_PROTO_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "core/err.h"

/* PEER_REGISTER: addr text (as in peeraddr) | capacity u64 | used u64 |
 * flags u32 (PROTO_PEER_* bits only, else DZ_EFORMAT) | owner text (0..
 * PROTO_USER_MAX bytes of the user charset; empty: none) | device pk[32] |
 * issued u64 | sig[64]. owner, device, issued and sig are the peer's
 * binding to the account it runs for (net/pbind.h): device's signature
 * over {peer key, coordinator key, issued, owner}; with an empty owner
 * they are ignored (send zeros). The coordinator admits a peer only with
 * a binding by a device key currently bound to owner, or as an operator
 * (datacentre flag) peer whose key its operator listed. Reply:
 * PEER_REGISTER_REP (empty). */
struct proto_peer_register {
	char addr[PROTO_ADDR_MAX + 1];
	uint64_t capacity;
	uint64_t used;
	uint32_t flags;
	char owner[PROTO_USER_MAX + 1];
	uint8_t device[PROTO_PKBYTES];
	uint64_t issued;
	uint8_t sig[64];
};

/* PEER_HEARTBEAT: capacity u64 | used u64 | nfrags u64.
 * Reply: PEER_HEARTBEAT_REP (empty). */
struct proto_peer_heartbeat {
	uint64_t capacity;
	uint64_t used;
	uint64_t nfrags;
};

/* FRAG_PUT: name[32] | has_ticket u8 (0 or 1) | ticket (if has_ticket) |
 * data (u32 length 1..PROTO_FRAG_MAX, points into the input). Reply:
 * FRAG_PUT_REP (empty), sent only after fsync. A peer refuses one
 * without a valid ticket (ticket.h); has_ticket 0 exists so that such a
 * refusal is a clear DZ_EDENIED, not a parse error. */
#define PROTO_FRAG_PUT_PREFIX (PROTO_NAMEBYTES + 1 + PROTO_TICKET_BYTES + 4)
struct proto_frag_put {
	uint8_t name[PROTO_NAMEBYTES];
	uint8_t has_ticket;
	struct proto_ticket ticket;
	const uint8_t *data;
	size_t len;
};

/* FRAG_GET: name[32]. */
struct proto_frag_get {
	uint8_t name[PROTO_NAMEBYTES];
};

/* FRAG_GET_REP: data (u32 length 1..PROTO_FRAG_MAX, points into the
 * input). */
struct proto_frag_get_rep {
	const uint8_t *data;
	size_t len;
};

/* FRAG_HAS: nnames u16 (<= 255) | nnames x name[32] (points into the
 * input). */
struct proto_frag_has {
	uint16_t nnames;
	const uint8_t (*names)[PROTO_NAMEBYTES];
};

/* FRAG_HAS_REP: count u16 (<= 255) | ceil(count / 8) bytes of bitmap, bit
 * i (byte i / 8, value 1 << (i % 8)) set if the peer holds name i; the
 * unused high bits of the last byte must be zero (else DZ_EFORMAT). */
struct proto_frag_has_rep {
	uint16_t count;
	uint8_t bits[(PROTO_HAS_MAX + 7) / 8];
};

/* AUDIT: name[32] | leaf u32 (< PROTO_AUDIT_MAXLEAVES). */
struct proto_audit {
	uint8_t name[PROTO_NAMEBYTES];
	uint32_t leaf;
};

/* AUDIT_REP: nleaves u32 (1..PROTO_AUDIT_MAXLEAVES) |
 * block (u32 length 1..MERKLE_BLOCK) | npath u16 (<= MERKLE_MAXPATH) |
 * npath x hash[32]. block and path point into the input; feed them to
 * merkle_verify with the leaf asked for. */
struct proto_audit_rep {
	uint32_t nleaves;
	const uint8_t *block;
	size_t block_len;
	uint16_t npath;
	const uint8_t (*path)[MERKLE_HASHBYTES];
};

/* GC_FILTER (coordinator -> peer, only from the peer's pinned
 * coordinator): created u64 (the coordinator's clock, seconds, when it
 * began reading the peer's locations) | protect u32 (<=
 * PROTO_GC_PROTECT_MAX) | lo u16 | hi u16 (lo <= hi) | filter (u32
 * length, a bloom.h encoding that bloom_view accepts, else DZ_ERANGE /
 * DZ_EFORMAT; points into the input). The peer deletes every fragment
 * whose name's first two bytes (big-endian) are in lo..hi, that the
 * filter does not hold, and whose file is older than protect seconds by
 * the peer's own clock. Reply: GC_FILTER_REP. */
struct proto_gc_filter {
	uint64_t created;
	uint32_t protect;
	uint16_t lo, hi;
	const uint8_t *filter;
	size_t filter_len;
};

/* GC_FILTER_REP: examined u64 (fragments in lo..hi) | deleted u64 |
 * freed u64 (bytes given back to the capacity). */
struct proto_gc_filter_rep {
	uint64_t examined;
	uint64_t deleted;
	uint64_t freed;
};

/* Typed codecs (as the per-message codecs in proto.h). */
/* PROTO_PEER_REGISTER */
int proto_peer_register_encode(const struct proto_peer_register *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_peer_register_decode(const uint8_t *buf, size_t len, struct proto_peer_register *m) DZ_MUST_CHECK;
/* PROTO_PEER_HEARTBEAT */
int proto_peer_heartbeat_encode(const struct proto_peer_heartbeat *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_peer_heartbeat_decode(const uint8_t *buf, size_t len, struct proto_peer_heartbeat *m) DZ_MUST_CHECK;
/* PROTO_FRAG_PUT */
int proto_frag_put_encode(const struct proto_frag_put *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_frag_put_decode(const uint8_t *buf, size_t len, struct proto_frag_put *m) DZ_MUST_CHECK;
/* PROTO_FRAG_GET */
int proto_frag_get_encode(const struct proto_frag_get *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_frag_get_decode(const uint8_t *buf, size_t len, struct proto_frag_get *m) DZ_MUST_CHECK;
/* PROTO_FRAG_GET_REP */
int proto_frag_get_rep_encode(const struct proto_frag_get_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_frag_get_rep_decode(const uint8_t *buf, size_t len, struct proto_frag_get_rep *m) DZ_MUST_CHECK;
/* PROTO_FRAG_HAS */
int proto_frag_has_encode(const struct proto_frag_has *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_frag_has_decode(const uint8_t *buf, size_t len, struct proto_frag_has *m) DZ_MUST_CHECK;
/* PROTO_FRAG_HAS_REP */
int proto_frag_has_rep_encode(const struct proto_frag_has_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_frag_has_rep_decode(const uint8_t *buf, size_t len, struct proto_frag_has_rep *m) DZ_MUST_CHECK;
/* PROTO_AUDIT */
int proto_audit_encode(const struct proto_audit *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_audit_decode(const uint8_t *buf, size_t len, struct proto_audit *m) DZ_MUST_CHECK;
/* PROTO_AUDIT_REP */
int proto_audit_rep_encode(const struct proto_audit_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_audit_rep_decode(const uint8_t *buf, size_t len, struct proto_audit_rep *m) DZ_MUST_CHECK;
/* PROTO_GC_FILTER */
int proto_gc_filter_encode(const struct proto_gc_filter *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_gc_filter_decode(const uint8_t *buf, size_t len, struct proto_gc_filter *m) DZ_MUST_CHECK;
/* PROTO_GC_FILTER_REP */
int proto_gc_filter_rep_encode(const struct proto_gc_filter_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_gc_filter_rep_decode(const uint8_t *buf, size_t len, struct proto_gc_filter_rep *m) DZ_MUST_CHECK;

/* proto_frag_put_prefix: the bytes of a FRAG_PUT body before its data
 * (name, the ticket, the data's length), for senders that send the
 * fragment from where it lies (rpc_req.prefix); the body is these bytes
 * followed by the len bytes of data. */
void proto_frag_put_prefix(uint8_t out[static PROTO_FRAG_PUT_PREFIX],
    const uint8_t name[static PROTO_NAMEBYTES], const struct proto_ticket *t,
    uint32_t len);

/* proto_has_bit: 1 if bit i of a FRAG_HAS_REP is set, 0 if not or if
 * i >= m->count. proto_has_set sets bit i (i < PROTO_HAS_MAX). */
int proto_has_bit(const struct proto_frag_has_rep *m, size_t i);
void proto_has_set(struct proto_frag_has_rep *m, size_t i);


#endif
