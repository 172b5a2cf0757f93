/*
 * moving: the journal of moves between folders (moving.h).
 */
#include "client/moving.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "client/pending.h"
#include "core/fsio.h"

#define MOVING_MAGIC "DZM1"
#define MOVING_HDR 4
#define MOVING_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define MOVING_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
/* 5 ids and keys | type | 2 paths, each a 2-byte length and padding */
#define MOVING_BODY (5 * 32 + 1 + 2 * (2 + MOVING_PATHMAX))
#define MOVING_BYTES (MOVING_HDR + MOVING_NONCE + MOVING_BODY + MOVING_TAG)

static void
put_path(uint8_t *p, const char *s)
{
	size_t n = strnlen(s, MOVING_PATHMAX);

	p[0] = (uint8_t)(n >> 8);
	p[1] = (uint8_t)n;
	memcpy(p + 2, s, n);
}

/* A path back out of the body; 0 or DZ_EFORMAT (too long, or a NUL). */
static int
get_path(const uint8_t *p, char out[static MOVING_PATHMAX + 1])
{
	size_t n = (size_t)p[0] << 8 | p[1];

	if (n > MOVING_PATHMAX || memchr(p + 2, '\0', n) != NULL)
		return DZ_EFORMAT;
	memcpy(out, p + 2, n);
	out[n] = '\0';
	return 0;
}

int
moving_begin(const char *dir, const uint8_t key[static 32],
    const struct moving_rec *r, char file[static MOVING_FILEMAX], struct dz_errmsg *em)
{
	uint8_t *body, out[MOVING_BYTES];
	uint64_t start, rnd;
	uint32_t pid;
	int rc;

	file[0] = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return dz_errf(em, DZ_EIO, "cannot make %s: %s", dir, strerror(errno));
	pending_self(&pid, &start);
	randombytes_buf(&rnd, sizeof(rnd));
	if (snprintf(file, MOVING_FILEMAX, "%s/%" PRIu32 "-%" PRIu64 "-%016" PRIx64, dir,
	    pid, start, rnd) >= MOVING_FILEMAX) {
		file[0] = '\0';
		return dz_errf(em, DZ_EINVAL, "the profile path is too long");
	}
	if ((body = sodium_malloc(MOVING_BODY)) == NULL)
		return DZ_ENOMEM;
	memset(body, 0, MOVING_BODY);
	memcpy(body, r->src_id, 32);
	memcpy(body + 32, r->src_key, 32);
	memcpy(body + 64, r->dst_id, 32);
	memcpy(body + 96, r->dst_key, 32);
	memcpy(body + 128, r->ent_id, 32);
	body[160] = r->type;
	put_path(body + 161, r->from);
	put_path(body + 163 + MOVING_PATHMAX, r->to);
	memcpy(out, MOVING_MAGIC, MOVING_HDR);
	randombytes_buf(out + MOVING_HDR, MOVING_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + MOVING_HDR + MOVING_NONCE, NULL,
	    body, MOVING_BODY, out, MOVING_HDR, NULL, out + MOVING_HDR, key);
	sodium_free(body); /* wipes */
	rc = fsio_write_durable(AT_FDCWD, file, out, sizeof(out), 1, 0600, em);
	if (rc != 0)
		file[0] = '\0';
	return rc;
}

void
moving_end(const char *file)
{
	if (file[0] != '\0')
		(void)unlink(file);
}

/* Open the journal file at path into r; DZ_EFORMAT if it does not open. */
static int
moving_read(const char *path, const uint8_t key[static 32], struct moving_rec *r,
    uint8_t *body, struct dz_errmsg *em)
{
	uint8_t in[MOVING_BYTES];
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = fsio_read_file(AT_FDCWD, path, in, sizeof(in), &len, em)) != 0)
		return rc == DZ_ERANGE ? DZ_EFORMAT : rc;
	if (len != sizeof(in) || memcmp(in, MOVING_MAGIC, MOVING_HDR) != 0 ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(body, NULL, NULL,
	    in + MOVING_HDR + MOVING_NONCE, MOVING_BODY + MOVING_TAG, in, MOVING_HDR,
	    in + MOVING_HDR, key) != 0)
		return DZ_EFORMAT;
	memcpy(r->src_id, body, 32);
	memcpy(r->src_key, body + 32, 32);
	memcpy(r->dst_id, body + 64, 32);
	memcpy(r->dst_key, body + 96, 32);
	memcpy(r->ent_id, body + 128, 32);
	r->type = body[160];
	if (get_path(body + 161, r->from) != 0 ||
	    get_path(body + 163 + MOVING_PATHMAX, r->to) != 0)
		return DZ_EFORMAT;
	return 0;
}

int
moving_orphans(const char *dir, const uint8_t key[static 32],
    int (*fn)(void *arg, const struct moving_rec *r), void *arg, unsigned *done,
    struct dz_errmsg *em)
{
	char path[MOVING_FILEMAX], bad[MOVING_FILEMAX] = "";
	struct moving_rec *r = NULL;
	uint8_t *body = NULL;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*done = 0;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : dz_errf(em, DZ_EIO, "cannot read %s: %s", dir,
		    strerror(errno));
	if ((r = sodium_malloc(sizeof(*r))) == NULL ||
	    (body = sodium_malloc(MOVING_BODY)) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		unsigned long long start, rnd;
		unsigned pid;
		char tail;

		/* PID-START-RANDOM exactly: not ".", "..", nor a .tmp left by
		 * a crash inside fsio_write_durable */
		if (sscanf(de->d_name, "%u-%llu-%16llx%c", &pid, &start, &rnd, &tail) != 3 ||
		    pending_running(pid, start))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if ((rc = moving_read(path, key, r, body, em)) != 0) {
			memset(em, 0, sizeof(*em));
			/* gone: finished by another command meanwhile */
			if (rc != DZ_ENOENT)
				snprintf(bad, sizeof(bad), "%s", path);
			rc = 0;
			continue;
		}
		if (fn(arg, r) == 0) {
			(void)unlink(path);
			(*done)++;
		}
		sodium_memzero(r, sizeof(*r));
	}
	if (bad[0] != '\0')
		rc = dz_errf(em, DZ_EFORMAT, "%s is not a move this account began (damaged?): "
		    "remove it, and if a `drizzle mv` was cut short, see with `drizzle ls` "
		    "that what it moved is in one folder only", bad);
out:
	sodium_free(body);
	sodium_free(r);
	closedir(d);
	return rc;
}
