/*
 * coord_repair: the repair worker: rebuilds, from ciphertext alone, the
 * fragments of segments whose healthy count fell below their threshold.
 *
 * Every opts.repair_interval seconds a uv_timer on the coordinator's loop
 * queues one pass (uv_queue_work: it blocks on the database and the
 * network, so it runs in the libuv pool, never on the loop; one pass at a
 * time). A pass asks the database for at most opts.repair_batch segments
 * whose health (db_repair.h: fragment indexes with a holder heard from
 * within opts.grace) is below their object's threshold, most urgent first
 * (fewest healthy beyond k), and for each one:
 *   1. picks new holders: online peers (placement's rules: not run by the
 *      file's account, room for a fragment, an owner and a network that
 *      hold no fragment of the segment yet), one per missing fragment,
 *      the operator's data-centre peers (`peer --datacentre`) first;
 *      none: the segment waits;
 *   2. fetches k fragments from healthy holders (FRAG_GET), each checked
 *      against its recorded name (frag_check) as it arrives;
 *   3. RS-decodes and re-encodes the missing indexes (rs_rebuild), writes
 *      their headers (k, n, index, lengths from the fragments fetched)
 *      and checks that each rebuilt fragment's Merkle root IS its
 *      recorded name, byte for byte; one that is not is never sent;
 *   4. sends each to its new holder (FRAG_PUT with a placement ticket
 *      of its own making, net/ticket.h; a peer answers after fsync) and
 *      records the location only once the peer confirmed.
 * So an interrupted pass (the coordinator killed) loses nothing: what was
 * confirmed and recorded counts, what was not is found again by the next
 * scan, and a fragment sent but not recorded is garbage for clean-up. The
 * worker holds no key: fragments are ciphertext, and it never learns what
 * file a segment belongs to. It speaks to peers with the coordinator's own
 * identity (a client TLS context of its key). Logs: one line per repaired
 * (or unrepairable) segment, naming the object id's first 8 hex digits
 * and the segment number only.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/coord_int.h"
#include "coordinator/db_audit.h"
#include "core/cursor.h"
#include "core/frag.h"
#include "core/hex.h"
#include "core/rs.h"
#include "net/frame.h"
#include "net/rpc.h"
#include "net/ticket.h"

#define REPAIR_DEADLINE_MS 60000 /* one round of transfers */
#define REPAIR_EXTRA 0           /* holders asked beyond k at once: none,
                                    so a repair reads k fragments, the least
                                    it can; one that fails is replaced */
#define REPAIR_ROWS 4096         /* (fragment, holder) rows read per segment */
/* A segment that could not be fully repaired (no peer to take a
 * fragment, holders unreachable) waits REPAIR_WAIT_TICKS intervals before
 * it is tried again, twice as long after each further failure (at most
 * 2^REPAIR_WAIT_DOUBLINGS times), so that segments that cannot be
 * repaired neither fill every batch ahead of those that can nor fill the
 * log. A wait is forgotten once repaired, or REPAIR_WAIT_FORGET intervals
 * after it ended; at most REPAIR_WAIT_MAX are remembered (past that, a
 * failure is simply retried next tick). In memory only: a restart retries
 * everything at once. */
#define REPAIR_WAIT_TICKS 5
#define REPAIR_WAIT_DOUBLINGS 6
#define REPAIR_WAIT_FORGET 600
#define REPAIR_WAIT_MAX 256

struct repair_wait {
	int64_t account;
	uint8_t object[DB_IDBYTES];
	uint32_t segment;
	unsigned fails;  /* failures since the first, less one */
	int64_t until;   /* not tried before then */
};

struct coord_repair {
	struct coord *co;
	uv_timer_t timer;
	uv_work_t work;
	int busy;             /* a pass is queued or running (loop thread) */
	int closed;           /* the timer is closed (loop thread) */
	atomic_int stop;      /* read by the pass between segments */
	struct tls_ctx *tls;  /* client role, the coordinator's key */
	struct rpc *rpc;      /* the pass's: one pass at a time */
	/* segments waiting after a failure: the pass's only */
	struct repair_wait wait[REPAIR_WAIT_MAX];
	size_t nwait;
};

/* What one segment's repair works with. */
struct seg_job {
	struct coord *co;
	const struct db_repair_seg *seg;
	unsigned n, k;
	uint8_t known[RS_MAXN], healthy[RS_MAXN], have[RS_MAXN];
	uint8_t name[RS_MAXN][DB_IDBYTES];
	uint64_t size;           /* every fragment of a segment has one size */
	uint8_t *buf[RS_MAXN];   /* size bytes each */
	struct frag_hdr hdr[RS_MAXN];
	struct merkle *mk;
	unsigned req_idx[RS_MAXN];
	uint64_t read, written;
	int64_t since;           /* now minus the grace period */
};

unsigned
coord_repair_threshold(const struct coord *co, unsigned k, unsigned n,
    unsigned asked)
{
	unsigned h = co->opts.repair_threshold;

	if (asked > k && asked <= n)
		return asked;
	if (h > k && h <= n)
		return h;
	return k + (n - k + 1) / 2;
}

/* FRAG_GET answer j: keep it if it is the fragment its name says. */
static int
get_accept(void *arg, size_t j, struct frame *resp)
{
	struct seg_job *sj = arg;
	unsigned i = sj->req_idx[j];
	struct proto_frag_get_rep r;

	if (resp->type != PROTO_REPLY(PROTO_FRAG_GET) ||
	    proto_frag_get_rep_decode(resp->body, resp->len, &r) != 0 ||
	    r.len != sj->size || sj->have[i])
		return 0;
	memcpy(sj->buf[i], r.data, r.len);
	if (frag_check(sj->mk, sj->buf[i], r.len, sj->name[i], &sj->hdr[i]) != 0 ||
	    sj->hdr[i].k != sj->k || sj->hdr[i].n != sj->n || sj->hdr[i].index != i)
		return 0;
	sj->have[i] = 1;
	sj->read += r.len;
	return 1;
}

static int
put_accept(void *arg, size_t j, struct frame *resp)
{
	(void)arg;
	(void)j;
	return resp->type == PROTO_REPLY(PROTO_FRAG_PUT) && resp->len == 0;
}

/* Step 2: k intact fragments from healthy holders, in rounds; a holder
 * that fails is replaced by another holder or another index. */
static int
fetch(struct coord_repair *r, struct seg_job *sj,
    const struct db_repair_frag *rows, size_t nrows)
{
	struct rpc_req reqs[RS_MAXN];
	uint8_t tried[REPAIR_ROWS] = {0};
	unsigned kept = 0;

	for (;;) {
		unsigned m = 0, want = 0, got_before = kept;
		uint8_t asked[RS_MAXN] = {0};
		size_t got = 0;

		want = sj->k - kept;
		for (size_t x = 0; x < nrows && m < want + REPAIR_EXTRA; x++) {
			const struct db_repair_frag *f = &rows[x];

			if (tried[x] || !f->located || !f->healthy || f->index >= sj->n ||
			    sj->have[f->index] || asked[f->index])
				continue;
			tried[x] = asked[f->index] = 1;
			memset(&reqs[m], 0, sizeof(reqs[m]));
			reqs[m].addr = f->addr;
			reqs[m].pk = f->peer;
			reqs[m].type = PROTO_FRAG_GET;
			reqs[m].body = sj->name[f->index];
			reqs[m].len = DB_IDBYTES;
			sj->req_idx[m++] = f->index;
		}
		if (m < want || atomic_load(&r->stop))
			return DZ_ETOOFEW;
		/* the outcome is in sj->have */
		(void)!rpc_call_many(r->rpc, reqs, m, want, REPAIR_DEADLINE_MS,
		    get_accept, sj, &got, NULL);
		kept = got_before + (unsigned)got;
		if (kept >= sj->k)
			return 0;
	}
}

/* Step 3: rebuild every index not fetched, then check each missing one
 * against its name. rebuilt[i] = 1 for those that match. */
static int
rebuild(struct seg_job *sj, const uint8_t missing[], uint8_t rebuilt[])
{
	struct frag_hdr h = {0};
	uint8_t *payload[RS_MAXN];
	struct rs *rs = NULL;
	uint8_t root[MERKLE_HASHBYTES];
	int rc, first = 1;

	for (unsigned i = 0; i < sj->n; i++) {
		if (!sj->have[i])
			continue;
		if (first)
			h = sj->hdr[i];
		else if (sj->hdr[i].payload_len != h.payload_len ||
		    sj->hdr[i].seg_len != h.seg_len)
			return DZ_EINTEGRITY; /* names hold, so the uploader lied */
		first = 0;
	}
	if (first || FRAG_HDRBYTES + (uint64_t)h.payload_len != sj->size)
		return DZ_EFORMAT;
	for (unsigned i = 0; i < sj->n; i++)
		payload[i] = sj->buf[i] + FRAG_HDRBYTES;
	if ((rc = rs_new(sj->k, sj->n, &rs)) != 0)
		return rc;
	rc = rs_rebuild(rs, payload, sj->have, h.payload_len);
	rs_free(rs);
	if (rc != 0)
		return rc;
	for (unsigned i = 0; i < sj->n; i++) {
		struct frag_hdr fh;

		rebuilt[i] = 0;
		if (!missing[i])
			continue;
		if ((rc = frag_hdr_init(&fh, sj->k, sj->n, i, h.seg_len)) != 0)
			return rc;
		frag_hdr_encode(&fh, sj->buf[i]);
		if ((rc = merkle_build(sj->mk, sj->buf[i], sj->size, root)) != 0)
			return rc;
		rebuilt[i] = memcmp(root, sj->name[i], MERKLE_HASHBYTES) == 0;
	}
	return 0;
}

static int
excluded(const uint8_t (*ex)[DB_IDBYTES], size_t nex, const uint8_t *pk)
{
	for (size_t i = 0; i < nex; i++)
		if (memcmp(ex[i], pk, DB_IDBYTES) == 0)
			return 1;
	return 0;
}

/* Whether p's owner or network already holds a fragment of the segment
 * (or was chosen for one): own[0..n) and pre[0..n). */
static int
owner_taken(const struct coord *co, const int64_t *own,
    const uint8_t (*pre)[COORD_PREFIXBYTES], size_t n, const struct db_peer *p)
{
	uint8_t mine[COORD_PREFIXBYTES];
	int64_t o = coord_place_owner(p);

	coord_place_prefix(p, co->opts.test_prefix_loopback, mine);
	for (size_t i = 0; i < n; i++)
		if (own[i] == o || memcmp(pre[i], mine, sizeof(mine)) == 0)
			return 1;
	return 0;
}

/* Candidates listed beyond those needed, so that data-centre peers that
 * are not among the emptiest still come first (an operator runs a few). */
#define COORD_REPAIR_DC_EXTRA 32

/* Step 1: online peers with room that hold nothing of this segment, at
 * most cap: data-centre peers first, then trusted, then vetting ones,
 * each most free space first. */
static int
targets(struct coord *co, const struct db_repair_seg *seg,
    const struct db_repair_frag *rows, size_t nrows, uint64_t size,
    struct db_peer *out, size_t cap, size_t *n, struct dz_errmsg *em)
{
	uint8_t (*ex)[DB_IDBYTES] = NULL;
	uint8_t (*pre)[COORD_PREFIXBYTES] = NULL;
	int64_t *own = NULL;
	struct db_peer *all = NULL;
	size_t nex = 0, got = 0, nt = 0, nv = 0, nown = 0;
	/* room for the data-centre peers beyond the emptiest ones: they are
	 * few, and sorted first below */
	size_t want = cap + nrows + COORD_REPAIR_DC_EXTRA;
	int64_t since = coord_now(co) - (int64_t)co->opts.peer_timeout;
	int rc;

	*n = 0;
	if ((ex = calloc(nrows + 1, DB_IDBYTES)) == NULL ||
	    (all = calloc(want, sizeof(*all))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if ((own = calloc(nrows + cap + 1, sizeof(*own))) == NULL ||
	    (pre = calloc(nrows + cap + 1, sizeof(*pre))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	for (size_t x = 0; x < nrows; x++)
		if (rows[x].located) {
			struct db_peer h;

			memcpy(ex[nex++], rows[x].peer, DB_IDBYTES);
			/* its owner and network are taken, as placement takes
			 * them: one fragment of a segment per owner and network */
			if (db_peer_get(co->db, rows[x].peer, &h, NULL) == 0) {
				own[nown] = coord_place_owner(&h);
				coord_place_prefix(&h, co->opts.test_prefix_loopback,
				    pre[nown++]);
			}
		}
	/* as placement does: trusted peers first, then vetting ones; never
	 * a peer its audits suspended or disqualified */
	if ((rc = db_audit_place(co->db, since, seg->account, PROTO_PEER_TRUSTED,
	    size, all, want, &nt, em)) != 0 ||
	    (rc = db_audit_place(co->db, since, seg->account, PROTO_PEER_VETTING,
	    size, all + nt, want - nt, &nv, em)) != 0)
		goto out;
	got = nt + nv;
	/* the operator's data-centre peers first (pass 0), then the others
	 * in placement's order: repair traffic goes where bandwidth is
	 * cheap and uptime high, and user peers are spared it */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < got && *n < cap; i++) {
			struct db_peer *p = &all[i];
			int dc = (p->flags & DB_PEER_DATACENTRE) != 0;

			if (dc != (pass == 0))
				continue;
			if (p->used > p->capacity || p->capacity - p->used < size)
				continue;
			if (excluded((const uint8_t (*)[DB_IDBYTES])ex, nex, p->id) ||
			    strlen(p->addr) > PROTO_ADDR_MAX ||
			    owner_taken(co, own, pre, nown, p))
				continue;
			own[nown] = coord_place_owner(p);
			coord_place_prefix(p, co->opts.test_prefix_loopback, pre[nown++]);
			out[(*n)++] = *p;
		}
out:
	free(ex);
	free(all);
	free(own);
	free(pre);
	return rc;
}

/* Step 4: send the rebuilt fragments to their new holders (two rounds:
 * one that fails goes to the next candidate) and record the confirmed. */
static unsigned
place(struct coord_repair *r, struct seg_job *sj, const uint8_t rebuilt[],
    const struct db_peer *cand, size_t ncand, struct dz_errmsg *em)
{
	struct rpc_req reqs[RS_MAXN];
	uint8_t pre[RS_MAXN][PROTO_FRAG_PUT_PREFIX];
	struct proto_ticket tk;
	int64_t exp = coord_now(sj->co) + COORD_TICKET_TTL;
	uint8_t todo[RS_MAXN];
	unsigned idx[RS_MAXN], done = 0;
	size_t next = 0;

	memcpy(todo, rebuilt, sizeof(todo));
	for (int round = 0; round < 2 && next < ncand && !atomic_load(&r->stop);
	    round++) {
		unsigned m = 0;

		for (unsigned i = 0; i < sj->n && next < ncand; i++) {
			if (!todo[i])
				continue;
			/* its own ticket: peers store nothing without one */
			if (ticket_sign(&tk, sj->co->id, sj->seg->account, sj->name[i],
			    (uint32_t)sj->size, cand[next].id, (uint64_t)exp) != 0) {
				next++;
				continue;
			}
			proto_frag_put_prefix(pre[m], sj->name[i], &tk, (uint32_t)sj->size);
			memset(&reqs[m], 0, sizeof(reqs[m]));
			reqs[m].addr = cand[next].addr;
			reqs[m].pk = cand[next].id;
			reqs[m].type = PROTO_FRAG_PUT;
			reqs[m].prefix = pre[m];
			reqs[m].prefix_len = PROTO_FRAG_PUT_PREFIX;
			reqs[m].body = sj->buf[i];
			reqs[m].len = sj->size;
			idx[m++] = i;
			next++;
		}
		if (m == 0)
			break;
		/* the outcome is read per request below */
		(void)!rpc_call_many(r->rpc, reqs, m, m, REPAIR_DEADLINE_MS, put_accept,
		    NULL, NULL, NULL);
		for (unsigned j = 0; j < m; j++) {
			struct db_frag_loc loc;
			unsigned i = idx[j];

			if (reqs[j].status != RPC_KEPT)
				continue;
			sj->written += sj->size;
			memset(&loc, 0, sizeof(loc));
			memcpy(loc.name, sj->name[i], DB_IDBYTES);
			memcpy(loc.peer, reqs[j].pk, DB_IDBYTES);
			memcpy(loc.object, sj->seg->object, DB_IDBYTES);
			loc.account = sj->seg->account;
			loc.segment = sj->seg->segment;
			loc.index = i;
			loc.size = sj->size;
			/* recorded only now: the peer has it on disk */
			if (db_frag_add(sj->co->db, &loc, 1, em) != 0)
				continue;
			/* the lost holders of this index are no longer needed:
			 * forgotten, so the segment leaves the scan (best effort:
			 * kept rows cost a rescan, not data) */
			if (db_repair_drop_stale(sj->co->db, loc.account, loc.name,
			    sj->since, NULL) != 0) {
				/* kept: the segment is scanned again, harmlessly */
			}
			todo[i] = 0;
			done++;
		}
	}
	return done;
}

/* Repair one segment; logs what happened. Returns 1 if every missing
 * fragment was placed, 0 if not. */
static int
repair_seg(struct coord_repair *r, const struct db_repair_seg *seg, int64_t since)
{
	struct coord *co = r->co;
	struct db_repair_frag *rows = NULL;
	struct db_peer *cand = NULL;
	struct seg_job *sj = NULL;
	struct dz_errmsg em = {{0}};
	uint8_t missing[RS_MAXN] = {0}, rebuilt[RS_MAXN] = {0};
	char oid[9];
	size_t nrows = 0, ncand = 0;
	unsigned nmissing = 0, nrebuilt = 0, done = 0;
	const char *why = NULL;
	int rc;

	hex_encode(seg->object, 4, oid);
	if ((rows = calloc(REPAIR_ROWS, sizeof(*rows))) == NULL ||
	    (sj = calloc(1, sizeof(*sj))) == NULL) {
		why = "out of memory";
		goto out;
	}
	sj->co = co;
	sj->seg = seg;
	sj->k = seg->k;
	sj->n = seg->n;
	sj->since = since;
	if ((rc = db_repair_frags(co->db, seg->account, seg->object, seg->segment,
	    since, rows, REPAIR_ROWS, &nrows, &em)) != 0) {
		why = em.text;
		goto out;
	}
	if (nrows > REPAIR_ROWS)
		nrows = REPAIR_ROWS;
	for (size_t x = 0; x < nrows; x++) {
		unsigned i = rows[x].index;

		if (i >= sj->n || (sj->known[i] &&
		    memcmp(sj->name[i], rows[x].name, DB_IDBYTES) != 0)) {
			why = "the database holds a fragment index outside the code";
			goto out;
		}
		sj->known[i] = 1;
		memcpy(sj->name[i], rows[x].name, DB_IDBYTES);
		sj->size = rows[x].size;
		sj->healthy[i] |= rows[x].located && rows[x].healthy;
	}
	for (unsigned i = 0; i < sj->n; i++)
		if (sj->known[i] && !sj->healthy[i]) {
			missing[i] = 1;
			nmissing++;
		}
	if (nmissing == 0) {
		why = "no fragment name to rebuild";
		goto out;
	}
	if (sj->size < FRAG_HDRBYTES + 1 || sj->size > PROTO_FRAG_MAX) {
		why = "recorded fragment size out of range";
		goto out;
	}
	/* step 1 before the transfers: without new holders, fetch nothing;
	 * twice as many candidates as needed, for the second round */
	if ((cand = calloc(2 * (size_t)nmissing, sizeof(*cand))) == NULL) {
		why = "out of memory";
		goto out;
	}
	if ((rc = targets(co, seg, rows, nrows, sj->size, cand, 2 * (size_t)nmissing,
	    &ncand, &em)) != 0) {
		why = em.text;
		goto out;
	}
	if (ncand == 0) {
		why = "no online peer with room holds none of its fragments";
		goto out;
	}
	for (unsigned i = 0; i < sj->n; i++)
		if ((sj->buf[i] = malloc(sj->size)) == NULL) {
			why = "out of memory";
			goto out;
		}
	if ((rc = merkle_new(sj->size, &sj->mk)) != 0) {
		why = "out of memory";
		goto out;
	}
	if (fetch(r, sj, rows, nrows) != 0) {
		why = "fewer than k intact fragments could be fetched";
		goto out;
	}
	if ((rc = rebuild(sj, missing, rebuilt)) != 0) {
		why = dz_strerror(rc);
		goto out;
	}
	for (unsigned i = 0; i < sj->n; i++)
		nrebuilt += rebuilt[i];
	if (nrebuilt < nmissing)
		coord_log(co, "repair: object %s segment %u: %u rebuilt fragment(s) do "
		    "not match their names and are not placed", oid, seg->segment,
		    nmissing - nrebuilt);
	done = place(r, sj, rebuilt, cand, ncand, &em);
	coord_log(co, "repair: object %s segment %u: %u of %u missing fragment(s) "
	    "rebuilt and placed (%u healthy before, threshold %u, %u-of-%u); "
	    "%llu bytes read, %llu written", oid, seg->segment, done, nmissing,
	    seg->healthy, seg->threshold, seg->k, seg->n,
	    (unsigned long long)sj->read, (unsigned long long)sj->written);
out:
	if (why != NULL)
		coord_log(co, "repair: object %s segment %u: not repaired now: %s", oid,
		    seg->segment, why);
	if (sj != NULL) {
		for (unsigned i = 0; i < RS_MAXN; i++)
			free(sj->buf[i]);
		merkle_free(sj->mk);
	}
	free(sj);
	free(cand);
	free(rows);
	return why == NULL && done == nmissing;
}

static int
same_seg(const struct repair_wait *w, const struct db_repair_seg *s)
{
	return w->account == s->account && w->segment == s->segment &&
	    memcmp(w->object, s->object, DB_IDBYTES) == 0;
}

static struct repair_wait *
wait_find(struct coord_repair *r, const struct db_repair_seg *seg)
{
	for (size_t i = 0; i < r->nwait; i++)
		if (same_seg(&r->wait[i], seg))
			return &r->wait[i];
	return NULL;
}

/* Is seg waiting after a failure? */
static int
waiting(struct coord_repair *r, const struct db_repair_seg *seg, int64_t now)
{
	struct repair_wait *w = wait_find(r, seg);

	return w != NULL && w->until > now;
}

/* Forget the waits that ended long ago (drop: seg's, repaired). */
static void
wait_prune(struct coord_repair *r, int64_t now, const struct db_repair_seg *drop)
{
	int64_t forget = (int64_t)REPAIR_WAIT_FORGET * r->co->opts.repair_interval;
	size_t j = 0;

	for (size_t i = 0; i < r->nwait; i++)
		if (r->wait[i].until + forget > now &&
		    (drop == NULL || !same_seg(&r->wait[i], drop)))
			r->wait[j++] = r->wait[i];
	r->nwait = j;
}

static void
wait_add(struct coord_repair *r, const struct db_repair_seg *seg, int64_t now)
{
	struct repair_wait *w = wait_find(r, seg);
	int64_t ticks;

	if (w != NULL)
		w->fails += w->fails < REPAIR_WAIT_DOUBLINGS;
	else if (r->nwait < REPAIR_WAIT_MAX) {
		w = &r->wait[r->nwait++];
		w->account = seg->account;
		memcpy(w->object, seg->object, DB_IDBYTES);
		w->segment = seg->segment;
		w->fails = 0;
	} else
		return;
	ticks = (int64_t)REPAIR_WAIT_TICKS << w->fails;
	w->until = now + ticks * r->co->opts.repair_interval;
}

/* The pass (a pool thread). */
static void
pass(uv_work_t *w)
{
	struct coord_repair *r = w->data;
	struct coord *co = r->co;
	struct db_repair_seg *segs;
	struct dz_errmsg em = {{0}};
	int64_t now = coord_now(co), since = now - (int64_t)co->opts.grace;
	size_t n = 0, cap, done = 0;

	if (r->rpc == NULL && rpc_new(r->tls, NULL, &r->rpc, &em) != 0) {
		coord_log(co, "repair: cannot start: %s", em.text);
		return;
	}
	/* waiting segments come first in the scan as often as not: ask for
	 * as many more as are waiting, so that a batch is still had */
	wait_prune(r, now, NULL);
	cap = co->opts.repair_batch + r->nwait;
	if ((segs = calloc(cap, sizeof(*segs))) == NULL)
		return;
	if (db_repair_scan(co->db, since, segs, cap, &n, &em) != 0)
		coord_log(co, "repair: cannot scan: %s", em.text);
	for (size_t i = 0; i < n && done < co->opts.repair_batch &&
	    !atomic_load(&r->stop); i++) {
		if (waiting(r, &segs[i], now))
			continue;
		done++;
		if (!repair_seg(r, &segs[i], since)) {
			wait_add(r, &segs[i], coord_now(co));
		} else {
			wait_prune(r, now, &segs[i]);
			atomic_fetch_add_explicit(&co->ctr.repairs, 1,
			    memory_order_relaxed);
		}
	}
	free(segs);
}

static void
maybe_free(struct coord_repair *r)
{
	if (!r->closed || r->busy)
		return;
	/* the coordinator outlives its loop, so it may still call
	 * coord_repair_stop / _free: it must not find r */
	if (r->co->repair == r)
		r->co->repair = NULL;
	rpc_free(r->rpc);
	tls_ctx_unref(r->tls);
	free(r);
}

static void
pass_done(uv_work_t *w, int status)
{
	struct coord_repair *r = w->data;

	(void)status;
	r->busy = 0;
	maybe_free(r);
}

static void
on_tick(uv_timer_t *t)
{
	struct coord_repair *r = t->data;

	if (r->busy || atomic_load(&r->stop))
		return; /* the last pass is still running: skip this tick */
	r->work.data = r;
	if (uv_queue_work(r->co->loop, &r->work, pass, pass_done) == 0)
		r->busy = 1;
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct coord_repair *r = h->data;

	r->closed = 1;
	maybe_free(r);
}

int
coord_repair_start(struct coord *co, struct dz_errmsg *em)
{
	struct coord_repair *r;
	uint64_t ms = (uint64_t)co->opts.repair_interval * 1000;
	int rc;

	if (co->opts.repair_interval == 0 || co->opts.repair_batch == 0)
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return DZ_ENOMEM;
	r->co = co;
	if ((rc = tls_ctx_new(co->id, TLS_ROLE_CLIENT, &r->tls, em)) != 0) {
		free(r);
		return rc;
	}
	uv_timer_init(co->loop, &r->timer);
	r->timer.data = r;
	co->repair = r;
	if (uv_timer_start(&r->timer, on_tick, ms, ms) != 0)
		return dz_errf(em, DZ_EIO, "cannot start the repair timer");
	return 0;
}

void
coord_repair_stop(struct coord *co)
{
	struct coord_repair *r = co->repair;

	if (r == NULL || atomic_load(&r->stop))
		return;
	atomic_store(&r->stop, 1);
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, on_timer_closed);
}

void
coord_repair_free(struct coord *co)
{
	/* freed by itself once its timer closed and its pass ended */
	coord_repair_stop(co);
	co->repair = NULL;
}
