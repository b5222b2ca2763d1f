/* Tolerance verdicts and the streaming statistics that catch drift and bias. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "decimal.h"
#include "tolerance.h"

#define MAX_TEXT "170141183460469231731687303715.884105727"

static struct gl_dec dec(const char *text)
{
	struct gl_dec v = {0};
	ck_assert_int_eq(gl_dec_parse(&v, text, strlen(text)), 0);
	return v;
}

/* n units of 10^-9. */
static struct gl_dec nanos(long long n)
{
	struct gl_dec v = {n};
	return v;
}

static void assert_dec(struct gl_dec got, const char *want)
{
	char buf[GL_DEC_BUFSZ];
	ck_assert_int_eq(gl_dec_format(buf, sizeof(buf), got, 9), 0);
	ck_assert_msg(gl_dec_cmp(got, dec(want)) == 0, "want %s, got %s", want, buf);
}

/* Feed a difference against an expected value of 100. */
static enum gl_verdict feed(struct gl_tol_field *f, const char *key, struct gl_dec d)
{
	enum gl_verdict v = GL_V_EXACT;
	struct gl_dec e = dec("100");
	struct gl_dec a;
	ck_assert_int_eq(gl_dec_add(&a, e, d), 0);
	ck_assert_int_eq(gl_tol_field_add(f, key, e, a, &v), 0);
	return v;
}

static void finish(struct gl_tol_summary *s, const struct gl_tol_field *f)
{
	ck_assert_int_eq(gl_tol_field_finish(s, f), 0);
	ck_assert(isfinite(s->mean) && isfinite(s->stddev));
	ck_assert(s->sign_p >= 0 && s->sign_p <= 1);
	ck_assert(s->t_p >= 0 && s->t_p <= 1);
}

/* A deterministic generator, so the "random" tests are stable. */
static uint32_t lcg(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

START_TEST(test_spec)
{
	struct gl_tol_field f;
	struct gl_tol_spec s = gl_tol_spec_default();

	assert_dec(s.abs_tol, "0.001");
	ck_assert_int_eq(gl_tol_field_init(&f, "total", s), 0);
	assert_dec(f.spec.drift_budget, "0.001");
	assert_dec(f.spec.min_effect, "0.0001");
	ck_assert_str_eq(f.name, "total");
	gl_tol_field_release(&f);

	s.abs_tol = dec("-0.001");
	ck_assert_int_eq(gl_tol_field_init(&f, "x", s), GL_TOL_EINVAL);
	s = gl_tol_spec_default();
	s.rel_tol = 0.5;
	ck_assert_int_eq(gl_tol_field_init(&f, "x", s), GL_TOL_EINVAL);
	s.rel_tol = NAN;
	ck_assert_int_eq(gl_tol_field_init(&f, "x", s), GL_TOL_EINVAL);
	s = gl_tol_spec_default();
	s.alpha = 0;
	ck_assert_int_eq(gl_tol_field_init(&f, "x", s), GL_TOL_EINVAL);
	ck_assert_str_eq(gl_tol_strerror(GL_TOL_EINVAL), "invalid tolerance spec");
}
END_TEST

START_TEST(test_verdict_boundary)
{
	struct gl_tol_field f;
	ck_assert_int_eq(gl_tol_field_init(&f, "amount", gl_tol_spec_default()), 0);
	ck_assert_int_eq(feed(&f, "a", dec("0")), GL_V_EXACT);
	ck_assert_int_eq(feed(&f, "b", dec("0.001")), GL_V_WITHIN);
	ck_assert_int_eq(feed(&f, "c", dec("-0.001")), GL_V_WITHIN);
	ck_assert_int_eq(feed(&f, "d", dec("0.0011")), GL_V_OUT);
	ck_assert_int_eq(feed(&f, "e", dec("-0.0011")), GL_V_OUT);
	ck_assert_int_eq(feed(&f, "f", dec("0.001000001")), GL_V_OUT);
	ck_assert_int_eq(feed(&f, "g", dec("-0.001000001")), GL_V_OUT);
	ck_assert_int_eq(feed(&f, "h", dec("0.000000001")), GL_V_WITHIN);
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_relative)
{
	struct gl_tol_field f;
	struct gl_tol_spec s = gl_tol_spec_default();
	enum gl_verdict v;

	s.rel_tol = 1e-6;
	ck_assert_int_eq(gl_tol_field_init(&f, "rate", s), 0);
	/* Applied where expected is not zero: 0.5 in a million passes. */
	gl_tol_field_add(&f, "big", dec("1000000"), dec("1000000.5"), &v);
	ck_assert_int_eq(v, GL_V_WITHIN);
	gl_tol_field_add(&f, "big-neg", dec("-1000000"), dec("-1000000.5"), &v);
	ck_assert_int_eq(v, GL_V_WITHIN);
	gl_tol_field_add(&f, "too-big", dec("1000000"), dec("1000003"), &v);
	ck_assert_int_eq(v, GL_V_OUT);
	/* Never at expected zero, however small the actual value. */
	gl_tol_field_add(&f, "zero", dec("0"), dec("0.0011"), &v);
	ck_assert_int_eq(v, GL_V_OUT);
	gl_tol_field_add(&f, "zero-tiny", dec("0"), dec("0.000000001"), &v);
	ck_assert_int_eq(v, GL_V_WITHIN); /* by the absolute tolerance */
	gl_tol_field_add(&f, "to-zero", dec("5"), dec("0"), &v);
	ck_assert_int_eq(v, GL_V_OUT);
	gl_tol_field_release(&f);

	/* Without a relative tolerance the same case is out. */
	ck_assert_int_eq(gl_tol_field_init(&f, "rate", gl_tol_spec_default()), 0);
	gl_tol_field_add(&f, "big", dec("1000000"), dec("1000000.5"), &v);
	ck_assert_int_eq(v, GL_V_OUT);
	gl_tol_field_release(&f);

	/* With a zero absolute tolerance at expected zero, only exact passes. */
	s.abs_tol = dec("0");
	s.rel_tol = 0.1;
	ck_assert_int_eq(gl_tol_field_init(&f, "rate", s), 0);
	gl_tol_field_add(&f, "zero", dec("0"), dec("0.000000001"), &v);
	ck_assert_int_eq(v, GL_V_OUT);
	gl_tol_field_add(&f, "ten-pct", dec("10"), dec("10.5"), &v);
	ck_assert_int_eq(v, GL_V_WITHIN);
	gl_tol_field_release(&f);
}
END_TEST

/* Differences 0.001, -0.002, 0, 0.003, 0.0005; worked by hand:
 * sum 0.0025, mean 0.0005, squared deviations 0.25, 6.25, 0.25, 6.25, 0 (e-6)
 * sum 13e-6 over n - 1 = 4: variance 3.25e-6. Sorted |d|: 0, 0.0005, 0.001,
 * 0.002, 0.003; nearest rank p50 = 3rd, p95 = p99 = 5th. */
/* Exact cases are folded into the moments in batches: the mean and standard
 * deviation must equal a plain two-pass computation over the same data,
 * whether the zeros come first, last or in runs between other values. */
START_TEST(test_moments_with_zero_runs)
{
	static const char *const patterns[] = {"0000xx0x000x", "x000000000x0", "xxxx0000", "0000",
	                                       "0x0x0x0x0x0x0x"};
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		struct gl_tol_field f;
		struct gl_tol_summary s;
		double xs[64];
		size_t n = 0;
		const char *values[] = {"0.001", "-0.0007", "0.0125", "-0.003"};
		size_t next = 0;

		ck_assert_int_eq(gl_tol_field_init(&f, "m", gl_tol_spec_default()), 0);
		for (const char *c = patterns[p]; *c; c++) {
			const char *v = *c == '0' ? "0" : values[next++ % 4];
			feed(&f, "k", dec(v));
			xs[n++] = strtod(v, NULL);
		}
		finish(&s, &f);
		double mean = 0, ss = 0;
		for (size_t i = 0; i < n; i++)
			mean += xs[i];
		mean /= (double)n;
		for (size_t i = 0; i < n; i++)
			ss += (xs[i] - mean) * (xs[i] - mean);
		ck_assert_uint_eq(s.n, n);
		ck_assert_double_eq_tol(s.mean, mean, 1e-15);
		ck_assert_double_eq_tol(s.stddev, n > 1 ? sqrt(ss / (double)(n - 1)) : 0, 1e-15);
		gl_tol_field_release(&f);
	}
}
END_TEST

START_TEST(test_stats_known)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	uint64_t want_bins[GL_TOL_NBINS] = {0, 1, 0, 0, 1, 1, 1, 0, 1};

	ck_assert_int_eq(gl_tol_field_init(&f, "fee", gl_tol_spec_default()), 0);
	feed(&f, "k1", dec("0.001"));
	feed(&f, "k2", dec("-0.002"));
	feed(&f, "k3", dec("0"));
	feed(&f, "k4", dec("0.003"));
	feed(&f, "k5", dec("0.0005"));
	finish(&s, &f);

	ck_assert_str_eq(s.name, "fee");
	ck_assert_uint_eq(s.n, 5);
	ck_assert_uint_eq(s.n_exact, 1);
	ck_assert_uint_eq(s.n_within, 2);
	ck_assert_uint_eq(s.n_out, 2);
	ck_assert_uint_eq(s.n_pos, 3);
	ck_assert_uint_eq(s.n_neg, 1);
	ck_assert_uint_eq(s.n_zero, 1);
	assert_dec(s.sum, "0.0025");
	assert_dec(s.max_abs, "0.003");
	ck_assert_double_eq_tol(s.mean, 0.0005, 1e-15);
	ck_assert_double_eq_tol(s.stddev, sqrt(3.25e-6), 1e-12);
	ck_assert(s.percentiles_exact);
	assert_dec(s.p50, "0.001");
	assert_dec(s.p95, "0.003");
	assert_dec(s.p99, "0.003");
	for (size_t i = 0; i < GL_TOL_NBINS; i++)
		ck_assert_msg(s.bins[i] == want_bins[i], "bin %zu", i);

	ck_assert_uint_eq(s.n_worst, 5);
	ck_assert_str_eq(s.worst[0].key, "k4");
	ck_assert_str_eq(s.worst[1].key, "k2");
	ck_assert_str_eq(s.worst[2].key, "k1");
	ck_assert_str_eq(s.worst[3].key, "k5");
	ck_assert_str_eq(s.worst[4].key, "k3");
	assert_dec(s.worst[1].diff, "-0.002");
	assert_dec(s.worst[1].expected, "100");
	assert_dec(s.worst[1].actual, "99.998");
	ck_assert_int_eq(s.worst[1].verdict, GL_V_OUT);
	ck_assert_uint_eq(s.worst[1].seq, 1);
	ck_assert_uint_eq(s.n_out_rest, 0);
	ck_assert(!s.drift_ok); /* 0.0025 > 0.001 */
	ck_assert(!s.ok);
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_bins_edges)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	/* Each edge falls on the side of the smaller magnitude, as the verdict. */
	const char *d[] = {"-0.002000001", "-0.002", "-0.001", "-0.0005",    "0",
	                   "0.0005",       "0.001",  "0.002",  "0.002000001"};
	uint64_t want[GL_TOL_NBINS] = {1, 2, 1, 1, 1, 1, 1, 1, 1};

	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		feed(&f, d[i], dec(d[i]));
	feed(&f, "-0.0015", dec("-0.0015"));
	feed(&f, "0.0015", dec("0.0015"));
	want[7]++;
	finish(&s, &f);
	for (size_t i = 0; i < GL_TOL_NBINS; i++)
		ck_assert_msg(s.bins[i] == want[i], "bin %zu: want %llu, got %llu", i,
		              (unsigned long long)want[i], (unsigned long long)s.bins[i]);
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_worst_k)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	char key[32];

	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	/* i * 0.0001 for i = 1..100 in a scrambled order; 11..100 are out. */
	for (int j = 0; j < 100; j++) {
		int i = (j * 37) % 101;
		if (i == 0)
			i = 101 - 37; /* 64: 37 * j never hits it otherwise */
		snprintf(key, sizeof(key), "k%d", i);
		feed(&f, key, nanos(100000LL * i));
	}
	finish(&s, &f);
	ck_assert_uint_eq(s.n, 100);
	ck_assert_uint_eq(s.n_out, 90);
	ck_assert_uint_eq(s.n_worst, GL_TOL_WORST_K);
	for (int r = 0; r < GL_TOL_WORST_K; r++) {
		snprintf(key, sizeof(key), "k%d", 100 - r);
		ck_assert_str_eq(s.worst[r].key, key);
	}
	ck_assert_uint_eq(s.n_out_rest, 70);
	assert_dec(s.max_abs, "0.01");
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_worst_ties_and_keys)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	char key[300];
	char name[40];

	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "t%02d", i);
		feed(&f, name, dec("0.005"));
	}
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	feed(&f, key, dec("-0.007"));
	finish(&s, &f);
	ck_assert(s.worst[0].key_cut);
	ck_assert_uint_eq(strlen(s.worst[0].key), GL_TOL_KEY_MAX - 1);
	/* Equal differences keep the earliest cases, in feed order. */
	for (int r = 1; r < GL_TOL_WORST_K; r++) {
		snprintf(name, sizeof(name), "t%02d", r - 1);
		ck_assert_str_eq(s.worst[r].key, name);
		ck_assert(!s.worst[r].key_cut);
	}
	ck_assert_uint_eq(s.n_out_rest, 31 - GL_TOL_WORST_K);
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_percentiles_exact)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	uint32_t st = 7;

	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	/* |d| = 0.001 .. 1.000, signs scrambled, fed in a scrambled order. */
	for (int j = 0; j < 1000; j++) {
		int i = (j * 367) % 1000 + 1;
		long long u = 1000000LL * i;
		feed(&f, "k", nanos(lcg(&st) & 1 ? u : -u));
	}
	finish(&s, &f);
	ck_assert(s.percentiles_exact);
	assert_dec(s.p50, "0.5");
	assert_dec(s.p95, "0.95");
	assert_dec(s.p99, "0.99");
	assert_dec(s.max_abs, "1");
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_percentiles_coarse)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;

	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	/* More distinct values than the exact table holds: 1..10000 units,
	 * and the largest representable difference in the top bin. */
	for (long long i = 10000; i >= 1; i--)
		feed(&f, "k", nanos(i));
	gl_tol_field_add(&f, "max", dec("0"), dec(MAX_TEXT), NULL);
	finish(&s, &f);
	ck_assert(!s.percentiles_exact);
	/* n = 10001: ranks 5001, 9501, 9901. Never below the true value, at
	 * most 1/64 above. */
	ck_assert(s.p50.units >= 5001 && s.p50.units <= 5001 + 5001 / 64);
	ck_assert(s.p95.units >= 9501 && s.p95.units <= 9501 + 9501 / 64);
	ck_assert(s.p99.units >= 9901 && s.p99.units <= 9901 + 9901 / 64);
	assert_dec(s.max_abs, MAX_TEXT);
	ck_assert_str_eq(s.worst[0].key, "max");
	ck_assert_uint_eq(s.n_out, 1);
	gl_tol_field_release(&f);

	/* Small values stay exact even in coarse mode. */
	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	for (long long i = 1; i <= 10000; i++)
		feed(&f, "k", nanos(i % 2 ? 7 : 1000000 + i));
	finish(&s, &f);
	ck_assert(!s.percentiles_exact);
	ck_assert(s.p50.units == 7);
	gl_tol_field_release(&f);
}
END_TEST

/* Ten thousand cases each off by +0.0004: every one passes, the total is off
 * by 4.0. */
START_TEST(test_drift_one_way)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;

	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(feed(&f, "k", dec("0.0004")), GL_V_WITHIN);
	finish(&s, &f);
	ck_assert_uint_eq(s.n_out, 0);
	ck_assert_uint_eq(s.n_within, 10000);
	assert_dec(s.sum, "4");
	ck_assert(!s.drift_ok);
	/* All equal: no t test, the sign test judges. */
	ck_assert(!s.t_valid);
	ck_assert(s.sign_p < 1e-100);
	ck_assert(s.bias_flagged);
	ck_assert(!s.ok);
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_drift_alternating)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;

	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	for (int i = 0; i < 10000; i++)
		feed(&f, "k", dec(i % 2 ? "-0.0004" : "0.0004"));
	finish(&s, &f);
	assert_dec(s.sum, "0");
	ck_assert(s.drift_ok);
	ck_assert_double_eq(s.sign_p, 1);
	ck_assert(s.t_valid);
	ck_assert(s.t_p > 0.9);
	ck_assert(!s.bias_flagged);
	ck_assert(s.ok);
	gl_tol_field_release(&f);
}
END_TEST

/* Round half up where the golden rounds half to even: half the cases exact,
 * half off by +0.001, each within tolerance. */
START_TEST(test_bias_half_up)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	struct gl_tol_spec spec = gl_tol_spec_default();

	spec.drift_budget = dec("1000"); /* isolate the bias verdict */
	ck_assert_int_eq(gl_tol_field_init(&f, "x", spec), 0);
	for (int i = 0; i < 10000; i++)
		feed(&f, "k", dec(i % 2 ? "0.001" : "0"));
	finish(&s, &f);
	ck_assert_uint_eq(s.n_out, 0);
	ck_assert(s.drift_ok);
	ck_assert(s.sign_p < 1e-100);
	ck_assert(s.t_valid);
	ck_assert(s.t_p < 1e-10);
	ck_assert(s.bias_significant);
	ck_assert(s.bias_large);
	ck_assert(s.bias_flagged);
	ck_assert(!s.ok);
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_bias_symmetric_noise)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	struct gl_tol_spec spec = gl_tol_spec_default();
	uint32_t st = 12345;

	/* sqrt(n) drift of honest noise needs a budget that grows with n. */
	spec.drift_budget = dec("1");
	ck_assert_int_eq(gl_tol_field_init(&f, "x", spec), 0);
	for (int i = 0; i < 10000; i++) {
		long long step = (long long)(lcg(&st) % 11) - 5; /* -5..5 */
		feed(&f, "k", nanos(step * 100000));             /* -0.0005..0.0005 */
	}
	finish(&s, &f);
	ck_assert_uint_eq(s.n_out, 0);
	ck_assert(s.t_valid);
	ck_assert(!s.bias_flagged);
	ck_assert(s.drift_ok);
	ck_assert(s.ok);
	gl_tol_field_release(&f);
}
END_TEST

/* Significant but tiny: a lean far below the minimum effect is not flagged. */
START_TEST(test_bias_small_effect)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	struct gl_tol_spec spec = gl_tol_spec_default();

	spec.drift_budget = dec("1");
	ck_assert_int_eq(gl_tol_field_init(&f, "x", spec), 0);
	for (int i = 0; i < 10000; i++)
		feed(&f, "k", dec("0.000000001"));
	finish(&s, &f);
	ck_assert(s.bias_significant);
	ck_assert(!s.bias_large);
	ck_assert(!s.bias_flagged);
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_degenerate)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;

	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	finish(&s, &f);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_double_eq(s.sign_p, 1);
	ck_assert_double_eq(s.t_p, 1);
	ck_assert(!s.bias_flagged);
	ck_assert(s.drift_ok);
	ck_assert(!s.ok); /* no cases is no evidence */
	ck_assert_uint_eq(s.n_worst, 0);

	feed(&f, "one", dec("0.0005"));
	finish(&s, &f);
	ck_assert_double_eq(s.stddev, 0);
	ck_assert_double_eq(s.sign_p, 1);
	ck_assert(!s.t_valid);
	ck_assert(!s.bias_flagged);
	ck_assert(s.ok);
	assert_dec(s.p50, "0.0005");

	feed(&f, "two", dec("0.0005"));
	finish(&s, &f);
	ck_assert(!s.t_valid); /* zero variance */
	ck_assert_double_eq_tol(s.sign_p, 0.5, 1e-12);
	ck_assert(!s.bias_flagged);
	gl_tol_field_release(&f);

	/* All exact: nothing leans. */
	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	for (int i = 0; i < 100; i++)
		feed(&f, "k", dec("0"));
	finish(&s, &f);
	ck_assert_uint_eq(s.n_exact, 100);
	ck_assert(!s.t_valid);
	ck_assert_double_eq(s.sign_p, 1);
	ck_assert(s.ok);
	gl_tol_field_release(&f);
}
END_TEST

START_TEST(test_saturated)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	struct gl_tol_spec spec = gl_tol_spec_default();
	enum gl_verdict v;

	spec.abs_tol = dec(MAX_TEXT); /* even the widest tolerance */
	ck_assert_int_eq(gl_tol_field_init(&f, "x", spec), 0);
	gl_tol_field_add(&f, "wild", dec("-" MAX_TEXT), dec(MAX_TEXT), &v);
	ck_assert_int_eq(v, GL_V_OUT);
	finish(&s, &f);
	ck_assert(s.saturated);
	ck_assert(!s.drift_ok);
	ck_assert(!s.ok);
	ck_assert_str_eq(s.worst[0].key, "wild");
	gl_tol_field_release(&f);
}
END_TEST

/* A million cases: the heap blocks are those of init, nothing grows (and ASan
 * sees every access). */
START_TEST(test_memory_flat)
{
	struct gl_tol_field f;
	struct gl_tol_summary s;
	size_t bytes;
	char key[32];
	uint32_t st = 99;
	long bad = 0;

	ck_assert_int_eq(gl_tol_field_init(&f, "x", gl_tol_spec_default()), 0);
	bytes = f.heap_bytes;
	ck_assert_uint_gt(bytes, 0);
	ck_assert_uint_lt(bytes, 256 * 1024);
	/* No ck_assert in the loop: each one writes to Check's pipe. */
	for (long i = 0; i < 1000000; i++) {
		struct gl_dec e = {(gl_dec_int)i * GL_DEC_SCALE};
		struct gl_dec a = e;
		a.units += ((long long)(lcg(&st) % 2001) - 1000) * 1000;
		snprintf(key, sizeof(key), "case-%ld", i);
		bad += gl_tol_field_add(&f, key, e, a, NULL) != 0;
	}
	ck_assert_int_eq(bad, 0);
	ck_assert_uint_eq(f.heap_bytes, bytes);
	finish(&s, &f);
	ck_assert_uint_eq(s.n, 1000000);
	ck_assert(s.percentiles_exact); /* 1001 distinct magnitudes */
	ck_assert_uint_eq(s.n_worst, GL_TOL_WORST_K);
	assert_dec(s.max_abs, "0.001");
	gl_tol_field_release(&f);
}
END_TEST

Suite *tolerance_suite(void)
{
	Suite *s = suite_create("tolerance");
	TCase *tc = tcase_create("verdict");
	tcase_add_test(tc, test_spec);
	tcase_add_test(tc, test_verdict_boundary);
	tcase_add_test(tc, test_relative);
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_add_test(tc, test_stats_known);
	tcase_add_test(tc, test_moments_with_zero_runs);
	tcase_add_test(tc, test_bins_edges);
	tcase_add_test(tc, test_worst_k);
	tcase_add_test(tc, test_worst_ties_and_keys);
	tcase_add_test(tc, test_percentiles_exact);
	tcase_add_test(tc, test_percentiles_coarse);
	tcase_add_test(tc, test_degenerate);
	tcase_add_test(tc, test_saturated);
	suite_add_tcase(s, tc);

	tc = tcase_create("drift_bias");
	tcase_add_test(tc, test_drift_one_way);
	tcase_add_test(tc, test_drift_alternating);
	tcase_add_test(tc, test_bias_half_up);
	tcase_add_test(tc, test_bias_symmetric_noise);
	tcase_add_test(tc, test_bias_small_effect);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_memory_flat);
	suite_add_tcase(s, tc);
	return s;
}
