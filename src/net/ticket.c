/*
 * ticket: placement tickets signed and checked (ticket.h).
 */
#include "net/ticket.h"

#include <string.h>

#include <sodium.h>

#include "core/cursor.h"

#define TAG_LABEL "drizzle ticket account"

_Static_assert(sizeof(PROTO_TICKET_LABEL) - 1 == 17, "ticket label");
_Static_assert(PROTO_TICKET_BYTES == 157, "ticket wire size");

void
ticket_transcript(uint8_t out[static TICKET_TBYTES], const struct proto_ticket *t)
{
	uint8_t *p = out;

	memcpy(p, PROTO_TICKET_LABEL, sizeof(PROTO_TICKET_LABEL) - 1);
	p += sizeof(PROTO_TICKET_LABEL) - 1;
	*p++ = t->version;
	memcpy(p, t->account, PROTO_TICKET_ACCTBYTES);
	p += PROTO_TICKET_ACCTBYTES;
	memcpy(p, t->name, PROTO_NAMEBYTES);
	p += PROTO_NAMEBYTES;
	le32_put(p, t->size);
	p += 4;
	memcpy(p, t->peer, PROTO_PKBYTES);
	p += PROTO_PKBYTES;
	le64_put(p, t->expires);
}

void
ticket_account_tag(uint8_t out[static PROTO_TICKET_ACCTBYTES],
    const struct ident *id, int64_t account)
{
	uint8_t msg[sizeof(TAG_LABEL) - 1 + 8];

	memcpy(msg, TAG_LABEL, sizeof(TAG_LABEL) - 1);
	le64_put(msg + sizeof(TAG_LABEL) - 1, (uint64_t)account);
	/* the seed (sk's first half) as the key: only its holder can link a
	 * tag to an account id */
	crypto_generichash(out, PROTO_TICKET_ACCTBYTES, msg, sizeof(msg), id->sk,
	    IDENT_SEEDBYTES);
}

int
ticket_sign(struct proto_ticket *t, const struct ident *id, int64_t account,
    const uint8_t name[static PROTO_NAMEBYTES], uint32_t size,
    const uint8_t peer[static PROTO_PKBYTES], uint64_t expires)
{
	uint8_t tr[TICKET_TBYTES];

	memset(t, 0, sizeof(*t));
	if (size < 1 || size > PROTO_FRAG_MAX)
		return DZ_EINVAL;
	t->version = PROTO_TICKET_VERSION;
	ticket_account_tag(t->account, id, account);
	memcpy(t->name, name, PROTO_NAMEBYTES);
	t->size = size;
	memcpy(t->peer, peer, PROTO_PKBYTES);
	t->expires = expires;
	ticket_transcript(tr, t);
	if (crypto_sign_detached(t->sig, NULL, tr, sizeof(tr), id->sk) != 0)
		return DZ_ECRYPTO;
	return 0;
}

int
ticket_check(const struct proto_ticket *t, const uint8_t *coord_pk,
    const uint8_t peer_pk[static PROTO_PKBYTES],
    const uint8_t name[static PROTO_NAMEBYTES], size_t size, int64_t now,
    struct dz_errmsg *em)
{
	uint8_t tr[TICKET_TBYTES];
	int64_t exp;

	if (t == NULL)
		return dz_errf(em, DZ_EDENIED, "no placement ticket: this peer "
		    "stores only fragments its coordinator placed here");
	if (coord_pk == NULL)
		return dz_errf(em, DZ_EDENIED, "this peer has not pinned its "
		    "coordinator yet, so it cannot check placement tickets; retry "
		    "once it has registered");
	ticket_transcript(tr, t);
	if (crypto_sign_verify_detached(t->sig, tr, sizeof(tr), coord_pk) != 0)
		return dz_errf(em, DZ_EDENIED, "placement ticket not signed by "
		    "this peer's coordinator");
	if (sodium_memcmp(t->peer, peer_pk, PROTO_PKBYTES) != 0)
		return dz_errf(em, DZ_EDENIED, "placement ticket is for another peer");
	if (sodium_memcmp(t->name, name, PROTO_NAMEBYTES) != 0)
		return dz_errf(em, DZ_EDENIED, "placement ticket is for another "
		    "fragment name");
	if (size != t->size)
		return dz_errf(em, DZ_EDENIED, "placement ticket is for %lu bytes, "
		    "the fragment has %zu", (unsigned long)t->size, size);
	exp = t->expires > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)t->expires;
	if (now > exp && now - exp > TICKET_SKEW)
		return dz_errf(em, DZ_EDENIED, "placement ticket expired %lld s ago "
		    "(this peer forgives %d s of clock skew): ask the coordinator "
		    "for a new placement", (long long)(now - exp), TICKET_SKEW);
	if (exp > now && exp - now > TICKET_TTL_MAX + TICKET_SKEW)
		return dz_errf(em, DZ_EDENIED, "placement ticket expires %lld s from "
		    "now, more than a ticket may last (%d s)", (long long)(exp - now),
		    TICKET_TTL_MAX);
	return 0;
}
