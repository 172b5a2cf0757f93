/*
 * rs: Reed-Solomon k-of-n erasure coding with ISA-L.
 *
 * The encode matrix is ISA-L's systematic Cauchy matrix: n rows of k, the
 * identity on top and a Cauchy block below, so that every k x k submatrix is
 * invertible. Encoding runs the parity rows through ec_encode_data. Decoding
 * takes the first k present fragments as sources (data first, so the usual
 * case inverts a matrix that is mostly identity), inverts their k x k rows,
 * and makes one row per fragment to rebuild: row j of the inverse for data
 * piece j, and parity row p times the inverse for parity p. All those rows
 * go through one ec_init_tables and one ec_encode_data, so each source byte
 * is read once whatever the number of fragments rebuilt.
 *
 * Every buffer decoding needs is allocated in rs_new. The decode tables of
 * the last erasure pattern are kept: an object's segments are usually
 * decoded one after the other with the same fragments missing, and then
 * only the pointer arrays change.
 */
#include "core/rs.h"

#include <isa-l/erasure_code.h>
#include <stdlib.h>
#include <string.h>

/* ec_encode_data takes an int length: longer buffers go in pieces of this
 * size (a multiple of 64, the widest vector ISA-L uses). */
#define RS_CHUNK ((size_t)1 << 30)

enum rs_mode {
	RS_NONE,    /* no decode tables yet */
	RS_DATA,    /* rebuild missing data pieces (rs_decode) */
	RS_ALL,     /* rebuild every missing fragment (rs_rebuild) */
};

struct rs {
	unsigned k, n;
	uint8_t *enc;       /* n x k encode matrix */
	uint8_t *enc_tbl;   /* expanded parity rows, 32 * k * (n - k) */
	uint8_t *sub;       /* k x k rows of the sources; inversion destroys it */
	uint8_t *inv;       /* k x k inverse of sub */
	uint8_t *dec;       /* up to (n - k) x k rows making the missing fragments */
	uint8_t *dec_tbl;   /* expanded dec, 32 * k * (n - k) */
	uint8_t **src;      /* k source pointers */
	uint8_t **dst;      /* up to n - k destination pointers */
	/* the erasure pattern dec_tbl was built for */
	enum rs_mode mode;
	unsigned rows;
	uint8_t pattern[RS_MAXN];
};

int
rs_new(unsigned k, unsigned n, struct rs **out)
{
	struct rs *r = NULL;
	size_t kk, nk, tbl;
	int rc = DZ_ENOMEM;

	*out = NULL;
	if (k < 1 || k >= n || n > RS_MAXN)
		return DZ_EINVAL;
	/* n <= 255, so none of these can overflow; checked all the same */
	if (__builtin_mul_overflow((size_t)k, (size_t)k, &kk) ||
	    __builtin_mul_overflow((size_t)n, (size_t)k, &nk) ||
	    __builtin_mul_overflow((size_t)32 * k, (size_t)(n - k), &tbl))
		return DZ_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	r->k = k;
	r->n = n;
	r->mode = RS_NONE;
	if ((r->enc = malloc(nk)) == NULL ||
	    (r->enc_tbl = malloc(tbl)) == NULL ||
	    (r->sub = malloc(kk)) == NULL ||
	    (r->inv = malloc(kk)) == NULL ||
	    (r->dec = malloc(nk - kk)) == NULL ||
	    (r->dec_tbl = malloc(tbl)) == NULL ||
	    (r->src = calloc(k, sizeof(*r->src))) == NULL ||
	    (r->dst = calloc(n - k, sizeof(*r->dst))) == NULL)
		goto out;
	gf_gen_cauchy1_matrix(r->enc, (int)n, (int)k);
	ec_init_tables((int)k, (int)(n - k), r->enc + kk, r->enc_tbl);
	*out = r;
	r = NULL;
	rc = 0;
out:
	rs_free(r);
	return rc;
}

void
rs_free(struct rs *r)
{
	if (r == NULL)
		return;
	free(r->dst);
	free(r->src);
	free(r->dec_tbl);
	free(r->dec);
	free(r->inv);
	free(r->sub);
	free(r->enc_tbl);
	free(r->enc);
	free(r);
}

unsigned
rs_k(const struct rs *r)
{
	return r->k;
}

unsigned
rs_n(const struct rs *r)
{
	return r->n;
}

/* Run rows x k expanded rows over len bytes; advances src and dst. */
static void
rs_run(unsigned k, unsigned rows, uint8_t *tbl, uint8_t **src, uint8_t **dst,
    size_t len)
{
	while (len > 0) {
		size_t c = len < RS_CHUNK ? len : RS_CHUNK;

		ec_encode_data((int)c, (int)k, (int)rows, tbl, src, dst);
		len -= c;
		for (unsigned i = 0; len > 0 && i < k; i++)
			src[i] += c;
		for (unsigned i = 0; len > 0 && i < rows; i++)
			dst[i] += c;
	}
}

int
rs_encode(const struct rs *r, uint8_t *const frags[], size_t len)
{
	/* rs is const and shared by readers: pointer arrays on the stack */
	uint8_t *src[RS_MAXN], *dst[RS_MAXN];
	unsigned k = r->k, m = r->n - r->k;

	for (unsigned i = 0; i < k; i++)
		src[i] = frags[i];
	for (unsigned i = 0; i < m; i++)
		dst[i] = frags[k + i];
	rs_run(k, m, r->enc_tbl, src, dst, len);
	return 0;
}

/*
 * Build dec_tbl for the pattern in r->pattern: sources are the first k
 * present fragments, outputs the missing data pieces and, in RS_ALL mode,
 * the missing parity.
 */
static int
rs_tables(struct rs *r, enum rs_mode mode)
{
	unsigned k = r->k, n = r->n, s = 0, rows = 0;

	r->mode = mode;
	r->rows = 0;
	for (unsigned i = 0; i < n; i++)
		rows += !r->pattern[i] && (i < k || mode == RS_ALL);
	if (rows == 0)
		return 0; /* all there: the usual get, and no inversion needed */
	rows = 0;
	for (unsigned i = 0; i < n && s < k; i++)
		if (r->pattern[i])
			memcpy(r->sub + (size_t)s++ * k, r->enc + (size_t)i * k, k);
	/* any k rows of a Cauchy-based systematic matrix are independent */
	if (gf_invert_matrix(r->sub, r->inv, (int)k) != 0)
		return DZ_EINVAL;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *row = r->dec + (size_t)rows * k;

		if (r->pattern[i])
			continue;
		if (i < k) {
			memcpy(row, r->inv + (size_t)i * k, k);
		} else if (mode == RS_ALL) {
			const uint8_t *p = r->enc + (size_t)i * k;

			memset(row, 0, k);
			for (unsigned t = 0; t < k; t++) {
				const uint8_t *v = r->inv + (size_t)t * k;

				if (p[t] == 0)
					continue;
				for (unsigned j = 0; j < k; j++)
					row[j] ^= gf_mul(p[t], v[j]);
			}
		} else {
			continue;
		}
		rows++;
	}
	ec_init_tables((int)k, (int)rows, r->dec, r->dec_tbl);
	r->rows = rows;
	return 0;
}

static int
rs_recover(struct rs *r, uint8_t *const frags[], const uint8_t have[],
    size_t len, enum rs_mode mode)
{
	unsigned k = r->k, n = r->n, present = 0, s = 0, d = 0;
	int same = r->mode == mode;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		uint8_t h = have[i] != 0;

		present += h;
		if (r->pattern[i] != h) {
			r->pattern[i] = h;
			same = 0;
		}
	}
	/* pattern[] now holds have[]: a refused pattern never matches a
	 * later usable one, so the tables stay consistent */
	if (present < k)
		return DZ_ETOOFEW;
	if (!same && (rc = rs_tables(r, mode)) != 0) {
		r->mode = RS_NONE;
		return rc;
	}
	if (r->rows == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		if (r->pattern[i]) {
			if (s < k)
				r->src[s++] = frags[i];
		} else if (i < k || mode == RS_ALL) {
			r->dst[d++] = frags[i];
		}
	}
	rs_run(k, r->rows, r->dec_tbl, r->src, r->dst, len);
	return 0;
}

int
rs_decode(struct rs *r, uint8_t *const frags[], const uint8_t have[], size_t len)
{
	return rs_recover(r, frags, have, len, RS_DATA);
}

int
rs_rebuild(struct rs *r, uint8_t *const frags[], const uint8_t have[], size_t len)
{
	return rs_recover(r, frags, have, len, RS_ALL);
}
