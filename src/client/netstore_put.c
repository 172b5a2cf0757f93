/*
 * netstore_put: the put of one segment on the network (netstore.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/netstore_int.h"
#include "core/cursor.h"
#include "net/conn.h"
#include "net/frame.h"
#include "net/rpc.h"

_Static_assert(PROTO_FRAG_PUT_PREFIX <= CONN_PREFIX_MAX,
    "a FRAG_PUT's fields before its data fit a prefix");

/* The least a straggling upload is waited for once most of its segment
 * is stored, in ms (see netstore_put_seg). */
#define NS_GRACE_MS 3000

/* What one FRAG_PUT round learns about each request. */
struct put_round {
	int code[PROTO_PLACE_MAX];
	char why[PROTO_PLACE_MAX][PROTO_ERRMSG_MAX + 1];
};

static int
put_accept(void *arg, size_t i, struct frame *resp)
{
	struct put_round *pr = arg;
	struct proto_error e;

	if (resp->type == PROTO_REPLY(PROTO_FRAG_PUT) && resp->len == 0)
		return 1;
	if (resp->type == PROTO_ERROR && proto_error_decode(resp->body, resp->len, &e) == 0 &&
	    e.code < 0) {
		pr->code[i] = e.code;
		snprintf(pr->why[i], sizeof(pr->why[i]), "%s", e.message);
	} else {
		pr->code[i] = DZ_EFORMAT;
		snprintf(pr->why[i], sizeof(pr->why[i]), "malformed answer to FRAG_PUT");
	}
	return 0;
}

/* The fewest fragments of a k-of-n segment that make its put a success:
 * asked (0: none), else k + ceil((n - k) / 2); never below k + 1 nor
 * above n. */
static unsigned
put_needed(unsigned k, unsigned n, unsigned asked)
{
	unsigned need = asked != 0 ? asked : k + (n - k + 1) / 2;

	return need <= k ? k + 1 : need > n ? n : need;
}

/*
 * PLACE for at most want peers (the first of names, one each, whose
 * tickets come back in rep): fewer if the coordinator has fewer that
 * fit (a small network, or peers used already this segment), asking one
 * less each time it says DZ_ETOOFEW. Returns 0 with rep->npeers >= 1, or
 * DZ_ETOOFEW when not even one is left, or another failure. The first
 * refusal's text goes to why (cap bytes) if why is still empty: it says
 * how many peers the network has for the whole request.
 */
static int
place_some(struct netstore *ns, unsigned want, unsigned k, size_t maxlen,
    const uint8_t (*names)[PROTO_NAMEBYTES],
    const uint8_t (*exclude)[PROTO_PKBYTES], unsigned nexcl,
    struct proto_place_rep *rep, char *why, size_t cap, struct dz_errmsg *em)
{
	struct proto_place place;
	struct frame resp = {0};
	int rc = DZ_ETOOFEW;

	for (unsigned m = want; m >= 1; m--) {
		memset(&place, 0, sizeof(place));
		place.n = (uint8_t)m;
		place.frag_size = (uint32_t)maxlen;
		place.names = names; /* the first m: one ticket each */
		place.nexclude = (uint16_t)nexcl;
		place.exclude = exclude;
		place.k = (uint8_t)k;
		rc = netstore_coord_call(ns, PROTO_PLACE, &place, &resp, em);
		if (rc == DZ_ECONFLICT) {
			frame_free(&resp);
			return dz_errf(em, DZ_EFORMAT, "the coordinator answered PLACE oddly");
		}
		if (rc == DZ_ETOOFEW) {
			if (why[0] == '\0')
				snprintf(why, cap, "%s", em != NULL ? em->text : "");
			continue;
		}
		if (rc != 0)
			return rc;
		rc = proto_place_rep_decode(resp.body, resp.len, rep);
		frame_free(&resp);
		if (rc != 0 || rep->npeers != m)
			return dz_errf(em, DZ_EFORMAT, "the coordinator answered PLACE with "
			    "%u peers for %u", rc == 0 ? rep->npeers : 0, m);
		return 0;
	}
	return rc;
}

int
netstore_reserve(void *ctx, uint64_t bytes, struct dz_errmsg *em)
{
	struct proto_quota q = {bytes};
	struct frame resp = {0};
	int rc;

	if ((rc = netstore_coord_call(ctx, PROTO_QUOTA, &q, &resp, em)) == 0)
		frame_free(&resp);
	return rc;
}

int
netstore_put_seg(void *ctx, const uint8_t object_id[STORE_NAMEBYTES], uint64_t seq,
    unsigned k, unsigned n, uint8_t *const frags[], const size_t lens[],
    const uint8_t *names, struct dz_errmsg *em)
{
	struct netstore *ns = ctx;
	struct ns_thread *t;
	struct proto_place_rep *rep = NULL;
	struct proto_frags_commit fc;
	struct rpc_req reqs[PROTO_PLACE_MAX];
	unsigned idx[PROTO_PLACE_MAX];
	uint8_t placed[PROTO_PLACE_MAX] = {0};
	uint8_t holder[PROTO_PLACE_MAX][PROTO_PKBYTES];
	uint8_t pre[PROTO_PLACE_MAX][PROTO_FRAG_PUT_PREFIX];
	uint8_t (*pnames)[PROTO_NAMEBYTES] = NULL;
	uint8_t (*exclude)[PROTO_PKBYTES] = NULL;
	uint8_t *ents = NULL;
	struct put_round *pr = NULL;
	struct frame resp = {0};
	char last[PROTO_ERRMSG_MAX + 80] = "", place_why[sizeof(em->text)] = "";
	unsigned nplaced = 0, nexcl = 0, need, thr = ns->opts.repair_threshold;
	size_t maxlen = 0;
	int rc;

	if (n == 0 || n > PROTO_PLACE_MAX || k == 0 || k >= n)
		return dz_errf(em, DZ_EINVAL, "bad code %u-of-%u", k, n);
	if (thr != 0 && (thr <= k || thr > n))
		return dz_errf(em, DZ_EINVAL, "a repair threshold of %u does not fit a "
		    "%u-of-%u code (it must be above %u and at most %u)", thr, k, n, k, n);
	need = put_needed(k, n, ns->opts.put_needed);
	if ((rc = netstore_thread(ns, &t, em)) != 0)
		return rc;
	for (unsigned i = 0; i < n; i++)
		if (lens[i] > maxlen)
			maxlen = lens[i];
	if (maxlen > PROTO_FRAG_MAX)
		return dz_errf(em, DZ_ERANGE, "a fragment of %zu bytes is too large", maxlen);
	/* a ticket binds one size: every fragment of a segment has it */
	for (unsigned i = 0; i < n; i++)
		if (lens[i] != maxlen)
			return dz_errf(em, DZ_EINVAL, "fragments of one segment differ "
			    "in size");
	if ((exclude = calloc(PROTO_PLACE_MAX, PROTO_PKBYTES)) == NULL ||
	    (pnames = calloc(PROTO_PLACE_MAX, PROTO_NAMEBYTES)) == NULL ||
	    (rep = calloc(1, sizeof(*rep))) == NULL ||
	    (pr = calloc(1, sizeof(*pr))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	/* Rounds: place what is not stored yet on peers not tried yet for
	 * this segment; a round with no peer left ends the placing. */
	for (unsigned round = 0; nplaced < n && round < ns->opts.put_rounds; round++) {
		unsigned m = 0;
		size_t kept = 0;

		for (unsigned i = 0; i < n; i++)
			if (!placed[i]) {
				memcpy(pnames[m], names + (size_t)i * PROTO_NAMEBYTES,
				    PROTO_NAMEBYTES);
				idx[m++] = i;
			}
		/* the quota is checked for the segment once, at its first PLACE */
		rc = place_some(ns, n - nplaced, round == 0 ? k : 0, maxlen,
		    (const uint8_t (*)[PROTO_NAMEBYTES])pnames,
		    (const uint8_t (*)[PROTO_PKBYTES])exclude, nexcl, rep, place_why,
		    sizeof(place_why), em);
		if (rc == DZ_ETOOFEW) {
			rc = 0;
			break;
		}
		if (rc != 0)
			goto out;
		m = rep->npeers;
		for (unsigned j = 0; j < m; j++) {
			unsigned i = idx[j];

			/* FRAG_PUT: name, ticket, u32 length, then the fragment,
			 * which goes out from where it lies */
			proto_frag_put_prefix(pre[j], names + (size_t)i * PROTO_NAMEBYTES,
			    &rep->tickets[j], (uint32_t)lens[i]);
			memset(&reqs[j], 0, sizeof(reqs[j]));
			reqs[j].addr = rep->peers[j].addr;
			reqs[j].pk = rep->peers[j].pk;
			reqs[j].type = PROTO_FRAG_PUT;
			reqs[j].prefix = pre[j];
			reqs[j].prefix_len = PROTO_FRAG_PUT_PREFIX;
			reqs[j].body = frags[i];
			reqs[j].len = lens[i];
			pr->code[j] = 0;
			pr->why[j][0] = '\0';
		}
		/* the outcome is read per request below */
		/* Stragglers: once three quarters are stored, the rest get as
		 * long again (at least NS_GRACE_MS) before they go elsewhere. */
		rc = rpc_call_many_grace(t->rpc, reqs, m, m, m >= 4 ? m - m / 4 : 0,
		    NS_GRACE_MS, ns->opts.deadline_ms, put_accept, pr, &kept, NULL);
		rc = 0;
		for (unsigned j = 0; j < m; j++) {
			unsigned i = idx[j];

			if (nexcl < PROTO_PLACE_MAX)
				memcpy(exclude[nexcl++], rep->peers[j].pk, PROTO_PKBYTES);
			if (reqs[j].status == RPC_KEPT) {
				placed[i] = 1;
				memcpy(holder[i], rep->peers[j].pk, PROTO_PKBYTES);
				nplaced++;
				continue;
			}
			if (reqs[j].status == RPC_REJECTED)
				snprintf(last, sizeof(last), "peer %s: %s", reqs[j].addr, pr->why[j]);
			else
				snprintf(last, sizeof(last), "peer %s: %s", reqs[j].addr,
				    reqs[j].status == DZ_EIO || reqs[j].status == DZ_ECONNECT ? "unreachable, or too slow compared with the others" :
				    dz_strerror(reqs[j].status));
		}
	}
	/* Enough is a success: the rest are committed without a holder, so
	 * the coordinator knows them missing and repairs them. */
	if (nplaced < need) {
		rc = dz_errf(em, DZ_ETOOFEW,
		    "segment %llu: only %u of %u fragments stored, a %u-of-%u put needs "
		    "at least %u on distinct peers with room%s%s%s%s",
		    (unsigned long long)seq, nplaced, n, k, n, need,
		    place_why[0] != '\0' ? "; " : "", place_why,
		    last[0] != '\0' ? "; last failure: " : "", last);
		goto out;
	}
	if ((ents = malloc((size_t)n * PROTO_COMMIT_ENTBYTES)) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		struct proto_commit_ent e;

		e.seg = seq;
		e.index = (uint8_t)i;
		memcpy(e.name, names + (size_t)i * PROTO_NAMEBYTES, PROTO_NAMEBYTES);
		e.size = (uint32_t)lens[i];
		if (placed[i])
			memcpy(e.peer, holder[i], PROTO_PKBYTES);
		else
			memset(e.peer, 0, PROTO_PKBYTES);
		proto_commit_ent_put(ents + (size_t)i * PROTO_COMMIT_ENTBYTES, &e);
	}
	memcpy(fc.object_id, object_id, PROTO_IDBYTES);
	fc.k = (uint8_t)k;
	fc.n = (uint8_t)n;
	fc.threshold = (uint8_t)thr;
	fc.nentries = n;
	fc.entries = ents;
	rc = netstore_coord_call(ns, PROTO_FRAGS_COMMIT, &fc, &resp, em);
	frame_free(&resp);
	if (rc == DZ_ECONFLICT)
		rc = dz_errf(em, DZ_EFORMAT, "the coordinator answered FRAGS_COMMIT oddly");
out:
	free(ents);
	free(pnames);
	free(exclude);
	free(rep);
	free(pr);
	return rc;
}
