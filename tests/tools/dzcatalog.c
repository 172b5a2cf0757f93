/*
 * dzcatalog: writes an account's file tree the way builds before the
 * folder tree did (one catalog record, catalog.h), for the migration test
 * (tests/integration/504). Not part of Drizzle; never installed.
 *
 *   dzcatalog --home DIR --password-file F REMOTE=LOCAL...
 *     stores each LOCAL as an object (as a put did), then creates the
 *     catalog record naming them at REMOTE (normalised paths) with their
 *     size, mode and mtime. Fails if the account has a catalog already.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "client/catalog.h"
#include "client/netstore.h"
#include "client/session.h"
#include "client/xfer.h"
#include "core/mkey.h"

static void
die(const char *what, int rc, const struct dz_errmsg *em)
{
	fprintf(stderr, "dzcatalog: %s: %s\n", what,
	    em != NULL && em->text[0] ? em->text : dz_strerror(rc));
	exit(1);
}

int
main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	const char *home = NULL, *pwf = NULL;
	char pw[256];
	struct session *s;
	struct netstore *ns;
	struct catalog c = {0};
	struct xfer_params xp;
	struct store st;
	uint8_t *sub, *ckey, cid[32], old[32], *blob;
	size_t len;
	uint64_t v;
	int i = 1, rc;
	FILE *f;

	if (sodium_init() < 0)
		return 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--home") == 0)
			home = argv[i + 1];
		else if (strcmp(argv[i], "--password-file") == 0)
			pwf = argv[i + 1];
		else
			die(argv[i], DZ_EINVAL, NULL);
	}
	if (home == NULL || pwf == NULL || (f = fopen(pwf, "r")) == NULL ||
	    fgets(pw, sizeof(pw), f) == NULL)
		die("usage: dzcatalog --home DIR --password-file F REMOTE=LOCAL...", DZ_EINVAL,
		    NULL);
	fclose(f);
	pw[strcspn(pw, "\n")] = '\0';
	if ((rc = session_open(home, pw, strlen(pw), &s, &em)) != 0)
		die("session", rc, &em);
	if ((rc = netstore_open(s->tls, s->coord_addr, s->coord_pk, NULL, &ns, &em)) != 0)
		die("netstore", rc, &em);
	sub = sodium_malloc(32);
	ckey = sodium_malloc(32);
	if (sub == NULL || ckey == NULL || mkey_derive(s->mk, MKEY_SUB_FOLDER, sub) != 0 ||
	    catalog_keys(sub, cid, ckey) != 0)
		die("keys", DZ_ECRYPTO, NULL);
	xfer_params_default(&xp);
	xp.k = 2;
	xp.n = 4;
	xp.store_copies = NETSTORE_COPIES;
	netstore_store(ns, &st);
	for (; i < argc; i++) {
		char *eq = strchr(argv[i], '='), norm[CATALOG_PATHMAX + 1];
		struct xfer_file fi = {0};
		struct cat_entry e = {0};
		struct stat sb;
		int fd;

		if (eq == NULL)
			die(argv[i], DZ_EINVAL, NULL);
		*eq = '\0';
		if ((rc = catalog_path(argv[i], norm, &em)) != 0)
			die(argv[i], rc, &em);
		if ((fd = open(eq + 1, O_RDONLY)) < 0 || fstat(fd, &sb) != 0)
			die(eq + 1, DZ_EIO, NULL);
		fi.name = norm;
		fi.mtime_sec = sb.st_mtim.tv_sec;
		fi.mode = sb.st_mode & 0777;
		if ((rc = put_file(&st, sub, fd, &fi, &xp, e.id, &e.size, &em)) != 0)
			die(eq + 1, rc, &em);
		close(fd);
		e.path = norm;
		e.mtime = sb.st_mtim.tv_sec;
		e.mode = sb.st_mode & 0777;
		if ((rc = catalog_set(&c, &e, NULL, old)) != 0)
			die("catalog", rc, NULL);
	}
	if ((rc = catalog_encode(&c, ckey, cid, &blob, &len, &em)) != 0 ||
	    (rc = netstore_rec_put(ns, cid, 0, blob, len, &v, &em)) != 0)
		die("catalog record", rc, &em);
	printf("catalog of %zu file(s) written\n", c.n);
	free(blob);
	catalog_free(&c);
	sodium_free(sub);
	sodium_free(ckey);
	netstore_close(ns);
	session_close(s);
	return 0;
}
