/*
 * proto_io: the field steps that proto.c's message visitors are written
 * in. Internal to src/net/proto*.c: not part of proto.h's API.
 *
 * One struct io walks a message body in one of three modes: READ parses a
 * body through a struct cur, MEASURE adds up the encoded length of a
 * struct, WRITE appends it to a wbuf. Every io_* step does nothing once
 * io->err is set (sticky: the first error wins), so a visitor is a straight
 * list of fields that returns io->err at the end. Decoding checks every
 * length and count against its bound before a byte is read or an index is
 * used; encoding applies the same bounds to what we send.
 */
#ifndef DZ_PROTO_IO_H
#define DZ_PROTO_IO_H

#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "net/proto.h"

enum io_mode { IO_READ, IO_MEASURE, IO_WRITE };

struct io {
	enum io_mode mode;
	struct cur c;     /* IO_READ */
	struct wbuf *w;   /* IO_WRITE */
	size_t len;       /* IO_MEASURE: bytes so far */
	int err;          /* sticky: the first error */
};

void io_check(struct io *io, int cond, int code);
void io_bytes(struct io *io, void *p, size_t n);
void io_span(struct io *io, const uint8_t **p, size_t n);
void io_u8(struct io *io, uint8_t *v);
void io_u16(struct io *io, uint16_t *v);
void io_u32(struct io *io, uint32_t *v);
void io_u64(struct io *io, uint64_t *v);
void io_i32(struct io *io, int32_t *v);
void io_text(struct io *io, char *s, size_t min, size_t max,
    int (*chars_ok)(const char *, size_t));
void io_blob(struct io *io, const uint8_t **p, size_t *len, size_t min, size_t max);
void io_count16(struct io *io, uint16_t *n, size_t max);
void io_count32(struct io *io, uint32_t *n, size_t max);
void io_hashes(struct io *io, const uint8_t (**h)[32], uint16_t *count,
    size_t max);
void io_peeraddr(struct io *io, struct proto_peeraddr *pa);
void io_ticket(struct io *io, struct proto_ticket *t);
void io_user(struct io *io, char *user);
void io_hint(struct io *io, char *hint);
/* io_is_zero: 1 if the n bytes at p are all zero (not a field step: a
 * test for io_check). */
int io_is_zero(const uint8_t *p, size_t n);

/* Visitors kept outside proto.c (listed in its table). */
int proto_v_whatdoyouknow_rep(struct io *io, void *v);
/* The peer's messages (proto_peer.c). */
int proto_v_peer_register(struct io *io, void *v);
int proto_v_peer_heartbeat(struct io *io, void *v);
int proto_v_frag_put(struct io *io, void *v);
int proto_v_frag_get(struct io *io, void *v);
int proto_v_frag_get_rep(struct io *io, void *v);
int proto_v_frag_has(struct io *io, void *v);
int proto_v_frag_has_rep(struct io *io, void *v);
int proto_v_audit(struct io *io, void *v);
int proto_v_audit_rep(struct io *io, void *v);
int proto_v_gc_filter(struct io *io, void *v);
int proto_v_gc_filter_rep(struct io *io, void *v);
/* The storage-credit visitors (proto_credit.c) and their lines of
 * proto.c's message table (MSG as defined there). */
int proto_v_credit_rep(struct io *io, void *v);
int proto_v_quota(struct io *io, void *v);
int proto_v_ph_seed_rep(struct io *io, void *v);
int proto_v_ph_claim(struct io *io, void *v);
int proto_v_ph_prove(struct io *io, void *v);
int proto_v_ph_prove_rep(struct io *io, void *v);
#define PROTO_CREDIT_MSGDEFS \
	MSG(CREDIT, proto_empty, v_empty), \
	MSG(CREDIT_REP, proto_credit_rep, proto_v_credit_rep), \
	MSG(QUOTA, proto_quota, proto_v_quota), \
	MSG(QUOTA_REP, proto_empty, v_empty), \
	MSG(PH_SEED, proto_empty, v_empty), \
	MSG(PH_SEED_REP, proto_ph_seed_rep, proto_v_ph_seed_rep), \
	MSG(PH_CLAIM, proto_ph_claim, proto_v_ph_claim), \
	MSG(PH_CLAIM_REP, proto_empty, v_empty), \
	MSG(PH_PROVE, proto_ph_prove, proto_v_ph_prove), \
	MSG(PH_PROVE_REP, proto_ph_prove_rep, proto_v_ph_prove_rep)

#endif
