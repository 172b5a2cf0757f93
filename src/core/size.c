/*
 * size: parse and format byte counts with K/M/G/T suffixes (size.h).
 */
#include "core/size.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

int
size_parse(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return DZ_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return DZ_ERANGE;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return DZ_EINVAL;
	}
	if (*end == 'i' && shift != 0)
		end++;
	if ((*end == 'B' || *end == 'b') && end[1] == '\0')
		end++;
	if (*end != '\0')
		return DZ_EINVAL;
	if (shift != 0 && v > (ULLONG_MAX >> shift))
		return DZ_ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

const char *
size_format(uint64_t v, char *out, size_t cap)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (v != 0 && u < 3 && (v & 1023) == 0) {
		v >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(out, cap, "%llu", (unsigned long long)v);
	else
		snprintf(out, cap, "%llu%c", (unsigned long long)v, units[u]);
	return out;
}
