/*
 * proto_credit: the visitors of the storage-credit messages (bodies in
 * proto_credit.h), listed in proto.c's table through PROTO_CREDIT_MSGDEFS
 * (proto_io.h), and their typed codecs over proto.c's generic one.
 */
#include "net/proto.h"
#include "net/proto_io.h"

static void
v_credit_peer(struct io *io, struct proto_credit_peer *p)
{
	io_bytes(io, p->pk, sizeof(p->pk));
	io_u64(io, &p->capacity);
	io_u64(io, &p->proven);
	io_u64(io, &p->held);
	io_u64(io, &p->earned);
	io_u16(io, &p->avail);
	io_u8(io, &p->online);
	io_check(io, p->online <= 1, DZ_ERANGE);
	io_u8(io, &p->state);
	io_check(io, p->state <= 3, DZ_ERANGE);
	io_u64(io, &p->audits_passed);
	io_u64(io, &p->audits_failed);
	io_u32(io, &p->ph_block);
	io_u64(io, &p->ph_claimed);
	io_u64(io, &p->ph_proven);
	io_check(io, p->ph_proven <= p->ph_claimed, DZ_ERANGE);
	io_u64(io, &p->ph_passed);
	io_u64(io, &p->ph_failed);
}

int
proto_v_credit_rep(struct io *io, void *v)
{
	struct proto_credit_rep *m = v;

	io_u64(io, &m->used);
	io_u64(io, &m->earned);
	io_u64(io, &m->quota);
	io_u64(io, &m->base);
	io_u64(io, &m->grant);
	io_check(io, m->base <= INT64_MAX && m->earned <= INT64_MAX &&
	    m->grant <= INT64_MAX && m->base + m->earned <= UINT64_MAX - m->grant &&
	    m->quota == m->base + m->earned + m->grant, DZ_ERANGE);
	io_u16(io, &m->min_avail);
	io_u32(io, &m->window);
	io_u32(io, &m->peers_online);
	io_u32(io, &m->peers_total);
	io_check(io, m->peers_online <= m->peers_total, DZ_ERANGE);
	io_count16(io, &m->npeers, PROTO_CREDIT_MAXPEERS);
	for (size_t i = 0; io->err == 0 && i < m->npeers; i++)
		v_credit_peer(io, &m->peers[i]);
	return io->err;
}

int
proto_v_quota(struct io *io, void *v)
{
	struct proto_quota *m = v;

	io_u64(io, &m->bytes);
	return io->err;
}

int
proto_v_ph_seed_rep(struct io *io, void *v)
{
	struct proto_ph_seed_rep *m = v;

	io_bytes(io, m->seed, sizeof(m->seed));
	io_u32(io, &m->block);
	io_check(io, m->block >= PROTO_PH_BLOCK_MIN && m->block <= PROTO_PH_BLOCK_MAX &&
	    m->block % 64 == 0, DZ_ERANGE);
	io_u32(io, &m->rounds);
	io_check(io, m->rounds >= 1, DZ_ERANGE);
	return io->err;
}

int
proto_v_ph_claim(struct io *io, void *v)
{
	struct proto_ph_claim *m = v;

	io_u64(io, &m->blocks);
	io_check(io, m->blocks <= INT64_MAX, DZ_ERANGE);
	return io->err;
}

int
proto_v_ph_prove(struct io *io, void *v)
{
	struct proto_ph_prove *m = v;

	io_u64(io, &m->index);
	io_check(io, m->index <= INT64_MAX, DZ_ERANGE);
	io_bytes(io, m->nonce, sizeof(m->nonce));
	return io->err;
}

int
proto_v_ph_prove_rep(struct io *io, void *v)
{
	struct proto_ph_prove_rep *m = v;

	io_bytes(io, m->hash, sizeof(m->hash));
	return io->err;
}

#define CODEC(name, TYPE)                                                    \
	int proto_##name##_encode(const struct proto_##name *m,              \
	    struct wbuf *w)                                                  \
	{                                                                    \
		return proto_encode(PROTO_##TYPE, m, w);                     \
	}                                                                    \
	int proto_##name##_decode(const uint8_t *buf, size_t len,            \
	    struct proto_##name *m)                                          \
	{                                                                    \
		return proto_decode(PROTO_##TYPE, buf, len, m);              \
	}

CODEC(credit_rep, CREDIT_REP)
CODEC(quota, QUOTA)
CODEC(ph_seed_rep, PH_SEED_REP)
CODEC(ph_claim, PH_CLAIM)
CODEC(ph_prove, PH_PROVE)
CODEC(ph_prove_rep, PH_PROVE_REP)
