/*
 * netstore_int: what netstore.c (connections, get, records) and
 * netstore_put.c (the put of a segment) share. Not for use outside
 * src/client/netstore*.c.
 */
#ifndef DZ_NETSTORE_INT_H
#define DZ_NETSTORE_INT_H

#include <pthread.h>

#include "client/netstore.h"
#include "net/ident.h"
#include "net/proto.h"

/* What one thread owns: its rpc and reusable buffers. */
struct ns_thread {
	struct netstore *ns;
	struct rpc *rpc;
	struct proto_frags_locate_rep *loc; /* ~400 KB: kept, not re-made */
	struct ns_thread *next;
};

struct netstore {
	struct tls_ctx *tls;
	char coord_addr[64];
	uint8_t coord_pk[IDENT_PKBYTES];
	struct netstore_opts opts;
	pthread_key_t key;
	pthread_mutex_t mu;
	struct ns_thread *threads; /* every thread's state, freed at close */
};

/* netstore_thread: the calling thread's state, made on first use. */
int netstore_thread(struct netstore *ns, struct ns_thread **out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* netstore_reserve: store_ops.reserve (netstore_put.c): QUOTA. */
int netstore_reserve(void *ctx, uint64_t bytes, struct dz_errmsg *em);

/* netstore_put_seg: store_ops.put_seg (netstore_put.c). */
int netstore_put_seg(void *ctx, const uint8_t object_id[STORE_NAMEBYTES],
    uint64_t seq, unsigned k, unsigned n, uint8_t *const frags[],
    const size_t lens[], const uint8_t *names, struct dz_errmsg *em);

#endif
