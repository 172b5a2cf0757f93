/*
 * netaddr: "ADDR:PORT" parsing with inet_pton, which (in glibc) already
 * refuses the lax forms of IPv4 that inet_aton accepts ("127.1", "0x7f..",
 * octal-looking "010.0.0.1"), so one address has one spelling.
 */
#include "net/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Parse a decimal port: digits only, no leading zero, <= 65535. */
static int
port_parse(const char *s, unsigned *port)
{
	unsigned v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = v;
	return 0;
}

int
netaddr_parse(const char *s, int allow_port0, struct sockaddr_storage *out,
    struct dz_errmsg *em)
{
	char host[NETADDR_STRMAX];
	const char *colon, *hs;
	size_t hlen;
	unsigned port;
	int v6 = 0;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		hs = s + 1;
		hlen = (size_t)(close - hs);
		colon = close + 1;
		v6 = 1;
	} else {
		colon = strchr(s, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL)
			goto bad;
		hs = s;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	if (port_parse(colon + 1, &port) != 0)
		return dz_errf(em, DZ_EFORMAT, "bad port in address \"%.80s\"",
		    s);
	if (port == 0 && !allow_port0)
		return dz_errf(em, DZ_EFORMAT, "port 0 in address \"%.80s\"",
		    s);
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)out;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
	}
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return dz_errf(em, DZ_EFORMAT,
	    "bad address \"%.80s\": want IPv4:PORT or [IPv6]:PORT", s);
}

int
netaddr_format(const struct sockaddr *sa, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	int n;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		if (inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host)) == NULL)
			return DZ_EINVAL;
		n = snprintf(out, cap, "%s:%u", host, ntohs(a->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		if (inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host)) == NULL)
			return DZ_EINVAL;
		n = snprintf(out, cap, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		return DZ_EINVAL;
	}
	return n < 0 || (size_t)n >= cap ? DZ_EINVAL : 0;
}

int
netaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return -1;
}
