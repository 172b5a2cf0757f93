/*
 * peerd: the storage peer's server: start-up and shut-down, and the
 * listener that decodes FRAG_PUT, FRAG_GET, FRAG_HAS and AUDIT (their
 * workers are in peerd_work.c, the coordinator link in peerd_coord.c). A FRAG_PUT is stored only with a placement ticket
 * that the pinned coordinator signed for this peer, name and size.
 *
 * Each request is decoded on the loop (cheap, and a malformed one is
 * answered at once), then handed to the libuv thread pool as a work item
 * that owns the request's body and holds a reference on its connection.
 * The worker does the disk work and encodes the reply; back on the loop,
 * the reply is sent if the connection still exists, and dropped if not.
 * A put's worker returns only after fragstore_sync covered the fragment,
 * so an acknowledgement always means "on disk"; several workers waiting
 * at once share one sync (fragstore's group commit).
 *
 * Memory per connection (issue 13, point 6): a connection has at most
 * PEERD_CONN_WORK requests in the pool (one AUDIT), and the replies being
 * made or queued for it reserve their bytes, per connection and per peer
 * (PEERD_CONN_REPLY, PEERD_REPLY_MAX), until the connection has written
 * them into its socket (on_drain). A worker that finds no room gives its
 * request back undone; a request that cannot go to the pool waits on its
 * connection, which is held (conn_hold: not read) meanwhile, and goes
 * when room is made (a reply drained, a worker done, a connection gone).
 * So a client that pipelines thousands of FRAG_GETs and never reads costs
 * the peer one budget, not thousands of replies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/cursor.h"
#include "core/fsio.h"
#include "net/netsrv.h"
#include "net/proto.h"
#include "net/ticket.h"
#include "peer/peerd.h"
#include "peer/peerd_gc.h"
#include "peer/peerd_int.h"

/* ERROR body: code i32 | text u16 + up to PROTO_ERRMSG_MAX bytes */
#define ERRBODY_MAX (4 + 2 + PROTO_ERRMSG_MAX)

void
peerd_logf(struct peerd *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (p->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->log(p->log_arg, line);
}

void
pconn_unref(struct pconn *pc)
{
	if (--pc->refs == 0)
		free(pc);
}

/* Send ERROR {code, text} for reqid on c; a failure to queue it ends c. */
void
peerd_reply_error_(struct conn *c, uint32_t reqid, int code, const char *text)
{
	struct proto_error e;
	uint8_t buf[ERRBODY_MAX];
	struct wbuf w;

	proto_error_make(&e, code, text);
	wbuf_init(&w, buf, sizeof(buf));
	if (proto_error_encode(&e, &w) != 0 || w.err != 0 ||
	    conn_send(c, PROTO_ERROR, reqid, buf, w.len) != 0)
		conn_abort(c, DZ_EIO, "cannot answer with an error");
}

/* ---- the listener's callbacks (loop) ---- */

static int
on_peer(void *arg, struct conn *c, const uint8_t pk[IDENT_PKBYTES])
{
	struct peerd *p = arg;
	struct pconn *pc;

	/* any authenticated node may fetch, and store with a ticket; its key
	 * says who may send clean-up (peerd_gc_admit) */
	if (p->stopping)
		return DZ_EIO;
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return DZ_ENOMEM;
	memcpy(pc->pk, pk, IDENT_PKBYTES);
	pc->p = p;
	pc->c = c;
	pc->refs = 1; /* the connection's own */
	conn_set_udata(c, pc);
	plimit_pace(p, c);
	return 0;
}

static void
on_close(void *arg, struct conn *c, int err, const char *msg)
{
	struct pconn *pc = conn_udata(c);

	(void)arg;
	(void)err;
	(void)msg;
	if (pc == NULL)
		return;
	conn_set_udata(c, NULL);
	pc->c = NULL;
	padmit_gone(pc);
	pconn_unref(pc);
}

static int
decode_request(struct pwork *w)
{
	switch (w->type) {
	case PROTO_FRAG_PUT:
		return proto_frag_put_decode(w->body, w->len, &w->m.put);
	case PROTO_FRAG_GET:
		return proto_frag_get_decode(w->body, w->len, &w->m.get);
	case PROTO_FRAG_HAS:
		return proto_frag_has_decode(w->body, w->len, &w->m.has);
	case PROTO_AUDIT:
		return proto_audit_decode(w->body, w->len, &w->m.audit);
	case PROTO_GC_FILTER:
		return proto_gc_filter_decode(w->body, w->len, &w->m.gc);
	case PROTO_PH_PROVE:
		return proto_ph_prove_decode(w->body, w->len, &w->m.ph_prove);
	default:
		return DZ_EFORMAT;
	}
}

static void
on_frame(void *arg, struct conn *c, struct frame *f)
{
	struct peerd *p = arg;
	struct pconn *pc = conn_udata(c);
	const char *tname = proto_type_name(f->type);
	struct dz_errmsg em = {{0}};
	struct pwork *w;
	char msg[128];
	int rc;

	if (pc == NULL || p->stopping)
		return;
	switch (f->type) {
	case PROTO_FRAG_PUT:
	case PROTO_FRAG_GET:
	case PROTO_FRAG_HAS:
	case PROTO_AUDIT:
	case PROTO_PH_PROVE:
		break;
	case PROTO_GC_FILTER:
		if ((rc = peerd_gc_admit(p, pc, &em)) == 0)
			break;
		peerd_logf(p, "%s", em.text);
		peerd_reply_error_(c, f->reqid, rc, em.text);
		return;
	default:
		snprintf(msg, sizeof(msg), "a peer does not answer %s (type 0x%04x)",
		    tname != NULL ? tname : "unknown messages", f->type);
		peerd_reply_error_(c, f->reqid, DZ_EINVAL, msg);
		return;
	}
	/* audits are the coordinator's (its pinned key): nobody else makes
	 * this peer read and hash whole fragments on request */
	if ((f->type == PROTO_AUDIT || f->type == PROTO_PH_PROVE) && (!p->co.have_pk || conn_peer_pk(c) == NULL ||
	    memcmp(conn_peer_pk(c), p->co.pk, IDENT_PKBYTES) != 0)) {
		peerd_reply_error_(c, f->reqid, DZ_EDENIED,
		    "only the coordinator audits this peer");
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		peerd_reply_error_(c, f->reqid, DZ_ENOMEM, "peer out of memory");
		return;
	}
	w->req.data = w;
	w->p = p;
	w->pc = pc;
	w->type = f->type;
	w->reqid = f->reqid;
	w->body = f->body; /* taken: the work item frees it */
	w->len = f->len;
	f->body = NULL;
	if ((rc = decode_request(w)) != 0) {
		snprintf(msg, sizeof(msg), "malformed %s: %s", tname, dz_strerror(rc));
		peerd_reply_error_(c, f->reqid, rc, msg);
		goto drop;
	}
	if (w->type == PROTO_FRAG_PUT) {
		/* only what the coordinator placed here (ticket.h), judged
		 * before any of it reaches the disk */
		if ((rc = ticket_check(w->m.put.has_ticket ? &w->m.put.ticket : NULL,
		    p->co.have_pk ? p->co.pk : NULL, p->id->pk, w->m.put.name,
		    w->m.put.len, (int64_t)time(NULL), &em)) != 0) {
			peerd_reply_error_(c, f->reqid, rc, em.text);
			goto drop;
		}
		if (p->inflight + w->len > PEERD_INFLIGHT_MAX) {
			peerd_reply_error_(c, f->reqid, DZ_ENOMEM,
			    "peer busy: too many fragments arriving at once, retry");
			goto drop;
		}
		p->inflight += w->len;
	}
	pc->refs++; /* the work item's, until work_free */
	if (pc->pending != NULL || !padmit_ok(pc, w))
		padmit_wait(pc, w);
	else
		padmit_start(pc, w);
	return;
drop:
	free(w->body);
	free(w);
}

/* ---- start and stop ---- */

static int
join_path(const char *dir, const char *file, char **out, struct dz_errmsg *em)
{
	size_t n = strlen(dir) + 1 + strlen(file) + 1;

	if ((*out = malloc(n)) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	snprintf(*out, n, "%s/%s", dir, file);
	return 0;
}

/* The address actually bound: the listen address with its real port. */
static int
bound_addr(struct peerd *p, const char *listen, struct dz_errmsg *em)
{
	struct sockaddr_storage ss;
	int port = netsrv_port(p->srv), rc;

	if ((rc = netaddr_parse(listen, 1, &ss, em)) != 0)
		return rc;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	if (netaddr_format((struct sockaddr *)&ss, p->addr, sizeof(p->addr)) != 0)
		return dz_errf(em, DZ_EINVAL, "cannot format address %s", listen);
	return 0;
}

static int
write_addr_file(struct peerd *p, struct dz_errmsg *em)
{
	char line[NETADDR_STRMAX + 1], *path = NULL;
	int rc;

	if ((rc = join_path(p->dir, "peer.addr", &path, em)) != 0)
		return rc;
	snprintf(line, sizeof(line), "%s\n", p->addr);
	rc = fsio_write_durable(AT_FDCWD, path, (const uint8_t *)line,
	    strlen(line), 0, 0644, em);
	free(path);
	return rc;
}

/* A capacity the disk cannot hold is a promise the peer would break:
 * say so at start. The coordinator is only ever offered what fits
 * (fragstore_offer), so this is a warning, not a refusal. */
static void
warn_small_disk(struct peerd *p)
{
	uint64_t offer, disk_free;

	if (fragstore_offer(p->fs, &offer, &disk_free) != 0 || offer >= p->capacity)
		return;
	peerd_logf(p, "warning: --capacity is %llu MiB but the file system of %s has "
	    "only %llu MiB free (and %llu MiB are stored): offering the "
	    "coordinator %llu MiB", (unsigned long long)(p->capacity >> 20), p->dir,
	    (unsigned long long)(disk_free >> 20),
	    (unsigned long long)(fragstore_used(p->fs) >> 20),
	    (unsigned long long)(offer >> 20));
}

static void
free_stopped(void *arg)
{
	(void)peerd_free(arg);
}

int
peerd_open(uv_loop_t *loop, const struct peerd_config *cfg,
    struct peerd **out, struct dz_errmsg *em)
{
	struct conn_limits lim;
	struct conn_cbs cbs;
	struct peerd *p;
	char *path = NULL;
	int rc;

	*out = NULL;
	if (cfg->dir == NULL || cfg->listen == NULL || cfg->coordinator == NULL ||
	    cfg->heartbeat_s == 0 || cfg->capacity == 0)
		return dz_errf(em, DZ_EINVAL, "incomplete peer configuration");
	if (cfg->test_lie < PEERD_LIE_NONE || cfg->test_lie > PEERD_LIE_PHREGEN)
		return dz_errf(em, DZ_EINVAL, "unknown test_lie mode %d", cfg->test_lie);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	p->loop = loop;
	p->heartbeat_s = cfg->heartbeat_s;
	p->log = cfg->log;
	p->log_arg = cfg->log_arg;
	p->test_lie = cfg->test_lie;
	if (p->test_lie != PEERD_LIE_NONE)
		peerd_logf(p, "TESTING ONLY: this peer lies: %s",
		    p->test_lie == PEERD_LIE_SLOWPUT ? "FRAG_PUT acknowledged after 20 s" :
		    p->test_lie == PEERD_LIE_GARBAGE ? "FRAG_GET answered with random bytes" :
		    p->test_lie == PEERD_LIE_FLIP ? "FRAG_GET answered with one byte flipped" :
		    p->test_lie == PEERD_LIE_TRUNCATE ?
		    "FRAG_GET answered without its last 100 bytes" :
		    p->test_lie == PEERD_LIE_SLOW ? "FRAG_GET answered correctly but after 3 s" :
		    "placeholders claimed but not kept, made again when asked");
	if ((p->dir = strdup(cfg->dir)) == NULL) {
		rc = dz_errf(em, DZ_ENOMEM, "out of memory");
		goto fail;
	}
	if (mkdir(p->dir, 0700) != 0 && errno != EEXIST) {
		rc = dz_errf(em, fsio_errno(errno), "cannot create %s: %s", p->dir,
		    strerror(errno));
		goto fail;
	}
	if ((rc = plimit_init(p, cfg, em)) != 0 ||
	    (rc = join_path(p->dir, "identity.key", &path, em)) != 0)
		goto fail;
	if ((rc = ident_load_or_create(path, &p->id, NULL, em)) != 0)
		goto fail;
	if ((rc = fragstore_open(p->dir, p->capacity, &p->fs, em)) != 0 ||
	    (rc = peerd_ph_init(p, em)) != 0)
		goto fail;
	warn_small_disk(p);
	if ((rc = tls_ctx_new(p->id, TLS_ROLE_SERVER, &p->srv_tls, em)) != 0 ||
	    (rc = tls_ctx_new(p->id, TLS_ROLE_CLIENT, &p->cli_tls, em)) != 0)
		goto fail;
	if ((rc = pcoord_init(p, cfg, em)) != 0)
		goto fail;
	conn_limits_default(&lim);
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_peer = on_peer;
	cbs.on_frame = on_frame;
	cbs.on_close = on_close;
	cbs.on_drain = padmit_on_drain;
	cbs.arg = p;
	if ((rc = netsrv_listen(loop, p->srv_tls, cfg->listen, &lim, &cbs,
	    &p->srv, em)) != 0)
		goto fail;
	p->srv_open = 1;
	if ((rc = bound_addr(p, cfg->listen, em)) != 0 ||
	    (rc = write_addr_file(p, em)) != 0 ||
	    (rc = pcoord_start(p, em)) != 0 || (rc = plimit_start(p, em)) != 0) {
		/* the listener is a handle: it goes with the loop's next
		 * turns, and p with it */
		peerd_stop(p, free_stopped, p);
		free(path);
		return rc;
	}
	free(path);
	*out = p;
	return 0;
fail:
	(void)peerd_free(p);
	free(path);
	return rc;
}

const char *
peerd_addr(const struct peerd *p)
{
	return p->addr;
}

const uint8_t *
peerd_pk(const struct peerd *p)
{
	return p->id->pk;
}

void
peerd_coord_stats(const struct peerd *p, struct peerd_coord_stats *st)
{
	*st = p->co.st;
}

static void
on_srv_closed(void *arg)
{
	struct peerd *p = arg;

	p->srv_open = 0;
	peerd_maybe_done(p);
}

void
peerd_maybe_done(struct peerd *p)
{
	if (!p->stopping || p->done_called || p->srv_open || p->nwork > 0 ||
	    !pcoord_idle(p) || p->lim.poll_open)
		return;
	p->done_called = 1;
	if (p->done != NULL)
		p->done(p->done_arg);
}

void
peerd_stop(struct peerd *p, void (*done)(void *arg), void *arg)
{
	if (p->stopping)
		return;
	p->stopping = 1;
	p->done = done;
	p->done_arg = arg;
	pcoord_stop(p);
	plimit_stop(p);
	if (p->srv != NULL) {
		netsrv_close(p->srv, on_srv_closed, p);
		p->srv = NULL;
	}
	peerd_maybe_done(p);
}

int
peerd_free(struct peerd *p)
{
	int rc = 0;

	if (p == NULL)
		return 0;
	if (p->fs != NULL)
		rc = fragstore_close(p->fs);
	pcoord_free(p);
	peerd_ph_free(p);
	plimit_free(p);
	tls_ctx_unref(p->srv_tls);
	tls_ctx_unref(p->cli_tls);
	ident_free(p->id);
	free(p->dir);
	free(p);
	return rc;
}
