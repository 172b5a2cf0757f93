/*
 * session: sign-up, login, password change and logout of a client's
 * account, and the authenticated connection to the coordinator that the
 * other commands use (session.h says what each step proves).
 *
 * Exchanges with the coordinator go through one helper (xchg) that pins
 * the coordinator's key: a request is sent only over a connection that
 * showed the expected key, or, on first contact, whatever key answers,
 * which the caller then saves. A PRELOGIN challenge belongs to the
 * connection it was issued on, so the request that uses it must go out on
 * the same cached rpc connection: the helper is always called with the
 * same (address, expected key) pair for the two.
 *
 * One Argon2id run per operation: pwkey_derive gives both the KEK and the
 * login seed, and the master key is unwrapped (or wrapped) here with the
 * keyfile's own associated data (keyfile.h: the header bytes, then the
 * account name) instead of calling keyfile_open / keyfile_rewrap, which
 * would derive a second time. session_open (session_open.c), which needs
 * no login key, uses keyfile_open. Every secret lives in one sodium_malloc
 * block (struct secrets) freed, and so wiped, on every path.
 */
#include "client/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/profile.h"
#include "client/session_int.h"
#include "core/cursor.h"
#include "core/keyfile.h"
#include "net/netaddr.h"
#include "net/proto.h"

/* Key material of one operation, in locked memory. */
struct secrets {
	uint8_t kek[PWKEY_KEYBYTES];
	uint8_t login_seed[PWKEY_KEYBYTES];
	uint8_t login_sk[crypto_sign_SECRETKEYBYTES];
	uint8_t old_sk[crypto_sign_SECRETKEYBYTES]; /* passwd: old login key */
	uint8_t node_sk[crypto_sign_SECRETKEYBYTES];
	uint8_t mk2[MKEY_BYTES];                    /* passwd: check copy */
};

struct secrets *
secrets_new(void)
{
	struct secrets *s = sodium_malloc(sizeof(*s));

	if (s != NULL)
		sodium_memzero(s, sizeof(*s));
	return s;
}

void
secrets_free(struct secrets *s)
{
	if (s != NULL)
		sodium_free(s); /* wipes */
}

/* ---- checks of the caller's input ---- */

static int
check_user(const char *user, struct dz_errmsg *em)
{
	size_t n = user != NULL ? strlen(user) : 0;

	if (n == 0 || n > PROTO_USER_MAX || !proto_user_chars_ok(user, n))
		return dz_errf(em, DZ_EINVAL,
		    "a user name is 1 to %d characters of a-z, 0-9, '.', '_' and '-'",
		    PROTO_USER_MAX);
	return 0;
}

/* addr in canonical form ("ip:port") into out (NETADDR_STRMAX). */
static int
canon_addr(const char *addr, char out[static NETADDR_STRMAX],
    struct dz_errmsg *em)
{
	struct sockaddr_storage sa;
	struct dz_errmsg e = {{0}};

	if (addr == NULL || netaddr_parse(addr, 0, &sa, &e) != 0 ||
	    netaddr_format((struct sockaddr *)&sa, out, NETADDR_STRMAX) != 0)
		return dz_errf(em, DZ_EINVAL,
		    "bad coordinator address '%s' (want IP:PORT): %s",
		    addr != NULL ? addr : "", e.text);
	return 0;
}

/*
 * The key to expect from the coordinator at addr: the caller's (given,
 * may be NULL) or the one the profile pins for that address. *exp points
 * into pinned or is NULL (first contact). A given key that differs from
 * the pinned one is refused: changing a pin is a decision the user makes
 * by removing the profile's coordinator file.
 */
static int
resolve_pin(const char *home, const char *addr, const uint8_t *given,
    uint8_t pinned[static IDENT_PKBYTES], const uint8_t **exp,
    struct dz_errmsg *em)
{
	struct profile p;
	char a[IDENT_HEXBYTES], b[IDENT_HEXBYTES];
	int rc;

	*exp = NULL;
	if ((rc = profile_load(home, &p, em)) != 0)
		return rc;
	if (p.have_coordinator && strcmp(p.coord_addr, addr) == 0) {
		if (given != NULL &&
		    memcmp(given, p.coord_pk, IDENT_PKBYTES) != 0)
			return dz_errf(em, DZ_EAUTH,
			    "coordinator %s: key %s was given, pinned %s (in %s/coordinator)",
			    addr, ident_pk_hex(given, a),
			    ident_pk_hex(p.coord_pk, b), home);
		memcpy(pinned, p.coord_pk, IDENT_PKBYTES);
		*exp = pinned;
	} else if (given != NULL) {
		memcpy(pinned, given, IDENT_PKBYTES);
		*exp = pinned;
	}
	return 0;
}

/* ---- one exchange with the coordinator ---- */

/* The rpc_call_many accept callback: keep the answer, take its body. */
static int
take_frame(void *arg, size_t i, struct frame *f)
{
	struct frame *out = arg;

	(void)i;
	*out = *f;
	f->body = NULL;
	return 1;
}

/* Skip a leading "addr: " that conn.c puts before its messages. */
static const char *
strip_addr(const char *msg, const char *addr)
{
	size_t n = strlen(addr);

	if (strncmp(msg, addr, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

/* Turn the failure of an exchange into a message for people: the
 * coordinator could not be reached, or showed a key other than exp. */
static int
xchg_fail(int rc, const char *addr, const uint8_t *exp, const char *detail,
    struct dz_errmsg *em)
{
	char d[DZ_ERRMSG_MAX], hex[IDENT_HEXBYTES], a[IDENT_HEXBYTES];
	uint8_t got[IDENT_PKBYTES];
	const char *p;

	/* rpc_call_many says how many answers it missed first */
	if ((p = strstr(detail, "answers wanted; ")) != NULL)
		detail = p + strlen("answers wanted; ");
	snprintf(d, sizeof(d), "%s", strip_addr(detail, addr));
	if (rc == DZ_EAUTH && exp != NULL && (p = strstr(d, ", got ")) != NULL) {
		snprintf(hex, sizeof(hex), "%.64s", p + strlen(", got "));
		if (ident_pk_parse(hex, got) == 0)
			return dz_errf(em, rc, "coordinator %s showed key %s, pinned %s",
			    addr, ident_pk_hex(got, hex), ident_pk_hex(exp, a));
	}
	if (rc == DZ_EIO)
		return dz_errf(em, rc, "cannot reach the coordinator %s: %s",
		    addr, d[0] != '\0' ? d : dz_strerror(rc));
	return dz_errf(em, rc, "coordinator %s: %s", addr,
	    d[0] != '\0' ? d : dz_strerror(rc));
}

/*
 * Send type's body (len bytes) to addr expecting exp (NULL: any key) and
 * wait for the answer: 0 with *resp (a reply of type PROTO_REPLY(type) or
 * PROTO_CONFLICT; the caller's) and, if got is not NULL, the key that
 * answered; an ERROR reply becomes its code and message; another type is
 * DZ_EFORMAT.
 */
static int
xchg_raw(struct rpc *r, const char *addr, const uint8_t *exp, uint16_t type,
    const void *body, size_t len, struct frame *resp,
    uint8_t got[IDENT_PKBYTES], struct dz_errmsg *em)
{
	struct rpc_req q;
	struct proto_error e;
	struct dz_errmsg d = {{0}};
	int rc;

	memset(resp, 0, sizeof(*resp));
	memset(&q, 0, sizeof(q));
	q.addr = addr;
	q.pk = exp;
	q.type = type;
	q.body = body;
	q.len = len;
	rc = rpc_call_many(r, &q, 1, 1, SESSION_DEADLINE_MS, take_frame, resp,
	    NULL, &d);
	if (rc != 0) {
		frame_free(resp);
		if (rc == DZ_ETOOFEW)
			rc = q.status < 0 ? q.status : DZ_EIO;
		return xchg_fail(rc, addr, exp, d.text, em);
	}
	if (got != NULL)
		memcpy(got, q.peer_pk, IDENT_PKBYTES);
	if (resp->type == PROTO_ERROR) {
		rc = proto_error_decode(resp->body, resp->len, &e);
		frame_free(resp);
		if (rc != 0)
			return dz_errf(em, DZ_EFORMAT,
			    "coordinator %s sent a malformed error reply", addr);
		return dz_errf(em, e.code, "%s",
		    e.message[0] != '\0' ? e.message : dz_strerror(e.code));
	}
	if (resp->type != PROTO_REPLY(type) && resp->type != PROTO_CONFLICT) {
		rc = dz_errf(em, DZ_EFORMAT,
		    "coordinator %s answered 0x%04x with message type 0x%04x",
		    addr, (unsigned)type, (unsigned)resp->type);
		frame_free(resp);
		return rc;
	}
	return 0;
}

/* xchg_raw for a request given as its struct (msg), the reply decoded
 * into rep (the struct of PROTO_REPLY(type); NULL for an empty reply).
 * Only for replies whose structs copy everything (the account messages). */
static int
xchg(struct rpc *r, const char *addr, const uint8_t *exp, uint16_t type,
    const void *msg, void *rep, uint8_t got[IDENT_PKBYTES],
    struct dz_errmsg *em)
{
	struct frame f;
	struct wbuf w;
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if ((rc = proto_encoded_len(type, msg, &len)) != 0)
		return dz_errf(em, rc, "cannot encode %s: %s",
		    proto_type_name(type), dz_strerror(rc));
	if (len > 0 && (buf = malloc(len)) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	wbuf_init(&w, buf, len);
	if ((rc = proto_encode(type, msg, &w)) != 0 || w.len != len) {
		free(buf);
		return dz_errf(em, rc != 0 ? rc : DZ_EINVAL, "cannot encode %s",
		    proto_type_name(type));
	}
	rc = xchg_raw(r, addr, exp, type, buf, len, &f, got, em);
	free(buf);
	if (rc != 0)
		return rc;
	if (f.type == PROTO_CONFLICT)
		rc = DZ_EFORMAT;
	else if (rep != NULL)
		rc = proto_decode(f.type, f.body, f.len, rep);
	else
		rc = proto_empty_decode(f.body, f.len);
	frame_free(&f);
	if (rc != 0)
		return dz_errf(em, rc, "coordinator %s sent a malformed %s: %s",
		    addr, proto_type_name(PROTO_REPLY(type)), dz_strerror(rc));
	return 0;
}

/* ---- keys ---- */

/* The wrap's associated data as keyfile.h defines it: every byte of the
 * encoded keyfile before `wrapped`, then the account name. */
static size_t
kf_ad(const struct keyfile *kf, const char *user,
    uint8_t ad[static KEYFILE_HDRBYTES + PROTO_USER_MAX])
{
	uint8_t enc[KEYFILE_BYTES];
	size_t n = strlen(user);

	keyfile_encode(kf, enc);
	memcpy(ad, enc, KEYFILE_HDRBYTES);
	memcpy(ad + KEYFILE_HDRBYTES, user, n);
	return KEYFILE_HDRBYTES + n;
}

/* Derive KEK and login key from pw with salt and params into sec
 * (login_pk receives the public login key). */
static int
derive(const char *pw, size_t pwlen, const uint8_t salt[static PWKEY_SALTBYTES],
    const struct pwkey_params *params, struct secrets *sec,
    uint8_t login_pk[static crypto_sign_PUBLICKEYBYTES], struct dz_errmsg *em)
{
	int rc;

	if ((rc = pwkey_derive(pw, pwlen, salt, params, sec->kek,
	    sec->login_seed)) != 0)
		return dz_errf(em, rc, "cannot derive the keys from the password: %s",
		    dz_strerror(rc));
	if (crypto_sign_seed_keypair(login_pk, sec->login_sk, sec->login_seed) != 0)
		return dz_errf(em, DZ_ECRYPTO, "cannot make the login key");
	return 0;
}

/* A new keyfile for mk under sec->kek (already derived with kf->params
 * and kf->salt, which the caller set). */
static int
wrap(struct keyfile *kf, const char *user, const struct secrets *sec,
    const uint8_t mk[static MKEY_BYTES], struct dz_errmsg *em)
{
	uint8_t ad[KEYFILE_HDRBYTES + PROTO_USER_MAX];
	size_t adlen;
	int rc;

	memset(kf->wrapped, 0, sizeof(kf->wrapped));
	adlen = kf_ad(kf, user, ad);
	if ((rc = mkey_wrap(sec->kek, mk, ad, adlen, kf->wrapped)) != 0)
		return dz_errf(em, rc, "cannot wrap the master key");
	return 0;
}

/* Unwrap kf with sec->kek into mk: 0 or DZ_EPASSWORD. */
static int
unwrap(const struct keyfile *kf, const char *user, const struct secrets *sec,
    uint8_t mk[static MKEY_BYTES])
{
	uint8_t ad[KEYFILE_HDRBYTES + PROTO_USER_MAX];
	size_t adlen = kf_ad(kf, user, ad);

	return mkey_unwrap(sec->kek, kf->wrapped, ad, adlen, mk);
}

/* The account's node identity from mk and a client TLS context showing
 * it, with an rpc over it. */
int
node_open(const uint8_t mk[static MKEY_BYTES], struct secrets *sec,
    struct ident **id, struct tls_ctx **tls, struct rpc **rpc,
    struct dz_errmsg *em)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	int rc;

	*id = NULL;
	*tls = NULL;
	*rpc = NULL;
	if ((rc = mkey_sign_keypair(mk, pk, sec->node_sk)) != 0)
		return dz_errf(em, rc, "cannot derive the node identity");
	rc = ident_from_seed(sec->node_sk, id); /* seed: sk's first 32 bytes */
	sodium_memzero(sec->node_sk, sizeof(sec->node_sk));
	if (rc != 0)
		return dz_errf(em, rc, "cannot make the node identity: %s",
		    dz_strerror(rc));
	if ((rc = tls_ctx_new(*id, TLS_ROLE_CLIENT, tls, em)) != 0 ||
	    (rc = rpc_new(*tls, NULL, rpc, em)) != 0) {
		tls_ctx_unref(*tls);
		ident_free(*id);
		*tls = NULL;
		*id = NULL;
		return rc;
	}
	return 0;
}

void
node_close(struct ident *id, struct tls_ctx *tls, struct rpc *rpc)
{
	rpc_free(rpc);
	tls_ctx_unref(tls);
	ident_free(id);
}

/* "wrong password", with the hint when there is one. */
int
wrong_password(const char *hint, struct dz_errmsg *em)
{
	if (hint != NULL && hint[0] != '\0')
		return dz_errf(em, DZ_EPASSWORD, "wrong password (hint: %s)", hint);
	return dz_errf(em, DZ_EPASSWORD, "wrong password");
}

/* Save the coordinator pin and the account, replacing what was there. */
static int
save_profile(const char *home, const char *addr, const uint8_t pk[static 32],
    const char *user, const uint8_t kfbuf[static KEYFILE_BYTES],
    struct dz_errmsg *em)
{
	int rc;

	if ((rc = profile_save_coordinator(home, addr, pk, em)) != 0 ||
	    (rc = profile_save_account(home, user, kfbuf, em)) != 0)
		return rc;
	return 0;
}

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
	const uint8_t *exp;
	char addr[NETADDR_STRMAX];
	size_t hlen = hint != NULL ? strlen(hint) : 0;
	int rc;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	memset(&m, 0, sizeof(m));
	if ((rc = check_user(user, em)) != 0 ||
	    (rc = canon_addr(coord_addr, addr, em)) != 0)
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
	if ((rc = resolve_pin(home, addr, coord_pk, pinned, &exp, em)) != 0)
		return rc;
	if ((sec = secrets_new()) == NULL || (mk = sodium_malloc(MKEY_BYTES)) == NULL) {
		rc = dz_errf(em, DZ_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = keyfile_create(pw, pwlen, params, user, &kf, mk, m.login_pk)) != 0) {
		rc = dz_errf(em, rc, "cannot make the keys: %s", dz_strerror(rc));
		goto out;
	}
	if ((rc = node_open(mk, sec, &id, &tls, &rpc, em)) != 0)
		goto out;
	snprintf(m.user, sizeof(m.user), "%s", user);
	keyfile_encode(&kf, m.keyfile);
	snprintf(m.hint, sizeof(m.hint), "%s", hint != NULL ? hint : "");
	if ((rc = xchg(rpc, addr, exp, PROTO_SIGNUP, &m, NULL, got, em)) != 0)
		goto out;
	rc = save_profile(home, addr, got, user, m.keyfile, em);
out:
	node_close(id, tls, rpc);
	sodium_free(mk);
	secrets_free(sec);
	return rc;
}

int
session_login(const char *home, const char *coord_addr,
    const uint8_t *coord_pk, const char *user, const char *pw, size_t pwlen,
    struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	struct proto_prelogin pm;
	struct proto_prelogin_rep pr;
	struct proto_login lm;
	struct proto_login_rep lr;
	struct proto_status_rep st;
	struct keyfile kf;
	struct secrets *sec = NULL;
	struct ident *tid = NULL, *id = NULL;
	struct tls_ctx *ttls = NULL, *tls = NULL;
	struct rpc *trpc = NULL, *rpc = NULL;
	uint8_t *mk = NULL, pinned[IDENT_PKBYTES], cpk[IDENT_PKBYTES],
	    got[IDENT_PKBYTES], login_pk[crypto_sign_PUBLICKEYBYTES],
	    t[PROTO_LOGIN_TBYTES];
	const uint8_t *exp;
	char addr[NETADDR_STRMAX];
	int rc;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	memset(&pm, 0, sizeof(pm));
	memset(&lm, 0, sizeof(lm));
	if ((rc = check_user(user, em)) != 0 ||
	    (rc = canon_addr(coord_addr, addr, em)) != 0 ||
	    (rc = resolve_pin(home, addr, coord_pk, pinned, &exp, em)) != 0)
		return rc;
	if ((sec = secrets_new()) == NULL || (mk = sodium_malloc(MKEY_BYTES)) == NULL) {
		rc = dz_errf(em, DZ_ENOMEM, "out of memory");
		goto out;
	}
	/* a throwaway device key until the master key gives the real one */
	if ((rc = ident_generate(&tid)) != 0) {
		rc = dz_errf(em, rc, "cannot make a device key");
		goto out;
	}
	if ((rc = tls_ctx_new(tid, TLS_ROLE_CLIENT, &ttls, em)) != 0 ||
	    (rc = rpc_new(ttls, NULL, &trpc, em)) != 0)
		goto out;
	snprintf(pm.user, sizeof(pm.user), "%s", user);
	rc = xchg(trpc, addr, exp, PROTO_PRELOGIN, &pm, &pr, cpk, em);
	if (rc == DZ_ENOENT)
		rc = dz_errf(em, rc, "no user %s at the coordinator %s", user, addr);
	if (rc != 0)
		goto out;
	if ((rc = derive(pw, pwlen, pr.salt, &pr.params, sec, login_pk, em)) != 0)
		goto out;
	proto_login_transcript(t, cpk, tls_ctx_pk(ttls), pr.challenge);
	crypto_sign_detached(lm.sig, NULL, t, sizeof(t), sec->login_sk);
	snprintf(lm.user, sizeof(lm.user), "%s", user);
	/* same (addr, exp) as PRELOGIN: the same connection, whose challenge
	 * this is; the key that answers must be the one signed for */
	rc = xchg(trpc, addr, exp, PROTO_LOGIN, &lm, &lr, got, em);
	if (rc == DZ_EPASSWORD)
		rc = wrong_password(pr.hint, em);
	if (rc != 0)
		goto out;
	if (memcmp(got, cpk, IDENT_PKBYTES) != 0) {
		rc = dz_errf(em, DZ_EAUTH,
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
	 * between); else derive again */
	if (memcmp(kf.salt, pr.salt, PWKEY_SALTBYTES) == 0 &&
	    kf.params.alg == pr.params.alg &&
	    kf.params.opslimit == pr.params.opslimit &&
	    kf.params.memlimit == pr.params.memlimit)
		rc = unwrap(&kf, user, sec, mk);
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
	/* the node identity must be the one the account is bound to */
	if ((rc = node_open(mk, sec, &id, &tls, &rpc, em)) != 0)
		goto out;
	rc = xchg(rpc, addr, cpk, PROTO_STATUS, &(struct proto_empty){0}, &st,
	    NULL, em);
	if (rc != 0) {
		char d[DZ_ERRMSG_MAX];
		snprintf(d, sizeof(d), "%s", em->text);
		rc = dz_errf(em, rc,
		    "the coordinator refused this account's node key: %s", d);
		goto out;
	}
	rc = save_profile(home, addr, cpk, user, lr.keyfile, em);
out:
	sodium_memzero(t, sizeof(t));
	node_close(id, tls, rpc);
	node_close(tid, ttls, trpc);
	sodium_free(mk);
	secrets_free(sec);
	return rc;
}

int
session_call(struct session *s, uint16_t type, const void *body, size_t len,
    struct frame *resp, struct dz_errmsg *em)
{
	return xchg_raw(s->rpc, s->coord_addr, s->coord_pk, type, body, len,
	    resp, NULL, em);
}

int
session_passwd(struct session *s, const char *oldpw, size_t oldlen,
    const char *newpw, size_t newlen, const struct pwkey_params *params,
    struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	struct pwkey_params defp;
	struct proto_prelogin pm;
	struct proto_prelogin_rep pr;
	struct proto_passwd m;
	struct profile p;
	struct keyfile kf, old;
	struct secrets *sec = NULL;
	uint8_t oldpk[crypto_sign_PUBLICKEYBYTES], t[PROTO_PASSWD_TBYTES];
	int rc;

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
	if ((sec = secrets_new()) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	/* a fresh challenge, on the node key's connection: PASSWD must
	 * follow on the same one */
	snprintf(pm.user, sizeof(pm.user), "%s", s->user);
	if ((rc = xchg(s->rpc, s->coord_addr, s->coord_pk, PROTO_PRELOGIN, &pm,
	    &pr, NULL, em)) != 0)
		goto out;
	/* the old login key, from the coordinator's current salt */
	if ((rc = derive(oldpw, oldlen, pr.salt, &pr.params, sec, oldpk, em)) != 0)
		goto out;
	memcpy(sec->old_sk, sec->login_sk, sizeof(sec->old_sk));
	/* judge the old password here when the profile's keyfile is the
	 * coordinator's (the usual case), so that a typo costs no failed
	 * attempt at the coordinator; otherwise the coordinator judges */
	if (profile_load(s->home, &p, NULL) == 0 && p.have_account &&
	    strcmp(p.user, s->user) == 0 &&
	    keyfile_parse(p.keyfile, KEYFILE_BYTES, &old) == 0 &&
	    memcmp(old.salt, pr.salt, PWKEY_SALTBYTES) == 0 &&
	    old.params.alg == pr.params.alg &&
	    old.params.opslimit == pr.params.opslimit &&
	    old.params.memlimit == pr.params.memlimit) {
		if (unwrap(&old, s->user, sec, sec->mk2) != 0 ||
		    sodium_memcmp(sec->mk2, s->mk, MKEY_BYTES) != 0) {
			rc = wrong_password(pr.hint, em);
			goto out;
		}
	}
	/* the same master key under the new password: new salt, new login
	 * key, no data re-encrypted */
	memset(&kf, 0, sizeof(kf));
	kf.params = *params;
	randombytes_buf(kf.salt, sizeof(kf.salt));
	if ((rc = derive(newpw, newlen, kf.salt, &kf.params, sec, m.login_pk, em)) != 0 ||
	    (rc = wrap(&kf, s->user, sec, s->mk, em)) != 0)
		goto out;
	keyfile_encode(&kf, m.keyfile);
	proto_passwd_transcript(t, pr.challenge, m.keyfile, m.login_pk);
	crypto_sign_detached(m.sig, NULL, t, sizeof(t), sec->old_sk);
	rc = xchg(s->rpc, s->coord_addr, s->coord_pk, PROTO_PASSWD, &m, NULL,
	    NULL, em);
	if (rc == DZ_EPASSWORD)
		rc = wrong_password(pr.hint, em);
	if (rc != 0)
		goto out;
	if ((rc = profile_save_account(s->home, s->user, m.keyfile, em)) != 0) {
		char d[DZ_ERRMSG_MAX];
		snprintf(d, sizeof(d), "%s", em->text);
		rc = dz_errf(em, rc,
		    "the password was changed at the coordinator, but the profile was not updated (%s): run drizzle login",
		    d);
	}
out:
	sodium_memzero(t, sizeof(t));
	secrets_free(sec);
	return rc;
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
	    (rc = xchg(trpc, p.coord_addr, p.coord_pk, PROTO_PRELOGIN, &pm, &pr,
	    NULL, em)) != 0)
		goto out;
	if (cap > 0)
		snprintf(hint, cap, "%s", pr.hint);
out:
	node_close(tid, ttls, trpc);
	return rc;
}
