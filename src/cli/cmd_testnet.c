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
 *   DIR/peer-I/          peer I's data (I = 1..N); pid: its process id;
 *                        log: its stdout and stderr (appended)
 *
 * The network is ready once every peer has logged that it registered with
 * the coordinator (the coordinator answers no unauthenticated question
 * about its registry, so the peers' logs are what testnet watches, from
 * the offset each log had when the peer started). Then testnet prints
 * "ready ADDR" on stdout and supervises: a child that dies is reported on
 * stderr and the others keep running. SIGINT, SIGTERM or SIGHUP stop
 * every child (SIGTERM, then SIGKILL after STOP_GRACE_S seconds) and
 * testnet exits 0. Signals are taken through a signalfd, so nothing runs
 * in a signal handler; children run in their own process groups (a ^C on
 * the terminal reaches testnet alone, which stops each child exactly once)
 * and get SIGTERM from the kernel if testnet itself is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/fsio.h"

#define TESTNET_PEERS_MAX 255
#define TESTNET_TIMEOUT_DEFAULT 30 /* seconds to reach ready */
#define TESTNET_CAPACITY_DEFAULT "1G"
#define STOP_GRACE_S 5      /* between SIGTERM and SIGKILL at stop */
#define POLL_MS 50          /* how often logs are read before ready */
#define LOG_SCAN_MAX 262144 /* bytes of a log searched for a line */
#define LOG_TAIL_LINES 20   /* lines shown of a failing child's log */

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
    "  --quiet            no summary of the network on stderr\n"
    "  --help, -h         this text\n"
    "\n"
    "example:\n"
    "  drizzle testnet --dir /tmp/net --peers 12 --capacity 256M\n"
    "\n"
    "Exit codes: 0 stopped by a signal, 1 the network could not start (the\n"
    "failing child's log is shown), 2 bad command line.\n";

struct child {
	char name[24];   /* "coordinator", "peer 7": for messages */
	char *datadir;   /* --data of the child */
	char *logpath;   /* its stdout and stderr */
	char *pidpath;   /* where its pid is written */
	off_t log_start; /* size of the log when it was started */
	pid_t pid;       /* 0: not running (never started, or reaped) */
	int ready;       /* coordinator: listening; peer: registered */
	int status;      /* wait status once reaped */
	int stopping;    /* sent SIGTERM by stop_all */
	char addr[64];   /* the address it printed, once known */
};

struct testnet {
	const char *dir;
	unsigned npeers;
	unsigned port;          /* 0: free ports */
	const char *capacity;
	unsigned timeout_s;
	const char *k, *n;      /* coordinator --k, --n; NULL: its default */
	int quiet;
	int sfd;                /* signalfd: SIGCHLD, SIGINT, SIGTERM, SIGHUP */
	int lockfd;             /* DIR, flocked: one testnet per DIR */
	int devnull;
	sigset_t oldmask;
	struct child *ch;       /* ch[0]: coordinator; ch[i]: peer i */
	unsigned nch;
	int stop_sig;           /* the signal that asked us to stop, or 0 */
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

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "status 1", "killed by signal 9" */
static void
describe_status(int st, char *out, size_t cap)
{
	if (WIFEXITED(st))
		snprintf(out, cap, "status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, cap, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(out, cap, "ended (wait status %#x)", (unsigned)st);
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
		{"quiet", no_argument, NULL, 'q'},
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
		case 'q':
			tn->quiet = 1;
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

/* Create DIR and the children's directories; take DIR's lock. */
static int
prepare(struct testnet *tn)
{
	if (make_dir(tn->dir) != 0)
		return -1;
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
	tn->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (tn->devnull < 0) {
		cli_err("testnet: cannot open /dev/null: %s", strerror(errno));
		return -1;
	}
	tn->nch = tn->npeers + 1;
	if ((tn->ch = calloc(tn->nch, sizeof(*tn->ch))) == NULL) {
		cli_err("testnet: out of memory");
		return -1;
	}
	for (unsigned i = 0; i < tn->nch; i++) {
		struct child *c = &tn->ch[i];

		if (i == 0) {
			snprintf(c->name, sizeof(c->name), "coordinator");
			c->datadir = xasprintf("%s/coordinator", tn->dir);
			c->logpath = xasprintf("%s/coordinator.log", tn->dir);
		} else {
			snprintf(c->name, sizeof(c->name), "peer %u", i);
			c->datadir = xasprintf("%s/peer-%u", tn->dir, i);
			c->logpath = xasprintf("%s/log", c->datadir);
		}
		c->pidpath = xasprintf("%s/pid", c->datadir);
		if (make_dir(c->datadir) != 0)
			return -1;
	}
	return 0;
}

static int
write_small(const char *path, const char *text)
{
	struct dz_errmsg em = {{0}};
	int rc;

	rc = fsio_write_durable(AT_FDCWD, path, (const uint8_t *)text,
	    strlen(text), 0, 0644, &em);
	if (rc != 0) {
		cli_err("testnet: cannot write %s: %s", path,
		    em.text[0] ? em.text : dz_strerror(rc));
		return -1;
	}
	return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
child_exec(const struct testnet *tn, int logfd, pid_t parent, char **argv)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD};
	static const char msg[] = "drizzle testnet: cannot run /proc/self/exe\n";
	sigset_t none;

	/* its own group: a ^C on the terminal reaches testnet only, which
	 * then stops each child once */
	(void)setpgid(0, 0);
	/* testnet killed outright must not leave the network running */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(127);
	if (dup2(tn->devnull, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		_exit(127);
	/* whatever testnet inherited (a caller's pipes) stays out */
	if (close_range(3, ~0u, 0) != 0)
		for (int fd = 3; fd < 1024; fd++)
			(void)close(fd);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execv("/proc/self/exe", argv);
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(127);
}

/* Start child c with argv; its pid goes to c->pidpath. */
static int
spawn(struct testnet *tn, struct child *c, char **argv)
{
	char line[160], stamp[32];
	struct stat st;
	struct tm tm;
	time_t now = time(NULL);
	pid_t pid, self = getpid();
	int fd;

	fd = open(c->logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		cli_err("testnet: cannot open %s: %s", c->logpath, strerror(errno));
		return -1;
	}
	/* a marker, so that a log appended to over restarts reads well */
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	snprintf(line, sizeof(line), "--- drizzle testnet: starting %s at %s\n",
	    c->name, stamp);
	if (fsio_write_all(fd, line, strlen(line)) != 0 || fstat(fd, &st) != 0) {
		cli_err("testnet: cannot write %s: %s", c->logpath, strerror(errno));
		close(fd);
		return -1;
	}
	c->log_start = st.st_size;
	fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0) {
		cli_err("testnet: cannot start %s: %s", c->name, strerror(errno));
		close(fd);
		return -1;
	}
	if (pid == 0)
		child_exec(tn, fd, self, argv);
	close(fd);
	c->pid = pid;
	c->ready = 0;
	snprintf(line, sizeof(line), "%ld\n", (long)pid);
	return write_small(c->pidpath, line);
}

static int
spawn_coordinator(struct testnet *tn)
{
	struct child *c = &tn->ch[0];
	char listen[32];
	char *argv[11] = {"drizzle", "coordinator", "--data", c->datadir,
		"--listen", listen, NULL};
	size_t i = 6;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", tn->port);
	if (tn->k != NULL) {
		argv[i++] = "--k";
		argv[i++] = (char *)tn->k;
	}
	if (tn->n != NULL) {
		argv[i++] = "--n";
		argv[i++] = (char *)tn->n;
	}
	argv[i] = NULL;
	return spawn(tn, c, argv);
}

static int
spawn_peer(struct testnet *tn, unsigned i)
{
	struct child *c = &tn->ch[i];
	char listen[32];
	char *argv[] = {"drizzle", "peer", "--data", c->datadir, "--coordinator",
		tn->ch[0].addr, "--listen", listen, "--capacity",
		(char *)tn->capacity, NULL};

	snprintf(listen, sizeof(listen), "127.0.0.1:%u",
	    tn->port == 0 ? 0 : tn->port + i);
	return spawn(tn, c, argv);
}

/* What c has logged since it started, NUL-terminated, in buf: the first
 * cap-1 bytes of it, or the last ones if tail is set. */
static size_t
read_log(const struct child *c, int tail, char *buf, size_t cap)
{
	off_t from = c->log_start;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(c->logpath, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (tail && fstat(fd, &st) == 0 && st.st_size - from > (off_t)(cap - 1))
		from = st.st_size - (off_t)(cap - 1);
	while (got < cap - 1) {
		n = pread(fd, buf + got, cap - 1 - got, from + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* Copy the word after the first occurrence of prefix in text into out;
 * return 1 if found (a complete line only). */
static int
find_word(const char *text, const char *prefix, char *out, size_t cap)
{
	const char *p = strstr(text, prefix), *e;

	if (p == NULL)
		return 0;
	p += strlen(prefix);
	e = p + strcspn(p, " \n");
	if (*e == '\0' || strchr(e, '\n') == NULL || e == p ||
	    (size_t)(e - p) >= cap)
		return 0;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 1;
}

/* Look at the logs of the children not yet ready; mark those that are. */
static void
check_ready(struct testnet *tn, char *buf, size_t cap)
{
	char want[128];

	for (unsigned i = 0; i < tn->nch; i++) {
		struct child *c = &tn->ch[i];

		if (c->pid == 0 || c->ready)
			continue;
		read_log(c, 0, buf, cap);
		if (i == 0) {
			c->ready = find_word(buf, "coordinator listening on ",
			    c->addr, sizeof(c->addr));
			continue;
		}
		(void)find_word(buf, "peer listening on ", c->addr, sizeof(c->addr));
		/* only a registration with this run's coordinator counts */
		snprintf(want, sizeof(want), "registered with the coordinator %s ",
		    tn->ch[0].addr);
		c->ready = strstr(buf, want) != NULL;
	}
}

/* Print the end of c's log (since it started) on stderr. */
static void
show_tail(const struct child *c, char *buf, size_t cap)
{
	size_t len = read_log(c, 1, buf, cap);
	unsigned lines = 0;
	char *p;

	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	p = buf + len;
	while (p > buf && lines < LOG_TAIL_LINES) {
		p--;
		if (*p == '\n' && ++lines == LOG_TAIL_LINES) {
			p++;
			break;
		}
	}
	if (len == 0) {
		fprintf(stderr, "  (%s: empty)\n", c->logpath);
		return;
	}
	fprintf(stderr, "  the end of %s:\n", c->logpath);
	for (char *line = p, *nl; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		fprintf(stderr, "  | %s\n", line);
	}
}

/* Reap every child that ended; report each if report is set. Returns the
 * index of the first one reaped, or -1. */
static int
reap(struct testnet *tn, int report)
{
	char how[64];
	int first = -1, st;
	pid_t r;

	for (unsigned i = 0; i < tn->nch; i++) {
		struct child *c = &tn->ch[i];

		if (c->pid == 0)
			continue;
		r = waitpid(c->pid, &st, WNOHANG);
		if (r == 0 || (r < 0 && errno == EINTR))
			continue;
		if (r < 0)
			st = 0; /* not ours any more: nothing to wait for */
		if (report) {
			describe_status(st, how, sizeof(how));
			fprintf(stderr, "drizzle testnet: %s (pid %ld) exited: %s\n", c->name,
			    (long)c->pid, how);
		}
		c->status = st;
		c->pid = 0;
		(void)unlink(c->pidpath); /* a stale pid could name another process */
		if (first < 0)
			first = (int)i;
	}
	return first;
}

/* Drain the signalfd: remember a stop signal; SIGCHLD needs no record
 * (reap looks at every child). */
static void
drain_signals(struct testnet *tn)
{
	struct signalfd_siginfo si;

	while (read(tn->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGCHLD && tn->stop_sig == 0)
			tn->stop_sig = (int)si.ssi_signo;
}

/* Wait for a signal for at most ms milliseconds (-1: forever). */
static void
wait_event(struct testnet *tn, int ms)
{
	struct pollfd pfd = {.fd = tn->sfd, .events = POLLIN};

	if (poll(&pfd, 1, ms) > 0)
		drain_signals(tn);
}

static const char *
signame(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	    sig == SIGHUP ? "SIGHUP" : "a signal";
}

static unsigned
running(const struct testnet *tn)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tn->nch; i++)
		n += tn->ch[i].pid != 0;
	return n;
}

/* Stop every child: SIGTERM, then SIGKILL those still there after the
 * grace period; wait for all. */
static void
stop_all(struct testnet *tn, int report)
{
	double deadline = mono_now() + STOP_GRACE_S;
	double left;

	for (unsigned i = 0; i < tn->nch; i++)
		if (tn->ch[i].pid != 0) {
			tn->ch[i].stopping = 1;
			(void)kill(tn->ch[i].pid, SIGTERM);
		}
	(void)reap(tn, 0);
	while (running(tn) > 0 && (left = deadline - mono_now()) > 0) {
		wait_event(tn, (int)(left * 1000) + 1);
		(void)reap(tn, 0);
	}
	for (unsigned i = 0; i < tn->nch; i++) {
		struct child *c = &tn->ch[i];
		int st;

		if (c->pid == 0)
			continue;
		fprintf(stderr, "drizzle testnet: %s (pid %ld) did not stop within "
		    "%d s: killing it\n", c->name, (long)c->pid, STOP_GRACE_S);
		(void)kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
			;
		c->status = st;
		c->pid = 0;
		(void)unlink(c->pidpath);
	}
	if (!report)
		return;
	for (unsigned i = 0; i < tn->nch; i++) {
		struct child *c = &tn->ch[i];
		char how[64];

		/* a clean stop is exit 0; say so of anything else */
		if (c->stopping && c->status != 0) {
			describe_status(c->status, how, sizeof(how));
			fprintf(stderr, "drizzle testnet: %s exited: %s while stopping; see %s\n",
			    c->name, how, c->logpath);
		}
	}
}

/* Wait until every running child in [0, upto) is ready. Returns 0, or -1
 * after reporting (a child died, the deadline passed) or on a signal
 * (tn->stop_sig set). */
static int
wait_ready(struct testnet *tn, unsigned upto, double deadline, char *buf,
    size_t cap)
{
	unsigned notready, shown;
	char how[64];
	int dead;

	for (;;) {
		if (tn->stop_sig != 0)
			return -1;
		/* read the logs before reaping: a child that registered and
		 * then died is reported as dead, not as never ready */
		check_ready(tn, buf, cap);
		if ((dead = reap(tn, 0)) >= 0) {
			struct child *c = &tn->ch[dead];

			describe_status(c->status, how, sizeof(how));
			cli_err("testnet: %s exited before the network was ready: %s",
			    c->name, how);
			show_tail(c, buf, cap);
			return -1;
		}
		notready = 0;
		for (unsigned i = 0; i < upto; i++)
			notready += !tn->ch[i].ready;
		if (notready == 0)
			return 0;
		if (mono_now() >= deadline)
			break;
		wait_event(tn, POLL_MS);
	}
	if (upto == 1)
		cli_err("testnet: not ready after %u s: the coordinator did not "
		    "start listening", tn->timeout_s);
	else
		cli_err("testnet: not ready after %u s: %u of %u peers have not "
		    "registered with the coordinator %s", tn->timeout_s, notready,
		    upto - 1, tn->ch[0].addr);
	shown = 0;
	for (unsigned i = 0; i < upto && shown < 3; i++)
		if (!tn->ch[i].ready) {
			fprintf(stderr, "  %s (pid %ld):\n", tn->ch[i].name,
			    (long)tn->ch[i].pid);
			show_tail(&tn->ch[i], buf, cap);
			shown++;
		}
	return -1;
}

static int
setup_signals(struct testnet *tn)
{
	static const int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP};
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&set, sigs[i]);
		/* an inherited SIG_IGN (a shell's background job ignores
		 * SIGINT) would discard the signal before the signalfd sees
		 * it; SIGCHLD ignored would reap children behind our back */
		(void)signal(sigs[i], SIG_DFL);
	}
	if (sigprocmask(SIG_BLOCK, &set, &tn->oldmask) != 0) {
		cli_err("testnet: cannot block signals: %s", strerror(errno));
		return -1;
	}
	tn->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (tn->sfd < 0) {
		cli_err("testnet: cannot make a signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
run(struct testnet *tn, char *buf, size_t cap)
{
	double deadline;
	char line[96], *path;
	int rc;

	if (setup_signals(tn) != 0 || prepare(tn) != 0)
		return EXIT_FAIL;
	deadline = mono_now() + tn->timeout_s;
	if (spawn_coordinator(tn) != 0)
		goto fail;
	if (wait_ready(tn, 1, deadline, buf, cap) != 0)
		goto fail;
	for (unsigned i = 1; i <= tn->npeers; i++)
		if (spawn_peer(tn, i) != 0)
			goto fail;
	if (wait_ready(tn, tn->nch, deadline, buf, cap) != 0)
		goto fail;

	path = xasprintf("%s/coordinator.addr", tn->dir);
	snprintf(line, sizeof(line), "%s\n", tn->ch[0].addr);
	rc = write_small(path, line);
	free(path);
	if (rc != 0)
		goto fail;
	note(tn, "coordinator %s (pid %ld), log %s", tn->ch[0].addr,
	    (long)tn->ch[0].pid, tn->ch[0].logpath);
	for (unsigned i = 1; i <= tn->npeers; i++)
		note(tn, "peer %u %s (pid %ld), log %s", i, tn->ch[i].addr,
		    (long)tn->ch[i].pid, tn->ch[i].logpath);
	printf("ready %s\n", tn->ch[0].addr);
	fflush(stdout);

	/* supervise until told to stop */
	while (tn->stop_sig == 0) {
		wait_event(tn, -1);
		(void)reap(tn, 1);
	}
	note(tn, "%s: stopping %u processes", signame(tn->stop_sig),
	    running(tn));
	stop_all(tn, 1);
	note(tn, "stopped");
	return EXIT_OK;

fail:
	if (tn->stop_sig != 0) {
		/* asked to stop while starting: not a failure */
		note(tn, "%s: stopping", signame(tn->stop_sig));
		stop_all(tn, 1);
		return EXIT_OK;
	}
	stop_all(tn, 0);
	return EXIT_FAIL;
}

int
cmd_testnet_main(int argc, char **argv)
{
	struct testnet tn;
	char *buf;
	int rc, help = 0;

	memset(&tn, 0, sizeof(tn));
	tn.capacity = TESTNET_CAPACITY_DEFAULT;
	tn.timeout_s = TESTNET_TIMEOUT_DEFAULT;
	tn.sfd = tn.lockfd = tn.devnull = -1;
	if ((rc = parse(argc, argv, &tn, &help)) != 0 || help)
		return rc;
	if ((buf = malloc(LOG_SCAN_MAX)) == NULL) {
		cli_err("testnet: out of memory");
		return EXIT_FAIL;
	}
	rc = run(&tn, buf, LOG_SCAN_MAX);
	free(buf);
	for (unsigned i = 0; tn.ch != NULL && i < tn.nch; i++) {
		free(tn.ch[i].datadir);
		free(tn.ch[i].logpath);
		free(tn.ch[i].pidpath);
	}
	free(tn.ch);
	if (tn.sfd >= 0)
		close(tn.sfd);
	if (tn.devnull >= 0)
		close(tn.devnull);
	if (tn.lockfd >= 0)
		close(tn.lockfd); /* releases DIR */
	(void)sigprocmask(SIG_SETMASK, &tn.oldmask, NULL);
	return rc;
}
