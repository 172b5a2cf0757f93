/*
 * pwkey: password -> key-encryption key and login key, with Argon2id.
 *
 * The only place a password is turned into key material. Parameters travel
 * with the salt (in a keyfile, or at the coordinator) so they can be raised
 * later without breaking old accounts. Not for storing anything: see keyfile.
 */
#ifndef DZ_PWKEY_H
#define DZ_PWKEY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PWKEY_SALTBYTES 16
#define PWKEY_KEYBYTES 32
#define PWKEY_ALG_ARGON2ID13 1 /* the only algorithm of format v1 */

/* Hard bounds on what a parser accepts, so a hostile keyfile or coordinator
 * cannot make the client allocate or compute without end. */
#define PWKEY_OPS_MIN 1
#define PWKEY_OPS_MAX 64
#define PWKEY_MEM_MIN 8192ULL                   /* libsodium's minimum */
#define PWKEY_MEM_MAX (4ULL * 1024 * 1024 * 1024) /* 4 GiB */

struct pwkey_params {
	uint8_t alg;       /* PWKEY_ALG_ARGON2ID13 */
	uint64_t opslimit; /* Argon2 passes */
	uint64_t memlimit; /* bytes */
};

/* What a client accepts from a coordinator before deriving anything from
 * the password: never more than an ordinary computer can give (a ceiling
 * that keeps a hostile coordinator from exhausting it) ... */
#define PWKEY_CEIL_OPS 16
#define PWKEY_CEIL_MEM (1ULL << 30) /* 1 GiB */

/* pwkey_params_default: the default costs, libsodium's MODERATE (about 0.5 s
 * and 256 MiB per guess on our machines). */
void pwkey_params_default(struct pwkey_params *p);

/* pwkey_params_check: 0 if alg is known and both limits are within the
 * bounds above, DZ_ERANGE or DZ_EVERSION otherwise. */
int pwkey_params_check(const struct pwkey_params *p) DZ_MUST_CHECK;

/*
 * pwkey_params_judge: ... and never less than floor (the caller's: the
 * default, this computer's own parameters if higher, or what the user
 * asked for explicitly). 0 if p is within [floor, ceiling]; else
 * DZ_EWEAKKDF with em saying "weak key-stretching parameters" (below the
 * floor: costs that would make a leaked verifier cheap to crack) or
 * "excessive key-stretching parameters" (above the ceiling), naming both.
 * who names the party that asked for p ("the coordinator").
 */
int pwkey_params_judge(const struct pwkey_params *p,
    const struct pwkey_params *floor, const char *who,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* pwkey_params_raise: floor = the larger of floor and p, limit by limit
 * (both passes and memory), for "the parameters already held if higher". */
void pwkey_params_raise(struct pwkey_params *floor,
    const struct pwkey_params *p);

/*
 * pwkey_derive: run Argon2id over the pwlen bytes of pw with salt and
 * params, and split the 64-byte output into kek (wraps the master key) and
 * login_seed (seed of the Ed25519 key that answers login challenges). Both
 * outputs are caller-owned and should be sodium_malloc'ed; on failure they
 * are zeroed. Returns 0, DZ_ERANGE or DZ_EVERSION (bad params, as
 * pwkey_params_check), DZ_ENOMEM (Argon2 could not get its memory) or
 * DZ_ECRYPTO.
 */
int pwkey_derive(const char *pw, size_t pwlen,
    const uint8_t salt[static PWKEY_SALTBYTES], const struct pwkey_params *p,
    uint8_t kek[static PWKEY_KEYBYTES],
    uint8_t login_seed[static PWKEY_KEYBYTES]) DZ_MUST_CHECK;

#endif
