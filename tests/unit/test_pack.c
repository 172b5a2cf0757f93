/*
 * test_pack: small files sealed into pack objects (client/pack.c). Files
 * of 0, 1 and PACK_SMALL bytes seal and open back exactly, each under its
 * own key (another file's key, a flipped bit anywhere, or bytes moved to
 * another length do not open); a file above PACK_SMALL is refused; a full
 * pack says DZ_ENOSPC and stays as it was; a file that is shorter or
 * longer than its size is DZ_ECHANGED; a pack stored through put_file
 * (pack_fd) gives each file back by pack_fetch, and many by
 * pack_fetch_many with one fetch of each segment, over the directory
 * store; an altered pack entry (wrong length) is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tmpfix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "client/dirstore.h"
#include "client/pack.h"
#include "core/record.h"

/* A memfd holding len random bytes (kept in *data, malloc'd), at 0. */
static int
src_fd(size_t len, uint8_t **data)
{
	int fd = memfd_create("pack-src", 0);

	*data = malloc(len > 0 ? len : 1);
	randombytes_buf(*data, len);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, *data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* The whole of fd (from 0) into a malloc'd buffer; *len its size. */
static uint8_t *
slurp(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t *b = malloc(end > 0 ? (size_t)end : 1);

	assert_true(end >= 0);
	assert_int_equal(pread(fd, b, (size_t)end, 0), end);
	*len = (size_t)end;
	return b;
}

static void
seal_open(void **state)
{
	static const size_t sizes[] = {0, 1, 1000, PACK_SMALL};
	uint8_t keys[4][32], *data[4], *bytes, *out = malloc(PACK_SMALL);
	uint64_t off[4], len[4];
	struct pack *p;
	size_t blen, n;
	int fd;

	(void)state;
	assert_int_equal(pack_new(0, &p), 0);
	for (int i = 0; i < 4; i++) {
		fd = src_fd(sizes[i], &data[i]);
		assert_int_equal(pack_add(p, fd, sizes[i], keys[i], &off[i], &len[i], NULL), 0);
		close(fd);
		assert_int_equal(len[i], sizes[i] + PACK_OVERHEAD);
		assert_int_equal(off[i], i == 0 ? 0 : off[i - 1] + len[i - 1]);
	}
	assert_int_equal(pack_count(p), 4);
	assert_int_equal(pack_bytes(p), off[3] + len[3]);
	assert_int_equal(pack_fd(p, &fd, NULL), 0);
	bytes = slurp(fd, &blen);
	close(fd);
	assert_int_equal(blen, pack_bytes(p));
	/* the plaintext appears nowhere in the pack */
	assert_null(memmem(bytes, blen, data[2], 64));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pack_open(keys[i], bytes + off[i], len[i], out, PACK_SMALL, &n,
		    NULL), 0);
		assert_int_equal(n, sizes[i]);
		assert_memory_equal(out, data[i], n);
	}
	/* each file its own key */
	assert_false(memcmp(keys[1], keys[2], 32) == 0);
	assert_int_equal(pack_open(keys[1], bytes + off[2], len[2], out, PACK_SMALL, &n,
	    NULL), DZ_EAUTH);
	/* a flipped bit anywhere in one file: nonce, ciphertext, tag */
	for (size_t i = 0; i < len[2]; i += 7) {
		bytes[off[2] + i] ^= 0x20;
		assert_int_equal(pack_open(keys[2], bytes + off[2], len[2], out, PACK_SMALL,
		    &n, NULL), DZ_EAUTH);
		bytes[off[2] + i] ^= 0x20;
	}
	/* the length is authenticated: one byte cut off, or one added */
	assert_int_equal(pack_open(keys[2], bytes + off[2], len[2] - 1, out, PACK_SMALL, &n,
	    NULL), DZ_EAUTH);
	assert_int_equal(pack_open(keys[2], bytes + off[2], len[2] + 1, out, PACK_SMALL, &n,
	    NULL), DZ_EAUTH);
	assert_int_equal(pack_open(keys[2], bytes + off[2], 39, out, PACK_SMALL, &n, NULL),
	    DZ_EFORMAT);
	assert_int_equal(pack_open(keys[2], bytes + off[2], len[2], out, 999, &n, NULL),
	    DZ_ERANGE);
	/* above PACK_SMALL: not for packs */
	free(data[0]);
	fd = src_fd(10, &data[0]);
	assert_int_equal(pack_add(p, fd, PACK_SMALL + 1, keys[0], &off[0], &len[0], NULL),
	    DZ_EINVAL);
	close(fd);
	pack_reset(p);
	assert_int_equal(pack_bytes(p), 0);
	assert_int_equal(pack_count(p), 0);
	pack_free(p);
	assert_int_equal(pack_new(PACK_MAX + 1, &p), DZ_EINVAL);
	assert_null(p);
	for (int i = 0; i < 4; i++)
		free(data[i]);
	free(bytes);
	free(out);
	pack_free(NULL);
}

static void
full_changed(void **state)
{
	uint8_t key[32], *data, *bytes;
	uint64_t off, len;
	struct pack *p;
	size_t blen, n;
	int fd;

	(void)state;
	assert_int_equal(pack_new(2 * (100 + PACK_OVERHEAD) + 10, &p), 0);
	fd = src_fd(100, &data);
	assert_int_equal(pack_add(p, fd, 100, key, &off, &len, NULL), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(pack_add(p, fd, 100, key, &off, &len, NULL), 0);
	assert_int_equal(off, 140);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(pack_add(p, fd, 100, key, &off, &len, NULL), DZ_ENOSPC);
	assert_int_equal(pack_count(p), 2);
	assert_int_equal(pack_bytes(p), 280);
	pack_free(p);
	close(fd);
	free(data);
	/* more bytes than the size said (the file grew), fewer (it shrank) */
	assert_int_equal(pack_new(0, &p), 0);
	fd = src_fd(100, &data);
	assert_int_equal(pack_add(p, fd, 5, key, &off, &len, NULL), DZ_ECHANGED);
	assert_int_equal(lseek(fd, 50, SEEK_SET), 50);
	assert_int_equal(pack_add(p, fd, 8, key, &off, &len, NULL), DZ_ECHANGED);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(pack_add(p, fd, 101, key, &off, &len, NULL), DZ_ECHANGED);
	assert_int_equal(pack_count(p), 0);
	/* the pack as it was: the next file still goes at 0 and opens */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(pack_add(p, fd, 100, key, &off, &len, NULL), 0);
	assert_int_equal(off, 0);
	close(fd);
	assert_int_equal(pack_fd(p, &fd, NULL), 0);
	bytes = slurp(fd, &blen);
	close(fd);
	assert_int_equal(pack_open(key, bytes, blen, bytes + 200, 0, &n, NULL), DZ_ERANGE);
	{
		uint8_t out[100];

		assert_int_equal(pack_open(key, bytes, blen, out, sizeof(out), &n, NULL), 0);
		assert_memory_equal(out, data, 100);
	}
	free(bytes);
	free(data);
	pack_free(p);
}

/* fragment fetches, counted */
static const struct store_ops *inner;
static size_t nfetch;

static int
counting_get(void *ctx, const uint8_t name[32], uint8_t *buf, size_t cap, size_t *len,
    struct dz_errmsg *em)
{
	__atomic_add_fetch(&nfetch, 1, __ATOMIC_SEQ_CST);
	return inner->get_frag(ctx, name, buf, cap, len, em);
}

#define NFILES 40

static void
stored(void **state)
{
	char dir[64];
	uint8_t fkey[32], pid[32], pkey[32], keys[NFILES][32], *data[NFILES];
	uint64_t off[NFILES], len[NFILES], size;
	size_t sz[NFILES], blen;
	struct pack_item items[NFILES];
	struct xfer_file fi = {"pack", 0, 0, 0600};
	struct xfer_params xp;
	struct store_ops ops;
	struct dirstore *d;
	struct store st;
	struct pack *p;
	int fd, outs[NFILES];
	uint8_t *got;

	(void)state;
	tmpdir_make(dir, sizeof(dir), "dz-pack-");
	assert_int_equal(dirstore_open(dir, 1, &d, NULL), 0);
	st = dirstore_store(d);
	inner = st.ops;
	ops = *st.ops;
	ops.get_frag = counting_get;
	st.ops = &ops;
	assert_int_equal(pack_new(0, &p), 0);
	for (int i = 0; i < NFILES; i++) {
		sz[i] = (size_t)randombytes_uniform(6000) + (i == 7 ? 20000 : 0);
		fd = src_fd(sz[i], &data[i]);
		assert_int_equal(pack_add(p, fd, sz[i], keys[i], &off[i], &len[i], NULL), 0);
		close(fd);
	}
	/* one ordinary object: the lead derives its record key as for any */
	randombytes_buf(fkey, 32);
	xfer_params_default(&xp);
	xp.k = 2;
	xp.n = 3;
	xp.seg_size = 16384;
	xp.threads = 2;
	assert_int_equal(pack_fd(p, &fd, NULL), 0);
	assert_int_equal(put_file(&st, fkey, fd, &fi, &xp, pid, &size, NULL), 0);
	close(fd);
	assert_int_equal(size, pack_bytes(p));
	record_key(fkey, pid, pkey);
	/* one file: only its segments (one or two of 16 KiB) are read */
	for (int i = 0; i < NFILES; i += 13) {
		fd = memfd_create("out", 0);
		nfetch = 0;
		assert_int_equal(pack_fetch(&st, pkey, pid, keys[i], off[i], len[i], sz[i], fd,
		    &xp, NULL), 0);
		assert_true(nfetch <= 2 * xp.k);
		got = slurp(fd, &blen);
		assert_int_equal(blen, sz[i]);
		assert_memory_equal(got, data[i], blen);
		free(got);
		close(fd);
	}
	/* an entry that lies: another file's key, a length off by one, a
	 * place past the pack's end; nothing is written */
	fd = memfd_create("out", 0);
	assert_int_equal(pack_fetch(&st, pkey, pid, keys[1], off[2], len[2], sz[2], fd, &xp,
	    NULL), DZ_EAUTH);
	assert_int_equal(pack_fetch(&st, pkey, pid, keys[2], off[2], len[2] + 1, sz[2] + 1,
	    fd, &xp, NULL), DZ_EAUTH);
	assert_int_equal(pack_fetch(&st, pkey, pid, keys[2], off[2], len[2] + 1, sz[2], fd,
	    &xp, NULL), DZ_EFORMAT);
	assert_int_equal(pack_fetch(&st, pkey, pid, keys[2], size, len[2], sz[2], fd, &xp,
	    NULL), DZ_ERANGE);
	assert_int_equal(pack_fetch(&st, fkey, pid, keys[2], off[2], len[2], sz[2], fd, &xp,
	    NULL), DZ_EAUTH); /* the folder key is not the pack's record key */
	assert_int_equal(lseek(fd, 0, SEEK_END), 0);
	close(fd);
	/* all of them at once: every segment read once, k fragments each */
	for (int i = 0; i < NFILES; i++) {
		outs[i] = memfd_create("out", 0);
		items[i] = (struct pack_item){keys[i], off[i], len[i], sz[i], outs[i], 0};
	}
	items[5].file_key = keys[6]; /* one bad: the rest still come back */
	nfetch = 0;
	assert_int_equal(pack_fetch_many(&st, pkey, pid, items, NFILES, &xp, NULL), DZ_EAUTH);
	assert_int_equal(nfetch, xp.k * record_nsegs(size, xp.seg_size));
	for (int i = 0; i < NFILES; i++) {
		got = slurp(outs[i], &blen);
		assert_int_equal(items[i].rc, i == 5 ? DZ_EAUTH : 0);
		assert_int_equal(blen, i == 5 ? 0 : sz[i]);
		assert_memory_equal(got, data[i], blen);
		free(got);
		close(outs[i]);
		free(data[i]);
	}
	assert_int_equal(pack_fetch_many(&st, pkey, pid, items, 0, &xp, NULL), 0);
	pack_free(p);
	dirstore_close(d);
	tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seal_open),
		cmocka_unit_test(full_changed),
		cmocka_unit_test(stored),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
