/*
 * peerd_ph: the peer's placeholders (see peerd_ph.h).
 *
 * DIR/placeholders/meta holds the seed, block size and rounds the blocks
 * were made with (seed[32] | block u32 LE | rounds u32 LE); a seed from
 * the coordinator that differs (a new coordinator, other settings) makes
 * the old blocks worthless, and they are deleted. Block i is the file
 * named by i in 16 hex digits, written to a temporary name, synced and
 * renamed, so a crash leaves whole blocks only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/fsio.h"
#include "core/phblock.h"
#include "peer/peerd_int.h"

#define PH_META "meta"
#define PH_METABYTES (PROTO_PH_SEEDBYTES + 8)
#define PH_PATHMAX 4096

static int
block_path(const struct pph *ph, uint64_t i, const char *suffix, char *out,
    size_t cap)
{
	return snprintf(out, cap, "%s/%016" PRIx64 "%s", ph->dir, i, suffix) <
	    (int)cap ? 0 : DZ_ERANGE;
}

int
peerd_ph_init(struct peerd *p, struct dz_errmsg *em)
{
	struct pph *ph = &p->ph;
	size_t n = strlen(p->dir) + sizeof("/placeholders");

	memset(ph, 0, sizeof(*ph));
	if ((ph->dir = malloc(n)) == NULL)
		return DZ_ENOMEM;
	snprintf(ph->dir, n, "%s/placeholders", p->dir);
	if (mkdir(ph->dir, 0700) != 0 && errno != EEXIST)
		return dz_errf(em, fsio_errno(errno), "cannot make %s: %s", ph->dir,
		    strerror(errno));
	return 0;
}

void
peerd_ph_free(struct peerd *p)
{
	free(p->ph.dir);
	p->ph.dir = NULL;
}

/* ---- the pool side ---- */

/* Delete every block file (another seed's). */
static void
wipe(struct pph *ph)
{
	DIR *d = opendir(ph->dir);
	struct dirent *e;
	char path[PH_PATHMAX];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && strcmp(e->d_name, PH_META) != 0 &&
		    snprintf(path, sizeof(path), "%s/%s", ph->dir, e->d_name) <
		    (int)sizeof(path))
			(void)unlink(path);
	closedir(d);
}

/* The blocks 0..n-1 kept whole under the current seed (at the first
 * work item after a seed arrives). */
static uint64_t
count_blocks(struct pph *ph)
{
	uint8_t meta[PH_METABYTES], want[PH_METABYTES];
	char path[PH_PATHMAX];
	struct stat st;
	size_t got = 0;
	uint64_t n = 0;
	int dfd;

	memcpy(want, ph->seed, PROTO_PH_SEEDBYTES);
	for (int i = 0; i < 4; i++) {
		want[PROTO_PH_SEEDBYTES + i] = (uint8_t)(ph->block >> (8 * i));
		want[PROTO_PH_SEEDBYTES + 4 + i] = (uint8_t)(ph->rounds >> (8 * i));
	}
	if ((dfd = open(ph->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if (fsio_read_file(dfd, PH_META, meta, sizeof(meta), &got, NULL) != 0 ||
	    got != sizeof(meta) || memcmp(meta, want, sizeof(meta)) != 0) {
		wipe(ph);
		if (fsio_write_durable(dfd, PH_META, want, sizeof(want), 0, 0600, NULL) != 0) {
			close(dfd);
			return 0;
		}
	}
	close(dfd);
	while (block_path(ph, n, "", path, sizeof(path)) == 0 &&
	    stat(path, &st) == 0 && (uint64_t)st.st_size == ph->block)
		n++;
	return n;
}

/* Make block i: written, synced, renamed into place. */
static int
make_block(struct pph *ph, uint64_t i, uint8_t *buf)
{
	char tmp[PH_PATHMAX], path[PH_PATHMAX];
	int fd, rc;

	if (block_path(ph, i, ".tmp", tmp, sizeof(tmp)) != 0 ||
	    block_path(ph, i, "", path, sizeof(path)) != 0)
		return DZ_ERANGE;
	if ((rc = phblock_make(ph->seed, i, ph->rounds, buf, ph->block)) != 0)
		return rc;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return fsio_errno(errno);
	rc = fsio_write_all(fd, buf, ph->block);
	if (rc == 0 && fdatasync(fd) != 0)
		rc = fsio_errno(errno);
	if (close(fd) != 0 && rc == 0)
		rc = fsio_errno(errno);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = fsio_errno(errno);
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

/*
 * How many blocks fit: the offer (the capacity, at most what the disk has:
 * the store's fragments + free space + the placeholders themselves, less
 * one block kept free on the disk for arriving fragments) less the
 * fragments.
 */
static uint64_t
target(struct peerd *p, uint64_t have)
{
	struct pph *ph = &p->ph;
	uint64_t offer, disk_free = 0, used = fragstore_used(p->fs), room;

	if (fragstore_offer(p->fs, &offer, &disk_free) != 0)
		return have; /* cannot tell: change nothing */
	room = used + disk_free + have * ph->block;
	room = room > ph->block ? room - ph->block : 0;
	if (room > p->capacity)
		room = p->capacity;
	return room > used ? (room - used) / ph->block : 0;
}

static void
ph_work(uv_work_t *req)
{
	struct peerd *p = req->data;
	struct pph *ph = &p->ph;
	char path[PH_PATHMAX];
	uint8_t *buf;
	uint64_t n = ph->w_n;

	ph->w_rc = 0;
	if (p->test_lie == PEERD_LIE_PHREGEN) { /* claims all, keeps none */
		ph->w_n = ph->w_target = target(p, 0);
		return;
	}
	if (n == UINT64_MAX)
		n = count_blocks(ph);
	ph->w_target = target(p, n);
	/* too many: give up the highest first */
	while (n > ph->w_target && block_path(ph, n - 1, "", path, sizeof(path)) == 0) {
		(void)unlink(path);
		n--;
	}
	if (n < ph->w_target) {
		if ((buf = malloc(ph->block)) == NULL)
			ph->w_rc = DZ_ENOMEM;
		else if ((ph->w_rc = make_block(ph, n, buf)) == 0)
			n++;
		free(buf);
	}
	ph->w_n = n;
}

static void tick_claim(struct peerd *p, int again);
static void start_work(struct peerd *p, uint64_t n);

static void
ph_done(uv_work_t *req, int status)
{
	struct peerd *p = req->data;
	struct pph *ph = &p->ph;

	p->nwork--;
	ph->busy = 0;
	if (status == 0) {
		ph->nblocks = ph->w_n;
		atomic_store(&ph->bytes, ph->nblocks * ph->block);
	}
	if (ph->w_rc != 0 && ph->w_rc != DZ_ENOSPC)
		peerd_logf(p, "placeholders: cannot make block %" PRIu64 ": %s",
		    ph->nblocks, dz_strerror(ph->w_rc));
	if (!p->stopping) {
		tick_claim(p, 0);
		/* more to make: go on at once (ENOSPC or a failure: at the
		 * next heartbeat, which re-reckons) */
		if (status == 0 && ph->w_rc == 0 && ph->nblocks < ph->w_target)
			start_work(p, ph->nblocks);
	}
	peerd_maybe_done(p);
}

static void
start_work(struct peerd *p, uint64_t n)
{
	struct pph *ph = &p->ph;

	if (ph->busy || p->stopping)
		return;
	ph->req.data = p;
	ph->w_n = n;
	if (uv_queue_work(p->loop, &ph->req, ph_work, ph_done) != 0)
		return;
	ph->busy = 1;
	p->nwork++;
}

/* ---- the coordinator link (loop) ---- */

static void
send_req(struct peerd *p, uint16_t type, const void *msg, uint32_t *reqid)
{
	struct pcoord *co = &p->co;
	uint8_t buf[16];
	struct wbuf w;
	int rc = 0;

	wbuf_init(&w, buf, sizeof(buf));
	if (type == PROTO_PH_CLAIM)
		rc = proto_ph_claim_encode(msg, &w);
	*reqid = pcoord_next_reqid(co);
	p->ph.asked_on = co->c;
	if (rc != 0 || conn_send(co->c, type, *reqid, buf, w.len) != 0)
		*reqid = 0;
}

/* Tell the coordinator the count: when it changed, and (again) at every
 * heartbeat, since a failed check cut the coordinator's count and an
 * honest peer that still keeps its blocks says so; what it is credited
 * with grows only by passed checks. */
static void
tick_claim(struct peerd *p, int again)
{
	struct pph *ph = &p->ph;
	struct proto_ph_claim m;

	if (p->co.c == NULL || p->co.state != PC_UP || !ph->have_seed ||
	    ph->claim_reqid != 0 ||
	    (!again && ph->claim_known && ph->claimed == ph->nblocks))
		return;
	m.blocks = ph->nblocks;
	ph->claim_sent = ph->nblocks;
	send_req(p, PROTO_PH_CLAIM, &m, &ph->claim_reqid);
}

void
peerd_ph_tick(struct peerd *p)
{
	struct pph *ph = &p->ph;

	if (ph->asked_on != p->co.c) { /* a new connection: ask again */
		ph->seed_reqid = ph->claim_reqid = 0;
		ph->claim_known = ph->refused = 0;
		ph->asked_on = p->co.c;
	}
	if (p->co.c == NULL || p->co.state != PC_UP)
		return;
	if (!ph->have_seed) {
		if (ph->seed_reqid == 0 && !ph->refused)
			send_req(p, PROTO_PH_SEED, NULL, &ph->seed_reqid);
		return;
	}
	tick_claim(p, 1);
	start_work(p, ph->nblocks);
}

int
peerd_ph_reply(struct peerd *p, struct frame *f)
{
	struct pph *ph = &p->ph;
	struct proto_ph_seed_rep r;
	int fresh;

	if (f->reqid != 0 && f->reqid == ph->claim_reqid) {
		ph->claim_reqid = 0;
		if (f->type == PROTO_PH_CLAIM_REP) {
			ph->claimed = ph->claim_sent;
			ph->claim_known = 1;
		}
		return 1;
	}
	if (f->reqid == 0 || f->reqid != ph->seed_reqid)
		return 0;
	ph->seed_reqid = 0;
	if (f->type != PROTO_PH_SEED_REP ||
	    proto_ph_seed_rep_decode(f->body, f->len, &r) != 0) {
		peerd_logf(p, "placeholders: the coordinator gave no seed; "
		    "offered space earns only as fragments fill it");
		ph->refused = 1; /* asked again on the next connection */
		return 1;
	}
	fresh = !ph->have_seed || memcmp(ph->seed, r.seed, sizeof(r.seed)) != 0 ||
	    ph->block != r.block || ph->rounds != r.rounds;
	if (fresh && ph->busy)
		return 1; /* asked again at the next heartbeat */
	memcpy(ph->seed, r.seed, sizeof(ph->seed));
	ph->block = r.block;
	ph->rounds = r.rounds;
	ph->have_seed = 1;
	if (fresh)
		start_work(p, UINT64_MAX); /* count what is kept first */
	return 1;
}

/* ---- PH_PROVE (pool) ---- */

/* The reply: PH_PROVE_REP with hash. */
static int
prove_rep(struct pwork *w, const struct proto_ph_prove_rep *r)
{
	struct wbuf wb;

	w->rep_type = PROTO_PH_PROVE_REP;
	w->rep_len = PROTO_PH_HASHBYTES;
	if ((w->rep = malloc(w->rep_len)) == NULL)
		return dz_errf(&w->em, DZ_ENOMEM, "out of memory for a reply");
	wbuf_init(&wb, w->rep, w->rep_len);
	return proto_ph_prove_rep_encode(r, &wb);
}

/* TEST ONLY (PEERD_LIE_PHREGEN): the block made again now, as a cheat
 * keeping nothing would have to. */
static int
regen_prove(struct pwork *w)
{
	struct pph *ph = &w->p->ph;
	struct proto_ph_prove_rep r;
	uint8_t *buf = malloc(ph->block > 0 ? ph->block : 1);
	int rc;

	if (buf == NULL)
		return DZ_ENOMEM;
	rc = phblock_make(ph->seed, w->m.ph_prove.index, ph->rounds, buf, ph->block);
	if (rc == 0)
		phblock_prove(w->m.ph_prove.nonce, buf, ph->block, r.hash);
	free(buf);
	return rc != 0 ? rc : prove_rep(w, &r);
}

int
peerd_ph_prove(struct pwork *w)
{
	struct pph *ph = &w->p->ph;
	const struct proto_ph_prove *m = &w->m.ph_prove;
	struct proto_ph_prove_rep r;
	crypto_generichash_state st;
	uint8_t buf[65536];
	char path[PH_PATHMAX];
	uint64_t total = 0;
	size_t got;
	int fd, rc = 0;

	if (w->p->test_lie == PEERD_LIE_PHREGEN)
		return regen_prove(w);
	/* blocks below the count are whole files (renamed into place) */
	if (block_path(ph, m->index, "", path, sizeof(path)) != 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return dz_errf(&w->em, DZ_ENOENT, "no placeholder block %" PRIu64,
		    m->index);
	crypto_generichash_init(&st, m->nonce, sizeof(m->nonce), sizeof(r.hash));
	do {
		if ((rc = fsio_read_full(fd, buf, sizeof(buf), &got)) != 0)
			break;
		crypto_generichash_update(&st, buf, got);
		total += got;
	} while (got == sizeof(buf));
	close(fd);
	if (rc != 0)
		return dz_errf(&w->em, rc, "cannot read placeholder block %" PRIu64,
		    m->index);
	crypto_generichash_final(&st, r.hash, sizeof(r.hash));
	if (total != ph->block)
		return dz_errf(&w->em, DZ_ENOENT, "placeholder block %" PRIu64
		    " is incomplete", m->index);
	return prove_rep(w, &r);
}
