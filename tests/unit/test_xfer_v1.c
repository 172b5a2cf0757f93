/*
 * test_xfer_v1: a file record of version 1 (unpadded, as builds before
 * the size buckets wrote it) in a local store still reads back. The test
 * stores a file with put_file in a dirstore, replaces its record by the
 * same header and table encoded at version 1 (record_hdr_encode) and
 * sealed the same way through the store's own record calls, checks that
 * the new record is shorter by exactly the padding, and rebuilds the file
 * with get_file: bit-exact, its header reported as version 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "client/dirstore.h"
#include "client/store.h"
#include "client/xfer.h"
#include "core/record.h"
#include "core/rstream.h"

static const uint8_t folder_key[32] = {1, 2, 3, 4, 5};

/* dir/input holding the len bytes of data, open for reading. */
static int
input_fd(const char *dir, const uint8_t *data, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/input", dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The version 1 record being written: the store and its open record,
 * and the table collected from the version 2 one. */
struct v1_rec {
	const struct store *st;
	struct store_rec *rec;
	uint8_t *table; /* the segments' fragment names, in order */
	size_t len;
};

/* get_walk's callback: append segment seg's names to the table. */
static int
v1_collect(void *arg, uint64_t seg, unsigned n, const uint8_t *names)
{
	struct v1_rec *v = arg;
	size_t entry = record_entry_bytes(n);

	assert_int_equal(v->len, seg * entry);
	assert_non_null(v->table = realloc(v->table, v->len + entry));
	memcpy(v->table + v->len, names, entry);
	v->len += entry;
	return 0;
}

/* rstream_w's sink: the store's record being written. */
static int
v1_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct v1_rec *v = ctx;

	return v->st->ops->rec_write(v->rec, buf, len);
}

/* The size of dir/name. */
static off_t
file_size(const char *dir, const char *name)
{
	char path[256];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

static void
version1_record_reads_back(void **state)
{
	/* A local store holds, in place of the record put_file wrote, the
	 * same record as older builds wrote it: version 1, sealed the same
	 * way, with nothing after its table. get_file rebuilds the file from
	 * it exactly and reports version 1. */
	char dir[] = "/tmp/test_xfer.XXXXXX", rec[16 + 2 * 32], cmd[64];
	struct record_hdr *h = sodium_malloc(sizeof(*h));
	uint8_t *hbuf = sodium_malloc(RECORD_MAXHDR), key[32], id[32], *back;
	struct xfer_file fi = {"old/file", 1600000000, 7, 0600};
	size_t len = 3 * 4096 + 5, hlen;
	uint64_t size, p1, p2;
	struct v1_rec v = {0};
	struct xfer_params xp;
	struct rstream_w *rw;
	struct dirstore *d;
	struct aead *a;
	struct store st;
	uint8_t *data = malloc(len);
	FILE *out = tmpfile();
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(dirstore_open(dir, 1, &d, NULL), 0);
	st = dirstore_store(d);
	randombytes_buf(data, len);
	fd = input_fd(dir, data, len);
	assert_true(fd >= 0);
	xfer_params_default(&xp);
	xp.k = 2;
	xp.n = 5;
	xp.seg_size = 4096;
	assert_int_equal(put_file(&st, folder_key, fd, &fi, &xp, id, &size, NULL), 0);
	close(fd);
	memcpy(rec, "records/", 8);
	hex_encode(id, 32, rec + 8);
	off_t v2_size = file_size(dir, rec);

	/* the same header and table, as version 1 */
	assert_int_equal(get_record(&st, folder_key, id, h, NULL), 0);
	assert_int_equal(h->version, 2);
	assert_int_equal(record_padded_len(h, &p2), 0);
	assert_int_equal(get_walk(&st, folder_key, id, v1_collect, &v, NULL), 0);
	h->version = 1;
	assert_int_equal(record_hdr_encode(h, hbuf, RECORD_MAXHDR, &hlen), 0);
	assert_int_equal(hbuf[0], 1);
	assert_int_equal(record_padded_len(h, &p1), 0);
	assert_int_equal(p1, hlen + v.len);
	assert_true(p2 > p1);
	record_key(folder_key, id, key);
	assert_int_equal(aead_new(&a), 0);
	v.st = &st;
	assert_int_equal(st.ops->rec_create(st.ctx, id, &v.rec, NULL), 0);
	assert_int_equal(rstream_w_new(a, key, id, v1_write, &v, &rw), 0);
	assert_int_equal(rstream_w_write(rw, hbuf, hlen), 0);
	assert_int_equal(rstream_w_write(rw, v.table, v.len), 0);
	assert_int_equal(rstream_w_close(rw), 0);
	assert_int_equal(st.ops->rec_commit(v.rec, NULL), 0);
	/* one sealed chunk either way: shorter by exactly the padding */
	assert_int_equal(v2_size - file_size(dir, rec), (off_t)(p2 - p1));

	memset(h, 0, sizeof(*h));
	assert_int_equal(get_file(&st, folder_key, id, fileno(out), NULL, h, NULL), 0);
	assert_int_equal(h->version, 1);
	assert_int_equal(h->size, len);
	assert_int_equal(h->mode, 0600);
	assert_string_equal(h->name, "old/file");
	assert_int_equal(lseek(fileno(out), 0, SEEK_END), (off_t)len);
	back = malloc(len);
	assert_int_equal(pread(fileno(out), back, len, 0), (ssize_t)len);
	assert_memory_equal(back, data, len);

	fclose(out);
	free(back);
	free(data);
	free(v.table);
	rstream_w_free(rw);
	aead_free(a);
	dirstore_close(d);
	sodium_free(hbuf);
	sodium_free(h);
	sodium_memzero(key, sizeof(key));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version1_record_reads_back),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
