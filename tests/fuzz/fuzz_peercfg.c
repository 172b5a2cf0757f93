/* fuzz_peercfg: peercfg_parse never reads out of bounds or crashes on any
 * input, and whatever it accepts, written the way peercfg_save writes it
 * (key, size_format of the value), parses back to the same settings. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/size.h"
#include "peer/peercfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dz_errmsg em = {{0}};
	struct peercfg a, b;
	char text[512], num[SIZE_STRMAX];
	size_t n = 0;

	if (size > PEERCFG_FILE_MAX ||
	    peercfg_parse((const char *)data, size, &a, &em) != 0)
		return 0;
	for (int k = 0; k < PEERCFG_NKEYS; k++)
		if (a.set & (1u << k))
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s %s\n",
			    peercfg_name(k), size_format(a.v[k], num, sizeof(num)));
	if (peercfg_parse(text, n, &b, &em) != 0 || b.set != a.set)
		abort();
	for (int k = 0; k < PEERCFG_NKEYS; k++)
		if ((a.set & (1u << k)) && a.v[k] != b.v[k])
			abort();
	return 0;
}
