/* folderfix: what the folder tests share: a folder id and key, entries,
 * a clock. */
#ifndef DZ_FOLDERFIX_H
#define DZ_FOLDERFIX_H

#include <time.h>

#include "client/folder.h"

static uint8_t fid[32], fkey[32];

static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline struct folder_entry
file_ent(const char *name, uint8_t tag)
{
	struct folder_entry e;

	memset(&e, 0, sizeof(e));
	e.name = name;
	e.type = FOLDER_T_FILE;
	e.mode = 0640;
	e.mtime_sec = 1700000000 + tag;
	e.mtime_nsec = 123456789;
	e.size = 1000u * tag;
	memset(e.id, tag, 32);
	memset(e.key, tag ^ 0x5a, 32);
	return e;
}

/* Seal f's dirty records; exactly one expected: its blob. */
static inline struct folder_blob *
seal1(struct folder *f)
{
	struct folder_blob *b;
	size_t n;

	assert_int_equal(folder_seal_dirty(f, &b, &n, NULL), 0);
	assert_int_equal(n, 1);
	return b;
}

#endif
