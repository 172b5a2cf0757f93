/*
 * hex: bytes as lower-case hexadecimal text and back, for the names of
 * fragment and record files, keys in profiles and ids on the command line.
 * Not for: parsing user text with separators or a 0x prefix.
 */
#ifndef DZ_HEX_H
#define DZ_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* hex_encode: write the 2*len lower-case hex digits of in[0..len) and a NUL
 * into out (2*len + 1 bytes, caller-owned). */
void hex_encode(const uint8_t *in, size_t len, char *out /* 2*len+1 */);

/* hex_decode: read exactly 2*len hex digits (either case) from the string
 * in into out[0..len). Returns 0, or DZ_EFORMAT if in has another length
 * or a character that is not a hex digit (out is then unspecified). */
int hex_decode(const char *in, uint8_t *out, size_t len) DZ_MUST_CHECK;

#endif
