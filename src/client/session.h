/*
 * session: a client's account on a coordinator: sign-up, login from any
 * computer, password change, logout, and the authenticated connection
 * every other command runs over.
 *
 * Keys (DESIGN.md, docs/protocol.md): the password gives, through Argon2id
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
 * command needs the password (like restic), from the terminal, a file or
 * DRIZZLE_PASSWORD, unless the master key is kept unlocked (unlock.h,
 * session_open_mk).
 *
 * Coordinator key pinning: the first contact pins whatever key the
 * coordinator shows unless the caller gives the expected key; a profile
 * that already pins a key for the same address refuses a different one,
 * by name (DZ_EAUTH, "coordinator ADDR showed key X, pinned Y").
 */
#ifndef DZ_SESSION_H
#define DZ_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mkey.h"
#include "core/pwkey.h"
#include "net/ident.h"
#include "net/rpc.h"
#include "net/tls.h"

/* An open session. Fields are read-only for callers. */
struct session {
	char home[4096];
	char user[65];
	char coord_addr[64];
	uint8_t coord_pk[IDENT_PKBYTES];
	uint8_t *mk;           /* MKEY_BYTES, sodium_malloc; the master key */
	struct ident *id;      /* the account's node identity (from mk) */
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
 * taken: em says so), DZ_EAUTH (coordinator key mismatch), DZ_EIO
 * (unreachable), ...; the profile is untouched on failure.
 */
int session_signup(const char *home, const char *coord_addr,
    const uint8_t *coord_pk, const char *user, const char *pw, size_t pwlen,
    const struct pwkey_params *params, const char *hint,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * session_login: log in as user at coord_addr from this computer:
 * PRELOGIN (salt, KDF parameters within pwkey_params_check's bounds,
 * challenge, hint), LOGIN signed by the login key derived from pw, then
 * unwrap the returned keyfile locally and check that the node identity it
 * gives is accepted by the coordinator (a STATUS over a connection
 * showing it). Saves pin, user and keyfile in the profile. A wrong
 * password is DZ_EPASSWORD with em "wrong password" followed by
 * " (hint: TEXT)" when the account has a hint; DZ_ENOENT for an unknown
 * user; the coordinator's refusal after too many failures is passed
 * through with its message (it says when to retry). The profile is untouched on failure.
 */
int session_login(const char *home, const char *coord_addr,
    const uint8_t *coord_pk, const char *user, const char *pw, size_t pwlen,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * session_open: open the session of the profile at home with password pw:
 * unwrap the saved keyfile (DZ_EPASSWORD "wrong password"), derive the
 * node identity, make the TLS context and an rpc for the calling thread.
 * Does not contact the coordinator. DZ_ENOENT if the profile has no
 * account ("not logged in: run drizzle login or drizzle signup").
 * *out is released with session_close.
 */
int session_open(const char *home, const char *pw, size_t pwlen,
    struct session **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * session_open_mk: session_open with the master key mk (MKEY_BYTES,
 * copied) the profile's keyfile wraps, as kept by unlock.h, instead of the
 * password: no key stretching. The caller vouches that mk belongs to the
 * profile (unlock_fetch checks its binding); a wrong one gives a node
 * identity the coordinator does not know.
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

/*
 * session_passwd: change the password of s's account from oldpw to newpw
 * (new salt, params NULL: defaults) without re-encrypting any data: fresh
 * PRELOGIN, keyfile_rewrap, PASSWD signed by the old login key; then the
 * profile's keyfile is replaced. DZ_EPASSWORD if oldpw is wrong.
 */
int session_passwd(struct session *s, const char *oldpw, size_t oldlen,
    const char *newpw, size_t newlen, const struct pwkey_params *params,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* session_close: wipe and release everything (NULL is fine). */
void session_close(struct session *s);

/*
 * session_logout: forget the account on this computer (its unlocked key
 * if any, then the profile's account and keyfile; the coordinator pin
 * stays). Needs no password and no network. Returns 0 also when nobody was logged in.
 */
int session_logout(const char *home, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * session_hint: the password hint of the profile's account at home, asked
 * of its coordinator (pinned key) by a PRELOGIN over a throwaway device
 * key, for the message after session_open's "wrong password" (which works
 * offline and so cannot know it). The hint is public: the coordinator
 * shows it to anyone who asks for the user name. hint (cap bytes)
 * receives it, "" if the account has none. Returns 0, DZ_ENOENT (not
 * logged in), or the exchange's failure (DZ_EIO unreachable, DZ_EAUTH).
 */
int session_hint(const char *home, char *hint, size_t cap,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
