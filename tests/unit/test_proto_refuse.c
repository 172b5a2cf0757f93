/* test_proto_refuse: every decoder of the wire protocol refuses, with the
 * documented code, a body cut at any byte (DZ_ETRUNC, its struct left
 * zeroed), a trailing byte (DZ_EFORMAT), a count or length over its bound
 * (DZ_ERANGE, judged before it is used), a value out of range, a text
 * string with a NUL or a character its field forbids, and fixed-size
 * fields of the wrong size; encoders refuse what decoders refuse, and a
 * buffer too small, and write nothing then. Samples from protofix.h. */
#include "protofix.h"

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
#define Z32 "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
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
	/* PLACE: n 1, frag_size 1, one name, then nexclude 256 / 65535 */
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x01\0\0\0" Z32 "\x00\x01"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x01\0\0\0" Z32 "\xff\xff"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x01\0\0\0" Z32 "\xff\x00"), DZ_ETRUNC);
	/* the names: n of them, or it is truncated */
	assert_int_equal(DEC(PROTO_PLACE, "\x02\x01\0\0\0" Z32 "\0\0"), DZ_ETRUNC);
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

	/* OBJ_HEALTH: 65 ids; OBJ_HEALTH_REP: 65 objects, then an object
	 * of 65537 segments listing 65537, or 2 segments listing 1 */
	assert_int_equal(DEC(PROTO_OBJ_HEALTH, "\x41\x00"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_OBJ_HEALTH, "\x40\x00"), DZ_ETRUNC);
	assert_int_equal(DEC(PROTO_OBJ_HEALTH_REP, "\x41\x00"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_OBJ_HEALTH_REP, "\x01\x00"
	    "\x01\x00\x01\0\0\0\0\0" "\0" "\x01\x00\x01\x00"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_OBJ_HEALTH_REP, "\x01\x00"
	    "\x02\0\0\0\0\0\0\0" "\0" "\x01\0\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_OBJ_HEALTH_REP, "\x01\x00"
	    "\x00\x00\x01\0\0\0\0\0" "\0" "\x00\x00\x01\x00"), DZ_ETRUNC);

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
	wbuf_u8(&w, 0); /* no ticket */
	wbuf_u32(&w, PROTO_FRAG_MAX + 1);
	assert_int_equal(decode_rc(PROTO_FRAG_PUT, b, w.len), DZ_ERANGE);
	le32_put(b + 33, 0);
	assert_int_equal(decode_rc(PROTO_FRAG_PUT, b, w.len), DZ_ERANGE);
	le32_put(b + 33, PROTO_FRAG_MAX);
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

	assert_int_equal(DEC(PROTO_PLACE, "\x00\x01\0\0\0\0\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\0\0\0\0" Z32 "\0\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x01\x10\x00\x01" Z32 "\0\0\0"), DZ_ERANGE);
	assert_int_equal(DEC(PROTO_PLACE, "\x01\x00\x10\x00\x01" Z32 "\0\0\0"), 0);
	/* FRAG_PUT: has_ticket beyond 1; a ticket of another version, or of
	 * size 0 */
	assert_int_equal(DEC(PROTO_FRAG_PUT, Z32 "\x02\x01\0\0\0x"), DZ_EFORMAT);
	{
		uint8_t b[PROTO_FRAG_PUT_PREFIX + 1] = {0}, nm[32] = {0};
		struct proto_ticket t = {.version = 2, .size = 1};
		proto_frag_put_prefix(b, nm, &t, 1);
		assert_int_equal(decode_rc(PROTO_FRAG_PUT, b, sizeof(b)), DZ_EVERSION);
		t.version = PROTO_TICKET_VERSION;
		t.size = 0;
		proto_frag_put_prefix(b, nm, &t, 1);
		assert_int_equal(decode_rc(PROTO_FRAG_PUT, b, sizeof(b)), DZ_ERANGE);
		t.size = 1;
		proto_frag_put_prefix(b, nm, &t, 1);
		assert_int_equal(decode_rc(PROTO_FRAG_PUT, b, sizeof(b)), 0);
	}
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
	/* ... the binding (device, issued, sig) follows the owner */
	assert_int_equal(DEC(PROTO_PEER_REGISTER, "\x01\x00" "1"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0" "\0\0"), DZ_ETRUNC);
	{
		uint8_t b[2 + 1 + 20 + 2 + 104] = {1, 0, '1'};

		b[19] = 1; /* flags: datacentre */
		assert_int_equal(decode_rc(PROTO_PEER_REGISTER, b, sizeof(b)), 0);
		assert_int_equal(decode_rc(PROTO_PEER_REGISTER, b, sizeof(b) - 1),
		    DZ_ETRUNC);
	}
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
	/* OBJ_HEALTH_REP: one object of two segments; worst first, and no
	 * availability without a healthy holder */
#define HREP(s1, s2) DEC(PROTO_OBJ_HEALTH_REP, "\x01\x00" \
	"\x02\0\0\0\0\0\0\0" "\x07" "\x02\0\0\0" s1 s2)
	assert_int_equal(HREP("\x01\x10\x00", "\x01\x10\x00"), 0);
	assert_int_equal(HREP("\x01\x10\x00", "\x02\x00\x00"), 0);
	assert_int_equal(HREP("\x00\x00\x00", "\x01\x00\x00"), 0);
	assert_int_equal(HREP("\x02\x00\x00", "\x01\xff\xff"), DZ_EFORMAT);
	assert_int_equal(HREP("\x01\x11\x00", "\x01\x10\x00"), DZ_EFORMAT);
	assert_int_equal(HREP("\x00\x01\x00", "\x01\x10\x00"), DZ_EFORMAT);
#undef HREP
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
	uint8_t b[2 + 128 + 20 + 2 + 104] = {0};

	b[0] = (uint8_t)n;
	memcpy(b + 2, s, n);
	return decode_rc(PROTO_PEER_REGISTER, b, 2 + n + 20 + 2 + 104);
}

/* Decode a PEER_REGISTER whose owner is the n bytes of s. */
static int
owner_rc(const char *s, size_t n)
{
	uint8_t b[2 + 1 + 20 + 2 + 128 + 104] = {1, 0, '1'};

	b[23] = (uint8_t)n;
	memcpy(b + 25, s, n);
	return decode_rc(PROTO_PEER_REGISTER, b, 25 + n + 104);
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

	/* Too small: 32 + 1 + 4 + 10 bytes do not fit in 46. */
	{
		struct proto_frag_put f = {.data = bf->data, .len = 10};
		size_t n;
		wbuf_init(&w, out, 46);
		assert_int_equal(proto_encoded_len(PROTO_FRAG_PUT, &f, &n), 0);
		assert_int_equal(n, 47);
		assert_int_equal(proto_frag_put_encode(&f, &w), DZ_ERANGE);
		assert_int_equal(w.len, 0);
		assert_int_equal(out[0], 7); /* untouched */
		wbuf_init(&w, out, 47);
		assert_int_equal(proto_frag_put_encode(&f, &w), 0);
		assert_int_equal(w.len, 47);
		/* A wbuf in error keeps its error. */
		wbuf_init(&w, out, 1);
		wbuf_u16(&w, 1);
		assert_int_equal(proto_frag_put_encode(&f, &w), DZ_ERANGE);
		assert_int_equal(proto_empty_encode(&w), DZ_ERANGE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_truncated_and_trailing, setup,
		    teardown),
		cmocka_unit_test(test_counts_over_bound),
		cmocka_unit_test_setup_teardown(test_values_out_of_range, setup,
		    teardown),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_wrong_fixed_sizes),
		cmocka_unit_test_setup_teardown(test_encoder_refuses, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
