/* See sample.h. The replay suite's cases, properties and texts have the
 * shapes harness/replay.c gives them. */
#include "sample.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

static void set_case(struct gl_suite_result *s, size_t i, const char *name, unsigned line,
                     enum gl_outcome out, const char *message, const char *detail)
{
	struct gl_case *c = &s->cases[i];
	char id[512];

	snprintf(id, sizeof id, "%s/%s", s->name, name);
	c->id = xstrdup(id);
	c->classname = xstrdup(s->name);
	c->name = xstrdup(name);
	c->file = xstrdup(s->file);
	c->line = line;
	c->outcome = out;
	c->message = xstrdup(message);
	c->detail = xstrdup(detail);
	c->seconds = 0.004 * (double)(i + 1);
}

static void set_http(struct gl_case *c, const char *method, const char *url, long status)
{
	c->method = xstrdup(method);
	c->url = xstrdup(url);
	c->status = status;
}

static void add_prop(struct gl_suite_result *s, const char *name, const char *value)
{
	s->props[s->n_props].name = xstrdup(name);
	s->props[s->n_props].value = xstrdup(value);
	s->n_props++;
}

static void field_props(struct gl_suite_result *s, const char *field, const char *const v[12])
{
	static const char *const suffix[] = {"count", "exact",  "within",  "out",
	                                     "mean",  "stddev", "max_abs", "p50",
	                                     "p95",   "p99",    "sum",     "histogram"};
	char name[256];

	for (size_t i = 0; i < 12; i++) {
		snprintf(name, sizeof name, "replay.%s.%s", field, suffix[i]);
		add_prop(s, name, v[i]);
	}
}

static void smoke(struct gl_suite_result *s, time_t started)
{
	s->name = xstrdup("smoke");
	s->file = xstrdup("suites/smoke.json");
	s->digest =
	        xstrdup("sha256:3f1b0c9d2e7a4b6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e");
	s->started = started;
	s->seconds = 0.214;
	s->n_cases = 5;
	s->cases = xcalloc(s->n_cases, sizeof *s->cases);
	set_case(s, 0, "health", 12, GL_OUT_PASS, NULL, NULL);
	set_http(&s->cases[0], "GET", "http://127.0.0.1:8080/health", 200);
	set_case(s, 1, "version", 24, GL_OUT_FAIL,
	         "$.version: expected \"2.4.0\", got \"2.3.9\" (GET http://127.0.0.1:8080/health)",
	         "$.version: expected \"2.4.0\", got \"2.3.9\"\n"
	         "body: {\"status\":\"ok\",\"version\":\"2.3.9\"}");
	set_http(&s->cases[1], "GET", "http://127.0.0.1:8080/health", 200);
	set_case(s, 2, "quote-flow/login", 40, GL_OUT_ERROR,
	         "connection refused (POST http://127.0.0.1:8080/login)", NULL);
	set_http(&s->cases[2], "POST", "http://127.0.0.1:8080/login", 0);
	set_case(s, 3, "quote-flow/whoami", 52, GL_OUT_SKIP, "skipped: step 'login' failed", NULL);
	set_case(s, 4, "pricing-page", 70, GL_OUT_PASS, NULL, NULL);
	set_http(&s->cases[4], "GET", "http://127.0.0.1:8080/api/prices", 200);
}

static void replay(struct gl_suite_result *s, time_t started)
{
	static const char *const total[12] = {
	        "1000",   "982", "18", "0",      "2.1e-06", "0.000143",
	        "0.0009", "0",   "0",  "0.0007", "+0.0021", "0,0,3,6,982,5,4,0,0",
	};
	static const char *const tax[12] = {
	        "1000",  "941", "52",     "7",     "0.000231", "0.00214",
	        "0.041", "0",   "0.0008", "0.012", "+0.231",   "2,1,9,14,941,19,7,3,4",
	};
	s->name = xstrdup("costs-replay");
	s->file = xstrdup("suites/costs-replay.json");
	s->digest =
	        xstrdup("sha256:9a8b7c6d5e4f30211f2e3d4c5b6a79880f1e2d3c4b5a69788796a5b4c3d2e1f0");
	s->started = started + 1;
	s->seconds = 3.75;
	s->n_cases = 7;
	s->cases = xcalloc(s->n_cases, sizeof *s->cases);
	set_case(s, 0, "total within tolerance", 18, GL_OUT_PASS, NULL, NULL);
	set_case(s, 1, "total drift", 18, GL_OUT_PASS, NULL,
	         "sum of signed differences: +0.0021\nbudget: 0.01\n"
	         "cases: 1000 (10 up, 8 down, 982 exact)");
	set_case(s, 2, "total bias", 18, GL_OUT_PASS, NULL,
	         "sign test p = 0.815 (10 up, 8 down)\nt test p = 0.64\nalpha = 0.001\n"
	         "mean difference = +2.1e-06\nminimum effect = 0.0001\n"
	         "significant: no, large enough: no");
	set_case(s, 3, "tax within tolerance", 24, GL_OUT_FAIL,
	         "7 of 1000 cases out of tolerance 0.001; worst: quote-0412 expected 118.40 got "
	         "118.441 (diff +0.041)",
	         "key\texpected\tactual\tdiff\tverdict\n"
	         "quote-0412\t118.40\t118.441\t+0.041\tout\n"
	         "quote-0077\t9.99\t9.978\t-0.012\tout\n"
	         "quote-0803\t45.00\t45.0045\t+0.0045\tout\n"
	         "quote-0138\t12.50\t12.503\t+0.003\tout\n"
	         "quote-0990\t3.30\t3.2978\t-0.0022\tout\n"
	         "quote-0555\t70.00\t70.0016\t+0.0016\tout\n"
	         "quote-0021\t8.10\t8.1012\t+0.0012\tout\n"
	         "quote-0302\t5.55\t5.5509\t+0.0009\twithin");
	set_case(s, 4, "tax drift", 24, GL_OUT_FAIL,
	         "drift +0.231 over 1000 cases exceeds the budget 0.05",
	         "sum of signed differences: +0.231\nbudget: 0.05\n"
	         "cases: 1000 (33 up, 26 down, 941 exact)");
	set_case(s, 5, "tax bias", 24, GL_OUT_PASS, NULL,
	         "sign test p = 0.435 (33 up, 26 down)\nt test p = 0.73\nalpha = 0.001\n"
	         "mean difference = +0.000231\nminimum effect = 0.0001\n"
	         "significant: no, large enough: yes");
	set_case(s, 6, "completeness", 10, GL_OUT_PASS, NULL, NULL);

	s->props = xcalloc(40, sizeof *s->props);
	add_prop(s, "replay.golden_digest",
	         "sha256:0d1e2f3a4b5c6d7e8f9001a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9001a2b");
	field_props(s, "total", total);
	field_props(s, "tax", tax);
	add_prop(s, "replay.rows.cases", "1000");
	add_prop(s, "replay.rows.golden", "1000");
	add_prop(s, "replay.rows.produced", "1000");
	add_prop(s, "replay.rows.exact", "938");
	add_prop(s, "replay.rows.within", "55");
	add_prop(s, "replay.rows.out", "7");
	add_prop(s, "replay.rows.missing", "0");
	add_prop(s, "replay.rows.unexpected", "0");
	add_prop(s, "replay.rows.unparsable", "0");
	add_prop(s, "replay.rows.errors", "0");
}

struct gl_run_result *html_sample_run(void)
{
	struct gl_run_result *r = xcalloc(1, sizeof *r);

	r->env_name = xstrdup("preprod");
	r->base_url = xstrdup("https://costs.preprod.example.internal");
	r->reported_version = xstrdup("2.3.9");
	r->harness_version = xstrdup("0.1.0");
	r->started = 1795316490; /* 2026-11-22T03:01:30Z */
	r->finished = r->started + 5;
	r->n_suites = 2;
	r->suites = xcalloc(r->n_suites, sizeof *r->suites);
	/* the replay suite first, so that a screenshot of the page's first
	 * 2000 pixels shows its histograms */
	replay(&r->suites[0], r->started);
	smoke(&r->suites[1], r->started);
	return r;
}
