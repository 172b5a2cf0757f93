/*
 * cmd_files: what the file commands share (cmd_files.c: put, get, ls, rm;
 * cmd_tree.c: mkdir, mv, put -r, get -r, versions, restore): their
 * options, and the session, network store and file tree they open
 * together.
 */
#ifndef DZ_CLI_CMD_FILES_H
#define DZ_CLI_CMD_FILES_H

#include "client/files.h"
#include "client/netstore.h"
#include "client/session.h"
#include "client/xfer.h"

/* Worker threads of a network transfer: more than the CPUs, since each
 * also waits on the network for its segment. */
#define FILES_THREADS 4

#define FILES_COMMON_HELP \
    "  --home DIR            the client profile (default $DRIZZLE_HOME, else\n" \
    "                        ~/.config/drizzle)\n" \
    "  --password-file FILE  read the password from FILE's first line (else\n" \
    "                        $DRIZZLE_PASSWORD, else the terminal)\n"

/* Each command's options: the ones its help lists, no others. */
#define F_HOME {"home", required_argument, NULL, 'H'}
#define F_PWFILE {"password-file", required_argument, NULL, 'p'}
#define F_THREADS {"threads", required_argument, NULL, 't'}
#define F_QUIET {"quiet", no_argument, NULL, 'q'}
#define F_HELP {"help", no_argument, NULL, 'h'}
#define F_RECURSIVE {"recursive", no_argument, NULL, 'r'}
#define F_END {NULL, 0, NULL, 0}

struct files_opts {
	const char *home, *pwfile;
	struct xfer_params xp;
	int k_set, n_set; /* --k, --n given: else the coordinator's default */
	unsigned repair_threshold; /* put --repair-threshold; 0: not given */
	int force, quiet;
	int long_, json; /* ls -l, ls --json */
	int recursive;    /* -r: whole folders */
	unsigned keep;    /* put --versions: previous versions kept */
	unsigned threshold; /* compact --threshold: percent */
	int compact, no_compact; /* put -r --compact / --no-compact */
	int test_die_midway; /* mv --test-die-midway (hidden, for tests) */
};

/* cli_files_parse: parse the options of longopts and the short ones of
 * shorts (getopt syntax; help: the command's text); leaves the operands at
 * argv[optind..]. 0, or -1 after --help, or EXIT_USAGE. */
struct option;
int cli_files_parse(int argc, char **argv, const struct option *longopts,
    const char *shorts, const char *help, struct files_opts *o);

/* Session, network store and file tree, opened together. */
struct files_ctx {
	struct session *s;
	struct netstore *ns;
	struct files *f;
};

/* cli_files_open: unlock, open the network store and the file tree with
 * the profile's journal and rollback memory. An exit code (reported). */
int cli_files_open(const struct files_opts *o, struct files_ctx *fc);
void cli_files_close(struct files_ctx *fc);

/* cli_files_code: complete o->xp.k and o->xp.n with the coordinator's
 * default code where --k or --n was not given (an exit code). */
int cli_files_code(struct files_ctx *fc, struct files_opts *o);

/* cli_base_of: the last path component of p (p itself if it has no
 * slash). */
const char *cli_base_of(const char *p);

/* Errors named one by one by put -r and get -r before the rest are only
 * counted. */
#define RTREE_NAMED 20

/* cmd_rtree.c: put -r, cmd_rget.c: get -r (the operands at argv[optind..]). */
int cli_put_tree(int argc, char **argv, struct files_opts *o);
int cli_get_tree(int argc, char **argv, struct files_opts *o);

/* cli_version_suffix: if path ends in @N (N a version number, 1 or more),
 * the path before it into buf (cap bytes) and N; else 0. */
uint32_t cli_version_suffix(const char *path, char *buf, size_t cap);

/* cli_files_exists: whether anything is at remote path (a failed lookup
 * counts as no). */
int cli_files_exists(struct files_ctx *fc, const char *path);

#endif
