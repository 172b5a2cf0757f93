/*
 * coord_metrics: `--metrics ADDR:PORT`, a small HTTP/1.1 server on the
 * coordinator's loop that serves its aggregate figures in the Prometheus
 * text format at GET /metrics (docs/net.md, "Metrics").
 *
 * Hostile clients are expected even on loopback (any local user can
 * connect), so every connection is bounded: the request (line and
 * headers) must arrive whole within METRICS_DEADLINE_MS and fit
 * METRICS_REQ_MAX bytes, else it gets 408 or 431 and is closed; at most
 * METRICS_CONN_MAX connections are served at once, any more are closed
 * at accept. One request per connection (Connection: close): a scrape
 * costs one connect, and no keep-alive state has to be bounded. Anything
 * but a well-formed request line gets 400, a method other than GET or
 * HEAD 405, a path other than /metrics 404.
 *
 * The counters are the coordinator's own (struct coord_counters, atomics
 * because the repair worker counts from the libuv pool); the database
 * figures are read in the pool (db_know_stats scans whole tables), never
 * on the loop. Aggregates only: no label names an account, a peer or a
 * file, so the page can be shown to anyone the operator likes.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/coord_int.h"
#include "coordinator/db_know.h"
#include "core/fsio.h"

#define METRICS_REQ_MAX 4096      /* request line and headers, bytes */
#define METRICS_DEADLINE_MS 5000  /* to send the whole request */
#define METRICS_CONN_MAX 16       /* connections served at once */
#define METRICS_BODY_MAX 8192     /* the page (about 3 KB today) */
#define METRICS_LINGER_MS 1000    /* reading what follows a response */

/*
 * After a response the connection is shut down for writing and what the
 * client still sends is read and dropped until it closes (or for
 * METRICS_LINGER_MS): closing with unread bytes would make the kernel
 * send a reset, and a client still writing an oversized head would lose
 * the 431 it was sent.
 */
enum mc_state { MC_READ, MC_WORK, MC_WRITE, MC_LINGER, MC_CLOSING };

struct mconn {
	struct coord_metrics *m;
	struct mconn *prev, *next;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_work_t work;
	uv_write_t wr;
	uv_shutdown_t sh;
	enum mc_state state;
	int open_handles;  /* tcp and timer: freed when both closed */
	int head;          /* HEAD: headers only */
	size_t len;
	char req[METRICS_REQ_MAX];
	/* the database's figures, read in the pool */
	struct db_stats st;
	int st_rc;
	char *out;
	size_t outlen;
};

struct coord_metrics {
	struct coord *co;
	uv_tcp_t srv;
	int srv_open;      /* 1 open, 2 closing, 0 closed */
	int orphan;        /* freed by srv_closed: coord_free came first */
	int stopping;
	unsigned nconn;
	struct mconn *conns;
	char addr[NETADDR_STRMAX];
};

/* ---- connections ---- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);

static void
mc_freed(uv_handle_t *h)
{
	struct mconn *c = h->data;

	if (--c->open_handles > 0)
		return;
	free(c->out);
	free(c);
}

static void
mc_close(struct mconn *c)
{
	struct coord_metrics *m = c->m;

	if (c->state == MC_CLOSING)
		return;
	c->state = MC_CLOSING;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	m->nconn--;
	uv_close((uv_handle_t *)&c->timer, mc_freed);
	uv_close((uv_handle_t *)&c->tcp, mc_freed);
}

static void
on_linger_end(uv_timer_t *t)
{
	mc_close(t->data);
}

static void
on_shutdown(uv_shutdown_t *sh, int status)
{
	(void)sh;
	(void)status; /* the connection closes on EOF or at the linger's end */
}

static void
on_written(uv_write_t *wr, int status)
{
	struct mconn *c = wr->data;

	if (status != 0 || c->m->stopping) {
		mc_close(c);
		return;
	}
	c->state = MC_LINGER;
	c->sh.data = c;
	if (uv_shutdown(&c->sh, (uv_stream_t *)&c->tcp, on_shutdown) != 0 ||
	    uv_timer_start(&c->timer, on_linger_end, METRICS_LINGER_MS, 0) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		mc_close(c);
}

/* Send status line, headers and body (may be NULL) and close after. */
static void
respond(struct mconn *c, const char *status, const char *extra,
    const char *ctype, const char *body, size_t blen)
{
	uv_buf_t b;
	int n;

	free(c->out);
	c->outlen = 0;
	if ((c->out = malloc(512 + blen)) == NULL) {
		mc_close(c);
		return;
	}
	n = snprintf(c->out, 512, "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", status, ctype,
	    blen, extra != NULL ? extra : "");
	if (n < 0 || n >= 512) {
		mc_close(c);
		return;
	}
	c->outlen = (size_t)n;
	if (body != NULL && !c->head) {
		memcpy(c->out + c->outlen, body, blen);
		c->outlen += blen;
	}
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_stop(&c->timer);
	c->state = MC_WRITE;
	c->wr.data = c;
	b = uv_buf_init(c->out, (unsigned)c->outlen);
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0)
		mc_close(c);
}

static void
respond_error(struct mconn *c, const char *status, const char *extra)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	respond(c, status, extra, "text/plain; charset=utf-8", body, (size_t)n);
}

/* ---- the page ---- */

struct page {
	char *p;
	size_t len, cap;
	int full;
};

static void
metric(struct page *pg, const char *name, const char *type, const char *help,
    uint64_t v)
{
	int n;

	if (pg->full)
		return;
	n = snprintf(pg->p + pg->len, pg->cap - pg->len,
	    "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
	    (unsigned long long)v);
	if (n < 0 || (size_t)n >= pg->cap - pg->len)
		pg->full = 1;
	else
		pg->len += (size_t)n;
}

#define CTR(f) atomic_load_explicit(&k->f, memory_order_relaxed)

static void
page_build(struct page *pg, const struct coord_counters *k,
    const struct db_stats *st)
{
	metric(pg, "drizzle_peers_online", "gauge",
	    "Peers that sent a heartbeat within the peer timeout and did not leave.",
	    st->peers_online);
	metric(pg, "drizzle_peers_total", "gauge", "Peers ever registered.",
	    st->peers_total);
	metric(pg, "drizzle_capacity_offered_bytes", "gauge",
	    "Capacity the online peers offer (their claim).", st->capacity_offered);
	metric(pg, "drizzle_capacity_proven_bytes", "gauge",
	    "Capacity proven held: bytes on audited peers, at most their offer.",
	    st->capacity_proven);
	metric(pg, "drizzle_stored_bytes", "gauge",
	    "Bytes of fragment copies located on peers.", st->bytes_stored);
	metric(pg, "drizzle_record_bytes", "gauge",
	    "Bytes of encrypted records held by the coordinator.", st->record_bytes);
	metric(pg, "drizzle_accounts", "gauge", "Accounts.", st->accounts);
	metric(pg, "drizzle_puts_total", "counter",
	    "Fragment commits (FRAGS_COMMIT) accepted: one or more per stored file.",
	    CTR(puts));
	metric(pg, "drizzle_put_errors_total", "counter",
	    "Placements (PLACE) and fragment commits refused or failed.",
	    CTR(put_errors));
	metric(pg, "drizzle_gets_total", "counter",
	    "Fragment locates (FRAGS_LOCATE) answered.", CTR(gets));
	metric(pg, "drizzle_get_errors_total", "counter",
	    "Fragment locates refused or failed.", CTR(get_errors));
	metric(pg, "drizzle_audits_passed_total", "counter", "Audits passed.",
	    CTR(audits_passed));
	metric(pg, "drizzle_audits_failed_total", "counter",
	    "Audits failed (wrong data, missing, timeout).", CTR(audits_failed));
	metric(pg, "drizzle_repair_backlog_segments", "gauge",
	    "Segments with fewer healthy fragments than their repair threshold.",
	    st->repair_backlog);
	metric(pg, "drizzle_repairs_total", "counter",
	    "Segments repaired (every missing fragment rebuilt and placed).",
	    CTR(repairs));
	metric(pg, "drizzle_gc_rounds_total", "counter", "Clean-up rounds run.",
	    CTR(gc_rounds));
	metric(pg, "drizzle_metrics_bad_requests_total", "counter",
	    "Requests to this page refused (malformed, too large, too slow).",
	    CTR(http_refused));
}

#undef CTR

static void
stats_work(uv_work_t *w)
{
	struct mconn *c = w->data;
	struct coord *co = c->m->co;
	struct dz_errmsg em = {{0}};
	int64_t now = coord_now(co);

	c->st_rc = db_know_stats(co->db, now - (int64_t)co->opts.peer_timeout,
	    now - (int64_t)co->opts.grace, &c->st, &em);
}

static void
stats_done(uv_work_t *w, int status)
{
	struct mconn *c = w->data;
	struct coord *co = c->m->co;
	struct page pg = {0};

	if (c->m->stopping || status != 0) {
		mc_close(c);
		return;
	}
	if (c->st_rc != 0) {
		coord_log(co, "metrics: cannot read the database: %s",
		    dz_strerror(c->st_rc));
		respond_error(c, "500 Internal Server Error", NULL);
		return;
	}
	pg.cap = METRICS_BODY_MAX;
	if ((pg.p = malloc(pg.cap)) == NULL) {
		respond_error(c, "500 Internal Server Error", NULL);
		return;
	}
	page_build(&pg, &co->ctr, &c->st);
	if (pg.full)
		respond_error(c, "500 Internal Server Error", NULL);
	else
		respond(c, "200 OK", NULL, "text/plain; version=0.0.4; charset=utf-8",
		    pg.p, pg.len);
	free(pg.p);
}

/* ---- requests ---- */

static void
refuse(struct mconn *c, const char *status, const char *extra)
{
	atomic_fetch_add_explicit(&c->m->co->ctr.http_refused, 1,
	    memory_order_relaxed);
	respond_error(c, status, extra);
}

/* Judge the request line of a complete head (c->req[0..end)). */
static void
handle(struct mconn *c, size_t end)
{
	char *line = c->req, *eol, *sp1, *sp2, *q;
	size_t plen;

	c->req[end] = '\0';
	if ((eol = strpbrk(line, "\r\n")) != NULL)
		*eol = '\0';
	sp1 = strchr(line, ' ');
	sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' ') != NULL ||
	    sp1 == line || sp1[1] != '/' ||
	    strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || strlen(sp2 + 1) != 8 ||
	    (sp2[8] != '0' && sp2[8] != '1')) {
		refuse(c, "400 Bad Request", NULL);
		return;
	}
	for (char *p = line; p < sp1; p++)
		if (*p < 'A' || *p > 'Z') {
			refuse(c, "400 Bad Request", NULL);
			return;
		}
	*sp1 = *sp2 = '\0';
	if (strcmp(line, "GET") != 0 && strcmp(line, "HEAD") != 0) {
		refuse(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n");
		return;
	}
	c->head = strcmp(line, "HEAD") == 0;
	q = strchr(sp1 + 1, '?');
	plen = q != NULL ? (size_t)(q - (sp1 + 1)) : strlen(sp1 + 1);
	if (plen != 8 || strncmp(sp1 + 1, "/metrics", 8) != 0) {
		respond_error(c, "404 Not Found", NULL);
		return;
	}
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->state = MC_WORK;
	c->work.data = c;
	if (uv_queue_work(c->m->co->loop, &c->work, stats_work, stats_done) != 0) {
		c->state = MC_READ;
		respond_error(c, "503 Service Unavailable", NULL);
	}
}

/* The end of the head (after its blank line) in c->req, or 0. */
static size_t
head_end(const struct mconn *c)
{
	for (size_t i = 0; i + 1 < c->len; i++) {
		if (c->req[i] == '\n' && c->req[i + 1] == '\n')
			return i + 2;
		if (i + 3 < c->len && memcmp(c->req + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	}
	return 0;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct mconn *c = h->data;

	(void)hint;
	if (c->state == MC_LINGER) { /* read and dropped */
		*b = uv_buf_init(c->req, (unsigned)sizeof(c->req));
		return;
	}
	/* one byte kept for the NUL that handle() writes */
	*b = uv_buf_init(c->req + c->len, (unsigned)(sizeof(c->req) - 1 - c->len));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct mconn *c = s->data;
	size_t end;

	(void)b;
	if (c->state == MC_LINGER && nread < 0)
		mc_close(c);
	if (c->state != MC_READ)
		return;
	if (nread < 0) {
		mc_close(c);
		return;
	}
	c->len += (size_t)nread;
	if ((end = head_end(c)) > 0) {
		handle(c, end);
		return;
	}
	if (c->len >= sizeof(c->req) - 1)
		refuse(c, "431 Request Header Fields Too Large", NULL);
}

static void
on_deadline(uv_timer_t *t)
{
	struct mconn *c = t->data;

	if (c->state == MC_READ)
		refuse(c, "408 Request Timeout", NULL);
}

static void
on_connection(uv_stream_t *srv, int status)
{
	struct coord_metrics *m = srv->data;
	struct mconn *c;

	if (status != 0 || m->stopping)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->m = m;
	c->tcp.data = c->timer.data = c;
	if (uv_tcp_init(m->co->loop, &c->tcp) != 0) {
		free(c);
		return;
	}
	c->open_handles = 1;
	if (uv_timer_init(m->co->loop, &c->timer) != 0) {
		uv_close((uv_handle_t *)&c->tcp, mc_freed);
		return;
	}
	c->open_handles = 2;
	c->next = m->conns;
	if (m->conns != NULL)
		m->conns->prev = c;
	m->conns = c;
	m->nconn++;
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0 ||
	    m->nconn > METRICS_CONN_MAX) {
		atomic_fetch_add_explicit(&m->co->ctr.http_refused, 1,
		    memory_order_relaxed);
		mc_close(c);
		return;
	}
	if (uv_timer_start(&c->timer, on_deadline, METRICS_DEADLINE_MS, 0) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		mc_close(c);
}

/* ---- start and stop ---- */

/* 1 if ss is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x). */
static int
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		    (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

static void
srv_closed(uv_handle_t *h)
{
	struct coord_metrics *m = h->data;

	m->srv_open = 0;
	if (m->orphan)
		free(m);
}

int
coord_metrics_start(struct coord *co, struct dz_errmsg *em)
{
	struct coord_metrics *m;
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;
	char path[4096], line[NETADDR_STRMAX + 1];

	if (co->opts.metrics == NULL)
		return 0;
	if ((rc = netaddr_parse(co->opts.metrics, 1, &ss, em)) != 0) {
		char why[DZ_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", em->text);
		return dz_errf(em, rc, "--metrics %s: %s", co->opts.metrics, why);
	}
	if (!is_loopback(&ss) && !co->opts.metrics_public)
		return dz_errf(em, DZ_EDENIED,
		    "--metrics %s is not a loopback address: anyone who can reach it "
		    "would read the figures; add --metrics-public to allow it",
		    co->opts.metrics);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return DZ_ENOMEM;
	m->co = co;
	m->srv.data = m;
	if ((rc = uv_tcp_init(co->loop, &m->srv)) != 0) {
		free(m);
		return dz_errf(em, DZ_EIO, "metrics on %s: %s", co->opts.metrics,
		    uv_strerror(rc));
	}
	m->srv_open = 1;
	co->metrics = m; /* from here coord_metrics_stop / free release it */
	if ((rc = uv_tcp_bind(&m->srv, (struct sockaddr *)&ss, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&m->srv, 64, on_connection)) != 0 ||
	    (rc = uv_tcp_getsockname(&m->srv, (struct sockaddr *)&ss, &len)) != 0)
		return dz_errf(em, DZ_EIO, "metrics on %s: %s", co->opts.metrics,
		    uv_strerror(rc));
	if (netaddr_format((struct sockaddr *)&ss, m->addr, sizeof(m->addr)) != 0)
		return dz_errf(em, DZ_EINVAL, "metrics: cannot print the address");
	co->opts.metrics = NULL; /* borrowed: m->addr says it from now on */
	if (snprintf(path, sizeof(path), "%s/metrics.addr", co->dir) >=
	    (int)sizeof(path))
		return dz_errf(em, DZ_ERANGE, "path too long: %s", co->dir);
	rc = snprintf(line, sizeof(line), "%s\n", m->addr);
	return fsio_write_durable(AT_FDCWD, path, (const uint8_t *)line,
	    (size_t)rc, 0, 0644, em);
}

const char *
coord_metrics_addr(const struct coord *co)
{
	return co->metrics != NULL ? co->metrics->addr : NULL;
}

void
coord_metrics_stop(struct coord *co)
{
	struct coord_metrics *m = co->metrics;
	struct mconn *c, *next;

	if (m == NULL)
		return;
	m->stopping = 1;
	if (m->srv_open == 1) {
		m->srv_open = 2; /* closing */
		uv_close((uv_handle_t *)&m->srv, srv_closed);
	}
	/* a connection whose work is queued closes in stats_done */
	for (c = m->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state != MC_WORK)
			mc_close(c);
	}
}

void
coord_metrics_free(struct coord *co)
{
	struct coord_metrics *m = co->metrics;

	if (m == NULL)
		return;
	co->metrics = NULL;
	/* after the loop ended every handle is closed and every work done;
	 * a failed start frees before the listener's close has run */
	if (m->srv_open != 0)
		m->orphan = 1;
	else
		free(m);
}

void
coord_metrics_request(struct coord *co, uint16_t type, int rc)
{
	atomic_uint_least64_t *k;

	switch (type) {
	case PROTO_FRAGS_COMMIT:
		k = rc == 0 ? &co->ctr.puts : &co->ctr.put_errors;
		break;
	case PROTO_PLACE:
		if (rc == 0)
			return;
		k = &co->ctr.put_errors;
		break;
	case PROTO_FRAGS_LOCATE:
		k = rc == 0 ? &co->ctr.gets : &co->ctr.get_errors;
		break;
	default:
		return;
	}
	atomic_fetch_add_explicit(k, 1, memory_order_relaxed);
}
