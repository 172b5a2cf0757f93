/*
 * protofix: what the protocol codec tests share: sample messages of every
 * type at three variants (the minimum, a middle and the maximum of each
 * count, string and blob) built by make() over the backing buffers of the
 * cmocka fixture (struct bufs), text makers for each field's character
 * set, and encode/decode helpers that check the announced length and
 * that a failed decode leaves its struct zeroed. Static functions only:
 * included by tests/unit/test_proto*.c.
 */
#ifndef DZ_PROTOFIX_H
#define DZ_PROTOFIX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/cursor.h"
#include "net/frame.h"
#include "net/proto.h"

enum { V_MIN, V_MID, V_MAX, NVARIANTS };

/* Backing store for the pointer fields of samples: big enough for the
 * largest blob and list of every message. */
struct bufs {
	uint8_t *data;       /* PROTO_FRAG_MAX bytes (>= PROTO_REC_MAX) */
	uint8_t *hashes;     /* 255 x 32 */
	uint8_t *commit;     /* PROTO_COMMIT_MAX entries */
	uint8_t *reclist;    /* PROTO_RECLIST_MAX entries */
	uint8_t *hsegs;      /* PROTO_HEALTH_MAXSEGS entries, worst first */
};

__attribute__((unused)) static void
fill(void *p, size_t n, uint32_t seed)
{
	uint8_t *b = p;
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
}

/* A well-formed ticket (the signature is not judged by the codec). */
__attribute__((unused)) static void
sample_ticket(struct proto_ticket *t, uint32_t seed)
{
	t->version = PROTO_TICKET_VERSION;
	fill(t->account, sizeof(t->account), seed);
	fill(t->name, 32, seed + 1);
	t->size = 1 + seed % PROTO_FRAG_MAX;
	fill(t->peer, 32, seed + 2);
	t->expires = (uint64_t)seed * 1000003u;
	fill(t->sig, 64, seed + 3);
}

__attribute__((unused)) static int
setup(void **state)
{
	struct bufs *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return -1;
	b->data = malloc(PROTO_FRAG_MAX);
	b->hashes = malloc(255 * 32);
	b->commit = malloc((size_t)PROTO_COMMIT_MAX * PROTO_COMMIT_ENTBYTES);
	b->reclist = malloc((size_t)PROTO_RECLIST_MAX * PROTO_RECLIST_ENTBYTES);
	b->hsegs = malloc((size_t)PROTO_HEALTH_MAXSEGS * PROTO_HEALTH_SEGBYTES);
	if (!b->data || !b->hashes || !b->commit || !b->reclist || !b->hsegs)
		return -1;
	for (size_t i = 0; i < PROTO_HEALTH_MAXSEGS; i++) {
		/* healthy 1..255, avail rising within each healthy count */
		struct proto_health_seg e = {(uint8_t)(1 + i / 258),
		    (uint16_t)((i % 258) * 254)};
		proto_health_seg_put(b->hsegs + i * PROTO_HEALTH_SEGBYTES, &e);
	}
	fill(b->data, PROTO_FRAG_MAX, 1);
	fill(b->hashes, 255 * 32, 2);
	*state = b;
	return 0;
}

__attribute__((unused)) static int
teardown(void **state)
{
	struct bufs *b = *state;

	free(b->data);
	free(b->hashes);
	free(b->commit);
	free(b->reclist);
	free(b->hsegs);
	free(b);
	return 0;
}

/* A text of exactly n bytes from the allowed set of a field. */
__attribute__((unused)) static void
text_of(char *s, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		s[i] = alphabet[i % k];
	s[n] = '\0';
}

/* A UTF-8 text of exactly n bytes with multi-byte characters. */
__attribute__((unused)) static void
utf8_of(char *s, size_t n)
{
	size_t i = 0;

	while (n - i >= 3) {
		memcpy(s + i, "\xe2\x82\xac", 3); /* EURO SIGN */
		i += 3;
	}
	while (i < n)
		s[i++] = 'x';
	s[n] = '\0';
}

static const char user_set[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
static const char addr_set[] = "[0123456789abcdefABCDEF.:]";

__attribute__((unused)) static void
addr_of(char *s, int v, size_t i)
{
	if (v == V_MAX)
		text_of(s, PROTO_ADDR_MAX, addr_set);
	else if (i % 2 == 0)
		strcpy(s, "10.0.0.7:7000");
	else
		strcpy(s, "[::1]:65535");
}

/* make: a calloc'd struct of the given type filled with variant v. */
__attribute__((unused)) static void *
make(uint16_t type, int v, struct bufs *b)
{
	void *m = calloc(1, proto_msg_size(type));
	size_t i, j, n;

	assert_non_null(m);
	switch (type) {
	case PROTO_ERROR: {
		struct proto_error *e = m;
		e->code = v == V_MIN ? -1 : v == V_MID ? DZ_EEXIST : INT32_MIN;
		if (v == V_MID)
			strcpy(e->message, "version conflict");
		else if (v == V_MAX)
			utf8_of(e->message, PROTO_ERRMSG_MAX);
		break;
	}
	case PROTO_CONFLICT:
		((struct proto_conflict *)m)->current_version =
		    v == V_MIN ? 0 : v == V_MID ? 7 : UINT64_MAX;
		break;
	case PROTO_SIGNUP: {
		struct proto_signup *s = m;
		text_of(s->user, v == V_MIN ? 1 : v == V_MID ? 11 :
		    PROTO_USER_MAX, user_set);
		fill(s->keyfile, KEYFILE_BYTES, 10 + v);
		fill(s->login_pk, 32, 20 + v);
		if (v == V_MID)
			strcpy(s->hint, "the name of my first cat, caf\xc3\xa9");
		else if (v == V_MAX)
			utf8_of(s->hint, PROTO_HINT_MAX);
		break;
	}
	case PROTO_PRELOGIN:
		text_of(((struct proto_prelogin *)m)->user,
		    v == V_MAX ? PROTO_USER_MAX : 5, user_set);
		break;
	case PROTO_PRELOGIN_REP: {
		struct proto_prelogin_rep *r = m;
		r->params.alg = PWKEY_ALG_ARGON2ID13;
		r->params.opslimit = v == V_MIN ? PWKEY_OPS_MIN :
		    v == V_MID ? 3 : PWKEY_OPS_MAX;
		r->params.memlimit = v == V_MIN ? PWKEY_MEM_MIN :
		    v == V_MID ? 256u << 20 : PWKEY_MEM_MAX;
		fill(r->salt, sizeof(r->salt), 30 + v);
		fill(r->challenge, 32, 40 + v);
		if (v == V_MAX)
			utf8_of(r->hint, PROTO_HINT_MAX);
		else if (v == V_MID)
			strcpy(r->hint, "cat");
		break;
	}
	case PROTO_LOGIN: {
		struct proto_login *l = m;
		text_of(l->user, v == V_MAX ? PROTO_USER_MAX : 1 + v, user_set);
		fill(l->sig, 64, 50 + v);
		break;
	}
	case PROTO_LOGIN_REP:
		fill(((struct proto_login_rep *)m)->keyfile, KEYFILE_BYTES, v);
		break;
	case PROTO_PASSWD: {
		struct proto_passwd *p = m;
		fill(p->keyfile, KEYFILE_BYTES, 60 + v);
		fill(p->login_pk, 32, 70 + v);
		fill(p->sig, 64, 80 + v);
		break;
	}
	case PROTO_PLACE: {
		struct proto_place *p = m;
		p->n = v == V_MIN ? 1 : v == V_MID ? 12 : 255;
		p->frag_size = v == V_MIN ? 1 : v == V_MID ? 1u << 20 :
		    PROTO_FRAG_MAX;
		p->names = (const uint8_t (*)[32])b->hashes;
		p->nexclude = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_PLACE_MAX;
		p->exclude = v == V_MIN ? NULL :
		    (const uint8_t (*)[32])b->hashes;
		p->k = v == V_MIN ? 0 : v == V_MID ? 4 : 255;
		break;
	}
	case PROTO_PLACE_REP: {
		struct proto_place_rep *p = m;
		p->npeers = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_PLACE_MAX;
		for (i = 0; i < p->npeers; i++) {
			fill(p->peers[i].pk, 32, (uint32_t)(100 + i));
			addr_of(p->peers[i].addr, v, i);
			sample_ticket(&p->tickets[i], (uint32_t)(200 + i));
		}
		break;
	}
	case PROTO_FRAGS_COMMIT: {
		struct proto_frags_commit *c = m;
		fill(c->object_id, 32, 90 + v);
		c->k = v == V_MAX ? 254 : v == V_MID ? 4 : 1;
		c->n = v == V_MAX ? 255 : v == V_MID ? 12 : 2;
		c->threshold = v == V_MAX ? 255 : v == V_MID ? 10 : 0;
		c->nentries = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_COMMIT_MAX;
		for (i = 0; i < c->nentries; i++) {
			struct proto_commit_ent e;
			e.seg = v == V_MAX ? UINT64_MAX - i : i / 12;
			e.index = (uint8_t)(v == V_MAX ? 254 - i % 255 : i);
			fill(e.name, 32, (uint32_t)(1000 + i));
			e.size = v == V_MAX ? PROTO_FRAG_MAX : (uint32_t)(1 + i);
			fill(e.peer, 32, (uint32_t)(2000 + i));
			proto_commit_ent_put(b->commit +
			    i * PROTO_COMMIT_ENTBYTES, &e);
		}
		c->entries = c->nentries > 0 ? b->commit : NULL;
		break;
	}
	case PROTO_FRAGS_LOCATE: {
		struct proto_frags_locate *l = m;
		l->nnames = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_LOCATE_MAX;
		l->names = (const uint8_t (*)[32])b->hashes;
		break;
	}
	case PROTO_FRAGS_LOCATE_REP: {
		struct proto_frags_locate_rep *l = m;
		l->nnames = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_LOCATE_MAX;
		for (i = 0; i < l->nnames; i++) {
			n = v == V_MAX ? PROTO_LOCATE_MAXLOCS :
			    i == 0 ? 0 : i == 1 ? 1 : PROTO_LOCATE_MAXLOCS;
			l->names[i].nlocs = (uint16_t)n;
			for (j = 0; j < n; j++) {
				fill(l->names[i].locs[j].pk, 32,
				    (uint32_t)(i * 16 + j));
				addr_of(l->names[i].locs[j].addr, v, j);
			}
		}
		break;
	}
	case PROTO_OBJ_DELETE:
		fill(((struct proto_obj_delete *)m)->object_id, 32, 3 + v);
		break;
	case PROTO_REC_PUT: {
		struct proto_rec_put *r = m;
		r->id[31] = 1;
		if (v != V_MIN)
			fill(r->id, 32, 4 + v);
		r->expected_version = v == V_MIN ? 0 : v == V_MID ? 9 :
		    UINT64_MAX;
		r->blob_len = v == V_MIN ? 0 : v == V_MID ? 100 : PROTO_REC_MAX;
		r->blob = v == V_MIN ? NULL : b->data;
		break;
	}
	case PROTO_REC_PUT_REP:
		((struct proto_rec_put_rep *)m)->version =
		    v == V_MIN ? 1 : v == V_MID ? 10 : UINT64_MAX;
		break;
	case PROTO_REC_GET:
		fill(((struct proto_rec_get *)m)->id, 32, 5 + v);
		break;
	case PROTO_REC_GET_REP: {
		struct proto_rec_get_rep *r = m;
		r->version = v == V_MIN ? 1 : v == V_MID ? 10 : UINT64_MAX;
		r->blob_len = v == V_MIN ? 0 : v == V_MID ? 33 : PROTO_REC_MAX;
		r->blob = b->data;
		break;
	}
	case PROTO_REC_LIST: {
		struct proto_rec_list *r = m;
		if (v != V_MIN)
			fill(r->after_id, 32, 6 + v);
		r->max = v == V_MIN ? 1 : v == V_MID ? 100 : PROTO_RECLIST_MAX;
		break;
	}
	case PROTO_REC_LIST_REP: {
		struct proto_rec_list_rep *r = m;
		r->nentries = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_RECLIST_MAX;
		for (i = 0; i < r->nentries; i++) {
			struct proto_reclist_ent e;
			fill(e.id, 32, (uint32_t)(3000 + i));
			e.id[0] = (uint8_t)(i >> 8); /* strictly increasing */
			e.id[1] = (uint8_t)i;
			e.version = v == V_MAX ? UINT64_MAX : 1 + i;
			e.size = v == V_MAX ? PROTO_REC_MAX : (uint32_t)i;
			proto_reclist_ent_put(b->reclist +
			    i * PROTO_RECLIST_ENTBYTES, &e);
		}
		r->entries = b->reclist;
		break;
	}
	case PROTO_REC_DEL: {
		struct proto_rec_del *r = m;
		fill(r->id, 32, 7 + v);
		r->expected_version = v == V_MIN ? 1 : v == V_MID ? 3 :
		    UINT64_MAX;
		break;
	}
	case PROTO_STATUS_REP: {
		struct proto_status_rep *s = m;
		s->default_k = 1;
		s->default_n = 2;
		if (v == V_MID) {
			s->used = 1u << 30;
			s->quota = 5ull << 30;
			s->earned = 4ull << 30;
			s->peers_online = 7;
			s->peers_total = 9;
			s->default_k = 4;
			s->default_n = 12;
		} else if (v == V_MAX) {
			s->used = s->quota = s->earned = UINT64_MAX;
			s->peers_online = s->peers_total = UINT32_MAX;
			s->default_k = 254;
			s->default_n = 255;
		}
		break;
	}
	case PROTO_PEER_REGISTER: {
		struct proto_peer_register *p = m;
		if (v == V_MIN)
			strcpy(p->addr, "1");
		else
			addr_of(p->addr, v, 0);
		p->capacity = v == V_MAX ? UINT64_MAX : (uint64_t)v << 30;
		p->used = v == V_MAX ? UINT64_MAX : (uint64_t)v << 20;
		p->flags = v == V_MIN ? 0 : PROTO_PEER_DATACENTRE;
		if (v == V_MID)
			strcpy(p->owner, "alice");
		else if (v == V_MAX)
			text_of(p->owner, PROTO_USER_MAX, user_set);
		memset(p->device, v == V_MIN ? 0 : 0x5a, sizeof(p->device));
		p->issued = v == V_MAX ? UINT64_MAX : (uint64_t)v * 1000;
		memset(p->sig, v == V_MIN ? 0 : 0xa5, sizeof(p->sig));
		break;
	}
	case PROTO_PEER_HEARTBEAT: {
		struct proto_peer_heartbeat *p = m;
		p->capacity = v == V_MAX ? UINT64_MAX : (uint64_t)v << 30;
		p->used = v == V_MAX ? UINT64_MAX : (uint64_t)v << 20;
		p->nfrags = v == V_MAX ? UINT64_MAX : (uint64_t)v * 17;
		break;
	}
	case PROTO_FRAG_PUT: {
		struct proto_frag_put *f = m;
		fill(f->name, 32, 8 + v);
		f->has_ticket = v != V_MIN;
		if (f->has_ticket)
			sample_ticket(&f->ticket, 300 + v);
		f->len = v == V_MIN ? 1 : v == V_MID ? 1000 : PROTO_FRAG_MAX;
		f->data = b->data;
		break;
	}
	case PROTO_FRAG_GET:
		fill(((struct proto_frag_get *)m)->name, 32, 9 + v);
		break;
	case PROTO_FRAG_GET_REP: {
		struct proto_frag_get_rep *f = m;
		f->len = v == V_MIN ? 1 : v == V_MID ? 999 : PROTO_FRAG_MAX;
		f->data = b->data;
		break;
	}
	case PROTO_FRAG_HAS: {
		struct proto_frag_has *f = m;
		f->nnames = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_HAS_MAX;
		f->names = (const uint8_t (*)[32])b->hashes;
		break;
	}
	case PROTO_FRAG_HAS_REP: {
		struct proto_frag_has_rep *f = m;
		f->count = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_HAS_MAX;
		for (i = 0; i < f->count; i++)
			if (i % 3 != 1)
				proto_has_set(f, i);
		break;
	}
	case PROTO_AUDIT: {
		struct proto_audit *a = m;
		fill(a->name, 32, 11 + v);
		a->leaf = v == V_MIN ? 0 : v == V_MID ? 5 :
		    PROTO_AUDIT_MAXLEAVES - 1;
		break;
	}
	case PROTO_AUDIT_REP: {
		struct proto_audit_rep *a = m;
		a->nleaves = v == V_MIN ? 1 : v == V_MID ? 6 :
		    PROTO_AUDIT_MAXLEAVES;
		a->block_len = v == V_MIN ? 1 : v == V_MID ? 100 : MERKLE_BLOCK;
		a->block = b->data;
		a->npath = v == V_MIN ? 0 : v == V_MID ? 3 : MERKLE_MAXPATH;
		a->path = (const uint8_t (*)[32])b->hashes;
		break;
	}
	case PROTO_AUDIT_NEWS: {
		struct proto_audit_news *a = m;
		a->after = v == V_MIN ? 0 : v == V_MID ? 77 : UINT64_MAX;
		break;
	}
	case PROTO_AUDIT_NEWS_REP: {
		struct proto_audit_news_rep *a = m;
		a->state = v == V_MIN ? 0 : v == V_MID ? 2 : PROTO_PEER_DISQUALIFIED;
		a->count = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_NEWS_MAX;
		for (size_t e = 0; e < a->count; e++) {
			a->fail[e].seq = e + 1;
			a->fail[e].at = 1000 + e;
			fill(a->fail[e].name, 32, (int)e + v);
			a->fail[e].reason = 1 + e % PROTO_AUDIT_REASON_MAX;
		}
		break;
	}
	case PROTO_PEER_REPORT_REP: {
		struct proto_peer_report_rep *a = m;
		a->count = v == V_MIN ? 0 : v == V_MID ? 2 : PROTO_REPORT_MAX;
		for (size_t e = 0; e < a->count; e++) {
			struct proto_peer_rec *r = &a->peer[e];
			fill(r->pk, 32, (int)e);
			r->state = e % 4;
			r->online = e % 2;
			r->passed = v == V_MAX ? UINT64_MAX : e;
			r->window = 20;
			r->window_failed = (uint16_t)(e % 21);
			r->last_reason = e % 4;
			r->last_at = UINT64_MAX - e;
		}
		break;
	}
	case PROTO_GC_FILTER: {
		struct proto_gc_filter *g = m;
		uint32_t nbits = v == V_MIN ? BLOOM_MINBITS : v == V_MID ? 8000 :
		    BLOOM_MAXBITS;
		g->created = v == V_MIN ? 0 : v == V_MID ? 1700000000 : UINT64_MAX;
		g->protect = v == V_MIN ? 0 : v == V_MID ? 7200 : PROTO_GC_PROTECT_MAX;
		g->lo = v == V_MAX ? 0xffff : 0;
		g->hi = v == V_MIN ? 0 : 0xffff;
		b->data[0] = BLOOM_VERSION;
		b->data[1] = v == V_MAX ? BLOOM_MAXHASH : 1 + v;
		fill(b->data + 2, BLOOM_SEEDBYTES, 90 + v);
		for (i = 0; i < 4; i++)
			b->data[2 + BLOOM_SEEDBYTES + i] = (uint8_t)(nbits >> (8 * i));
		fill(b->data + BLOOM_HDRBYTES, nbits / 8, 91 + v);
		g->filter = b->data;
		g->filter_len = BLOOM_HDRBYTES + nbits / 8;
		break;
	}
	case PROTO_GC_FILTER_REP: {
		struct proto_gc_filter_rep *g = m;
		g->examined = v == V_MIN ? 0 : v == V_MID ? 10 : UINT64_MAX;
		g->deleted = v == V_MIN ? 0 : v == V_MID ? 4 : UINT64_MAX;
		g->freed = v == V_MIN ? 0 : v == V_MID ? 16384 : UINT64_MAX;
		break;
	}
	case PROTO_OBJ_HEALTH: {
		struct proto_obj_health *h = m;
		h->nobjs = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_HEALTH_MAXOBJ;
		h->ids = (const uint8_t (*)[32])b->hashes;
		break;
	}
	case PROTO_OBJ_HEALTH_REP: {
		/* MAX: 64 objects, the last one past the listed bound (its
		 * nsegs the largest, its list the longest) */
		struct proto_obj_health_rep *h = m;
		h->nobjs = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_HEALTH_MAXOBJ;
		for (i = 0; i < h->nobjs; i++) {
			struct proto_obj_hstate *o = &h->objs[i];
			o->nsegs = i % 3;
			if (v == V_MAX && i + 1 == h->nobjs)
				o->nsegs = UINT64_MAX;
			o->nlisted = o->nsegs < PROTO_HEALTH_MAXSEGS ?
			    (uint32_t)o->nsegs : PROTO_HEALTH_MAXSEGS;
			o->threshold = (uint8_t)(v == V_MAX ? 255 : i);
			o->segs = b->hsegs;
		}
		break;
	}
	case PROTO_WHATDOYOUKNOW_REP: {
		struct proto_whatdoyouknow_rep *k = m;
		text_of(k->user, v == V_MAX ? PROTO_USER_MAX : 1 + v, user_set);
		k->created = v == V_MAX ? UINT64_MAX : (uint64_t)v;
		k->params.alg = PWKEY_ALG_ARGON2ID13;
		k->params.opslimit = v == V_MAX ? PWKEY_OPS_MAX : PWKEY_OPS_MIN;
		k->params.memlimit = v == V_MAX ? PWKEY_MEM_MAX : PWKEY_MEM_MIN;
		fill(k->salt, sizeof(k->salt), 60 + v);
		k->keyfile_bytes = KEYFILE_BYTES;
		fill(k->login_pk, 32, 70 + v);
		if (v == V_MAX)
			utf8_of(k->hint, PROTO_HINT_MAX);
		k->used = k->quota = k->earned = v == V_MAX ? UINT64_MAX : (uint64_t)v;
		k->records = k->fragments = k->copies = (uint64_t)v;
		k->failed_logins = v == V_MAX ? UINT32_MAX : 0;
		k->ndev = v == V_MIN ? 0 : v == V_MID ? 2 : PROTO_KNOW_DEVICES_MAX;
		for (size_t e = 0; e < k->ndev; e++) {
			fill(k->dev[e].pk, 32, (int)e);
			k->dev[e].bound = e;
			k->dev[e].seen = UINT64_MAX - e;
		}
		k->npeers = v == V_MIN ? 0 : v == V_MID ? 2 : PROTO_KNOW_PEERS_MAX;
		for (size_t e = 0; e < k->npeers; e++) {
			struct proto_know_peer *p = &k->peer[e];
			fill(p->pk, 32, 80 + (int)e);
			if (v == V_MAX)
				text_of(p->addr, PROTO_ADDR_MAX, addr_set);
			else if (e > 0)
				strcpy(p->addr, "127.0.0.1:7001");
			p->capacity = v == V_MAX ? UINT64_MAX : e;
			p->flags = (uint32_t)e;
			p->online = e % 2;
			p->state = e % 4;
			p->last_reason = e % 4;
			fill(p->last_name, 32, (int)e);
			p->held = UINT64_MAX - e;
		}
		break;
	}
	case PROTO_CREDIT_REP: {
		struct proto_credit_rep *c = m;
		uint64_t big = v == V_MAX ? (uint64_t)INT64_MAX / 4 : 1000 * (uint64_t)v;
		c->used = v == V_MAX ? UINT64_MAX : big;
		c->base = c->earned = c->grant = big;
		c->quota = 3 * big;
		c->min_avail = v == V_MAX ? UINT16_MAX : 10923;
		c->window = v == V_MAX ? UINT32_MAX : 86400;
		c->peers_total = v == V_MAX ? UINT32_MAX : 5;
		c->peers_online = v == V_MIN ? 0 : c->peers_total;
		c->npeers = v == V_MIN ? 0 : v == V_MID ? 2 : PROTO_CREDIT_MAXPEERS;
		for (i = 0; i < c->npeers; i++) {
			struct proto_credit_peer *p = &c->peers[i];
			memset(p->pk, (int)i, sizeof(p->pk));
			p->capacity = p->proven = p->held = p->earned = big;
			p->avail = v == V_MAX ? UINT16_MAX : 30000;
			p->online = 1;
			p->state = (uint8_t)(i % 4);
			p->audits_passed = p->audits_failed = big;
			p->ph_block = v == V_MAX ? UINT32_MAX : 1u << 20;
			p->ph_claimed = v == V_MAX ? UINT64_MAX : 10;
			p->ph_proven = v == V_MAX ? UINT64_MAX : 7;
			p->ph_passed = p->ph_failed = big;
		}
		break;
	}
	case PROTO_QUOTA:
		((struct proto_quota *)m)->bytes = v == V_MAX ? UINT64_MAX : (uint64_t)v;
		break;
	case PROTO_PH_SEED_REP: {
		struct proto_ph_seed_rep *r = m;
		memset(r->seed, 0x5a, sizeof(r->seed));
		r->block = v == V_MIN ? PROTO_PH_BLOCK_MIN : v == V_MID ? 1u << 20 :
		    PROTO_PH_BLOCK_MAX;
		r->rounds = v == V_MIN ? 1 : v == V_MID ? 32 : UINT32_MAX;
		break;
	}
	case PROTO_PH_CLAIM:
		((struct proto_ph_claim *)m)->blocks = v == V_MAX ? (uint64_t)INT64_MAX :
		    (uint64_t)v;
		break;
	case PROTO_PH_PROVE: {
		struct proto_ph_prove *q = m;
		q->index = v == V_MAX ? (uint64_t)INT64_MAX : (uint64_t)v;
		memset(q->nonce, 0x33, sizeof(q->nonce));
		break;
	}
	case PROTO_PH_PROVE_REP:
		memset(((struct proto_ph_prove_rep *)m)->hash, 0x44, PROTO_PH_HASHBYTES);
		break;
	default:
		break; /* empty bodies */
	}
	return m;
}

/* Encode msg of type into a fresh buffer; *len gets its length. */
__attribute__((unused)) static uint8_t *
encode(uint16_t type, const void *msg, size_t *len)
{
	size_t n;
	uint8_t *buf;
	struct wbuf w;

	assert_int_equal(proto_encoded_len(type, msg, &n), 0);
	buf = malloc(n + 1);
	assert_non_null(buf);
	wbuf_init(&w, buf, n);
	assert_int_equal(proto_encode(type, msg, &w), 0);
	assert_int_equal(w.len, n);
	*len = n;
	return buf;
}

__attribute__((unused)) static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	return n == 0 || (b[0] == 0 && memcmp(b, b + 1, n - 1) == 0);
}

/* Decode buf as type into m (poisoned first) and return the result code;
 * a failed decode must leave m zeroed. */
__attribute__((unused)) static int
decode_in(uint16_t type, const uint8_t *buf, size_t len, void *m)
{
	int rc;

	memset(m, 0xa5, proto_msg_size(type));
	rc = proto_decode(type, buf, len, m);
	if (rc != 0)
		assert_true(all_zero(m, proto_msg_size(type)));
	return rc;
}

/* decode_in with a struct of its own. */
__attribute__((unused)) static int
decode_rc(uint16_t type, const uint8_t *buf, size_t len)
{
	void *m = malloc(proto_msg_size(type));
	int rc;

	assert_non_null(m);
	rc = decode_in(type, buf, len, m);
	free(m);
	return rc;
}

#endif /* DZ_PROTOFIX_H */
