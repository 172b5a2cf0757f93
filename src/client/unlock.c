/*
 * unlock: the unlocked master key in the kernel's session keyring
 * (unlock.h has the payload's layout and what binds it to a profile).
 *
 * Why the kernel keyring and not an agent process of ours: the kernel
 * already keeps key payloads in unswappable memory, expires them on its
 * own clock, and limits reading to the processes that possess the
 * keyring; an agent would have to re-implement each of these (mlock,
 * timers, SO_PEERCRED checks) and stay running. Every buffer that holds
 * the key in this process is sodium_malloc memory (locked, wiped).
 */
#include "client/unlock.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keyutils.h>
#include <sodium.h>

#define UNLOCK_VERSION 1
#define UNLOCK_BINDBYTES 32
#define UNLOCK_PAYLOAD (1 + 7 + 8 + UNLOCK_BINDBYTES + MKEY_BYTES)
#define UNLOCK_PREFIX "drizzle-unlock:"
#define UNLOCK_DESCMAX (sizeof(UNLOCK_PREFIX) + 2 * 32)

/*
 * The session keyring: this login session's, or, for a process that has
 * none (no pam_keyinit: containers, cron), the user's default session
 * keyring (keyrings(7)). Asked for without "create": add_key to
 * KEY_SPEC_SESSION_KEYRING itself would give such a process a new
 * anonymous session keyring that dies with it, and the next command
 * would find nothing. 0 or DZ_EIO.
 */
static int
ring(key_serial_t *out, struct dz_errmsg *em)
{
	key_serial_t r = keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0);

	if (r < 0)
		return dz_errf(em, DZ_EIO, "cannot find the session keyring: %s",
		    strerror(errno));
	*out = r;
	return 0;
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The profile directory's real path into out, so that "./h", "h/" and a
 * symbolic link to h are one profile. */
static int
real_home(const char *home, char out[static PATH_MAX], struct dz_errmsg *em)
{
	if (realpath(home, out) == NULL)
		return dz_errf(em, errno == ENOENT ? DZ_ENOENT : DZ_EIO,
		    "profile %s: %s", home, strerror(errno));
	return 0;
}

/* The key's description: prefix and a hash of the real path (the path
 * itself stays out of /proc/keys). */
static int
describe(const char *home, char desc[static UNLOCK_DESCMAX],
    struct dz_errmsg *em)
{
	static const char hexd[] = "0123456789abcdef";
	char path[PATH_MAX];
	uint8_t h[32];
	size_t o = sizeof(UNLOCK_PREFIX) - 1;
	int rc;

	if ((rc = real_home(home, path, em)) != 0)
		return rc;
	crypto_generichash(h, sizeof(h), (const uint8_t *)path, strlen(path),
	    (const uint8_t *)UNLOCK_PREFIX, o);
	memcpy(desc, UNLOCK_PREFIX, o);
	for (size_t i = 0; i < sizeof(h); i++) {
		desc[o++] = hexd[h[i] >> 4];
		desc[o++] = hexd[h[i] & 15];
	}
	desc[o] = '\0';
	return 0;
}

/* Fields hashed one after the other, each preceded by its length, so
 * that no two profiles give the same byte stream. */
static void
bind_field(crypto_generichash_state *st, const void *p, size_t len)
{
	uint8_t l[8];

	put_u64(l, len);
	crypto_generichash_update(st, l, sizeof(l));
	crypto_generichash_update(st, p, len);
}

static int
binding(const char *home, const struct profile *p,
    uint8_t out[static UNLOCK_BINDBYTES], struct dz_errmsg *em)
{
	crypto_generichash_state st;
	char path[PATH_MAX];
	int rc;

	if (!p->have_account || !p->have_coordinator)
		return dz_errf(em, DZ_ENOENT,
		    "not logged in: run drizzle login or drizzle signup");
	if ((rc = real_home(home, path, em)) != 0)
		return rc;
	crypto_generichash_init(&st, (const uint8_t *)"drizzle unlock binding v1",
	    25, UNLOCK_BINDBYTES);
	bind_field(&st, path, strlen(path));
	bind_field(&st, p->user, strlen(p->user));
	bind_field(&st, p->coord_addr, strlen(p->coord_addr));
	bind_field(&st, p->coord_pk, sizeof(p->coord_pk));
	bind_field(&st, p->keyfile, sizeof(p->keyfile));
	crypto_generichash_final(&st, out, UNLOCK_BINDBYTES);
	return 0;
}

/* The kept item's serial, or 0 when there is none (errno-level failures
 * other than "no such key" are DZ_EIO). */
static int
find(key_serial_t kr, const char *desc, key_serial_t *out,
    struct dz_errmsg *em)
{
	long r = keyctl_search(kr, "user", desc, 0);

	*out = 0;
	if (r >= 0) {
		*out = (key_serial_t)r;
		return 0;
	}
	/* a kernel without keyrings (ENOSYS) cannot hold one either, and a
	 * logout must still work there */
	if (errno == ENOKEY || errno == EKEYEXPIRED || errno == EKEYREVOKED ||
	    errno == EACCES || errno == ENOSYS || errno == EOPNOTSUPP)
		return 0;
	return dz_errf(em, DZ_EIO, "cannot search the session keyring: %s",
	    strerror(errno));
}

static int
drop(key_serial_t kr, key_serial_t key, struct dz_errmsg *em)
{
	if (keyctl_invalidate(key) == 0 || errno == ENOKEY ||
	    errno == EKEYEXPIRED || errno == EKEYREVOKED)
		return 0;
	/* kernels before 3.5 have no invalidate: revoke, then unlink */
	if (keyctl_revoke(key) == 0) {
		(void)keyctl_unlink(key, kr);
		return 0;
	}
	return dz_errf(em, DZ_EIO, "cannot remove the unlocked key: %s",
	    strerror(errno));
}

int
unlock_store(const char *home, const struct profile *p,
    const uint8_t mk[static MKEY_BYTES], unsigned seconds, int64_t *until,
    struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	char desc[UNLOCK_DESCMAX];
	uint8_t *pl = NULL;
	key_serial_t kr, key;
	int64_t exp;
	int rc;

	if (em == NULL)
		em = &tmp;
	if (seconds == 0 || seconds > UNLOCK_MAX_SECONDS)
		return dz_errf(em, DZ_ERANGE,
		    "an unlock lasts 1 second to %u hours", UNLOCK_MAX_SECONDS / 3600);
	if ((rc = describe(home, desc, em)) != 0 || (rc = ring(&kr, em)) != 0)
		return rc;
	if ((pl = sodium_malloc(UNLOCK_PAYLOAD)) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	memset(pl, 0, UNLOCK_PAYLOAD);
	exp = (int64_t)time(NULL) + seconds;
	pl[0] = UNLOCK_VERSION;
	put_u64(pl + 8, (uint64_t)exp);
	if ((rc = binding(home, p, pl + 16, em)) != 0)
		goto out;
	memcpy(pl + 16 + UNLOCK_BINDBYTES, mk, MKEY_BYTES);
	/* an item of the same description in the ring is updated in place */
	key = add_key("user", desc, pl, UNLOCK_PAYLOAD, kr);
	if (key < 0) {
		rc = dz_errf(em, DZ_EIO, "cannot add the key to the session keyring: %s",
		    strerror(errno));
		goto out;
	}
	/* the kernel forgets it at the deadline, even if no process of ours
	 * is left to do it; a key that could not get one is not kept */
	if (keyctl_set_timeout(key, seconds) != 0) {
		rc = dz_errf(em, DZ_EIO, "cannot set the unlocked key's timeout: %s",
		    strerror(errno));
		(void)drop(kr, key, NULL);
		goto out;
	}
	if (until != NULL)
		*until = exp;
out:
	sodium_free(pl);
	return rc;
}

int
unlock_fetch(const char *home, const struct profile *p,
    uint8_t mk[static MKEY_BYTES], int64_t *until, struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	char desc[UNLOCK_DESCMAX];
	uint8_t *pl = NULL, bind[UNLOCK_BINDBYTES];
	key_serial_t kr, key;
	long n;
	int64_t exp;
	int rc;

	if (em == NULL)
		em = &tmp;
	sodium_memzero(mk, MKEY_BYTES);
	if ((rc = binding(home, p, bind, em)) != 0 ||
	    (rc = describe(home, desc, em)) != 0 || (rc = ring(&kr, em)) != 0 ||
	    (rc = find(kr, desc, &key, em)) != 0)
		return rc;
	if (key == 0)
		return dz_errf(em, DZ_ENOENT, "not unlocked");
	/* one byte more than a payload, so that a longer one shows */
	if ((pl = sodium_malloc(UNLOCK_PAYLOAD + 1)) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	n = keyctl_read(key, (char *)pl, UNLOCK_PAYLOAD + 1);
	if (n < 0) {
		/* expired or locked between the search and the read */
		rc = dz_errf(em, DZ_ENOENT, "not unlocked");
		goto out;
	}
	exp = (int64_t)get_u64(pl + 8);
	if (n != UNLOCK_PAYLOAD || pl[0] != UNLOCK_VERSION ||
	    sodium_memcmp(pl + 16, bind, UNLOCK_BINDBYTES) != 0 ||
	    exp <= (int64_t)time(NULL)) {
		/* another account, another keyfile, or a format we do not
		 * know: of no use to anybody, so gone */
		(void)drop(kr, key, NULL);
		rc = dz_errf(em, DZ_ENOENT, "the unlocked key is stale");
		goto out;
	}
	memcpy(mk, pl + 16 + UNLOCK_BINDBYTES, MKEY_BYTES);
	if (until != NULL)
		*until = exp;
out:
	sodium_free(pl);
	return rc;
}

int
unlock_forget(const char *home, int *had, struct dz_errmsg *em)
{
	char desc[UNLOCK_DESCMAX];
	key_serial_t kr, key;
	int rc;

	if (had != NULL)
		*had = 0;
	if ((rc = describe(home, desc, em)) != 0)
		return rc == DZ_ENOENT ? 0 : rc; /* no profile: nothing kept */
	/* no keyring at all (ENOSYS): nothing can be kept, and a logout
	 * must still work */
	if (ring(&kr, NULL) != 0)
		return 0;
	if ((rc = find(kr, desc, &key, em)) != 0 || key == 0)
		return rc;
	if (had != NULL)
		*had = 1;
	return drop(kr, key, em);
}
