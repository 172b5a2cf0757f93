/*
 * cmd_rtree: `drizzle put -r` and `drizzle get -r`: whole folders.
 *
 * put -r walks the local tree (client/ltree.h) in pre-order, keeping the
 * remote folders on the current path as a stack of frames, each with the
 * folder as it was before this put (its snapshot): a file whose size,
 * modification time and mode match its snapshot entry is not uploaded
 * again. The others are uploaded as objects and named by folder in batches
 * (files_batch: one folder write per batch, not per file). A new
 * sub-folder's record is made and named before the walk goes into it.
 * Nothing on the network is removed: a remote file the local tree no
 * longer has stays (rm removes it).
 *
 * get -r: cmd_rget.c.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/cmd_files.h"
#include "client/ltree.h"
#include "client/pack.h"
#include "client/tree.h"

/* Entries wait to be named until their pack is full (16 MiB) or this
 * many wait (each a few hundred bytes: a bound on memory, and on what a
 * crash makes the next put -r upload again), or the files stored on their
 * own since the last naming pass this many bytes. High enough that even
 * tiny files fill packs of a few MiB rather than one pack per folder. */
#define RPUT_BATCH_FILES 32768
#define RPUT_BATCH_BYTES ((uint64_t)256 << 20)

struct rframe {
	char rel[CATALOG_PATHMAX + 1];     /* under LOCALDIR, "" its root */
	char remote[CATALOG_PATHMAX + 1];  /* its folder on the network */
	struct folder *snap;               /* as it was (NULL: new) */
};

/* The entries waiting to be named in one remote folder. */
struct rpend {
	char remote[CATALOG_PATHMAX + 1];
	struct files_batch *b;
};

struct rput {
	struct files_ctx *fc;
	struct files_opts *o;
	const char *local;
	struct rframe *st;
	int n;                             /* frames on st */
	struct rpend *pb;                  /* batches waiting, by folder */
	size_t npb, cappb, waiting;        /* waiting: entries in them */
	uint64_t big_bytes;                /* of files stored on their own */
	struct pack *pk;                   /* small files not yet stored */
	uint64_t up_files, up_bytes, same_files, same_bytes, dirs, links;
	uint64_t skipped, failed, named, packs;
	struct cli_progress pr;
	struct dz_errmsg em;               /* why the walk stopped */
};

/* A problem with one entry: named (the first RTREE_NAMED), counted. */
static void
rput_note(struct rput *rp, const char *rel, const char *why)
{
	char el[CLI_ESCMAX], er[CLI_ESCMAX];

	if (rp->named++ < RTREE_NAMED)
		cli_err("%s/%s: %s", cli_escape(rp->local, el, sizeof(el)),
		    cli_escape(rel, er, sizeof(er)), why);
}

static void
rput_skip(void *arg, const char *rel, const char *why)
{
	struct rput *rp = arg;

	rp->skipped++;
	rput_note(rp, rel, why[0] ? why : "skipped");
}

static void
rput_refused(void *arg, const char *dir, const char *name)
{
	struct rput *rp = arg;
	char er[CLI_ESCMAX], why[2 * CLI_ESCMAX];

	rp->failed++;
	snprintf(why, sizeof(why), "not stored: the network has a folder of that name "
	    "in '%s'", cli_escape(dir, er, sizeof(er)));
	rput_note(rp, name, why);
}

/* The batch waiting for remote folder dir (made if there is none). */
static int
rput_batch(struct rput *rp, const char *dir, struct files_batch **out)
{
	struct rpend *p;
	int rc;

	for (size_t i = rp->npb; i-- > 0;)
		if (strcmp(rp->pb[i].remote, dir) == 0) {
			*out = rp->pb[i].b;
			return 0;
		}
	if (rp->npb == rp->cappb) {
		size_t cap = rp->cappb ? 2 * rp->cappb : 16;

		if ((p = realloc(rp->pb, cap * sizeof(*p))) == NULL)
			return DZ_ENOMEM;
		rp->pb = p;
		rp->cappb = cap;
	}
	p = &rp->pb[rp->npb];
	snprintf(p->remote, sizeof(p->remote), "%s", dir);
	if ((rc = files_batch_new(&p->b)) != 0)
		return rc;
	rp->npb++;
	*out = p->b;
	return 0;
}

/* Store the pack being built (if it holds anything), then name every
 * waiting entry, folder by folder. */
static int
rput_flush(struct rput *rp)
{
	uint8_t id[32], *key = sodium_malloc(32);
	int rc = 0;

	if (key == NULL)
		return DZ_ENOMEM;
	if (pack_count(rp->pk) > 0) {
		struct xfer_file fi = {.name = "", .mode = 0600};
		uint64_t size;
		int fd;

		fi.mtime_sec = (int64_t)time(NULL);
		if ((rc = pack_fd(rp->pk, &fd, &rp->em)) == 0) {
			rc = files_store(rp->fc->f, fd, &fi, &rp->o->xp, id, key, &size, &rp->em);
			close(fd);
		}
		/* listed before anything names it: compaction finds it even
		 * if this command dies now */
		if (rc == 0)
			rc = files_pack_register(rp->fc->f, id, size, &rp->em);
		if (rc == 0) {
			for (size_t i = 0; i < rp->npb; i++)
				files_batch_set_pack(rp->pb[i].b, id, key);
			pack_reset(rp->pk);
			rp->packs++;
		}
	}
	/* the versions of every record this pass writes go to the rollback
	 * memory in one transaction (one fsync, not one per record), made
	 * durable before the pass ends */
	if (rc == 0)
		rc = tree_batch(files_tree(rp->fc->f), &rp->em);
	for (size_t i = 0; i < rp->npb; i++) {
		/* after a failure the rest is dropped (files_batch_free): what
		 * was stored stays journaled and the next command forgets it */
		if (rc == 0)
			rc = files_batch_flush(rp->fc->f, rp->pb[i].b, rp->pb[i].remote,
			    rput_refused, rp, &rp->em);
		files_batch_free(rp->pb[i].b);
	}
	{
		struct dz_errmsg fe = {{0}};
		int r2 = tree_flush(files_tree(rp->fc->f), &fe);

		if (rc == 0 && r2 != 0) {
			rc = r2;
			rp->em = fe;
		}
	}
	rp->npb = 0;
	rp->waiting = 0;
	rp->big_bytes = 0;
	sodium_free(key);
	return rc;
}

/* Queue e for the top frame's folder; name everything once enough waits. */
static int
rput_queue(struct rput *rp, const struct folder_entry *e, int flags)
{
	struct files_batch *b;
	int rc;

	if ((rc = rput_batch(rp, rp->st[rp->n - 1].remote, &b)) != 0 ||
	    (rc = files_batch_add(b, e, flags)) != 0)
		return rc;
	if (++rp->waiting >= RPUT_BATCH_FILES || rp->big_bytes >= RPUT_BATCH_BYTES)
		return rput_flush(rp);
	return 0;
}

/* Push the frame of local folder rel at remote; snap: read it (else new). */
static int
rput_push(struct rput *rp, const char *rel, const char *remote, int snap)
{
	struct rframe *fr;
	int rc;

	if (rp->n >= LTREE_MAXDEPTH + 1)
		return dz_errf(&rp->em, DZ_ERANGE, "the tree is deeper than %d levels",
		    LTREE_MAXDEPTH);
	fr = &rp->st[rp->n];
	snprintf(fr->rel, sizeof(fr->rel), "%s", rel);
	snprintf(fr->remote, sizeof(fr->remote), "%s", remote);
	fr->snap = NULL;
	if (snap) {
		rc = tree_walk(files_tree(rp->fc->f), remote, NULL, 0, &fr->snap, NULL,
		    NULL, &rp->em);
		if (rc == DZ_ENOENT)
			memset(&rp->em, 0, sizeof(rp->em));
		else if (rc != 0)
			return rc;
	}
	rp->n++;
	return 0;
}

static void
rput_pop(struct rput *rp)
{
	folder_free(rp->st[rp->n - 1].snap);
	rp->n--;
}

/* The snapshot entry of name in the top frame, or NULL. */
static const struct folder_entry *
rput_was(struct rput *rp, const char *name)
{
	const struct folder_entry *e;
	struct folder *s = rp->st[rp->n - 1].snap;

	return s != NULL && folder_find(s, name, &e) == 0 ? e : NULL;
}

static int
rput_dir(struct rput *rp, const struct ltree_ent *e, const char *remote)
{
	const struct folder_entry *was = rput_was(rp, e->name);
	struct folder_entry ne;
	int rc = 0, fresh = 0;

	memset(&ne, 0, sizeof(ne));
	ne.name = e->name;
	ne.type = FOLDER_T_DIR;
	ne.mode = e->mode & 07777;
	ne.mtime_sec = e->mtime_sec;
	ne.mtime_nsec = e->mtime_nsec;
	if (was != NULL && was->type == FOLDER_T_DIR) {
		memcpy(ne.id, was->id, 32);
		memcpy(ne.key, was->key, 32);
		if (was->mode != ne.mode || was->mtime_sec != ne.mtime_sec ||
		    was->mtime_nsec != ne.mtime_nsec)
			rc = rput_queue(rp, &ne, 0);
	} else {
		struct files_batch *b = NULL;

		/* made and named at once: the walk goes into it by path */
		folder_fresh_keys(ne.id, ne.key);
		fresh = 1;
		if ((rc = tree_create(files_tree(rp->fc->f), ne.id, ne.key, remote,
		    &rp->em)) == 0 && (rc = files_batch_new(&b)) == 0 &&
		    (rc = files_batch_add(b, &ne, FILES_BATCH_FRESH)) == 0)
			rc = files_batch_flush(rp->fc->f, b, rp->st[rp->n - 1].remote,
			    rput_refused, rp, &rp->em);
		files_batch_free(b);
	}
	sodium_memzero(ne.key, sizeof(ne.key));
	if (rc == 0 && (rc = rput_push(rp, e->rel, remote, !fresh)) == 0)
		rp->dirs++;
	return rc;
}

/* Store the file open at fd (lstat's e): packed if small, else on its
 * own; then queue its entry. */
static int
rput_store(struct rput *rp, const struct ltree_ent *e, const char *remote, int fd)
{
	struct dz_errmsg em = {{0}};
	struct folder_entry ne;
	int rc, flags = 0;

	memset(&ne, 0, sizeof(ne));
	ne.name = e->name;
	ne.mode = e->mode & 07777;
	ne.mtime_sec = e->mtime_sec;
	ne.mtime_nsec = e->mtime_nsec;
	ne.stored_sec = (int64_t)time(NULL);
	if (e->size <= PACK_SMALL) {
		rc = pack_add(rp->pk, fd, e->size, ne.key, &ne.pack_off, &ne.pack_len, &em);
		if (rc == DZ_ENOSPC && (rc = rput_flush(rp)) == 0 &&
		    lseek(fd, 0, SEEK_SET) == 0)
			rc = pack_add(rp->pk, fd, e->size, ne.key, &ne.pack_off, &ne.pack_len,
			    &em);
		if (rc == DZ_ECHANGED) {
			rp->failed++;
			rput_note(rp, e->rel, em.text[0] ? em.text : "changed while read");
			return 0;
		}
		if (rc != 0)
			return rp->em.text[0] ? rc : dz_errf(&rp->em, rc, "%s", em.text);
		ne.type = FOLDER_T_PACKED;
		ne.size = e->size;
		flags = FILES_BATCH_INPACK;
	} else {
		struct xfer_file fi;

		memset(&fi, 0, sizeof(fi));
		fi.name = remote;
		fi.mtime_sec = e->mtime_sec;
		fi.mtime_nsec = e->mtime_nsec;
		fi.mode = ne.mode;
		if ((rc = files_store(rp->fc->f, fd, &fi, &rp->o->xp, ne.id, ne.key, &ne.size,
		    &rp->em)) != 0)
			return rc; /* the network refused: the rest would fail alike */
		ne.type = FOLDER_T_FILE;
		rp->big_bytes += ne.size;
	}
	rp->up_files++;
	rp->up_bytes += ne.size;
	cli_progress_cb(&rp->pr, rp->up_bytes);
	rc = rput_queue(rp, &ne, flags);
	sodium_memzero(ne.key, sizeof(ne.key));
	return rc;
}

static int
rput_file(struct rput *rp, const struct ltree_ent *e, const char *remote)
{
	const struct folder_entry *was = rput_was(rp, e->name);
	struct dz_errmsg em = {{0}};
	int fd, rc;

	if (was != NULL && folder_is_file(was) && was->size == e->size &&
	    was->mtime_sec == e->mtime_sec && was->mtime_nsec == e->mtime_nsec &&
	    was->mode == (e->mode & 07777)) {
		rp->same_files++;
		rp->same_bytes += e->size;
		return 0;
	}
	if (was != NULL && was->type == FOLDER_T_DIR) {
		rput_refused(rp, rp->st[rp->n - 1].remote, e->name);
		return 0;
	}
	if ((rc = ltree_open_file(e, &fd, &em)) != 0) {
		rp->failed++;
		rput_note(rp, e->rel, em.text[0] ? em.text : dz_strerror(rc));
		return 0; /* the others go on */
	}
	rc = rput_store(rp, e, remote, fd);
	close(fd);
	return rc;
}

static int
rput_link(struct rput *rp, const struct ltree_ent *e)
{
	const struct folder_entry *was = rput_was(rp, e->name);
	struct folder_entry ne;

	rp->links++;
	if (was != NULL && was->type == FOLDER_T_LINK && strcmp(was->target, e->target) == 0 &&
	    was->mtime_sec == e->mtime_sec && was->mtime_nsec == e->mtime_nsec)
		return 0;
	if (was != NULL && was->type == FOLDER_T_DIR) {
		rput_refused(rp, rp->st[rp->n - 1].remote, e->name);
		return 0;
	}
	memset(&ne, 0, sizeof(ne));
	ne.name = e->name;
	ne.target = e->target;
	ne.type = FOLDER_T_LINK;
	ne.mode = 0777;
	ne.mtime_sec = e->mtime_sec;
	ne.mtime_nsec = e->mtime_nsec;
	return rput_queue(rp, &ne, 0);
}

/* ltree_scan's fn: one local entry. */
static int
rput_ent(void *arg, const struct ltree_ent *e)
{
	struct rput *rp = arg;
	char parent[CATALOG_PATHMAX + 1], remote[CATALOG_PATHMAX + 1];
	const char *base;

	if (cli_interrupted(NULL))
		return dz_errf(&rp->em, DZ_EINTR, "interrupted");
	tree_split(e->rel, parent, &base);
	/* pre-order: leave the folders this entry is not in */
	while (rp->n > 1 && strcmp(rp->st[rp->n - 1].rel, parent) != 0)
		rput_pop(rp);
	if (strcmp(rp->st[rp->n - 1].rel, parent) != 0)
		return dz_errf(&rp->em, DZ_EINVAL, "'%s' came before its folder (a bug)",
		    e->rel);
	if (snprintf(remote, sizeof(remote), "%s%s%s", rp->st[rp->n - 1].remote,
	    rp->st[rp->n - 1].remote[0] ? "/" : "", e->name) >= (int)sizeof(remote)) {
		rp->skipped++;
		rput_note(rp, e->rel, "its remote path would pass 1024 bytes");
		return 0;
	}
	switch (e->type) {
	case LTREE_DIR: return rput_dir(rp, e, remote);
	case LTREE_FILE: return rput_file(rp, e, remote);
	case LTREE_LINK: return rput_link(rp, e);
	default: return 0;
	}
}

/* REMOTE for LOCALDIR: given as it is, with LOCALDIR's base name added
 * if it ends in /; absent: LOCALDIR's base name. */
static int
rput_remote(const char *local, const char *remote, char out[static CATALOG_PATHMAX + 1])
{
	struct dz_errmsg em = {{0}};
	char *real = NULL, buf[CATALOG_PATHMAX * 2 + 2];
	const char *b;
	int rc;

	if (remote != NULL && remote[0] != '\0' && remote[strlen(remote) - 1] != '/') {
		snprintf(buf, sizeof(buf), "%s", remote);
	} else {
		if ((real = realpath(local, NULL)) == NULL || (b = cli_base_of(real))[0] == '\0') {
			free(real);
			cli_err("cannot make a remote name from '%s'; give REMOTE", local);
			return EXIT_USAGE;
		}
		snprintf(buf, sizeof(buf), "%s%s", remote != NULL ? remote : "", b);
		free(real);
	}
	if ((rc = catalog_path(buf, out, &em)) != 0)
		return cli_fail(rc, &em, "bad remote path");
	if (out[0] == '\0') {
		cli_err("put -r wants a remote folder, not the root (give REMOTE)");
		return EXIT_USAGE;
	}
	return 0;
}

/* How often put -r compacts the packs by itself (drizzle compact). */
#define RPUT_COMPACT_EVERY (24 * 3600)

/* Whether put -r should compact now: the profile's `compacted` file holds
 * when it last did. Without one (a new profile) the clock starts now and
 * nothing runs: a new account has nothing to free, and a put -r of a big
 * tree should not pay a second walk of it. */
static int
rput_compact_due(const char *home)
{
	char path[4096 + 16], tmp[4096 + 32], buf[32];
	long long last = 0;
	time_t now = time(NULL);
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/compacted", home) >= (int)sizeof(path))
		return 0;
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			last = strtoll(buf, NULL, 10);
		fclose(f);
		if (last > 0 && now - last < RPUT_COMPACT_EVERY)
			return 0;
		if (last > 0)
			return 1;
	}
	/* start the clock (best effort: at worst a later put -r compacts) */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) != NULL) {
		fprintf(f, "%lld\n", (long long)now);
		if (fclose(f) != 0 || rename(tmp, path) != 0)
			unlink(tmp);
	}
	return 0;
}

/* Compact after a put -r (forced, or once a day), and note when. A failure
 * is a warning: what the put stored is stored. */
static void
rput_compact(struct files_ctx *fc, struct files_opts *o)
{
	struct dz_errmsg em = {{0}};
	struct files_compact_stats st;
	char path[4096 + 16], tmp[4096 + 32], fr[32];
	FILE *f;

	if (o->no_compact || (!o->compact && !rput_compact_due(fc->s->home)))
		return;
	if (files_compact(fc->f, o->threshold, &st, &em) != 0 ||
	    files_flush(fc->f, &em) != 0) {
		cli_err("warning: compaction failed (%s); `drizzle compact` tries again",
		    em.text[0] ? em.text : "unknown error");
		return;
	}
	if (snprintf(path, sizeof(path), "%s/compacted", fc->s->home) < (int)sizeof(path)) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		if ((f = fopen(tmp, "w")) != NULL) {
			fprintf(f, "%lld\n", (long long)time(NULL));
			if (fclose(f) != 0 || rename(tmp, path) != 0)
				unlink(tmp);
		}
	}
	cli_human(st.freed, fr);
	if (!o->quiet)
		fprintf(stderr, "compacted: %" PRIu64 " pack(s) removed, %" PRIu64
		    " rewritten, %s freed\n", st.removed, st.rewritten, fr);
}

int
cli_put_tree(int argc, char **argv, struct files_opts *o)
{
	struct rput rp;
	struct files_ctx fc;
	struct stat sb;
	char remote[CATALOG_PATHMAX + 1], h1[32], h2[32], el[CLI_ESCMAX], er[CLI_ESCMAX];
	double t0;
	int ex, rc;

	if (argc - optind < 1 || argc - optind > 2) {
		cli_err("put -r wants LOCALDIR [REMOTE] (see `drizzle put --help`)");
		return EXIT_USAGE;
	}
	memset(&rp, 0, sizeof(rp));
	rp.local = argv[optind];
	if (stat(rp.local, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		cli_err("put -r: %s is not a folder (put stores a single file)", rp.local);
		return EXIT_FAIL;
	}
	if ((ex = rput_remote(rp.local, argc - optind == 2 ? argv[optind + 1] : NULL,
	    remote)) != 0)
		return ex;
	if ((ex = cli_files_open(o, &fc)) != 0)
		return ex;
	if ((ex = cli_files_code(&fc, o)) != 0)
		goto out;
	rp.fc = &fc;
	rp.o = o;
	if ((rp.st = calloc(LTREE_MAXDEPTH + 2, sizeof(*rp.st))) == NULL ||
	    pack_new(0, &rp.pk) != 0) {
		ex = cli_fail(DZ_ENOMEM, NULL, "put -r");
		goto out;
	}
	cli_progress_init(&rp.pr, "put -r", 0, o->quiet);
	cli_interrupt_catch();
	o->xp.stop = cli_interrupted;
	t0 = cli_now();
	rc = files_mkdir(fc.f, remote, FILES_MKDIR_PARENTS | FILES_MKDIR_EXISTOK,
	    sb.st_mode & 07777, sb.st_mtim.tv_sec, (uint32_t)sb.st_mtim.tv_nsec, NULL,
	    &rp.em);
	if (rc == 0)
		rc = rput_push(&rp, "", remote, 1);
	if (rc == 0)
		rc = ltree_scan(rp.local, rput_ent, rput_skip, &rp, &rp.em);
	/* name what was stored, even after an error or an interrupt: a
	 * second put -r then skips it; the first error is the one reported */
	{
		struct dz_errmsg first = rp.em;
		int r2;

		if (rc == DZ_EINTR)
			o->xp.stop = NULL; /* the last pack still goes */
		r2 = rput_flush(&rp);
		if (rc == 0)
			rc = r2;
		if (rc != 0 && first.text[0] != '\0')
			rp.em = first;
		while (rp.n > 0)
			rput_pop(&rp);
	}
	if (rc == 0)
		rc = files_flush(fc.f, &rp.em);
	cli_progress_end(&rp.pr);
	if (rc != 0) {
		ex = cli_fail(rc, &rp.em, rp.local);
		if (ex == EXIT_DAMAGED && rc != DZ_EROLLBACK)
			ex = EXIT_FAIL;
		goto out;
	}
	cli_human(rp.up_bytes, h1);
	cli_human(rp.same_bytes, h2);
	if (!o->quiet)
		fprintf(stderr, "stored %s as %s: %" PRIu64 " file(s) uploaded (%s, %" PRIu64
		    " pack(s) of small files), %" PRIu64 " unchanged skipped (%s), %" PRIu64
		    " folder(s), %" PRIu64 " link(s), %" PRIu64 " not stored in %.2f s\n",
		    cli_escape(rp.local, el, sizeof(el)), cli_escape(remote, er, sizeof(er)),
		    rp.up_files, h1, rp.packs, rp.same_files, h2, rp.dirs, rp.links,
		    rp.skipped + rp.failed, cli_now() - t0);
	rput_compact(&fc, o);
	ex = rp.failed > 0 ? EXIT_FAIL : EXIT_OK;
	if (rp.failed > 0)
		cli_err("%" PRIu64 " file(s) could not be stored (named above)", rp.failed);
out:
	for (size_t i = 0; i < rp.npb; i++)
		files_batch_free(rp.pb[i].b);
	free(rp.pb);
	pack_free(rp.pk);
	free(rp.st);
	cli_files_close(&fc);
	return ex;
}
