/*
 * util: the command line's shared helpers: messages, number and size
 * parsing, progress lines, safely replaced output files, escaping and
 * interrupts.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/size.h"
#include "client/dirstore.h"
#include "core/fsio.h"

/* Length of the valid UTF-8 sequence at s that a terminal shows as text,
 * 0 for a byte to escape (invalid UTF-8, or a C1 control U+0080..U+009F,
 * which some terminals take as the start of an escape sequence). */
static size_t
esc_text_len(const unsigned char *s)
{
	size_t len;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return s[0] == '\\' ? 0 : 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return len;
}

/* The escape for byte c (at most 4 characters and a NUL) into e. */
static void
esc_byte(unsigned char c, char e[5])
{
	switch (c) {
	case '\n': snprintf(e, 5, "\\n"); break;
	case '\t': snprintf(e, 5, "\\t"); break;
	case '\r': snprintf(e, 5, "\\r"); break;
	case '\\': snprintf(e, 5, "\\\\"); break;
	default: snprintf(e, 5, "\\x%02x", c); break;
	}
}

const char *
cli_escape(const char *s, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	if (cap < 4) {
		if (cap > 0)
			out[0] = '\0';
		return out;
	}
	while (*u != '\0') {
		size_t n = esc_text_len(u);
		char e[5];
		const char *add = (const char *)u;

		if (n == 0) {
			esc_byte(*u, e);
			add = e;
			n = strlen(e);
		}
		if (o + n + 4 > cap) { /* keep room for "..." and the NUL */
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, add, n);
		o += n;
		u += add == e ? 1 : n;
	}
	out[o] = '\0';
	return out;
}

void
cli_escape_put(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u != '\0') {
		size_t n = esc_text_len(u);
		char e[5];

		if (n == 0) {
			esc_byte(*u, e);
			fputs(e, f);
			u++;
		} else {
			fwrite(u, 1, n, f);
			u += n;
		}
	}
}

void
cli_err(const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	/* Every message may carry a file name, a remote path or a server's
	 * words: escaped here, once, so no caller can forget it. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fputs("drizzle: ", stderr);
	cli_escape_put(stderr, msg);
	fputc('\n', stderr);
}

int
cli_fail(int code, const struct dz_errmsg *em, const char *what)
{
	if (em != NULL && em->text[0] != '\0')
		cli_err("%s: %s", what, em->text);
	else
		cli_err("%s: %s", what, dz_strerror(code));
	switch (code) {
	case DZ_EPASSWORD:
		return EXIT_PASSWORD;
	case DZ_EPEERKEY:
		/* nothing was damaged: the other end is not the one pinned.
		 * The detail (em) names the key shown and the one expected. */
		cli_err("refused: the server at that address is not the one whose key "
		    "was pinned (an impostor, or it was given a new identity). Only if "
		    "you know its key changed: remove the file 'coordinator' of the "
		    "profile (--home, else $DRIZZLE_HOME, else ~/.config/drizzle) and "
		    "log in again with --coordinator-key NEWKEY");
		return EXIT_FAIL;
	case DZ_EAUTH:
	case DZ_EINTEGRITY:
	case DZ_ETOOFEW:
	case DZ_EFORMAT:
	case DZ_ETRUNC:
	case DZ_EVERSION:
	case DZ_EROLLBACK: /* older than what this computer has seen */
		return EXIT_DAMAGED;
	default:
		/* DZ_ECONNECT, DZ_ENOLOGIN, DZ_ECONFLICT, DZ_EQUOTA, DZ_EDENIED,
		 * DZ_EWEAKKDF and the rest: the operation failed, nothing
		 * stored is damaged */
		return EXIT_FAIL;
	}
}

/* Edit distance of a and b: insertions, deletions, substitutions and
 * swaps of two neighbours ("--dri" for "--dir") cost one each (optimal
 * string alignment). Each word counts for at most CLI_WORD_MAX bytes:
 * longer ones are far from every option anyway. */
#define CLI_WORD_MAX 64
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, CLI_WORD_MAX), lb = strnlen(b, CLI_WORD_MAX);
	size_t r0[CLI_WORD_MAX + 1], r1[CLI_WORD_MAX + 1], r2[CLI_WORD_MAX + 1];
	size_t *before = r0, *prev = r1, *cur = r2, *t;

	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    before[j - 2] + 1 < best)
				best = before[j - 2] + 1;
			cur[j] = best;
		}
		t = before;
		before = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *
cli_suggest(const char *word, const char *const *names, size_t n)
{
	size_t len = strnlen(word, CLI_WORD_MAX), best = SIZE_MAX, d;
	const char *pick = NULL;
	/* a third of the word may be wrong, at least one letter */
	size_t near = len < 6 ? 1 : len / 3;

	for (size_t i = 0; i < n; i++) {
		d = edit_distance(word, names[i]);
		if (d < best) {
			best = d;
			pick = names[i];
		}
	}
	return best <= near ? pick : NULL;
}

/* The names of longopts, at most cap of them, into names; their count. */
static size_t
opt_names(const struct option *longopts, const char **names, size_t cap)
{
	size_t n = 0;

	for (; longopts[n].name != NULL && n < cap; n++)
		names[n] = longopts[n].name;
	return n;
}

/* The option of longopts named word or, as getopt_long takes it, by an
 * unambiguous beginning of its name: NULL if none; *many set if several
 * begin so. */
static const struct option *
opt_find(const struct option *longopts, const char *word, size_t len, int *many)
{
	const struct option *found = NULL;

	*many = 0;
	for (const struct option *o = longopts; o->name != NULL; o++) {
		if (strncmp(o->name, word, len) != 0)
			continue;
		if (o->name[len] == '\0')
			return o;
		if (found != NULL)
			*many = 1;
		found = o;
	}
	return *many ? NULL : found;
}

/* The option a lone letter stands for: the one named so, else the only
 * one beginning with it ("-q" for --quiet); NULL if none or several. */
static const char *
opt_initial(const struct option *longopts, char letter)
{
	const char *found = NULL;

	for (const struct option *o = longopts; o->name != NULL; o++) {
		if (o->name[0] != letter)
			continue;
		if (o->name[1] == '\0')
			return o->name;
		if (found != NULL)
			return NULL;
		found = o->name;
	}
	return found;
}

/* Report the option getopt_long refused ('?' or ':'); EXIT_USAGE. */
static int
opt_refused(int c, int argc, char **argv, const struct option *longopts)
{
	const char *names[64], *arg, *word, *near;
	const struct option *o;
	size_t len, n = opt_names(longopts, names, 64);
	int many;

	arg = optind - 1 < argc && optind >= 1 ? argv[optind - 1] : "";
	if (c == '?' && optopt != 0 && strncmp(arg, "--", 2) != 0) {
		/* a short option: only -h is one; "-force" or "-k" meant --NAME */
		char one[2] = {(char)optopt, '\0'};

		/* getopt steps past a group of letters ("-force") once it has
		 * read its last one; before that, optind still names it */
		word = one;
		if (arg[0] == '-' && arg[1] != '-' && arg[strlen(arg) - 1] == optopt)
			word = arg + 1;
		else if (optind < argc && argv[optind][0] == '-' && argv[optind][1] != '-' &&
		    strchr(argv[optind], optopt) != NULL)
			word = argv[optind] + 1;
		near = word[1] == '\0' ? opt_initial(longopts, word[0]) :
		    cli_suggest(word, names, n);
		if (near != NULL)
			cli_err("unknown option '-%s' (did you mean --%s?)", word, near);
		else
			cli_err("unknown option '-%s' (options have two dashes: see --help)",
			    word);
		return EXIT_USAGE;
	}
	word = strncmp(arg, "--", 2) == 0 ? arg + 2 : arg;
	len = strcspn(word, "=");
	o = opt_find(longopts, word, len, &many);
	if (c == ':') {
		cli_err("--%s needs a value", o != NULL ? o->name : word);
		return EXIT_USAGE;
	}
	if (o != NULL && o->has_arg == no_argument && word[len] == '=') {
		cli_err("--%s takes no value", o->name);
		return EXIT_USAGE;
	}
	if (many) {
		cli_err("option '--%.*s' is ambiguous: it begins several options' names "
		    "(see --help)", (int)len, word);
		return EXIT_USAGE;
	}
	{
		char w[CLI_WORD_MAX + 1];

		snprintf(w, sizeof(w), "%.*s", (int)(len < CLI_WORD_MAX ? len : CLI_WORD_MAX),
		    word);
		near = cli_suggest(w, names, n);
	}
	if (near != NULL)
		cli_err("unknown option '--%.*s' (did you mean --%s?)", (int)len, word, near);
	else
		cli_err("unknown option '--%.*s' (see --help)", (int)len, word);
	return EXIT_USAGE;
}

int
cli_getopt(int argc, char **argv, const struct option *longopts, const char *help,
    int *ex)
{
	return cli_getopt_short(argc, argv, "", longopts, help, ex);
}

int
cli_getopt_short(int argc, char **argv, const char *shortopts,
    const struct option *longopts, const char *help, int *ex)
{
	char spec[16];
	int c;

	opterr = 0;
	/* ':' first: a missing value is ':', not '?'; "h" is -h */
	if (snprintf(spec, sizeof(spec), ":h%s", shortopts) >= (int)sizeof(spec))
	{
		*ex = EXIT_USAGE; /* a bug: too many short options */
		return CLI_OPT_EXIT;
	}
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == 'h') {
		fputs(help, stdout);
		*ex = EXIT_OK;
		return CLI_OPT_EXIT;
	}
	if (c == '?' || c == ':') {
		/* a table without "help" still answers --help */
		if (c == '?' && optind >= 1 && optind - 1 < argc &&
		    strcmp(argv[optind - 1], "--help") == 0) {
			fputs(help, stdout);
			*ex = EXIT_OK;
			return CLI_OPT_EXIT;
		}
		*ex = opt_refused(c, argc, argv, longopts);
		return CLI_OPT_EXIT;
	}
	return c;
}

int
cli_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return DZ_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return DZ_ERANGE;
	*out = v;
	return 0;
}

int
cli_parse_size(const char *s, uint64_t *out)
{
	return size_parse(s, out);
}

int
cli_kdf_option(const char *opt, const char *val, struct pwkey_params *p)
{
	uint64_t v;

	if (strcmp(opt, "kdf-ops") == 0) {
		if (cli_parse_uint(val, PWKEY_OPS_MIN, PWKEY_OPS_MAX, &v) != 0) {
			cli_err("--kdf-ops must be between %d and %d", PWKEY_OPS_MIN,
			    PWKEY_OPS_MAX);
			return EXIT_USAGE;
		}
		p->opslimit = v;
		return 0;
	}
	if (cli_parse_size(val, &v) != 0 || v < PWKEY_MEM_MIN || v > PWKEY_MEM_MAX) {
		cli_err("--kdf-mem must be a size between 8K and 4G");
		return EXIT_USAGE;
	}
	p->memlimit = v;
	return 0;
}

double
cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
cli_human(uint64_t b, char out[32])
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

void
cli_human_rate(uint64_t bytes, double secs, char out[32])
{
	double r = secs > 0 ? (double)bytes / secs : 0;

	/* past 2^64 B/s nothing is measured: say so rather than overflow */
	if (r >= 18446744073709551615.0)
		r = 18446744073709551615.0;
	cli_human((uint64_t)r, out);
	strncat(out, "/s", 31 - strlen(out));
}

void
cli_progress_init(struct cli_progress *p, const char *label, uint64_t total,
    int quiet)
{
	p->label = label;
	p->total = total;
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->shown = 0;
	p->start = p->last = cli_now();
}

/* One line, redrawn in place: "\r" back to its start, "\033[K" erases
 * what a longer earlier line left to the right. */
static void
progress_line(struct cli_progress *p, uint64_t done, double now)
{
	char h[32], t[32], r[32];

	cli_human(done, h);
	cli_human_rate(done, now - p->start, r);
	if (p->total > 0) {
		cli_human(p->total, t);
		fprintf(stderr, "\r%s %s of %s (%3.0f%%) %s\033[K", p->label, h, t,
		    100.0 * (double)done / (double)p->total, r);
	} else {
		fprintf(stderr, "\r%s %s %s\033[K", p->label, h, r);
	}
	fflush(stderr);
	p->shown = 1;
}

void
cli_progress_cb(void *arg, uint64_t done)
{
	struct cli_progress *p = arg;
	double now;

	if (!p->enabled)
		return;
	now = cli_now();
	if (now - p->last < 0.2)
		return;
	p->last = now;
	progress_line(p, done, now);
}

void
cli_progress_end(struct cli_progress *p)
{
	if (p->enabled && p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = 0;
}

/* What a file of mode m is, for a refusal ("a FIFO"). */
static const char *
kind_of(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" :
	    S_ISBLK(m) ? "a block device" : S_ISFIFO(m) ? "a FIFO" :
	    S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* The partial file a second interrupt removes before quitting at once
 * (read by the signal handler, hence volatile; NULL: none). */
static const char *volatile out_partial;

int
cli_out_open(struct cli_out *o, const char *dest, int force)
{
	struct stat sb;
	size_t n;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->force = force;
	o->mode = 0666;
	if (strcmp(dest, "-") == 0) {
		o->fd = STDOUT_FILENO;
		o->is_stdout = 1;
		return 0;
	}
	/* Only a regular file is ever replaced, even with --force: renaming
	 * over a device node, a FIFO or a socket would destroy it, and a
	 * directory is not ours to replace. stat follows a symbolic link, so
	 * a link to a device is refused too. */
	if (stat(dest, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		cli_err("%s is %s; refusing to replace it%s", dest, kind_of(sb.st_mode),
		    S_ISDIR(sb.st_mode) ? "" : " (even with --force)");
		return EXIT_FAIL;
	}
	if (!force && access(dest, F_OK) == 0) {
		cli_err("%s already exists; choose another name or pass --force to replace it",
		    dest);
		return EXIT_FAIL;
	}
	n = strlen(dest) + sizeof(".dz-partial-XXXXXX");
	o->dest = strdup(dest);
	o->tmp = malloc(n);
	if (o->dest == NULL || o->tmp == NULL) {
		cli_err("out of memory");
		cli_out_abort(o);
		return EXIT_FAIL;
	}
	snprintf(o->tmp, n, "%s.dz-partial-XXXXXX", dest);
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0) {
		cli_err("cannot create %s: %s", o->tmp, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		cli_out_abort(o);
		return EXIT_FAIL;
	}
	out_partial = o->tmp;
	return 0;
}

int
cli_out_commit(struct cli_out *o)
{
	int rc = EXIT_OK;

	if (o->is_stdout)
		return EXIT_OK;
	mode_t mask = umask(0);
	umask(mask);
	/* mkstemp made it 0600; a finished file gets the mode asked for, which
	 * the umask may narrow but nothing widens */
	if (fchmod(o->fd, (o->mode & 0777) & ~mask) != 0 || fsync(o->fd) != 0) {
		cli_err("cannot write %s: %s", o->tmp, strerror(errno));
		rc = EXIT_FAIL;
	}
	if (rc == EXIT_OK && o->set_mtime) {
		struct timespec ts[2] = {{0, UTIME_OMIT}, o->mtime};

		if (futimens(o->fd, ts) != 0) {
			cli_err("cannot set the modification time of %s: %s", o->tmp,
			    strerror(errno));
			rc = EXIT_FAIL;
		}
	}
	if (close(o->fd) != 0 && rc == EXIT_OK) {
		cli_err("cannot write %s: %s", o->tmp, strerror(errno));
		rc = EXIT_FAIL;
	}
	o->fd = -1;
	if (rc == EXIT_OK) {
		/* link refuses to replace a file that appeared meanwhile */
		int moved = o->force ? rename(o->tmp, o->dest) : link(o->tmp, o->dest);
		if (moved != 0) {
			cli_err("cannot create %s: %s", o->dest, strerror(errno));
			rc = EXIT_FAIL;
		} else if (!o->force) {
			unlink(o->tmp);
		}
		if (rc == EXIT_OK && fsio_fsync_dir(AT_FDCWD, o->dest) != 0) {
			cli_err("cannot sync the directory of %s", o->dest);
			rc = EXIT_FAIL;
		}
	}
	if (rc != EXIT_OK)
		unlink(o->tmp);
	out_partial = NULL;
	free(o->tmp);
	free(o->dest);
	o->tmp = o->dest = NULL;
	return rc;
}

void
cli_out_abort(struct cli_out *o)
{
	if (o->is_stdout)
		return;
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp != NULL)
		unlink(o->tmp);
	out_partial = NULL;
	free(o->tmp);
	free(o->dest);
	o->tmp = o->dest = NULL;
	o->fd = -1;
}

void
cli_damage_cb(void *arg, uint64_t seg, unsigned index, const uint8_t name[32], int why)
{
	struct cli_damage *d = arg;
	char hex[65];

	d->count++;
	if (why == DZ_ENOENT || why == DZ_EIO || why == DZ_ECONNECT)
		d->missing++;
	else
		d->corrupt++;
	if (d->count > CLI_DAMAGE_NAMED)
		return;
	hex_encode(name, 32, hex);
	cli_err("warning: segment %llu fragment %u (%.16s...) %s", (unsigned long long)seg,
	    index, hex, why == DZ_ENOENT ? "is missing" :
	    why == DZ_EIO || why == DZ_ECONNECT ? "is unreachable: its holder did not answer" :
	    why == DZ_EINTEGRITY ? "is corrupt: its bytes do not match its name" :
	    dz_strerror(why));
}

/*
 * Interrupts. The first SIGINT or SIGTERM only sets a flag that a running
 * transfer polls between segments (xfer_params.stop), so that it can undo
 * what it did (a put forgets its placements, a get removes its partial
 * file); a second one removes the partial file, if any, and quits at once.
 * The flag is the one piece of state a signal handler forces to be global.
 */
static volatile sig_atomic_t interrupted;

static void
on_interrupt(int sig)
{
	static const char first[] =
	    "\ndrizzle: interrupted: cleaning up (interrupt again to quit at once)\n";
	const char *partial = out_partial;

	if (interrupted) {
		if (partial != NULL)
			(void)unlink(partial);
		_exit(128 + sig);
	}
	interrupted = sig;
	(void)!write(STDERR_FILENO, first, sizeof(first) - 1);
}

void
cli_interrupt_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
}

int
cli_interrupted(void *arg)
{
	(void)arg;
	return interrupted != 0;
}
