/*
 * db_sqlite_migrate: the coordinator database's schema, as the list of
 * migrations that build it, and the code that brings a file up to date.
 *
 * Table schema_version holds one row; migrations[i] takes the schema from
 * version i to i + 1 and all pending ones run in one transaction at open.
 * A file from a newer build is refused, not touched. A new schema change
 * is a new entry at the end, never an edit of an old one: files made by
 * earlier builds have already run the old entries.
 */
#include <stdio.h>

#include "coordinator/db_sqlite_int.h"

static const char *const migrations[] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE accounts("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  keyfile BLOB NOT NULL,"
	"  login_pk BLOB NOT NULL CHECK(length(login_pk) = 32),"
	"  hint TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE peers("
	"  id BLOB PRIMARY KEY CHECK(length(id) = 32),"
	"  addr TEXT NOT NULL,"
	"  capacity INTEGER NOT NULL,"
	"  used INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_heartbeat INTEGER NOT NULL,"
	"  hb_seen INTEGER NOT NULL,"
	"  hb_expected INTEGER NOT NULL,"
	"  owner INTEGER REFERENCES accounts(id),"
	"  flags INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX peers_heartbeat ON peers(last_heartbeat);"
	"CREATE TABLE fragments("
	"  name BLOB PRIMARY KEY CHECK(length(name) = 32),"
	"  account INTEGER NOT NULL REFERENCES accounts(id),"
	"  object BLOB NOT NULL CHECK(length(object) = 32),"
	"  segment INTEGER NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  size INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX fragments_object ON fragments(account, object);"
	"CREATE TABLE locations("
	"  name BLOB NOT NULL REFERENCES fragments(name) ON DELETE CASCADE,"
	"  peer BLOB NOT NULL REFERENCES peers(id),"
	"  PRIMARY KEY(name, peer)) WITHOUT ROWID;"
	"CREATE INDEX locations_peer ON locations(peer);"
	/* blob NULL = deleted: a tombstone that keeps the version sequence */
	"CREATE TABLE records("
	"  account INTEGER NOT NULL REFERENCES accounts(id),"
	"  id BLOB NOT NULL CHECK(length(id) = 32),"
	"  version INTEGER NOT NULL,"
	"  blob BLOB,"
	"  PRIMARY KEY(account, id));",
	/* 1 -> 2: node keys bound to accounts (sign-up binds the key the
	 * client's TLS connections show; any request from a bound key acts
	 * for its account). IF NOT EXISTS: harmless if re-run. */
	"CREATE TABLE IF NOT EXISTS account_keys("
	"  pk BLOB PRIMARY KEY CHECK(length(pk) = 32),"
	"  account INTEGER NOT NULL REFERENCES accounts(id),"
	"  created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS account_keys_account ON account_keys(account);",
	/* 2 -> 3: fragments keyed by (account, name), not by name alone, so
	 * that another account committing a name first (a peer operator who
	 * saw it arrive) never blocks the owner's commit; and peers.left_at,
	 * set by PEER_LEAVE (NULL while the peer has not said it left). */
	"CREATE TABLE fragments_v3("
	"  account INTEGER NOT NULL REFERENCES accounts(id),"
	"  name BLOB NOT NULL CHECK(length(name) = 32),"
	"  object BLOB NOT NULL CHECK(length(object) = 32),"
	"  segment INTEGER NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  PRIMARY KEY(account, name)) WITHOUT ROWID;"
	"INSERT INTO fragments_v3(account, name, object, segment, idx, size)"
	"  SELECT account, name, object, segment, idx, size FROM fragments;"
	"CREATE TABLE locations_v3("
	"  account INTEGER NOT NULL,"
	"  name BLOB NOT NULL,"
	"  peer BLOB NOT NULL REFERENCES peers(id),"
	"  PRIMARY KEY(account, name, peer),"
	"  FOREIGN KEY(account, name) REFERENCES fragments_v3(account, name)"
	"    ON DELETE CASCADE) WITHOUT ROWID;"
	"INSERT INTO locations_v3(account, name, peer)"
	"  SELECT f.account, l.name, l.peer FROM locations l"
	"  JOIN fragments f ON f.name = l.name;"
	"DROP TABLE locations;"
	"DROP TABLE fragments;"
	"ALTER TABLE fragments_v3 RENAME TO fragments;"
	"ALTER TABLE locations_v3 RENAME TO locations;"
	"CREATE INDEX fragments_object ON fragments(account, object);"
	"CREATE INDEX locations_peer ON locations(peer);"
	"ALTER TABLE peers ADD COLUMN left_at INTEGER;",
	/* 3 -> 4: when each device key last made a request, for
	 * `drizzle devices` (0: not since this version) */
	"ALTER TABLE account_keys ADD COLUMN seen INTEGER NOT NULL DEFAULT 0;",
	/* 4 -> 5: peer trust from audits (db_sqlite_audit.c): state (0
	 * vetting, 1 trusted, 2 suspended, 3 disqualified), audit counters
	 * per outcome, the last failure, and a bounded history per peer */
	"ALTER TABLE peers ADD COLUMN state INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN audits_passed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN audits_wrong INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN audits_missing INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN audits_timeout INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN last_fail_reason INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN last_fail_name BLOB;"
	"ALTER TABLE peers ADD COLUMN last_fail_at INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE audits("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  peer BLOB NOT NULL REFERENCES peers(id),"
	"  at INTEGER NOT NULL,"
	"  name BLOB NOT NULL CHECK(length(name) = 32),"
	"  result INTEGER NOT NULL);"
	"CREATE INDEX audits_peer ON audits(peer, seq);",
	/* 5 -> 6: the code and repair threshold of every object, from its
	 * FRAGS_COMMIT, so that the repair worker (coord_repair.c) knows
	 * which segments lack fragments (db_sqlite_repair.c) */
	"CREATE TABLE objects("
	"  account INTEGER NOT NULL REFERENCES accounts(id),"
	"  object BLOB NOT NULL CHECK(length(object) = 32),"
	"  k INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  threshold INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY(account, object)) WITHOUT ROWID;",
	/* 6 -> 7: objects with fragments committed without a holder, for
	 * the repair scan (db_sqlite_repair.c); every existing object is
	 * looked at once */
	"ALTER TABLE objects ADD COLUMN unplaced INTEGER NOT NULL DEFAULT 1;"
	"CREATE INDEX objects_unplaced ON objects(account, object) WHERE unplaced = 1;"
	"CREATE INDEX fragments_seg ON fragments(account, object, segment);",
	/* 7 -> 8: issued placement tickets (db_sqlite_ticket.c) */
	db_sqlite_tickets_sql,
	/* 8 -> 9: storage credit (db_sqlite_credit.c): each peer's online
	 * seconds per time bucket (a bounded sliding window), operator
	 * grants per account, and each peer's placeholder state (seed,
	 * block size, blocks claimed and proven, audit counts) */
	"CREATE TABLE peer_uptime("
	"  peer BLOB NOT NULL REFERENCES peers(id),"
	"  bucket INTEGER NOT NULL,"
	"  secs INTEGER NOT NULL,"
	"  PRIMARY KEY(peer, bucket)) WITHOUT ROWID;"
	"CREATE TABLE grants("
	"  account INTEGER PRIMARY KEY REFERENCES accounts(id),"
	"  bytes INTEGER NOT NULL);"
	"ALTER TABLE peers ADD COLUMN ph_seed BLOB;"
	"ALTER TABLE peers ADD COLUMN ph_block INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN ph_claimed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN ph_proven INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN ph_passed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN ph_failed INTEGER NOT NULL DEFAULT 0;",
};
#define SQ_SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
db_sqlite_migrate(struct db_sqlite *s, struct dz_errmsg *em)
{
	sqlite3_stmt *st = NULL;
	char text[64];
	int rc, v = 0, have = 0;

	if ((rc = db_sqlite_exec_sql(s, "BEGIN IMMEDIATE", "begin", em)) != 0)
		return rc;
	rc = db_sqlite_exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_version("
	    "version INTEGER NOT NULL)", "create schema_version", em);
	if (rc != 0)
		goto out;
	rc = sqlite3_prepare_v2(s->h, "SELECT version FROM schema_version", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_sqlite_err(s, rc, "read schema version", em);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_int(st, 0);
		have++;
	}
	if (rc != SQLITE_DONE) {
		rc = db_sqlite_err(s, rc, "read schema version", em);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = 0;
	if (have > 1 || v < 0) {
		rc = dz_errf(em, DZ_EFORMAT, "coordinator database: bad schema_version table");
		goto out;
	}
	if (v > SQ_SCHEMA_VERSION) {
		rc = dz_errf(em, DZ_EVERSION,
		    "coordinator database has schema version %d, this build knows up to %d: upgrade drizzle",
		    v, SQ_SCHEMA_VERSION);
		goto out;
	}
	for (int i = v; rc == 0 && i < SQ_SCHEMA_VERSION; i++) {
		snprintf(text, sizeof(text), "migrate schema to version %d", i + 1);
		rc = db_sqlite_exec_sql(s, migrations[i], text, em);
	}
	if (rc == 0 && v < SQ_SCHEMA_VERSION) {
		rc = db_sqlite_exec_sql(s, "DELETE FROM schema_version", "record schema version", em);
		if (rc == 0) {
			if ((rc = sqlite3_prepare_v2(s->h, "INSERT INTO schema_version(version)"
			    " VALUES(?1)", -1, &st, NULL)) != SQLITE_OK ||
			    (rc = sqlite3_bind_int(st, 1, SQ_SCHEMA_VERSION)) != SQLITE_OK ||
			    (rc = sqlite3_step(st)) != SQLITE_DONE)
				rc = db_sqlite_err(s, rc, "record schema version", em);
			else
				rc = 0;
		}
	}
	if (rc == 0)
		rc = db_sqlite_exec_sql(s, "COMMIT", "commit migration", em);
	if (rc == 0)
		s->version = SQ_SCHEMA_VERSION;
out:
	sqlite3_finalize(st);
	if (rc != 0)
		sqlite3_exec(s->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
