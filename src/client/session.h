/*
 * session: a client's account on a coordinator: sign-up, login from any
 * computer, password change, logout, and the authenticated connection
 * every other command runs over.
 *
 * Keys (docs/design.md, docs/protocol.md): the password gives, through Argon2id
 * (pwkey.h), a key-encryption key that wraps the random master key
 * (keyfile.h) and a login key that answers login challenges. The master
 * key gives the account's node identity (mkey_sign_keypair, the same on
 * every computer), which is the Ed25519 key the client's TLS connections
 * show: SIGNUP binds it to the account at the coordinator, and any later
 * connection showing it acts for the account. A new computer connects with
 * a throwaway key, proves the password by PRELOGIN/LOGIN, receives the
 * keyfile, unwraps it locally, then reconnects with the node identity.
 * Neither the password nor the master key ever leaves this process; both
 * live in sodium_malloc memory and are wiped when the session ends.
 *
 * The profile (profile.h) in the home directory remembers the coordinator
 * (address and pinned key), the user name and the keyfile, so commands
 * after login unwrap the master key without asking the coordinator; every
 * command still needs the password (like restic), from the terminal, a
 * file or DRIZZLE_PASSWORD.
 *
 * Coordinator key pinning: the first contact pins whatever key the
 * coordinator shows unless the caller gives the expected key; a profile
 * that already pins a key for the same address refuses a different one,
 * by name (DZ_EPEERKEY, "coordinator ADDR showed key X, pinned Y").
 *
 * Devices: every computer has its own device key (device.h), the key its
 * TLS connections show, sealed in the profile under the master key and
 * bound to the account by SIGNUP or LOGIN. A password change unbinds the
 * others unless asked not to; a computer whose key was unbound gets
 * DZ_ENOLOGIN ("not logged in ... run drizzle login") from its next
 * request.
 *
 * Key stretching: login and passwd refuse, before deriving anything from
 * the password, Argon2id parameters the coordinator hands out that are
 * below a floor (libsodium's MODERATE, or the profile keyfile's if higher,
 * or what the caller gives explicitly) or above PWKEY_CEIL_*: DZ_EWEAKKDF.
 */
#ifndef DZ_SESSION_H
#define DZ_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "client/device.h"
#include "core/err.h"
#include "core/mkey.h"
#include "core/pwkey.h"
#include "net/ident.h"
#include "net/proto.h"
#include "net/rpc.h"
#include "net/tls.h"

/* An open session. Fields are read-only for callers. */
struct session {
	char home[4096];
	char user[65];
	char coord_addr[64];
	uint8_t coord_pk[IDENT_PKBYTES];
	uint8_t *mk;           /* MKEY_BYTES, sodium_malloc; the master key */
	struct ident *id;      /* this computer's device key */
	struct tls_ctx *tls;   /* client context showing id; callers may
	                          tls_ctx_ref it for their own rpc_new */
	struct rpc *rpc;       /* for the calling thread only */
};

/* Deadline of one coordinator request, in milliseconds. */
#define SESSION_DEADLINE_MS 30000

/*
 * session_signup: create account user at the coordinator coord_addr
 * ("ip:port"; coord_pk NULL: pin the key it shows) with password pw (pwlen
 * bytes), KDF costs params (NULL: pwkey_params_default) and hint (may be
 * NULL or ""): makes a keyfile (keyfile_create), sends SIGNUP over a
 * connection that shows the new node identity (so the coordinator binds
 * it), then saves the coordinator pin, user and keyfile in the profile at
 * home, replacing any account there. Returns 0 or DZ_EEXIST (the name is
 * taken: em says so), DZ_EPEERKEY (coordinator key mismatch), DZ_ECONNECT
 * (unreachable), ...; the profile is untouched on failure. The new
 * device key is this computer's.
 */
int session_signup(const char *home, const char *coord_addr,
    const uint8_t *coord_pk, const char *user, const char *pw, size_t pwlen,
    const struct pwkey_params *params, const char *hint,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * session_login: log in as user at coord_addr from this computer:
 * over a connection showing this computer's device key (the profile's if
 * it holds this account and pw opens its keyfile, else a new one):
 * PRELOGIN (salt, KDF parameters, challenge, hint), refusing parameters
 * below floor (NULL: MODERATE or the profile keyfile's if higher) or above
 * PWKEY_CEIL_* with DZ_EWEAKKDF before deriving anything; LOGIN signed by
 * the login key derived from pw, which binds the device key; then unwrap
 * the returned keyfile locally and check that the device key acts for the
 * account (a STATUS). Saves pin, user, keyfile and sealed device key in
 * the profile. A wrong password is DZ_EPASSWORD with em "wrong password"
 * followed by " (hint: TEXT)" when the account has a hint; DZ_ENOENT for
 * an unknown user; the coordinator's refusal after too many failures is
 * DZ_EDENIED with its message (it says when to retry). The profile is
 * untouched on failure.
 */
int session_login(const char *home, const char *coord_addr,
    const uint8_t *coord_pk, const char *user, const char *pw, size_t pwlen,
    const struct pwkey_params *floor, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * session_open: open the session of the profile at home with password pw:
 * unwrap the saved keyfile (DZ_EPASSWORD "wrong password"), open the
 * device key, make the TLS context and an rpc for the calling thread.
 * Does not contact the coordinator. DZ_ENOLOGIN if the profile has no
 * account or no device key ("not logged in: run drizzle login ...").
 * *out is released with session_close.
 */
int session_open(const char *home, const char *pw, size_t pwlen,
    struct session **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * session_open_mk: session_open with the master key mk (MKEY_BYTES,
 * copied) the profile's keyfile wraps, as kept by unlock.h, instead of the
 * password: no key stretching. The caller vouches that mk belongs to the
 * profile (unlock_fetch checks its binding); a wrong one does not open the
 * profile's device key (DZ_ENOLOGIN).
 */
int session_open_mk(const char *home, const uint8_t mk[static MKEY_BYTES],
    struct session **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * session_call: one request to the coordinator over s->rpc, with
 * SESSION_DEADLINE_MS. A PROTO_ERROR answer is turned into its code and
 * message (returned, in em); a reply of another type than
 * PROTO_REPLY(type) (except PROTO_CONFLICT, returned as 0 with
 * resp->type == PROTO_CONFLICT) is DZ_EFORMAT. On 0, *resp is the
 * caller's (frame_free).
 */
int session_call(struct session *s, uint16_t type, const void *body,
    size_t len, struct frame *resp, struct dz_errmsg *em) DZ_MUST_CHECK;

/* How session_passwd changes the password. */
struct session_passwd_opts {
	const struct pwkey_params *params; /* of the new password (NULL: default) */
	const struct pwkey_params *floor;  /* least accepted for the old one
	                                      (NULL: as session_login) */
	int keep_devices;                  /* the other computers stay logged in */
	const char *hint;                  /* the new hint ("" none); NULL: kept */
};

/*
 * session_passwd: change the password of s's account from oldpw to newpw
 * (new salt) without re-encrypting any data: fresh PRELOGIN (its
 * parameters judged as session_login does), keyfile re-wrapped, PASSWD
 * signed by the old login key, which also sets the hint and, unless
 * o->keep_devices, logs out every other computer of the account; then the
 * profile's keyfile is replaced. DZ_EPASSWORD if oldpw is wrong,
 * DZ_EWEAKKDF as session_login.
 */
int session_passwd(struct session *s, const char *oldpw, size_t oldlen,
    const char *newpw, size_t newlen, const struct session_passwd_opts *o,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* session_devices: the computers bound to s's account (DEVICES) into
 * *out; s->id->pk is this computer's. */
int session_devices(struct session *s, struct proto_devices_rep *out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* session_device_revoke: unbind the computer whose key is pk from s's
 * account. DZ_ENOENT if no computer of the account has it. */
int session_device_revoke(struct session *s,
    const uint8_t pk[static IDENT_PKBYTES], struct dz_errmsg *em) DZ_MUST_CHECK;

/* session_close: wipe and release everything (NULL is fine). */
void session_close(struct session *s);

/*
 * session_logout: forget the account on this computer (its unlocked key
 * if any, then the profile's account, keyfile and device key; the
 * coordinator pin stays; the device key stays
 * bound at the coordinator until revoked from another computer). Needs no password and no
 * network. Returns 0 also when nobody was logged in.
 */
int session_logout(const char *home, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * session_hint: the password hint of the profile's account at home, asked
 * of its coordinator (pinned key) by a PRELOGIN over a throwaway device
 * key, for the message after session_open's "wrong password" (which works
 * offline and so cannot know it). The hint is public: the coordinator
 * shows it to anyone who asks for the user name. hint (cap bytes)
 * receives it, "" if the account has none. Returns 0, DZ_ENOENT (not
 * logged in), or the exchange's failure (DZ_ECONNECT, DZ_EPEERKEY).
 */
int session_hint(const char *home, char *hint, size_t cap,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
