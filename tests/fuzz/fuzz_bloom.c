/* fuzz_bloom: bloom_view never reads out of bounds or crashes on any
 * input, whatever it accepts re-encodes to exactly the bytes it was given,
 * and lookups in an accepted filter stay in bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bloom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bloom b;
	uint8_t *out, name[32] = {0};

	if (bloom_view(data, size, &b) != 0)
		return 0;
	if (bloom_encoded_len(&b) != size || (out = malloc(size)) == NULL)
		abort();
	bloom_encode(&b, out);
	if (memcmp(out, data, size) != 0)
		abort();
	free(out);
	memcpy(name, data, size < sizeof(name) ? size : sizeof(name));
	(void)bloom_has(&b, name, sizeof(name));
	return 0;
}
