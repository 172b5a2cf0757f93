/*
 * pad: the size buckets every encrypted record is padded into, so that a
 * record's length tells whoever stores it (the coordinator) little about
 * what is inside: not the length of a file name, nor the exact number of
 * entries of a file tree.
 *
 * Buckets: multiples of PAD_MIN (4 KiB) up to 64 KiB; above, for a length
 * in (2^(e-1), 2^e], multiples of 2^(e-4): eight buckets per doubling, so
 * padding costs less than 1/8 of the length. Every record format (the
 * catalog, the file record) pads its plaintext with this one function;
 * the table is in docs/formats.md.
 *
 * Not for fragments: their size follows from the segment size and the
 * code, which the coordinator knows anyway.
 */
#ifndef DZ_PAD_H
#define DZ_PAD_H

#include <stddef.h>

#include "core/err.h"

#define PAD_MIN 4096u

/* pad_bucket: the padded length for len plaintext bytes (>= len, and
 * >= PAD_MIN) into *out. DZ_ERANGE if it would not fit a size_t. */
int pad_bucket(size_t len, size_t *out) DZ_MUST_CHECK;

#endif
