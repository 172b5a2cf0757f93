/*
 * merkle: SHA-256 Merkle trees over fixed-size blocks (RFC 6962 shape).
 *
 * Every fragment byte goes through here, so the leaf loop is the hot path:
 * one EVP_MD_CTX, fetched and allocated once in merkle_new, is reset for
 * each leaf and nothing is allocated per build. Leaves hash straight from
 * the caller's buffer (the 0x00 prefix goes in as its own update).
 *
 * The tree is kept level by level, leaves first, in one array (about 2n
 * hashes): each level pairs adjacent nodes and carries an odd last
 * node up unchanged. That is the same tree as RFC 6962's recursive split at
 * the largest power of two below n (the left subtree is always complete, so
 * only the rightmost node of a level can be unpaired), and it makes an audit
 * path one sibling lookup per level.
 */
#include "core/merkle.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t mhash[MERKLE_HASHBYTES];

struct merkle {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
	size_t max_len;
	mhash *nodes;   /* every level of the last build, leaves first */
	size_t nleaves; /* of the last build */
};

size_t
merkle_nleaves(size_t len)
{
	return len / MERKLE_BLOCK + (len % MERKLE_BLOCK != 0);
}

int
merkle_new(size_t max_len, struct merkle **out)
{
	struct merkle *m = NULL;
	size_t w = merkle_nleaves(max_len), nodes = w, bytes;
	int rc = DZ_ENOMEM;

	*out = NULL;
	/* levels hold n + ceil(n/2) + ... + 1 hashes: under 2n + log2(n) */
	for (; w > 1; w = (w + 1) / 2)
		nodes += (w + 1) / 2;
	if (__builtin_mul_overflow(nodes, sizeof(mhash), &bytes))
		return DZ_ENOMEM;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto out;
	m->max_len = max_len;
	if (bytes > 0 && (m->nodes = malloc(bytes)) == NULL)
		goto out;
	if ((m->ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	rc = DZ_ECRYPTO;
	if ((m->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		goto out;
	*out = m;
	m = NULL;
	rc = 0;
out:
	merkle_free(m);
	return rc;
}

void
merkle_free(struct merkle *m)
{
	if (m == NULL)
		return;
	EVP_MD_free(m->md);
	EVP_MD_CTX_free(m->ctx);
	free(m->nodes);
	free(m);
}

/* out = SHA-256(a || b), b optional. */
static int
sha256_2(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t out[static MERKLE_HASHBYTES])
{
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		return DZ_ECRYPTO;
	return 0;
}

static int
leaf_hash(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *block,
    size_t len, uint8_t out[static MERKLE_HASHBYTES])
{
	static const uint8_t prefix = 0x00;

	return sha256_2(ctx, md, &prefix, 1, block, len, out);
}

static int
node_hash(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *left,
    const uint8_t *right, uint8_t out[static MERKLE_HASHBYTES])
{
	uint8_t buf[1 + 2 * MERKLE_HASHBYTES];

	buf[0] = 0x01;
	memcpy(buf + 1, left, MERKLE_HASHBYTES);
	memcpy(buf + 1 + MERKLE_HASHBYTES, right, MERKLE_HASHBYTES);
	return sha256_2(ctx, md, buf, sizeof(buf), NULL, 0, out);
}

int
merkle_build(struct merkle *m, const uint8_t *data, size_t len,
    uint8_t root[static MERKLE_HASHBYTES])
{
	size_t n = merkle_nleaves(len), lo = 0, w = n;
	int rc;

	m->nleaves = 0;
	if (len > m->max_len)
		return DZ_ERANGE;
	if (n == 0)
		return sha256_2(m->ctx, m->md, (const uint8_t *)"", 0, NULL, 0,
		    root);
	for (size_t i = 0; i < n; i++) {
		size_t off = i * MERKLE_BLOCK;
		size_t blen = len - off < MERKLE_BLOCK ? len - off : MERKLE_BLOCK;

		if ((rc = leaf_hash(m->ctx, m->md, data + off, blen,
		    m->nodes[i])) != 0)
			return rc;
	}
	/* level [lo, lo + w) makes level [lo + w, lo + w + ceil(w / 2)) */
	while (w > 1) {
		mhash *lv = m->nodes + lo, *up = m->nodes + lo + w;

		for (size_t i = 0; i + 1 < w; i += 2)
			if ((rc = node_hash(m->ctx, m->md, lv[i], lv[i + 1],
			    up[i / 2])) != 0)
				return rc;
		if (w % 2)
			memcpy(up[w / 2], lv[w - 1], MERKLE_HASHBYTES);
		lo += w;
		w = (w + 1) / 2;
	}
	memcpy(root, m->nodes[lo], MERKLE_HASHBYTES);
	m->nleaves = n;
	return 0;
}

int
merkle_proof(const struct merkle *m, size_t leaf,
    uint8_t path[][MERKLE_HASHBYTES], size_t *pathlen)
{
	size_t lo = 0, w = m->nleaves, i = leaf, np = 0;

	*pathlen = 0;
	if (leaf >= m->nleaves)
		return DZ_ERANGE;
	for (; w > 1; lo += w, w = (w + 1) / 2, i /= 2)
		if ((i ^ 1) < w)
			memcpy(path[np++], m->nodes[lo + (i ^ 1)],
			    MERKLE_HASHBYTES);
	*pathlen = np;
	return 0;
}

int
merkle_verify(const uint8_t root[static MERKLE_HASHBYTES], size_t nleaves,
    size_t leaf, const uint8_t *block, size_t blocklen,
    const uint8_t path[][MERKLE_HASHBYTES], size_t pathlen)
{
	EVP_MD_CTX *ctx = NULL;
	uint8_t h[MERKLE_HASHBYTES];
	size_t want = 0, np = 0;
	int rc = DZ_EFORMAT;

	if (leaf >= nleaves || blocklen == 0 || blocklen > MERKLE_BLOCK)
		return DZ_EFORMAT;
	for (size_t w = nleaves, i = leaf; w > 1; w = (w + 1) / 2, i /= 2)
		want += (i ^ 1) < w;
	if (pathlen != want)
		return DZ_EFORMAT;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return DZ_ENOMEM;
	if ((rc = leaf_hash(ctx, EVP_sha256(), block, blocklen, h)) != 0)
		goto out;
	for (size_t w = nleaves, i = leaf; w > 1; w = (w + 1) / 2, i /= 2) {
		if ((i ^ 1) >= w)
			continue; /* carried up unpaired */
		if (i & 1)
			rc = node_hash(ctx, EVP_sha256(), path[np], h, h);
		else
			rc = node_hash(ctx, EVP_sha256(), h, path[np], h);
		if (rc != 0)
			goto out;
		np++;
	}
	rc = memcmp(h, root, MERKLE_HASHBYTES) == 0 ? 0 : DZ_EINTEGRITY;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

void
merkle_hex(const uint8_t h[static MERKLE_HASHBYTES], char out[static 65])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < MERKLE_HASHBYTES; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[2 * MERKLE_HASHBYTES] = '\0';
}
