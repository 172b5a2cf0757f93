/*
 * cli: what the command-line layer's files share: the command table's
 * entry type, option helpers, messages, passwords, progress and output
 * files. Only this layer prints or exits.
 */
#ifndef DZ_CLI_H
#define DZ_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"
#include "core/pwkey.h"

/* Exit codes, documented in docs/cli.md. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,   /* the operation failed; the message says why */
	EXIT_USAGE = 2,  /* bad command line */
	EXIT_PASSWORD = 3, /* wrong password */
	EXIT_DAMAGED = 4,  /* data could not be rebuilt or authenticated */
};

struct cli_cmd {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

/* die-free message helpers: print "drizzle: ..." to stderr, the whole
 * message escaped by cli_escape's rules (so never put a newline in one:
 * it would show as \n). */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Terminal safety: text from a file name, a remote path or a server shown
 * with its control characters escaped: \n \t \r \\ and \xNN for the
 * other C0 controls, DEL, C1 controls and bytes that are not UTF-8
 * (ESC is \x1b). Printable UTF-8 passes as it is.
 * cli_escape: into out (cap bytes, NUL-terminated, cut with "..." if it
 * does not fit); returns out, for use as a printf argument.
 * cli_escape_put: write s escaped to f, whatever its length. */
#define CLI_ESCMAX 4200 /* a CATALOG_PATHMAX path, every byte escaped */
const char *cli_escape(const char *s, char *out, size_t cap);
void cli_escape_put(FILE *f, const char *s);
/* cli_fail: report code (and em's detail if any) about what, return the
 * exit code that fits the error: EXIT_PASSWORD for DZ_EPASSWORD,
 * EXIT_DAMAGED for data that cannot be rebuilt or authenticated (DZ_EAUTH,
 * DZ_EINTEGRITY, DZ_ETOOFEW, DZ_EFORMAT, DZ_ETRUNC, DZ_EVERSION), and
 * EXIT_FAIL for everything else: a key mismatch (DZ_EPEERKEY, with advice
 * on what to do), no connection, not logged in, a lost race, the quota, a
 * refusal, rejected key-stretching parameters. */
int cli_fail(int code, const struct dz_errmsg *em, const char *what);

/* cli_parse_size: "123", "64K", "4M", "1G", "2T" (powers of 1024). */
int cli_parse_size(const char *s, uint64_t *out);
/* cli_parse_uint: a decimal integer in [min, max]. */
int cli_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Passwords: from --password-file FILE, else $DRIZZLE_PASSWORD, else the
 * terminal without echo (asked twice when confirm is set). *pw is
 * sodium_malloc memory, NUL-terminated; free it with cli_password_free. */
int cli_password(const char *file, int confirm, const char *prompt, char **pw,
    size_t *len);
void cli_password_free(char *pw);

/* KDF cost options shared by commands that create keys:
 * --kdf-ops N and --kdf-mem SIZE (explicit, for tests; default MODERATE). */
int cli_kdf_option(const char *opt, const char *val, struct pwkey_params *p);

/*
 * Progress on stderr, only when it is a terminal and not quiet: one line
 * ("put 12.0 MiB of 64.0 MiB ( 19%) 48.2 MiB/s") redrawn in place at most
 * five times a second. cli_progress_end erases it (done or failed), so
 * that the summary or the error stands alone; call it before printing
 * anything else on stderr.
 */
struct cli_progress {
	const char *label;
	uint64_t total; /* 0 if unknown: no percentage */
	int enabled;
	int shown; /* a line is on the terminal */
	double start, last;
};
void cli_progress_init(struct cli_progress *p, const char *label, uint64_t total,
    int quiet);
/* cli_progress_cb: xfer_params.progress; arg is the struct cli_progress. */
void cli_progress_cb(void *arg, uint64_t done);
void cli_progress_end(struct cli_progress *p);

/*
 * Option parsing, the same for every command: cli_getopt wraps
 * getopt_long over longopts (operands may come between options; "--"
 * ends them) and deals itself with what every command does alike:
 *   --help, -h      prints help on stdout: CLI_OPT_EXIT, *ex = EXIT_OK
 *   --NAME without its value
 *                   "--NAME needs a value": CLI_OPT_EXIT, *ex = EXIT_USAGE
 *   an unknown option
 *                   "unknown option '--forse' (did you mean --force?)",
 *                   the nearest of longopts' names: CLI_OPT_EXIT, EXIT_USAGE
 * Otherwise returns the option's val (optarg set), or -1 at the end
 * (operands at argv[optind..]). Set optind = 0 before the first call (a
 * full reset of getopt's state). help is the command's whole text.
 */
#define CLI_OPT_EXIT (-2)
struct option;
int cli_getopt(int argc, char **argv, const struct option *longopts,
    const char *help, int *ex);
/* cli_getopt_short: cli_getopt that also takes the short options of
 * shortopts (getopt syntax, e.g. "l"; their val is the letter). */
int cli_getopt_short(int argc, char **argv, const char *shortopts,
    const struct option *longopts, const char *help, int *ex);

/* cli_suggest: the name among names[0..n) nearest to word by edit distance
 * (a wrong, missing or extra letter, or two swapped, cost one each), or
 * NULL if none is near enough to be what was meant (one edit in words
 * under 6 letters, a third of the word in longer ones). */
const char *cli_suggest(const char *word, const char *const *names, size_t n);

/* Output files: written under a temporary name beside the destination and
 * moved into place only when complete, never over an existing file unless
 * force is set, and never over anything but a regular file (a directory,
 * device, FIFO or socket is refused even with force); "-" is standard
 * output. Before commit the caller may set mode (permission bits, default
 * 0666; the umask narrows them) and mtime (with set_mtime). */
struct cli_out {
	int fd;
	int is_stdout;
	char *dest, *tmp;
	int force;
	unsigned mode;
	int set_mtime;
	struct timespec mtime;
};
int cli_out_open(struct cli_out *o, const char *dest, int force);
int cli_out_commit(struct cli_out *o); /* fsync, move into place */
void cli_out_abort(struct cli_out *o); /* remove the partial file */

/* Damage seen by a get (xfer_params.damage): reported whatever --quiet
 * says, since the file came back but its store is weaker than it should
 * be. The first CLI_DAMAGE_NAMED are named on stderr. */
#define CLI_DAMAGE_NAMED 8
struct cli_damage {
	unsigned count, missing, corrupt;
};
void cli_damage_cb(void *arg, uint64_t seg, unsigned index, const uint8_t name[32],
    int why);

/* Interrupts: cli_interrupt_catch makes the first SIGINT or SIGTERM set a
 * flag (a second one removes the open output file's partial copy and
 * quits at once); cli_interrupted (an xfer_params.stop callback, arg
 * unused) says whether it is set. */
void cli_interrupt_catch(void);
int cli_interrupted(void *arg);

double cli_now(void);
/* Sizes and rates, everywhere the program prints them, in binary units:
 * "512 B", "1.5 KiB", "64.0 MiB", "2.0 GiB"; rates "48.2 MiB/s". */
void cli_human(uint64_t bytes, char out[32]);
void cli_human_rate(uint64_t bytes, double secs, char out[32]);

/* For the demos: write size random bytes to path (created, must not
 * exist), hashing them into digest (SHA-256); hash a file the same way.
 * 0 or a dz_err. */
int cli_make_random_file(const char *path, uint64_t size, uint8_t digest[32]);
int cli_hash_file(const char *path, uint8_t digest[32]);
/* nftw callback that removes each entry (FTW_DEPTH | FTW_PHYS). */
struct stat;
struct FTW;
int cli_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw);

int cmd_coordinator_main(int argc, char **argv);
int cmd_local_main(int argc, char **argv);
int cmd_demo_main(int argc, char **argv);
int cmd_netdemo_main(int argc, char **argv);
int cmd_get_main(int argc, char **argv);
int cmd_ls_main(int argc, char **argv);
int cmd_put_main(int argc, char **argv);
int cmd_rm_main(int argc, char **argv);
int cmd_mkdir_main(int argc, char **argv);
int cmd_mv_main(int argc, char **argv);
int cmd_versions_main(int argc, char **argv);
int cmd_restore_main(int argc, char **argv);
int cmd_compact_main(int argc, char **argv);
int cmd_peer_main(int argc, char **argv);
int cmd_config_main(int argc, char **argv);
int cmd_signup_main(int argc, char **argv);
int cmd_login_main(int argc, char **argv);
int cmd_logout_main(int argc, char **argv);
int cmd_passwd_main(int argc, char **argv);
int cmd_status_main(int argc, char **argv);
int cmd_devices_main(int argc, char **argv);
int cmd_testnet_main(int argc, char **argv);
int cmd_unlock_main(int argc, char **argv);
int cmd_lock_main(int argc, char **argv);
int cmd_whatdoyouknow_main(int argc, char **argv);

#endif
