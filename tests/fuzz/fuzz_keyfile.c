/* fuzz_keyfile: keyfile_parse never reads out of bounds or crashes on any
 * input, and whatever it accepts re-encodes to exactly the bytes it was
 * given (one encoding per keyfile: nothing the parser ignores). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyfile kf;
	uint8_t out[KEYFILE_BYTES];

	if (keyfile_parse(data, size, &kf) != 0)
		return 0;
	if (size != KEYFILE_BYTES)
		abort();
	keyfile_encode(&kf, out);
	if (memcmp(out, data, size) != 0)
		abort();
	return 0;
}
