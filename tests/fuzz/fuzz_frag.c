/* fuzz_frag: frag_parse never crashes or reads out of bounds on any input,
 * and whatever it accepts re-encodes to the same 16 header bytes (one
 * encoding per header); frag_check agrees with frag_parse on malformed
 * input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/frag.h"
#include "core/merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[FRAG_HDRBYTES], name[MERKLE_HASHBYTES];
	struct frag_hdr h, h2;
	struct merkle *m;
	int rc;

	rc = frag_parse(data, size, &h);
	if (rc == 0) {
		if (size != FRAG_HDRBYTES + (size_t)h.payload_len)
			abort();
		frag_hdr_encode(&h, again);
		if (memcmp(again, data, FRAG_HDRBYTES) != 0)
			abort();
		if (frag_hdr_init(&h2, h.k, h.n, h.index, h.seg_len) != 0 ||
		    h2.payload_len != h.payload_len)
			abort();
	} else if (rc != DZ_ETRUNC && rc != DZ_EFORMAT && rc != DZ_EVERSION) {
		abort();
	}
	/* frag_check: its own name passes exactly when the parse does */
	if (merkle_new(size, &m) != 0)
		return 0;
	if (merkle_build(m, data, size, name) == 0 &&
	    frag_check(m, data, size, name, &h2) != rc)
		abort();
	merkle_free(m);
	return 0;
}
