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

#include <stdatomic.h>
#include <stdint.h>

#include "coordinator/coord.h"
#include "coordinator/db.h"
#include "coordinator/db_repair.h"
#include "net/conn.h"
#include "net/netaddr.h"
#include "net/netsrv.h"
#include "net/proto.h"
#include "net/tls.h"

#define COORD_CHALLENGE_TTL 60 /* seconds a PRELOGIN challenge lives */
#define COORD_SEEN_EVERY 60    /* a device's "last seen" is stamped this often */
/* Placement tickets (docs/trading.md, "Tickets") last COORD_TICKET_TTL
 * seconds: the upload of a segment's fragments, all at once over the
 * user's uplink, must fit (a 16 MiB fragment in 10 minutes is 28 kB/s).
 * FRAGS_COMMIT honours a ticket up to COORD_TICKET_TTL after its expiry
 * (a fragment stored at the last moment is committed after its segment's
 * last one), and the table forgets tickets older than that. */
#define COORD_TICKET_TTL 600

/*
 * Failed-login throttling (coord_throttle.c, docs/net.md): failed proofs
 * are counted per source address and per account, each count forgetting
 * one failure every COORD_THR_DECAY seconds. A source past COORD_SRC_FREE
 * failures waits 1, 2, 4 ... (at most COORD_SRC_DELAY_MAX) seconds after
 * each; an account past COORD_ACCT_BUDGET refuses proofs from computers
 * that are not its devices until a failure is forgotten. A proof on a
 * connection showing a device key of the account (whose holder has the
 * master key already) is never refused, so its owner is never locked out.
 * A full table never evicts a count that has not decayed to zero: new
 * entries are refused instead, so throwaway names cannot reset a victim.
 */
#define COORD_THR_SLOTS 4096
#define COORD_THR_DECAY 60
#define COORD_SRC_FREE 5
#define COORD_SRC_DELAY_MAX 3600
#define COORD_ACCT_BUDGET 10
#define COORD_THR_KEYBYTES 48

/* One counted key (a source address's text, or an account id). */
struct coord_thr_ent {
	uint8_t key[COORD_THR_KEYBYTES]; /* all zero: free */
	uint32_t n;                      /* failures counted ... */
	int64_t last;                    /* ... as of the last one */
};

struct coord_throttle {
	struct coord_thr_ent src[COORD_THR_SLOTS];
	struct coord_thr_ent acct[COORD_THR_SLOTS];
};

/* What coord_thr_admit reserved for one proof, for coord_thr_fail. */
struct coord_thr_ticket {
	struct coord_thr_ent *src, *acct; /* NULL: not counted */
};

/*
 * What /metrics counts (coord_metrics.c): totals since the coordinator
 * started, never per account or file. Atomics: the repair worker counts
 * from the libuv pool; relaxed order is enough for independent totals.
 */
struct coord_counters {
	atomic_uint_least64_t puts, put_errors;   /* FRAGS_COMMIT (+ PLACE errors) */
	atomic_uint_least64_t gets, get_errors;   /* FRAGS_LOCATE */
	atomic_uint_least64_t audits_passed, audits_failed;
	atomic_uint_least64_t repairs;            /* segments fully repaired */
	atomic_uint_least64_t gc_rounds;
	atomic_uint_least64_t http_refused;       /* bad /metrics requests */
};

struct coord_metrics;

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
	struct coord_throttle *thr; /* failed logins (in memory only) */
	struct coord_audit *audit;  /* audit rounds (coord_audit.c) */
	struct coord_gc *gc;   /* clean-up rounds (coord_gc.c), or NULL */
	struct coord_repair *repair; /* the repair worker (NULL: none) */
	struct coord_metrics *metrics; /* --metrics server (NULL: none) */
	struct coord_counters ctr;
	uint8_t (*dc)[IDENT_PKBYTES]; /* operator peer keys (--datacentre-keys) */
	size_t ndc;
	struct coord_ph *ph;   /* placeholder audits (coord_credit_ph.c) */
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
	int64_t seen_at;               /* last "seen" stamp of its key */
};

/* ---- admission and placement groups (coord_admit.c) ---- */

/* Bytes of a placement network prefix (coord_place_prefix). */
#define COORD_PREFIXBYTES 16

/* coord_dc_load: the operator peer keys in path (one key in hex per line,
 * `#` comments, blank lines). *keys (malloc'ed, caller frees) and *n.
 * DZ_EFORMAT naming the bad line; DZ_ENOENT / DZ_EIO if unreadable. */
int coord_dc_load(const char *path, uint8_t (**keys)[IDENT_PKBYTES],
    size_t *n, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_admit_peer: decide whether the peer on s registering with m is
 * admitted, and set p->owner (verified account id, or 0) and p->flags.
 * Returns 0, or DZ_EDENIED / DZ_ENOLOGIN with a message saying what the
 * peer's operator must do. */
int coord_admit_peer(struct coord_sess *s, const struct proto_peer_register *m,
    struct db_peer *p, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_place_owner: the owner p counts as for placement: its account,
 * or (no owner: an operator peer) a value of its own, never an account
 * id. */
int64_t coord_place_owner(const struct db_peer *p);

/* coord_place_prefix: p's network for placement into out: its /24
 * (IPv4) or /48 (IPv6); a loopback address is a network of its own
 * (named by the peer's key) unless loopback_one (TEST ONLY: all of
 * 127.0.0.0/24 is one network). */
void coord_place_prefix(const struct db_peer *p, int loopback_one,
    uint8_t out[static COORD_PREFIXBYTES]);

/* coord_now: the coordinator's clock, seconds since the epoch. */
int64_t coord_now(const struct coord *co);

/* coord_log: a printf-style line to co->opts.log, if set. */
void coord_log(const struct coord *co, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* coord_send: encode msg (the struct of type) and send it as the reply
 * with reqid on s's connection. Returns 0 or a dz_err. */
int coord_send(struct coord_sess *s, uint32_t reqid, uint16_t type,
    const void *msg) DZ_MUST_CHECK;

/* Handlers: msg is the decoded request body (the struct of its type),
 * valid during the call. */
typedef int (*coord_handler)(struct coord_sess *s, uint32_t reqid,
    const void *msg, struct dz_errmsg *em);

/*
 * coord_thr_admit: may a login proof for account (id) arrive now on s's
 * connection? known: the connection shows a device key of the account
 * (never refused). Reserves the slots that a failure will be counted in
 * (*t, for coord_thr_fail). Returns 0, or DZ_EDENIED with em saying when
 * to retry (the proof must then not be judged).
 */
int coord_thr_admit(struct coord_sess *s, int64_t account, int known,
    struct coord_thr_ticket *t, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_thr_fail: count a failed proof in what t reserved. */
void coord_thr_fail(struct coord *co, const struct coord_thr_ticket *t);

/* coord_account.c */
int coord_signup(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_prelogin(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_login(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_logout(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_passwd(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_status(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_devices(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_device_revoke(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);

/* coord_peers.c */
int coord_peer_register(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_peer_heartbeat(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_peer_leave(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_place(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_frags_commit(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_frags_locate(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_obj_delete(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);

/* coord_audit.c */
int coord_audit_news(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_peer_report(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
/* coord_repair.c: the repair worker (docs/protocol.md, "Repair") */
struct coord_repair;

/* coord_repair_threshold: the threshold a k-of-n object gets: asked (a
 * FRAGS_COMMIT's, 0: none), else the coordinator's --repair-threshold if
 * it fits the code (k < H <= n), else k + ceil((n - k) / 2). */
unsigned coord_repair_threshold(const struct coord *co, unsigned k,
    unsigned n, unsigned asked);

/* coord_repair_start: start the worker's timer on co's loop (nothing if
 * co->opts.repair_interval is 0). Returns 0 or a dz_err. */
int coord_repair_start(struct coord *co, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_repair_stop: stop the timer, ask a running pass to end after its
 * segment; the loop ends once both are done. Idempotent. */
void coord_repair_stop(struct coord *co);

/* coord_repair_free: release the worker after the loop has ended. */
void coord_repair_free(struct coord *co);

/* coord_metrics.c: the --metrics HTTP server (docs/net.md, "Metrics") */

/* coord_metrics_start: listen on co->opts.metrics (nothing if NULL),
 * refusing a non-loopback address unless co->opts.metrics_public, and
 * write the address to DIR/metrics.addr. Returns 0 or a dz_err
 * (DZ_EDENIED: not loopback; DZ_EFORMAT: bad address; DZ_EIO: in use). */
int coord_metrics_start(struct coord *co, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_metrics_stop: stop listening and close the connections (one
 * reading the database closes when that ends). Idempotent. */
void coord_metrics_stop(struct coord *co);

/* coord_metrics_free: release the server after the loop has ended. */
void coord_metrics_free(struct coord *co);

/* coord_metrics_request: count a request of type that ended with rc
 * (puts, gets and their errors; other types are not counted). */
void coord_metrics_request(struct coord *co, uint16_t type, int rc);

/* coord_know.c */
int coord_whatdoyouknow(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);

/* coord_account_space: the account's used, earned and quota bytes, as
 * STATUS reports them (the one place that computes them). */
int coord_account_space(struct coord *co, int64_t account, uint64_t *used,
    uint64_t *earned, uint64_t *quota, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_thr_account_failures: failed login proofs counted against the
 * account now (in memory, decaying; coord_throttle.c). */
uint32_t coord_thr_account_failures(struct coord *co, int64_t account);

/* coord_records.c */
int coord_rec_put(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_rec_get(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_rec_list(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);
int coord_rec_del(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);

/* coord_health.c */
int coord_obj_health(struct coord_sess *, uint32_t, const void *, struct dz_errmsg *);

#endif
