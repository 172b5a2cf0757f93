/* fuzz_proto: no message decoder reads out of bounds, overflows or
 * crashes on any body, and whatever one accepts re-encodes to exactly the
 * bytes it was given (one encoding per message: nothing the decoder skips
 * or normalises). The first input byte picks the message type (modulo the
 * number of types, in proto_type_at order); the rest is the body. The
 * struct is one buffer kept across runs, sized for the largest type: a
 * fresh 400 KB allocation per run (FRAGS_LOCATE_REP) would cut the
 * fuzzer's speed twenty-fold. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "net/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t type;
	const uint8_t *body;
	size_t len, elen;
	static void *msg; /* the harness's only state, never freed */
	uint8_t *out;
	struct wbuf w;

	if (msg == NULL) {
		size_t max = 0;

		for (size_t i = 0; i < proto_type_count(); i++)
			if (proto_msg_size(proto_type_at(i)) > max)
				max = proto_msg_size(proto_type_at(i));
		if ((msg = malloc(max)) == NULL)
			abort();
	}
	if (size < 1)
		return 0;
	type = proto_type_at(data[0] % proto_type_count());
	body = data + 1;
	len = size - 1;
	if (proto_decode(type, body, len, msg) != 0)
		return 0;
	if (proto_encoded_len(type, msg, &elen) != 0 || elen != len)
		abort();
	out = malloc(len + 1);
	if (out == NULL)
		abort();
	wbuf_init(&w, out, len);
	if (proto_encode(type, msg, &w) != 0 || w.len != len ||
	    memcmp(out, body, len) != 0)
		abort();
	free(out);
	return 0;
}
