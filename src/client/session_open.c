/*
 * session_open: opening the session of the logged-in account (with the
 * password, or with the master key kept by unlock.h), closing it, and
 * logging out. session.h documents them; session.c holds the exchanges
 * with the coordinator and the helpers shared here (session_int.h).
 */
#include "client/session.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/profile.h"
#include "client/session_int.h"
#include "client/unlock.h"
#include "core/keyfile.h"

/* session_open's body: the master key is the caller's (mk not NULL,
 * session_open_mk) or the keyfile's opened with pw. */
static int
open_with(const char *home, const char *pw, size_t pwlen,
    const uint8_t *mk, struct session **out, struct dz_errmsg *em)
{
	struct dz_errmsg tmp;
	struct profile p;
	struct keyfile kf;
	struct secrets *sec = NULL;
	struct session *s;
	int rc;

	if (em == NULL)
		em = &tmp;
	em->text[0] = '\0';
	*out = NULL;
	if ((rc = profile_load(home, &p, em)) != 0)
		return rc;
	if (!p.have_account)
		return dz_errf(em, DZ_ENOENT,
		    "not logged in: run drizzle login or drizzle signup");
	if (!p.have_coordinator)
		return dz_errf(em, DZ_ENOENT,
		    "%s has an account but no coordinator: run drizzle login", home);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	if (strlen(home) >= sizeof(s->home) || strlen(p.user) >= sizeof(s->user) ||
	    strlen(p.coord_addr) >= sizeof(s->coord_addr)) {
		rc = dz_errf(em, DZ_ERANGE, "the profile in %s holds names too long",
		    home);
		goto out;
	}
	memcpy(s->home, home, strlen(home) + 1);
	memcpy(s->user, p.user, strlen(p.user) + 1);
	memcpy(s->coord_addr, p.coord_addr, strlen(p.coord_addr) + 1);
	memcpy(s->coord_pk, p.coord_pk, IDENT_PKBYTES);
	if ((sec = secrets_new()) == NULL ||
	    (s->mk = sodium_malloc(MKEY_BYTES)) == NULL) {
		rc = dz_errf(em, DZ_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = keyfile_parse(p.keyfile, KEYFILE_BYTES, &kf)) != 0) {
		rc = dz_errf(em, rc, "%s/keyfile is damaged; log in again", home);
		goto out;
	}
	if (mk != NULL) {
		memcpy(s->mk, mk, MKEY_BYTES);
		rc = 0;
	} else {
		rc = keyfile_open(&kf, pw, pwlen, p.user, s->mk);
	}
	if (rc == DZ_EPASSWORD) {
		rc = wrong_password(NULL, em);
		goto out;
	}
	if (rc != 0) {
		rc = dz_errf(em, rc, "cannot open the keyfile: %s", dz_strerror(rc));
		goto out;
	}
	rc = node_open(s->mk, sec, &s->id, &s->tls, &s->rpc, em);
out:
	secrets_free(sec);
	if (rc != 0)
		session_close(s);
	else
		*out = s;
	return rc;
}

int
session_open(const char *home, const char *pw, size_t pwlen,
    struct session **out, struct dz_errmsg *em)
{
	return open_with(home, pw, pwlen, NULL, out, em);
}

int
session_open_mk(const char *home, const uint8_t mk[static MKEY_BYTES],
    struct session **out, struct dz_errmsg *em)
{
	return open_with(home, NULL, 0, mk, out, em);
}

void
session_close(struct session *s)
{
	if (s == NULL)
		return;
	node_close(s->id, s->tls, s->rpc);
	if (s->mk != NULL)
		sodium_free(s->mk);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

int
session_logout(const char *home, struct dz_errmsg *em)
{
	/* the unlocked key goes first: it must not outlive the account */
	int rc = unlock_forget(home, NULL, em);
	int rc2 = profile_forget_account(home, rc == 0 ? em : NULL);

	return rc != 0 ? rc : rc2;
}
