/*
 * coord: the coordinator server: accounts, the peer registry, placement,
 * fragment locations and encrypted records, served over Drizzle
 * connections (netsrv.h) on one libuv loop.
 *
 * The coordinator never sees a password or a key that decrypts: it keeps
 * what docs/protocol.md lists (keyfiles, login public keys, hints, peer
 * resources, fragment locations, opaque record blobs) in its database
 * (db.h) under the data directory, beside its identity (identity.key) and
 * the address it listens on (coordinator.addr). A client's requests act
 * for the account its TLS node key is bound to (bound at SIGNUP). Every
 * request body is decoded strictly (proto.h); whatever fails to decode or
 * is not allowed gets an ERROR reply, and no request can harm another
 * connection. Not for policy that needs audits or accounting of earned
 * space yet (see docs/coordinator.md), and not for printing: the command
 * layer (cmd_coordinator.c) prints.
 *
 * Everything runs on the loop's thread, database calls included, except
 * the repair worker's passes (coord_repair.c), which run in the libuv
 * pool, one at a time, and share only the database (it serialises calls)
 * and the options with the loop.
 */
#ifndef DZ_COORD_H
#define DZ_COORD_H

#include <stdint.h>

#include <uv.h>

#include "core/err.h"
#include "net/ident.h"

#define COORD_LISTEN_DEFAULT "127.0.0.1:7420"
#define COORD_PEER_TIMEOUT_DEFAULT 15          /* seconds */
#define COORD_BASE_QUOTA_DEFAULT (10ull << 30) /* 10 GiB */
#define COORD_AVAIL_WINDOW_DEFAULT (30u * 86400)  /* 30 days */
#define COORD_MIN_AVAIL_DEFAULT 0.1667         /* 4 hours a day */
#define COORD_PH_BLOCK_DEFAULT (16u << 20)     /* placeholder block */
#define COORD_PH_ROUNDS_DEFAULT 32             /* ~1.7 s per block, see trading.md */
#define COORD_PH_DEADLINE_DEFAULT 500          /* ms to prove one block */
#define COORD_PH_CHECKS_DEFAULT 1              /* blocks per peer per round */
#define COORD_K_DEFAULT 4                      /* default code: 4 of 12 */
#define COORD_N_DEFAULT 12
#define COORD_GC_INTERVAL_DEFAULT 3600         /* seconds between clean-ups */
/* clean-up spares fragments younger than this: a put's fragments are
 * committed right after its segment is placed (seconds, at most one
 * placement's deadlines), so an hour is many times the longest put */
#define COORD_GC_MARGIN_DEFAULT 3600
#define COORD_GRACE_DEFAULT (6 * 3600)         /* seconds */
#define COORD_REPAIR_INTERVAL_DEFAULT 60        /* seconds between scans */
#define COORD_REPAIR_BATCH_DEFAULT 8            /* segments per scan */

/* An operator's grant: user may store bytes more than base + earned
 * (0 removes a grant). */
struct coord_grant {
	const char *user;
	uint64_t bytes;
};

/* struct coord_opts: fill with coord_opts_default, then set data_dir. */
struct coord_opts {
	const char *data_dir;   /* created (0700) if missing; borrowed */
	const char *listen;     /* "ip:port", port 0: any free port */
	unsigned peer_timeout;  /* a peer is online if it sent a heartbeat
	                           within this many seconds (> 0) */
	uint64_t base_quota;    /* bytes every account may store */
	unsigned default_k;     /* the erasure code STATUS offers clients */
	unsigned default_n;     /* for new files: 1 <= k < n <= 255 */
	unsigned audit_interval; /* seconds between audit rounds (> 0) */
	unsigned vetting_audits; /* audits a new peer passes to be trusted */
	unsigned gc_interval;   /* seconds between clean-up rounds (0: none) */
	unsigned gc_margin;     /* seconds a stored fragment is safe from
	                           clean-up before it must be committed */
	unsigned grace;         /* a peer offline longer than this many
	                           seconds holds nothing healthy (its
	                           fragments count as lost) */
	/* repair (coord_repair.c): a segment with fewer healthy fragments
	 * (grace, above) than its object's threshold is rebuilt; at most
	 * repair_batch segments every repair_interval seconds (0: no repair
	 * worker) */
	unsigned repair_threshold; /* default for new files; 0 or one that
	                              does not fit a code: k + ceil((n-k)/2) */
	unsigned repair_interval;
	unsigned repair_batch;
	/* operator (datacentre) peers: the file of their keys (NULL: none),
	 * read at start; only these may register with the datacentre flag */
	const char *datacentre_keys;
	int test_prefix_loopback; /* TEST ONLY: 127.x is one /24 network */
	/* storage credit (coord_credit.c, docs/trading.md "Earning"):
	 * availability over the last availability_window seconds; a peer
	 * earns only at min_availability or above (0..1); grants (ngrants
	 * of them, borrowed) are stored at start and kept; placeholders
	 * are ph_block bytes, each ph_rounds hash steps per 64 bytes to
	 * make, and must be proven within ph_deadline_ms; ph_checks blocks
	 * per peer are checked every audit interval */
	unsigned availability_window;
	double min_availability;
	const struct coord_grant *grants;
	size_t ngrants;
	uint32_t ph_block;
	uint32_t ph_rounds;
	unsigned ph_deadline_ms;
	unsigned ph_checks;
	int no_source_throttle; /* every client arrives from one address (a
	                           proxy, a NAT): throttle failed logins per
	                           account only */
	/* metrics (NULL: none): "ip:port" of the Prometheus page (docs/net.md,
	 * "Metrics"), port 0: any free port; loopback only unless
	 * metrics_public */
	const char *metrics;
	int metrics_public;
	/* log (NULL: none): one line per login proof and password change
	 * (user, source address, outcome; never a secret), for operators */
	void (*log)(void *arg, const char *line);
	void *log_arg;
	/* clock (NULL: time(NULL)): seconds since the epoch; tests move it */
	int64_t (*clock)(void *arg);
	void *clock_arg;
};

/* coord_opts_default: the defaults above, data_dir NULL. */
void coord_opts_default(struct coord_opts *o);

struct coord;

/*
 * coord_start: load or create the identity DIR/identity.key, open the
 * database, listen on o->listen on loop and write "ip:port\n" durably to
 * DIR/coordinator.addr. o is copied (data_dir too). Returns 0 and *out,
 * or a dz_err with detail naming the file or address in em: DZ_EIO /
 * DZ_EINVAL / DZ_EFORMAT for an unusable directory, identity or database,
 * DZ_EFORMAT for a bad address, DZ_EIO if the address is in use,
 * DZ_ENOMEM; DZ_EINVAL for options out of range (a default code that is
 * not 1 <= k < n <= 255, a zero peer_timeout). On failure the loop may still hold a closing listener: run
 * it once more before closing it.
 */
int coord_start(uv_loop_t *loop, const struct coord_opts *o,
    struct coord **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* coord_addr: the address actually listened on, "ip:port". */
const char *coord_addr(const struct coord *co);

/* coord_metrics_addr: the address /metrics is served on, "ip:port", or
 * NULL if none. */
const char *coord_metrics_addr(const struct coord *co);

/* coord_pk: the coordinator's node key (IDENT_PKBYTES bytes). */
const uint8_t *coord_pk(const struct coord *co);

/*
 * coord_stop: stop listening and close every connection. The loop ends
 * once the handles are closed (a turn or two); then call coord_free.
 * Idempotent. Loop thread only.
 */
void coord_stop(struct coord *co);

/* coord_free: release co after coord_stop and after the loop has run
 * until its handles closed (NULL is fine). */
void coord_free(struct coord *co);

#endif
