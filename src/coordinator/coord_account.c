/*
 * coord_account: sign-up, login by challenge and response, change of
 * password, logout and an account's status.
 *
 * The password never reaches the coordinator: it stores the client's
 * keyfile (wrapped master key, salt, KDF parameters), a login public key
 * and a hint. SIGNUP arrives on a connection whose TLS key is the new
 * account's node key, which is bound to the account with it. PRELOGIN
 * hands out the KDF parameters, salt and hint with a fresh challenge
 * remembered by this connection only (single use, 60 s); LOGIN proves the
 * login key by signing the transcript of docs/protocol.md (coordinator
 * key, the key this connection showed in TLS, the challenge) and gets the
 * keyfile back. LOGIN binds nothing: the client reconnects with its node
 * key once it has unwrapped the master key. PASSWD, from a bound
 * connection, is signed by the old login key over a fresh challenge and
 * replaces keyfile and login key in one update, and unbinds the
 * account's other device keys unless asked to keep them. Failed proofs
 * are throttled per source address and per account (coord_throttle.c).
 *
 * Device keys: every computer of an account shows its own key (SIGNUP
 * binds the first; a successful LOGIN binds the key of its connection,
 * which the transcript signed). DEVICES lists them and DEVICE_REVOKE
 * unbinds one, from a connection of the account.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coordinator/coord_credit.h"
#include "coordinator/coord_int.h"
#include "core/keyfile.h"

/* ---- challenges ---- */

/* Take this connection's challenge for user into out (it is used up
 * either way). DZ_EAUTH if there is none, it is stale or for another
 * user. */
static int
take_challenge(struct coord_sess *s, const char *user,
    uint8_t out[static PROTO_CHALLENGEBYTES], struct dz_errmsg *em)
{
	int64_t now = coord_now(s->co);
	int ok = s->has_challenge && now >= s->chal_time &&
	    now - s->chal_time <= COORD_CHALLENGE_TTL &&
	    (user == NULL || strcmp(s->chal_user, user) == 0);

	memcpy(out, s->challenge, PROTO_CHALLENGEBYTES);
	sodium_memzero(s->challenge, sizeof(s->challenge));
	s->has_challenge = 0;
	if (!ok)
		return dz_errf(em, DZ_EAUTH,
		    "no fresh challenge for this user on this connection: send PRELOGIN first");
	return 0;
}

/* ---- handlers ---- */

int
coord_signup(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_signup *m = msg;
	struct proto_empty rep = {0};
	struct db_account a;
	struct keyfile kf;
	int64_t id, now = coord_now(s->co);
	int rc;

	if ((rc = keyfile_parse(m->keyfile, KEYFILE_BYTES, &kf)) != 0)
		return dz_errf(em, rc, "the keyfile does not parse: %s", dz_strerror(rc));
	memset(&a, 0, sizeof(a));
	memcpy(a.name, m->user, sizeof(m->user));
	memcpy(a.keyblob, m->keyfile, KEYFILE_BYTES);
	a.keyblob_len = KEYFILE_BYTES;
	memcpy(a.login_pk, m->login_pk, DB_PKBYTES);
	memcpy(a.hint, m->hint, sizeof(m->hint));
	a.created = now;
	if ((rc = db_account_signup(s->co->db, &a, s->pk, now, &id, em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_SIGNUP_REP, &rep);
}

int
coord_prelogin(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_prelogin *m = msg;
	struct proto_prelogin_rep rep;
	struct db_account a;
	struct keyfile kf;
	int rc;

	rc = db_account_get(s->co->db, m->user, &a, em);
	if (rc == DZ_ENOENT || rc == DZ_EINVAL || rc == DZ_ERANGE)
		return dz_errf(em, DZ_ENOENT, "no such user");
	if (rc != 0)
		return rc;
	if (keyfile_parse(a.keyblob, a.keyblob_len, &kf) != 0)
		return dz_errf(em, DZ_EFORMAT, "the stored keyfile of %s is damaged",
		    m->user);
	memset(&rep, 0, sizeof(rep));
	rep.params = kf.params;
	memcpy(rep.salt, kf.salt, sizeof(rep.salt));
	randombytes_buf(s->challenge, sizeof(s->challenge));
	memcpy(rep.challenge, s->challenge, sizeof(rep.challenge));
	s->has_challenge = 1;
	s->chal_time = coord_now(s->co);
	memcpy(s->chal_user, m->user, sizeof(s->chal_user));
	memcpy(rep.hint, a.hint, sizeof(rep.hint));
	return coord_send(s, reqid, PROTO_PRELOGIN_REP, &rep);
}

/* Is s's connection showing a device key of account? */
static int
known_device(struct coord_sess *s, int64_t account)
{
	struct dz_errmsg e;
	int64_t bound = 0;

	return db_key_account(s->co->db, s->pk, &bound, &e) == 0 &&
	    bound == account;
}

/* Bind s's key to account a (a new computer's first login), unless the
 * account has PROTO_DEVICES_MAX already. */
static int
bind_device(struct coord_sess *s, const struct db_account *a,
    struct dz_errmsg *em)
{
	size_t n = 0;
	int rc;

	if ((rc = db_key_list(s->co->db, a->id, NULL, 0, &n, em)) != 0)
		return rc;
	if (n >= PROTO_DEVICES_MAX)
		return dz_errf(em, DZ_EQUOTA,
		    "%s has %d computers logged in: revoke one (drizzle devices revoke) first",
		    a->name, PROTO_DEVICES_MAX);
	rc = db_key_bind(s->co->db, s->pk, a->id, coord_now(s->co), em);
	if (rc == DZ_EEXIST)
		return dz_errf(em, DZ_EDENIED,
		    "this computer's key belongs to another account");
	return rc;
}

int
coord_login(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_login *m = msg;
	struct proto_login_rep rep;
	struct coord_thr_ticket tk;
	uint8_t chal[PROTO_CHALLENGEBYTES], t[PROTO_LOGIN_TBYTES];
	struct db_account a;
	int rc, known;

	if ((rc = take_challenge(s, m->user, chal, em)) != 0)
		return rc;
	if ((rc = db_account_get(s->co->db, m->user, &a, em)) != 0)
		return rc == DZ_ENOENT ? dz_errf(em, rc, "no such user") : rc;
	known = known_device(s, a.id);
	if ((rc = coord_thr_admit(s, a.id, known, &tk, em)) != 0) {
		coord_log(s->co, "LOGIN %s from %s: refused (%s)", m->user,
		    conn_peer_addr(s->c), em->text);
		return rc;
	}
	proto_login_transcript(t, coord_pk(s->co), s->pk, chal);
	if (crypto_sign_verify_detached(m->sig, t, sizeof(t), a.login_pk) != 0) {
		coord_thr_fail(s->co, &tk);
		coord_log(s->co, "LOGIN %s from %s: wrong password", m->user,
		    conn_peer_addr(s->c));
		return dz_errf(em, DZ_EPASSWORD, "wrong password");
	}
	coord_log(s->co, "LOGIN %s from %s: ok%s", m->user, conn_peer_addr(s->c),
	    known ? " (a device of the account)" : "");
	if (a.keyblob_len != KEYFILE_BYTES)
		return dz_errf(em, DZ_EFORMAT, "the stored keyfile of %s is damaged",
		    m->user);
	if (!known && (rc = bind_device(s, &a, em)) != 0)
		return rc;
	memcpy(rep.keyfile, a.keyblob, KEYFILE_BYTES);
	return coord_send(s, reqid, PROTO_LOGIN_REP, &rep);
}

int
coord_logout(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	struct proto_empty rep = {0};

	(void)msg;
	(void)em;
	/* the device key stays bound: DEVICE_REVOKE unbinds it */
	sodium_memzero(s->challenge, sizeof(s->challenge));
	s->has_challenge = 0;
	return coord_send(s, reqid, PROTO_LOGOUT_REP, &rep);
}

int
coord_passwd(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_passwd *m = msg;
	struct proto_empty rep = {0};
	uint8_t chal[PROTO_CHALLENGEBYTES], t[PROTO_PASSWD_TBYTES];
	char user[PROTO_USER_MAX + 1];
	struct coord_thr_ticket tk;
	struct db_account a;
	struct keyfile kf;
	int rc;

	memcpy(user, s->chal_user, sizeof(user));
	if ((rc = take_challenge(s, NULL, chal, em)) != 0)
		return rc;
	if ((rc = db_account_get(s->co->db, user, &a, em)) != 0)
		return rc;
	if (a.id != s->account)
		return dz_errf(em, DZ_EAUTH,
		    "the challenge was issued for another account than this device's");
	/* from a device of the account: counted, never refused */
	if ((rc = coord_thr_admit(s, a.id, 1, &tk, em)) != 0)
		return rc;
	if ((rc = keyfile_parse(m->keyfile, KEYFILE_BYTES, &kf)) != 0)
		return dz_errf(em, rc, "the new keyfile does not parse: %s",
		    dz_strerror(rc));
	proto_passwd_transcript(t, chal, m->keyfile, m->login_pk);
	if (crypto_sign_verify_detached(m->sig, t, sizeof(t), a.login_pk) != 0) {
		coord_thr_fail(s->co, &tk);
		coord_log(s->co, "PASSWD %s from %s: wrong password", user,
		    conn_peer_addr(s->c));
		return dz_errf(em, DZ_EPASSWORD, "wrong password");
	}
	coord_log(s->co, "PASSWD %s from %s: changed%s", user, conn_peer_addr(s->c),
	    (m->flags & PROTO_PASSWD_KEEP_DEVICES) ? "" : "; other devices logged out");
	if ((rc = db_account_passwd(s->co->db, a.id, m->keyfile, KEYFILE_BYTES,
	    m->login_pk, (m->flags & PROTO_PASSWD_HINT) ? m->hint : NULL,
	    (m->flags & PROTO_PASSWD_KEEP_DEVICES) ? NULL : s->pk, em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_PASSWD_REP, &rep);
}

int
coord_account_space(struct coord *co, int64_t account, uint64_t *used,
    uint64_t *earned, uint64_t *quota, struct dz_errmsg *em)
{
	struct coord_credit c;
	int rc;

	/* the one account of it: coord_credit.c (docs/trading.md) */
	if ((rc = coord_credit_account(co, account, &c, em)) != 0)
		return rc;
	*used = c.used;
	*earned = c.earned;
	*quota = c.quota;
	return 0;
}

int
coord_status(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	struct coord *co = s->co;
	struct proto_status_rep rep;
	uint64_t online, total;
	int rc;

	(void)msg;
	memset(&rep, 0, sizeof(rep));
	if ((rc = coord_account_space(co, s->account, &rep.used, &rep.earned,
	    &rep.quota, em)) != 0 ||
	    (rc = db_peer_count(co->db, coord_now(co), co->opts.peer_timeout,
	    &online, &total, em)) != 0)
		return rc;
	rep.peers_total = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
	rep.peers_online = online > rep.peers_total ? rep.peers_total :
	    (uint32_t)online;
	/* coord_start checked 1 <= k < n <= 255 */
	rep.default_k = (uint8_t)co->opts.default_k;
	rep.default_n = (uint8_t)co->opts.default_n;
	return coord_send(s, reqid, PROTO_STATUS_REP, &rep);
}

int
coord_devices(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	struct proto_devices_rep *rep;
	struct db_key keys[PROTO_DEVICES_MAX];
	size_t n = 0;
	int rc;

	(void)msg;
	if ((rc = db_key_list(s->co->db, s->account, keys, PROTO_DEVICES_MAX, &n,
	    em)) != 0)
		return rc;
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return DZ_ENOMEM;
	rep->count = (uint16_t)(n < PROTO_DEVICES_MAX ? n : PROTO_DEVICES_MAX);
	for (size_t i = 0; i < rep->count; i++) {
		memcpy(rep->dev[i].pk, keys[i].pk, PROTO_PKBYTES);
		rep->dev[i].bound = (uint64_t)keys[i].bound;
		rep->dev[i].seen = (uint64_t)keys[i].seen;
	}
	rc = coord_send(s, reqid, PROTO_DEVICES_REP, rep);
	free(rep);
	return rc;
}

int
coord_device_revoke(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_device_revoke *m = msg;
	struct proto_empty rep = {0};
	int rc;

	if ((rc = db_key_unbind(s->co->db, s->account, m->pk, em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_DEVICE_REVOKE_REP, &rep);
}
