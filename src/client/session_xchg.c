/*
 * session_xchg: what the session's operations share (session_int.h):
 * checks of the caller's input, the pinned exchange with the coordinator,
 * the password's keys, and the device key's connection.
 *
 * Exchanges with the coordinator go through one helper (sess_xchg) that
 * pins the coordinator's key: a request is sent only over a connection
 * that showed the expected key, or, on first contact, whatever key
 * answers, which the caller then saves.
 */
#include "client/session_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/cursor.h"
#include "net/netaddr.h"

struct secrets *
sess_secrets_new(void)
{
	struct secrets *s = sodium_malloc(sizeof(*s));

	if (s != NULL)
		sodium_memzero(s, sizeof(*s));
	return s;
}

void
sess_secrets_free(struct secrets *s)
{
	if (s != NULL)
		sodium_free(s); /* wipes */
}

/* ---- checks of the caller's input ---- */

int
sess_check_user(const char *user, struct dz_errmsg *em)
{
	size_t n = user != NULL ? strlen(user) : 0;

	if (n == 0 || n > PROTO_USER_MAX || !proto_user_chars_ok(user, n))
		return dz_errf(em, DZ_EINVAL,
		    "a user name is 1 to %d characters of a-z, 0-9, '.', '_' and '-'",
		    PROTO_USER_MAX);
	return 0;
}

/* addr in canonical form ("ip:port") into out (NETADDR_STRMAX). */
int
sess_canon_addr(const char *addr, char out[static NETADDR_STRMAX],
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
int
sess_resolve_pin(const char *home, const char *addr, const uint8_t *given,
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
			return dz_errf(em, DZ_EPEERKEY,
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
 * coordinator could not be reached (DZ_ECONNECT), or showed a key other
 * than exp (DZ_EPEERKEY; peer_pk: the key that answered, which the net
 * layer fills on a mismatch). */
static int
xchg_fail(int rc, const char *addr, const uint8_t *exp,
    const uint8_t peer_pk[static IDENT_PKBYTES], const char *detail,
    struct dz_errmsg *em)
{
	char d[DZ_ERRMSG_MAX], hex[IDENT_HEXBYTES], a[IDENT_HEXBYTES];

	snprintf(d, sizeof(d), "%s", strip_addr(detail, addr));
	if (rc == DZ_EPEERKEY && exp != NULL)
		return dz_errf(em, rc, "coordinator %s showed key %s, pinned %s",
		    addr, ident_pk_hex(peer_pk, hex), ident_pk_hex(exp, a));
	if (rc == DZ_EIO || rc == DZ_ECONNECT)
		return dz_errf(em, DZ_ECONNECT, "cannot reach the coordinator %s: %s",
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
int
sess_xchg_raw(struct rpc *r, const char *addr, const uint8_t *exp, uint16_t type,
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
	q.why = &d; /* this request's own reason, not the call's summary */
	rc = rpc_call_many(r, &q, 1, 1, SESSION_DEADLINE_MS, take_frame, resp,
	    NULL, NULL);
	if (rc != 0) {
		frame_free(resp);
		if (rc == DZ_ETOOFEW)
			rc = q.status < 0 ? q.status : DZ_EIO;
		return xchg_fail(rc, addr, exp, q.peer_pk, d.text, em);
	}
	if (got != NULL)
		memcpy(got, q.peer_pk, IDENT_PKBYTES);
	if (resp->type == PROTO_ERROR) {
		rc = proto_error_decode(resp->body, resp->len, &e);
		frame_free(resp);
		if (rc != 0)
			return dz_errf(em, DZ_EFORMAT,
			    "coordinator %s sent a malformed error reply", addr);
		if (e.code == DZ_ENOLOGIN)
			return dz_errf(em, e.code,
			    "not logged in: this computer's key no longer acts for the account (the password was changed, or the computer revoked, elsewhere): run drizzle login with the current password");
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
int
sess_xchg(struct rpc *r, const char *addr, const uint8_t *exp, uint16_t type,
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
	rc = sess_xchg_raw(r, addr, exp, type, buf, len, &f, got, em);
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
int
sess_derive(const char *pw, size_t pwlen, const uint8_t salt[static PWKEY_SALTBYTES],
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
int
sess_wrap(struct keyfile *kf, const char *user, const struct secrets *sec,
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
int
sess_unwrap(const struct keyfile *kf, const char *user, const struct secrets *sec,
    uint8_t mk[static MKEY_BYTES])
{
	uint8_t ad[KEYFILE_HDRBYTES + PROTO_USER_MAX];
	size_t adlen = kf_ad(kf, user, ad);

	return mkey_unwrap(sec->kek, kf->wrapped, ad, adlen, mk);
}

int
sess_node_open(const uint8_t seed[static DEVICE_SEEDBYTES], struct ident **id,
    struct tls_ctx **tls, struct rpc **rpc, struct dz_errmsg *em)
{
	int rc;

	*id = NULL;
	*tls = NULL;
	*rpc = NULL;
	if ((rc = ident_from_seed(seed, id)) != 0)
		return dz_errf(em, rc, "cannot make the device key: %s",
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
sess_node_close(struct ident *id, struct tls_ctx *tls, struct rpc *rpc)
{
	rpc_free(rpc);
	tls_ctx_unref(tls);
	ident_free(id);
}

/* "wrong password", with the hint when there is one. */
int
sess_wrong_password(const char *hint, struct dz_errmsg *em)
{
	if (hint != NULL && hint[0] != '\0')
		return dz_errf(em, DZ_EPASSWORD, "wrong password (hint: %s)", hint);
	return dz_errf(em, DZ_EPASSWORD, "wrong password");
}

/* Save the coordinator pin and the account, replacing what was there. */
int
sess_save_profile(const char *home, const char *addr, const uint8_t pk[static 32],
    const char *user, const uint8_t kfbuf[static KEYFILE_BYTES],
    const uint8_t device[static DEVICE_BYTES], struct dz_errmsg *em)
{
	int rc;

	if ((rc = profile_save_coordinator(home, addr, pk, em)) != 0 ||
	    (rc = profile_save_account(home, user, kfbuf, device, em)) != 0)
		return rc;
	return 0;
}


void
sess_kdf_floor(const struct profile *p, const struct pwkey_params *given,
    struct pwkey_params *floor)
{
	struct keyfile kf;

	if (given != NULL) {
		*floor = *given;
		return;
	}
	pwkey_params_default(floor);
	if (p != NULL && p->have_account &&
	    keyfile_parse(p->keyfile, KEYFILE_BYTES, &kf) == 0)
		pwkey_params_raise(floor, &kf.params);
}

int
sess_judge(const struct pwkey_params *got, const struct pwkey_params *floor,
    const char *addr, struct dz_errmsg *em)
{
	char who[NETADDR_STRMAX + 16];

	snprintf(who, sizeof(who), "coordinator %s", addr);
	return pwkey_params_judge(got, floor, who, em);
}
