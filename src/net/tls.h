/*
 * tls: TLS 1.3 contexts for Drizzle nodes, authenticated by pinned Ed25519
 * keys instead of certificate authorities.
 *
 * A context is built from a node identity (ident.h): a self-signed X.509
 * certificate for its Ed25519 key is made in memory, TLS 1.3 is the only
 * version, both sides must present a certificate, and a certificate is
 * accepted only if it is a lone, self-signed Ed25519 certificate: no chain,
 * no CA, no names or dates checked (dates are ignored so that clock skew
 * cannot break a connection). The TLS layer thus proves that the other
 * side holds the private key of the public key it shows; whether that key
 * is the right one is the caller's decision, made by pinning the key that
 * tls_peer_pk returns (conn.h does this). The application protocol is
 * named by ALPN (TLS_ALPN), which doubles as the wire-protocol version.
 *
 * Not for moving bytes: conn.h drives SSL objects over the event loop.
 * Contexts are reference-counted and may be shared between threads (an
 * SSL_CTX is thread-safe once built); SSL objects may not.
 */
#ifndef DZ_TLS_H
#define DZ_TLS_H

#include <stdint.h>

#include <openssl/ssl.h>

#include "core/err.h"
#include "net/ident.h"

/* ALPN protocol id: "drizzle/1" (the version of the framed protocol). */
#define TLS_ALPN "drizzle/1"

enum tls_role {
	TLS_ROLE_SERVER = 1,
	TLS_ROLE_CLIENT = 2,
};

struct tls_ctx;

/*
 * tls_ctx_new: a context for role whose certificate and key are id's. The
 * context keeps its own copy of the key inside OpenSSL (freed and cleared
 * with the context); id may be freed afterwards. *out has one reference.
 * Returns 0 or DZ_ENOMEM / DZ_ECRYPTO with OpenSSL's reason in em.
 */
int tls_ctx_new(const struct ident *id, enum tls_role role,
    struct tls_ctx **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* tls_ctx_ref: take one more reference (thread-safe); returns t. */
struct tls_ctx *tls_ctx_ref(struct tls_ctx *t);

/* tls_ctx_unref: drop a reference (thread-safe); the last one frees the
 * context. NULL is fine. */
void tls_ctx_unref(struct tls_ctx *t);

/* tls_ctx_role: the role t was made for. */
enum tls_role tls_ctx_role(const struct tls_ctx *t);

/* tls_ctx_pk: t's own public key (32 bytes, valid while t is). */
const uint8_t *tls_ctx_pk(const struct tls_ctx *t);

/* tls_ssl_new: a new SSL object of t's role, in accept (server) or connect
 * (client) state, without BIOs. The caller frees it with SSL_free.
 * NULL when out of memory. */
SSL *tls_ssl_new(struct tls_ctx *t);

/*
 * tls_peer_check: after a completed handshake, check that the application
 * protocol is TLS_ALPN and put the peer's 32-byte Ed25519 public key in
 * pk, for the caller to pin. Returns 0, DZ_EVERSION (no or another ALPN
 * protocol) or DZ_EAUTH (no certificate or not Ed25519: cannot happen
 * after a handshake with a tls_ctx, checked anyway), with detail in em.
 */
int tls_peer_check(SSL *ssl, uint8_t pk[static IDENT_PKBYTES],
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * tls_errf: put "<what>: <reason>" into em, the reason being the
 * certificate verification failure of ssl (if any, ssl may be NULL) or else
 * the oldest entry of this thread's OpenSSL error queue; empties the queue.
 * Returns code, for `return tls_errf(em, DZ_EAUTH, ssl, "handshake");`.
 */
int tls_errf(struct dz_errmsg *em, int code, SSL *ssl, const char *what);

#endif
