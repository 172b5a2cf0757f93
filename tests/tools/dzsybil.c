/*
 * dzsybil: the Sybil attacker of the admission test (tests/integration/
 * 420). Not part of Drizzle; never installed.
 *
 *   dzsybil --home DIR --count N --mode MODE [--password-file F] [--for S]
 *     registers N peers with the coordinator of the profile at DIR, each
 *     with a throwaway key, all from this one process and address,
 *     claiming 2^62 bytes free at 127.0.0.1:9 (where nothing listens: a
 *     peer that takes fragments and loses them). MODE: bound (each peer
 *     bound to DIR's account by its device key, which needs the
 *     password), nobind (no binding), forged (a binding signed by a key
 *     that is no device of the account), datacentre (claims the operator
 *     flag). Prints "key HEX" for each peer admitted, "refused: MESSAGE"
 *     for the first refusal, then "registered R refused F" and keeps the
 *     admitted ones online (a heartbeat a second) until SIGTERM or --for
 *     seconds (default 120).
 *   dzsybil --home DIR --place N [--password-file F]
 *     as DIR's account, asks PLACE for N fragments of 64 KiB and prints
 *     the key of each peer in the reply, one a line.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client/profile.h"
#include "client/session.h"
#include "net/ident.h"
#include "net/pbind.h"
#include "net/proto.h"
#include "net/rpc.h"
#include "net/tls.h"

#define MAXN 256

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static void
die(const char *what, int rc, const struct dz_errmsg *em)
{
	fprintf(stderr, "dzsybil: %s: %s\n", what,
	    em != NULL && em->text[0] ? em->text : dz_strerror(rc));
	exit(1);
}

static void
read_pw(const char *file, char *pw, size_t cap)
{
	FILE *f = fopen(file, "r");

	if (f == NULL || fgets(pw, (int)cap, f) == NULL)
		die("password file", DZ_EIO, NULL);
	fclose(f);
	pw[strcspn(pw, "\n")] = '\0';
}

/* One call on r; the answer's type, and an ERROR's text into msg. */
static int
call(struct rpc *r, const char *addr, const uint8_t *pk, uint16_t type,
    const void *body, size_t len, struct frame *resp, char *msg, size_t cap)
{
	struct dz_errmsg em = {{0}};
	struct proto_error e;
	int rc = rpc_call(r, addr, pk, type, body, len, 10000, resp, &em);

	if (rc != 0) {
		snprintf(msg, cap, "%s", em.text[0] ? em.text : dz_strerror(rc));
		return rc;
	}
	if (resp->type == PROTO_ERROR) {
		rc = proto_error_decode(resp->body, resp->len, &e) == 0 ? e.code : DZ_EFORMAT;
		snprintf(msg, cap, "%s", rc == DZ_EFORMAT ? "bad ERROR" : e.message);
		frame_free(resp);
		return rc != 0 ? rc : DZ_EFORMAT;
	}
	return 0;
}

static int
place(struct session *s, unsigned n)
{
	struct proto_place q = {0};
	struct proto_place_rep *rep = calloc(1, sizeof(*rep));
	static uint8_t names[PROTO_PLACE_MAX][PROTO_NAMEBYTES];
	uint8_t buf[64 + sizeof(names)];
	char msg[512], hex[IDENT_HEXBYTES];
	struct frame resp = {0};
	struct wbuf w;
	int rc;

	q.n = (uint8_t)n;
	q.frag_size = 65536;
	/* names of fragments that will never be sent: tickets for nothing */
	randombytes_buf(names, sizeof(names));
	q.names = (const uint8_t (*)[PROTO_NAMEBYTES])names;
	wbuf_init(&w, buf, sizeof(buf));
	if (rep == NULL || proto_place_encode(&q, &w) != 0)
		die("encode PLACE", DZ_EINVAL, NULL);
	if ((rc = call(s->rpc, s->coord_addr, s->coord_pk, PROTO_PLACE, buf, w.len,
	    &resp, msg, sizeof(msg))) != 0) {
		printf("refused: %s\n", msg);
		free(rep);
		return 1;
	}
	if (proto_place_rep_decode(resp.body, resp.len, rep) != 0)
		die("PLACE_REP", DZ_EFORMAT, NULL);
	for (size_t i = 0; i < rep->npeers; i++)
		printf("%s\n", ident_pk_hex(rep->peers[i].pk, hex));
	frame_free(&resp);
	free(rep);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *home = NULL, *pwfile = NULL, *mode = "bound";
	unsigned count = 0, placen = 0, forsec = 120, admitted = 0, refused = 0;
	static struct rpc *rp[MAXN];
	static struct ident *ids[MAXN];
	struct session *s = NULL;
	struct profile *pr = calloc(1, sizeof(*pr));
	struct dz_errmsg em = {{0}};
	struct ident *fake = NULL;
	char pw[256] = "", msg[512], hex[IDENT_HEXBYTES];
	int rc;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--home") == 0) home = argv[i + 1];
		else if (strcmp(argv[i], "--password-file") == 0) pwfile = argv[i + 1];
		else if (strcmp(argv[i], "--mode") == 0) mode = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0) count = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--place") == 0) placen = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--for") == 0) forsec = (unsigned)atoi(argv[i + 1]);
		else die(argv[i], DZ_EINVAL, NULL);
	}
	if (sodium_init() < 0 || pr == NULL || home == NULL || count > MAXN)
		die("usage", DZ_EINVAL, NULL);
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	if ((rc = profile_load(home, pr, &em)) != 0 || !pr->have_coordinator)
		die("profile", rc != 0 ? rc : DZ_ENOENT, &em);
	if (placen > 0 || strcmp(mode, "bound") == 0) {
		if (pwfile == NULL)
			die("--password-file", DZ_EINVAL, NULL);
		read_pw(pwfile, pw, sizeof(pw));
		if ((rc = session_open(home, pw, strlen(pw), &s, &em)) != 0)
			die("session", rc, &em);
	}
	if (placen > 0) {
		rc = place(s, placen);
		goto out; /* with the session and profile released */
	}
	if (ident_generate(&fake) != 0)
		die("key", DZ_ENOMEM, NULL);
	for (unsigned i = 0; i < count; i++) {
		struct proto_peer_register m;
		struct tls_ctx *tls = NULL;
		struct frame resp = {0};
		struct pbind b;
		uint8_t buf[512];
		struct wbuf w;

		if (ident_generate(&ids[i]) != 0 ||
		    tls_ctx_new(ids[i], TLS_ROLE_CLIENT, &tls, &em) != 0 ||
		    rpc_new(tls, NULL, &rp[i], &em) != 0)
			die("client", DZ_EIO, &em);
		tls_ctx_unref(tls);
		memset(&m, 0, sizeof(m));
		snprintf(m.addr, sizeof(m.addr), "127.0.0.1:9");
		m.capacity = 1ULL << 62;
		if (strcmp(mode, "datacentre") == 0)
			m.flags = PROTO_PEER_DATACENTRE;
		if (strcmp(mode, "bound") == 0 || strcmp(mode, "forged") == 0) {
			memset(&b, 0, sizeof(b));
			memcpy(b.peer_pk, ids[i]->pk, IDENT_PKBYTES);
			memcpy(b.coord_pk, pr->coord_pk, IDENT_PKBYTES);
			b.issued = (uint64_t)time(NULL);
			snprintf(b.name, sizeof(b.name), "%s", pr->user);
			if (pbind_sign(&b, s != NULL ? s->id : fake) != 0)
				die("sign", DZ_EINVAL, NULL);
			snprintf(m.owner, sizeof(m.owner), "%s", b.name);
			memcpy(m.device, b.device_pk, sizeof(m.device));
			m.issued = b.issued;
			memcpy(m.sig, b.sig, sizeof(m.sig));
		}
		wbuf_init(&w, buf, sizeof(buf));
		if (proto_peer_register_encode(&m, &w) != 0)
			die("encode", DZ_EINVAL, NULL);
		rc = call(rp[i], pr->coord_addr, pr->coord_pk, PROTO_PEER_REGISTER,
		    buf, w.len, &resp, msg, sizeof(msg));
		if (rc == 0) {
			frame_free(&resp);
			printf("key %s\n", ident_pk_hex(ids[i]->pk, hex));
			admitted++;
		} else {
			if (refused++ == 0)
				printf("refused: %s\n", msg);
			rpc_free(rp[i]);
			rp[i] = NULL;
		}
	}
	printf("registered %u refused %u\n", admitted, refused);
	fflush(stdout);
	for (unsigned t = 0; !stop && t < forsec; t++) {
		uint8_t hb[24];
		struct proto_peer_heartbeat h = {1ULL << 62, 0, 0};
		struct wbuf w;

		sleep(1);
		wbuf_init(&w, hb, sizeof(hb));
		if (proto_peer_heartbeat_encode(&h, &w) != 0)
			break;
		for (unsigned i = 0; i < count && !stop; i++) {
			struct frame resp = {0};

			if (rp[i] != NULL &&
			    call(rp[i], pr->coord_addr, pr->coord_pk, PROTO_PEER_HEARTBEAT,
			    hb, w.len, &resp, msg, sizeof(msg)) == 0)
				frame_free(&resp);
		}
	}
	rc = 0;
out:
	for (unsigned i = 0; i < count; i++) {
		rpc_free(rp[i]);
		ident_free(ids[i]);
	}
	ident_free(fake);
	session_close(s);
	sodium_memzero(pw, sizeof(pw));
	free(pr);
	return rc;
}
