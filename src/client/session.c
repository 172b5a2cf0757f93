/*
 * session: sign-up, login and logout of a client's account, opening the
 * authenticated connection to the coordinator that the other commands use
 * (session.h says what each step proves). The password change and the
 * device list are session_acct.c's; the shared helpers session_xchg.c's.
 *
 * A PRELOGIN challenge belongs to the connection it was issued on, so the
 * request that uses it must go out on the same cached rpc connection: the
 * exchange helper is always called with the same (address, expected key)
 * pair for the two. Login runs on the connection of this computer's own
 * device key (device.h), which a successful LOGIN binds to the account.
 */
#include "client/session_int.h"
#include "client/unlock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* ---- the public functions ---- */

int
session_signup(const char *home, const char *coord_addr,
    const uint8_t *coord_pk, const char *user, const char *pw, size_t pwlen,
    const struct pwkey_params *params, const char *hint,
    struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	struct pwkey_params defp;
	struct proto_signup m;
	struct keyfile kf;
	struct secrets *sec = NULL;
	struct ident *id = NULL;
	struct tls_ctx *tls = NULL;
	struct rpc *rpc = NULL;
	uint8_t *mk = NULL, pinned[IDENT_PKBYTES], got[IDENT_PKBYTES];
	uint8_t dev[DEVICE_BYTES];
	const uint8_t *exp;
	char addr[NETADDR_STRMAX];
	size_t hlen = hint != NULL ? strlen(hint) : 0;
	int rc;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	memset(&m, 0, sizeof(m));
	if ((rc = sess_check_user(user, em)) != 0 ||
	    (rc = sess_canon_addr(coord_addr, addr, em)) != 0)
		return rc;
	if (hlen > PROTO_HINT_MAX || !proto_text_chars_ok(hint != NULL ? hint : "", hlen))
		return dz_errf(em, DZ_EINVAL,
		    "a hint is at most %d bytes of UTF-8 text without control characters",
		    PROTO_HINT_MAX);
	if (params == NULL) {
		pwkey_params_default(&defp);
		params = &defp;
	}
	if ((rc = pwkey_params_check(params)) != 0)
		return dz_errf(em, rc, "KDF parameters out of bounds");
	if ((rc = sess_resolve_pin(home, addr, coord_pk, pinned, &exp, em)) != 0)
		return rc;
	if ((sec = sess_secrets_new()) == NULL || (mk = sodium_malloc(MKEY_BYTES)) == NULL) {
		rc = dz_errf(em, DZ_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = keyfile_create(pw, pwlen, params, user, &kf, mk, m.login_pk)) != 0) {
		rc = dz_errf(em, rc, "cannot make the keys: %s", dz_strerror(rc));
		goto out;
	}
	/* this computer's device key, which SIGNUP binds */
	randombytes_buf(sec->dev_seed, sizeof(sec->dev_seed));
	if ((rc = device_seal(mk, user, sec->dev_seed, dev)) != 0) {
		rc = dz_errf(em, rc, "cannot seal the device key");
		goto out;
	}
	if ((rc = sess_node_open(sec->dev_seed, &id, &tls, &rpc, em)) != 0)
		goto out;
	snprintf(m.user, sizeof(m.user), "%s", user);
	keyfile_encode(&kf, m.keyfile);
	snprintf(m.hint, sizeof(m.hint), "%s", hint != NULL ? hint : "");
	if ((rc = sess_xchg(rpc, addr, exp, PROTO_SIGNUP, &m, NULL, got, em)) != 0)
		goto out;
	rc = sess_save_profile(home, addr, got, user, m.keyfile, dev, em);
out:
	sess_node_close(id, tls, rpc);
	sodium_free(mk);
	sess_secrets_free(sec);
	return rc;
}

/*
 * This computer's device key for user at addr into sec->dev_seed: the
 * profile's own when the profile holds this account and pw opens its
 * keyfile (a known device, which the coordinator's throttle lets in: 1),
 * else a new random one (0). A known device's keys derived on the way are
 * left in sec (kek and login key for the profile keyfile's salt and
 * parameters, *lkf).
 */
static int
device_choose(const struct profile *p, const char *addr, const char *user,
    const char *pw, size_t pwlen, struct secrets *sec, uint8_t *mk,
    struct keyfile *lkf)
{
	uint8_t login_pk[crypto_sign_PUBLICKEYBYTES];
	struct dz_errmsg e;

	if (p->have_account && p->have_device && p->have_coordinator &&
	    strcmp(p->user, user) == 0 && strcmp(p->coord_addr, addr) == 0 &&
	    keyfile_parse(p->keyfile, KEYFILE_BYTES, lkf) == 0 &&
	    lkf->params.opslimit <= PWKEY_CEIL_OPS &&
	    lkf->params.memlimit <= PWKEY_CEIL_MEM &&
	    sess_derive(pw, pwlen, lkf->salt, &lkf->params, sec, login_pk, &e) == 0 &&
	    sess_unwrap(lkf, user, sec, mk) == 0 &&
	    device_open(mk, user, p->device, sec->dev_seed) == 0)
		return 1;
	sodium_memzero(sec, sizeof(*sec));
	sodium_memzero(mk, MKEY_BYTES);
	randombytes_buf(sec->dev_seed, sizeof(sec->dev_seed));
	return 0;
}

/* Do salt and params of a and b agree? */
static int
same_kdf(const uint8_t *salt_a, const struct pwkey_params *a,
    const uint8_t *salt_b, const struct pwkey_params *b)
{
	return memcmp(salt_a, salt_b, PWKEY_SALTBYTES) == 0 && a->alg == b->alg &&
	    a->opslimit == b->opslimit && a->memlimit == b->memlimit;
}

int
session_login(const char *home, const char *coord_addr,
    const uint8_t *coord_pk, const char *user, const char *pw, size_t pwlen,
    const struct pwkey_params *floor, struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	struct profile p;
	struct pwkey_params fl;
	struct proto_prelogin pm;
	struct proto_prelogin_rep pr;
	struct proto_login lm;
	struct proto_login_rep lr;
	struct proto_status_rep st;
	struct keyfile kf, lkf;
	struct secrets *sec = NULL;
	struct ident *id = NULL;
	struct tls_ctx *tls = NULL;
	struct rpc *rpc = NULL;
	uint8_t *mk = NULL, pinned[IDENT_PKBYTES], cpk[IDENT_PKBYTES],
	    got[IDENT_PKBYTES], login_pk[crypto_sign_PUBLICKEYBYTES],
	    t[PROTO_LOGIN_TBYTES], dev[DEVICE_BYTES];
	const uint8_t *exp;
	char addr[NETADDR_STRMAX];
	int rc, known;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	memset(&pm, 0, sizeof(pm));
	memset(&lm, 0, sizeof(lm));
	if ((rc = sess_check_user(user, em)) != 0 ||
	    (rc = sess_canon_addr(coord_addr, addr, em)) != 0 ||
	    (rc = sess_resolve_pin(home, addr, coord_pk, pinned, &exp, em)) != 0 ||
	    (rc = profile_load(home, &p, em)) != 0)
		return rc;
	sess_kdf_floor(&p, floor, &fl);
	if ((sec = sess_secrets_new()) == NULL || (mk = sodium_malloc(MKEY_BYTES)) == NULL) {
		rc = dz_errf(em, DZ_ENOMEM, "out of memory");
		goto out;
	}
	known = device_choose(&p, addr, user, pw, pwlen, sec, mk, &lkf);
	if ((rc = sess_node_open(sec->dev_seed, &id, &tls, &rpc, em)) != 0)
		goto out;
	snprintf(pm.user, sizeof(pm.user), "%s", user);
	rc = sess_xchg(rpc, addr, exp, PROTO_PRELOGIN, &pm, &pr, cpk, em);
	if (rc == DZ_ENOENT)
		rc = dz_errf(em, rc, "no user %s at the coordinator %s", user, addr);
	if (rc != 0)
		goto out;
	/* nothing derived from the password leaves this computer under
	 * parameters weaker than the floor (a hostile coordinator's bait) */
	if ((rc = sess_judge(&pr.params, &fl, addr, em)) != 0)
		goto out;
	if (!(known && same_kdf(lkf.salt, &lkf.params, pr.salt, &pr.params)) &&
	    (rc = sess_derive(pw, pwlen, pr.salt, &pr.params, sec, login_pk, em)) != 0)
		goto out;
	proto_login_transcript(t, cpk, tls_ctx_pk(tls), pr.challenge);
	crypto_sign_detached(lm.sig, NULL, t, sizeof(t), sec->login_sk);
	snprintf(lm.user, sizeof(lm.user), "%s", user);
	/* same (addr, exp) as PRELOGIN: the same connection, whose challenge
	 * this is; the key that answers must be the one signed for */
	rc = sess_xchg(rpc, addr, exp, PROTO_LOGIN, &lm, &lr, got, em);
	if (rc == DZ_EPASSWORD)
		rc = sess_wrong_password(pr.hint, em);
	if (rc != 0)
		goto out;
	if (memcmp(got, cpk, IDENT_PKBYTES) != 0) {
		rc = dz_errf(em, DZ_EPEERKEY,
		    "coordinator %s changed keys between PRELOGIN and LOGIN", addr);
		goto out;
	}
	if ((rc = keyfile_parse(lr.keyfile, KEYFILE_BYTES, &kf)) != 0) {
		rc = dz_errf(em, rc, "the keyfile from coordinator %s does not parse: %s",
		    addr, dz_strerror(rc));
		goto out;
	}
	/* the KEK is the one just derived if the keyfile uses the salt and
	 * parameters PRELOGIN gave (always, unless the password changed in
	 * between); else derive again, within the same bounds */
	if (same_kdf(kf.salt, &kf.params, pr.salt, &pr.params))
		rc = sess_unwrap(&kf, user, sec, mk);
	else if ((rc = sess_judge(&kf.params, &fl, addr, em)) != 0)
		goto out;
	else
		rc = keyfile_open(&kf, pw, pwlen, user, mk);
	if (rc == DZ_EPASSWORD) {
		rc = dz_errf(em, DZ_EAUTH,
		    "the keyfile from coordinator %s does not open with the password its login key accepted: it was altered",
		    addr);
		goto out;
	}
	if (rc != 0) {
		rc = dz_errf(em, rc, "cannot open the keyfile: %s", dz_strerror(rc));
		goto out;
	}
	if ((rc = device_seal(mk, user, sec->dev_seed, dev)) != 0) {
		rc = dz_errf(em, rc, "cannot seal the device key");
		goto out;
	}
	/* LOGIN bound this connection's key: it must now act for the account */
	rc = sess_xchg(rpc, addr, cpk, PROTO_STATUS, &(struct proto_empty){0}, &st,
	    NULL, em);
	if (rc != 0) {
		char d[DZ_ERRMSG_MAX];
		snprintf(d, sizeof(d), "%s", em->text);
		rc = dz_errf(em, rc,
		    "the coordinator refused this computer's device key: %s", d);
		goto out;
	}
	rc = sess_save_profile(home, addr, cpk, user, lr.keyfile, dev, em);
out:
	sodium_memzero(t, sizeof(t));
	sess_node_close(id, tls, rpc);
	sodium_free(mk);
	sess_secrets_free(sec);
	return rc;
}

/* session_open's body: the master key is the caller's (mk not NULL,
 * session_open_mk) or the keyfile's opened with pw. */
static int
open_with(const char *home, const char *pw, size_t pwlen, const uint8_t *mk,
    struct session **out, struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	struct profile p;
	struct keyfile kf;
	struct secrets *sec = NULL;
	struct session *s;
	int rc;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	*out = NULL;
	if ((rc = profile_load(home, &p, em)) != 0)
		return rc;
	if (!p.have_account)
		return dz_errf(em, DZ_ENOLOGIN,
		    "not logged in: run drizzle login or drizzle signup");
	if (!p.have_coordinator)
		return dz_errf(em, DZ_ENOLOGIN,
		    "%s has an account but no coordinator: run drizzle login", home);
	if (!p.have_device)
		return dz_errf(em, DZ_ENOLOGIN,
		    "%s has no device key for this computer (an older login): run drizzle login",
		    home);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	if (strlen(home) >= sizeof(s->home) || strlen(p.user) >= sizeof(s->user) ||
	    strlen(p.coord_addr) >= sizeof(s->coord_addr)) {
		rc = dz_errf(em, DZ_ERANGE, "the profile in %s holds names too long",
		    home);
		goto out;
	}
	memcpy(s->home, home, strlen(home) + 1);
	memcpy(s->user, p.user, strlen(p.user) + 1);
	memcpy(s->coord_addr, p.coord_addr, strlen(p.coord_addr) + 1);
	memcpy(s->coord_pk, p.coord_pk, IDENT_PKBYTES);
	if ((sec = sess_secrets_new()) == NULL ||
	    (s->mk = sodium_malloc(MKEY_BYTES)) == NULL) {
		rc = dz_errf(em, DZ_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = keyfile_parse(p.keyfile, KEYFILE_BYTES, &kf)) != 0) {
		rc = dz_errf(em, rc, "%s/keyfile is damaged; log in again", home);
		goto out;
	}
	if (mk != NULL) {
		memcpy(s->mk, mk, MKEY_BYTES);
		rc = 0;
	} else {
		rc = keyfile_open(&kf, pw, pwlen, p.user, s->mk);
	}
	if (rc == DZ_EPASSWORD) {
		rc = sess_wrong_password(NULL, em);
		goto out;
	}
	if (rc != 0) {
		rc = dz_errf(em, rc, "cannot open the keyfile: %s", dz_strerror(rc));
		goto out;
	}
	if ((rc = device_open(s->mk, p.user, p.device, sec->dev_seed)) != 0) {
		rc = dz_errf(em, DZ_ENOLOGIN,
		    "%s/device does not open with this account's key: run drizzle login",
		    home);
		goto out;
	}
	rc = sess_node_open(sec->dev_seed, &s->id, &s->tls, &s->rpc, em);
out:
	sess_secrets_free(sec);
	if (rc != 0)
		session_close(s);
	else
		*out = s;
	return rc;
}

int
session_open(const char *home, const char *pw, size_t pwlen,
    struct session **out, struct dz_errmsg *em)
{
	return open_with(home, pw, pwlen, NULL, out, em);
}

int
session_open_mk(const char *home, const uint8_t mk[static MKEY_BYTES],
    struct session **out, struct dz_errmsg *em)
{
	return open_with(home, NULL, 0, mk, out, em);
}

int
session_call(struct session *s, uint16_t type, const void *body, size_t len,
    struct frame *resp, struct dz_errmsg *em)
{
	return sess_xchg_raw(s->rpc, s->coord_addr, s->coord_pk, type, body, len,
	    resp, NULL, em);
}


void
session_close(struct session *s)
{
	if (s == NULL)
		return;
	sess_node_close(s->id, s->tls, s->rpc);
	if (s->mk != NULL)
		sodium_free(s->mk);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

int
session_logout(const char *home, struct dz_errmsg *em)
{
	/* the unlocked key goes first: it must not outlive the account */
	int rc = unlock_forget(home, NULL, em);
	int rc2 = profile_forget_account(home, rc == 0 ? em : NULL);

	return rc != 0 ? rc : rc2;
}

int
session_hint(const char *home, char *hint, size_t cap, struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	struct profile p;
	struct proto_prelogin pm;
	struct proto_prelogin_rep pr;
	struct ident *tid = NULL;
	struct tls_ctx *ttls = NULL;
	struct rpc *trpc = NULL;
	int rc;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	if (cap > 0)
		hint[0] = '\0';
	if ((rc = profile_load(home, &p, em)) != 0)
		return rc;
	if (!p.have_account || !p.have_coordinator)
		return dz_errf(em, DZ_ENOENT,
		    "not logged in: run drizzle login or drizzle signup");
	memset(&pm, 0, sizeof(pm));
	snprintf(pm.user, sizeof(pm.user), "%s", p.user);
	if ((rc = ident_generate(&tid)) != 0) {
		rc = dz_errf(em, rc, "cannot make a device key");
		goto out;
	}
	if ((rc = tls_ctx_new(tid, TLS_ROLE_CLIENT, &ttls, em)) != 0 ||
	    (rc = rpc_new(ttls, NULL, &trpc, em)) != 0 ||
	    (rc = sess_xchg(trpc, p.coord_addr, p.coord_pk, PROTO_PRELOGIN, &pm, &pr,
	    NULL, em)) != 0)
		goto out;
	if (cap > 0)
		snprintf(hint, cap, "%s", pr.hint);
out:
	sess_node_close(tid, ttls, trpc);
	return rc;
}
