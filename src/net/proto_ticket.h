/*
 * proto_ticket: the placement ticket, the coordinator's signed permission
 * for one peer to store one fragment (docs/protocol.md, "Placement
 * tickets"; docs/trading.md, "Tickets"). Included by proto.h: PLACE_REP
 * carries one per peer, FRAG_PUT carries the one it was given. Signing and
 * checking are net/ticket.h's; this is only the shape.
 *
 * Wire form, PROTO_TICKET_BYTES (157):
 *   version u8 (1) | account[16] | name[32] | size u32 (1..PROTO_FRAG_MAX)
 *   | peer pk[32] | expires u64 (coordinator's clock, seconds since the
 *   epoch) | sig[64]
 * account is a keyed hash of the account id (BLAKE2b-128, key known only
 * to the coordinator): it binds the ticket to one account without telling
 * the peer which. sig is the coordinator's Ed25519 node key over
 * PROTO_TICKET_LABEL || the 93 bytes before sig.
 */
#ifndef DZ_PROTO_TICKET_H
#define DZ_PROTO_TICKET_H

#include <stdint.h>

#define PROTO_TICKET_VERSION 1
#define PROTO_TICKET_ACCTBYTES 16
#define PROTO_TICKET_SIGNED (1 + 16 + 32 + 4 + 32 + 8)  /* before sig */
#define PROTO_TICKET_BYTES (PROTO_TICKET_SIGNED + 64)
#define PROTO_TICKET_LABEL "drizzle ticket v1"           /* 17 bytes */

struct proto_ticket {
	uint8_t version;
	uint8_t account[PROTO_TICKET_ACCTBYTES];
	uint8_t name[32];
	uint32_t size;
	uint8_t peer[32];
	uint64_t expires;
	uint8_t sig[64];
};

#endif
