/*
 * peercfg: the peer's settings file, DIR/config: what `drizzle config`
 * writes and a running peer re-reads (peerd_limit.c). Format (also in
 * docs/formats.md): UTF-8 text, one setting a line, `KEY VALUE`,
 * separated by spaces or tabs; blank lines and lines starting with `#`
 * are ignored; at most PEERCFG_FILE_MAX bytes. Keys: `capacity` (a size
 * such as 64M, at least 1), `max-upload` and `max-download` (bytes per
 * second such as 10M; 0: unlimited; else at least PEERCFG_RATE_MIN). An
 * unknown key, a key given twice or a bad value refuses the whole file,
 * with a message naming the line. Not for: the peer's identity or
 * addresses, which stay on the command line.
 */
#ifndef DZ_PEERCFG_H
#define DZ_PEERCFG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PEERCFG_FILE "config"
#define PEERCFG_FILE_MAX 4096
/* Capacity when neither the command line nor the file gives one. */
#define PEERCFG_CAPACITY_DEFAULT (10ull << 30)
/* The slowest limit accepted: a 4 MiB fragment must still reach a client
 * well within its 60 s frame deadline. */
#define PEERCFG_RATE_MIN (64u * 1024)

enum peercfg_key {
	PEERCFG_CAPACITY = 0,
	PEERCFG_MAX_UPLOAD,
	PEERCFG_MAX_DOWNLOAD,
	PEERCFG_NKEYS,
};

/* Settings, each present or not (bit 1 << key of set). */
struct peercfg {
	uint64_t v[PEERCFG_NKEYS];
	unsigned set;
};

/* peercfg_name: the key's name in the file ("max-upload"). */
const char *peercfg_name(enum peercfg_key key);

/* peercfg_lookup: the key named name, or -1. */
int peercfg_lookup(const char *name);

/* peercfg_value: parse and check text as a value of key into *out.
 * Returns 0, or DZ_EINVAL with a sentence in em saying what is allowed. */
int peercfg_value(enum peercfg_key key, const char *text, uint64_t *out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* peercfg_parse: the len bytes of a config file into *out. Returns 0 or
 * DZ_EFORMAT with "line N: ..." in em. */
int peercfg_parse(const char *text, size_t len, struct peercfg *out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* peercfg_load: read and parse dir/config; an absent file is an empty
 * configuration. Returns 0, DZ_EFORMAT (em names the file and line),
 * DZ_ERANGE (over PEERCFG_FILE_MAX), DZ_EIO. */
int peercfg_load(const char *dir, struct peercfg *out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* peercfg_save: write cfg as dir/config durably (temporary file, fsync,
 * rename, fsync of dir): a running peer sees the old file or the new
 * one, never half of one. Comments of the old file are not kept.
 * Returns 0 or a dz_err with detail in em. */
int peercfg_save(const char *dir, const struct peercfg *cfg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
