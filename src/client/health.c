/*
 * health: OBJ_HEALTH for the client, and the durability it implies
 * (health.h).
 */
#include "client/health.h"

#include <stdlib.h>
#include <string.h>

#include "client/durability.h"
#include "net/frame.h"
#include "net/proto.h"

/* One reply object into *out, judged against the code k-of-n. */
static int
health_one(const struct proto_obj_hstate *o, unsigned k, unsigned n,
    struct health_obj *out, struct dz_errmsg *em)
{
	struct proto_health_seg e;
	struct dur_file df;
	double seg = 1.0;

	memset(out, 0, sizeof(*out));
	out->nsegs = o->nsegs;
	out->threshold = o->threshold;
	dur_file_init(&df);
	for (uint32_t i = 0; i < o->nlisted; i++) {
		if (proto_health_seg_get(o, i, &e) != 0)
			return DZ_EINVAL; /* unreachable: i < nlisted */
		if (e.healthy > n)
			return dz_errf(em, DZ_EFORMAT, "the coordinator counts %u "
			    "healthy fragments of a segment coded %u-of-%u",
			    (unsigned)e.healthy, k, n);
		if (i == 0)
			out->healthy = e.healthy;
		seg = dur_segment_loss(e.healthy, k,
		    dur_holder_loss((double)e.avail / PROTO_HEALTH_AVAIL_ONE),
		    DUR_REPAIR_DAYS);
		dur_file_add(&df, seg, 1);
	}
	/* unlisted segments are at least as healthy as the last listed one:
	 * counting them as that one errs on the side of caution */
	dur_file_add(&df, seg, o->nsegs - o->nlisted);
	/* no segment known: nothing the coordinator vouches for */
	out->loss = o->nsegs == 0 ? 1.0 : dur_file_loss(&df);
	return 0;
}

int
health_query(struct netstore *ns, const uint8_t (*ids)[32],
    const uint8_t *k, const uint8_t *n, size_t count, struct health_obj *out,
    struct dz_errmsg *em)
{
	struct proto_obj_health_rep *rep;
	int rc = 0;

	if ((rep = malloc(sizeof(*rep))) == NULL)
		return DZ_ENOMEM;
	for (size_t at = 0; rc == 0 && at < count; at += PROTO_HEALTH_MAXOBJ) {
		size_t batch = count - at < PROTO_HEALTH_MAXOBJ ? count - at :
		    PROTO_HEALTH_MAXOBJ;
		struct proto_obj_health req = {(uint16_t)batch, ids + at};
		struct frame r;

		if ((rc = netstore_coord_call(ns, PROTO_OBJ_HEALTH, &req, &r, em)) != 0)
			break;
		if ((rc = proto_obj_health_rep_decode(r.body, r.len, rep)) != 0)
			dz_errf(em, rc, "the coordinator sent a malformed health reply");
		else if (rep->nobjs != batch)
			rc = dz_errf(em, DZ_EFORMAT, "the coordinator answered for %u "
			    "objects, not %zu", (unsigned)rep->nobjs, batch);
		for (size_t i = 0; rc == 0 && i < batch; i++)
			rc = health_one(&rep->objs[i], k[at + i], n[at + i],
			    &out[at + i], em);
		frame_free(&r); /* rep points into it: done with both */
	}
	free(rep);
	return rc;
}
