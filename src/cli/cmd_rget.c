/*
 * cmd_rget: `drizzle get -r`: lists the remote folder (files_list) and
 * re-creates it under the local root with ltree_out, which never writes
 * outside it; the files of one pack are fetched together, each segment of
 * the pack read once.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/cmd_files.h"
#include "client/ltree.h"
#include "client/pack.h"

struct rget {
	uint64_t files, bytes, dirs, links, failed, named;
	int worst;                          /* the worst exit code of a failure */
};

static void
rget_fail(struct rget *g, const char *rel, int rc, const struct dz_errmsg *em)
{
	char er[CLI_ESCMAX];
	int ex;

	g->failed++;
	if (g->named++ < RTREE_NAMED)
		ex = cli_fail(rc, em, cli_escape(rel, er, sizeof(er)));
	else
		ex = rc == DZ_EPASSWORD ? EXIT_PASSWORD : EXIT_FAIL;
	if (ex > g->worst)
		g->worst = ex;
}

/* Packed files of one pack fetched together (each segment read once),
 * their output files open meanwhile: up to RGET_GROUP, fewer if the
 * descriptor limit is low (rget_group_max). */
#define RGET_GROUP 2048
struct rgroup {
	const struct cat_entry *e[RGET_GROUP];
	struct pack_item it[RGET_GROUP];
	const char *rel[RGET_GROUP];
	size_t n, max;
};

/* How many output files a group may hold open: a quarter of the
 * descriptor limit (raised to its hard maximum first), at most
 * RGET_GROUP, at least 16. */
static size_t
rget_group_max(void)
{
	struct rlimit rl;
	rlim_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 16;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return 16;
	}
	n = rl.rlim_cur / 4;
	return n < 16 ? 16 : n > RGET_GROUP ? RGET_GROUP : (size_t)n;
}

static void
rget_group_flush(struct files_ctx *fc, struct files_opts *o, struct ltree_out *out,
    struct rgroup *gr, struct rget *g, struct cli_progress *pr)
{
	struct dz_errmsg em = {{0}};
	int rc;

	if (gr->n == 0)
		return;
	gr->max = 0; /* measured again on the next group */
	rc = files_fetch_many(fc->f, gr->e[0]->id, gr->e[0]->pack_key, gr->it, gr->n,
	    &o->xp, &em);
	for (size_t i = 0; i < gr->n; i++) {
		const struct cat_entry *e = gr->e[i];
		struct dz_errmsg fe = {{0}};
		int r = gr->it[i].rc;

		if (r == 0 && rc != 0 && rc != gr->it[i].rc)
			r = rc; /* the span itself failed */
		if (r != 0) {
			ltree_out_file_abort(out, gr->rel[i], gr->it[i].fd);
			rget_fail(g, e->path, r, r == rc ? &em : &fe);
		} else if ((r = ltree_out_file_commit(out, gr->rel[i], gr->it[i].fd, e->mode,
		    e->mtime, e->mtime_nsec, &fe)) != 0)
			rget_fail(g, e->path, r, &fe);
		else {
			g->files++;
			g->bytes += e->size;
		}
	}
	cli_progress_cb(pr, g->bytes);
	gr->n = 0;
}

int
cli_get_tree(int argc, char **argv, struct files_opts *o)
{
	struct dz_errmsg em = {{0}};
	struct cli_damage dmg = {0, 0, 0};
	char norm[CATALOG_PATHMAX + 1], el[CLI_ESCMAX], er[CLI_ESCMAX], h[32];
	struct ltree_out *out = NULL;
	struct catalog c = {0};
	struct files_ctx fc;
	struct rget g;
	struct rgroup *gr = NULL;
	struct stat sb;
	const char *local;
	char *lbuf = NULL;
	uint64_t total = 0;
	size_t plen;
	double t0;
	int ex, rc;

	if (argc - optind < 1 || argc - optind > 2) {
		cli_err("get -r wants REMOTE [LOCALDIR] (see `drizzle get --help`)");
		return EXIT_USAGE;
	}
	if ((rc = catalog_path(argv[optind], norm, &em)) != 0)
		return cli_fail(rc, &em, "bad remote path");
	local = argc - optind == 2 ? argv[optind + 1] : cli_base_of(norm);
	if (local[0] == '\0') {
		cli_err("get -r of the root wants a LOCALDIR");
		return EXIT_USAGE;
	}
	/* into an existing folder: LOCALDIR/<base name>, as cp -r does */
	if (argc - optind == 2 && norm[0] != '\0' && stat(local, &sb) == 0 &&
	    S_ISDIR(sb.st_mode)) {
		size_t n = strlen(local) + 1 + strlen(cli_base_of(norm)) + 1;

		if ((lbuf = malloc(n)) == NULL)
			return cli_fail(DZ_ENOMEM, NULL, "get -r");
		snprintf(lbuf, n, "%s%s%s", local, local[strlen(local) - 1] == '/' ? "" : "/",
		    cli_base_of(norm));
		local = lbuf;
	}
	if ((ex = cli_files_open(o, &fc)) != 0) {
		free(lbuf);
		return ex;
	}
	memset(&g, 0, sizeof(g));
	if ((rc = files_list(fc.f, norm, &c, &em)) != 0) {
		ex = rc == DZ_ENOENT ? (cli_err("no folder '%s' (drizzle ls lists them)", norm),
		    EXIT_FAIL) : cli_fail(rc, &em, "cannot read the folder");
		goto out;
	}
	if (c.n == 1 && strcmp(c.e[0].path, norm) == 0) {
		cli_err("'%s' is a %s, not a folder: drizzle get (without -r) fetches it",
		    norm, c.e[0].type == CAT_LINK ? "link" : "file");
		ex = EXIT_FAIL;
		goto out;
	}
	if ((gr = calloc(1, sizeof(*gr))) == NULL) {
		ex = cli_fail(DZ_ENOMEM, NULL, "get -r");
		goto out;
	}
	if ((rc = ltree_out_open(local, o->force, &out, &em)) != 0) {
		ex = cli_fail(rc, &em, local);
		goto out;
	}
	/* without --force nothing existing is replaced, so a crash can only
	 * leave new files short: one sync at the end is enough for them */
	if (!o->force)
		ltree_out_lazy_sync(out);
	for (size_t i = 0; i < c.n; i++)
		total += c.e[i].type == CAT_FILE ? c.e[i].size : 0;
	{
		struct cli_progress pr;

		cli_progress_init(&pr, "get -r", total, o->quiet);
		o->xp.damage = cli_damage_cb;
		o->xp.damage_arg = &dmg;
		o->xp.stop = cli_interrupted;
		cli_interrupt_catch();
		t0 = cli_now();
		plen = strlen(norm);
		for (size_t i = 0; i < c.n && !cli_interrupted(NULL); i++) {
			const struct cat_entry *e = &c.e[i];
			const char *rel = e->path + plen + (plen > 0);
			struct dz_errmsg fe = {{0}};
			int fd;

			if (e->type == CAT_DIR) {
				if ((rc = ltree_out_mkdir(out, rel, e->mode, e->mtime, e->mtime_nsec,
				    &fe)) == 0)
					g.dirs++;
			} else if (e->type == CAT_LINK) {
				if ((rc = ltree_out_link(out, rel, e->target ? e->target : "",
				    e->mtime, e->mtime_nsec, &fe)) == 0)
					g.links++;
			} else if (e->packed) {
				/* one pass over the pack for the files that follow */
				if (gr->max == 0)
					gr->max = rget_group_max();
				if (gr->n > 0 && (gr->n >= gr->max ||
				    memcmp(gr->e[0]->id, e->id, 32) != 0))
					rget_group_flush(&fc, o, out, gr, &g, &pr);
				if ((rc = ltree_out_file_begin(out, rel, &fd, &fe)) == 0) {
					memset(&gr->it[gr->n], 0, sizeof(gr->it[0]));
					gr->it[gr->n].file_key = e->key;
					gr->it[gr->n].off = e->pack_off;
					gr->it[gr->n].len = e->pack_len;
					gr->it[gr->n].size = e->size;
					gr->it[gr->n].fd = fd;
					gr->rel[gr->n] = rel;
					gr->e[gr->n++] = e;
				}
			} else if ((rc = ltree_out_file_begin(out, rel, &fd, &fe)) == 0) {
				if ((rc = files_fetch(fc.f, e->id, fd, &o->xp, &fe)) != 0)
					ltree_out_file_abort(out, rel, fd);
				else if ((rc = ltree_out_file_commit(out, rel, fd, e->mode, e->mtime,
				    e->mtime_nsec, &fe)) == 0) {
					g.files++;
					g.bytes += e->size;
					cli_progress_cb(&pr, g.bytes);
				}
			}
			if (rc == DZ_EINTR)
				break;
			if (rc != 0)
				rget_fail(&g, e->path, rc, &fe);
		}
		rget_group_flush(&fc, o, out, gr, &g, &pr);
		cli_progress_end(&pr);
	}
	rc = ltree_out_close(out, &em);
	out = NULL;
	if (rc == 0)
		rc = files_flush(fc.f, &em);
	if (rc != 0) {
		ex = cli_fail(rc, &em, local);
		goto out;
	}
	if (cli_interrupted(NULL)) {
		cli_err("interrupted: %" PRIu64 " file(s) fetched so far are in place", g.files);
		ex = EXIT_FAIL;
		goto out;
	}
	if (dmg.count > 0)
		cli_err("warning: %u fragment(s) missing or unreachable and %u corrupt; "
		    "the files were rebuilt from the others where a segment kept enough",
		    dmg.missing, dmg.corrupt);
	cli_human(g.bytes, h);
	if (!o->quiet)
		fprintf(stderr, "fetched %s into %s: %" PRIu64 " file(s) (%s), %" PRIu64
		    " folder(s), %" PRIu64 " link(s) in %.2f s\n",
		    cli_escape(norm, er, sizeof(er)), cli_escape(local, el, sizeof(el)),
		    g.files, h, g.dirs, g.links, cli_now() - t0);
	ex = EXIT_OK;
	if (g.failed > 0) {
		cli_err("%" PRIu64 " entr%s could not be fetched%s", g.failed,
		    g.failed == 1 ? "y" : "ies", g.failed > RTREE_NAMED ?
		    " (the first ones named above)" : " (named above)");
		ex = g.worst > EXIT_FAIL ? g.worst : EXIT_FAIL;
	}
out:
	if (out != NULL && ltree_out_close(out, NULL) != 0) {
		/* already failing: the first error is the one reported */
	}
	free(gr);
	catalog_free(&c);
	cli_files_close(&fc);
	free(lbuf);
	return ex;
}
