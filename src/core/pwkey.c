/*
 * pwkey: password -> key-encryption key and login seed, with Argon2id.
 *
 * One Argon2id13 run (libsodium crypto_pwhash) produces 64 bytes: the first
 * 32 become the KEK that wraps the master key, the last 32 the seed of the
 * Ed25519 key that answers login challenges. Splitting one output means the
 * two never cost an attacker more than one guess each, nor us two runs.
 * Parameters are bounds-checked before anything is allocated, so a hostile
 * keyfile cannot ask for terabytes. Like every module here, this assumes
 * sodium_init() was called by main().
 */
#include "core/pwkey.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#define PWKEY_OUTBYTES (2 * PWKEY_KEYBYTES)

void
pwkey_params_default(struct pwkey_params *p)
{
	p->alg = PWKEY_ALG_ARGON2ID13;
	p->opslimit = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
	p->memlimit = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
}

int
pwkey_params_check(const struct pwkey_params *p)
{
	if (p->alg != PWKEY_ALG_ARGON2ID13)
		return DZ_EVERSION;
	if (p->opslimit < PWKEY_OPS_MIN || p->opslimit > PWKEY_OPS_MAX)
		return DZ_ERANGE;
	if (p->memlimit < PWKEY_MEM_MIN || p->memlimit > PWKEY_MEM_MAX)
		return DZ_ERANGE;
	/* Only a 32-bit build can fail this: crypto_pwhash takes a size_t. */
	if (p->memlimit > SIZE_MAX)
		return DZ_ERANGE;
	return 0;
}

int
pwkey_params_judge(const struct pwkey_params *p,
    const struct pwkey_params *floor, const char *who, struct dz_errmsg *em)
{
	if (p->alg != PWKEY_ALG_ARGON2ID13)
		return dz_errf(em, DZ_EWEAKKDF,
		    "%s asks for an unknown key-stretching algorithm (%u)", who,
		    (unsigned)p->alg);
	if (p->opslimit > PWKEY_CEIL_OPS || p->memlimit > PWKEY_CEIL_MEM)
		return dz_errf(em, DZ_EWEAKKDF,
		    "excessive key-stretching parameters from %s: %llu passes, %llu KiB (at most %u passes, %llu KiB)",
		    who, (unsigned long long)p->opslimit,
		    (unsigned long long)(p->memlimit / 1024), (unsigned)PWKEY_CEIL_OPS,
		    (unsigned long long)(PWKEY_CEIL_MEM / 1024));
	if (p->opslimit < floor->opslimit || p->memlimit < floor->memlimit)
		return dz_errf(em, DZ_EWEAKKDF,
		    "weak key-stretching parameters from %s: %llu passes, %llu KiB (this computer accepts at least %llu passes, %llu KiB)",
		    who, (unsigned long long)p->opslimit,
		    (unsigned long long)(p->memlimit / 1024),
		    (unsigned long long)floor->opslimit,
		    (unsigned long long)(floor->memlimit / 1024));
	return 0;
}

void
pwkey_params_raise(struct pwkey_params *floor, const struct pwkey_params *p)
{
	if (p->opslimit > floor->opslimit)
		floor->opslimit = p->opslimit;
	if (p->memlimit > floor->memlimit)
		floor->memlimit = p->memlimit;
}

int
pwkey_derive(const char *pw, size_t pwlen,
    const uint8_t salt[static PWKEY_SALTBYTES], const struct pwkey_params *p,
    uint8_t kek[static PWKEY_KEYBYTES],
    uint8_t login_seed[static PWKEY_KEYBYTES])
{
	uint8_t out[PWKEY_OUTBYTES];
	int rc;

	if ((rc = pwkey_params_check(p)) != 0)
		goto out;
	if (pwlen > crypto_pwhash_argon2id_PASSWD_MAX) {
		rc = DZ_ERANGE;
		goto out;
	}
	/* Argon2 reports a failed allocation only through errno. */
	errno = 0;
	if (crypto_pwhash(out, sizeof(out), pw, pwlen, salt, p->opslimit,
	    (size_t)p->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = errno == ENOMEM ? DZ_ENOMEM : DZ_ECRYPTO;
		goto out;
	}
	memcpy(kek, out, PWKEY_KEYBYTES);
	memcpy(login_seed, out + PWKEY_KEYBYTES, PWKEY_KEYBYTES);
	rc = 0;
out:
	sodium_memzero(out, sizeof(out));
	if (rc != 0) {
		sodium_memzero(kek, PWKEY_KEYBYTES);
		sodium_memzero(login_seed, PWKEY_KEYBYTES);
	}
	return rc;
}
