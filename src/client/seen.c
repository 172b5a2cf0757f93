/*
 * seen: the rollback memory (seen.h), one SQLite file.
 *
 * WAL with synchronous=FULL: each commit is one append and one fsync of
 * the log, and readers in other commands are not blocked by a writer.
 * One million ids take 43 MB (32-byte keys in a WITHOUT ROWID b-tree);
 * random ids dirty about one leaf page each, so batches must be large
 * and the page cache big enough to hold them: with 64 MiB of cache
 * (allocated only as used) and 100,000 ids per transaction a million
 * took 14 s here, with 10,000 per transaction and the default cache 42 s
 * (tests/unit/test_seen.c prints the figure). A lookup is one b-tree
 * descent, a few pages, whatever the size.
 *
 * user_version tells the format: 0 is a new file (the table is made),
 * 1 is this one, anything else is a later format and refused.
 */
#include "client/seen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define SEEN_FORMAT 1
#define SEEN_BUSY_MS 10000

/* Inside seen_begin / seen_commit the versions wait here, not in an open
 * SQLite transaction: a batch spans network round trips (a put -r's
 * naming pass), and a write lock held that long would stall every other
 * command of this computer (and fail them after SEEN_BUSY_MS). */
struct seen_pend {
	uint8_t id[SEEN_IDBYTES];
	uint64_t version;          /* 0: a free slot */
};

struct seen {
	sqlite3 *db;
	sqlite3_stmt *get, *put;
	int batch;                 /* inside seen_begin */
	struct seen_pend *pend;    /* open addressing, cap a power of two */
	size_t npend, cap;
	char path[256];            /* for messages (may be cut short) */
};

/* A DZ_ code for an SQLite failure, with em naming the file. */
static int
seen_err(struct seen *s, int rc, const char *what, struct dz_errmsg *em)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return dz_errf(em, DZ_EFORMAT,
		    "the rollback memory %s is damaged (%s): remove it to start "
		    "afresh (rollbacks before now then go unnoticed)", s->path, msg);
	case SQLITE_FULL:
		return dz_errf(em, DZ_ENOSPC, "%s: %s: %s", s->path, what, msg);
	case SQLITE_NOMEM:
		return DZ_ENOMEM;
	}
	return dz_errf(em, DZ_EIO, "%s: %s: %s", s->path, what, msg);
}

/* Run sql (no rows wanted but the first, ignored). */
static int
seen_exec(struct seen *s, const char *sql, struct dz_errmsg *em)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : seen_err(s, rc, "update", em);
}

/* The slot of id in the pending table: its own or the free one where it
 * would go. Ids are coordinator record ids, uniform bytes: their first 8
 * bytes hash well enough. */
static struct seen_pend *
pend_slot(const struct seen *s, const uint8_t id[static SEEN_IDBYTES])
{
	uint64_t h = 0;
	size_t i;

	memcpy(&h, id, sizeof(h));
	for (i = (size_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1))
		if (s->pend[i].version == 0 ||
		    memcmp(s->pend[i].id, id, SEEN_IDBYTES) == 0)
			return &s->pend[i];
}

/* The pending version of id (0: none). */
static uint64_t
pend_get(const struct seen *s, const uint8_t id[static SEEN_IDBYTES])
{
	return s->cap == 0 ? 0 : pend_slot(s, id)->version;
}

/* Remember id at version (higher than any pending one) until seen_commit. */
static int
pend_put(struct seen *s, const uint8_t id[static SEEN_IDBYTES], uint64_t version)
{
	struct seen_pend *e;

	if (2 * (s->npend + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct seen_pend *old = s->pend, *np = calloc(cap, sizeof(*np));
		size_t ocap = s->cap;

		if (np == NULL)
			return DZ_ENOMEM;
		s->pend = np;
		s->cap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].version != 0)
				*pend_slot(s, old[i].id) = old[i];
		free(old);
	}
	e = pend_slot(s, id);
	if (e->version == 0) {
		memcpy(e->id, id, SEEN_IDBYTES);
		s->npend++;
	}
	e->version = version;
	return 0;
}

static void
pend_clear(struct seen *s)
{
	free(s->pend);
	s->pend = NULL;
	s->npend = s->cap = 0;
	s->batch = 0;
}

/* The file's format (PRAGMA user_version) into *v. */
static int
seen_format(struct seen *s, int *v, struct dz_errmsg *em)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL)) !=
	    SQLITE_OK)
		return seen_err(s, rc, "read", em);
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : seen_err(s, rc, "read", em);
}

/* 0 if the database holds no table (a new file, made ours), else
 * DZ_EFORMAT: some other program's database. */
static int
seen_empty(struct seen *s, const char *path, struct dz_errmsg *em)
{
	sqlite3_stmt *st;
	int rc, n;

	if ((rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master", -1, &st,
	    NULL)) != SQLITE_OK)
		return seen_err(s, rc, "read", em);
	rc = sqlite3_step(st);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return seen_err(s, rc, "read", em);
	return n == 0 ? 0 : dz_errf(em, DZ_EFORMAT,
	    "%s is not a rollback memory (it holds other tables)", path);
}

int
seen_open(const char *path, struct seen **out, struct dz_errmsg *em)
{
	struct seen *s;
	int rc, fd, ver = 0;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return DZ_ENOMEM;
	snprintf(s->path, sizeof(s->path), "%s", path);
	/* made here so that it is 0600 (SQLite would make it 0644); its
	 * -wal and -shm files take the same mode */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		rc = dz_errf(em, DZ_EIO, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	if ((rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL)) != SQLITE_OK) {
		rc = seen_err(s, rc, "open", em);
		goto fail;
	}
	sqlite3_busy_timeout(s->db, SEEN_BUSY_MS);
	if ((rc = seen_exec(s, "PRAGMA journal_mode=WAL", em)) != 0 ||
	    (rc = seen_exec(s, "PRAGMA synchronous=FULL", em)) != 0 ||
	    (rc = seen_exec(s, "PRAGMA cache_size=-65536", em)) != 0 ||
	    (rc = seen_format(s, &ver, em)) != 0)
		goto fail;
	if (ver == 0 && (rc = seen_empty(s, path, em)) != 0)
		goto fail;
	if (ver == 0 &&
	    (rc = seen_exec(s, "BEGIN IMMEDIATE;"
	    "CREATE TABLE IF NOT EXISTS seen(id BLOB PRIMARY KEY, version INTEGER NOT NULL)"
	    " WITHOUT ROWID;"
	    "PRAGMA user_version=1;"
	    "COMMIT", em)) != 0)
		goto fail;
	if (ver > SEEN_FORMAT) {
		rc = dz_errf(em, DZ_EVERSION,
		    "the rollback memory %s has format %d, unknown to this version", path, ver);
		goto fail;
	}
	if ((rc = sqlite3_prepare_v2(s->db, "SELECT version FROM seen WHERE id = ?1", -1,
	    &s->get, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(s->db, "INSERT INTO seen(id, version) VALUES(?1, ?2)"
	    " ON CONFLICT(id) DO UPDATE SET version = excluded.version"
	    " WHERE excluded.version > seen.version", -1, &s->put, NULL)) != SQLITE_OK) {
		/* a database, but not ours: no table seen */
		rc = (rc & 0xff) == SQLITE_ERROR ? dz_errf(em, DZ_EFORMAT,
		    "%s is not a rollback memory (%s)", path, sqlite3_errmsg(s->db)) :
		    seen_err(s, rc, "open", em);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	seen_close(s);
	return rc;
}

void
seen_close(struct seen *s)
{
	if (s == NULL)
		return;
	pend_clear(s); /* a batch not committed is dropped */
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->put);
	sqlite3_close(s->db);
	free(s);
}

/* The highest version of id on disk. */
static int
db_get(struct seen *s, const uint8_t id[static SEEN_IDBYTES], uint64_t *version,
    struct dz_errmsg *em)
{
	int rc;

	*version = 0;
	if ((rc = sqlite3_bind_blob(s->get, 1, id, SEEN_IDBYTES, SQLITE_STATIC)) !=
	    SQLITE_OK) {
		sqlite3_reset(s->get);
		return seen_err(s, rc, "read", em);
	}
	rc = sqlite3_step(s->get);
	if (rc == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(s->get, 0);

		*version = v > 0 ? (uint64_t)v : 0;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s->get);
	sqlite3_clear_bindings(s->get);
	return rc == SQLITE_DONE ? 0 : seen_err(s, rc, "read", em);
}

/* Record id at version on disk unless a higher one is there: the upsert
 * only ever raises, so another command that recorded a higher version
 * meanwhile keeps it. */
static int
db_put(struct seen *s, const uint8_t id[static SEEN_IDBYTES], uint64_t version,
    struct dz_errmsg *em)
{
	int rc;

	if ((rc = sqlite3_bind_blob(s->put, 1, id, SEEN_IDBYTES, SQLITE_STATIC)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s->put, 2, (int64_t)version)) != SQLITE_OK) {
		sqlite3_reset(s->put);
		return seen_err(s, rc, "update", em);
	}
	rc = sqlite3_step(s->put);
	sqlite3_reset(s->put);
	sqlite3_clear_bindings(s->put);
	return rc == SQLITE_DONE ? 0 : seen_err(s, rc, "update", em);
}

int
seen_get(struct seen *s, const uint8_t id[static SEEN_IDBYTES], uint64_t *version,
    struct dz_errmsg *em)
{
	uint64_t p = pend_get(s, id);
	int rc;

	if ((rc = db_get(s, id, version, em)) == 0 && p > *version)
		*version = p;
	return rc;
}

int
seen_check(struct seen *s, const uint8_t id[static SEEN_IDBYTES], uint64_t version,
    const char *what, struct dz_errmsg *em)
{
	uint64_t had;
	int rc;

	if (version > (uint64_t)INT64_MAX)
		return dz_errf(em, DZ_ERANGE, "record version out of range");
	if ((rc = seen_get(s, id, &had, em)) != 0)
		return rc;
	if (had > version)
		return dz_errf(em, DZ_EROLLBACK,
		    "%s was rolled back: the coordinator served version %llu, this "
		    "computer has seen version %llu", what ? what : "a folder record",
		    (unsigned long long)version, (unsigned long long)had);
	if (had == version)
		return 0;
	return s->batch ? pend_put(s, id, version) : db_put(s, id, version, em);
}

int
seen_begin(struct seen *s, struct dz_errmsg *em)
{
	(void)em;
	s->batch = 1;
	return 0;
}

int
seen_commit(struct seen *s, struct dz_errmsg *em)
{
	int rc;

	if (!s->batch)
		return 0;
	/* one short transaction, one fsync */
	if ((rc = seen_exec(s, "BEGIN IMMEDIATE", em)) != 0) {
		pend_clear(s);
		return rc;
	}
	for (size_t i = 0; i < s->cap && rc == 0; i++)
		if (s->pend[i].version != 0)
			rc = db_put(s, s->pend[i].id, s->pend[i].version, em);
	if (rc == 0)
		rc = seen_exec(s, "COMMIT", em);
	else
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	pend_clear(s);
	return rc;
}
