/*
 * json: JSON string literals (json.h).
 */
#include "core/json.h"

#include <stdio.h>

/* Append the n bytes of p at *len, keeping room for the NUL. */
static void
put(char *out, size_t cap, size_t *len, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++, (*len)++)
		if (*len + 1 < cap)
			out[*len] = p[i];
}

size_t
json_str(char *out, size_t cap, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = 0;
	char e[8];

	put(out, cap, &len, "\"", 1);
	for (; *u != '\0'; u++) {
		const char *named = NULL;

		switch (*u) {
		case '"': named = "\\\""; break;
		case '\\': named = "\\\\"; break;
		case '\b': named = "\\b"; break;
		case '\f': named = "\\f"; break;
		case '\n': named = "\\n"; break;
		case '\r': named = "\\r"; break;
		case '\t': named = "\\t"; break;
		default: break;
		}
		if (named != NULL) {
			put(out, cap, &len, named, 2);
		} else if (*u < 0x20 || *u == 0x7f) {
			snprintf(e, sizeof(e), "\\u%04x", (unsigned)*u);
			put(out, cap, &len, e, 6);
		} else {
			put(out, cap, &len, (const char *)u, 1);
		}
	}
	put(out, cap, &len, "\"", 1);
	if (cap > 0)
		out[len < cap ? len : cap - 1] = '\0';
	return len;
}
