/*
 * proto_know: the body of WHATDOYOUKNOW's reply (type 0x0821, reply
 * 0x8821; docs/protocol.md, "What the coordinator knows"): everything the
 * coordinator stores about the asking account and the peers it owns, so
 * that the privacy policy can be checked by the user it is about.
 * Included by proto.h, whose visitor table (proto.c) encodes and decodes
 * it with the visitor in proto_know.c.
 *
 * The request is empty and needs a connection bound to an account. The
 * reply carries no secret: the coordinator holds none (the wrapped master
 * key is only sized here, never sent back by this request), and no record
 * content, record id or fragment name of the account (counts and sizes
 * only).
 */
#ifndef DZ_PROTO_KNOW_H
#define DZ_PROTO_KNOW_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/pwkey.h"

#define PROTO_KNOW_DEVICES_MAX 64 /* device keys listed (PROTO_DEVICES_MAX) */
#define PROTO_KNOW_PEERS_MAX 64   /* owned peers listed */

/* One device key: pk[32] | bound u64 | seen u64 (0: never). */
struct proto_know_dev {
	uint8_t pk[32];
	uint64_t bound, seen;
};

/*
 * One owned peer (a row of peers whose owner is the account):
 * pk[32] | addr text (0..63 bytes of the addr charset) | capacity u64 |
 * used u64 | first_seen u64 | last_heartbeat u64 | hb_seen u64 |
 * hb_expected u64 | left_at u64 (0: has not said it left) | flags u32 |
 * online u8 (0/1) | state u8 (<= 3, proto_audit.h) | passed u64 |
 * wrong u64 | missing u64 | timeout u64 | last_reason u8 (<= 3) |
 * last_name[32] | last_at u64 | audits_kept u32 (audit history rows kept
 * for it) | held u64 (fragment copies located on it, all accounts) |
 * held_bytes u64.
 */
struct proto_know_peer {
	uint8_t pk[32];
	char addr[63 + 1];
	uint64_t capacity, used;
	uint64_t first_seen, last_heartbeat;
	uint64_t hb_seen, hb_expected;
	uint64_t left_at;
	uint32_t flags;
	uint8_t online, state;
	uint64_t passed, wrong, missing, timeout;
	uint8_t last_reason;
	uint8_t last_name[32];
	uint64_t last_at;
	uint32_t audits_kept;
	uint64_t held, held_bytes;
};

/*
 * WHATDOYOUKNOW_REP:
 *   user text (1..64, user charset) | created u64 |
 *   kdf: alg u8 | opslimit u64 | memlimit u64 (pwkey_params_check) |
 *   salt[16] | keyfile_bytes u32 (size of the stored wrapped key file) |
 *   login_pk[32] | hint text (0..256) |
 *   used u64 | quota u64 | earned u64 |
 *   records u64 | record_bytes u64 | tombstones u64 |
 *   objects u64 | fragments u64 | fragment_bytes u64 | copies u64 |
 *   failed_logins u32 (failures counted against the account now, in
 *   memory only) |
 *   ndev u16 (<= 64) | ndev x device | npeers u16 (<= 64) | npeers x peer.
 * Copied: the struct holds everything (about 17 KB: heap it).
 */
struct proto_whatdoyouknow_rep {
	char user[64 + 1];
	uint64_t created;
	struct pwkey_params params;
	uint8_t salt[PWKEY_SALTBYTES];
	uint32_t keyfile_bytes;
	uint8_t login_pk[32];
	char hint[256 + 1];
	uint64_t used, quota, earned;
	uint64_t records, record_bytes, tombstones;
	uint64_t objects, fragments, fragment_bytes, copies;
	uint32_t failed_logins;
	uint16_t ndev;
	struct proto_know_dev dev[PROTO_KNOW_DEVICES_MAX];
	uint16_t npeers;
	struct proto_know_peer peer[PROTO_KNOW_PEERS_MAX];
};

struct wbuf;
int proto_whatdoyouknow_rep_encode(const struct proto_whatdoyouknow_rep *m,
    struct wbuf *w) DZ_MUST_CHECK;
int proto_whatdoyouknow_rep_decode(const uint8_t *buf, size_t len,
    struct proto_whatdoyouknow_rep *m) DZ_MUST_CHECK;

#endif
