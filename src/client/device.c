/*
 * device: sealing this computer's device-key seed under the master key
 * (device.h has the format and why each computer has its own key).
 */
#include "client/device.h"

#include <string.h>

#include <sodium.h>

#include "client/profile.h"

_Static_assert(DEVICE_BYTES == PROFILE_DEVICEBYTES,
    "the profile keeps a device file whole");

#define DEVICE_NAMEMAX 64

static const uint8_t hdr[DEVICE_HDRBYTES] = {DEVICE_VERSION, 'D', 'Z', 'D'};

/* The associated data: header, then the account name. */
static size_t
device_ad(const char *user, uint8_t ad[static DEVICE_HDRBYTES + DEVICE_NAMEMAX])
{
	size_t n = strnlen(user, DEVICE_NAMEMAX);

	memcpy(ad, hdr, DEVICE_HDRBYTES);
	memcpy(ad + DEVICE_HDRBYTES, user, n);
	return DEVICE_HDRBYTES + n;
}

int
device_seal(const uint8_t mk[static MKEY_BYTES], const char *user,
    const uint8_t seed[static DEVICE_SEEDBYTES],
    uint8_t out[static DEVICE_BYTES])
{
	uint8_t key[32], ad[DEVICE_HDRBYTES + DEVICE_NAMEMAX];
	size_t adlen = device_ad(user, ad);
	int rc;

	memcpy(out, hdr, DEVICE_HDRBYTES);
	if ((rc = mkey_derive(mk, MKEY_SUB_DEVICE, key)) == 0)
		rc = mkey_wrap(key, seed, ad, adlen, out + DEVICE_HDRBYTES);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
device_open(const uint8_t mk[static MKEY_BYTES], const char *user,
    const uint8_t in[static DEVICE_BYTES],
    uint8_t seed[static DEVICE_SEEDBYTES])
{
	uint8_t key[32], ad[DEVICE_HDRBYTES + DEVICE_NAMEMAX];
	size_t adlen = device_ad(user, ad);
	int rc;

	sodium_memzero(seed, DEVICE_SEEDBYTES);
	if (in[0] != DEVICE_VERSION)
		return DZ_EVERSION;
	if (memcmp(in + 1, hdr + 1, DEVICE_HDRBYTES - 1) != 0)
		return DZ_EFORMAT;
	if ((rc = mkey_derive(mk, MKEY_SUB_DEVICE, key)) == 0) {
		rc = mkey_unwrap(key, in + DEVICE_HDRBYTES, ad, adlen, seed);
		if (rc == DZ_EPASSWORD)
			rc = DZ_EAUTH;
	}
	sodium_memzero(key, sizeof(key));
	return rc;
}
