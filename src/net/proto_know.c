/*
 * proto_know: the visitor and typed codec of WHATDOYOUKNOW_REP
 * (proto_know.h). The visitor is listed in proto.c's message table like
 * every other; it lives here to keep proto.c small.
 */
#include "net/proto.h"

#include "net/proto_io.h"

_Static_assert(PROTO_KNOW_DEVICES_MAX == PROTO_DEVICES_MAX, "device bound");
_Static_assert(sizeof(((struct proto_know_peer *)0)->addr) ==
    PROTO_ADDR_MAX + 1, "peer address bound");
_Static_assert(sizeof(((struct proto_whatdoyouknow_rep *)0)->user) ==
    PROTO_USER_MAX + 1, "user bound");
_Static_assert(sizeof(((struct proto_whatdoyouknow_rep *)0)->hint) ==
    PROTO_HINT_MAX + 1, "hint bound");

static void
io_know_peer(struct io *io, struct proto_know_peer *p)
{
	io_bytes(io, p->pk, PROTO_PKBYTES);
	io_text(io, p->addr, 0, PROTO_ADDR_MAX, proto_addr_chars_ok);
	io_u64(io, &p->capacity);
	io_u64(io, &p->used);
	io_u64(io, &p->first_seen);
	io_u64(io, &p->last_heartbeat);
	io_u64(io, &p->hb_seen);
	io_u64(io, &p->hb_expected);
	io_u64(io, &p->left_at);
	io_u32(io, &p->flags);
	io_u8(io, &p->online);
	io_check(io, p->online <= 1, DZ_ERANGE);
	io_u8(io, &p->state);
	io_check(io, p->state <= PROTO_PEER_DISQUALIFIED, DZ_ERANGE);
	io_u64(io, &p->passed);
	io_u64(io, &p->wrong);
	io_u64(io, &p->missing);
	io_u64(io, &p->timeout);
	io_u8(io, &p->last_reason);
	io_check(io, p->last_reason <= PROTO_AUDIT_REASON_MAX, DZ_ERANGE);
	io_bytes(io, p->last_name, sizeof(p->last_name));
	io_u64(io, &p->last_at);
	io_u32(io, &p->audits_kept);
	io_u64(io, &p->held);
	io_u64(io, &p->held_bytes);
}

int
proto_v_whatdoyouknow_rep(struct io *io, void *v)
{
	struct proto_whatdoyouknow_rep *m = v;

	io_user(io, m->user);
	io_u64(io, &m->created);
	io_u8(io, &m->params.alg);
	io_u64(io, &m->params.opslimit);
	io_u64(io, &m->params.memlimit);
	if (io->err == 0)
		io->err = pwkey_params_check(&m->params);
	io_bytes(io, m->salt, PWKEY_SALTBYTES);
	io_u32(io, &m->keyfile_bytes);
	io_bytes(io, m->login_pk, PROTO_PKBYTES);
	io_hint(io, m->hint);
	io_u64(io, &m->used);
	io_u64(io, &m->quota);
	io_u64(io, &m->earned);
	io_u64(io, &m->records);
	io_u64(io, &m->record_bytes);
	io_u64(io, &m->tombstones);
	io_u64(io, &m->objects);
	io_u64(io, &m->fragments);
	io_u64(io, &m->fragment_bytes);
	io_u64(io, &m->copies);
	io_u32(io, &m->failed_logins);
	io_count16(io, &m->ndev, PROTO_KNOW_DEVICES_MAX);
	for (size_t i = 0; io->err == 0 && i < m->ndev; i++) {
		io_bytes(io, m->dev[i].pk, PROTO_PKBYTES);
		io_u64(io, &m->dev[i].bound);
		io_u64(io, &m->dev[i].seen);
	}
	io_count16(io, &m->npeers, PROTO_KNOW_PEERS_MAX);
	for (size_t i = 0; io->err == 0 && i < m->npeers; i++)
		io_know_peer(io, &m->peer[i]);
	return io->err;
}

int
proto_whatdoyouknow_rep_encode(const struct proto_whatdoyouknow_rep *m,
    struct wbuf *w)
{
	return proto_encode(PROTO_WHATDOYOUKNOW_REP, m, w);
}

int
proto_whatdoyouknow_rep_decode(const uint8_t *buf, size_t len,
    struct proto_whatdoyouknow_rep *m)
{
	return proto_decode(PROTO_WHATDOYOUKNOW_REP, buf, len, m);
}
