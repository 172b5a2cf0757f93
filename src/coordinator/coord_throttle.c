/*
 * coord_throttle: counting failed login proofs per source address and per
 * account without locking the owner out and without letting a flood of
 * throwaway names reset a victim's count (coord_int.h has the rules).
 *
 * Both tables are fixed arrays scanned linearly: 4096 entries of 64 bytes
 * each, scanned once per login proof, costs microseconds, and a login
 * proof costs its sender an Argon2id run. An entry is free when its
 * count has decayed to zero; a table with no free entry refuses to start
 * counting a new key (the proof is not judged), so a counted key is never
 * forgotten early.
 */
#include <stdio.h>
#include <string.h>

#include "coordinator/coord_int.h"

/* The count of e at now, after decay. */
static uint32_t
decayed(const struct coord_thr_ent *e, int64_t now)
{
	int64_t gone;

	if (e->n == 0 || now <= e->last)
		return e->n;
	gone = (now - e->last) / COORD_THR_DECAY;
	return gone >= (int64_t)e->n ? 0 : e->n - (uint32_t)gone;
}

/* The entry of key in tab, or a free one made key's; NULL if the table
 * is full of live counts (then *wait = seconds until one decays). */
static struct coord_thr_ent *
slot(struct coord_thr_ent *tab, const uint8_t key[static COORD_THR_KEYBYTES],
    int64_t now, int64_t *wait)
{
	struct coord_thr_ent *free_slot = NULL;
	int64_t w, best = INT64_MAX;

	for (size_t i = 0; i < COORD_THR_SLOTS; i++) {
		struct coord_thr_ent *e = &tab[i];
		uint32_t n = decayed(e, now);
		if (memcmp(e->key, key, COORD_THR_KEYBYTES) == 0)
			return e;
		if (n == 0) {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		w = e->last + (int64_t)e->n * COORD_THR_DECAY - now;
		if (w < best)
			best = w;
	}
	if (free_slot == NULL) {
		*wait = best < 1 ? 1 : best;
		return NULL;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	memcpy(free_slot->key, key, COORD_THR_KEYBYTES);
	return free_slot;
}

/* The source key: the connection's address without its port. */
static void
src_key(struct coord_sess *s, uint8_t key[static COORD_THR_KEYBYTES],
    char *ip, size_t cap)
{
	const char *a = conn_peer_addr(s->c), *colon;
	size_t n;

	if (a == NULL)
		a = "";
	colon = strrchr(a, ':');
	n = colon != NULL ? (size_t)(colon - a) : strlen(a);
	if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
		a++;
		n -= 2;
	}
	if (n >= COORD_THR_KEYBYTES - 1)
		n = COORD_THR_KEYBYTES - 2;
	memset(key, 0, COORD_THR_KEYBYTES);
	key[0] = 's';
	memcpy(key + 1, a, n);
	snprintf(ip, cap, "%.*s", (int)n, a);
}

static void
acct_key(int64_t account, uint8_t key[static COORD_THR_KEYBYTES])
{
	memset(key, 0, COORD_THR_KEYBYTES);
	key[0] = 'a';
	memcpy(key + 1, &account, sizeof(account));
}

int
coord_thr_admit(struct coord_sess *s, int64_t account, int known,
    struct coord_thr_ticket *t, struct dz_errmsg *em)
{
	struct coord *co = s->co;
	uint8_t key[COORD_THR_KEYBYTES];
	char ip[COORD_THR_KEYBYTES];
	int64_t now = coord_now(co), wait = 0, until;
	uint32_t n;

	t->src = t->acct = NULL;
	if (!co->opts.no_source_throttle) {
		src_key(s, key, ip, sizeof(ip));
		t->src = slot(co->thr->src, key, now, &wait);
		if (t->src == NULL && !known)
			return dz_errf(em, DZ_EDENIED,
			    "too many failed logins at this coordinator: try again in %lld s",
			    (long long)wait);
		if (t->src != NULL && !known &&
		    (n = decayed(t->src, now)) >= COORD_SRC_FREE) {
			n -= COORD_SRC_FREE;
			until = t->src->last + (n >= 12 ? COORD_SRC_DELAY_MAX :
			    (int64_t)1 << n);
			if (until > t->src->last + COORD_SRC_DELAY_MAX)
				until = t->src->last + COORD_SRC_DELAY_MAX;
			if (until > now)
				return dz_errf(em, DZ_EDENIED,
				    "too many failed logins from %s: try again in %lld s",
				    ip, (long long)(until - now));
		}
	}
	acct_key(account, key);
	t->acct = slot(co->thr->acct, key, now, &wait);
	if (t->acct == NULL && !known)
		return dz_errf(em, DZ_EDENIED,
		    "too many failed logins at this coordinator: try again in %lld s",
		    (long long)wait);
	if (t->acct != NULL && !known &&
	    decayed(t->acct, now) >= COORD_ACCT_BUDGET) {
		until = t->acct->last +
		    (int64_t)(t->acct->n - COORD_ACCT_BUDGET + 1) * COORD_THR_DECAY;
		return dz_errf(em, DZ_EDENIED,
		    "too many failed logins for this account: try again in %lld s (its logged-in computers are not refused)",
		    (long long)(until > now ? until - now : 1));
	}
	return 0;
}

/* One more failure on e, counted from its decayed value. */
static void
bump(struct coord_thr_ent *e, int64_t now)
{
	uint32_t n = decayed(e, now);

	e->n = n < UINT32_MAX ? n + 1 : n;
	e->last = now;
}

void
coord_thr_fail(struct coord *co, const struct coord_thr_ticket *t)
{
	int64_t now = coord_now(co);

	if (t->src != NULL)
		bump(t->src, now);
	if (t->acct != NULL)
		bump(t->acct, now);
}

uint32_t
coord_thr_account_failures(struct coord *co, int64_t account)
{
	uint8_t key[COORD_THR_KEYBYTES];
	int64_t now = coord_now(co);

	acct_key(account, key);
	for (size_t i = 0; i < COORD_THR_SLOTS; i++)
		if (memcmp(co->thr->acct[i].key, key, COORD_THR_KEYBYTES) == 0)
			return decayed(&co->thr->acct[i], now);
	return 0;
}
