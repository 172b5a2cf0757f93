/*
 * session_acct: what an open session does to its account: change the
 * password (logging the other computers out unless asked not to), list
 * the account's devices, revoke one.
 */
#include "client/session_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int
session_passwd(struct session *s, const char *oldpw, size_t oldlen,
    const char *newpw, size_t newlen, const struct session_passwd_opts *o,
    struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	struct pwkey_params defp, fl;
	const struct pwkey_params *params = o != NULL ? o->params : NULL;
	struct proto_prelogin pm;
	struct proto_prelogin_rep pr;
	struct proto_passwd m;
	struct profile p;
	struct keyfile kf, old;
	struct secrets *sec = NULL;
	uint8_t oldpk[crypto_sign_PUBLICKEYBYTES], t[PROTO_PASSWD_TBYTES];
	int rc, have_p;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	memset(&pm, 0, sizeof(pm));
	memset(&m, 0, sizeof(m));
	if (params == NULL) {
		pwkey_params_default(&defp);
		params = &defp;
	}
	if ((rc = pwkey_params_check(params)) != 0)
		return dz_errf(em, rc, "KDF parameters out of bounds");
	if (o != NULL && o->hint != NULL) {
		size_t hlen = strlen(o->hint);
		if (hlen > PROTO_HINT_MAX || !proto_text_chars_ok(o->hint, hlen))
			return dz_errf(em, DZ_EINVAL,
			    "a hint is at most %d bytes of UTF-8 text without control characters",
			    PROTO_HINT_MAX);
		snprintf(m.hint, sizeof(m.hint), "%s", o->hint);
		m.flags |= PROTO_PASSWD_HINT;
	}
	if (o != NULL && o->keep_devices)
		m.flags |= PROTO_PASSWD_KEEP_DEVICES;
	have_p = profile_load(s->home, &p, NULL) == 0;
	sess_kdf_floor(have_p ? &p : NULL, o != NULL ? o->floor : NULL, &fl);
	if ((sec = sess_secrets_new()) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	/* a fresh challenge, on the device key's connection: PASSWD must
	 * follow on the same one */
	snprintf(pm.user, sizeof(pm.user), "%s", s->user);
	if ((rc = sess_xchg(s->rpc, s->coord_addr, s->coord_pk, PROTO_PRELOGIN, &pm,
	    &pr, NULL, em)) != 0)
		goto out;
	/* the old login key, from the coordinator's current salt: never
	 * under parameters below the floor (the old password would leak) */
	if ((rc = sess_judge(&pr.params, &fl, s->coord_addr, em)) != 0 ||
	    (rc = sess_derive(oldpw, oldlen, pr.salt, &pr.params, sec, oldpk,
	    em)) != 0)
		goto out;
	memcpy(sec->old_sk, sec->login_sk, sizeof(sec->old_sk));
	/* judge the old password here when the profile's keyfile is the
	 * coordinator's (the usual case), so that a typo costs no failed
	 * attempt at the coordinator; otherwise the coordinator judges */
	if (have_p && p.have_account && strcmp(p.user, s->user) == 0 &&
	    keyfile_parse(p.keyfile, KEYFILE_BYTES, &old) == 0 &&
	    memcmp(old.salt, pr.salt, PWKEY_SALTBYTES) == 0 &&
	    old.params.alg == pr.params.alg &&
	    old.params.opslimit == pr.params.opslimit &&
	    old.params.memlimit == pr.params.memlimit) {
		if (sess_unwrap(&old, s->user, sec, sec->mk2) != 0 ||
		    sodium_memcmp(sec->mk2, s->mk, MKEY_BYTES) != 0) {
			rc = sess_wrong_password(pr.hint, em);
			goto out;
		}
	}
	/* the same master key under the new password: new salt, new login
	 * key, no data re-encrypted */
	memset(&kf, 0, sizeof(kf));
	kf.params = *params;
	randombytes_buf(kf.salt, sizeof(kf.salt));
	if ((rc = sess_derive(newpw, newlen, kf.salt, &kf.params, sec, m.login_pk,
	    em)) != 0 || (rc = sess_wrap(&kf, s->user, sec, s->mk, em)) != 0)
		goto out;
	keyfile_encode(&kf, m.keyfile);
	proto_passwd_transcript(t, pr.challenge, m.keyfile, m.login_pk);
	crypto_sign_detached(m.sig, NULL, t, sizeof(t), sec->old_sk);
	rc = sess_xchg(s->rpc, s->coord_addr, s->coord_pk, PROTO_PASSWD, &m, NULL,
	    NULL, em);
	if (rc == DZ_EPASSWORD)
		rc = sess_wrong_password(pr.hint, em);
	if (rc != 0)
		goto out;
	/* the device file stays: it is sealed under the master key, which
	 * did not change */
	if ((rc = profile_save_account(s->home, s->user, m.keyfile, NULL, em)) != 0) {
		char d[DZ_ERRMSG_MAX];
		snprintf(d, sizeof(d), "%s", em->text);
		rc = dz_errf(em, rc,
		    "the password was changed at the coordinator, but the profile was not updated (%s): run drizzle login",
		    d);
	}
out:
	sodium_memzero(t, sizeof(t));
	sess_secrets_free(sec);
	return rc;
}

int
session_devices(struct session *s, struct proto_devices_rep *out,
    struct dz_errmsg *em)
{
	struct dz_errmsg tmp;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	return sess_xchg(s->rpc, s->coord_addr, s->coord_pk, PROTO_DEVICES,
	    &(struct proto_empty){0}, out, NULL, em);
}

int
session_device_revoke(struct session *s, const uint8_t pk[static IDENT_PKBYTES],
    struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	struct proto_device_revoke m;
	int rc;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	memcpy(m.pk, pk, IDENT_PKBYTES);
	rc = sess_xchg(s->rpc, s->coord_addr, s->coord_pk, PROTO_DEVICE_REVOKE, &m,
	    NULL, NULL, em);
	if (rc == DZ_ENOENT)
		rc = dz_errf(em, rc, "no computer of %s has that key", s->user);
	return rc;
}
