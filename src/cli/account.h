/*
 * account: what the account commands (cmd_account.c) lend to the other
 * commands that act for the logged-in account: opening its session with
 * the key kept unlocked or the password, and reporting why that failed.
 */
#ifndef DZ_CLI_ACCOUNT_H
#define DZ_CLI_ACCOUNT_H

#include "client/session.h"

/*
 * cli_session_open: resolve the home directory (home_opt, may be NULL,
 * else $DRIZZLE_HOME, else ~/.config/drizzle), check that it holds an
 * account, and open the session with the key `drizzle unlock` kept
 * (cli_unlocked_open) if there is one that fits, else read the password
 * (pwfile if not NULL, else $DRIZZLE_PASSWORD, else the terminal, asked
 * once) and open the session (session_open).
 * Returns 0 with *out (release it with session_close), or an exit code
 * after printing why: EXIT_PASSWORD for a wrong password (with the
 * account's hint when the coordinator can be asked for it), EXIT_FAIL when
 * nobody is logged in (telling to run `drizzle login`) or the profile is
 * unreadable, EXIT_USAGE when no password could be read.
 */
int cli_session_open(const char *home_opt, const char *pwfile,
    struct session **out);

/* cli_session_open_password: cli_session_open that always reads and
 * checks the password, even when the account is unlocked (for unlock). */
int cli_session_open_password(const char *home_opt, const char *pwfile,
    struct session **out);

/*
 * cli_unlocked_open (cmd_unlock.c): open the session of the profile p
 * loaded from home with the key `drizzle unlock` kept, if one is kept and
 * still fits the profile. 0 with *out, or non-zero (nothing printed) when
 * the caller must ask for the password instead.
 */
struct profile;
int cli_unlocked_open(const char *home, const struct profile *p,
    struct session **out);

/*
 * cli_unlock_describe: "unlocked until HH:MM:SS (14m 58s left)" or
 * "locked" for the profile p loaded from home, into out (cap bytes).
 * Returns 1 when unlocked, 0 when not.
 */
int cli_unlock_describe(const char *home, const struct profile *p, char *out,
    size_t cap);

#endif
