/*
 * cmd_files: `drizzle put|get|ls|rm`: the logged-in account's files on the
 * network. Each command unlocks the master key with the password (the
 * profile keeps only the wrapped key), opens the network store and works
 * through client/files.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/account.h"
#include "cli/cli.h"
#include "cli/cmd_files.h"
#include "cli/filehealth.h"
#include "client/files.h"
#include "client/moving.h"
#include "client/netstore.h"
#include "client/seen.h"
#include "client/session.h"
#include "net/frame.h"
#include "net/proto.h"

static const char put_usage[] =
    "usage: drizzle put LOCAL [REMOTE] [options]\n"
    "       drizzle put -r LOCALDIR [REMOTE] [options]\n"
    "\n"
    "Store LOCAL (- for standard input) on the network at REMOTE, encrypted\n"
    "here and cut into fragments on distinct peers. REMOTE defaults to\n"
    "LOCAL's base name; a REMOTE ending in / is a folder and LOCAL's base\n"
    "name is added. An existing REMOTE is replaced (the old one is kept as\n"
    "a version: drizzle versions).\n"
    "\n"
    "With -r, LOCALDIR and everything in it: folders (empty ones too),\n"
    "files, symbolic links (stored as links, never followed), permission\n"
    "bits and modification times. Sockets, FIFOs, devices and names no\n"
    "remote path can take are named and skipped. A file whose size, mtime\n"
    "and mode are those stored is not uploaded again; the summary says how\n"
    "much was skipped. Nothing on the network is removed (drizzle rm -r).\n"
    "\n"
    FILES_COMMON_HELP
    "  --k K, --n N          any K of N fragments rebuild a segment (default:\n"
    "                        the coordinator's, 4 of 12 unless it says\n"
    "                        otherwise; one given alone takes the other from\n"
    "                        it)\n"
    "  --segment-size SIZE   plaintext bytes per segment (4M)\n"
    "  --repair-threshold H  have a segment rebuilt when fewer than H of its\n"
    "                        fragments are healthy (K < H <= N; default: the\n"
    "                        coordinator's)\n"
    "  --recursive, -r       a whole folder (see above)\n"
    "  --compact             with -r: compact the packs afterwards (drizzle\n"
    "                        compact; put -r does it by itself once a day)\n"
    "  --no-compact          with -r: not even the daily one\n"
    "  --versions N          keep N previous versions of a file this put\n"
    "                        replaces (default 10; 0 keeps none); `drizzle\n"
    "                        versions PATH` lists them, they count in used\n"
    "  --threads N           transfers in parallel (default 4)\n"
    "  --quiet               no progress or summary on stderr\n"
    "  --help, -h            this text\n"
    "\n"
    "A put succeeds once every segment has K + ceil((N-K)/2) fragments (at\n"
    "least K+1) on distinct peers; the coordinator places the rest later.\n"
    "\n"
    "examples:\n"
    "  drizzle put photos.tar               stored as photos.tar\n"
    "  drizzle put -r ~/photos                the folder, as photos\n"
    "  drizzle put --k 6 --n 16 notes.txt docs/\n"
    "                                       stored as docs/notes.txt, 6-of-16\n"
    "\n"
    "Exit codes: 0 stored, 1 failed (nothing changed: too few peers online,\n"
    "over quota, unreadable LOCAL, ...), 2 bad command line, 3 wrong password.\n";

static const char get_usage[] =
    "usage: drizzle get REMOTE[@N] [LOCAL] [options]\n"
    "       drizzle get -r REMOTE [LOCALDIR] [options]\n"
    "\n"
    "Fetch REMOTE from the network into LOCAL (- for standard output; default:\n"
    "REMOTE's base name). Every segment is authenticated before LOCAL appears;\n"
    "an existing LOCAL is kept unless --force. Fragments found missing or\n"
    "corrupt on the way are named on stderr. REMOTE@N fetches version N of\n"
    "the file (drizzle versions REMOTE lists them; a file whose name really\n"
    "ends in @N is fetched as it is).\n"
    "\n"
    "With -r, the folder REMOTE and everything in it into LOCALDIR (made if\n"
    "missing; an existing LOCALDIR receives LOCALDIR/<base name>), with\n"
    "modes, mtimes and links; nothing is ever written outside LOCALDIR\n"
    "(a link found in the way is an error, or with --force replaced).\n"
    "\n"
    FILES_COMMON_HELP
    "  --threads N           transfers in parallel (default 4)\n"
    "  --force               replace LOCAL (with -r: files and links under\n"
    "                        LOCALDIR) if it exists\n"
    "  --recursive, -r       a whole folder (see above)\n"
    "  --quiet               no progress or summary on stderr\n"
    "  --help, -h            this text\n"
    "\n"
    "examples:\n"
    "  drizzle get docs/notes.txt            into ./notes.txt\n"
    "  drizzle get photos.tar - | tar tf -   to standard output\n"
    "\n"
    "Exit codes: 0 fetched, 1 failed (no such file, LOCAL exists, ...), 2 bad\n"
    "command line, 3 wrong password, 4 the file could not be rebuilt or\n"
    "authenticated (too few intact fragments, altered data).\n";

static const char ls_usage[] =
    "usage: drizzle ls [PATH] [options]\n"
    "\n"
    "List your files, folders and links on the network (all of them, or\n"
    "those under PATH): size (- for a folder), modification time, path (a\n"
    "folder's ends in /, a link's is followed by -> and its target).\n"
    "\n"
    FILES_COMMON_HELP
    "  --long, -l            per file: exact size in bytes, modification time,\n"
    "                        code (4-of-12), health H/N (the fewest fragments\n"
    "                        of any segment on peers online and trusted, of\n"
    "                        N), estimated durability (nines of the chance\n"
    "                        to keep it a year: docs/durability.md), path\n"
    "  --json                the same as a JSON array, one object per file:\n"
    "                        path, size, mtime, k, n, health, segments,\n"
    "                        threshold, durability, loss_per_year, type\n"
    "                        \"file\"; per folder or link: path, type\n"
    "                        (\"folder\", \"link\"), mtime, mode (, target)\n"
    "  --help, -h            this text\n"
    "\n"
    "examples:\n"
    "  drizzle ls                           every file\n"
    "  drizzle ls docs                      docs and the files under docs/\n"
    "  drizzle ls -l                        with code, health and durability\n"
    "\n"
    "Exit codes: 0 listed, 1 failed (nothing at PATH, coordinator unreachable,\n"
    "...), 2 bad command line, 3 wrong password, 4 the file list could not be\n"
    "authenticated.\n";

static const char rm_usage[] =
    "usage: drizzle rm [-r] PATH [options]\n"
    "\n"
    "Remove the file or link at PATH from the network; its fragments are\n"
    "forgotten. A folder needs -r, and goes with everything in it.\n"
    "\n"
    FILES_COMMON_HELP
    "  --recursive, -r       remove a folder and everything below it\n"
    "  --quiet               no `removed PATH` line\n"
    "  --help, -h            this text\n"
    "\n"
    "examples:\n"
    "  drizzle rm docs/notes.txt\n"
    "  drizzle rm -r old-photos\n"
    "\n"
    "Exit codes: 0 removed, 1 failed (no such file, a folder without -r, ...),\n"
    "2 bad command line, 3 wrong password, 4 a folder could not be\n"
    "authenticated or was rolled back.\n";

/* Each command's options: the ones its help lists, no others. */
static const struct option put_opts[] = {
	F_HOME, F_PWFILE,
	{"k", required_argument, NULL, 'k'},
	{"n", required_argument, NULL, 'n'},
	{"segment-size", required_argument, NULL, 'S'},
	{"repair-threshold", required_argument, NULL, 'R'},
	{"versions", required_argument, NULL, 'V'},
	{"compact", no_argument, NULL, 'C'},
	{"no-compact", no_argument, NULL, 'N'},
	F_RECURSIVE, F_THREADS, F_QUIET, F_HELP, F_END,
};
static const struct option get_opts[] = {
	F_HOME, F_PWFILE, F_THREADS,
	{"force", no_argument, NULL, 'f'},
	F_RECURSIVE, F_QUIET, F_HELP, F_END,
};
static const struct option ls_opts[] = {
	F_HOME, F_PWFILE,
	{"long", no_argument, NULL, 'l'},
	{"json", no_argument, NULL, 'j'},
	F_HELP, F_END,
};
static const struct option rm_opts[] = {
	F_HOME, F_PWFILE, F_RECURSIVE, F_QUIET, F_HELP, F_END,
};

int
cli_files_parse(int argc, char **argv, const struct option *longopts,
    const char *shorts, const char *help, struct files_opts *o)
{
	uint64_t v;
	int c, ex;

	memset(o, 0, sizeof(*o));
	o->keep = FOLDER_VERS_DEFAULT;
	o->threshold = 50;
	xfer_params_default(&o->xp);
	o->xp.threads = FILES_THREADS;
	optind = 0;
	while ((c = cli_getopt_short(argc, argv, shorts, longopts, help, &ex)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			return ex == EXIT_OK ? -1 : ex;
		case 'H': o->home = optarg; break;
		case 'p': o->pwfile = optarg; break;
		case 'k':
		case 'n':
			if (cli_parse_uint(optarg, 1, 255, &v) != 0) {
				cli_err("--%c wants a number from 1 to 255, not '%s'", c, optarg);
				return EXIT_USAGE;
			}
			if (c == 'k') {
				o->xp.k = (unsigned)v;
				o->k_set = 1;
			} else {
				o->xp.n = (unsigned)v;
				o->n_set = 1;
			}
			break;
		case 'S':
			if (cli_parse_size(optarg, &v) != 0 || v < 4096 || v > (64u << 20)) {
				cli_err("--segment-size wants 4K to 64M, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o->xp.seg_size = (uint32_t)v;
			break;
		case 't':
			if (cli_parse_uint(optarg, 1, 64, &v) != 0) {
				cli_err("--threads wants a number from 1 to 64, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o->xp.threads = (unsigned)v;
			break;
		case 'R':
			if (cli_parse_uint(optarg, 2, 255, &v) != 0) {
				cli_err("--repair-threshold wants a number from 2 to 255, not '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			o->repair_threshold = (unsigned)v;
			break;
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'l': o->long_ = 1; break;
		case 'r': o->recursive = 1; break;
		case 'T':
			if (cli_parse_uint(optarg, 1, 100, &v) != 0) {
				cli_err("--threshold wants a percentage from 1 to 100, not '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			o->threshold = (unsigned)v;
			break;
		case 'Z': o->test_die_midway = 1; break;
		case 'C': o->compact = 1; break;
		case 'N': o->no_compact = 1; break;
		case 'V':
			if (cli_parse_uint(optarg, 0, FOLDER_VERS_MAX, &v) != 0) {
				cli_err("--versions wants a number from 0 to %d, not '%s'",
				    FOLDER_VERS_MAX, optarg);
				return EXIT_USAGE;
			}
			o->keep = (unsigned)v;
			break;
		case 'j': o->json = 1; break;
		default: /* an option in longopts that this switch forgot */
			cli_err("option '%s' is not handled (a bug)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	/* One of them alone is judged against the coordinator's default,
	 * by cli_files_code. */
	if (o->k_set && o->n_set && o->xp.k >= o->xp.n) {
		cli_err("--k (%u) must be smaller than --n (%u)", o->xp.k, o->xp.n);
		return EXIT_USAGE;
	}
	return 0;
}

int
cli_files_open(const struct files_opts *o, struct files_ctx *fc)
{
	struct dz_errmsg em = {{0}};
	struct netstore_opts no;
	char jpath[4096 + 16];
	unsigned cleaned = 0, moved = 0;
	int ex, rc;

	memset(fc, 0, sizeof(*fc));
	netstore_opts_default(&no);
	no.repair_threshold = o->repair_threshold;
	if ((ex = cli_session_open(o->home, o->pwfile, &fc->s)) != 0)
		return ex;
	if ((rc = netstore_open(fc->s->tls, fc->s->coord_addr, fc->s->coord_pk, &no,
	    &fc->ns, &em)) != 0 ||
	    (rc = files_open(fc->ns, fc->s->mk, &fc->f, &em)) != 0) {
		ex = cli_fail(rc, &em, "cannot open the network store");
		cli_files_close(fc);
		return ex;
	}
	files_keep(fc->f, o->keep);
	/* journal puts and removals in the profile, and finish what an
	 * earlier command killed half-way left behind (pending.h); a failure
	 * here costs only space, so the command goes on */
	/* refuse a folder older than this computer has seen (seen.h) */
	if (snprintf(jpath, sizeof(jpath), "%s/" SEEN_FILE, fc->s->home) >=
	    (int)sizeof(jpath) || (rc = files_seen(fc->f, jpath, &em)) != 0) {
		ex = cli_fail(rc ? rc : DZ_EINVAL, &em, "cannot open the rollback memory");
		cli_files_close(fc);
		return ex;
	}
	if (snprintf(jpath, sizeof(jpath), "%s/" MOVING_DIR, fc->s->home) <
	    (int)sizeof(jpath) && files_moves(fc->f, jpath, &moved, &em) != 0)
		fprintf(stderr, "drizzle: warning: %s\n", em.text[0] ? em.text :
		    "cannot finish an interrupted move");
	else if (moved > 0 && !o->quiet)
		fprintf(stderr, "drizzle: finished %u move%s an earlier command left "
		    "half done\n", moved, moved == 1 ? "" : "s");
	memset(&em, 0, sizeof(em));
	if (snprintf(jpath, sizeof(jpath), "%s/pending", fc->s->home) < (int)sizeof(jpath) &&
	    files_journal(fc->f, jpath, &cleaned, &em) != 0)
		fprintf(stderr, "drizzle: warning: %s\n", em.text[0] ? em.text :
		    "cannot clean up after an interrupted command");
	return 0;
}

void
cli_files_close(struct files_ctx *fc)
{
	files_close(fc->f);
	netstore_close(fc->ns);
	session_close(fc->s);
	memset(fc, 0, sizeof(*fc));
}

/*
 * cli_files_code: complete o->xp.k and o->xp.n with the coordinator's default
 * code (STATUS) where --k or --n was not given. Asks nothing if both were.
 * Returns 0, EXIT_USAGE if the one given does not fit the default (k must
 * stay below n), or the exit code of a failed request (reported).
 */
/* --repair-threshold against the code: EXIT_USAGE unless k < H <= n. */
static int
threshold_fits(const struct files_opts *o)
{
	if (o->repair_threshold != 0 &&
	    (o->repair_threshold <= o->xp.k || o->repair_threshold > o->xp.n)) {
		cli_err("--repair-threshold (%u) must be above k (%u) and at most n (%u)",
		    o->repair_threshold, o->xp.k, o->xp.n);
		return EXIT_USAGE;
	}
	return 0;
}

int
cli_files_code(struct files_ctx *fc, struct files_opts *o)
{
	struct dz_errmsg em = {{0}};
	struct proto_status_rep st;
	struct frame r;
	int rc;

	if (o->k_set && o->n_set)
		return threshold_fits(o);
	rc = session_call(fc->s, PROTO_STATUS, NULL, 0, &r, &em);
	if (rc == 0) {
		if (r.type != PROTO_STATUS_REP)
			rc = dz_errf(&em, DZ_EFORMAT, "coordinator %s: unexpected "
			    "reply", fc->s->coord_addr);
		else if ((rc = proto_status_rep_decode(r.body, r.len, &st)) != 0)
			dz_errf(&em, rc, "coordinator %s sent a malformed STATUS "
			    "reply", fc->s->coord_addr);
		frame_free(&r);
	}
	if (rc != 0) {
		rc = cli_fail(rc, &em, "cannot learn the coordinator's default "
		    "code (or give --k and --n)");
		return rc == EXIT_DAMAGED ? EXIT_FAIL : rc; /* nothing stored */
	}
	if (!o->k_set)
		o->xp.k = st.default_k;
	if (!o->n_set)
		o->xp.n = st.default_n;
	if (o->xp.k >= o->xp.n) {
		if (o->k_set)
			cli_err("--k (%u) must be smaller than the coordinator's "
			    "default n (%u); give --n too", o->xp.k, o->xp.n);
		else
			cli_err("--n (%u) must be larger than the coordinator's "
			    "default k (%u); give --k too", o->xp.n, o->xp.k);
		return EXIT_USAGE;
	}
	return threshold_fits(o);
}

const char *
cli_base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

int
cmd_put_main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	struct files_opts o;
	struct files_ctx fc;
	struct cli_progress pr;
	struct xfer_file fi;
	struct stat sb;
	const char *local, *remote;
	char *rbuf = NULL;
	uint64_t size = 0;
	double t0;
	int fd = -1, ex, rc, replaced;

	if ((ex = cli_files_parse(argc, argv, put_opts, "r", put_usage, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (o.recursive)
		return cli_put_tree(argc, argv, &o);
	if (argc - optind < 1 || argc - optind > 2) {
		cli_err("put wants LOCAL [REMOTE] (see `drizzle put --help`)");
		return EXIT_USAGE;
	}
	local = argv[optind];
	remote = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (strcmp(local, "-") == 0 && remote == NULL) {
		cli_err("put - (standard input) needs a REMOTE name");
		return EXIT_USAGE;
	}
	if (remote == NULL || remote[0] == '\0' || remote[strlen(remote) - 1] == '/') {
		const char *b = cli_base_of(local);
		size_t n = (remote ? strlen(remote) : 0) + strlen(b) + 1;

		if (b[0] == '\0' || (rbuf = malloc(n)) == NULL) {
			cli_err("cannot make a remote name from '%s'; give REMOTE", local);
			return EXIT_USAGE;
		}
		snprintf(rbuf, n, "%s%s", remote ? remote : "", b);
		remote = rbuf;
	}
	fd = strcmp(local, "-") == 0 ? STDIN_FILENO : open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_err("cannot open %s: %s", local, strerror(errno));
		free(rbuf);
		return EXIT_FAIL;
	}
	if (fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
		cli_err("cannot store %s: %s", local,
		    S_ISDIR(sb.st_mode) ? "it is a directory" : strerror(errno));
		ex = EXIT_FAIL;
		goto out_fd;
	}
	if ((ex = cli_files_open(&o, &fc)) != 0)
		goto out_fd;
	if ((ex = cli_files_code(&fc, &o)) != 0) {
		cli_files_close(&fc);
		goto out_fd;
	}
	memset(&fi, 0, sizeof(fi));
	fi.name = remote;
	fi.mtime_sec = S_ISREG(sb.st_mode) ? sb.st_mtim.tv_sec : (int64_t)time(NULL);
	fi.mtime_nsec = S_ISREG(sb.st_mode) ? (uint32_t)sb.st_mtim.tv_nsec : 0;
	fi.mode = S_ISREG(sb.st_mode) ? sb.st_mode & 0777 : 0644;
	cli_progress_init(&pr, "put", S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0,
	    o.quiet);
	o.xp.progress = cli_progress_cb;
	o.xp.progress_arg = &pr;
	o.xp.stop = cli_interrupted;
	cli_interrupt_catch();
	t0 = cli_now();
	rc = files_put(fc.f, fd, remote, &fi, &o.xp, &size, &replaced, &em);
	cli_progress_end(&pr);
	if (rc != 0) {
		ex = cli_fail(rc, &em, local);
		/* nothing stored was damaged: the put failed; but a rolled-back
		 * folder is the coordinator's doing, and exits as such */
		if (ex == EXIT_DAMAGED && rc != DZ_EROLLBACK)
			ex = EXIT_FAIL;
	} else {
		double dt = cli_now() - t0;
		char h[32], r[32], el[CLI_ESCMAX], er[CLI_ESCMAX];

		cli_human(size, h);
		cli_human_rate(size, dt, r);
		if (!o.quiet)
			fprintf(stderr, "stored %s as %s%s: %s in %.2f s (%s), %u-of-%u\n",
			    cli_escape(local, el, sizeof(el)), cli_escape(remote, er, sizeof(er)),
			    replaced ? " (replaced the old one)" : "", h, dt, r, o.xp.k, o.xp.n);
		ex = EXIT_OK;
	}
	cli_files_close(&fc);
out_fd:
	if (fd != STDIN_FILENO)
		close(fd);
	free(rbuf);
	return ex;
}

/* The size of the file at remote, for get's percentage; 0 (no
 * percentage) if the file list says nothing: files_get reports why. It
 * costs one more read of the file list, so only a terminal pays it. */
static uint64_t
get_total(struct files_ctx *fc, const char *remote)
{
	struct dz_errmsg em = {{0}};
	struct catalog c;
	uint64_t total = 0;

	if (files_list(fc->f, remote, &c, &em) != 0)
		return 0;
	if (c.n == 1 && c.e[0].type == CAT_FILE)
		total = c.e[0].size;
	catalog_free(&c);
	return total;
}

int
cmd_get_main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	struct files_opts o;
	struct files_ctx fc;
	struct cli_progress pr;
	struct cli_damage dmg = {0, 0, 0};
	struct cli_out co;
	struct cat_entry e;
	struct stat sb;
	char norm[CATALOG_PATHMAX + 1], rbuf[CATALOG_PATHMAX + 1];
	const char *remote, *local, *base;
	char *lbuf = NULL;
	uint32_t vnum;
	double t0;
	int ex, rc;

	if ((ex = cli_files_parse(argc, argv, get_opts, "r", get_usage, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (o.recursive)
		return cli_get_tree(argc, argv, &o);
	if (argc - optind < 1 || argc - optind > 2) {
		cli_err("get wants REMOTE [LOCAL] (see `drizzle get --help`)");
		return EXIT_USAGE;
	}
	remote = argv[optind];
	/* PATH@N: version N (drizzle versions lists them) */
	vnum = cli_version_suffix(remote, rbuf, sizeof(rbuf));
	if ((rc = catalog_path(vnum > 0 ? rbuf : remote, norm, &em)) != 0)
		return cli_fail(rc, &em, "bad remote path");
	base = cli_base_of(norm);
	local = argc - optind == 2 ? argv[optind + 1] : base;
	/* into an existing directory: DIR/<base name>, as cp does */
	if (argc - optind == 2 && strcmp(local, "-") != 0 && stat(local, &sb) == 0 &&
	    S_ISDIR(sb.st_mode) && base[0] != '\0') {
		size_t n = strlen(local) + 1 + strlen(base) + 1;

		if ((lbuf = malloc(n)) == NULL) {
			cli_err("out of memory");
			return EXIT_FAIL;
		}
		snprintf(lbuf, n, "%s%s%s", local,
		    local[strlen(local) - 1] == '/' ? "" : "/", base);
		local = lbuf;
	}
	if (local[0] == '\0') {
		cli_err("cannot make a local name from '%s'; give LOCAL", remote);
		free(lbuf);
		return EXIT_USAGE;
	}
	if ((ex = cli_files_open(&o, &fc)) != 0) {
		free(lbuf);
		return ex;
	}
	if ((ex = cli_out_open(&co, local, o.force)) != 0)
		goto out;
	cli_progress_init(&pr, "get", 0, o.quiet || co.is_stdout);
	if (pr.enabled)
		pr.total = get_total(&fc, remote);
	o.xp.progress = cli_progress_cb;
	o.xp.progress_arg = &pr;
	o.xp.damage = cli_damage_cb;
	o.xp.damage_arg = &dmg;
	o.xp.stop = cli_interrupted;
	cli_interrupt_catch();
	t0 = cli_now();
	/* a file whose name really ends in @N wins over the version syntax */
	if (vnum > 0 && cli_files_exists(&fc, remote)) {
		vnum = 0;
		if ((rc = catalog_path(remote, norm, &em)) != 0) {
			cli_out_abort(&co);
			ex = cli_fail(rc, &em, "bad remote path");
			goto out;
		}
	}
	rc = files_get_version(fc.f, norm, vnum, co.fd, &o.xp, &e, &em);
	/* interrupted while the last segments came in: still not in place */
	if (rc == 0 && cli_interrupted(NULL))
		rc = dz_errf(&em, DZ_EINTR, "interrupted");
	cli_progress_end(&pr);
	if (dmg.count > 0)
		cli_err("warning: %u fragment(s) missing or unreachable and %u corrupt%s; %s",
		    dmg.missing, dmg.corrupt,
		    dmg.count > CLI_DAMAGE_NAMED ? " (the first ones named above)" : "",
		    rc == 0 ? "every segment was rebuilt from the others" :
		    "too many in one segment to rebuild it");
	if (rc != 0) {
		cli_out_abort(&co);
		ex = cli_fail(rc, &em, rc == DZ_ENOENT ? "not found (drizzle ls lists files)" :
		    "cannot fetch the file");
		goto out;
	}
	/* back as it was: permission bits (never wider: the umask may narrow
	 * them) and modification time */
	co.mode = e.mode & 0777;
	co.set_mtime = 1;
	co.mtime.tv_sec = (time_t)e.mtime;
	co.mtime.tv_nsec = e.mtime_nsec < 1000000000u ? (long)e.mtime_nsec : 0;
	if ((ex = cli_out_commit(&co)) == EXIT_OK && !o.quiet) {
		double dt = cli_now() - t0;
		char h[32], r[32], er[CLI_ESCMAX], el[CLI_ESCMAX];

		cli_human(e.size, h);
		cli_human_rate(e.size, dt, r);
		fprintf(stderr, "fetched %s into %s: %s in %.2f s (%s)\n",
		    cli_escape(norm, er, sizeof(er)), cli_escape(local, el, sizeof(el)), h,
		    dt, r);
	}
out:
	cli_files_close(&fc);
	free(lbuf);
	return ex;
}

int
cmd_ls_main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	struct files_opts o;
	struct files_ctx fc;
	struct catalog c = {0};
	struct cli_fh *fh = NULL;
	char pre[CATALOG_PATHMAX + 1];
	int ex, rc;

	if ((ex = cli_files_parse(argc, argv, ls_opts, "l", ls_usage, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (argc - optind > 1) {
		cli_err("ls wants at most one PATH (see `drizzle ls --help`)");
		return EXIT_USAGE;
	}
	if ((rc = catalog_path(argc - optind == 1 ? argv[optind] : "", pre, &em)) != 0)
		return cli_fail(rc, &em, "bad path");
	if ((ex = cli_files_open(&o, &fc)) != 0)
		return ex;
	/* what lies under PATH, folders included: only their records are read */
	if ((rc = files_list(fc.f, pre, &c, &em)) != 0 ||
	    (rc = files_flush(fc.f, &em)) != 0) {
		ex = rc == DZ_ENOENT ? (cli_err("no file or folder '%s' (drizzle ls lists "
		    "everything)", pre), EXIT_FAIL) : cli_fail(rc, &em, "cannot read the "
		    "file list");
		goto out;
	}
	if (c.n > 0 && (fh = calloc(c.n, sizeof(*fh))) == NULL) {
		ex = cli_fail(DZ_ENOMEM, NULL, "ls");
		goto out;
	}
	for (size_t i = 0; i < c.n; i++)
		fh[i].e = &c.e[i];
	if ((o.long_ || o.json) &&
	    (rc = cli_fh_survey(fc.f, fc.ns, fh, c.n, &em)) != 0) {
		ex = cli_fail(rc, &em, "cannot check the files' health");
		goto out;
	}
	if (o.json) {
		cli_fh_print_json(stdout, fh, c.n);
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		const struct cat_entry *e = fh[i].e;
		char date[32], h[32];
		time_t t = (time_t)e->mtime;
		struct tm tm;

		if (o.long_) {
			cli_fh_print_long(stdout, &fh[i]);
			continue;
		}
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(date, sizeof(date), "?");
		if (e->type == CAT_FILE)
			cli_human(e->size, h);
		else
			snprintf(h, sizeof(h), "-");
		printf("%10s  %s  ", h, date);
		cli_escape_put(stdout, e->path);
		if (e->type == CAT_DIR)
			putchar('/');
		else if (e->type == CAT_LINK) {
			fputs(" -> ", stdout);
			cli_escape_put(stdout, e->target != NULL ? e->target : "");
		}
		putchar('\n');
	}
out:
	free(fh);
	catalog_free(&c);
	cli_files_close(&fc);
	return ex;
}

int
cmd_rm_main(int argc, char **argv)
{
	struct dz_errmsg em = {{0}};
	struct files_opts o;
	struct files_ctx fc;
	uint64_t files = 0;
	int ex, rc;

	if ((ex = cli_files_parse(argc, argv, rm_opts, "r", rm_usage, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (argc - optind != 1) {
		cli_err("rm wants one PATH (see `drizzle rm --help`)");
		return EXIT_USAGE;
	}
	if ((ex = cli_files_open(&o, &fc)) != 0)
		return ex;
	if ((rc = files_rm(fc.f, argv[optind], o.recursive, &files, &em)) == 0)
		rc = files_flush(fc.f, &em);
	if (rc != 0)
		ex = cli_fail(rc, &em, rc == DZ_ENOENT ? "not found (drizzle ls lists files)" :
		    "cannot remove it");
	else if (!o.quiet) {
		fputs("removed ", stdout);
		cli_escape_put(stdout, argv[optind]);
		if (o.recursive)
			printf(" (%" PRIu64 " file%s)", files, files == 1 ? "" : "s");
		putchar('\n');
	}
	cli_files_close(&fc);
	return ex;
}
