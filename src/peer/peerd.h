/*
 * peerd: the storage peer's server: what `drizzle peer` runs.
 *
 * A peer lends a bounded directory of disk to the network. peerd puts a
 * fragment store (fragstore.h) behind a TLS listener (netsrv.h) on the
 * caller's libuv loop and answers FRAG_PUT, FRAG_GET, FRAG_HAS and AUDIT
 * from any authenticated node. Disk work never runs on the loop's thread:
 * every request is a uv_queue_work item, and a put is acknowledged only
 * after fragstore_sync covered it, so puts that arrive together share one
 * disk flush (give the libuv thread pool several threads, see
 * PEERD_THREADPOOL). Damaged fragments found by a get or an audit are
 * deleted and reported as DZ_EINTEGRITY, so the coordinator repairs them.
 *
 * On the same loop peerd keeps a link to the coordinator (peerd_coord.c):
 * PEER_REGISTER with the address actually bound, then PEER_HEARTBEAT every
 * few seconds (the capacity they offer is never more than the data
 * directory's file system can hold: free space plus what is stored), reconnecting with backoff (1 s doubling to 30 s) while it is
 * unreachable; fragments are served all the while. The coordinator's key is
 * pinned from the configuration, else from DIR/coordinator.key, else it is
 * stored there at first contact; a different key is refused afterwards.
 *
 * Limits (peerd_limit.c): the capacity and the upload and download rates
 * come from the configuration and DIR/config (peercfg.h), which is
 * watched: a change applies within PEERD_CONFIG_POLL_MS and a lowered
 * capacity is announced to the coordinator at once. Every client
 * connection is paced by two token buckets shared by all of them.
 *
 * Data directory: identity.key (the node's seed), peer.addr (the bound
 * address, written durably at start), coordinator.key (64 hex digits and a
 * newline), binding (net/pbind.h, written by `drizzle peer --home`;
 * removed when the coordinator says it no longer holds), config
 * (settings, optional), and the
 * fragment store. Not for placement, accounting or
 * quotas: those are the coordinator's. Library code: it never prints;
 * what an operator should see goes to the log callback. Loop thread only.
 */
#ifndef DZ_PEERD_H
#define DZ_PEERD_H

#include <stdint.h>

#include <uv.h>

#include "core/err.h"
#include "net/ident.h"
#include "net/netaddr.h"
#include "net/pbind.h"

/* Threads the libuv pool should have (UV_THREADPOOL_SIZE, set before the
 * loop's first use) so that concurrent puts wait on one shared sync. */
#define PEERD_THREADPOOL 8

/* Request bodies of FRAG_PUT being worked on at once, over all
 * connections; a put beyond this is refused (ERROR DZ_ENOMEM, "busy") so
 * that memory stays bounded whatever clients send. */
#define PEERD_INFLIGHT_MAX (256u * 1024 * 1024)

/* What one connection may have a peer prepare for it (docs/net.md,
 * "Memory per connection"): requests in the pool at once (of which one
 * AUDIT), and the bytes of replies being prepared or queued until they
 * are in the socket, per connection and over all connections. A request
 * beyond these waits, and the connection is not read meanwhile; a
 * connection or peer with nothing reserved takes one request of any
 * size, so a fragment larger than the bound is still served. */
#define PEERD_CONN_WORK 4
#define PEERD_CONN_REPLY (8u * 1024 * 1024)
#define PEERD_REPLY_MAX (64u * 1024 * 1024)

/* How often DIR/config is looked at for changes, in milliseconds. */
#define PEERD_CONFIG_POLL_MS 1000u

/* Backoff of the coordinator link, in milliseconds. */
#define PEERD_BACKOFF_MIN 1000u
#define PEERD_BACKOFF_MAX 30000u
/* How long a stopping peer waits for the coordinator to acknowledge
 * PEER_LEAVE before it goes anyway, in milliseconds. */
#define PEERD_LEAVE_MS 2000u

/* TEST ONLY: how a peer lies when answering FRAG_GET (`drizzle peer
 * --test-lie`), so that system tests can show that clients survive lying
 * and slow peers. PEERD_LIE_NONE, the default, is the only mode for real
 * use. */
enum peerd_lie {
	PEERD_LIE_NONE = 0,
	PEERD_LIE_GARBAGE,  /* random bytes of the fragment's real length */
	PEERD_LIE_FLIP,     /* the real fragment with one byte flipped */
	PEERD_LIE_TRUNCATE, /* the real fragment minus its last 100 bytes */
	PEERD_LIE_SLOW,     /* the real fragment, after 3 s */
	PEERD_LIE_SLOWPUT,  /* FRAG_PUT acknowledged only after 20 s */
	PEERD_LIE_PHREGEN,  /* placeholders claimed, never kept: each one
	                       asked for is made again (peerd_ph.c) */
};

/* What peerd_open needs; strings and key are copied. */
struct peerd_config {
	const char *dir;               /* data directory (created if absent) */
	const char *listen;            /* "ADDR:PORT", port 0: any free port */
	const char *coordinator;       /* the coordinator's "ADDR:PORT" */
	const uint8_t *coordinator_pk; /* pinned key, or NULL (see above) */
	uint64_t capacity;             /* bytes of fragments at most */
	/* bytes per second sent (FRAG_GET replies, audit answers) and
	 * received (FRAG_PUT bodies) over client connections, 0: unlimited;
	 * the coordinator link is not limited */
	uint64_t max_upload, max_download;
	/* which of capacity, max_upload, max_download (bits 1 << enum
	 * peercfg_key) the user gave: those win over DIR/config at start;
	 * the others are defaults the file overrides. A change of the file
	 * while the peer runs applies to the keys it changes. */
	unsigned given;
	unsigned heartbeat_s;          /* seconds between heartbeats (>= 1) */
	/* binding (NULL: none): the signed proof that this peer runs for an
	 * account (net/pbind.h), sent in PEER_REGISTER; its peer key must be
	 * this peer's (else peerd_open fails with DZ_EINVAL). datacentre:
	 * register as an operator peer instead (the coordinator believes it
	 * only for keys its operator listed). Without either the coordinator
	 * refuses the registration (the peer still serves, and retries). */
	const struct pbind *binding;
	int datacentre;
	/* log (optional): one line, no newline, per state change of the
	 * coordinator link and per unusual event; called on the loop. */
	void (*log)(void *arg, const char *line);
	void *log_arg;
	int test_lie;                  /* TEST ONLY: an enum peerd_lie */
};

/* Counters of the coordinator link, for tests and monitoring. */
struct peerd_coord_stats {
	int registered;          /* 1 while registered with the coordinator */
	uint64_t registrations;  /* PEER_REGISTER_REP received */
	uint64_t heartbeats;     /* PEER_HEARTBEAT_REP received */
	uint64_t failures;       /* connections lost or refused */
};

struct peerd;

/*
 * peerd_open: create dir if needed, load or create its identity, open its
 * fragment store with cfg->capacity, listen on cfg->listen, write
 * dir/peer.addr durably and start the coordinator link, all on loop.
 * *out is the caller's, stopped with peerd_stop and released with
 * peerd_free. Returns 0; DZ_EEXIST if another process serves dir;
 * DZ_EFORMAT for a bad address or a damaged key file; DZ_EINVAL; DZ_EIO
 * (unusable directory, address in use); DZ_ENOMEM; detail in em, naming
 * the file or address.
 */
int peerd_open(uv_loop_t *loop, const struct peerd_config *cfg,
    struct peerd **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* peerd_addr: the address actually listened on, "ADDR:PORT" (valid while
 * p is). */
const char *peerd_addr(const struct peerd *p);

/* peerd_pk: the peer's public key (IDENT_PKBYTES, valid while p is). */
const uint8_t *peerd_pk(const struct peerd *p);

/* Bytes over client connections since start (the coordinator link not
 * counted), and the limits in force (0: unlimited). */
struct peerd_traffic {
	uint64_t sent, received;
	uint64_t max_upload, max_download;
	uint64_t capacity;
};

/* peerd_traffic: the counters and limits now. */
void peerd_traffic(const struct peerd *p, struct peerd_traffic *t);

/* peerd_coord_stats: a copy of the coordinator link's counters. */
void peerd_coord_stats(const struct peerd *p, struct peerd_coord_stats *st);

/*
 * peerd_stop: stop listening, end every connection and the coordinator
 * link, and let requests being worked on finish (their answers are
 * dropped). A peer registered with the coordinator first tells it that it
 * is leaving (PEER_LEAVE), so that it counts as offline at once rather
 * than after the heartbeat timeout; it waits at most PEERD_LEAVE_MS for
 * the answer. When nothing of p is left on the loop, done(arg) is called
 * (done may be NULL: uv_run then simply returns once the loop is empty).
 * Idempotent.
 */
void peerd_stop(struct peerd *p, void (*done)(void *arg), void *arg);

/* peerd_free: after peerd_stop completed (or if the loop never ran it),
 * close the fragment store (one last sync) and release p. Returns 0 or the
 * store's last sync error. NULL is fine. */
int peerd_free(struct peerd *p);

#endif
