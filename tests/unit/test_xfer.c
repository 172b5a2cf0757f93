/*
 * test_xfer: the put/get pipelines over an in-memory store. Proves that a
 * file of any size comes back bit-exact with any n-k fragments of a segment
 * gone or corrupted, that one more loss is an error naming the segment and
 * never wrong data, that a store returning wrong bytes is caught, that a
 * wrong key or a damaged record is refused, and that a put that fails part
 * way leaves nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "client/xfer.h"
#include "client/xfer_int.h"
#include "core/frag.h"

/* ---- an in-memory store ---- */

#define MEM_MAX 4096

struct mem_frag {
	uint8_t name[32];
	uint8_t *buf;
	size_t len;
};

struct mem_store {
	pthread_mutex_t mu;
	struct mem_frag frags[MEM_MAX];
	size_t nfrags;
	uint8_t rec_id[32];
	uint8_t *rec;
	size_t rec_len, rec_cap;
	int have_rec;
	long put_budget;   /* put_frag fails with DZ_ENOSPC when it reaches 0 */
	int lie;           /* get_frag returns another fragment's bytes */
};

struct store_rec {
	struct mem_store *m;
	size_t off;
	int writing;
	uint8_t id[32];
	uint8_t *buf;
	size_t len, cap;
};

static struct mem_frag *
mem_find(struct mem_store *m, const uint8_t name[32])
{
	for (size_t i = 0; i < m->nfrags; i++)
		if (memcmp(m->frags[i].name, name, 32) == 0)
			return &m->frags[i];
	return NULL;
}

static int
mem_put(void *ctx, const uint8_t name[32], const uint8_t *buf, size_t len,
    struct dz_errmsg *em)
{
	struct mem_store *m = ctx;
	struct mem_frag *f;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	if (m->put_budget == 0) {
		rc = dz_errf(em, DZ_ENOSPC, "store full");
		goto out;
	}
	if (m->put_budget > 0)
		m->put_budget--;
	f = mem_find(m, name);
	if (f == NULL) {
		assert_true(m->nfrags < MEM_MAX);
		f = &m->frags[m->nfrags++];
		memcpy(f->name, name, 32);
	} else {
		free(f->buf);
	}
	f->buf = malloc(len);
	assert_non_null(f->buf);
	memcpy(f->buf, buf, len);
	f->len = len;
out:
	pthread_mutex_unlock(&m->mu);
	return rc;
}

static int
mem_get(void *ctx, const uint8_t name[32], uint8_t *buf, size_t cap, size_t *len,
    struct dz_errmsg *em)
{
	struct mem_store *m = ctx;
	struct mem_frag *f;
	int rc = 0;

	(void)em;
	pthread_mutex_lock(&m->mu);
	f = mem_find(m, name);
	if (f != NULL && m->lie) /* answer with the next fragment's bytes */
		f = &m->frags[(size_t)(f - m->frags + 1) % m->nfrags];
	if (f == NULL || f->buf == NULL)
		rc = DZ_ENOENT;
	else if (f->len > cap)
		rc = DZ_ERANGE;
	else {
		memcpy(buf, f->buf, f->len);
		*len = f->len;
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

static int
mem_del(void *ctx, const uint8_t name[32])
{
	struct mem_store *m = ctx;
	struct mem_frag *f;

	pthread_mutex_lock(&m->mu);
	f = mem_find(m, name);
	if (f != NULL) {
		free(f->buf);
		f->buf = NULL;
		f->len = 0;
	}
	pthread_mutex_unlock(&m->mu);
	return 0;
}

static int
mem_sync(void *ctx, struct dz_errmsg *em)
{
	(void)ctx;
	(void)em;
	return 0;
}

static int
mem_rec_create(void *ctx, const uint8_t id[32], struct store_rec **out,
    struct dz_errmsg *em)
{
	struct store_rec *r = calloc(1, sizeof(*r));

	(void)em;
	r->m = ctx;
	r->writing = 1;
	memcpy(r->id, id, 32);
	*out = r;
	return 0;
}

static int
mem_rec_write(struct store_rec *r, const uint8_t *buf, size_t len)
{
	if (r->len + len > r->cap) {
		r->cap = (r->len + len) * 2;
		r->buf = realloc(r->buf, r->cap);
	}
	memcpy(r->buf + r->len, buf, len);
	r->len += len;
	return 0;
}

static void
mem_rec_close(struct store_rec *r)
{
	if (r == NULL)
		return;
	if (r->writing)
		free(r->buf);
	free(r);
}

static int
mem_rec_commit(struct store_rec *r, struct dz_errmsg *em)
{
	struct mem_store *m = r->m;

	(void)em;
	free(m->rec);
	m->rec = r->buf;
	m->rec_len = r->len;
	memcpy(m->rec_id, r->id, 32);
	m->have_rec = 1;
	r->writing = 0;
	mem_rec_close(r);
	return 0;
}

static int
mem_rec_open(void *ctx, const uint8_t id[32], struct store_rec **out,
    struct dz_errmsg *em)
{
	struct mem_store *m = ctx;
	struct store_rec *r;

	(void)em;
	if (!m->have_rec || memcmp(id, m->rec_id, 32) != 0)
		return DZ_ENOENT;
	r = calloc(1, sizeof(*r));
	r->m = m;
	*out = r;
	return 0;
}

static int
mem_rec_read(struct store_rec *r, uint8_t *buf, size_t len)
{
	if (len > r->m->rec_len - r->off)
		return DZ_ETRUNC;
	memcpy(buf, r->m->rec + r->off, len);
	r->off += len;
	return 0;
}

/* no put_seg: the pipeline's one-fragment-at-a-time path is tested here,
 * the dirstore's parallel put_seg by the integration scenarios */
static const struct store_ops mem_ops = {
	.put_frag = mem_put,
	.get_frag = mem_get,
	.del_frag = mem_del,
	.sync = mem_sync,
	.rec_create = mem_rec_create,
	.rec_write = mem_rec_write,
	.rec_commit = mem_rec_commit,
	.rec_open = mem_rec_open,
	.rec_read = mem_rec_read,
	.rec_close = mem_rec_close,
};

static struct mem_store *
mem_new(void)
{
	struct mem_store *m = calloc(1, sizeof(*m));

	pthread_mutex_init(&m->mu, NULL);
	m->put_budget = -1;
	return m;
}

static void
mem_free(struct mem_store *m)
{
	for (size_t i = 0; i < m->nfrags; i++)
		free(m->frags[i].buf);
	free(m->rec);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static size_t
mem_live(struct mem_store *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nfrags; i++)
		n += m->frags[i].buf != NULL;
	return n;
}

/* ---- helpers ---- */

static const uint8_t folder_key[32] = {1, 2, 3, 4, 5};

/* A pipe-free input: a temporary file holding len random bytes. */
static int
input_fd(const uint8_t *data, size_t len)
{
	FILE *f = tmpfile();
	int fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	fclose(f);
	assert_true(write(fd, data, len) == (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Put len random bytes with k-of-n and 4 KiB segments; returns the data. */
static uint8_t *
put_random(struct mem_store *m, size_t len, unsigned k, unsigned n,
    uint8_t id[32], int *rc)
{
	struct store st = {&mem_ops, m};
	struct xfer_params xp;
	struct xfer_file fi = {"test file", 1700000000, 5, 0644};
	uint8_t *data = malloc(len + 1);
	uint64_t size = 0;
	int fd;

	randombytes_buf(data, len);
	fd = input_fd(data, len);
	xfer_params_default(&xp);
	xp.k = k;
	xp.n = n;
	xp.seg_size = 4096;
	*rc = put_file(&st, folder_key, fd, &fi, &xp, id, &size, NULL);
	if (*rc == 0)
		assert_int_equal(size, len);
	close(fd);
	return data;
}

/* Get into a temporary file; returns the rc, and the bytes in *out. */
static int
get_all(struct mem_store *m, const uint8_t id[32], const uint8_t *key,
    uint8_t **out, size_t *outlen, struct dz_errmsg *em)
{
	struct store st = {&mem_ops, m};
	FILE *f = tmpfile();
	int rc = get_file(&st, key, id, fileno(f), NULL, NULL, em);
	long n = ftell(f);

	fflush(f);
	n = lseek(fileno(f), 0, SEEK_END);
	*outlen = (size_t)n;
	*out = malloc((size_t)n + 1);
	assert_int_equal(pread(fileno(f), *out, (size_t)n, 0), n);
	fclose(f);
	return rc;
}

struct segnames {
	uint8_t names[8][256][32];
	unsigned nsegs, n;
};

static int
collect_cb(void *arg, uint64_t seg, unsigned n, const uint8_t *names)
{
	struct segnames *s = arg;

	assert_true(seg < 8);
	memcpy(s->names[seg], names, (size_t)n * 32);
	s->nsegs = (unsigned)seg + 1;
	s->n = n;
	return 0;
}

static void
walk(struct mem_store *m, const uint8_t id[32], struct segnames *s)
{
	struct store st = {&mem_ops, m};

	assert_int_equal(get_walk(&st, folder_key, id, collect_cb, s, NULL), 0);
}

/* ---- tests ---- */

static void
round_trip_every_size(void **state)
{
	/* 0 bytes, 1 byte, one segment less one, exactly one, one more, many
	 * segments with a ragged tail: every one comes back exactly. */
	const size_t sizes[] = {0, 1, 4095, 4096, 4097, 5 * 4096 + 7, 8 * 4096};
	const unsigned codes[][2] = {{1, 2}, {2, 5}, {3, 7}, {4, 12}};

	(void)state;
	for (size_t c = 0; c < 4; c++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct mem_store *m = mem_new();
			uint8_t id[32], *back;
			size_t blen;
			int rc;
			uint8_t *data = put_random(m, sizes[i], codes[c][0], codes[c][1], id, &rc);
			assert_int_equal(rc, 0);
			assert_int_equal(get_all(m, id, folder_key, &back, &blen, NULL), 0);
			assert_int_equal(blen, sizes[i]);
			assert_memory_equal(back, data, sizes[i]);
			free(back);
			free(data);
			mem_free(m);
		}
}

static void
any_n_minus_k_lost_per_segment(void **state)
{
	/* For 3-of-6 over three segments, every choice of 3 lost fragments
	 * in the middle segment (some deleted, one corrupted) still rebuilds
	 * the file exactly; the other segments lose a fixed 3 meanwhile. */
	(void)state;
	for (unsigned mask = 0; mask < 64; mask++) {
		if (__builtin_popcount(mask) != 3)
			continue;
		struct mem_store *m = mem_new();
		struct segnames s;
		uint8_t id[32], *back;
		size_t blen;
		int rc, first = 1;
		uint8_t *data = put_random(m, 3 * 4096 - 100, 3, 6, id, &rc);
		assert_int_equal(rc, 0);
		walk(m, id, &s);
		assert_int_equal(s.nsegs, 3);
		for (unsigned i = 0; i < 6; i++) {
			if (mask & (1u << i)) {
				if (first) { /* corrupt one byte of the first chosen */
					struct mem_frag *f = mem_find(m, s.names[1][i]);
					f->buf[f->len - 1] ^= 1;
					first = 0;
				} else {
					mem_del(m, s.names[1][i]);
				}
			}
			if (i < 3) {
				mem_del(m, s.names[0][i]);     /* all data lost */
				mem_del(m, s.names[2][5 - i]); /* all parity lost */
			}
		}
		assert_int_equal(get_all(m, id, folder_key, &back, &blen, NULL), 0);
		assert_int_equal(blen, 3 * 4096 - 100);
		assert_memory_equal(back, data, blen);
		free(back);
		free(data);
		mem_free(m);
	}
}

static void
one_loss_too_many_fails_cleanly(void **state)
{
	/* With n-k+1 fragments of segment 2 gone, the get fails with
	 * DZ_ETOOFEW naming segment 2, after writing exactly the two
	 * authentic segments before it. */
	struct mem_store *m = mem_new();
	struct segnames s;
	struct dz_errmsg em = {{0}};
	uint8_t id[32], *back;
	size_t blen;
	int rc;
	uint8_t *data = put_random(m, 4 * 4096, 2, 5, id, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	walk(m, id, &s);
	for (unsigned i = 0; i < 4; i++)
		mem_del(m, s.names[2][i]);
	rc = get_all(m, id, folder_key, &back, &blen, &em);
	assert_int_equal(rc, DZ_ETOOFEW);
	assert_non_null(strstr(em.text, "segment 2"));
	assert_int_equal(blen, 2 * 4096);
	assert_memory_equal(back, data, blen);
	free(back);
	free(data);
	mem_free(m);
}

struct dmg_seen {
	unsigned n;
	uint64_t seg[8];
	unsigned index[8];
	int why[8];
};

static void
dmg_cb(void *arg, uint64_t seg, unsigned index, const uint8_t name[32], int why)
{
	struct dmg_seen *d = arg;

	(void)name;
	assert_true(d->n < 8);
	d->seg[d->n] = seg;
	d->index[d->n] = index;
	d->why[d->n++] = why;
}

static void
damage_is_named(void **state)
{
	/* A get that rebuilds around a missing and a corrupted fragment
	 * still returns the file, and reports both by segment and index
	 * with the reason: missing (DZ_ENOENT) or corrupt (DZ_EINTEGRITY). */
	struct mem_store *m = mem_new();
	struct store st = {&mem_ops, m};
	struct segnames s;
	struct dmg_seen d = {0};
	struct xfer_params xp;
	uint8_t id[32];
	int rc;
	uint8_t *data = put_random(m, 2 * 4096, 2, 5, id, &rc);
	FILE *f = tmpfile();

	(void)state;
	assert_int_equal(rc, 0);
	walk(m, id, &s);
	mem_del(m, s.names[1][0]);
	mem_find(m, s.names[1][1])->buf[20] ^= 4;
	xfer_params_default(&xp);
	xp.damage = dmg_cb;
	xp.damage_arg = &d;
	assert_int_equal(get_file(&st, folder_key, id, fileno(f), &xp, NULL, NULL), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.seg[0], 1);
	assert_int_equal(d.index[0], 0);
	assert_int_equal(d.why[0], DZ_ENOENT);
	assert_int_equal(d.seg[1], 1);
	assert_int_equal(d.index[1], 1);
	assert_int_equal(d.why[1], DZ_EINTEGRITY);
	fclose(f);
	free(data);
	mem_free(m);
}

static void
lying_store_is_caught(void **state)
{
	/* A store that answers every request with some other fragment's
	 * bytes never gets them accepted: the get fails, writing nothing. */
	struct mem_store *m = mem_new();
	uint8_t id[32], *back;
	size_t blen;
	int rc;
	uint8_t *data = put_random(m, 3 * 4096, 2, 4, id, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	m->lie = 1;
	rc = get_all(m, id, folder_key, &back, &blen, NULL);
	assert_int_equal(rc, DZ_ETOOFEW);
	assert_int_equal(blen, 0);
	free(back);
	free(data);
	mem_free(m);
}

static void
wrong_key_and_damaged_record_refused(void **state)
{
	/* Another folder key does not open the record; a record cut short,
	 * or with any single byte flipped, is refused, and no file bytes are
	 * written in either case. */
	struct mem_store *m = mem_new();
	uint8_t id[32], *back, other[32] = {9};
	size_t blen, full;
	int rc;
	uint8_t *data = put_random(m, 2 * 4096 + 1, 2, 4, id, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	assert_int_not_equal(get_all(m, id, other, &back, &blen, NULL), 0);
	assert_int_equal(blen, 0);
	free(back);
	full = m->rec_len;
	for (size_t cut = 0; cut < full; cut += 7) {
		m->rec_len = cut;
		assert_int_not_equal(get_all(m, id, folder_key, &back, &blen, NULL), 0);
		free(back);
	}
	m->rec_len = full;
	for (size_t i = 0; i < full; i++) {
		m->rec[i] ^= 0x40;
		rc = get_all(m, id, folder_key, &back, &blen, NULL);
		assert_int_not_equal(rc, 0);
		assert_int_equal(blen, 0);
		free(back);
		m->rec[i] ^= 0x40;
	}
	assert_int_equal(get_all(m, id, folder_key, &back, &blen, NULL), 0);
	assert_memory_equal(back, data, blen);
	free(back);
	free(data);
	mem_free(m);
}

static void
failed_put_leaves_nothing(void **state)
{
	/* When the store fills up part way, the put reports DZ_ENOSPC, commits
	 * no record, and deletes every fragment it had stored. */
	struct mem_store *m = mem_new();
	uint8_t id[32];
	int rc;
	uint8_t *data;

	(void)state;
	m->put_budget = 25; /* 6 segments of 2-of-5 need 30 */
	data = put_random(m, 6 * 4096, 2, 5, id, &rc);
	assert_int_equal(rc, DZ_ENOSPC);
	assert_false(m->have_rec);
	assert_int_equal(mem_live(m), 0);
	free(data);
	mem_free(m);
}

static void
fragments_are_named_by_content(void **state)
{
	/* Every stored fragment passes frag_check under the name it is stored
	 * as, carries its k, n and index, and no two fragments share a name. */
	struct mem_store *m = mem_new();
	struct segnames s;
	struct merkle *mk;
	struct frag_hdr h;
	uint8_t id[32];
	int rc;
	uint8_t *data = put_random(m, 2 * 4096, 3, 5, id, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	assert_int_equal(merkle_new(1 << 20, &mk), 0);
	walk(m, id, &s);
	assert_int_equal(s.nsegs, 2);
	assert_int_equal(m->nfrags, 10);
	for (unsigned g = 0; g < 2; g++)
		for (unsigned i = 0; i < 5; i++) {
			struct mem_frag *f = mem_find(m, s.names[g][i]);
			assert_non_null(f);
			assert_int_equal(frag_check(mk, f->buf, f->len, f->name, &h), 0);
			assert_int_equal(h.index, i);
			assert_int_equal(h.k, 3);
			assert_int_equal(h.n, 5);
		}
	merkle_free(mk);
	free(data);
	mem_free(m);
}

/* The pipeline fits its memory budget: a network transfer (two store
 * copies per fragment) of 10-of-30 or 4-of-12 over 4 MiB segments keeps
 * fewer segments in flight than four threads would, and stays within
 * XFER_MEM_BUDGET; without a budget it runs every thread; a segment too
 * large for the budget still runs, one at a time. */
static void
memory_budget_bounds_segments_in_flight(void **state)
{
	static const unsigned codes[][2] = {{10, 30}, {4, 12}, {2, 3}, {1, 2}};
	struct xfer_params xp;
	struct xfer x;

	(void)state;
	xfer_params_default(&xp);
	xp.threads = 4;
	xp.store_copies = 2;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_int_equal(xfer_setup(&x, codes[i][0], codes[i][1],
		    4u << 20, &xp, i % 2), 0);
		assert_true(x.nworkers >= 1 && x.nworkers <= 4);
		assert_true(x.nslots > x.nworkers);
		assert_true(xfer_mem(&x, x.nslots, x.nworkers, 2) <= XFER_MEM_BUDGET);
		if (codes[i][1] >= 12)
			assert_true(x.nworkers < 4);
		xfer_teardown(&x);
	}
	xp.mem_budget = 0;
	assert_int_equal(xfer_setup(&x, 10, 30, 4u << 20, &xp, 0), 0);
	assert_int_equal(x.nworkers, 4);
	assert_int_equal(x.nslots, 6);
	xfer_teardown(&x);
	xp.mem_budget = XFER_MEM_BUDGET;
	assert_int_equal(xfer_setup(&x, 10, 30, 16u << 20, &xp, 1), 0);
	assert_int_equal(x.nworkers, 1);
	assert_int_equal(x.nslots, 2);
	xfer_teardown(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_every_size),
		cmocka_unit_test(memory_budget_bounds_segments_in_flight),
		cmocka_unit_test(any_n_minus_k_lost_per_segment),
		cmocka_unit_test(one_loss_too_many_fails_cleanly),
		cmocka_unit_test(damage_is_named),
		cmocka_unit_test(lying_store_is_caught),
		cmocka_unit_test(wrong_key_and_damaged_record_refused),
		cmocka_unit_test(failed_put_leaves_nothing),
		cmocka_unit_test(fragments_are_named_by_content),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
