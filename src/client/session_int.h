/*
 * session_int: what session.c (sign-up, login, opening), session_acct.c
 * (password change, devices) and session_xchg.c (the helpers) share. Not
 * for use outside src/client/session*.c.
 *
 * One Argon2id run per operation: sess_derive gives both the KEK and the
 * login key, and the master key is unwrapped (or wrapped) with the
 * keyfile's own associated data (keyfile.h) instead of keyfile_open /
 * keyfile_rewrap, which would derive a second time. Every secret lives in
 * one sodium_malloc block (struct secrets) freed, and so wiped, on every
 * path.
 */
#ifndef DZ_SESSION_INT_H
#define DZ_SESSION_INT_H

#include <sodium.h>

#include "client/device.h"
#include "client/profile.h"
#include "client/session.h"
#include "core/keyfile.h"
#include "net/netaddr.h"
#include "net/proto.h"

/* Key material of one operation, in locked memory. */
struct secrets {
	uint8_t kek[PWKEY_KEYBYTES];
	uint8_t login_seed[PWKEY_KEYBYTES];
	uint8_t login_sk[crypto_sign_SECRETKEYBYTES];
	uint8_t old_sk[crypto_sign_SECRETKEYBYTES]; /* passwd: old login key */
	uint8_t dev_seed[DEVICE_SEEDBYTES];         /* this computer's key */
	uint8_t mk2[MKEY_BYTES];                    /* passwd: check copy */
};

/* A zeroed struct secrets (sodium_malloc), or NULL; sess_secrets_free
 * wipes and frees it (NULL is fine). */
struct secrets *sess_secrets_new(void);
void sess_secrets_free(struct secrets *s);

/* A valid user name, else DZ_EINVAL saying what one is. */
int sess_check_user(const char *user, struct dz_errmsg *em);

/* addr in canonical form ("ip:port") into out, else DZ_EINVAL. */
int sess_canon_addr(const char *addr, char out[static NETADDR_STRMAX],
    struct dz_errmsg *em);

/*
 * The key to expect from the coordinator at addr: the caller's (given,
 * may be NULL) or the one the profile pins for that address. *exp points
 * into pinned or is NULL (first contact). A given key that differs from
 * the pinned one is DZ_EPEERKEY: changing a pin is a decision the user
 * makes by removing the profile's coordinator file.
 */
int sess_resolve_pin(const char *home, const char *addr, const uint8_t *given,
    uint8_t pinned[static IDENT_PKBYTES], const uint8_t **exp,
    struct dz_errmsg *em);

/*
 * Send type's body (len bytes) to addr expecting exp (NULL: any key) and
 * wait for the answer: 0 with *resp (a reply of type PROTO_REPLY(type) or
 * PROTO_CONFLICT; the caller's) and, if got is not NULL, the key that
 * answered. An ERROR reply becomes its code and message (DZ_ENOLOGIN with
 * "not logged in ... run drizzle login"); a coordinator that cannot be
 * reached is DZ_ECONNECT, one showing another key than exp DZ_EPEERKEY;
 * another reply type is DZ_EFORMAT.
 */
int sess_xchg_raw(struct rpc *r, const char *addr, const uint8_t *exp,
    uint16_t type, const void *body, size_t len, struct frame *resp,
    uint8_t got[IDENT_PKBYTES], struct dz_errmsg *em);

/* sess_xchg_raw for a request given as its struct (msg), the reply
 * decoded into rep (the struct of PROTO_REPLY(type); NULL for an empty
 * reply). Only for replies whose structs copy everything. */
int sess_xchg(struct rpc *r, const char *addr, const uint8_t *exp,
    uint16_t type, const void *msg, void *rep, uint8_t got[IDENT_PKBYTES],
    struct dz_errmsg *em);

/* Argon2id over pw with salt and params into sec->kek and the login key
 * (sec->login_sk, login_pk). The caller judged params (sess_judge) first
 * when they came from the coordinator. */
int sess_derive(const char *pw, size_t pwlen,
    const uint8_t salt[static PWKEY_SALTBYTES],
    const struct pwkey_params *params, struct secrets *sec,
    uint8_t login_pk[static crypto_sign_PUBLICKEYBYTES], struct dz_errmsg *em);

/* A new keyfile for mk under sec->kek (already derived with kf->params
 * and kf->salt, which the caller set). */
int sess_wrap(struct keyfile *kf, const char *user, const struct secrets *sec,
    const uint8_t mk[static MKEY_BYTES], struct dz_errmsg *em);

/* Unwrap kf with sec->kek into mk: 0 or DZ_EPASSWORD. */
int sess_unwrap(const struct keyfile *kf, const char *user,
    const struct secrets *sec, uint8_t mk[static MKEY_BYTES]);

/* The device key from seed, a client TLS context showing it, and an rpc
 * over it; sess_node_close releases the three (NULLs are fine). */
int sess_node_open(const uint8_t seed[static DEVICE_SEEDBYTES],
    struct ident **id, struct tls_ctx **tls, struct rpc **rpc,
    struct dz_errmsg *em);
void sess_node_close(struct ident *id, struct tls_ctx *tls, struct rpc *rpc);

/* DZ_EPASSWORD "wrong password", with " (hint: TEXT)" when there is one. */
int sess_wrong_password(const char *hint, struct dz_errmsg *em);

/* Save the coordinator pin and the account (keyfile, sealed device key),
 * replacing what was there. */
int sess_save_profile(const char *home, const char *addr,
    const uint8_t pk[static 32], const char *user,
    const uint8_t kfbuf[static KEYFILE_BYTES],
    const uint8_t device[static DEVICE_BYTES], struct dz_errmsg *em);

/* The least key-stretching a coordinator may ask of this computer: given
 * (the user's explicit --kdf-ops/--kdf-mem) if not NULL, else libsodium's
 * MODERATE raised to the parameters of the keyfile p holds (p may be
 * NULL). */
void sess_kdf_floor(const struct profile *p, const struct pwkey_params *given,
    struct pwkey_params *floor);

/* pwkey_params_judge of what the coordinator at addr asks for. */
int sess_judge(const struct pwkey_params *got, const struct pwkey_params *floor,
    const char *addr, struct dz_errmsg *em);

#endif
