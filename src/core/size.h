/*
 * size: byte counts as people write them ("64M", "1G", "2MiB") and back,
 * for command-line options and the peer's config file alike. Powers of
 * 1024. Not for: fractions ("1.5G") or decimal units.
 */
#ifndef DZ_SIZE_H
#define DZ_SIZE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* SIZE_STRMAX: room for any size_format result. */
#define SIZE_STRMAX 24

/* size_parse: "123", "64K", "4M", "1G", "2T" (an optional "i" and "B"
 * after the letter, either case). Returns 0 with *out set, DZ_EINVAL for
 * text that is not a size, DZ_ERANGE for one over 2^64 - 1. */
int size_parse(const char *s, uint64_t *out) DZ_MUST_CHECK;

/* size_format: v in the largest unit that writes it exactly ("2M",
 * "1536K", "7"), into out (cap bytes, at least SIZE_STRMAX); returns
 * out. size_parse reads it back to v. */
const char *size_format(uint64_t v, char *out, size_t cap);

#endif
