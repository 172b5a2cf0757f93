/*
 * profile: the client's small on-disk state, read strictly and written
 * durably; see profile.h for the layout.
 */
#include "client/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/dirstore.h"
#include "core/fsio.h"

int
profile_home(const char *opt, char out[PATH_MAX], struct dz_errmsg *em)
{
	const char *env = getenv("DRIZZLE_HOME"), *home = getenv("HOME");
	int n;

	if (opt != NULL && opt[0] != '\0')
		n = snprintf(out, PATH_MAX, "%s", opt);
	else if (env != NULL && env[0] != '\0')
		n = snprintf(out, PATH_MAX, "%s", env);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(out, PATH_MAX, "%s/.config/drizzle", home);
	else
		return dz_errf(em, DZ_EINVAL,
		    "no profile directory: pass --home DIR or set DRIZZLE_HOME");
	if (n < 0 || n >= PATH_MAX)
		return dz_errf(em, DZ_ERANGE, "the profile directory's path is too long");
	return 0;
}

/* mkdir -p for the profile: parents 0755 (as ~/.config would be), the
 * profile itself 0700. */
static int
make_home(const char *home, struct dz_errmsg *em)
{
	char path[PATH_MAX];
	size_t len = strlen(home);

	if (len >= sizeof(path))
		return dz_errf(em, DZ_ERANGE, "the profile directory's path is too long");
	memcpy(path, home, len + 1);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return dz_errf(em, fsio_errno(errno), "cannot create %s: %s",
			    path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return dz_errf(em, fsio_errno(errno), "cannot create %s: %s", path,
		    strerror(errno));
	return 0;
}

static int
save(const char *home, const char *name, const uint8_t *buf, size_t len,
    struct dz_errmsg *em)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = make_home(home, em)) != 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s/%s", home, name) >= (int)sizeof(path))
		return dz_errf(em, DZ_ERANGE, "the profile directory's path is too long");
	return fsio_write_durable(AT_FDCWD, path, buf, len, 0, 0600, em);
}

/* Read home/name (at most cap - 1 bytes, NUL-terminated). 1 if it exists,
 * 0 if not, negative on error. */
static int
load(const char *home, const char *name, uint8_t *buf, size_t cap, size_t *len,
    struct dz_errmsg *em)
{
	char path[PATH_MAX];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", home, name) >= (int)sizeof(path))
		return dz_errf(em, DZ_ERANGE, "the profile directory's path is too long");
	rc = fsio_read_file(AT_FDCWD, path, buf, cap - 1, len, em);
	if (rc == DZ_ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	buf[*len] = '\0';
	return 1;
}

/* One line of printable characters, at most max bytes, then "\n". */
static int
take_line(char **p, char *out, size_t max)
{
	char *nl = strchr(*p, '\n');
	size_t n;

	if (nl == NULL)
		return DZ_EFORMAT;
	n = (size_t)(nl - *p);
	if (n == 0 || n > max)
		return DZ_EFORMAT;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)(*p)[i] < 0x21 || (unsigned char)(*p)[i] > 0x7e)
			return DZ_EFORMAT;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = nl + 1;
	return 0;
}

int
profile_load(const char *home, struct profile *p, struct dz_errmsg *em)
{
	char buf[KEYFILE_BYTES + 256], hex[65];
	char *cur;
	size_t len;
	int rc, have_user;

	memset(p, 0, sizeof(*p));
	if (strlen(home) >= sizeof(p->home))
		return dz_errf(em, DZ_ERANGE, "the profile directory's path is too long");
	memcpy(p->home, home, strlen(home) + 1);

	rc = load(home, "coordinator", (uint8_t *)buf, sizeof(buf), &len, em);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		cur = buf;
		if (take_line(&cur, p->coord_addr, PROFILE_ADDRMAX) != 0 ||
		    take_line(&cur, hex, 64) != 0 || *cur != '\0' ||
		    hex_decode(hex, p->coord_pk, 32) != 0)
			return dz_errf(em, DZ_EFORMAT,
			    "%s/coordinator is damaged (expected ADDR:PORT and a 64-hex key); sign up or log in again",
			    home);
		p->have_coordinator = 1;
	}
	rc = load(home, "account", (uint8_t *)buf, sizeof(buf), &len, em);
	if (rc < 0)
		return rc;
	have_user = rc == 1;
	if (have_user) {
		cur = buf;
		if (take_line(&cur, p->user, PROFILE_USERMAX) != 0 || *cur != '\0')
			return dz_errf(em, DZ_EFORMAT, "%s/account is damaged; log in again",
			    home);
	}
	rc = load(home, "keyfile", (uint8_t *)buf, sizeof(buf), &len, em);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		struct keyfile kf;
		if (len != KEYFILE_BYTES ||
		    keyfile_parse((const uint8_t *)buf, len, &kf) != 0)
			return dz_errf(em, DZ_EFORMAT, "%s/keyfile is damaged; log in again",
			    home);
		memcpy(p->keyfile, buf, KEYFILE_BYTES);
	}
	p->have_account = have_user && rc == 1;
	rc = load(home, "device", (uint8_t *)buf, sizeof(buf), &len, em);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		if (len != PROFILE_DEVICEBYTES)
			return dz_errf(em, DZ_EFORMAT, "%s/device is damaged; log in again",
			    home);
		memcpy(p->device, buf, PROFILE_DEVICEBYTES);
		p->have_device = 1;
	}
	return 0;
}

int
profile_save_coordinator(const char *home, const char *addr,
    const uint8_t pk[static 32], struct dz_errmsg *em)
{
	char buf[PROFILE_ADDRMAX + 80], hex[65];
	int n;

	if (strlen(addr) == 0 || strlen(addr) > PROFILE_ADDRMAX)
		return dz_errf(em, DZ_ERANGE, "coordinator address too long");
	hex_encode(pk, 32, hex);
	n = snprintf(buf, sizeof(buf), "%s\n%s\n", addr, hex);
	return save(home, "coordinator", (const uint8_t *)buf, (size_t)n, em);
}

int
profile_save_account(const char *home, const char *user,
    const uint8_t keyfile[static KEYFILE_BYTES], const uint8_t *device,
    struct dz_errmsg *em)
{
	char buf[PROFILE_USERMAX + 2];
	int rc, n;

	if (strlen(user) == 0 || strlen(user) > PROFILE_USERMAX)
		return dz_errf(em, DZ_ERANGE, "user name too long");
	n = snprintf(buf, sizeof(buf), "%s\n", user);
	/* the keyfile first: an account line without its keyfile reads as
	 * "not logged in", never as a half-written login */
	if ((rc = save(home, "keyfile", keyfile, KEYFILE_BYTES, em)) != 0 ||
	    (device != NULL && (rc = save(home, "device", device,
	    PROFILE_DEVICEBYTES, em)) != 0))
		return rc;
	return save(home, "account", (const uint8_t *)buf, (size_t)n, em);
}

int
profile_forget_account(const char *home, struct dz_errmsg *em)
{
	const char *names[] = {"account", "keyfile", "device"};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", home, names[i]) >= (int)sizeof(path))
			return dz_errf(em, DZ_ERANGE, "the profile directory's path is too long");
		if (unlink(path) != 0 && errno != ENOENT)
			return dz_errf(em, fsio_errno(errno), "cannot remove %s: %s", path,
			    strerror(errno));
	}
	return fsio_fsync_dir(AT_FDCWD, path);
}
