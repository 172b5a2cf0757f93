/*
 * dzflood: the attacker of the flood tests (tests/integration/220, 225).
 * Not part of Drizzle; never installed.
 *
 *   dzflood ADDR [--idle N] [--garbage N] [--stall N] [--for SECONDS]
 *     holds N idle TCP connections to ADDR, N that send random bytes
 *     every 50 ms, and N that send the start of a TLS ClientHello and then
 *     stall; every connection the server closes is opened again (at most
 *     200 a second per kind), so the pressure lasts. Prints "ready" once
 *     all are open, and "opened X closed Y" when it ends.
 *   dzflood ADDR --getpipe NAMEHEX --count N [--for SECONDS]
 *   dzflood ADDR --auditpipe NAMEHEX --count N [--for SECONDS]
 *     a TLS client (a throwaway key) that sends N FRAG_GET (or AUDIT, of
 *     the fragment's blocks in turn, after one AUDIT read back to learn
 *     how many it has) of fragment NAMEHEX at once and then reads
 *     nothing. Prints "sent N". On SIGUSR1 it starts reading: it judges
 *     every reply (an AUDIT_REP must hold a proof that verifies against
 *     the name, the fragment's Merkle root) and prints "read R ok O
 *     error E bad B" once it has the N replies or the time is up.
 *
 * Either ends at SIGTERM, SIGINT or after --for seconds (default 120), so
 * a test that dies cannot leave it running for long.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <sodium.h>

#include "core/cursor.h"
#include "core/merkle.h"
#include "net/frame.h"
#include "net/ident.h"
#include "net/netaddr.h"
#include "net/proto.h"
#include "net/tls.h"

enum kind { K_IDLE, K_GARBAGE, K_STALL, K_N };

struct slot {
	int fd;
	enum kind kind;
};

static volatile sig_atomic_t stop, drain;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		drain = 1;
	else
		stop = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
usage(void)
{
	fprintf(stderr, "usage: dzflood ADDR [--idle N] [--garbage N] [--stall N] "
	    "[--for S]\n       dzflood ADDR --getpipe|--auditpipe NAMEHEX --count N "
	    "[--for S] [--identity SEEDFILE]\n");
	return 2;
}

/* A non-blocking connect to sa; -1 on failure. */
static int
dial(const struct sockaddr_storage *sa, int blocking)
{
	socklen_t len = sa->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	int fd = socket(sa->ss_family, SOCK_STREAM | (blocking ? 0 : SOCK_NONBLOCK), 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, len) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The first bytes a stalled handshake sends: a TLS record header that
 * announces a 512-byte ClientHello, and only part of it. */
static void
stall_start(int fd)
{
	static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01,
	    0x00, 0x01, 0xfc, 0x03, 0x03};

	(void)send(fd, hello, sizeof(hello), MSG_NOSIGNAL);
}

static int
flood(const struct sockaddr_storage *sa, const unsigned want[K_N],
    unsigned secs)
{
	unsigned total = want[K_IDLE] + want[K_GARBAGE] + want[K_STALL], i, k;
	struct slot *s = calloc(total, sizeof(*s));
	struct pollfd *pf = calloc(total, sizeof(*pf));
	uint64_t end = now_ms() + (uint64_t)secs * 1000, last_garbage = 0;
	uint64_t opened = 0, closed = 0, tick = 0;
	unsigned budget = 0, ready = 0;
	uint8_t junk[64], sink[4096];

	if (s == NULL || pf == NULL)
		return 1;
	for (i = 0, k = 0; k < K_N; k++)
		for (unsigned j = 0; j < want[k]; j++, i++) {
			s[i].fd = -1;
			s[i].kind = (enum kind)k;
		}
	while (!stop && now_ms() < end) {
		/* reopen what is closed, at most 200 a second per kind */
		if (now_ms() / 1000 != tick) {
			tick = now_ms() / 1000;
			budget = 200 * K_N;
		}
		for (i = 0; i < total; i++) {
			if (s[i].fd >= 0 || (ready && budget == 0))
				continue;
			if ((s[i].fd = dial(sa, 0)) < 0)
				continue;
			opened++;
			if (ready)
				budget--;
			if (s[i].kind == K_STALL)
				stall_start(s[i].fd);
		}
		if (!ready) {
			ready = 1;
			printf("ready\n");
			fflush(stdout);
		}
		if (now_ms() - last_garbage >= 50) {
			last_garbage = now_ms();
			for (i = 0; i < total; i++)
				if (s[i].fd >= 0 && s[i].kind == K_GARBAGE) {
					randombytes_buf(junk, sizeof(junk));
					(void)send(s[i].fd, junk, sizeof(junk), MSG_NOSIGNAL);
				}
		}
		for (i = 0; i < total; i++) {
			pf[i].fd = s[i].fd;
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		if (poll(pf, total, 50) < 0 && errno != EINTR)
			break;
		for (i = 0; i < total; i++) {
			ssize_t n;

			if (s[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			n = recv(s[i].fd, sink, sizeof(sink), 0);
			if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
				continue;
			close(s[i].fd);
			s[i].fd = -1;
			closed++;
		}
	}
	for (i = 0; i < total; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	printf("opened %llu closed %llu\n", (unsigned long long)opened,
	    (unsigned long long)closed);
	free(s);
	free(pf);
	return 0;
}

/* A pipelining client: one TLS connection (a throwaway key) to a peer. */
struct pipe {
	SSL *ssl;
	int fd;
	uint16_t type;                  /* PROTO_FRAG_GET or PROTO_AUDIT */
	uint8_t name[PROTO_NAMEBYTES];
	uint32_t nleaves;               /* AUDIT: the fragment's, from a probe */
	struct frame_dec dec;
	uint8_t rbuf[65536];
	size_t roff, rlen;              /* unconsumed bytes of rbuf */
};

/* Body of request i (reqid i + 1): the fragment, and for AUDIT the leaf
 * i mod nleaves, so every block of it is asked for in turn. */
static int
pipe_encode(const struct pipe *pp, uint32_t i, struct wbuf *w)
{
	if (pp->type == PROTO_AUDIT) {
		struct proto_audit m;

		memcpy(m.name, pp->name, sizeof(m.name));
		m.leaf = pp->nleaves > 0 ? i % pp->nleaves : 0;
		return proto_audit_encode(&m, w);
	}
	struct proto_frag_get m;

	memcpy(m.name, pp->name, sizeof(m.name));
	return proto_frag_get_encode(&m, w);
}

/* The next frame into *f: 1, 0 when the deadline passes (or stop) first,
 * -1 when the connection fails. Reads wait at most 200 ms at a time. */
static int
pipe_read(struct pipe *pp, uint64_t end, struct frame *f)
{
	while (!stop && now_ms() < end) {
		size_t used = 0;
		int rc, n;

		if (pp->roff < pp->rlen) {
			rc = frame_dec_feed(&pp->dec, pp->rbuf + pp->roff,
			    pp->rlen - pp->roff, &used, f);
			pp->roff += used;
			if (rc != 0)
				return rc == 1 ? 1 : -1;
			continue;
		}
		n = SSL_read(pp->ssl, pp->rbuf, sizeof(pp->rbuf));
		if (n > 0) {
			pp->roff = 0;
			pp->rlen = (size_t)n;
		} else {
			/* the 200 ms receive timeout shows as a retry */
			int e = SSL_get_error(pp->ssl, n);

			if (e != SSL_ERROR_WANT_READ && (e != SSL_ERROR_SYSCALL ||
			    (errno != EAGAIN && errno != EINTR)))
				return -1;
		}
	}
	return 0;
}

/* A reply to request reqid: 1 if it is the right answer (for AUDIT, a
 * proof that verifies against the fragment's name, the Merkle root),
 * 0 if it is an ERROR, -1 if it is anything else. */
static int
pipe_judge(const struct pipe *pp, const struct frame *f)
{
	struct proto_audit_rep r;

	if (f->type == PROTO_ERROR)
		return 0;
	if (pp->type == PROTO_FRAG_GET)
		return f->type == PROTO_FRAG_GET_REP ? 1 : -1;
	if (f->type != PROTO_AUDIT_REP || f->reqid == 0 ||
	    proto_audit_rep_decode(f->body, f->len, &r) != 0 ||
	    (pp->nleaves != 0 && r.nleaves != pp->nleaves))
		return -1;
	return merkle_verify(pp->name, r.nleaves, pp->nleaves != 0 ?
	    (f->reqid - 1) % pp->nleaves : 0, r.block, r.block_len, r.path,
	    r.npath) == 0 ? 1 : -1;
}

/* Send count requests at once, as few TLS records as can hold them;
 * returns how many went out whole (a write stuck for 10 s ends it). */
static unsigned
pipe_send(struct pipe *pp, unsigned count)
{
	uint8_t buf[16000];
	unsigned i = 0, batch;
	size_t len = 0;
	struct wbuf w;

	while (i < count && !stop) {
		for (batch = 0, len = 0; i + batch < count &&
		    len + FRAME_HDRBYTES + 64 <= sizeof(buf); batch++) {
			wbuf_init(&w, buf + len + FRAME_HDRBYTES, 64);
			if (pipe_encode(pp, i + batch, &w) != 0 || w.err != 0 ||
			    frame_hdr_encode(buf + len, pp->type, i + batch + 1, w.len) != 0)
				return i;
			len += FRAME_HDRBYTES + w.len;
		}
		if (SSL_write(pp->ssl, buf, (int)len) <= 0)
			return i;
		i += batch;
	}
	return i;
}

/* The connection, and for AUDIT a first request read back to learn how
 * many blocks the fragment has. */
static int
pipe_open(struct pipe *pp, const struct sockaddr_storage *sa,
    struct tls_ctx *tls, uint64_t end)
{
	struct timeval tv = {10, 0}, rtv = {0, 200000};
	struct proto_audit_rep r;
	struct frame f = {0};
	struct wbuf w;
	uint8_t buf[FRAME_HDRBYTES + 64];

	if ((pp->fd = dial(sa, 1)) < 0 || (pp->ssl = tls_ssl_new(tls)) == NULL ||
	    SSL_set_fd(pp->ssl, pp->fd) != 1 || SSL_connect(pp->ssl) != 1) {
		fprintf(stderr, "dzflood: cannot connect with TLS\n");
		return -1;
	}
	(void)setsockopt(pp->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(pp->fd, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof(rtv));
	frame_dec_init(&pp->dec, FRAME_MAX);
	if (pp->type != PROTO_AUDIT)
		return 0;
	wbuf_init(&w, buf + FRAME_HDRBYTES, 64);
	if (pipe_encode(pp, 0, &w) != 0 || w.err != 0 ||
	    frame_hdr_encode(buf, PROTO_AUDIT, 0, w.len) != 0 ||
	    SSL_write(pp->ssl, buf, (int)(FRAME_HDRBYTES + w.len)) <= 0 ||
	    pipe_read(pp, end, &f) != 1) {
		fprintf(stderr, "dzflood: the first AUDIT got no answer\n");
		frame_free(&f);
		return -1;
	}
	if (f.type == PROTO_ERROR) {
		struct proto_error e;

		/* said on stdout: a test may expect the refusal */
		printf("refused %d\n", proto_error_decode(f.body, f.len, &e) == 0 ?
		    (int)e.code : 0);
		fflush(stdout);
		frame_free(&f);
		return -1;
	}
	if (f.type != PROTO_AUDIT_REP ||
	    proto_audit_rep_decode(f.body, f.len, &r) != 0) {
		fprintf(stderr, "dzflood: the first AUDIT got no AUDIT_REP\n");
		frame_free(&f);
		return -1;
	}
	pp->nleaves = r.nleaves;
	frame_free(&f);
	return 0;
}

/* --getpipe / --auditpipe: count requests at once, then nothing read
 * until SIGUSR1 (or the end); after it, the replies are read and judged. */
static int
pipeline(const struct sockaddr_storage *sa, uint16_t type, const char *namehex,
    unsigned count, unsigned secs, const char *idfile)
{
	struct pipe *pp = calloc(1, sizeof(*pp));
	struct tls_ctx *tls = NULL;
	struct ident *id = NULL;
	struct dz_errmsg em = {{0}};
	uint64_t end = now_ms() + (uint64_t)secs * 1000, got = 0, okn = 0, errn = 0, bad = 0;
	unsigned sent;
	struct frame f;
	int rc = 1;

	/* a fragment name is 64 hex digits, as a key is */
	if (pp == NULL || ident_pk_parse(namehex, pp->name) != 0) {
		fprintf(stderr, "dzflood: bad fragment name %s\n", namehex);
		free(pp);
		return 2;
	}
	pp->type = type;
	pp->fd = -1;
	if ((idfile != NULL ? ident_load_or_create(idfile, &id, NULL, &em) :
	    ident_generate(&id)) != 0 ||
	    tls_ctx_new(id, TLS_ROLE_CLIENT, &tls, &em) != 0) {
		fprintf(stderr, "dzflood: identity: %s\n", em.text);
		goto out;
	}
	if (pipe_open(pp, sa, tls, end) != 0)
		goto out;
	sent = pipe_send(pp, count);
	printf("sent %u\n", sent);
	fflush(stdout);
	while (!stop && !drain && now_ms() < end) /* never read */
		usleep(50000);
	if (drain) {
		while (got < sent) {
			int r = pipe_read(pp, end, &f);

			if (r != 1)
				break;
			got++;
			switch (pipe_judge(pp, &f)) {
			case 1: okn++; break;
			case 0: errn++; break;
			default: bad++; break;
			}
			frame_free(&f);
		}
		printf("read %llu ok %llu error %llu bad %llu\n",
		    (unsigned long long)got, (unsigned long long)okn,
		    (unsigned long long)errn, (unsigned long long)bad);
		fflush(stdout);
	}
	rc = 0;
out:
	if (pp->ssl != NULL)
		SSL_free(pp->ssl);
	if (pp->fd >= 0)
		close(pp->fd);
	frame_dec_free(&pp->dec);
	free(pp);
	tls_ctx_unref(tls);
	ident_free(id);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned want[K_N] = {0}, count = 0, secs = 120;
	const char *namehex = NULL;
	uint16_t type = 0;
	const char *idfile = NULL; /* --identity: a seed file to show */
	struct sockaddr_storage sa;
	struct sigaction act;
	struct rlimit rl;
	int i;

	if (argc < 2 || sodium_init() < 0)
		return usage();
	if (netaddr_parse(argv[1], 0, &sa, NULL) != 0)
		return usage();
	for (i = 2; i + 1 < argc; i += 2) {
		unsigned v = (unsigned)strtoul(argv[i + 1], NULL, 10);

		if (strcmp(argv[i], "--idle") == 0)
			want[K_IDLE] = v;
		else if (strcmp(argv[i], "--garbage") == 0)
			want[K_GARBAGE] = v;
		else if (strcmp(argv[i], "--stall") == 0)
			want[K_STALL] = v;
		else if (strcmp(argv[i], "--for") == 0)
			secs = v;
		else if (strcmp(argv[i], "--count") == 0)
			count = v;
		else if (strcmp(argv[i], "--identity") == 0)
			idfile = argv[i + 1];
		else if (strcmp(argv[i], "--getpipe") == 0 ||
		    strcmp(argv[i], "--auditpipe") == 0) {
			namehex = argv[i + 1];
			type = argv[i][2] == 'g' ? PROTO_FRAG_GET : PROTO_AUDIT;
		}
		else
			return usage();
	}
	if (i != argc)
		return usage();
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGUSR1, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* as many descriptors as the hard limit allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (namehex != NULL)
		return pipeline(&sa, type, namehex, count, secs, idfile);
	return flood(&sa, want, secs);
}
