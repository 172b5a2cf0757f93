/*
 * dzticket: the attacker of the ticket test (tests/integration/410).
 * Not part of Drizzle; never installed.
 *
 *   dzticket PEERDIR ADDR [COORDDIR]
 *     a TLS client with a throwaway key sends FRAG_PUTs of one real
 *     fragment (header and random payload, named by its Merkle root) to
 *     the peer at ADDR whose identity is PEERDIR/identity.key, and
 *     prints one line per attempt, "CASE refused CODE TEXT" or
 *     "CASE stored", then "held 0" or "held 1" (FRAG_HAS of the name):
 *       none      no ticket at all (the old throwaway-key attack)
 *       forged    a ticket signed by the throwaway key
 *     and, with COORDDIR (a coordinator's data directory: its key signs
 *     tickets exactly as it would for a placement), tickets that a
 *     client could have been given but are not good for this put:
 *       otherpeer for another peer's key
 *       othername for another fragment
 *       othersize for another size
 *       expired   expired ten minutes ago
 *       tampered  a valid one whose expiry was changed after signing
 *       valid     the control: a good ticket, which must store
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/frag.h"
#include "core/merkle.h"
#include "net/frame.h"
#include "net/ident.h"
#include "net/proto.h"
#include "net/rpc.h"
#include "net/ticket.h"
#include "net/tls.h"

struct ctx {
	struct rpc *rpc;
	const char *addr;
	uint8_t ppk[IDENT_PKBYTES];
	uint8_t name[MERKLE_HASHBYTES];
	uint8_t *buf;
	size_t len;
};

static int
load_key(const char *dir, struct ident **id)
{
	char path[4096];
	struct dz_errmsg em = {{0}};
	int created = 0;

	snprintf(path, sizeof(path), "%s/identity.key", dir);
	if (ident_load_or_create(path, id, &created, &em) != 0 || created) {
		fprintf(stderr, "dzticket: %s: %s\n", path,
		    created ? "did not exist" : em.text);
		return -1;
	}
	return 0;
}

/* One FRAG_PUT with ticket t (NULL: none); prints its outcome. */
static void
put(struct ctx *x, const char *what, const struct proto_ticket *t)
{
	struct proto_frag_put m = {.has_ticket = t != NULL};
	struct dz_errmsg em = {{0}};
	struct proto_error e;
	struct frame r = {0};
	struct wbuf w;
	uint8_t *body;
	size_t blen;

	memcpy(m.name, x->name, sizeof(m.name));
	if (t != NULL)
		m.ticket = *t;
	m.data = x->buf;
	m.len = x->len;
	if (proto_encoded_len(PROTO_FRAG_PUT, &m, &blen) != 0 ||
	    (body = malloc(blen)) == NULL) {
		printf("%s error encoding\n", what);
		return;
	}
	wbuf_init(&w, body, blen);
	if (proto_encode(PROTO_FRAG_PUT, &m, &w) != 0 ||
	    rpc_call(x->rpc, x->addr, x->ppk, PROTO_FRAG_PUT, body, blen, 20000,
	    &r, &em) != 0)
		printf("%s error %s\n", what, em.text);
	else if (r.type == PROTO_REPLY(PROTO_FRAG_PUT))
		printf("%s stored\n", what);
	else if (r.type == PROTO_ERROR && proto_error_decode(r.body, r.len, &e) == 0)
		printf("%s refused %d %s\n", what, e.code, e.message);
	else
		printf("%s error answer 0x%04x\n", what, r.type);
	frame_free(&r);
	free(body);
	fflush(stdout);
}

static int
held(struct ctx *x)
{
	struct proto_frag_has m = {1, (const uint8_t (*)[32])x->name};
	struct proto_frag_has_rep rep;
	struct dz_errmsg em = {{0}};
	uint8_t body[2 + 32];
	struct frame r = {0};
	struct wbuf w;
	int h = -1;

	wbuf_init(&w, body, sizeof(body));
	if (proto_frag_has_encode(&m, &w) == 0 &&
	    rpc_call(x->rpc, x->addr, x->ppk, PROTO_FRAG_HAS, body, w.len, 20000,
	    &r, &em) == 0 && r.type == PROTO_REPLY(PROTO_FRAG_HAS) &&
	    proto_frag_has_rep_decode(r.body, r.len, &rep) == 0)
		h = proto_has_bit(&rep, 0);
	frame_free(&r);
	return h;
}

int
main(int argc, char **argv)
{
	struct ident *me = NULL, *peer = NULL, *coord = NULL;
	struct tls_ctx *tls = NULL;
	struct dz_errmsg em = {{0}};
	struct proto_ticket t;
	struct frag_hdr h;
	struct merkle *mk = NULL;
	struct ctx x = {0};
	uint8_t other[32];
	int64_t now = (int64_t)time(NULL), later = now + 600;
	int rc = 1;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: dzticket PEERDIR ADDR [COORDDIR]\n");
		return 2;
	}
	if (sodium_init() < 0 || load_key(argv[1], &peer) != 0 ||
	    (argc == 4 && load_key(argv[3], &coord) != 0))
		goto out;
	memcpy(x.ppk, peer->pk, IDENT_PKBYTES);
	x.addr = argv[2];
	if (ident_generate(&me) != 0 ||
	    tls_ctx_new(me, TLS_ROLE_CLIENT, &tls, &em) != 0 ||
	    rpc_new(tls, NULL, &x.rpc, &em) != 0) {
		fprintf(stderr, "dzticket: %s\n", em.text);
		goto out;
	}
	/* a real fragment: 3-of-5, of a 12 KiB segment */
	if (frag_hdr_init(&h, 3, 5, 0, 12288) != 0)
		goto out;
	x.len = FRAG_HDRBYTES + h.payload_len;
	if ((x.buf = malloc(x.len)) == NULL)
		goto out;
	frag_hdr_encode(&h, x.buf);
	randombytes_buf(x.buf + FRAG_HDRBYTES, h.payload_len);
	if (merkle_new(x.len, &mk) != 0 || merkle_build(mk, x.buf, x.len, x.name) != 0)
		goto out;
	randombytes_buf(other, sizeof(other));

	put(&x, "none", NULL);
	if (ticket_sign(&t, me, 1, x.name, (uint32_t)x.len, x.ppk, (uint64_t)later) != 0)
		goto out;
	put(&x, "forged", &t);
	if (coord != NULL) {
		if (ticket_sign(&t, coord, 1, x.name, (uint32_t)x.len, other,
		    (uint64_t)later) != 0)
			goto out;
		put(&x, "otherpeer", &t);
		if (ticket_sign(&t, coord, 1, other, (uint32_t)x.len, x.ppk,
		    (uint64_t)later) != 0)
			goto out;
		put(&x, "othername", &t);
		if (ticket_sign(&t, coord, 1, x.name, (uint32_t)x.len - 1, x.ppk,
		    (uint64_t)later) != 0)
			goto out;
		put(&x, "othersize", &t);
		if (ticket_sign(&t, coord, 1, x.name, (uint32_t)x.len, x.ppk,
		    (uint64_t)(now - 600)) != 0)
			goto out;
		put(&x, "expired", &t);
		t.expires = (uint64_t)later;
		put(&x, "tampered", &t);
		printf("held %d\n", held(&x));
		if (ticket_sign(&t, coord, 1, x.name, (uint32_t)x.len, x.ppk,
		    (uint64_t)later) != 0)
			goto out;
		put(&x, "valid", &t);
	}
	printf("held %d\n", held(&x));
	rc = 0;
out:
	merkle_free(mk);
	free(x.buf);
	rpc_free(x.rpc);
	tls_ctx_unref(tls);
	ident_free(me);
	ident_free(peer);
	ident_free(coord);
	return rc;
}
