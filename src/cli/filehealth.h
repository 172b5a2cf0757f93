/*
 * filehealth: the health columns of `drizzle ls -l`, `ls --json` and the
 * health lines of `drizzle status`: per file its code (from its record),
 * its health H/n (client/health.h) and its estimated durability
 * (docs/durability.md). Printing only; the numbers come from
 * client/health.c and client/durability.c.
 */
#ifndef DZ_CLI_FILEHEALTH_H
#define DZ_CLI_FILEHEALTH_H

#include <stddef.h>
#include <stdio.h>

#include "client/catalog.h"
#include "client/files.h"
#include "client/health.h"
#include "client/session.h"

/* One file as ls -l shows it. */
struct cli_fh {
	const struct cat_entry *e;  /* borrowed from the caller's catalog */
	unsigned k, n;              /* from its file record */
	struct health_obj h;
};

/*
 * cli_fh_survey: fill k, n and h of the count files fh[i].e (set by the
 * caller): each record's header, then the coordinator's health in
 * batches. 0 or the first error (em says which file or request).
 */
int cli_fh_survey(struct files *f, struct netstore *ns, struct cli_fh *fh,
    size_t count, struct dz_errmsg *em) DZ_MUST_CHECK;

/* cli_fh_threshold: the repair threshold that counts for fh: its own if
 * the coordinator recorded one, else k + ceil((n - k) / 2), at least
 * k + 1 and at most n (the default of issue 14's success threshold). */
unsigned cli_fh_threshold(const struct cli_fh *fh);

/* cli_fh_print_long: one `ls -l` line: size in bytes, mtime, code,
 * health H/n, durability, path (escaped as plain ls escapes it). */
void cli_fh_print_long(FILE *out, const struct cli_fh *fh);

/* cli_fh_print_json: the JSON array of count files (one object each:
 * path, size, mtime, k, n, health, segments, threshold, durability in
 * nines, loss_per_year), one object per line. */
void cli_fh_print_json(FILE *out, const struct cli_fh *fh, size_t count);

/*
 * cli_fh_status: the health lines of `drizzle status` for session s:
 * number of files, how many are under-replicated (health below n) and
 * below their repair threshold or k, and the worst durability; a
 * `warning:` line when any file is under-replicated. Returns an exit
 * code (EXIT_OK, or that of a failed request, reported).
 */
int cli_fh_status(struct session *s, FILE *out);

/* The counts cli_fh_status reports. */
struct cli_fh_counts {
	size_t files, under, below, unreadable;
	double worst;  /* loss within a year, the worst file's */
};

/* cli_fh_count: those counts for session s, printing nothing but a
 * failure. Returns an exit code as cli_fh_status. */
int cli_fh_count(struct session *s, struct cli_fh_counts *out);

#endif
