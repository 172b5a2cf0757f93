/*
 * coord_health: OBJ_HEALTH, the health of the caller's stored objects
 * (docs/protocol.md, "Health of stored objects"; docs/durability.md).
 *
 * For each object asked about, the reply lists its segments worst first
 * with the number of fragments on healthy holders and those holders'
 * measured availability, which is what a client needs to show `H/N` and
 * estimate durability. Only the caller's account's fragments are read:
 * another account's object id reads as an object with no segments, so
 * the request tells nobody anything about objects they do not own.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/coord_int.h"

/* One object's listed segments, built as db_obj_health calls back. */
struct health_acc {
	struct proto_obj_hstate *o;
	uint8_t *buf;    /* nlisted x PROTO_HEALTH_SEGBYTES */
	size_t cap;      /* entries buf holds */
};

static int
health_seg(void *arg, const struct db_seg_health *h)
{
	struct health_acc *a = arg;
	struct proto_health_seg e;
	uint8_t *nb;
	size_t ncap;

	a->o->nsegs++;
	if (a->o->nlisted >= PROTO_HEALTH_MAXSEGS)
		return 0; /* the rest are at least as healthy: counted only */
	if (a->o->nlisted == a->cap) {
		ncap = a->cap == 0 ? 64 : a->cap * 2;
		if (ncap > PROTO_HEALTH_MAXSEGS)
			ncap = PROTO_HEALTH_MAXSEGS;
		if ((nb = realloc(a->buf, ncap * PROTO_HEALTH_SEGBYTES)) == NULL)
			return DZ_ENOMEM;
		a->buf = nb;
		a->cap = ncap;
	}
	e.healthy = (uint8_t)h->healthy;
	/* rounding is monotonic, so the database's order stays sorted */
	e.avail = e.healthy == 0 ? 0 :
	    (uint16_t)lround(h->avail * PROTO_HEALTH_AVAIL_ONE);
	proto_health_seg_put(a->buf + (size_t)a->o->nlisted * PROTO_HEALTH_SEGBYTES, &e);
	a->o->nlisted++;
	return 0;
}

int
coord_obj_health(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_obj_health *m = msg;
	struct proto_obj_health_rep *rep;
	uint8_t *bufs[PROTO_HEALTH_MAXOBJ] = {0};
	int64_t now = coord_now(s->co);
	int rc = 0;

	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return DZ_ENOMEM;
	rep->nobjs = m->nobjs;
	for (size_t i = 0; rc == 0 && i < m->nobjs; i++) {
		struct health_acc a = {&rep->objs[i], NULL, 0};

		rc = db_obj_health(s->co->db, s->account, m->ids[i], now,
		    (int64_t)s->co->opts.grace, health_seg, &a, em);
		bufs[i] = a.buf;
		rep->objs[i].segs = a.buf;
		if (rc == 0) {
			unsigned t;

			rc = db_object_threshold(s->co->db, s->account, m->ids[i],
			    &t, em);
			rep->objs[i].threshold = (uint8_t)t;
		}
	}
	if (rc == 0)
		rc = coord_send(s, reqid, PROTO_OBJ_HEALTH_REP, rep);
	for (size_t i = 0; i < m->nobjs; i++)
		free(bufs[i]);
	free(rep);
	return rc;
}
