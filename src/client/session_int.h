/*
 * session_int: what session.c lends to session_open.c: the locked block of
 * one operation's key material, the node identity made from a master key,
 * and the "wrong password" message. Internal to the session module.
 */
#ifndef DZ_SESSION_INT_H
#define DZ_SESSION_INT_H

#include <stdint.h>

#include "client/session.h"

struct secrets; /* session.c: key material of one operation, sodium_malloc */

/* secrets_new: a zeroed block, or NULL; secrets_free wipes and frees it
 * (NULL is fine). */
struct secrets *secrets_new(void);
void secrets_free(struct secrets *s);

/* node_open: the account's node identity from mk, a client TLS context
 * showing it and an rpc over it (sec: scratch). node_close releases the
 * three (each may be NULL). */
int node_open(const uint8_t mk[static MKEY_BYTES], struct secrets *sec,
    struct ident **id, struct tls_ctx **tls, struct rpc **rpc,
    struct dz_errmsg *em) DZ_MUST_CHECK;
void node_close(struct ident *id, struct tls_ctx *tls, struct rpc *rpc);

/* wrong_password: DZ_EPASSWORD, "wrong password" with " (hint: TEXT)"
 * when hint is not NULL or "". */
int wrong_password(const char *hint, struct dz_errmsg *em);

#endif
