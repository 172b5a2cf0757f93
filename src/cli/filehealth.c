/*
 * filehealth: health columns of ls -l / ls --json and the health lines
 * of status (filehealth.h).
 */
#include "cli/filehealth.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "client/durability.h"
#include "core/json.h"

int
cli_fh_survey(struct files *f, struct netstore *ns, struct cli_fh *fh,
    size_t count, struct dz_errmsg *em)
{
	uint8_t (*ids)[32] = NULL, *k = NULL, *n = NULL;
	struct health_obj *h = NULL;
	size_t *at = NULL, m = 0;
	int rc = 0;

	if (count == 0)
		return 0;
	ids = calloc(count, sizeof(*ids));
	k = calloc(count, 1);
	n = calloc(count, 1);
	h = calloc(count, sizeof(*h));
	at = calloc(count, sizeof(*at));
	if (ids == NULL || k == NULL || n == NULL || h == NULL || at == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	/* files only: folders and links have no fragments */
	for (size_t i = 0; i < count; i++)
		if (fh[i].e->type == CAT_FILE)
			at[m++] = i;
	for (size_t j = 0; rc == 0 && j < m; j++) {
		size_t i = at[j];

		rc = files_code(f, fh[i].e->id, &fh[i].k, &fh[i].n, em);
		if (rc != 0) {
			char tmp[sizeof(em->text)];

			snprintf(tmp, sizeof(tmp), "%s", em->text);
			dz_errf(em, rc, "%s: %s", fh[i].e->path, tmp);
			break;
		}
		memcpy(ids[j], fh[i].e->id, 32);
		k[j] = (uint8_t)fh[i].k;
		n[j] = (uint8_t)fh[i].n;
	}
	if (rc == 0 && m > 0 && (rc = health_query(ns, (const uint8_t (*)[32])ids, k, n,
	    m, h, em)) == 0)
		for (size_t j = 0; j < m; j++)
			fh[at[j]].h = h[j];
out:
	free(at);
	free(ids);
	free(k);
	free(n);
	free(h);
	return rc;
}

unsigned
cli_fh_threshold(const struct cli_fh *fh)
{
	unsigned t;

	if (fh->h.threshold != 0)
		return fh->h.threshold;
	t = fh->k + (fh->n - fh->k + 1) / 2;
	if (t < fh->k + 1)
		t = fh->k + 1;
	return t > fh->n ? fh->n : t;
}

/* "23.4 nines", ">99 nines", "lost" into out. */
static void
nines_text(double loss, char out[32])
{
	double n = dur_nines(loss);

	if (n <= 0.0)
		snprintf(out, 32, "lost");
	else if (n >= DUR_NINES_MAX)
		snprintf(out, 32, ">%.0f nines", DUR_NINES_MAX);
	else
		snprintf(out, 32, "%.1f nines", n);
}

void
cli_fh_print_long(FILE *out, const struct cli_fh *fh)
{
	char date[32], code[16], health[16], dur[32];
	time_t t = (time_t)fh->e->mtime;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(date, sizeof(date), "?");
	if (fh->e->type != CAT_FILE) {
		/* a folder (its path ends in /) or a link (-> its target) */
		fprintf(out, "%14s  %s  %-9s %7s  %-11s  ", "-", date,
		    fh->e->type == CAT_DIR ? "folder" : "link", "", "");
		cli_escape_put(out, fh->e->path);
		if (fh->e->type == CAT_DIR)
			fputc('/', out);
		else {
			fputs(" -> ", out);
			cli_escape_put(out, fh->e->target != NULL ? fh->e->target : "");
		}
		fputc('\n', out);
		return;
	}
	snprintf(code, sizeof(code), "%u-of-%u", fh->k, fh->n);
	snprintf(health, sizeof(health), "%u/%u", fh->h.healthy, fh->n);
	nines_text(fh->h.loss, dur);
	fprintf(out, "%14" PRIu64 "  %s  %-9s %7s  %-11s  ", fh->e->size, date,
	    code, health, dur);
	cli_escape_put(out, fh->e->path);
	fputc('\n', out);
}

void
cli_fh_print_json(FILE *out, const struct cli_fh *fh, size_t count)
{
	fputc('[', out);
	for (size_t i = 0; i < count; i++) {
		const struct cli_fh *x = &fh[i];
		/* each byte escapes to at most 6, plus the quotes */
		char path[CATALOG_PATHMAX * 6 + 3];

		json_str(path, sizeof(path), x->e->path);
		if (x->e->type != CAT_FILE) {
			char target[FOLDER_LINKMAX * 6 + 3];

			json_str(target, sizeof(target), x->e->target != NULL ?
			    x->e->target : "");
			fprintf(out, "%s\n {\"path\": %s, \"type\": \"%s\", \"mtime\": "
			    "%" PRId64 ", \"mode\": %u%s%s}", i == 0 ? "" : ",", path,
			    x->e->type == CAT_DIR ? "folder" : "link", x->e->mtime,
			    (unsigned)x->e->mode, x->e->type == CAT_LINK ?
			    ", \"target\": " : "", x->e->type == CAT_LINK ? target : "");
			continue;
		}
		fprintf(out, "%s\n {\"path\": %s, \"size\": %" PRIu64 ", \"mtime\": "
		    "%" PRId64 ", \"k\": %u, \"n\": %u, \"health\": %u, "
		    "\"segments\": %" PRIu64 ", \"threshold\": %u, "
		    "\"durability\": %.2f, \"loss_per_year\": %.3g, \"type\": \"file\"}",
		    i == 0 ? "" : ",", path, x->e->size, x->e->mtime, x->k, x->n,
		    x->h.healthy, x->h.nsegs, cli_fh_threshold(x),
		    dur_nines(x->h.loss), x->h.loss);
	}
	fputs(count > 0 ? "\n]\n" : "]\n", out);
}

int
cli_fh_count(struct session *s, struct cli_fh_counts *out)
{
	struct dz_errmsg em = {{0}};
	struct netstore *ns = NULL;
	struct files *f = NULL;
	struct catalog c = {0};
	struct cli_fh *fh = NULL;
	int rc, ex = EXIT_OK;

	memset(out, 0, sizeof(*out));
	if ((rc = netstore_open(s->tls, s->coord_addr, s->coord_pk, NULL, &ns,
	    &em)) != 0 || (rc = files_open(ns, s->mk, &f, &em)) != 0 ||
	    (rc = files_list(f, "", &c, &em)) != 0) {
		ex = cli_fail(rc, &em, "cannot read the file list");
		goto out;
	}
	if (c.n > 0 && (fh = calloc(c.n, sizeof(*fh))) == NULL) {
		ex = cli_fail(DZ_ENOMEM, NULL, "file health");
		goto out;
	}
	for (size_t i = 0; i < c.n; i++)
		if (c.e[i].type == CAT_FILE)
			fh[out->files++].e = &c.e[i];
	if ((rc = cli_fh_survey(f, ns, fh, out->files, &em)) != 0) {
		ex = cli_fail(rc, &em, "cannot check the files' health");
		goto out;
	}
	for (size_t i = 0; i < out->files; i++) {
		if (fh[i].h.healthy < fh[i].n)
			out->under++;
		if (fh[i].h.healthy < cli_fh_threshold(&fh[i]))
			out->below++;
		if (fh[i].h.healthy < fh[i].k)
			out->unreadable++;
		if (fh[i].h.loss > out->worst)
			out->worst = fh[i].h.loss;
	}
out:
	free(fh);
	catalog_free(&c);
	files_close(f);
	netstore_close(ns);
	return ex;
}

int
cli_fh_status(struct session *s, FILE *out)
{
	struct cli_fh_counts n;
	char dur[32];
	int ex;

	if ((ex = cli_fh_count(s, &n)) != EXIT_OK)
		return ex;
	fprintf(out, "files        %zu, %zu under-replicated\n", n.files, n.under);
	if (n.files > 0) {
		nines_text(n.worst, dur);
		fprintf(out, "durability   %s at worst (loss within a year; "
		    "see docs/durability.md)\n", dur);
	}
	if (n.under > 0)
		fprintf(out, "warning: %zu of %zu files under-replicated (health "
		    "below n; `drizzle ls -l` shows which): %zu below the repair "
		    "threshold, %zu unreadable now\n", n.under, n.files, n.below,
		    n.unreadable);
	return EXIT_OK;
}
