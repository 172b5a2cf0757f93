/* test_coord_audit: the reputation rules (coord_audit.h) move a peer one
 * way only where they should: vetting until enough audits passed; a few
 * failures in the window suspend, more disqualify for good; a suspended
 * peer is trusted again only once its whole window passed; the audit
 * history of a real database counts failures over the last audits only
 * and the news a peer reads lists its failures in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "coordinator/coord_audit.h"
#include "coordinator/db.h"
#include "coordinator/db_audit.h"

static void
test_states(void **state)
{
	(void)state;
	assert_int_equal(coord_audit_next_state(PROTO_PEER_VETTING, 2, 0, 3),
	    PROTO_PEER_VETTING);
	assert_int_equal(coord_audit_next_state(PROTO_PEER_VETTING, 3, 0, 3),
	    PROTO_PEER_TRUSTED);
	assert_int_equal(coord_audit_next_state(PROTO_PEER_TRUSTED, 50,
	    COORD_AUDIT_SUSPEND - 1, 3), PROTO_PEER_TRUSTED);
	assert_int_equal(coord_audit_next_state(PROTO_PEER_TRUSTED, 50,
	    COORD_AUDIT_SUSPEND, 3), PROTO_PEER_SUSPENDED);
	assert_int_equal(coord_audit_next_state(PROTO_PEER_VETTING, 0,
	    COORD_AUDIT_SUSPEND, 3), PROTO_PEER_SUSPENDED);
	/* suspended stays so while any failure is in the window */
	assert_int_equal(coord_audit_next_state(PROTO_PEER_SUSPENDED, 50, 1, 3),
	    PROTO_PEER_SUSPENDED);
	assert_int_equal(coord_audit_next_state(PROTO_PEER_SUSPENDED, 50, 0, 3),
	    PROTO_PEER_TRUSTED);
	assert_int_equal(coord_audit_next_state(PROTO_PEER_SUSPENDED, 50,
	    COORD_AUDIT_DISQUALIFY, 3), PROTO_PEER_DISQUALIFIED);
	/* disqualified is final */
	assert_int_equal(coord_audit_next_state(PROTO_PEER_DISQUALIFIED, 1000, 0, 3),
	    PROTO_PEER_DISQUALIFIED);
}

static void
test_history(void **state)
{
	char dir[] = "/tmp/test_coord_audit.XXXXXX", path[64];
	struct dz_errmsg em = {{0}};
	struct db *db;
	struct db_peer p;
	struct db_audit_standing st;
	struct proto_audit_news_rep *news = calloc(1, sizeof(*news));
	uint8_t name[DB_IDBYTES];

	(void)state;
	assert_non_null(news);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(db_open(dir, &db, &em), 0);
	memset(&p, 0, sizeof(p));
	memset(p.id, 7, sizeof(p.id));
	strcpy(p.addr, "127.0.0.1:9");
	p.capacity = 1000;
	assert_int_equal(db_peer_upsert(db, &p, 100, &em), 0);
	memset(name, 1, sizeof(name));
	/* unknown peer */
	{
		uint8_t other[DB_IDBYTES] = {9};
		assert_int_equal(db_audit_record(db, other, name, 0, 100, 20, &st, &em),
		    DZ_ENOENT);
	}
	/* 2 failures, then 20 passes: the window forgets them, the counters
	 * and the news do not */
	assert_int_equal(db_audit_record(db, p.id, name, PROTO_AUDIT_WRONG, 101, 20,
	    &st, &em), 0);
	assert_int_equal(db_audit_record(db, p.id, name, PROTO_AUDIT_MISSING, 102, 20,
	    &st, &em), 0);
	assert_int_equal(st.window_failed, 2);
	assert_int_equal(st.failed, 2);
	for (int i = 0; i < 20; i++)
		assert_int_equal(db_audit_record(db, p.id, name, PROTO_AUDIT_PASSED,
		    103 + i, 20, &st, &em), 0);
	assert_int_equal(st.window_failed, 0);
	assert_int_equal(st.passed, 20);
	assert_int_equal(st.failed, 2);
	assert_int_equal(db_audit_news(db, p.id, 0, news, &em), 0);
	assert_int_equal(news->count, 2);
	assert_int_equal(news->fail[0].reason, PROTO_AUDIT_WRONG);
	assert_int_equal(news->fail[1].reason, PROTO_AUDIT_MISSING);
	assert_true(news->fail[0].seq < news->fail[1].seq);
	assert_int_equal(db_audit_news(db, p.id, news->fail[1].seq, news, &em), 0);
	assert_int_equal(news->count, 0);
	assert_int_equal(db_audit_set_state(db, p.id, PROTO_PEER_SUSPENDED, &em), 0);
	assert_int_equal(db_audit_news(db, p.id, 0, news, &em), 0);
	assert_int_equal(news->state, PROTO_PEER_SUSPENDED);
	db_close(db);
	free(news);
	snprintf(path, sizeof(path), "%s/coordinator.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/coordinator.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/coordinator.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
