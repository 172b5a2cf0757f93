/*
 * dbfix: what the coordinator database's unit tests share: a fresh
 * database in a temporary directory per test, accounts with a real
 * keyfile blob, peers and fragment locations made from small tags, and a
 * lookup callback that collects what it is shown. Test code only.
 */
#ifndef DZ_TEST_DBFIX_H
#define DZ_TEST_DBFIX_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "coordinator/db.h"
#include "core/keyfile.h"

__attribute__((unused)) static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

struct fix {
	char dir[64];
	struct db *db;
};

__attribute__((unused)) static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_db.XXXXXX");
	if (mkdtemp(f->dir) == NULL || db_open(f->dir, &f->db, NULL) != 0)
		return -1;
	*state = f;
	return 0;
}

__attribute__((unused)) static int
teardown(void **state)
{
	struct fix *f = *state;

	db_close(f->db);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

__attribute__((unused)) static void
reopen(struct fix *f)
{
	db_close(f->db);
	f->db = NULL;
	assert_int_equal(db_open(f->dir, &f->db, NULL), 0);
}

/* an account as a client would send it: a real encoded keyfile blob */
__attribute__((unused)) static void
make_account(struct db_account *a, const char *name)
{
	struct keyfile kf;

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	pwkey_params_default(&kf.params);
	randombytes_buf(kf.salt, sizeof(kf.salt));
	randombytes_buf(kf.wrapped, sizeof(kf.wrapped));
	keyfile_encode(&kf, a->keyblob);
	a->keyblob_len = KEYFILE_BYTES;
	randombytes_buf(a->login_pk, sizeof(a->login_pk));
	snprintf(a->hint, sizeof(a->hint), "the cat's name, née Müller");
	a->created = 1700000000;
}

__attribute__((unused)) static int64_t
add_account(struct db *db, const char *name)
{
	struct db_account a;
	int64_t id = 0;

	make_account(&a, name);
	assert_int_equal(db_account_create(db, &a, &id, NULL), 0);
	assert_true(id > 0);
	return id;
}

__attribute__((unused)) static void
make_peer(struct db_peer *p, uint8_t tag, uint64_t cap, uint64_t used)
{
	memset(p, 0, sizeof(*p));
	memset(p->id, tag, sizeof(p->id));
	snprintf(p->addr, sizeof(p->addr), "10.0.0.%u:7000", tag);
	p->capacity = cap;
	p->used = used;
}

__attribute__((unused)) static void
make_loc(struct db_frag_loc *l, uint32_t seq, uint8_t peer, uint8_t object,
    int64_t account, uint64_t size)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->name, &seq, sizeof(seq));
	l->name[31] = 0xf0;
	memset(l->peer, peer, sizeof(l->peer));
	memset(l->object, object, sizeof(l->object));
	l->account = account;
	l->segment = seq / 30;
	l->index = seq % 30;
	l->size = size;
}

struct seen {
	size_t n;
	uint8_t peers[16];
	size_t bytes;
};

__attribute__((unused)) static int
collect(void *arg, const struct db_frag_loc *l)
{
	struct seen *s = arg;

	if (s->n < sizeof(s->peers))
		s->peers[s->n] = l->peer[0];
	s->n++;
	s->bytes += l->size;
	return 0;
}

__attribute__((unused)) static void
register_peers(struct db *db, int count)
{
	struct db_peer p;

	for (int i = 1; i <= count; i++) {
		make_peer(&p, (uint8_t)i, 1000, 0);
		assert_int_equal(db_peer_upsert(db, &p, 1000, NULL), 0);
	}
}

#endif
