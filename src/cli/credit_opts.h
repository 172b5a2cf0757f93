/*
 * credit_opts: the coordinator's storage-credit options (`drizzle
 * coordinator --availability-window ... --grant ...`, docs/cli.md), read
 * by cmd_coordinator.c; cmd_testnet.c passes the first ones on.
 */
#ifndef DZ_CLI_CREDIT_OPTS_H
#define DZ_CLI_CREDIT_OPTS_H

#include <getopt.h>

#include "coordinator/coord.h"

#define CLI_GRANTS_MAX 64

/* long options without a short letter (0x300.. is this file's) */
enum {
	OPT_AVAIL_WINDOW = 0x300, OPT_MIN_AVAIL, OPT_GRANT, OPT_PH_BLOCK,
	OPT_PH_ROUNDS, OPT_PH_DEADLINE, OPT_PH_CHECKS,
};

#define CLI_CREDIT_LONGOPTS \
	{"availability-window", required_argument, NULL, OPT_AVAIL_WINDOW}, \
	{"min-availability", required_argument, NULL, OPT_MIN_AVAIL}, \
	{"grant", required_argument, NULL, OPT_GRANT}, \
	{"placeholder-block", required_argument, NULL, OPT_PH_BLOCK}, \
	{"placeholder-rounds", required_argument, NULL, OPT_PH_ROUNDS}, \
	{"placeholder-deadline", required_argument, NULL, OPT_PH_DEADLINE}, \
	{"placeholder-checks", required_argument, NULL, OPT_PH_CHECKS}

#define CLI_CREDIT_USAGE \
    "  --availability-window SECS  availability is measured over this\n" \
    "                        sliding window (default 2592000, 30 days)\n" \
    "  --min-availability F  a peer online less than this share of the\n" \
    "                        window earns nothing (default 0.1667, 4 h a day)\n" \
    "  --grant USER:SIZE     let USER store SIZE more than base + earned\n" \
    "                        (kept until changed; USER:0 removes; repeatable)\n" \
    "  --placeholder-block SIZE   placeholder block size (default 16M)\n" \
    "  --placeholder-rounds N     hash steps per 64 bytes of a block: the\n" \
    "                        time to make one (default 32, about 1.7 s)\n" \
    "  --placeholder-deadline MS  time a peer has to prove a block\n" \
    "                        (default 500; keep it well below the making time)\n" \
    "  --placeholder-checks N     blocks checked per peer per audit round\n" \
    "                        (default 1; 0: placeholders earn nothing)\n"

/* cli_credit_opt: option c (one of the above) with arg into o; grants go
 * to g (CLI_GRANTS_MAX of them), o->grants pointing there. 0 or
 * EXIT_USAGE after a message. */
int cli_credit_opt(int c, const char *arg, struct coord_opts *o,
    struct coord_grant *g);

/* cli_credit_optname: "--availability-window" for OPT_AVAIL_WINDOW and
 * so on (NULL for another c), to pass an option on. */
const char *cli_credit_optname(int c);

#endif
