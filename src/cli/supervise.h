/*
 * supervise: a supervisor of child processes, for `drizzle testnet`.
 *
 * Starts children (fork and exec of this very program, /proc/self/exe: no
 * shell), each in its own process group with its stdout and stderr
 * appended to a log and its pid in a file; tells when each is ready by
 * reading its log for the lines it prints when it is (its address, a
 * registration); reaps and reports those that die; stops them all
 * (SIGTERM, then SIGKILL after SUP_STOP_GRACE_S). Signals (SIGCHLD, and
 * SIGINT, SIGTERM, SIGHUP asking to stop) are taken through a signalfd,
 * so nothing runs in a signal handler; children get SIGTERM from the
 * kernel if the supervisor itself is killed.
 *
 * It knows nothing of coordinators or peers: the caller names the
 * children, gives their argv and says which log lines make them ready.
 * Messages go to stderr, prefixed "drizzle testnet:" (who).
 */
#ifndef DZ_CLI_SUPERVISE_H
#define DZ_CLI_SUPERVISE_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#define SUP_STOP_GRACE_S 5 /* between SIGTERM and SIGKILL at stop */

struct sup_child {
	char name[24];   /* "coordinator", "peer 7": for messages */
	char *datadir;   /* the child's data (malloc'ed; freed by sup_free) */
	char *logpath;   /* its stdout and stderr (malloc'ed; freed by sup_free) */
	char *pidpath;   /* where its pid is written (malloc'ed; freed by sup_free) */
	off_t log_start; /* size of the log when it was started */
	pid_t pid;       /* 0: not running (never started, or reaped) */
	int status;      /* wait status once reaped */
	int stopping;    /* sent SIGTERM by sup_stop_all */
	/* Readiness, from its log since it started: addr gets the word that
	 * follows addr_prefix (a complete line); the child is ready once
	 * ready_text appears too (empty: once addr is known). */
	const char *addr_prefix;
	char ready_text[128];
	char addr[64];
	int ready;
};

struct sup {
	const char *who;     /* message prefix: "testnet" */
	int sfd;             /* signalfd: SIGCHLD, SIGINT, SIGTERM, SIGHUP */
	int devnull;         /* the children's stdin */
	sigset_t oldmask;    /* restored by sup_free */
	int masked;
	struct sup_child *ch;
	unsigned nch;
	int stop_sig;        /* the signal that asked us to stop, or 0 */
	char *buf;           /* log scan buffer, SUP_LOG_SCAN_MAX bytes */
};

/* sup_init: block and take the signals, open /dev/null, allocate nch
 * children (zeroed: the caller fills name, paths and readiness). 0, or
 * -1 after saying why; sup_free in both cases. */
int sup_init(struct sup *s, const char *who, unsigned nch);
/* sup_free: free the children's strings and the buffers, close the
 * descriptors, restore the signal mask. Stops nothing: sup_stop_all. */
void sup_free(struct sup *s);

/* sup_spawn: start child i with argv (argv[0] is what the child sees as
 * its name; exec'ed from /proc/self/exe); its log gets a marker line,
 * its pid goes to pidpath. 0 or -1 after saying why. */
int sup_spawn(struct sup *s, unsigned i, char **argv);

/* sup_wait_ready: wait until every running child in [0, upto) is ready.
 * 0; -1 after reporting a child that died (with the end of its log);
 * SUP_TIMEOUT at the deadline (CLOCK_MONOTONIC seconds) with *notready
 * set, for the caller to say what was awaited (sup_show_unready); -1 on
 * a stop signal (s->stop_sig set). */
#define SUP_TIMEOUT (-2)
int sup_wait_ready(struct sup *s, unsigned upto, double deadline, unsigned *notready);
/* sup_show_unready: the end of the log of the first max children in
 * [0, upto) that are not ready, on stderr. */
void sup_show_unready(struct sup *s, unsigned upto, unsigned max);

/* sup_supervise: until a stop signal, reap and report children that die
 * (the others keep running). */
void sup_supervise(struct sup *s);
/* sup_stop_all: SIGTERM every child, SIGKILL those still there after
 * SUP_STOP_GRACE_S, wait for all; with report, say which did not exit 0. */
void sup_stop_all(struct sup *s, int report);
/* sup_running: how many children run. */
unsigned sup_running(const struct sup *s);
/* sup_signame: "SIGINT", "SIGTERM", "SIGHUP" or "a signal". */
const char *sup_signame(int sig);

/* sup_write_file: write text to path durably (mode 0644). 0 or -1 after
 * saying why. */
int sup_write_file(const struct sup *s, const char *path, const char *text);
/* sup_now: CLOCK_MONOTONIC seconds. */
double sup_now(void);

#endif
