/*
 * netaddr: strict parsing and printing of "ADDR:PORT" socket addresses.
 *
 * Accepted: a numeric IPv4 address in dotted-quad form ("127.0.0.1:7000"),
 * or a numeric IPv6 address in brackets ("[::1]:7000"), then a decimal port
 * without sign or leading zeros. Nothing else: no host names (resolving
 * would block the event loop and hide which address is used), no zone ids,
 * no spaces. Not for URLs.
 */
#ifndef DZ_NETADDR_H
#define DZ_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "core/err.h"

/* "[" + 45 characters of IPv6 text + "]:" + 5 digits + NUL, rounded up */
#define NETADDR_STRMAX 64

/*
 * netaddr_parse: parse s into *out (sockaddr_in or sockaddr_in6). Port 0
 * ("any free port", for listening) is accepted only if allow_port0.
 * Returns 0 or DZ_EFORMAT with the reason in em.
 */
int netaddr_parse(const char *s, int allow_port0,
    struct sockaddr_storage *out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* netaddr_format: sa in the form netaddr_parse reads, into out (cap
 * bytes, NETADDR_STRMAX is enough). Returns 0 or DZ_EINVAL. */
int netaddr_format(const struct sockaddr *sa, char *out, size_t cap);

/* netaddr_port: the port of sa (host order), or -1 if not IPv4/IPv6. */
int netaddr_port(const struct sockaddr *sa);

#endif
