/* test_merkle: roots and audit paths are exactly RFC 6962's (checked against
 * a deliberately simple recursive reference written here), every proof
 * verifies, and a proof verifies for nothing else: any altered bit, another
 * leaf or tree size whose path has another shape, another path length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "core/merkle.h"

#define B MERKLE_BLOCK
#define HB MERKLE_HASHBYTES

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint8_t *
random_bytes(size_t len)
{
	uint8_t *p = malloc(len + 1);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		p[i] = (uint8_t)rng;
	}
	return p;
}

/* SHA-256(prefix || a || b), the slow obvious way: concatenate, one shot */
static void
ref_hash(int prefix, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t out[HB])
{
	size_t n = (prefix >= 0) + alen + blen;
	uint8_t *buf = malloc(n + 1), *p = buf;

	assert_non_null(buf);
	if (prefix >= 0)
		*p++ = (uint8_t)prefix;
	if (alen > 0)
		memcpy(p, a, alen);
	if (blen > 0)
		memcpy(p + alen, b, blen);
	assert_int_equal(EVP_Digest(buf, n, out, NULL, EVP_sha256(), NULL), 1);
	free(buf);
}

static size_t
split(size_t n)
{
	size_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[first, first + n)) over the blocks of data (len bytes), RFC 6962 2.1 */
static void
ref_mth(const uint8_t *data, size_t len, size_t first, size_t n, uint8_t out[HB])
{
	uint8_t l[HB], r[HB];
	size_t k;

	if (n == 0) {
		ref_hash(-1, NULL, 0, NULL, 0, out);
	} else if (n == 1) {
		size_t off = first * B, blen = len - off < B ? len - off : B;

		ref_hash(0x00, data + off, blen, NULL, 0, out);
	} else {
		k = split(n);
		ref_mth(data, len, first, k, l);
		ref_mth(data, len, first + k, n - k, r);
		ref_hash(0x01, l, HB, r, HB, out);
	}
}

/* PATH(m, D[first, first + n)), RFC 6962 2.1.1, leaf to root; side[i] is 1
 * when path[i] is the left sibling. Returns the path length. */
static size_t
ref_path(const uint8_t *data, size_t len, size_t first, size_t n, size_t m,
    uint8_t path[][HB], int side[])
{
	size_t k, c;

	if (n <= 1)
		return 0;
	k = split(n);
	if (m < k) {
		c = ref_path(data, len, first, k, m, path, side);
		if (data != NULL)
			ref_mth(data, len, first + k, n - k, path[c]);
		side[c] = 0;
	} else {
		c = ref_path(data, len, first + k, n - k, m - k, path, side);
		if (data != NULL)
			ref_mth(data, len, first, k, path[c]);
		side[c] = 1;
	}
	return c + 1;
}

static void
roots_match_the_reference(void **state)
{
	/* one reused builder gives the reference root at every length around
	 * block boundaries, and reports the reference leaf count */
	static const size_t lens[] = {
		0, 1, B - 1, B, B + 1, 3 * B, 5 * B + 7, 257 * B,
	};
	uint8_t *data = random_bytes(257 * B);
	struct merkle *m;
	uint8_t root[HB], want[HB];
	(void)state;

	assert_int_equal(merkle_new(257 * B, &m), 0);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i] / B + (lens[i] % B != 0);

		assert_int_equal(merkle_nleaves(lens[i]), n);
		assert_int_equal(merkle_build(m, data, lens[i], root), 0);
		ref_mth(data, lens[i], 0, n, want);
		assert_memory_equal(root, want, HB);
	}
	merkle_free(m);
	free(data);
}

static void
empty_tree_is_sha256_of_nothing(void **state)
{
	/* RFC 6962: the hash of an empty tree is SHA-256 of the empty string;
	 * merkle_hex spells it in lowercase */
	struct merkle *m;
	uint8_t root[HB];
	char hex[65];
	(void)state;

	assert_int_equal(merkle_new(0, &m), 0);
	assert_int_equal(merkle_build(m, NULL, 0, root), 0);
	merkle_hex(root, hex);
	assert_string_equal(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	merkle_free(m);
}

/* What verify must say for (leaf, nleaves) given a proof made for another
 * position whose path had the sides `side` (pathlen long): a path length that
 * differs is malformed; the same shape computes the same root and passes;
 * any other shape hashes differently. */
static int
expected(size_t leaf, size_t nleaves, const int side[], size_t pathlen)
{
	uint8_t dummy[MERKLE_MAXPATH][HB];
	int s[MERKLE_MAXPATH];
	size_t c;

	if (leaf >= nleaves)
		return DZ_EFORMAT;
	c = ref_path(NULL, 0, 0, nleaves, leaf, dummy, s);
	if (c != pathlen)
		return DZ_EFORMAT;
	return memcmp(s, side, c * sizeof(int)) == 0 ? 0 : DZ_EINTEGRITY;
}

static void
check_tree(struct merkle *m, size_t n)
{
	/* last block short for some sizes */
	size_t len = n * B - (n % 3) * 1000;
	uint8_t *data = random_bytes(len);
	uint8_t root[HB], path[MERKLE_MAXPATH][HB], want[MERKLE_MAXPATH][HB];
	int side[MERKLE_MAXPATH];
	size_t pathlen;

	assert_int_equal(merkle_build(m, data, len, root), 0);
	assert_int_equal(merkle_nleaves(len), n);
	for (size_t leaf = 0; leaf < n; leaf++) {
		size_t off = leaf * B, blen = len - off < B ? len - off : B;
		uint8_t *blk = data + off;
		size_t wrong[] = {1, n - 1, n + 1, n + 2, n + 3, 2 * n, leaf};

		assert_int_equal(merkle_proof(m, leaf, path, &pathlen), 0);
		assert_int_equal(pathlen,
		    ref_path(data, len, 0, n, leaf, want, side));
		if (pathlen > 0)
			assert_memory_equal(path, want, pathlen * HB);
		assert_int_equal(merkle_verify(root, n, leaf, blk, blen,
		    (const uint8_t(*)[HB])path, pathlen), 0);

		/* one flipped bit anywhere */
		blk[blen / 2] ^= 0x10;
		assert_int_equal(merkle_verify(root, n, leaf, blk, blen,
		    (const uint8_t(*)[HB])path, pathlen), DZ_EINTEGRITY);
		blk[blen / 2] ^= 0x10;
		assert_int_equal(merkle_verify(root, n, leaf, blk, blen - 1,
		    (const uint8_t(*)[HB])path, pathlen), DZ_EINTEGRITY);
		for (size_t i = 0; i < pathlen; i++) {
			path[i][i % HB] ^= 1;
			assert_int_equal(merkle_verify(root, n, leaf, blk, blen,
			    (const uint8_t(*)[HB])path, pathlen), DZ_EINTEGRITY);
			path[i][i % HB] ^= 1;
		}
		root[HB - 1] ^= 0x80;
		assert_int_equal(merkle_verify(root, n, leaf, blk, blen,
		    (const uint8_t(*)[HB])path, pathlen), DZ_EINTEGRITY);
		root[HB - 1] ^= 0x80;

		/* the same proof claimed for another position or tree size */
		for (size_t other = 0; other < n + 2; other++)
			if (other != leaf)
				assert_int_equal(merkle_verify(root, n, other,
				    blk, blen, (const uint8_t(*)[HB])path,
				    pathlen), expected(other, n, side, pathlen));
		for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
			if (wrong[i] != n)
				assert_int_equal(merkle_verify(root, wrong[i],
				    leaf, blk, blen, (const uint8_t(*)[HB])path,
				    pathlen), expected(leaf, wrong[i], side,
				    pathlen));

		/* a path one too long or one too short */
		assert_int_equal(merkle_verify(root, n, leaf, blk, blen,
		    (const uint8_t(*)[HB])path, pathlen + 1), DZ_EFORMAT);
		if (pathlen > 0)
			assert_int_equal(merkle_verify(root, n, leaf, blk, blen,
			    (const uint8_t(*)[HB])path, pathlen - 1),
			    DZ_EFORMAT);
	}
	assert_int_equal(merkle_proof(m, n, path, &pathlen), DZ_ERANGE);
	free(data);
}

static void
proofs_verify_for_every_leaf(void **state)
{
	/* trees of 1..20 and 257 leaves: each leaf's path is RFC 6962's PATH,
	 * verifies, and fails as soon as anything in the claim is changed */
	struct merkle *m;
	(void)state;

	assert_int_equal(merkle_new(257 * B, &m), 0);
	for (size_t n = 1; n <= 20; n++)
		check_tree(m, n);
	check_tree(m, 257);
	merkle_free(m);
}

static void
wrong_leaf_is_not_a_sibling(void **state)
{
	/* in a 2-leaf tree the proof of leaf 0 (leaf 1's hash) does not verify
	 * leaf 1's block at index 1, nor leaf 0's block at index 1 */
	struct merkle *m;
	uint8_t *data = random_bytes(2 * B);
	uint8_t root[HB], path[MERKLE_MAXPATH][HB];
	size_t pathlen;
	(void)state;

	assert_int_equal(merkle_new(2 * B, &m), 0);
	assert_int_equal(merkle_build(m, data, 2 * B, root), 0);
	assert_int_equal(merkle_proof(m, 0, path, &pathlen), 0);
	assert_int_equal(pathlen, 1);
	assert_int_equal(merkle_verify(root, 2, 1, data, B,
	    (const uint8_t(*)[HB])path, pathlen), DZ_EINTEGRITY);
	assert_int_equal(merkle_verify(root, 2, 1, data + B, B,
	    (const uint8_t(*)[HB])path, pathlen), DZ_EINTEGRITY);
	assert_int_equal(merkle_verify(root, 2, 0, data, B,
	    (const uint8_t(*)[HB])path, pathlen), 0);
	merkle_free(m);
	free(data);
}

static void
bounds_are_enforced(void **state)
{
	/* building past max_len is DZ_ERANGE (and leaves no proofs behind);
	 * verify refuses an empty or oversized block and an out-of-range leaf */
	struct merkle *m;
	uint8_t *data = random_bytes(3 * B + 1);
	uint8_t root[HB], path[MERKLE_MAXPATH][HB];
	size_t pathlen;
	(void)state;

	assert_int_equal(merkle_new(3 * B, &m), 0);
	assert_int_equal(merkle_build(m, data, 3 * B, root), 0);
	assert_int_equal(merkle_proof(m, 2, path, &pathlen), 0);
	assert_int_equal(merkle_build(m, data, 3 * B + 1, root), DZ_ERANGE);
	assert_int_equal(merkle_proof(m, 0, path, &pathlen), DZ_ERANGE);
	merkle_free(m);

	assert_int_equal(merkle_new(0, &m), 0);
	assert_int_equal(merkle_build(m, data, 1, root), DZ_ERANGE);
	assert_int_equal(merkle_build(m, data, 0, root), 0);
	assert_int_equal(merkle_proof(m, 0, path, &pathlen), DZ_ERANGE);
	merkle_free(m);

	assert_int_equal(merkle_verify(root, 1, 0, data, 0,
	    (const uint8_t(*)[HB])path, 0), DZ_EFORMAT);
	assert_int_equal(merkle_verify(root, 1, 0, data, B + 1,
	    (const uint8_t(*)[HB])path, 0), DZ_EFORMAT);
	assert_int_equal(merkle_verify(root, 1, 1, data, B,
	    (const uint8_t(*)[HB])path, 0), DZ_EFORMAT);
	assert_int_equal(merkle_verify(root, 0, 0, data, B,
	    (const uint8_t(*)[HB])path, 0), DZ_EFORMAT);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roots_match_the_reference),
		cmocka_unit_test(empty_tree_is_sha256_of_nothing),
		cmocka_unit_test(proofs_verify_for_every_leaf),
		cmocka_unit_test(wrong_leaf_is_not_a_sibling),
		cmocka_unit_test(bounds_are_enforced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
