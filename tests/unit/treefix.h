/* treefix: what test_tree shares: an in-process coordinator (coordfix.h)
 * with one account signed up from one home and logged in from another,
 * so two devices, each with its own netstore and tree over the same
 * folder sub-key; a restart that saves or restores the coordinator's data
 * directory; changes for tree_update (add files, a link, remove, resize);
 * a listing collector. Static functions only: included by test_tree.c. */
#ifndef DZ_TREEFIX_H
#define DZ_TREEFIX_H


#include "coordfix.h"

#include "client/session.h"
#include "client/tree.h"
#include "core/mkey.h"
#include "core/record.h"

static const char PW[] = "a tree of folders, one record each";

struct tfx {
	char dir[48];                   /* scratch: homes, seen.db, the server */
	char seen[80];
	struct srv s;
	struct pwkey_params kdf;        /* cheap: 1 pass, 64 KiB */
	struct session *sa, *sb;        /* two devices of one account */
	struct netstore *na, *nb;
	uint8_t *sub;                   /* the folder sub-key (sodium_malloc) */
	struct tree *ta, *tb;
};

/* Fail with em's text unless call returns 0 (needs a local em). */
#define OK(call)                                                              \
	do {                                                                  \
		memset(&em, 0, sizeof(em));                                   \
		if ((call) != 0)                                              \
			fail_msg("%s: %s", #call, em.text);                   \
	} while (0)

static void
net_open(struct tfx *f)
{
	struct dz_errmsg em;

	OK(netstore_open(f->sa->tls, f->s.addr, f->s.pk, NULL, &f->na, &em));
	OK(netstore_open(f->sb->tls, f->s.addr, f->s.pk, NULL, &f->nb, &em));
	OK(tree_open(f->na, f->sub, &f->ta, &em));
	OK(tree_open(f->nb, f->sub, &f->tb, &em));
}

static void
net_close(struct tfx *f)
{
	tree_close(f->ta);
	tree_close(f->tb);
	netstore_close(f->na);
	netstore_close(f->nb);
	f->ta = f->tb = NULL;
	f->na = f->nb = NULL;
}

static int
tsetup(void **state)
{
	struct tfx *f = calloc(1, sizeof(*f));
	struct dz_errmsg em;
	char ha[96], hb[96];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_tree.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->s.dir, sizeof(f->s.dir), "%s/coord", f->dir);
	snprintf(f->seen, sizeof(f->seen), "%s/seen.db", f->dir);
	atomic_store(&f->s.clock, T0);
	srv_start(&f->s);
	f->kdf.alg = PWKEY_ALG_ARGON2ID13;
	f->kdf.opslimit = 1;
	f->kdf.memlimit = 65536;
	snprintf(ha, sizeof(ha), "%s/a", f->dir);
	snprintf(hb, sizeof(hb), "%s/b", f->dir);
	OK(session_signup(ha, f->s.addr, NULL, "alice", PW, strlen(PW), &f->kdf, "",
	    &em));
	OK(session_login(hb, f->s.addr, NULL, "alice", PW, strlen(PW), &f->kdf, &em));
	OK(session_open(ha, PW, strlen(PW), &f->sa, &em));
	OK(session_open(hb, PW, strlen(PW), &f->sb, &em));
	assert_non_null(f->sub = sodium_malloc(32));
	assert_int_equal(mkey_derive(f->sa->mk, MKEY_SUB_FOLDER, f->sub), 0);
	net_open(f);
	*state = f;
	return 0;
}

static int
tteardown(void **state)
{
	struct tfx *f = *state;
	char cmd[128];

	net_close(f);
	session_close(f->sa);
	session_close(f->sb);
	sodium_free(f->sub);
	if (f->s.co != NULL)
		srv_stop(&f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Stop the server, then "save" copies its data directory aside or
 * "restore" puts that copy back (the coordinator's database restored
 * from a backup); start it again and reopen both netstores and trees
 * (the address changes: port 0). */
static void
restart(struct tfx *f, const char *what)
{
	char cmd[256];

	net_close(f);
	srv_stop(&f->s);
	if (strcmp(what, "save") == 0)
		snprintf(cmd, sizeof(cmd), "cp -a %s %s.bak", f->s.dir, f->s.dir);
	else
		snprintf(cmd, sizeof(cmd), "rm -rf %s && cp -a %s.bak %s", f->s.dir,
		    f->s.dir, f->s.dir);
	assert_int_equal(system(cmd), 0);
	srv_start(&f->s);
	net_open(f);
}

/* ---- changes ---- */

/* A file entry named name whose size, mtime and mode come from tag. */
static struct folder_entry
file_ent(const char *name, unsigned tag)
{
	struct folder_entry e;

	memset(&e, 0, sizeof(e));
	e.name = name;
	e.type = FOLDER_T_FILE;
	e.mode = 0600 | (tag & 077);
	e.mtime_sec = T0 + tag;
	e.size = 100u * tag + 1;
	randombytes_buf(e.id, sizeof(e.id));
	randombytes_buf(e.key, sizeof(e.key));
	return e;
}

/* Add n files named prefix%04u from from on (n 0: one named prefix). */
struct adds {
	const char *prefix;
	unsigned from, n;
};

static int
add_files(void *arg, struct folder *f, struct dz_errmsg *em)
{
	const struct adds *a = arg;
	unsigned n = a->n ? a->n : 1;

	for (unsigned i = 0; i < n; i++) {
		char name[64];
		struct folder_entry e;
		int rc;

		if (a->n == 0)
			snprintf(name, sizeof(name), "%s", a->prefix);
		else
			snprintf(name, sizeof(name), "%s%04u", a->prefix, a->from + i);
		e = file_ent(name, a->from + i);
		if ((rc = folder_add(f, &e, em)) != 0)
			return rc;
	}
	return 0;
}

static int
add_link(void *arg, struct folder *f, struct dz_errmsg *em)
{
	struct folder_entry e;

	memset(&e, 0, sizeof(e));
	e.name = arg;
	e.type = FOLDER_T_LINK;
	e.mode = 0777;
	e.target = "../somewhere";
	return folder_add(f, &e, em);
}

static int
remove_one(void *arg, struct folder *f, struct dz_errmsg *em)
{
	(void)em;
	return folder_remove(f, arg);
}

/* Give the file name a new size. */
struct resize {
	const char *name;
	uint64_t size;
};

static int
resize_one(void *arg, struct folder *f, struct dz_errmsg *em)
{
	const struct resize *r = arg;
	const struct folder_entry *old;
	struct folder_entry e;
	int rc;

	if ((rc = folder_find(f, r->name, &old)) != 0)
		return rc;
	e = *old;
	e.name = r->name;
	e.size = r->size;
	return folder_replace(f, &e, em);
}

/* Put one file at path (folders made on the way) with tree t. */
static void
put_file(struct tree *t, const char *path)
{
	char dir[CATALOG_PATHMAX + 1];
	struct dz_errmsg em;
	const char *base;
	struct adds a;

	tree_split(path, dir, &base);
	a.prefix = base;
	a.from = a.n = 0;
	OK(tree_update(t, dir, base, 1, add_files, &a, &em));
}

/* The id (and key, if not NULL: sodium_malloc memory) of folder dir. */
static void
dir_id(struct tree *t, const char *dir, uint8_t id[32], uint8_t *key)
{
	struct dz_errmsg em;
	struct folder *f;

	OK(tree_walk(t, dir, "", 0, &f, id, key, &em));
	folder_free(f);
}

/* Whether record id exists at the coordinator (via ns). */
static int
rec_exists(struct netstore *ns, const uint8_t id[32])
{
	struct dz_errmsg em = {{0}};
	uint8_t *blob = NULL;
	size_t len;
	uint64_t v;
	int rc = netstore_rec_get(ns, id, &blob, &len, &v, &em);

	free(blob);
	if (rc != 0 && rc != DZ_ENOENT)
		fail_msg("rec_get: %s", em.text);
	return rc == 0;
}

/* ---- listings ---- */

#define KEEPMAX 16

struct listing {
	size_t n;
	char path[KEEPMAX][64];
	struct tree_ent ent[KEEPMAX];   /* the first KEEPMAX entries */
	char last[CATALOG_PATHMAX + 1]; /* for the order check */
	int unsorted;
	unsigned char hit[2048];        /* names e%04u seen, by number */
};

static int
collect(void *arg, const char *path, const struct folder_entry *e)
{
	struct listing *l = arg;
	const char *base = strrchr(path, '/');
	unsigned i;

	base = base != NULL ? base + 1 : path;
	if (strcmp(l->last, path) >= 0)
		l->unsorted = 1;
	snprintf(l->last, sizeof(l->last), "%s", path);
	if (sscanf(base, "e%4u", &i) == 1 && i < sizeof(l->hit))
		l->hit[i]++;
	if (l->n < KEEPMAX) {
		snprintf(l->path[l->n], sizeof(l->path[0]), "%s", path);
		assert_int_equal(tree_ent_copy(&l->ent[l->n], e), 0);
	}
	l->n++;
	return 0;
}

static void
listing_clear(struct listing *l)
{
	for (size_t i = 0; i < KEEPMAX; i++)
		tree_ent_clear(&l->ent[i]);
}

#endif /* DZ_TREEFIX_H */
