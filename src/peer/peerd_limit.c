/*
 * peerd_limit: the peer's resource limits: capacity, upload and download
 * rates. They come from the command line and DIR/config (peercfg.h); the
 * file is watched with a libuv stat poll, re-read and re-checked on every
 * change, and a file that does not parse keeps the settings in force
 * (the log says why, once per change).
 *
 * Where a setting comes from: at start an option given on the command
 * line wins, else the file, else the default. Later, a key whose line
 * the file changes (added, altered or removed) takes the file's value,
 * or the command line's/default once removed: whoever spoke last wins,
 * which is what `drizzle config KEY VALUE` on a running peer means.
 *
 * Rates pace every client connection through two shared token buckets
 * (conn_set_pace), so the peer's bytes together keep to the limit; the
 * coordinator link is a connection of its own and is never paced, so
 * heartbeats are not delayed by a busy peer. A capacity change goes to
 * the fragment store at once (a put checks it under the store's lock)
 * and to the coordinator in a heartbeat sent at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/size.h"
#include "peer/peerd_int.h"

/* Put v in force for key k. */
static void
apply(struct peerd *p, int k, uint64_t v, int from_file)
{
	struct plimit *l = &p->lim;
	char was[SIZE_STRMAX], now[SIZE_STRMAX];
	uint64_t old = l->eff[k];

	if (from_file)
		l->from_file |= 1u << k;
	else
		l->from_file &= ~(1u << k);
	if (old == v)
		return;
	l->eff[k] = v;
	peerd_logf(p, "settings: %s %s (was %s), from %s", peercfg_name(k),
	    k != PEERCFG_CAPACITY && v == 0 ? "unlimited" :
	    size_format(v, now, sizeof(now)),
	    k != PEERCFG_CAPACITY && old == 0 ? "unlimited" :
	    size_format(old, was, sizeof(was)),
	    from_file ? l->path : "the command line or default");
	switch (k) {
	case PEERCFG_CAPACITY:
		p->capacity = v;
		fragstore_set_capacity(p->fs, v);
		if (fragstore_used(p->fs) > v)
			peerd_logf(p, "capacity %s is below the %llu bytes stored: "
			    "new fragments are refused until there is room (nothing "
			    "is deleted)", now, (unsigned long long)fragstore_used(p->fs));
		pcoord_announce(p);
		break;
	case PEERCFG_MAX_UPLOAD:
		ratelimit_set_rate(&l->up, v, uv_hrtime());
		break;
	case PEERCFG_MAX_DOWNLOAD:
		ratelimit_set_rate(&l->down, v, uv_hrtime());
		break;
	}
}

static void
on_poll(uv_fs_poll_t *h, int status, const uv_stat_t *prev,
    const uv_stat_t *curr)
{
	struct peerd *p = h->data;
	struct plimit *l = &p->lim;
	struct dz_errmsg em = {{0}};
	struct peercfg f;
	unsigned bit;

	(void)status; /* an absent file reads as empty */
	(void)prev;
	(void)curr;
	if (p->stopping)
		return;
	if (peercfg_load(p->dir, &f, &em) != 0) {
		peerd_logf(p, "%s; keeping the settings in force", em.text);
		return;
	}
	for (int k = 0; k < PEERCFG_NKEYS; k++) {
		bit = 1u << k;
		if ((f.set & bit) == (l->file.set & bit) &&
		    (!(f.set & bit) || f.v[k] == l->file.v[k]))
			continue; /* this line did not change */
		if (f.set & bit)
			apply(p, k, f.v[k], 1);
		else
			apply(p, k, l->base[k], 0);
	}
	l->file = f;
}

int
plimit_init(struct peerd *p, const struct peerd_config *cfg,
    struct dz_errmsg *em)
{
	struct plimit *l = &p->lim;
	size_t n = strlen(p->dir) + sizeof("/" PEERCFG_FILE);
	uint64_t now = uv_hrtime();
	int rc;

	if ((l->path = malloc(n)) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	snprintf(l->path, n, "%s/%s", p->dir, PEERCFG_FILE);
	l->base[PEERCFG_CAPACITY] = cfg->capacity;
	l->base[PEERCFG_MAX_UPLOAD] = cfg->max_upload;
	l->base[PEERCFG_MAX_DOWNLOAD] = cfg->max_download;
	l->given = cfg->given;
	if ((rc = peercfg_load(p->dir, &l->file, em)) != 0)
		return rc;
	for (int k = 0; k < PEERCFG_NKEYS; k++) {
		unsigned bit = 1u << k;

		if ((l->file.set & bit) && !(l->given & bit)) {
			l->eff[k] = l->file.v[k];
			l->from_file |= bit;
		} else {
			l->eff[k] = l->base[k];
		}
	}
	p->capacity = l->eff[PEERCFG_CAPACITY];
	ratelimit_init(&l->up, l->eff[PEERCFG_MAX_UPLOAD], now);
	ratelimit_init(&l->down, l->eff[PEERCFG_MAX_DOWNLOAD], now);
	return 0;
}

static void
on_poll_closed(uv_handle_t *h)
{
	struct peerd *p = h->data;

	p->lim.poll_open = 0;
	peerd_maybe_done(p);
}

int
plimit_start(struct peerd *p, struct dz_errmsg *em)
{
	struct plimit *l = &p->lim;
	int rc;

	if ((rc = uv_fs_poll_init(p->loop, &l->poll)) != 0)
		return dz_errf(em, DZ_EIO, "cannot watch %s: %s", l->path,
		    uv_strerror(rc));
	l->poll.data = p;
	l->poll_open = 1;
	if ((rc = uv_fs_poll_start(&l->poll, on_poll, l->path,
	    PEERD_CONFIG_POLL_MS)) != 0)
		return dz_errf(em, DZ_EIO, "cannot watch %s: %s", l->path,
		    uv_strerror(rc));
	return 0;
}

void
plimit_pace(struct peerd *p, struct conn *c)
{
	conn_set_pace(c, &p->lim.down, &p->lim.up);
}

void
plimit_stop(struct peerd *p)
{
	struct plimit *l = &p->lim;

	if (l->poll_open && !uv_is_closing((uv_handle_t *)&l->poll))
		uv_close((uv_handle_t *)&l->poll, on_poll_closed);
}

void
plimit_free(struct peerd *p)
{
	free(p->lim.path);
	p->lim.path = NULL;
}

void
peerd_traffic(const struct peerd *p, struct peerd_traffic *t)
{
	t->sent = p->lim.up.total;
	t->received = p->lim.down.total;
	t->max_upload = p->lim.eff[PEERCFG_MAX_UPLOAD];
	t->max_download = p->lim.eff[PEERCFG_MAX_DOWNLOAD];
	t->capacity = p->lim.eff[PEERCFG_CAPACITY];
}
