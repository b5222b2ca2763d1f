/* Unit tests of http.c against the real reference service, costd (its path
 * in $COSTD), started on a free loopback port for each test. Suites are built
 * by hand so that these tests depend on the runner alone. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "body.h"
#include "check_suites.h"
#include "diag.h"
#include "env.h"
#include "http.h"
#include "jsonpath.h"
#include "redact.h"
#include "result.h"
#include "suite.h"
#include "template.h"

#define MAX_CHECKS 64
#define MAX_STEPS  8
#define MAX_ITEMS  16

static pid_t costd_pid;
static char base_url[64];
static char port_file[64];

/* ---- the service ---- */

/* A free loopback port, for a service started later: bound, then released. */
static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Start costd with extra arguments (NULL-terminated; NULL for none). With
 * port 0 it picks its own and this waits for it; with a port, costd starts
 * after delay_ms and this returns at once: a service that comes up late. */
static void costd_launch(const char *const *extra, unsigned port, unsigned delay_ms)
{
	const char *exe = getenv("COSTD");
	ck_assert_msg(exe != NULL, "COSTD must name the costd executable");
	snprintf(port_file, sizeof port_file, "/tmp/gl-http-test-%ld.port", (long)getpid());
	unlink(port_file);
	char port_arg[16];
	snprintf(port_arg, sizeof port_arg, "%u", port);
	const char *argv[16] = {exe, "--port", port_arg, "--port-file", port_file};
	size_t n = 5;
	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	costd_pid = fork();
	ck_assert_int_ge(costd_pid, 0);
	if (costd_pid == 0) {
		/* the service must not outlive a test that crashes */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		if (delay_ms)
			usleep(delay_ms * 1000);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	if (port) {
		snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u", port);
		return;
	}
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(port_file, "r");
		unsigned got = 0;
		if (f) {
			int k = fscanf(f, "%u", &got);
			fclose(f);
			if (k == 1 && got) {
				snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u", got);
				return;
			}
		}
		usleep(10 * 1000);
	}
	ck_abort_msg("costd did not write its port file");
}

static void costd_start(void)
{
	costd_launch(NULL, 0, 0);
}

static void costd_stop(void)
{
	if (costd_pid > 0) {
		kill(costd_pid, SIGTERM);
		waitpid(costd_pid, NULL, 0);
	}
	costd_pid = 0;
	unlink(port_file);
	gl_redact_reset();
}

/* ---- suites built by hand ---- */

static struct gl_pos here(unsigned line)
{
	return (struct gl_pos){"suites/test.json", line, 1};
}

static struct gl_template *tpl(const char *text)
{
	struct gl_template *t = NULL;
	struct gl_diag d;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_template_parse(&t, text, here(1), &d), 0);
	gl_diag_release(&d);
	return t;
}

static struct gl_jsonpath *jp(const char *text)
{
	struct gl_jsonpath *p = NULL;
	struct gl_diag d;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_jsonpath_compile(&p, text, here(1), &d), 0);
	gl_diag_release(&d);
	return p;
}

static struct gl_suite *suite_new(const char *name)
{
	struct gl_suite *s = calloc(1, sizeof *s);
	ck_assert_ptr_nonnull(s);
	s->path = strdup("suites/test.json");
	s->name = strdup(name);
	s->digest = strdup("sha256:0000");
	s->checks = calloc(MAX_CHECKS, sizeof *s->checks);
	return s;
}

static struct gl_check *check_new(struct gl_suite *s, const char *id, bool is_flow)
{
	ck_assert_uint_lt(s->n_checks, MAX_CHECKS);
	struct gl_check *c = &s->checks[s->n_checks++];
	c->id = strdup(id);
	c->is_flow = is_flow;
	c->steps = calloc(MAX_STEPS, sizeof *c->steps);
	c->pos = here((unsigned)s->n_checks * 10);
	return c;
}

static struct gl_step *step_new(struct gl_check *c, const char *name, const char *method,
                                const char *url)
{
	ck_assert_uint_lt(c->n_steps, MAX_STEPS);
	struct gl_step *st = &c->steps[c->n_steps++];
	st->name = strdup(name);
	st->pos = here(c->pos.line + (unsigned)c->n_steps);
	st->request.method = strdup(method);
	st->request.url = tpl(url);
	st->request.headers = calloc(MAX_ITEMS, sizeof(struct gl_kv));
	st->request.query = calloc(MAX_ITEMS, sizeof(struct gl_kv));
	st->request.timeout_ms = GL_DEFAULT_TIMEOUT_MS;
	st->request.connect_timeout_ms = GL_DEFAULT_CONNECT_TIMEOUT_MS;
	st->request.max_body_bytes = GL_DEFAULT_MAX_BODY_BYTES;
	st->asserts = calloc(MAX_ITEMS, sizeof *st->asserts);
	st->captures = calloc(MAX_ITEMS, sizeof *st->captures);
	return st;
}

/* A lone request: a check with one step named like it. */
static struct gl_step *lone(struct gl_suite *s, const char *id, const char *method, const char *url)
{
	return step_new(check_new(s, id, false), id, method, url);
}

static void expect_status(struct gl_step *st, long status)
{
	ck_assert_uint_lt(st->n_asserts, MAX_ITEMS);
	struct gl_assertion *a = &st->asserts[st->n_asserts++];
	a->target = GL_T_STATUS;
	a->cmp = GL_CMP_STATUS_IN;
	a->statuses = malloc(sizeof(long));
	a->statuses[0] = status;
	a->n_statuses = 1;
}

static void expect_json(struct gl_step *st, const char *path, const char *json)
{
	ck_assert_uint_lt(st->n_asserts, MAX_ITEMS);
	struct gl_assertion *a = &st->asserts[st->n_asserts++];
	a->target = GL_T_JSON;
	a->cmp = GL_CMP_EQ;
	a->subject = strdup(path);
	a->path = jp(path);
	a->operand = tpl(json);
}

static void add_query(struct gl_step *st, const char *name, const char *value)
{
	ck_assert_uint_lt(st->request.n_query, MAX_ITEMS);
	struct gl_kv *kv = &st->request.query[st->request.n_query++];
	kv->name = strdup(name);
	kv->value = tpl(value);
}

static void capture_json(struct gl_step *st, const char *name, const char *path, bool secret)
{
	ck_assert_uint_lt(st->n_captures, MAX_ITEMS);
	struct gl_capture *c = &st->captures[st->n_captures++];
	c->name = strdup(name);
	c->source = GL_CAP_JSON;
	c->expr = strdup(path);
	c->path = jp(path);
	c->secret = secret;
}

static void step_free(struct gl_step *st)
{
	struct gl_request *r = &st->request;
	free(st->name);
	free(r->method);
	gl_template_free(r->url);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		gl_template_free(r->headers[i].value);
	}
	free(r->headers);
	for (size_t i = 0; i < r->n_query; i++) {
		free(r->query[i].name);
		gl_template_free(r->query[i].value);
	}
	free(r->query);
	gl_template_free(r->body);
	gl_template_free(r->auth_user);
	gl_template_free(r->auth_password);
	gl_template_free(r->auth_token);
	for (size_t i = 0; i < st->n_asserts; i++) {
		free(st->asserts[i].subject);
		gl_jsonpath_free(st->asserts[i].path);
		gl_template_free(st->asserts[i].operand);
		free(st->asserts[i].statuses);
	}
	free(st->asserts);
	for (size_t i = 0; i < st->n_captures; i++) {
		free(st->captures[i].name);
		free(st->captures[i].expr);
		gl_jsonpath_free(st->captures[i].path);
	}
	free(st->captures);
}

static void suite_free(struct gl_suite *s)
{
	for (size_t i = 0; i < s->n_checks; i++) {
		for (size_t j = 0; j < s->checks[i].n_steps; j++)
			step_free(&s->checks[i].steps[j]);
		free(s->checks[i].steps);
		free(s->checks[i].id);
	}
	free(s->checks);
	free(s->path);
	free(s->name);
	free(s->digest);
	free(s);
}

/* ---- the environment and the plan ---- */

struct world {
	struct gl_env env;
	struct gl_var vars[4];
	struct gl_suite *suites[2];
	size_t n_suites;
	enum gl_sel *sel[2];
	struct gl_plan plan;
	struct gl_run_result *run;
};

static void world_init(struct world *w, struct gl_suite *s, unsigned jobs)
{
	memset(w, 0, sizeof *w);
	w->env.name = "test";
	w->env.path = "suites/environments/test.json";
	w->env.vars = w->vars;
	w->vars[w->env.n_vars++] = (struct gl_var){.name = "base_url", .value = base_url};
	w->vars[w->env.n_vars++] = (struct gl_var){.name = "password", .value = "qa-password"};
	w->vars[w->env.n_vars++] =
	        (struct gl_var){.name = "quote", .value = "he said \"hi\" & left"};
	w->suites[0] = s;
	w->n_suites = 1;
	w->sel[0] = calloc(MAX_CHECKS, sizeof(enum gl_sel)); /* all GL_SEL_RUN */
	w->plan.env = &w->env;
	w->plan.jobs = jobs;
	w->plan.harness_version = "0.1.0";
}

static void world_add_suite(struct world *w, struct gl_suite *s)
{
	w->suites[w->n_suites] = s;
	w->sel[w->n_suites] = calloc(MAX_CHECKS, sizeof(enum gl_sel));
	w->n_suites++;
}

static struct gl_run_result *world_run(struct world *w)
{
	w->plan.suites = (const struct gl_suite *const *)w->suites;
	w->plan.n_suites = w->n_suites;
	w->plan.sel = w->sel;
	ck_assert_int_eq(gl_http_run(&w->run, &w->plan), 0);
	ck_assert_ptr_nonnull(w->run);
	return w->run;
}

static void world_release(struct world *w)
{
	gl_run_result_free(w->run);
	for (size_t i = 0; i < w->n_suites; i++) {
		suite_free(w->suites[i]);
		free(w->sel[i]);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct gl_case *only_case(struct gl_run_result *r)
{
	ck_assert_uint_eq(r->n_suites, 1);
	ck_assert_uint_eq(r->suites[0].n_cases, 1);
	return &r->suites[0].cases[0];
}

static void assert_prefix(const char *s, const char *prefix)
{
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strncmp(s, prefix, strlen(prefix)) == 0, "'%s' does not start with '%s'", s,
	              prefix);
}

/* ---- tests ---- */

START_TEST(test_pass)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_step *st = lone(s, "health", "GET", "{{base_url}}/health");
	expect_status(st, 200);
	expect_json(st, "$.status", "\"ok\"");
	world_init(&w, s, 2);
	struct gl_run_result *r = world_run(&w);

	ck_assert_str_eq(r->env_name, "test");
	ck_assert_str_eq(r->base_url, base_url);
	ck_assert_str_eq(r->harness_version, "0.1.0");
	ck_assert_ptr_null(r->reported_version);
	ck_assert_int_eq(r->interrupted, 0);
	ck_assert_str_eq(r->suites[0].name, "smoke");
	ck_assert_str_eq(r->suites[0].file, "suites/test.json");
	ck_assert_str_eq(r->suites[0].digest, "sha256:0000");
	struct gl_case *c = only_case(r);
	ck_assert_int_eq(c->outcome, GL_OUT_PASS);
	ck_assert_ptr_null(c->message);
	ck_assert_str_eq(c->id, "smoke/health");
	ck_assert_str_eq(c->classname, "smoke");
	ck_assert_str_eq(c->name, "health");
	ck_assert_str_eq(c->file, "suites/test.json");
	ck_assert_uint_eq(c->line, 10);
	ck_assert_str_eq(c->method, "GET");
	char url[128];
	snprintf(url, sizeof url, "%s/health", base_url);
	ck_assert_str_eq(c->url, url);
	ck_assert_int_eq(c->status, 200);
	ck_assert(c->seconds > 0);

	struct gl_counts n;
	gl_run_result_counts(r, &n);
	ck_assert_uint_eq(n.tests, 1);
	ck_assert_uint_eq(n.passed, 1);
	world_release(&w);
}
END_TEST

START_TEST(test_status_failure)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "ready", "GET", "{{base_url}}/test/status/503"), 200);
	world_init(&w, s, 1);
	struct gl_case *c = only_case(world_run(&w));

	ck_assert_int_eq(c->outcome, GL_OUT_FAIL);
	char want[256];
	snprintf(want, sizeof want, "status: expected 200, got 503 (GET %s/test/status/503)",
	         base_url);
	ck_assert_str_eq(c->message, want);
	ck_assert_int_eq(c->status, 503);
	ck_assert_str_eq(c->detail, "status: expected 200, got 503\n"
	                            "response: HTTP 503, 14 bytes\n"
	                            "{\"status\":503}");
	struct gl_counts n;
	gl_suite_result_counts(&w.run->suites[0], &n);
	ck_assert_uint_eq(n.failures, 1);
	world_release(&w);
}
END_TEST

START_TEST(test_connection_refused)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "health", "GET", "http://127.0.0.1:1/health"), 200);
	world_init(&w, s, 1);
	struct gl_case *c = only_case(world_run(&w));

	ck_assert_int_eq(c->outcome, GL_OUT_ERROR);
	assert_prefix(c->message, "connection refused: GET http://127.0.0.1:1/health (curl: ");
	ck_assert_int_eq(c->status, 0);
	struct gl_counts n;
	gl_run_result_counts(w.run, &n);
	ck_assert_uint_eq(n.errors, 1);
	world_release(&w);
}
END_TEST

/* A name under .invalid (RFC 6761) never resolves: an error naming the host,
 * at once, and at the version check a reason that says the same. */
START_TEST(test_dns_failure)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "health", "GET", "http://greenlight-test.invalid:1/health"), 200);
	world_init(&w, s, 1);
	double t0 = now();
	struct gl_case *c = only_case(world_run(&w));
	double took = now() - t0;

	ck_assert_int_eq(c->outcome, GL_OUT_ERROR);
	ck_assert_str_eq(c->message,
	                 "DNS failure: GET http://greenlight-test.invalid:1/health (curl: "
	                 "Could not resolve host: greenlight-test.invalid)");
	/* the request's connect timeout (5 s by default) bounds resolution */
	ck_assert_msg(took < 6.0, "took %.3f s", took);
	gl_run_result_free(w.run);

	struct gl_health h = {.url = tpl("http://greenlight-test.invalid:1/health"),
	                      .version_path = "$.version"};
	w.env.health = &h;
	w.plan.expect_version = "2.4.0";
	struct gl_run_result *r = world_run(&w);
	ck_assert_int_eq(r->not_ready, 1);
	ck_assert_str_eq(r->not_ready_reason,
	                 "target reports no version at '$.version' (last: DNS failure (Could not "
	                 "resolve host: greenlight-test.invalid)), expected '2.4.0'");
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

/* The result says when the environment turned TLS verification off, so that
 * every report can. */
START_TEST(test_tls_verify_off_in_result)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "health", "GET", "{{base_url}}/health"), 200);
	world_init(&w, s, 1);
	ck_assert_int_eq(world_run(&w)->tls_verify_off, 0);
	gl_run_result_free(w.run);
	w.env.tls_verify_off = true;
	struct gl_run_result *r = world_run(&w);
	ck_assert_int_eq(r->tls_verify_off, 1);
	ck_assert_int_eq(only_case(r)->outcome, GL_OUT_PASS);
	world_release(&w);
}
END_TEST

START_TEST(test_timeout)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_step *st = lone(s, "hang", "GET", "{{base_url}}/test/hang");
	expect_status(st, 200);
	st->request.timeout_ms = 300;
	world_init(&w, s, 1);
	double t0 = now();
	struct gl_case *c = only_case(world_run(&w));
	double took = now() - t0;

	ck_assert_int_eq(c->outcome, GL_OUT_ERROR);
	assert_prefix(c->message, "timeout: GET ");
	ck_assert_msg(took < 1.0, "took %.3f s", took);
	world_release(&w);
}
END_TEST

START_TEST(test_reset)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "reset", "GET", "{{base_url}}/test/reset"), 200);
	world_init(&w, s, 1);
	struct gl_case *c = only_case(world_run(&w));

	ck_assert_int_eq(c->outcome, GL_OUT_ERROR);
	assert_prefix(c->message, "connection reset: GET ");
	world_release(&w);
}
END_TEST

START_TEST(test_body_cap)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_step *st = lone(s, "big", "GET", "{{base_url}}/test/bytes");
	add_query(st, "n", "100000");
	expect_status(st, 200);
	st->request.max_body_bytes = 1000;
	world_init(&w, s, 1);
	struct gl_case *c = only_case(world_run(&w));

	ck_assert_int_eq(c->outcome, GL_OUT_ERROR);
	char want[256];
	snprintf(want, sizeof want, "response body exceeds 1000 bytes: GET %s/test/bytes?n=100000",
	         base_url);
	ck_assert_str_eq(c->message, want);
	world_release(&w);
}
END_TEST

START_TEST(test_flow)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_check *k = check_new(s, "session", true);
	struct gl_step *login = step_new(k, "login", "POST", "{{base_url}}/login");
	login->request.body_kind = GL_BODY_JSON;
	login->request.body = tpl("{\"user\":\"qa\",\"password\":\"{{password}}\"}");
	expect_status(login, 200);
	capture_json(login, "token", "$.token", true);
	struct gl_step *me = step_new(k, "me", "GET", "{{base_url}}/api/me");
	me->request.auth_kind = GL_AUTH_BEARER;
	me->request.auth_token = tpl("{{token}}");
	expect_status(me, 200);
	expect_json(me, "$.user", "\"qa\"");
	struct gl_step *echo = step_new(k, "echo", "GET", "{{base_url}}/test/echo");
	add_query(echo, "t", "{{token}}");
	expect_status(echo, 200);
	expect_json(echo, "$.query.t", "\"{{token}}\"");
	expect_status(step_new(k, "broken", "GET", "{{base_url}}/test/status/500"), 200);
	expect_status(step_new(k, "after", "GET", "{{base_url}}/health"), 200);
	expect_status(step_new(k, "last", "GET", "{{base_url}}/health"), 200);
	world_init(&w, s, 1);
	struct gl_run_result *r = world_run(&w);

	ck_assert_uint_eq(r->n_suites, 1);
	ck_assert_uint_eq(r->suites[0].n_cases, 6);
	struct gl_case *c = r->suites[0].cases;
	ck_assert_str_eq(c[0].id, "smoke/session/login");
	ck_assert_str_eq(c[0].classname, "smoke.session");
	ck_assert_str_eq(c[0].name, "login");
	ck_assert_uint_eq(c[0].line, 11);
	ck_assert_int_eq(c[0].outcome, GL_OUT_PASS);
	ck_assert_int_eq(c[1].outcome, GL_OUT_PASS);
	ck_assert_int_eq(c[2].outcome, GL_OUT_PASS);
	ck_assert_int_eq(c[3].outcome, GL_OUT_FAIL);
	ck_assert_str_eq(c[3].id, "smoke/session/broken");
	ck_assert_int_eq(c[4].outcome, GL_OUT_SKIP);
	ck_assert_str_eq(c[4].message, "skipped: step 'broken' failed");
	ck_assert_int_eq(c[5].outcome, GL_OUT_SKIP);
	ck_assert_str_eq(c[5].message, "skipped: step 'broken' failed");

	/* the captured token went out in the URL, and is registered as secret */
	const char *t = strstr(c[2].url, "?t=");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_gt(strlen(t + 3), 8);
	char *red = gl_redact(c[2].url);
	ck_assert_ptr_null(strstr(red, t + 3));
	free(red);

	struct gl_counts n;
	gl_run_result_counts(r, &n);
	ck_assert_uint_eq(n.tests, 6);
	ck_assert_uint_eq(n.passed, 3);
	ck_assert_uint_eq(n.failures, 1);
	ck_assert_uint_eq(n.skipped, 2);
	world_release(&w);
}
END_TEST

START_TEST(test_flow_error_skips_rest)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_check *k = check_new(s, "f", true);
	expect_status(step_new(k, "down", "GET", "http://127.0.0.1:1/"), 200);
	expect_status(step_new(k, "next", "GET", "{{base_url}}/health"), 200);
	world_init(&w, s, 1);
	struct gl_run_result *r = world_run(&w);

	ck_assert_int_eq(r->suites[0].cases[0].outcome, GL_OUT_ERROR);
	ck_assert_int_eq(r->suites[0].cases[1].outcome, GL_OUT_SKIP);
	ck_assert_str_eq(r->suites[0].cases[1].message, "skipped: step 'down' failed");
	world_release(&w);
}
END_TEST

START_TEST(test_query_and_json_body)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_step *st = lone(s, "echo", "POST", "{{base_url}}/test/echo?fixed=1");
	add_query(st, "a b", "x y&z=1");
	add_query(st, "q", "{{quote}}");
	st->request.body_kind = GL_BODY_JSON;
	st->request.body = tpl("{\"note\":\"{{quote}}\"}");
	expect_status(st, 200);
	expect_json(st, "$.method", "\"POST\"");
	expect_json(st, "$.query.fixed", "\"1\"");
	expect_json(st, "$.query[\"a b\"]", "\"x y&z=1\"");
	expect_json(st, "$.query.q", "\"{{quote}}\"");
	expect_json(st, "$.headers.Content-Type", "\"application/json\"");
	expect_json(st, "$.headers.User-Agent", "\"greenlight/0.1.0\"");
	struct gl_assertion *no_expect = &st->asserts[st->n_asserts++];
	no_expect->target = GL_T_JSON;
	no_expect->cmp = GL_CMP_ABSENT;
	no_expect->subject = strdup("$.headers.Expect");
	no_expect->path = jp("$.headers.Expect");
	expect_json(st, "$.body", "\"{\\\"note\\\":\\\"he said \\\\\\\"hi\\\\\\\" & left\\\"}\"");
	world_init(&w, s, 1);
	struct gl_case *c = only_case(world_run(&w));

	ck_assert_msg(c->outcome == GL_OUT_PASS, "%s\n%s", c->message, c->detail);
	char want[256];
	snprintf(want, sizeof want,
	         "%s/test/"
	         "echo?fixed=1&a%%20b=x%%20y%%26z%%3D1&q=he%%20said%%20%%22hi%%22%%20%%26%%20left",
	         base_url);
	ck_assert_str_eq(c->url, want);
	world_release(&w);
}
END_TEST

START_TEST(test_declaration_order)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_step *slow = lone(s, "slow", "GET", "{{base_url}}/test/slow");
	add_query(slow, "ms", "600");
	expect_status(slow, 200);
	for (int i = 0; i < 3; i++) {
		char id[16];
		snprintf(id, sizeof id, "fast%d", i);
		struct gl_step *st = lone(s, id, "GET", "{{base_url}}/test/slow");
		add_query(st, "ms", "200");
		expect_status(st, 200);
	}
	world_init(&w, s, 4);
	double t0 = now();
	struct gl_run_result *r = world_run(&w);
	double took = now() - t0;

	/* completion order was fast0..2, slow; the result keeps the declared one */
	ck_assert_uint_eq(r->suites[0].n_cases, 4);
	ck_assert_str_eq(r->suites[0].cases[0].id, "smoke/slow");
	ck_assert(r->suites[0].cases[0].seconds >= 0.6);
	ck_assert_int_eq(r->suites[0].cases[0].outcome, GL_OUT_PASS);
	for (int i = 0; i < 3; i++) {
		char id[32];
		snprintf(id, sizeof id, "smoke/fast%d", i);
		ck_assert_str_eq(r->suites[0].cases[i + 1].id, id);
		ck_assert_int_eq(r->suites[0].cases[i + 1].outcome, GL_OUT_PASS);
		ck_assert(r->suites[0].cases[i + 1].seconds < 0.6);
	}
	/* in parallel: one after the other would take 1.2 s */
	ck_assert_msg(took < 1.0, "took %.3f s", took);
	world_release(&w);
}
END_TEST

START_TEST(test_selection)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "read", "GET", "{{base_url}}/health"), 200);
	struct gl_check *k = check_new(s, "write", true);
	expect_status(step_new(k, "a", "POST", "{{base_url}}/test/echo"), 200);
	expect_status(step_new(k, "b", "POST", "{{base_url}}/test/echo"), 200);
	expect_status(lone(s, "unselected", "GET", "{{base_url}}/health"), 200);
	struct gl_suite *other = suite_new("other");
	expect_status(lone(other, "x", "GET", "{{base_url}}/health"), 200);
	world_init(&w, s, 2);
	world_add_suite(&w, other);
	w.env.name = "prod";
	w.env.production = true;
	w.sel[0][1] = GL_SEL_SKIP_MUTATING;
	w.sel[0][2] = GL_SEL_OUT;
	w.sel[1][0] = GL_SEL_OUT;
	struct gl_run_result *r = world_run(&w);

	/* a suite with nothing selected is not in the result */
	ck_assert_uint_eq(r->n_suites, 1);
	ck_assert_uint_eq(r->suites[0].n_cases, 3);
	struct gl_case *c = r->suites[0].cases;
	ck_assert_str_eq(c[0].id, "smoke/read");
	ck_assert_int_eq(c[0].outcome, GL_OUT_PASS);
	for (int i = 1; i <= 2; i++) {
		ck_assert_int_eq(c[i].outcome, GL_OUT_SKIP);
		ck_assert_str_eq(c[i].message, "mutating check not run in production environment "
		                               "'prod' (use --allow-mutations)");
		ck_assert_ptr_null(c[i].url);
		ck_assert_ptr_null(c[i].method);
	}
	ck_assert_str_eq(c[1].id, "smoke/write/a");
	ck_assert_str_eq(c[2].id, "smoke/write/b");
	world_release(&w);
}
END_TEST

START_TEST(test_many_checks)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%02d", i);
		struct gl_step *st = lone(s, id, "GET", "{{base_url}}/health");
		expect_status(st, 200);
		expect_json(st, "$.version", "\"2.4.0\"");
	}
	world_init(&w, s, 8);
	struct gl_run_result *r = world_run(&w);

	struct gl_counts n;
	gl_run_result_counts(r, &n);
	ck_assert_uint_eq(n.tests, 50);
	ck_assert_uint_eq(n.passed, 50);
	for (int i = 0; i < 50; i++) {
		char id[32];
		snprintf(id, sizeof id, "smoke/c%02d", i);
		ck_assert_str_eq(r->suites[0].cases[i].id, id);
	}
	ck_assert(r->suites[0].seconds > 0);
	world_release(&w);
}
END_TEST

START_TEST(test_unknown_variable_is_error)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "x", "GET", "{{base_url}}/{{nope}}"), 200);
	world_init(&w, s, 1);
	struct gl_case *c = only_case(world_run(&w));

	ck_assert_int_eq(c->outcome, GL_OUT_ERROR);
	ck_assert_str_eq(
	        c->message,
	        "cannot render the request: unknown variable 'nope': GET {{base_url}}/{{nope}}");
	ck_assert_ptr_null(c->url);
	world_release(&w);
}
END_TEST

START_TEST(test_health_probe)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "x", "GET", "{{base_url}}/health"), 200);
	world_init(&w, s, 1);
	struct gl_health h = {.url = tpl("{{base_url}}/health"), .version_path = "$.version"};
	w.env.health = &h;
	struct gl_run_result *r = world_run(&w);

	ck_assert_str_eq(r->reported_version, "2.4.0");
	ck_assert_int_eq(r->suites[0].cases[0].outcome, GL_OUT_PASS);
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

START_TEST(test_health_probe_down)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "x", "GET", "{{base_url}}/health"), 200);
	world_init(&w, s, 1);
	struct gl_health h = {.url = tpl("http://127.0.0.1:1/health"), .version_path = "$.version"};
	w.env.health = &h;
	struct gl_run_result *r = world_run(&w);

	ck_assert_ptr_null(r->reported_version);
	ck_assert_int_eq(r->suites[0].cases[0].outcome, GL_OUT_PASS);
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

static void on_alarm(int sig)
{
	(void)sig;
	gl_http_request_stop();
}

START_TEST(test_interrupt)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "fast", "GET", "{{base_url}}/health"), 200);
	for (int i = 0; i < 3; i++) {
		char id[16];
		snprintf(id, sizeof id, "hang%d", i);
		struct gl_step *st = lone(s, id, "GET", "{{base_url}}/test/hang");
		st->request.timeout_ms = 10000;
	}
	struct gl_check *k = check_new(s, "flow", true);
	step_new(k, "one", "GET", "{{base_url}}/test/hang");
	step_new(k, "two", "GET", "{{base_url}}/health");
	world_init(&w, s, 2);

	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {.tv_sec = 0, .tv_usec = 300 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	double t0 = now();
	struct gl_run_result *r = world_run(&w);
	double took = now() - t0;

	ck_assert_msg(took < 1.5, "took %.3f s", took);
	ck_assert_int_eq(r->interrupted, 1);
	ck_assert_uint_eq(r->suites[0].n_cases, 6);
	struct gl_case *c = r->suites[0].cases;
	ck_assert_int_eq(c[0].outcome, GL_OUT_PASS);
	for (size_t i = 1; i < 6; i++) {
		ck_assert_int_eq(c[i].outcome, GL_OUT_ERROR);
		ck_assert_str_eq(c[i].message, "interrupted before completion");
	}
	world_release(&w);

	/* the stop request does not outlive the run it stopped */
	s = suite_new("smoke");
	expect_status(lone(s, "fast", "GET", "{{base_url}}/health"), 200);
	world_init(&w, s, 1);
	r = world_run(&w);
	ck_assert_int_eq(r->interrupted, 0);
	ck_assert_int_eq(r->suites[0].cases[0].outcome, GL_OUT_PASS);
	world_release(&w);
}
END_TEST

/* ---- part 3: readiness, retries, deadlines ---- */

static void costd_restart(const char *const *extra, unsigned port, unsigned delay_ms)
{
	costd_stop();
	costd_launch(extra, port, delay_ms);
}

/* A suite of a lone check, a two-step flow and a mutating check skipped in
 * production: what readiness must account for. */
static struct gl_suite *readiness_suite(void)
{
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "health", "GET", "{{base_url}}/health"), 200);
	struct gl_check *k = check_new(s, "flow", true);
	expect_status(step_new(k, "one", "GET", "{{base_url}}/health"), 200);
	expect_status(step_new(k, "two", "GET", "{{base_url}}/health"), 200);
	struct gl_check *m = check_new(s, "write", false);
	m->mutating = true;
	expect_status(step_new(m, "write", "POST", "{{base_url}}/test/echo"), 200);
	return s;
}

static void assert_all_skipped(const struct gl_run_result *r, const char *message)
{
	const struct gl_suite_result *sr = &r->suites[0];
	ck_assert_uint_eq(sr->n_cases, 4);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(sr->cases[i].outcome, GL_OUT_SKIP);
		ck_assert_str_eq(sr->cases[i].message, message);
		ck_assert_ptr_null(sr->cases[i].url);
		ck_assert_uint_eq(sr->cases[i].retries, 0);
	}
	/* a mutating check keeps its own reason */
	ck_assert_int_eq(sr->cases[3].outcome, GL_OUT_SKIP);
	assert_prefix(sr->cases[3].message, "mutating check not run");
	ck_assert_int_eq(r->interrupted, 0);
}

START_TEST(test_never_healthy)
{
	static const char *const fault[] = {"--fault", "health-503", NULL};
	costd_restart(fault, 0, 0);
	struct world w;
	world_init(&w, readiness_suite(), 4);
	struct gl_health h = {.url = tpl("{{base_url}}/health"), .version_path = "$.version"};
	w.env.health = &h;
	w.env.production = true;
	w.sel[0][2] = GL_SEL_SKIP_MUTATING;
	w.plan.wait_healthy_s = 2;
	double t0 = now();
	struct gl_run_result *r = world_run(&w);
	double took = now() - t0;

	ck_assert_msg(took >= 2.0 && took < 3.0, "took %.3f s", took);
	ck_assert_int_eq(r->not_ready, 1);
	ck_assert_str_eq(r->not_ready_reason,
	                 "environment not ready after 2 s (last: HTTP 503, Retry-After 1)");
	ck_assert(r->ready_after_s >= 2.0);
	/* the 503's body still names the version: provenance */
	ck_assert_str_eq(r->reported_version, "2.4.0");
	assert_all_skipped(r, "not run: environment not ready after 2 s (last: HTTP 503, "
	                      "Retry-After 1)");
	struct gl_counts n;
	gl_run_result_counts(r, &n);
	ck_assert_uint_eq(n.passed, 0);
	ck_assert_uint_eq(n.skipped, 4);
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

START_TEST(test_never_reachable)
{
	struct world w;
	world_init(&w, readiness_suite(), 4);
	struct gl_health h = {.url = tpl("http://127.0.0.1:1/health"), .version_path = "$.version"};
	w.env.health = &h;
	w.sel[0][2] = GL_SEL_SKIP_MUTATING;
	w.plan.wait_healthy_s = 0.5;
	double t0 = now();
	struct gl_run_result *r = world_run(&w);
	double took = now() - t0;

	ck_assert_msg(took >= 0.5 && took < 1.5, "took %.3f s", took);
	ck_assert_int_eq(r->not_ready, 1);
	assert_all_skipped(r, "not run: environment not ready after 0.5 s (last: connection "
	                      "refused)");
	ck_assert_ptr_null(r->reported_version);
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

START_TEST(test_becomes_healthy)
{
	/* the service comes up 700 ms into the wait */
	costd_restart(NULL, free_port(), 700);
	struct world w;
	world_init(&w, readiness_suite(), 4);
	struct gl_health h = {.url = tpl("{{base_url}}/health"), .version_path = "$.version"};
	w.env.health = &h;
	w.plan.wait_healthy_s = 10;
	w.plan.expect_version = "2.4.0";
	struct gl_run_result *r = world_run(&w);

	ck_assert_int_eq(r->not_ready, 0);
	ck_assert_ptr_null(r->not_ready_reason);
	ck_assert_msg(r->ready_after_s >= 0.5 && r->ready_after_s < 5, "ready after %.3f s",
	              r->ready_after_s);
	ck_assert_str_eq(r->reported_version, "2.4.0");
	struct gl_counts n;
	gl_run_result_counts(r, &n);
	ck_assert_uint_eq(n.passed, 4);
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

START_TEST(test_wrong_version)
{
	static const char *const fault[] = {"--fault", "wrong-version", NULL};
	costd_restart(fault, 0, 0);
	struct world w;
	world_init(&w, readiness_suite(), 4);
	struct gl_health h = {.url = tpl("{{base_url}}/health"), .version_path = "$.version"};
	w.env.health = &h;
	w.sel[0][2] = GL_SEL_SKIP_MUTATING;
	w.plan.expect_version = "2.4.0";
	/* without a wait, one answer decides at once */
	double t0 = now();
	struct gl_run_result *r = world_run(&w);
	ck_assert_msg(now() - t0 < 1.0, "took %.3f s", now() - t0);
	const char *why = "target reports version '2.4.0-previous', expected '2.4.0' (the deploy "
	                  "did not happen?)";
	ck_assert_int_eq(r->not_ready, 1);
	ck_assert_str_eq(r->not_ready_reason, why);
	ck_assert_str_eq(r->reported_version, "2.4.0-previous");
	char msg[256];
	snprintf(msg, sizeof msg, "not run: %s", why);
	assert_all_skipped(r, msg);
	gl_run_result_free(w.run);

	/* with a wait, the old build may still be rolling out: it waits for
	 * the right version, in vain here */
	w.plan.wait_healthy_s = 1;
	t0 = now();
	r = world_run(&w);
	double took = now() - t0;
	ck_assert_msg(took >= 1.0 && took < 2.0, "took %.3f s", took);
	ck_assert_int_eq(r->not_ready, 1);
	ck_assert_str_eq(r->not_ready_reason, why);
	assert_all_skipped(r, msg);
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

START_TEST(test_expected_version)
{
	struct world w;
	world_init(&w, readiness_suite(), 4);
	struct gl_health h = {.url = tpl("{{base_url}}/health"), .version_path = "$.version"};
	w.env.health = &h;
	w.plan.expect_version = "2.4.0";
	w.plan.wait_healthy_s = 5;
	struct gl_run_result *r = world_run(&w);

	ck_assert_int_eq(r->not_ready, 0);
	ck_assert(r->ready_after_s < 1.0);
	ck_assert_str_eq(r->reported_version, "2.4.0");
	struct gl_counts n;
	gl_run_result_counts(r, &n);
	ck_assert_uint_eq(n.passed, 4);
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

START_TEST(test_no_version_readable)
{
	struct world w;
	world_init(&w, readiness_suite(), 4);
	struct gl_health h = {.url = tpl("http://127.0.0.1:1/health"), .version_path = "$.version"};
	w.env.health = &h;
	w.sel[0][2] = GL_SEL_SKIP_MUTATING;
	w.plan.expect_version = "2.4.0";
	struct gl_run_result *r = world_run(&w);
	ck_assert_int_eq(r->not_ready, 1);
	assert_all_skipped(r, "not run: target reports no version at '$.version' (last: "
	                      "connection refused), expected '2.4.0'");
	gl_run_result_free(w.run);

	/* an answer without the version is no better */
	gl_template_free(h.url);
	h.url = tpl("{{base_url}}/test/status/200");
	r = world_run(&w);
	ck_assert_int_eq(r->not_ready, 1);
	assert_all_skipped(r, "not run: target reports no version at '$.version' (last: HTTP "
	                      "200), expected '2.4.0'");
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

START_TEST(test_plan_check)
{
	struct world w;
	char msg[256];
	world_init(&w, readiness_suite(), 1);
	w.plan.wait_healthy_s = 1;
	ck_assert_int_eq(gl_http_plan_check(&w.plan, msg, sizeof msg), -1);
	assert_prefix(msg, "--wait-healthy needs a health check, and environment 'test' declares "
	                   "none");
	w.plan.wait_healthy_s = 0;
	w.plan.expect_version = "2.4.0";
	ck_assert_int_eq(gl_http_plan_check(&w.plan, msg, sizeof msg), -1);
	assert_prefix(msg, "cannot check that the target reports version '2.4.0': environment "
	                   "'test' declares no health check with a \"version\" path");
	struct gl_health h = {.url = tpl("{{base_url}}/health")};
	w.env.health = &h;
	ck_assert_int_eq(gl_http_plan_check(&w.plan, msg, sizeof msg), -1);
	h.version_path = "$.version";
	w.plan.wait_healthy_s = 3;
	ck_assert_int_eq(gl_http_plan_check(&w.plan, msg, sizeof msg), 0);
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

START_TEST(test_retry_gives_up)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_check *k = check_new(s, "down", false);
	k->retry_max = 2;
	k->retry_backoff_ms = 100;
	expect_status(step_new(k, "down", "GET", "http://127.0.0.1:1/health"), 200);
	world_init(&w, s, 1);
	double t0 = now();
	struct gl_case *c = only_case(world_run(&w));
	double took = now() - t0;

	/* waits 100 ms, then 200 ms */
	ck_assert_msg(took >= 0.3 && took < 1.5, "took %.3f s", took);
	ck_assert_int_eq(c->outcome, GL_OUT_ERROR);
	ck_assert_uint_eq(c->retries, 2);
	assert_prefix(c->message, "connection refused: GET http://127.0.0.1:1/health (curl: ");
	ck_assert_msg(strstr(c->message, "), after 3 attempts (first: connection refused)"), "%s",
	              c->message);
	world_release(&w);
}
END_TEST

START_TEST(test_retry_then_pass)
{
	/* the service comes up 400 ms after the first attempt was refused */
	costd_restart(NULL, free_port(), 400);
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_check *k = check_new(s, "late", false);
	k->retry_max = 5;
	k->retry_backoff_ms = 200;
	expect_status(step_new(k, "late", "GET", "{{base_url}}/health"), 200);
	world_init(&w, s, 1);
	struct gl_case *c = only_case(world_run(&w));

	ck_assert_msg(c->outcome == GL_OUT_PASS, "%s", c->message);
	ck_assert_uint_ge(c->retries, 1);
	char want[96];
	snprintf(want, sizeof want, "passed after %u %s (first: connection refused)", c->retries,
	         c->retries == 1 ? "retry" : "retries");
	ck_assert_str_eq(c->message, want);
	world_release(&w);
}
END_TEST

START_TEST(test_never_retried)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	/* a status is an answer: never retried */
	struct gl_check *k = check_new(s, "status", false);
	k->retry_max = 3;
	k->retry_backoff_ms = 0;
	expect_status(step_new(k, "status", "GET", "{{base_url}}/test/status/500"), 200);
	/* nor is an assertion failure */
	k = check_new(s, "assertion", false);
	k->retry_max = 3;
	k->retry_backoff_ms = 0;
	expect_json(step_new(k, "assertion", "GET", "{{base_url}}/health"), "$.status",
	            "\"starting\"");
	/* a mutating check's POST: it may have been applied */
	k = check_new(s, "post", false);
	k->mutating = true;
	k->retry_max = 3;
	k->retry_backoff_ms = 0;
	expect_status(step_new(k, "post", "POST", "http://127.0.0.1:1/"), 200);
	/* but its GET is idempotent; and a reset is transient */
	k = check_new(s, "get", false);
	k->mutating = true;
	k->retry_max = 3;
	k->retry_backoff_ms = 0;
	expect_status(step_new(k, "get", "GET", "{{base_url}}/test/reset"), 200);
	/* no "retry": no retry */
	expect_status(lone(s, "plain", "GET", "{{base_url}}/test/reset"), 200);
	world_init(&w, s, 4);
	struct gl_run_result *r = world_run(&w);
	struct gl_case *c = r->suites[0].cases;

	ck_assert_int_eq(c[0].outcome, GL_OUT_FAIL);
	ck_assert_uint_eq(c[0].retries, 0);
	ck_assert_ptr_null(strstr(c[0].message, "attempts"));
	ck_assert_int_eq(c[1].outcome, GL_OUT_FAIL);
	ck_assert_uint_eq(c[1].retries, 0);
	ck_assert_int_eq(c[2].outcome, GL_OUT_ERROR);
	ck_assert_uint_eq(c[2].retries, 0);
	ck_assert_int_eq(c[3].outcome, GL_OUT_ERROR);
	ck_assert_uint_eq(c[3].retries, 3);
	ck_assert_msg(strstr(c[3].message, ", after 4 attempts (first: connection reset)"), "%s",
	              c[3].message);
	ck_assert_int_eq(c[4].outcome, GL_OUT_ERROR);
	ck_assert_uint_eq(c[4].retries, 0);
	world_release(&w);
}
END_TEST

START_TEST(test_flow_deadline)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	struct gl_check *k = check_new(s, "f", true);
	k->deadline_ms = 500;
	expect_status(step_new(k, "first", "GET", "{{base_url}}/health"), 200);
	struct gl_step *hang = step_new(k, "hang", "GET", "{{base_url}}/test/hang");
	hang->request.timeout_ms = 10000;
	expect_status(step_new(k, "after", "GET", "{{base_url}}/health"), 200);
	/* a refused step retried until the deadline leaves no time */
	struct gl_check *d = check_new(s, "down", true);
	d->deadline_ms = 300;
	d->retry_max = 5;
	d->retry_backoff_ms = 100;
	step_new(d, "down", "GET", "http://127.0.0.1:1/");
	step_new(d, "next", "GET", "{{base_url}}/health");
	world_init(&w, s, 2);
	double t0 = now();
	struct gl_run_result *r = world_run(&w);
	double took = now() - t0;

	ck_assert_msg(took < 1.5, "took %.3f s", took);
	ck_assert_int_eq(r->interrupted, 0);
	struct gl_case *c = r->suites[0].cases;
	ck_assert_int_eq(c[0].outcome, GL_OUT_PASS);
	ck_assert_int_eq(c[1].outcome, GL_OUT_ERROR);
	char want[128];
	snprintf(want, sizeof want, "flow deadline of 500 ms exceeded: GET %s/test/hang", base_url);
	ck_assert_str_eq(c[1].message, want);
	ck_assert(c[1].seconds < 0.6);
	ck_assert_int_eq(c[2].outcome, GL_OUT_SKIP);
	ck_assert_str_eq(c[2].message, "skipped: flow deadline of 500 ms exceeded");
	/* 100 + 200 ms of backoff would pass 300 ms: two attempts, then the
	 * transport error stands */
	ck_assert_int_eq(c[3].outcome, GL_OUT_ERROR);
	ck_assert_uint_eq(c[3].retries, 1);
	assert_prefix(c[3].message, "connection refused: GET http://127.0.0.1:1/");
	ck_assert_int_eq(c[4].outcome, GL_OUT_SKIP);
	ck_assert_str_eq(c[4].message, "skipped: step 'down' failed");
	world_release(&w);
}
END_TEST

START_TEST(test_run_deadline)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "fast", "GET", "{{base_url}}/health"), 200);
	for (int i = 0; i < 3; i++) {
		char id[16];
		snprintf(id, sizeof id, "hang%d", i);
		lone(s, id, "GET", "{{base_url}}/test/hang")->request.timeout_ms = 10000;
	}
	struct gl_check *k = check_new(s, "flow", true);
	step_new(k, "one", "GET", "{{base_url}}/test/hang");
	step_new(k, "two", "GET", "{{base_url}}/health");
	/* waiting to retry when the deadline comes */
	struct gl_check *d = check_new(s, "down", false);
	d->retry_max = 5;
	d->retry_backoff_ms = 10000;
	step_new(d, "down", "GET", "http://127.0.0.1:1/");
	world_init(&w, s, 8);
	w.plan.deadline_ms = 500;
	double t0 = now();
	struct gl_run_result *r = world_run(&w);
	double took = now() - t0;

	ck_assert_msg(took >= 0.5 && took < 1.5, "took %.3f s", took);
	ck_assert_int_eq(r->interrupted, 1);
	ck_assert_int_eq(r->not_ready, 0);
	ck_assert_uint_eq(r->suites[0].n_cases, 7);
	struct gl_case *c = r->suites[0].cases;
	ck_assert_int_eq(c[0].outcome, GL_OUT_PASS);
	for (size_t i = 1; i < 6; i++) {
		ck_assert_int_eq(c[i].outcome, GL_OUT_ERROR);
		ck_assert_str_eq(c[i].message, "run deadline of 0.5 s exceeded");
	}
	ck_assert_int_eq(c[6].outcome, GL_OUT_ERROR);
	ck_assert_str_eq(c[6].message,
	                 "run deadline of 0.5 s exceeded (retrying after connection refused)");
	ck_assert_uint_eq(c[6].retries, 1);
	world_release(&w);
}
END_TEST

START_TEST(test_run_deadline_during_wait)
{
	static const char *const fault[] = {"--fault", "health-503", NULL};
	costd_restart(fault, 0, 0);
	struct world w;
	world_init(&w, readiness_suite(), 4);
	struct gl_health h = {.url = tpl("{{base_url}}/health"), .version_path = "$.version"};
	w.env.health = &h;
	w.plan.wait_healthy_s = 30;
	w.plan.deadline_ms = 700;
	double t0 = now();
	struct gl_run_result *r = world_run(&w);
	double took = now() - t0;

	ck_assert_msg(took < 1.5, "took %.3f s", took);
	ck_assert_int_eq(r->interrupted, 1);
	ck_assert_int_eq(r->not_ready, 0);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(r->suites[0].cases[i].outcome, GL_OUT_ERROR);
		ck_assert_str_eq(r->suites[0].cases[i].message, "run deadline of 0.7 s exceeded");
	}
	gl_template_free(h.url);
	world_release(&w);
}
END_TEST

static void on_alarm_term(int sig)
{
	(void)sig;
	gl_http_request_stop_signal(SIGTERM);
}

START_TEST(test_interrupt_by_signal)
{
	struct world w;
	struct gl_suite *s = suite_new("smoke");
	expect_status(lone(s, "fast", "GET", "{{base_url}}/health"), 200);
	lone(s, "hang", "GET", "{{base_url}}/test/hang")->request.timeout_ms = 10000;
	world_init(&w, s, 2);

	struct sigaction sa = {0};
	sa.sa_handler = on_alarm_term;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {.tv_sec = 0, .tv_usec = 300 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	struct gl_run_result *r = world_run(&w);

	ck_assert_int_eq(r->interrupted, 1);
	ck_assert_int_eq(r->suites[0].cases[0].outcome, GL_OUT_PASS);
	ck_assert_int_eq(r->suites[0].cases[1].outcome, GL_OUT_ERROR);
	ck_assert_str_eq(r->suites[0].cases[1].message, "interrupted by SIGTERM");
	world_release(&w);
}
END_TEST

/* The capped body buffer behind both write callbacks: exactly the cap fits,
 * one byte more is refused whole, and the text stays NUL-terminated. */
START_TEST(test_body_append_cap)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ck_assert_int_eq(gl_body_append(&buf, &len, &cap, 10, "hello", 5), 0);
	ck_assert_int_eq(gl_body_append(&buf, &len, &cap, 10, "world", 5), 0);
	ck_assert_str_eq(buf, "helloworld");
	ck_assert_int_eq(gl_body_append(&buf, &len, &cap, 10, "!", 1), 1);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(buf, "helloworld");
	ck_assert_int_eq(gl_body_append(&buf, &len, &cap, 10, "", 0), 0);
	ck_assert_int_eq(gl_body_append(&buf, &len, &cap, 10, "x", (size_t)-1), 1);
	free(buf);
}
END_TEST

Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("costd");
	tcase_add_checked_fixture(tc, costd_start, costd_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pass);
	tcase_add_test(tc, test_body_append_cap);
	tcase_add_test(tc, test_status_failure);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_dns_failure);
	tcase_add_test(tc, test_tls_verify_off_in_result);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_body_cap);
	tcase_add_test(tc, test_flow);
	tcase_add_test(tc, test_flow_error_skips_rest);
	tcase_add_test(tc, test_query_and_json_body);
	tcase_add_test(tc, test_declaration_order);
	tcase_add_test(tc, test_selection);
	tcase_add_test(tc, test_many_checks);
	tcase_add_test(tc, test_unknown_variable_is_error);
	tcase_add_test(tc, test_health_probe);
	tcase_add_test(tc, test_health_probe_down);
	tcase_add_test(tc, test_interrupt);
	suite_add_tcase(s, tc);
	tc = tcase_create("part3");
	tcase_add_checked_fixture(tc, costd_start, costd_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_never_healthy);
	tcase_add_test(tc, test_never_reachable);
	tcase_add_test(tc, test_becomes_healthy);
	tcase_add_test(tc, test_wrong_version);
	tcase_add_test(tc, test_expected_version);
	tcase_add_test(tc, test_no_version_readable);
	tcase_add_test(tc, test_plan_check);
	tcase_add_test(tc, test_retry_gives_up);
	tcase_add_test(tc, test_retry_then_pass);
	tcase_add_test(tc, test_never_retried);
	tcase_add_test(tc, test_flow_deadline);
	tcase_add_test(tc, test_run_deadline);
	tcase_add_test(tc, test_run_deadline_during_wait);
	tcase_add_test(tc, test_interrupt_by_signal);
	suite_add_tcase(s, tc);
	return s;
}
