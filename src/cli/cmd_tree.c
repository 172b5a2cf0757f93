/*
 * cmd_tree: `drizzle mkdir` and `drizzle mv`: changes to the folder tree
 * that move no file data (client/files.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_files.h"

static const char mkdir_usage[] =
    "usage: drizzle mkdir PATH [options]\n"
    "\n"
    "Make the folder PATH on the network (an empty folder is kept as one;\n"
    "missing parent folders are made too, as put makes them).\n"
    "\n"
    FILES_COMMON_HELP
    "  --quiet               no `made PATH` line\n"
    "  --help, -h            this text\n"
    "\n"
    "example:\n"
    "  drizzle mkdir photos/2026\n"
    "\n"
    "Exit codes: 0 made, 1 failed (PATH exists, ...), 2 bad command line,\n"
    "3 wrong password, 4 a folder could not be authenticated or was rolled\n"
    "back.\n";

static const char mv_usage[] =
    "usage: drizzle mv FROM TO [options]\n"
    "\n"
    "Move or rename the file, link or folder FROM to TO. A folder moves as a\n"
    "whole: nothing in it is re-uploaded or re-encrypted. A TO that is an\n"
    "existing folder receives FROM under its own name (as mv does); a file\n"
    "at TO is replaced by a moved file; missing folders of TO are made.\n"
    "\n"
    FILES_COMMON_HELP
    "  --quiet               no `moved FROM to TO` line\n"
    "  --help, -h            this text\n"
    "\n"
    "examples:\n"
    "  drizzle mv notes.txt docs/          into the folder docs\n"
    "  drizzle mv photos pictures          rename a folder\n"
    "\n"
    "Exit codes: 0 moved, 1 failed (no FROM, TO is a folder or link, a folder\n"
    "into itself, ...), 2 bad command line, 3 wrong password, 4 a folder\n"
    "could not be authenticated or was rolled back.\n";

static const struct option mkdir_opts[] = {F_HOME, F_PWFILE, F_QUIET, F_HELP, F_END};
static const struct option mv_opts[] = {F_HOME, F_PWFILE, F_QUIET, F_HELP, F_END};

int
cmd_mkdir_main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	struct files_opts o;
	struct files_ctx fc;
	int ex, rc;

	if ((ex = cli_files_parse(argc, argv, mkdir_opts, "", mkdir_usage, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (argc - optind != 1) {
		cli_err("mkdir wants one PATH (see `drizzle mkdir --help`)");
		return EXIT_USAGE;
	}
	if ((ex = cli_files_open(&o, &fc)) != 0)
		return ex;
	if ((rc = files_mkdir(fc.f, argv[optind], FILES_MKDIR_PARENTS, 0755,
	    (int64_t)time(NULL), 0, NULL, &em)) == 0)
		rc = files_flush(fc.f, &em);
	if (rc != 0)
		ex = cli_fail(rc, &em, "cannot make the folder");
	else if (!o.quiet) {
		fputs("made ", stdout);
		cli_escape_put(stdout, argv[optind]);
		putchar('\n');
	}
	cli_files_close(&fc);
	return ex;
}

int
cmd_mv_main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	struct files_opts o;
	struct files_ctx fc;
	int ex, rc;

	if ((ex = cli_files_parse(argc, argv, mv_opts, "", mv_usage, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (argc - optind != 2) {
		cli_err("mv wants FROM TO (see `drizzle mv --help`)");
		return EXIT_USAGE;
	}
	if ((ex = cli_files_open(&o, &fc)) != 0)
		return ex;
	if ((rc = files_mv(fc.f, argv[optind], argv[optind + 1], &em)) == 0)
		rc = files_flush(fc.f, &em);
	if (rc != 0)
		ex = cli_fail(rc, &em, rc == DZ_ENOENT ? "not found (drizzle ls lists files)" :
		    "cannot move it");
	else if (!o.quiet) {
		fputs("moved ", stdout);
		cli_escape_put(stdout, argv[optind]);
		fputs(" to ", stdout);
		cli_escape_put(stdout, argv[optind + 1]);
		putchar('\n');
	}
	cli_files_close(&fc);
	return ex;
}
