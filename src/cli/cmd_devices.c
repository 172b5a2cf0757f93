/*
 * cmd_devices: `drizzle devices` lists the computers logged in to the
 * account (the device keys bound to it at the coordinator), and `drizzle
 * devices revoke FINGERPRINT` logs one of them out. The work is
 * client/session_acct.c's.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/account.h"
#include "cli/cli.h"

#define FPR_HEX 16 /* hex digits a listing shows of a key */
#define FPR_MIN 8  /* the fewest that revoke accepts */

static const char devices_usage[] =
    "usage: drizzle devices [--home DIR] [--password-file FILE]\n"
    "       drizzle devices revoke FINGERPRINT [--force] [--home DIR]\n"
    "                                          [--password-file FILE]\n"
    "\n"
    "List the computers logged in to the account: each one's key\n"
    "fingerprint, when it logged in, when it last made a request; `*` marks\n"
    "this computer. `revoke` logs one out (its key no longer acts for the\n"
    "account: it must log in again with the password); FINGERPRINT is at\n"
    "least 8 hex digits of its key, as listed.\n"
    "\n"
    "  --home DIR             profile directory (default $DRIZZLE_HOME, else\n"
    "                         ~/.config/drizzle)\n"
    "  --password-file FILE   read the password from FILE's first line (else\n"
    "                         $DRIZZLE_PASSWORD, else the terminal)\n"
    "  --force                revoke this computer's own key too (it is then\n"
    "                         logged out here as well); without it, refused\n"
    "  --help                 this text\n"
    "\n"
    "Examples:\n"
    "  drizzle devices\n"
    "  drizzle devices revoke 3f2a9c01\n"
    "\n"
    "Exit codes: 0 done, 1 failed (not logged in, no such computer, this\n"
    "computer's own key without --force), 2 bad command line, 3 wrong\n"
    "password.\n";

static void
when(uint64_t t, char out[static 32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, 32, "%s", "-");
}

/* The one device whose key starts with the hex digits fpr; -1 after
 * saying why if none or several. */
static int
find(const struct proto_devices_rep *d, const char *fpr)
{
	char hex[IDENT_HEXBYTES];
	size_t n = strlen(fpr);
	int found = -1;

	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)fpr[i]))
			n = 0;
	if (n < FPR_MIN || n > IDENT_HEXBYTES - 1) {
		cli_err("a fingerprint is %d to %d hex digits, as drizzle devices lists them",
		    FPR_MIN, IDENT_HEXBYTES - 1);
		return -2;
	}
	for (size_t i = 0; i < d->count; i++) {
		ident_pk_hex(d->dev[i].pk, hex);
		if (strncasecmp(hex, fpr, n) != 0)
			continue;
		if (found >= 0) {
			cli_err("several computers have keys starting with %s: give more digits",
			    fpr);
			return -1;
		}
		found = (int)i;
	}
	if (found < 0)
		cli_err("no computer of the account has a key starting with %s (drizzle devices lists them)",
		    fpr);
	return found;
}

static int
dev_list(struct session *s, const struct proto_devices_rep *d)
{
	char hex[IDENT_HEXBYTES], bound[32], seen[32];

	printf("  %-*s  %-20s  %-20s\n", FPR_HEX, "FINGERPRINT", "LOGGED IN",
	    "LAST SEEN");
	for (size_t i = 0; i < d->count; i++) {
		int me = memcmp(d->dev[i].pk, s->id->pk, IDENT_PKBYTES) == 0;
		ident_pk_hex(d->dev[i].pk, hex);
		when(d->dev[i].bound, bound);
		when(d->dev[i].seen, seen);
		printf("%c %.*s  %-20s  %-20s%s\n", me ? '*' : ' ', FPR_HEX, hex,
		    bound, seen, me ? "  (this computer)" : "");
	}
	return EXIT_OK;
}

static int
dev_revoke(struct session *s, const struct proto_devices_rep *d, const char *fpr,
    int force)
{
	struct dz_errmsg em = {{0}};
	char hex[IDENT_HEXBYTES];
	int i = find(d, fpr), rc, me;

	if (i < 0)
		return i == -2 ? EXIT_USAGE : EXIT_FAIL;
	me = memcmp(d->dev[i].pk, s->id->pk, IDENT_PKBYTES) == 0;
	if (me && !force) {
		cli_err("%.*s is this computer: use drizzle logout here, or --force to revoke its key (it is then logged out)",
		    FPR_HEX, ident_pk_hex(d->dev[i].pk, hex));
		return EXIT_FAIL;
	}
	if ((rc = session_device_revoke(s, d->dev[i].pk, &em)) != 0)
		return cli_fail(rc, &em, "devices revoke");
	if (me && (rc = session_logout(s->home, &em)) != 0)
		return cli_fail(rc, &em, "revoked, but cannot log out here");
	printf("revoked %.*s%s: it must log in again to act for %s\n", FPR_HEX,
	    ident_pk_hex(d->dev[i].pk, hex), me ? " (this computer)" : "", s->user);
	return EXIT_OK;
}

int
cmd_devices_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"home", required_argument, NULL, 'H'},
		{"password-file", required_argument, NULL, 'p'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *home = NULL, *pwfile = NULL, *fpr = NULL;
	struct dz_errmsg em = {{0}};
	struct proto_devices_rep *d = NULL;
	struct session *s = NULL;
	int c, force = 0, rev = 0, ex, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'p': pwfile = optarg; break;
		case 'f': force = 1; break;
		case 'h':
			fputs(devices_usage, stdout);
			return EXIT_OK;
		default:
			cli_err("unknown or incomplete option '%s' (try --help)",
			    argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc && strcmp(argv[optind], "revoke") == 0) {
		rev = 1;
		if (++optind >= argc) {
			cli_err("devices revoke needs a FINGERPRINT (drizzle devices lists them)");
			return EXIT_USAGE;
		}
		fpr = argv[optind++];
	}
	if (optind < argc) {
		cli_err("unexpected argument '%s' (try --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (force && !rev) {
		cli_err("--force goes with devices revoke");
		return EXIT_USAGE;
	}
	if ((ex = cli_session_open(home, pwfile, &s)) != 0)
		return ex;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		cli_err("out of memory");
		ex = EXIT_FAIL;
		goto out;
	}
	if ((rc = session_devices(s, d, &em)) != 0) {
		ex = cli_fail(rc, &em, "devices");
		goto out;
	}
	ex = rev ? dev_revoke(s, d, fpr, force) : dev_list(s, d);
out:
	free(d);
	session_close(s);
	return ex;
}
