/*
 * ticket: placement tickets signed and checked (the shape is
 * net/proto_ticket.h; the rules are docs/trading.md, "Tickets").
 *
 * The coordinator signs one ticket per placement it makes (PLACE, and its
 * own repair worker): it binds an account (as a keyed hash), a fragment
 * name and size, the peer that may store it, and an expiry. A peer stores
 * a fragment only with a ticket that its pinned coordinator signed, for
 * itself, for that name and size, and not expired, so nobody stores on
 * the network without being placed and counted.
 *
 * Not for: the coordinator's record of issued tickets (db_ticket.h), nor
 * the transport of tickets (proto.h). Assumes sodium_init() was called.
 */
#ifndef DZ_TICKET_H
#define DZ_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "net/ident.h"
#include "net/proto.h"

/* Clock skew a peer forgives between its clock and the coordinator's:
 * a ticket counts as expired only TICKET_SKEW seconds after its expiry by
 * the peer's clock. */
#define TICKET_SKEW 60
/* A ticket that expires more than this (plus TICKET_SKEW) after the
 * peer's now is refused: the coordinator never issues such, and a ticket
 * that lasts for ever would let one placement be replayed for ever. */
#define TICKET_TTL_MAX 3600

#define TICKET_TBYTES (sizeof(PROTO_TICKET_LABEL) - 1 + PROTO_TICKET_SIGNED)

/* ticket_transcript: the bytes a ticket's signature covers:
 * PROTO_TICKET_LABEL || the ticket's wire form up to sig. */
void ticket_transcript(uint8_t out[static TICKET_TBYTES],
    const struct proto_ticket *t);

/* ticket_account_tag: the account field for account id: BLAKE2b-128
 * keyed with id's secret seed over "drizzle ticket account" || le64(id),
 * so that peers see a stable tag that tells them nothing of the id. */
void ticket_account_tag(uint8_t out[static PROTO_TICKET_ACCTBYTES],
    const struct ident *id, int64_t account);

/*
 * ticket_sign: make *t the ticket for (account tag, name, size, peer,
 * expires), signed with id (the coordinator's node key). Returns 0, or
 * DZ_EINVAL for a size outside 1..PROTO_FRAG_MAX, DZ_ECRYPTO.
 */
int ticket_sign(struct proto_ticket *t, const struct ident *id,
    int64_t account, const uint8_t name[static PROTO_NAMEBYTES],
    uint32_t size, const uint8_t peer[static PROTO_PKBYTES],
    uint64_t expires) DZ_MUST_CHECK;

/*
 * ticket_check: may the peer whose key is peer_pk store the size bytes
 * named name under ticket t (NULL: the FRAG_PUT had none) at time now (its
 * clock)? coord_pk is the peer's pinned coordinator key (NULL: none pinned
 * yet: nothing can be checked, so nothing is stored). Returns 0 or
 * DZ_EDENIED with em saying which rule failed: no ticket, no coordinator
 * pinned, a signature that does not verify under coord_pk, another peer,
 * another name, another size, expired (beyond TICKET_SKEW), or an expiry
 * too far ahead.
 */
int ticket_check(const struct proto_ticket *t, const uint8_t *coord_pk,
    const uint8_t peer_pk[static PROTO_PKBYTES],
    const uint8_t name[static PROTO_NAMEBYTES], size_t size, int64_t now,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
