/* test_proto: every message body of the wire protocol round-trips through
 * its codec at its boundary values (empty lists, maximum counts, maximum
 * string and blob lengths) and has the byte layout of docs/protocol.md;
 * every decoder refuses, with the documented code, a body cut at any byte,
 * a trailing byte, a count or length over its bound (judged before it is
 * used), a value out of range, a text string with a NUL or a character its
 * field forbids, and fixed-size fields of the wrong size; encoders refuse
 * what decoders refuse and write nothing then; the signed transcripts have
 * their documented bytes. */
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
};

static void
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

static int
setup(void **state)
{
	struct bufs *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return -1;
	b->data = malloc(PROTO_FRAG_MAX);
	b->hashes = malloc(255 * 32);
	b->commit = malloc((size_t)PROTO_COMMIT_MAX * PROTO_COMMIT_ENTBYTES);
	b->reclist = malloc((size_t)PROTO_RECLIST_MAX * PROTO_RECLIST_ENTBYTES);
	if (!b->data || !b->hashes || !b->commit || !b->reclist)
		return -1;
	fill(b->data, PROTO_FRAG_MAX, 1);
	fill(b->hashes, 255 * 32, 2);
	*state = b;
	return 0;
}

static int
teardown(void **state)
{
	struct bufs *b = *state;

	free(b->data);
	free(b->hashes);
	free(b->commit);
	free(b->reclist);
	free(b);
	return 0;
}

/* A text of exactly n bytes from the allowed set of a field. */
static void
text_of(char *s, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		s[i] = alphabet[i % k];
	s[n] = '\0';
}

/* A UTF-8 text of exactly n bytes with multi-byte characters. */
static void
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

static void
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
static void *
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
		p->nexclude = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_PLACE_MAX;
		p->exclude = v == V_MIN ? NULL :
		    (const uint8_t (*)[32])b->hashes;
		break;
	}
	case PROTO_PLACE_REP: {
		struct proto_place_rep *p = m;
		p->npeers = v == V_MIN ? 0 : v == V_MID ? 3 : PROTO_PLACE_MAX;
		for (i = 0; i < p->npeers; i++) {
			fill(p->peers[i].pk, 32, (uint32_t)(100 + i));
			addr_of(p->peers[i].addr, v, i);
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
	default:
		break; /* empty bodies */
	}
	return m;
}

/* Encode msg of type into a fresh buffer; *len gets its length. */
static uint8_t *
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

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	return n == 0 || (b[0] == 0 && memcmp(b, b + 1, n - 1) == 0);
}

/* Decode buf as type into m (poisoned first) and return the result code;
 * a failed decode must leave m zeroed. */
static int
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
static int
decode_rc(uint16_t type, const uint8_t *buf, size_t len)
{
	void *m = malloc(proto_msg_size(type));
	int rc;

	assert_non_null(m);
	rc = decode_in(type, buf, len, m);
	free(m);
	return rc;
}

/* Every type number is unique, named, and either a request below 0x8000
 * whose reply is it | 0x8000, or a reply; unknown types are refused. */
static void
test_type_numbers(void **state)
{
	size_t n = proto_type_count(), nreq = 0, i, j;

	(void)state;
	assert_int_equal(n, 48); /* 42 + PEER_LEAVE, DEVICES, DEVICE_REVOKE and replies */
	for (i = 0; i < n; i++) {
		uint16_t t = proto_type_at(i);

		assert_non_null(proto_type_name(t));
		assert_true(proto_msg_size(t) > 0);
		for (j = i + 1; j < n; j++)
			assert_int_not_equal(t, proto_type_at(j));
		if (t < 0x8000) {
			nreq++;
			assert_true(t >= 0x0100);
			assert_non_null(proto_type_name(PROTO_REPLY(t)));
		}
	}
	assert_int_equal(nreq, 23);
	assert_int_equal(proto_type_at(n), 0);
	assert_string_equal(proto_type_name(PROTO_REC_PUT), "REC_PUT");
	assert_string_equal(proto_type_name(PROTO_AUDIT_REP), "AUDIT_REP");
	assert_int_equal(PROTO_REPLY(PROTO_SIGNUP), PROTO_SIGNUP_REP);
	assert_null(proto_type_name(0x0100));
	assert_int_equal(proto_msg_size(0x7777), 0);
	{
		struct proto_empty e;
		assert_int_equal(proto_decode(0x7777, NULL, 0, &e), DZ_EFORMAT);
		assert_int_equal(proto_decode(PROTO_STATUS, NULL, 0, &e), 0);
		assert_int_equal(proto_decode(PROTO_STATUS, NULL, 1, &e),
		    DZ_EINVAL);
	}
}

/* Every message at its minimum, a middle and its maximum values encodes
 * to the length proto_encoded_len announced, fits a frame, decodes, and
 * re-encodes to the same bytes. */
static void
test_round_trip_all(void **state)
{
	for (size_t i = 0; i < proto_type_count(); i++) {
		uint16_t t = proto_type_at(i);

		for (int v = 0; v < NVARIANTS; v++) {
			void *m = make(t, v, *state);
			void *d = calloc(1, proto_msg_size(t));
			size_t len, len2;
			uint8_t *buf = encode(t, m, &len), *buf2;

			assert_true(len <= FRAME_MAXBODY);
			assert_int_equal(proto_decode(t, buf, len, d), 0);
			buf2 = encode(t, d, &len2);
			assert_int_equal(len, len2);
			assert_memory_equal(buf, buf2, len);
			free(buf);
			free(buf2);
			free(d);
			free(m);
		}
	}
}

static void
assert_inside(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	const uint8_t *q = p;

	assert_non_null(q);
	assert_true(q >= buf && n <= len && q - buf <= (ptrdiff_t)(len - n));
}

/* Decoded fields equal what was encoded; blobs and wire-form lists point
 * inside the input, within its length; entry accessors give back the
 * entries and refuse an index past the count. */
static void
test_decoded_fields(void **state)
{
	struct bufs *b = *state;
	size_t len;
	uint8_t *buf;

	{
		struct proto_signup *s = make(PROTO_SIGNUP, V_MAX, b), d;
		buf = encode(PROTO_SIGNUP, s, &len);
		assert_int_equal(proto_signup_decode(buf, len, &d), 0);
		assert_string_equal(d.user, s->user);
		assert_int_equal(strlen(d.user), PROTO_USER_MAX);
		assert_memory_equal(d.keyfile, s->keyfile, KEYFILE_BYTES);
		assert_memory_equal(d.login_pk, s->login_pk, 32);
		assert_string_equal(d.hint, s->hint);
		assert_int_equal(strlen(d.hint), PROTO_HINT_MAX);
		free(buf);
		free(s);
	}
	{
		struct proto_error *e = make(PROTO_ERROR, V_MAX, b), d;
		buf = encode(PROTO_ERROR, e, &len);
		assert_int_equal(proto_error_decode(buf, len, &d), 0);
		assert_int_equal(d.code, INT32_MIN);
		assert_string_equal(d.message, e->message);
		free(buf);
		free(e);
	}
	{
		struct proto_rec_put *r = make(PROTO_REC_PUT, V_MID, b), d;
		buf = encode(PROTO_REC_PUT, r, &len);
		assert_int_equal(proto_rec_put_decode(buf, len, &d), 0);
		assert_memory_equal(d.id, r->id, 32);
		assert_true(d.expected_version == 9);
		assert_int_equal(d.blob_len, 100);
		assert_inside(d.blob, d.blob_len, buf, len);
		assert_memory_equal(d.blob, b->data, 100);
		free(buf);
		free(r);
	}
	{
		struct proto_frags_commit *c = make(PROTO_FRAGS_COMMIT, V_MAX, b), d;
		struct proto_commit_ent e;
		buf = encode(PROTO_FRAGS_COMMIT, c, &len);
		assert_int_equal(proto_frags_commit_decode(buf, len, &d), 0);
		assert_int_equal(d.nentries, PROTO_COMMIT_MAX);
		assert_int_equal(d.k, 254);
		assert_int_equal(d.n, 255);
		assert_inside(d.entries, (size_t)d.nentries * PROTO_COMMIT_ENTBYTES,
		    buf, len);
		assert_int_equal(proto_frags_commit_ent(&d, 65535, &e), 0);
		assert_true(e.seg == UINT64_MAX - 65535);
		assert_int_equal(e.index, 254 - 65535 % 255);
		assert_int_equal(e.size, PROTO_FRAG_MAX);
		assert_int_equal(proto_frags_commit_ent(&d, 65536, &e), DZ_EINVAL);
		free(buf);
		free(c);
	}
	{
		struct proto_rec_list_rep *r = make(PROTO_REC_LIST_REP, V_MID, b), d;
		struct proto_reclist_ent e;
		buf = encode(PROTO_REC_LIST_REP, r, &len);
		assert_int_equal(proto_rec_list_rep_decode(buf, len, &d), 0);
		assert_int_equal(d.nentries, 3);
		assert_inside(d.entries, 3 * PROTO_RECLIST_ENTBYTES, buf, len);
		assert_int_equal(proto_rec_list_rep_ent(&d, 2, &e), 0);
		assert_true(e.version == 3);
		assert_int_equal(e.size, 2);
		assert_int_equal(e.id[1], 2);
		assert_int_equal(proto_rec_list_rep_ent(&d, 3, &e), DZ_EINVAL);
		free(buf);
		free(r);
	}
	{
		struct proto_audit_rep *a = make(PROTO_AUDIT_REP, V_MAX, b), d;
		buf = encode(PROTO_AUDIT_REP, a, &len);
		assert_int_equal(proto_audit_rep_decode(buf, len, &d), 0);
		assert_int_equal(d.nleaves, PROTO_AUDIT_MAXLEAVES);
		assert_int_equal(d.block_len, MERKLE_BLOCK);
		assert_int_equal(d.npath, MERKLE_MAXPATH);
		assert_inside(d.block, d.block_len, buf, len);
		assert_inside(d.path, 32 * MERKLE_MAXPATH, buf, len);
		assert_memory_equal(d.path[31], b->hashes + 31 * 32, 32);
		free(buf);
		free(a);
	}
	{
		struct proto_frags_locate_rep *l = make(PROTO_FRAGS_LOCATE_REP,
		    V_MID, b);
		struct proto_frags_locate_rep *d = calloc(1, sizeof(*d));
		buf = encode(PROTO_FRAGS_LOCATE_REP, l, &len);
		assert_int_equal(proto_frags_locate_rep_decode(buf, len, d), 0);
		assert_int_equal(d->nnames, 3);
		assert_int_equal(d->names[0].nlocs, 0);
		assert_int_equal(d->names[1].nlocs, 1);
		assert_int_equal(d->names[2].nlocs, 16);
		assert_string_equal(d->names[2].locs[15].addr, "[::1]:65535");
		assert_memory_equal(d->names[2].locs[3].pk,
		    l->names[2].locs[3].pk, 32);
		free(buf);
		free(l);
		free(d);
	}
	{
		struct proto_status_rep *s = make(PROTO_STATUS_REP, V_MID, b), d;
		buf = encode(PROTO_STATUS_REP, s, &len);
		assert_int_equal(len, 8 + 8 + 8 + 4 + 4 + 1 + 1);
		assert_int_equal(proto_status_rep_decode(buf, len, &d), 0);
		assert_true(d.used == 1u << 30);
		assert_int_equal(d.peers_online, 7);
		assert_int_equal(d.peers_total, 9);
		assert_int_equal(d.default_k, 4);
		assert_int_equal(d.default_n, 12);
		free(buf);
		free(s);
	}
	{
		struct proto_frag_has_rep *h = make(PROTO_FRAG_HAS_REP, V_MAX, b), d;
		buf = encode(PROTO_FRAG_HAS_REP, h, &len);
		assert_int_equal(len, 2 + 32);
		assert_int_equal(proto_frag_has_rep_decode(buf, len, &d), 0);
		for (size_t i = 0; i < 256; i++)
			assert_int_equal(proto_has_bit(&d, i),
			    i < 255 && i % 3 != 1);
		free(buf);
		free(h);
	}
}

/* The bytes of a few messages, field by field as in docs/protocol.md. */
static void
test_layout(void **state)
{
	uint8_t out[512];
	struct wbuf w;

	(void)state;
	{
		struct proto_error e = {.code = DZ_EEXIST};
		static const uint8_t want[] = {0xf6, 0xff, 0xff, 0xff, 2, 0,
		    'n', 'o'};
		strcpy(e.message, "no");
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(proto_error_encode(&e, &w), 0);
		assert_int_equal(w.len, sizeof(want));
		assert_memory_equal(out, want, sizeof(want));
	}
	{
		struct proto_signup s;
		memset(&s, 0, sizeof(s));
		strcpy(s.user, "bob");
		memset(s.keyfile, 0x11, KEYFILE_BYTES);
		memset(s.login_pk, 0x22, 32);
		strcpy(s.hint, "h");
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(proto_signup_encode(&s, &w), 0);
		assert_int_equal(w.len, 2 + 3 + KEYFILE_BYTES + 32 + 2 + 1);
		assert_memory_equal(out, "\x03\x00" "bob", 5);
		assert_int_equal(out[5], 0x11);
		assert_int_equal(out[5 + KEYFILE_BYTES - 1], 0x11);
		assert_int_equal(out[5 + KEYFILE_BYTES], 0x22);
		assert_memory_equal(out + 5 + KEYFILE_BYTES + 32, "\x01\x00h", 3);
	}
	{
		struct proto_prelogin_rep r;
		memset(&r, 0, sizeof(r));
		r.params.alg = 1;
		r.params.opslimit = 3;
		r.params.memlimit = 0x10000000;
		memset(r.salt, 0x33, 16);
		memset(r.challenge, 0x44, 32);
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(proto_prelogin_rep_encode(&r, &w), 0);
		assert_int_equal(w.len, 1 + 8 + 8 + 16 + 32 + 2);
		assert_memory_equal(out, "\x01" "\x03\0\0\0\0\0\0\0"
		    "\0\0\0\x10\0\0\0\0", 17);
		assert_int_equal(out[17], 0x33);
		assert_int_equal(out[33], 0x44);
		assert_memory_equal(out + 65, "\0\0", 2);
	}
	{
		uint8_t ent[PROTO_COMMIT_ENTBYTES];
		struct proto_commit_ent e = {.seg = 0x0102030405060708,
		    .index = 9, .size = 0x00c0b0a0};
		struct proto_frags_commit c;
		memset(e.name, 0x55, 32);
		memset(e.peer, 0x66, 32);
		proto_commit_ent_put(ent, &e);
		memset(&c, 0, sizeof(c));
		memset(c.object_id, 0x77, 32);
		c.k = 4;
		c.n = 12;
		c.threshold = 10;
		c.nentries = 1;
		c.entries = ent;
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(proto_frags_commit_encode(&c, &w), 0);
		assert_int_equal(w.len, 32 + 1 + 1 + 1 + 4 + 77);
		assert_int_equal(out[0], 0x77);
		assert_memory_equal(out + 32, "\x04\x0c\x0a\x01\0\0\0", 7);
		assert_memory_equal(out + 39,
		    "\x08\x07\x06\x05\x04\x03\x02\x01\x09", 9);
		assert_int_equal(out[48], 0x55);
		assert_memory_equal(out + 80, "\xa0\xb0\xc0\x00", 4);
		assert_int_equal(out[84], 0x66);
		assert_int_equal(out[115], 0x66);
	}
	{
		struct proto_status_rep r = {.used = 1, .quota = 2, .earned = 3,
		    .peers_online = 4, .peers_total = 5, .default_k = 2,
		    .default_n = 5};
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(proto_status_rep_encode(&r, &w), 0);
		assert_int_equal(w.len, 34);
		assert_memory_equal(out, "\x01\0\0\0\0\0\0\0" "\x02\0\0\0\0\0\0\0"
		    "\x03\0\0\0\0\0\0\0" "\x04\0\0\0" "\x05\0\0\0" "\x02\x05",
		    34);
	}
	{
		struct proto_frag_has_rep h = {.count = 10};
		proto_has_set(&h, 0);
		proto_has_set(&h, 9);
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(proto_frag_has_rep_encode(&h, &w), 0);
		assert_int_equal(w.len, 4);
		assert_memory_equal(out, "\x0a\x00\x01\x02", 4);
	}
	{
		struct proto_place p = {.n = 3, .frag_size = 0x100,
		    .nexclude = 1, .exclude = (const uint8_t (*)[32])(out + 32)};
		uint8_t o2[64];
		memset(out + 32, 0x88, 32);
		wbuf_init(&w, o2, sizeof(o2));
		assert_int_equal(proto_place_encode(&p, &w), 0);
		assert_int_equal(w.len, 1 + 4 + 2 + 32);
		assert_memory_equal(o2, "\x03\x00\x01\x00\x00\x01\x00", 7);
		assert_int_equal(o2[7], 0x88);
	}
}

/* Test the cuts of a body: every offset, except in very long bodies (or
 * bodies whose struct is large, as each decode zeroes it) where the first
 * and last `edge` bytes and every 997th offset between are tested. */
static void
check_cuts(uint16_t type, const uint8_t *buf, size_t len)
{
	size_t edge = proto_msg_size(type) > 65536 ? 2048 : 65536;
	void *m = malloc(proto_msg_size(type));

	assert_non_null(m);
	for (size_t cut = 0; cut < len; cut++) {
		if (len > 2 * edge && cut >= edge && cut < len - edge &&
		    cut % 997 != 0)
			continue;
		if (decode_in(type, buf, cut, m) != DZ_ETRUNC)
			fail_msg("%s cut at %zu of %zu: not DZ_ETRUNC",
			    proto_type_name(type), cut, len);
	}
	free(m);
}

/* A body cut short at any byte is DZ_ETRUNC (and leaves the struct
 * zeroed); one byte too many is DZ_EFORMAT; for every message and every
 * variant. */
static void
test_truncated_and_trailing(void **state)
{
	for (size_t i = 0; i < proto_type_count(); i++) {
		uint16_t t = proto_type_at(i);

		for (int v = 0; v < NVARIANTS; v++) {
			void *m = make(t, v, *state);
			size_t len;
			uint8_t *buf = encode(t, m, &len);

			check_cuts(t, buf, len);
			buf[len] = 0;
			assert_int_equal(decode_rc(t, buf, len + 1), DZ_EFORMAT);
			free(buf);
			free(m);
		}
	}
	assert_int_equal(proto_empty_decode((const uint8_t *)"", 0), 0);
	assert_int_equal(proto_empty_decode((const uint8_t *)"x", 1),
	    DZ_EFORMAT);
}

/* Decode a string literal's bytes (without its NUL) as a body. */
#define DEC(type, lit) decode_rc(type, (const uint8_t *)(lit), sizeof(lit) - 1)

/* A count or length one over its bound (or the largest the field can
 * hold) is DZ_ERANGE even when nothing follows it: the bound is judged
 * before the count is used to read, so nothing is read or allocated. */
static void
test_counts_over_bound(void **state)
{
	uint8_t b[64];
	struct wbuf w;

	(void)state;
	/* PLACE: n 1, frag_size 1, then nexclude 256 / 65535 */
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x01\0\0\0\x00\x01"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x01\0\0\0\xff\xff"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x01\0\0\0\xff\x00"), DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_PLACE_REP, "\x00\x01"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_FRAGS_LOCATE, "\x00\x01"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_FRAGS_LOCATE_REP, "\x00\x01"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_FRAGS_LOCATE_REP, "\x01\x00\x11\x00"),
	    DZ_ERANGE);
	assert_int_equal(DEC(PROTO_FRAGS_LOCATE_REP, "\x01\x00\x10\x00"),
	    DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_REC_LIST_REP, "\x01\x10"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_REC_LIST_REP, "\x00\x10"), DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_FRAG_HAS, "\x00\x01"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_FRAG_HAS_REP, "\x00\x01"), DZ_ERANGE);
	/* AUDIT_REP: nleaves 1, block 1 byte, npath 33 */
	assert_int_equal(DEC(PROTO_AUDIT_REP, "\x01\0\0\0\x01\0\0\0x\x21\x00"),
	    DZ_ERANGE);
	assert_int_equal(DEC(PROTO_AUDIT_REP, "\x01\0\0\0\x01\0\0\0x\x20\x00"),
	    DZ_ETRUNC);
	/* AUDIT_REP block length 16385 and 0 */
	assert_int_equal(DEC(PROTO_AUDIT_REP, "\x01\0\0\0\x01\x40\0\0"),
	    DZ_ERANGE);
	assert_int_equal(DEC(PROTO_AUDIT_REP, "\x01\0\0\0\x00\x40\0\0"),
	    DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_AUDIT_REP, "\x01\0\0\0\0\0\0\0\0\0"),
	    DZ_ERANGE);

	/* FRAGS_COMMIT: id, k 1, n 2, threshold 0, nentries 65537 / 2^32 - 1 */
	wbuf_init(&w, b, sizeof(b));
	wbuf_bytes(&w, (const uint8_t[32]){1}, 32);
	wbuf_u8(&w, 1);
	wbuf_u8(&w, 2);
	wbuf_u8(&w, 0);
	wbuf_u32(&w, PROTO_COMMIT_MAX + 1);
	assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, b, w.len), DZ_ERANGE);
	le32_put(b + 35, UINT32_MAX);
	assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, b, w.len), DZ_ERANGE);
	le32_put(b + 35, PROTO_COMMIT_MAX);
	assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, b, w.len), DZ_ETRUNC);

	/* Blob lengths: REC_PUT, REC_GET_REP, FRAG_PUT, FRAG_GET_REP */
	wbuf_init(&w, b, sizeof(b));
	wbuf_bytes(&w, (const uint8_t[32]){1}, 32);
	wbuf_u64(&w, 0);
	wbuf_u32(&w, PROTO_REC_MAX + 1);
	assert_int_equal(decode_rc(PROTO_REC_PUT, b, w.len), DZ_ERANGE);
	le32_put(b + 40, UINT32_MAX);
	assert_int_equal(decode_rc(PROTO_REC_PUT, b, w.len), DZ_ERANGE);
	le32_put(b + 40, PROTO_REC_MAX);
	assert_int_equal(decode_rc(PROTO_REC_PUT, b, w.len), DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_REC_GET_REP, "\x01\0\0\0\0\0\0\0"
	    "\x01\x00\x00\x01"), DZ_ERANGE);
	wbuf_init(&w, b, sizeof(b));
	wbuf_bytes(&w, (const uint8_t[32]){1}, 32);
	wbuf_u32(&w, PROTO_FRAG_MAX + 1);
	assert_int_equal(decode_rc(PROTO_FRAG_PUT, b, w.len), DZ_ERANGE);
	le32_put(b + 32, 0);
	assert_int_equal(decode_rc(PROTO_FRAG_PUT, b, w.len), DZ_ERANGE);
	le32_put(b + 32, PROTO_FRAG_MAX);
	assert_int_equal(decode_rc(PROTO_FRAG_PUT, b, w.len), DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_FRAG_GET_REP, "\x01\x10\x00\x01"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_FRAG_GET_REP, "\0\0\0\0"), DZ_ERANGE);

	/* Text lengths: user 0 and 65, hint 257, addr 0 and 64, ERROR 256 */
	assert_int_equal(DEC(PROTO_PRELOGIN, "\x00\x00"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PRELOGIN, "\x41\x00"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PRELOGIN, "\x40\x00"), DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_LOGIN, "\xff\xff"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PEER_REGISTER, "\x00\x00"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PEER_REGISTER, "\x40\x00"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PEER_REGISTER, "\x3f\x00"), DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_ERROR, "\xff\xff\xff\xff\x00\x01"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_ERROR, "\xff\xff\xff\xff\xff\x00"), DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_PLACE_REP, "\x01\x00" "0123456789abcdef"
	    "0123456789abcdef\x40\x00"), DZ_ERANGE);
	{
		uint8_t s[2 + 1 + KEYFILE_BYTES + 32 + 2];
		memset(s, 0, sizeof(s));
		s[0] = 1;
		s[2] = 'a';
		s[sizeof(s) - 2] = 0x01; /* hint length 257 */
		s[sizeof(s) - 1] = 0x01;
		assert_int_equal(decode_rc(PROTO_SIGNUP, s, sizeof(s)), DZ_ERANGE);
		s[sizeof(s) - 2] = 0x00; /* 256 */
		assert_int_equal(decode_rc(PROTO_SIGNUP, s, sizeof(s)), DZ_ETRUNC);
	}
}

/* Integers outside their documented range are refused: zero counts where
 * one is needed, versions 0 where a stored record has one, k >= n,
 * fragment indexes and sizes, list order, unknown flag bits, KDF costs,
 * non-negative error codes, bitmap padding. */
static void
test_values_out_of_range(void **state)
{
	struct bufs *bf = *state;
	size_t len;
	uint8_t *buf;

	assert_int_equal(DEC(PROTO_PLACE, "\x00\x01\0\0\0\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\0\0\0\0\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x01\x10\x00\x01\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x00\x10\x00\x01\0\0"), 0);
	assert_int_equal(DEC(PROTO_REC_PUT_REP, "\0\0\0\0\0\0\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_REC_GET_REP, "\0\0\0\0\0\0\0\0\0\0\0\0"),
	    DZ_ERANGE);
	assert_int_equal(DEC(PROTO_REC_GET_REP, "\1\0\0\0\0\0\0\0\0\0\0\0"), 0);
	assert_int_equal(DEC(PROTO_ERROR, "\0\0\0\0\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_ERROR, "\x01\0\0\0\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_ERROR, "\xff\xff\xff\x7f\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_ERROR, "\x00\x00\x00\x80\0\0"), 0);
	assert_int_equal(DEC(PROTO_STATUS_REP, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\0\0\0\0\0\0\x02\0\0\0\x01\0\0\0\x01\x02"), DZ_ERANGE);
	/* STATUS_REP default code: k 0, k == n, k > n refused; 1-of-2 and
	 * 254-of-255 taken */
	{
		uint8_t b[34] = {0};
		b[32] = 0;
		b[33] = 2;
		assert_int_equal(decode_rc(PROTO_STATUS_REP, b, 34), DZ_ERANGE);
		b[32] = 5;
		b[33] = 5;
		assert_int_equal(decode_rc(PROTO_STATUS_REP, b, 34), DZ_ERANGE);
		b[32] = 255;
		b[33] = 254;
		assert_int_equal(decode_rc(PROTO_STATUS_REP, b, 34), DZ_ERANGE);
		b[32] = 1;
		b[33] = 2;
		assert_int_equal(decode_rc(PROTO_STATUS_REP, b, 34), 0);
		b[32] = 254;
		b[33] = 255;
		assert_int_equal(decode_rc(PROTO_STATUS_REP, b, 34), 0);
	}

	{
		uint8_t b[40] = {0};
		b[0] = 1; /* id not zero */
		assert_int_equal(decode_rc(PROTO_REC_DEL, b, 40), DZ_ERANGE);
		b[32] = 1;
		assert_int_equal(decode_rc(PROTO_REC_DEL, b, 40), 0);
		/* REC_LIST max 0 and 4097 */
		memset(b + 32, 0, 4);
		assert_int_equal(decode_rc(PROTO_REC_LIST, b, 36), DZ_ERANGE);
		le32_put(b + 32, PROTO_RECLIST_MAX + 1);
		assert_int_equal(decode_rc(PROTO_REC_LIST, b, 36), DZ_ERANGE);
		le32_put(b + 32, PROTO_RECLIST_MAX);
		assert_int_equal(decode_rc(PROTO_REC_LIST, b, 36), 0);
		/* AUDIT leaf 1025 */
		le32_put(b + 32, PROTO_AUDIT_MAXLEAVES);
		assert_int_equal(decode_rc(PROTO_AUDIT, b, 36), DZ_ERANGE);
		le32_put(b + 32, PROTO_AUDIT_MAXLEAVES - 1);
		assert_int_equal(decode_rc(PROTO_AUDIT, b, 36), 0);
	}
	/* AUDIT_REP nleaves 0 and 1026 */
	assert_int_equal(DEC(PROTO_AUDIT_REP, "\0\0\0\0\x01\0\0\0x\0\0"),
	    DZ_ERANGE);
	assert_int_equal(DEC(PROTO_AUDIT_REP, "\x02\x04\0\0\x01\0\0\0x\0\0"),
	    DZ_ERANGE);
	assert_int_equal(DEC(PROTO_AUDIT_REP, "\x01\x04\0\0\x01\0\0\0x\0\0"), 0);
	/* REC_PUT with the all-zero id */
	assert_int_equal(decode_rc(PROTO_REC_PUT, (const uint8_t[44]){0}, 44),
	    DZ_ERANGE);
	/* PEER_REGISTER: unknown flag bits */
	assert_int_equal(DEC(PROTO_PEER_REGISTER, "\x01\x00" "1"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x02\0\0\0"), DZ_EFORMAT);
	assert_int_equal(DEC(PROTO_PEER_REGISTER, "\x01\x00" "1"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x80"), DZ_EFORMAT);
	assert_int_equal(DEC(PROTO_PEER_REGISTER, "\x01\x00" "1"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0" "\0\0"), 0);
	/* PEER_REGISTER: the owner text is required (empty: none) */
	assert_int_equal(DEC(PROTO_PEER_REGISTER, "\x01\x00" "1"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0"), DZ_ETRUNC);
	/* FRAG_HAS_REP: a padding bit set; 8 bits use the whole byte */
	assert_int_equal(DEC(PROTO_FRAG_HAS_REP, "\x03\x00\x08"), DZ_EFORMAT);
	assert_int_equal(DEC(PROTO_FRAG_HAS_REP, "\x03\x00\x87"), DZ_EFORMAT);
	assert_int_equal(DEC(PROTO_FRAG_HAS_REP, "\x03\x00\x07"), 0);
	assert_int_equal(DEC(PROTO_FRAG_HAS_REP, "\x08\x00\xff"), 0);
	/* PRELOGIN_REP: unknown alg, costs out of bounds */
	{
		struct proto_prelogin_rep *r = make(PROTO_PRELOGIN_REP, V_MID, bf);
		buf = encode(PROTO_PRELOGIN_REP, r, &len);
		buf[0] = 2;
		assert_int_equal(decode_rc(PROTO_PRELOGIN_REP, buf, len),
		    DZ_EVERSION);
		buf[0] = 1;
		le64_put(buf + 1, 0);
		assert_int_equal(decode_rc(PROTO_PRELOGIN_REP, buf, len), DZ_ERANGE);
		le64_put(buf + 1, PWKEY_OPS_MAX + 1);
		assert_int_equal(decode_rc(PROTO_PRELOGIN_REP, buf, len), DZ_ERANGE);
		le64_put(buf + 1, 1);
		le64_put(buf + 9, PWKEY_MEM_MIN - 1);
		assert_int_equal(decode_rc(PROTO_PRELOGIN_REP, buf, len), DZ_ERANGE);
		le64_put(buf + 9, PWKEY_MEM_MAX + 1);
		assert_int_equal(decode_rc(PROTO_PRELOGIN_REP, buf, len), DZ_ERANGE);
		le64_put(buf + 9, PWKEY_MEM_MAX);
		assert_int_equal(decode_rc(PROTO_PRELOGIN_REP, buf, len), 0);
		free(buf);
		free(r);
	}
	/* FRAGS_COMMIT: k = 0, k = n, threshold k or over n, entry index
	 * >= n, entry size 0 and over PROTO_FRAG_MAX */
	{
		struct proto_frags_commit *c = make(PROTO_FRAGS_COMMIT, V_MID, bf);
		uint8_t *e2;
		buf = encode(PROTO_FRAGS_COMMIT, c, &len);
		e2 = buf + 39 + 2 * PROTO_COMMIT_ENTBYTES;
		buf[32] = 0;
		assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, buf, len), DZ_ERANGE);
		buf[32] = 12;
		assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, buf, len), DZ_ERANGE);
		buf[32] = 4;
		buf[34] = 4;
		assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, buf, len), DZ_ERANGE);
		buf[34] = 13;
		assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, buf, len), DZ_ERANGE);
		buf[34] = 12;
		assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, buf, len), 0);
		buf[34] = 0;
		e2[8] = 12;
		assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, buf, len), DZ_ERANGE);
		e2[8] = 11;
		assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, buf, len), 0);
		le32_put(e2 + 41, 0);
		assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, buf, len), DZ_ERANGE);
		le32_put(e2 + 41, PROTO_FRAG_MAX + 1);
		assert_int_equal(decode_rc(PROTO_FRAGS_COMMIT, buf, len), DZ_ERANGE);
		free(buf);
		free(c);
	}
	/* REC_LIST_REP: entry version 0, size over bound, ids not
	 * increasing */
	{
		struct proto_rec_list_rep *r = make(PROTO_REC_LIST_REP, V_MID, bf);
		uint8_t *e1, *e2;
		buf = encode(PROTO_REC_LIST_REP, r, &len);
		e1 = buf + 2 + PROTO_RECLIST_ENTBYTES;
		e2 = e1 + PROTO_RECLIST_ENTBYTES;
		le64_put(e2 + 32, 0);
		assert_int_equal(decode_rc(PROTO_REC_LIST_REP, buf, len), DZ_ERANGE);
		le64_put(e2 + 32, 1);
		le32_put(e2 + 40, PROTO_REC_MAX + 1);
		assert_int_equal(decode_rc(PROTO_REC_LIST_REP, buf, len), DZ_ERANGE);
		le32_put(e2 + 40, PROTO_REC_MAX);
		assert_int_equal(decode_rc(PROTO_REC_LIST_REP, buf, len), 0);
		memcpy(e2, e1, 32); /* equal ids */
		assert_int_equal(decode_rc(PROTO_REC_LIST_REP, buf, len),
		    DZ_EFORMAT);
		e2[31] ^= 1;
		e2[1] = 0; /* smaller */
		assert_int_equal(decode_rc(PROTO_REC_LIST_REP, buf, len),
		    DZ_EFORMAT);
		free(buf);
		free(r);
	}
}

/* Decode a PRELOGIN whose user is the n bytes of s. */
static int
user_rc(const char *s, size_t n)
{
	uint8_t b[2 + 128];

	b[0] = (uint8_t)n;
	b[1] = 0;
	memcpy(b + 2, s, n);
	return decode_rc(PROTO_PRELOGIN, b, 2 + n);
}

/* Decode a PEER_REGISTER whose addr is the n bytes of s (no owner). */
static int
addr_rc(const char *s, size_t n)
{
	uint8_t b[2 + 128 + 20 + 2] = {0};

	b[0] = (uint8_t)n;
	memcpy(b + 2, s, n);
	return decode_rc(PROTO_PEER_REGISTER, b, 2 + n + 20 + 2);
}

/* Decode a PEER_REGISTER whose owner is the n bytes of s. */
static int
owner_rc(const char *s, size_t n)
{
	uint8_t b[2 + 1 + 20 + 2 + 128] = {1, 0, '1'};

	b[23] = (uint8_t)n;
	memcpy(b + 25, s, n);
	return decode_rc(PROTO_PEER_REGISTER, b, 25 + n);
}

/* Decode an ERROR, and a PRELOGIN_REP, whose text is the n bytes of s;
 * both must agree (the same text rule) and that result is returned. */
static int
text_rc(const char *s, size_t n)
{
	uint8_t b[6 + 300], r[65 + 2 + 300] = {1, 1}; /* alg 1, ops 1 */
	int rc, rc2;

	le32_put(b, (uint32_t)DZ_EIO);
	b[4] = (uint8_t)n;
	b[5] = 0;
	memcpy(b + 6, s, n);
	rc = decode_rc(PROTO_ERROR, b, 6 + n);
	le64_put(r + 9, PWKEY_MEM_MIN);
	r[65] = (uint8_t)n;
	r[66] = 0;
	memcpy(r + 67, s, n);
	rc2 = decode_rc(PROTO_PRELOGIN_REP, r, 67 + n);
	assert_int_equal(rc, rc2);
	return rc;
}

#define S(lit) lit, sizeof(lit) - 1

/* Text strings are refused (DZ_EFORMAT) if they hold a NUL or a byte their
 * charset forbids: user names are [a-z0-9._-], addresses [0-9a-fA-F.:[]],
 * hints and error texts well-formed UTF-8 without control characters;
 * encoders refuse the same strings. */
static void
test_bad_strings(void **state)
{
	(void)state;
	assert_int_equal(user_rc(S("alice.b-c_9")), 0);
	assert_int_equal(user_rc(S("Alice")), DZ_EFORMAT);
	assert_int_equal(user_rc(S("al\0ce")), DZ_EFORMAT);
	assert_int_equal(user_rc(S("al/ce")), DZ_EFORMAT);
	assert_int_equal(user_rc(S("al ce")), DZ_EFORMAT);
	assert_int_equal(user_rc(S("al\xc3\xa9")), DZ_EFORMAT);
	assert_int_equal(user_rc(S("alice\n")), DZ_EFORMAT);

	assert_int_equal(addr_rc(S("10.0.0.1:7000")), 0);
	assert_int_equal(addr_rc(S("[fe80::1]:7000")), 0);
	assert_int_equal(addr_rc(S("host.example:7000")), DZ_EFORMAT);
	assert_int_equal(addr_rc(S("10.0.0.1:70\0")), DZ_EFORMAT);
	assert_int_equal(addr_rc(S("10.0.0.1 :7000")), DZ_EFORMAT);
	assert_int_equal(addr_rc(S("[::1%eth0]:1")), DZ_EFORMAT);

	/* PEER_REGISTER owner: empty (none) or a user name of 1..64 bytes */
	assert_int_equal(owner_rc(S("")), 0);
	assert_int_equal(owner_rc(S("alice.b-c_9")), 0);
	assert_int_equal(owner_rc(S("Alice")), DZ_EFORMAT);
	assert_int_equal(owner_rc(S("al ce")), DZ_EFORMAT);
	assert_int_equal(owner_rc(S("al\0ce")), DZ_EFORMAT);
	assert_int_equal(owner_rc(S("al\xc3\xa9")), DZ_EFORMAT);
	assert_int_equal(owner_rc(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")), 0);
	assert_int_equal(owner_rc(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
	    DZ_ERANGE);

	assert_int_equal(text_rc(S("")), 0);
	assert_int_equal(text_rc(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x88")),
	    0);
	assert_int_equal(text_rc(S("a\0b")), DZ_EFORMAT);
	assert_int_equal(text_rc(S("a\nb")), DZ_EFORMAT);
	assert_int_equal(text_rc(S("a\tb")), DZ_EFORMAT);
	assert_int_equal(text_rc(S("a\x7f")), DZ_EFORMAT);
	assert_int_equal(text_rc(S("\xc2\x85")), DZ_EFORMAT);     /* C1 NEL */
	assert_int_equal(text_rc(S("\xc0\xaf")), DZ_EFORMAT);     /* overlong */
	assert_int_equal(text_rc(S("\xe0\x80\xaf")), DZ_EFORMAT); /* overlong */
	assert_int_equal(text_rc(S("\xed\xa0\x80")), DZ_EFORMAT); /* surrogate */
	assert_int_equal(text_rc(S("\xf4\x90\x80\x80")), DZ_EFORMAT);
	assert_int_equal(text_rc(S("\xe2\x82")), DZ_EFORMAT);     /* cut */
	assert_int_equal(text_rc(S("\x80")), DZ_EFORMAT);
	assert_int_equal(text_rc(S("\xff")), DZ_EFORMAT);

	{
		struct proto_signup s;
		struct proto_peer_register p;
		uint8_t out[512];
		struct wbuf w;

		memset(&s, 0, sizeof(s));
		strcpy(s.user, "Bob");
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(proto_signup_encode(&s, &w), DZ_EINVAL);
		strcpy(s.user, "bob");
		strcpy(s.hint, "tab\there");
		assert_int_equal(proto_signup_encode(&s, &w), DZ_EINVAL);
		strcpy(s.hint, "\xed\xa0\x80");
		assert_int_equal(proto_signup_encode(&s, &w), DZ_EINVAL);
		s.hint[0] = '\0';
		assert_int_equal(proto_signup_encode(&s, &w), 0);
		memset(&p, 0, sizeof(p));
		strcpy(p.addr, "localhost:1");
		assert_int_equal(proto_peer_register_encode(&p, &w), DZ_EINVAL);
		strcpy(p.addr, "10.0.0.1:1");
		strcpy(p.owner, "Alice");
		assert_int_equal(proto_peer_register_encode(&p, &w), DZ_EINVAL);
		memset(p.owner, 'a', PROTO_USER_MAX + 1); /* 65 bytes, no NUL */
		assert_int_equal(proto_peer_register_encode(&p, &w), DZ_EINVAL);
		assert_int_equal(w.len, 2 + 3 + KEYFILE_BYTES + 32 + 2);
	}
	assert_true(proto_user_chars_ok(S("a.b_c-9")));
	assert_false(proto_user_chars_ok(S("a.b_c-9Z")));
	assert_true(proto_addr_chars_ok(S("[::1]:7")));
	assert_false(proto_addr_chars_ok(S("[::1]:7/")));
	assert_true(proto_text_chars_ok(S("\xf0\x9f\x90\x88")));
	assert_false(proto_text_chars_ok(S("\xf0\x9f\x90")));
}

/* Fixed-size fields have no length on the wire: one byte short is
 * DZ_ETRUNC, one byte long DZ_EFORMAT (whatever the field, it is judged
 * by the body's exact length). */
static void
test_wrong_fixed_sizes(void **state)
{
	uint8_t b[2 + 1 + 64 + 1];

	(void)state;
	memset(b, 0x5a, sizeof(b));
	b[0] = 1;
	b[1] = 0;
	b[2] = 'a';
	/* LOGIN: user "a", signature 63 / 64 / 65 bytes */
	assert_int_equal(decode_rc(PROTO_LOGIN, b, 3 + 63), DZ_ETRUNC);
	assert_int_equal(decode_rc(PROTO_LOGIN, b, 3 + 64), 0);
	assert_int_equal(decode_rc(PROTO_LOGIN, b, 3 + 65), DZ_EFORMAT);
	{
		uint8_t k[KEYFILE_BYTES + 1] = {0};
		assert_int_equal(decode_rc(PROTO_LOGIN_REP, k, KEYFILE_BYTES - 1),
		    DZ_ETRUNC);
		assert_int_equal(decode_rc(PROTO_LOGIN_REP, k, KEYFILE_BYTES), 0);
		assert_int_equal(decode_rc(PROTO_LOGIN_REP, k, KEYFILE_BYTES + 1),
		    DZ_EFORMAT);
	}
	{
		/* flags 0, empty hint */
		uint8_t p[KEYFILE_BYTES + 32 + 64 + 3 + 1] = {0};
		size_t n = KEYFILE_BYTES + 32 + 64 + 3;
		assert_int_equal(decode_rc(PROTO_PASSWD, p, n - 1), DZ_ETRUNC);
		assert_int_equal(decode_rc(PROTO_PASSWD, p, n), 0);
		assert_int_equal(decode_rc(PROTO_PASSWD, p, n + 1), DZ_EFORMAT);
	}
	{
		uint8_t h[33] = {1};
		uint16_t ids[] = {PROTO_FRAG_GET, PROTO_REC_GET, PROTO_OBJ_DELETE};
		for (size_t i = 0; i < 3; i++) {
			assert_int_equal(decode_rc(ids[i], h, 31), DZ_ETRUNC);
			assert_int_equal(decode_rc(ids[i], h, 32), 0);
			assert_int_equal(decode_rc(ids[i], h, 33), DZ_EFORMAT);
		}
	}
	assert_int_equal(DEC(PROTO_CONFLICT, "\0\0\0\0\0\0\0"), DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_CONFLICT, "\0\0\0\0\0\0\0\0\0"), DZ_EFORMAT);
	assert_int_equal(DEC(PROTO_ERROR, "\xff\xff\xff"), DZ_ETRUNC);
}

/* Encoders refuse (DZ_EINVAL) what decoders refuse, refuse a buffer too
 * small (DZ_ERANGE), and in both cases write nothing; a wbuf already in
 * error stays so. */
static void
test_encoder_refuses(void **state)
{
	struct bufs *bf = *state;
	uint8_t out[256];
	struct wbuf w;

	memset(out, 0xee, sizeof(out));
	wbuf_init(&w, out, sizeof(out));
	wbuf_u8(&w, 7);
	{
		struct proto_place p = {.n = 0, .frag_size = 1};
		assert_int_equal(proto_place_encode(&p, &w), DZ_EINVAL);
		p.n = 1;
		p.nexclude = 256;
		p.exclude = (const uint8_t (*)[32])bf->hashes;
		assert_int_equal(proto_place_encode(&p, &w), DZ_EINVAL);
		p.nexclude = 2;
		p.exclude = NULL;
		assert_int_equal(proto_place_encode(&p, &w), DZ_EINVAL);
	}
	{
		struct proto_frag_put f = {.data = bf->data, .len = 0};
		assert_int_equal(proto_frag_put_encode(&f, &w), DZ_EINVAL);
		f.len = (size_t)PROTO_FRAG_MAX + 1;
		assert_int_equal(proto_frag_put_encode(&f, &w), DZ_EINVAL);
		f.len = (size_t)1 << 33; /* not representable in the u32 */
		assert_int_equal(proto_frag_put_encode(&f, &w), DZ_EINVAL);
	}
	{
		struct proto_prelogin u;
		memset(u.user, 'a', sizeof(u.user)); /* no NUL: 65 bytes */
		assert_int_equal(proto_prelogin_encode(&u, &w), DZ_EINVAL);
		u.user[0] = '\0';
		assert_int_equal(proto_prelogin_encode(&u, &w), DZ_EINVAL);
	}
	{
		struct proto_frag_has_rep h = {.count = 3};
		h.bits[0] = 0x08; /* past count */
		assert_int_equal(proto_frag_has_rep_encode(&h, &w), DZ_EINVAL);
		h.bits[0] = 0;
		h.bits[5] = 1; /* past the wire's bytes */
		assert_int_equal(proto_frag_has_rep_encode(&h, &w), DZ_EINVAL);
	}
	{
		struct proto_error e = {.code = 0};
		assert_int_equal(proto_error_encode(&e, &w), DZ_EINVAL);
	}
	{
		struct proto_status_rep r = {.default_k = 0, .default_n = 12};
		assert_int_equal(proto_status_rep_encode(&r, &w), DZ_EINVAL);
		r.default_k = 12;
		assert_int_equal(proto_status_rep_encode(&r, &w), DZ_EINVAL);
		r.default_k = 13;
		assert_int_equal(proto_status_rep_encode(&r, &w), DZ_EINVAL);
	}
	assert_int_equal(proto_encode(0x7777, out, &w), DZ_EINVAL);
	assert_int_equal(w.len, 1);
	assert_int_equal(w.err, 0);
	assert_int_equal(out[1], 0xee);

	/* Too small: 32 + 4 + 10 bytes do not fit in 45. */
	{
		struct proto_frag_put f = {.data = bf->data, .len = 10};
		size_t n;
		wbuf_init(&w, out, 45);
		assert_int_equal(proto_encoded_len(PROTO_FRAG_PUT, &f, &n), 0);
		assert_int_equal(n, 46);
		assert_int_equal(proto_frag_put_encode(&f, &w), DZ_ERANGE);
		assert_int_equal(w.len, 0);
		assert_int_equal(out[0], 7); /* untouched */
		wbuf_init(&w, out, 46);
		assert_int_equal(proto_frag_put_encode(&f, &w), 0);
		assert_int_equal(w.len, 46);
		/* A wbuf in error keeps its error. */
		wbuf_init(&w, out, 1);
		wbuf_u16(&w, 1);
		assert_int_equal(proto_frag_put_encode(&f, &w), DZ_ERANGE);
		assert_int_equal(proto_empty_encode(&w), DZ_ERANGE);
	}
}

/* proto_error_make keeps valid text, replaces control characters and
 * invalid bytes by '?', cuts at a character boundary within the bound,
 * makes the code negative, and what it builds always encodes. */
static void
test_error_make(void **state)
{
	struct proto_error e, d;
	char big[600];
	uint8_t out[300];
	struct wbuf w;

	(void)state;
	proto_error_make(&e, DZ_ENOENT, "no such record: caf\xc3\xa9");
	assert_int_equal(e.code, DZ_ENOENT);
	assert_string_equal(e.message, "no such record: caf\xc3\xa9");
	proto_error_make(&e, 5, "a\nb\xff" "c\xe2\x82");
	assert_int_equal(e.code, DZ_EINVAL);
	assert_string_equal(e.message, "a?b?c??");
	proto_error_make(&e, DZ_EIO, NULL);
	assert_string_equal(e.message, "");
	/* 254 ASCII bytes then a 3-byte character: cut before it */
	memset(big, 'x', 254);
	strcpy(big + 254, "\xe2\x82\xac tail");
	proto_error_make(&e, DZ_EIO, big);
	assert_int_equal(strlen(e.message), 254);
	utf8_of(big, sizeof(big) - 1);
	proto_error_make(&e, DZ_EIO, big);
	assert_int_equal(strlen(e.message), 255);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(proto_error_encode(&e, &w), 0);
	assert_int_equal(proto_error_decode(out, w.len, &d), 0);
	assert_string_equal(d.message, e.message);
}

/* The login and passwd transcripts are the documented bytes, and a
 * signature over them made with libsodium verifies against them only. */
static void
test_transcripts(void **state)
{
	uint8_t cpk[32], dpk[32], ch[32], kf[KEYFILE_BYTES], npk[32];
	uint8_t lt[PROTO_LOGIN_TBYTES], pt[PROTO_PASSWD_TBYTES], h[32];
	uint8_t pk[32], sk[64], sig[64];

	(void)state;
	assert_true(sodium_init() >= 0);
	fill(cpk, 32, 1);
	fill(dpk, 32, 2);
	fill(ch, 32, 3);
	fill(kf, sizeof(kf), 4);
	fill(npk, 32, 5);
	assert_int_equal(PROTO_LOGIN_TBYTES, 112);
	assert_int_equal(PROTO_PASSWD_TBYTES, 113);
	proto_login_transcript(lt, cpk, dpk, ch);
	assert_memory_equal(lt, "drizzle login v1", 16);
	assert_memory_equal(lt + 16, cpk, 32);
	assert_memory_equal(lt + 48, dpk, 32);
	assert_memory_equal(lt + 80, ch, 32);
	proto_passwd_transcript(pt, ch, kf, npk);
	assert_memory_equal(pt, "drizzle passwd v1", 17);
	assert_memory_equal(pt + 17, ch, 32);
	crypto_hash_sha256(h, kf, sizeof(kf));
	assert_memory_equal(pt + 49, h, 32);
	assert_memory_equal(pt + 81, npk, 32);
	/* SHA-256("") as a check that it is SHA-256 and not another hash */
	{
		static const uint8_t e3b0[4] = {0xe3, 0xb0, 0xc4, 0x42};
		crypto_hash_sha256(h, (const uint8_t *)"", 0);
		assert_memory_equal(h, e3b0, 4);
	}
	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, lt, sizeof(lt), sk);
	assert_int_equal(crypto_sign_verify_detached(sig, lt, sizeof(lt), pk), 0);
	dpk[0] ^= 1; /* another device */
	proto_login_transcript(lt, cpk, dpk, ch);
	assert_int_not_equal(crypto_sign_verify_detached(sig, lt, sizeof(lt),
	    pk), 0);
}

/* The largest body of every message fits a frame, and a fragment of the
 * largest sealed segment at k = 4 fits FRAG_PUT. */
static void
test_fits_frame(void **state)
{
	assert_true(16 + (64u * 1024 * 1024 + 64 + 3) / 4 <= PROTO_FRAG_MAX);
	for (size_t i = 0; i < proto_type_count(); i++) {
		uint16_t t = proto_type_at(i);
		void *m = make(t, V_MAX, *state);
		size_t n;

		assert_int_equal(proto_encoded_len(t, m, &n), 0);
		assert_true(n <= FRAME_MAXBODY);
		free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_numbers),
		cmocka_unit_test_setup_teardown(test_round_trip_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_decoded_fields, setup,
		    teardown),
		cmocka_unit_test(test_layout),
		cmocka_unit_test_setup_teardown(test_truncated_and_trailing,
		    setup, teardown),
		cmocka_unit_test(test_counts_over_bound),
		cmocka_unit_test_setup_teardown(test_values_out_of_range,
		    setup, teardown),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_wrong_fixed_sizes),
		cmocka_unit_test_setup_teardown(test_encoder_refuses, setup,
		    teardown),
		cmocka_unit_test(test_error_make),
		cmocka_unit_test(test_transcripts),
		cmocka_unit_test_setup_teardown(test_fits_frame, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
