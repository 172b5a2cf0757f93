/*
 * proto: the bodies of Drizzle's wire messages, and their strict codecs.
 *
 * A frame (frame.h) carries a u16 type and an opaque body; this module says
 * what each type's body is. For every message there is a C struct, an
 * encoder proto_<msg>_encode() and a strict decoder proto_<msg>_decode(),
 * plus generic proto_encode() / proto_decode() keyed by the type number for
 * dispatch tables and the fuzz target. Byte tables, bounds, the login and
 * passwd transcripts and the privacy rule are in docs/protocol.md.
 *
 * Type numbers are part of the format and never reused: requests are
 * 0x0100..0x7fff, grouped by 0x100 per subsystem; the reply to request T is
 * T | 0x8000 (PROTO_REPLY); two replies answer any request: PROTO_ERROR
 * (0x8000) and, for the compare-and-swap record writes, PROTO_CONFLICT
 * (0x8001). Request numbers 0x0000..0x00ff are reserved so that no request
 * has those as its reply.
 *
 * Wire conventions: integers little-endian; a text string is a u16 length
 * and that many bytes (no NUL on the wire); a byte string (blob) is a u32
 * length and its bytes; a list is a u16 count (u32 for FRAGS_COMMIT) and
 * its entries; fixed-size fields (keys, hashes, signatures, the keyfile)
 * are their bytes with no length.
 *
 * Decoding is strict and never allocates: a buffer that ends early is
 * DZ_ETRUNC; a byte left over is DZ_EFORMAT; a count, length or integer
 * outside its documented bound is DZ_ERANGE, judged before the count or
 * length is used to read anything; a text string with a NUL, a control
 * character or a byte outside its charset is DZ_EFORMAT. A decoder accepts
 * exactly one encoding of each message: decode then encode gives back the
 * same bytes. Decoded data lives in two places, as each struct says:
 *   - fixed-size fields, integers, text strings (NUL-terminated) and lists
 *     of entries that contain text are COPIED into the struct's arrays;
 *   - blobs, lists of 32-byte hashes and lists of fixed-size records are
 *     POINTERS INTO THE INPUT BUFFER (const, valid while it lives), with a
 *     count that the decoder has checked against the input's length, so
 *     no index below the count can read past the input.
 * On any decoding failure the struct is zeroed.
 *
 * Encoding checks the struct against the same rules first and writes
 * nothing unless the whole body is valid and fits: DZ_EINVAL for a field
 * the decoder would refuse (pointer fields may be NULL only with count 0),
 * DZ_ERANGE if the body does not fit in the wbuf (or the wbuf's sticky
 * error if it is already set). Encoders append to the wbuf.
 *
 * Not for framing, connections or policy: whether a request is allowed,
 * whether a signature verifies or a reply answers the question asked
 * (PLACE's peer count, FRAG_HAS's bit count, FRAGS_LOCATE's name count) is
 * the caller's to judge.
 */
#ifndef DZ_PROTO_H
#define DZ_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/bloom.h"
#include "core/cursor.h"
#include "core/err.h"
#include "core/keyfile.h"
#include "core/merkle.h"
#include "core/pwkey.h"
#include "net/proto_audit.h"
#include "net/proto_ticket.h"

/* Message types (u16, the frame's type field). */
#define PROTO_REPLY(t) ((uint16_t)((t) | 0x8000))
enum proto_type {
	PROTO_ERROR = 0x8000,           /* reply to any request */
	PROTO_CONFLICT = 0x8001,        /* reply to REC_PUT, REC_DEL */

	/* Accounts, client -> coordinator */
	PROTO_SIGNUP = 0x0101,
	PROTO_PRELOGIN = 0x0102,
	PROTO_LOGIN = 0x0103,
	PROTO_LOGOUT = 0x0104,
	PROTO_PASSWD = 0x0105,
	PROTO_DEVICES = 0x0106,
	PROTO_DEVICE_REVOKE = 0x0107,
	/* Placement and fragment locations, client -> coordinator */
	PROTO_PLACE = 0x0201,
	PROTO_FRAGS_COMMIT = 0x0202,
	PROTO_FRAGS_LOCATE = 0x0203,
	PROTO_OBJ_DELETE = 0x0204,
	/* Encrypted records, client -> coordinator */
	PROTO_REC_PUT = 0x0301,
	PROTO_REC_GET = 0x0302,
	PROTO_REC_LIST = 0x0303,
	PROTO_REC_DEL = 0x0304,
	/* Account status, client -> coordinator */
	PROTO_STATUS = 0x0401,
	/* Peers, peer -> coordinator */
	PROTO_PEER_REGISTER = 0x0501,
	PROTO_PEER_HEARTBEAT = 0x0502,
	PROTO_PEER_LEAVE = 0x0503,     /* empty: stopping, count me offline */
	/* Fragments, client (AUDIT: coordinator) -> peer */
	PROTO_FRAG_PUT = 0x0601,
	PROTO_FRAG_GET = 0x0602,
	PROTO_FRAG_HAS = 0x0603,
	PROTO_AUDIT = 0x0604,
	/* Audits and reputation (proto_audit.h): peer, client -> coordinator */
	PROTO_AUDIT_NEWS = 0x0701,
	PROTO_PEER_REPORT = 0x0702,
	/* Clean-up, coordinator -> peer (docs/protocol.md, "Clean-up") */
	PROTO_GC_FILTER = 0x0711,
	/* Health of stored objects, client -> coordinator */
	PROTO_OBJ_HEALTH = 0x0731,
	/* What the coordinator knows about the account (proto_know.h) */
	PROTO_WHATDOYOUKNOW = 0x0821,  /* empty */
	/* Storage credit (proto_credit.h): client, peer -> coordinator;
	 * PH_PROVE coordinator -> peer */
	PROTO_CREDIT = 0x0831,
	PROTO_QUOTA = 0x0832,
	PROTO_PH_SEED = 0x0833,
	PROTO_PH_CLAIM = 0x0834,
	PROTO_PH_PROVE = 0x0835,

	PROTO_SIGNUP_REP = 0x8101,
	PROTO_PRELOGIN_REP = 0x8102,
	PROTO_LOGIN_REP = 0x8103,
	PROTO_LOGOUT_REP = 0x8104,
	PROTO_PASSWD_REP = 0x8105,
	PROTO_DEVICES_REP = 0x8106,
	PROTO_DEVICE_REVOKE_REP = 0x8107,
	PROTO_PLACE_REP = 0x8201,
	PROTO_FRAGS_COMMIT_REP = 0x8202,
	PROTO_FRAGS_LOCATE_REP = 0x8203,
	PROTO_OBJ_DELETE_REP = 0x8204,
	PROTO_REC_PUT_REP = 0x8301,
	PROTO_REC_GET_REP = 0x8302,
	PROTO_REC_LIST_REP = 0x8303,
	PROTO_REC_DEL_REP = 0x8304,
	PROTO_STATUS_REP = 0x8401,
	PROTO_PEER_REGISTER_REP = 0x8501,
	PROTO_PEER_HEARTBEAT_REP = 0x8502,
	PROTO_PEER_LEAVE_REP = 0x8503, /* empty */
	PROTO_FRAG_PUT_REP = 0x8601,
	PROTO_FRAG_GET_REP = 0x8602,
	PROTO_FRAG_HAS_REP = 0x8603,
	PROTO_AUDIT_REP = 0x8604,
	PROTO_AUDIT_NEWS_REP = 0x8701,
	PROTO_PEER_REPORT_REP = 0x8702,
	PROTO_GC_FILTER_REP = 0x8711,
	PROTO_OBJ_HEALTH_REP = 0x8731,
	PROTO_WHATDOYOUKNOW_REP = 0x8821,
	PROTO_CREDIT_REP = 0x8831,
	PROTO_QUOTA_REP = 0x8832,     /* empty */
	PROTO_PH_SEED_REP = 0x8833,
	PROTO_PH_CLAIM_REP = 0x8834,  /* empty */
	PROTO_PH_PROVE_REP = 0x8835,
};

/* Sizes of fixed fields. */
#define PROTO_PKBYTES 32        /* Ed25519 public key (node or login key) */
#define PROTO_SIGBYTES 64       /* Ed25519 signature */
#define PROTO_IDBYTES 32        /* object or record id */
#define PROTO_NAMEBYTES MERKLE_HASHBYTES /* fragment name (Merkle root) */
#define PROTO_CHALLENGEBYTES 32

/* Bounds (all checked by decoders and encoders alike). */
#define PROTO_USER_MAX 64       /* account name: 1..64 bytes of [a-z0-9._-] */
#define PROTO_HINT_MAX 256      /* password hint: UTF-8, no control chars */
#define PROTO_ADDR_MAX 63       /* "ip:port": fits a NETADDR_STRMAX buffer */
#define PROTO_ERRMSG_MAX 255    /* ERROR text: fits a struct dz_errmsg */
#define PROTO_PLACE_MAX 255     /* PLACE: n, exclusions, peers returned */
#define PROTO_COMMIT_MAX 65536  /* FRAGS_COMMIT entries per message */
#define PROTO_LOCATE_MAX 255    /* FRAGS_LOCATE names per message */
#define PROTO_LOCATE_MAXLOCS 16 /* locations returned per name */
#define PROTO_REC_MAX (16u * 1024 * 1024) /* record blob; frames are 17 MiB */
#define PROTO_RECLIST_MAX 4096  /* REC_LIST entries per page */
#define PROTO_HAS_MAX 255       /* FRAG_HAS names per message */
/* Fragment bytes in FRAG_PUT / FRAG_GET: a fragment of the largest sealed
 * segment (FRAG_MAXSEG = 64 MiB + 64) at k = 4 is 16 MiB + 32 bytes with
 * its header, so any k >= 4 fits (static assertion in proto.c). */
#define PROTO_FRAG_MAX (16u * 1024 * 1024 + 4096)
/* A fragment has at most this many Merkle leaves (1025). */
#define PROTO_AUDIT_MAXLEAVES \
	((PROTO_FRAG_MAX + MERKLE_BLOCK - 1) / MERKLE_BLOCK)

/* PEER_REGISTER flags; other bits must be zero. */
#define PROTO_PEER_DATACENTRE 0x1u
#define PROTO_PEER_FLAGS_KNOWN PROTO_PEER_DATACENTRE

/* Signed transcripts (docs/protocol.md). */
#define PROTO_LOGIN_LABEL "drizzle login v1"   /* 16 bytes, no NUL */
#define PROTO_PASSWD_LABEL "drizzle passwd v1" /* 17 bytes, no NUL */
#define PROTO_LOGIN_TBYTES (16 + 3 * 32)
#define PROTO_PASSWD_TBYTES (17 + 3 * 32)

/* GC_FILTER bounds: a peer keeps any fragment younger than protect
 * seconds, at most PROTO_GC_PROTECT_MAX (30 days); the filter is a
 * bloom.h encoding of at most BLOOM_HDRBYTES + BLOOM_MAXBITS / 8 bytes. */
#define PROTO_GC_PROTECT_MAX (30u * 24 * 3600)
#define PROTO_GC_FILTER_MAX (BLOOM_HDRBYTES + BLOOM_MAXBITS / 8)

/* ---- Message bodies ---------------------------------------------------- */

/* An empty body: LOGOUT, STATUS and the replies that mean "done"
 * (SIGNUP_REP, LOGOUT_REP, PASSWD_REP, FRAGS_COMMIT_REP, OBJ_DELETE_REP,
 * REC_DEL_REP, PEER_REGISTER_REP, PEER_HEARTBEAT_REP, FRAG_PUT_REP), and
 * PEER_LEAVE with its reply PEER_LEAVE_REP. */
struct proto_empty {
	uint8_t unused; /* C has no empty structs; never on the wire */
};

/* ERROR: code i32 | message text. code is a dz_err, so negative. */
struct proto_error {
	int32_t code;
	char message[PROTO_ERRMSG_MAX + 1];
};

/* CONFLICT: current_version u64: the record's version now (0: it does not
 * exist). The compare-and-swap failed; re-read, merge, retry. */
struct proto_conflict {
	uint64_t current_version;
};

/* SIGNUP: user text | keyfile[KEYFILE_BYTES] | login_pk[32] | hint text.
 * The keyfile is opaque here (the coordinator parses it with keyfile_parse
 * for its KDF parameters). Reply: SIGNUP_REP (empty). */
struct proto_signup {
	char user[PROTO_USER_MAX + 1];
	uint8_t keyfile[KEYFILE_BYTES];
	uint8_t login_pk[PROTO_PKBYTES];
	char hint[PROTO_HINT_MAX + 1];
};

/* PRELOGIN: user text. */
struct proto_prelogin {
	char user[PROTO_USER_MAX + 1];
};

/* PRELOGIN_REP: alg u8 | opslimit u64 | memlimit u64 | salt[16] |
 * challenge[32] | hint text. params must pass pwkey_params_check (else
 * DZ_EVERSION or DZ_ERANGE), so a coordinator cannot make a client spend
 * unbounded time or memory on Argon2. The wrapped key is not here. */
struct proto_prelogin_rep {
	struct pwkey_params params;
	uint8_t salt[PWKEY_SALTBYTES];
	uint8_t challenge[PROTO_CHALLENGEBYTES];
	char hint[PROTO_HINT_MAX + 1];
};

/* LOGIN: user text | sig[64], an Ed25519 signature by the login key over
 * the login transcript (proto_login_transcript). */
struct proto_login {
	char user[PROTO_USER_MAX + 1];
	uint8_t sig[PROTO_SIGBYTES];
};

/* LOGIN_REP: keyfile[KEYFILE_BYTES] (the wrapped master key). */
struct proto_login_rep {
	uint8_t keyfile[KEYFILE_BYTES];
};

/* PASSWD: keyfile[KEYFILE_BYTES] | login_pk[32] | sig[64] by the OLD login
 * key over the passwd transcript (proto_passwd_transcript), whose
 * challenge comes from a fresh PRELOGIN | flags u8 (PROTO_PASSWD_*; other
 * bits zero) | hint text (the new hint with PROTO_PASSWD_HINT, else
 * empty). Without PROTO_PASSWD_KEEP_DEVICES every other device key of the
 * account is unbound in the same update. Reply: PASSWD_REP (empty). */
#define PROTO_PASSWD_KEEP_DEVICES 0x1u
#define PROTO_PASSWD_HINT 0x2u
#define PROTO_PASSWD_FLAGS_KNOWN (PROTO_PASSWD_KEEP_DEVICES | PROTO_PASSWD_HINT)
struct proto_passwd {
	uint8_t keyfile[KEYFILE_BYTES];
	uint8_t login_pk[PROTO_PKBYTES];
	uint8_t sig[PROTO_SIGBYTES];
	uint8_t flags;
	char hint[PROTO_HINT_MAX + 1];
};

/* DEVICES (empty body, from a bound connection) -> DEVICES_REP:
 * count u16 (<= PROTO_DEVICES_MAX) | count x {pk[32] | bound u64 |
 * seen u64} (seconds since the epoch; seen 0: never), in order of bound. */
#define PROTO_DEVICES_MAX 64
struct proto_device {
	uint8_t pk[PROTO_PKBYTES];
	uint64_t bound;
	uint64_t seen;
};
struct proto_devices_rep {
	uint16_t count;
	struct proto_device dev[PROTO_DEVICES_MAX];
};

/* DEVICE_REVOKE: pk[32], a device key of the connection's account, which
 * is unbound (DZ_ENOENT if it is not one). Reply: DEVICE_REVOKE_REP
 * (empty). */
struct proto_device_revoke {
	uint8_t pk[PROTO_PKBYTES];
};

/* A peer and where to reach it (PLACE_REP, FRAGS_LOCATE_REP):
 * pk[32] | addr text (1..63 bytes of [0-9a-fA-F.:[]], e.g. "10.0.0.7:7000"
 * or "[::1]:7000"; netaddr_parse judges the rest). */
struct proto_peeraddr {
	uint8_t pk[PROTO_PKBYTES];
	char addr[PROTO_ADDR_MAX + 1];
};

/* PLACE: n u8 (1..255) | frag_size u32 (1..PROTO_FRAG_MAX) |
 * n x name[32] (the fragments to place, one per peer asked for) |
 * nexclude u16 (<= 255) | nexclude x pk[32] | k u8. names and exclude
 * point into the input. k: the segment's code (its first PLACE: the quota is checked
 * for k x frag_size more bytes, the segment's size counted once), 0 for a
 * further PLACE of a segment already checked (the quota must not be
 * exceeded already). */
struct proto_place {
	uint8_t n;
	uint32_t frag_size;
	const uint8_t (*names)[PROTO_NAMEBYTES];
	uint16_t nexclude;
	const uint8_t (*exclude)[PROTO_PKBYTES];
	uint8_t k;
};

/* PLACE_REP: npeers u16 (<= 255) | npeers x {peeraddr | ticket}
 * (copied): ticket i lets peer i store name i of the PLACE. */
struct proto_place_rep {
	uint16_t npeers;
	struct proto_peeraddr peers[PROTO_PLACE_MAX];
	struct proto_ticket tickets[PROTO_PLACE_MAX];
};

/* One FRAGS_COMMIT entry, PROTO_COMMIT_ENTBYTES on the wire:
 * seg u64 | index u8 (< the message's n) | name[32] |
 * size u32 (1..PROTO_FRAG_MAX) | peer pk[32]. */
#define PROTO_COMMIT_ENTBYTES (8 + 1 + 32 + 4 + 32)
struct proto_commit_ent {
	uint64_t seg;
	uint8_t index;
	uint8_t name[PROTO_NAMEBYTES];
	uint32_t size;
	uint8_t peer[PROTO_PKBYTES];
};

/* FRAGS_COMMIT: object_id[32] | k u8 | n u8 (1 <= k < n) |
 * threshold u8 (0, or k < threshold <= n) |
 * nentries u32 (<= 65536) | nentries x entry (PROTO_COMMIT_ENTBYTES each,
 * wire form). entries points into the input: read entry i with
 * proto_frags_commit_ent; an encoder builds the array with
 * proto_commit_ent_put. k, n and threshold let the coordinator judge
 * repair (it repairs a segment with fewer than threshold healthy
 * fragments; 0: its own default); one object may be committed in several
 * messages (entries accumulate). An entry whose peer is all zero names a
 * fragment that could not be placed: the coordinator records it as
 * missing, for repair. */
struct proto_frags_commit {
	uint8_t object_id[PROTO_IDBYTES];
	uint8_t k, n;
	uint8_t threshold;
	uint32_t nentries;
	const uint8_t *entries;
};

/* FRAGS_LOCATE: nnames u16 (<= 255) | nnames x name[32] (points into the
 * input). */
struct proto_frags_locate {
	uint16_t nnames;
	const uint8_t (*names)[PROTO_NAMEBYTES];
};

/* FRAGS_LOCATE_REP: nnames u16 (<= 255) | per name, in request order:
 * nlocs u16 (<= 16) | nlocs x peeraddr. Copied: the struct is about
 * 400 KB, so allocate it on the heap. */
struct proto_frags_locate_rep {
	uint16_t nnames;
	struct proto_locs {
		uint16_t nlocs;
		struct proto_peeraddr locs[PROTO_LOCATE_MAXLOCS];
	} names[PROTO_LOCATE_MAX];
};

/* OBJ_DELETE: object_id[32]. Reply: OBJ_DELETE_REP (empty). */
struct proto_obj_delete {
	uint8_t object_id[PROTO_IDBYTES];
};

/* REC_PUT: id[32] (not all zero: that id starts REC_LIST) |
 * expected_version u64 (0: create) | blob (u32 length <= PROTO_REC_MAX,
 * points into the input). Reply: REC_PUT_REP or CONFLICT. */
struct proto_rec_put {
	uint8_t id[PROTO_IDBYTES];
	uint64_t expected_version;
	const uint8_t *blob;
	size_t blob_len;
};

/* REC_PUT_REP: version u64 (>= 1), the record's new version. */
struct proto_rec_put_rep {
	uint64_t version;
};

/* REC_GET: id[32]. */
struct proto_rec_get {
	uint8_t id[PROTO_IDBYTES];
};

/* REC_GET_REP: version u64 (>= 1) | blob (u32 length <= PROTO_REC_MAX,
 * points into the input). */
struct proto_rec_get_rep {
	uint64_t version;
	const uint8_t *blob;
	size_t blob_len;
};

/* REC_LIST: after_id[32] (all zero: from the start) |
 * max u32 (1..PROTO_RECLIST_MAX). Lists the account's records with id >
 * after_id (memcmp order); a page shorter than max is the last. */
struct proto_rec_list {
	uint8_t after_id[PROTO_IDBYTES];
	uint32_t max;
};

/* One REC_LIST_REP entry, PROTO_RECLIST_ENTBYTES on the wire:
 * id[32] | version u64 (>= 1) | size u32 (<= PROTO_REC_MAX). */
#define PROTO_RECLIST_ENTBYTES (32 + 8 + 4)
struct proto_reclist_ent {
	uint8_t id[PROTO_IDBYTES];
	uint64_t version;
	uint32_t size;
};

/* REC_LIST_REP: nentries u16 (<= 4096) | entries (wire form, ids strictly
 * increasing, else DZ_EFORMAT). entries points into the input: read entry
 * i with proto_rec_list_rep_ent; build with proto_reclist_ent_put. */
struct proto_rec_list_rep {
	uint16_t nentries;
	const uint8_t *entries;
};

/* REC_DEL: id[32] | expected_version u64 (>= 1). Reply: REC_DEL_REP
 * (empty) or CONFLICT. */
struct proto_rec_del {
	uint8_t id[PROTO_IDBYTES];
	uint64_t expected_version;
};

/* STATUS_REP: used u64 | quota u64 | earned u64 (bytes, this account) |
 * peers_online u32 | peers_total u32 (online <= total) |
 * default_k u8 | default_n u8 (the coordinator's default erasure code for
 * new files, 1 <= k < n <= 255, else DZ_ERANGE). */
struct proto_status_rep {
	uint64_t used;
	uint64_t quota;
	uint64_t earned;
	uint32_t peers_online;
	uint32_t peers_total;
	uint8_t default_k;
	uint8_t default_n;
};

/* What peers serve and report (PEER_*, FRAG_*, AUDIT, GC_FILTER):
 * net/proto_peer.h. */
#include "net/proto_peer.h"
/* Health of stored objects (0x0731..): net/proto_health.h. */
#include "net/proto_health.h"
/* What the coordinator knows (0x0821..): net/proto_know.h. */
#include "net/proto_know.h"
/* Storage credit (0x0831..): net/proto_credit.h. */
#include "net/proto_credit.h"

/* ---- Generic codec ----------------------------------------------------- */

/*
 * proto_decode: strictly decode the len bytes of buf (borrowed; pointer
 * fields of *msg point into it) as the body of a message of this type into
 * msg, which must be the type's struct (proto_msg_size bytes). Returns 0,
 * DZ_EFORMAT (unknown type, trailing bytes, bad characters or flags),
 * DZ_ETRUNC, DZ_ERANGE (a count, length or value out of bounds) or
 * DZ_EVERSION (PRELOGIN_REP: unknown KDF); *msg is zeroed on failure.
 * DZ_EINVAL if buf is NULL with len > 0.
 */
int proto_decode(uint16_t type, const uint8_t *buf, size_t len, void *msg)
	DZ_MUST_CHECK;

/*
 * proto_encode: append the body of message msg (the type's struct) to w.
 * Returns 0, DZ_EINVAL (unknown type or a field the decoder would refuse),
 * DZ_ERANGE (does not fit; w is unchanged) or w's earlier error.
 */
int proto_encode(uint16_t type, const void *msg, struct wbuf *w)
	DZ_MUST_CHECK;

/* proto_encoded_len: the exact body length proto_encode would write, in
 * *len. Returns 0 or DZ_EINVAL as proto_encode. */
int proto_encoded_len(uint16_t type, const void *msg, size_t *len)
	DZ_MUST_CHECK;

/* proto_msg_size: sizeof the struct of this type's body, 0 if the type is
 * unknown. */
size_t proto_msg_size(uint16_t type);

/* proto_type_name: "SIGNUP", "REC_PUT_REP", ... or NULL if unknown. */
const char *proto_type_name(uint16_t type);

/* proto_type_at: the i-th known type (i < proto_type_count()), in table
 * order; 0 past the end. For tests, fuzzers and dispatch tables. */
size_t proto_type_count(void);
uint16_t proto_type_at(size_t i);

/* ---- Per-message codecs ------------------------------------------------ */

/*
 * Each pair below is proto_encode / proto_decode for one type, typed: the
 * encoder appends the body to w (0, DZ_EINVAL, DZ_ERANGE), the decoder
 * parses exactly len bytes of buf into *m (0, DZ_ETRUNC, DZ_EFORMAT,
 * DZ_ERANGE; *m zeroed on failure). The body layouts and bounds are the
 * comments above each struct.
 */

/* proto_empty_*: any empty body (decode: len must be 0). */
int proto_empty_encode(struct wbuf *w) DZ_MUST_CHECK;
int proto_empty_decode(const uint8_t *buf, size_t len) DZ_MUST_CHECK;

/* PROTO_ERROR */
int proto_error_encode(const struct proto_error *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_error_decode(const uint8_t *buf, size_t len, struct proto_error *m) DZ_MUST_CHECK;
/* PROTO_CONFLICT */
int proto_conflict_encode(const struct proto_conflict *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_conflict_decode(const uint8_t *buf, size_t len, struct proto_conflict *m) DZ_MUST_CHECK;
/* PROTO_SIGNUP */
int proto_signup_encode(const struct proto_signup *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_signup_decode(const uint8_t *buf, size_t len, struct proto_signup *m) DZ_MUST_CHECK;
/* PROTO_PRELOGIN */
int proto_prelogin_encode(const struct proto_prelogin *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_prelogin_decode(const uint8_t *buf, size_t len, struct proto_prelogin *m) DZ_MUST_CHECK;
/* PROTO_PRELOGIN_REP */
int proto_prelogin_rep_encode(const struct proto_prelogin_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_prelogin_rep_decode(const uint8_t *buf, size_t len, struct proto_prelogin_rep *m) DZ_MUST_CHECK;
/* PROTO_LOGIN */
int proto_login_encode(const struct proto_login *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_login_decode(const uint8_t *buf, size_t len, struct proto_login *m) DZ_MUST_CHECK;
/* PROTO_LOGIN_REP */
int proto_login_rep_encode(const struct proto_login_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_login_rep_decode(const uint8_t *buf, size_t len, struct proto_login_rep *m) DZ_MUST_CHECK;
/* PROTO_PASSWD */
int proto_passwd_encode(const struct proto_passwd *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_passwd_decode(const uint8_t *buf, size_t len, struct proto_passwd *m) DZ_MUST_CHECK;
/* PROTO_PLACE */
int proto_place_encode(const struct proto_place *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_place_decode(const uint8_t *buf, size_t len, struct proto_place *m) DZ_MUST_CHECK;
/* PROTO_PLACE_REP */
int proto_place_rep_encode(const struct proto_place_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_place_rep_decode(const uint8_t *buf, size_t len, struct proto_place_rep *m) DZ_MUST_CHECK;
/* PROTO_FRAGS_COMMIT */
int proto_frags_commit_encode(const struct proto_frags_commit *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_frags_commit_decode(const uint8_t *buf, size_t len, struct proto_frags_commit *m) DZ_MUST_CHECK;
/* PROTO_FRAGS_LOCATE */
int proto_frags_locate_encode(const struct proto_frags_locate *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_frags_locate_decode(const uint8_t *buf, size_t len, struct proto_frags_locate *m) DZ_MUST_CHECK;
/* PROTO_FRAGS_LOCATE_REP */
int proto_frags_locate_rep_encode(const struct proto_frags_locate_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_frags_locate_rep_decode(const uint8_t *buf, size_t len, struct proto_frags_locate_rep *m) DZ_MUST_CHECK;
/* PROTO_OBJ_DELETE */
int proto_obj_delete_encode(const struct proto_obj_delete *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_obj_delete_decode(const uint8_t *buf, size_t len, struct proto_obj_delete *m) DZ_MUST_CHECK;
/* PROTO_REC_PUT */
int proto_rec_put_encode(const struct proto_rec_put *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_rec_put_decode(const uint8_t *buf, size_t len, struct proto_rec_put *m) DZ_MUST_CHECK;
/* PROTO_REC_PUT_REP */
int proto_rec_put_rep_encode(const struct proto_rec_put_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_rec_put_rep_decode(const uint8_t *buf, size_t len, struct proto_rec_put_rep *m) DZ_MUST_CHECK;
/* PROTO_REC_GET */
int proto_rec_get_encode(const struct proto_rec_get *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_rec_get_decode(const uint8_t *buf, size_t len, struct proto_rec_get *m) DZ_MUST_CHECK;
/* PROTO_REC_GET_REP */
int proto_rec_get_rep_encode(const struct proto_rec_get_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_rec_get_rep_decode(const uint8_t *buf, size_t len, struct proto_rec_get_rep *m) DZ_MUST_CHECK;
/* PROTO_REC_LIST */
int proto_rec_list_encode(const struct proto_rec_list *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_rec_list_decode(const uint8_t *buf, size_t len, struct proto_rec_list *m) DZ_MUST_CHECK;
/* PROTO_REC_LIST_REP */
int proto_rec_list_rep_encode(const struct proto_rec_list_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_rec_list_rep_decode(const uint8_t *buf, size_t len, struct proto_rec_list_rep *m) DZ_MUST_CHECK;
/* PROTO_REC_DEL */
int proto_rec_del_encode(const struct proto_rec_del *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_rec_del_decode(const uint8_t *buf, size_t len, struct proto_rec_del *m) DZ_MUST_CHECK;
/* PROTO_STATUS_REP */
int proto_status_rep_encode(const struct proto_status_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_status_rep_decode(const uint8_t *buf, size_t len, struct proto_status_rep *m) DZ_MUST_CHECK;

/* ---- Helpers ------------------------------------------------------------ */

/*
 * The character rules of text fields, for callers that judge input before
 * building a message (the sign-up screen, a peer's configuration). Each
 * returns 1 if the n bytes at s (no NUL needed) obey the rule, else 0;
 * lengths are judged by the codec, not here.
 *   user: [a-z0-9._-]              addr: [0-9a-fA-F.:[]]
 *   text (hint, ERROR): well-formed UTF-8 without control characters (C0,
 *   DEL, C1; so no NUL) and without surrogates or overlong forms
 */
int proto_user_chars_ok(const char *s, size_t n);
int proto_addr_chars_ok(const char *s, size_t n);
int proto_text_chars_ok(const char *s, size_t n);

/* proto_commit_ent_put: write e in wire form into out (one slot of the
 * array that proto_frags_commit.entries points to). */
void proto_commit_ent_put(uint8_t out[static PROTO_COMMIT_ENTBYTES],
    const struct proto_commit_ent *e);

/* proto_frags_commit_ent: entry i of a FRAGS_COMMIT into *e. Returns 0, or
 * DZ_EINVAL if i >= m->nentries (nothing is read then). */
int proto_frags_commit_ent(const struct proto_frags_commit *m, size_t i,
    struct proto_commit_ent *e) DZ_MUST_CHECK;

/* proto_reclist_ent_put: write e in wire form into out (one slot of the
 * array that proto_rec_list_rep.entries points to). */
void proto_reclist_ent_put(uint8_t out[static PROTO_RECLIST_ENTBYTES],
    const struct proto_reclist_ent *e);

/* proto_rec_list_rep_ent: entry i of a REC_LIST_REP into *e. Returns 0, or
 * DZ_EINVAL if i >= m->nentries. */
int proto_rec_list_rep_ent(const struct proto_rec_list_rep *m, size_t i,
    struct proto_reclist_ent *e) DZ_MUST_CHECK;

/*
 * proto_error_make: fill *e with code (made negative: DZ_EINVAL if code is
 * not) and a copy of text (may be NULL) cut to PROTO_ERRMSG_MAX bytes at a
 * character boundary, with each byte that ERROR's rule refuses (control
 * characters, invalid UTF-8) replaced by '?', so the result always
 * encodes. For servers answering with a struct dz_errmsg.
 */
void proto_error_make(struct proto_error *e, int code, const char *text);

/*
 * proto_login_transcript: the bytes a LOGIN signature covers:
 *   "drizzle login v1" (16 bytes) || coordinator_pk[32] ||
 *   client_tls_pk[32] || challenge[32]
 * coordinator_pk is the coordinator's pinned TLS key, client_tls_pk the
 * client's device key shown in its TLS certificate: a signature relayed to
 * another coordinator, or made for another device, does not verify.
 */
void proto_login_transcript(uint8_t out[static PROTO_LOGIN_TBYTES],
    const uint8_t coordinator_pk[static PROTO_PKBYTES],
    const uint8_t client_tls_pk[static PROTO_PKBYTES],
    const uint8_t challenge[static PROTO_CHALLENGEBYTES]);

/*
 * proto_passwd_transcript: the bytes a PASSWD signature covers:
 *   "drizzle passwd v1" (17 bytes) || challenge[32] ||
 *   SHA-256(keyfile[KEYFILE_BYTES]) || new_login_pk[32]
 * keyfile and new_login_pk are the PASSWD message's fields.
 */
void proto_passwd_transcript(uint8_t out[static PROTO_PASSWD_TBYTES],
    const uint8_t challenge[static PROTO_CHALLENGEBYTES],
    const uint8_t keyfile[static KEYFILE_BYTES],
    const uint8_t new_login_pk[static PROTO_PKBYTES]);

#endif
