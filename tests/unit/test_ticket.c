/* test_ticket: placement tickets (net/ticket.h). A ticket signed by a
 * coordinator checks for exactly its peer, name and size until its expiry
 * plus the forgiven skew, and for nothing else: another signer, peer,
 * name or size, a field changed after signing, an expiry past the skew or
 * too far ahead, or no ticket or no pinned coordinator are each
 * DZ_EDENIED. The account tag is stable for one coordinator and account
 * and differs across either; the transcript is the label and the wire
 * fields in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/cursor.h"
#include "net/ticket.h"

#define NOW 1700000000

struct fx {
	struct ident *coord, *other;
	uint8_t peer[32], name[32];
};

static int
setup(void **state)
{
	static struct fx f;

	if (sodium_init() < 0 || ident_generate(&f.coord) != 0 ||
	    ident_generate(&f.other) != 0)
		return -1;
	randombytes_buf(f.peer, 32);
	randombytes_buf(f.name, 32);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ident_free(f->coord);
	ident_free(f->other);
	return 0;
}

static int
check(const struct fx *f, const struct proto_ticket *t, const uint8_t *cpk,
    const uint8_t *peer, const uint8_t *name, size_t size, int64_t now)
{
	struct dz_errmsg em = {{0}};
	int rc = ticket_check(t, cpk, peer, name, size, now, &em);

	(void)f;
	if (rc != 0)
		assert_true(strstr(em.text, "ticket") != NULL); /* says why */
	return rc;
}

static void
test_sign_check(void **state)
{
	struct fx *f = *state;
	struct proto_ticket t, u;
	uint8_t x[32];

	assert_int_equal(ticket_sign(&t, f->coord, 7, f->name, 1000, f->peer,
	    NOW + 600), 0);
	assert_int_equal(t.version, PROTO_TICKET_VERSION);
	assert_int_equal(check(f, &t, f->coord->pk, f->peer, f->name, 1000, NOW), 0);
	/* the expiry, and the skew forgiven past it */
	assert_int_equal(check(f, &t, f->coord->pk, f->peer, f->name, 1000,
	    NOW + 600 + TICKET_SKEW), 0);
	assert_int_equal(check(f, &t, f->coord->pk, f->peer, f->name, 1000,
	    NOW + 600 + TICKET_SKEW + 1), DZ_EDENIED);
	/* another signer, peer, name, size */
	assert_int_equal(check(f, &t, f->other->pk, f->peer, f->name, 1000, NOW),
	    DZ_EDENIED);
	memcpy(x, f->peer, 32);
	x[31] ^= 1;
	assert_int_equal(check(f, &t, f->coord->pk, x, f->name, 1000, NOW), DZ_EDENIED);
	assert_int_equal(check(f, &t, f->coord->pk, f->peer, x, 1000, NOW), DZ_EDENIED);
	assert_int_equal(check(f, &t, f->coord->pk, f->peer, f->name, 999, NOW),
	    DZ_EDENIED);
	/* none, or no coordinator pinned */
	assert_int_equal(check(f, NULL, f->coord->pk, f->peer, f->name, 1000, NOW),
	    DZ_EDENIED);
	assert_int_equal(check(f, &t, NULL, f->peer, f->name, 1000, NOW), DZ_EDENIED);
	/* any field changed after signing */
	u = t; u.account[0] ^= 1;
	assert_int_equal(check(f, &u, f->coord->pk, f->peer, f->name, 1000, NOW), DZ_EDENIED);
	u = t; u.expires++;
	assert_int_equal(check(f, &u, f->coord->pk, f->peer, f->name, 1000, NOW), DZ_EDENIED);
	u = t; u.sig[5] ^= 1;
	assert_int_equal(check(f, &u, f->coord->pk, f->peer, f->name, 1000, NOW), DZ_EDENIED);
	/* an expiry too far ahead */
	assert_int_equal(ticket_sign(&t, f->coord, 7, f->name, 1000, f->peer,
	    NOW + TICKET_TTL_MAX + TICKET_SKEW + 1), 0);
	assert_int_equal(check(f, &t, f->coord->pk, f->peer, f->name, 1000, NOW), DZ_EDENIED);
	assert_int_equal(ticket_sign(&t, f->coord, 7, f->name, 1000, f->peer,
	    UINT64_MAX), 0);
	assert_int_equal(check(f, &t, f->coord->pk, f->peer, f->name, 1000, NOW), DZ_EDENIED);
	/* sizes a FRAG_PUT cannot carry are not signed */
	assert_int_equal(ticket_sign(&t, f->coord, 7, f->name, 0, f->peer, NOW), DZ_EINVAL);
	assert_int_equal(ticket_sign(&t, f->coord, 7, f->name, PROTO_FRAG_MAX + 1,
	    f->peer, NOW), DZ_EINVAL);
}

static void
test_tag_and_transcript(void **state)
{
	struct fx *f = *state;
	uint8_t a[16], b[16], c[16], tr[TICKET_TBYTES];
	struct proto_ticket t;

	ticket_account_tag(a, f->coord, 7);
	ticket_account_tag(b, f->coord, 7);
	assert_memory_equal(a, b, 16);
	ticket_account_tag(c, f->coord, 8);
	assert_memory_not_equal(a, c, 16);
	ticket_account_tag(c, f->other, 7);
	assert_memory_not_equal(a, c, 16);
	assert_int_equal(ticket_sign(&t, f->coord, 7, f->name, 0x00a0b0c0, f->peer,
	    0x1122334455667788ull), 0);
	assert_memory_equal(t.account, a, 16);
	ticket_transcript(tr, &t);
	assert_int_equal(sizeof(tr), 17 + 93);
	assert_memory_equal(tr, "drizzle ticket v1", 17);
	assert_int_equal(tr[17], 1);
	assert_memory_equal(tr + 18, a, 16);
	assert_memory_equal(tr + 34, f->name, 32);
	assert_int_equal(le32_get(tr + 66), 0x00a0b0c0);
	assert_memory_equal(tr + 70, f->peer, 32);
	assert_int_equal(le64_get(tr + 102), 0x1122334455667788ull);
	assert_int_equal(crypto_sign_verify_detached(t.sig, tr, sizeof(tr),
	    f->coord->pk), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_check),
		cmocka_unit_test(test_tag_and_transcript),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
