/*
 * cmd_testnet: `drizzle testnet --dir DIR --peers N`: a whole network on
 * loopback in one command, for the demo, the tests and the benchmarks.
 *
 * Starts one coordinator and N storage peers as child processes (fork and
 * exec of this very program, /proc/self/exe, with the `coordinator` and
 * `peer` subcommands: no shell), each with its data under DIR, so that
 * running testnet again on the same DIR restarts the same network (same
 * identities, same fragments, same database):
 *
 *   DIR/coordinator/     the coordinator's data; pid: its process id
 *   DIR/coordinator.log  its stdout and stderr (appended)
 *   DIR/coordinator.addr its address, "ADDR:PORT\n", written at ready
 *   DIR/datacentre.keys  the peers' keys: they are the operator's
 *                        (--datacentre) peers, admitted without an account
 *   DIR/peer-I/          peer I's data (I = 1..N); pid: its process id;
 *                        log: its stdout and stderr (appended)
 *
 * The network is ready once every peer has logged that it registered with
 * the coordinator (the coordinator answers no unauthenticated question
 * about its registry, so the peers' logs are what testnet watches, from
 * the offset each log had when the peer started). Then testnet prints
 * "ready ADDR" on stdout and supervises: a child that dies is reported on
 * stderr and the others keep running. SIGINT, SIGTERM or SIGHUP stop
 * every child (SIGTERM, then SIGKILL after SUP_STOP_GRACE_S seconds) and
 * testnet exits 0. The process supervision (children in their own process
 * groups, signals through a signalfd, reading the logs for ready lines)
 * is supervise.c's; this file is the network: who runs, with which
 * arguments, and what makes each ready.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/peerbind.h"
#include "cli/credit_opts.h"
#include "cli/supervise.h"
#include "net/ident.h"

#define TESTNET_PEERS_MAX 255
#define TESTNET_CREDIT_MAX 16 /* credit options passed on */
#define TESTNET_TIMEOUT_DEFAULT 30 /* seconds to reach ready */
#define TESTNET_CAPACITY_DEFAULT "1G"

static const char testnet_usage[] =
    "usage: drizzle testnet --dir DIR --peers N [options]\n"
    "\n"
    "Runs a whole network on 127.0.0.1: one coordinator and N peers, each a\n"
    "child process with its data under DIR (DIR/coordinator, DIR/peer-1 ..\n"
    "DIR/peer-N; logs in DIR/coordinator.log and DIR/peer-I/log; pids in\n"
    "DIR/coordinator/pid and DIR/peer-I/pid). Prints `ready ADDR` on stdout\n"
    "once every peer has registered with the coordinator at ADDR (also written\n"
    "to DIR/coordinator.addr), then stays in the foreground: a child that dies\n"
    "is reported on stderr, the others keep running. SIGINT or SIGTERM stops\n"
    "them all (exit 0). Running it again on the same DIR restarts the same\n"
    "network: same keys, same data.\n"
    "\n"
    "  --dir DIR          where the network lives (created if missing; required)\n"
    "  --peers N          number of peers, 1 to 255 (required)\n"
    "  --port BASE        the coordinator listens on BASE, peer I on BASE+I\n"
    "                     (default: free ports chosen by the system)\n"
    "  --capacity SIZE    disk each peer lends, e.g. 64M, 1G (default " TESTNET_CAPACITY_DEFAULT ")\n"
    "  --timeout SECONDS  give up if not ready within this time (default 30)\n"
    "  --k K, --n N       the coordinator's default code for new files (passed\n"
    "                     to it only if given; its default is 4 of 12)\n"
    "  --audit-interval S, --vetting-audits N  passed on to the coordinator\n"
    "  --gc-interval SECS, --gc-margin SECS  the coordinator's clean-up\n"
    "                     (passed to it only if given)\n"
    "  --peer-timeout SECONDS, --base-quota SIZE, --grace SECONDS\n"
    "                     passed to the coordinator if given (see\n"
    "                     `drizzle coordinator --help`)\n"
    "  --repair-threshold H, --repair-interval SECS, --repair-batch N\n"
    "                     passed to the coordinator if given\n"
    "  --metrics ADDR:PORT  passed to the coordinator: Prometheus text at\n"
    "                     /metrics (port 0: any; DIR/coordinator/metrics.addr)\n"
    "  --availability-window SECS, --min-availability F, --grant USER:SIZE,\n"
    "  --placeholder-block SIZE, --placeholder-rounds N,\n"
    "  --placeholder-deadline MS, --placeholder-checks N\n"
    "                     passed to the coordinator if given (no placeholder\n"
    "                     option: --placeholder-checks 0, none are made)\n"
    "  --heartbeat SECS   passed to every peer (its default is 5)\n"
    "  --max-upload RATE, --max-download RATE  passed to every peer: bytes\n"
    "                     a second it sends or receives, e.g. 2M (0: unlimited)\n"
    "  --quiet            no summary of the network on stderr\n"
    "  --help, -h         this text\n"
    "\n"
    "example:\n"
    "  drizzle testnet --dir /tmp/net --peers 12 --capacity 256M\n"
    "\n"
    "Exit codes: 0 stopped by a signal, 1 the network could not start (the\n"
    "failing child's log is shown), 2 bad command line.\n";

struct testnet {
	const char *dir;
	unsigned npeers;
	unsigned port;          /* 0: free ports */
	const char *capacity;
	unsigned timeout_s;
	const char *k, *n;      /* coordinator --k, --n; NULL: its default */
	const char *audit_interval, *vetting_audits; /* passed on, or NULL */
	const char *gc_interval, *gc_margin; /* coordinator --gc-*; NULL: default */
	const char *peer_timeout, *base_quota, *grace; /* likewise */
	const char *repair_threshold, *repair_interval, *repair_batch; /* likewise */
	const char *heartbeat;  /* peer --heartbeat; NULL: its default */
	const char *metrics;    /* coordinator --metrics; NULL: none */
	char *dckeys;           /* DIR/datacentre.keys: the peers' keys */
	/* storage-credit options, passed on as they came (name, value) */
	const char *credit[2 * TESTNET_CREDIT_MAX];
	size_t ncredit;
	int placeholders;       /* a --placeholder-* option was given */
	const char *max_upload, *max_download; /* peer options, or NULL */
	int quiet;
	int lockfd;             /* DIR, flocked: one testnet per DIR */
	struct sup sup;         /* ch[0]: coordinator; ch[i]: peer i */
};

static void
note(const struct testnet *tn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(const struct testnet *tn, const char *fmt, ...)
{
	va_list ap;

	if (tn->quiet)
		return;
	fputs("drizzle testnet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *
xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		cli_err("testnet: out of memory");
		exit(EXIT_FAIL);
	}
	return s;
}

static int
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("drizzle: testnet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try `drizzle testnet --help`)\n", stderr);
	return EXIT_USAGE;
}

static int
parse(int argc, char **argv, struct testnet *tn, int *help)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"peers", required_argument, NULL, 'n'},
		{"port", required_argument, NULL, 'p'},
		{"capacity", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'},
		{"k", required_argument, NULL, 'K'},
		{"n", required_argument, NULL, 'N'},
		{"peer-timeout", required_argument, NULL, 'T'},
		{"base-quota", required_argument, NULL, 'Q'},
		{"grace", required_argument, NULL, 'g'},
		{"quiet", no_argument, NULL, 'q'},
		{"audit-interval", required_argument, NULL, 'A'},
		{"vetting-audits", required_argument, NULL, 'V'},
		{"gc-interval", required_argument, NULL, 'G'},
		{"gc-margin", required_argument, NULL, 'M'},
		{"repair-threshold", required_argument, NULL, 'H'},
		{"repair-interval", required_argument, NULL, 'I'},
		{"repair-batch", required_argument, NULL, 'B'},
		{"heartbeat", required_argument, NULL, 'b'},
		{"metrics", required_argument, NULL, 0x380},
		CLI_CREDIT_LONGOPTS,
		{"max-upload", required_argument, NULL, 'U'},
		{"max-download", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v, port = 0, k = 0, n = 0;
	int c, have_port = 0;

	int ex;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, testnet_usage, &ex)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			*help = ex == EXIT_OK;
			return ex;
		case 'd':
			tn->dir = optarg;
			break;
		case 'n':
			if (cli_parse_uint(optarg, 1, TESTNET_PEERS_MAX, &v) != 0)
				return usage_error("--peers must be a number from 1 to %d",
				    TESTNET_PEERS_MAX);
			tn->npeers = (unsigned)v;
			break;
		case 'p':
			if (cli_parse_uint(optarg, 1, 65535, &port) != 0)
				return usage_error("--port must be a port number from 1 to 65535");
			have_port = 1;
			break;
		case 's':
			if (cli_parse_size(optarg, &v) != 0 || v == 0)
				return usage_error("--capacity must be a size such as 64M or 1G");
			tn->capacity = optarg;
			break;
		case 't':
			if (cli_parse_uint(optarg, 1, 86400, &v) != 0)
				return usage_error("--timeout must be 1 to 86400 seconds");
			tn->timeout_s = (unsigned)v;
			break;
		case 'K':
			if (cli_parse_uint(optarg, 1, 254, &k) != 0)
				return usage_error("--k must be a number from 1 to 254");
			tn->k = optarg;
			break;
		case 'N':
			if (cli_parse_uint(optarg, 2, 255, &n) != 0)
				return usage_error("--n must be a number from 2 to 255");
			tn->n = optarg;
			break;
		/* judged here too, so a typo fails before anything starts */
		case 'T':
			if (cli_parse_uint(optarg, 1, 86400, &v) != 0)
				return usage_error("--peer-timeout must be 1 to 86400 seconds");
			tn->peer_timeout = optarg;
			break;
		case 'Q':
			if (cli_parse_size(optarg, &v) != 0 || v > (uint64_t)INT64_MAX)
				return usage_error("--base-quota must be a size such as 10G");
			tn->base_quota = optarg;
			break;
		case 'g':
			if (cli_parse_uint(optarg, 1, 30 * 86400, &v) != 0)
				return usage_error("--grace must be 1 to 2592000 seconds");
			tn->grace = optarg;
			break;
		case 'q':
			tn->quiet = 1;
			break;
		case 0x380: /* --metrics: judged by the coordinator */
			tn->metrics = optarg;
			break;
		case 'A':
			if (cli_parse_uint(optarg, 1, 86400, &v) != 0)
				return usage_error("--audit-interval must be 1 to 86400 seconds");
			tn->audit_interval = optarg;
			break;
		case 'V':
			if (cli_parse_uint(optarg, 0, 100000, &v) != 0)
				return usage_error("--vetting-audits must be 0 to 100000");
			tn->vetting_audits = optarg;
			break;
		case OPT_AVAIL_WINDOW: case OPT_MIN_AVAIL: case OPT_GRANT:
		case OPT_PH_BLOCK: case OPT_PH_ROUNDS: case OPT_PH_DEADLINE:
		case OPT_PH_CHECKS: /* judged by the coordinator */
			if (tn->ncredit >= TESTNET_CREDIT_MAX)
				return usage_error("too many credit options");
			tn->credit[2 * tn->ncredit] = cli_credit_optname(c);
			tn->placeholders |= c == OPT_PH_CHECKS || c == OPT_PH_BLOCK ||
			    c == OPT_PH_ROUNDS || c == OPT_PH_DEADLINE;
			tn->credit[2 * tn->ncredit + 1] = optarg;
			tn->ncredit++;
			break;
		case 'G': /* judged by the coordinator */
			tn->gc_interval = optarg;
			break;
		case 'M':
			tn->gc_margin = optarg;
			break;
		/* judged by the child they are passed to; only numbers here */
		case 'H':
		case 'I':
		case 'B':
		case 'b':
			if (cli_parse_uint(optarg, 0, 30 * 86400, &v) != 0)
				return usage_error("--%s wants a whole number, not '%s'",
				    c == 'H' ? "repair-threshold" : c == 'I' ?
				    "repair-interval" : c == 'B' ? "repair-batch" :
				    "heartbeat", optarg);
			*(c == 'H' ? &tn->repair_threshold : c == 'I' ?
			    &tn->repair_interval : c == 'B' ? &tn->repair_batch :
			    &tn->heartbeat) = optarg;
			break;
		case 'U': /* judged by the peer; a size here */
		case 'W':
			if (cli_parse_size(optarg, &v) != 0)
				return usage_error("--%s must be bytes a second such as 2M, "
				    "not '%s'", c == 'U' ? "max-upload" : "max-download", optarg);
			*(c == 'U' ? &tn->max_upload : &tn->max_download) = optarg;
			break;
		default: /* an option in opts that this switch forgot */
			return usage_error("option '%s' is not handled (a bug)",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (tn->dir == NULL || tn->dir[0] == '\0')
		return usage_error("--dir DIR is required");
	if (tn->npeers == 0)
		return usage_error("--peers N is required");
	/* one alone is judged by the coordinator, against its default */
	if (tn->k != NULL && tn->n != NULL && k >= n)
		return usage_error("--k (%u) must be smaller than --n (%u)",
		    (unsigned)k, (unsigned)n);
	if (have_port && port + tn->npeers > 65535)
		return usage_error("--port %u leaves no room for %u peers (BASE+N "
		    "must be at most 65535)", (unsigned)port, tn->npeers);
	tn->port = (unsigned)port;
	return 0;
}

static int
make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		cli_err("testnet: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_err("testnet: %s is not a directory", path);
		return -1;
	}
	return 0;
}

/* Take DIR's lock; create the children's directories and name them. */
static int
prepare(struct testnet *tn)
{
	struct sup *s = &tn->sup;

	tn->lockfd = open(tn->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tn->lockfd < 0) {
		cli_err("testnet: cannot open %s: %s", tn->dir, strerror(errno));
		return -1;
	}
	if (flock(tn->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			cli_err("testnet: %s is in use by another `drizzle testnet`",
			    tn->dir);
		else
			cli_err("testnet: cannot lock %s: %s", tn->dir, strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < s->nch; i++) {
		struct sup_child *c = &s->ch[i];

		if (i == 0) {
			snprintf(c->name, sizeof(c->name), "coordinator");
			c->datadir = xasprintf("%s/coordinator", tn->dir);
			c->logpath = xasprintf("%s/coordinator.log", tn->dir);
			c->addr_prefix = "coordinator listening on ";
		} else {
			snprintf(c->name, sizeof(c->name), "peer %u", i);
			c->datadir = xasprintf("%s/peer-%u", tn->dir, i);
			c->logpath = xasprintf("%s/log", c->datadir);
			c->addr_prefix = "peer listening on ";
		}
		c->pidpath = xasprintf("%s/pid", c->datadir);
		if (make_dir(c->datadir) != 0)
			return -1;
	}
	return 0;
}

/* The peers are the operator's (datacentre) peers: make their keys now
 * and list them in DIR/datacentre.keys for the coordinator, so that they
 * register without an account. */
static int
write_dckeys(struct testnet *tn)
{
	struct sup *s = &tn->sup;
	uint8_t pk[IDENT_PKBYTES];
	char hex[IDENT_HEXBYTES];
	size_t cap = 64 + (size_t)tn->npeers * IDENT_HEXBYTES, len = 0;
	char *text = malloc(cap);
	int rc;

	if (text == NULL) {
		cli_err("testnet: out of memory");
		return -1;
	}
	len += (size_t)snprintf(text, cap, "# drizzle testnet: its peers\n");
	for (unsigned i = 1; i <= tn->npeers; i++) {
		if (cli_peer_key(s->ch[i].datadir, pk) != 0) {
			free(text);
			return -1;
		}
		len += (size_t)snprintf(text + len, cap - len, "%s\n",
		    ident_pk_hex(pk, hex));
	}
	tn->dckeys = xasprintf("%s/datacentre.keys", tn->dir);
	rc = sup_write_file(s, tn->dckeys, text);
	free(text);
	return rc;
}

static int
spawn_coordinator(struct testnet *tn)
{
	struct sup_child *c = &tn->sup.ch[0];
	char listen[32];
	char *argv[64 + 2 * TESTNET_CREDIT_MAX] = {"drizzle", "coordinator",
		"--data", c->datadir, "--listen", listen,
		"--datacentre-keys", tn->dckeys, NULL};
	size_t i = 8;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", tn->port);
	if (tn->k != NULL) {
		argv[i++] = "--k";
		argv[i++] = (char *)tn->k;
	}
	if (tn->n != NULL) {
		argv[i++] = "--n";
		argv[i++] = (char *)tn->n;
	}
	if (tn->audit_interval != NULL) {
		argv[i++] = "--audit-interval";
		argv[i++] = (char *)tn->audit_interval;
	}
	if (tn->vetting_audits != NULL) {
		argv[i++] = "--vetting-audits";
		argv[i++] = (char *)tn->vetting_audits;
	}
	if (tn->gc_interval != NULL) {
		argv[i++] = "--gc-interval";
		argv[i++] = (char *)tn->gc_interval;
	}
	if (tn->gc_margin != NULL) {
		argv[i++] = "--gc-margin";
		argv[i++] = (char *)tn->gc_margin;
	}
	if (tn->peer_timeout != NULL) {
		argv[i++] = "--peer-timeout";
		argv[i++] = (char *)tn->peer_timeout;
	}
	if (tn->base_quota != NULL) {
		argv[i++] = "--base-quota";
		argv[i++] = (char *)tn->base_quota;
	}
	if (tn->grace != NULL) {
		argv[i++] = "--grace";
		argv[i++] = (char *)tn->grace;
	}
	if (tn->repair_threshold != NULL) {
		argv[i++] = "--repair-threshold";
		argv[i++] = (char *)tn->repair_threshold;
	}
	if (tn->repair_interval != NULL) {
		argv[i++] = "--repair-interval";
		argv[i++] = (char *)tn->repair_interval;
	}
	if (tn->repair_batch != NULL) {
		argv[i++] = "--repair-batch";
		argv[i++] = (char *)tn->repair_batch;
	}
	if (tn->metrics != NULL) {
		argv[i++] = "--metrics";
		argv[i++] = (char *)tn->metrics;
	}
	for (size_t j = 0; j < 2 * tn->ncredit; j++)
		argv[i++] = (char *)tn->credit[j];
	/* a test network makes no placeholders unless asked: every peer
	 * would spend a core filling its offer */
	if (!tn->placeholders) {
		argv[i++] = "--placeholder-checks";
		argv[i++] = "0";
	}
	argv[i] = NULL;
	return sup_spawn(&tn->sup, 0, argv);
}

static int
spawn_peer(struct testnet *tn, unsigned i)
{
	struct sup_child *c = &tn->sup.ch[i];
	char listen[32];
	char *argv[] = {"drizzle", "peer", "--data", c->datadir, "--coordinator",
		tn->sup.ch[0].addr, "--listen", listen, "--capacity",
		(char *)tn->capacity, "--datacentre", NULL, NULL, NULL, NULL, NULL,
		NULL, NULL};
	int a = 11;

	if (tn->heartbeat != NULL) {
		argv[a++] = "--heartbeat";
		argv[a++] = (char *)tn->heartbeat;
	}
	if (tn->max_upload != NULL) {
		argv[a++] = "--max-upload";
		argv[a++] = (char *)tn->max_upload;
	}
	if (tn->max_download != NULL) {
		argv[a++] = "--max-download";
		argv[a++] = (char *)tn->max_download;
	}

	snprintf(listen, sizeof(listen), "127.0.0.1:%u",
	    tn->port == 0 ? 0 : tn->port + i);
	/* only a registration with this run's coordinator counts */
	snprintf(c->ready_text, sizeof(c->ready_text),
	    "registered with the coordinator %s ", tn->sup.ch[0].addr);
	return sup_spawn(&tn->sup, i, argv);
}

/* Wait until the children in [0, upto) are ready; 0 or -1 after saying
 * why (or on a stop signal). */
static int
wait_ready(struct testnet *tn, unsigned upto, double deadline)
{
	unsigned notready;
	int rc = sup_wait_ready(&tn->sup, upto, deadline, &notready);

	if (rc != SUP_TIMEOUT)
		return rc;
	if (upto == 1)
		cli_err("testnet: not ready after %u s: the coordinator did not "
		    "start listening", tn->timeout_s);
	else
		cli_err("testnet: not ready after %u s: %u of %u peers have not "
		    "registered with the coordinator %s", tn->timeout_s, notready,
		    upto - 1, tn->sup.ch[0].addr);
	sup_show_unready(&tn->sup, upto, 3);
	return -1;
}

static int
run(struct testnet *tn)
{
	struct sup *s = &tn->sup;
	double deadline;
	char line[96], *path;
	int rc;

	if (make_dir(tn->dir) != 0 || sup_init(s, "testnet", tn->npeers + 1) != 0 ||
	    prepare(tn) != 0)
		return EXIT_FAIL;
	deadline = sup_now() + tn->timeout_s;
	if (write_dckeys(tn) != 0 || spawn_coordinator(tn) != 0)
		goto fail;
	if (wait_ready(tn, 1, deadline) != 0)
		goto fail;
	for (unsigned i = 1; i <= tn->npeers; i++)
		if (spawn_peer(tn, i) != 0)
			goto fail;
	if (wait_ready(tn, s->nch, deadline) != 0)
		goto fail;

	path = xasprintf("%s/coordinator.addr", tn->dir);
	snprintf(line, sizeof(line), "%s\n", s->ch[0].addr);
	rc = sup_write_file(s, path, line);
	free(path);
	if (rc != 0)
		goto fail;
	note(tn, "coordinator %s (pid %ld), log %s", s->ch[0].addr,
	    (long)s->ch[0].pid, s->ch[0].logpath);
	for (unsigned i = 1; i <= tn->npeers; i++)
		note(tn, "peer %u %s (pid %ld), log %s", i, s->ch[i].addr,
		    (long)s->ch[i].pid, s->ch[i].logpath);
	printf("ready %s\n", s->ch[0].addr);
	fflush(stdout);

	sup_supervise(s); /* until told to stop */
	note(tn, "%s: stopping %u processes", sup_signame(s->stop_sig),
	    sup_running(s));
	sup_stop_all(s, 1);
	note(tn, "stopped");
	return EXIT_OK;

fail:
	if (s->stop_sig != 0) {
		/* asked to stop while starting: not a failure */
		note(tn, "%s: stopping", sup_signame(s->stop_sig));
		sup_stop_all(s, 1);
		return EXIT_OK;
	}
	sup_stop_all(s, 0);
	return EXIT_FAIL;
}

int
cmd_testnet_main(int argc, char **argv)
{
	struct testnet tn;
	int rc, help = 0;

	memset(&tn, 0, sizeof(tn));
	tn.capacity = TESTNET_CAPACITY_DEFAULT;
	tn.timeout_s = TESTNET_TIMEOUT_DEFAULT;
	tn.lockfd = -1;
	tn.sup.sfd = tn.sup.devnull = -1;
	if ((rc = parse(argc, argv, &tn, &help)) != 0 || help)
		return rc;
	rc = run(&tn);
	free(tn.dckeys);
	sup_free(&tn.sup);
	if (tn.lockfd >= 0)
		close(tn.lockfd); /* releases DIR */
	return rc;
}
