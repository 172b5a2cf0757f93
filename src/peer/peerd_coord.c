/*
 * peerd_coord: the storage peer's link to the coordinator, on the peer's
 * loop: connect as a TLS client with the peer's own identity, pin the
 * coordinator's key, PEER_REGISTER with the address actually bound, then
 * PEER_HEARTBEAT {capacity, used, nfrags} every heartbeat period, and
 * PEER_LEAVE when the peer stops. The capacity sent is what the store can
 * honestly offer (fragstore_offer: never more than the file system's free
 * space plus what is stored), measured at each heartbeat, so that a disk
 * filled by something else stops placements here instead of failing them.
 *
 * States (peerd_int.h): CONNECTING -> UP on PEER_REGISTER_REP; any
 * failure -> DOWN, and a retry after the backoff (1 s doubling to 30 s,
 * back to 1 s once registered). The log gets one line per change of state
 * or of the reason for being down, never one per attempt. A heartbeat
 * still unanswered when the next is due ends the connection (a hung
 * coordinator looks like a lost one). Serving fragments never waits for
 * any of this.
 *
 * Key pinning: --coordinator-key wins; else DIR/coordinator.key (64 hex
 * digits and a newline) if it exists; else the key shown at first contact
 * is written there durably before anything is sent. A coordinator showing
 * another key is refused by conn.h, whose message names both keys.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/cursor.h"
#include "core/fsio.h"
#include "net/proto.h"
#include "peer/peerd_int.h"

/* Body of PEER_REGISTER: addr text + three integers + the binding. */
#define REGISTER_MAX (2 + PROTO_ADDR_MAX + 8 + 8 + 4 + 2 + PROTO_USER_MAX + \
	PROTO_PKBYTES + 8 + PBIND_SIGBYTES)
#define HEARTBEAT_BYTES (8 + 8 + 8)

struct scanwork {
	uv_work_t req;
	struct peerd *p;
	uint64_t n;
	uint64_t offer;
	int rc;
};

static void connect_now(struct peerd *p);
static void finish_stop(struct peerd *p);

uint32_t
pcoord_next_reqid(struct pcoord *co)
{
	if (++co->next_reqid == 0)
		co->next_reqid = 1;
	return co->next_reqid;
}

int
pcoord_init(struct peerd *p, const struct peerd_config *cfg,
    struct dz_errmsg *em)
{
	struct pcoord *co = &p->co;
	struct sockaddr_storage ss;
	uint8_t buf[2 * IDENT_PKBYTES + 2];
	char hex[IDENT_HEXBYTES];
	size_t n, len = 0;
	int rc;

	if ((rc = netaddr_parse(cfg->coordinator, 0, &ss, em)) != 0)
		return rc;
	if (cfg->binding != NULL) {
		n = strnlen(cfg->binding->name, sizeof(cfg->binding->name));
		if (n == 0 || n > PROTO_USER_MAX ||
		    !proto_user_chars_ok(cfg->binding->name, n))
			return dz_errf(em, DZ_EINVAL, "the binding's account must be a "
			    "user name (at most %d of a-z 0-9 . _ -)", PROTO_USER_MAX);
		if (memcmp(cfg->binding->peer_pk, p->id->pk, IDENT_PKBYTES) != 0)
			return dz_errf(em, DZ_EINVAL, "the binding is for another peer "
			    "key: run drizzle peer --home again");
		co->binding = *cfg->binding;
		co->have_binding = 1;
	}
	co->datacentre = cfg->datacentre != 0;
	snprintf(co->addr, sizeof(co->addr), "%s", cfg->coordinator);
	co->hb_ms = cfg->heartbeat_s * 1000u;
	co->backoff_ms = PEERD_BACKOFF_MIN;
	co->news_state = -1;
	n = strlen(p->dir) + sizeof("/coordinator.key");
	if ((co->keypath = malloc(n)) == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	snprintf(co->keypath, n, "%s/coordinator.key", p->dir);
	if (cfg->coordinator_pk != NULL) {
		memcpy(co->pk, cfg->coordinator_pk, IDENT_PKBYTES);
		co->have_pk = 1;
		co->pk_from_cfg = 1;
		return 0;
	}
	rc = fsio_read_file(AT_FDCWD, co->keypath, buf, sizeof(buf), &len, NULL);
	if (rc == DZ_ENOENT)
		return 0;
	if (rc != 0 && rc != DZ_ERANGE)
		return dz_errf(em, rc, "cannot read %s: %s", co->keypath,
		    dz_strerror(rc));
	if (rc == DZ_ERANGE || len < 2 * IDENT_PKBYTES ||
	    (len == 2 * IDENT_PKBYTES + 1 && buf[len - 1] != '\n') ||
	    len > 2 * IDENT_PKBYTES + 1)
		return dz_errf(em, DZ_EFORMAT,
		    "%s is not a key (64 hex digits): remove it to pin the "
		    "coordinator again at next contact", co->keypath);
	memcpy(hex, buf, 2 * IDENT_PKBYTES);
	hex[2 * IDENT_PKBYTES] = '\0';
	if (ident_pk_parse(hex, co->pk) != 0)
		return dz_errf(em, DZ_EFORMAT,
		    "%s is not a key (64 hex digits): remove it to pin the "
		    "coordinator again at next contact", co->keypath);
	co->have_pk = 1;
	return 0;
}

void
pcoord_free(struct peerd *p)
{
	free(p->co.keypath);
	p->co.keypath = NULL;
}

int
pcoord_idle(const struct peerd *p)
{
	return !p->co.timer_open && p->co.c == NULL && !p->co.scanning;
}

/* Enter DOWN: log if this outage (or its reason) is news, schedule the
 * next attempt. */
static void
go_down(struct peerd *p, int err, const char *msg)
{
	struct pcoord *co = &p->co;
	int was_up = co->state == PC_UP;

	co->state = PC_DOWN;
	co->st.registered = 0;
	co->reg_reqid = 0;
	co->hb_reqid = 0;
	co->news_reqid = 0;
	if (err == 0)
		err = DZ_EIO;
	if (was_up)
		peerd_logf(p, "lost the coordinator %s: %s; reconnecting", co->addr,
		    msg != NULL ? msg : dz_strerror(err));
	else if (co->down_logged != err && err == DZ_EAUTH && co->have_pk)
		peerd_logf(p, "coordinator %s refused: %s (pinned key from %s); "
		    "still serving fragments, retrying", co->addr,
		    msg != NULL ? msg : dz_strerror(err),
		    co->pk_from_cfg ? "--coordinator-key" : co->keypath);
	else if (co->down_logged != err &&
	    (err == DZ_EDENIED || err == DZ_ENOLOGIN))
		peerd_logf(p, "the coordinator %s refused this peer: %s; still "
		    "serving fragments, retrying", co->addr,
		    msg != NULL ? msg : dz_strerror(err));
	else if (co->down_logged != err)
		peerd_logf(p, "coordinator %s unreachable: %s; still serving "
		    "fragments, retrying with backoff", co->addr,
		    msg != NULL ? msg : dz_strerror(err));
	co->down_logged = err;
	if (co->timer_open)
		uv_timer_stop(&co->timer);
}

static void on_timer(uv_timer_t *t);

static void
schedule_retry(struct peerd *p)
{
	struct pcoord *co = &p->co;

	if (!co->timer_open)
		return;
	uv_timer_start(&co->timer, on_timer, co->backoff_ms, 0);
	co->backoff_ms = co->backoff_ms >= PEERD_BACKOFF_MAX / 2 ?
	    PEERD_BACKOFF_MAX : co->backoff_ms * 2;
}

static int
save_key(struct peerd *p, const uint8_t pk[IDENT_PKBYTES])
{
	struct pcoord *co = &p->co;
	char hex[IDENT_HEXBYTES], line[IDENT_HEXBYTES + 1];
	struct dz_errmsg em = {{0}};
	int rc;

	ident_pk_hex(pk, hex);
	snprintf(line, sizeof(line), "%s\n", hex);
	rc = fsio_write_durable(AT_FDCWD, co->keypath, (const uint8_t *)line,
	    strlen(line), 1, 0644, &em);
	if (rc != 0) {
		peerd_logf(p, "cannot pin the coordinator's key in %s: %s",
		    co->keypath, em.text[0] ? em.text : dz_strerror(rc));
		return rc;
	}
	memcpy(co->pk, pk, IDENT_PKBYTES);
	co->have_pk = 1;
	peerd_logf(p, "first contact with the coordinator %s: pinned its key %s "
	    "in %s", co->addr, hex, co->keypath);
	return 0;
}

static int
co_on_peer(void *arg, struct conn *c, const uint8_t pk[IDENT_PKBYTES])
{
	struct peerd *p = arg;
	struct pcoord *co = &p->co;
	struct proto_peer_register r;
	uint8_t buf[REGISTER_MAX];
	struct wbuf w;
	int rc;

	if (!co->have_pk && (rc = save_key(p, pk)) != 0)
		return rc;
	memset(&r, 0, sizeof(r));
	snprintf(r.addr, sizeof(r.addr), "%s", p->addr);
	if (fragstore_offer(p->fs, &co->offer, NULL) != 0)
		co->offer = p->capacity;
	r.capacity = co->offer;
	r.used = fragstore_used(p->fs);
	r.flags = co->datacentre ? PROTO_PEER_DATACENTRE : 0;
	if (co->have_binding && !co->datacentre) {
		snprintf(r.owner, sizeof(r.owner), "%s", co->binding.name);
		memcpy(r.device, co->binding.device_pk, sizeof(r.device));
		r.issued = co->binding.issued;
		memcpy(r.sig, co->binding.sig, sizeof(r.sig));
	}
	wbuf_init(&w, buf, sizeof(buf));
	if ((rc = proto_peer_register_encode(&r, &w)) != 0)
		return rc;
	co->reg_reqid = pcoord_next_reqid(co);
	return conn_send(c, PROTO_PEER_REGISTER, co->reg_reqid, buf, w.len);
}

/* The text of an ERROR answer, for the log. */
static int
error_text(const struct frame *f, char *out, size_t cap)
{
	struct proto_error e;

	if (proto_error_decode(f->body, f->len, &e) != 0) {
		snprintf(out, cap, "a malformed ERROR");
		return DZ_EFORMAT;
	}
	snprintf(out, cap, "%s (%s)", e.message, dz_strerror(e.code));
	return e.code;
}

/* ---- audit results: no opaque verdicts ---- */

/* After each heartbeat: ask for the audits that failed since the last
 * one logged (AUDIT_NEWS), so that the operator reads each failure and
 * its reason here, even those from while this peer was away. */
static void
ask_news(struct peerd *p)
{
	struct pcoord *co = &p->co;
	struct proto_audit_news q = {co->news_seq};
	uint8_t buf[8];
	struct wbuf w;

	if (co->news_reqid != 0 || co->c == NULL)
		return;
	wbuf_init(&w, buf, sizeof(buf));
	co->news_reqid = pcoord_next_reqid(co);
	if (proto_audit_news_encode(&q, &w) != 0 ||
	    conn_send(co->c, PROTO_AUDIT_NEWS, co->news_reqid, buf, w.len) != 0)
		co->news_reqid = 0; /* asked again after the next heartbeat */
}

static void
on_news(struct peerd *p, const struct frame *f)
{
	struct pcoord *co = &p->co;
	struct proto_audit_news_rep *r;
	char hex[MERKLE_HASHBYTES * 2 + 1];

	/* an older coordinator, or an error: nothing to log, no harm */
	if (f->type != PROTO_AUDIT_NEWS_REP || (r = malloc(sizeof(*r))) == NULL)
		return;
	if (proto_audit_news_rep_decode(f->body, f->len, r) == 0) {
		for (size_t i = 0; i < r->count; i++) {
			if (r->fail[i].seq <= co->news_seq)
				continue;
			co->news_seq = r->fail[i].seq;
			merkle_hex(r->fail[i].name, hex);
			peerd_logf(p, "audit failed: fragment %.16s: %s", hex,
			    proto_audit_reason_name(r->fail[i].reason));
		}
		if (co->news_state != r->state) {
			if (co->news_state >= 0 || r->state != PROTO_PEER_VETTING)
				peerd_logf(p, "the coordinator's audits rate this peer "
				    "%s", proto_peer_state_name(r->state));
			co->news_state = r->state;
		}
		if (r->count == PROTO_NEWS_MAX)
			ask_news(p); /* more to come */
	}
	free(r);
}

/* The coordinator says the binding no longer holds (its device logged
 * out, its account gone): remove DIR/binding so that the next `drizzle
 * peer --home` signs a new one rather than sending this one again. It
 * holds no secret; a lying coordinator gains nothing by this. */
static void
drop_binding(struct peerd *p)
{
	size_t n = strlen(p->dir) + sizeof("/binding");
	char *path = malloc(n);

	if (path == NULL)
		return;
	snprintf(path, n, "%s/binding", p->dir);
	if (unlink(path) == 0)
		peerd_logf(p, "removed %s: run drizzle peer --home again after "
		    "logging in", path);
	free(path);
}

static void
co_on_frame(void *arg, struct conn *c, struct frame *f)
{
	struct peerd *p = arg;
	struct pcoord *co = &p->co;
	char msg[PROTO_ERRMSG_MAX + 64], hex[IDENT_HEXBYTES];
	int code;

	if (f->reqid != 0 && f->reqid == co->reg_reqid) {
		co->reg_reqid = 0;
		if (f->type == PROTO_PEER_REGISTER_REP &&
		    proto_empty_decode(f->body, f->len) == 0) {
			co->state = PC_UP;
			co->st.registered = 1;
			co->st.registrations++;
			co->backoff_ms = PEERD_BACKOFF_MIN;
			co->down_logged = 0;
			peerd_logf(p, "registered with the coordinator %s (key %s) "
			    "as %s", co->addr, ident_pk_hex(co->pk, hex), p->addr);
			uv_timer_start(&co->timer, on_timer, co->hb_ms, co->hb_ms);
			return;
		}
		if (f->type == PROTO_ERROR) {
			code = error_text(f, msg, sizeof(msg));
			if (code == DZ_ENOLOGIN && co->have_binding)
				drop_binding(p);
			conn_abort(c, code, msg);
			return;
		}
		conn_abort(c, DZ_EFORMAT, "unexpected answer to PEER_REGISTER");
		return;
	}
	if (f->reqid != 0 && f->reqid == co->hb_reqid) {
		co->hb_reqid = 0;
		if (f->type == PROTO_PEER_HEARTBEAT_REP &&
		    proto_empty_decode(f->body, f->len) == 0) {
			co->st.heartbeats++;
			ask_news(p);
			peerd_ph_tick(p);
			return;
		}
		/* refused heartbeat (the coordinator forgot us?): register
		 * again on a new connection */
		if (f->type == PROTO_ERROR) {
			code = error_text(f, msg, sizeof(msg));
			conn_abort(c, code, msg);
			return;
		}
		conn_abort(c, DZ_EFORMAT, "unexpected answer to PEER_HEARTBEAT");
		return;
	}
	if (f->reqid != 0 && f->reqid == co->leave_reqid) {
		co->leave_reqid = 0;
		if (f->type == PROTO_PEER_LEAVE_REP &&
		    proto_empty_decode(f->body, f->len) == 0)
			peerd_logf(p, "told the coordinator %s that this peer is leaving",
			    co->addr);
		else if (f->type == PROTO_ERROR && error_text(f, msg, sizeof(msg)) != 0)
			peerd_logf(p, "the coordinator %s did not take our leaving: %s",
			    co->addr, msg);
		finish_stop(p);
		return;
	}
	if (f->reqid != 0 && f->reqid == co->news_reqid) {
		co->news_reqid = 0;
		on_news(p, f);
		return;
	}
	if (peerd_ph_reply(p, f))
		return;
	conn_abort(c, DZ_EFORMAT, "answer to no question");
}

static void
co_on_close(void *arg, struct conn *c, int err, const char *msg)
{
	struct peerd *p = arg;
	struct pcoord *co = &p->co;

	(void)c;
	co->c = NULL;
	if (p->stopping || co->state == PC_STOPPED) {
		co->leave_reqid = 0;
		finish_stop(p); /* closes the timer of a leave still waiting */
		peerd_maybe_done(p);
		return;
	}
	co->st.failures++;
	go_down(p, err != 0 ? err : DZ_EIO,
	    msg != NULL && *msg ? msg : "connection closed");
	schedule_retry(p);
}

static void
connect_now(struct peerd *p)
{
	struct pcoord *co = &p->co;
	struct dz_errmsg em = {{0}};
	struct conn_limits lim;
	struct conn_cbs cbs;
	int rc;

	conn_limits_default(&lim);
	/* heartbeats must keep the connection from being idle */
	if (lim.idle_ms < 3 * co->hb_ms)
		lim.idle_ms = 3 * co->hb_ms;
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_peer = co_on_peer;
	cbs.on_frame = co_on_frame;
	cbs.on_close = co_on_close;
	cbs.arg = p;
	co->state = PC_CONNECTING;
	rc = conn_connect(p->loop, p->cli_tls, co->addr,
	    co->have_pk ? co->pk : NULL, &lim, &cbs, &co->c, &em);
	if (rc != 0) {
		co->c = NULL;
		co->st.failures++;
		go_down(p, rc, em.text[0] ? em.text : NULL);
		schedule_retry(p);
	}
}

/* ---- heartbeats: count fragments in the pool, then send ---- */

static void
on_scan(uv_work_t *req)
{
	struct scanwork *s = req->data;

	s->n = fragstore_count(s->p->fs);
	/* statvfs may wait on a slow disk: here, not on the loop */
	if (fragstore_offer(s->p->fs, &s->offer, NULL) != 0)
		s->offer = s->p->capacity;
	/* placeholders hold offered room, given up as fragments come */
	s->offer += atomic_load(&s->p->ph.bytes);
	if (s->offer > s->p->capacity)
		s->offer = s->p->capacity;
	s->rc = 0;
}

static void
send_heartbeat(struct peerd *p)
{
	struct pcoord *co = &p->co;
	struct proto_peer_heartbeat h;
	uint8_t buf[HEARTBEAT_BYTES];
	struct wbuf w;

	h.capacity = co->offer;
	h.used = fragstore_used(p->fs);
	h.nfrags = co->nfrags;
	wbuf_init(&w, buf, sizeof(buf));
	co->hb_reqid = pcoord_next_reqid(co);
	if (proto_peer_heartbeat_encode(&h, &w) != 0 ||
	    conn_send(co->c, PROTO_PEER_HEARTBEAT, co->hb_reqid, buf, w.len) != 0) {
		co->hb_reqid = 0;
		conn_abort(co->c, DZ_EIO, "cannot send a heartbeat");
	}
}

static void
on_scan_done(uv_work_t *req, int status)
{
	struct scanwork *s = req->data;
	struct peerd *p = s->p;
	struct pcoord *co = &p->co;

	p->nwork--;
	co->scanning = 0;
	if (status == 0 && s->rc == 0) {
		co->nfrags = s->n;
		co->offer = s->offer;
	}
	free(s);
	if (!p->stopping && co->state == PC_UP && co->c != NULL &&
	    co->hb_reqid == 0)
		send_heartbeat(p);
	peerd_maybe_done(p);
}

static void
heartbeat_tick(struct peerd *p)
{
	struct pcoord *co = &p->co;
	struct scanwork *s;

	if (co->c == NULL)
		return;
	if (co->hb_reqid != 0) {
		conn_abort(co->c, DZ_EIO, "the coordinator did not answer a heartbeat");
		return;
	}
	if (co->scanning)
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		send_heartbeat(p); /* with the last count */
		return;
	}
	s->req.data = s;
	s->p = p;
	if (uv_queue_work(p->loop, &s->req, on_scan, on_scan_done) != 0) {
		free(s);
		send_heartbeat(p);
		return;
	}
	co->scanning = 1;
	p->nwork++;
}

static void
on_timer(uv_timer_t *t)
{
	struct peerd *p = t->data;

	if (p->stopping)
		return;
	if (p->co.state == PC_UP)
		heartbeat_tick(p);
	else if (p->co.state == PC_DOWN && p->co.c == NULL)
		connect_now(p);
}

int
pcoord_start(struct peerd *p, struct dz_errmsg *em)
{
	struct pcoord *co = &p->co;
	int rc;

	if ((rc = uv_timer_init(p->loop, &co->timer)) != 0)
		return dz_errf(em, DZ_EIO, "cannot make a timer: %s", uv_strerror(rc));
	co->timer.data = p;
	co->timer_open = 1;
	connect_now(p);
	return 0;
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct peerd *p = h->data;

	p->co.timer_open = 0;
	peerd_maybe_done(p);
}

/* End the link: the connection, then the timer. Idempotent. */
static void
finish_stop(struct peerd *p)
{
	struct pcoord *co = &p->co;

	if (co->c != NULL)
		conn_abort(co->c, DZ_EINTR, "peer stopping");
	if (co->timer_open && !uv_is_closing((uv_handle_t *)&co->timer))
		uv_close((uv_handle_t *)&co->timer, on_timer_closed);
}

static void
on_leave_timeout(uv_timer_t *t)
{
	struct peerd *p = t->data;

	peerd_logf(p, "the coordinator %s did not answer PEER_LEAVE within %u ms; "
	    "stopping anyway", p->co.addr, PEERD_LEAVE_MS);
	p->co.leave_reqid = 0;
	finish_stop(p);
}

/* A registered peer says it is leaving and waits (boundedly) for the
 * answer, so the coordinator stops sending clients here at once. */
void
pcoord_stop(struct peerd *p)
{
	struct pcoord *co = &p->co;
	int was_up = co->state == PC_UP;

	co->state = PC_STOPPED;
	co->st.registered = 0;
	if (was_up && co->c != NULL && co->timer_open && co->leave_reqid == 0) {
		co->leave_reqid = pcoord_next_reqid(co);
		if (conn_send(co->c, PROTO_PEER_LEAVE, co->leave_reqid, NULL, 0) == 0) {
			uv_timer_stop(&co->timer);
			uv_timer_start(&co->timer, on_leave_timeout, PEERD_LEAVE_MS, 0);
			return;
		}
		co->leave_reqid = 0;
	}
	finish_stop(p);
}

void
pcoord_announce(struct peerd *p)
{
	struct pcoord *co = &p->co;

	/* a heartbeat awaiting its answer would be taken for a lost one:
	 * the next regular heartbeat carries the news then */
	if (!p->stopping && co->state == PC_UP && co->c != NULL &&
	    co->hb_reqid == 0)
		heartbeat_tick(p);
}
