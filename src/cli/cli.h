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

/* die-free message helpers: print "drizzle: ..." to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_fail: report code (and em's detail if any) about what, return the
 * exit code that fits the error. */
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

/* Progress on stderr, only when it is a terminal and not quiet. */
struct cli_progress {
	const char *label;
	uint64_t total; /* 0 if unknown */
	int enabled;
	double start, last;
};
void cli_progress_init(struct cli_progress *p, const char *label, uint64_t total,
    int quiet);
void cli_progress_cb(void *arg, uint64_t done);
void cli_progress_end(struct cli_progress *p, uint64_t done);

/* Output files: written under a temporary name beside the destination and
 * moved into place only when complete, never over an existing file unless
 * force is set; "-" is standard output. */
struct cli_out {
	int fd;
	int is_stdout;
	char *dest, *tmp;
	int force;
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

double cli_now(void);
void cli_human(uint64_t bytes, char out[32]);

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
int cmd_peer_main(int argc, char **argv);
int cmd_signup_main(int argc, char **argv);
int cmd_login_main(int argc, char **argv);
int cmd_logout_main(int argc, char **argv);
int cmd_passwd_main(int argc, char **argv);
int cmd_status_main(int argc, char **argv);
int cmd_devices_main(int argc, char **argv);
int cmd_testnet_main(int argc, char **argv);

#endif
