/* test_proto: every message body of the wire protocol round-trips through
 * its codec at its boundary values (empty lists, maximum counts, maximum
 * string and blob lengths), decodes to the fields that were encoded, has
 * the byte layout of docs/protocol.md and fits a frame; type numbers are
 * unique and paired; proto_error_make builds only what encodes; the
 * signed transcripts have their documented bytes. What decoders and
 * encoders refuse is in test_proto_refuse.c; the samples in protofix.h. */
#include "protofix.h"

/* Every type number is unique, named, and either a request below 0x8000
 * whose reply is it | 0x8000, or a reply; unknown types are refused. */
static void
test_type_numbers(void **state)
{
	size_t n = proto_type_count(), nreq = 0, i, j;

	(void)state;
	assert_int_equal(n, 68); /* 42 + PEER_LEAVE, DEVICES, DEVICE_REVOKE,
	                          * AUDIT_NEWS, PEER_REPORT, GC_FILTER, OBJ_HEALTH,
	                          * WHATDOYOUKNOW, CREDIT, QUOTA, PH_SEED,
	                          * PH_CLAIM, PH_PROVE and replies */
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
	assert_int_equal(nreq, 33);
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
		static uint8_t nm[3][32], ex[32];
		struct proto_place p = {.n = 3, .frag_size = 0x100,
		    .names = (const uint8_t (*)[32])nm,
		    .nexclude = 1, .exclude = (const uint8_t (*)[32])ex, .k = 2};
		uint8_t o2[160];
		memset(nm, 0x77, sizeof(nm));
		memset(ex, 0x88, 32);
		wbuf_init(&w, o2, sizeof(o2));
		assert_int_equal(proto_place_encode(&p, &w), 0);
		assert_int_equal(w.len, 1 + 4 + 3 * 32 + 2 + 32 + 1);
		assert_memory_equal(o2, "\x03\x00\x01\x00\x00", 5);
		assert_int_equal(o2[5], 0x77);
		assert_int_equal(o2[5 + 95], 0x77);
		assert_memory_equal(o2 + 5 + 96, "\x01\x00", 2);
		assert_int_equal(o2[5 + 96 + 2], 0x88);
		assert_int_equal(o2[5 + 96 + 2 + 32], 2); /* k, last */
	}
	{
		/* FRAG_PUT: the prefix helper writes what the decoder reads */
		static uint8_t body[PROTO_FRAG_PUT_PREFIX + 5], name[32];
		struct proto_ticket t;
		struct proto_frag_put d, e;
		uint8_t o3[PROTO_FRAG_PUT_PREFIX + 5];
		memset(name, 0x31, 32);
		memset(&t, 0, sizeof(t));
		t.version = PROTO_TICKET_VERSION;
		memset(t.account, 1, sizeof(t.account));
		memset(t.name, 2, 32);
		t.size = 5;
		memset(t.peer, 3, 32);
		t.expires = 0x0102030405060708ull;
		memset(t.sig, 4, 64);
		proto_frag_put_prefix(body, name, &t, 5);
		memcpy(body + PROTO_FRAG_PUT_PREFIX, "hello", 5);
		assert_int_equal(proto_frag_put_decode(body, sizeof(body), &d), 0);
		assert_memory_equal(d.name, name, 32);
		assert_int_equal(d.has_ticket, 1);
		assert_memory_equal(&d.ticket, &t, sizeof(t));
		assert_int_equal(d.len, 5);
		assert_memory_equal(d.data, "hello", 5);
		e = d;
		wbuf_init(&w, o3, sizeof(o3));
		assert_int_equal(proto_frag_put_encode(&e, &w), 0);
		assert_int_equal(w.len, sizeof(body));
		assert_memory_equal(o3, body, sizeof(body));
		/* no ticket: one byte 0 in its place */
		e.has_ticket = 0;
		wbuf_init(&w, o3, sizeof(o3));
		assert_int_equal(proto_frag_put_encode(&e, &w), 0);
		assert_int_equal(w.len, 32 + 1 + 4 + 5);
		assert_int_equal(o3[32], 0);
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
		cmocka_unit_test(test_error_make),
		cmocka_unit_test(test_transcripts),
		cmocka_unit_test_setup_teardown(test_fits_frame, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
