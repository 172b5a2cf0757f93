/*
 * cmd_tree: `drizzle mkdir`, `mv`, `versions` and `restore`: changes to
 * the folder tree that move no file data (client/files.h).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
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
/* --test-die-midway, not in the help: tests kill a move between its two
 * changes with it (files_test_die_midway) */
static const struct option mv_opts[] = {F_HOME, F_PWFILE, F_QUIET, F_HELP,
    {"test-die-midway", no_argument, NULL, 'Z'}, F_END};

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
	if (o.test_die_midway)
		files_test_die_midway(fc.f);
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

uint32_t
cli_version_suffix(const char *path, char *buf, size_t cap)
{
	const char *at = strrchr(path, '@');
	uint64_t v;

	if (at == NULL || at == path || at[1] == '\0' || strchr(at, '/') != NULL ||
	    (size_t)(at - path) >= cap ||
	    cli_parse_uint(at + 1, 1, UINT32_MAX, &v) != 0)
		return 0;
	memcpy(buf, path, (size_t)(at - path));
	buf[at - path] = '\0';
	return (uint32_t)v;
}

int
cli_files_exists(struct files_ctx *fc, const char *path)
{
	struct dz_errmsg em = {{0}};
	struct catalog c;

	if (files_list(fc->f, path, &c, &em) != 0)
		return 0;
	catalog_free(&c);
	return 1;
}

static const char versions_usage[] =
    "usage: drizzle versions PATH [options]\n"
    "\n"
    "List the versions kept of the file at PATH, newest first: number, size,\n"
    "when it was put, and which one is current. `drizzle get PATH@N` fetches\n"
    "version N, `drizzle restore PATH@N` makes it the current one. A put\n"
    "keeps the version it replaces, up to its --versions (default 10).\n"
    "\n"
    FILES_COMMON_HELP
    "  --json                one JSON object per version: number, size,\n"
    "                        stored (seconds since 1970, 0 unknown), mtime,\n"
    "                        current\n"
    "  --help, -h            this text\n"
    "\n"
    "example:\n"
    "  drizzle versions docs/report.odt\n"
    "\n"
    "Exit codes: 0 listed, 1 failed (no such file, ...), 2 bad command line,\n"
    "3 wrong password, 4 a folder could not be authenticated or was rolled\n"
    "back.\n";

static const char restore_usage[] =
    "usage: drizzle restore PATH@N [options]\n"
    "\n"
    "Make version N of the file at PATH its current version (nothing is\n"
    "uploaded; the version that was current is kept as a previous one, so\n"
    "a restore can itself be undone). `drizzle versions PATH` lists them.\n"
    "\n"
    FILES_COMMON_HELP
    "  --quiet               no `restored` line\n"
    "  --help, -h            this text\n"
    "\n"
    "example:\n"
    "  drizzle restore docs/report.odt@3\n"
    "\n"
    "Exit codes: 0 restored, 1 failed (no such file or version, ...), 2 bad\n"
    "command line, 3 wrong password, 4 a folder could not be authenticated\n"
    "or was rolled back.\n";

static const struct option versions_opts[] = {
	F_HOME, F_PWFILE, {"json", no_argument, NULL, 'j'}, F_HELP, F_END,
};
static const struct option restore_opts[] = {F_HOME, F_PWFILE, F_QUIET, F_HELP, F_END};

int
cmd_versions_main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	struct files_version *v = NULL;
	struct files_opts o;
	struct files_ctx fc;
	size_t n = 0;
	int ex, rc;

	if ((ex = cli_files_parse(argc, argv, versions_opts, "", versions_usage, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (argc - optind != 1) {
		cli_err("versions wants one PATH (see `drizzle versions --help`)");
		return EXIT_USAGE;
	}
	if ((ex = cli_files_open(&o, &fc)) != 0)
		return ex;
	if ((rc = files_versions(fc.f, argv[optind], &v, &n, &em)) != 0 ||
	    (rc = files_flush(fc.f, &em)) != 0) {
		ex = cli_fail(rc, &em, rc == DZ_ENOENT ? "not found (drizzle ls lists files)" :
		    "cannot list the versions");
		goto out;
	}
	if (o.json)
		putchar('[');
	for (size_t i = 0; i < n; i++) {
		char date[32], h[32];
		time_t t = (time_t)v[i].stored_sec;
		struct tm tm;

		if (o.json) {
			printf("%s\n {\"number\": %u, \"size\": %" PRIu64 ", \"stored\": %" PRId64
			    ", \"mtime\": %" PRId64 ", \"current\": %s}", i ? "," : "",
			    (unsigned)v[i].number, v[i].size, v[i].stored_sec, v[i].mtime_sec,
			    v[i].current ? "true" : "false");
			continue;
		}
		if (t == 0 || localtime_r(&t, &tm) == NULL ||
		    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) == 0)
			snprintf(date, sizeof(date), "?");
		cli_human(v[i].size, h);
		printf("%6u  %10s  %s%s\n", (unsigned)v[i].number, h, date,
		    v[i].current ? "  current" : "");
	}
	if (o.json)
		fputs(n > 0 ? "\n]\n" : "]\n", stdout);
out:
	free(v);
	cli_files_close(&fc);
	return ex;
}

int
cmd_restore_main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	char path[CATALOG_PATHMAX + 1];
	struct files_opts o;
	struct files_ctx fc;
	uint32_t n, now = 0;
	int ex, rc;

	if ((ex = cli_files_parse(argc, argv, restore_opts, "", restore_usage, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (argc - optind != 1) {
		cli_err("restore wants one PATH@N (see `drizzle restore --help`)");
		return EXIT_USAGE;
	}
	if ((n = cli_version_suffix(argv[optind], path, sizeof(path))) == 0) {
		cli_err("restore wants PATH@N, N a version number (drizzle versions PATH "
		    "lists them)");
		return EXIT_USAGE;
	}
	if ((ex = cli_files_open(&o, &fc)) != 0)
		return ex;
	if ((rc = files_restore(fc.f, path, n, &now, &em)) == 0)
		rc = files_flush(fc.f, &em);
	if (rc != 0)
		ex = cli_fail(rc, &em, rc == DZ_ENOENT ? "not found (drizzle versions lists "
		    "them)" : "cannot restore it");
	else if (!o.quiet) {
		fputs("restored ", stdout);
		cli_escape_put(stdout, path);
		printf(" version %u as the current one (now version %u)\n", (unsigned)n,
		    (unsigned)now);
	}
	cli_files_close(&fc);
	return ex;
}

static const char compact_usage[] =
    "usage: drizzle compact [options]\n"
    "\n"
    "Free the space that removed and replaced small files left in the\n"
    "shared packs they were stored in (put -r packs files up to 1 MiB\n"
    "together): a pack no file names any more is forgotten, and one whose\n"
    "files still named fill less than --threshold of it is rewritten with\n"
    "only those. Nothing else changes; files are swapped to their new\n"
    "place one folder at a time, safely beside other computers' changes.\n"
    "Until then a removed small file still counts in used. Reads the\n"
    "whole tree once.\n"
    "\n"
    FILES_COMMON_HELP
    "  --threshold PCT       rewrite packs less than PCT % named (default 50)\n"
    "  --quiet               no summary\n"
    "  --help, -h            this text\n"
    "\n"
    "example:\n"
    "  drizzle rm -r old-photos && drizzle compact\n"
    "\n"
    "Exit codes: 0 done, 1 failed, 2 bad command line, 3 wrong password, 4 a\n"
    "folder could not be authenticated or was rolled back.\n";

static const struct option compact_opts[] = {
	F_HOME, F_PWFILE, {"threshold", required_argument, NULL, 'T'}, F_QUIET, F_HELP,
	F_END,
};

int
cmd_compact_main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	struct files_compact_stats st;
	struct files_opts o;
	struct files_ctx fc;
	int ex, rc;

	if ((ex = cli_files_parse(argc, argv, compact_opts, "", compact_usage, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (argc - optind != 0) {
		cli_err("compact takes no operand (see `drizzle compact --help`)");
		return EXIT_USAGE;
	}
	if ((ex = cli_files_open(&o, &fc)) != 0)
		return ex;
	if ((rc = files_compact(fc.f, o.threshold, &st, &em)) == 0)
		rc = files_flush(fc.f, &em);
	if (rc != 0)
		ex = cli_fail(rc, &em, "cannot compact");
	else if (!o.quiet) {
		char b[32], l[32], fr[32];

		cli_human(st.bytes, b);
		cli_human(st.live, l);
		cli_human(st.freed, fr);
		printf("compacted: %" PRIu64 " pack(s) of %s, %s still named; %" PRIu64
		    " removed, %" PRIu64 " rewritten, %s freed\n", st.packs, b, l, st.removed,
		    st.rewritten, fr);
	}
	cli_files_close(&fc);
	return ex;
}
