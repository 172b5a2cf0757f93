/*
 * pad: record size buckets (pad.h).
 */
#include "core/pad.h"

int
pad_bucket(size_t len, size_t *out)
{
	size_t step = PAD_MIN;
	unsigned e = 0;

	/* e: the smallest with len <= 2^e */
	while (e < sizeof(size_t) * 8 && ((size_t)1 << e) < len)
		e++;
	if (e >= sizeof(size_t) * 8)
		return DZ_ERANGE;
	if (e > 4 && ((size_t)1 << (e - 4)) > step)
		step = (size_t)1 << (e - 4);
	/* a multiple of step no larger than 2^e (or than PAD_MIN): no overflow */
	*out = len == 0 ? PAD_MIN : (len + step - 1) / step * step;
	return 0;
}
