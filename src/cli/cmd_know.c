/*
 * cmd_know: `drizzle whatdoyouknow [--home DIR] [--json]`: ask the
 * coordinator (WHATDOYOUKNOW) for everything it stores about the
 * logged-in account and the peers it runs, and print it readable, with
 * what it does not store: the privacy policy made checkable
 * (docs/trading.md, "What the coordinator knows").
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli/account.h"
#include "cli/cli.h"
#include "core/json.h"
#include "net/frame.h"
#include "net/proto.h"

static const char know_usage[] =
    "usage: drizzle whatdoyouknow [--home DIR] [--password-file FILE] [--json]\n"
    "\n"
    "Show everything the coordinator stores about your account and the\n"
    "peers you run: the account's name, creation time, key-stretching\n"
    "parameters and salt, password hint, the computers logged in, space\n"
    "used, quota and earned, how many records and fragments it holds for\n"
    "you and their sizes, your peers' addresses, capacity, online history\n"
    "and audit record, and the failed logins it is counting; then what it\n"
    "does not store.\n"
    "\n"
    "  --home DIR             profile directory (default $DRIZZLE_HOME, else\n"
    "                         ~/.config/drizzle)\n"
    "  --password-file FILE   read the password from FILE's first line (else\n"
    "                         $DRIZZLE_PASSWORD, else the terminal)\n"
    "  --json                 the same as one JSON object\n"
    "  --help                 this text\n"
    "\n"
    "Examples:\n"
    "  drizzle whatdoyouknow\n"
    "  drizzle whatdoyouknow --json > what-the-coordinator-knows.json\n"
    "\n"
    "Exit codes: 0 shown, 1 failed (not logged in, coordinator unreachable),\n"
    "2 bad command line, 3 wrong password.\n";

/* What the coordinator never has; the same list in docs/trading.md. */
static const char *const not_stored[] = {
	"your password (it never leaves this computer)",
	"your master key, or any key that decrypts your files or records",
	"file names, folder structure, file contents",
	"the plaintext of anything: records and fragments are ciphertext",
	"which record or fragment belongs to which file",
	"a history of your logins (one log line per login goes to the "
	"operator's log, not to its database)",
};
#define NNOT (sizeof(not_stored) / sizeof(not_stored[0]))

static void
when(uint64_t t, char out[static 32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, 32, "%s", "-");
}

static unsigned
uptime_pct(const struct proto_know_peer *p)
{
	double a = p->hb_expected > 0 ? (double)p->hb_seen / (double)p->hb_expected : 0;

	return a > 1 ? 100 : (unsigned)(100.0 * a);
}

static void
print_text(const struct proto_whatdoyouknow_rep *k, const char *coord)
{
	char t1[32], t2[32], t3[32], hex[IDENT_HEXBYTES], salt[PWKEY_SALTBYTES * 2 + 1];
	char nh[65];

	printf("What the coordinator %s stores about you\n\n", coord);
	when(k->created, t1);
	printf("account\n  name          %s\n  created       %s\n", k->user, t1);
	printf("  password      not stored: it cannot be read, reset or recovered\n");
	printf("  key file      %u bytes: your master key, encrypted under a key made\n"
	    "                from your password (the coordinator cannot open it)\n",
	    (unsigned)k->keyfile_bytes);
	cli_human(k->params.memlimit, t1);
	printf("  key stretch   Argon2id, %llu passes, %s of memory\n",
	    (unsigned long long)k->params.opslimit, t1);
	sodium_bin2hex(salt, sizeof(salt), k->salt, sizeof(k->salt));
	printf("  salt          %s\n", salt);
	printf("  login key     %s\n"
	    "                (public: checks the signature your password makes)\n",
	    ident_pk_hex(k->login_pk, hex));
	printf("  hint          %s\n", k->hint[0] != '\0' ? k->hint : "(none)");
	cli_human(k->used, t1);
	cli_human(k->quota, t2);
	cli_human(k->earned, t3);
	printf("\nspace\n  used          %s (%llu bytes)\n  quota         %s\n"
	    "  earned        %s\n", t1, (unsigned long long)k->used, t2, t3);
	cli_human(k->record_bytes, t1);
	printf("\nrecords         %llu (%s, encrypted; ids are random), %llu deleted "
	    "(kept as an id and a version)\n", (unsigned long long)k->records, t1,
	    (unsigned long long)k->tombstones);
	cli_human(k->fragment_bytes, t1);
	printf("files           %llu objects, %llu fragments, %s, %llu copies on peers\n"
	    "                (names are hashes of ciphertext, object ids random)\n",
	    (unsigned long long)k->objects, (unsigned long long)k->fragments, t1,
	    (unsigned long long)k->copies);
	printf("\ndevices         %u computer(s) logged in\n", (unsigned)k->ndev);
	for (size_t i = 0; i < k->ndev; i++) {
		when(k->dev[i].bound, t1);
		when(k->dev[i].seen, t2);
		printf("  key %s\n    logged in %s, last seen %s\n",
		    ident_pk_hex(k->dev[i].pk, hex), t1, t2);
	}
	printf("\npeers you run   %u\n", (unsigned)k->npeers);
	for (size_t i = 0; i < k->npeers; i++) {
		const struct proto_know_peer *p = &k->peer[i];

		printf("  peer %s\n", ident_pk_hex(p->pk, hex));
		cli_human(p->capacity, t1);
		cli_human(p->used, t2);
		printf("    address %s, capacity %s, used %s%s\n", p->addr, t1, t2,
		    (p->flags & PROTO_PEER_DATACENTRE) ? ", data centre" : "");
		when(p->first_seen, t1);
		when(p->last_heartbeat, t2);
		printf("    first seen %s, last heartbeat %s\n", t1, t2);
		when(p->left_at, t3);
		printf("    %s; uptime %u%% (%llu of %llu heartbeats)%s%s\n",
		    p->online ? "online" : "offline", uptime_pct(p),
		    (unsigned long long)p->hb_seen, (unsigned long long)p->hb_expected,
		    p->left_at != 0 ? ", left at " : "", p->left_at != 0 ? t3 : "");
		printf("    %s; audits %llu passed, %llu wrong data, %llu missing, "
		    "%llu timeout; %u kept in its history\n",
		    proto_peer_state_name(p->state), (unsigned long long)p->passed,
		    (unsigned long long)p->wrong, (unsigned long long)p->missing,
		    (unsigned long long)p->timeout, (unsigned)p->audits_kept);
		if (p->last_reason != 0) {
			when(p->last_at, t1);
			sodium_bin2hex(nh, sizeof(nh), p->last_name, sizeof(p->last_name));
			printf("    last failure %s: fragment %.16s, %s\n", t1, nh,
			    proto_audit_reason_name(p->last_reason));
		}
		cli_human(p->held_bytes, t1);
		printf("    holds %llu fragment(s), %s\n", (unsigned long long)p->held, t1);
	}
	printf("\nlogins          %u failed login(s) counted against the account now\n"
	    "                (in memory only; one is forgotten every minute)\n",
	    (unsigned)k->failed_logins);
	printf("\nnot stored\n");
	for (size_t i = 0; i < NNOT; i++)
		printf("  - %s\n", not_stored[i]);
}

/* One JSON string member: ,"key":"escaped" (first: no comma). */
static void
jstr(const char *key, const char *v, int first)
{
	char buf[2 * PROTO_HINT_MAX + 16];

	json_str(buf, sizeof(buf), v);
	printf("%s\"%s\":%s", first ? "" : ",", key, buf);
}

static void
ju64(const char *key, uint64_t v)
{
	printf(",\"%s\":%llu", key, (unsigned long long)v);
}

static void
print_json(const struct proto_whatdoyouknow_rep *k, const char *coord)
{
	char hex[IDENT_HEXBYTES], salt[PWKEY_SALTBYTES * 2 + 1], nh[65];

	printf("{");
	jstr("coordinator", coord, 1);
	jstr("user", k->user, 0);
	ju64("created", k->created);
	printf(",\"kdf\":{\"alg\":\"argon2id\",\"opslimit\":%llu,\"memlimit\":%llu}",
	    (unsigned long long)k->params.opslimit,
	    (unsigned long long)k->params.memlimit);
	sodium_bin2hex(salt, sizeof(salt), k->salt, sizeof(k->salt));
	jstr("salt", salt, 0);
	ju64("keyfile_bytes", k->keyfile_bytes);
	jstr("login_pk", ident_pk_hex(k->login_pk, hex), 0);
	jstr("hint", k->hint, 0);
	ju64("used", k->used);
	ju64("quota", k->quota);
	ju64("earned", k->earned);
	ju64("records", k->records);
	ju64("record_bytes", k->record_bytes);
	ju64("tombstones", k->tombstones);
	ju64("objects", k->objects);
	ju64("fragments", k->fragments);
	ju64("fragment_bytes", k->fragment_bytes);
	ju64("copies", k->copies);
	ju64("failed_logins", k->failed_logins);
	printf(",\"devices\":[");
	for (size_t i = 0; i < k->ndev; i++) {
		printf("%s{", i > 0 ? "," : "");
		jstr("key", ident_pk_hex(k->dev[i].pk, hex), 1);
		ju64("bound", k->dev[i].bound);
		ju64("seen", k->dev[i].seen);
		printf("}");
	}
	printf("],\"peers\":[");
	for (size_t i = 0; i < k->npeers; i++) {
		const struct proto_know_peer *p = &k->peer[i];

		printf("%s{", i > 0 ? "," : "");
		jstr("key", ident_pk_hex(p->pk, hex), 1);
		jstr("addr", p->addr, 0);
		ju64("capacity", p->capacity);
		ju64("used", p->used);
		ju64("first_seen", p->first_seen);
		ju64("last_heartbeat", p->last_heartbeat);
		ju64("hb_seen", p->hb_seen);
		ju64("hb_expected", p->hb_expected);
		ju64("left_at", p->left_at);
		ju64("flags", p->flags);
		printf(",\"online\":%s", p->online ? "true" : "false");
		jstr("state", proto_peer_state_name(p->state), 0);
		ju64("audits_passed", p->passed);
		ju64("audits_wrong", p->wrong);
		ju64("audits_missing", p->missing);
		ju64("audits_timeout", p->timeout);
		jstr("last_failure", proto_audit_reason_name(p->last_reason), 0);
		sodium_bin2hex(nh, sizeof(nh), p->last_name, sizeof(p->last_name));
		jstr("last_failure_fragment", p->last_reason != 0 ? nh : "", 0);
		ju64("last_failure_at", p->last_at);
		ju64("audits_kept", p->audits_kept);
		ju64("fragments_held", p->held);
		ju64("bytes_held", p->held_bytes);
		printf("}");
	}
	printf("],\"not_stored\":[");
	for (size_t i = 0; i < NNOT; i++) {
		char buf[256];

		json_str(buf, sizeof(buf), not_stored[i]);
		printf("%s%s", i > 0 ? "," : "", buf);
	}
	printf("]}\n");
}

int
cmd_whatdoyouknow_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"home", required_argument, NULL, 'H'},
		{"password-file", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *home = NULL, *pwfile = NULL;
	struct dz_errmsg em = {{0}};
	struct proto_whatdoyouknow_rep *k = NULL;
	struct session *s = NULL;
	struct frame r;
	int c, json = 0, ex, rc;

	optind = 0;
	while ((c = cli_getopt(argc, argv, longopts, know_usage, &ex)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT: return ex;
		case 'H': home = optarg; break;
		case 'p': pwfile = optarg; break;
		case 'j': json = 1; break;
		default: /* an option in longopts that this switch forgot */
			cli_err("option '%s' is not handled (a bug)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("unexpected argument '%s' (try --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if ((ex = cli_session_open(home, pwfile, &s)) != 0)
		return ex;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		cli_err("out of memory");
		ex = EXIT_FAIL;
		goto out;
	}
	rc = session_call(s, PROTO_WHATDOYOUKNOW, NULL, 0, &r, &em);
	if (rc == 0) {
		if (r.type != PROTO_WHATDOYOUKNOW_REP)
			rc = dz_errf(&em, DZ_EFORMAT, "coordinator %s: unexpected reply",
			    s->coord_addr);
		else if ((rc = proto_whatdoyouknow_rep_decode(r.body, r.len, k)) != 0)
			dz_errf(&em, rc, "coordinator %s sent a malformed WHATDOYOUKNOW "
			    "reply", s->coord_addr);
		frame_free(&r);
	}
	if (rc != 0) {
		ex = cli_fail(rc, &em, "whatdoyouknow");
		goto out;
	}
	if (json)
		print_json(k, s->coord_addr);
	else
		print_text(k, s->coord_addr);
	ex = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
	free(k);
	session_close(s);
	return ex;
}
