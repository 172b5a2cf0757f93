/*
 * main: the drizzle program: one table of subcommands, each in its own
 * file with its own --help.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"

#define DRIZZLE_VERSION "0.1.0"

static const struct cli_cmd commands[] = {
	{"compact", cmd_compact_main, "free the space removed small files left in their packs"},
	{"config", cmd_config_main, "show or change this computer's peer settings (disk, bandwidth)"},
	{"coordinator", cmd_coordinator_main, "run the coordinator (accounts, peers, placement, records)"},
	{"demo", cmd_demo_main, "the main job: a local network, a file put, peers killed, the file back"},
	{"devices", cmd_devices_main, "list the computers logged in to the account; revoke one"},
	{"get", cmd_get_main, "fetch a file (get -r: a folder) from the network"},
	{"local", cmd_local_main, "init, put, get and list files in a local directory store"},
	{"lock", cmd_lock_main, "forget the unlocked key at once"},
	{"login", cmd_login_main, "log this computer in to an account"},
	{"logout", cmd_logout_main, "forget the account on this computer"},
	{"ls", cmd_ls_main, "list your files and folders on the network"},
	{"mkdir", cmd_mkdir_main, "make a folder on the network"},
	{"mv", cmd_mv_main, "move or rename a file or folder (nothing uploaded)"},
	{"passwd", cmd_passwd_main, "change the account's password (no data re-encrypted)"},
	{"peer", cmd_peer_main, "lend disk: store and serve fragments for the network"},
	{"put", cmd_put_main, "store a file (put -r: a folder) on the network"},
	{"restore", cmd_restore_main, "make an earlier version of a file the current one"},
	{"rm", cmd_rm_main, "remove a file (rm -r: a folder) from the network"},
	{"signup", cmd_signup_main, "create an account at a coordinator and log in"},
	{"status", cmd_status_main, "show the account: coordinator, space used, peers online"},
	{"testnet", cmd_testnet_main, "run a coordinator and N peers on loopback, for tests and demos"},
	{"unlock", cmd_unlock_main, "check the password once and stay unlocked for a while"},
	{"versions", cmd_versions_main, "list the kept versions of a file"},
	{"whatdoyouknow", cmd_whatdoyouknow_main, "show everything the coordinator stores about your account"},
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: drizzle <command> [options]\n\n"
		   "Drizzle stores files encrypted on your computer, cut into erasure-coded\n"
		   "fragments. Commands:\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`drizzle help <command>` (or `drizzle <command> --help`) tells more,\n"
		   "with the command's exit codes.\n");
}

/* The command named name, or NULL. */
static const struct cli_cmd *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* Say that name is no command, with the nearest one if any; EXIT_USAGE. */
static int
unknown_command(const char *name)
{
	const char *names[sizeof(commands) / sizeof(commands[0])], *near;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		names[i] = commands[i].name;
	near = cli_suggest(name, names, sizeof(names) / sizeof(names[0]));
	if (near != NULL)
		cli_err("unknown command '%s' (did you mean `drizzle %s`?)", name, near);
	else
		cli_err("unknown command '%s' (try `drizzle --help`)", name);
	return EXIT_USAGE;
}

/* `drizzle help [CMD [SUB]]`: the list, or exactly what `drizzle CMD
 * [SUB] --help` prints (CMD runs with that argv; only `local` has SUBs). */
static int
help_main(int argc, char **argv)
{
	const struct cli_cmd *c;
	char *args[4];

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if ((c = find_command(argv[1])) == NULL)
		return unknown_command(argv[1]);
	if (argc > (strcmp(argv[1], "local") == 0 ? 3 : 2)) {
		cli_err("help wants one command name (try `drizzle help`)");
		return EXIT_USAGE;
	}
	args[0] = argv[1];
	args[argc - 1] = "--help";
	if (argc == 3)
		args[1] = argv[2];
	args[argc] = NULL;
	return c->main(argc, args);
}

int
main(int argc, char **argv)
{
	const struct cli_cmd *c;

	/* a peer that resets a connection must cost that connection, not the
	 * process: writes report EPIPE instead */
	signal(SIGPIPE, SIG_IGN);
	/* Fragments and frames are megabytes: by default glibc gives each
	 * such buffer fresh pages from mmap and returns them at free, and a
	 * page fault costs more here than encrypting the page (docs/design.md, "What this machine can do").
	 * Serving them from the heap, and keeping freed memory for the next
	 * one, cut a network put's CPU time by more than half. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	if (sodium_init() < 0) {
		cli_err("cannot initialise libsodium");
		return EXIT_FAIL;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return help_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0) {
		printf("drizzle %s\n", DRIZZLE_VERSION);
		return EXIT_OK;
	}
	if ((c = find_command(argv[1])) == NULL)
		return unknown_command(argv[1]);
	return c->main(argc - 1, argv + 1);
}
