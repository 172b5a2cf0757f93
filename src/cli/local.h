/*
 * local: the pieces of `drizzle local` that `drizzle demo` reuses: option
 * parsing, creating and unlocking a store, one put and one get.
 */
#ifndef DZ_CLI_LOCAL_H
#define DZ_CLI_LOCAL_H

#include <stdint.h>

#include "client/dirstore.h"
#include "client/xfer.h"
#include "core/pwkey.h"
#include "core/record.h"

struct local_opts {
	const char *store;
	const char *password_file;
	const char *password; /* sodium_malloc'ed, set by the demo instead of asking */
	const char *name;
	struct pwkey_params kdf;
	struct xfer_params xp;
	int force, quiet, help;
	char **args;
	int nargs;
};

void local_opts_init(struct local_opts *o);
/* local_option: apply the option whose getopt val is c (argument arg) to
 * o, as `drizzle local` reads it; 0 or EXIT_USAGE after saying why. */
int local_option(struct local_opts *o, int c, const char *arg);
/* The getopt vals local_option knows: --store 's', --password-file 'p',
 * --kdf-ops 'O', --kdf-mem 'M', --name 'N', --k 'k', --n 'n',
 * --segment-size 'S', --threads 't', --force 'f', --quiet 'q'. */
int local_init(const struct local_opts *o);
/* local_open: open the store and unlock it; *folder_key is sodium_malloc
 * memory the caller frees. 0 or an exit code (already reported). */
int local_open(const struct local_opts *o, struct dirstore **ds, uint8_t **folder_key);
int local_put(const struct local_opts *o, struct dirstore *ds, const uint8_t *fk,
    const char *path, char id_hex[65], uint64_t *size);
int local_resolve(struct dirstore *ds, const uint8_t *fk, const char *what,
    uint8_t id[RECORD_IDBYTES]);
int local_get(const struct local_opts *o, struct dirstore *ds, const uint8_t *fk,
    const uint8_t id[RECORD_IDBYTES], const char *out, uint64_t *size);

#endif
