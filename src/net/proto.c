/*
 * proto: the bodies of Drizzle's wire messages (see proto.h and
 * docs/protocol.md).
 *
 * Each message's layout is written once, as a "visitor": a short function
 * that names its fields in wire order (io_u64, io_text, io_blob, ...) and
 * states their bounds (io_check). The same visitor runs in three modes:
 * READ parses a body through a struct cur into the struct, MEASURE walks a
 * struct and adds up its encoded length, and WRITE appends it to a wbuf.
 * One description for both directions means encoder and decoder cannot
 * disagree, and the rules the decoder enforces are also enforced on what
 * we send. Every io_* step does nothing once an error is set, so a visitor
 * is a straight list of fields that returns io->err at the end; loops over
 * entries also stop on error, after a count has been checked against its
 * bound (which is what keeps every array index in range).
 *
 * proto_io.c holds the field steps (io_*) the visitors are written in;
 * proto_peer.c, proto_know.c and proto_credit.c the visitors of their
 * headers' messages; proto_msg.c holds the typed per-message functions, the character rules
 * and the other helpers declared in proto.h.
 */
#include "net/proto.h"

#include <string.h>

#include "core/frag.h"
#include "net/frame.h"
#include "net/proto_io.h"

/* The largest bodies must fit a frame, and a fragment of a full segment
 * at k = 4 must fit FRAG_PUT. */
_Static_assert(FRAG_HDRBYTES + (FRAG_MAXSEG + 3) / 4 <= PROTO_FRAG_MAX,
    "a k=4 fragment of the largest segment fits PROTO_FRAG_MAX");
_Static_assert(PROTO_FRAG_PUT_PREFIX + (size_t)PROTO_FRAG_MAX <= FRAME_MAXBODY,
    "FRAG_PUT fits a frame");
_Static_assert(PROTO_IDBYTES + 8 + 4 + (size_t)PROTO_REC_MAX <= FRAME_MAXBODY,
    "REC_PUT fits a frame");
_Static_assert(PROTO_IDBYTES + 3 + 4 +
    (size_t)PROTO_COMMIT_MAX * PROTO_COMMIT_ENTBYTES <= FRAME_MAXBODY,
    "FRAGS_COMMIT fits a frame");
_Static_assert(8 + 4 + 2 + 2 + 4 + (size_t)PROTO_GC_FILTER_MAX <= FRAME_MAXBODY,
    "GC_FILTER fits a frame");
_Static_assert(2 + (size_t)PROTO_HEALTH_MAXOBJ * (8 + 1 + 4 +
    (size_t)PROTO_HEALTH_MAXSEGS * PROTO_HEALTH_SEGBYTES) <= FRAME_MAXBODY,
    "OBJ_HEALTH_REP fits a frame");
_Static_assert(PROTO_ERRMSG_MAX < DZ_ERRMSG_MAX, "ERROR text fits dz_errmsg");
_Static_assert(sizeof(PROTO_LOGIN_LABEL) - 1 == 16, "login label");
_Static_assert(sizeof(PROTO_PASSWD_LABEL) - 1 == 17, "passwd label");

/* ---- Visitors: one per body layout ------------------------------------- */

static int
v_empty(struct io *io, void *v)
{
	(void)v;
	return io->err;
}

static int
v_error(struct io *io, void *v)
{
	struct proto_error *m = v;

	io_i32(io, &m->code);
	io_check(io, m->code < 0, DZ_ERANGE);
	io_text(io, m->message, 0, PROTO_ERRMSG_MAX, proto_text_chars_ok);
	return io->err;
}

static int
v_conflict(struct io *io, void *v)
{
	struct proto_conflict *m = v;

	io_u64(io, &m->current_version);
	return io->err;
}

static int
v_signup(struct io *io, void *v)
{
	struct proto_signup *m = v;

	io_user(io, m->user);
	io_bytes(io, m->keyfile, KEYFILE_BYTES);
	io_bytes(io, m->login_pk, PROTO_PKBYTES);
	io_hint(io, m->hint);
	return io->err;
}

static int
v_prelogin(struct io *io, void *v)
{
	struct proto_prelogin *m = v;

	io_user(io, m->user);
	return io->err;
}

static int
v_prelogin_rep(struct io *io, void *v)
{
	struct proto_prelogin_rep *m = v;

	io_u8(io, &m->params.alg);
	io_u64(io, &m->params.opslimit);
	io_u64(io, &m->params.memlimit);
	if (io->err == 0)
		io->err = pwkey_params_check(&m->params);
	io_bytes(io, m->salt, PWKEY_SALTBYTES);
	io_bytes(io, m->challenge, PROTO_CHALLENGEBYTES);
	io_hint(io, m->hint);
	return io->err;
}

static int
v_login(struct io *io, void *v)
{
	struct proto_login *m = v;

	io_user(io, m->user);
	io_bytes(io, m->sig, PROTO_SIGBYTES);
	return io->err;
}

static int
v_login_rep(struct io *io, void *v)
{
	struct proto_login_rep *m = v;

	io_bytes(io, m->keyfile, KEYFILE_BYTES);
	return io->err;
}

static int
v_passwd(struct io *io, void *v)
{
	struct proto_passwd *m = v;

	io_bytes(io, m->keyfile, KEYFILE_BYTES);
	io_bytes(io, m->login_pk, PROTO_PKBYTES);
	io_bytes(io, m->sig, PROTO_SIGBYTES);
	io_u8(io, &m->flags);
	io_check(io, (m->flags & ~PROTO_PASSWD_FLAGS_KNOWN) == 0, DZ_EFORMAT);
	io_hint(io, m->hint);
	return io->err;
}

/* -- devices of an account (0x0106..) -- */

static int
v_devices_rep(struct io *io, void *v)
{
	struct proto_devices_rep *m = v;

	io_count16(io, &m->count, PROTO_DEVICES_MAX);
	for (size_t i = 0; io->err == 0 && i < m->count; i++) {
		io_bytes(io, m->dev[i].pk, PROTO_PKBYTES);
		io_u64(io, &m->dev[i].bound);
		io_u64(io, &m->dev[i].seen);
	}
	return io->err;
}

static int
v_device_revoke(struct io *io, void *v)
{
	struct proto_device_revoke *m = v;

	io_bytes(io, m->pk, PROTO_PKBYTES);
	return io->err;
}

static int
v_place(struct io *io, void *v)
{
	struct proto_place *m = v;
	const uint8_t *names = (const uint8_t *)m->names;

	io_u8(io, &m->n);
	io_check(io, m->n >= 1, DZ_ERANGE);
	io_u32(io, &m->frag_size);
	io_check(io, m->frag_size >= 1 && m->frag_size <= PROTO_FRAG_MAX,
	    DZ_ERANGE);
	io_span(io, &names, (size_t)m->n * PROTO_NAMEBYTES);
	m->names = (const uint8_t (*)[PROTO_NAMEBYTES])names;
	io_hashes(io, &m->exclude, &m->nexclude, PROTO_PLACE_MAX);
	io_u8(io, &m->k);
	return io->err;
}

static int
v_place_rep(struct io *io, void *v)
{
	struct proto_place_rep *m = v;
	size_t i;

	io_count16(io, &m->npeers, PROTO_PLACE_MAX);
	for (i = 0; io->err == 0 && i < m->npeers; i++) {
		io_peeraddr(io, &m->peers[i]);
		io_ticket(io, &m->tickets[i]);
	}
	return io->err;
}

static int
v_frags_commit(struct io *io, void *v)
{
	struct proto_frags_commit *m = v;
	struct proto_commit_ent e;
	size_t i;

	io_bytes(io, m->object_id, PROTO_IDBYTES);
	io_u8(io, &m->k);
	io_u8(io, &m->n);
	io_check(io, m->k >= 1 && m->k < m->n, DZ_ERANGE);
	io_u8(io, &m->threshold);
	io_check(io, m->threshold == 0 ||
	    (m->threshold > m->k && m->threshold <= m->n), DZ_ERANGE);
	io_count32(io, &m->nentries, PROTO_COMMIT_MAX);
	io_span(io, &m->entries, (size_t)m->nentries * PROTO_COMMIT_ENTBYTES);
	for (i = 0; io->err == 0 && i < m->nentries; i++) {
		if (proto_frags_commit_ent(m, i, &e) != 0) {
			io->err = DZ_EINVAL; /* unreachable: i < nentries */
			break;
		}
		io_check(io, e.index < m->n, DZ_ERANGE);
		io_check(io, e.size >= 1 && e.size <= PROTO_FRAG_MAX,
		    DZ_ERANGE);
	}
	return io->err;
}

static int
v_frags_locate(struct io *io, void *v)
{
	struct proto_frags_locate *m = v;

	io_hashes(io, &m->names, &m->nnames, PROTO_LOCATE_MAX);
	return io->err;
}

static int
v_frags_locate_rep(struct io *io, void *v)
{
	struct proto_frags_locate_rep *m = v;
	size_t i, j;

	io_count16(io, &m->nnames, PROTO_LOCATE_MAX);
	for (i = 0; io->err == 0 && i < m->nnames; i++) {
		struct proto_locs *l = &m->names[i];

		io_count16(io, &l->nlocs, PROTO_LOCATE_MAXLOCS);
		for (j = 0; io->err == 0 && j < l->nlocs; j++)
			io_peeraddr(io, &l->locs[j]);
	}
	return io->err;
}

static int
v_obj_delete(struct io *io, void *v)
{
	struct proto_obj_delete *m = v;

	io_bytes(io, m->object_id, PROTO_IDBYTES);
	return io->err;
}

static int
v_rec_put(struct io *io, void *v)
{
	struct proto_rec_put *m = v;

	io_bytes(io, m->id, PROTO_IDBYTES);
	io_check(io, !io_is_zero(m->id, PROTO_IDBYTES), DZ_ERANGE);
	io_u64(io, &m->expected_version);
	io_blob(io, &m->blob, &m->blob_len, 0, PROTO_REC_MAX);
	return io->err;
}

static int
v_rec_put_rep(struct io *io, void *v)
{
	struct proto_rec_put_rep *m = v;

	io_u64(io, &m->version);
	io_check(io, m->version >= 1, DZ_ERANGE);
	return io->err;
}

static int
v_rec_get(struct io *io, void *v)
{
	struct proto_rec_get *m = v;

	io_bytes(io, m->id, PROTO_IDBYTES);
	return io->err;
}

static int
v_rec_get_rep(struct io *io, void *v)
{
	struct proto_rec_get_rep *m = v;

	io_u64(io, &m->version);
	io_check(io, m->version >= 1, DZ_ERANGE);
	io_blob(io, &m->blob, &m->blob_len, 0, PROTO_REC_MAX);
	return io->err;
}

static int
v_rec_list(struct io *io, void *v)
{
	struct proto_rec_list *m = v;

	io_bytes(io, m->after_id, PROTO_IDBYTES);
	io_u32(io, &m->max);
	io_check(io, m->max >= 1 && m->max <= PROTO_RECLIST_MAX, DZ_ERANGE);
	return io->err;
}

static int
v_rec_list_rep(struct io *io, void *v)
{
	struct proto_rec_list_rep *m = v;
	struct proto_reclist_ent e;
	size_t i;

	io_count16(io, &m->nentries, PROTO_RECLIST_MAX);
	io_span(io, &m->entries, (size_t)m->nentries * PROTO_RECLIST_ENTBYTES);
	for (i = 0; io->err == 0 && i < m->nentries; i++) {
		const uint8_t *p = m->entries + i * PROTO_RECLIST_ENTBYTES;

		if (proto_rec_list_rep_ent(m, i, &e) != 0) {
			io->err = DZ_EINVAL; /* unreachable: i < nentries */
			break;
		}
		io_check(io, e.version >= 1, DZ_ERANGE);
		io_check(io, e.size <= PROTO_REC_MAX, DZ_ERANGE);
		io_check(io, i == 0 || memcmp(p - PROTO_RECLIST_ENTBYTES, p,
		    PROTO_IDBYTES) < 0, DZ_EFORMAT);
	}
	return io->err;
}

static int
v_rec_del(struct io *io, void *v)
{
	struct proto_rec_del *m = v;

	io_bytes(io, m->id, PROTO_IDBYTES);
	io_u64(io, &m->expected_version);
	io_check(io, m->expected_version >= 1, DZ_ERANGE);
	return io->err;
}

static int
v_status_rep(struct io *io, void *v)
{
	struct proto_status_rep *m = v;

	io_u64(io, &m->used);
	io_u64(io, &m->quota);
	io_u64(io, &m->earned);
	io_u32(io, &m->peers_online);
	io_u32(io, &m->peers_total);
	io_check(io, m->peers_online <= m->peers_total, DZ_ERANGE);
	io_u8(io, &m->default_k);
	io_u8(io, &m->default_n); /* n <= 255 by its width */
	io_check(io, m->default_k >= 1 && m->default_k < m->default_n,
	    DZ_ERANGE);
	return io->err;
}

/* -- audits and reputation (0x0701.., proto_audit.h) -- */

static int
v_audit_news(struct io *io, void *v)
{
	struct proto_audit_news *m = v;

	io_u64(io, &m->after);
	return io->err;
}

static int
v_audit_news_rep(struct io *io, void *v)
{
	struct proto_audit_news_rep *m = v;

	io_u8(io, &m->state);
	io_check(io, m->state <= PROTO_PEER_DISQUALIFIED, DZ_ERANGE);
	io_count16(io, &m->count, PROTO_NEWS_MAX);
	for (size_t i = 0; io->err == 0 && i < m->count; i++) {
		struct proto_audit_fail *f = &m->fail[i];

		io_u64(io, &f->seq);
		io_u64(io, &f->at);
		io_bytes(io, f->name, sizeof(f->name));
		io_u8(io, &f->reason);
		io_check(io, f->reason >= 1 && f->reason <= PROTO_AUDIT_REASON_MAX,
		    DZ_ERANGE);
	}
	return io->err;
}

static int
v_peer_report_rep(struct io *io, void *v)
{
	struct proto_peer_report_rep *m = v;

	io_count16(io, &m->count, PROTO_REPORT_MAX);
	for (size_t i = 0; io->err == 0 && i < m->count; i++) {
		struct proto_peer_rec *r = &m->peer[i];

		io_bytes(io, r->pk, PROTO_PKBYTES);
		io_u8(io, &r->state);
		io_check(io, r->state <= PROTO_PEER_DISQUALIFIED, DZ_ERANGE);
		io_u8(io, &r->online);
		io_check(io, r->online <= 1, DZ_ERANGE);
		io_u64(io, &r->passed);
		io_u64(io, &r->wrong);
		io_u64(io, &r->missing);
		io_u64(io, &r->timeout);
		io_u16(io, &r->window);
		io_u16(io, &r->window_failed);
		io_check(io, r->window_failed <= r->window, DZ_ERANGE);
		io_u64(io, &r->hb_seen);
		io_u64(io, &r->hb_expected);
		io_u8(io, &r->last_reason);
		io_check(io, r->last_reason <= PROTO_AUDIT_REASON_MAX, DZ_ERANGE);
		io_bytes(io, r->last_name, sizeof(r->last_name));
		io_u64(io, &r->last_at);
	}
	return io->err;
}

/* -- health of stored objects (0x0731..) -- */

static int
v_obj_health(struct io *io, void *v)
{
	struct proto_obj_health *m = v;

	io_hashes(io, &m->ids, &m->nobjs, PROTO_HEALTH_MAXOBJ);
	return io->err;
}

static int
v_obj_health_rep(struct io *io, void *v)
{
	struct proto_obj_health_rep *m = v;
	struct proto_health_seg e, prev = {0, 0};

	io_count16(io, &m->nobjs, PROTO_HEALTH_MAXOBJ);
	for (size_t i = 0; io->err == 0 && i < m->nobjs; i++) {
		struct proto_obj_hstate *o = &m->objs[i];

		io_u64(io, &o->nsegs);
		io_u8(io, &o->threshold);
		io_count32(io, &o->nlisted, PROTO_HEALTH_MAXSEGS);
		io_check(io, o->nlisted == (o->nsegs < PROTO_HEALTH_MAXSEGS ?
		    o->nsegs : PROTO_HEALTH_MAXSEGS), DZ_ERANGE);
		io_span(io, &o->segs, (size_t)o->nlisted * PROTO_HEALTH_SEGBYTES);
		/* one encoding: worst first, (healthy, avail) ascending */
		for (size_t j = 0; io->err == 0 && j < o->nlisted; j++) {
			if (proto_health_seg_get(o, j, &e) != 0) {
				io->err = DZ_EINVAL; /* unreachable: j < nlisted */
				break;
			}
			io_check(io, e.healthy > 0 || e.avail == 0, DZ_EFORMAT);
			io_check(io, j == 0 || prev.healthy < e.healthy ||
			    (prev.healthy == e.healthy && prev.avail <= e.avail),
			    DZ_EFORMAT);
			prev = e;
		}
	}
	return io->err;
}

/* ---- The table of messages ---------------------------------------------- */

struct msgdef {
	uint16_t type;
	const char *name;
	size_t size;                        /* sizeof the body's struct */
	int (*visit)(struct io *, void *);
};

#define MSG(t, st, fn) {PROTO_##t, #t, sizeof(struct st), fn}
static const struct msgdef msgdefs[] = {
	MSG(ERROR, proto_error, v_error),
	MSG(CONFLICT, proto_conflict, v_conflict),
	MSG(SIGNUP, proto_signup, v_signup),
	MSG(SIGNUP_REP, proto_empty, v_empty),
	MSG(PRELOGIN, proto_prelogin, v_prelogin),
	MSG(PRELOGIN_REP, proto_prelogin_rep, v_prelogin_rep),
	MSG(LOGIN, proto_login, v_login),
	MSG(LOGIN_REP, proto_login_rep, v_login_rep),
	MSG(LOGOUT, proto_empty, v_empty),
	MSG(LOGOUT_REP, proto_empty, v_empty),
	MSG(PASSWD, proto_passwd, v_passwd),
	MSG(PASSWD_REP, proto_empty, v_empty),
	MSG(DEVICES, proto_empty, v_empty),
	MSG(DEVICES_REP, proto_devices_rep, v_devices_rep),
	MSG(DEVICE_REVOKE, proto_device_revoke, v_device_revoke),
	MSG(DEVICE_REVOKE_REP, proto_empty, v_empty),
	MSG(PLACE, proto_place, v_place),
	MSG(PLACE_REP, proto_place_rep, v_place_rep),
	MSG(FRAGS_COMMIT, proto_frags_commit, v_frags_commit),
	MSG(FRAGS_COMMIT_REP, proto_empty, v_empty),
	MSG(FRAGS_LOCATE, proto_frags_locate, v_frags_locate),
	MSG(FRAGS_LOCATE_REP, proto_frags_locate_rep, v_frags_locate_rep),
	MSG(OBJ_DELETE, proto_obj_delete, v_obj_delete),
	MSG(OBJ_DELETE_REP, proto_empty, v_empty),
	MSG(REC_PUT, proto_rec_put, v_rec_put),
	MSG(REC_PUT_REP, proto_rec_put_rep, v_rec_put_rep),
	MSG(REC_GET, proto_rec_get, v_rec_get),
	MSG(REC_GET_REP, proto_rec_get_rep, v_rec_get_rep),
	MSG(REC_LIST, proto_rec_list, v_rec_list),
	MSG(REC_LIST_REP, proto_rec_list_rep, v_rec_list_rep),
	MSG(REC_DEL, proto_rec_del, v_rec_del),
	MSG(REC_DEL_REP, proto_empty, v_empty),
	MSG(STATUS, proto_empty, v_empty),
	MSG(STATUS_REP, proto_status_rep, v_status_rep),
	MSG(PEER_REGISTER, proto_peer_register, proto_v_peer_register),
	MSG(PEER_REGISTER_REP, proto_empty, v_empty),
	MSG(PEER_HEARTBEAT, proto_peer_heartbeat, proto_v_peer_heartbeat),
	MSG(PEER_HEARTBEAT_REP, proto_empty, v_empty),
	MSG(PEER_LEAVE, proto_empty, v_empty),
	MSG(PEER_LEAVE_REP, proto_empty, v_empty),
	MSG(FRAG_PUT, proto_frag_put, proto_v_frag_put),
	MSG(FRAG_PUT_REP, proto_empty, v_empty),
	MSG(FRAG_GET, proto_frag_get, proto_v_frag_get),
	MSG(FRAG_GET_REP, proto_frag_get_rep, proto_v_frag_get_rep),
	MSG(FRAG_HAS, proto_frag_has, proto_v_frag_has),
	MSG(FRAG_HAS_REP, proto_frag_has_rep, proto_v_frag_has_rep),
	MSG(AUDIT, proto_audit, proto_v_audit),
	MSG(AUDIT_REP, proto_audit_rep, proto_v_audit_rep),
	MSG(AUDIT_NEWS, proto_audit_news, v_audit_news),
	MSG(AUDIT_NEWS_REP, proto_audit_news_rep, v_audit_news_rep),
	MSG(PEER_REPORT, proto_empty, v_empty),
	MSG(PEER_REPORT_REP, proto_peer_report_rep, v_peer_report_rep),
	MSG(GC_FILTER, proto_gc_filter, proto_v_gc_filter),
	MSG(GC_FILTER_REP, proto_gc_filter_rep, proto_v_gc_filter_rep),
	MSG(OBJ_HEALTH, proto_obj_health, v_obj_health),
	MSG(OBJ_HEALTH_REP, proto_obj_health_rep, v_obj_health_rep),
	MSG(WHATDOYOUKNOW, proto_empty, v_empty),
	MSG(WHATDOYOUKNOW_REP, proto_whatdoyouknow_rep, proto_v_whatdoyouknow_rep),
	PROTO_CREDIT_MSGDEFS,
};
#undef MSG
#define NMSGDEFS (sizeof(msgdefs) / sizeof(msgdefs[0]))

static const struct msgdef *
find(uint16_t type)
{
	size_t i;

	for (i = 0; i < NMSGDEFS; i++)
		if (msgdefs[i].type == type)
			return &msgdefs[i];
	return NULL;
}

/* ---- Generic codec ------------------------------------------------------ */

int
proto_decode(uint16_t type, const uint8_t *buf, size_t len, void *msg)
{
	const struct msgdef *d = find(type);
	struct io io = {.mode = IO_READ};
	int rc;

	if (d == NULL)
		return DZ_EFORMAT;
	if (msg == NULL || (buf == NULL && len > 0))
		return DZ_EINVAL;
	memset(msg, 0, d->size);
	cur_init(&io.c, buf, len);
	rc = d->visit(&io, msg);
	if (rc == 0)
		rc = cur_end(&io.c);
	if (rc != 0)
		memset(msg, 0, d->size);
	return rc;
}

int
proto_encoded_len(uint16_t type, const void *msg, size_t *len)
{
	const struct msgdef *d = find(type);
	struct io io = {.mode = IO_MEASURE};

	if (d == NULL || msg == NULL)
		return DZ_EINVAL;
	/* MEASURE and WRITE only read *msg: the cast serves READ's signature. */
	if (d->visit(&io, (void *)msg) != 0)
		return DZ_EINVAL;
	*len = io.len;
	return 0;
}

int
proto_encode(uint16_t type, const void *msg, struct wbuf *w)
{
	const struct msgdef *d = find(type);
	struct io io = {.mode = IO_WRITE, .w = w};
	size_t len;
	int rc;

	if ((rc = proto_encoded_len(type, msg, &len)) != 0)
		return rc;
	if (w->err != 0)
		return w->err;
	if (len > w->cap - w->len)
		return DZ_ERANGE;
	if (d->visit(&io, (void *)msg) != 0)
		return DZ_EINVAL; /* unreachable: MEASURE judged the same */
	return w->err;
}

size_t
proto_msg_size(uint16_t type)
{
	const struct msgdef *d = find(type);

	return d != NULL ? d->size : 0;
}

const char *
proto_type_name(uint16_t type)
{
	const struct msgdef *d = find(type);

	return d != NULL ? d->name : NULL;
}

size_t
proto_type_count(void)
{
	return NMSGDEFS;
}

uint16_t
proto_type_at(size_t i)
{
	return i < NMSGDEFS ? msgdefs[i].type : 0;
}
