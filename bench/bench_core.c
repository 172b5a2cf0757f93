/*
 * bench_core: how fast the core stages of a put and a get run on one core.
 *
 * Every figure is measured in this run on 4 MiB buffers (our segment size)
 * and printed beside memcpy and, where there is one, the library a careful
 * engineer would otherwise have used: segment sealing (OpenSSL
 * ChaCha20-Poly1305 through seg_seal) against libsodium's
 * XChaCha20-Poly1305, fragment hashing (merkle_build, SHA-256) against
 * BLAKE2b and against plain one-pass SHA-256, and Reed-Solomon encode and
 * worst-case decode, counted in segment (input) bytes. Each figure is the
 * best of 3 runs of at least 0.3 s (--quick: of 1 run of 0.02 s, for smoke
 * tests). Buffers are allocated and touched before any timing, since a page
 * fault costs 12-20 us here. Prints figures; asserts nothing.
 */
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/aead.h"
#include "core/merkle.h"
#include "core/rs.h"
#include "core/seg.h"

#define BUFBYTES ((size_t)4 << 20)

struct bench {
	uint8_t *src, *dst; /* BUFBYTES + tag room each */
	struct aead *aead;
	struct merkle *merkle;
	uint8_t key[SEG_KEYBYTES], id[SEG_IDBYTES];
	uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t hash[MERKLE_HASHBYTES];
	/* Reed-Solomon */
	struct rs *rs;
	uint8_t *frag[RS_MAXN];
	uint8_t have[RS_MAXN];
	size_t fraglen;
	int fail; /* a library call failed: the figure is void */
};

typedef void (*pass_fn)(struct bench *b);

static double min_secs = 0.3;
static int runs = 3;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* MB/s (10^6 bytes) of `bytes` per pass: best of `runs` runs of at least
 * min_secs each, after one untimed warm-up pass. */
static double
measure(struct bench *b, pass_fn pass, size_t bytes)
{
	double best = 0;

	pass(b);
	for (int r = 0; r < runs; r++) {
		double t0 = now(), t;
		unsigned long iters = 0;

		do {
			pass(b);
			iters++;
		} while ((t = now() - t0) < min_secs);
		if ((double)bytes * (double)iters / t / 1e6 > best)
			best = (double)bytes * (double)iters / t / 1e6;
	}
	return b->fail ? 0 : best;
}

static void
report(const char *name, double mbs, double memcpy_mbs, const char *ref,
    double ref_mbs)
{
	printf("%-36s %6.0f MB/s  %5.2fx memcpy", name, mbs, mbs / memcpy_mbs);
	if (ref != NULL)
		printf("  %5.2fx %s (%.0f MB/s)", mbs / ref_mbs, ref, ref_mbs);
	printf("\n");
}

static void
pass_memcpy(struct bench *b)
{
	memcpy(b->dst, b->src, BUFBYTES);
	/* keep the copy from being optimised away */
	__asm__ volatile("" : : "r"(b->dst) : "memory");
}

static void
pass_seal(struct bench *b)
{
	if (seg_seal(b->aead, b->key, b->id, 7, 0, b->src, BUFBYTES, b->dst))
		b->fail = 1;
}

static void
pass_xchacha(struct bench *b)
{
	unsigned long long clen;

	crypto_aead_xchacha20poly1305_ietf_encrypt(b->dst, &clen, b->src,
	    BUFBYTES, b->id, sizeof(b->id), NULL, b->nonce, b->key);
}

static void
pass_merkle(struct bench *b)
{
	if (merkle_build(b->merkle, b->src, BUFBYTES, b->hash) != 0)
		b->fail = 1;
}

static void
pass_sha256(struct bench *b)
{
	if (EVP_Digest(b->src, BUFBYTES, b->hash, NULL, EVP_sha256(), NULL) != 1)
		b->fail = 1;
}

static void
pass_blake2b(struct bench *b)
{
	crypto_generichash(b->hash, sizeof(b->hash), b->src, BUFBYTES, NULL, 0);
}

static void
pass_rs_encode(struct bench *b)
{
	if (rs_encode(b->rs, b->frag, b->fraglen) != 0)
		b->fail = 1;
}

static void
pass_rs_decode(struct bench *b)
{
	if (rs_decode(b->rs, b->frag, b->have, b->fraglen) != 0)
		b->fail = 1;
}

static void *
buffer(size_t len)
{
	/* 64-byte aligned, and touched so that no page faults are timed */
	size_t alloc = (len + 63) / 64 * 64;
	uint8_t *p = aligned_alloc(64, alloc);

	if (p != NULL)
		randombytes_buf(p, alloc);
	return p;
}

/* RS encode and worst-case decode for one code; 0 or -1. */
static int
bench_rs(struct bench *b, unsigned k, unsigned n, double memcpy_mbs)
{
	unsigned lost = k < n - k ? k : n - k, i;
	double enc, dec;
	char name[64];
	int rc = -1;

	if (rs_new(k, n, &b->rs) != 0)
		return -1;
	b->fraglen = (BUFBYTES + k - 1) / k;
	for (i = 0; i < n; i++)
		if ((b->frag[i] = buffer(b->fraglen)) == NULL)
			goto out;
	enc = measure(b, pass_rs_encode, BUFBYTES);
	/* as many data pieces lost as the code allows: the most work */
	for (i = 0; i < n; i++)
		b->have[i] = i >= lost;
	dec = measure(b, pass_rs_decode, BUFBYTES);
	snprintf(name, sizeof(name), "rs encode %u-of-%u (isa-l)", k, n);
	report(name, enc, memcpy_mbs, NULL, 0);
	snprintf(name, sizeof(name), "rs decode %u-of-%u, %u data lost", k, n,
	    lost);
	report(name, dec, memcpy_mbs, NULL, 0);
	rc = 0;
out:
	for (unsigned j = 0; j < i; j++)
		free(b->frag[j]);
	rs_free(b->rs);
	b->rs = NULL;
	return rc;
}

int
main(int argc, char **argv)
{
	static const unsigned codes[][2] = {{4, 12}, {10, 30}, {29, 80}};
	struct bench b = {0};
	double mc, seal, xc, mk, sha, b2;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			min_secs = 0.02;
			runs = 1;
		} else {
			fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
			return 2;
		}
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "bench_core: libsodium failed to initialise\n");
		return 1;
	}
	if ((b.src = buffer(BUFBYTES + 64)) == NULL ||
	    (b.dst = buffer(BUFBYTES + 64)) == NULL ||
	    aead_new(&b.aead) != 0 ||
	    merkle_new(BUFBYTES, &b.merkle) != 0) {
		fprintf(stderr, "bench_core: cannot set up (out of memory?)\n");
		goto out;
	}
	randombytes_buf(b.key, sizeof(b.key));
	randombytes_buf(b.id, sizeof(b.id));
	randombytes_buf(b.nonce, sizeof(b.nonce));

	printf("bench_core: one core, 4 MiB buffers, best of %d x %.2f s%s\n",
	    runs, min_secs, runs == 1 ? " (--quick)" : "");
	mc = measure(&b, pass_memcpy, BUFBYTES);
	report("memcpy", mc, mc, NULL, 0);

	seal = measure(&b, pass_seal, BUFBYTES);
	xc = measure(&b, pass_xchacha, BUFBYTES);
	report("seal chacha20-poly1305 (openssl)", seal, mc,
	    "libsodium xchacha20-poly1305", xc);

	mk = measure(&b, pass_merkle, BUFBYTES);
	b2 = measure(&b, pass_blake2b, BUFBYTES);
	sha = measure(&b, pass_sha256, BUFBYTES);
	report("merkle sha-256 (openssl)", mk, mc, "libsodium blake2b", b2);
	report("  same, against one-pass sha-256", mk, mc, "sha-256", sha);

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (bench_rs(&b, codes[i][0], codes[i][1], mc) != 0) {
			fprintf(stderr, "bench_core: rs %u-of-%u failed\n",
			    codes[i][0], codes[i][1]);
			goto out;
		}
	if (b.fail) {
		fprintf(stderr, "bench_core: a library call failed; figures "
		    "shown as 0 are void\n");
		goto out;
	}
	rc = 0;
out:
	merkle_free(b.merkle);
	aead_free(b.aead);
	free(b.dst);
	free(b.src);
	return rc;
}
