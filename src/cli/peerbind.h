/*
 * peerbind: `drizzle peer --home DIR`'s account binding (net/pbind.h):
 * the peer's key signed by this computer's device key for the account
 * logged in at DIR, kept in the peer's data directory (file `binding`) so
 * that restarts need no password. Command-line layer: prints its errors.
 */
#ifndef DZ_CLI_PEERBIND_H
#define DZ_CLI_PEERBIND_H

#include <limits.h>
#include <stdint.h>

#include "net/pbind.h"

/* What cli_peer_bind works from; strings borrowed. */
struct peerbind_in {
	const char *home_opt;  /* --home, or NULL: $DRIZZLE_HOME, ~/.config/drizzle */
	const char *pwfile;    /* --password-file, or NULL */
	const char *data;      /* --data, or NULL: HOME/peer */
};

/* What it found. */
struct peerbind_out {
	char home[PATH_MAX];
	char data[PATH_MAX];     /* the data directory to use */
	char coord_addr[65];     /* the profile's coordinator, "" if none */
	uint8_t coord_pk[32];
	int have_coord;
	struct pbind b;          /* the binding for the peer's key */
};

/*
 * cli_peer_bind: create the data directory and the peer's identity if
 * needed, then use the binding stored there if it is for this peer, the
 * profile's account and coordinator; else open the account's session
 * (unlocked key or password, as other commands) and sign a new one,
 * stored durably. Returns 0 or an exit code after printing why.
 */
int cli_peer_bind(const struct peerbind_in *in, struct peerbind_out *out);

/* cli_peer_key: create (if needed) the identity in data and put its key
 * in pk. Returns 0 or an exit code after printing why. */
int cli_peer_key(const char *data, uint8_t pk[static 32]);

#endif
