/* test_tree: the folder tree (client/tree.h) over a real coordinator in
 * process (coordfix.h) reached through netstores whose TLS keys are two
 * devices of one account (session sign-up and login into temp homes).
 * Walking creates a/b/c, refuses a missing folder (DZ_ENOENT) and a path
 * through a file (DZ_EEXIST); a change that loses its compare-and-swap to
 * the other device (made to, from inside the change) is redone on the
 * fresh folder so both entries land, and a writer that always loses gets
 * DZ_ECONFLICT after TREE_CAS_TRIES attempts; an old blob replayed at the
 * coordinator is DZ_EAUTH (versions disagree) and a coordinator database
 * restored from a copy is DZ_EROLLBACK naming the folder, the root's loss
 * too (a computer without the memory cannot tell), but another command of
 * the same computer writing between a fetch and its check is none, nor
 * does its open batch stall or fool a reader; 1,500 entries shard
 * and list in full, two writers there conflict only within one shard, and
 * a change of one entry reads the index and its one shard only (a deleted
 * other shard does not stop it but stops a listing); the catalog migrates
 * with its ids, sizes, modes and mtimes, and of two migrations at once
 * the loser leaves no record; tree_forget_dir deletes a subtree's records
 * (shards too) calling fn once per file; tree_inside. */
#include "treefix.h"

#include "client/tree_int.h"

/* ---- 1: walk and create ---- */

static void
test_walk_create(void **state)
{
	struct tfx *f = *state;
	struct dz_errmsg em;
	struct tree_ent te = {0};
	struct folder *fo;
	uint8_t id[32], id2[32];

	OK(tree_walk(f->ta, "a/b/c", "", 1, &fo, id, NULL, &em));
	assert_int_equal(folder_count(fo), 0);
	folder_free(fo);
	OK(tree_stat(f->ta, "a/b/c", &te, &em));
	assert_int_equal(te.e.type, FOLDER_T_DIR);
	assert_string_equal(te.name, "c");
	assert_memory_equal(te.e.id, id, 32);
	tree_ent_clear(&te);
	OK(tree_stat(f->ta, "a/b", &te, &em));
	assert_int_equal(te.e.type, FOLDER_T_DIR);
	tree_ent_clear(&te);
	/* at the coordinator: the other device walks to the same folder */
	OK(tree_walk(f->tb, "a/b/c", "", 0, &fo, id2, NULL, &em));
	folder_free(fo);
	assert_memory_equal(id2, id, 32);
	/* again with create: the same folder, nothing new */
	OK(tree_walk(f->ta, "a/b/c", "", 1, &fo, id2, NULL, &em));
	folder_free(fo);
	assert_memory_equal(id2, id, 32);

	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_walk(f->ta, "a/x", "", 0, &fo, NULL, NULL, &em), DZ_ENOENT);
	assert_null(fo);
	assert_non_null(strstr(em.text, "a/x"));
	assert_int_equal(tree_stat(f->ta, "a/x", &te, &em), DZ_ENOENT);
	assert_int_equal(tree_walk(f->ta, "a/x/y", "", 0, &fo, NULL, NULL, &em),
	    DZ_ENOENT);

	put_file(f->ta, "a/file");
	OK(tree_stat(f->tb, "a/file", &te, &em));
	assert_int_equal(te.e.type, FOLDER_T_FILE);
	tree_ent_clear(&te);
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_walk(f->ta, "a/file", "", 0, &fo, NULL, NULL, &em),
	    DZ_EEXIST);
	assert_non_null(strstr(em.text, "a/file"));
	assert_int_equal(tree_walk(f->ta, "a/file/z", "", 1, &fo, NULL, NULL, &em),
	    DZ_EEXIST);
	/* the file is still a file */
	OK(tree_stat(f->ta, "a/file", &te, &em));
	assert_int_equal(te.e.type, FOLDER_T_FILE);
	tree_ent_clear(&te);
}

/* ---- 2: concurrent writers ---- */

/* tree_update's change on device A: on its first call (or every call:
 * always) device B first adds bNN to the same folder, so A's write
 * loses the swap; A adds fromA. */
struct race {
	struct tree *other;
	const char *dir;
	int calls, always;
};

static int
race_change(void *arg, struct folder *f, struct dz_errmsg *em)
{
	struct race *r = arg;
	struct adds mine = {"fromA", 0, 0};

	r->calls++;
	if (r->calls == 1 || r->always) {
		struct dz_errmsg bem = {{0}};
		char name[16];
		struct adds b = {name, 0, 0};

		snprintf(name, sizeof(name), "b%02d", r->calls);
		if (tree_update(r->other, r->dir, name, 0, add_files, &b, &bem) != 0)
			fail_msg("B's write: %s", bem.text);
	}
	return add_files(&mine, f, em);
}

static void
test_concurrent(void **state)
{
	struct tfx *f = *state;
	struct race r = {f->tb, "c", 0, 0};
	struct dz_errmsg em;
	struct listing l = {0};

	put_file(f->ta, "c/first");
	OK(tree_update(f->ta, "c", "fromA", 0, race_change, &r, &em));
	assert_int_equal(r.calls, 2); /* lost once, redone once */
	OK(tree_list(f->tb, "c", 0, collect, &l, &em));
	assert_int_equal(l.n, 3);
	assert_string_equal(l.path[0], "c/b01");
	assert_string_equal(l.path[1], "c/first");
	assert_string_equal(l.path[2], "c/fromA");
	listing_clear(&l);

	/* B always first: A gives up after TREE_CAS_TRIES, unwritten */
	put_file(f->ta, "d/first");
	r.dir = "d";
	r.calls = 0;
	r.always = 1;
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_update(f->ta, "d", "fromA", 0, race_change, &r, &em),
	    DZ_ECONFLICT);
	assert_int_equal(r.calls, TREE_CAS_TRIES);
	assert_non_null(strstr(em.text, "'d'"));
	memset(&l, 0, sizeof(l));
	OK(tree_list(f->ta, "d", 0, collect, &l, &em));
	assert_int_equal(l.n, TREE_CAS_TRIES + 1); /* B's, and "first" */
	assert_string_equal(l.path[KEEPMAX - 1], "d/b16");
	assert_string_equal(l.last, "d/first");
	listing_clear(&l);
}

/* ---- 3: rollback ---- */

static void
test_replay(void **state)
{
	struct tfx *f = *state;
	struct dz_errmsg em;
	struct folder *fo;
	uint8_t rid[32], *old = NULL;
	size_t len;
	uint64_t v;

	OK(tree_seen(f->ta, f->seen, &em));
	OK(tree_walk(f->ta, "r", "", 1, &fo, rid, NULL, &em));
	folder_free(fo);
	OK(netstore_rec_get(f->na, rid, &old, &len, &v, &em));
	assert_int_equal(v, 1);
	put_file(f->ta, "r/f");
	OK(tree_walk(f->ta, "r", "", 0, &fo, NULL, NULL, &em));
	assert_int_equal(folder_version(fo), 2);
	folder_free(fo);

	/* the coordinator puts version 1's blob back: its own count says 3 */
	OK(netstore_rec_put(f->na, rid, 2, old, len, &v, &em));
	assert_int_equal(v, 3);
	free(old);
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_walk(f->ta, "r", "", 0, &fo, NULL, NULL, &em), DZ_EAUTH);
	assert_non_null(strstr(em.text, "folder 'r'"));
	assert_non_null(strstr(em.text, "the coordinator says version 3, the record "
	    "itself 1"));
	/* no memory needed for that: the other computer refuses it too */
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_stat(f->tb, "r/f", &(struct tree_ent){0}, &em), DZ_EAUTH);
}

static void
test_rollback(void **state)
{
	struct tfx *f = *state;
	struct dz_errmsg em;
	struct tree_ent te = {0};
	struct folder *fo;

	OK(tree_seen(f->ta, f->seen, &em));
	OK(tree_walk(f->ta, "photos/2024", "", 1, &fo, NULL, NULL, &em));
	folder_free(fo);
	restart(f, "save"); /* the copy: photos/2024 at version 1 */
	OK(tree_seen(f->ta, f->seen, &em));
	put_file(f->ta, "photos/2024/img.jpg");
	OK(tree_stat(f->ta, "photos/2024/img.jpg", &te, &em));
	tree_ent_clear(&te);

	restart(f, "restore"); /* the coordinator forgets version 2 */
	OK(tree_seen(f->ta, f->seen, &em));
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_stat(f->ta, "photos/2024/img.jpg", &te, &em),
	    DZ_EROLLBACK);
	assert_non_null(strstr(em.text, "folder 'photos/2024'"));
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_walk(f->ta, "photos/2024", "", 0, &fo, NULL, NULL, &em),
	    DZ_EROLLBACK);
	assert_non_null(strstr(em.text, "folder 'photos/2024' was rolled back"));
	/* the folders above were not rolled back: still readable */
	OK(tree_stat(f->ta, "photos/2024", &te, &em));
	tree_ent_clear(&te);
	/* a computer that never saw version 2 cannot tell */
	OK(tree_walk(f->tb, "photos/2024", "", 0, &fo, NULL, NULL, &em));
	assert_int_equal(folder_count(fo), 0);
	assert_int_equal(folder_version(fo), 1);
	folder_free(fo);
}

/* Two commands of one computer (one rollback memory): B writes folder
 * 's' and records its new version between A's fetch of the older one and
 * A's check of it. That is no rollback: A asks again and gets B's version.
 * B's batch not yet committed is not seen by A at all. */
struct sneak {
	struct tree *t;
	const char *path;
	int at, calls; /* B writes after A's fetch number at */
};

static void
sneak_in(void *arg)
{
	struct sneak *s = arg;

	if (++s->calls == s->at)
		put_file(s->t, s->path);
}

static void
test_rollback_race(void **state)
{
	struct tfx *f = *state;
	struct sneak sn = {f->tb, "s/fromB", 2, 0}; /* the root, then s */
	struct dz_errmsg em;
	struct folder *fo;
	struct listing l = {0};

	OK(tree_seen(f->ta, f->seen, &em));
	OK(tree_seen(f->tb, f->seen, &em));
	/* first a record seen missing: the root of this new account, made
	 * by B between A's fetch (none) and A's check */
	f->ta->after_fetch = sneak_in;
	f->ta->after_fetch_arg = &(struct sneak){f->tb, "r0", 1, 0};
	OK(tree_list(f->ta, "", 0, collect, &l, &em));
	assert_int_equal(l.n, 1);
	assert_string_equal(l.path[0], "r0");
	listing_clear(&l);

	put_file(f->ta, "s/first");
	f->ta->after_fetch = sneak_in;
	f->ta->after_fetch_arg = &sn;
	OK(tree_walk(f->ta, "s", NULL, 0, &fo, NULL, NULL, &em));
	f->ta->after_fetch = NULL;
	assert_int_equal(sn.calls, 3); /* root, s, then s once more */
	assert_int_equal(folder_version(fo), 3);
	assert_int_equal(folder_count(fo), 2);
	folder_free(fo);


	/* B inside a batch: its versions wait, A sees neither them nor a
	 * rollback, and both are on disk once B flushes */
	OK(tree_batch(f->tb, &em));
	put_file(f->tb, "s/batched");
	OK(tree_walk(f->ta, "s", NULL, 0, &fo, NULL, NULL, &em));
	assert_int_equal(folder_version(fo), 4);
	folder_free(fo);
	OK(tree_flush(f->tb, &em));
	{
		uint8_t sid[32];
		uint64_t v;
		struct seen *m;

		OK(tree_walk(f->ta, "s", "", 0, &fo, sid, NULL, &em));
		folder_free(fo);
		OK(seen_open(f->seen, &m, &em));
		OK(seen_get(m, sid, &v, &em));
		assert_int_equal(v, 4);
		seen_close(m);
	}
}

/* The root itself rolled back to "none" (a database from before the
 * first write): refused, not taken for a new empty account. */
static void
test_rollback_root(void **state)
{
	struct tfx *f = *state;
	struct dz_errmsg em;
	struct listing l = {0};
	struct folder *fo;

	restart(f, "save"); /* no root yet */
	OK(tree_seen(f->ta, f->seen, &em));
	put_file(f->ta, "x");
	restart(f, "restore");
	OK(tree_seen(f->ta, f->seen, &em));
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_list(f->ta, "", 0, collect, &l, &em), DZ_EROLLBACK);
	assert_non_null(strstr(em.text, "the root folder was rolled back"));
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_walk(f->ta, "", "", 0, &fo, NULL, NULL, &em),
	    DZ_EROLLBACK);
	/* without the memory: an empty tree */
	OK(tree_list(f->tb, "", 0, collect, &l, &em));
	assert_int_equal(l.n, 0);
}

/* ---- 4: a sharded folder ---- */

static void
test_sharded(void **state)
{
	struct tfx *f = *state;
	struct dz_errmsg em;
	struct listing l = {0};
	struct tree_ent te = {0};
	struct resize rs = {"e0007", 4242};
	struct race race = {f->tb, "big", 0, 0};
	struct folder *fo;
	uint8_t bid[32], sid[32];
	uint64_t iv, v;
	size_t mine, other;
	char name[16];
	uint8_t *blob;
	size_t len;

	for (unsigned i = 0; i < 1500; i += 100) {
		struct adds a = {"e", i, 100};

		OK(tree_update(f->ta, "big", NULL, 1, add_files, &a, &em));
	}
	/* two writers in a sharded folder: B's write makes A's fail only if
	 * it touched A's shard (the swap is per shard); both land */
	OK(tree_update(f->ta, "big", "fromA", 0, race_change, &race, &em));
	OK(tree_walk(f->tb, "big", "", 0, &fo, bid, NULL, &em));
	assert_true(folder_is_sharded(fo));
	assert_true(folder_nshards(fo) >= 2);
	iv = folder_version(fo);
	assert_int_equal(race.calls, folder_shard_of(fo, "b01") ==
	    folder_shard_of(fo, "fromA") ? 2 : 1);

	OK(tree_list(f->tb, "big", 0, collect, &l, &em));
	assert_int_equal(l.n, 1502);
	assert_false(l.unsorted);
	for (unsigned i = 0; i < 1500; i++)
		assert_int_equal(l.hit[i], 1);
	assert_string_equal(l.path[0], "big/b01");
	assert_string_equal(l.last, "big/fromA");
	assert_int_equal(l.ent[8].e.size, 701); /* e0007 */
	listing_clear(&l);

	/* delete a shard that does not hold e0007: changing e0007 must not
	 * need it (index + its own shard only), listing must */
	mine = folder_shard_of(fo, "e0007");
	other = mine == 0 ? 1 : 0;
	assert_int_equal(folder_shard_info(fo, other, sid, NULL, NULL), 0);
	OK(netstore_rec_get(f->na, sid, &blob, &len, &v, &em));
	free(blob);
	OK(netstore_rec_del(f->na, sid, v, &v, &em));
	for (unsigned i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "e%04u", i);
		if (folder_shard_of(fo, name) == other)
			break;
	}
	assert_int_equal(folder_shard_of(fo, name), other);
	folder_free(fo);

	OK(tree_update(f->ta, "big", "e0007", 0, resize_one, &rs, &em));
	OK(tree_stat(f->tb, "big/e0007", &te, &em));
	assert_int_equal(te.e.size, 4242);
	tree_ent_clear(&te);
	/* the index was not rewritten for one entry */
	OK(netstore_rec_get(f->na, bid, &blob, &len, &v, &em));
	free(blob);
	assert_int_equal(v, iv);
	{
		char path[32];

		snprintf(path, sizeof(path), "big/%s", name);
		assert_int_equal(tree_stat(f->tb, path, &te, &em), DZ_EFORMAT);
	}
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_list(f->tb, "big", 0, collect, &l, &em), DZ_EFORMAT);
	assert_non_null(strstr(em.text, "a shard its index names is missing"));
	listing_clear(&l);
}

/* ---- 5: migration from the catalog ---- */

struct catfile {
	const char *path;
	uint32_t mode;
	uint64_t size;
	int64_t mtime;
	uint8_t id[32];
};

/* Write the catalog record of the account with files cf[n] (their ids
 * made here) through ns. */
static void
write_catalog(struct tfx *f, struct catfile *cf, size_t n)
{
	struct dz_errmsg em;
	struct catalog c = {0};
	uint8_t cid[32], *ckey = sodium_malloc(32), old[32], *blob;
	size_t len;
	uint64_t v;

	assert_non_null(ckey);
	assert_int_equal(catalog_keys(f->sub, cid, ckey), 0);
	for (size_t i = 0; i < n; i++) {
		struct cat_entry e;
		char path[64];
		int replaced;

		memset(&e, 0, sizeof(e));
		snprintf(path, sizeof(path), "%s", cf[i].path);
		e.path = path;
		e.type = CAT_FILE;
		randombytes_buf(cf[i].id, 32);
		memcpy(e.id, cf[i].id, 32);
		e.size = cf[i].size;
		e.mtime = cf[i].mtime;
		e.mode = cf[i].mode;
		assert_int_equal(catalog_set(&c, &e, &replaced, old), 0);
	}
	OK(catalog_encode(&c, ckey, cid, &blob, &len, &em));
	OK(netstore_rec_put(f->na, cid, 0, blob, len, &v, &em));
	assert_int_equal(v, 1);
	free(blob);
	catalog_free(&c);
	sodium_free(ckey);
}

static struct catfile cat3[] = {
	{"docs/a.txt", 0640, 12345, T0 - 100, {0}},
	{"docs/sub/b.bin", 0755, 7, T0 - 200, {0}},
	{"top.txt", 0600, 0, T0 - 300, {0}},
};

/* l (a recursive listing of the root) is the tree of cat3. */
static void
check_migrated(struct tfx *f, const struct listing *l)
{
	static const char *paths[] = {"docs", "docs/a.txt", "docs/sub",
	    "docs/sub/b.bin", "top.txt"};
	static const int cat[] = {-1, 0, -1, 1, 2};
	uint8_t key[32];

	assert_int_equal(l->n, 5);
	for (size_t i = 0; i < 5; i++) {
		const struct folder_entry *e = &l->ent[i].e;
		const struct catfile *c;

		assert_string_equal(l->path[i], paths[i]);
		if (cat[i] < 0) {
			assert_int_equal(e->type, FOLDER_T_DIR);
			continue;
		}
		c = &cat3[cat[i]];
		assert_int_equal(e->type, FOLDER_T_FILE);
		assert_memory_equal(e->id, c->id, 32);
		assert_int_equal(e->size, c->size);
		assert_int_equal(e->mode, c->mode);
		assert_int_equal(e->mtime_sec, c->mtime);
		/* its file record's key, so no file record is rewritten */
		record_key(f->sub, c->id, key);
		assert_memory_equal(e->key, key, 32);
	}
}

/* A then B list the whole tree: cat3's, the same folders for both. */
static void
both_see_cat3(struct tfx *f)
{
	struct dz_errmsg em;
	struct listing la = {0}, lb = {0};

	OK(tree_list(f->ta, "", 1, collect, &la, &em));
	check_migrated(f, &la);
	OK(tree_list(f->tb, "", 1, collect, &lb, &em));
	check_migrated(f, &lb);
	assert_memory_equal(la.ent[0].e.id, lb.ent[0].e.id, 32);
	assert_memory_equal(la.ent[2].e.id, lb.ent[2].e.id, 32);
	listing_clear(&la);
	listing_clear(&lb);
}

static void
test_migrate(void **state)
{
	struct tfx *f = *state;

	write_catalog(f, cat3, 3);
	both_see_cat3(f); /* A's list migrates, B's reads A's tree */
}

/* The account's live record ids at the coordinator (read in its db). */
struct recs {
	size_t n;
	uint8_t id[32][32];
};

static int
rec_note(void *arg, const uint8_t id[DB_IDBYTES], uint64_t version)
{
	struct recs *r = arg;

	(void)version;
	assert_true(r->n < 32);
	memcpy(r->id[r->n++], id, 32);
	return 0;
}

static void
records(struct tfx *f, struct recs *r)
{
	struct dz_errmsg em;
	struct db_account da;

	memset(r, 0, sizeof(*r));
	OK(db_account_get(f->s.co->db, "alice", &da, &em));
	OK(db_rec_list(f->s.co->db, da.id, rec_note, r, &em));
}

static void
test_migrate_race(void **state)
{
	struct tfx *f = *state;
	struct dz_errmsg em;
	struct recs before, mid, after;
	int ma = 0, mb = 0;

	write_catalog(f, cat3, 3);
	records(f, &before);
	assert_int_equal(before.n, 1); /* the catalog */
	/* both build before either lists; A's root create is first */
	OK(tree_migrate(f->ta, &ma, &em));
	assert_int_equal(ma, 1);
	records(f, &mid);
	assert_int_equal(mid.n, 4); /* catalog, root, docs, docs/sub */
	OK(tree_migrate(f->tb, &mb, &em));
	/* B's folders were written, then deleted when its root lost */
	records(f, &after);
	assert_int_equal(after.n, mid.n);
	assert_memory_equal(after.id, mid.id, mid.n * 32);

	both_see_cat3(f);
}

/* ---- 6: forgetting a subtree; inside ---- */

struct forgot {
	unsigned files, f3;
};

static void
forgot_one(void *arg, const struct folder_entry *e)
{
	struct forgot *g = arg;

	assert_true(folder_is_file(e));
	g->files++;
	g->f3 += strcmp(e->name, "f3") == 0;
}

/* tree_inside's answer for dir and folder id. */
static int
inside(struct tree *t, const char *dir, const uint8_t id[32])
{
	struct dz_errmsg em;
	int in = -1;

	OK(tree_inside(t, dir, id, &in, &em));
	return in;
}

static void
test_forget_inside(void **state)
{
	struct tfx *f = *state;
	struct dz_errmsg em;
	struct adds many = {"e", 0, 1001};
	struct forgot g = {0, 0};
	struct tree_ent te = {0};
	struct folder *fo;
	uint8_t did[32], xid[32], yid[32], sid[32], *dkey = sodium_malloc(32);

	assert_non_null(dkey);
	put_file(f->ta, "d/f1");
	put_file(f->ta, "d/x/f2");
	put_file(f->ta, "d/x/y/f3");
	put_file(f->ta, "dd/h");
	put_file(f->ta, "e/g");
	OK(tree_update(f->ta, "d", "l", 0, add_link, "l", &em));
	OK(tree_update(f->ta, "d/x", NULL, 0, add_files, &many, &em));
	dir_id(f->ta, "d", did, dkey);
	dir_id(f->ta, "d/x/y", yid, NULL);
	OK(tree_walk(f->ta, "d/x", "", 0, &fo, xid, NULL, &em));
	assert_true(folder_is_sharded(fo));
	assert_int_equal(folder_shard_info(fo, folder_nshards(fo) - 1, sid, NULL, NULL),
	    0);
	folder_free(fo);

	/* inside: itself and below, not beside, not above */
	assert_int_equal(inside(f->ta, "d", did), 1);
	assert_int_equal(inside(f->ta, "d/x/y", did), 1);
	assert_int_equal(inside(f->ta, "d/x/y/new/deeper", xid), 1);
	assert_int_equal(inside(f->ta, "dd", did), 0);
	assert_int_equal(inside(f->ta, "e", did), 0);
	assert_int_equal(inside(f->ta, "d", xid), 0);
	assert_int_equal(inside(f->ta, "", yid), 0);

	/* remove d from the root, then forget what it held */
	OK(tree_update(f->ta, "", "d", 0, remove_one, "d", &em));
	assert_true(rec_exists(f->na, did) && rec_exists(f->na, xid) &&
	    rec_exists(f->na, yid) && rec_exists(f->na, sid));
	OK(tree_forget_dir(f->ta, did, dkey, "d", forgot_one, &g, &em));
	assert_int_equal(g.files, 1 + 1 + 1001 + 1); /* f1, f2, e*, f3; no link */
	assert_int_equal(g.f3, 1);
	assert_false(rec_exists(f->nb, did));
	assert_false(rec_exists(f->nb, xid));
	assert_false(rec_exists(f->nb, yid));
	assert_false(rec_exists(f->nb, sid));
	/* beside it, nothing changed */
	OK(tree_stat(f->tb, "dd/h", &te, &em));
	tree_ent_clear(&te);
	OK(tree_stat(f->tb, "e/g", &te, &em));
	tree_ent_clear(&te);
	memset(&em, 0, sizeof(em));
	assert_int_equal(tree_stat(f->tb, "d", &te, &em), DZ_ENOENT);
	sodium_free(dkey);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk_create, tsetup, tteardown),
		cmocka_unit_test_setup_teardown(test_concurrent, tsetup, tteardown),
		cmocka_unit_test_setup_teardown(test_replay, tsetup, tteardown),
		cmocka_unit_test_setup_teardown(test_rollback, tsetup, tteardown),
		cmocka_unit_test_setup_teardown(test_rollback_root, tsetup, tteardown),
		cmocka_unit_test_setup_teardown(test_rollback_race, tsetup, tteardown),
		cmocka_unit_test_setup_teardown(test_sharded, tsetup, tteardown),
		cmocka_unit_test_setup_teardown(test_migrate, tsetup, tteardown),
		cmocka_unit_test_setup_teardown(test_migrate_race, tsetup, tteardown),
		cmocka_unit_test_setup_teardown(test_forget_inside, tsetup, tteardown),
	};

	int rc;

	if (sodium_init() < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (dcpool.path[0] != '\0')
		(void)unlink(dcpool.path);
	return rc;
}
