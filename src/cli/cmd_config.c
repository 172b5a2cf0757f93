/*
 * cmd_config: `drizzle config`: show and change the settings of this
 * computer's peer (its capacity and bandwidth limits) in the peer's
 * data directory, DIR/config (peer/peercfg.h). A running peer picks a
 * change up within a couple of seconds (peer/peerd_limit.c); nothing
 * here talks to it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "client/profile.h"
#include "core/size.h"
#include "peer/peercfg.h"

static const char config_usage[] =
    "usage: drizzle config [--data DIR] [KEY [VALUE]]\n"
    "\n"
    "Shows or changes the settings of this computer's peer, kept in\n"
    "DIR/config. Without KEY: every setting and where it comes from. With\n"
    "KEY: its value alone (for scripts). With KEY VALUE: checks VALUE and\n"
    "writes it durably; a running peer applies it within 2 s, without a\n"
    "restart, and a peer started later reads it (an option given on the\n"
    "peer's command line wins over the file at start, until the key is\n"
    "changed here).\n"
    "\n"
    "Keys:\n"
    "  capacity SIZE       disk to lend, e.g. 64M, 1G (default 10G); lowering\n"
    "                      it refuses new fragments beyond it, deletes nothing\n"
    "  max-upload RATE     bytes a second the peer sends, e.g. 10M; 0: unlimited\n"
    "                      (the default); else at least 64K\n"
    "  max-download RATE   bytes a second the peer receives (same)\n"
    "\n"
    "  --data DIR   the peer's data directory (default: $DRIZZLE_HOME/peer,\n"
    "               else ~/.config/drizzle/peer)\n"
    "  --help, -h   this text\n"
    "\n"
    "Examples:\n"
    "  drizzle config --data ~/drizzle-peer\n"
    "  drizzle config --data ~/drizzle-peer max-upload 2M\n"
    "  drizzle config --data ~/drizzle-peer max-download 0\n"
    "  drizzle config capacity\n"
    "\n"
    "Exit codes: 0 done, 1 a bad value or an unreadable, malformed or\n"
    "unwritable config file (the message names the line), 2 bad command\n"
    "line (an unknown key among them).\n";

static int
usage_error(const char *what)
{
	cli_err("config: %s (try `drizzle config --help`)", what);
	return EXIT_USAGE;
}

static uint64_t
default_of(int k)
{
	return k == PEERCFG_CAPACITY ? PEERCFG_CAPACITY_DEFAULT : 0;
}

static void
show_all(const char *dir, const struct peercfg *f)
{
	char num[SIZE_STRMAX];

	printf("settings of the peer in %s:\n", dir);
	for (int k = 0; k < PEERCFG_NKEYS; k++) {
		int set = (f->set & (1u << k)) != 0;
		uint64_t v = set ? f->v[k] : default_of(k);

		printf("  %-13s %-10s %s\n", peercfg_name(k),
		    size_format(v, num, sizeof(num)),
		    k != PEERCFG_CAPACITY && v == 0 ?
		    (set ? "unlimited, from the config file" : "unlimited, default") :
		    (set ? "from the config file" : "default"));
	}
	printf("(an option given on a running peer's command line wins over a\n"
	    "default or a setting it found at start)\n");
}

int
cmd_config_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct dz_errmsg em = {{0}};
	char home[PATH_MAX], dir[PATH_MAX], num[SIZE_STRMAX];
	char what[sizeof(em.text) + 64];
	const char *data = NULL;
	struct peercfg f;
	uint64_t v;
	int c, rc, k;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, config_usage, &rc)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			return rc;
		case 'd':
			data = optarg;
			break;
		default:
			return usage_error("an option is not handled (a bug)");
		}
	}
	if (argc - optind > 2)
		return usage_error("at most KEY and VALUE");
	if (data != NULL && data[0] == '\0')
		return usage_error("--data needs a directory");
	if (data == NULL) {
		if (profile_home(NULL, home, &em) != 0) {
			cli_err("config: %s", em.text);
			return EXIT_FAIL;
		}
		if ((size_t)snprintf(dir, sizeof(dir), "%s/peer", home) >= sizeof(dir))
			return usage_error("the profile's path is too long");
		data = dir;
	}
	k = -1;
	if (optind < argc && (k = peercfg_lookup(argv[optind])) < 0) {
		snprintf(what, sizeof(what), "unknown key '%.64s' (keys: capacity, "
		    "max-upload, max-download)", argv[optind]);
		return usage_error(what);
	}
	if ((rc = peercfg_load(data, &f, &em)) != 0) {
		cli_err("config: %s", em.text);
		return EXIT_FAIL;
	}
	if (k < 0) {
		show_all(data, &f);
		return EXIT_OK;
	}
	if (optind + 1 == argc) {
		v = (f.set & (1u << k)) ? f.v[k] : default_of(k);
		printf("%s\n", size_format(v, num, sizeof(num)));
		return EXIT_OK;
	}
	if (peercfg_value(k, argv[optind + 1], &v, &em) != 0) {
		cli_err("config: %s", em.text);
		return EXIT_FAIL;
	}
	f.v[k] = v;
	f.set |= 1u << k;
	if (mkdir(data, 0700) != 0 && errno != EEXIST) {
		cli_err("config: cannot create %s: %s", data, strerror(errno));
		return EXIT_FAIL;
	}
	if ((rc = peercfg_save(data, &f, &em)) != 0) {
		cli_err("config: cannot write %s/%s: %s", data, PEERCFG_FILE,
		    em.text[0] ? em.text : dz_strerror(rc));
		return EXIT_FAIL;
	}
	printf("%s %s (a running peer applies it within 2 s)\n", peercfg_name(k),
	    size_format(v, num, sizeof(num)));
	return EXIT_OK;
}
