/*
 * peerd_work: the answers to FRAG_PUT, FRAG_GET, FRAG_HAS and AUDIT, as
 * work items of the libuv thread pool (see peerd.c for how a request
 * becomes one and what it may hold), and the loop half that sends a
 * worker's reply or error. A worker touches only its own struct pwork,
 * the fragment store (thread-safe) and settings fixed at start; the
 * counters shared with the loop change in peerd_work_done_, on the loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/cursor.h"
#include "core/fsio.h"
#include "net/proto.h"
#include "net/ticket.h"
#include "peer/peerd.h"
#include "peer/peerd_gc.h"
#include "peer/peerd_int.h"

/* Allocate and encode a reply body of exactly len bytes with enc. */
static int
rep_alloc(struct pwork *w, uint16_t type, size_t len)
{
	w->rep_type = type;
	w->rep_len = len;
	w->rep = malloc(len > 0 ? len : 1);
	if (w->rep == NULL)
		return dz_errf(&w->em, DZ_ENOMEM, "out of memory for a reply");
	return 0;
}

static void
hexname(const uint8_t name[static FRAGSTORE_NAMEBYTES], char out[static 65])
{
	merkle_hex(name, out);
}

/* ---- the workers (thread pool) ---- */

static int
work_put(struct pwork *w)
{
	struct peerd *p = w->p;
	const uint8_t *data = w->m.put.data;
	size_t len = w->m.put.len;
	uint8_t *al = NULL;
	uint64_t ticket = 0;
	int rc;

	if (p->test_lie == PEERD_LIE_SLOWPUT) {
		/* TEST ONLY: a straggler; this is a pool thread, not the loop */
		struct timespec ts = {20, 0};

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			continue;
	}

	/* the store writes aligned buffers with direct I/O: one memcpy is
	 * cheap next to pushing 4 MiB through the page cache */
	if (len >= FRAGSTORE_DIO_ALIGN &&
	    posix_memalign((void **)&al, FRAGSTORE_DIO_ALIGN, len) == 0) {
		memcpy(al, data, len);
		data = al;
	} else {
		al = NULL;
	}
	rc = fragstore_put(p->fs, w->m.put.name, data, len, &ticket, &w->em);
	free(al);
	if (rc == 0)
		rc = fragstore_sync(p->fs, ticket, &w->em);
	switch (rc) {
	case 0:
		return rep_alloc(w, PROTO_FRAG_PUT_REP, 0);
	case DZ_ENOSPC:
		return dz_errf(&w->em, rc, "peer full: capacity %llu, used %llu",
		    (unsigned long long)fragstore_capacity(p->fs),
		    (unsigned long long)fragstore_used(p->fs));
	case DZ_EINTEGRITY:
		return dz_errf(&w->em, rc, "fragment does not match its name");
	case DZ_EFORMAT:
	case DZ_ETRUNC:
	case DZ_EVERSION:
		return dz_errf(&w->em, rc, "not a fragment: %s", dz_strerror(rc));
	default:
		return rc;
	}
}

/* A damaged fragment goes: the coordinator will have it repaired. */
static int
drop_damaged(struct pwork *w, const uint8_t name[static FRAGSTORE_NAMEBYTES])
{
	char hex[65];

	hexname(name, hex);
	if (fragstore_del(w->p->fs, name, NULL) == 0)
		w->deleted = 1;
	return dz_errf(&w->em, DZ_EINTEGRITY,
	    "fragment %s was damaged on this peer and has been deleted", hex);
}

/* TEST ONLY (--test-lie): how a lying peer spoils a fragment it read
 * correctly, buf holding *len bytes; PEERD_LIE_SLOW waits in work_get. */
static void
test_lie_spoil(int mode, uint8_t *buf, size_t *len)
{
	switch (mode) {
	case PEERD_LIE_GARBAGE:
		randombytes_buf(buf, *len);
		break;
	case PEERD_LIE_FLIP:
		buf[*len / 2] ^= 0xff;
		break;
	case PEERD_LIE_TRUNCATE:
		*len = *len > 100 ? *len - 100 : *len / 2;
		break;
	default:
		break;
	}
}

static int
work_get(struct pwork *w)
{
	const uint8_t *name = w->m.get.name;
	struct proto_frag_get_rep r;
	uint8_t *buf = NULL;
	size_t size = 0, cap, got = 0;
	struct wbuf wb;
	char hex[65];
	int rc;

	hexname(name, hex);
	if (w->p->test_lie == PEERD_LIE_SLOW) {
		/* TEST ONLY: a slow peer; this is a pool thread, not the loop */
		struct timespec ts = {3, 0};

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			continue;
	}
	if ((rc = fragstore_has(w->p->fs, name, &size)) <= 0) {
		rc = rc == 0 ? DZ_ENOENT : rc;
		return dz_errf(&w->em, rc, "no fragment %s here", hex);
	}
	if (size == 0 || size > PROTO_FRAG_MAX)
		return drop_damaged(w, name);
	if (!padmit_take(w, padmit_cost(size)))
		return WORK_BUSY;
	cap = (size + FRAGSTORE_DIO_ALIGN - 1) & ~(size_t)(FRAGSTORE_DIO_ALIGN - 1);
	if (posix_memalign((void **)&buf, FRAGSTORE_DIO_ALIGN, cap) != 0)
		return dz_errf(&w->em, DZ_ENOMEM, "out of memory reading %s", hex);
	rc = fragstore_get(w->p->fs, name, buf, cap, &got, &w->em);
	if (rc == DZ_EINTEGRITY) {
		rc = drop_damaged(w, name);
		goto out;
	}
	if (rc == DZ_ENOENT) {
		rc = dz_errf(&w->em, rc, "no fragment %s here", hex);
		goto out;
	}
	if (rc != 0)
		goto out;
	test_lie_spoil(w->p->test_lie, buf, &got);
	r.data = buf;
	r.len = got;
	if ((rc = rep_alloc(w, PROTO_FRAG_GET_REP, 4 + got)) != 0)
		goto out;
	wbuf_init(&wb, w->rep, w->rep_len);
	if ((rc = proto_frag_get_rep_encode(&r, &wb)) != 0 || wb.len != w->rep_len)
		rc = dz_errf(&w->em, rc != 0 ? rc : DZ_EINVAL, "cannot encode %s", hex);
out:
	free(buf);
	return rc;
}

static int
work_has(struct pwork *w)
{
	struct proto_frag_has_rep r;
	struct wbuf wb;
	int rc;

	memset(&r, 0, sizeof(r));
	r.count = w->m.has.nnames;
	for (size_t i = 0; i < w->m.has.nnames; i++) {
		if ((rc = fragstore_has(w->p->fs, w->m.has.names[i], NULL)) < 0)
			return dz_errf(&w->em, rc, "cannot look up fragments: %s",
			    dz_strerror(rc));
		if (rc == 1)
			proto_has_set(&r, i);
	}
	if ((rc = rep_alloc(w, PROTO_FRAG_HAS_REP, 2 + sizeof(r.bits))) != 0)
		return rc;
	wbuf_init(&wb, w->rep, w->rep_len);
	if ((rc = proto_frag_has_rep_encode(&r, &wb)) != 0)
		return dz_errf(&w->em, rc, "cannot encode FRAG_HAS_REP");
	w->rep_len = wb.len;
	return 0;
}

static int
work_audit(struct pwork *w)
{
	static const size_t replen = 4 + 4 + MERKLE_BLOCK + 2 +
	    MERKLE_MAXPATH * MERKLE_HASHBYTES;
	const uint8_t *name = w->m.audit.name;
	uint8_t (*path)[MERKLE_HASHBYTES] = NULL;
	uint8_t *block = NULL;
	struct proto_audit_rep r;
	size_t blocklen = 0, pathlen = 0, nleaves = 0;
	struct wbuf wb;
	char hex[65];
	int rc;

	hexname(name, hex);
	/* the audit reads the whole fragment: its size counts, and a
	 * missing one is fragstore_audit's to report */
	if (fragstore_has(w->p->fs, name, &blocklen) == 1 &&
	    !padmit_take(w, padmit_cost(blocklen)))
		return WORK_BUSY;
	blocklen = 0;
	block = malloc(MERKLE_BLOCK);
	path = malloc(MERKLE_MAXPATH * sizeof(*path));
	if (block == NULL || path == NULL) {
		rc = dz_errf(&w->em, DZ_ENOMEM, "out of memory auditing %s", hex);
		goto out;
	}
	rc = fragstore_audit(w->p->fs, name, w->m.audit.leaf, block, &blocklen,
	    path, &pathlen, &nleaves, &w->em);
	if (rc == DZ_EINTEGRITY) {
		rc = drop_damaged(w, name);
		goto out;
	}
	if (rc == DZ_ENOENT)
		rc = dz_errf(&w->em, rc, "no fragment %s here", hex);
	if (rc != 0)
		goto out;
	r.nleaves = (uint32_t)nleaves;
	r.block = block;
	r.block_len = blocklen;
	r.npath = (uint16_t)pathlen;
	r.path = (const uint8_t(*)[MERKLE_HASHBYTES])path;
	if ((rc = rep_alloc(w, PROTO_AUDIT_REP, replen)) != 0)
		goto out;
	wbuf_init(&wb, w->rep, w->rep_len);
	if ((rc = proto_audit_rep_encode(&r, &wb)) != 0) {
		rc = dz_errf(&w->em, rc, "cannot encode the audit of %s", hex);
		goto out;
	}
	w->rep_len = wb.len;
out:
	free(block);
	free(path);
	return rc;
}

void
peerd_work_(uv_work_t *req)
{
	struct pwork *w = req->data;

	switch (w->type) {
	case PROTO_FRAG_PUT:
		w->rc = work_put(w);
		break;
	case PROTO_FRAG_GET:
		w->rc = work_get(w);
		break;
	case PROTO_FRAG_HAS:
		w->rc = work_has(w);
		break;
	case PROTO_AUDIT:
		w->rc = work_audit(w);
		break;
	case PROTO_GC_FILTER:
		w->rc = peerd_gc_work(w);
		break;
	case PROTO_PH_PROVE:
		w->rc = peerd_ph_prove(w);
		break;
	default:
		w->rc = DZ_EINVAL;
		break;
	}
	if (w->rc == WORK_BUSY)
		return; /* given back undone: it keeps its request */
	/* the request's bytes are not needed any more: release them here
	 * rather than wait for the loop */
	free(w->body);
	w->body = NULL;
	if (w->rc != 0) {
		free(w->rep);
		w->rep = NULL;
	}
}

/* A full disk is logged once when it fills and once when it has room
 * again, not once per refused fragment. */
static void
note_disk(struct peerd *p, const struct pwork *w)
{
	int full = fragstore_disk_full(p->fs);

	if (full && !p->full_logged)
		peerd_logf(p, "disk full: cannot write fragments in %s (%s); refusing "
		    "new fragments until there is room (logged once)", p->dir,
		    w->em.text[0] != '\0' ? w->em.text : dz_strerror(w->rc));
	else if (!full && p->full_logged)
		peerd_logf(p, "disk of %s has room again: storing fragments", p->dir);
	p->full_logged = full;
}

static void
release_rep(void *arg)
{
	free(arg);
}

void
peerd_work_done_(uv_work_t *req, int status)
{
	struct pwork *w = req->data;
	struct peerd *p = w->p;
	struct pconn *pc = w->pc;
	struct conn *c = pc->c;
	size_t keep;
	char hex[65];

	p->nwork--;
	pc->nwork--;
	if (w->type == PROTO_AUDIT)
		pc->naudit--;
	if (w->rc == WORK_BUSY && status == 0 && c != NULL &&
	    conn_is_open(c) && !p->stopping) {
		padmit_wait(pc, w);
		padmit_kick(p);
		return;
	}
	if (w->rc == WORK_BUSY)
		w->rc = DZ_EIO;
	if (w->type == PROTO_FRAG_PUT)
		note_disk(p, w); /* its bytes leave p->inflight in padmit_free */
	if (w->deleted) {
		hexname(w->type == PROTO_AUDIT ? w->m.audit.name : w->m.get.name, hex);
		peerd_logf(p, "deleted damaged fragment %s", hex);
	}
	if (status != 0 && w->rc == 0)
		w->rc = DZ_EIO;
	if (w->type == PROTO_GC_FILTER)
		peerd_gc_done(p, w);
	if (c != NULL && conn_is_open(c)) {
		if (w->rc != 0) {
			peerd_reply_error_(c, w->reqid, w->rc,
			    w->em.text[0] != '\0' ? w->em.text : dz_strerror(w->rc));
		} else if (conn_send_ref(c, w->rep_type, w->reqid, w->rep,
		    w->rep_len, release_rep, w->rep) == 0) {
			w->rep = NULL; /* the connection releases it */
			/* the reply's bytes stay reserved until they are in
			 * the socket; the worker's scratch goes back now */
			keep = w->reserved < w->rep_len ? w->reserved : w->rep_len;
			pc->queued += keep;
			w->reserved -= keep;
		} else {
			conn_abort(c, DZ_EIO, "cannot queue a reply");
		}
	}
	padmit_free(w);
	padmit_kick(p);
	peerd_maybe_done(p);
}

