/*
 * coord_admit: who may register a peer, and what placement counts as one
 * owner and one network.
 *
 * Admission (PEER_REGISTER): a peer is admitted either
 *  - for an account, with a binding (net/pbind.h) signed by a device key
 *    that is bound to that account now: the signature must name this
 *    connection's TLS key (the peer) and this coordinator's key, so a
 *    binding can be neither lent to another peer nor replayed at another
 *    coordinator; the device key is looked up at every registration, so
 *    a revoked device (or one logged out by a password change) no longer
 *    admits its peers. Its owner is then that account, verified; or
 *  - as an operator (datacentre) peer: the flag is believed only for a
 *    key the operator listed in --datacentre-keys. Such a peer has no
 *    owner and counts as its own owner for placement.
 * Anything else is refused, with a message saying what to do.
 *
 * Placement groups (coord_place_owner, coord_place_prefix): a segment's
 * fragments go to distinct owners (an account's peers are one owner) and
 * distinct networks (/24 IPv4, /48 IPv6), so that one person, one house or
 * one rented block of addresses holds at most one fragment of a segment.
 * On loopback (127.0.0.0/8, ::1) every peer is its own network, or test
 * networks on one machine could place nothing.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/coord_int.h"
#include "coordinator/db_audit.h"
#include "net/pbind.h"

/* How far in the future a binding's issue time may be (clock skew). */
#define ADMIT_SKEW 600

int
coord_dc_load(const char *path, uint8_t (**keys)[IDENT_PKBYTES], size_t *n,
    struct dz_errmsg *em)
{
	uint8_t (*k)[IDENT_PKBYTES] = NULL, (*nk)[IDENT_PKBYTES];
	size_t cnt = 0, cap = 0;
	char line[256];
	unsigned lineno = 0;
	FILE *f;
	int rc = 0;

	*keys = NULL;
	*n = 0;
	if ((f = fopen(path, "r")) == NULL)
		return dz_errf(em, errno == ENOENT ? DZ_ENOENT : DZ_EIO,
		    "cannot read the datacentre keys %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = line, *e;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = dz_errf(em, DZ_EFORMAT, "%s line %u: too long", path, lineno);
			goto out;
		}
		if ((e = strchr(s, '#')) != NULL)
			*e = '\0';
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s == '\0')
			continue;
		if (cnt == cap) {
			cap = cap == 0 ? 16 : 2 * cap;
			if ((nk = realloc(k, cap * sizeof(*k))) == NULL) {
				rc = DZ_ENOMEM;
				goto out;
			}
			k = nk;
		}
		if (ident_pk_parse(s, k[cnt]) != 0) {
			rc = dz_errf(em, DZ_EFORMAT, "%s line %u: not a peer key (64 hex "
			    "digits, as the peer prints at start)", path, lineno);
			goto out;
		}
		cnt++;
	}
	if (ferror(f))
		rc = dz_errf(em, DZ_EIO, "cannot read the datacentre keys %s", path);
out:
	fclose(f);
	if (rc != 0) {
		free(k);
		return rc;
	}
	*keys = k;
	*n = cnt;
	return 0;
}

static int
dc_listed(const struct coord *co, const uint8_t pk[static IDENT_PKBYTES])
{
	for (size_t i = 0; i < co->ndc; i++)
		if (memcmp(co->dc[i], pk, IDENT_PKBYTES) == 0)
			return 1;
	return 0;
}

int
coord_admit_peer(struct coord_sess *s, const struct proto_peer_register *m,
    struct db_peer *p, struct dz_errmsg *em)
{
	struct coord *co = s->co;
	struct db_account a;
	struct pbind b;
	char hex[IDENT_HEXBYTES];
	int64_t bound;
	int rc;

	p->owner = 0;
	p->flags = 0;
	ident_pk_hex(s->pk, hex);
	if (m->flags & PROTO_PEER_DATACENTRE) {
		if (!dc_listed(co, s->pk))
			return dz_errf(em, DZ_EDENIED, "this peer claims to be an "
			    "operator (datacentre) peer, but its key %s is not listed: "
			    "add it to the coordinator's --datacentre-keys, or run the "
			    "peer for an account with drizzle peer --home", hex);
		p->flags = DB_PEER_DATACENTRE;
		return 0;
	}
	if (m->owner[0] == '\0')
		return dz_errf(em, DZ_ENOLOGIN, "a peer must act for an account: "
		    "log in (drizzle login) and run drizzle peer --home DIR");
	memset(&b, 0, sizeof(b));
	memcpy(b.peer_pk, s->pk, IDENT_PKBYTES);
	memcpy(b.coord_pk, co->id->pk, IDENT_PKBYTES);
	memcpy(b.device_pk, m->device, IDENT_PKBYTES);
	b.issued = m->issued;
	snprintf(b.name, sizeof(b.name), "%s", m->owner);
	memcpy(b.sig, m->sig, PBIND_SIGBYTES);
	if (pbind_verify(&b) != 0)
		return dz_errf(em, DZ_EDENIED, "this peer's binding to %s is not "
		    "valid for peer %s at this coordinator: run drizzle peer --home "
		    "again", m->owner, hex);
	if (m->issued > (uint64_t)coord_now(co) + ADMIT_SKEW)
		return dz_errf(em, DZ_EDENIED, "this peer's binding is dated in the "
		    "future: check the clock and run drizzle peer --home again");
	memset(&a, 0, sizeof(a));
	rc = db_account_get(co->db, m->owner, &a, NULL);
	if (rc == DZ_ENOENT || rc == DZ_ERANGE || rc == DZ_EINVAL)
		return dz_errf(em, DZ_ENOLOGIN, "no account %s here", m->owner);
	if (rc != 0)
		return dz_errf(em, rc, "cannot look up the peer's account");
	rc = db_key_account(co->db, m->device, &bound, NULL);
	if (rc == DZ_ENOENT || (rc == 0 && bound != a.id))
		return dz_errf(em, DZ_ENOLOGIN, "the computer that bound this peer "
		    "to %s is no longer logged in (device revoked or logged out by "
		    "a password change): log in again, then run drizzle peer --home "
		    "again", m->owner);
	if (rc != 0)
		return dz_errf(em, rc, "cannot look up the binding's device key");
	p->owner = a.id;
	return 0;
}

int64_t
coord_place_owner(const struct db_peer *p)
{
	/* an account is one owner; an unowned (operator) peer is its own,
	 * named by the negative of a hash of its key so it never equals an
	 * account id */
	uint64_t h = 0;

	if (p->owner > 0)
		return p->owner;
	for (size_t i = 0; i < 8; i++)
		h = h << 8 | p->id[i];
	return -(int64_t)(h >> 1) - 1;
}

void
coord_place_prefix(const struct db_peer *p, int loopback_one,
    uint8_t out[static COORD_PREFIXBYTES])
{
	char host[DB_ADDR_MAX + 1];
	const char *a = p->addr, *colon;
	struct in_addr v4;
	struct in6_addr v6;
	size_t len;

	memset(out, 0, COORD_PREFIXBYTES);
	/* "ip:port" or "[ip6]:port" */
	if (a[0] == '[' && (colon = strchr(a, ']')) != NULL)
		len = (size_t)(colon - a - 1), a++;
	else if ((colon = strrchr(a, ':')) != NULL)
		len = (size_t)(colon - a);
	else
		len = strlen(a);
	if (len >= sizeof(host))
		len = sizeof(host) - 1;
	memcpy(host, a, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, &v4) == 1) {
		const uint8_t *b = (const uint8_t *)&v4;

		if (b[0] == 127 && !loopback_one)
			goto own;
		out[0] = 4;
		memcpy(out + 1, b, 3);
		return;
	}
	if (inet_pton(AF_INET6, host, &v6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&v6) && !loopback_one)
			goto own;
		out[0] = 6;
		memcpy(out + 1, v6.s6_addr, 6);
		return;
	}
own:
	/* its own network: named by its key */
	out[0] = 1;
	memcpy(out + 1, p->id, COORD_PREFIXBYTES - 1);
}
