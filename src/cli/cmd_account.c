/*
 * cmd_account: `drizzle signup`, `login`, `logout` and `passwd`:
 * the account at a coordinator, as kept in the profile directory (--home
 * DIR, else $DRIZZLE_HOME, else ~/.config/drizzle). The work is
 * client/session.c's; this file reads options and passwords, and turns
 * failures into messages that say what to do. Also cli_session_open
 * (account.h), for the commands that act for the logged-in account.
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
#include "cli/filehealth.h"
#include "client/profile.h"
#include "client/session.h"
#include "net/netaddr.h"
#include "net/proto.h"

#define NEWPW_MAX 1024 /* as password.c */

static const char signup_usage[] =
    "usage: drizzle signup --coordinator ADDR:PORT --user NAME [options]\n"
    "\n"
    "Create an account at the coordinator and log this computer in. The\n"
    "password never leaves this computer and cannot be recovered by anyone.\n"
    "\n"
    "  --coordinator ADDR:PORT  the coordinator (default: the profile's)\n"
    "  --user NAME              1 to 64 of a-z 0-9 . _ -\n"
    "  --hint TEXT              a password hint, shown to anyone who asks for\n"
    "                           NAME: it must not give the password away\n"
    "  --coordinator-key HEX    the coordinator's key (default: pinned at first\n"
    "                           contact)\n"
    "  --home DIR               profile directory (default $DRIZZLE_HOME, else\n"
    "                           ~/.config/drizzle)\n"
    "  --password-file FILE     read the password from FILE's first line (else\n"
    "                           $DRIZZLE_PASSWORD, else the terminal, twice)\n"
    "  --kdf-ops N, --kdf-mem SIZE\n"
    "                           Argon2id costs (default: libsodium MODERATE,\n"
    "                           about 0.5 s and 256 MiB; lower only for tests)\n"
    "  --quiet                  no warning before asking the password, no\n"
    "                           line when done\n"
    "  --help, -h               this text\n"
    "\n"
    "example:\n"
    "  drizzle signup --coordinator 203.0.113.7:7420 --user alice --hint 'the cat'\n"
    "\n"
    "Exit codes: 0 signed up, 1 failed (name taken, coordinator unreachable or\n"
    "showing another key than the pinned one), 2 bad command line.\n";

static const char login_usage[] =
    "usage: drizzle login --coordinator ADDR:PORT --user NAME [options]\n"
    "\n"
    "Log this computer in to an existing account: the password proves itself\n"
    "to the coordinator without leaving this computer, and unlocks the\n"
    "account's keys, the same on every computer.\n"
    "\n"
    "  --coordinator ADDR:PORT  the coordinator (default: the profile's)\n"
    "  --user NAME              the account (default: the profile's)\n"
    "  --coordinator-key HEX    the coordinator's key (default: pinned at first\n"
    "                           contact)\n"
    "  --home DIR               profile directory (default $DRIZZLE_HOME, else\n"
    "                           ~/.config/drizzle)\n"
    "  --password-file FILE     read the password from FILE's first line (else\n"
    "                           $DRIZZLE_PASSWORD, else the terminal)\n"
    "  --kdf-ops N, --kdf-mem SIZE\n"
    "                           accept the account's Argon2id costs down to\n"
    "                           these (default: refuse below libsodium\n"
    "                           MODERATE, or this computer's costs if higher)\n"
    "  --help, -h               this text\n"
    "\n"
    "example:\n"
    "  drizzle login --coordinator 203.0.113.7:7420 --user alice\n"
    "\n"
    "Exit codes: 0 logged in, 1 failed (no such user, coordinator unreachable\n"
    "or showing another key, too many failed attempts, weak or excessive\n"
    "key-stretching parameters), 2 bad command line, 3 wrong password (the\n"
    "account's hint is printed).\n";

static const char logout_usage[] =
    "usage: drizzle logout [--home DIR]\n"
    "\n"
    "Forget the account on this computer (its name and wrapped key). The\n"
    "coordinator's pinned key stays; the account and its files are kept at\n"
    "the coordinator: `drizzle login` brings them back.\n"
    "\n"
    "  --home DIR   profile directory (default $DRIZZLE_HOME, else\n"
    "               ~/.config/drizzle)\n"
    "  --help, -h   this text\n"
    "\n"
    "example:\n"
    "  drizzle logout --home /tmp/alice\n"
    "\n"
    "Exit codes: 0 logged out (also when nobody was), 1 failed, 2 bad command\n"
    "line.\n";

static const char passwd_usage[] =
    "usage: drizzle passwd [options]\n"
    "\n"
    "Change the account's password. The master key is re-wrapped under the\n"
    "new password; no file is re-encrypted.\n"
    "\n"
    "  --home DIR                 profile directory (default $DRIZZLE_HOME,\n"
    "                             else ~/.config/drizzle)\n"
    "  --password-file FILE       the current password (else\n"
    "                             $DRIZZLE_PASSWORD, else the terminal)\n"
    "  --new-password-file FILE   the new password (else\n"
    "                             $DRIZZLE_NEW_PASSWORD, else the terminal,\n"
    "                             twice)\n"
    "  --hint TEXT                the new password's hint (else the account\n"
    "                             has none: the old hint was the old password's)\n"
    "  --keep-devices             the other computers of the account stay\n"
    "                             logged in (default: they must log in again)\n"
    "  --kdf-ops N, --kdf-mem SIZE\n"
    "                             Argon2id costs of the new password, and the\n"
    "                             least accepted for the current one (default:\n"
    "                             libsodium MODERATE; lower only for tests)\n"
    "  --quiet                    no warning before asking the new password\n"
    "  --help, -h                 this text\n"
    "\n"
    "example:\n"
    "  drizzle passwd\n"
    "\n"
    "Exit codes: 0 changed, 1 failed (also: weak or excessive key-stretching\n"
    "parameters), 2 bad command line, 3 wrong password.\n";

struct acct_opts {
	const char *home, *coordinator, *user, *hint, *coord_key;
	const char *pwfile, *newpwfile;
	struct pwkey_params kdf;
	int kdf_given; /* --kdf-ops or --kdf-mem: also the least accepted */
	int quiet, help, keep_devices;
};

enum {
	OPT_HOME = 'H', OPT_COORD = 'c', OPT_USER = 'u', OPT_HINT = 'i',
	OPT_KEY = 'k', OPT_PWFILE = 'p', OPT_NEWPWFILE = 'n', OPT_KDFOPS = 'O',
	OPT_KDFMEM = 'M', OPT_QUIET = 'q', OPT_HELP = 'h', OPT_KEEP = 'K',
};

#define O_HOME {"home", required_argument, NULL, OPT_HOME}
#define O_COORD {"coordinator", required_argument, NULL, OPT_COORD}
#define O_USER {"user", required_argument, NULL, OPT_USER}
#define O_HINT {"hint", required_argument, NULL, OPT_HINT}
#define O_KEY {"coordinator-key", required_argument, NULL, OPT_KEY}
#define O_PWFILE {"password-file", required_argument, NULL, OPT_PWFILE}
#define O_NEWPWFILE {"new-password-file", required_argument, NULL, OPT_NEWPWFILE}
#define O_KDFOPS {"kdf-ops", required_argument, NULL, OPT_KDFOPS}
#define O_KDFMEM {"kdf-mem", required_argument, NULL, OPT_KDFMEM}
#define O_QUIET {"quiet", no_argument, NULL, OPT_QUIET}
#define O_KEEP {"keep-devices", no_argument, NULL, OPT_KEEP}
#define O_HELP {"help", no_argument, NULL, OPT_HELP} /* cli_getopt answers it */
#define O_END {NULL, 0, NULL, 0}

/* Options of argv (each command passes the ones it takes, and its help
 * text); no operands. 0 (o->help set after --help was printed) or
 * EXIT_USAGE after saying why. */
static int
acct_parse(int argc, char **argv, const struct option *longopts,
    const char *help, struct acct_opts *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	pwkey_params_default(&o->kdf);
	optind = 0;
	while ((c = cli_getopt(argc, argv, longopts, help, &rc)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			o->help = rc == EXIT_OK;
			return rc;
		case OPT_HOME: o->home = optarg; break;
		case OPT_COORD: o->coordinator = optarg; break;
		case OPT_USER: o->user = optarg; break;
		case OPT_HINT: o->hint = optarg; break;
		case OPT_KEY: o->coord_key = optarg; break;
		case OPT_PWFILE: o->pwfile = optarg; break;
		case OPT_NEWPWFILE: o->newpwfile = optarg; break;
		case OPT_KDFOPS:
			if ((rc = cli_kdf_option("kdf-ops", optarg, &o->kdf)) != 0)
				return rc;
			o->kdf_given = 1;
			break;
		case OPT_KDFMEM:
			if ((rc = cli_kdf_option("kdf-mem", optarg, &o->kdf)) != 0)
				return rc;
			o->kdf_given = 1;
			break;
		case OPT_QUIET: o->quiet = 1; break;
		case OPT_KEEP: o->keep_devices = 1; break;
		default: /* an option in longopts that this switch forgot */
			cli_err("option '%s' is not handled (a bug)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("unexpected argument '%s' (try `drizzle %s --help`)",
		    argv[optind], argv[0]);
		return EXIT_USAGE;
	}
	return 0;
}

/* The home directory into out; 0 or an exit code after saying why. */
static int
acct_home(const char *opt, char out[PATH_MAX])
{
	struct dz_errmsg em = {{0}};

	if (profile_home(opt, out, &em) != 0) {
		cli_err("%s", em.text);
		return EXIT_USAGE;
	}
	return 0;
}

/* The profile at home into p; 0 or EXIT_FAIL after saying why. */
static int
acct_profile(const char *home, struct profile *p)
{
	struct dz_errmsg em = {{0}};
	int rc;

	if ((rc = profile_load(home, p, &em)) != 0) {
		cli_err("cannot read the profile: %s", em.text[0] != '\0' ?
		    em.text : dz_strerror(rc));
		return EXIT_FAIL;
	}
	return 0;
}

/* Judge --coordinator, --user, --hint and --coordinator-key; 0 or
 * EXIT_USAGE after saying why. */
static int
acct_check(const struct acct_opts *o, const char *addr, const char *user,
    uint8_t key[static IDENT_PKBYTES], int *have_key)
{
	struct sockaddr_storage sa;
	struct dz_errmsg em = {{0}};
	size_t n;

	*have_key = 0;
	if (netaddr_parse(addr, 0, &sa, &em) != 0) {
		cli_err("--coordinator must be IP:PORT, such as 127.0.0.1:7420: %s",
		    em.text);
		return EXIT_USAGE;
	}
	n = strlen(user);
	if (n == 0 || n > PROTO_USER_MAX || !proto_user_chars_ok(user, n)) {
		cli_err("--user must be 1 to %d characters of a-z, 0-9, '.', '_' and '-'",
		    PROTO_USER_MAX);
		return EXIT_USAGE;
	}
	if (o->hint != NULL && (strlen(o->hint) > PROTO_HINT_MAX ||
	    !proto_text_chars_ok(o->hint, strlen(o->hint)))) {
		cli_err("--hint must be at most %d bytes of text without control characters",
		    PROTO_HINT_MAX);
		return EXIT_USAGE;
	}
	if (o->coord_key != NULL) {
		if (ident_pk_parse(o->coord_key, key) != 0) {
			cli_err("--coordinator-key must be 64 hex digits");
			return EXIT_USAGE;
		}
		*have_key = 1;
	}
	return 0;
}

/* Report a failed account operation and return its exit code: decided
 * on the code, the message is the session's. */
static int
acct_fail(int rc, const struct dz_errmsg *em, const char *what,
    const char *home)
{
	const char *t = em->text[0] != '\0' ? em->text : dz_strerror(rc);

	switch (rc) {
	case DZ_EPASSWORD:
		cli_err("%s", t); /* "wrong password (hint: ...)" */
		return EXIT_PASSWORD;
	case DZ_ECONNECT:
		cli_err("%s: %s; is it running?", what, t);
		return EXIT_FAIL;
	case DZ_EPEERKEY:
		cli_err("%s: %s", what, t);
		cli_err("refused: this may not be your coordinator. If its key "
		    "really changed, fix --coordinator-key or remove "
		    "%s/coordinator, and log in again", home);
		return EXIT_FAIL;
	case DZ_EWEAKKDF:
		cli_err("%s: %s", what, t);
		cli_err("refused before using the password: a coordinator asking for "
		    "weaker costs may be trying to make it cheap to guess. If you "
		    "chose these costs yourself, give them with --kdf-ops and --kdf-mem");
		return EXIT_FAIL;
	case DZ_EEXIST:
		cli_err("%s: %s; choose another --user", what, t);
		return EXIT_FAIL;
	default:
		break;
	}
	cli_err("%s: %s", what, t);
	return EXIT_FAIL;
}

/* A password from the environment variable var (wiped there), into
 * sodium_malloc memory as cli_password does. 0, 1 if var is not set, or
 * an exit code. */
static int
env_password(const char *var, char **out, size_t *outlen)
{
	char *env = getenv(var), *pw;
	size_t len;

	if (env == NULL)
		return 1;
	len = strlen(env);
	if (len == 0 || len >= NEWPW_MAX) {
		cli_err("%s must hold 1 to %d bytes", var, NEWPW_MAX - 1);
		return EXIT_USAGE;
	}
	if ((pw = sodium_malloc(len + 1)) == NULL) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	memcpy(pw, env, len + 1);
	sodium_memzero(env, len); /* blanks /proc/PID/environ too */
	unsetenv(var);
	*out = pw;
	*outlen = len;
	return 0;
}

/* Wipe and drop DRIZZLE_PASSWORD, so that it is never taken for another
 * password than the one it was read for. */
static void
forget_env_password(void)
{
	char *env = getenv("DRIZZLE_PASSWORD");

	if (env != NULL) {
		sodium_memzero(env, strlen(env));
		unsetenv("DRIZZLE_PASSWORD");
	}
}

static int open_session(const char *home_opt, const char *pwfile,
    struct session **out, char **pwout, size_t *lenout);

/* Warn about a very weak password: shorter than 8 bytes, or made of one
 * class of characters only (lower case, upper case, digits, others). */
static void
warn_weak(const char *pw, size_t len)
{
	int lower = 0, upper = 0, digit = 0, other = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];
		if (c >= 'a' && c <= 'z')
			lower = 1;
		else if (c >= 'A' && c <= 'Z')
			upper = 1;
		else if (c >= '0' && c <= '9')
			digit = 1;
		else
			other = 1;
	}
	if (len < 8 || lower + upper + digit + other == 1)
		cli_err("warning: this password is weak (%s): whoever gets the keyfile "
		    "can guess it quickly. A few unrelated words are stronger.",
		    len < 8 ? "shorter than 8 characters" :
		    "only one kind of character");
}

static void
warn_password(const char *hint)
{
	fprintf(stderr,
	    "Choose a password. It never leaves this computer and nobody can reset\n"
	    "or recover it: if you lose it, your files are lost.\n");
	if (hint == NULL)
		fprintf(stderr,
		    "A hint can remind you of it: --hint TEXT. The coordinator shows the\n"
		    "hint to anyone who asks for your user name, so it must not give the\n"
		    "password away.\n");
	else
		fprintf(stderr,
		    "Your hint is shown to anyone who asks for your user name.\n");
}

int
cmd_signup_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		O_COORD, O_USER, O_HINT, O_KEY, O_HOME, O_PWFILE, O_KDFOPS,
		O_KDFMEM, O_QUIET, O_HELP, O_END,
	};
	struct acct_opts o;
	struct dz_errmsg em = {{0}};
	struct profile p;
	char home[PATH_MAX], *pw = NULL;
	uint8_t key[IDENT_PKBYTES];
	const char *addr;
	size_t pwlen;
	int rc, ex, have_key;

	if ((ex = acct_parse(argc, argv, longopts, signup_usage, &o)) != 0 || o.help)
		return ex;
	if ((ex = acct_home(o.home, home)) != 0 || (ex = acct_profile(home, &p)) != 0)
		return ex;
	addr = o.coordinator != NULL ? o.coordinator :
	    p.have_coordinator ? p.coord_addr : NULL;
	if (addr == NULL || o.user == NULL) {
		cli_err("%s is required (try --help)", addr == NULL ?
		    "--coordinator ADDR:PORT" : "--user NAME");
		return EXIT_USAGE;
	}
	if ((ex = acct_check(&o, addr, o.user, key, &have_key)) != 0)
		return ex;
	if (!o.quiet)
		warn_password(o.hint);
	if ((ex = cli_password(o.pwfile, 1, "New password: ", &pw, &pwlen)) != 0)
		return ex;
	warn_weak(pw, pwlen);
	rc = session_signup(home, addr, have_key ? key : NULL, o.user, pw, pwlen,
	    &o.kdf, o.hint, &em);
	cli_password_free(pw);
	if (rc != 0)
		return acct_fail(rc, &em, "signup", home);
	if (!o.quiet)
		printf("signed up %s at %s\n", o.user, addr);
	return EXIT_OK;
}

int
cmd_login_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		O_COORD, O_USER, O_KEY, O_HOME, O_PWFILE, O_KDFOPS, O_KDFMEM,
		O_HELP, O_END,
	};
	struct acct_opts o;
	struct dz_errmsg em = {{0}};
	struct profile p;
	char home[PATH_MAX], prompt[PROTO_USER_MAX + 32], *pw = NULL;
	uint8_t key[IDENT_PKBYTES];
	const char *addr, *user;
	size_t pwlen;
	int rc, ex, have_key;

	if ((ex = acct_parse(argc, argv, longopts, login_usage, &o)) != 0 || o.help)
		return ex;
	if ((ex = acct_home(o.home, home)) != 0 || (ex = acct_profile(home, &p)) != 0)
		return ex;
	addr = o.coordinator != NULL ? o.coordinator :
	    p.have_coordinator ? p.coord_addr : NULL;
	user = o.user != NULL ? o.user : p.have_account ? p.user : NULL;
	if (addr == NULL || user == NULL) {
		cli_err("%s is required (try --help)", addr == NULL ?
		    "--coordinator ADDR:PORT" : "--user NAME");
		return EXIT_USAGE;
	}
	if ((ex = acct_check(&o, addr, user, key, &have_key)) != 0)
		return ex;
	snprintf(prompt, sizeof(prompt), "Password for %s: ", user);
	if ((ex = cli_password(o.pwfile, 0, prompt, &pw, &pwlen)) != 0)
		return ex;
	rc = session_login(home, addr, have_key ? key : NULL, user, pw, pwlen,
	    o.kdf_given ? &o.kdf : NULL, &em);
	cli_password_free(pw);
	if (rc == DZ_ENOENT) {
		cli_err("login: %s (check --user, or create it with drizzle signup)",
		    em.text);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return acct_fail(rc, &em, "login", home);
	printf("logged in as %s at %s\n", user, addr);
	return EXIT_OK;
}

int
cmd_logout_main(int argc, char **argv)
{
	static const struct option longopts[] = {O_HOME, O_HELP, O_END};
	struct acct_opts o;
	struct dz_errmsg em = {{0}};
	struct profile p;
	char home[PATH_MAX];
	int rc, ex, had;

	if ((ex = acct_parse(argc, argv, longopts, logout_usage, &o)) != 0 || o.help)
		return ex;
	if ((ex = acct_home(o.home, home)) != 0)
		return ex;
	/* a damaged profile is forgotten all the same */
	had = profile_load(home, &p, &em) != 0 || p.have_account;
	if ((rc = session_logout(home, &em)) != 0)
		return acct_fail(rc, &em, "logout", home);
	if (had && p.user[0] != '\0')
		printf("logged out %s\n", p.user);
	else if (had)
		printf("logged out\n");
	else
		printf("nobody was logged in (profile %s)\n", home);
	return EXIT_OK;
}

int
cmd_passwd_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		O_HOME, O_PWFILE, O_NEWPWFILE, O_HINT, O_KEEP, O_KDFOPS, O_KDFMEM,
		O_QUIET, O_HELP, O_END,
	};
	struct acct_opts o;
	struct session_passwd_opts po;
	struct dz_errmsg em = {{0}};
	struct session *s = NULL;
	char *oldpw = NULL, *newpw = NULL;
	size_t oldlen = 0, newlen = 0;
	int rc, ex;

	if ((ex = acct_parse(argc, argv, longopts, passwd_usage, &o)) != 0 || o.help)
		return ex;
	if (o.hint != NULL && (strlen(o.hint) > PROTO_HINT_MAX ||
	    !proto_text_chars_ok(o.hint, strlen(o.hint)))) {
		cli_err("--hint must be at most %d bytes of text without control characters",
		    PROTO_HINT_MAX);
		return EXIT_USAGE;
	}
	/* the current password opens the session, and signs the change */
	if ((ex = open_session(o.home, o.pwfile, &s, &oldpw, &oldlen)) != 0)
		return ex;
	if (o.newpwfile != NULL) {
		ex = cli_password(o.newpwfile, 0, "New password: ", &newpw, &newlen);
	} else if ((ex = env_password("DRIZZLE_NEW_PASSWORD", &newpw,
	    &newlen)) == 1) {
		forget_env_password();
		if (!o.quiet)
			fprintf(stderr,
			    "Choose the new password. Nobody can reset or recover it:\n"
			    "if you lose it, your files are lost.\n");
		ex = cli_password(NULL, 1, "New password: ", &newpw, &newlen);
	}
	if (ex != 0)
		goto out;
	warn_weak(newpw, newlen);
	memset(&po, 0, sizeof(po));
	po.params = &o.kdf;
	po.floor = o.kdf_given ? &o.kdf : NULL;
	po.keep_devices = o.keep_devices;
	po.hint = o.hint != NULL ? o.hint : ""; /* the old one was the old password's */
	rc = session_passwd(s, oldpw, oldlen, newpw, newlen, &po, &em);
	if (rc != 0) {
		ex = acct_fail(rc, &em, "passwd", s->home);
		goto out;
	}
	printf("password changed for %s%s\n", s->user, o.hint != NULL ?
	    "; new hint set" : "; the account has no hint now (--hint TEXT sets one)");
	if (!o.keep_devices)
		printf("the other computers of %s are logged out: they must log in "
		    "again with the new password\n", s->user);
	ex = EXIT_OK;
out:
	cli_password_free(oldpw);
	cli_password_free(newpw);
	session_close(s);
	return ex;
}

/*
 * The body of cli_session_open; with pwout not NULL the password is kept
 * for the caller (its sodium_malloc memory, cli_password_free) instead of
 * being wiped.
 */
static int
open_session(const char *home_opt, const char *pwfile, struct session **out,
    char **pwout, size_t *lenout)
{
	struct dz_errmsg em = {{0}}, hem = {{0}};
	struct profile p;
	char home[PATH_MAX], prompt[PROTO_USER_MAX + 32], hint[PROTO_HINT_MAX + 1];
	char *pw = NULL;
	size_t pwlen;
	int rc, ex;

	*out = NULL;
	if ((ex = acct_home(home_opt, home)) != 0 || (ex = acct_profile(home, &p)) != 0)
		return ex;
	if (!p.have_account) {
		cli_err("not logged in (profile %s): run `drizzle login` (or `drizzle signup`)",
		    home);
		return EXIT_FAIL;
	}
	/* unlocked (drizzle unlock): no password, no key stretching; a
	 * stale or unusable key falls through to asking */
	if (pwout == NULL && cli_unlocked_open(home, &p, out) == 0)
		return 0;
	snprintf(prompt, sizeof(prompt), "Password for %s: ", p.user);
	if ((ex = cli_password(pwfile, 0, prompt, &pw, &pwlen)) != 0)
		return ex;
	rc = session_open(home, pw, pwlen, out, &em);
	if (rc == DZ_EPASSWORD) {
		/* the hint lives at the coordinator; without it, say less */
		if (session_hint(home, hint, sizeof(hint), &hem) == 0 &&
		    hint[0] != '\0')
			cli_err("wrong password (hint: %s)", hint);
		else
			cli_err("wrong password");
		ex = EXIT_PASSWORD;
	} else if (rc != 0) {
		ex = acct_fail(rc, &em, "cannot open the account", home);
	}
	if (ex != 0 || pwout == NULL) {
		cli_password_free(pw);
		return ex;
	}
	*pwout = pw;
	*lenout = pwlen;
	return 0;
}

int
cli_session_open(const char *home_opt, const char *pwfile,
    struct session **out)
{
	return open_session(home_opt, pwfile, out, NULL, NULL);
}

int
cli_session_open_password(const char *home_opt, const char *pwfile,
    struct session **out)
{
	char *pw = NULL;
	size_t len = 0;
	int ex = open_session(home_opt, pwfile, out, &pw, &len);

	cli_password_free(pw);
	return ex;
}
