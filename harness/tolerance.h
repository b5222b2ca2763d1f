/* Tolerance comparisons and streaming statistics for one output field.
 *
 * The replay feeds every case of a field, one at a time, as (key, expected,
 * actual) decimals; this module classifies each case and keeps statistics of
 * the signed differences (actual - expected) in memory that does not grow with
 * the number of cases: everything is allocated by gl_tol_field_init() and
 * nothing after, so a million cases cost what ten do.
 *
 * It is the only module that uses GSL. GSL's default error handler aborts;
 * gl_tol_init() turns it off (gl_tol_field_init() calls it) and every GSL
 * result is checked here. No GSL type leaves this module.
 *
 * What decides a pass, in order:
 *  - the per-case verdict: exact, or within the absolute tolerance (exact
 *    decimal arithmetic, inclusive), or within the relative tolerance
 *    (gsl_fcmp, in double; only when one is set, and NEVER when the expected
 *    value is zero, where a ratio means nothing);
 *  - drift: |exact sum of the signed differences| <= the drift budget
 *    (default: the absolute tolerance). Ten thousand cases each off by
 *    +0.0004 pass one by one but drift by 4.0. Note that the budget does not
 *    grow with the number of cases: honest random rounding noise drifts like
 *    sqrt(n), so set a larger budget for fields that are not expected to be
 *    reproduced exactly;
 *  - bias: flagged when the differences lean one way BOTH significantly
 *    (sign test or t test p-value < alpha) AND by enough to matter (|mean| >=
 *    the minimum effect, compared exactly as |sum| >= min_effect * n).
 * gl_tol_summary.ok combines them. */
#ifndef GL_TOLERANCE_H
#define GL_TOLERANCE_H

#include <stddef.h>
#include <stdint.h>

#include "decimal.h"

/* The verdict on one case (named apart from suite.h's enum gl_cmp). */
enum gl_verdict {
	GL_V_EXACT,  /* actual == expected, exactly */
	GL_V_WITHIN, /* inside the absolute or the relative tolerance */
	GL_V_OUT,    /* outside both */
};

struct gl_tol_spec {
	struct gl_dec abs_tol; /* >= 0; default 0.001 */
	/* 0 = none (default). Else in (0, 0.5): a ratio such as 1e-6, compared
	 * with gsl_fcmp(), whose scale is the power of two bracketing the larger
	 * operand, so the effective ratio is between rel_tol and 2 * rel_tol.
	 * For non-money fields (rates, ratios); it runs in double. */
	double rel_tol;
	struct gl_dec drift_budget; /* >= 0; < 0 means "abs_tol" (default) */
	double alpha;               /* significance of the bias tests, in (0, 1); 0.001 */
	/* Smallest |mean difference| that counts as bias; < 0 means abs_tol / 10
	 * (default; 0.0001 for the default tolerance). A significant lean of less
	 * than a tenth of the field's resolution is noise in practice, and its
	 * total effect is still caught by the drift budget. */
	struct gl_dec min_effect;
};

/* Bins of the differences in units of the absolute tolerance t, symmetric and
 * closed on the side of the larger magnitude so that a boundary at exactly one
 * tolerance lands in the same bin as its verdict (|d| <= t is within):
 *   [0] d < -2t   [1] -2t <= d < -t   [2] -t <= d < -t/2   [3] -t/2 <= d < 0
 *   [4] d == 0
 *   [5] 0 < d <= t/2   [6] t/2 < d <= t   [7] t < d <= 2t   [8] 2t < d
 * Classified with exact decimal arithmetic, not a gsl_histogram of doubles,
 * for that reason. With t = 0 every non-zero difference is in [0] or [8]. */
#define GL_TOL_NBINS 9

#define GL_TOL_WORST_K  20  /* worst cases kept per field */
#define GL_TOL_KEY_MAX  128 /* bytes of a case key kept, with the NUL */
#define GL_TOL_NAME_MAX 128 /* bytes of a field name kept, with the NUL */

/* Percentiles are exact while the absolute differences take at most this
 * many distinct values (they sit on a 0.001 grid in practice). Past that they
 * come from a log-linear histogram of 64 sub-bins per power of two of the
 * 10^-9 units: each reported percentile is then the upper edge of its bin
 * (capped at the exact maximum), never below the true value and at most
 * 1/64 (1.6%) above it. gl_tol_summary.percentiles_exact says which. */
#define GL_TOL_EXACT_DISTINCT 4096
#define GL_TOL_LOGLIN_BINS    (64 * 122) /* 64 exact, then 64 per power of two */

struct gl_tol_worst {
	char key[GL_TOL_KEY_MAX]; /* cut to GL_TOL_KEY_MAX - 1 bytes */
	int key_cut;              /* the key was longer */
	struct gl_dec expected, actual;
	struct gl_dec diff; /* actual - expected, saturated if it overflowed */
	enum gl_verdict verdict;
	uint64_t seq; /* 0-based position in feed order */
};

/* Working state of one field. Opaque in spirit: use the functions. Owns the
 * heap blocks allocated by gl_tol_field_init(); gl_tol_field_release() frees
 * them. heap_bytes is fixed at init. */
struct gl_tol_field {
	char name[GL_TOL_NAME_MAX];
	struct gl_tol_spec spec; /* defaults resolved */
	uint64_t n, n_verdict[3], n_pos, n_neg;
	int saturated; /* a difference or the sum overflowed */
	struct gl_dec sum, dmin, dmax;
	double mean, m2;        /* Welford, over gl_dec_to_double(diff), of the first wn cases */
	uint64_t wn;            /* cases folded into mean and m2 */
	uint64_t zeros_pending; /* exact cases since, folded in at once (see moments()) */
	uint64_t bins[GL_TOL_NBINS];
	gl_dec_int *distinct;     /* sorted |diff| units, GL_TOL_EXACT_DISTINCT */
	uint64_t *distinct_count; /* parallel to distinct */
	size_t n_distinct;
	int coarse;                                /* switched to the log-linear histogram */
	uint64_t *loglin;                          /* GL_TOL_LOGLIN_BINS counts */
	struct gl_tol_worst worst[GL_TOL_WORST_K]; /* min-heap on |diff| */
	size_t n_worst;
	size_t heap_bytes;
};

struct gl_tol_summary {
	char name[GL_TOL_NAME_MAX];
	struct gl_tol_spec spec; /* as used: defaults resolved */
	uint64_t n;
	uint64_t n_exact, n_within, n_out;
	uint64_t n_pos, n_neg, n_zero; /* signs of the differences */
	/* A difference or the sum did not fit (see decimal.h): sum and max_abs
	 * are saturated bounds, drift and ok fail. */
	int saturated;
	struct gl_dec sum;           /* exact sum of the signed differences */
	struct gl_dec max_abs;       /* exact; its case is worst[0] */
	double mean;                 /* of the signed differences; 0 when n == 0 */
	double stddev;               /* sample (n - 1); 0 when n < 2 */
	int percentiles_exact;       /* see GL_TOL_EXACT_DISTINCT; 1 when n == 0 */
	struct gl_dec p50, p95, p99; /* of |diff|, nearest rank; 0 when n == 0 */
	uint64_t bins[GL_TOL_NBINS];
	int drift_ok; /* |sum| <= spec.drift_budget and not saturated */
	/* Two-sided p-values; 1 when there is nothing to test. The t test needs
	 * n >= 2 and differences that are not all equal (t_valid); when they are
	 * all equal and non-zero, the sign test alone judges. */
	double sign_p, t_p;
	int t_valid;
	/* sign_p < alpha or (t_valid and t_p < alpha). At the default alpha
	 * the sign test alone needs 11 same-signed differences (p = 2^-10). */
	int bias_significant;
	int bias_large;   /* |sum| >= min_effect * n, exactly */
	int bias_flagged; /* both */
	/* The cases with the largest |diff|, largest first; ties keep the
	 * earlier case. Within-tolerance cases count too. */
	struct gl_tol_worst worst[GL_TOL_WORST_K];
	size_t n_worst;
	uint64_t n_out_rest; /* out-of-tolerance cases not listed in worst */
	/* The field passes: n > 0 (no cases is no evidence), n_out == 0,
	 * drift_ok and not bias_flagged. */
	int ok;
};

/* Errors. */
enum {
	GL_TOL_EINVAL = -1, /* a spec value out of its documented range */
	GL_TOL_ENOMEM = -2,
	GL_TOL_EGSL = -3, /* GSL gave a non-finite result */
};

/* Turn GSL's aborting error handler off. Idempotent; gl_tol_field_init()
 * calls it. GSL's handler is process-wide: call it from the main thread before
 * any worker starts using this module. */
void gl_tol_init(void);

/* The default spec: 0.001 absolute, no relative, drift budget and minimum
 * effect from the tolerance, alpha 0.001. */
struct gl_tol_spec gl_tol_spec_default(void);

/* Prepare f for a field named name (copied, cut to GL_TOL_NAME_MAX - 1).
 * Returns 0, GL_TOL_EINVAL for a bad spec, GL_TOL_ENOMEM; on failure f needs
 * no release. On success the caller owns f's heap blocks: call
 * gl_tol_field_release(). */
int gl_tol_field_init(struct gl_tol_field *f, const char *name, struct gl_tol_spec spec);

/* Feed one case; key is copied (cut to GL_TOL_KEY_MAX - 1) only when the case
 * enters the worst list. *out (may be NULL) gets the verdict. Never
 * allocates. A difference too large to represent is GL_V_OUT and marks the
 * field saturated. Returns 0 (the signature keeps room for errors). */
int gl_tol_field_add(struct gl_tol_field *f, const char *key, struct gl_dec expected,
                     struct gl_dec actual, enum gl_verdict *out);

/* Fill *out (plain data, no pointers, nothing to free) from f; f is not
 * changed and more cases may follow. Returns 0 or GL_TOL_EGSL. */
int gl_tol_field_finish(struct gl_tol_summary *out, const struct gl_tol_field *f);

/* Free f's heap blocks; f may then be initialised again. */
void gl_tol_field_release(struct gl_tol_field *f);

/* "invalid tolerance spec", ... for a GL_TOL_E* code. */
const char *gl_tol_strerror(int code);

#endif
