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
 * replaces keyfile and login key in one update. Failed proofs are counted
 * per user in memory: after COORD_FAIL_MAX within COORD_FAIL_WINDOW
 * seconds, that user is refused for COORD_FAIL_LOCK seconds.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "coordinator/coord_int.h"
#include "core/keyfile.h"

/* ---- failed-login counters ---- */

/* The slot of user, or with create a free, stale or the oldest slot made
 * user's; NULL if none and !create. */
static struct coord_fail *
fail_slot(struct coord *co, const char *user, int64_t now, int create)
{
	struct coord_fail *f, *free_slot = NULL, *stale = NULL, *oldest = NULL;

	for (size_t i = 0; i < COORD_FAIL_SLOTS; i++) {
		f = &co->fails[i];
		if (f->user[0] == '\0') {
			if (free_slot == NULL)
				free_slot = f;
			continue;
		}
		if (strcmp(f->user, user) == 0)
			return f;
		if (stale == NULL && f->until <= now &&
		    f->since + COORD_FAIL_WINDOW <= now)
			stale = f;
		if (oldest == NULL || f->since < oldest->since)
			oldest = f;
	}
	if (!create)
		return NULL;
	/* a full table forgets its oldest entry: bounded memory first */
	f = free_slot != NULL ? free_slot : stale != NULL ? stale : oldest;
	memset(f, 0, sizeof(*f));
	snprintf(f->user, sizeof(f->user), "%s", user);
	f->since = now;
	return f;
}

/* DZ_EAUTH if user is refused for now. */
static int
fail_check(struct coord *co, const char *user, struct dz_errmsg *em)
{
	int64_t now = coord_now(co);
	struct coord_fail *f = fail_slot(co, user, now, 0);

	if (f != NULL && f->until > now)
		return dz_errf(em, DZ_EAUTH,
		    "too many failed logins for %s: try again in %lld s", user,
		    (long long)(f->until - now));
	return 0;
}

static void
fail_note(struct coord *co, const char *user)
{
	int64_t now = coord_now(co);
	struct coord_fail *f = fail_slot(co, user, now, 1);

	if (f->since + COORD_FAIL_WINDOW <= now) {
		f->since = now;
		f->n = 0;
	}
	if (++f->n >= COORD_FAIL_MAX) {
		f->until = now + COORD_FAIL_LOCK;
		f->since = now;
		f->n = 0;
	}
}

static void
fail_clear(struct coord *co, const char *user)
{
	struct coord_fail *f = fail_slot(co, user, coord_now(co), 0);

	if (f != NULL)
		memset(f, 0, sizeof(*f));
}

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

int
coord_login(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_login *m = msg;
	struct proto_login_rep rep;
	uint8_t chal[PROTO_CHALLENGEBYTES], t[PROTO_LOGIN_TBYTES];
	struct db_account a;
	int rc;

	if ((rc = take_challenge(s, m->user, chal, em)) != 0 ||
	    (rc = fail_check(s->co, m->user, em)) != 0)
		return rc;
	if ((rc = db_account_get(s->co->db, m->user, &a, em)) != 0)
		return rc == DZ_ENOENT ? dz_errf(em, rc, "no such user") : rc;
	proto_login_transcript(t, coord_pk(s->co), s->pk, chal);
	if (crypto_sign_verify_detached(m->sig, t, sizeof(t), a.login_pk) != 0) {
		fail_note(s->co, m->user);
		return dz_errf(em, DZ_EPASSWORD, "wrong password");
	}
	fail_clear(s->co, m->user);
	if (a.keyblob_len != KEYFILE_BYTES)
		return dz_errf(em, DZ_EFORMAT, "the stored keyfile of %s is damaged",
		    m->user);
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
	/* the node key stays bound: every computer of the account shares it */
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
	if ((rc = fail_check(s->co, user, em)) != 0)
		return rc;
	if ((rc = keyfile_parse(m->keyfile, KEYFILE_BYTES, &kf)) != 0)
		return dz_errf(em, rc, "the new keyfile does not parse: %s",
		    dz_strerror(rc));
	proto_passwd_transcript(t, chal, m->keyfile, m->login_pk);
	if (crypto_sign_verify_detached(m->sig, t, sizeof(t), a.login_pk) != 0) {
		fail_note(s->co, user);
		return dz_errf(em, DZ_EPASSWORD, "wrong password");
	}
	fail_clear(s->co, user);
	if ((rc = db_account_rekey(s->co->db, a.id, m->keyfile, KEYFILE_BYTES,
	    m->login_pk, NULL, em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_PASSWD_REP, &rep);
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
	if ((rc = db_account_used(co->db, s->account, &rep.used, em)) != 0 ||
	    (rc = db_peer_count(co->db, coord_now(co), co->opts.peer_timeout,
	    &online, &total, em)) != 0)
		return rc;
	/* earned space (capacity x availability) is not counted yet */
	rep.earned = 0;
	rep.quota = co->opts.base_quota + rep.earned;
	rep.peers_total = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
	rep.peers_online = online > rep.peers_total ? rep.peers_total :
	    (uint32_t)online;
	/* coord_start checked 1 <= k < n <= 255 */
	rep.default_k = (uint8_t)co->opts.default_k;
	rep.default_n = (uint8_t)co->opts.default_n;
	return coord_send(s, reqid, PROTO_STATUS_REP, &rep);
}
