/*
 * pbind: a peer's binding to an account, the proof that a storage peer
 * acts for an account (`drizzle peer --home DIR`).
 *
 * A computer logged in to an account holds a device key (client/device.h)
 * that the coordinator knows is bound to that account. That key signs
 * {peer key, coordinator key, issued, account name}; the peer keeps the
 * signed binding in its data directory (file `binding`, no secret in it)
 * and sends it in PEER_REGISTER. The coordinator believes the account only
 * if the signature verifies, names this peer's TLS key and the
 * coordinator's own key, and the signing key is a device key currently
 * bound to the account: a revoked device, or one logged out by a password
 * change, no longer vouches for its peers.
 *
 * Signed message: PBIND_LABEL (23 bytes, no NUL) | peer pk[32] |
 * coordinator pk[32] | issued u64 (little-endian, Unix seconds) | name length
 * u8 | name. File format v1 (docs/formats.md): version u8 = 1 | "DZB" |
 * peer pk[32] | coordinator pk[32] | device pk[32] | issued u64 |
 * name length u8 | name | signature[64].
 *
 * Not for placement or credit rules: only for who runs a peer.
 */
#ifndef DZ_PBIND_H
#define DZ_PBIND_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "net/ident.h"

#define PBIND_LABEL "drizzle peer binding v1"
#define PBIND_NAMEMAX 64
#define PBIND_SIGBYTES 64
#define PBIND_VERSION 1
#define PBIND_FILEMAX (4 + 3 * IDENT_PKBYTES + 8 + 1 + PBIND_NAMEMAX + PBIND_SIGBYTES)

struct pbind {
	uint8_t peer_pk[IDENT_PKBYTES];
	uint8_t coord_pk[IDENT_PKBYTES];
	uint8_t device_pk[IDENT_PKBYTES];
	uint64_t issued;
	char name[PBIND_NAMEMAX + 1];
	uint8_t sig[PBIND_SIGBYTES];
};

/* pbind_sign: fill b (peer_pk, coord_pk, name, issued set by the caller)
 * with device's public key and its signature. Returns 0 or DZ_EINVAL
 * (empty or too long name). */
int pbind_sign(struct pbind *b, const struct ident *device) DZ_MUST_CHECK;

/* pbind_verify: 0 if b's signature is device_pk's over its fields, else
 * DZ_EAUTH (also for an empty or too long name). */
int pbind_verify(const struct pbind *b) DZ_MUST_CHECK;

/* pbind_save: write b durably to path (mode 0644: nothing secret). */
int pbind_save(const char *path, const struct pbind *b,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* pbind_load: read path into b. DZ_ENOENT if absent, DZ_EFORMAT /
 * DZ_EVERSION if it is no binding file (em names the file). The signature
 * is not checked here (pbind_verify). */
int pbind_load(const char *path, struct pbind *b,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
