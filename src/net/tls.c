/*
 * tls: building SSL_CTXs around a self-signed Ed25519 certificate, the
 * certificate check that replaces CA verification, and peer-key extraction.
 *
 * Why a whole-chain verify callback (SSL_CTX_set_cert_verify_callback)
 * rather than the per-error one: we do not want OpenSSL to build or judge a
 * chain at all, only to hand us the leaf. The callback accepts exactly one
 * certificate, self-signed (its signature checks under its own key) and
 * whose key is Ed25519; TLS itself then proves possession of that key in
 * CertificateVerify. Session tickets and the session cache are off: every
 * connection makes a full handshake, so every connection presents a key.
 */
#include "net/tls.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

struct tls_ctx {
	SSL_CTX *ssl;
	enum tls_role role;
	atomic_int refs;
	uint8_t pk[IDENT_PKBYTES];
};

/* ALPN wire form: length-prefixed protocol names. */
static const unsigned char alpn_wire[] = "\x09" TLS_ALPN;
#define ALPN_WIRE_LEN (sizeof(alpn_wire) - 1)
_Static_assert(sizeof(TLS_ALPN) - 1 == 9, "alpn_wire's length byte");

int
tls_errf(struct dz_errmsg *em, int code, SSL *ssl, const char *what)
{
	unsigned long e = ERR_get_error();
	long v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	char buf[160];

	if (v != X509_V_OK)
		snprintf(buf, sizeof(buf), "certificate refused: %s",
		    X509_verify_cert_error_string(v));
	else if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "unknown TLS error");
	ERR_clear_error();
	return dz_errf(em, code, "%s: %s", what, buf);
}

/* The certificate check (see the top of the file). */
static int
cert_verify(X509_STORE_CTX *sctx, void *arg)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_untrusted(sctx);
	X509 *leaf = X509_STORE_CTX_get0_cert(sctx);
	EVP_PKEY *key;

	(void)arg;
	if (leaf == NULL) {
		X509_STORE_CTX_set_error(sctx, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	if (chain != NULL && sk_X509_num(chain) > 1) {
		/* a CA chain: not our kind of identity */
		X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_CHAIN_TOO_LONG);
		return 0;
	}
	key = X509_get0_pubkey(leaf);
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		X509_STORE_CTX_set_error(sctx,
		    X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM);
		return 0;
	}
	if (X509_verify(leaf, key) != 1) {
		ERR_clear_error();
		X509_STORE_CTX_set_error(sctx,
		    X509_V_ERR_CERT_SIGNATURE_FAILURE);
		return 0;
	}
	X509_STORE_CTX_set_error(sctx, X509_V_OK);
	return 1;
}

static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, alpn_wire, ALPN_WIRE_LEN, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* A self-signed certificate for key; NULL on failure (error queue set). */
static X509 *
cert_make(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name;
	uint64_t serial;

	if (x == NULL)
		return NULL;
	/* serial: random and positive, as RFC 5280 asks; never checked */
	randombytes_buf(&serial, sizeof(serial));
	serial = (serial >> 1) | 1;
	name = X509_get_subject_name(x);
	/* dates are ignored by cert_verify; these say "no expiry" */
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) != 1 ||
	    ASN1_TIME_set_string_X509(X509_getm_notBefore(x),
	    "20000101000000Z") != 1 ||
	    ASN1_TIME_set_string_X509(X509_getm_notAfter(x),
	    "99991231235959Z") != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"drizzle", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, key) != 1 ||
	    X509_sign(x, key, NULL) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int
tls_ctx_new(const struct ident *id, enum tls_role role, struct tls_ctx **out,
    struct dz_errmsg *em)
{
	struct tls_ctx *t = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc;

	*out = NULL;
	if (role != TLS_ROLE_SERVER && role != TLS_ROLE_CLIENT)
		return dz_errf(em, DZ_EINVAL, "bad TLS role %d", (int)role);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	atomic_init(&t->refs, 1);
	t->role = role;
	memcpy(t->pk, id->pk, IDENT_PKBYTES);
	t->ssl = SSL_CTX_new(role == TLS_ROLE_SERVER ? TLS_server_method() :
	    TLS_client_method());
	if (t->ssl == NULL) {
		rc = tls_errf(em, DZ_ENOMEM, NULL, "SSL_CTX_new");
		goto fail;
	}
	/* the seed is the raw private key; OpenSSL keeps (and clears) a copy */
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, id->sk,
	    IDENT_SEEDBYTES);
	if (key == NULL) {
		rc = tls_errf(em, DZ_ECRYPTO, NULL, "Ed25519 key");
		goto fail;
	}
	cert = cert_make(key);
	if (cert == NULL) {
		rc = tls_errf(em, DZ_ECRYPTO, NULL, "self-signed certificate");
		goto fail;
	}
	if (SSL_CTX_set_min_proto_version(t->ssl, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(t->ssl, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate(t->ssl, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(t->ssl, key) != 1 ||
	    SSL_CTX_check_private_key(t->ssl) != 1 ||
	    SSL_CTX_set_num_tickets(t->ssl, 0) != 1) {
		rc = tls_errf(em, DZ_ECRYPTO, NULL, "TLS context");
		goto fail;
	}
	SSL_CTX_set_session_cache_mode(t->ssl, SSL_SESS_CACHE_OFF);
	/* an idle connection gives its record buffers back: thousands of
	 * open connections then cost little (docs/net.md, floods) */
	SSL_CTX_set_mode(t->ssl, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(t->ssl, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(t->ssl,
	    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(t->ssl, cert_verify, NULL);
	if (role == TLS_ROLE_SERVER) {
		SSL_CTX_set_alpn_select_cb(t->ssl, alpn_select, NULL);
	} else if (SSL_CTX_set_alpn_protos(t->ssl, alpn_wire,
	    ALPN_WIRE_LEN) != 0) { /* sic: 0 is success here */
		rc = tls_errf(em, DZ_ENOMEM, NULL, "ALPN");
		goto fail;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	*out = t;
	return 0;
fail:
	X509_free(cert);
	EVP_PKEY_free(key);
	SSL_CTX_free(t->ssl);
	free(t);
	return rc;
}

struct tls_ctx *
tls_ctx_ref(struct tls_ctx *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

void
tls_ctx_unref(struct tls_ctx *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	SSL_CTX_free(t->ssl);
	free(t);
}

enum tls_role
tls_ctx_role(const struct tls_ctx *t)
{
	return t->role;
}

const uint8_t *
tls_ctx_pk(const struct tls_ctx *t)
{
	return t->pk;
}

SSL *
tls_ssl_new(struct tls_ctx *t)
{
	SSL *ssl = SSL_new(t->ssl);

	if (ssl == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (t->role == TLS_ROLE_SERVER)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	return ssl;
}

int
tls_peer_check(SSL *ssl, uint8_t pk[static IDENT_PKBYTES],
    struct dz_errmsg *em)
{
	const unsigned char *proto = NULL;
	unsigned int proto_len = 0;
	X509 *cert;
	EVP_PKEY *key;
	size_t len = IDENT_PKBYTES;

	SSL_get0_alpn_selected(ssl, &proto, &proto_len);
	if (proto_len != ALPN_WIRE_LEN - 1 ||
	    memcmp(proto, TLS_ALPN, proto_len) != 0)
		return dz_errf(em, DZ_EVERSION,
		    "peer does not speak %s (ALPN)", TLS_ALPN);
	cert = SSL_get0_peer_certificate(ssl);
	key = cert != NULL ? X509_get0_pubkey(cert) : NULL;
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519 ||
	    SSL_get_verify_result(ssl) != X509_V_OK ||
	    EVP_PKEY_get_raw_public_key(key, pk, &len) != 1 ||
	    len != IDENT_PKBYTES) {
		ERR_clear_error();
		return dz_errf(em, DZ_EAUTH,
		    "peer has no valid Ed25519 certificate");
	}
	return 0;
}
