/*
 * account: what the account commands (cmd_account.c) lend to the other
 * commands that act for the logged-in account: opening its session with
 * the password, and reporting why that failed.
 */
#ifndef DZ_CLI_ACCOUNT_H
#define DZ_CLI_ACCOUNT_H

#include "client/session.h"

/*
 * cli_session_open: resolve the home directory (home_opt, may be NULL,
 * else $DRIZZLE_HOME, else ~/.config/drizzle), check that it holds an
 * account, read the password (pwfile if not NULL, else $DRIZZLE_PASSWORD,
 * else the terminal, asked once) and open the session (session_open).
 * Returns 0 with *out (release it with session_close), or an exit code
 * after printing why: EXIT_PASSWORD for a wrong password (with the
 * account's hint when the coordinator can be asked for it), EXIT_FAIL when
 * nobody is logged in (telling to run `drizzle login`) or the profile is
 * unreadable, EXIT_USAGE when no password could be read.
 */
int cli_session_open(const char *home_opt, const char *pwfile,
    struct session **out);

#endif
