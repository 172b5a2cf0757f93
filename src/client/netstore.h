/*
 * netstore: the store_ops of the network: fragments on peers, records and
 * fragment locations at the coordinator.
 *
 * Put of one segment: PLACE asks the coordinator for n distinct online
 * peers with room (fewer if it has fewer), the n fragments go to them in
 * parallel (FRAG_PUT; a peer answers only after fsync), failures and
 * stragglers are placed again on peers not yet used for this segment, and
 * once all n are stored, or no peer is left but at least the success
 * threshold (opts.put_needed) are, FRAGS_COMMIT tells the coordinator
 * where they live and names the ones not stored (no holder): the
 * coordinator's repair places those. Get of one segment:
 * FRAGS_LOCATE, then FRAG_GET to more than k holders at once, keeping the
 * first k whose bytes the caller's check accepts and cancelling the rest;
 * if too few pass, the next holders are asked. Peers are reached by the
 * key the coordinator vouches for (PLACE_REP, FRAGS_LOCATE_REP): a peer
 * showing another key is not spoken to.
 *
 * Fragment calls come from several threads; each thread gets its own rpc
 * (its own loop and connections) and buffers, made on first use and freed
 * by netstore_close. Record calls are from one thread.
 */
#ifndef DZ_NETSTORE_H
#define DZ_NETSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "client/store.h"
#include "core/err.h"
#include "net/tls.h"

struct netstore;

/* Tunables (netstore_opts_default gives these). */
struct netstore_opts {
	unsigned put_rounds;    /* placements tried per segment (3) */
	unsigned get_extra;     /* holders asked beyond k at first; 0: chosen
	                           from the code, (n - k) / 2 capped to 2..8 */
	unsigned deadline_ms;   /* one round of transfers of a segment (120000) */
	unsigned put_needed;    /* fragments of a segment that must be stored
	                           for its put to succeed; 0: k + ceil((n-k)/2),
	                           always at least k + 1 (at most n) */
	unsigned repair_threshold; /* sent with FRAGS_COMMIT: the coordinator
	                           repairs a segment with fewer healthy
	                           fragments (k < H <= n); 0: its default */
};
void netstore_opts_default(struct netstore_opts *o);

/*
 * netstore_open: a network store that talks to the coordinator at addr
 * showing key coord_pk, through client context tls (referenced until
 * close). opts NULL: defaults. Contacts nobody yet.
 */
int netstore_open(struct tls_ctx *tls, const char *coord_addr,
    const uint8_t coord_pk[static 32], const struct netstore_opts *opts,
    struct netstore **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* netstore_close: free every thread's connections and buffers. No other
 * call may be running. NULL is fine. */
void netstore_close(struct netstore *ns);

/* netstore_store: the store_ops view of ns, for put_file / get_file. */
void netstore_store(struct netstore *ns, struct store *out);

/* Bytes the network store holds per fragment byte it is sending or
 * receiving, besides the caller's buffer (TLS output, write buffers,
 * received frames): for xfer_params.store_copies. Measured on a 30-peer
 * testnet: each 10-of-30 put segment in flight cost about 25 MiB beyond
 * its 12 MiB of fragments. */
#define NETSTORE_COPIES 2

/* Records as versioned blobs (the catalog uses these directly). A lost
 * compare-and-swap is DZ_ECONFLICT (core/err.h), wherever it surfaces:
 * re-read and retry. */
/*
 * netstore_rec_get: the record id: *blob (malloc'd, the caller frees),
 * *len, *version. DZ_ENOENT if there is none.
 */
int netstore_rec_get(struct netstore *ns, const uint8_t id[static 32],
    uint8_t **blob, size_t *len, uint64_t *version,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * netstore_rec_put: write record id if its version is still expected (0:
 * it must not exist). Returns 0 and *version = the new version, or
 * DZ_ECONFLICT and *version = the current one (0: none).
 */
int netstore_rec_put(struct netstore *ns, const uint8_t id[static 32],
    uint64_t expected, const uint8_t *blob, size_t len, uint64_t *version,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* netstore_rec_del: delete record id at version expected (0 or
 * DZ_ECONFLICT as netstore_rec_put). */
int netstore_rec_del(struct netstore *ns, const uint8_t id[static 32],
    uint64_t expected, uint64_t *version, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * netstore_forget: forget object id: its fragment locations and its file
 * record. Peers are not told yet (the protocol has no delete message), so
 * their copies stay until a garbage collection exists.
 */
int netstore_forget(struct netstore *ns, const uint8_t id[static 32],
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * netstore_coord_call: one request to the coordinator from the calling
 * thread: encode msg (proto.h struct of type), send, wait. An ERROR answer
 * becomes its code and message; a CONFLICT answer is DZ_ECONFLICT
 * with resp holding it; any other type than the reply is DZ_EFORMAT. On 0
 * or DZ_ECONFLICT *resp is the caller's (frame_free).
 */
struct frame;
int netstore_coord_call(struct netstore *ns, uint16_t type, const void *msg,
    struct frame *resp, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
