/*
 * durability: the file-loss model of docs/durability.md (durability.h).
 *
 * Everything is computed in a form that keeps small probabilities exact:
 * a per-window loss from a yearly one with expm1/log1p, the binomial tail
 * from its smallest terms up (never as 1 - the rest), and a file's
 * survival as a sum of log1p.
 */
#include "client/durability.h"

#include <math.h>

static double
clamp01(double x)
{
	if (!(x >= 0.0)) /* NaN too */
		return 0.0;
	return x > 1.0 ? 1.0 : x;
}

double
dur_holder_loss(double avail)
{
	return clamp01(1.0 - clamp01(avail) * (1.0 - DUR_CHURN_YEAR));
}

/* log C(n, j) */
static double
log_choose(unsigned n, unsigned j)
{
	return lgamma((double)n + 1) - lgamma((double)j + 1) -
	    lgamma((double)(n - j) + 1);
}

/* P(more than f of h independent holders lost), each with probability q:
 * the binomial tail sum_{j=f+1..h} C(h,j) q^j (1-q)^(h-j). */
static double
tail(unsigned h, unsigned f, double q)
{
	double sum = 0.0, lq, l1q;

	if (q <= 0.0)
		return 0.0;
	if (q >= 1.0)
		return 1.0;
	lq = log(q);
	l1q = log1p(-q);
	/* largest terms last would lose the smallest: add from j = h down,
	 * where q^j is smallest for small q */
	for (unsigned j = h; j > f; j--)
		sum += exp(log_choose(h, j) + j * lq + (h - j) * l1q);
	return clamp01(sum);
}

double
dur_segment_loss(unsigned h, unsigned k, double p_year, double repair_days)
{
	double w, q, pw;

	if (k == 0 || h < k)
		return 1.0;
	p_year = clamp01(p_year);
	if (!(repair_days > 0.0) || repair_days >= 365.0) {
		/* no repair within the year: one window of a year */
		return tail(h, h - k, p_year);
	}
	w = repair_days / 365.0;
	/* a holder's loss within one window: 1 - (1 - p)^w */
	q = p_year >= 1.0 ? 1.0 : -expm1(w * log1p(-p_year));
	pw = tail(h, h - k, q);
	if (pw >= 1.0)
		return 1.0;
	/* lost in any of the 1/w windows of the year: 1 - (1 - pw)^(1/w) */
	return clamp01(-expm1(log1p(-pw) / w));
}

void
dur_file_init(struct dur_file *f)
{
	f->log_survive = 0.0;
}

void
dur_file_add(struct dur_file *f, double seg_loss, uint64_t count)
{
	seg_loss = clamp01(seg_loss);
	if (count == 0)
		return;
	if (seg_loss >= 1.0)
		f->log_survive = -INFINITY;
	else
		f->log_survive += (double)count * log1p(-seg_loss);
}

double
dur_file_loss(const struct dur_file *f)
{
	return clamp01(-expm1(f->log_survive));
}

double
dur_nines(double loss)
{
	double n;

	if (!(loss < 1.0)) /* NaN too: unknown is shown as the worst */
		return 0.0;
	if (loss <= 0.0)
		return DUR_NINES_MAX;
	n = -log10(loss);
	return n > DUR_NINES_MAX ? DUR_NINES_MAX : n;
}
