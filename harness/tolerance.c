/* Tolerance comparisons and streaming statistics: see tolerance.h. */
#include "tolerance.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>

#define DEFAULT_ABS_TOL 1000000 /* 0.001 in units of 10^-9 */
#define DEFAULT_ALPHA   0.001
#define LOGLIN_SUB_BITS 6 /* 64 sub-bins per power of two: 1/64 resolution */
#define LOGLIN_SUB      (1 << LOGLIN_SUB_BITS)

typedef gl_dec_uint u128;

void gl_tol_init(void)
{
	static bool done;

	if (!done) {
		gsl_set_error_handler_off();
		done = true;
	}
}

struct gl_tol_spec gl_tol_spec_default(void)
{
	struct gl_tol_spec s = {
	        .abs_tol = {DEFAULT_ABS_TOL},
	        .rel_tol = 0,
	        .drift_budget = {-1},
	        .alpha = DEFAULT_ALPHA,
	        .min_effect = {-1},
	};
	return s;
}

static int resolve_spec(struct gl_tol_spec *s)
{
	if (s->abs_tol.units < 0)
		return GL_TOL_EINVAL;
	/* !(x >= 0) also refuses NaN. */
	if (!(s->rel_tol >= 0 && s->rel_tol < 0.5))
		return GL_TOL_EINVAL;
	if (!(s->alpha > 0 && s->alpha < 1))
		return GL_TOL_EINVAL;
	if (s->drift_budget.units < 0)
		s->drift_budget = s->abs_tol;
	if (s->min_effect.units < 0)
		s->min_effect.units = s->abs_tol.units / 10;
	return 0;
}

int gl_tol_field_init(struct gl_tol_field *f, const char *name, struct gl_tol_spec spec)
{
	int rc;

	assert(f);
	assert(name);
	gl_tol_init();
	memset(f, 0, sizeof(*f));
	rc = resolve_spec(&spec);
	if (rc < 0)
		return rc;
	f->spec = spec;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->distinct = calloc(GL_TOL_EXACT_DISTINCT, sizeof(*f->distinct));
	f->distinct_count = calloc(GL_TOL_EXACT_DISTINCT, sizeof(*f->distinct_count));
	f->loglin = calloc(GL_TOL_LOGLIN_BINS, sizeof(*f->loglin));
	if (!f->distinct || !f->distinct_count || !f->loglin) {
		rc = GL_TOL_ENOMEM;
		goto fail;
	}
	f->heap_bytes =
	        GL_TOL_EXACT_DISTINCT * (sizeof(*f->distinct) + sizeof(*f->distinct_count)) +
	        GL_TOL_LOGLIN_BINS * sizeof(*f->loglin);
	return 0;
fail:
	gl_tol_field_release(f);
	return rc;
}

void gl_tol_field_release(struct gl_tol_field *f)
{
	if (!f)
		return;
	free(f->distinct);
	free(f->distinct_count);
	free(f->loglin);
	f->distinct = NULL;
	f->distinct_count = NULL;
	f->loglin = NULL;
	f->heap_bytes = 0;
}

static enum gl_verdict classify(const struct gl_tol_spec *s, struct gl_dec expected,
                                struct gl_dec actual, struct gl_dec d, bool saturated)
{
	if (saturated)
		return GL_V_OUT;
	if (d.units == 0)
		return GL_V_EXACT;
	if (gl_dec_abs(d).units <= s->abs_tol.units)
		return GL_V_WITHIN;
	/* A ratio to zero means nothing: at expected zero only the absolute
	 * tolerance applies. */
	if (s->rel_tol > 0 && expected.units != 0 &&
	    gsl_fcmp(gl_dec_to_double(actual), gl_dec_to_double(expected), s->rel_tol) == 0)
		return GL_V_WITHIN;
	return GL_V_OUT;
}

/* The bin of d in units of tol; see GL_TOL_NBINS. Each comparison is written
 * so that it cannot overflow: |d| and tol are both in [0, MAX]. */
static size_t bin_of(struct gl_dec d, struct gl_dec tol)
{
	gl_dec_int m = gl_dec_abs(d).units;
	gl_dec_int t = tol.units;
	size_t off;

	if (m == 0)
		return 4;
	if (m > t && m - t > t)
		off = 4; /* beyond 2t */
	else if (m > t)
		off = 3;
	else if (m > t - m)
		off = 2; /* beyond t/2, up to t */
	else
		off = 1;
	return d.units > 0 ? 4 + off : 4 - off;
}

static int bit_length(u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64);
	uint64_t lo = (uint64_t)v;

	if (hi)
		return 128 - __builtin_clzll(hi);
	if (lo)
		return 64 - __builtin_clzll(lo);
	return 0;
}

static size_t loglin_index(u128 v)
{
	int e;

	if (v < LOGLIN_SUB)
		return (size_t)v;
	e = bit_length(v) - 1; /* >= LOGLIN_SUB_BITS */
	return (size_t)(LOGLIN_SUB * (e - LOGLIN_SUB_BITS + 1)) +
	       (size_t)((v >> (e - LOGLIN_SUB_BITS)) - LOGLIN_SUB);
}

/* The largest value in bin i: percentiles from bins never understate. */
static u128 loglin_upper(size_t i)
{
	size_t e, sub;

	if (i < LOGLIN_SUB)
		return i;
	e = i / LOGLIN_SUB - 1 + LOGLIN_SUB_BITS;
	sub = i % LOGLIN_SUB;
	return (((u128)(LOGLIN_SUB + sub + 1)) << (e - LOGLIN_SUB_BITS)) - 1;
}

/* Index of the first distinct value >= m. */
static size_t lower_bound(const gl_dec_int *a, size_t n, gl_dec_int m)
{
	size_t lo = 0;
	size_t hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < m)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void go_coarse(struct gl_tol_field *f)
{
	for (size_t i = 0; i < f->n_distinct; i++)
		f->loglin[loglin_index((u128)f->distinct[i])] += f->distinct_count[i];
	f->coarse = 1;
}

static void record_abs(struct gl_tol_field *f, gl_dec_int m)
{
	size_t i;

	if (!f->coarse) {
		if (m == 0 && f->n_distinct > 0 && f->distinct[0] == 0) {
			f->distinct_count[0]++; /* the usual case: sorted, 0 comes first */
			return;
		}
		i = lower_bound(f->distinct, f->n_distinct, m);
		if (i < f->n_distinct && f->distinct[i] == m) {
			f->distinct_count[i]++;
			return;
		}
		if (f->n_distinct < GL_TOL_EXACT_DISTINCT) {
			size_t tail = f->n_distinct - i;
			memmove(f->distinct + i + 1, f->distinct + i, tail * sizeof(*f->distinct));
			memmove(f->distinct_count + i + 1, f->distinct_count + i,
			        tail * sizeof(*f->distinct_count));
			f->distinct[i] = m;
			f->distinct_count[i] = 1;
			f->n_distinct++;
			return;
		}
		go_coarse(f);
	}
	f->loglin[loglin_index((u128)m)]++;
}

/* Heap order: a sorts below b when it is the better candidate for eviction:
 * a smaller |diff|, or the same and later in feed order. */
static bool worse_kept(const struct gl_tol_worst *a, const struct gl_tol_worst *b)
{
	gl_dec_int ma = gl_dec_abs(a->diff).units;
	gl_dec_int mb = gl_dec_abs(b->diff).units;

	if (ma != mb)
		return ma < mb;
	return a->seq > b->seq;
}

static void swap_worst(struct gl_tol_worst *a, struct gl_tol_worst *b)
{
	struct gl_tol_worst t = *a;
	*a = *b;
	*b = t;
}

static void sift_down(struct gl_tol_worst *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1;
		size_t r = l + 1;
		size_t m = i;
		if (l < n && worse_kept(&h[l], &h[m]))
			m = l;
		if (r < n && worse_kept(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		swap_worst(&h[i], &h[m]);
		i = m;
	}
}

static void sift_up(struct gl_tol_worst *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!worse_kept(&h[i], &h[p]))
			return;
		swap_worst(&h[i], &h[p]);
		i = p;
	}
}

static void fill_worst(struct gl_tol_worst *w, const char *key, struct gl_dec expected,
                       struct gl_dec actual, struct gl_dec d, enum gl_verdict v, uint64_t seq)
{
	size_t len = strlen(key);

	w->key_cut = len >= sizeof(w->key);
	if (w->key_cut)
		len = sizeof(w->key) - 1;
	memcpy(w->key, key, len);
	w->key[len] = '\0';
	w->expected = expected;
	w->actual = actual;
	w->diff = d;
	w->verdict = v;
	w->seq = seq;
}

static void keep_worst(struct gl_tol_field *f, const char *key, struct gl_dec expected,
                       struct gl_dec actual, struct gl_dec d, enum gl_verdict v, uint64_t seq)
{
	struct gl_tol_worst probe = {.diff = d, .seq = seq};

	if (f->n_worst < GL_TOL_WORST_K) {
		fill_worst(&f->worst[f->n_worst], key, expected, actual, d, v, seq);
		sift_up(f->worst, f->n_worst);
		f->n_worst++;
		return;
	}
	/* Checked before copying the key: most cases do not enter. */
	if (!worse_kept(&f->worst[0], &probe))
		return;
	fill_worst(&f->worst[0], key, expected, actual, d, v, seq);
	sift_down(f->worst, f->n_worst, 0);
}

static struct gl_dec saturate(bool positive)
{
	struct gl_dec v = {positive ? GL_DEC_MAX_UNITS : -GL_DEC_MAX_UNITS};
	return v;
}

/* The mean and M2 of every case so far: the Welford state merged with the
 * pending run of zero differences (Chan et al.'s pairwise update with a batch
 * of mean 0 and no spread). Exact cases are the overwhelming majority of a
 * replay; batching them keeps a division per case off the hot path. */
static void moments(const struct gl_tol_field *f, double *mean, double *m2)
{
	double na = (double)f->wn;
	double k = (double)f->zeros_pending;

	*mean = f->mean;
	*m2 = f->m2;
	if (f->zeros_pending == 0 || f->wn == 0)
		return;
	double n = na + k;
	double delta = -f->mean;
	*mean = f->mean + delta * k / n;
	*m2 = f->m2 + delta * delta * na * k / n;
}

static void fold_zeros(struct gl_tol_field *f)
{
	if (f->zeros_pending == 0)
		return;
	moments(f, &f->mean, &f->m2);
	f->wn += f->zeros_pending;
	f->zeros_pending = 0;
}

/* An exact case: what gl_tol_field_add() does for d = 0, without the work
 * that cannot change anything (a zero never evicts a kept worst case, never
 * moves the sum). */
static void add_exact(struct gl_tol_field *f, const char *key, struct gl_dec value)
{
	static const struct gl_dec zero = {0};
	uint64_t seq = f->n++;

	f->n_verdict[GL_V_EXACT]++;
	if (seq == 0) {
		f->dmin = f->dmax = zero;
	} else {
		if (f->dmin.units > 0)
			f->dmin = zero;
		if (f->dmax.units < 0)
			f->dmax = zero;
	}
	if (f->wn == 0 && f->zeros_pending == 0)
		f->wn = 1; /* the first case: Welford's mean of one zero is 0 */
	else
		f->zeros_pending++;
	f->bins[4]++;
	if (!f->coarse && f->n_distinct > 0 && f->distinct[0] == 0)
		f->distinct_count[0]++; /* record_abs(f, 0) without the call, as it is usual */
	else
		record_abs(f, 0);
	if (f->n_worst < GL_TOL_WORST_K)
		keep_worst(f, key, value, value, zero, GL_V_EXACT, seq);
}

int gl_tol_field_add(struct gl_tol_field *f, const char *key, struct gl_dec expected,
                     struct gl_dec actual, enum gl_verdict *out)
{
	struct gl_dec d;
	bool sat = false;
	enum gl_verdict v;
	uint64_t seq;
	double x, delta;

	assert(f && f->distinct);
	if (!key)
		key = "";
	if (actual.units == expected.units) {
		add_exact(f, key, expected);
		if (out)
			*out = GL_V_EXACT;
		return 0;
	}
	if (gl_dec_sub(&d, actual, expected) < 0) {
		d = saturate(gl_dec_cmp(actual, expected) > 0);
		sat = true;
		f->saturated = 1;
	}
	v = classify(&f->spec, expected, actual, d, sat);
	seq = f->n++;
	f->n_verdict[v]++;
	if (d.units > 0)
		f->n_pos++;
	else if (d.units < 0)
		f->n_neg++;
	if (gl_dec_add(&f->sum, f->sum, d) < 0) {
		f->sum = saturate(d.units > 0);
		f->saturated = 1;
	}
	if (seq == 0 || gl_dec_cmp(d, f->dmin) < 0)
		f->dmin = d;
	if (seq == 0 || gl_dec_cmp(d, f->dmax) > 0)
		f->dmax = d;
	/* Welford: stable in one pass, no stored cases. */
	fold_zeros(f);
	x = gl_dec_to_double(d);
	f->wn++;
	delta = x - f->mean;
	f->mean += delta / (double)f->wn;
	f->m2 += delta * (x - f->mean);
	f->bins[bin_of(d, f->spec.abs_tol)]++;
	record_abs(f, gl_dec_abs(d).units);
	keep_worst(f, key, expected, actual, d, v, seq);
	if (out)
		*out = v;
	return 0;
}

/* ceil(p * n / 100) without overflow. */
static uint64_t rank_of(uint64_t n, unsigned p)
{
	return (n / 100) * p + ((n % 100) * p + 99) / 100;
}

static struct gl_dec percentile(const struct gl_tol_field *f, unsigned p, struct gl_dec max_abs)
{
	uint64_t r = rank_of(f->n, p);
	uint64_t seen = 0;
	struct gl_dec v = {0};

	if (!f->coarse) {
		for (size_t i = 0; i < f->n_distinct; i++) {
			seen += f->distinct_count[i];
			if (seen >= r) {
				v.units = f->distinct[i];
				return v;
			}
		}
		return max_abs;
	}
	for (size_t i = 0; i < GL_TOL_LOGLIN_BINS; i++) {
		seen += f->loglin[i];
		if (seen >= r) {
			u128 up = loglin_upper(i);
			if (up > (u128)max_abs.units)
				return max_abs;
			v.units = (gl_dec_int)up;
			return v;
		}
	}
	return max_abs;
}

/* Two-sided sign test: P(as few of the rarer sign) under p = 1/2, doubled. */
static int sign_test(double *p, uint64_t n_pos, uint64_t n_neg)
{
	uint64_t m = n_pos + n_neg;
	uint64_t k = n_pos < n_neg ? n_pos : n_neg;
	double tail;

	*p = 1;
	if (m == 0)
		return 0;
	if (m <= UINT_MAX) {
		tail = gsl_cdf_binomial_P((unsigned)k, 0.5, (unsigned)m);
	} else {
		/* Beyond GSL's unsigned counts the normal approximation is exact
		 * to many digits. */
		double z = ((double)k + 0.5 - (double)m / 2) / sqrt((double)m / 4);
		tail = gsl_cdf_ugaussian_P(z);
	}
	if (!isfinite(tail))
		return GL_TOL_EGSL;
	*p = fmin(1.0, 2 * tail);
	return 0;
}

/* One-sample t test of the mean difference against 0. */
static int t_test(double *p, int *valid, const struct gl_tol_field *f)
{
	double sd, t, tail;

	*p = 1;
	*valid = 0;
	/* All differences equal: the statistic is 0/0 or x/0; leave it to the
	 * sign test rather than let an infinity or NaN through. */
	if (f->n < 2 || f->saturated || gl_dec_cmp(f->dmin, f->dmax) == 0)
		return 0;
	double mean, m2;
	moments(f, &mean, &m2);
	sd = sqrt(m2 / (double)(f->n - 1));
	if (!(sd > 0) || !isfinite(sd))
		return 0;
	t = mean / (sd / sqrt((double)f->n));
	tail = gsl_cdf_tdist_Q(fabs(t), (double)(f->n - 1));
	if (!isfinite(tail))
		return GL_TOL_EGSL;
	*p = fmin(1.0, 2 * tail);
	*valid = 1;
	return 0;
}

/* |sum| >= min_effect * n, exactly; a zero sum is never a lean. */
static bool lean_large(const struct gl_tol_field *f)
{
	gl_dec_int need;
	gl_dec_int have = gl_dec_abs(f->sum).units;

	if (have == 0)
		return false;
	if (__builtin_mul_overflow(f->spec.min_effect.units, (gl_dec_int)f->n, &need))
		return false; /* need exceeds any representable sum */
	return have >= need;
}

/* Largest |diff| first, then feed order. */
static int cmp_worst(const void *a, const void *b)
{
	const struct gl_tol_worst *x = a;
	const struct gl_tol_worst *y = b;

	if (worse_kept(x, y))
		return 1;
	if (worse_kept(y, x))
		return -1;
	return 0;
}

int gl_tol_field_finish(struct gl_tol_summary *out, const struct gl_tol_field *f)
{
	struct gl_tol_summary s;
	int rc;

	assert(out && f);
	memset(&s, 0, sizeof(s));
	memcpy(s.name, f->name, sizeof(s.name));
	s.spec = f->spec;
	s.n = f->n;
	s.n_exact = f->n_verdict[GL_V_EXACT];
	s.n_within = f->n_verdict[GL_V_WITHIN];
	s.n_out = f->n_verdict[GL_V_OUT];
	s.n_pos = f->n_pos;
	s.n_neg = f->n_neg;
	s.n_zero = f->n - f->n_pos - f->n_neg;
	s.saturated = f->saturated;
	s.sum = f->sum;
	memcpy(s.bins, f->bins, sizeof(s.bins));
	s.percentiles_exact = !f->coarse;
	if (f->n > 0) {
		struct gl_dec lo = gl_dec_abs(f->dmin);
		struct gl_dec hi = gl_dec_abs(f->dmax);
		s.max_abs = gl_dec_cmp(lo, hi) > 0 ? lo : hi;
		double m2;
		moments(f, &s.mean, &m2);
		s.stddev = f->n > 1 ? sqrt(m2 / (double)(f->n - 1)) : 0;
		s.p50 = percentile(f, 50, s.max_abs);
		s.p95 = percentile(f, 95, s.max_abs);
		s.p99 = percentile(f, 99, s.max_abs);
	}
	s.drift_ok = !f->saturated && gl_dec_abs(f->sum).units <= f->spec.drift_budget.units;
	rc = sign_test(&s.sign_p, f->n_pos, f->n_neg);
	if (rc < 0)
		return rc;
	rc = t_test(&s.t_p, &s.t_valid, f);
	if (rc < 0)
		return rc;
	s.bias_significant = s.sign_p < f->spec.alpha || (s.t_valid && s.t_p < f->spec.alpha);
	s.bias_large = lean_large(f);
	s.bias_flagged = s.bias_significant && s.bias_large;
	memcpy(s.worst, f->worst, f->n_worst * sizeof(*s.worst));
	s.n_worst = f->n_worst;
	qsort(s.worst, s.n_worst, sizeof(*s.worst), cmp_worst);
	s.n_out_rest = s.n_out;
	for (size_t i = 0; i < s.n_worst; i++) {
		if (s.worst[i].verdict == GL_V_OUT)
			s.n_out_rest--;
	}
	s.ok = s.n > 0 && s.n_out == 0 && s.drift_ok && !s.bias_flagged && !s.saturated;
	*out = s;
	return 0;
}

const char *gl_tol_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
	case GL_TOL_EINVAL:
		return "invalid tolerance spec";
	case GL_TOL_ENOMEM:
		return "out of memory";
	case GL_TOL_EGSL:
		return "statistics gave a non-finite result";
	default:
		return "unknown tolerance error";
	}
}
