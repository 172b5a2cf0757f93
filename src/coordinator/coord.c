/*
 * coord: the coordinator's server and dispatch: start-up (identity,
 * database, listener, address file), one session per connection, and the
 * table that maps each request type to its handler.
 *
 * A request goes through the same steps whatever its type: the type must
 * be in the table (else ERROR DZ_EFORMAT); its body is decoded strictly
 * into its proto struct (else ERROR with the decoder's code); requests
 * that act for an account need the connection's TLS node key to be bound
 * to one (else ERROR DZ_ENOLOGIN "log in first"); then the handler runs and
 * either replies itself or returns an error that becomes the ERROR reply.
 * Message bodies are never logged.
 *
 * Database calls run on the loop thread: SQLite answers these queries in
 * microseconds (commits cost one WAL fsync), which is acceptable for now;
 * a worker pool for the database is future work (docs/coordinator.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "coordinator/coord_audit.h"
#include "coordinator/coord_credit.h"
#include "coordinator/coord_gc.h"
#include "coordinator/coord_int.h"
#include "core/cursor.h"
#include "core/fsio.h"

/* ---- the request table ---- */

struct coord_route {
	uint16_t type;
	int need_account; /* the node key must be bound to an account */
	coord_handler fn;
};

static const struct coord_route routes[] = {
	{PROTO_SIGNUP, 0, coord_signup},
	{PROTO_PRELOGIN, 0, coord_prelogin},
	{PROTO_LOGIN, 0, coord_login},
	{PROTO_LOGOUT, 0, coord_logout},
	{PROTO_PASSWD, 1, coord_passwd},
	{PROTO_DEVICES, 1, coord_devices},
	{PROTO_DEVICE_REVOKE, 1, coord_device_revoke},
	{PROTO_PLACE, 1, coord_place},
	{PROTO_FRAGS_COMMIT, 1, coord_frags_commit},
	{PROTO_FRAGS_LOCATE, 1, coord_frags_locate},
	{PROTO_OBJ_DELETE, 1, coord_obj_delete},
	{PROTO_REC_PUT, 1, coord_rec_put},
	{PROTO_REC_GET, 1, coord_rec_get},
	{PROTO_REC_LIST, 1, coord_rec_list},
	{PROTO_REC_DEL, 1, coord_rec_del},
	{PROTO_STATUS, 1, coord_status},
	{PROTO_CREDIT, 1, coord_credit},
	{PROTO_QUOTA, 1, coord_quota},
	{PROTO_PH_SEED, 0, coord_ph_seed},
	{PROTO_PH_CLAIM, 0, coord_ph_claim},
	{PROTO_PEER_REGISTER, 0, coord_peer_register},
	{PROTO_PEER_HEARTBEAT, 0, coord_peer_heartbeat},
	{PROTO_PEER_LEAVE, 0, coord_peer_leave},
	{PROTO_AUDIT_NEWS, 0, coord_audit_news},
	{PROTO_PEER_REPORT, 1, coord_peer_report},
	{PROTO_OBJ_HEALTH, 1, coord_obj_health},
	{PROTO_WHATDOYOUKNOW, 1, coord_whatdoyouknow},
};

static const struct coord_route *
route_find(uint16_t type)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].type == type)
			return &routes[i];
	return NULL;
}

/* ---- replies ---- */

int64_t
coord_now(const struct coord *co)
{
	if (co->opts.clock != NULL)
		return co->opts.clock(co->opts.clock_arg);
	return (int64_t)time(NULL);
}

void
coord_log(const struct coord *co, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (co->opts.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	co->opts.log(co->opts.log_arg, line);
}

int
coord_send(struct coord_sess *s, uint32_t reqid, uint16_t type, const void *msg)
{
	struct wbuf w;
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = proto_encoded_len(type, msg, &len)) != 0)
		return rc;
	if (len == 0)
		return conn_send(s->c, type, reqid, NULL, 0);
	if ((buf = malloc(len)) == NULL)
		return DZ_ENOMEM;
	wbuf_init(&w, buf, len);
	if ((rc = proto_encode(type, msg, &w)) != 0 || w.len != len) {
		free(buf);
		return rc != 0 ? rc : DZ_EINVAL;
	}
	/* the frame borrows buf; conn frees it once encrypted */
	if ((rc = conn_send_ref(s->c, type, reqid, buf, len, free, buf)) != 0)
		free(buf);
	return rc;
}

/* ERROR {code, text} for reqid; a connection that cannot take even that
 * is ended. */
static void
send_error(struct coord_sess *s, uint32_t reqid, int code, const char *text)
{
	struct proto_error e;

	proto_error_make(&e, code, text != NULL && text[0] != '\0' ? text :
	    dz_strerror(code));
	if (coord_send(s, reqid, PROTO_ERROR, &e) != 0)
		conn_abort(s->c, DZ_EIO, "cannot send an error reply");
}

/* ---- connections ---- */

static int
on_peer(void *arg, struct conn *c, const uint8_t pk[IDENT_PKBYTES])
{
	struct coord_sess *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return DZ_ENOMEM;
	s->co = arg;
	s->c = c;
	memcpy(s->pk, pk, IDENT_PKBYTES);
	conn_set_udata(c, s);
	return 0;
}

/* Stamp "last seen" on the connection's device key, at most every
 * COORD_SEEN_EVERY seconds per connection (a write per request would
 * cost an fsync each). A failure only loses the stamp. */
static void
seen(struct coord_sess *s)
{
	struct dz_errmsg e;
	int64_t now = coord_now(s->co);

	if (s->seen_at != 0 && now - s->seen_at < COORD_SEEN_EVERY)
		return;
	s->seen_at = now;
	(void)!db_key_seen(s->co->db, s->pk, now, &e);
}

static void
on_frame(void *arg, struct conn *c, struct frame *f)
{
	struct coord *co = arg;
	struct coord_sess *s = conn_udata(c);
	const struct coord_route *r;
	struct dz_errmsg em = {{0}};
	const char *name;
	void *msg = NULL;
	size_t size;
	int rc;

	if (s == NULL) { /* cannot happen: on_peer runs before any frame */
		conn_abort(c, DZ_EINVAL, "frame before handshake");
		return;
	}
	if ((r = route_find(f->type)) == NULL) {
		name = proto_type_name(f->type);
		dz_errf(&em, DZ_EFORMAT, "%s 0x%04x is not a request the coordinator serves",
		    name != NULL ? name : "message type", (unsigned)f->type);
		send_error(s, f->reqid, DZ_EFORMAT, em.text);
		return;
	}
	size = proto_msg_size(f->type);
	if ((msg = calloc(1, size)) == NULL) {
		send_error(s, f->reqid, DZ_ENOMEM, NULL);
		return;
	}
	if ((rc = proto_decode(f->type, f->body, f->len, msg)) != 0) {
		dz_errf(&em, rc, "malformed %s request: %s", proto_type_name(f->type),
		    dz_strerror(rc));
		goto out;
	}
	s->account = 0;
	if (r->need_account) {
		rc = db_key_account(co->db, s->pk, &s->account, &em);
		if (rc == DZ_ENOENT)
			rc = dz_errf(&em, DZ_ENOLOGIN,
			    "not logged in: this computer's key acts for no account (the password was changed, or this computer revoked, elsewhere): run drizzle login with the current password");
		if (rc != 0)
			goto out;
		seen(s);
	}
	rc = r->fn(s, f->reqid, msg, &em);
out:
	coord_metrics_request(co, f->type, rc);
	if (rc != 0)
		send_error(s, f->reqid, rc, em.text);
	free(msg);
}

static void
on_close(void *arg, struct conn *c, int err, const char *why)
{
	struct coord_sess *s = conn_udata(c);

	(void)arg;
	(void)err;
	(void)why;
	if (s != NULL) {
		sodium_memzero(s, sizeof(*s));
		free(s);
		conn_set_udata(c, NULL);
	}
}

/* ---- start and stop ---- */

void
coord_opts_default(struct coord_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = COORD_LISTEN_DEFAULT;
	o->peer_timeout = COORD_PEER_TIMEOUT_DEFAULT;
	o->base_quota = COORD_BASE_QUOTA_DEFAULT;
	o->default_k = COORD_K_DEFAULT;
	o->default_n = COORD_N_DEFAULT;
	o->audit_interval = COORD_AUDIT_INTERVAL_DEFAULT;
	o->vetting_audits = COORD_AUDIT_VETTING_DEFAULT;
	o->gc_interval = COORD_GC_INTERVAL_DEFAULT;
	o->gc_margin = COORD_GC_MARGIN_DEFAULT;
	o->grace = COORD_GRACE_DEFAULT;
	o->repair_interval = COORD_REPAIR_INTERVAL_DEFAULT;
	o->repair_batch = COORD_REPAIR_BATCH_DEFAULT;
	o->availability_window = COORD_AVAIL_WINDOW_DEFAULT;
	o->min_availability = COORD_MIN_AVAIL_DEFAULT;
	o->ph_block = COORD_PH_BLOCK_DEFAULT;
	o->ph_rounds = COORD_PH_ROUNDS_DEFAULT;
	o->ph_deadline_ms = COORD_PH_DEADLINE_DEFAULT;
	o->ph_checks = COORD_PH_CHECKS_DEFAULT;
}

/* The data directory: made if missing (one level), must be a directory. */
static int
data_dir(const char *dir, struct dz_errmsg *em)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return dz_errf(em, fsio_errno(errno), "cannot create data directory %s: %s",
		    dir, strerror(errno));
	if (stat(dir, &st) != 0)
		return dz_errf(em, fsio_errno(errno), "data directory %s: %s", dir,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return dz_errf(em, DZ_EIO, "data directory %s is not a directory", dir);
	return 0;
}

/* co->addr: the host of the listen address and the port bound. */
static int
set_addr(struct coord *co, const char *listen, struct dz_errmsg *em)
{
	const char *colon = strrchr(listen, ':');
	int n;

	if (colon == NULL)
		return dz_errf(em, DZ_EFORMAT, "bad listen address %s", listen);
	n = snprintf(co->addr, sizeof(co->addr), "%.*s:%d",
	    (int)(colon - listen), listen, netsrv_port(co->srv));
	if (n < 0 || (size_t)n >= sizeof(co->addr))
		return dz_errf(em, DZ_ERANGE, "listen address too long");
	return 0;
}

static int
write_addr(struct coord *co, struct dz_errmsg *em)
{
	char path[4096], line[NETADDR_STRMAX + 1];
	int n;

	if (snprintf(path, sizeof(path), "%s/coordinator.addr", co->dir) >=
	    (int)sizeof(path))
		return dz_errf(em, DZ_ERANGE, "path too long: %s", co->dir);
	n = snprintf(line, sizeof(line), "%s\n", co->addr);
	return fsio_write_durable(AT_FDCWD, path, (const uint8_t *)line, (size_t)n,
	    0, 0644, em);
}

int
coord_start(uv_loop_t *loop, const struct coord_opts *o, struct coord **out,
    struct dz_errmsg *em)
{
	struct conn_cbs cbs = {0};
	struct conn_limits lim;
	struct coord *co;
	char path[4096];
	int rc;

	if (loop == NULL || o == NULL || out == NULL || o->data_dir == NULL ||
	    o->listen == NULL || o->peer_timeout == 0 || o->audit_interval == 0 ||
	    o->default_k < 1 || o->availability_window == 0 ||
	    !(o->min_availability >= 0 && o->min_availability <= 1) ||
	    o->ph_block < PROTO_PH_BLOCK_MIN || o->ph_block > PROTO_PH_BLOCK_MAX ||
	    o->ph_block % 64 != 0 || o->ph_rounds == 0 || o->ph_deadline_ms == 0 ||
	    o->default_k >= o->default_n || o->default_n > 255)
		return DZ_EINVAL;
	*out = NULL;
	if ((co = calloc(1, sizeof(*co))) == NULL)
		return DZ_ENOMEM;
	co->loop = loop;
	co->lockfd = -1;
	co->opts = *o;
	if ((co->dir = strdup(o->data_dir)) == NULL) {
		rc = DZ_ENOMEM;
		goto fail;
	}
	co->opts.data_dir = co->dir;
	if ((co->thr = calloc(1, sizeof(*co->thr))) == NULL) {
		rc = DZ_ENOMEM;
		goto fail;
	}
	if ((rc = data_dir(co->dir, em)) != 0)
		goto fail;
	if (o->datacentre_keys != NULL &&
	    (rc = coord_dc_load(o->datacentre_keys, &co->dc, &co->ndc, em)) != 0)
		goto fail;
	co->opts.datacentre_keys = NULL; /* borrowed: read once */
	/* one coordinator per data directory: flock on the directory,
	 * released by the kernel when the process ends, even by a crash */
	if ((co->lockfd = open(co->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dz_errf(em, fsio_errno(errno), "cannot open data directory %s: %s",
		    co->dir, strerror(errno));
		goto fail;
	}
	if (flock(co->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? DZ_EEXIST : fsio_errno(errno);
		dz_errf(em, rc, "data directory %s is in use (another coordinator "
		    "running?)", co->dir);
		goto fail;
	}
	if (snprintf(path, sizeof(path), "%s/identity.key", co->dir) >=
	    (int)sizeof(path)) {
		rc = dz_errf(em, DZ_ERANGE, "path too long: %s", co->dir);
		goto fail;
	}
	if ((rc = ident_load_or_create(path, &co->id, NULL, em)) != 0 ||
	    (rc = tls_ctx_new(co->id, TLS_ROLE_SERVER, &co->tls, em)) != 0 ||
	    (rc = db_open(co->dir, &co->db, em)) != 0)
		goto fail;
	conn_limits_default(&lim);
	cbs.on_peer = on_peer;
	cbs.on_frame = on_frame;
	cbs.on_close = on_close;
	cbs.arg = co;
	if ((rc = netsrv_listen(loop, co->tls, o->listen, &lim, &cbs, &co->srv, em)) != 0)
		goto fail;
	co->opts.listen = NULL; /* borrowed: co->addr says it from now on */
	/* metrics before the timers: a refused --metrics must fail while
	 * only listeners (which close through the loop) exist */
	if ((rc = set_addr(co, o->listen, em)) != 0 || (rc = write_addr(co, em)) != 0 ||
	    (rc = coord_metrics_start(co, em)) != 0 ||
	    (rc = coord_credit_grants(co, em)) != 0 ||
	    (rc = coord_audit_start(co, em)) != 0 ||
	    (rc = coord_ph_start(co, em)) != 0 ||
	    (rc = coord_gc_start(co, em)) != 0 ||
	    (rc = coord_repair_start(co, em)) != 0)
		goto fail;
	*out = co;
	return 0;
fail:
	/* no connection exists yet, so nothing refers to co; a listener
	 * closes on the loop's next turns (the caller runs it) */
	coord_free(co);
	return rc;
}

const char *
coord_addr(const struct coord *co)
{
	return co->addr;
}

const uint8_t *
coord_pk(const struct coord *co)
{
	return co->id->pk;
}

void
coord_stop(struct coord *co)
{
	if (co == NULL)
		return;
	coord_audit_stop(co);
	coord_ph_stop(co);
	coord_gc_stop(co);
	coord_repair_stop(co);
	coord_metrics_stop(co);
	if (co->srv != NULL) {
		netsrv_close(co->srv, NULL, NULL);
		co->srv = NULL;
	}
}

void
coord_free(struct coord *co)
{
	if (co == NULL)
		return;
	coord_stop(co);
	coord_audit_free(co);
	coord_ph_free(co);
	coord_gc_free(co);
	coord_repair_free(co);
	coord_metrics_free(co);
	db_close(co->db);
	tls_ctx_unref(co->tls);
	ident_free(co->id);
	free(co->dir);
	free(co->dc);
	if (co->lockfd >= 0)
		close(co->lockfd);
	if (co->thr != NULL)
		sodium_memzero(co->thr, sizeof(*co->thr));
	free(co->thr);
	free(co);
}
