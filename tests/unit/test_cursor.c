/* test_cursor: the bounds-checked reader never reads past its buffer and the
 * writer never writes past its capacity; integers are little-endian. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/cursor.h"

static void
reads_little_endian_and_stops_at_end(void **state)
{
	(void)state;
	const uint8_t b[] = {1, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 9};
	struct cur c;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;

	cur_init(&c, b, sizeof(b));
	assert_int_equal(cur_u8(&c, &v8), 0);
	assert_int_equal(v8, 1);
	assert_int_equal(cur_u16(&c, &v16), 0);
	assert_int_equal(v16, 0x1234);
	assert_int_equal(cur_u32(&c, &v32), 0);
	assert_int_equal(v32, 0x12345678);
	assert_int_equal(cur_end(&c), DZ_EFORMAT);
	assert_int_equal(cur_u16(&c, &v16), DZ_ETRUNC);
	assert_int_equal(cur_left(&c), 1); /* a failed read does not move */
	assert_int_equal(cur_u8(&c, &v8), 0);
	assert_int_equal(cur_end(&c), 0);
	assert_int_equal(cur_u8(&c, &v8), DZ_ETRUNC);
}

static void
writer_error_is_sticky(void **state)
{
	(void)state;
	uint8_t b[10];
	struct wbuf w;
	struct cur c;
	uint64_t v;

	wbuf_init(&w, b, sizeof(b));
	wbuf_u64(&w, 0x0102030405060708ULL);
	assert_int_equal(w.err, 0);
	wbuf_u32(&w, 7); /* does not fit */
	assert_int_equal(w.err, DZ_ERANGE);
	wbuf_u8(&w, 1); /* would fit, but the error sticks */
	assert_int_equal(w.err, DZ_ERANGE);
	assert_int_equal(w.len, 8);
	cur_init(&c, b, w.len);
	assert_int_equal(cur_u64(&c, &v), 0);
	assert_true(v == 0x0102030405060708ULL);
	assert_int_equal(b[0], 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_little_endian_and_stops_at_end),
		cmocka_unit_test(writer_error_is_sticky),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
