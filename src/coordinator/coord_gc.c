/*
 * coord_gc: clean-up, the coordinator's side (docs/protocol.md,
 * "Clean-up"). Every gc_interval seconds, on a uv_timer, one round runs
 * in the thread pool (uv_queue_work: database scans and network calls,
 * never on the loop): for each online peer it reads the names located on
 * that peer (db_peer_frags), puts them in Bloom filters (core/bloom.h,
 * 1% false positives, a fresh random seed per filter) and sends them as
 * GC_FILTER with the coordinator's own TLS identity (rpc.h), which the
 * peer checks against the key it pinned. The peer deletes what the filter
 * does not hold and is older than `protect` seconds: the margin
 * (gc_margin, covering puts whose fragments are stored but not committed
 * yet) plus the time since the names were read.
 *
 * One message per peer, not per fragment: a filter covers the names whose
 * first two bytes lie in lo..hi. A peer holding more than BLOOM_MAXITEMS
 * names (about 7 million: an 8 MiB filter) gets several filters over
 * disjoint ranges that together cover every prefix. A peer that is offline
 * gets nothing this round; it gets its filters at the first round after it
 * is back. Only one round runs at a time; a tick that finds one running is
 * skipped.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coordinator/coord_gc.h"
#include "core/bloom.h"
#include "core/cursor.h"
#include "net/rpc.h"

#define GC_DEADLINE_MS 60000u /* a peer's sweep of a large store */

struct coord_gc {
	struct coord *co;
	uv_timer_t timer;
	int timer_open;
	uv_work_t work;
	int running;            /* a round is in the pool */
	atomic_int stopping;    /* the coordinator is stopping: end the round */
	struct tls_ctx *tls;    /* client context with the coordinator's key */
	/* the round's inputs (set on the loop) and results */
	int64_t created;
	uint64_t started_ns;
	uint64_t npeers, nfail, examined, deleted, freed;
	int rc;
	struct dz_errmsg em;
	char fail_addr[NETADDR_STRMAX];
};

/* The filters of one peer, one per prefix range. */
struct shards {
	size_t n;
	struct bloom *b;
};

static unsigned
shard_lo(size_t s, size_t n)
{
	return (unsigned)((s * 65536 + n - 1) / n);
}

static int
add_name(void *arg, const uint8_t *name)
{
	struct shards *sh = arg;
	size_t prefix = (size_t)name[0] << 8 | name[1];

	bloom_add(&sh->b[prefix * sh->n >> 16], name, DB_IDBYTES);
	return 0;
}

static void
shards_free(struct shards *sh)
{
	for (size_t i = 0; sh->b != NULL && i < sh->n; i++)
		bloom_free(&sh->b[i]);
	free(sh->b);
	sh->b = NULL;
}

/* Build the filters of one peer. */
static int
shards_build(struct coord_gc *g, const uint8_t *peer, struct shards *sh,
    struct dz_errmsg *em)
{
	uint8_t seed[BLOOM_SEEDBYTES];
	uint64_t count = 0, per;
	int rc;

	memset(sh, 0, sizeof(*sh));
	if ((rc = db_peer_frags(g->co->db, peer, &count, NULL, NULL, em)) != 0)
		return rc;
	sh->n = (size_t)(count / BLOOM_MAXITEMS + 1);
	/* names committed between the count and the listing overfill a
	 * filter a little: more false positives, never a false negative */
	per = count / sh->n + 1;
	per += per / 16;
	if (per > BLOOM_MAXITEMS)
		per = BLOOM_MAXITEMS;
	if ((sh->b = calloc(sh->n, sizeof(*sh->b))) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory for clean-up filters");
	for (size_t i = 0; i < sh->n; i++) {
		randombytes_buf(seed, sizeof(seed));
		if ((rc = bloom_new(per, seed, &sh->b[i])) != 0) {
			shards_free(sh);
			return dz_errf(em, rc, "cannot make a clean-up filter");
		}
	}
	if ((rc = db_peer_frags(g->co->db, peer, NULL, add_name, sh, em)) != 0)
		shards_free(sh);
	return rc;
}

/* Send filter s of sh to peer p; its answer adds to the round's counts. */
static int
send_shard(struct coord_gc *g, struct rpc *r, const struct db_peer *p,
    const struct shards *sh, size_t s, struct dz_errmsg *em)
{
	struct proto_gc_filter m;
	struct proto_gc_filter_rep rep;
	struct frame resp = {0};
	struct proto_error e;
	uint8_t *fbuf = NULL, *body = NULL;
	uint64_t elapsed;
	size_t len;
	struct wbuf w;
	int rc;

	memset(&m, 0, sizeof(m));
	m.created = (uint64_t)g->created;
	/* seconds since the names were read, rounded up, plus the margin */
	elapsed = (uv_hrtime() - g->started_ns + 999999999u) / 1000000000u;
	elapsed += g->co->opts.gc_margin;
	m.protect = elapsed > PROTO_GC_PROTECT_MAX ? PROTO_GC_PROTECT_MAX :
	    (uint32_t)elapsed;
	m.lo = (uint16_t)shard_lo(s, sh->n);
	m.hi = (uint16_t)(s + 1 == sh->n ? 0xffff : shard_lo(s + 1, sh->n) - 1);
	m.filter_len = bloom_encoded_len(&sh->b[s]);
	if ((fbuf = malloc(m.filter_len)) == NULL) {
		rc = dz_errf(em, DZ_ENOMEM, "out of memory for a clean-up filter");
		goto out;
	}
	bloom_encode(&sh->b[s], fbuf);
	m.filter = fbuf;
	if ((rc = proto_encoded_len(PROTO_GC_FILTER, &m, &len)) != 0 ||
	    (body = malloc(len)) == NULL) {
		rc = dz_errf(em, rc != 0 ? rc : DZ_ENOMEM, "cannot encode GC_FILTER");
		goto out;
	}
	wbuf_init(&w, body, len);
	if ((rc = proto_gc_filter_encode(&m, &w)) != 0) {
		rc = dz_errf(em, rc, "cannot encode GC_FILTER");
		goto out;
	}
	if ((rc = rpc_call(r, p->addr, p->id, PROTO_GC_FILTER, body, w.len,
	    GC_DEADLINE_MS, &resp, em)) != 0)
		goto out;
	if (resp.type == PROTO_ERROR && proto_error_decode(resp.body, resp.len, &e) == 0)
		rc = dz_errf(em, e.code, "%s", e.message);
	else if (resp.type != PROTO_GC_FILTER_REP ||
	    proto_gc_filter_rep_decode(resp.body, resp.len, &rep) != 0)
		rc = dz_errf(em, DZ_EFORMAT, "a malformed answer to GC_FILTER");
	else {
		g->examined += rep.examined;
		g->deleted += rep.deleted;
		g->freed += rep.freed;
	}
out:
	frame_free(&resp);
	free(body);
	free(fbuf);
	return rc;
}

static void
gc_round(uv_work_t *req)
{
	struct coord_gc *g = req->data;
	struct coord *co = g->co;
	struct db_peer *peers = NULL;
	struct rpc *r = NULL;
	uint64_t online = 0, total = 0;
	struct dz_errmsg em;
	size_t n = 0;
	int rc;

	g->npeers = g->nfail = g->examined = g->deleted = g->freed = 0;
	g->fail_addr[0] = '\0';
	memset(&g->em, 0, sizeof(g->em));
	if ((rc = db_peer_count(co->db, g->created, co->opts.peer_timeout, &online,
	    &total, &g->em)) != 0 || online == 0)
		goto out;
	if ((peers = calloc((size_t)total, sizeof(*peers))) == NULL) {
		rc = dz_errf(&g->em, DZ_ENOMEM, "out of memory listing peers");
		goto out;
	}
	if ((rc = db_peer_online(co->db, g->created, co->opts.peer_timeout, NULL, 0,
	    peers, (size_t)total, &n, &g->em)) != 0 ||
	    (rc = rpc_new(g->tls, NULL, &r, &g->em)) != 0)
		goto out;
	for (size_t i = 0; i < n && !atomic_load(&g->stopping); i++) {
		struct shards sh;
		int prc;

		memset(&em, 0, sizeof(em));
		g->npeers++;
		prc = shards_build(g, peers[i].id, &sh, &em);
		for (size_t s = 0; prc == 0 && s < sh.n && !atomic_load(&g->stopping); s++)
			prc = send_shard(g, r, &peers[i], &sh, s, &em);
		shards_free(&sh);
		if (prc != 0) {
			/* next round will do; say which and why once */
			if (g->nfail++ == 0) {
				snprintf(g->fail_addr, sizeof(g->fail_addr), "%s",
				    peers[i].addr);
				g->em = em;
				g->rc = prc;
			}
		}
	}
	rc = 0;
out:
	if (rc != 0)
		g->rc = rc;
	rpc_free(r);
	free(peers);
}

static void
gc_round_done(uv_work_t *req, int status)
{
	struct coord_gc *g = req->data;

	(void)status;
	g->running = 0;
	atomic_fetch_add_explicit(&g->co->ctr.gc_rounds, 1, memory_order_relaxed);
	if (g->nfail > 0)
		coord_log(g->co, "clean-up: %llu of %llu peers did not take their "
		    "filters (first: %s: %s); they get them next round",
		    (unsigned long long)g->nfail, (unsigned long long)g->npeers,
		    g->fail_addr, g->em.text[0] != '\0' ? g->em.text :
		    dz_strerror(g->rc));
	else if (g->rc != 0)
		coord_log(g->co, "clean-up round failed: %s",
		    g->em.text[0] != '\0' ? g->em.text : dz_strerror(g->rc));
	if (g->deleted > 0)
		coord_log(g->co, "clean-up: peers deleted %llu unreferenced fragments "
		    "(%llu bytes) of %llu examined",
		    (unsigned long long)g->deleted, (unsigned long long)g->freed,
		    (unsigned long long)g->examined);
}

static void
on_tick(uv_timer_t *t)
{
	struct coord_gc *g = t->data;

	if (g->running || atomic_load(&g->stopping))
		return;
	g->created = coord_now(g->co);
	g->started_ns = uv_hrtime();
	g->rc = 0;
	g->work.data = g;
	if (uv_queue_work(g->co->loop, &g->work, gc_round, gc_round_done) == 0)
		g->running = 1;
}

int
coord_gc_start(struct coord *co, struct dz_errmsg *em)
{
	struct coord_gc *g;
	uint64_t ms;
	int rc;

	if (co->opts.gc_interval == 0)
		return 0;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	g->co = co;
	if ((rc = tls_ctx_new(co->id, TLS_ROLE_CLIENT, &g->tls, em)) != 0) {
		free(g);
		return rc;
	}
	if ((rc = uv_timer_init(co->loop, &g->timer)) != 0) {
		tls_ctx_unref(g->tls);
		free(g);
		return dz_errf(em, DZ_EIO, "cannot make a timer: %s", uv_strerror(rc));
	}
	g->timer.data = g;
	g->timer_open = 1;
	ms = (uint64_t)co->opts.gc_interval * 1000;
	uv_timer_start(&g->timer, on_tick, ms, ms);
	co->gc = g;
	return 0;
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct coord_gc *g = h->data;

	g->timer_open = 0;
}

void
coord_gc_stop(struct coord *co)
{
	struct coord_gc *g = co->gc;

	if (g == NULL)
		return;
	atomic_store(&g->stopping, 1);
	if (g->timer_open && !uv_is_closing((uv_handle_t *)&g->timer))
		uv_close((uv_handle_t *)&g->timer, on_timer_closed);
}

void
coord_gc_free(struct coord *co)
{
	struct coord_gc *g = co->gc;

	if (g == NULL)
		return;
	/* after the loop ran out: no timer, no round left */
	tls_ctx_unref(g->tls);
	free(g);
	co->gc = NULL;
}
