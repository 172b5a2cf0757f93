/* test_net_frame: the frame decoder gives back exactly the frames that were
 * encoded, however the byte stream is cut; it refuses a length over the
 * limit or under the minimum as soon as the four length bytes are in
 * (before allocating anything, and for good); and "ADDR:PORT" parsing
 * accepts one spelling of each address and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/cursor.h"
#include "net/frame.h"
#include "net/netaddr.h"

/* Append one frame to buf at *len. */
static void
put_frame(uint8_t *buf, size_t *len, uint16_t type, uint32_t reqid,
    const uint8_t *body, size_t blen)
{
	assert_int_equal(frame_hdr_encode(buf + *len, type, reqid, blen), 0);
	*len += FRAME_HDRBYTES;
	if (blen > 0)
		memcpy(buf + *len, body, blen);
	*len += blen;
}

/* The header is the byte table of docs/net.md. */
static void
test_hdr_layout(void **state)
{
	uint8_t h[FRAME_HDRBYTES];
	static const uint8_t want[FRAME_HDRBYTES] = {
		0x09, 0, 0, 0,          /* len = 6 + 3 */
		0x34, 0x12,             /* type 0x1234 */
		0x78, 0x56, 0x34, 0x12, /* reqid 0x12345678 */
	};

	(void)state;
	assert_int_equal(frame_hdr_encode(h, 0x1234, 0x12345678, 3), 0);
	assert_memory_equal(h, want, sizeof(want));
	assert_int_equal(frame_hdr_encode(h, 1, 1, FRAME_MAXBODY), 0);
	assert_int_equal(le32_get(h), FRAME_MAX);
	assert_int_equal(frame_hdr_encode(h, 1, 1, FRAME_MAXBODY + 1),
	    DZ_ERANGE);
}

/* Three frames (one empty) come out identical whether fed whole, byte by
 * byte, or in pieces of every size from 1 to 37. */
static void
test_decode_any_cut(void **state)
{
	uint8_t body2[1000], stream[2048];
	size_t slen = 0;
	size_t piece;

	(void)state;
	for (size_t i = 0; i < sizeof(body2); i++)
		body2[i] = (uint8_t)(i * 7);
	put_frame(stream, &slen, 1, 100, (const uint8_t *)"abc", 3);
	put_frame(stream, &slen, 2, 101, NULL, 0);
	put_frame(stream, &slen, 3, 102, body2, sizeof(body2));
	for (piece = 1; piece <= 38; piece++) {
		struct frame_dec d;
		struct frame f;
		size_t off = 0, got = 0, used, n;
		int rc;

		frame_dec_init(&d, 4096);
		while (off < slen) {
			n = piece == 38 ? slen - off : piece;
			if (n > slen - off)
				n = slen - off;
			size_t sub = 0;
			while (sub < n) {
				rc = frame_dec_feed(&d, stream + off + sub,
				    n - sub, &used, &f);
				assert_true(rc >= 0);
				sub += used;
				if (rc == 0) {
					assert_int_equal(sub, n);
					break;
				}
				assert_int_equal(f.type, got + 1);
				assert_int_equal(f.reqid, 100 + got);
				if (got == 0) {
					assert_int_equal(f.len, 3);
					assert_memory_equal(f.body, "abc", 3);
				} else if (got == 1) {
					assert_int_equal(f.len, 0);
					assert_null(f.body);
				} else {
					assert_int_equal(f.len, sizeof(body2));
					assert_memory_equal(f.body, body2,
					    sizeof(body2));
				}
				frame_free(&f);
				got++;
			}
			off += n;
		}
		assert_int_equal(got, 3);
		assert_int_equal(d.nframes, 3);
		assert_false(frame_dec_busy(&d));
		frame_dec_free(&d);
	}
}

/* A length over the limit is refused with its 4th byte, and stays refused;
 * nothing was allocated for it. */
static void
test_oversize_refused_early(void **state)
{
	uint8_t len[4];
	struct frame_dec d;
	struct frame f;
	size_t used;

	(void)state;
	frame_dec_init(&d, 1000);
	le32_put(len, 1001);
	assert_int_equal(frame_dec_feed(&d, len, 3, &used, &f), 0);
	assert_int_equal(used, 3);
	assert_true(frame_dec_busy(&d));
	assert_int_equal(frame_dec_feed(&d, len + 3, 1, &used, &f), DZ_ERANGE);
	assert_null(d.body);
	assert_int_equal(d.body_cap, 0);
	/* sticky: even a valid frame afterwards is refused */
	assert_int_equal(frame_dec_feed(&d, (const uint8_t *)"\x06\0\0\0\0\0\0\0\0\0",
	    10, &used, &f), DZ_ERANGE);
	frame_dec_free(&d);

	/* the largest legal limit still refuses one more byte */
	frame_dec_init(&d, UINT32_MAX); /* clamped to FRAME_MAX */
	assert_int_equal(d.max, FRAME_MAX);
	le32_put(len, FRAME_MAX + 1);
	assert_int_equal(frame_dec_feed(&d, len, 4, &used, &f), DZ_ERANGE);
	frame_dec_free(&d);
	frame_dec_init(&d, FRAME_MAX);
	le32_put(len, UINT32_MAX);
	assert_int_equal(frame_dec_feed(&d, len, 4, &used, &f), DZ_ERANGE);
	frame_dec_free(&d);
}

/* A length too short to hold type and reqid is malformed. */
static void
test_short_len_refused(void **state)
{
	uint8_t len[4];
	struct frame_dec d;
	struct frame f;
	size_t used;

	(void)state;
	for (uint32_t v = 0; v < FRAME_MINLEN; v++) {
		frame_dec_init(&d, 1000);
		le32_put(len, v);
		assert_int_equal(frame_dec_feed(&d, len, 4, &used, &f),
		    DZ_EFORMAT);
		frame_dec_free(&d);
	}
}

/* A large body's buffer grows with what arrives, not with what the header
 * announces. */
static void
test_body_grows_with_data(void **state)
{
	uint8_t hdr[FRAME_HDRBYTES], chunk[4096] = {0};
	struct frame_dec d;
	struct frame f;
	size_t used;

	(void)state;
	frame_dec_init(&d, FRAME_MAX);
	assert_int_equal(frame_hdr_encode(hdr, 1, 1, FRAME_MAXBODY), 0);
	assert_int_equal(frame_dec_feed(&d, hdr, sizeof(hdr), &used, &f), 0);
	assert_int_equal(d.body_cap, 0);
	assert_int_equal(frame_dec_feed(&d, chunk, sizeof(chunk), &used, &f), 0);
	assert_true(d.body_cap >= sizeof(chunk));
	assert_true(d.body_cap <= 64 * 1024);
	frame_dec_free(&d);
}

/* Addresses: one spelling each, ports strict, no host names. */
static void
test_netaddr(void **state)
{
	static const char *good[] = {
		"127.0.0.1:1", "0.0.0.0:65535", "[::1]:443",
		"[2001:db8::1]:7000", "[::ffff:10.0.0.1]:9",
	};
	static const char *bad[] = {
		"", ":80", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0x50",
		"127.0.0.1:+80", "127.0.0.1:080", "127.0.0.1:65536",
		"127.0.0.1:123456", "127.1:80", "0x7f.0.0.1:80",
		"010.0.0.1:80", "localhost:80", "::1:80", "[::1]80",
		"[::1]:", "[::1:80", " 127.0.0.1:80", "127.0.0.1:80 ",
		"1.2.3.4:5:6", "[fe80::1%eth0]:80", "[]:80", "1.2.3.4.5:80",
	};
	struct sockaddr_storage sa;
	char back[NETADDR_STRMAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(netaddr_parse(good[i], 0, &sa, NULL), 0);
		assert_int_equal(netaddr_format((struct sockaddr *)&sa, back,
		    sizeof(back)), 0);
		assert_string_equal(back, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dz_errmsg em = {{0}};
		assert_int_equal(netaddr_parse(bad[i], 1, &sa, &em), DZ_EFORMAT);
		assert_true(em.text[0] != '\0');
	}
	assert_int_equal(netaddr_parse("127.0.0.1:0", 0, &sa, NULL), DZ_EFORMAT);
	assert_int_equal(netaddr_parse("127.0.0.1:0", 1, &sa, NULL), 0);
	assert_int_equal(netaddr_port((struct sockaddr *)&sa), 0);
	assert_int_equal(netaddr_parse("10.1.2.3:8080", 0, &sa, NULL), 0);
	assert_int_equal(netaddr_port((struct sockaddr *)&sa), 8080);
	assert_int_equal(sa.ss_family, AF_INET);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_layout),
		cmocka_unit_test(test_decode_any_cut),
		cmocka_unit_test(test_oversize_refused_early),
		cmocka_unit_test(test_short_len_refused),
		cmocka_unit_test(test_body_grows_with_data),
		cmocka_unit_test(test_netaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
