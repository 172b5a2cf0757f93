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
 *     a TLS client (a throwaway key) that sends N FRAG_GET of fragment
 *     NAMEHEX at once and never reads a byte. Prints "sent N".
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
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <sodium.h>

#include "core/cursor.h"
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

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
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
	    "[--for S]\n       dzflood ADDR --getpipe NAMEHEX --count N [--for S]\n");
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

static int
getpipe(const struct sockaddr_storage *sa, const char *namehex,
    unsigned count, unsigned secs)
{
	uint8_t name[PROTO_NAMEBYTES], buf[FRAME_HDRBYTES + 64];
	struct proto_frag_get m;
	struct tls_ctx *tls = NULL;
	struct ident *id = NULL;
	struct dz_errmsg em = {{0}};
	struct wbuf w;
	uint64_t end = now_ms() + (uint64_t)secs * 1000;
	unsigned i;
	SSL *ssl;
	int fd;

	/* a fragment name is 64 hex digits, as a key is */
	if (ident_pk_parse(namehex, name) != 0) {
		fprintf(stderr, "dzflood: bad fragment name %s\n", namehex);
		return 2;
	}
	memcpy(m.name, name, sizeof(name));
	if (ident_generate(&id) != 0 ||
	    tls_ctx_new(id, TLS_ROLE_CLIENT, &tls, &em) != 0) {
		fprintf(stderr, "dzflood: identity: %s\n", em.text);
		return 1;
	}
	if ((fd = dial(sa, 1)) < 0 || (ssl = tls_ssl_new(tls)) == NULL ||
	    SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
		fprintf(stderr, "dzflood: cannot connect with TLS\n");
		return 1;
	}
	for (i = 0; i < count && !stop; i++) {
		wbuf_init(&w, buf + FRAME_HDRBYTES, sizeof(buf) - FRAME_HDRBYTES);
		if (proto_frag_get_encode(&m, &w) != 0 || w.err != 0 ||
		    frame_hdr_encode(buf, PROTO_FRAG_GET, i + 1, w.len) != 0 ||
		    SSL_write(ssl, buf, (int)(FRAME_HDRBYTES + w.len)) <= 0) {
			fprintf(stderr, "dzflood: send %u failed\n", i);
			return 1;
		}
	}
	printf("sent %u\n", i);
	fflush(stdout);
	while (!stop && now_ms() < end) /* never read */
		usleep(50000);
	SSL_free(ssl);
	close(fd);
	tls_ctx_unref(tls);
	ident_free(id);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned want[K_N] = {0}, count = 0, secs = 120;
	const char *namehex = NULL;
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
		else if (strcmp(argv[i], "--getpipe") == 0)
			namehex = argv[i + 1];
		else
			return usage();
	}
	if (i != argc)
		return usage();
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* as many descriptors as the hard limit allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (namehex != NULL)
		return getpipe(&sa, namehex, count, secs);
	return flood(&sa, want, secs);
}
