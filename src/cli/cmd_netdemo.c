/*
 * cmd_netdemo: `drizzle demo` (the main job): a whole network on this
 * computer. Starts `drizzle testnet` (a coordinator and 12 peers on
 * 127.0.0.1), signs up a user with a throwaway password, puts a random
 * 64 MiB file, kills 4 peers with SIGKILL, gets the file back from the
 * survivors and checks it is identical, then stops everything. Each step
 * is the real command run as a child process, exactly as a user would run
 * it; this file only orchestrates and reports. `drizzle demo --local` is
 * the older round trip through a local directory store (cmd_demo.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"

static const char netdemo_usage[] =
    "usage: drizzle demo [options]\n"
    "\n"
    "Starts a local network (a coordinator and --peers peers on 127.0.0.1),\n"
    "signs up a user, stores a random file, kills --kill peers with SIGKILL,\n"
    "gets the file back from the others, checks it is identical, and stops\n"
    "everything. `drizzle demo --local` runs the round trip through a local\n"
    "directory store instead (see `drizzle demo --local --help`).\n"
    "\n"
    "  --size SIZE           the file's size (default 64M)\n"
    "  --peers N             peers in the network (default 12)\n"
    "  --kill N              peers killed before the get (default 4)\n"
    "  --k K, --n N          the code: any K of N fragments rebuild (4, 12)\n"
    "  --dir DIR             work in DIR (default: a new directory in $TMPDIR)\n"
    "  --keep                keep the work directory (and its logs)\n"
    "  --kdf-ops N, --kdf-mem SIZE  Argon2id costs (default MODERATE)\n"
    "  --help, -h            this text\n"
    "\n"
    "examples:\n"
    "  drizzle demo\n"
    "  drizzle demo --size 256M --peers 16 --kill 6 --k 6 --n 16\n"
    "\n"
    "Exit codes: 0 the file came back intact, 1 a step failed (its log is in\n"
    "the work directory, which is kept), 2 bad command line.\n";

struct netdemo {
	char dir[512];
	char exe[4096];
	char addr[64];
	pid_t net;            /* the testnet process */
	unsigned peers, kill, k, n;
	uint64_t size;
	const char *kdf_ops, *kdf_mem;
};

/* Show the last lines of a log file on stderr. */
static void
show_tail(const char *path)
{
	char buf[4096];
	ssize_t n;
	off_t end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > (off_t)sizeof(buf) - 1)
		(void)lseek(fd, end - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		(void)lseek(fd, 0, SEEK_SET);
	if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		fprintf(stderr, "--- %s ---\n%s%s", path, buf, buf[n - 1] == '\n' ? "" : "\n");
	}
	close(fd);
}

/* Run `drizzle ARGS...` to completion, its output into DIR/LOG; 0 if it
 * exited 0. */
static int
run(struct netdemo *d, const char *log, char *const args[])
{
	char path[700];
	char *argv[40];
	size_t n = 0;
	pid_t pid;
	int st, fd;

	snprintf(path, sizeof(path), "%s/%s", d->dir, log);
	argv[n++] = "drizzle";
	for (size_t i = 0; args[i] != NULL && n < 38; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		cli_err("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		cli_err("cannot start a process: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (pid == 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(d->exe, argv);
		_exit(127);
	}
	close(fd);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	cli_err("`drizzle %s` failed (%s %d)", args[0],
	    WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	show_tail(path);
	return -1;
}

/* The transfer time a put or get reported on its summary line (the last
 * line of client.log that starts with what: "... in SECS s (...)"), which
 * leaves out unlocking the key; 0.001 if there is none. */
static double
transfer_secs(struct netdemo *d, const char *what)
{
	char path[700], line[1024];
	double secs = 0.001, v;
	const char *in;
	FILE *f;

	snprintf(path, sizeof(path), "%s/client.log", d->dir);
	if ((f = fopen(path, "r")) == NULL)
		return secs;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, what, strlen(what)) == 0 &&
		    (in = strstr(line, " in ")) != NULL && sscanf(in, " in %lf s", &v) == 1 &&
		    v > 0)
			secs = v;
	fclose(f);
	return secs;
}

/* Start testnet and wait for its `ready ADDR` line (at most 60 s). */
static int
start_net(struct netdemo *d)
{
	char netdir[600], peers[16], buf[256];
	char *argv[] = {"drizzle", "testnet", "--dir", netdir, "--peers", peers, "--quiet",
	    NULL};
	size_t len = 0;
	int pfd[2];
	double t0 = cli_now();

	snprintf(netdir, sizeof(netdir), "%s/net", d->dir);
	snprintf(peers, sizeof(peers), "%u", d->peers);
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	if ((d->net = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (d->net == 0) {
		char log[700];
		int lfd;

		/* its reports (peers killed on purpose, ...) go to its log */
		snprintf(log, sizeof(log), "%s/testnet.log", d->dir);
		lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (lfd >= 0)
			dup2(lfd, STDERR_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		execv(d->exe, argv);
		_exit(127);
	}
	close(pfd[1]);
	while (len < sizeof(buf) - 1) {
		struct pollfd p = {pfd[0], POLLIN, 0};
		int left = (int)((60.0 - (cli_now() - t0)) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		if ((n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strchr(buf, '\n') != NULL)
			break;
	}
	close(pfd[0]);
	buf[len] = '\0';
	if (sscanf(buf, "ready %63s", d->addr) != 1) {
		cli_err("the test network did not start (logs in %s)", netdir);
		char log[700];

		snprintf(log, sizeof(log), "%s/coordinator.log", netdir);
		show_tail(log);
		return -1;
	}
	return 0;
}

static void
stop_net(struct netdemo *d)
{
	int st;

	if (d->net <= 0)
		return;
	kill(d->net, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(d->net, &st, WNOHANG) == d->net) {
			d->net = 0;
			return;
		}
		usleep(50000);
	}
	kill(d->net, SIGKILL);
	(void)waitpid(d->net, &st, 0);
	d->net = 0;
}

/* Kill peers with SIGKILL, chosen at random; wait until they are gone. */
static int
kill_peers(struct netdemo *d, char *which, size_t cap)
{
	unsigned order[256];
	size_t off = 0;

	for (unsigned i = 0; i < d->peers; i++)
		order[i] = i + 1;
	for (unsigned i = d->peers - 1; i > 0; i--) {
		unsigned j = randombytes_uniform(i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	which[0] = '\0';
	for (unsigned i = 0; i < d->kill; i++) {
		char path[700], line[32];
		long pid = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/net/peer-%u/pid", d->dir, order[i]);
		if ((f = fopen(path, "r")) == NULL || fgets(line, sizeof(line), f) == NULL ||
		    (pid = strtol(line, NULL, 10)) <= 1) {
			cli_err("cannot read %s", path);
			if (f != NULL)
				fclose(f);
			return -1;
		}
		fclose(f);
		if (kill((pid_t)pid, SIGKILL) != 0) {
			cli_err("cannot kill peer %u (pid %ld): %s", order[i], pid, strerror(errno));
			return -1;
		}
		/* testnet reaps it; wait until it is gone */
		for (int t = 0; t < 200 && kill((pid_t)pid, 0) == 0; t++)
			usleep(10000);
		off += (size_t)snprintf(which + off, cap - off, "%s%u", i ? ", " : "", order[i]);
		if (off >= cap)
			off = cap - 1;
	}
	return 0;
}

int
cmd_netdemo_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"size", required_argument, NULL, 'Z'},
		{"peers", required_argument, NULL, 'P'},
		{"kill", required_argument, NULL, 'X'},
		{"k", required_argument, NULL, 'k'},
		{"n", required_argument, NULL, 'n'},
		{"dir", required_argument, NULL, 'D'},
		{"keep", no_argument, NULL, 'K'},
		{"kdf-ops", required_argument, NULL, 'O'},
		{"kdf-mem", required_argument, NULL, 'M'},
		{"local", no_argument, NULL, 'L'}, /* cmd_demo_main takes it */
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct netdemo d;
	const char *dir = NULL;
	char orig[600], back[600], home[600], pwf[600], killed[256], ks[8], ns[8];
	char hsize[32], rate[32];
	uint8_t md1[32], md2[32], pw[24];
	char pwhex[49];
	int keep = 0, ex = EXIT_FAIL, made = 0, fd;
	uint64_t v;
	double t0, tput, tget, xfer;
	ssize_t w;
	int c;

	memset(&d, 0, sizeof(d));
	d.size = 64u << 20;
	d.peers = 12;
	d.kill = 4;
	d.k = 4;
	d.n = 12;
	optind = 0;
	while ((c = cli_getopt(argc, argv, longopts, netdemo_usage, &ex)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			return ex;
		case 'Z':
			if (cli_parse_size(optarg, &d.size) != 0 || d.size > (1ull << 40)) {
				cli_err("--size must be a size up to 1T, such as 64M");
				return EXIT_USAGE;
			}
			break;
		case 'D': dir = optarg; break;
		case 'K': keep = 1; break;
		case 'L': break; /* cmd_demo_main has seen it */
		case 'O': d.kdf_ops = optarg; break;
		case 'M': d.kdf_mem = optarg; break;
		case 'P':
		case 'X':
		case 'k':
		case 'n':
			if (cli_parse_uint(optarg, 1, 255, &v) != 0) {
				cli_err("--%s must be a number from 1 to 255, not '%s'",
				    c == 'P' ? "peers" : c == 'X' ? "kill" : c == 'k' ? "k" : "n",
				    optarg);
				return EXIT_USAGE;
			}
			*(c == 'P' ? &d.peers : c == 'X' ? &d.kill : c == 'k' ? &d.k : &d.n) =
			    (unsigned)v;
			break;
		default: /* an option in longopts that this switch forgot */
			cli_err("option '%s' is not handled (a bug)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("demo takes no arguments (try `drizzle demo --help`)");
		return EXIT_USAGE;
	}
	if (d.k >= d.n || d.n > d.peers || d.kill >= d.peers || d.peers - d.kill < d.k) {
		cli_err("need k < n <= peers and at least k peers left after the kill "
		    "(k %u, n %u, peers %u, kill %u)", d.k, d.n, d.peers, d.kill);
		return EXIT_USAGE;
	}
	if (d.n - d.k < d.kill)
		fprintf(stderr, "note: killing %u peers may take more than the %u fragments "
		    "per segment a %u-of-%u code can lose\n", d.kill, d.n - d.k, d.k, d.n);
	{
		ssize_t n = readlink("/proc/self/exe", d.exe, sizeof(d.exe) - 1);

		if (n <= 0) {
			cli_err("cannot find this program: %s", strerror(errno));
			return EXIT_FAIL;
		}
		d.exe[n] = '\0';
	}
	if (dir != NULL) {
		if (mkdir(dir, 0700) != 0) {
			cli_err("cannot create %s: %s (give a new directory)", dir, strerror(errno));
			return EXIT_FAIL;
		}
		snprintf(d.dir, sizeof(d.dir), "%s", dir);
	} else {
		const char *tmp = getenv("TMPDIR");

		snprintf(d.dir, sizeof(d.dir), "%s/drizzle-demo-XXXXXX",
		    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
		if (mkdtemp(d.dir) == NULL) {
			cli_err("cannot create a work directory: %s", strerror(errno));
			return EXIT_FAIL;
		}
	}
	made = 1;
	snprintf(orig, sizeof(orig), "%s/original", d.dir);
	snprintf(back, sizeof(back), "%s/fetched", d.dir);
	snprintf(home, sizeof(home), "%s/home", d.dir);
	snprintf(pwf, sizeof(pwf), "%s/password", d.dir);
	snprintf(ks, sizeof(ks), "%u", d.k);
	snprintf(ns, sizeof(ns), "%u", d.n);
	cli_human(d.size, hsize);

	/* a throwaway password, in a 0600 file the commands read */
	randombytes_buf(pw, sizeof(pw));
	sodium_bin2hex(pwhex, sizeof(pwhex), pw, sizeof(pw));
	sodium_memzero(pw, sizeof(pw));
	fd = open(pwf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	w = fd >= 0 ? write(fd, pwhex, strlen(pwhex)) : -1;
	sodium_memzero(pwhex, sizeof(pwhex));
	if (fd >= 0)
		close(fd);
	if (w <= 0) {
		cli_err("cannot write %s: %s", pwf, strerror(errno));
		goto out;
	}

	printf("Drizzle demo: a coordinator and %u peers on 127.0.0.1, in %s\n", d.peers,
	    d.dir);
	fflush(stdout);
	t0 = cli_now();
	if (start_net(&d) != 0)
		goto out;
	printf("network ready at %s in %.1f s: %u peers registered\n", d.addr,
	    cli_now() - t0, d.peers);
	fflush(stdout);

	{
		char *a[16] = {"signup", "--home", home, "--coordinator", d.addr, "--user",
		    "demo", "--password-file", pwf, "--quiet"};
		size_t n = 10;

		if (d.kdf_ops != NULL) {
			a[n++] = "--kdf-ops";
			a[n++] = (char *)d.kdf_ops;
		}
		if (d.kdf_mem != NULL) {
			a[n++] = "--kdf-mem";
			a[n++] = (char *)d.kdf_mem;
		}
		a[n] = NULL;
		t0 = cli_now();
		if (run(&d, "client.log", a) != 0)
			goto out;
		printf("signed up user 'demo' in %.1f s (password stretched with Argon2id; "
		    "only its wrapped key reached the coordinator)\n", cli_now() - t0);
	}
	if (cli_make_random_file(orig, d.size, md1) != 0) {
		cli_err("cannot write %s: %s", orig, strerror(errno));
		goto out;
	}
	{
		char *a[] = {"put", orig, "demo/random.bin", "--home", home, "--password-file",
		    pwf, "--k", ks, "--n", ns, NULL};

		t0 = cli_now();
		if (run(&d, "client.log", a) != 0)
			goto out;
		tput = cli_now() - t0;
		xfer = transfer_secs(&d, "stored ");
		cli_human_rate(d.size, xfer, rate);
		printf("put %s as demo/random.bin, %u-of-%u: %.2f s, %s "
		    "(encrypted here, %u fragments per segment on %u peers); the "
		    "command took %.2f s with unlocking the key\n", hsize, d.k, d.n, xfer,
		    rate, d.n, d.n, tput);
	}
	if (kill_peers(&d, killed, sizeof(killed)) != 0)
		goto out;
	printf("killed %u peers with SIGKILL: peer %s\n", d.kill, killed);
	{
		char *a[] = {"get", "demo/random.bin", back, "--home", home, "--password-file",
		    pwf, NULL};

		t0 = cli_now();
		if (run(&d, "client.log", a) != 0)
			goto out;
		tget = cli_now() - t0;
		xfer = transfer_secs(&d, "fetched ");
		cli_human_rate(d.size, xfer, rate);
		printf("got demo/random.bin back from the %u survivors: %.2f s, %s; "
		    "the command took %.2f s with unlocking the key\n", d.peers - d.kill, xfer,
		    rate, tget);
	}
	if (cli_hash_file(back, md2) != 0 || memcmp(md1, md2, 32) != 0) {
		cli_err("the fetched file differs from the original!");
		goto out;
	}
	{
		char hex[65];

		sodium_bin2hex(hex, sizeof(hex), md1, 32);
		printf("identical to the original (SHA-256 %.16s...)\n", hex);
	}
	ex = EXIT_OK;
out:
	stop_net(&d);
	if (ex == EXIT_OK)
		printf("ok: stored %s on %u peers, lost %u of them, got it back intact; "
		    "network stopped\n", hsize, d.peers, d.kill);
	else
		cli_err("demo failed; logs are in %s", d.dir);
	if (made) {
		/* the password goes whatever happens; the logs stay on failure */
		(void)unlink(pwf);
		if (!keep && ex == EXIT_OK)
			(void)nftw(d.dir, cli_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	}
	if (ex == EXIT_OK && keep)
		printf("kept %s\n", d.dir);
	return ex;
}
