/*
 * peerd_int: what peerd.c (serving fragments) and peerd_coord.c (the
 * coordinator link) share: the server's state. Not a public interface.
 */
#ifndef DZ_PEERD_INT_H
#define DZ_PEERD_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "net/conn.h"
#include "net/ident.h"
#include "net/netaddr.h"
#include "net/proto.h"
#include "net/ratelimit.h"
#include "net/tls.h"
#include "peer/fragstore.h"
#include "peer/peercfg.h"
#include "peer/peerd.h"
#include "peer/peerd_ph.h"

/* States of the coordinator link (one log line per change). */
enum pcoord_state {
	PC_IDLE,        /* not started yet */
	PC_CONNECTING,  /* connection and registration under way */
	PC_UP,          /* registered; heartbeats flow */
	PC_DOWN,        /* unreachable or refused; a retry is scheduled */
	PC_STOPPED,
};

struct pwork;

/* The peer's resource limits (peerd_limit.c): the buckets every client
 * connection is paced by, and where each setting comes from. */
struct plimit {
	struct ratelimit up;   /* bytes sent: FRAG_GET replies, audit answers */
	struct ratelimit down; /* bytes received: FRAG_PUT bodies and the rest */
	uint64_t base[PEERCFG_NKEYS]; /* the command line's value or default */
	unsigned given;        /* keys given on the command line */
	struct peercfg file;   /* DIR/config as last read successfully */
	uint64_t eff[PEERCFG_NKEYS]; /* in force */
	unsigned from_file;    /* keys in force from the file */
	char *path;            /* DIR/config */
	uv_fs_poll_t poll;     /* its changes */
	int poll_open;         /* poll initialised and not closed */
};

struct pcoord {
	char addr[NETADDR_STRMAX];
	uint8_t pk[IDENT_PKBYTES];
	int have_pk;           /* pk pinned (configuration or key file) */
	int pk_from_cfg;       /* pinned by --coordinator-key */
	char *keypath;         /* DIR/coordinator.key */
	struct pbind binding;  /* for PEER_REGISTER, if have_binding */
	int have_binding;
	int datacentre;        /* register as an operator peer */
	struct conn *c;        /* the connection, NULL when none */
	uv_timer_t timer;      /* retry, then heartbeat */
	int timer_open;        /* timer initialised and not closed */
	unsigned backoff_ms;
	unsigned hb_ms;
	enum pcoord_state state;
	int down_logged;       /* the current outage was logged */
	uint32_t next_reqid;
	uint32_t reg_reqid;    /* PEER_REGISTER awaiting its answer, or 0 */
	uint32_t hb_reqid;     /* PEER_HEARTBEAT awaiting its answer, or 0 */
	uint32_t leave_reqid;  /* PEER_LEAVE awaiting its answer, or 0 */
	uint32_t news_reqid;   /* AUDIT_NEWS awaiting its answer, or 0 */
	uint64_t news_seq;     /* the last failed audit logged */
	int news_state;        /* the standing last logged, -1: none yet */
	int scanning;          /* a fragment count is running in the pool */
	uint64_t nfrags;       /* last count */
	uint64_t offer;        /* last room offered (fragstore_offer) */
	struct peerd_coord_stats st;
};

/* One accepted connection, shared by the work items answering it: the
 * last holder frees it, and c is NULL once the connection is gone, so a
 * late answer is dropped instead of touching freed memory. The budget
 * fields bound what it has the peer prepare (PEERD_CONN_*): reserved is
 * taken by workers (hence atomic) and given back on the loop. */
struct pconn {
	struct peerd *p;
	struct conn *c;
	uint8_t pk[IDENT_PKBYTES]; /* the key its TLS handshake showed */
	unsigned refs;
	unsigned nwork, naudit;    /* its requests in the pool */
	atomic_size_t reserved;    /* reply bytes being made or queued */
	size_t queued;             /* of which queued on c, until drained */
	struct pwork *pending;     /* a request waiting for room (c held) */
	struct pconn *wprev, *wnext; /* the peer's list of those waiting */
	int waiting;
};

struct peerd {
	uv_loop_t *loop;
	char *dir;
	struct ident *id;
	struct tls_ctx *srv_tls, *cli_tls;
	struct fragstore *fs;
	struct netsrv *srv;
	char addr[NETADDR_STRMAX];
	uint64_t capacity;
	unsigned heartbeat_s;
	void (*log)(void *arg, const char *line);
	void *log_arg;
	int test_lie;           /* TEST ONLY: enum peerd_lie */

	size_t nwork;           /* work items queued or running */
	uint64_t inflight;      /* FRAG_PUT bytes among them */
	atomic_size_t reserved; /* reply bytes of all connections */
	struct pconn *wait_head, *wait_tail; /* connections waiting, FIFO */
	int full_logged;        /* "disk full" was logged and still holds */
	atomic_int gc_busy;     /* a clean-up sweep is running (peerd_gc.c) */
	int stopping;
	int srv_open;           /* listener not yet released */
	int done_called;
	void (*done)(void *arg);
	void *done_arg;

	struct pcoord co;
	struct pph ph;          /* placeholders (peerd_ph.c) */
	struct plimit lim;
};

/* A worker's result when the budgets had no room: try again later. */
#define WORK_BUSY 1

/* One request being worked on in the pool, or waiting to be. */
struct pwork {
	uv_work_t req;
	struct peerd *p;
	struct pconn *pc;
	struct pwork *next;     /* the connection's waiting requests */
	size_t reserved;        /* reply bytes taken from the budgets */
	size_t need;            /* what its worker could not take, or 0 */
	uint16_t type;
	uint32_t reqid;
	uint8_t *body;          /* the request's body, owned */
	size_t len;
	union {
		struct proto_frag_put put;
		struct proto_frag_get get;
		struct proto_frag_has has;
		struct proto_audit audit;
		struct proto_gc_filter gc;
		struct proto_ph_prove ph_prove;
	} m;
	/* results, written by the worker */
	int rc;                 /* 0: send rep; else an ERROR with em */
	struct dz_errmsg em;
	int deleted;            /* a damaged fragment was removed */
	uint16_t rep_type;
	uint8_t *rep;           /* malloc'd reply body */
	size_t rep_len;
};

/* pconn_unref: drop one reference; the last frees pc. */
void pconn_unref(struct pconn *pc);

/* peerd_reply_error_: send ERROR {code, text} for reqid on c; a failure
 * to queue it ends c. */
void peerd_reply_error_(struct conn *c, uint32_t reqid, int code,
    const char *text);

/* peerd_work_, peerd_work_done_: a work item's pool and loop halves. */
void peerd_work_(uv_work_t *req);
void peerd_work_done_(uv_work_t *req, int status);

/*
 * padmit (peerd_admit.c): what one connection may have the peer prepare
 * (see peerd.h, PEERD_CONN_*). Loop thread, except padmit_take.
 */

/* padmit_cost: the bytes a worker holds to answer about a fragment of
 * size bytes (read buffer and reply). */
size_t padmit_cost(size_t size);

/* padmit_take: worker thread: reserve n bytes for w from its
 * connection's and the peer's budgets. 1, or 0 if there is no room now
 * (the worker then returns WORK_BUSY). */
int padmit_take(struct pwork *w, size_t n);

/* padmit_ok: may w go to the pool now (count and budgets)? */
int padmit_ok(const struct pconn *pc, const struct pwork *w);

/* padmit_start: send w to the pool; on failure answer an error and free
 * it. */
void padmit_start(struct pconn *pc, struct pwork *w);

/* padmit_wait: w waits on its connection, which is held until w goes. */
void padmit_wait(struct pconn *pc, struct pwork *w);

/* padmit_unwait: take pc off the peer's waiting list. */
void padmit_unwait(struct peerd *p, struct pconn *pc);

/* padmit_kick: room may have been made: start what waits, oldest
 * connection first, and unhold the connections with nothing waiting. */
void padmit_kick(struct peerd *p);

/* padmit_free: free w (not in the pool), giving back what it held. */
void padmit_free(struct pwork *w);

/* padmit_gone: pc's connection closed: what waits is dropped, what it
 * had queued goes back to the budgets, others may go. */
void padmit_gone(struct pconn *pc);

/* padmit_on_drain: conn_cbs.on_drain: c's queued replies are in the
 * socket, their bytes go back to the budgets. */
void padmit_on_drain(void *arg, struct conn *c);

/* peerd_logf: format one line for the log callback (if any). */
void peerd_logf(struct peerd *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* peerd_maybe_done: call the stop callback once nothing is left. */
void peerd_maybe_done(struct peerd *p);

/* pcoord_next_reqid: a fresh request id on the coordinator link. */
uint32_t pcoord_next_reqid(struct pcoord *co);

/* pcoord_init: read or note the coordinator's key (cfg->coordinator_pk,
 * else DIR/coordinator.key). Returns 0, DZ_EFORMAT (bad address or key
 * file), DZ_EIO, DZ_ENOMEM, detail in em. No handle is made yet. */
int pcoord_init(struct peerd *p, const struct peerd_config *cfg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* pcoord_start: make the timer and connect at once. 0 or a dz_err. */
int pcoord_start(struct peerd *p, struct dz_errmsg *em) DZ_MUST_CHECK;

/* pcoord_stop: end the link and close its handles (asynchronously). */
void pcoord_stop(struct peerd *p);

/* pcoord_idle: 1 once the link holds no handle, connection or work. */
int pcoord_idle(const struct peerd *p);

/* pcoord_free: release what pcoord_init allocated. */
void pcoord_free(struct peerd *p);

/* pcoord_announce: tell the coordinator the room offered now (a
 * heartbeat at once) if registered; else the next registration does. */
void pcoord_announce(struct peerd *p);

/* plimit_init (peerd_limit.c): the settings in force from cfg and
 * DIR/config (options given on the command line win at start), and the
 * buckets. Sets p->capacity. Returns 0, DZ_EFORMAT for a bad config file
 * (em names the file and line), DZ_ENOMEM, DZ_EIO. */
int plimit_init(struct peerd *p, const struct peerd_config *cfg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* plimit_start: watch DIR/config, applying changes as they come. */
int plimit_start(struct peerd *p, struct dz_errmsg *em) DZ_MUST_CHECK;

/* plimit_pace: pace a client connection by the peer's buckets. */
void plimit_pace(struct peerd *p, struct conn *c);

/* plimit_stop: stop watching (asynchronously; poll_open clears). */
void plimit_stop(struct peerd *p);

/* plimit_free: release what plimit_init allocated. */
void plimit_free(struct peerd *p);

#endif
