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
 * refuses a put that would exceed the account's quota), each with a
 * signed placement ticket for the name it is to hold (net/ticket.h; the
 * tickets issued are kept, db_ticket.h); FRAGS_COMMIT records where an
 * account's fragments went, only where a ticket of the account placed
 * them and with the ticket's size (else it refuses the commit), and the
 * object's code and
 * repair threshold (a fragment that could not be placed is committed
 * without a peer: its name is known, for repair; names are the account's own:
 * another account's commit of the same name is another fragment, so it
 * can neither block nor redirect this one), FRAGS_LOCATE tells where
 * they are now (only the asking account's fragments; online holders
 * first), OBJ_DELETE forgets an object.
 *
 * Admission (coord_admit.c): a peer registers for an account, with a
 * binding signed by one of the account's logged-in devices, or as an
 * operator (datacentre) peer the operator listed; anything else is
 * refused. Operator peers start trusted (the operator vouches; audits
 * still run and can suspend them).
 * The verified owner is credited with the peer's proven space
 * (coord_credit.c).
 *
 * Placement spreads each segment over distinct owners and networks
 * (coord_place_owner, coord_place_prefix; the peers a request excludes
 * count as taken, so a client placing what another peer failed does not
 * come back to the same owner), and a peer's claimed free space counts
 * only up to COORD_PLACE_UNPROVEN (ties are broken at random), so that a
 * huge claim wins nothing.
 *
 * Peers are not told when an object is deleted: clean-up (coord_gc.c)
 * sends each peer a filter of what to keep instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coordinator/coord_credit.h"
#include "coordinator/coord_int.h"
#include "coordinator/db_audit.h"
#include "coordinator/db_ticket.h"
#include "core/hex.h"
#include "net/ticket.h"

/* A vetting peer gets at most one fragment in COORD_VETTING_DIV (at
 * least one) of each segment while enough trusted peers exist. */
#define COORD_VETTING_DIV 10
/* Candidates of each state read per PLACE (one per owner): a bound on
 * the work of a request, far above any n. */
#define COORD_PLACE_SCAN 512

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
	char hex[IDENT_HEXBYTES];
	int64_t now = coord_now(s->co);
	int rc, known;

	memset(&p, 0, sizeof(p));
	memcpy(p.id, s->pk, DB_IDBYTES);
	peer_addr(s, m->addr, p.addr, sizeof(p.addr));
	p.capacity = m->capacity;
	p.used = m->used;
	if ((rc = coord_admit_peer(s, m, &p, em)) != 0) {
		coord_log(s->co, "peer %s refused: %s", ident_pk_hex(s->pk, hex),
		    em != NULL ? em->text : dz_strerror(rc));
		return rc;
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
	/* the operator vouches for its own peers: trusted from the start
	 * (audits still run and can suspend them) */
	if ((p.flags & DB_PEER_DATACENTRE) &&
	    !known &&
	    (rc = db_audit_set_state(s->co->db, p.id, PROTO_PEER_TRUSTED, em)) != 0)
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

/* The owners and networks a segment's fragments went to so far. */
struct taken {
	size_t n;
	int64_t owner[2 * PROTO_PLACE_MAX + 2];
	uint8_t prefix[2 * PROTO_PLACE_MAX + 2][COORD_PREFIXBYTES];
};

static int
is_taken(const struct taken *t, const struct db_peer *p, int loopback_one)
{
	uint8_t pre[COORD_PREFIXBYTES];
	int64_t o = coord_place_owner(p);

	coord_place_prefix(p, loopback_one, pre);
	for (size_t i = 0; i < t->n; i++)
		if (t->owner[i] == o || memcmp(t->prefix[i], pre, sizeof(pre)) == 0)
			return 1;
	return 0;
}

static void
take(struct taken *t, const struct db_peer *p, int loopback_one)
{
	if (t->n >= sizeof(t->owner) / sizeof(t->owner[0]))
		return;
	t->owner[t->n] = coord_place_owner(p);
	coord_place_prefix(p, loopback_one, t->prefix[t->n]);
	t->n++;
}

static int
excluded(const struct proto_place *m, const uint8_t *pk)
{
	for (size_t i = 0; i < m->nexclude; i++)
		if (memcmp(m->exclude[i], pk, PROTO_PKBYTES) == 0)
			return 1;
	return 0;
}

static void
add_peer(struct proto_place_rep *rep, const struct db_peer *p)
{
	memcpy(rep->peers[rep->npeers].pk, p->id, PROTO_PKBYTES);
	memcpy(rep->peers[rep->npeers].addr, p->addr, strlen(p->addr) + 1);
	rep->npeers++;
}

/* Add to rep, until it has upto peers, the peers of p[0..n) that the
 * request does not exclude, whose address fits a reply and whose owner
 * and network no fragment of this segment has yet. */
static void
pick(const struct proto_place *m, const struct db_peer *p, size_t n,
    size_t upto, int loopback_one, struct taken *t, uint8_t *used,
    struct proto_place_rep *rep)
{
	for (size_t i = 0; i < n && rep->npeers < upto; i++) {
		if (used[i] || excluded(m, p[i].id) ||
		    strlen(p[i].addr) > PROTO_ADDR_MAX || is_taken(t, &p[i], loopback_one))
			continue;
		used[i] = 1;
		take(t, &p[i], loopback_one);
		add_peer(rep, &p[i]);
	}
}

/* The owners and networks of the peers a request excludes (those it
 * used already for this segment, or that failed): taken. */
static int
take_excluded(struct coord *co, const struct proto_place *m, struct taken *t)
{
	struct db_peer p;

	for (size_t i = 0; i < m->nexclude; i++)
		if (db_peer_get(co->db, m->exclude[i], &p, NULL) == 0)
			take(t, &p, co->opts.test_prefix_loopback);
	return 0;
}

/* Sign ticket i of rep (name i of the PLACE on peer i) and note it in
 * tk[i] for db_ticket_add. */
static int
add_tickets(struct coord_sess *s, const struct proto_place *m,
    struct proto_place_rep *rep, struct db_ticket *tk, struct dz_errmsg *em)
{
	int64_t exp = coord_now(s->co) + COORD_TICKET_TTL;
	int rc;

	for (size_t i = 0; i < rep->npeers; i++) {
		if ((rc = ticket_sign(&rep->tickets[i], s->co->id, s->account,
		    m->names[i], m->frag_size, rep->peers[i].pk, (uint64_t)exp)) != 0)
			return dz_errf(em, rc, "cannot sign a placement ticket");
		memcpy(tk[i].name, m->names[i], DB_IDBYTES);
		memcpy(tk[i].peer, rep->peers[i].pk, DB_IDBYTES);
		tk[i].size = m->frag_size;
		tk[i].expires = exp;
	}
	return db_ticket_add(s->co->db, s->account, tk, rep->npeers,
	    coord_now(s->co) - COORD_TICKET_TTL, em);
}

int
coord_place(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_place *m = msg;
	struct coord *co = s->co;
	struct proto_place_rep *rep = NULL;
	struct db_peer *peers = NULL;
	struct taken *t = NULL;
	uint8_t *used = NULL;
	struct db_ticket *tk = NULL;
	size_t cap = COORD_PLACE_SCAN, nt = 0, nv = 0, share;
	int64_t since = coord_now(co) - (int64_t)co->opts.peer_timeout;
	uint64_t pending, need;
	int lo = co->opts.test_prefix_loopback;
	int rc;

	/* the segment counted once (k fragments), as used counts it; a
	 * further PLACE of a checked segment (k 0) needs only not be over.
	 * Names placed and not committed yet (unexpired tickets) count too,
	 * else PLACE after PLACE without a commit would store for free; they
	 * are fragments, counted k of every n as this segment's code does */
	if ((rc = db_ticket_pending(co->db, s->account, coord_now(co), &pending,
	    em)) != 0)
		return rc;
	need = (uint64_t)m->k * m->frag_size;
	if (m->k > 0 && m->n > 0)
		need += pending / m->n * m->k;
	if ((rc = coord_credit_room(co, s->account, need, em)) != 0)
		return rc;
	/* Trusted and vetting candidates with room, one per owner each, in
	 * order of free space counted up to COORD_PLACE_UNPROVEN (random
	 * among equals). Never the uploader's own peers (filtered by the
	 * database, so the bound holds); never suspended or disqualified
	 * ones. */
	if ((peers = calloc(2 * cap, sizeof(*peers))) == NULL ||
	    (used = calloc(2 * cap, 1)) == NULL ||
	    (t = calloc(1, sizeof(*t))) == NULL ||
	    (tk = calloc(m->n, sizeof(*tk))) == NULL ||
	    (rep = calloc(1, sizeof(*rep))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if ((rc = db_audit_place(co->db, since, s->account, PROTO_PEER_TRUSTED,
	    m->frag_size, peers, cap, &nt, em)) != 0 ||
	    (rc = db_audit_place(co->db, since, s->account, PROTO_PEER_VETTING,
	    m->frag_size, peers + cap, cap, &nv, em)) != 0)
		goto out;
	(void)take_excluded(co, m, t);
	/* Vetting peers get a share of each segment (one in COORD_VETTING_DIV),
	 * which is how they earn their audits; where there are not n trusted
	 * peers (a new or small network) they fill what trusted ones cannot,
	 * or nothing could be stored at all. */
	share = m->n / COORD_VETTING_DIV > 0 ? m->n / COORD_VETTING_DIV : 1;
	pick(m, peers + cap, nv, share < m->n ? share : m->n, lo, t, used + cap, rep);
	pick(m, peers, nt, m->n, lo, t, used, rep);
	pick(m, peers + cap, nv, m->n, lo, t, used + cap, rep);
	if (rep->npeers < m->n) {
		rc = dz_errf(em, DZ_ETOOFEW, "only %u peers of distinct owners and "
		    "networks online with room, need %u (peers run by your own "
		    "account never count)", (unsigned)rep->npeers, (unsigned)m->n);
		goto out;
	}
	if ((rc = add_tickets(s, m, rep, tk, em)) == 0)
		rc = coord_send(s, reqid, PROTO_PLACE_REP, rep);
out:
	free(peers);
	free(used);
	free(t);
	free(tk);
	free(rep);
	return rc;
}

/* The sizes of a commit's locations come from the tickets this account
 * was given (docs/trading.md, "Tickets"): a location without one, or of
 * another size, refuses the whole commit; a fragment committed without
 * a holder takes the size a placed fragment of its segment was ticketed
 * with (all fragments of a segment have one size). */
static int
ticketed_sizes(struct coord_sess *s, struct db_frag_loc *locs, size_t n,
    struct dz_errmsg *em)
{
	uint64_t *sz;
	char hn[9], hp[9];
	int rc;

	if ((sz = calloc(n, sizeof(*sz))) == NULL)
		return DZ_ENOMEM;
	if ((rc = db_ticket_sizes(s->co->db, s->account, locs, n,
	    coord_now(s->co) - COORD_TICKET_TTL, sz, em)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		hex_encode(locs[i].name, 4, hn);
		hex_encode(locs[i].peer, 4, hp);
		if (sodium_is_zero(locs[i].peer, DB_IDBYTES))
			continue;
		if (sz[i] == 0) {
			rc = dz_errf(em, DZ_EDENIED, "fragment %s on peer %s: no "
			    "placement ticket (expired, or never placed there): the "
			    "coordinator records only what it placed", hn, hp);
			goto out;
		}
		if (sz[i] != locs[i].size) {
			rc = dz_errf(em, DZ_EDENIED, "fragment %s was placed with %llu "
			    "bytes, committed with %llu", hn, (unsigned long long)sz[i],
			    (unsigned long long)locs[i].size);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t want = 0;

		if (!sodium_is_zero(locs[i].peer, DB_IDBYTES))
			continue;
		for (size_t j = 0; j < n && want == 0; j++)
			if (sz[j] != 0 && locs[j].segment == locs[i].segment)
				want = sz[j];
		if (want != locs[i].size) {
			hex_encode(locs[i].name, 4, hn);
			rc = dz_errf(em, DZ_EDENIED, "fragment %s was not placed, and no "
			    "placed fragment of its segment has its size", hn);
			goto out;
		}
	}
out:
	free(sz);
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
	int rc = 0, unplaced = 0;

	if (m->nentries == 0)
		return coord_send(s, reqid, PROTO_FRAGS_COMMIT_REP, &rep);
	for (size_t i = 0; i < m->nentries; i++)
		if (proto_frags_commit_ent(m, i, &e) == 0 &&
		    sodium_is_zero(e.peer, sizeof(e.peer)))
			unplaced = 1;
	/* the object's code first: fragments without it would never be
	 * repaired, an object row without fragments harms nothing */
	if ((rc = db_object_put(s->co->db, s->account, m->object_id, m->k, m->n,
	    coord_repair_threshold(s->co, m->k, m->n, m->threshold), unplaced,
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
	if (rc == 0)
		rc = ticketed_sizes(s, locs, m->nentries, em);
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
