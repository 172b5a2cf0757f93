/*
 * netstore: fragments on peers, records at the coordinator (netstore.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/netstore_int.h"
#include "core/cursor.h"
#include "net/frame.h"
#include "net/ident.h"
#include "net/proto.h"
#include "net/rpc.h"

/* A record being written (buffered: sent whole by rec_commit) or read. */
struct store_rec {
	struct netstore *ns;
	uint8_t id[32];
	uint8_t *buf;
	size_t len, cap, pos;
};

void
netstore_opts_default(struct netstore_opts *o)
{
	o->put_rounds = 3;
	o->get_extra = 0;
	o->deadline_ms = 120000;
	o->put_needed = 0;
	o->repair_threshold = 0;
}

static void ns_thread_gone(void *arg);

int
netstore_open(struct tls_ctx *tls, const char *coord_addr,
    const uint8_t coord_pk[static 32], const struct netstore_opts *opts,
    struct netstore **out, struct dz_errmsg *em)
{
	struct netstore *ns;

	*out = NULL;
	if (strlen(coord_addr) >= sizeof(ns->coord_addr))
		return dz_errf(em, DZ_EINVAL, "coordinator address too long");
	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return DZ_ENOMEM;
	if (pthread_key_create(&ns->key, ns_thread_gone) != 0) {
		free(ns);
		return dz_errf(em, DZ_ENOMEM, "cannot create a thread key");
	}
	pthread_mutex_init(&ns->mu, NULL);
	ns->tls = tls_ctx_ref(tls);
	snprintf(ns->coord_addr, sizeof(ns->coord_addr), "%s", coord_addr);
	memcpy(ns->coord_pk, coord_pk, IDENT_PKBYTES);
	if (opts != NULL)
		ns->opts = *opts;
	else
		netstore_opts_default(&ns->opts);
	*out = ns;
	return 0;
}

void
netstore_close(struct netstore *ns)
{
	struct ns_thread *t, *next;

	if (ns == NULL)
		return;
	/* the key first: no thread's destructor runs after this (the
	 * callers' workers have all ended: put and get join them) */
	pthread_key_delete(ns->key);
	for (t = ns->threads; t != NULL; t = next) {
		next = t->next;
		rpc_free(t->rpc);
		free(t->loc);
		free(t);
	}
	pthread_mutex_destroy(&ns->mu);
	tls_ctx_unref(ns->tls);
	free(ns);
}

/* A thread that used ns ended (the transfer workers of every put and get
 * do): its connections and buffers go with it, not at netstore_close,
 * or a put -r of thousands of files would keep one set per file. */
static void
ns_thread_gone(void *arg)
{
	struct ns_thread *t = arg, **pp;
	struct netstore *ns = t->ns;

	pthread_mutex_lock(&ns->mu);
	for (pp = &ns->threads; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	pthread_mutex_unlock(&ns->mu);
	rpc_free(t->rpc);
	free(t->loc);
	free(t);
}

int
netstore_thread(struct netstore *ns, struct ns_thread **out, struct dz_errmsg *em)
{
	struct ns_thread *t = pthread_getspecific(ns->key);
	int rc;

	if (t != NULL) {
		*out = t;
		return 0;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return DZ_ENOMEM;
	t->ns = ns;
	if ((rc = rpc_new(ns->tls, NULL, &t->rpc, em)) != 0) {
		free(t);
		return rc;
	}
	if (pthread_setspecific(ns->key, t) != 0) {
		rpc_free(t->rpc);
		free(t);
		return dz_errf(em, DZ_ENOMEM, "cannot set thread state");
	}
	pthread_mutex_lock(&ns->mu);
	t->next = ns->threads;
	ns->threads = t;
	pthread_mutex_unlock(&ns->mu);
	*out = t;
	return 0;
}

/* An ERROR body into a code and em; a malformed one is DZ_EFORMAT. */
static int
ns_error(const struct frame *f, const char *who, struct dz_errmsg *em)
{
	struct proto_error e;

	if (proto_error_decode(f->body, f->len, &e) != 0 || e.code >= 0)
		return dz_errf(em, DZ_EFORMAT, "%s sent a malformed error", who);
	return dz_errf(em, e.code, "%s", e.message);
}

int
netstore_coord_call(struct netstore *ns, uint16_t type, const void *msg,
    struct frame *resp, struct dz_errmsg *em)
{
	struct ns_thread *t;
	struct wbuf w;
	uint8_t *body = NULL;
	size_t len;
	int rc;

	memset(resp, 0, sizeof(*resp));
	if ((rc = netstore_thread(ns, &t, em)) != 0)
		return rc;
	if ((rc = proto_encoded_len(type, msg, &len)) != 0)
		return dz_errf(em, rc, "cannot encode %s", proto_type_name(type));
	if (len > 0 && (body = malloc(len)) == NULL)
		return DZ_ENOMEM;
	wbuf_init(&w, body, len);
	if ((rc = proto_encode(type, msg, &w)) != 0) {
		free(body);
		return dz_errf(em, rc, "cannot encode %s", proto_type_name(type));
	}
	rc = rpc_call(t->rpc, ns->coord_addr, ns->coord_pk, type, body, len,
	    ns->opts.deadline_ms, resp, em);
	free(body);
	if (rc != 0) {
		char tmp[sizeof(em->text)];

		snprintf(tmp, sizeof(tmp), "%s", em != NULL ? em->text : "");
		return dz_errf(em, rc, "the coordinator: %s%s", tmp,
		    rc == DZ_ECONNECT || rc == DZ_EIO ? " (is it running?)" : "");
	}
	if (resp->type == PROTO_REPLY(type))
		return 0;
	if (resp->type == PROTO_ERROR)
		rc = ns_error(resp, "the coordinator", em);
	else if (resp->type == PROTO_CONFLICT)
		return DZ_ECONFLICT;
	else
		rc = dz_errf(em, DZ_EFORMAT, "the coordinator answered %s with type %#x",
		    proto_type_name(type), resp->type);
	frame_free(resp);
	return rc;
}

/* ---- get ---------------------------------------------------------------- */

struct get_round {
	unsigned idx[PROTO_PLACE_MAX];  /* request j asks for fragment idx[j] */
	uint8_t *const *frags;
	size_t cap;
	size_t *lens;
	uint8_t *have;
	int *why;
	int (*check)(void *arg, unsigned i, const uint8_t *buf, size_t len);
	void *check_arg;
};

static int
get_accept(void *arg, size_t j, struct frame *resp)
{
	struct get_round *gr = arg;
	unsigned i = gr->idx[j];
	struct proto_frag_get_rep r;
	struct proto_error e;
	int rc;

	if (resp->type == PROTO_ERROR) {
		gr->why[i] = proto_error_decode(resp->body, resp->len, &e) == 0 &&
		    e.code < 0 ? e.code : DZ_EFORMAT;
		return 0;
	}
	if (resp->type != PROTO_REPLY(PROTO_FRAG_GET) ||
	    proto_frag_get_rep_decode(resp->body, resp->len, &r) != 0 || r.len > gr->cap) {
		gr->why[i] = DZ_EFORMAT;
		return 0;
	}
	memcpy(gr->frags[i], r.data, r.len);
	if ((rc = gr->check(gr->check_arg, i, gr->frags[i], r.len)) != 0) {
		gr->why[i] = rc;
		return 0;
	}
	gr->have[i] = 1;
	gr->lens[i] = r.len;
	gr->why[i] = 0;
	return 1;
}

static int
ns_get_seg(void *ctx, unsigned k, unsigned n, const uint8_t *names,
    uint8_t *const frags[], size_t cap, size_t lens[], uint8_t have[],
    int why[], int (*check)(void *arg, unsigned i, const uint8_t *buf,
    size_t len), void *check_arg, struct dz_errmsg *em)
{
	struct netstore *ns = ctx;
	struct ns_thread *t;
	struct proto_frags_locate fl;
	struct frame resp = {0};
	struct rpc_req reqs[PROTO_PLACE_MAX];
	struct get_round gr;
	uint8_t next[PROTO_PLACE_MAX] = {0}; /* next location to try, per index */
	unsigned kept = 0, extra = ns->opts.get_extra;
	int rc;

	if (n == 0 || n > PROTO_LOCATE_MAX || k == 0 || k >= n)
		return dz_errf(em, DZ_EINVAL, "bad code %u-of-%u", k, n);
	if ((rc = netstore_thread(ns, &t, em)) != 0)
		return rc;
	if (t->loc == NULL && (t->loc = malloc(sizeof(*t->loc))) == NULL)
		return DZ_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		have[i] = 0;
		why[i] = 0;
		lens[i] = 0;
	}
	fl.nnames = (uint16_t)n;
	fl.names = (const uint8_t (*)[PROTO_NAMEBYTES])names;
	rc = netstore_coord_call(ns, PROTO_FRAGS_LOCATE, &fl, &resp, em);
	if (rc == DZ_ECONFLICT) {
		frame_free(&resp);
		return dz_errf(em, DZ_EFORMAT, "the coordinator answered FRAGS_LOCATE oddly");
	}
	if (rc != 0)
		return rc;
	rc = proto_frags_locate_rep_decode(resp.body, resp.len, t->loc);
	frame_free(&resp);
	if (rc != 0 || t->loc->nnames != n)
		return dz_errf(em, DZ_EFORMAT, "the coordinator answered FRAGS_LOCATE badly");
	for (unsigned i = 0; i < n; i++)
		if (t->loc->names[i].nlocs == 0)
			why[i] = DZ_ENOENT;
	if (extra == 0) {
		extra = (n - k) / 2;
		extra = extra < 2 ? 2 : extra > 8 ? 8 : extra;
	}
	memset(&gr, 0, sizeof(gr));
	gr.frags = frags;
	gr.cap = cap;
	gr.lens = lens;
	gr.have = have;
	gr.why = why;
	gr.check = check;
	gr.check_arg = check_arg;
	/* Rounds: ask (still needed + extra) holders, data fragments first
	 * (no decoding when they all come); who fails is replaced next round
	 * by another fragment or another holder of the same one. */
	while (kept < k) {
		unsigned m = 0, want = k - kept, ask = want + extra;
		size_t got = 0;

		for (unsigned i = 0; i < n && m < ask; i++) {
			struct proto_locs *l = &t->loc->names[i];

			if (have[i] || next[i] >= l->nlocs)
				continue;
			memset(&reqs[m], 0, sizeof(reqs[m]));
			reqs[m].addr = l->locs[next[i]].addr;
			reqs[m].pk = l->locs[next[i]].pk;
			reqs[m].type = PROTO_FRAG_GET;
			reqs[m].body = names + (size_t)i * PROTO_NAMEBYTES;
			reqs[m].len = PROTO_NAMEBYTES; /* FRAG_GET is just the name */
			gr.idx[m++] = i;
			next[i]++;
		}
		if (m < want)
			break;
		/* the outcome is read per request below */
		rc = rpc_call_many(t->rpc, reqs, m, want, ns->opts.deadline_ms, get_accept,
		    &gr, &got, NULL);
		rc = 0;
		kept += (unsigned)got;
		for (unsigned j = 0; j < m; j++) {
			unsigned i = gr.idx[j];

			if (reqs[j].status < 0 && why[i] == 0)
				why[i] = reqs[j].status;
			else if (reqs[j].status == RPC_CANCELLED && !have[i]) {
				/* not needed after all: may be asked again later */
				next[i]--;
			}
		}
	}
	if (kept >= k)
		return 0;
	{
		unsigned bad = 0, gone = 0;

		for (unsigned i = 0; i < n; i++) {
			if (have[i])
				continue;
			if (why[i] == DZ_ENOENT || why[i] == DZ_EIO || why[i] == DZ_ECONNECT ||
			    why[i] == 0)
				gone++;
			else
				bad++;
		}
		return dz_errf(em, DZ_ETOOFEW,
		    "only %u of the %u fragments needed could be fetched intact "
		    "(%u unreachable or missing, %u damaged)", kept, k, gone, bad);
	}
}

/* ---- records ------------------------------------------------------------ */

int
netstore_rec_get(struct netstore *ns, const uint8_t id[static 32],
    uint8_t **blob, size_t *len, uint64_t *version, struct dz_errmsg *em)
{
	struct proto_rec_get m;
	struct proto_rec_get_rep r;
	struct frame resp;
	int rc;

	*blob = NULL;
	*len = 0;
	memcpy(m.id, id, PROTO_IDBYTES);
	rc = netstore_coord_call(ns, PROTO_REC_GET, &m, &resp, em);
	if (rc == DZ_ECONFLICT) {
		frame_free(&resp);
		return dz_errf(em, DZ_EFORMAT, "the coordinator answered REC_GET oddly");
	}
	if (rc != 0)
		return rc;
	if ((rc = proto_rec_get_rep_decode(resp.body, resp.len, &r)) != 0) {
		frame_free(&resp);
		return dz_errf(em, rc, "the coordinator sent a malformed record");
	}
	*version = r.version;
	*len = r.blob_len;
	/* the blob sits inside the body: move it to the front and keep it */
	memmove(resp.body, r.blob, r.blob_len);
	*blob = resp.body;
	return 0;
}

int
netstore_rec_put(struct netstore *ns, const uint8_t id[static 32],
    uint64_t expected, const uint8_t *blob, size_t len, uint64_t *version,
    struct dz_errmsg *em)
{
	struct proto_rec_put m;
	struct proto_rec_put_rep r;
	struct proto_conflict c;
	struct frame resp;
	int rc;

	if (len > PROTO_REC_MAX)
		return dz_errf(em, DZ_ERANGE, "a record of %zu bytes is larger than the "
		    "coordinator takes (%u)", len, PROTO_REC_MAX);
	memcpy(m.id, id, PROTO_IDBYTES);
	m.expected_version = expected;
	m.blob = blob;
	m.blob_len = len;
	rc = netstore_coord_call(ns, PROTO_REC_PUT, &m, &resp, em);
	if (rc == DZ_ECONFLICT) {
		if (proto_conflict_decode(resp.body, resp.len, &c) != 0)
			rc = dz_errf(em, DZ_EFORMAT, "malformed CONFLICT from the coordinator");
		else {
			*version = c.current_version;
			dz_errf(em, rc, "the record changed meanwhile (it is at version "
			    "%llu, not %llu)", (unsigned long long)c.current_version,
			    (unsigned long long)expected);
		}
		frame_free(&resp);
		return rc;
	}
	if (rc != 0)
		return rc;
	rc = proto_rec_put_rep_decode(resp.body, resp.len, &r);
	frame_free(&resp);
	if (rc != 0)
		return dz_errf(em, rc, "malformed REC_PUT_REP from the coordinator");
	*version = r.version;
	return 0;
}

int
netstore_rec_del(struct netstore *ns, const uint8_t id[static 32],
    uint64_t expected, uint64_t *version, struct dz_errmsg *em)
{
	struct proto_rec_del m;
	struct proto_conflict c;
	struct frame resp;
	int rc;

	memcpy(m.id, id, PROTO_IDBYTES);
	m.expected_version = expected;
	rc = netstore_coord_call(ns, PROTO_REC_DEL, &m, &resp, em);
	if (rc == DZ_ECONFLICT) {
		if (proto_conflict_decode(resp.body, resp.len, &c) != 0)
			rc = dz_errf(em, DZ_EFORMAT, "malformed CONFLICT from the coordinator");
		else
			*version = c.current_version;
	} else if (rc == 0)
		*version = 0;
	frame_free(&resp);
	return rc;
}

int
netstore_forget(struct netstore *ns, const uint8_t id[static 32],
    struct dz_errmsg *em)
{
	struct proto_obj_delete m;
	struct frame resp;
	uint8_t *blob;
	size_t len;
	uint64_t v, cur;
	int rc;

	memcpy(m.object_id, id, PROTO_IDBYTES);
	rc = netstore_coord_call(ns, PROTO_OBJ_DELETE, &m, &resp, em);
	frame_free(&resp);
	if (rc == DZ_ECONFLICT)
		rc = DZ_EFORMAT;
	if (rc != 0)
		return rc;
	for (int tries = 0; tries < 4; tries++) {
		rc = netstore_rec_get(ns, id, &blob, &len, &v, em);
		if (rc == DZ_ENOENT)
			return 0;
		if (rc != 0)
			return rc;
		free(blob);
		rc = netstore_rec_del(ns, id, v, &cur, em);
		if (rc != DZ_ECONFLICT)
			return rc;
	}
	return dz_errf(em, DZ_ECONFLICT, "the record kept changing while being deleted");
}

static int
ns_del_obj(void *ctx, const uint8_t object_id[STORE_NAMEBYTES])
{
	return netstore_forget(ctx, object_id, NULL);
}

/* Peers cannot be told to delete yet; the locations go with del_obj. */
static int
ns_del_frag(void *ctx, const uint8_t name[STORE_NAMEBYTES])
{
	(void)ctx;
	(void)name;
	return 0;
}

/* Peers acknowledge a fragment only once it is on their disk. */
static int
ns_sync(void *ctx, struct dz_errmsg *em)
{
	(void)ctx;
	(void)em;
	return 0;
}

static int
ns_rec_create(void *ctx, const uint8_t id[STORE_NAMEBYTES],
    struct store_rec **out, struct dz_errmsg *em)
{
	struct store_rec *r = calloc(1, sizeof(*r));

	(void)em;
	if (r == NULL)
		return DZ_ENOMEM;
	r->ns = ctx;
	memcpy(r->id, id, 32);
	*out = r;
	return 0;
}

static int
ns_rec_write(struct store_rec *r, const uint8_t *buf, size_t len)
{
	if (len > PROTO_REC_MAX - r->len)
		return DZ_ERANGE;
	if (r->len + len > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		uint8_t *p;

		while (cap < r->len + len)
			cap *= 2;
		if ((p = realloc(r->buf, cap)) == NULL)
			return DZ_ENOMEM;
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, buf, len);
	r->len += len;
	return 0;
}

static void
ns_rec_close(struct store_rec *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

static int
ns_rec_commit(struct store_rec *r, struct dz_errmsg *em)
{
	uint64_t v;
	int rc = netstore_rec_put(r->ns, r->id, 0, r->buf, r->len, &v, em);

	if (rc == DZ_ECONFLICT)
		rc = dz_errf(em, DZ_ECONFLICT, "a record with this object id exists already");
	ns_rec_close(r);
	return rc;
}

static int
ns_rec_open(void *ctx, const uint8_t id[STORE_NAMEBYTES],
    struct store_rec **out, struct dz_errmsg *em)
{
	struct store_rec *r = calloc(1, sizeof(*r));
	uint64_t v;
	int rc;

	if (r == NULL)
		return DZ_ENOMEM;
	r->ns = ctx;
	memcpy(r->id, id, 32);
	if ((rc = netstore_rec_get(ctx, id, &r->buf, &r->len, &v, em)) != 0) {
		free(r);
		return rc;
	}
	r->cap = r->len;
	*out = r;
	return 0;
}

static int
ns_rec_read(struct store_rec *r, uint8_t *buf, size_t len)
{
	if (len > r->len - r->pos)
		return DZ_ETRUNC;
	memcpy(buf, r->buf + r->pos, len);
	r->pos += len;
	return 0;
}

static const struct store_ops ns_ops = {
	.put_frag = NULL,
	.put_seg = netstore_put_seg,
	.get_seg = ns_get_seg,
	.del_obj = ns_del_obj,
	.get_frag = NULL,
	.del_frag = ns_del_frag,
	.sync = ns_sync,
	.reserve = netstore_reserve,
	.rec_create = ns_rec_create,
	.rec_write = ns_rec_write,
	.rec_commit = ns_rec_commit,
	.rec_open = ns_rec_open,
	.rec_read = ns_rec_read,
	.rec_close = ns_rec_close,
};

void
netstore_store(struct netstore *ns, struct store *out)
{
	out->ops = &ns_ops;
	out->ctx = ns;
}
