/*
 * phblock: placeholder blocks (see phblock.h).
 */
#include "core/err.h"
#include "core/phblock.h"

#include <string.h>

#include <sodium.h>

int
phblock_make(const uint8_t seed[static PHBLOCK_SEEDBYTES], uint64_t index,
    uint32_t rounds, uint8_t *out, size_t len)
{
	uint8_t st[PHBLOCK_PIECE], in[11 + 8] = "drizzle-ph1";

	if (out == NULL || len % PHBLOCK_PIECE != 0 || rounds == 0)
		return DZ_EINVAL;
	for (int i = 0; i < 8; i++)
		in[11 + i] = (uint8_t)(index >> (8 * i));
	crypto_generichash(st, sizeof(st), in, sizeof(in), seed, PHBLOCK_SEEDBYTES);
	/* each piece depends on the one before: no piece can be made
	 * without making every piece before it */
	for (size_t off = 0; off < len; off += PHBLOCK_PIECE) {
		for (uint32_t r = 0; r < rounds; r++)
			crypto_generichash(st, sizeof(st), st, sizeof(st), NULL, 0);
		memcpy(out + off, st, PHBLOCK_PIECE);
	}
	return 0;
}

void
phblock_prove(const uint8_t nonce[static PHBLOCK_NONCEBYTES],
    const uint8_t *block, size_t len, uint8_t out[static PHBLOCK_HASHBYTES])
{
	crypto_generichash(out, PHBLOCK_HASHBYTES, block, len, nonce,
	    PHBLOCK_NONCEBYTES);
}
