/*
 * proto_peer: the visitors of the peer's messages (proto_peer.h). They are
 * listed in proto.c's message table like every other and written in the
 * same field steps (proto_io.h); they live here to keep proto.c small.
 */
#include "net/proto.h"

#include "core/bloom.h"
#include "core/merkle.h"
#include "net/proto_io.h"

int
proto_v_peer_register(struct io *io, void *v)
{
	struct proto_peer_register *m = v;

	io_text(io, m->addr, 1, PROTO_ADDR_MAX, proto_addr_chars_ok);
	io_u64(io, &m->capacity);
	io_u64(io, &m->used);
	io_u32(io, &m->flags);
	io_check(io, (m->flags & ~PROTO_PEER_FLAGS_KNOWN) == 0, DZ_EFORMAT);
	io_text(io, m->owner, 0, PROTO_USER_MAX, proto_user_chars_ok);
	io_bytes(io, m->device, sizeof(m->device));
	io_u64(io, &m->issued);
	io_bytes(io, m->sig, sizeof(m->sig));
	return io->err;
}

int
proto_v_peer_heartbeat(struct io *io, void *v)
{
	struct proto_peer_heartbeat *m = v;

	io_u64(io, &m->capacity);
	io_u64(io, &m->used);
	io_u64(io, &m->nfrags);
	return io->err;
}

int
proto_v_frag_put(struct io *io, void *v)
{
	struct proto_frag_put *m = v;

	io_bytes(io, m->name, PROTO_NAMEBYTES);
	io_u8(io, &m->has_ticket);
	io_check(io, m->has_ticket <= 1, DZ_EFORMAT);
	if (m->has_ticket)
		io_ticket(io, &m->ticket);
	io_blob(io, &m->data, &m->len, 1, PROTO_FRAG_MAX);
	return io->err;
}

int
proto_v_frag_get(struct io *io, void *v)
{
	struct proto_frag_get *m = v;

	io_bytes(io, m->name, PROTO_NAMEBYTES);
	return io->err;
}

int
proto_v_frag_get_rep(struct io *io, void *v)
{
	struct proto_frag_get_rep *m = v;

	io_blob(io, &m->data, &m->len, 1, PROTO_FRAG_MAX);
	return io->err;
}

int
proto_v_frag_has(struct io *io, void *v)
{
	struct proto_frag_has *m = v;

	io_hashes(io, &m->names, &m->nnames, PROTO_HAS_MAX);
	return io->err;
}

int
proto_v_frag_has_rep(struct io *io, void *v)
{
	struct proto_frag_has_rep *m = v;
	size_t nbytes;

	io_count16(io, &m->count, PROTO_HAS_MAX);
	nbytes = io->err == 0 ? ((size_t)m->count + 7) / 8 : 0;
	io_bytes(io, m->bits, nbytes);
	/* One encoding: bits past count are zero (in the last byte, and in
	 * the struct's bytes past the wire's when writing). */
	if (nbytes > 0 && m->count % 8 != 0)
		io_check(io, (m->bits[nbytes - 1] >> (m->count % 8)) == 0,
		    DZ_EFORMAT);
	if (io->mode != IO_READ)
		io_check(io, io_is_zero(m->bits + nbytes, sizeof(m->bits) - nbytes),
		    DZ_EFORMAT);
	return io->err;
}

int
proto_v_audit(struct io *io, void *v)
{
	struct proto_audit *m = v;

	io_bytes(io, m->name, PROTO_NAMEBYTES);
	io_u32(io, &m->leaf);
	io_check(io, m->leaf < PROTO_AUDIT_MAXLEAVES, DZ_ERANGE);
	return io->err;
}

int
proto_v_audit_rep(struct io *io, void *v)
{
	struct proto_audit_rep *m = v;

	io_u32(io, &m->nleaves);
	io_check(io, m->nleaves >= 1 && m->nleaves <= PROTO_AUDIT_MAXLEAVES,
	    DZ_ERANGE);
	io_blob(io, &m->block, &m->block_len, 1, MERKLE_BLOCK);
	io_hashes(io, &m->path, &m->npath, MERKLE_MAXPATH);
	return io->err;
}

int
proto_v_gc_filter(struct io *io, void *v)
{
	struct proto_gc_filter *m = v;
	struct bloom b;

	io_u64(io, &m->created);
	io_u32(io, &m->protect);
	io_check(io, m->protect <= PROTO_GC_PROTECT_MAX, DZ_ERANGE);
	io_u16(io, &m->lo);
	io_u16(io, &m->hi);
	io_check(io, m->lo <= m->hi, DZ_ERANGE);
	io_blob(io, &m->filter, &m->filter_len, BLOOM_HDRBYTES + BLOOM_MINBITS / 8,
	    PROTO_GC_FILTER_MAX);
	if (io->err == 0)
		io->err = bloom_view(m->filter, m->filter_len, &b);
	return io->err;
}

int
proto_v_gc_filter_rep(struct io *io, void *v)
{
	struct proto_gc_filter_rep *m = v;

	io_u64(io, &m->examined);
	io_u64(io, &m->deleted);
	io_u64(io, &m->freed);
	io_check(io, m->deleted <= m->examined, DZ_ERANGE);
	return io->err;
}
