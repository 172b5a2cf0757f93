/*
 * cmd_peer: `drizzle peer`: lend disk to the network. Runs the storage
 * peer's server (peer/peerd.h) on one libuv loop until SIGINT or SIGTERM:
 * stores, serves and audits fragments for any authenticated node, and
 * reports to the coordinator. It runs for the account logged in at a
 * client profile (--home, cli/peerbind.h: the account's device key signs
 * the peer's key), or as an operator's peer (--datacentre). Prints one line on stdout once it listens
 * ("peer listening on ADDR key HEX", for scripts and tests); everything
 * else (the coordinator link's state changes) goes to stderr.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/peerbind.h"
#include "net/ident.h"
#include "net/netaddr.h"
#include "net/proto.h"
#include "peer/peercfg.h"
#include "peer/peerd.h"

static const char peer_usage[] =
    "usage: drizzle peer [--home DIR] [options]\n"
    "       drizzle peer --datacentre --data DIR --coordinator ADDR:PORT [options]\n"
    "       drizzle peer --data DIR --print-key\n"
    "\n"
    "Lends disk to the network: stores encrypted fragments in DIR, serves them\n"
    "to clients, answers audits and reports to the coordinator. The peer runs\n"
    "for the account logged in at the client profile --home DIR: that\n"
    "computer's key signs the peer's key once (asking for the password unless\n"
    "the account is unlocked) and the signed binding is kept in the data\n"
    "directory, so restarts need no password. Its space is that account's,\n"
    "and that account's own fragments are never placed on it. Fragments are\n"
    "served even while the coordinator is unreachable. Stops cleanly on\n"
    "SIGINT or SIGTERM, telling the coordinator it is leaving. Prints\n"
    "`peer listening on ADDR key HEX` when ready. On SIGUSR1 it logs its\n"
    "traffic counters (bytes sent and received since start) and limits.\n"
    "\n"
    "  --home DIR              the client profile whose account runs this peer\n"
    "                          (default $DRIZZLE_HOME, else ~/.config/drizzle)\n"
    "  --data DIR              data directory: identity, binding, fragments\n"
    "                          (default: HOME/peer; required with --datacentre)\n"
    "  --coordinator ADDR:PORT the coordinator (default: the profile's)\n"
    "  --listen ADDR:PORT      where to serve (default 127.0.0.1:0, a free port)\n"
    "  --capacity SIZE         disk to lend, e.g. 64M, 1G (default 10G); never\n"
    "                          more is offered than DIR's disk has free (plus\n"
    "                          what is stored): a warning at start says so\n"
    "  --max-upload RATE       bytes a second sent to others, e.g. 10M (default\n"
    "                          0: unlimited; else at least 64K)\n"
    "  --max-download RATE     bytes a second received from others (same)\n"
    "                          These three are also read from DIR/config, which\n"
    "                          `drizzle config` changes while the peer runs; an\n"
    "                          option given here wins over the file at start\n"
    "  --coordinator-key HEX   the coordinator's key (default: the profile's,\n"
    "                          else pinned at first contact in\n"
    "                          DIR/coordinator.key)\n"
    "  --heartbeat SECONDS     between reports to the coordinator (default 5)\n"
    "  --password-file FILE    the account's password, if it must be asked\n"
    "                          (else $DRIZZLE_PASSWORD, else the terminal)\n"
    "  --datacentre            an operator's own peer, for no account: the\n"
    "                          coordinator admits it only if its key is in\n"
    "                          the coordinator's --datacentre-keys file\n"
    "  --print-key             create the peer's key in --data DIR if needed,\n"
    "                          print it (hex) and exit: for --datacentre-keys\n"
    "  --help, -h              this text\n"
    "\n"
    "Testing only (never on a real network):\n"
    "  --test-lie MODE         answer every FRAG_GET wrongly, to test clients:\n"
    "                          garbage (random bytes of the fragment's length),\n"
    "                          flip (one byte flipped), truncate (last 100 bytes\n"
    "                          cut off) or slow (correct, but after 3 s);\n"
    "                          or slowput: acknowledge FRAG_PUT after 20 s;\n"
    "                          or phregen: claim placeholders without keeping\n"
    "                          them, making each again when it is checked\n"
    "\n"
    "example:\n"
    "  drizzle login --coordinator 203.0.113.7:7420 --user alice\n"
    "  drizzle peer --listen 0.0.0.0:7421 --capacity 100G\n"
    "\n"
    "A coordinator that refuses the peer (no binding, a device since logged\n"
    "out or revoked, an unlisted --datacentre key) is logged with what to do;\n"
    "the peer keeps serving and retrying.\n"
    "\n"
    "Exit codes: 0 stopped by a signal, 1 could not start (the message names\n"
    "the directory, address or profile), 2 bad command line, 3 wrong password.\n";

struct peer_run {
	struct peerd *p;
	uv_signal_t sigint, sigterm, sigusr1;
};

static void
peer_log(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "drizzle peer: %s\n", line);
}

/* SIGUSR1: the traffic counters, with the time they were read, so that
 * an operator (or a test) can see what the limits let through. */
static void
on_usr1(uv_signal_t *s, int signum)
{
	struct peer_run *r = s->data;
	struct peerd_traffic t;

	(void)signum;
	peerd_traffic(r->p, &t);
	fprintf(stderr, "drizzle peer: traffic: at %llu ms sent %llu received %llu "
	    "bytes; max-upload %llu max-download %llu capacity %llu\n",
	    (unsigned long long)(uv_hrtime() / 1000000),
	    (unsigned long long)t.sent, (unsigned long long)t.received,
	    (unsigned long long)t.max_upload, (unsigned long long)t.max_download,
	    (unsigned long long)t.capacity);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct peer_run *r = s->data;

	fprintf(stderr, "drizzle peer: %s: stopping\n",
	    signum == SIGINT ? "SIGINT" : "SIGTERM");
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sigterm, NULL);
	uv_close((uv_handle_t *)&r->sigusr1, NULL);
	peerd_stop(r->p, NULL, NULL);
}

static int
usage_error(const char *what)
{
	cli_err("peer: %s (try `drizzle peer --help`)", what);
	return EXIT_USAGE;
}

int
cmd_peer_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"coordinator", required_argument, NULL, 'c'},
		{"listen", required_argument, NULL, 'l'},
		{"capacity", required_argument, NULL, 's'},
		{"coordinator-key", required_argument, NULL, 'k'},
		{"heartbeat", required_argument, NULL, 'b'},
		{"home", required_argument, NULL, 'H'},
		{"password-file", required_argument, NULL, 'P'},
		{"datacentre", no_argument, NULL, 'D'},
		{"print-key", no_argument, NULL, 'K'},
		{"test-lie", required_argument, NULL, 'L'},
		{"max-upload", required_argument, NULL, 'U'},
		{"max-download", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct peerd_config cfg;
	struct sockaddr_storage ss;
	struct dz_errmsg em = {{0}};
	struct peer_run r;
	uint8_t ckey[IDENT_PKBYTES];
	char hex[IDENT_HEXBYTES], what[sizeof(em.text) + 32];
	enum peercfg_key key;
	uv_loop_t loop;
	struct peerbind_in bin = {0};
	struct peerbind_out *bout = NULL;
	uint64_t v;
	int c, rc, print_key = 0;

	memset(&cfg, 0, sizeof(cfg));
	memset(&r, 0, sizeof(r));
	cfg.listen = "127.0.0.1:0";
	cfg.capacity = PEERCFG_CAPACITY_DEFAULT;
	cfg.heartbeat_s = 5;
	cfg.log = peer_log;
	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, peer_usage, &rc)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			return rc;
		case 'd':
			cfg.dir = optarg;
			break;
		case 'c':
			if (netaddr_parse(optarg, 0, &ss, &em) != 0) {
				snprintf(what, sizeof(what), "--coordinator: %s", em.text);
				return usage_error(what);
			}
			cfg.coordinator = optarg;
			break;
		case 'l':
			if (netaddr_parse(optarg, 1, &ss, &em) != 0) {
				snprintf(what, sizeof(what), "--listen: %s", em.text);
				return usage_error(what);
			}
			cfg.listen = optarg;
			break;
		case 's':
			if (cli_parse_size(optarg, &v) != 0 || v == 0)
				return usage_error("--capacity must be a size such as 64M or 1G");
			cfg.capacity = v;
			cfg.given |= 1u << PEERCFG_CAPACITY;
			break;
		case 'U':
		case 'W':
			key = c == 'U' ? PEERCFG_MAX_UPLOAD : PEERCFG_MAX_DOWNLOAD;
			if (peercfg_value(key, optarg, &v, &em) != 0) {
				snprintf(what, sizeof(what), "--%s", em.text);
				return usage_error(what);
			}
			*(c == 'U' ? &cfg.max_upload : &cfg.max_download) = v;
			cfg.given |= 1u << key;
			break;
		case 'k':
			if (ident_pk_parse(optarg, ckey) != 0)
				return usage_error("--coordinator-key must be 64 hex digits");
			cfg.coordinator_pk = ckey;
			break;
		case 'b':
			if (cli_parse_uint(optarg, 1, 3600, &v) != 0)
				return usage_error("--heartbeat must be 1 to 3600 seconds");
			cfg.heartbeat_s = (unsigned)v;
			break;
		case 'H':
			if (optarg[0] == '\0')
				return usage_error("--home needs a directory");
			bin.home_opt = optarg;
			break;
		case 'P':
			bin.pwfile = optarg;
			break;
		case 'D':
			cfg.datacentre = 1;
			break;
		case 'K':
			print_key = 1;
			break;
		case 'L': /* TEST ONLY */
			if (strcmp(optarg, "garbage") == 0)
				cfg.test_lie = PEERD_LIE_GARBAGE;
			else if (strcmp(optarg, "flip") == 0)
				cfg.test_lie = PEERD_LIE_FLIP;
			else if (strcmp(optarg, "truncate") == 0)
				cfg.test_lie = PEERD_LIE_TRUNCATE;
			else if (strcmp(optarg, "slow") == 0)
				cfg.test_lie = PEERD_LIE_SLOW;
			else if (strcmp(optarg, "slowput") == 0)
				cfg.test_lie = PEERD_LIE_SLOWPUT;
			else if (strcmp(optarg, "phregen") == 0)
				cfg.test_lie = PEERD_LIE_PHREGEN;
			else
				return usage_error("--test-lie must be garbage, flip, truncate, slow, "
				    "slowput or phregen");
			break;
		default: /* an option in opts that this switch forgot */
			return usage_error("an option is not handled (a bug)");
		}
	}
	if (optind < argc) {
		snprintf(what, sizeof(what), "unexpected argument '%.200s'", argv[optind]);
		return usage_error(what);
	}
	if (cfg.dir != NULL && cfg.dir[0] == '\0')
		return usage_error("--data needs a directory");
	if (print_key) {
		uint8_t pk[IDENT_PKBYTES];

		if (cfg.dir == NULL)
			return usage_error("--print-key needs --data DIR");
		if ((rc = cli_peer_key(cfg.dir, pk)) != 0)
			return rc;
		printf("%s\n", ident_pk_hex(pk, hex));
		return EXIT_OK;
	}
	if (cfg.datacentre) {
		if (bin.home_opt != NULL)
			return usage_error("--datacentre runs for no account: drop --home");
		if (cfg.dir == NULL)
			return usage_error("--data DIR is required with --datacentre");
		if (cfg.coordinator == NULL)
			return usage_error("--coordinator ADDR:PORT is required with "
			    "--datacentre");
	} else {
		if ((bout = calloc(1, sizeof(*bout))) == NULL) {
			cli_err("peer: out of memory");
			return EXIT_FAIL;
		}
		bin.data = cfg.dir;
		if ((rc = cli_peer_bind(&bin, bout)) != 0) {
			free(bout);
			return rc;
		}
		cfg.dir = bout->data;
		cfg.binding = &bout->b;
		if (cfg.coordinator == NULL && bout->have_coord)
			cfg.coordinator = bout->coord_addr;
		/* the binding names the profile's coordinator: pin that one */
		if (cfg.coordinator_pk == NULL && bout->have_coord)
			cfg.coordinator_pk = bout->coord_pk;
		if (cfg.coordinator == NULL) {
			free(bout);
			return usage_error("--coordinator ADDR:PORT is required (the "
			    "profile names none)");
		}
	}
	/* several puts must be able to wait on one shared sync: the pool
	 * needs threads, and libuv reads this once, at its first use */
	if (getenv("UV_THREADPOOL_SIZE") == NULL) {
		snprintf(what, sizeof(what), "%d", PEERD_THREADPOOL);
		setenv("UV_THREADPOOL_SIZE", what, 1);
	}
	if ((rc = uv_loop_init(&loop)) != 0) {
		cli_err("peer: cannot make an event loop: %s", uv_strerror(rc));
		return EXIT_FAIL;
	}
	if ((rc = peerd_open(&loop, &cfg, &r.p, &em)) != 0) {
		if (rc == DZ_EEXIST)
			cli_err("peer: %s is in use by another peer (%s)", cfg.dir,
			    em.text[0] ? em.text : dz_strerror(rc));
		else
			cli_err("peer: cannot serve %s: %s", cfg.dir,
			    em.text[0] ? em.text : dz_strerror(rc));
		(void)uv_run(&loop, UV_RUN_DEFAULT); /* release what was made */
		(void)uv_loop_close(&loop);
		free(bout);
		return EXIT_FAIL;
	}
	printf("peer listening on %s key %s\n", peerd_addr(r.p),
	    ident_pk_hex(peerd_pk(r.p), hex));
	fflush(stdout);

	uv_signal_init(&loop, &r.sigint);
	uv_signal_init(&loop, &r.sigterm);
	r.sigint.data = r.sigterm.data = &r;
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	uv_signal_init(&loop, &r.sigusr1);
	r.sigusr1.data = &r;
	uv_signal_start(&r.sigusr1, on_usr1, SIGUSR1);
	(void)uv_run(&loop, UV_RUN_DEFAULT);

	rc = peerd_free(r.p);
	free(bout);
	if (uv_loop_close(&loop) != 0)
		cli_err("peer: the event loop still had work at exit");
	if (rc != 0) {
		cli_err("peer: the last sync of %s failed: %s", cfg.dir, dz_strerror(rc));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
