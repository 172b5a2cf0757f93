/*
 * bench_pipeline: the put/get pipeline without a disk, so the figure is the
 * pipeline's own (sealing, coding, hashing, threads, copies), the part the
 * network will feed. Fragments go to an in-memory store whose memory is
 * allocated and touched before timing; the input is a memfd. Prints MB/s
 * beside the slowest single stage (Merkle hashing on one core, measured in
 * the same run) and beside a large memcpy. No assertions.
 *   bench_pipeline [--quick] [--size MiB]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client/xfer.h"
#include "core/frag.h"
#include "core/merkle.h"

struct ment {
	uint8_t name[32];
	uint8_t *p;
	size_t len;
};

struct memstore {
	pthread_mutex_t mu;
	uint8_t *arena;
	size_t cap, used;
	struct ment *ents;
	size_t nents, maxents;
	int discard;
	uint8_t *rec;
	size_t rec_len, rec_cap;
};

struct store_rec {
	struct memstore *m;
	size_t off;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* open addressing on the name's first bytes: names are uniform hashes */
static struct ment *
slot_for(struct memstore *m, const uint8_t name[32])
{
	size_t h;

	memcpy(&h, name, sizeof(h));
	for (size_t i = h % m->maxents;; i = (i + 1) % m->maxents)
		if (m->ents[i].p == NULL || memcmp(m->ents[i].name, name, 32) == 0)
			return &m->ents[i];
}

static int
ms_put(void *ctx, const uint8_t name[32], const uint8_t *buf, size_t len,
    struct dz_errmsg *em)
{
	struct memstore *m = ctx;
	struct ment *e;
	uint8_t *dst;

	(void)em;
	if (m->discard)
		return 0;
	pthread_mutex_lock(&m->mu);
	if (m->used + len > m->cap || m->nents * 2 >= m->maxents) {
		pthread_mutex_unlock(&m->mu);
		return DZ_ENOSPC;
	}
	dst = m->arena + m->used;
	m->used += (len + 63) & ~(size_t)63;
	e = slot_for(m, name);
	memcpy(e->name, name, 32);
	e->p = dst;
	e->len = len;
	m->nents++;
	pthread_mutex_unlock(&m->mu);
	memcpy(dst, buf, len);
	return 0;
}

static int
ms_get(void *ctx, const uint8_t name[32], uint8_t *buf, size_t cap, size_t *len,
    struct dz_errmsg *em)
{
	struct memstore *m = ctx;
	struct ment *e;

	(void)em;
	pthread_mutex_lock(&m->mu);
	e = slot_for(m, name);
	pthread_mutex_unlock(&m->mu);
	if (e->p == NULL)
		return DZ_ENOENT;
	if (e->len > cap)
		return DZ_ERANGE;
	memcpy(buf, e->p, e->len);
	*len = e->len;
	return 0;
}

static int
ms_del(void *ctx, const uint8_t name[32])
{
	(void)ctx;
	(void)name;
	return 0;
}

static int
ms_sync(void *ctx, struct dz_errmsg *em)
{
	(void)ctx;
	(void)em;
	return 0;
}

static int
ms_rec_create(void *ctx, const uint8_t id[32], struct store_rec **out,
    struct dz_errmsg *em)
{
	struct memstore *m = ctx;
	static struct store_rec r;

	(void)id;
	(void)em;
	m->rec_len = 0;
	r.m = m;
	r.off = 0;
	*out = &r;
	return 0;
}

static int
ms_rec_write(struct store_rec *r, const uint8_t *buf, size_t len)
{
	struct memstore *m = r->m;

	if (m->rec_len + len > m->rec_cap) {
		m->rec_cap = (m->rec_len + len) * 2;
		m->rec = realloc(m->rec, m->rec_cap);
		if (m->rec == NULL)
			return DZ_ENOMEM;
	}
	memcpy(m->rec + m->rec_len, buf, len);
	m->rec_len += len;
	return 0;
}

static int
ms_rec_commit(struct store_rec *r, struct dz_errmsg *em)
{
	(void)r;
	(void)em;
	return 0;
}

static int
ms_rec_open(void *ctx, const uint8_t id[32], struct store_rec **out,
    struct dz_errmsg *em)
{
	struct memstore *m = ctx;
	static struct store_rec r;

	(void)id;
	(void)em;
	r.m = m;
	r.off = 0;
	*out = &r;
	return 0;
}

static int
ms_rec_read(struct store_rec *r, uint8_t *buf, size_t len)
{
	if (len > r->m->rec_len - r->off)
		return DZ_ETRUNC;
	memcpy(buf, r->m->rec + r->off, len);
	r->off += len;
	return 0;
}

static void
ms_rec_close(struct store_rec *r)
{
	(void)r;
}

static const struct store_ops ms_ops = {
	.put_frag = ms_put,
	.get_frag = ms_get,
	.del_frag = ms_del,
	.sync = ms_sync,
	.rec_create = ms_rec_create,
	.rec_write = ms_rec_write,
	.rec_commit = ms_rec_commit,
	.rec_open = ms_rec_open,
	.rec_read = ms_rec_read,
	.rec_close = ms_rec_close,
};

static void *
populated(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

int
main(int argc, char **argv)
{
	static const uint8_t fk[32] = {7};
	size_t size = 256u << 20;
	struct memstore m;
	struct store st = {&ms_ops, &m};
	struct xfer_params xp;
	struct xfer_file fi = {"bench", 0, 0, 0644};
	struct merkle *mk;
	uint8_t id[32], root[32], *in, *a;
	uint64_t got;
	double t, best_hash = 0, best_copy = 0;
	int fd, out;
	unsigned codes[][2] = {{10, 30}, {4, 12}};

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			size = 32u << 20;
		else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
			size = (size_t)strtoul(argv[++i], NULL, 10) << 20;
	}
	if (sodium_init() < 0)
		return 1;

	/* references: one-core Merkle hashing of 4 MiB, memcpy of the size */
	in = populated(size);
	randombytes_buf(in, size);
	if (merkle_new(4u << 20, &mk) != 0)
		return 1;
	for (int r = 0; r < 5; r++) {
		t = now();
		if (merkle_build(mk, in, 4u << 20, root) != 0)
			return 1;
		t = now() - t;
		if (best_hash == 0 || (4u << 20) / t > best_hash)
			best_hash = (4u << 20) / t;
	}
	merkle_free(mk);
	a = populated(size);
	for (int r = 0; r < 3; r++) {
		t = now();
		memcpy(a, in, size);
		t = now() - t;
		if (size / t > best_copy)
			best_copy = size / t;
	}
	munmap(a, size);
	printf("bench_pipeline: %zu MiB in memory, default threads\n", size >> 20);
	printf("memcpy (%zu MiB)                %6.0f MB/s\n", size >> 20, best_copy / 1e6);
	printf("merkle hashing, one core       %6.0f MB/s\n", best_hash / 1e6);

	fd = memfd_create("bench-in", 0);
	if (fd < 0 || write(fd, in, size) != (ssize_t)size)
		return 1;
	out = memfd_create("bench-out", 0);
	if (out < 0 || ftruncate(out, (off_t)size) != 0)
		return 1;
	/* touch the output's pages once so the timed get does not fault */
	if (pwrite(out, in, size, 0) != (ssize_t)size)
		return 1;

	for (size_t c = 0; c < 2; c++) {
		unsigned k = codes[c][0], n = codes[c][1];
		double stage = best_hash * k / n, tput, tput_null, tget;

		memset(&m, 0, sizeof(m));
		pthread_mutex_init(&m.mu, NULL);
		m.cap = size / k * n + (size >> 4) + (64u << 20);
		m.arena = populated(m.cap);
		m.maxents = 4 * (size / (4u << 20) + 2) * n;
		m.ents = calloc(m.maxents, sizeof(*m.ents));
		xfer_params_default(&xp);
		xp.k = k;
		xp.n = n;

		m.discard = 1;
		lseek(fd, 0, SEEK_SET);
		t = now();
		if (put_file(&st, fk, fd, &fi, &xp, id, &got, NULL) != 0)
			return 1;
		tput_null = now() - t;
		m.discard = 0;
		lseek(fd, 0, SEEK_SET);
		t = now();
		if (put_file(&st, fk, fd, &fi, &xp, id, &got, NULL) != 0)
			return 1;
		tput = now() - t;
		lseek(out, 0, SEEK_SET);
		t = now();
		if (get_file(&st, fk, id, out, &xp, NULL, NULL) != 0)
			return 1;
		tget = now() - t;
		if (pread(out, a = malloc(1 << 20), 1 << 20, 0) != 1 << 20 ||
		    memcmp(a, in, 1 << 20) != 0)
			printf("  (get returned different bytes: BUG)\n");
		free(a);
		printf("%u-of-%u put, fragments discarded %6.0f MB/s  %.2fx slowest stage (hashing %u/%u: %.0f MB/s)\n",
		    k, n, size / tput_null / 1e6, size / tput_null / stage, n, k, stage / 1e6);
		printf("%u-of-%u put to memory            %6.0f MB/s  %.2fx slowest stage  %.3fx memcpy\n",
		    k, n, size / tput / 1e6, size / tput / stage, size / tput / best_copy);
		printf("%u-of-%u get from memory          %6.0f MB/s  %.2fx slowest stage (hashing k fragments: %.0f MB/s)  %.3fx memcpy\n",
		    k, n, size / tget / 1e6, size / tget / best_hash, best_hash / 1e6,
		    size / tget / best_copy);
		munmap(m.arena, m.cap);
		free(m.ents);
		free(m.rec);
		pthread_mutex_destroy(&m.mu);
	}
	munmap(in, size);
	close(fd);
	close(out);
	return 0;
}
