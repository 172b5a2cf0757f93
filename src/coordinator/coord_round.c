/*
 * coord_round: a coordinator job run in rounds in the thread pool (see
 * coord_round.h). Everything here but round_work runs on the loop.
 */
#include "coordinator/coord_round.h"

#include "coordinator/coord_int.h"
#include "net/rpc.h"
#include "net/tls.h"

static void arm(struct coord_round *r);

static void
close_timer(struct coord_round *r)
{
	if (r->timer_open) {
		uv_close((uv_handle_t *)&r->timer, NULL);
		r->timer_open = 0;
	}
}

static void
round_work(uv_work_t *req)
{
	struct coord_round *r = req->data;

	r->run(r);
}

static void
round_done(uv_work_t *req, int status)
{
	struct coord_round *r = req->data;

	(void)status;
	r->running = 0;
	if (r->end != NULL)
		r->end(r);
	if (r->stopping) {
		close_timer(r);
		return;
	}
	arm(r);
}

static void
on_timer(uv_timer_t *t)
{
	struct coord_round *r = t->data;

	if (r->stopping || r->running)
		return;
	r->now = coord_now(r->co);
	if (r->begin != NULL)
		r->begin(r);
	r->work.data = r;
	if (uv_queue_work(r->co->loop, &r->work, round_work, round_done) != 0) {
		arm(r);
		return;
	}
	r->running = 1;
}

static void
arm(struct coord_round *r)
{
	uint64_t ms = (uint64_t)r->co->opts.audit_interval * 1000u;

	uv_timer_start(&r->timer, on_timer, ms, 0);
}

int
coord_round_start(struct coord_round *r, struct coord *co, const char *what,
    struct dz_errmsg *em)
{
	int rc;

	r->co = co;
	if ((rc = tls_ctx_new(co->id, TLS_ROLE_CLIENT, &r->tls, em)) != 0 ||
	    (rc = rpc_new(r->tls, NULL, &r->rpc, em)) != 0)
		return rc;
	if (uv_timer_init(co->loop, &r->timer) != 0)
		return dz_errf(em, DZ_ENOMEM, "cannot make the %s timer", what);
	r->timer.data = r;
	r->timer_open = 1;
	arm(r);
	return 0;
}

void
coord_round_stop(struct coord_round *r)
{
	if (r->stopping)
		return;
	r->stopping = 1;
	if (!r->running)
		close_timer(r);
}

void
coord_round_free(struct coord_round *r)
{
	rpc_free(r->rpc);
	tls_ctx_unref(r->tls);
}
