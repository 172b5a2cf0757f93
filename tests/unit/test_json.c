/* test_json: a JSON string literal escapes quote, backslash, the named
 * control characters, every other control byte and DEL, copies UTF-8 as
 * it is, and reports the length it needs when the buffer is short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"

static void
escapes(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(json_str(out, sizeof(out), ""), 2);
	assert_string_equal(out, "\"\"");
	json_str(out, sizeof(out), "a\"b\\c/d");
	assert_string_equal(out, "\"a\\\"b\\\\c/d\"");
	json_str(out, sizeof(out), "\b\f\n\r\t");
	assert_string_equal(out, "\"\\b\\f\\n\\r\\t\"");
	json_str(out, sizeof(out), "\x01\x1f\x7f x");
	assert_string_equal(out, "\"\\u0001\\u001f\\u007f x\"");
	json_str(out, sizeof(out), "caf\xc3\xa9 \xe2\x82\xac");
	assert_string_equal(out, "\"caf\xc3\xa9 \xe2\x82\xac\"");
}

static void
short_buffer(void **state)
{
	char out[6];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(json_str(out, sizeof(out), "a\nbcdef"), 10);
	assert_string_equal(out, "\"a\\nb");
	assert_int_equal(json_str(NULL, 0, "\x01"), 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escapes),
		cmocka_unit_test(short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
