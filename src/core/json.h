/*
 * json: the one piece of JSON writing Drizzle needs by hand: a string
 * literal, escaped so that any path or name comes out as valid JSON
 * (RFC 8259). Not a JSON library: numbers and structure are printf's.
 */
#ifndef DZ_JSON_H
#define DZ_JSON_H

#include <stddef.h>

/*
 * json_str: write s as a JSON string literal, quotes included, into out
 * (cap bytes, NUL-terminated if cap > 0; cut short if too small) and
 * return the length it needs without the NUL, as snprintf does. '"' and
 * '\' are escaped with a backslash, \b \f \n \r \t by name, every other
 * byte below 0x20 and DEL as \u00XX; other bytes are copied, so valid
 * UTF-8 in is valid UTF-8 out.
 */
size_t json_str(char *out, size_t cap, const char *s);

#endif
