/*
 * cmd_unlock: `drizzle unlock [--for DURATION]` checks the password once
 * and keeps the account's master key in the kernel's session keyring
 * (client/unlock.h) until the duration passes; `drizzle lock` forgets it
 * at once. In between, every command that acts for the account opens
 * its session with the kept key (cli_unlocked_open): no password asked,
 * no Argon2id run.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli/account.h"
#include "cli/cli.h"
#include "client/profile.h"
#include "client/session.h"
#include "client/unlock.h"

static const char unlock_usage[] =
    "usage: drizzle unlock [--for DURATION] [options]\n"
    "       drizzle unlock --status [--home DIR]\n"
    "\n"
    "Check the password once and keep the account unlocked for DURATION:\n"
    "until then, put, get, ls, rm and status ask for no password and skip the\n"
    "key stretching (about a second and 256 MiB each). The unlocked key is\n"
    "kept by the kernel (the session keyring), never on disk, and forgotten\n"
    "when DURATION passes, at `drizzle lock`, at `drizzle logout`, or when\n"
    "the account's keyfile on this computer changes. Any program running as\n"
    "you in this session can use it meanwhile.\n"
    "\n"
    "  --for DURATION         how long: 90s, 15m, 2h, 1h30m (default 15m,\n"
    "                         at most 24h); unlocking again restarts it\n"
    "  --status               only say whether the account is unlocked, and\n"
    "                         until when (no password asked)\n"
    "  --home DIR             profile directory (default $DRIZZLE_HOME, else\n"
    "                         ~/.config/drizzle)\n"
    "  --password-file FILE   read the password from FILE's first line (else\n"
    "                         $DRIZZLE_PASSWORD, else the terminal)\n"
    "  --quiet                no line when done\n"
    "  --help                 this text\n"
    "\n"
    "Examples:\n"
    "  drizzle unlock --for 2h\n"
    "  drizzle unlock --status\n"
    "\n"
    "Exit codes: 0 unlocked (--status: it is unlocked), 1 failed (not logged\n"
    "in, the kernel keyring refused; --status: it is locked), 2 bad command\n"
    "line, 3 wrong password.\n";

static const char lock_usage[] =
    "usage: drizzle lock [--home DIR]\n"
    "\n"
    "Forget the unlocked key of `drizzle unlock` at once: the next commands\n"
    "ask for the password again.\n"
    "\n"
    "  --home DIR   profile directory (default $DRIZZLE_HOME, else\n"
    "               ~/.config/drizzle)\n"
    "  --help       this text\n"
    "\n"
    "Example:\n"
    "  drizzle lock\n"
    "\n"
    "Exit codes: 0 locked (also when it was not unlocked), 1 failed, 2 bad\n"
    "command line.\n";

struct unlock_opts {
	const char *home, *pwfile;
	unsigned seconds;
	int status, quiet;
};

/*
 * A duration: one or more NUMBER UNIT pairs (units s, m, h, d; a bare
 * number is seconds), 1 second to UNLOCK_MAX_SECONDS. 0 or -1.
 */
static int
parse_duration(const char *s, unsigned *out)
{
	uint64_t total = 0;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		uint64_t v = 0, mul;

		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (uint64_t)(*s++ - '0');
			if (v > UNLOCK_MAX_SECONDS)
				return -1;
		}
		switch (*s) {
		case 's': mul = 1; s++; break;
		case 'm': mul = 60; s++; break;
		case 'h': mul = 3600; s++; break;
		case 'd': mul = 86400; s++; break;
		case '\0': mul = 1; break;
		default: return -1;
		}
		total += v * mul;
		if (total > UNLOCK_MAX_SECONDS)
			return -1;
	}
	if (total == 0)
		return -1;
	*out = (unsigned)total;
	return 0;
}

static int
parse(int argc, char **argv, int is_lock, struct unlock_opts *o)
{
	enum { O_FOR = 'f', O_STATUS = 's', O_HOME = 'H', O_PWFILE = 'p',
	    O_QUIET = 'q', O_HELP = 'h' /* cli_getopt answers it */ };
	static const struct option unlock_opts[] = {
		{"for", required_argument, NULL, O_FOR},
		{"status", no_argument, NULL, O_STATUS},
		{"home", required_argument, NULL, O_HOME},
		{"password-file", required_argument, NULL, O_PWFILE},
		{"quiet", no_argument, NULL, O_QUIET},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	static const struct option lock_opts[] = {
		{"home", required_argument, NULL, O_HOME},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c, ex;

	memset(o, 0, sizeof(*o));
	o->seconds = UNLOCK_DEFAULT_SECONDS;
	optind = 0;
	while ((c = cli_getopt(argc, argv, is_lock ? lock_opts : unlock_opts,
	    is_lock ? lock_usage : unlock_usage, &ex)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			return ex == EXIT_OK ? -1 : ex;
		case O_FOR:
			if (parse_duration(optarg, &o->seconds) != 0) {
				cli_err("--for takes a duration of 1s to %uh, such as 90s, 15m or 2h",
				    UNLOCK_MAX_SECONDS / 3600);
				return EXIT_USAGE;
			}
			break;
		case O_STATUS: o->status = 1; break;
		case O_HOME: o->home = optarg; break;
		case O_PWFILE: o->pwfile = optarg; break;
		case O_QUIET: o->quiet = 1; break;
		}
	}
	if (optind < argc) {
		cli_err("unexpected argument '%s' (try --help)", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

/* The home directory and its profile; 0 or an exit code after saying
 * why. */
static int
load(const char *opt, char home[static PATH_MAX], struct profile *p)
{
	struct dz_errmsg em = {{0}};

	if (profile_home(opt, home, &em) != 0) {
		cli_err("%s", em.text);
		return EXIT_USAGE;
	}
	if (profile_load(home, p, &em) != 0) {
		cli_err("cannot read the profile: %s", em.text);
		return EXIT_FAIL;
	}
	return 0;
}

int
cli_unlocked_open(const char *home, const struct profile *p,
    struct session **out)
{
	uint8_t *mk = sodium_malloc(MKEY_BYTES);
	int rc;

	*out = NULL;
	if (mk == NULL)
		return DZ_ENOMEM;
	rc = unlock_fetch(home, p, mk, NULL, NULL);
	if (rc == 0)
		rc = session_open_mk(home, mk, out, NULL);
	sodium_free(mk);
	return rc;
}

int
cli_unlock_describe(const char *home, const struct profile *p, char *out,
    size_t cap)
{
	uint8_t *mk = sodium_malloc(MKEY_BYTES);
	int64_t until = 0, left;
	char when[64];
	struct tm tm;
	time_t t;
	int rc;

	if (mk == NULL) {
		snprintf(out, cap, "unknown (out of memory)");
		return 0;
	}
	rc = unlock_fetch(home, p, mk, &until, NULL);
	sodium_free(mk);
	if (rc != 0) {
		snprintf(out, cap, "locked");
		return 0;
	}
	t = (time_t)until;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)until);
	left = until - (int64_t)time(NULL);
	if (left < 0)
		left = 0;
	if (left >= 3600)
		snprintf(out, cap, "unlocked until %s (%lldh %02lldm left)", when,
		    (long long)(left / 3600), (long long)(left % 3600 / 60));
	else
		snprintf(out, cap, "unlocked until %s (%lldm %02llds left)", when,
		    (long long)(left / 60), (long long)(left % 60));
	return 1;
}

int
cmd_unlock_main(int argc, char **argv)
{
	struct unlock_opts o;
	struct dz_errmsg em = {{0}};
	struct session *s = NULL;
	struct profile p;
	char home[PATH_MAX], line[160];
	int64_t until;
	int ex, rc;

	if ((ex = parse(argc, argv, 0, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex; /* -1: --help answered */
	if ((ex = load(o.home, home, &p)) != 0)
		return ex;
	if (o.status) {
		if (!p.have_account) {
			printf("not logged in (profile %s)\n", home);
			return EXIT_FAIL;
		}
		rc = cli_unlock_describe(home, &p, line, sizeof(line));
		printf("%s %s\n", p.user, line);
		return rc ? EXIT_OK : EXIT_FAIL;
	}
	/* the password always: a kept key never extends itself */
	if ((ex = cli_session_open_password(o.home, o.pwfile, &s)) != 0)
		return ex;
	/* the profile as the session found it (it was just re-read) */
	if ((rc = profile_load(s->home, &p, &em)) == 0)
		rc = unlock_store(s->home, &p, s->mk, o.seconds, &until, &em);
	if (rc != 0) {
		cli_err("unlock: %s", em.text[0] != '\0' ? em.text : dz_strerror(rc));
		session_close(s);
		return EXIT_FAIL;
	}
	if (!o.quiet) {
		(void)cli_unlock_describe(s->home, &p, line, sizeof(line));
		printf("%s %s\n", s->user, line);
	}
	session_close(s);
	return EXIT_OK;
}

int
cmd_lock_main(int argc, char **argv)
{
	struct unlock_opts o;
	struct dz_errmsg em = {{0}};
	char home[PATH_MAX];
	int ex, had;

	if ((ex = parse(argc, argv, 1, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex; /* -1: --help answered */
	if (profile_home(o.home, home, &em) != 0) {
		cli_err("%s", em.text);
		return EXIT_USAGE;
	}
	if (unlock_forget(home, &had, &em) != 0) {
		cli_err("lock: %s", em.text);
		return EXIT_FAIL;
	}
	printf(had ? "locked\n" : "was not unlocked\n");
	return EXIT_OK;
}
