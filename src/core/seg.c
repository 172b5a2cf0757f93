/*
 * seg: seal and open one numbered segment of an object's stream.
 *
 * The per-segment key is crypto_kdf(stream_key, id = index, "dzseg_v1"), so
 * no two segments of an object share a (key, nonce) pair even if a caller
 * got the nonce wrong; the nonce and associated data (byte layout in seg.h)
 * bind the index, the last flag and the object id, which is what turns
 * reordering, truncation and splicing into DZ_EAUTH. The derived key lives
 * on the stack for one call and is wiped on every path. Assumes
 * sodium_init() was called by main().
 */
#include "core/seg.h"

#include <string.h>

#include <sodium.h>

#include "core/cursor.h"

#define SEG_KDF_CONTEXT "dzseg_v1"
#define SEG_ADLABEL "drizzle seg v1"
#define SEG_ADLABELBYTES (sizeof(SEG_ADLABEL) - 1)
#define SEG_ADBYTES (SEG_ADLABELBYTES + SEG_IDBYTES + 8 + 1)

/* Derive the segment key and lay out its nonce and associated data. */
static int
seg_params(const uint8_t stream_key[static SEG_KEYBYTES],
    const uint8_t object_id[static SEG_IDBYTES], uint64_t index, int last,
    uint8_t key[static AEAD_KEYBYTES], uint8_t nonce[static AEAD_NONCEBYTES],
    uint8_t ad[static SEG_ADBYTES])
{
	uint8_t flag = last != 0;

	if (crypto_kdf_derive_from_key(key, AEAD_KEYBYTES, index,
	    SEG_KDF_CONTEXT, stream_key) != 0)
		return DZ_ECRYPTO;
	memset(nonce, 0, AEAD_NONCEBYTES);
	le64_put(nonce, index);
	nonce[8] = flag;
	memcpy(ad, SEG_ADLABEL, SEG_ADLABELBYTES);
	memcpy(ad + SEG_ADLABELBYTES, object_id, SEG_IDBYTES);
	le64_put(ad + SEG_ADLABELBYTES + SEG_IDBYTES, index);
	ad[SEG_ADLABELBYTES + SEG_IDBYTES + 8] = flag;
	return 0;
}

int
seg_seal(struct aead *a, const uint8_t stream_key[static SEG_KEYBYTES],
    const uint8_t object_id[static SEG_IDBYTES], uint64_t index, int last,
    const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t key[AEAD_KEYBYTES], nonce[AEAD_NONCEBYTES], ad[SEG_ADBYTES];
	int rc;

	if ((rc = seg_params(stream_key, object_id, index, last, key, nonce,
	    ad)) != 0)
		goto out;
	rc = aead_seal(a, key, nonce, ad, sizeof(ad), in, len, out);
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
seg_open(struct aead *a, const uint8_t stream_key[static SEG_KEYBYTES],
    const uint8_t object_id[static SEG_IDBYTES], uint64_t index, int last,
    const uint8_t *in, size_t inlen, uint8_t *out)
{
	uint8_t key[AEAD_KEYBYTES], nonce[AEAD_NONCEBYTES], ad[SEG_ADBYTES];
	int rc;

	if (inlen < SEG_TAGBYTES)
		return DZ_ETRUNC;
	if ((rc = seg_params(stream_key, object_id, index, last, key, nonce,
	    ad)) != 0)
		goto out;
	rc = aead_open(a, key, nonce, ad, sizeof(ad), in, inlen, out);
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}
