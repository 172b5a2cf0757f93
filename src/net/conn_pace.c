/*
 * conn_pace: a connection's traffic metered by its owner's token buckets
 * (ratelimit.h), so that a peer keeps to its upload and download limits
 * over all its connections together.
 *
 * Reading: every read from the socket is charged to the receive bucket
 * after the fact (the bytes are already here); when the bucket is in
 * debt the socket is not read until it has room, and TCP's window slows
 * the sender meanwhile. Writing: pump_write encrypts no more than the
 * send bucket allows (whole TLS records, so it may go a record into
 * debt), and what is left stays queued until the pacing timer says
 * there is room. Both wait on one timer per connection. The connection's
 * own read deadlines are suspended while reading is paced (the wait is
 * ours); the write deadline only runs while ciphertext is in flight, so
 * a connection waiting for tokens is not ended for it.
 */
#include "net/conn_int.h"

static void
on_ptimer(uv_timer_t *t)
{
	struct conn *c = t->data;
	uint64_t now = uv_hrtime(), ms;

	if (c->st == CONN_DEAD)
		return;
	if (c->rx_paced) {
		if ((ms = ratelimit_wait_ms(c->rx_rl, now)) > 0) {
			uv_timer_start(t, on_ptimer, ms, 0);
		} else {
			c->rx_paced = 0;
			/* backpressure or conn_hold may still keep it stopped:
			 * they resume it themselves, conn_unhold only if it is
			 * marked paused (a hold that came while reading was
			 * paced found no pump_read to mark it) */
			if (c->st == CONN_OPEN && c->held)
				c->paused = 1;
			else if (c->st == CONN_OPEN && !c->paused &&
			    conn_reading_start_(c) != 0)
				return;
		}
	}
	if (c->tx_paced) {
		c->tx_paced = 0;
		conn_pump_write_(c); /* paces itself again if need be */
	}
	if (c->st == CONN_OPEN)
		conn_timers_update_(c);
}

/* Wake up in ms, unless a wake-up armed for the other direction comes
 * sooner. */
static void
arm(struct conn *c, uint64_t ms)
{
	if (uv_is_active((uv_handle_t *)&c->ptimer) &&
	    uv_timer_get_due_in(&c->ptimer) <= ms)
		return;
	uv_timer_start(&c->ptimer, on_ptimer, ms, 0);
}

void
conn_set_pace(struct conn *c, struct ratelimit *rx, struct ratelimit *tx)
{
	c->rx_rl = rx;
	c->tx_rl = tx;
}

void
conn_pace_rx_(struct conn *c, size_t n)
{
	uint64_t now = uv_hrtime(), ms;

	ratelimit_charge(c->rx_rl, n, now);
	if ((ms = ratelimit_wait_ms(c->rx_rl, now)) == 0)
		return;
	c->rx_paced = 1;
	if (c->reading)
		uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = 0;
	arm(c, ms);
}

size_t
conn_pace_tx_room_(struct conn *c)
{
	uint64_t now, ms;

	if (c->tx_rl == NULL)
		return SIZE_MAX;
	now = uv_hrtime();
	if ((ms = ratelimit_wait_ms(c->tx_rl, now)) == 0)
		return ratelimit_room(c->tx_rl, now);
	c->tx_paced = 1;
	arm(c, ms);
	return 0;
}

void
conn_pace_tx_charge_(struct conn *c, size_t n)
{
	if (c->tx_rl != NULL)
		ratelimit_charge(c->tx_rl, n, uv_hrtime());
}
