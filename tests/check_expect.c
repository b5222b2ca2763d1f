/* Unit tests of assert.c: every target and operator against hand-built
 * responses, the messages people read, captures, decimal comparison. */
#include <check.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "diag.h"
#include "expect.h"
#include "jsonpath.h"
#include "redact.h"
#include "suite.h"
#include "template.h"

#define MAX_ITEMS 16

/* A step under construction; fixed arrays keep the tests short. */
struct fixture {
	struct gl_step step;
	struct gl_assertion asserts[MAX_ITEMS];
	struct gl_capture captures[MAX_ITEMS];
	struct gl_header headers[MAX_ITEMS];
	struct gl_response resp;
	struct gl_eval ev;
};

static struct gl_template *tpl(const char *text)
{
	struct gl_template *t = NULL;
	struct gl_diag d;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_template_parse(&t, text, (struct gl_pos){"test", 1, 1}, &d), 0);
	gl_diag_release(&d);
	return t;
}

static struct gl_jsonpath *jp(const char *text)
{
	struct gl_jsonpath *p = NULL;
	struct gl_diag d;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_jsonpath_compile(&p, text, (struct gl_pos){"test", 1, 1}, &d), 0);
	gl_diag_release(&d);
	return p;
}

static regex_t *re(const char *pattern)
{
	regex_t *r = malloc(sizeof *r);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(regcomp(r, pattern, REG_EXTENDED), 0);
	return r;
}

static void fx_init(struct fixture *f, long status, const char *body)
{
	memset(f, 0, sizeof *f);
	f->step.name = "step";
	f->step.asserts = f->asserts;
	f->step.captures = f->captures;
	f->resp.status = status;
	f->resp.body = strdup(body);
	f->resp.body_len = strlen(body);
	f->resp.headers = f->headers;
	f->resp.cert_days = LONG_MIN;
}

static void fx_header(struct fixture *f, const char *name, const char *value)
{
	f->headers[f->resp.n_headers].name = (char *)name;
	f->headers[f->resp.n_headers].value = (char *)value;
	f->resp.n_headers++;
}

/* Add an assertion; subject is a header name or a JSON path; operand NULL
 * where there is none. */
static struct gl_assertion *fx_assert(struct fixture *f, enum gl_target target, enum gl_cmp cmp,
                                      const char *subject, const char *operand)
{
	struct gl_assertion *a = &f->asserts[f->step.n_asserts++];
	a->target = target;
	a->cmp = cmp;
	a->subject = (char *)subject;
	if (target == GL_T_JSON)
		a->path = jp(subject);
	if (operand)
		a->operand = tpl(operand);
	if (cmp == GL_CMP_MATCHES)
		a->re = re(operand);
	return a;
}

static void fx_status(struct fixture *f, long *statuses, size_t n)
{
	struct gl_assertion *a = fx_assert(f, GL_T_STATUS, GL_CMP_STATUS_IN, NULL, NULL);
	a->statuses = statuses;
	a->n_statuses = n;
}

static void fx_capture(struct fixture *f, const char *name, enum gl_capture_source src,
                       const char *expr, bool secret)
{
	struct gl_capture *c = &f->captures[f->step.n_captures++];
	c->name = (char *)name;
	c->source = src;
	c->expr = (char *)expr;
	c->secret = secret;
	if (src == GL_CAP_JSON)
		c->path = jp(expr);
	if (src == GL_CAP_REGEX)
		c->re = re(expr);
}

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "want") == 0)
		return "o\"k";
	if (strcmp(name, "limit") == 0)
		return "10.00";
	return NULL;
}

static int fx_eval(struct fixture *f)
{
	gl_eval_release(&f->ev);
	ck_assert_int_eq(gl_assert_eval(&f->ev, &f->step, &f->resp, lookup, NULL), 0);
	return f->ev.passed;
}

static void fx_release(struct fixture *f)
{
	gl_eval_release(&f->ev);
	for (size_t i = 0; i < f->step.n_asserts; i++) {
		gl_jsonpath_free(f->asserts[i].path);
		gl_template_free(f->asserts[i].operand);
		if (f->asserts[i].re) {
			regfree(f->asserts[i].re);
			free(f->asserts[i].re);
		}
	}
	for (size_t i = 0; i < f->step.n_captures; i++) {
		gl_jsonpath_free(f->captures[i].path);
		if (f->captures[i].re) {
			regfree(f->captures[i].re);
			free(f->captures[i].re);
		}
	}
	free(f->resp.body);
}

/* One assertion against a response; returns whether it passed and leaves
 * the message in *msg (caller frees) when it failed. */
static int one(long status, const char *body, enum gl_target target, enum gl_cmp cmp,
               const char *subject, const char *operand, char **msg)
{
	struct fixture f;
	fx_init(&f, status, body);
	fx_header(&f, "Content-Type", "text/html");
	fx_header(&f, "X-Count", "12");
	fx_assert(&f, target, cmp, subject, operand);
	int passed = fx_eval(&f);
	if (msg)
		*msg = f.ev.message ? strdup(f.ev.message) : NULL;
	if (passed) {
		ck_assert_ptr_null(f.ev.message);
		ck_assert_ptr_null(f.ev.detail);
	} else {
		ck_assert_ptr_nonnull(f.ev.message);
		ck_assert_ptr_nonnull(f.ev.detail);
	}
	fx_release(&f);
	return passed;
}

#define PASSES(status, body, target, cmp, subject, operand)                                        \
	ck_assert_msg(one(status, body, target, cmp, subject, operand, NULL), "expected a pass")

#define FAILS_WITH(status, body, target, cmp, subject, operand, want)                              \
	do {                                                                                       \
		char *m_ = NULL;                                                                   \
		ck_assert_msg(!one(status, body, target, cmp, subject, operand, &m_),              \
		              "expected a failure");                                               \
		ck_assert_str_eq(m_, want);                                                        \
		free(m_);                                                                          \
	} while (0)

START_TEST(test_status)
{
	long ok[] = {200};
	long some[] = {200, 201};
	struct fixture f;

	fx_init(&f, 200, "");
	fx_status(&f, ok, 1);
	ck_assert(fx_eval(&f));
	f.resp.status = 503;
	ck_assert(!fx_eval(&f));
	ck_assert_str_eq(f.ev.message, "status: expected 200, got 503");
	f.asserts[0].statuses = some;
	f.asserts[0].n_statuses = 2;
	ck_assert(!fx_eval(&f));
	ck_assert_str_eq(f.ev.message, "status: expected one of 200, 201, got 503");
	f.resp.status = 201;
	ck_assert(fx_eval(&f));
	long runs[] = {200, 201, 202, 204, 300, 301, 302, 303};
	f.asserts[0].statuses = runs;
	f.asserts[0].n_statuses = 8;
	f.resp.status = 502;
	ck_assert(!fx_eval(&f));
	ck_assert_str_eq(f.ev.message, "status: expected one of 200-202, 204, 300-303, got 502");
	fx_release(&f);
}
END_TEST

START_TEST(test_header)
{
	PASSES(200, "", GL_T_HEADER, GL_CMP_EQ, "content-type", "text/html");
	FAILS_WITH(200, "", GL_T_HEADER, GL_CMP_EQ, "Content-Type", "application/json",
	           "header 'Content-Type': expected 'application/json', got 'text/html'");
	FAILS_WITH(200, "", GL_T_HEADER, GL_CMP_EQ, "X-Missing", "a",
	           "header 'X-Missing': expected 'a', got nothing");
	PASSES(200, "", GL_T_HEADER, GL_CMP_NE, "Content-Type", "application/json");
	FAILS_WITH(200, "", GL_T_HEADER, GL_CMP_NE, "Content-Type", "text/html",
	           "header 'Content-Type': expected not 'text/html', got 'text/html'");
	PASSES(200, "", GL_T_HEADER, GL_CMP_EXISTS, "X-COUNT", NULL);
	FAILS_WITH(200, "", GL_T_HEADER, GL_CMP_EXISTS, "X-Missing", NULL,
	           "header 'X-Missing': expected to be present, got nothing");
	PASSES(200, "", GL_T_HEADER, GL_CMP_ABSENT, "X-Missing", NULL);
	FAILS_WITH(200, "", GL_T_HEADER, GL_CMP_ABSENT, "X-Count", NULL,
	           "header 'X-Count': expected to be absent, got '12'");
	PASSES(200, "", GL_T_HEADER, GL_CMP_MATCHES, "Content-Type", "^text/");
	FAILS_WITH(200, "", GL_T_HEADER, GL_CMP_MATCHES, "Content-Type", "^application/json",
	           "header 'Content-Type': expected to match '^application/json', got 'text/html'");
	PASSES(200, "", GL_T_HEADER, GL_CMP_CONTAINS, "Content-Type", "html");
	FAILS_WITH(200, "", GL_T_HEADER, GL_CMP_CONTAINS, "Content-Type", "json",
	           "header 'Content-Type': expected to contain 'json', got 'text/html'");
	PASSES(200, "", GL_T_HEADER, GL_CMP_LT, "X-Count", "12.5");
	FAILS_WITH(200, "", GL_T_HEADER, GL_CMP_GT, "X-Count", "12.0",
	           "header 'X-Count': expected > 12.0, got '12'");
}
END_TEST

START_TEST(test_header_last_value_wins)
{
	struct fixture f;
	fx_init(&f, 200, "");
	fx_header(&f, "X-Id", "first");
	fx_header(&f, "x-id", "second");
	fx_assert(&f, GL_T_HEADER, GL_CMP_EQ, "X-ID", "second");
	ck_assert(fx_eval(&f));
	fx_release(&f);
}
END_TEST

START_TEST(test_header_sensitive_value_hidden)
{
	struct fixture f;
	fx_init(&f, 200, "");
	fx_header(&f, "Set-Cookie", "session=s3cr3tvalue");
	fx_assert(&f, GL_T_HEADER, GL_CMP_CONTAINS, "Set-Cookie", "other=");
	ck_assert(!fx_eval(&f));
	ck_assert_ptr_null(strstr(f.ev.message, "s3cr3tvalue"));
	ck_assert_ptr_null(strstr(f.ev.detail, "s3cr3tvalue"));
	ck_assert_str_eq(f.ev.message,
	                 "header 'Set-Cookie': expected to contain 'other=', got '***'");
	fx_release(&f);
}
END_TEST

static const char *doc = "{\"status\":\"starting\",\"n\":3,\"price\":\"12.50\",\"f\":1.5,"
                         "\"ok\":true,\"nil\":null,\"items\":[1,\"two\",{\"k\":\"v\"}],"
                         "\"obj\":{\"a\":1},\"q\":\"o\\\"k\"}";

START_TEST(test_json_equals)
{
	PASSES(200, doc, GL_T_JSON, GL_CMP_EQ, "$.status", "\"starting\"");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_EQ, "$.status", "\"ok\"",
	           "'$.status': expected \"ok\", got \"starting\"");
	PASSES(200, doc, GL_T_JSON, GL_CMP_EQ, "$.n", "3.0");
	PASSES(200, doc, GL_T_JSON, GL_CMP_EQ, "$.items", "[1,\"two\",{\"k\":\"v\"}]");
	PASSES(200, doc, GL_T_JSON, GL_CMP_EQ, "$.items[-1].k", "\"v\"");
	PASSES(200, doc, GL_T_JSON, GL_CMP_EQ, "$.nil", "null");
	/* a number is not the string of its digits */
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_EQ, "$.n", "\"3\"", "'$.n': expected \"3\", got 3");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_EQ, "$.x", "1", "'$.x' not found");
	/* the operand's variables are escaped for JSON */
	PASSES(200, doc, GL_T_JSON, GL_CMP_EQ, "$.q", "\"{{want}}\"");
	PASSES(200, doc, GL_T_JSON, GL_CMP_NE, "$.status", "\"ok\"");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_NE, "$.n", "3", "'$.n': expected not 3, got 3");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_NE, "$.gone", "3", "'$.gone' not found");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_EQ, "$.n", "{{nope}}",
	           "'$.n': cannot render the expected value: unknown variable 'nope'");
}
END_TEST

START_TEST(test_json_exists_type)
{
	PASSES(200, doc, GL_T_JSON, GL_CMP_EXISTS, "$.nil", NULL);
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_EXISTS, "$.obj.b", NULL, "'$.obj.b' not found");
	PASSES(200, doc, GL_T_JSON, GL_CMP_ABSENT, "$.obj.b", NULL);
	PASSES(200, doc, GL_T_JSON, GL_CMP_ABSENT, "$.items[3]", NULL);
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_ABSENT, "$.obj", NULL,
	           "'$.obj': expected to be absent, got {\"a\":1}");
	PASSES(200, doc, GL_T_JSON, GL_CMP_TYPE, "$.status", "string");
	PASSES(200, doc, GL_T_JSON, GL_CMP_TYPE, "$.n", "number");
	PASSES(200, doc, GL_T_JSON, GL_CMP_TYPE, "$.ok", "boolean");
	PASSES(200, doc, GL_T_JSON, GL_CMP_TYPE, "$.nil", "null");
	PASSES(200, doc, GL_T_JSON, GL_CMP_TYPE, "$.obj", "object");
	PASSES(200, doc, GL_T_JSON, GL_CMP_TYPE, "$.items", "array");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_TYPE, "$.price", "number",
	           "'$.price': expected type number, got string \"12.50\"");
}
END_TEST

START_TEST(test_json_matches_contains)
{
	PASSES(200, doc, GL_T_JSON, GL_CMP_MATCHES, "$.status", "^start");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_MATCHES, "$.status", "^ok$",
	           "'$.status': expected to match '^ok$', got \"starting\"");
	/* a non-string is matched as its compact JSON text */
	PASSES(200, doc, GL_T_JSON, GL_CMP_MATCHES, "$.obj", "^\\{\"a\":1\\}$");
	PASSES(200, doc, GL_T_JSON, GL_CMP_CONTAINS, "$.status", "tart");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_CONTAINS, "$.status", "ok",
	           "'$.status': expected to contain 'ok', got \"starting\"");
	PASSES(200, doc, GL_T_JSON, GL_CMP_CONTAINS, "$.items", "1");
	PASSES(200, doc, GL_T_JSON, GL_CMP_CONTAINS, "$.items", "two");
	PASSES(200, doc, GL_T_JSON, GL_CMP_CONTAINS, "$.items", "{\"k\":\"v\"}");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_CONTAINS, "$.items", "2",
	           "'$.items': expected to contain '2', got [1,\"two\",{\"k\":\"v\"}]");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_CONTAINS, "$.n", "3",
	           "'$.n': expected to contain '3', got 3 (not a string or an array)");
}
END_TEST

START_TEST(test_json_order)
{
	PASSES(200, doc, GL_T_JSON, GL_CMP_LT, "$.price", "12.51");
	PASSES(200, doc, GL_T_JSON, GL_CMP_LE, "$.price", "12.5");
	PASSES(200, doc, GL_T_JSON, GL_CMP_GE, "$.price", "12.500");
	PASSES(200, doc, GL_T_JSON, GL_CMP_GT, "$.price", "-13");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_LT, "$.price", "{{limit}}",
	           "'$.price': expected < 10.00, got \"12.50\"");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_GT, "$.price", "12.5",
	           "'$.price': expected > 12.5, got \"12.50\"");
	PASSES(200, doc, GL_T_JSON, GL_CMP_LE, "$.n", "3");
	PASSES(200, doc, GL_T_JSON, GL_CMP_GT, "$.f", "1.49");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_GE, "$.f", "1.51",
	           "'$.f': expected >= 1.51, got 1.5");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_LT, "$.status", "1",
	           "'$.status': expected < 1, got \"starting\" (not a number)");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_LT, "$.ok", "1",
	           "'$.ok': expected < 1, got true (not a number)");
	FAILS_WITH(200, doc, GL_T_JSON, GL_CMP_LT, "$.n", "abc",
	           "'$.n': expected value 'abc' is not a decimal number");
	/* a large number printed in exponent form still compares exactly */
	PASSES(200, "{\"big\":1e20}", GL_T_JSON, GL_CMP_EQ, "$.big", "100000000000000000000");
	PASSES(200, "{\"big\":1e20}", GL_T_JSON, GL_CMP_GT, "$.big", "99999999999999999999");
	PASSES(200, "{\"tiny\":1.5e-7}", GL_T_JSON, GL_CMP_LT, "$.tiny", "0.00000016");
}
END_TEST

START_TEST(test_body)
{
	PASSES(200, "hello world", GL_T_BODY, GL_CMP_EQ, NULL, "hello world");
	FAILS_WITH(200, "hello world", GL_T_BODY, GL_CMP_EQ, NULL, "hello",
	           "body: expected 'hello', got 'hello world'");
	PASSES(200, "hello world", GL_T_BODY, GL_CMP_NE, NULL, "hello");
	PASSES(200, "hello world", GL_T_BODY, GL_CMP_CONTAINS, NULL, "o w");
	FAILS_WITH(200, "hello\nworld", GL_T_BODY, GL_CMP_CONTAINS, NULL, "bye",
	           "body: expected to contain 'bye', got 'hello\\nworld'");
	PASSES(200, "hello world", GL_T_BODY, GL_CMP_MATCHES, NULL, "^h.*d$");
	FAILS_WITH(200, "hello world", GL_T_BODY, GL_CMP_MATCHES, NULL, "^x",
	           "body: expected to match '^x', got 'hello world'");
}
END_TEST

/* Regression: regexec stops at a NUL, so "ok\0ERROR" matched "^ok$" (a
 * false green found in review). */
START_TEST(test_body_matches_nul)
{
	struct fixture f;
	fx_init(&f, 200, "ok");
	free(f.resp.body);
	f.resp.body = malloc(9);
	memcpy(f.resp.body, "ok\0ERROR", 9);
	f.resp.body_len = 8;
	fx_assert(&f, GL_T_BODY, GL_CMP_MATCHES, NULL, "^ok$");
	ck_assert(!fx_eval(&f));
	fx_release(&f);
}
END_TEST

START_TEST(test_long_actual_capped)
{
	char body[1001];
	memset(body, 'a', 1000);
	body[1000] = '\0';
	char *m = NULL;
	ck_assert(!one(200, body, GL_T_BODY, GL_CMP_EQ, NULL, "b", &m));
	ck_assert_uint_lt(strlen(m), 260);
	ck_assert_ptr_nonnull(strstr(m, "...'"));
	free(m);
}
END_TEST

START_TEST(test_time_and_cert)
{
	struct fixture f;
	fx_init(&f, 200, "");
	struct gl_assertion *a = fx_assert(&f, GL_T_TIME_MS, GL_CMP_LIMIT, NULL, NULL);
	a->limit = 500;
	f.resp.total_seconds = 2.003;
	ck_assert(!fx_eval(&f));
	ck_assert_str_eq(f.ev.message, "response time: expected at most 500 ms, got 2003 ms");
	f.resp.total_seconds = 0.5; /* inclusive */
	ck_assert(fx_eval(&f));
	f.resp.total_seconds = 0.5002; /* over by a fraction is over */
	ck_assert(!fx_eval(&f));
	fx_release(&f);

	fx_init(&f, 200, "");
	a = fx_assert(&f, GL_T_CERT_DAYS, GL_CMP_LIMIT, NULL, NULL);
	a->limit = 30;
	ck_assert(!fx_eval(&f));
	ck_assert_str_eq(f.ev.message, "certificate: no TLS certificate (not https)");
	f.resp.cert_days = 12;
	ck_assert(!fx_eval(&f));
	ck_assert_str_eq(f.ev.message,
	                 "certificate: expected at least 30 days before expiry, got 12 days");
	f.resp.cert_days = 30;
	ck_assert(fx_eval(&f));
	fx_release(&f);
}
END_TEST

START_TEST(test_not_json)
{
	struct fixture f;
	fx_init(&f, 200, "<html>oops</html>");
	fx_assert(&f, GL_T_JSON, GL_CMP_EQ, "$.status", "\"ok\"");
	fx_assert(&f, GL_T_JSON, GL_CMP_ABSENT, "$.error", NULL);
	ck_assert(!fx_eval(&f));
	ck_assert_str_eq(f.ev.message, "response body is not JSON: got '<html>oops</html>'");
	/* listed once, not once per JSON assertion */
	ck_assert_str_eq(f.ev.detail, f.ev.message);
	fx_release(&f);

	/* trailing text after a JSON value is not JSON */
	FAILS_WITH(200, "{\"status\":\"ok\"} trailing", GL_T_JSON, GL_CMP_EQ, "$.status", "\"ok\"",
	           "response body is not JSON: got '{\"status\":\"ok\"} trailing'");
	FAILS_WITH(204, "", GL_T_JSON, GL_CMP_EXISTS, "$", NULL,
	           "response body is not JSON: got ''");
}
END_TEST

START_TEST(test_every_failure_listed)
{
	long ok[] = {200};
	struct fixture f;
	fx_init(&f, 503, "{\"status\":\"starting\"}");
	fx_status(&f, ok, 1);
	fx_assert(&f, GL_T_JSON, GL_CMP_EQ, "$.status", "\"ok\"");
	fx_assert(&f, GL_T_JSON, GL_CMP_EXISTS, "$.status", NULL);
	ck_assert(!fx_eval(&f));
	ck_assert_str_eq(f.ev.message, "status: expected 200, got 503");
	ck_assert_str_eq(
	        f.ev.detail,
	        "status: expected 200, got 503\n'$.status': expected \"ok\", got \"starting\"");
	fx_release(&f);
}
END_TEST

START_TEST(test_captures)
{
	struct fixture f;
	fx_init(&f, 200, "{\"token\":\"tok-abc123\",\"n\":42,\"o\":{\"a\":[1]},\"s\":\"id=77;\"}");
	fx_header(&f, "Location", "/a");
	fx_header(&f, "location", "/b");
	fx_capture(&f, "token", GL_CAP_JSON, "$.token", true);
	fx_capture(&f, "n", GL_CAP_JSON, "$.n", false);
	fx_capture(&f, "o", GL_CAP_JSON, "$.o", false);
	fx_capture(&f, "loc", GL_CAP_HEADER, "LOCATION", false);
	fx_capture(&f, "id", GL_CAP_REGEX, "id=([0-9]+)", false);
	fx_capture(&f, "whole", GL_CAP_REGEX, "id=[0-9]+", false);
	ck_assert(fx_eval(&f));
	ck_assert_uint_eq(f.ev.n_captures, 6);
	ck_assert_str_eq(f.ev.captures[0].name, "token");
	ck_assert_str_eq(f.ev.captures[0].value, "tok-abc123");
	ck_assert(f.ev.captures[0].secret);
	ck_assert_str_eq(f.ev.captures[1].value, "42");
	ck_assert_str_eq(f.ev.captures[2].value, "{\"a\":[1]}");
	ck_assert_str_eq(f.ev.captures[3].value, "/b");
	ck_assert_str_eq(f.ev.captures[4].value, "77");
	ck_assert_str_eq(f.ev.captures[5].value, "id=77");

	/* the secret capture was registered for redaction at once */
	char *red = gl_redact("Authorization: Bearer tok-abc123");
	ck_assert_ptr_nonnull(red);
	ck_assert_ptr_null(strstr(red, "tok-abc123"));
	free(red);
	gl_redact_reset();
	fx_release(&f);
}
END_TEST

START_TEST(test_capture_not_found)
{
	struct fixture f;
	fx_init(&f, 200, "{\"user\":\"qa\"}");
	fx_capture(&f, "user", GL_CAP_JSON, "$.user", false);
	fx_capture(&f, "token", GL_CAP_JSON, "$.token", false);
	fx_capture(&f, "sid", GL_CAP_HEADER, "X-Session", false);
	fx_capture(&f, "num", GL_CAP_REGEX, "[0-9]+", false);
	ck_assert(!fx_eval(&f));
	ck_assert_str_eq(f.ev.message, "capture 'token': '$.token' not found");
	ck_assert_str_eq(f.ev.detail, "capture 'token': '$.token' not found\n"
	                              "capture 'sid': header 'X-Session' not found\n"
	                              "capture 'num': pattern '[0-9]+' did not match the body");
	/* a failed step hands over no captures */
	ck_assert_uint_eq(f.ev.n_captures, 0);
	ck_assert_ptr_null(f.ev.captures);
	fx_release(&f);
}
END_TEST

START_TEST(test_no_captures_after_failed_assertion)
{
	long ok[] = {200};
	struct fixture f;
	gl_redact_reset();
	fx_init(&f, 500, "{\"token\":\"tok-123\"}");
	fx_status(&f, ok, 1);
	fx_capture(&f, "token", GL_CAP_JSON, "$.token", true);
	ck_assert(!fx_eval(&f));
	ck_assert_uint_eq(f.ev.n_captures, 0);
	/* Regression (found in review): the secret is still registered, since
	 * the failure's detail quotes the body that holds it. */
	char *red = gl_redact("body: tok-123");
	ck_assert_str_eq(red, "body: ***");
	free(red);
	gl_redact_reset();
	fx_release(&f);
}
END_TEST

static int dcmp(const char *a, const char *b)
{
	int c = 99;
	ck_assert_int_eq(gl_decimal_text_cmp(&c, a, b), 0);
	return c;
}

START_TEST(test_decimal_text_cmp)
{
	int c;
	ck_assert_int_eq(dcmp("1", "2"), -1);
	ck_assert_int_eq(dcmp("2", "1"), 1);
	ck_assert_int_eq(dcmp("1.10", "1.1"), 0);
	ck_assert_int_eq(dcmp("-0", "0"), 0);
	ck_assert_int_eq(dcmp("-0.000", "+0"), 0);
	ck_assert_int_eq(dcmp("007.5", "7.50"), 0);
	ck_assert_int_eq(dcmp("-1", "1"), -1);
	ck_assert_int_eq(dcmp("-2", "-1"), -1);
	ck_assert_int_eq(dcmp("-1.01", "-1.1"), 1);
	ck_assert_int_eq(dcmp("10", "9.999"), 1);
	ck_assert_int_eq(dcmp("0.1", "0.09"), 1);
	ck_assert_int_eq(dcmp(".5", "0.5"), 0);
	ck_assert_int_eq(dcmp("123456789012345678901234567890.000000000000000000001",
	                      "123456789012345678901234567890"),
	                 1);
	ck_assert_int_eq(gl_decimal_text_cmp(&c, "1e3", "1000"), -1);
	ck_assert_int_eq(gl_decimal_text_cmp(&c, "1000", ""), -1);
	ck_assert_int_eq(gl_decimal_text_cmp(&c, "abc", "1"), -1);
	ck_assert_int_eq(gl_decimal_text_cmp(&c, "1.2.3", "1"), -1);
	ck_assert_int_eq(gl_decimal_text_cmp(&c, "-", "1"), -1);
	ck_assert_int_eq(gl_decimal_text_cmp(&c, " 1", "1"), -1);
	ck_assert_int_eq(gl_decimal_text_cmp(&c, "1", "."), -1);
}
END_TEST

START_TEST(test_json_extract)
{
	const char *body = "{\"version\":\"2.4.0\",\"n\":[1,2],\"o\":{\"k\":null}}";
	struct gl_jsonpath *p = jp("$.version");
	char *out = NULL;
	ck_assert_int_eq(gl_json_extract(&out, body, strlen(body), p), 0);
	ck_assert_str_eq(out, "2.4.0");
	free(out);
	gl_jsonpath_free(p);

	p = jp("$.n");
	ck_assert_int_eq(gl_json_extract(&out, body, strlen(body), p), 0);
	ck_assert_str_eq(out, "[1,2]");
	free(out);
	gl_jsonpath_free(p);

	p = jp("$.o.k");
	ck_assert_int_eq(gl_json_extract(&out, body, strlen(body), p), 0);
	ck_assert_str_eq(out, "null");
	free(out);
	gl_jsonpath_free(p);

	p = jp("$.missing");
	ck_assert_int_eq(gl_json_extract(&out, body, strlen(body), p), 1);
	ck_assert_ptr_null(out);
	/* not JSON, or JSON cut short by len */
	ck_assert_int_eq(gl_json_extract(&out, "<html>", 6, p), 1);
	ck_assert_int_eq(gl_json_extract(&out, body, 10, p), 1);
	ck_assert_int_eq(gl_json_extract(&out, "", 0, p), 1);
	gl_jsonpath_free(p);
}
END_TEST

Suite *expect_suite(void)
{
	Suite *s = suite_create("expect");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_header_last_value_wins);
	tcase_add_test(tc, test_header_sensitive_value_hidden);
	tcase_add_test(tc, test_json_equals);
	tcase_add_test(tc, test_json_exists_type);
	tcase_add_test(tc, test_json_matches_contains);
	tcase_add_test(tc, test_json_order);
	tcase_add_test(tc, test_body);
	tcase_add_test(tc, test_body_matches_nul);
	tcase_add_test(tc, test_long_actual_capped);
	tcase_add_test(tc, test_time_and_cert);
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_every_failure_listed);
	tcase_add_test(tc, test_captures);
	tcase_add_test(tc, test_capture_not_found);
	tcase_add_test(tc, test_no_captures_after_failed_assertion);
	tcase_add_test(tc, test_decimal_text_cmp);
	tcase_add_test(tc, test_json_extract);
	suite_add_tcase(s, tc);
	return s;
}
