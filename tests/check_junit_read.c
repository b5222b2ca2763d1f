/* Reading JUnit back, merging reports, and choosing what to rerun. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "diag.h"
#include "junit_read.h"
#include "merge.h"
#include "redact.h"
#include "report.h"
#include "result.h"

/* ---- building results ---- */

static char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

static struct gl_run_result *new_run(size_t n_suites)
{
	struct gl_run_result *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->env_name = xstrdup("local");
	r->base_url = xstrdup("http://127.0.0.1:8080");
	r->harness_version = xstrdup("0.1.0");
	r->started = 1795316490; /* 2026-11-22T03:01:30Z */
	r->finished = r->started + 1;
	r->n_suites = n_suites;
	r->suites = calloc(n_suites ? n_suites : 1, sizeof(*r->suites));
	ck_assert_ptr_nonnull(r->suites);
	return r;
}

#define DIGEST_A "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DIGEST_B "sha256:0000000000000000000000000000000000000000000000000000000000000000"

static struct gl_suite_result *init_suite(struct gl_run_result *r, size_t i, const char *name,
                                          size_t n_cases)
{
	struct gl_suite_result *s = &r->suites[i];
	char file[256];
	snprintf(file, sizeof(file), "suites/%s.json", name);
	s->name = xstrdup(name);
	s->file = xstrdup(file);
	s->digest = xstrdup(DIGEST_A);
	s->n_cases = n_cases;
	s->cases = calloc(n_cases ? n_cases : 1, sizeof(*s->cases));
	ck_assert_ptr_nonnull(s->cases);
	s->seconds = 0.12;
	s->started = r->started;
	return s;
}

static void set_case_cls(struct gl_suite_result *s, size_t i, const char *classname,
                         const char *name, enum gl_outcome out, const char *message,
                         const char *detail)
{
	struct gl_case *c = &s->cases[i];
	char id[512];
	snprintf(id, sizeof(id), "%s/%s", classname, name);
	c->id = xstrdup(id);
	c->classname = xstrdup(classname);
	c->name = xstrdup(name);
	c->file = xstrdup(s->file);
	c->line = (unsigned)(10 + i);
	c->outcome = out;
	c->message = xstrdup(message);
	c->detail = xstrdup(detail);
	c->seconds = 0.003;
}

static void set_case(struct gl_suite_result *s, size_t i, const char *name, enum gl_outcome out,
                     const char *message, const char *detail)
{
	set_case_cls(s, i, s->name, name, out, message, detail);
}

static void add_prop(struct gl_suite_result *s, const char *name, const char *value)
{
	struct gl_property *p = realloc(s->props, (s->n_props + 1) * sizeof(*p));
	ck_assert_ptr_nonnull(p);
	s->props = p;
	s->props[s->n_props].name = xstrdup(name);
	s->props[s->n_props].value = xstrdup(value);
	s->n_props++;
}

static const char *prop(const struct gl_suite_result *s, const char *name)
{
	for (size_t i = 0; i < s->n_props; i++)
		if (strcmp(s->props[i].name, name) == 0)
			return s->props[i].value;
	return NULL;
}

static const struct gl_case *find_case(const struct gl_suite_result *s, const char *name)
{
	for (size_t i = 0; i < s->n_cases; i++)
		if (strcmp(s->cases[i].name, name) == 0)
			return &s->cases[i];
	return NULL;
}

/* smoke: pass, fail, error, skip, pass (with awkward text); auth: pass. */
static struct gl_run_result *mixed_run(void)
{
	struct gl_run_result *r = new_run(2);
	struct gl_suite_result *s = init_suite(r, 0, "smoke", 5);
	set_case(s, 0, "health", GL_OUT_PASS, NULL, NULL);
	set_case(s, 1, "version", GL_OUT_FAIL,
	         "status: expected 200, got 500 (GET http://127.0.0.1:8080/version?a=1&b=<2>)",
	         "$.version: expected \"2.4.0\", got \"2.3.9\"\n\tbody: {\"version\":\"2.3.9\"}\n");
	set_case(s, 2, "login", GL_OUT_ERROR,
	         "connection refused (POST http://127.0.0.1:8080/login)", NULL);
	set_case(s, 3, "profile", GL_OUT_SKIP, "skipped: step 'login' failed", NULL);
	set_case(s, 4, "caf\xc3\xa9 & 'quotes'", GL_OUT_PASS, NULL, NULL);
	add_prop(s, "custom.key", "value with \"quotes\" & <angles>");
	s = init_suite(r, 1, "auth", 1);
	set_case(s, 0, "token", GL_OUT_PASS, NULL, NULL);
	r->reported_version = xstrdup("2.4.0");
	return r;
}

/* ---- files ---- */

static const char *data_dir(void)
{
	const char *d = getenv("GL_TEST_DATA");
	ck_assert_msg(d != NULL, "GL_TEST_DATA is not set");
	return d;
}

static void data_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/junit/%s", data_dir(), name);
}

static char *render(const struct gl_run_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(gl_report_junit_render(fp, r), 0);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

/* Render r into a fresh temporary file; path is filled in. */
static void render_to(char path[32], const struct gl_run_result *r)
{
	strcpy(path, "/tmp/gl-jr-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(gl_report_junit_render(fp, r), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

static struct gl_run_result *read_ok(const char *path)
{
	struct gl_diag d;
	struct gl_run_result *r = NULL;
	gl_diag_init(&d);
	int rc = gl_junit_read(&r, path, &d);
	if (rc != 0)
		gl_diag_print(&d, stderr);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
	ck_assert_ptr_nonnull(r);
	gl_diag_release(&d);
	return r;
}

/* Read a file that must be refused: -1, no result, an error naming it. */
static void read_fails(const char *path, const char *needle)
{
	struct gl_diag d;
	struct gl_run_result *r = (struct gl_run_result *)1;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_junit_read(&r, path, &d), -1);
	ck_assert_ptr_null(r);
	ck_assert_uint_ge(gl_diag_errors(&d), 1);
	ck_assert_str_eq(d.entries[0].pos.file, path);
	ck_assert_msg(strstr(d.entries[0].msg, needle), "'%s' not in '%s'", needle,
	              d.entries[0].msg);
	gl_diag_release(&d);
}

static int xmllint_file(const char *path)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "xmllint --noout --schema '%s/junit-10.xsd' '%s'", data_dir(),
	         path);
	int st = system(cmd);
	ck_assert_int_ne(st, -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void teardown(void)
{
	gl_redact_reset();
}

/* ---- reading ---- */

START_TEST(test_round_trip_fields)
{
	struct gl_run_result *r = mixed_run();
	char path[32];
	render_to(path, r);
	struct gl_run_result *b = read_ok(path);
	unlink(path);

	ck_assert_str_eq(b->env_name, "local");
	ck_assert_str_eq(b->base_url, "http://127.0.0.1:8080");
	ck_assert_str_eq(b->harness_version, "0.1.0");
	ck_assert_str_eq(b->reported_version, "2.4.0");
	ck_assert_int_eq(b->interrupted, 0);
	ck_assert_int_eq(b->started, r->started);
	ck_assert_uint_eq(b->n_suites, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct gl_suite_result *x = &r->suites[i];
		const struct gl_suite_result *y = &b->suites[i];
		ck_assert_str_eq(y->name, x->name);
		ck_assert_str_eq(y->file, x->file);
		ck_assert_str_eq(y->digest, x->digest);
		ck_assert_int_eq(y->started, x->started);
		ck_assert_double_eq_tol(y->seconds, x->seconds, 0.0005);
		ck_assert_uint_eq(y->n_props, x->n_props);
		for (size_t j = 0; j < x->n_props; j++) {
			ck_assert_str_eq(y->props[j].name, x->props[j].name);
			ck_assert_str_eq(y->props[j].value, x->props[j].value);
		}
		ck_assert_uint_eq(y->n_cases, x->n_cases);
		for (size_t j = 0; j < x->n_cases; j++) {
			const struct gl_case *p = &x->cases[j];
			const struct gl_case *q = &y->cases[j];
			ck_assert_str_eq(q->classname, p->classname);
			ck_assert_str_eq(q->name, p->name);
			ck_assert_str_eq(q->id, p->id);
			ck_assert_int_eq(q->outcome, p->outcome);
			ck_assert_pstr_eq(q->message, p->message);
			ck_assert_pstr_eq(q->detail, p->detail);
			ck_assert_str_eq(q->file, p->file);
			if (p->outcome == GL_OUT_FAIL || p->outcome == GL_OUT_ERROR)
				ck_assert_uint_eq(q->line, p->line);
			ck_assert_double_eq_tol(q->seconds, p->seconds, 0.0005);
		}
	}
	struct gl_counts c1, c2;
	gl_run_result_counts(r, &c1);
	gl_run_result_counts(b, &c2);
	ck_assert_mem_eq(&c1, &c2, sizeof c1);

	/* and rendering what was read gives the same file, byte for byte */
	char *x1 = render(r);
	char *x2 = render(b);
	ck_assert_str_eq(x2, x1);
	free(x1);
	free(x2);
	gl_run_result_free(b);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_round_trip_interrupted)
{
	struct gl_run_result *r = mixed_run();
	r->interrupted = 1;
	free(r->reported_version);
	r->reported_version = NULL;
	char path[32];
	render_to(path, r);
	struct gl_run_result *b = read_ok(path);
	unlink(path);
	ck_assert_int_eq(b->interrupted, 1);
	ck_assert_ptr_null(b->reported_version);
	gl_run_result_free(b);
	gl_run_result_free(r);
}
END_TEST

static struct gl_run_result *merge_ok(struct gl_run_result *const *ins, const char *const *names,
                                      size_t n);

/* greenlight.tls_verify reads back; a file without it (older greenlight,
 * other tools) is "on", and merged evidence is "off" when any input was. */
START_TEST(test_tls_verify_round_trip_and_merge)
{
	struct gl_run_result *r = mixed_run();
	r->tls_verify_off = 1;
	char path[32];
	render_to(path, r);
	struct gl_run_result *off = read_ok(path);
	unlink(path);
	ck_assert_int_eq(off->tls_verify_off, 1);
	ck_assert_ptr_null(prop(&off->suites[0], "greenlight.tls_verify"));

	r->tls_verify_off = 0;
	render_to(path, r);
	struct gl_run_result *on = read_ok(path);
	unlink(path);
	ck_assert_int_eq(on->tls_verify_off, 0);

	struct gl_run_result *ins[] = {on, off};
	const char *names[] = {"first.xml", "rerun.xml"};
	struct gl_run_result *m = merge_ok(ins, names, 2);
	ck_assert_int_eq(m->tls_verify_off, 1);
	gl_run_result_free(m);
	struct gl_run_result *ons[] = {on, on};
	m = merge_ok(ons, names, 2);
	ck_assert_int_eq(m->tls_verify_off, 0);
	gl_run_result_free(m);
	gl_run_result_free(on);
	gl_run_result_free(off);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_foreign_pytest)
{
	char path[4096];
	data_path(path, sizeof path, "pytest.xml");
	struct gl_run_result *r = read_ok(path);
	ck_assert_ptr_null(r->env_name);
	ck_assert_uint_eq(r->n_suites, 1);
	const struct gl_suite_result *s = &r->suites[0];
	ck_assert_str_eq(s->name, "pytest");
	ck_assert_ptr_null(s->digest);
	ck_assert_uint_eq(s->n_cases, 4);
	ck_assert_int_eq(s->started, 1714557600); /* 2024-05-01T10:00:00Z */
	ck_assert_str_eq(s->cases[0].id, "tests.test_api/test_health");
	ck_assert_int_eq(s->cases[0].outcome, GL_OUT_PASS);
	ck_assert_int_eq(s->cases[1].outcome, GL_OUT_FAIL);
	ck_assert_str_eq(s->cases[1].message, "AssertionError: assert '12.35' == '12.34'");
	ck_assert_ptr_nonnull(strstr(s->cases[1].detail, ">       assert r.json()"));
	ck_assert_int_eq(s->cases[2].outcome, GL_OUT_ERROR);
	ck_assert_str_eq(s->cases[2].message, "failed on setup with \"ConnectionRefusedError: "
	                                      "[Errno 111] Connection refused\"");
	ck_assert_int_eq(s->cases[3].outcome, GL_OUT_SKIP);
	ck_assert_str_eq(s->cases[3].message, "not on linux");
	ck_assert_double_eq_tol(s->cases[1].seconds, 0.012, 1e-9);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_foreign_surefire)
{
	char path[4096];
	data_path(path, sizeof path, "surefire.xml");
	struct gl_run_result *r = read_ok(path);
	ck_assert_uint_eq(r->n_suites, 1);
	const struct gl_suite_result *s = &r->suites[0];
	ck_assert_str_eq(s->name, "com.example.cost.QuoteTest");
	ck_assert_str_eq(prop(s, "java.version"), "17.0.9");
	ck_assert_uint_eq(s->n_cases, 3);
	const struct gl_case *c = &s->cases[2];
	ck_assert_int_eq(c->outcome, GL_OUT_ERROR);
	/* ISO-8859-1 and character references, read as UTF-8 */
	ck_assert_str_eq(c->message, "Unexpected r\xc3\xa9sum\xc3\xa9 <null>");
	ck_assert_ptr_nonnull(strstr(c->detail, "at com.example.cost.Quote.discount"));
	ck_assert_ptr_null(strstr(c->detail, "computing discount")); /* system-out is not detail */
	struct gl_counts n;
	gl_run_result_counts(r, &n);
	ck_assert_uint_eq(n.passed, 2);
	ck_assert_uint_eq(n.errors, 1);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_malformed)
{
	char path[4096];
	data_path(path, sizeof path, "not-xml.txt");
	read_fails(path, "not well-formed XML");
	data_path(path, sizeof path, "wrong-root.xml");
	read_fails(path, "root element is 'html'");
	data_path(path, sizeof path, "truncated.xml");
	read_fails(path, "not well-formed XML");
	data_path(path, sizeof path, "counts-lie.xml");
	read_fails(path, "declares 2 failures but its testcases carry 1");
	data_path(path, sizeof path, "does-not-exist.xml");
	read_fails(path, "cannot be read");
	read_fails(data_dir(), "cannot be read");
	/* exponential entity expansion ("billion laughs") is refused, not run */
	data_path(path, sizeof path, "laughs.xml");
	read_fails(path, "not well-formed XML");

	char empty[] = "/tmp/gl-jr-empty-XXXXXX";
	int fd = mkstemp(empty);
	ck_assert_int_ge(fd, 0);
	close(fd);
	read_fails(empty, "not well-formed XML");
	/* over the cap: refused before anything is read */
	ck_assert_int_eq(truncate(empty, GL_JUNIT_READ_MAX + 1), 0);
	read_fails(empty, "is larger than");
	unlink(empty);
}
END_TEST

START_TEST(test_malformed_line)
{
	char path[4096];
	data_path(path, sizeof path, "truncated.xml");
	struct gl_diag d;
	struct gl_run_result *r = NULL;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_junit_read(&r, path, &d), -1);
	ck_assert_uint_eq(d.entries[0].pos.line, 2);
	gl_diag_release(&d);
}
END_TEST

/* Regression: an external entity in a report must never pull a local file
 * into the evidence (XXE). */
START_TEST(test_external_entity_not_expanded)
{
	char path[4096];
	data_path(path, sizeof path, "xxe.xml");
	struct gl_diag d;
	struct gl_run_result *r = NULL;
	gl_diag_init(&d);
	int rc = gl_junit_read(&r, path, &d);
	if (rc == 0) {
		const struct gl_case *c = &r->suites[0].cases[0];
		ck_assert_int_eq(c->outcome, GL_OUT_FAIL);
		ck_assert_ptr_null(strstr(c->detail, "GL-XXE-MARKER"));
		ck_assert_ptr_null(strstr(c->detail, "root:"));
		ck_assert_ptr_nonnull(strstr(c->detail, "before"));
		ck_assert_ptr_nonnull(strstr(c->detail, "after"));
		char *xml = render(r);
		ck_assert_ptr_null(strstr(xml, "GL-XXE-MARKER"));
		free(xml);
	}
	for (size_t i = 0; i < d.n; i++)
		ck_assert_ptr_null(strstr(d.entries[i].msg, "GL-XXE-MARKER"));
	gl_run_result_free(r);
	gl_diag_release(&d);
}
END_TEST

/* ---- merging ---- */

static struct gl_run_result *merge_ok(struct gl_run_result *const *ins, const char *const *names,
                                      size_t n)
{
	struct gl_diag d;
	struct gl_run_result *out = NULL;
	gl_diag_init(&d);
	int rc = gl_merge(&out, ins, names, n, &d);
	if (rc != 0)
		gl_diag_print(&d, stderr);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(out);
	gl_diag_release(&d);
	return out;
}

static void merge_fails(struct gl_run_result *const *ins, const char *const *names, size_t n,
                        const char *needle)
{
	struct gl_diag d;
	struct gl_run_result *out = (struct gl_run_result *)1;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_merge(&out, ins, names, n, &d), -1);
	ck_assert_ptr_null(out);
	ck_assert_uint_ge(d.n, 1);
	ck_assert_msg(strstr(d.entries[0].msg, needle), "'%s' not in '%s'", needle,
	              d.entries[0].msg);
	gl_diag_release(&d);
}

START_TEST(test_merge_shards_union)
{
	struct gl_run_result *a = new_run(1);
	struct gl_suite_result *s = init_suite(a, 0, "smoke", 2);
	set_case(s, 0, "health", GL_OUT_PASS, NULL, NULL);
	set_case(s, 1, "version", GL_OUT_FAIL, "status: expected 200, got 500", NULL);
	struct gl_run_result *b = new_run(2);
	s = init_suite(b, 0, "smoke", 2);
	set_case(s, 0, "login", GL_OUT_PASS, NULL, NULL);
	set_case_cls(s, 1, "smoke.flow", "step", GL_OUT_PASS, NULL, NULL);
	s = init_suite(b, 1, "auth", 1);
	set_case(s, 0, "token", GL_OUT_SKIP, "skipped: mutating", NULL);
	struct gl_run_result *ins[] = {a, b};
	const char *names[] = {"shard-1.xml", "shard-2.xml"};

	struct gl_run_result *m = merge_ok(ins, names, 2);
	ck_assert_uint_eq(m->n_suites, 2);
	ck_assert_str_eq(m->env_name, "local");
	ck_assert_str_eq(m->suites[0].name, "smoke");
	ck_assert_str_eq(m->suites[1].name, "auth");
	ck_assert_uint_eq(m->suites[0].n_cases, 4);
	const char *order[] = {"smoke/health", "smoke/version", "smoke/login", "smoke.flow/step"};
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(m->suites[0].cases[i].id, order[i]);
		ck_assert_uint_eq(m->suites[0].cases[i].retries, 0);
	}
	ck_assert_int_eq(m->suites[0].cases[1].outcome, GL_OUT_FAIL);
	ck_assert_ptr_null(m->suites[0].cases[1].detail);
	ck_assert_str_eq(prop(&m->suites[0], "greenlight.merged_from"), "shard-1.xml, shard-2.xml");
	ck_assert_str_eq(prop(&m->suites[1], "greenlight.merged_from"), "shard-2.xml");
	ck_assert_ptr_null(prop(&m->suites[0], "greenlight.attempts"));
	ck_assert_double_eq_tol(m->suites[0].seconds, 0.24, 1e-9);
	struct gl_counts c;
	gl_run_result_counts(m, &c);
	ck_assert_uint_eq(c.tests, 5);
	ck_assert_uint_eq(c.failures, 1);
	gl_run_result_free(m);
	gl_run_result_free(a);
	gl_run_result_free(b);
}
END_TEST

START_TEST(test_merge_rerun_later_wins)
{
	struct gl_run_result *a = mixed_run();
	struct gl_run_result *b = new_run(1);
	struct gl_suite_result *s = init_suite(b, 0, "smoke", 2);
	set_case(s, 0, "version", GL_OUT_PASS, NULL, NULL);
	set_case(s, 1, "login", GL_OUT_FAIL, "status: expected 200, got 401", "$.token: missing");
	b->reported_version = xstrdup("2.4.0");
	struct gl_run_result *ins[] = {a, b};
	const char *names[] = {"run.xml", "rerun.xml"};

	struct gl_run_result *m = merge_ok(ins, names, 2);
	const struct gl_suite_result *ms = &m->suites[0];
	ck_assert_uint_eq(ms->n_cases, 5);
	const struct gl_case *v = find_case(ms, "version");
	ck_assert_int_eq(v->outcome, GL_OUT_PASS);
	ck_assert_uint_eq(v->retries, 1);
	ck_assert_ptr_null(v->message);
	ck_assert_str_eq(v->detail, "attempt 1 (run.xml): failure: status: expected 200, got 500 "
	                            "(GET http://127.0.0.1:8080/version?a=1&b=<2>)\n"
	                            "attempt 2 (rerun.xml): pass\n");
	const struct gl_case *l = find_case(ms, "login");
	ck_assert_int_eq(l->outcome, GL_OUT_FAIL);
	ck_assert_uint_eq(l->retries, 1);
	ck_assert_str_eq(l->message, "status: expected 200, got 401");
	ck_assert_str_eq(l->detail, "attempt 1 (run.xml): error: connection refused (POST "
	                            "http://127.0.0.1:8080/login)\n"
	                            "attempt 2 (rerun.xml): failure: status: expected 200, got "
	                            "401\n\n$.token: missing");
	const struct gl_case *h = find_case(ms, "health");
	ck_assert_uint_eq(h->retries, 0);
	ck_assert_ptr_null(h->detail);
	/* the attempts of a pass, which JUnit shows no detail for, in a property */
	size_t n_attempts = 0;
	for (size_t i = 0; i < ms->n_props; i++)
		if (strcmp(ms->props[i].name, "greenlight.attempts") == 0) {
			n_attempts++;
			if (strncmp(ms->props[i].value, "smoke/version: ", 15) == 0)
				ck_assert_str_eq(
				        ms->props[i].value,
				        "smoke/version: attempt 1 (run.xml): failure: status: "
				        "expected 200, got 500 (GET "
				        "http://127.0.0.1:8080/version?a=1&b=<2>); attempt 2 "
				        "(rerun.xml): pass");
		}
	ck_assert_uint_eq(n_attempts, 2);
	ck_assert_str_eq(prop(ms, "custom.key"), "value with \"quotes\" & <angles>");
	ck_assert_str_eq(prop(ms, "greenlight.merged_from"), "run.xml, rerun.xml");

	/* the merged evidence is a valid report, and reads back */
	char dir[] = "/tmp/gl-merge-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/merged.xml", dir);
	ck_assert_int_eq(gl_report_junit_write(path, m), 0);
	ck_assert_int_eq(xmllint_file(path), 0);
	struct gl_run_result *back = read_ok(path);
	ck_assert_str_eq(find_case(&back->suites[0], "login")->detail, l->detail);
	struct gl_counts c1, c2;
	gl_run_result_counts(m, &c1);
	gl_run_result_counts(back, &c2);
	ck_assert_mem_eq(&c1, &c2, sizeof c1);
	ck_assert_uint_eq(c2.failures, 1);
	ck_assert_uint_eq(c2.errors, 0);
	unlink(path);
	rmdir(dir);
	gl_run_result_free(back);
	gl_run_result_free(m);
	gl_run_result_free(a);
	gl_run_result_free(b);
}
END_TEST

/* A later failure supersedes an earlier pass too: the last word counts. */
START_TEST(test_merge_later_failure_wins)
{
	struct gl_run_result *a = new_run(1);
	set_case(init_suite(a, 0, "smoke", 1), 0, "health", GL_OUT_PASS, NULL, NULL);
	struct gl_run_result *b = new_run(1);
	set_case(init_suite(b, 0, "smoke", 1), 0, "health", GL_OUT_FAIL, "status: got 503", NULL);
	struct gl_run_result *c = new_run(1);
	set_case(init_suite(c, 0, "smoke", 1), 0, "health", GL_OUT_ERROR, "timeout", NULL);
	struct gl_run_result *ins[] = {a, b, c};

	struct gl_run_result *m = merge_ok(ins, NULL, 3);
	const struct gl_case *h = &m->suites[0].cases[0];
	ck_assert_int_eq(h->outcome, GL_OUT_ERROR);
	ck_assert_uint_eq(h->retries, 2);
	ck_assert_str_eq(h->detail, "attempt 1 (input 1): pass\n"
	                            "attempt 2 (input 2): failure: status: got 503\n"
	                            "attempt 3 (input 3): error: timeout\n");
	gl_run_result_free(m);
	gl_run_result_free(a);
	gl_run_result_free(b);
	gl_run_result_free(c);
}
END_TEST

/* Regression: a rerun that could not run (environment not ready: every
 * check skipped) must not turn a failure into a skip, which reads green. */
START_TEST(test_merge_skip_does_not_supersede)
{
	struct gl_run_result *a = new_run(1);
	struct gl_suite_result *s = init_suite(a, 0, "smoke", 2);
	set_case(s, 0, "health", GL_OUT_FAIL, "status: got 503", "body: down");
	set_case(s, 1, "optional", GL_OUT_SKIP, "skipped: mutating", NULL);
	struct gl_run_result *b = new_run(1);
	s = init_suite(b, 0, "smoke", 2);
	set_case(s, 0, "health", GL_OUT_SKIP, "skipped: environment not ready", NULL);
	set_case(s, 1, "optional", GL_OUT_SKIP, "skipped: not ready", NULL);
	struct gl_run_result *ins[] = {a, b};
	const char *names[] = {"run.xml", "rerun.xml"};

	struct gl_run_result *m = merge_ok(ins, names, 2);
	const struct gl_case *h = &m->suites[0].cases[0];
	ck_assert_int_eq(h->outcome, GL_OUT_FAIL);
	ck_assert_str_eq(h->message, "status: got 503");
	ck_assert_uint_eq(h->retries, 1);
	ck_assert_str_eq(h->detail, "attempt 1 (run.xml): failure: status: got 503\n"
	                            "attempt 2 (rerun.xml): skipped: skipped: environment not "
	                            "ready\n\nbody: down");
	/* a skip after a skip: the later one */
	const struct gl_case *o = &m->suites[0].cases[1];
	ck_assert_int_eq(o->outcome, GL_OUT_SKIP);
	ck_assert_str_eq(o->message, "skipped: not ready");
	struct gl_counts c;
	gl_run_result_counts(m, &c);
	ck_assert_uint_eq(c.failures, 1);
	gl_run_result_free(m);
	gl_run_result_free(a);
	gl_run_result_free(b);
}
END_TEST

START_TEST(test_merge_digest_mismatch)
{
	struct gl_run_result *a = new_run(1);
	set_case(init_suite(a, 0, "smoke", 1), 0, "health", GL_OUT_FAIL, "x", NULL);
	struct gl_run_result *b = new_run(1);
	struct gl_suite_result *s = init_suite(b, 0, "smoke", 1);
	set_case(s, 0, "health", GL_OUT_PASS, NULL, NULL);
	free(s->digest);
	s->digest = xstrdup(DIGEST_B);
	struct gl_run_result *ins[] = {a, b};
	const char *names[] = {"a.xml", "b.xml"};
	merge_fails(ins, names, 2, "has digest '" DIGEST_B "' here but '" DIGEST_A "' in 'a.xml'");

	/* a digest known on one side only cannot be checked: also refused */
	free(s->digest);
	s->digest = NULL;
	merge_fails(ins, names, 2, "has digest '(none)' here");
	gl_run_result_free(a);
	gl_run_result_free(b);
}
END_TEST

START_TEST(test_merge_target_mismatch)
{
	struct gl_run_result *a = new_run(1);
	set_case(init_suite(a, 0, "smoke", 1), 0, "health", GL_OUT_FAIL, "x", NULL);
	struct gl_run_result *b = new_run(1);
	set_case(init_suite(b, 0, "smoke", 1), 0, "health", GL_OUT_PASS, NULL, NULL);
	free(b->env_name);
	b->env_name = xstrdup("staging");
	struct gl_run_result *ins[] = {a, b};
	merge_fails(ins, NULL, 2, "the environment is 'staging' here but 'local' in 'input 1'");

	free(b->env_name);
	b->env_name = xstrdup("local");
	a->reported_version = xstrdup("2.4.0");
	b->reported_version = xstrdup("2.4.1");
	merge_fails(ins, NULL, 2, "the reported version is '2.4.1' here");
	gl_run_result_free(a);
	gl_run_result_free(b);
}
END_TEST

static struct gl_run_result *replay_shard(const char *shard, enum gl_outcome cost, const char *rows)
{
	struct gl_run_result *r = new_run(1);
	struct gl_suite_result *s = init_suite(r, 0, "quotes", 2);
	if (shard)
		add_prop(s, "replay.shard", shard);
	add_prop(s, "replay.rows.cases", rows);
	set_case(s, 0, "cost within tolerance", cost, cost == GL_OUT_PASS ? NULL : "3 out", NULL);
	set_case(s, 1, "completeness", GL_OUT_PASS, NULL, NULL);
	return r;
}

START_TEST(test_merge_replay_shards)
{
	struct gl_run_result *a = replay_shard("1/2", GL_OUT_PASS, "500");
	struct gl_run_result *b = replay_shard("2/2", GL_OUT_FAIL, "499");
	struct gl_run_result *ins[] = {a, b};

	struct gl_run_result *m = merge_ok(ins, NULL, 2);
	const struct gl_suite_result *s = &m->suites[0];
	ck_assert_uint_eq(s->n_cases, 4);
	ck_assert_str_eq(s->cases[0].name, "cost within tolerance [shard 1/2]");
	ck_assert_str_eq(s->cases[0].id, "quotes/cost within tolerance [shard 1/2]");
	ck_assert_str_eq(s->cases[1].name, "completeness [shard 1/2]");
	ck_assert_str_eq(s->cases[2].name, "cost within tolerance [shard 2/2]");
	ck_assert_int_eq(s->cases[2].outcome, GL_OUT_FAIL);
	ck_assert_str_eq(s->cases[3].name, "completeness [shard 2/2]");
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(s->cases[i].retries, 0);
	ck_assert_str_eq(prop(s, "replay.shard"), "1/2, 2/2");
	ck_assert_str_eq(prop(s, "replay.rows.cases [shard 1/2]"), "500");
	ck_assert_str_eq(prop(s, "replay.rows.cases [shard 2/2]"), "499");
	ck_assert_ptr_null(prop(s, "replay.rows.cases"));
	gl_run_result_free(m);

	/* the same shard again is a rerun: it supersedes */
	struct gl_run_result *c = replay_shard("2/2", GL_OUT_PASS, "499");
	struct gl_run_result *ins3[] = {a, b, c};
	m = merge_ok(ins3, NULL, 3);
	s = &m->suites[0];
	ck_assert_uint_eq(s->n_cases, 4);
	ck_assert_str_eq(s->cases[2].name, "cost within tolerance [shard 2/2]");
	ck_assert_int_eq(s->cases[2].outcome, GL_OUT_PASS);
	ck_assert_uint_eq(s->cases[2].retries, 1);
	ck_assert_uint_eq(s->cases[0].retries, 0);
	gl_run_result_free(m);

	/* no shard on either side: later supersedes */
	struct gl_run_result *d = replay_shard(NULL, GL_OUT_FAIL, "999");
	struct gl_run_result *e = replay_shard(NULL, GL_OUT_PASS, "999");
	struct gl_run_result *ins2[] = {d, e};
	m = merge_ok(ins2, NULL, 2);
	s = &m->suites[0];
	ck_assert_uint_eq(s->n_cases, 2);
	ck_assert_str_eq(s->cases[0].name, "cost within tolerance");
	ck_assert_int_eq(s->cases[0].outcome, GL_OUT_PASS);
	ck_assert_uint_eq(s->cases[0].retries, 1);
	ck_assert_ptr_null(prop(s, "replay.shard"));
	gl_run_result_free(m);
	/* Regression (found in review): a shard rerun never supersedes an
	 * unsharded failure, since the failures may be in the other shards. */
	struct gl_run_result *ins4[] = {d, a};
	m = merge_ok(ins4, NULL, 2);
	s = &m->suites[0];
	bool failure_kept = false;
	for (size_t i = 0; i < s->n_cases; i++)
		failure_kept |= strcmp(s->cases[i].name, "cost within tolerance") == 0 &&
		                s->cases[i].outcome == GL_OUT_FAIL;
	ck_assert(failure_kept);
	gl_run_result_free(m);
	gl_run_result_free(a);
	gl_run_result_free(b);
	gl_run_result_free(c);
	gl_run_result_free(d);
	gl_run_result_free(e);
}
END_TEST

/* Merging a merged file again keeps where its evidence came from. */
START_TEST(test_merge_of_merged)
{
	struct gl_run_result *a = replay_shard("1/2", GL_OUT_PASS, "500");
	struct gl_run_result *b = replay_shard("2/2", GL_OUT_PASS, "499");
	struct gl_run_result *ins[] = {a, b};
	const char *names[] = {"s1.xml", "s2.xml"};
	struct gl_run_result *m = merge_ok(ins, names, 2);
	struct gl_run_result *c = new_run(1);
	set_case(init_suite(c, 0, "quotes", 1), 0, "extra", GL_OUT_PASS, NULL, NULL);
	struct gl_run_result *ins2[] = {m, c};
	const char *names2[] = {"merged.xml", "c.xml"};
	struct gl_run_result *m2 = merge_ok(ins2, names2, 2);
	ck_assert_str_eq(prop(&m2->suites[0], "greenlight.merged_from"), "s1.xml, s2.xml, c.xml");
	ck_assert_uint_eq(m2->suites[0].n_cases, 5);
	gl_run_result_free(m2);
	gl_run_result_free(m);
	gl_run_result_free(a);
	gl_run_result_free(b);
	gl_run_result_free(c);
}
END_TEST

/* ---- rerun selection ---- */

START_TEST(test_rerun_ids)
{
	struct gl_run_result *r = new_run(3);
	struct gl_suite_result *s = init_suite(r, 0, "smoke", 7);
	set_case(s, 0, "health", GL_OUT_FAIL, "x", NULL);
	set_case(s, 1, "version", GL_OUT_PASS, NULL, NULL);
	set_case_cls(s, 2, "smoke.quote-flow", "login", GL_OUT_ERROR, "refused", NULL);
	set_case_cls(s, 3, "smoke.quote-flow", "whoami", GL_OUT_SKIP, "skipped: step", NULL);
	set_case_cls(s, 4, "smoke.quote-flow", "logout", GL_OUT_FAIL, "x", NULL);
	set_case(s, 5, "skipped-one", GL_OUT_SKIP, "mutating", NULL);
	set_case(s, 6, "health", GL_OUT_ERROR, "dup", NULL);
	s = init_suite(r, 1, "auth", 1);
	set_case(s, 0, "token", GL_OUT_PASS, NULL, NULL);
	s = init_suite(r, 2, "quotes", 3);
	add_prop(s, "replay.rows.cases", "100");
	set_case(s, 0, "cost within tolerance", GL_OUT_FAIL, "x", NULL);
	set_case(s, 1, "cost drift", GL_OUT_FAIL, "x", NULL);
	set_case(s, 2, "completeness", GL_OUT_ERROR, "x", NULL);

	char **ids = NULL;
	size_t n = 0;
	ck_assert_int_eq(gl_rerun_selection(&ids, &n, r), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(ids[0], "smoke/health");
	ck_assert_str_eq(ids[1], "smoke/quote-flow");
	ck_assert_str_eq(ids[2], "quotes/replay");
	gl_rerun_selection_free(ids, n);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_rerun_nothing_failed)
{
	struct gl_run_result *r = new_run(1);
	struct gl_suite_result *s = init_suite(r, 0, "smoke", 2);
	set_case(s, 0, "health", GL_OUT_PASS, NULL, NULL);
	set_case(s, 1, "other", GL_OUT_SKIP, "mutating", NULL);
	char **ids = (char **)1;
	size_t n = 99;
	ck_assert_int_eq(gl_rerun_selection(&ids, &n, r), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ids);
	gl_run_result_free(r);
}
END_TEST

/* From a report file: what --rerun-failed does. */
START_TEST(test_rerun_from_file)
{
	struct gl_run_result *r = mixed_run();
	char path[32];
	render_to(path, r);
	struct gl_run_result *b = read_ok(path);
	unlink(path);
	char **ids = NULL;
	size_t n = 0;
	ck_assert_int_eq(gl_rerun_selection(&ids, &n, b), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ids[0], "smoke/version");
	ck_assert_str_eq(ids[1], "smoke/login");
	gl_rerun_selection_free(ids, n);
	gl_run_result_free(b);
	gl_run_result_free(r);
}
END_TEST

Suite *junit_read_suite(void)
{
	Suite *s = suite_create("junit_read");
	TCase *rd = tcase_create("read");
	tcase_add_checked_fixture(rd, NULL, teardown);
	tcase_add_test(rd, test_round_trip_fields);
	tcase_add_test(rd, test_round_trip_interrupted);
	tcase_add_test(rd, test_foreign_pytest);
	tcase_add_test(rd, test_foreign_surefire);
	tcase_add_test(rd, test_malformed);
	tcase_add_test(rd, test_malformed_line);
	tcase_add_test(rd, test_external_entity_not_expanded);
	tcase_add_test(rd, test_tls_verify_round_trip_and_merge);
	suite_add_tcase(s, rd);

	TCase *mg = tcase_create("merge");
	tcase_add_checked_fixture(mg, NULL, teardown);
	tcase_add_test(mg, test_merge_shards_union);
	tcase_add_test(mg, test_merge_rerun_later_wins);
	tcase_add_test(mg, test_merge_later_failure_wins);
	tcase_add_test(mg, test_merge_skip_does_not_supersede);
	tcase_add_test(mg, test_merge_digest_mismatch);
	tcase_add_test(mg, test_merge_target_mismatch);
	tcase_add_test(mg, test_merge_replay_shards);
	tcase_add_test(mg, test_merge_of_merged);
	suite_add_tcase(s, mg);

	TCase *rr = tcase_create("rerun");
	tcase_add_test(rr, test_rerun_ids);
	tcase_add_test(rr, test_rerun_nothing_failed);
	tcase_add_test(rr, test_rerun_from_file);
	suite_add_tcase(s, rr);
	return s;
}
