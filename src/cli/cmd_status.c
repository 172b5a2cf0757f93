/*
 * cmd_status: `drizzle status [--json]`: the logged-in account (used,
 * earned, quota), this computer's peer if any (offered and proven space,
 * bytes stored, availability, bandwidth limits, audit record), the other
 * peers the account runs, and the network's health (peers online, files
 * below full redundancy). The numbers are the coordinator's (STATUS,
 * CREDIT, PEER_REPORT; docs/trading.md explains them); the file health is
 * the client's own survey (filehealth.c).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/account.h"
#include "cli/cli.h"
#include "cli/filehealth.h"
#include "client/profile.h"
#include "client/session.h"
#include "core/merkle.h"
#include "net/ident.h"
#include "net/proto.h"

static const char status_usage[] =
    "usage: drizzle status [--json] [--home DIR] [--peer-data DIR]\n"
    "                      [--password-file FILE]\n"
    "\n"
    "Show the logged-in account: user, coordinator and its key, space used,\n"
    "earned and the quota (base + earned + any grant); this computer's\n"
    "peer, if it has one: space offered and proven, bytes stored,\n"
    "availability, bandwidth limits and audit record; the account's other\n"
    "peers; the network: peers online, the default code for new files, the\n"
    "number of files and how many are below full redundancy, the worst\n"
    "estimated durability; a `warning:` line when any file is\n"
    "under-replicated.\n"
    "\n"
    "  --json                 the same as one JSON object: used, earned and\n"
    "                         quota in bytes (docs/cli.md lists the keys)\n"
    "  --home DIR             profile directory (default $DRIZZLE_HOME, else\n"
    "                         ~/.config/drizzle)\n"
    "  --peer-data DIR        this computer's peer's data directory (default\n"
    "                         the profile's peer/)\n"
    "  --password-file FILE   read the password from FILE's first line (else\n"
    "                         $DRIZZLE_PASSWORD, else the terminal)\n"
    "  --help, -h             this text\n"
    "\n"
    "example:\n"
    "  drizzle status --home /tmp/alice --json\n"
    "\n"
    "Exit codes: 0 shown, 1 failed (not logged in, coordinator unreachable),\n"
    "2 bad command line, 3 wrong password.\n";

struct status_opts {
	const char *home, *pwfile, *peer_data;
	int json;
};

/* Everything shown, gathered first so that text and JSON say the same. */
struct status {
	struct proto_status_rep st;
	struct proto_credit_rep *cr;
	int have_credit;
	struct cli_fh_counts fh;
	int have_pk;           /* this computer's peer's key was read */
	uint8_t pk[IDENT_PKBYTES];
	const struct proto_credit_peer *mine; /* its entry, or NULL */
	char up[32], down[32]; /* its bandwidth limits ("" unlimited) */
};

static int
parse(int argc, char **argv, struct status_opts *o, int *help)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"home", required_argument, NULL, 'H'},
		{"peer-data", required_argument, NULL, 'D'},
		{"password-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, ex;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = cli_getopt(argc, argv, longopts, status_usage, &ex)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			*help = ex == EXIT_OK;
			return ex;
		case 'j': o->json = 1; break;
		case 'H': o->home = optarg; break;
		case 'D': o->peer_data = optarg; break;
		case 'p': o->pwfile = optarg; break;
		default:
			cli_err("option '%s' is not handled (a bug)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("unexpected argument '%s' (try `drizzle status --help`)",
		    argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

/* One request whose reply decodes with dec into out. */
static int
ask(struct session *s, uint16_t type, uint16_t reptype,
    int (*dec)(const uint8_t *, size_t, void *), void *out,
    struct dz_errmsg *em)
{
	struct frame r;
	int rc;

	if ((rc = session_call(s, type, NULL, 0, &r, em)) != 0)
		return rc;
	rc = r.type == reptype ? dec(r.body, r.len, out) :
	    dz_errf(em, DZ_EFORMAT, "unexpected reply to %s", proto_type_name(type));
	frame_free(&r);
	return rc;
}

static int
dec_status(const uint8_t *b, size_t n, void *out)
{
	return proto_status_rep_decode(b, n, out);
}

static int
dec_credit(const uint8_t *b, size_t n, void *out)
{
	return proto_credit_rep_decode(b, n, out);
}

/* A "max-upload"/"max-download" line of the peer's config file ("KEY
 * VALUE" or "KEY = VALUE"), if it has one; "" if none. */
static void
config_limit(const char *dir, const char *key, char out[32])
{
	char path[PATH_MAX], line[256], k[64], v[32];
	FILE *f;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/config", dir) >= (int)sizeof(path) ||
	    (f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		for (char *c = line; *c != '\0'; c++)
			if (*c == '=')
				*c = ' ';
		if (sscanf(line, "%63s %31s", k, v) == 2 && strcmp(k, key) == 0)
			snprintf(out, 32, "%s", v);
	}
	fclose(f);
}

/* This computer's peer: its key (from its identity file, if there is
 * one: never created here) and its limits. */
static void
find_peer(const struct status_opts *o, const char *home, struct status *x)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct ident *id = NULL;
	struct stat st;

	if (o->peer_data != NULL)
		snprintf(dir, sizeof(dir), "%s", o->peer_data);
	else if (snprintf(dir, sizeof(dir), "%s/peer", home) >= (int)sizeof(dir))
		return;
	if (snprintf(path, sizeof(path), "%s/identity.key", dir) >= (int)sizeof(path) ||
	    stat(path, &st) != 0 || ident_load_or_create(path, &id, NULL, NULL) != 0)
		return;
	memcpy(x->pk, id->pk, IDENT_PKBYTES);
	ident_free(id);
	x->have_pk = 1;
	config_limit(dir, "max-upload", x->up);
	config_limit(dir, "max-download", x->down);
	for (size_t i = 0; x->have_credit && i < x->cr->npeers; i++)
		if (memcmp(x->cr->peers[i].pk, x->pk, IDENT_PKBYTES) == 0)
			x->mine = &x->cr->peers[i];
}

static void
json_peer(const struct proto_credit_peer *p, const struct status *x)
{
	char hex[IDENT_HEXBYTES];

	printf("{\"key\": \"%s\", \"capacity_offered\": %llu, "
	    "\"capacity_proven\": %llu, \"bytes_stored\": %llu, \"earned\": %llu, "
	    "\"availability\": %.4f, \"online\": %s, \"state\": \"%s\", "
	    "\"audits\": {\"passed\": %llu, \"failed\": %llu}, "
	    "\"placeholders\": {\"block\": %u, \"claimed\": %llu, \"proven\": %llu, "
	    "\"passed\": %llu, \"failed\": %llu}",
	    ident_pk_hex(p->pk, hex), (unsigned long long)p->capacity,
	    (unsigned long long)p->proven, (unsigned long long)p->held,
	    (unsigned long long)p->earned, (double)p->avail / PROTO_AVAIL_ONE,
	    p->online ? "true" : "false", proto_peer_state_name(p->state),
	    (unsigned long long)p->audits_passed, (unsigned long long)p->audits_failed,
	    (unsigned)p->ph_block, (unsigned long long)p->ph_claimed,
	    (unsigned long long)p->ph_proven, (unsigned long long)p->ph_passed,
	    (unsigned long long)p->ph_failed);
	if (x != NULL) /* limits are known for this computer's peer only */
		printf(", \"bandwidth_limits\": {\"max_upload\": \"%s\", "
		    "\"max_download\": \"%s\"}", x->up[0] ? x->up : "unlimited",
		    x->down[0] ? x->down : "unlimited");
	printf("}");
}

static void
print_json(const struct session *s, const struct status *x)
{
	const struct proto_credit_rep *c = x->cr;
	char hex[IDENT_HEXBYTES];

	printf("{\"user\": \"%s\", \"coordinator\": \"%s\", \"coordinator_key\": "
	    "\"%s\", ", s->user, s->coord_addr, ident_pk_hex(s->coord_pk, hex));
	printf("\"used\": %llu, \"earned\": %llu, \"quota\": %llu, ",
	    (unsigned long long)x->st.used, (unsigned long long)x->st.earned,
	    (unsigned long long)x->st.quota);
	if (x->have_credit)
		printf("\"base_quota\": %llu, \"grant\": %llu, \"min_availability\": "
		    "%.4f, \"availability_window\": %u, ", (unsigned long long)c->base,
		    (unsigned long long)c->grant, (double)c->min_avail / PROTO_AVAIL_ONE,
		    (unsigned)c->window);
	printf("\"this_peer\": ");
	if (x->mine != NULL)
		json_peer(x->mine, x);
	else if (x->have_pk)
		printf("{\"key\": \"%s\", \"registered\": false}", ident_pk_hex(x->pk, hex));
	else
		printf("null");
	printf(", \"peers\": [");
	for (size_t i = 0; x->have_credit && i < c->npeers; i++) {
		printf(i > 0 ? ", " : "");
		json_peer(&c->peers[i], NULL);
	}
	printf("], \"network\": {\"peers_online\": %u, \"peers_total\": %u, "
	    "\"default_k\": %u, \"default_n\": %u, \"files\": %zu, "
	    "\"files_below_full_redundancy\": %zu, \"files_below_threshold\": %zu, "
	    "\"files_unreadable\": %zu}}\n", (unsigned)x->st.peers_online,
	    (unsigned)x->st.peers_total, (unsigned)x->st.default_k,
	    (unsigned)x->st.default_n, x->fh.files, x->fh.under, x->fh.below,
	    x->fh.unreadable);
}

static void
text_peer(const struct proto_credit_peer *p, const char *indent)
{
	char hex[IDENT_HEXBYTES], off[32], pr[32], held[32], earned[32];

	cli_human(p->capacity, off);
	cli_human(p->proven, pr);
	cli_human(p->held, held);
	cli_human(p->earned, earned);
	printf("%speer %.16s  %s, %s, availability %.1f%%\n", indent,
	    ident_pk_hex(p->pk, hex), proto_peer_state_name(p->state),
	    p->online ? "online" : "offline", 100.0 * p->avail / PROTO_AVAIL_ONE);
	printf("%s  offered %s, proven %s, storing %s, earning %s\n", indent, off,
	    pr, held, earned);
	printf("%s  audits %llu passed, %llu failed; placeholders %llu of %llu "
	    "blocks proven (%llu checks passed, %llu failed)\n", indent,
	    (unsigned long long)p->audits_passed, (unsigned long long)p->audits_failed,
	    (unsigned long long)p->ph_proven, (unsigned long long)p->ph_claimed,
	    (unsigned long long)p->ph_passed, (unsigned long long)p->ph_failed);
}

/* The audit record of each peer the account runs (--owner): state,
 * uptime, audits and the reason for any suspension. A coordinator that
 * does not report them is said to, not treated as a failure. */
static void
print_peers(struct session *s)
{
	struct dz_errmsg em = {{0}};
	struct proto_peer_report_rep *rep;
	struct frame r;
	char hex[IDENT_HEXBYTES], nh[MERKLE_HASHBYTES * 2 + 1], when[32];
	int rc;

	if ((rep = malloc(sizeof(*rep))) == NULL)
		return;
	rc = session_call(s, PROTO_PEER_REPORT, NULL, 0, &r, &em);
	if (rc == 0) {
		rc = r.type == PROTO_PEER_REPORT_REP ?
		    proto_peer_report_rep_decode(r.body, r.len, rep) : DZ_EFORMAT;
		frame_free(&r);
	}
	if (rc != 0) {
		printf("your peers   (not reported: %s)\n", dz_strerror(rc));
		free(rep);
		return;
	}
	printf("your peers   %u (peers started with --owner %s)\n",
	    (unsigned)rep->count, s->user);
	for (size_t i = 0; i < rep->count; i++) {
		const struct proto_peer_rec *p = &rep->peer[i];
		uint64_t failed = p->wrong + p->missing + p->timeout;
		unsigned up = p->hb_expected > 0 ? (unsigned)(100.0 * (double)p->hb_seen /
		    (double)p->hb_expected) : 0;
		time_t at = (time_t)p->last_at;
		struct tm tm;

		printf("  peer %.16s  %s, %s, uptime %u%%\n", ident_pk_hex(p->pk, hex),
		    proto_peer_state_name(p->state), p->online ? "online" : "offline",
		    up > 100 ? 100 : up);
		printf("    audits %llu passed, %llu failed (wrong data %llu, missing "
		    "%llu, timeout %llu); %u of the last %u failed\n",
		    (unsigned long long)p->passed, (unsigned long long)failed,
		    (unsigned long long)p->wrong, (unsigned long long)p->missing,
		    (unsigned long long)p->timeout, (unsigned)p->window_failed,
		    (unsigned)p->window);
		if (p->last_reason == 0)
			continue;
		merkle_hex(p->last_name, nh);
		if (gmtime_r(&at, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
			snprintf(when, sizeof(when), "?");
		printf("    last failure: fragment %.16s: %s at %s\n", nh,
		    proto_audit_reason_name(p->last_reason), when);
		if (p->state >= PROTO_PEER_SUSPENDED)
			printf("    %s because %u of its last %u audits failed "
			    "(docs/protocol.md, \"Audits\")\n",
			    proto_peer_state_name(p->state), (unsigned)p->window_failed,
			    (unsigned)p->window);
	}
	free(rep);
}

static void
print_text(struct session *s, const char *home, struct status *x)
{
	const struct proto_credit_rep *c = x->cr;
	char hex[IDENT_HEXBYTES], used[32], quota[32], earned[32], base[32], gr[32];
	char line[160];
	struct profile p;

	cli_human(x->st.used, used);
	cli_human(x->st.quota, quota);
	cli_human(x->st.earned, earned);
	printf("user         %s\n", s->user);
	printf("coordinator  %s\n", s->coord_addr);
	printf("key          %s\n", ident_pk_hex(s->coord_pk, hex));
	printf("used         %s of %s\n", used, quota);
	printf("earned       %s\n", earned);
	if (x->have_credit) {
		cli_human(c->base, base);
		cli_human(c->grant, gr);
		printf("quota        %s = base %s + earned %s + granted %s\n", quota,
		    base, earned, gr);
		printf("earning      peers online at least %.1f%% of the last %u days\n",
		    100.0 * c->min_avail / PROTO_AVAIL_ONE, (unsigned)(c->window / 86400));
	}
	if (x->mine != NULL) {
		printf("this peer    (this computer's)\n");
		text_peer(x->mine, "  ");
		printf("    bandwidth limits: upload %s, download %s\n",
		    x->up[0] ? x->up : "unlimited", x->down[0] ? x->down : "unlimited");
	} else if (x->have_pk) {
		printf("this peer    %.16s: not registered for this account\n",
		    ident_pk_hex(x->pk, hex));
	} else {
		printf("this peer    none (run `drizzle peer` to offer disk and earn space)\n");
	}
	for (size_t i = 0, shown = 0; x->have_credit && i < c->npeers; i++) {
		if (&c->peers[i] == x->mine)
			continue;
		if (shown++ == 0)
			printf("other peers  of this account\n");
		text_peer(&c->peers[i], "  ");
	}
	print_peers(s);
	printf("peers        %u online of %u\n", (unsigned)x->st.peers_online,
	    (unsigned)x->st.peers_total);
	printf("default code %u-of-%u\n", (unsigned)x->st.default_k,
	    (unsigned)x->st.default_n);
	if (profile_load(home, &p, NULL) == 0) {
		(void)cli_unlock_describe(home, &p, line, sizeof(line));
		printf("unlock       %s\n", line);
	}
}

int
cmd_status_main(int argc, char **argv)
{
	struct status_opts o;
	struct dz_errmsg em = {{0}};
	struct session *s = NULL;
	struct status x;
	int rc, ex, help = 0;

	if ((ex = parse(argc, argv, &o, &help)) != 0 || help)
		return ex;
	memset(&x, 0, sizeof(x));
	if ((x.cr = calloc(1, sizeof(*x.cr))) == NULL)
		return cli_fail(DZ_ENOMEM, NULL, "status");
	if ((ex = cli_session_open(o.home, o.pwfile, &s)) != 0)
		goto out;
	if ((rc = ask(s, PROTO_STATUS, PROTO_STATUS_REP, dec_status, &x.st, &em)) != 0) {
		ex = cli_fail(rc, &em, "status");
		goto out;
	}
	/* a coordinator without credit reports still answers STATUS */
	x.have_credit = ask(s, PROTO_CREDIT, PROTO_CREDIT_REP, dec_credit, x.cr,
	    &em) == 0;
	find_peer(&o, s->home, &x);
	if (o.json) {
		if ((ex = cli_fh_count(s, &x.fh)) == EXIT_OK)
			print_json(s, &x);
	} else {
		print_text(s, s->home, &x);
		ex = cli_fh_status(s, stdout);
	}
out:
	session_close(s);
	free(x.cr);
	return ex;
}
