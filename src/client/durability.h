/*
 * durability: the model behind the durability `drizzle ls -l` and
 * `drizzle status` show: the probability that a file is lost within a
 * year, from how many of each segment's fragments sit on healthy holders
 * and how available those holders have been. The model, its assumptions
 * and what it ignores are in docs/durability.md; this module is only its
 * arithmetic, kept in one place so the docs and the code say the same.
 *
 * Not for measuring anything (the coordinator measures availability:
 * OBJ_HEALTH) and not for deciding repair (the coordinator's threshold
 * does). Pure functions, no state; probabilities are doubles in [0, 1],
 * computed so that tiny ones (1e-30) keep their precision.
 */
#ifndef DZ_DURABILITY_H
#define DZ_DURABILITY_H

#include <stdint.h>

/* Assumptions (docs/durability.md): a peer that is always online still
 * leaves for good with this probability within a year ... */
#define DUR_CHURN_YEAR 0.25
/* ... and a lost fragment is rebuilt elsewhere within this many days
 * (grace period plus repair): only losses within one such window add up. */
#define DUR_REPAIR_DAYS 1.0
/* Nines shown at most: past this the model says nothing meaningful. */
#define DUR_NINES_MAX 99.0

/*
 * dur_holder_loss: the probability that a holder with measured
 * availability avail (fraction of expected heartbeats seen, clamped to
 * 0..1) is lost within a year: 1 - avail * (1 - DUR_CHURN_YEAR). A peer
 * never seen online is lost for sure; an always-online one leaves with
 * the churn probability.
 */
double dur_holder_loss(double avail);

/*
 * dur_segment_loss: the probability that a segment whose fragments sit
 * on h healthy holders, each lost within a year with probability p_year,
 * independently, is lost within a year when any k fragments rebuild it
 * and repair restores it within repair_days (>= 365: no repair within
 * the year). A segment is lost when more than h - k of its holders are
 * lost within one repair window. h < k (already unreadable): 1.
 */
double dur_segment_loss(unsigned h, unsigned k, double p_year,
    double repair_days);

/*
 * A file's loss probability: 1 - the product of its segments' survival.
 * Start with dur_file_init, add each segment (count: that many segments
 * with this loss probability), read with dur_file_loss.
 */
struct dur_file {
	double log_survive; /* sum of log(1 - segment loss); -inf: lost */
};
void dur_file_init(struct dur_file *f);
void dur_file_add(struct dur_file *f, double seg_loss, uint64_t count);
double dur_file_loss(const struct dur_file *f);

/* dur_nines: -log10(loss), 0 for a certain (or NaN) loss, at most
 * DUR_NINES_MAX (also for a loss too small for a double). */
double dur_nines(double loss);

#endif
