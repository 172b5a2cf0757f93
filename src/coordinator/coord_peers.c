/*
 * coord_peers: the peer registry, placement and fragment locations.
 *
 * A peer registers and sends heartbeats on a connection whose TLS key is
 * its id, so no peer can speak for another. A peer is online while its
 * last heartbeat is at most opts.peer_timeout seconds old and it has not
 * said it is leaving (PEER_LEAVE, sent when it is stopped). PLACE answers
 * n distinct online peers, most free space first, that are not excluded,
 * not suspended or disqualified by audits (coord_audit.h; vetting peers
 * get a limited share while enough trusted ones exist),
 * not owned by the asking account, and have room for the fragment (and
 * refuses a put that would exceed the account's quota); FRAGS_COMMIT
 * records where an account's fragments went, and the object's code and
 * repair threshold (a fragment that could not be placed is committed
 * without a peer: its name is known, for repair; names are the account's own:
 * another account's commit of the same name is another fragment, so it
 * can neither block nor redirect this one), FRAGS_LOCATE tells where
 * they are now (only the asking account's fragments; online holders
 * first), OBJ_DELETE forgets an object.
 *
 * Owners: PEER_REGISTER may name the account running the peer. The name
 * is looked up at registration and its account id stored; an unknown name
 * stores no owner, and a later sign-up of that name binds nothing until
 * the peer registers again. The claim is not verified, and need not be for
 * what it is used for: it can only keep the named account's fragments
 * OFF the peer, which harms nobody else. The owner is also credited
 * with the peer's proven space (coord_credit.c), which is why the claim
 * is being replaced by a verified binding (`peer --home`).
 *
 * Not yet: a claimed datacentre flag is not believed (nothing verifies it
 * yet), so it is stored as 0; peers are not told when an object is
 * deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/coord_credit.h"
#include "coordinator/coord_int.h"
#include "coordinator/db_audit.h"

/* A vetting peer gets at most one fragment in COORD_VETTING_DIV (at
 * least one) of each segment while enough trusted peers exist. */
#define COORD_VETTING_DIV 10

/* Heartbeat interval assumed for availability: a third of the timeout. */
static int64_t
hb_interval(const struct coord *co)
{
	int64_t i = co->opts.peer_timeout / 3;

	return i > 0 ? i : 1;
}

/*
 * A peer listening on every address ("0.0.0.0:P", "[::]:P") is reached at
 * the address it connects from, with its port: out gets that form.
 */
static void
peer_addr(const struct coord_sess *s, const char *claimed, char *out, size_t cap)
{
	const char *port = strrchr(claimed, ':'), *from = conn_peer_addr(s->c);
	const char *fcolon = from != NULL ? strrchr(from, ':') : NULL;

	if (port != NULL && fcolon != NULL &&
	    (strncmp(claimed, "0.0.0.0:", 8) == 0 || strncmp(claimed, "[::]:", 5) == 0) &&
	    snprintf(out, cap, "%.*s%s", (int)(fcolon - from), from, port) < (int)cap)
		return;
	snprintf(out, cap, "%s", claimed);
}

int
coord_peer_register(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_peer_register *m = msg;
	struct proto_empty rep = {0};
	struct db_peer p, old;
	struct db_account a;
	int64_t now = coord_now(s->co);
	int rc, known;

	memset(&p, 0, sizeof(p));
	memcpy(p.id, s->pk, DB_IDBYTES);
	peer_addr(s, m->addr, p.addr, sizeof(p.addr));
	p.capacity = m->capacity;
	p.used = m->used;
	p.flags = 0; /* the datacentre claim is not believed yet */
	/* the owner claim is believed: it only keeps its account's fragments
	 * away (see the top of this file); a name that is no account (or
	 * could be none) binds none */
	if (m->owner[0] != '\0') {
		memset(&a, 0, sizeof(a));
		rc = db_account_get(s->co->db, m->owner, &a, NULL);
		if (rc == 0)
			p.owner = a.id;
		else if (rc != DZ_ENOENT && rc != DZ_ERANGE && rc != DZ_EINVAL)
			return dz_errf(em, rc, "cannot look up the peer's owner");
	}
	rc = db_peer_get(s->co->db, p.id, &old, NULL);
	known = rc == 0;
	if ((rc = db_peer_upsert(s->co->db, &p, now, em)) != 0)
		return rc;
	if (known)
		coord_credit_seen(s->co, &old, now);
	/* a peer coming back is online from now, and its absence counted */
	if (known && (rc = db_peer_heartbeat(s->co->db, p.id, m->used, now,
	    hb_interval(s->co), em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_PEER_REGISTER_REP, &rep);
}

/* PEER_LEAVE: the peer is stopping (SIGINT, SIGTERM): offline at once
 * rather than after the heartbeat timeout, so that nobody is sent to it
 * meanwhile. Its next registration or heartbeat brings it back. */
int
coord_peer_leave(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	struct proto_empty rep = {0};
	int rc;

	(void)msg;
	rc = db_peer_leave(s->co->db, s->pk, coord_now(s->co), em);
	if (rc == DZ_ENOENT)
		return dz_errf(em, rc, "unknown peer: it never registered");
	if (rc != 0)
		return rc;
	return coord_send(s, reqid, PROTO_PEER_LEAVE_REP, &rep);
}

int
coord_peer_heartbeat(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_peer_heartbeat *m = msg;
	struct proto_empty rep = {0};
	struct db_peer p;
	int64_t now = coord_now(s->co);
	int rc;

	rc = db_peer_get(s->co->db, s->pk, &p, em);
	if (rc == DZ_ENOENT)
		return dz_errf(em, rc, "unknown peer: send PEER_REGISTER first");
	if (rc != 0)
		return rc;
	coord_credit_seen(s->co, &p, now);
	if (p.capacity != m->capacity) { /* offered space changed */
		p.capacity = m->capacity;
		p.used = m->used;
		if ((rc = db_peer_upsert(s->co->db, &p, now, em)) != 0)
			return rc;
	}
	if ((rc = db_peer_heartbeat(s->co->db, s->pk, m->used, now,
	    hb_interval(s->co), em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_PEER_HEARTBEAT_REP, &rep);
}

static int
excluded(const struct proto_place *m, const uint8_t *pk)
{
	for (size_t i = 0; i < m->nexclude; i++)
		if (memcmp(m->exclude[i], pk, PROTO_PKBYTES) == 0)
			return 1;
	return 0;
}

/* Keep, in place, the first peers of p[0..n) that the request does not
 * exclude and whose address fits a reply; returns how many. */
static size_t
eligible(const struct proto_place *m, struct db_peer *p, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (!excluded(m, p[i].id) && strlen(p[i].addr) <= PROTO_ADDR_MAX)
			p[kept++] = p[i];
	return kept;
}

static void
add_peer(struct proto_place_rep *rep, const struct db_peer *p)
{
	memcpy(rep->peers[rep->npeers].pk, p->id, PROTO_PKBYTES);
	memcpy(rep->peers[rep->npeers].addr, p->addr, strlen(p->addr) + 1);
	rep->npeers++;
}

int
coord_place(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_place *m = msg;
	struct coord *co = s->co;
	struct proto_place_rep *rep = NULL;
	struct db_peer *peers = NULL;
	size_t cap = (size_t)m->n + m->nexclude, nt = 0, nv = 0, share;
	int64_t since = coord_now(co) - (int64_t)co->opts.peer_timeout;
	int rc;

	/* the segment counted once (k fragments), as used counts it; a
	 * further PLACE of a checked segment (k 0) needs only not be over */
	if ((rc = coord_credit_room(co, s->account, (uint64_t)m->k * m->frag_size,
	    em)) != 0)
		return rc;
	/* Trusted and vetting peers with room, each sorted by free space: at
	 * most nexclude of the first n + nexclude of either are excluded.
	 * Never the uploader's own peers (filtered by the database, so the
	 * bound holds); never suspended or disqualified ones. */
	if ((peers = calloc(2 * cap, sizeof(*peers))) == NULL ||
	    (rep = calloc(1, sizeof(*rep))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if ((rc = db_audit_place(co->db, since, s->account, PROTO_PEER_TRUSTED,
	    m->frag_size, peers, cap, &nt, em)) != 0 ||
	    (rc = db_audit_place(co->db, since, s->account, PROTO_PEER_VETTING,
	    m->frag_size, peers + cap, cap, &nv, em)) != 0)
		goto out;
	nt = eligible(m, peers, nt);
	nv = eligible(m, peers + cap, nv);
	/* Vetting peers get a share of each segment (one in COORD_VETTING_DIV),
	 * which is how they earn their audits; where there are not n trusted
	 * peers (a new or small network) they fill what trusted ones cannot,
	 * or nothing could be stored at all. */
	share = m->n / COORD_VETTING_DIV > 0 ? m->n / COORD_VETTING_DIV : 1;
	if (nt >= m->n)
		nv = nv < share ? nv : share;
	else if (nv > (size_t)m->n - nt)
		nv = (size_t)m->n - nt;
	if (nt > (size_t)m->n - nv)
		nt = (size_t)m->n - nv;
	for (size_t i = 0; i < nt; i++)
		add_peer(rep, &peers[i]);
	for (size_t i = 0; i < nv; i++)
		add_peer(rep, &peers[cap + i]);
	if (rep->npeers < m->n) {
		rc = dz_errf(em, DZ_ETOOFEW, "only %u peers online with room, need %u "
		    "(peers run by your own account never count)",
		    (unsigned)rep->npeers, (unsigned)m->n);
		goto out;
	}
	rc = coord_send(s, reqid, PROTO_PLACE_REP, rep);
out:
	free(peers);
	free(rep);
	return rc;
}

int
coord_frags_commit(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_frags_commit *m = msg;
	struct proto_empty rep = {0};
	struct proto_commit_ent e;
	struct db_frag_loc *locs;
	int rc = 0;

	if (m->nentries == 0)
		return coord_send(s, reqid, PROTO_FRAGS_COMMIT_REP, &rep);
	/* the object's code first: fragments without it would never be
	 * repaired, an object row without fragments harms nothing */
	if ((rc = db_object_put(s->co->db, s->account, m->object_id, m->k, m->n,
	    coord_repair_threshold(s->co, m->k, m->n, m->threshold),
	    coord_now(s->co), em)) != 0)
		return rc;
	if ((locs = calloc(m->nentries, sizeof(*locs))) == NULL)
		return DZ_ENOMEM;
	for (size_t i = 0; rc == 0 && i < m->nentries; i++) {
		if ((rc = proto_frags_commit_ent(m, i, &e)) != 0)
			break;
		if (e.seg > UINT32_MAX) {
			rc = dz_errf(em, DZ_ERANGE, "segment index %llu is out of range",
			    (unsigned long long)e.seg);
			break;
		}
		memcpy(locs[i].name, e.name, DB_IDBYTES);
		memcpy(locs[i].peer, e.peer, DB_IDBYTES);
		memcpy(locs[i].object, m->object_id, DB_IDBYTES);
		locs[i].account = s->account;
		locs[i].segment = (uint32_t)e.seg;
		locs[i].index = e.index;
		locs[i].size = e.size;
	}
	if (rc == 0 && (rc = db_frag_add(s->co->db, locs, m->nentries, em)) == 0)
		rc = coord_send(s, reqid, PROTO_FRAGS_COMMIT_REP, &rep);
	free(locs);
	return rc;
}

/* Holders of one name, collected inside db_frag_lookup (which must not be
 * re-entered), looked up afterwards. */
#define LOCATE_SCAN 64
struct holders {
	int64_t account;
	size_t n;
	uint8_t peer[LOCATE_SCAN][DB_IDBYTES];
};

static int
collect_holder(void *arg, const struct db_frag_loc *loc)
{
	struct holders *h = arg;

	/* another account's fragment looks the same as an unknown one */
	if (loc->account != h->account || h->n >= LOCATE_SCAN)
		return 0;
	memcpy(h->peer[h->n++], loc->peer, DB_IDBYTES);
	return 0;
}

int
coord_frags_locate(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_frags_locate *m = msg;
	struct coord *co = s->co;
	struct proto_frags_locate_rep *rep;
	struct holders h;
	struct db_peer p;
	int64_t now = coord_now(co);
	int rc = 0;

	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return DZ_ENOMEM;
	rep->nnames = m->nnames;
	for (size_t i = 0; rc == 0 && i < m->nnames; i++) {
		struct proto_locs *out = &rep->names[i];

		memset(&h, 0, sizeof(h));
		h.account = s->account;
		if ((rc = db_frag_lookup(co->db, s->account, &m->names[i], 1,
		    collect_holder, &h, em)) != 0)
			break;
		/* pass 0: online holders, pass 1: the others */
		for (int pass = 0; pass < 2; pass++)
			for (size_t j = 0; j < h.n && out->nlocs < PROTO_LOCATE_MAXLOCS; j++) {
				int online;

				if (db_peer_get(co->db, h.peer[j], &p, NULL) != 0 ||
				    strlen(p.addr) > PROTO_ADDR_MAX)
					continue;
				online = p.left_at == 0 &&
				    p.last_heartbeat >= now - (int64_t)co->opts.peer_timeout;
				if (online != (pass == 0))
					continue;
				memcpy(out->locs[out->nlocs].pk, p.id, PROTO_PKBYTES);
				memcpy(out->locs[out->nlocs].addr, p.addr, strlen(p.addr) + 1);
				out->nlocs++;
			}
	}
	if (rc == 0)
		rc = coord_send(s, reqid, PROTO_FRAGS_LOCATE_REP, rep);
	free(rep);
	return rc;
}

int
coord_obj_delete(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_obj_delete *m = msg;
	struct proto_empty rep = {0};
	int rc;

	if ((rc = db_frag_del_object(s->co->db, s->account, m->object_id, NULL,
	    NULL, NULL, em)) != 0 ||
	    (rc = db_object_del(s->co->db, s->account, m->object_id, em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_OBJ_DELETE_REP, &rep);
}
