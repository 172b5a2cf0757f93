/*
 * db_ticket: the placement tickets the coordinator issued (schema
 * migration "tickets", table tickets), so that FRAGS_COMMIT records only
 * locations it placed, with the sizes it placed (docs/trading.md,
 * "Tickets"). Rows live until some time after their expiry and are
 * pruned as new ones are added. SQLite only for now (db_sqlite_ticket.c),
 * as db_audit.h: these take the struct db of db_open.
 */
#ifndef DZ_DB_TICKET_H
#define DZ_DB_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "coordinator/db.h"

/* One issued ticket: account (the call's) may store name, size bytes,
 * on peer, until expires. */
struct db_ticket {
	uint8_t name[DB_IDBYTES];
	uint8_t peer[DB_IDBYTES];
	uint64_t size;
	int64_t expires;
};

/*
 * db_ticket_add: remember n (<= DB_BATCH_MAX) tickets of account, in one
 * transaction that first deletes every ticket (of any account) that
 * expired before prune_before. A ticket for the same (account, name,
 * peer) is replaced. Returns 0, DZ_ERANGE, or a dz_err.
 */
int db_ticket_add(struct db *db, int64_t account, const struct db_ticket *t,
    size_t n, int64_t prune_before, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_ticket_sizes: for each of the n (<= DB_BATCH_MAX) locations, the
 * size of account's ticket for (locs[i].name, locs[i].peer) that expires
 * at or after not_before, in sizes[i]; 0 where there is none. Returns 0,
 * DZ_ERANGE or a dz_err.
 */
int db_ticket_sizes(struct db *db, int64_t account,
    const struct db_frag_loc *locs, size_t n, int64_t not_before,
    uint64_t *sizes, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * db_ticket_pending: *bytes = what account was placed and has not
 * committed: the size of each name it holds a ticket for that expires
 * at or after not_before and that it has not committed as a fragment
 * (each name once, however many peers it was placed on). What a PLACE
 * counts on top of the account's used bytes, so that placing without
 * committing cannot store past the quota. Returns 0 or a dz_err.
 */
int db_ticket_pending(struct db *db, int64_t account, int64_t not_before,
    uint64_t *bytes, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
