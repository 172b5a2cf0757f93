/* test_tls: two tls contexts complete a TLS 1.3 handshake in memory and
 * each learns the other's Ed25519 key exactly; and a server refuses every
 * client that is not a Drizzle identity: no certificate, an EC
 * certificate, an Ed25519 certificate not signed by its own key, TLS 1.2,
 * and (after the handshake) a client that does not speak drizzle/1. A
 * client refuses a server with an EC certificate the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "net/ident.h"
#include "net/tls.h"

struct fx {
	struct ident *sid, *cid;
	struct tls_ctx *srv, *cli;
};

static int
setup(void **state)
{
	static struct fx f;

	if (ident_generate(&f.sid) != 0 || ident_generate(&f.cid) != 0 ||
	    tls_ctx_new(f.sid, TLS_ROLE_SERVER, &f.srv, NULL) != 0 ||
	    tls_ctx_new(f.cid, TLS_ROLE_CLIENT, &f.cli, NULL) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tls_ctx_unref(f->srv);
	tls_ctx_unref(f->cli);
	ident_free(f->sid);
	ident_free(f->cid);
	return 0;
}

/* Give ssl a pair of memory BIOs. */
static void
bios(SSL *ssl)
{
	BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());

	assert_non_null(r);
	assert_non_null(w);
	BIO_set_mem_eof_return(r, -1);
	SSL_set_bio(ssl, r, w);
}

static void
move(SSL *from, SSL *to)
{
	uint8_t buf[16384];
	int n;

	while ((n = BIO_read(SSL_get_wbio(from), buf, sizeof(buf))) > 0)
		assert_int_equal(BIO_write(SSL_get_rbio(to), buf, n), n);
}

/* Run both handshakes to their end; *cok / *sok tell who succeeded. The
 * client also reads once so that a refusal alert reaches it. */
static void
handshake(SSL *c, SSL *s, int *cok, int *sok)
{
	int cdone = 0, sdone = 0, cfail = 0, sfail = 0, r;
	uint8_t b[16];

	for (int round = 0; round < 10; round++) {
		if (!cdone && !cfail) {
			r = SSL_do_handshake(c);
			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
				cfail = 1;
		}
		move(c, s);
		if (!sdone && !sfail) {
			r = SSL_do_handshake(s);
			if (r == 1)
				sdone = 1;
			else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
				sfail = 1;
		}
		move(s, c);
	}
	if (cdone && SSL_read(c, b, sizeof(b)) <= 0 &&
	    SSL_get_error(c, -1) == SSL_ERROR_SSL)
		cdone = 0;
	ERR_clear_error();
	*cok = cdone;
	*sok = sdone;
}

/* A self-signed certificate for key, signed by signer; NULL signer: key. */
static X509 *
cert_for(EVP_PKEY *key, EVP_PKEY *signer)
{
	X509 *x = X509_new();
	EVP_PKEY *sk = signer != NULL ? signer : key;
	const EVP_MD *md = EVP_PKEY_get_id(sk) == EVP_PKEY_ED25519 ? NULL :
	    EVP_sha256();

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x),
	    "CN", MBSTRING_ASC, (const unsigned char *)"x", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_true(X509_sign(x, sk, md) > 0);
	return x;
}

/* A plain OpenSSL context of the given method with key's certificate
 * (NULL key: none), signed by signer, TLS versions up to maxver. */
static SSL_CTX *
raw_ctx(const SSL_METHOD *m, EVP_PKEY *key, EVP_PKEY *signer, int maxver)
{
	SSL_CTX *ctx = SSL_CTX_new(m);

	assert_non_null(ctx);
	SSL_CTX_set_max_proto_version(ctx, maxver);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	assert_int_equal(SSL_CTX_set_alpn_protos(ctx,
	    (const unsigned char *)"\x09" "drizzle/1", 10), 0);
	if (key != NULL) {
		X509 *x = cert_for(key, signer);
		assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
		X509_free(x);
	}
	return ctx;
}

/* Our server against a raw client; returns whether the server accepted. */
static int
server_accepts(struct fx *f, SSL_CTX *cctx)
{
	SSL *c = SSL_new(cctx), *s = tls_ssl_new(f->srv);
	int cok, sok;

	assert_non_null(c);
	assert_non_null(s);
	bios(c);
	bios(s);
	SSL_set_connect_state(c);
	handshake(c, s, &cok, &sok);
	SSL_free(c);
	SSL_free(s);
	return sok;
}

/* Both sides finish and each sees the other's key, nothing else. */
static void
test_mutual(void **state)
{
	struct fx *f = *state;
	SSL *c = tls_ssl_new(f->cli), *s = tls_ssl_new(f->srv);
	uint8_t pk[IDENT_PKBYTES];
	int cok, sok;

	bios(c);
	bios(s);
	handshake(c, s, &cok, &sok);
	assert_true(cok);
	assert_true(sok);
	assert_string_equal(SSL_get_version(c), "TLSv1.3");
	assert_int_equal(tls_peer_check(c, pk, NULL), 0);
	assert_memory_equal(pk, f->sid->pk, IDENT_PKBYTES);
	assert_int_equal(tls_peer_check(s, pk, NULL), 0);
	assert_memory_equal(pk, f->cid->pk, IDENT_PKBYTES);
	assert_memory_equal(tls_ctx_pk(f->srv), f->sid->pk, IDENT_PKBYTES);
	SSL_free(c);
	SSL_free(s);
}

/* A client without a certificate is refused during the handshake. */
static void
test_no_client_cert(void **state)
{
	SSL_CTX *cctx = raw_ctx(TLS_client_method(), NULL, NULL, TLS1_3_VERSION);

	assert_false(server_accepts(*state, cctx));
	SSL_CTX_free(cctx);
}

/* A client whose certificate holds an EC (P-256) key is refused. */
static void
test_ec_client_cert(void **state)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	SSL_CTX *cctx;

	assert_non_null(ec);
	cctx = raw_ctx(TLS_client_method(), ec, NULL, TLS1_3_VERSION);
	assert_false(server_accepts(*state, cctx));
	SSL_CTX_free(cctx);
	EVP_PKEY_free(ec);
}

/* An Ed25519 certificate signed by another key (a "CA") is refused, while
 * the same key self-signed is accepted: the check is the signature. */
static void
test_ed25519_not_self_signed(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	SSL_CTX *cctx;

	assert_non_null(key);
	assert_non_null(ca);
	cctx = raw_ctx(TLS_client_method(), key, ca, TLS1_3_VERSION);
	assert_false(server_accepts(*state, cctx));
	SSL_CTX_free(cctx);
	cctx = raw_ctx(TLS_client_method(), key, NULL, TLS1_3_VERSION);
	assert_true(server_accepts(*state, cctx));
	SSL_CTX_free(cctx);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca);
}

/* A TLS 1.2 client is refused even with a good certificate. */
static void
test_tls12_refused(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	SSL_CTX *cctx;

	assert_non_null(key);
	cctx = raw_ctx(TLS_client_method(), key, NULL, TLS1_2_VERSION);
	assert_false(server_accepts(*state, cctx));
	SSL_CTX_free(cctx);
	EVP_PKEY_free(key);
}

/* Without the drizzle/1 ALPN name the handshake may end, but the peer
 * check refuses the connection as another protocol. */
static void
test_no_alpn(void **state)
{
	struct fx *f = *state;
	SSL *c = tls_ssl_new(f->cli), *s = tls_ssl_new(f->srv);
	uint8_t pk[IDENT_PKBYTES];
	int cok, sok;

	bios(c);
	bios(s);
	assert_int_equal(SSL_set_alpn_protos(c, NULL, 0), 0);
	handshake(c, s, &cok, &sok);
	assert_true(sok);
	assert_int_equal(tls_peer_check(s, pk, NULL), DZ_EVERSION);
	SSL_free(c);
	SSL_free(s);
}

/* Our client refuses a server whose certificate is EC, whatever the
 * caller would pin later. */
static void
test_ec_server_refused(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	SSL_CTX *sctx;
	SSL *c, *s;
	int cok, sok;

	assert_non_null(ec);
	sctx = raw_ctx(TLS_server_method(), ec, NULL, TLS1_3_VERSION);
	c = tls_ssl_new(f->cli);
	s = SSL_new(sctx);
	bios(c);
	bios(s);
	SSL_set_accept_state(s);
	handshake(c, s, &cok, &sok);
	assert_false(cok);
	assert_false(sok);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(sctx);
	EVP_PKEY_free(ec);
}

/* Roles are checked: a context is made for one side. */
static void
test_roles(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *t;

	assert_int_equal(tls_ctx_role(f->srv), TLS_ROLE_SERVER);
	assert_int_equal(tls_ctx_role(f->cli), TLS_ROLE_CLIENT);
	assert_int_equal(tls_ctx_new(f->sid, (enum tls_role)7, &t, NULL),
	    DZ_EINVAL);
	t = tls_ctx_ref(f->srv);
	tls_ctx_unref(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutual),
		cmocka_unit_test(test_no_client_cert),
		cmocka_unit_test(test_ec_client_cert),
		cmocka_unit_test(test_ed25519_not_self_signed),
		cmocka_unit_test(test_tls12_refused),
		cmocka_unit_test(test_no_alpn),
		cmocka_unit_test(test_ec_server_refused),
		cmocka_unit_test(test_roles),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
