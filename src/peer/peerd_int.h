/*
 * peerd_int: what peerd.c (serving fragments) and peerd_coord.c (the
 * coordinator link) share: the server's state. Not a public interface.
 */
#ifndef DZ_PEERD_INT_H
#define DZ_PEERD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "net/conn.h"
#include "net/ident.h"
#include "net/netaddr.h"
#include "net/proto.h"
#include "net/tls.h"
#include "peer/fragstore.h"
#include "peer/peerd.h"

/* States of the coordinator link (one log line per change). */
enum pcoord_state {
	PC_IDLE,        /* not started yet */
	PC_CONNECTING,  /* connection and registration under way */
	PC_UP,          /* registered; heartbeats flow */
	PC_DOWN,        /* unreachable or refused; a retry is scheduled */
	PC_STOPPED,
};

struct pcoord {
	char addr[NETADDR_STRMAX];
	uint8_t pk[IDENT_PKBYTES];
	int have_pk;           /* pk pinned (configuration or key file) */
	int pk_from_cfg;       /* pinned by --coordinator-key */
	char *keypath;         /* DIR/coordinator.key */
	char owner[PROTO_USER_MAX + 1]; /* declared owner account, "" for none */
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
	int scanning;          /* a fragment count is running in the pool */
	uint64_t nfrags;       /* last count */
	uint64_t offer;        /* last room offered (fragstore_offer) */
	struct peerd_coord_stats st;
};

/* One accepted connection, shared by the work items answering it: the
 * last holder frees it, and c is NULL once the connection is gone, so a
 * late answer is dropped instead of touching freed memory. */
struct pconn {
	struct peerd *p;
	struct conn *c;
	unsigned refs;
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
	int full_logged;        /* "disk full" was logged and still holds */
	int stopping;
	int srv_open;           /* listener not yet released */
	int done_called;
	void (*done)(void *arg);
	void *done_arg;

	struct pcoord co;
};

/* peerd_logf: format one line for the log callback (if any). */
void peerd_logf(struct peerd *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* peerd_maybe_done: call the stop callback once nothing is left. */
void peerd_maybe_done(struct peerd *p);

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

#endif
