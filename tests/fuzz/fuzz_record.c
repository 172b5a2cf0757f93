/* fuzz_record: record_prefix_parse and record_hdr_parse never crash or read
 * out of bounds on any input, agree with each other, and whatever they
 * accept re-encodes to the same bytes (one encoding per header). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct record_hdr h;
static uint8_t again[RECORD_MAXHDR];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t hdr_len;
	size_t len;
	int rc;

	rc = record_prefix_parse(data, size, &hdr_len);
	if (rc != 0) {
		/* the whole parser must refuse what the prefix refuses */
		if (record_hdr_parse(data, size, &h) == 0)
			abort();
		return 0;
	}
	if (hdr_len < RECORD_FIXEDBYTES || hdr_len > RECORD_MAXHDR)
		abort();
	/* the whole input, then exactly the header it announces */
	rc = record_hdr_parse(data, size, &h);
	if (rc == 0 && size != hdr_len)
		abort();
	if (hdr_len > size)
		return 0;
	if (record_hdr_parse(data, hdr_len, &h) != 0)
		return 0;
	if (record_hdr_len(&h) != hdr_len ||
	    record_hdr_encode(&h, again, sizeof(again), &len) != 0 ||
	    len != hdr_len || memcmp(again, data, len) != 0)
		abort();
	if (h.nsegs == 0 || strlen(h.name) != h.name_len)
		abort();
	/* segment arithmetic: lengths add up and stay in bounds */
	if (record_seg_len(&h, h.nsegs - 1) > h.seg_size ||
	    (h.nsegs > 1 && record_seg_len(&h, 0) != h.seg_size) ||
	    (h.nsegs - 1) * (uint64_t)h.seg_size +
	    record_seg_len(&h, h.nsegs - 1) != h.size)
		abort();
	return 0;
}
