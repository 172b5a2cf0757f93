/*
 * supervise: starting, watching and stopping child processes, and
 * reading their logs for the lines that say they are ready (see
 * supervise.h). Everything runs in the parent's one thread; signals
 * arrive on a signalfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/supervise.h"
#include "core/fsio.h"

#define POLL_MS 50              /* how often logs are read before ready */
#define SUP_LOG_SCAN_MAX 262144 /* bytes of a log searched for a line */
#define LOG_TAIL_LINES 20       /* lines shown of a failing child's log */

double
sup_now(void)
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
setup_signals(struct sup *s)
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
	if (sigprocmask(SIG_BLOCK, &set, &s->oldmask) != 0) {
		cli_err("%s: cannot block signals: %s", s->who, strerror(errno));
		return -1;
	}
	s->masked = 1;
	s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sfd < 0) {
		cli_err("%s: cannot make a signalfd: %s", s->who, strerror(errno));
		return -1;
	}
	return 0;
}

int
sup_init(struct sup *s, const char *who, unsigned nch)
{
	memset(s, 0, sizeof(*s));
	s->who = who;
	s->sfd = s->devnull = -1;
	if (setup_signals(s) != 0)
		return -1;
	s->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (s->devnull < 0) {
		cli_err("%s: cannot open /dev/null: %s", who, strerror(errno));
		return -1;
	}
	s->nch = nch;
	if ((s->ch = calloc(nch, sizeof(*s->ch))) == NULL ||
	    (s->buf = malloc(SUP_LOG_SCAN_MAX)) == NULL) {
		cli_err("%s: out of memory", who);
		return -1;
	}
	return 0;
}

void
sup_free(struct sup *s)
{
	for (unsigned i = 0; s->ch != NULL && i < s->nch; i++) {
		free(s->ch[i].datadir);
		free(s->ch[i].logpath);
		free(s->ch[i].pidpath);
	}
	free(s->ch);
	free(s->buf);
	s->ch = NULL;
	s->buf = NULL;
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->devnull >= 0)
		close(s->devnull);
	s->sfd = s->devnull = -1;
	if (s->masked)
		(void)sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
	s->masked = 0;
}

int
sup_write_file(const struct sup *s, const char *path, const char *text)
{
	struct dz_errmsg em = {{0}};
	int rc;

	rc = fsio_write_durable(AT_FDCWD, path, (const uint8_t *)text,
	    strlen(text), 0, 0644, &em);
	if (rc != 0) {
		cli_err("%s: cannot write %s: %s", s->who, path,
		    em.text[0] ? em.text : dz_strerror(rc));
		return -1;
	}
	return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
child_exec(const struct sup *s, int logfd, pid_t parent, char **argv)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD};
	static const char msg[] = "drizzle: cannot run /proc/self/exe\n";
	sigset_t none;

	/* its own group: a ^C on the terminal reaches the supervisor only,
	 * which then stops each child once */
	(void)setpgid(0, 0);
	/* the supervisor killed outright must not leave children running */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(127);
	if (dup2(s->devnull, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		_exit(127);
	/* whatever the supervisor inherited (a caller's pipes) stays out */
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

int
sup_spawn(struct sup *s, unsigned i, char **argv)
{
	struct sup_child *c = &s->ch[i];
	char line[160], stamp[32];
	struct stat st;
	struct tm tm;
	time_t now = time(NULL);
	pid_t pid, self = getpid();
	int fd;

	fd = open(c->logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		cli_err("%s: cannot open %s: %s", s->who, c->logpath, strerror(errno));
		return -1;
	}
	/* a marker, so that a log appended to over restarts reads well */
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	snprintf(line, sizeof(line), "--- drizzle %s: starting %s at %s\n", s->who,
	    c->name, stamp);
	if (fsio_write_all(fd, line, strlen(line)) != 0 || fstat(fd, &st) != 0) {
		cli_err("%s: cannot write %s: %s", s->who, c->logpath, strerror(errno));
		close(fd);
		return -1;
	}
	c->log_start = st.st_size;
	fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0) {
		cli_err("%s: cannot start %s: %s", s->who, c->name, strerror(errno));
		close(fd);
		return -1;
	}
	if (pid == 0)
		child_exec(s, fd, self, argv);
	close(fd);
	c->pid = pid;
	c->ready = 0;
	snprintf(line, sizeof(line), "%ld\n", (long)pid);
	return sup_write_file(s, c->pidpath, line);
}

/* What c has logged since it started, NUL-terminated, in buf: the first
 * cap-1 bytes of it, or the last ones if tail is set. */
static size_t
read_log(const struct sup_child *c, int tail, char *buf, size_t cap)
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
 * return 1 if found (a complete line only). This reads the children's
 * output for the lines they print when ready: not error text. */
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
check_ready(struct sup *s)
{
	for (unsigned i = 0; i < s->nch; i++) {
		struct sup_child *c = &s->ch[i];
		int have_addr;

		if (c->pid == 0 || c->ready)
			continue;
		read_log(c, 0, s->buf, SUP_LOG_SCAN_MAX);
		have_addr = c->addr_prefix != NULL &&
		    find_word(s->buf, c->addr_prefix, c->addr, sizeof(c->addr));
		if (c->ready_text[0] != '\0')
			c->ready = strstr(s->buf, c->ready_text) != NULL;
		else
			c->ready = have_addr;
	}
}

/* Print the end of c's log (since it started) on stderr. */
static void
show_tail(const struct sup_child *c, char *buf, size_t cap)
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
reap(struct sup *s, int report)
{
	char how[64];
	int first = -1, st;
	pid_t r;

	for (unsigned i = 0; i < s->nch; i++) {
		struct sup_child *c = &s->ch[i];

		if (c->pid == 0)
			continue;
		r = waitpid(c->pid, &st, WNOHANG);
		if (r == 0 || (r < 0 && errno == EINTR))
			continue;
		if (r < 0)
			st = 0; /* not ours any more: nothing to wait for */
		if (report) {
			describe_status(st, how, sizeof(how));
			fprintf(stderr, "drizzle %s: %s (pid %ld) exited: %s\n", s->who,
			    c->name, (long)c->pid, how);
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
drain_signals(struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGCHLD && s->stop_sig == 0)
			s->stop_sig = (int)si.ssi_signo;
}

/* Wait for a signal for at most ms milliseconds (-1: forever). */
static void
wait_event(struct sup *s, int ms)
{
	struct pollfd pfd = {.fd = s->sfd, .events = POLLIN};

	if (poll(&pfd, 1, ms) > 0)
		drain_signals(s);
}

const char *
sup_signame(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	    sig == SIGHUP ? "SIGHUP" : "a signal";
}

unsigned
sup_running(const struct sup *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->nch; i++)
		n += s->ch[i].pid != 0;
	return n;
}

void
sup_supervise(struct sup *s)
{
	while (s->stop_sig == 0) {
		wait_event(s, -1);
		(void)reap(s, 1);
	}
}

void
sup_stop_all(struct sup *s, int report)
{
	double deadline = sup_now() + SUP_STOP_GRACE_S;
	double left;

	for (unsigned i = 0; i < s->nch; i++)
		if (s->ch[i].pid != 0) {
			s->ch[i].stopping = 1;
			(void)kill(s->ch[i].pid, SIGTERM);
		}
	(void)reap(s, 0);
	while (sup_running(s) > 0 && (left = deadline - sup_now()) > 0) {
		wait_event(s, (int)(left * 1000) + 1);
		(void)reap(s, 0);
	}
	for (unsigned i = 0; i < s->nch; i++) {
		struct sup_child *c = &s->ch[i];
		int st;

		if (c->pid == 0)
			continue;
		fprintf(stderr, "drizzle %s: %s (pid %ld) did not stop within "
		    "%d s: killing it\n", s->who, c->name, (long)c->pid, SUP_STOP_GRACE_S);
		(void)kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
			;
		c->status = st;
		c->pid = 0;
		(void)unlink(c->pidpath);
	}
	if (!report)
		return;
	for (unsigned i = 0; i < s->nch; i++) {
		struct sup_child *c = &s->ch[i];
		char how[64];

		/* a clean stop is exit 0; say so of anything else */
		if (c->stopping && c->status != 0) {
			describe_status(c->status, how, sizeof(how));
			fprintf(stderr, "drizzle %s: %s exited: %s while stopping; see %s\n",
			    s->who, c->name, how, c->logpath);
		}
	}
}

int
sup_wait_ready(struct sup *s, unsigned upto, double deadline, unsigned *notready)
{
	char how[64];
	int dead;

	for (;;) {
		if (s->stop_sig != 0)
			return -1;
		/* read the logs before reaping: a child that got ready and
		 * then died is reported as dead, not as never ready */
		check_ready(s);
		if ((dead = reap(s, 0)) >= 0) {
			struct sup_child *c = &s->ch[dead];

			describe_status(c->status, how, sizeof(how));
			cli_err("%s: %s exited before the network was ready: %s", s->who,
			    c->name, how);
			show_tail(c, s->buf, SUP_LOG_SCAN_MAX);
			return -1;
		}
		*notready = 0;
		for (unsigned i = 0; i < upto; i++)
			*notready += !s->ch[i].ready;
		if (*notready == 0)
			return 0;
		if (sup_now() >= deadline)
			return SUP_TIMEOUT;
		wait_event(s, POLL_MS);
	}
}

void
sup_show_unready(struct sup *s, unsigned upto, unsigned max)
{
	unsigned shown = 0;

	for (unsigned i = 0; i < upto && shown < max; i++)
		if (!s->ch[i].ready) {
			fprintf(stderr, "  %s (pid %ld):\n", s->ch[i].name,
			    (long)s->ch[i].pid);
			show_tail(&s->ch[i], s->buf, SUP_LOG_SCAN_MAX);
			shown++;
		}
}
