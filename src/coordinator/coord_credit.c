/*
 * coord_credit: availability, earned space and quota (see coord_credit.h
 * for the rules), the CREDIT and QUOTA requests, and operator grants.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/coord_credit.h"
#include "coordinator/coord_int.h"

static int64_t
bucket_width(const struct coord *co)
{
	int64_t w = (int64_t)co->opts.availability_window / COORD_UPTIME_BUCKETS;

	return w > 0 ? w : 1;
}

int64_t
coord_credit_from(const struct coord *co, int64_t now)
{
	return (now - (int64_t)co->opts.availability_window) / bucket_width(co);
}

void
coord_credit_seen(struct coord *co, const struct db_peer *old, int64_t now)
{
	int64_t gap = now - old->last_heartbeat;
	struct dz_errmsg em;

	/* online all along: it had not left and was never silent past the
	 * timeout; otherwise its absence earns nothing */
	if (old->left_at != 0 || gap <= 0 || gap > (int64_t)co->opts.peer_timeout)
		return;
	(void)!db_credit_uptime_add(co->db, old->id, now / bucket_width(co),
	    (uint64_t)gap, coord_credit_from(co, now), &em);
}

int
coord_credit_online(const struct coord *co, const struct db_credit_peer *c,
    int64_t now)
{
	return c->p.left_at == 0 &&
	    c->p.last_heartbeat >= now - (int64_t)co->opts.peer_timeout;
}

double
coord_credit_avail(const struct coord *co, const struct db_credit_peer *c,
    int64_t now)
{
	int64_t span = now - c->p.first_seen;
	double online = (double)c->uptime;

	if (span > (int64_t)co->opts.availability_window)
		span = (int64_t)co->opts.availability_window;
	if (span < 1)
		span = 1;
	/* since its last heartbeat: online until the timeout says otherwise */
	if (coord_credit_online(co, c, now) && now > c->p.last_heartbeat)
		online += (double)(now - c->p.last_heartbeat);
	return online >= (double)span ? 1.0 : online / (double)span;
}

uint64_t
coord_credit_proven(const struct db_credit_peer *c)
{
	uint64_t held = c->state <= PROTO_PEER_TRUSTED ? c->held : 0;
	uint64_t ph = c->ph_proven * (uint64_t)c->ph_block, p;

	if (c->ph_block != 0 && ph / c->ph_block != c->ph_proven)
		ph = UINT64_MAX; /* cut to the offer below */
	p = held > UINT64_MAX - ph ? UINT64_MAX : held + ph;
	return p < c->p.capacity ? p : c->p.capacity;
}

/* The earned bytes of one peer. */
static uint64_t
peer_earned(const struct coord *co, const struct db_credit_peer *c, double a)
{
	if (a < co->opts.min_availability || a <= 0)
		return 0;
	return (uint64_t)floor((double)coord_credit_proven(c) * a);
}

int
coord_credit_account(struct coord *co, int64_t account, struct coord_credit *out,
    struct dz_errmsg *em)
{
	struct db_credit_peer *peers;
	int64_t now = coord_now(co);
	double wsum = 0;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->base = co->opts.base_quota;
	if ((peers = calloc(PROTO_CREDIT_MAXPEERS, sizeof(*peers))) == NULL)
		return DZ_ENOMEM;
	if ((rc = db_account_used(co->db, account, &out->used, em)) != 0 ||
	    (rc = db_credit_grant_get(co->db, account, &out->grant, em)) != 0 ||
	    (rc = db_credit_peers(co->db, account, NULL, coord_credit_from(co, now),
	    peers, PROTO_CREDIT_MAXPEERS, &n, em)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		double a = coord_credit_avail(co, &peers[i], now);
		uint64_t p = coord_credit_proven(&peers[i]);

		out->earned += peer_earned(co, &peers[i], a);
		out->proven += p;
		wsum += (double)p * a;
	}
	out->avail = out->proven > 0 ? wsum / (double)out->proven : 0;
	/* every part below 2^62 (db.c's bounds, peers listed): no wrap */
	if (out->earned > INT64_MAX / 4)
		out->earned = INT64_MAX / 4;
	if (out->base > INT64_MAX / 4)
		out->base = INT64_MAX / 4;
	out->quota = out->base + out->earned + out->grant;
out:
	free(peers);
	return rc;
}

/* "12.3 MiB" */
static void
human(uint64_t v, char out[32])
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(out, 32, u == 0 ? "%.0f %s" : "%.1f %s", d, unit[u]);
}

void
coord_credit_refusal(struct coord *co, const struct coord_credit *c,
    uint64_t need, struct dz_errmsg *em)
{
	uint64_t short_by, over;

	/* saturating: need comes from the network */
	if (__builtin_add_overflow(c->used, need, &over))
		over = UINT64_MAX;
	short_by = over > c->quota ? over - c->quota : 0;
	double a = c->avail >= co->opts.min_availability && c->avail > 0 ?
	    c->avail : 1.0;
	char hu[32], hq[32], hn[32], hd[32], up[96] = "";

	human(c->used, hu);
	human(c->quota, hq);
	human(need, hn);
	human((uint64_t)ceil((double)short_by / a), hd);
	/* uptime: the availability at which what is proven now would earn
	 * enough (only if it can be reached) */
	if (c->proven > 0) {
		double want = ((double)c->earned + (double)short_by) / (double)c->proven;

		if (want < co->opts.min_availability)
			want = co->opts.min_availability;
		if (want <= 1.0)
			snprintf(up, sizeof(up), ", or keep your peers online %.0f%% "
			    "of the time (now %.0f%%)", ceil(want * 100), c->avail * 100);
		else
			snprintf(up, sizeof(up), " (more uptime alone cannot make room)");
	}
	dz_errf(em, DZ_EQUOTA,
	    "over quota: %llu of %llu bytes used (%s of %s: base %llu + earned "
	    "%llu + granted %llu), this needs %s more; to make room offer about "
	    "%s more disk on a peer online %.0f%% of the time%s, or delete files",
	    (unsigned long long)c->used, (unsigned long long)c->quota, hu, hq,
	    (unsigned long long)c->base, (unsigned long long)c->earned,
	    (unsigned long long)c->grant, hn, hd, a * 100, up);
}

int
coord_credit_room(struct coord *co, int64_t account, uint64_t need,
    struct dz_errmsg *em)
{
	struct coord_credit c;
	int rc;

	if ((rc = coord_credit_account(co, account, &c, em)) != 0)
		return rc;
	if (c.used <= c.quota && need <= c.quota - c.used)
		return 0;
	coord_credit_refusal(co, &c, need, em);
	return DZ_EQUOTA;
}

int
coord_credit_grants(struct coord *co, struct dz_errmsg *em)
{
	struct db_account a;
	int rc;

	for (size_t i = 0; i < co->opts.ngrants; i++) {
		const struct coord_grant *g = &co->opts.grants[i];

		memset(&a, 0, sizeof(a));
		if ((rc = db_account_get(co->db, g->user, &a, NULL)) != 0)
			return dz_errf(em, rc == DZ_ENOENT ? DZ_ENOENT : rc,
			    "grant to %s: no such account", g->user);
		if ((rc = db_credit_grant_set(co->db, a.id, g->bytes, em)) != 0)
			return rc;
		coord_log(co, "grant: %s may store %llu bytes more", g->user,
		    (unsigned long long)g->bytes);
	}
	co->opts.grants = NULL; /* borrowed: used only here */
	co->opts.ngrants = 0;
	return 0;
}

static uint16_t
wire_avail(double a)
{
	return (uint16_t)lround(a * PROTO_AVAIL_ONE);
}

int
coord_credit(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	struct coord *co = s->co;
	struct proto_credit_rep *rep = NULL;
	struct db_credit_peer *peers = NULL;
	struct coord_credit c;
	int64_t now = coord_now(co);
	uint64_t online, total;
	size_t n = 0;
	int rc;

	(void)msg;
	if ((rep = calloc(1, sizeof(*rep))) == NULL ||
	    (peers = calloc(PROTO_CREDIT_MAXPEERS, sizeof(*peers))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if ((rc = coord_credit_account(co, s->account, &c, em)) != 0 ||
	    (rc = db_credit_peers(co->db, s->account, NULL, coord_credit_from(co, now),
	    peers, PROTO_CREDIT_MAXPEERS, &n, em)) != 0 ||
	    (rc = db_peer_count(co->db, now, co->opts.peer_timeout, &online,
	    &total, em)) != 0)
		goto out;
	rep->used = c.used;
	rep->earned = c.earned;
	rep->base = c.base;
	rep->grant = c.grant;
	rep->quota = c.quota;
	rep->min_avail = wire_avail(co->opts.min_availability);
	rep->window = co->opts.availability_window;
	rep->peers_total = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
	rep->peers_online = online > rep->peers_total ? rep->peers_total :
	    (uint32_t)online;
	rep->npeers = (uint16_t)n;
	for (size_t i = 0; i < n; i++) {
		const struct db_credit_peer *p = &peers[i];
		struct proto_credit_peer *o = &rep->peers[i];
		double a = coord_credit_avail(co, p, now);

		memcpy(o->pk, p->p.id, sizeof(o->pk));
		o->capacity = p->p.capacity;
		o->proven = coord_credit_proven(p);
		o->held = p->held;
		o->earned = peer_earned(co, p, a);
		o->avail = wire_avail(a);
		o->online = (uint8_t)coord_credit_online(co, p, now);
		o->state = (uint8_t)(p->state <= 3 ? p->state : 3);
		o->audits_passed = p->audits_passed;
		o->audits_failed = p->audits_failed;
		o->ph_block = p->ph_block;
		o->ph_claimed = p->ph_claimed;
		o->ph_proven = p->ph_proven < p->ph_claimed ? p->ph_proven : p->ph_claimed;
		o->ph_passed = p->ph_passed;
		o->ph_failed = p->ph_failed;
	}
	rc = coord_send(s, reqid, PROTO_CREDIT_REP, rep);
out:
	free(peers);
	free(rep);
	return rc;
}

int
coord_quota(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_quota *m = msg;
	struct proto_empty rep = {0};
	int rc;

	if ((rc = coord_credit_room(s->co, s->account, m->bytes, em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_QUOTA_REP, &rep);
}
