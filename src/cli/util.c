/*
 * util: the command line's shared helpers: messages, number and size
 * parsing, progress lines and safely replaced output files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/dirstore.h"
#include "core/fsio.h"

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("drizzle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
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
	case DZ_EAUTH:
	case DZ_EINTEGRITY:
	case DZ_ETOOFEW:
	case DZ_EFORMAT:
	case DZ_ETRUNC:
	case DZ_EVERSION:
		return EXIT_DAMAGED;
	default:
		return EXIT_FAIL;
	}
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
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return DZ_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return DZ_ERANGE;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return DZ_EINVAL;
	}
	if (*end == 'i' && shift != 0)
		end++;
	if ((*end == 'B' || *end == 'b') && end[1] == '\0')
		end++;
	if (*end != '\0')
		return DZ_EINVAL;
	if (shift != 0 && v > (ULLONG_MAX >> shift))
		return DZ_ERANGE;
	*out = v << shift;
	return 0;
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
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

void
cli_progress_init(struct cli_progress *p, const char *label, uint64_t total,
    int quiet)
{
	p->label = label;
	p->total = total;
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->start = p->last = cli_now();
}

static void
progress_line(struct cli_progress *p, uint64_t done, double now, int final)
{
	char h[32];
	double secs = now - p->start;
	double rate = secs > 0 ? (double)done / secs / 1e6 : 0;

	cli_human(done, h);
	if (p->total > 0)
		fprintf(stderr, "\r%s %s (%3.0f%%) %.0f MB/s%s", p->label, h,
		    100.0 * (double)done / (double)p->total, rate, final ? "\n" : "  ");
	else
		fprintf(stderr, "\r%s %s %.0f MB/s%s", p->label, h, rate,
		    final ? "\n" : "  ");
	fflush(stderr);
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
	progress_line(p, done, now, 0);
}

void
cli_progress_end(struct cli_progress *p, uint64_t done)
{
	if (p->enabled)
		progress_line(p, done, cli_now(), 1);
}

int
cli_out_open(struct cli_out *o, const char *dest, int force)
{
	size_t n;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->force = force;
	if (strcmp(dest, "-") == 0) {
		o->fd = STDOUT_FILENO;
		o->is_stdout = 1;
		return 0;
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
	/* mkstemp made it 0600; a finished file gets the usual mode */
	if (fchmod(o->fd, 0666 & ~mask) != 0 || fsync(o->fd) != 0) {
		cli_err("cannot write %s: %s", o->tmp, strerror(errno));
		rc = EXIT_FAIL;
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
	if (why == DZ_ENOENT || why == DZ_EIO)
		d->missing++;
	else
		d->corrupt++;
	if (d->count > CLI_DAMAGE_NAMED)
		return;
	hex_encode(name, 32, hex);
	cli_err("warning: segment %llu fragment %u (%.16s...) %s", (unsigned long long)seg,
	    index, hex, why == DZ_ENOENT ? "is missing" :
	    why == DZ_EIO ? "is unreachable: its holder did not answer" :
	    why == DZ_EINTEGRITY ? "is corrupt: its bytes do not match its name" :
	    dz_strerror(why));
}
