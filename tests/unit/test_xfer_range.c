/*
 * test_xfer_range: get_range over the local directory store. A range
 * inside one segment, across a segment boundary, the last byte and the
 * whole object come back exactly; a range past the end is DZ_ERANGE;
 * only the segments a range touches are fetched (a corrupted fragment
 * elsewhere is not even read: the fetches are counted by name), and a
 * corrupted fragment inside the range is rebuilt from the others and
 * reported as damage; a wrong record key does not open the record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tmpfix.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "client/dirstore.h"
#include "client/xfer.h"
#include "core/fragfile.h"
#include "core/record.h"

#define SEG 4096u
#define NSEG 5
#define K 2
#define N 4
#define MAXFETCH 256

/* the directory store with its fragment reads counted by name */
static struct {
	pthread_mutex_t mu;
	const struct store_ops *inner;
	uint8_t names[MAXFETCH][32];
	size_t n;
} fetches = {PTHREAD_MUTEX_INITIALIZER, NULL, {{0}}, 0};

static int
counting_get(void *ctx, const uint8_t name[32], uint8_t *buf, size_t cap, size_t *len,
    struct dz_errmsg *em)
{
	pthread_mutex_lock(&fetches.mu);
	assert_true(fetches.n < MAXFETCH);
	memcpy(fetches.names[fetches.n++], name, 32);
	pthread_mutex_unlock(&fetches.mu);
	return fetches.inner->get_frag(ctx, name, buf, cap, len, em);
}

static int
fetched(const uint8_t name[32])
{
	int c = 0;

	for (size_t i = 0; i < fetches.n; i++)
		c += memcmp(fetches.names[i], name, 32) == 0;
	return c;
}

struct fix {
	char dir[64];
	struct dirstore *d;
	struct store_ops ops;
	struct store st;
	uint8_t fkey[32], rkey[32], id[32];
	uint8_t names[NSEG][N * 32]; /* every segment's fragment names */
	uint8_t *data;
	size_t len;
	struct xfer_params xp;
};

static int
collect(void *arg, uint64_t seg, unsigned n, const uint8_t *names)
{
	struct fix *f = arg;

	assert_int_equal(n, N);
	assert_true(seg < NSEG);
	memcpy(f->names[seg], names, N * 32);
	return 0;
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct xfer_file fi = {"ranged", 1700000000, 0, 0644};
	uint64_t size;
	int fd;

	tmpdir_make(f->dir, sizeof(f->dir), "dz-range-");
	assert_int_equal(dirstore_open(f->dir, 1, &f->d, NULL), 0);
	f->st = dirstore_store(f->d);
	f->ops = *f->st.ops;
	fetches.inner = f->st.ops;
	f->ops.get_frag = counting_get;
	f->st.ops = &f->ops;
	f->len = NSEG * SEG - 1000; /* the last segment is short */
	f->data = malloc(f->len);
	randombytes_buf(f->data, f->len);
	randombytes_buf(f->fkey, 32);
	fd = memfd_create("range-in", 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f->data, f->len), (ssize_t)f->len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	xfer_params_default(&f->xp);
	f->xp.k = K;
	f->xp.n = N;
	f->xp.seg_size = SEG;
	f->xp.threads = 2;
	assert_int_equal(put_file(&f->st, f->fkey, fd, &fi, &f->xp, f->id, &size, NULL), 0);
	close(fd);
	assert_int_equal(size, f->len);
	record_key(f->fkey, f->id, f->rkey);
	assert_int_equal(get_walk(&f->st, f->fkey, f->id, collect, f, NULL), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	dirstore_close(f->d);
	tmpdir_remove(f->dir);
	free(f->data);
	free(f);
	return 0;
}

/* get_range of [off, off + len): 0 and the right bytes, with the
 * fetch count reset first. */
static void
check_range(struct fix *f, uint64_t off, uint64_t len)
{
	uint8_t *out = malloc(len + 1);
	struct dz_errmsg em = {{0}};

	fetches.n = 0;
	assert_int_equal(get_range(&f->st, f->rkey, f->id, off, len, out, &f->xp, &em), 0);
	assert_memory_equal(out, f->data + off, len);
	free(out);
}

/* Segments fetched from, as a bit mask. */
static unsigned
segs_fetched(const struct fix *f)
{
	unsigned m = 0;

	for (unsigned s = 0; s < NSEG; s++)
		for (unsigned i = 0; i < N; i++)
			if (fetched(f->names[s] + 32 * i))
				m |= 1u << s;
	return m;
}

static void
ranges(void **state)
{
	struct fix *f = *state;
	uint8_t b[16];

	check_range(f, 100, 200); /* inside segment 0 */
	assert_int_equal(segs_fetched(f), 0x1);
	assert_int_equal(fetches.n, K); /* the data fragments: no decoding */
	check_range(f, 2 * SEG + 5, 50); /* inside segment 2 only */
	assert_int_equal(segs_fetched(f), 0x4);
	check_range(f, SEG - 10, 20); /* across the 0|1 boundary */
	assert_int_equal(segs_fetched(f), 0x3);
	check_range(f, SEG, SEG); /* exactly segment 1 */
	assert_int_equal(segs_fetched(f), 0x2);
	check_range(f, f->len - 1, 1); /* the last byte */
	assert_int_equal(segs_fetched(f), 0x10);
	check_range(f, 0, f->len); /* all of it */
	assert_int_equal(segs_fetched(f), 0x1f);
	check_range(f, f->len, 0); /* nothing, at the end: fine */
	assert_int_equal(fetches.n, 0);
	/* past the end: refused, nothing fetched */
	fetches.n = 0;
	assert_int_equal(get_range(&f->st, f->rkey, f->id, f->len - 1, 2, b, &f->xp, NULL),
	    DZ_ERANGE);
	assert_int_equal(get_range(&f->st, f->rkey, f->id, f->len + 1, 0, b, &f->xp, NULL),
	    DZ_ERANGE);
	assert_int_equal(get_range(&f->st, f->rkey, f->id, 8, UINT64_MAX, b, &f->xp, NULL),
	    DZ_ERANGE);
	assert_int_equal(fetches.n, 0);
	/* the folder key is not the record key; a wrong key opens nothing */
	assert_int_equal(get_range(&f->st, f->fkey, f->id, 0, 1, b, &f->xp, NULL), DZ_EAUTH);
	/* pp NULL: the defaults */
	fetches.n = 0;
	assert_int_equal(get_range(&f->st, f->rkey, f->id, 3, 9, b, NULL, NULL), 0);
	assert_memory_equal(b, f->data + 3, 9);
}

/* Overwrite fragment i of segment s with garbage of the same length. */
static void
corrupt(struct fix *f, unsigned s, unsigned i)
{
	char path[FRAGFILE_PATH_MAX];
	int dfd = dirstore_dirfd(f->d), fd;
	uint8_t junk[64];

	fragfile_path(f->names[s] + 32 * i, path);
	fd = openat(dfd, path, O_WRONLY);
	assert_true(fd >= 0);
	randombytes_buf(junk, sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 100), (ssize_t)sizeof(junk));
	close(fd);
}

struct dmg {
	uint64_t seg[8];
	unsigned index[8];
	int why[8];
	unsigned n;
};

static void
on_damage(void *arg, uint64_t seg, unsigned index, const uint8_t name[32], int why)
{
	struct dmg *d = arg;

	(void)name;
	assert_true(d->n < 8);
	d->seg[d->n] = seg;
	d->index[d->n] = index;
	d->why[d->n++] = why;
}

static void
damaged(void **state)
{
	struct fix *f = *state;
	struct dmg d = {{0}, {0}, {0}, 0};

	/* segment 3's first data fragment spoilt: a range of segment 1 never
	 * reads any of segment 3's fragments */
	corrupt(f, 3, 0);
	f->xp.damage = on_damage;
	f->xp.damage_arg = &d;
	check_range(f, SEG + 7, 300);
	assert_int_equal(segs_fetched(f), 0x2);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(fetched(f->names[3] + 32 * i), 0);
	assert_int_equal(d.n, 0);
	/* inside the range: rebuilt from the others, and named as damage
	 * with its number in the file, not in the range */
	check_range(f, 3 * SEG + 1, 10);
	assert_int_equal(segs_fetched(f), 0x8);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.seg[0], 3);
	assert_int_equal(d.index[0], 0);
	assert_int_equal(d.why[0], DZ_EINTEGRITY);
	assert_int_equal(fetches.n, K + 1);
	/* one more loss in segment 3: too few; segment 4 still reads */
	corrupt(f, 3, 1);
	corrupt(f, 3, 2);
	{
		uint8_t b[10];
		struct dz_errmsg em = {{0}};

		assert_int_equal(get_range(&f->st, f->rkey, f->id, 3 * SEG + 1, 10, b, &f->xp,
		    &em), DZ_ETOOFEW);
		assert_non_null(strstr(em.text, "segment 3"));
	}
	check_range(f, 4 * SEG, 10);
	f->xp.damage = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
