/* test_coord_throttle: the failed-login tables bound their memory without
 * forgetting a live count. With the per-address count off (a coordinator
 * behind a proxy), an account past its budget is refused to unknown
 * computers and never to its own devices; filling the table with
 * COORD_THR_SLOTS other accounts' failures neither evicts the victim's
 * count nor lets a new account be judged uncounted (refused instead);
 * once counts decay, entries are free again. The clock is the test's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "coordinator/coord_int.h"

static int64_t now_s = 1000000;

static int64_t
clock_fn(void *arg)
{
	(void)arg;
	return now_s;
}

struct fx {
	struct coord co;
	struct coord_sess s;
};

static struct fx *
fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(f->co.thr = calloc(1, sizeof(*f->co.thr)));
	f->co.opts.no_source_throttle = 1;
	f->co.opts.clock = clock_fn;
	f->s.co = &f->co;
	return f;
}

static void
fx_free(struct fx *f)
{
	free(f->co.thr);
	free(f);
}

/* One wrong proof for account a, if admitted: its admit code. */
static int
guess(struct fx *f, int64_t a, int known)
{
	struct coord_thr_ticket t;
	struct dz_errmsg em = {{0}};
	int rc = coord_thr_admit(&f->s, a, known, &t, &em);

	if (rc == 0)
		coord_thr_fail(&f->co, &t);
	else
		assert_non_null(strstr(em.text, "try again in"));
	return rc;
}

static void
budget_and_devices(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	for (int i = 0; i < COORD_ACCT_BUDGET; i++)
		assert_int_equal(guess(f, 7, 0), 0);
	assert_int_equal(guess(f, 7, 0), DZ_EDENIED);
	assert_int_equal(guess(f, 7, 1), 0); /* a device is never refused */
	now_s += COORD_THR_DECAY; /* 11 counted, one forgotten */
	assert_int_equal(guess(f, 7, 0), DZ_EDENIED);
	now_s += COORD_THR_DECAY; /* two forgotten: under the budget */
	assert_int_equal(guess(f, 7, 0), 0);
	fx_free(f);
}

static void
full_table_never_evicts(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	for (int i = 0; i < COORD_ACCT_BUDGET + 3; i++)
		assert_int_equal(guess(f, 1, i >= COORD_ACCT_BUDGET), 0);
	/* throwaway accounts fill every other slot */
	for (int64_t a = 2; a <= COORD_THR_SLOTS; a++)
		assert_int_equal(guess(f, a, 0), 0);
	/* one more is refused, not counted in an evicted slot */
	assert_int_equal(guess(f, COORD_THR_SLOTS + 1, 0), DZ_EDENIED);
	/* the victim's count is intact */
	assert_int_equal(guess(f, 1, 0), DZ_EDENIED);
	/* a device of a new account still gets in (uncounted) */
	assert_int_equal(guess(f, COORD_THR_SLOTS + 2, 1), 0);
	/* the throwaway counts decay: room again, the victim still counted */
	now_s += COORD_THR_DECAY;
	assert_int_equal(guess(f, COORD_THR_SLOTS + 1, 0), 0);
	assert_int_equal(guess(f, 1, 0), DZ_EDENIED);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(budget_and_devices),
		cmocka_unit_test(full_table_never_evicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
