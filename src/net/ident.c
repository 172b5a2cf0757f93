/*
 * ident: Ed25519 node identities: derivation from a seed, the seed file,
 * and the hex form of public keys.
 *
 * The seed file is 32 raw bytes, mode 0600. It is created with
 * fsio_write_durable in exclusive mode, so two processes starting at once
 * on the same path end with one seed: the loser of the race reads the
 * winner's file. Seeds pass only through sodium_malloc memory.
 */
#include "net/ident.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/fsio.h"

int
ident_from_seed(const uint8_t seed[static IDENT_SEEDBYTES], struct ident **out)
{
	struct ident *id;

	*out = NULL;
	id = sodium_malloc(sizeof(*id));
	if (id == NULL)
		return DZ_ENOMEM;
	if (crypto_sign_seed_keypair(id->pk, id->sk, seed) != 0) {
		sodium_free(id);
		return DZ_ECRYPTO;
	}
	*out = id;
	return 0;
}

int
ident_generate(struct ident **out)
{
	uint8_t *seed;
	int rc;

	*out = NULL;
	seed = sodium_malloc(IDENT_SEEDBYTES);
	if (seed == NULL)
		return DZ_ENOMEM;
	randombytes_buf(seed, IDENT_SEEDBYTES);
	rc = ident_from_seed(seed, out);
	sodium_free(seed);
	return rc;
}

/* Read an existing seed file into seed. DZ_ENOENT if there is none. */
static int
seed_read(const char *path, uint8_t seed[static IDENT_SEEDBYTES],
    struct dz_errmsg *em)
{
	struct stat st;
	size_t got;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return dz_errf(em, fsio_errno(errno), "cannot open identity %s: %s",
		    path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = dz_errf(em, DZ_EIO, "cannot stat identity %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size != IDENT_SEEDBYTES) {
		rc = dz_errf(em, DZ_EFORMAT,
		    "identity %s is not a regular file of %d bytes", path,
		    IDENT_SEEDBYTES);
		goto out;
	}
	/* like ssh: a secret others may read is not a secret any more */
	if ((st.st_mode & 077) != 0) {
		rc = dz_errf(em, DZ_EINVAL,
		    "identity %s is accessible by others (mode %03o): "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	rc = fsio_read_full(fd, seed, IDENT_SEEDBYTES, &got);
	if (rc != 0) {
		rc = dz_errf(em, rc, "cannot read identity %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (got != IDENT_SEEDBYTES)
		rc = dz_errf(em, DZ_EFORMAT, "identity %s changed while read",
		    path);
out:
	close(fd);
	return rc;
}

int
ident_load_or_create(const char *path, struct ident **out, int *created,
    struct dz_errmsg *em)
{
	uint8_t *seed;
	int rc;

	*out = NULL;
	if (created != NULL)
		*created = 0;
	seed = sodium_malloc(IDENT_SEEDBYTES);
	if (seed == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	rc = seed_read(path, seed, em);
	if (rc == DZ_ENOENT) {
		randombytes_buf(seed, IDENT_SEEDBYTES);
		rc = fsio_write_durable(AT_FDCWD, path, seed, IDENT_SEEDBYTES,
		    1, 0600, em);
		if (rc == 0 && created != NULL)
			*created = 1;
		else if (rc == DZ_EEXIST) /* lost a creation race */
			rc = seed_read(path, seed, em);
	}
	if (rc == 0)
		rc = ident_from_seed(seed, out);
	sodium_free(seed);
	return rc;
}

void
ident_free(struct ident *id)
{
	if (id != NULL)
		sodium_free(id);
}

char *
ident_pk_hex(const uint8_t pk[static IDENT_PKBYTES],
    char out[static IDENT_HEXBYTES])
{
	return sodium_bin2hex(out, IDENT_HEXBYTES, pk, IDENT_PKBYTES);
}

int
ident_pk_parse(const char *hex, uint8_t pk[static IDENT_PKBYTES])
{
	uint8_t tmp[IDENT_PKBYTES];
	size_t len;
	const char *end;

	if (strlen(hex) != 2 * IDENT_PKBYTES)
		return DZ_EFORMAT;
	if (sodium_hex2bin(tmp, sizeof(tmp), hex, 2 * IDENT_PKBYTES, NULL,
	    &len, &end) != 0 || len != IDENT_PKBYTES || *end != '\0')
		return DZ_EFORMAT;
	memcpy(pk, tmp, IDENT_PKBYTES);
	return 0;
}
