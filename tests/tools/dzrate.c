/*
 * dzrate: measures the rate at which a peer serves or takes fragments, for
 * the rate-limit tests (tests/integration/400-402) and bench/ratelimit.sh.
 * Not part of Drizzle; never installed.
 *
 *   dzrate ADDR --put SIZE [--refused] [--for SECONDS] [--depth N]
 *     makes one valid fragment of SIZE bytes (random payload) and sends
 *     FRAG_PUTs of it over --conns TLS connections (default 1, at most 8;
 *     a throwaway key), --depth outstanding on each (default 16), for
 *     SECONDS (default 12; 0: one put). All connections count together.
 *     The peer stores it once and receives every copy; a put's bytes
 *     count when its answer comes, i.e. once the peer has read them
 *     all. With --refused the name is wrong in one bit: the peer reads
 *     each body whole and refuses it (the answers, ERRORs, count as
 *     well), so what is measured is the peer's reading alone, not the
 *     disk syncs that its acknowledgements of stored fragments wait for
 *     (on a busy disk those bunch the answers). Prints "name HEX" first.
 *     Peers store only with a placement ticket: --sign COORDDIR PEERDIR
 *     signs one with the coordinator's key (COORDDIR/identity.key) for the
 *     peer whose key is PEERDIR/identity.key, as PLACE would (with
 *     --refused the name no longer matches it: refused all the same).
 *   dzrate ADDR --get NAMEHEX [--for SECONDS] [--depth N]
 *     FRAG_GETs of fragment NAMEHEX, N outstanding; a reply's bytes count
 *     when it has arrived.
 *
 * Then, once a second, "sec I bytes B" (what completed in that second)
 * and at the end "total BYTES seconds S rate R" (bytes a second from the
 * first completion to the last) and, when the run lasted 10 s or more,
 * "window10 min MIN max MAX": the bytes a second over every 10 s window
 * (sampled every 100 ms) starting at the first completion, or --warmup
 * SECONDS after the start if later. Any other ERROR reply ends the run
 * (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <uv.h>

#include "core/cursor.h"
#include "core/frag.h"
#include "core/merkle.h"
#include "core/size.h"
#include "net/conn.h"
#include "net/ident.h"
#include "net/proto.h"
#include "net/ticket.h"
#include "net/tls.h"

#define SAMPLES_MAX 6000 /* 100 ms samples: 600 s */
#define CONNS_MAX 8

struct run {
	uv_loop_t *loop;
	struct conn *c[CONNS_MAX];
	unsigned nconns, open;
	uv_timer_t tick;
	int put;
	uint8_t name[PROTO_NAMEBYTES];
	uint8_t *body;          /* the FRAG_PUT or FRAG_GET body */
	struct ident *coord;    /* --sign: the coordinator's identity */
	uint8_t peer_pk[IDENT_PKBYTES]; /* --sign: the peer's key */
	size_t body_len, frag_len;
	unsigned depth, outstanding;
	double secs;
	uint64_t t0, tfirst, tlast; /* ns */
	uint64_t done, samples[SAMPLES_MAX];
	double warmup;
	size_t nsamples;
	uint64_t sec_bytes;     /* the sample last printed */
	size_t printed;
	unsigned sec;
	uint32_t reqid;
	int failed, stopping;
	int refused;            /* --refused: every put is refused */
};

static void
send_one(struct run *r, struct conn *c)
{
	if (conn_send_ref(c, r->put ? PROTO_FRAG_PUT : PROTO_FRAG_GET, ++r->reqid,
	    r->body, r->body_len, NULL, NULL) != 0) {
		fprintf(stderr, "dzrate: cannot send\n");
		r->failed = 1;
		conn_abort(c, DZ_EIO, "send");
		return;
	}
	r->outstanding++;
}

static void
finish(struct run *r)
{
	if (r->stopping)
		return;
	r->stopping = 1;
	uv_timer_stop(&r->tick);
	uv_close((uv_handle_t *)&r->tick, NULL);
	for (unsigned i = 0; i < r->nconns; i++)
		if (r->c[i] != NULL)
			conn_close(r->c[i]);
}

static void
on_frame(void *arg, struct conn *c, struct frame *f)
{
	struct run *r = arg;
	struct proto_error e;
	uint64_t now = uv_hrtime();

	r->outstanding--;
	if (f->type == PROTO_ERROR && !r->refused) {
		if (proto_error_decode(f->body, f->len, &e) == 0)
			fprintf(stderr, "dzrate: ERROR %d: %s\n", (int)e.code,
			    e.message);
		r->failed = 1;
		finish(r);
		return;
	}
	if (r->tfirst == 0)
		r->tfirst = now;
	r->tlast = now;
	r->done += r->put ? r->body_len : f->len;
	if (r->secs == 0) {
		finish(r);
		return;
	}
	if (!r->stopping && (double)(now - r->t0) < r->secs * 1e9)
		send_one(r, c);
	else if (r->outstanding == 0)
		finish(r);
}

static void
on_close(void *arg, struct conn *c, int err, const char *msg)
{
	struct run *r = arg;

	for (unsigned i = 0; i < r->nconns; i++)
		if (r->c[i] == c)
			r->c[i] = NULL; /* freed after this call */
	r->open--;
	if (err != 0 && !r->stopping) {
		fprintf(stderr, "dzrate: connection lost: %s\n", msg);
		r->failed = 1;
	}
	if (!r->stopping)
		finish(r);
}

static void
on_tick(uv_timer_t *t)
{
	struct run *r = t->data;

	if (r->tfirst != 0 && r->nsamples < SAMPLES_MAX &&
	    (double)(uv_hrtime() - r->t0) >= r->warmup * 1e9 && !r->stopping)
		r->samples[r->nsamples++] = r->done;
	if (r->nsamples > 0 && r->nsamples % 10 == 0 && r->nsamples != r->printed) {
		uint64_t b = r->samples[r->nsamples - 1];

		printf("sec %u bytes %llu\n", r->sec++,
		    (unsigned long long)(b - r->sec_bytes));
		fflush(stdout);
		r->sec_bytes = b;
		r->printed = r->nsamples;
	}
}

/* One valid fragment of len bytes: a 1-of-2 code's fragment 0. */
static int
make_frag(struct run *r, size_t len)
{
	struct frag_hdr h;
	struct merkle *m = NULL;
	struct proto_frag_put put;
	uint8_t *frag;
	struct wbuf w;

	if (len <= FRAG_HDRBYTES || len > PROTO_FRAG_MAX ||
	    frag_hdr_init(&h, 1, 2, 0, (uint32_t)(len - FRAG_HDRBYTES)) != 0)
		return -1;
	if ((frag = malloc(len)) == NULL || (r->body = malloc(len + 256)) == NULL)
		return -1;
	frag_hdr_encode(&h, frag);
	randombytes_buf(frag + FRAG_HDRBYTES, len - FRAG_HDRBYTES);
	if (merkle_new(len, &m) != 0 || merkle_build(m, frag, len, r->name) != 0)
		return -1;
	merkle_free(m);
	memset(&put, 0, sizeof(put));
	memcpy(put.name, r->name, sizeof(put.name));
	put.data = frag;
	put.len = len;
	if (r->coord != NULL) {
		put.has_ticket = 1;
		if (ticket_sign(&put.ticket, r->coord, 1, r->name, (uint32_t)len,
		    r->peer_pk, (uint64_t)time(NULL) + 3000) != 0)
			return -1;
	}
	wbuf_init(&w, r->body, len + 256);
	if (proto_frag_put_encode(&put, &w) != 0 || w.err != 0)
		return -1;
	r->body_len = w.len;
	free(frag);
	return 0;
}

/* The coordinator's identity in coorddir and the key of the peer in
 * peerdir, to sign placement tickets with. */
static int
load_signer(struct run *r, const char *coorddir, const char *peerdir)
{
	char path[4096];
	struct ident *peer = NULL;
	struct dz_errmsg em = {{0}};
	int created = 0;

	snprintf(path, sizeof(path), "%s/identity.key", coorddir);
	if (ident_load_or_create(path, &r->coord, &created, &em) != 0 || created) {
		fprintf(stderr, "dzrate: no coordinator key in %s\n", coorddir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/identity.key", peerdir);
	if (ident_load_or_create(path, &peer, &created, &em) != 0 || created) {
		fprintf(stderr, "dzrate: no peer key in %s\n", peerdir);
		ident_free(peer);
		return -1;
	}
	memcpy(r->peer_pk, peer->pk, sizeof(r->peer_pk));
	ident_free(peer);
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: dzrate ADDR --put SIZE [--refused] [--sign COORDDIR PEERDIR] | --get NAMEHEX "
	    "[--for SECONDS] [--conns N] [--depth N] [--warmup SECONDS]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static struct run r;
	struct conn_cbs cbs = {0};
	struct dz_errmsg em = {{0}};
	struct ident *id = NULL;
	struct tls_ctx *tls = NULL;
	const char *addr, *what = NULL;
	char hex[65];
	uint64_t v, best_lo = UINT64_MAX, best_hi = 0;
	uv_loop_t loop;
	double el;

	if (argc < 3 || sodium_init() < 0)
		return usage();
	addr = argv[1];
	r.secs = 12;
	r.depth = 16;
	r.nconns = 1;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--refused") == 0) {
			r.refused = 1;
			continue;
		}
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--put") == 0 || strcmp(argv[i], "--get") == 0) {
			r.put = argv[i][2] == 'p';
			what = argv[++i];
		} else if (strcmp(argv[i], "--sign") == 0 && i + 2 < argc) {
			if (load_signer(&r, argv[i + 1], argv[i + 2]) != 0)
				return 1;
			i += 2;
		} else if (strcmp(argv[i], "--for") == 0) {
			r.secs = atof(argv[++i]);
		} else if (strcmp(argv[i], "--warmup") == 0) {
			r.warmup = atof(argv[++i]);
		} else if (strcmp(argv[i], "--conns") == 0) {
			r.nconns = (unsigned)atoi(argv[++i]);
		} else if (strcmp(argv[i], "--depth") == 0) {
			r.depth = (unsigned)atoi(argv[++i]);
		} else {
			return usage();
		}
	}
	if (what == NULL || r.depth == 0 || r.nconns == 0 || r.nconns > CONNS_MAX || r.secs < 0 || r.secs > 500)
		return usage();
	if (r.put) {
		if (size_parse(what, &v) != 0 || make_frag(&r, (size_t)v) != 0) {
			fprintf(stderr, "dzrate: cannot make a fragment of %s bytes\n", what);
			return 1;
		}
		merkle_hex(r.name, hex);
		printf("name %s\n", hex);
		if (r.refused)
			r.body[0] ^= 1; /* FRAG_PUT starts with the name */
	} else {
		if (ident_pk_parse(what, r.name) != 0)
			return usage();
		r.body = malloc(PROTO_NAMEBYTES);
		memcpy(r.body, r.name, PROTO_NAMEBYTES);
		r.body_len = PROTO_NAMEBYTES;
	}
	if (r.secs == 0)
		r.depth = r.nconns = 1;
	if (ident_generate(&id) != 0 ||
	    tls_ctx_new(id, TLS_ROLE_CLIENT, &tls, &em) != 0) {
		fprintf(stderr, "dzrate: no TLS context: %s\n", em.text);
		return 1;
	}
	uv_loop_init(&loop);
	r.loop = &loop;
	cbs.on_frame = on_frame;
	cbs.on_close = on_close;
	cbs.arg = &r;
	for (unsigned i = 0; i < r.nconns; i++) {
		if (conn_connect(&loop, tls, addr, NULL, NULL, &cbs, &r.c[i], &em) != 0) {
			fprintf(stderr, "dzrate: cannot connect to %s: %s\n", addr, em.text);
			return 1;
		}
		r.open++;
	}
	uv_timer_init(&loop, &r.tick);
	r.tick.data = &r;
	uv_timer_start(&r.tick, on_tick, 100, 100);
	r.t0 = uv_hrtime();
	for (unsigned i = 0; i < r.nconns; i++)
		for (unsigned j = 0; j < r.depth; j++)
			send_one(&r, r.c[i]);
	uv_run(&loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&loop);
	tls_ctx_unref(tls);
	ident_free(id);
	free(r.body);
	if (r.failed)
		return 1;
	el = (double)(r.tlast - r.tfirst) / 1e9;
	printf("total %llu seconds %.3f rate %.0f\n", (unsigned long long)r.done,
	    el, el > 0 ? (double)r.done / el : 0.0);
	for (size_t i = 0; i + 100 < r.nsamples; i++) {
		uint64_t b = r.samples[i + 100] - r.samples[i];

		best_lo = b < best_lo ? b : best_lo;
		best_hi = b > best_hi ? b : best_hi;
	}
	if (best_hi > 0)
		printf("window10 min %llu max %llu\n", (unsigned long long)(best_lo / 10),
		    (unsigned long long)(best_hi / 10));
	return 0;
}
