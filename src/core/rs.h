/*
 * rs: Reed-Solomon k-of-n erasure coding over GF(2^8) with ISA-L.
 *
 * Systematic code from ISA-L's Cauchy matrix (gf_gen_cauchy1_matrix): the
 * first k fragments are the data cut in k equal pieces, the other n-k are
 * parity; any k of the n rebuild the data. Valid for 1 <= k < n <= 255.
 * A struct rs owns the encode tables and the scratch space decoding needs,
 * allocated once at rs_new: decoding writes that scratch, so use one
 * struct rs per thread. Not for integrity: a corrupted fragment decodes to
 * garbage, so check fragments against their names (frag_check) first.
 */
#ifndef DZ_RS_H
#define DZ_RS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define RS_MAXN 255

struct rs;

/* rs_new: a coder for k-of-n. Returns 0, DZ_EINVAL (bad k, n) or DZ_ENOMEM. */
int rs_new(unsigned k, unsigned n, struct rs **out) DZ_MUST_CHECK;
void rs_free(struct rs *r);
unsigned rs_k(const struct rs *r);
unsigned rs_n(const struct rs *r);

/* rs_encode: frags[0..k) hold the data pieces (len bytes each, read), and
 * frags[k..n) receive the parity (len bytes each, written). */
int rs_encode(const struct rs *r, uint8_t *const frags[], size_t len) DZ_MUST_CHECK;

/*
 * rs_decode: rebuild the data pieces. have[i] != 0 says frags[i] (len bytes)
 * is intact; every frags[i] with i < k and have[i] == 0 must point to a
 * writable buffer of len bytes and receives the rebuilt piece. Fragments
 * with i >= k are read only. Returns 0, or DZ_ETOOFEW if fewer than k are
 * present.
 */
int rs_decode(struct rs *r, uint8_t *const frags[], const uint8_t have[], size_t len) DZ_MUST_CHECK;

/* rs_rebuild: like rs_decode but rebuilds every missing fragment, parity
 * included (for repair): every frags[i] with have[i] == 0 is written. */
int rs_rebuild(struct rs *r, uint8_t *const frags[], const uint8_t have[], size_t len) DZ_MUST_CHECK;

#endif
