/*
 * coord_int: what the coordinator's files share: the server's state, the
 * per-connection session, the reply helpers and the request handlers.
 * Not for use outside src/coordinator/coord*.c.
 *
 * coord.c owns the server and dispatch: it decodes every request into its
 * proto struct, resolves the account of the connection's node key for the
 * requests that need one (s->account), calls the handler, and turns a
 * handler's negative return into an ERROR reply carrying em's text. A
 * handler that succeeds has sent its reply (coord_send) and returns 0.
 */
#ifndef DZ_COORD_INT_H
#define DZ_COORD_INT_H

#include <stdint.h>

#include "coordinator/coord.h"
#include "coordinator/db.h"
#include "net/conn.h"
#include "net/netaddr.h"
#include "net/netsrv.h"
#include "net/proto.h"
#include "net/tls.h"

#define COORD_CHALLENGE_TTL 60 /* seconds a PRELOGIN challenge lives */
#define COORD_FAIL_SLOTS 256   /* users with recent failed logins tracked */
#define COORD_FAIL_MAX 5       /* failures within the window ... */
#define COORD_FAIL_WINDOW 60   /* ... seconds ... */
#define COORD_FAIL_LOCK 60     /* ... refuse that user this long */

/* Failed logins of one user (in memory: forgotten at restart). */
struct coord_fail {
	char user[PROTO_USER_MAX + 1]; /* "" for a free slot */
	int64_t since;                 /* start of the counting window */
	unsigned n;                    /* failures since then */
	int64_t until;                 /* refused until then */
};

struct coord {
	uv_loop_t *loop;
	struct coord_opts opts;
	char *dir;
	int lockfd;            /* the data directory, flock'ed: one process */
	struct ident *id;
	struct tls_ctx *tls;
	struct db *db;
	struct netsrv *srv;
	char addr[NETADDR_STRMAX];
	struct coord_fail fails[COORD_FAIL_SLOTS];
};

/* One connection's state (conn_udata). */
struct coord_sess {
	struct coord *co;
	struct conn *c;
	uint8_t pk[IDENT_PKBYTES];     /* the TLS node key it showed */
	int64_t account;               /* for account requests: its account */
	/* the last PRELOGIN challenge: single use, COORD_CHALLENGE_TTL */
	int has_challenge;
	uint8_t challenge[PROTO_CHALLENGEBYTES];
	char chal_user[PROTO_USER_MAX + 1];
	int64_t chal_time;
};

/* coord_now: the coordinator's clock, seconds since the epoch. */
int64_t coord_now(const struct coord *co);

/* coord_send: encode msg (the struct of type) and send it as the reply
 * with reqid on s's connection. Returns 0 or a dz_err. */
int coord_send(struct coord_sess *s, uint32_t reqid, uint16_t type,
    const void *msg) DZ_MUST_CHECK;

/* Handlers: msg is the decoded request body (the struct of its type),
 * valid during the call. */
typedef int (*coord_handler)(struct coord_sess *s, uint32_t reqid,
    const void *msg, struct dz_errmsg *em);

/* coord_account.c */
int coord_signup(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_prelogin(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_login(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_logout(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_passwd(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_status(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);

/* coord_peers.c */
int coord_peer_register(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_peer_heartbeat(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_peer_leave(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_place(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_frags_commit(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_frags_locate(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_obj_delete(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);

/* coord_records.c */
int coord_rec_put(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_rec_get(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_rec_list(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_rec_del(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);

#endif
