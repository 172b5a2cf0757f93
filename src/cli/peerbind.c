/*
 * peerbind: the account binding of `drizzle peer --home DIR` (peerbind.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "cli/account.h"
#include "cli/cli.h"
#include "cli/peerbind.h"
#include "client/profile.h"
#include "client/session.h"
#include "net/ident.h"

int
cli_peer_key(const char *data, uint8_t pk[static 32])
{
	struct dz_errmsg em = {{0}};
	struct ident *id = NULL;
	char path[PATH_MAX];
	int rc;

	if (mkdir(data, 0700) != 0 && errno != EEXIST) {
		cli_err("peer: cannot create %s: %s", data, strerror(errno));
		return EXIT_FAIL;
	}
	if (snprintf(path, sizeof(path), "%s/identity.key", data) >= (int)sizeof(path)) {
		cli_err("peer: path too long: %s", data);
		return EXIT_FAIL;
	}
	if ((rc = ident_load_or_create(path, &id, NULL, &em)) != 0) {
		cli_err("peer: cannot load the peer's key %s: %s", path,
		    em.text[0] ? em.text : dz_strerror(rc));
		return EXIT_FAIL;
	}
	memcpy(pk, id->pk, IDENT_PKBYTES);
	ident_free(id);
	return 0;
}

/* Is the stored binding b for peer key pk and (when the profile has
 * them) the profile's account and coordinator? */
static int
fits(const struct pbind *b, const uint8_t *pk, const struct profile *p)
{
	if (memcmp(b->peer_pk, pk, IDENT_PKBYTES) != 0 || pbind_verify(b) != 0)
		return 0;
	if (p->have_account && strcmp(b->name, p->user) != 0)
		return 0;
	if (p->have_coordinator && memcmp(b->coord_pk, p->coord_pk, 32) != 0)
		return 0;
	return 1;
}

int
cli_peer_bind(const struct peerbind_in *in, struct peerbind_out *out)
{
	struct dz_errmsg em = {{0}};
	struct session *s = NULL;
	struct profile *p;
	uint8_t pk[IDENT_PKBYTES];
	char path[PATH_MAX];
	int rc, ex;

	memset(out, 0, sizeof(*out));
	if (profile_home(in->home_opt, out->home, &em) != 0) {
		cli_err("peer: %s", em.text);
		return EXIT_USAGE;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		cli_err("peer: out of memory");
		return EXIT_FAIL;
	}
	if ((rc = profile_load(out->home, p, &em)) != 0) {
		cli_err("peer: cannot read the profile %s: %s", out->home,
		    em.text[0] ? em.text : dz_strerror(rc));
		ex = EXIT_FAIL;
		goto out;
	}
	if (p->have_coordinator) {
		snprintf(out->coord_addr, sizeof(out->coord_addr), "%s", p->coord_addr);
		memcpy(out->coord_pk, p->coord_pk, sizeof(out->coord_pk));
		out->have_coord = 1;
	}
	if (snprintf(out->data, sizeof(out->data), "%s",
	    in->data != NULL ? in->data : "") >= (int)sizeof(out->data) ||
	    (in->data == NULL && snprintf(out->data, sizeof(out->data), "%s/peer",
	    out->home) >= (int)sizeof(out->data)) ||
	    snprintf(path, sizeof(path), "%s/binding", out->data) >= (int)sizeof(path)) {
		cli_err("peer: path too long: %s", out->data);
		ex = EXIT_FAIL;
		goto out;
	}
	/* nothing is created for nobody: a binding kept, or an account */
	rc = pbind_load(path, &out->b, &em);
	if (rc != 0 && !p->have_account) {
		cli_err("peer: nobody is logged in at %s: run `drizzle login` (or "
		    "`drizzle signup`) there first, or pass --home DIR (or run an "
		    "operator's peer with --datacentre)", out->home);
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = cli_peer_key(out->data, pk)) != 0)
		goto out;
	if (rc == 0 && fits(&out->b, pk, p)) {
		ex = 0; /* no password needed */
		goto out;
	}
	if (rc != 0 && rc != DZ_ENOENT)
		cli_err("peer: %s; signing a new binding", em.text);
	if (!p->have_account) {
		cli_err("peer: %s is not for this peer, and nobody is logged in at "
		    "%s to sign a new one: run `drizzle login` there first", path,
		    out->home);
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = cli_session_open(out->home, in->pwfile, &s)) != 0)
		goto out;
	memset(&out->b, 0, sizeof(out->b));
	memcpy(out->b.peer_pk, pk, IDENT_PKBYTES);
	memcpy(out->b.coord_pk, s->coord_pk, IDENT_PKBYTES);
	out->b.issued = (uint64_t)time(NULL);
	snprintf(out->b.name, sizeof(out->b.name), "%s", s->user);
	if (pbind_sign(&out->b, s->id) != 0) {
		cli_err("peer: cannot sign the binding for %s", s->user);
		ex = EXIT_FAIL;
		goto out;
	}
	if ((rc = pbind_save(path, &out->b, &em)) != 0) {
		cli_err("peer: cannot save %s: %s", path,
		    em.text[0] ? em.text : dz_strerror(rc));
		ex = EXIT_FAIL;
		goto out;
	}
	memcpy(out->coord_pk, s->coord_pk, sizeof(out->coord_pk));
	snprintf(out->coord_addr, sizeof(out->coord_addr), "%s", s->coord_addr);
	out->have_coord = 1;
	ex = 0;
out:
	session_close(s);
	sodium_memzero(p, sizeof(*p));
	free(p);
	return ex;
}
