/*
 * cmd_coordinator: `drizzle coordinator --data DIR [--listen ADDR:PORT]`:
 * run the coordinator (accounts, peer registry, placement, records) until
 * SIGINT or SIGTERM. Prints one line when it listens, so that scripts can
 * read its address and key; DIR/coordinator.addr holds the address too.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "cli/cli.h"
#include "cli/credit_opts.h"
#include "coordinator/coord.h"
#include "net/ident.h"
#include "net/proto.h"

static const char coord_usage[] =
    "usage: drizzle coordinator --data DIR [options]\n"
    "\n"
    "Run the coordinator: accounts (never passwords), the peer registry,\n"
    "fragment placement and locations, encrypted records.\n"
    "\n"
    "options:\n"
    "  --data DIR            state: identity.key, coordinator.db,\n"
    "                        coordinator.addr (created if missing)\n"
    "  --listen ADDR:PORT    where to listen (default " COORD_LISTEN_DEFAULT ";\n"
    "                        port 0: any free port)\n"
    "  --peer-timeout SECS   a peer is online if it sent a heartbeat within\n"
    "                        this many seconds (default 15)\n"
    "  --base-quota SIZE     bytes every account may store (default 10G)\n"
    "  --grace SECONDS       a peer offline longer than this holds nothing\n"
    "                        healthy: its fragments count as lost (default\n"
    "                        21600, 6 hours; 1 to 2592000)\n"
    "  --k K, --n N          the default code offered to clients for new\n"
    "                        files: any K of N fragments rebuild a segment\n"
    "                        (default 4 of 12; 1 <= K < N <= 255)\n"
    "  --audit-interval SECS how often every online peer is audited: a\n"
    "                        random Merkle block of a few fragments it\n"
    "                        should hold (default 300)\n"
    "  --vetting-audits N    audits a new peer must pass before it is\n"
    "                        trusted with more than a small share of each\n"
    "                        file (default 10)\n"
    "  --gc-interval SECS    how often peers learn which fragments to keep\n"
    "                        and delete the rest (clean-up; default 3600,\n"
    "                        0: never)\n"
    "  --gc-margin SECS      clean-up spares fragments stored less than this\n"
    "                        long ago: puts in flight (default 3600)\n"
    "  --repair-threshold H  new files are repaired when a segment has fewer\n"
    "                        than H healthy fragments (k < H <= n; for a\n"
    "                        code H does not fit: k + ceil((n-k)/2))\n"
    "  --repair-interval SECS  how often the repair worker looks for\n"
    "                        segments to rebuild (default 60; 0: never)\n"
    "  --repair-batch N      segments rebuilt at most per look (default 8)\n"
    "  --metrics ADDR:PORT   serve Prometheus text at http://ADDR:PORT/metrics\n"
    "                        (aggregates only; port 0: any free port, written\n"
    "                        to DIR/metrics.addr); loopback addresses only\n"
    "  --metrics-public      allow --metrics on a non-loopback address\n"
    CLI_CREDIT_USAGE
    "  --no-source-throttle  every client comes from one address (behind a\n"
    "                        proxy or NAT): throttle failed logins per\n"
    "                        account only, not per address\n"
    "  --help, -h            this text\n"
    "\n"
    "Prints `coordinator listening on ADDR key HEX` when ready; stops\n"
    "cleanly on SIGINT or SIGTERM.\n"
    "\n"
    "example:\n"
    "  drizzle coordinator --data /var/lib/drizzle --listen 0.0.0.0:7420\n"
    "\n"
    "Exit codes: 0 stopped by a signal, 1 cannot start (the message names the\n"
    "directory or address; a non-loopback --metrics without\n"
    "--metrics-public), 2 bad command line.\n";

/* The coordinator's log lines (logins, password changes, failed audits
 * and peers' changes of standing) go to stderr. */
static void
log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "coordinator: %s\n", line);
}

struct run {
	struct coord *co;
	uv_signal_t sigint, sigterm;
};

static void
on_signal(uv_signal_t *h, int signum)
{
	struct run *r = h->data;

	(void)signum;
	coord_stop(r->co);
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sigterm, NULL);
}

/* long options without a short letter */
enum { OPT_GC_INTERVAL = 0x200, OPT_GC_MARGIN, OPT_METRICS, OPT_METRICS_PUBLIC,
	OPT_DC_KEYS, OPT_TEST_PREFIX_LOOPBACK };

static int
parse(int argc, char **argv, struct coord_opts *o, struct coord_grant *g,
    int *help)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"peer-timeout", required_argument, NULL, 't'},
		{"base-quota", required_argument, NULL, 'q'},
		{"grace", required_argument, NULL, 'g'},
		{"k", required_argument, NULL, 'k'},
		{"n", required_argument, NULL, 'n'},
		{"no-source-throttle", no_argument, NULL, 'S'},
		{"audit-interval", required_argument, NULL, 'A'},
		{"vetting-audits", required_argument, NULL, 'V'},
		{"gc-interval", required_argument, NULL, OPT_GC_INTERVAL},
		{"gc-margin", required_argument, NULL, OPT_GC_MARGIN},
		{"repair-threshold", required_argument, NULL, 'H'},
		{"repair-interval", required_argument, NULL, 'I'},
		{"repair-batch", required_argument, NULL, 'B'},
		{"metrics", required_argument, NULL, OPT_METRICS},
		{"metrics-public", no_argument, NULL, OPT_METRICS_PUBLIC},
		{"datacentre-keys", required_argument, NULL, OPT_DC_KEYS},
		{"test-prefix-loopback", no_argument, NULL, OPT_TEST_PREFIX_LOOPBACK},
		CLI_CREDIT_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	int ex;

	optind = 0;
	while ((c = cli_getopt(argc, argv, longopts, coord_usage, &ex)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			*help = ex == EXIT_OK;
			return ex;
		case 'd': o->data_dir = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'S': o->no_source_throttle = 1; break;
		case OPT_METRICS: o->metrics = optarg; break;
		case OPT_METRICS_PUBLIC: o->metrics_public = 1; break;
		case 't':
			if (cli_parse_uint(optarg, 1, 86400, &v) != 0) {
				cli_err("--peer-timeout must be a whole number of seconds from 1 to 86400");
				return EXIT_USAGE;
			}
			o->peer_timeout = (unsigned)v;
			break;
		case 'A':
			if (cli_parse_uint(optarg, 1, 86400, &v) != 0) {
				cli_err("--audit-interval must be a whole number of seconds from 1 to 86400");
				return EXIT_USAGE;
			}
			o->audit_interval = (unsigned)v;
			break;
		case 'V':
			if (cli_parse_uint(optarg, 0, 100000, &v) != 0) {
				cli_err("--vetting-audits must be a number from 0 to 100000");
				return EXIT_USAGE;
			}
			o->vetting_audits = (unsigned)v;
			break;
		case 'q':
			if (cli_parse_size(optarg, &v) != 0 || v > (uint64_t)INT64_MAX) {
				cli_err("--base-quota must be a size such as 10G");
				return EXIT_USAGE;
			}
			o->base_quota = v;
			break;
		case OPT_GC_INTERVAL:
			if (cli_parse_uint(optarg, 0, 604800, &v) != 0) {
				cli_err("--gc-interval must be a whole number of seconds from 0 to 604800");
				return EXIT_USAGE;
			}
			o->gc_interval = (unsigned)v;
			break;
		case OPT_GC_MARGIN:
			if (cli_parse_uint(optarg, 0, PROTO_GC_PROTECT_MAX, &v) != 0) {
				cli_err("--gc-margin must be a whole number of seconds from 0 to %u",
				    PROTO_GC_PROTECT_MAX);
				return EXIT_USAGE;
			}
			o->gc_margin = (unsigned)v;
			break;
		case 'g':
			if (cli_parse_uint(optarg, 1, 30 * 86400, &v) != 0) {
				cli_err("--grace must be a whole number of seconds from 1 to 2592000");
				return EXIT_USAGE;
			}
			o->grace = (unsigned)v;
			break;
		case 'k':
			if (cli_parse_uint(optarg, 1, 254, &v) != 0) {
				cli_err("--k must be a number from 1 to 254, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o->default_k = (unsigned)v;
			break;
		case 'n':
			if (cli_parse_uint(optarg, 2, 255, &v) != 0) {
				cli_err("--n must be a number from 2 to 255, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o->default_n = (unsigned)v;
			break;
		case 'H':
			if (cli_parse_uint(optarg, 2, 255, &v) != 0) {
				cli_err("--repair-threshold must be a number from 2 to 255, not '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			o->repair_threshold = (unsigned)v;
			break;
		case 'I':
			if (cli_parse_uint(optarg, 0, 86400, &v) != 0) {
				cli_err("--repair-interval must be a whole number of seconds from 0 to 86400");
				return EXIT_USAGE;
			}
			o->repair_interval = (unsigned)v;
			break;
		case 'B':
			if (cli_parse_uint(optarg, 1, 10000, &v) != 0) {
				cli_err("--repair-batch must be a number from 1 to 10000");
				return EXIT_USAGE;
			}
			o->repair_batch = (unsigned)v;
			break;
		case OPT_DC_KEYS:
			if (optarg[0] == '\0') {
				cli_err("--datacentre-keys needs a file");
				return EXIT_USAGE;
			}
			o->datacentre_keys = optarg;
			break;
		case OPT_TEST_PREFIX_LOOPBACK: /* TEST ONLY, not in --help */
			o->test_prefix_loopback = 1;
			break;
		case OPT_AVAIL_WINDOW: case OPT_MIN_AVAIL: case OPT_GRANT:
		case OPT_PH_BLOCK: case OPT_PH_ROUNDS: case OPT_PH_DEADLINE:
		case OPT_PH_CHECKS:
			if ((ex = cli_credit_opt(c, optarg, o, g)) != 0)
				return ex;
			break;
		default: /* an option in longopts that this switch forgot */
			cli_err("option '%s' is not handled (a bug)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("unexpected argument '%s' (try --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->metrics_public && o->metrics == NULL) {
		cli_err("--metrics-public goes with --metrics ADDR:PORT");
		return EXIT_USAGE;
	}
	if (o->data_dir == NULL || o->data_dir[0] == '\0') {
		cli_err("--data DIR is required (try --help)");
		return EXIT_USAGE;
	}
	/* one given alone is judged against the other's default */
	if (o->default_k >= o->default_n) {
		cli_err("--k (%u) must be smaller than --n (%u)", o->default_k,
		    o->default_n);
		return EXIT_USAGE;
	}
	return 0;
}

int
cmd_coordinator_main(int argc, char **argv)
{
	struct coord_opts o;
	struct coord_grant grants[CLI_GRANTS_MAX];
	struct dz_errmsg em = {{0}};
	struct run r = {0};
	char hex[IDENT_HEXBYTES];
	uv_loop_t loop;
	int rc, help = 0;

	coord_opts_default(&o);
	o.log = log_line;
	if ((rc = parse(argc, argv, &o, grants, &help)) != 0 || help)
		return rc;
	if (uv_loop_init(&loop) != 0) {
		cli_err("cannot start the event loop");
		return EXIT_FAIL;
	}
	if ((rc = coord_start(&loop, &o, &r.co, &em)) != 0) {
		uv_run(&loop, UV_RUN_DEFAULT); /* let a listener close */
		uv_loop_close(&loop);
		cli_fail(rc, &em, "coordinator");
		return EXIT_FAIL;
	}
	r.sigint.data = r.sigterm.data = &r;
	if (uv_signal_init(&loop, &r.sigint) != 0 ||
	    uv_signal_init(&loop, &r.sigterm) != 0 ||
	    uv_signal_start(&r.sigint, on_signal, SIGINT) != 0 ||
	    uv_signal_start(&r.sigterm, on_signal, SIGTERM) != 0) {
		cli_err("cannot handle signals");
		on_signal(&r.sigint, 0);
		uv_run(&loop, UV_RUN_DEFAULT);
		coord_free(r.co);
		uv_loop_close(&loop);
		return EXIT_FAIL;
	}
	printf("coordinator listening on %s key %s\n", coord_addr(r.co),
	    ident_pk_hex(coord_pk(r.co), hex));
	fflush(stdout);
	if (coord_metrics_addr(r.co) != NULL)
		fprintf(stderr, "coordinator: metrics at http://%s/metrics\n",
		    coord_metrics_addr(r.co));
	uv_run(&loop, UV_RUN_DEFAULT);
	coord_free(r.co);
	if (uv_loop_close(&loop) != 0)
		cli_err("coordinator: the event loop did not end cleanly");
	return EXIT_OK;
}
