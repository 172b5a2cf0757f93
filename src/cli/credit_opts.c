/*
 * credit_opts: parsing the coordinator's storage-credit options.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/credit_opts.h"
#include "net/proto.h"

static int
grant(const char *arg, struct coord_opts *o, struct coord_grant *g)
{
	const char *colon = strrchr(arg, ':');
	uint64_t v;
	size_t n;
	char *user;

	if (colon == NULL || colon == arg || (n = (size_t)(colon - arg)) > PROTO_USER_MAX ||
	    cli_parse_size(colon + 1, &v) != 0 || v > (uint64_t)INT64_MAX) {
		cli_err("--grant must be USER:SIZE, such as alice:50G");
		return EXIT_USAGE;
	}
	if (o->ngrants >= CLI_GRANTS_MAX) {
		cli_err("at most %d --grant options", CLI_GRANTS_MAX);
		return EXIT_USAGE;
	}
	/* lives until the process ends, like argv */
	if ((user = strndup(arg, n)) == NULL) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	g[o->ngrants].user = user;
	g[o->ngrants].bytes = v;
	o->ngrants++;
	o->grants = g;
	return 0;
}

int
cli_credit_opt(int c, const char *arg, struct coord_opts *o,
    struct coord_grant *g)
{
	uint64_t v;
	char *end;
	double d;

	switch (c) {
	case OPT_AVAIL_WINDOW:
		if (cli_parse_uint(arg, 60, 366u * 86400, &v) != 0) {
			cli_err("--availability-window must be a whole number of seconds "
			    "from 60 to 31622400");
			return EXIT_USAGE;
		}
		o->availability_window = (unsigned)v;
		return 0;
	case OPT_MIN_AVAIL:
		d = strtod(arg, &end);
		if (end == arg || *end != '\0' || !(d >= 0 && d <= 1)) {
			cli_err("--min-availability must be a fraction from 0 to 1, "
			    "such as 0.1667");
			return EXIT_USAGE;
		}
		o->min_availability = d;
		return 0;
	case OPT_GRANT:
		return grant(arg, o, g);
	case OPT_PH_BLOCK:
		if (cli_parse_size(arg, &v) != 0 || v < PROTO_PH_BLOCK_MIN ||
		    v > PROTO_PH_BLOCK_MAX || v % 64 != 0) {
			cli_err("--placeholder-block must be a size from 4K to 64M, "
			    "a multiple of 64 bytes");
			return EXIT_USAGE;
		}
		o->ph_block = (uint32_t)v;
		return 0;
	case OPT_PH_ROUNDS:
		if (cli_parse_uint(arg, 1, 1u << 20, &v) != 0) {
			cli_err("--placeholder-rounds must be a number from 1 to 1048576");
			return EXIT_USAGE;
		}
		o->ph_rounds = (uint32_t)v;
		return 0;
	case OPT_PH_DEADLINE:
		if (cli_parse_uint(arg, 1, 600000, &v) != 0) {
			cli_err("--placeholder-deadline must be milliseconds from 1 to 600000");
			return EXIT_USAGE;
		}
		o->ph_deadline_ms = (unsigned)v;
		return 0;
	case OPT_PH_CHECKS:
		if (cli_parse_uint(arg, 0, 8, &v) != 0) {
			cli_err("--placeholder-checks must be a number from 0 to 8");
			return EXIT_USAGE;
		}
		o->ph_checks = (unsigned)v;
		return 0;
	default:
		return -1; /* not ours */
	}
}

const char *
cli_credit_optname(int c)
{
	static const char *const names[] = {
		"--availability-window", "--min-availability", "--grant",
		"--placeholder-block", "--placeholder-rounds",
		"--placeholder-deadline", "--placeholder-checks",
	};

	if (c < OPT_AVAIL_WINDOW || c > OPT_PH_CHECKS)
		return NULL;
	return names[c - OPT_AVAIL_WINDOW];
}
