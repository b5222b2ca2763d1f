/* Suite files: a full round trip, shorthands, defaults, every kind of error
 * with its exact position, and template names checked against flows. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_suites.h"
#include "suite.h"

static char *data_path(const char *name)
{
	const char *dir = getenv("GL_TEST_DATA");
	size_t size;
	char *path;

	if (!dir)
		dir = "tests/data";
	size = strlen(dir) + strlen(name) + 9;
	path = malloc(size);
	ck_assert_ptr_nonnull(path);
	snprintf(path, size, "%s/suites/%s", dir, name);
	return path;
}

/* The printed diag with the data directory taken out of every path, so that
 * golden strings read "suites/x.json:4:5: ...". */
static char *printed(const struct gl_diag *d)
{
	const char *dir = getenv("GL_TEST_DATA");
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	char prefix[4096];
	char *hit;

	ck_assert_ptr_nonnull(fp);
	gl_diag_print(d, fp);
	fclose(fp);
	snprintf(prefix, sizeof(prefix), "%s/", dir ? dir : "tests/data");
	while ((hit = strstr(buf, prefix)))
		memmove(hit, hit + strlen(prefix), strlen(hit + strlen(prefix)) + 1);
	return buf;
}

static void expect_errors(const char *name, const char *expected)
{
	struct gl_diag d;
	struct gl_suite *s = (struct gl_suite *)&d;
	char *path = data_path(name);
	char *out;

	gl_diag_init(&d);
	ck_assert_int_eq(gl_suite_load(&s, path, &d), -1);
	ck_assert_ptr_null(s);
	out = printed(&d);
	ck_assert_str_eq(out, expected);
	free(out);
	free(path);
	gl_diag_release(&d);
}

static struct gl_suite *load_ok(const char *name)
{
	struct gl_diag d;
	struct gl_suite *s = NULL;
	char *path = data_path(name);
	char *out;

	gl_diag_init(&d);
	int rc = gl_suite_load(&s, path, &d);
	out = printed(&d);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(s);
	free(out);
	free(path);
	gl_diag_release(&d);
	return s;
}

static const char *text(const struct gl_template *t)
{
	return t ? gl_template_text(t) : "(null)";
}

static void assert_2xx(const struct gl_assertion *a)
{
	ck_assert_int_eq(a->target, GL_T_STATUS);
	ck_assert_int_eq(a->cmp, GL_CMP_STATUS_IN);
	ck_assert_uint_eq(a->n_statuses, 100);
	for (size_t i = 0; i < a->n_statuses; i++)
		ck_assert_int_eq(a->statuses[i], 200 + (long)i);
}

START_TEST(test_full_suite)
{
	struct gl_suite *s = load_ok("full.json");

	ck_assert_str_eq(s->name, "smoke");
	ck_assert_str_eq(s->description, "post-deploy smoke checks");
	ck_assert_int_eq(strncmp(s->digest, "sha256:", 7), 0);
	ck_assert_uint_eq(strlen(s->digest), 71);
	ck_assert_uint_eq(s->n_tags, 1);
	ck_assert_str_eq(s->tags[0], "post-deploy");
	ck_assert_uint_eq(s->n_checks, 3);

	/* health: suite tags first, no duplicates. */
	const struct gl_check *c = &s->checks[0];
	ck_assert_str_eq(c->id, "health");
	ck_assert_str_eq(c->description, "the service answers");
	ck_assert_uint_eq(c->n_tags, 2);
	ck_assert_str_eq(c->tags[0], "post-deploy");
	ck_assert_str_eq(c->tags[1], "fast");
	ck_assert(!c->is_flow);
	ck_assert(!c->mutating);
	ck_assert_uint_eq(c->n_steps, 1);
	ck_assert_uint_eq(c->pos.line, 11);
	ck_assert_uint_eq(c->pos.col, 5);
	ck_assert_ptr_eq(c->pos.file, s->path);
	const struct gl_step *st = &c->steps[0];
	ck_assert_str_eq(st->name, "health");
	ck_assert_str_eq(st->request.method, "GET");
	ck_assert_str_eq(text(st->request.url), "{{base_url}}/health");
	ck_assert_uint_eq(gl_template_pos(st->request.url).line, 15);
	ck_assert_uint_eq(gl_template_pos(st->request.url).col, 19);
	/* Stored in the fixed order: status, headers, json, body, max_time_ms. */
	ck_assert_uint_eq(st->n_asserts, 4);
	ck_assert_int_eq(st->asserts[0].target, GL_T_STATUS);
	ck_assert_uint_eq(st->asserts[0].n_statuses, 1);
	ck_assert_int_eq(st->asserts[0].statuses[0], 200);
	ck_assert_int_eq(st->asserts[1].target, GL_T_JSON);
	ck_assert_int_eq(st->asserts[1].cmp, GL_CMP_EQ);
	ck_assert_str_eq(st->asserts[1].subject, "$.status");
	ck_assert_str_eq(st->asserts[1].path->steps[0].member, "status");
	ck_assert_str_eq(text(st->asserts[1].operand), "\"ok\"");
	ck_assert_uint_eq(st->asserts[1].pos.line, 18);
	ck_assert_uint_eq(st->asserts[1].pos.col, 18);
	ck_assert_str_eq(text(st->asserts[2].operand), "\"{{expected_version}}\"");
	ck_assert_int_eq(st->asserts[3].target, GL_T_TIME_MS);
	ck_assert_int_eq(st->asserts[3].cmp, GL_CMP_LIMIT);
	ck_assert_int_eq(st->asserts[3].limit, 500);

	/* search: an object request with every part. */
	c = &s->checks[1];
	st = &c->steps[0];
	ck_assert_uint_eq(c->n_tags, 1);
	ck_assert_str_eq(st->request.method, "POST");
	ck_assert_uint_eq(st->request.n_query, 2);
	ck_assert_str_eq(st->request.query[0].name, "q");
	ck_assert_str_eq(text(st->request.query[0].value), "{{term}}");
	ck_assert_str_eq(st->request.query[1].name, "page");
	ck_assert_int_eq(st->request.body_kind, GL_BODY_JSON);
	/* Numbers as written in the file, not as doubles. */
	ck_assert_str_eq(text(st->request.body),
	                 "{\"term\":\"{{term}}\",\"limit\":10.50,\"nested\":{\"ok\":[true,null]}}");
	const struct gl_assertion *a = st->asserts;
	ck_assert_uint_eq(st->n_asserts, 12);
	ck_assert_uint_eq(a[0].n_statuses, 2);
	ck_assert_int_eq(a[0].statuses[0], 200);
	ck_assert_int_eq(a[0].statuses[1], 204);
	ck_assert_int_eq(a[1].target, GL_T_HEADER);
	ck_assert_int_eq(a[1].cmp, GL_CMP_MATCHES);
	ck_assert_str_eq(a[1].subject, "Content-Type");
	ck_assert_ptr_nonnull(a[1].re);
	ck_assert_int_eq(regexec(a[1].re, "application/json; charset=utf-8", 0, NULL, 0), 0);
	ck_assert_str_eq(text(a[1].operand), "^application/json");
	ck_assert_int_eq(a[2].cmp, GL_CMP_EXISTS);
	ck_assert_ptr_null(a[2].operand);
	ck_assert_int_eq(a[3].cmp, GL_CMP_EQ);
	ck_assert_str_eq(text(a[3].operand), "no-store");
	ck_assert_int_eq(a[4].cmp, GL_CMP_TYPE);
	ck_assert_str_eq(text(a[4].operand), "array");
	ck_assert_int_eq(a[5].cmp, GL_CMP_GE);
	ck_assert_str_eq(text(a[5].operand), "0");
	ck_assert_int_eq(a[6].cmp, GL_CMP_LT);
	ck_assert_str_eq(text(a[6].operand), "100.25");
	ck_assert_int_eq(a[7].cmp, GL_CMP_ABSENT);
	ck_assert_str_eq(a[8].subject, "$[\"odd key\"][0]");
	ck_assert_uint_eq(a[8].path->n_steps, 2);
	ck_assert_str_eq(text(a[8].operand), "12345678901234567890");
	ck_assert_int_eq(a[9].target, GL_T_BODY);
	ck_assert_int_eq(a[9].cmp, GL_CMP_CONTAINS);
	ck_assert_ptr_null(a[9].subject);
	ck_assert_int_eq(a[10].cmp, GL_CMP_MATCHES);
	ck_assert_str_eq(text(a[10].operand), "^\\{");
	ck_assert_int_eq(a[11].target, GL_T_CERT_DAYS);
	ck_assert_int_eq(a[11].limit, 14);

	/* critical-flow: steps, auth, captures. */
	c = &s->checks[2];
	ck_assert(c->is_flow);
	ck_assert(c->mutating);
	ck_assert_uint_eq(c->n_steps, 2);
	st = &c->steps[0];
	ck_assert_str_eq(st->name, "login");
	ck_assert_int_eq(st->request.auth_kind, GL_AUTH_BASIC);
	ck_assert_str_eq(text(st->request.auth_user), "{{qa_user}}");
	ck_assert_str_eq(text(st->request.auth_password), "{{qa_password}}");
	ck_assert_uint_eq(st->n_asserts, 1);
	assert_2xx(&st->asserts[0]);
	ck_assert_uint_eq(st->n_captures, 4);
	ck_assert_str_eq(st->captures[0].name, "token");
	ck_assert_int_eq(st->captures[0].source, GL_CAP_JSON);
	ck_assert(st->captures[0].secret);
	ck_assert_str_eq(st->captures[0].path->steps[0].member, "token");
	ck_assert_int_eq(st->captures[1].source, GL_CAP_HEADER);
	ck_assert_str_eq(st->captures[1].expr, "ETag");
	ck_assert(!st->captures[1].secret);
	ck_assert_int_eq(st->captures[2].source, GL_CAP_REGEX);
	ck_assert_ptr_nonnull(st->captures[2].re);
	ck_assert_str_eq(st->captures[3].expr, "$.user");
	ck_assert_int_eq(st->captures[3].source, GL_CAP_JSON);
	st = &c->steps[1];
	ck_assert_int_eq(st->request.auth_kind, GL_AUTH_BEARER);
	ck_assert_str_eq(text(st->request.auth_token), "{{token}}");
	ck_assert_int_eq(st->request.body_kind, GL_BODY_RAW);
	ck_assert_str_eq(text(st->request.body), "raw {{user}}");
	ck_assert_uint_eq(st->n_asserts, 3);
	assert_2xx(&st->asserts[0]);
	ck_assert_str_eq(text(st->asserts[1].operand), "{\"first\":\"{{user}}\"}");
	ck_assert_int_eq(st->asserts[2].cmp, GL_CMP_NE);
	ck_assert_str_eq(text(st->asserts[2].operand), "\"x\"");
	gl_suite_free(s);
}
END_TEST

START_TEST(test_defaults_merging)
{
	struct gl_suite *s = load_ok("full.json");
	const struct gl_request *r = &s->checks[0].steps[0].request;

	/* Suite defaults over the built-in ones. */
	ck_assert_int_eq(r->timeout_ms, 5000);
	ck_assert_int_eq(r->connect_timeout_ms, 2000);
	ck_assert_int_eq(r->max_body_bytes, GL_DEFAULT_MAX_BODY_BYTES);
	ck_assert_uint_eq(r->n_headers, 2);
	ck_assert_str_eq(r->headers[0].name, "Accept");
	ck_assert_str_eq(text(r->headers[0].value), "application/json");
	ck_assert_str_eq(r->headers[1].name, "X-Trace");
	/* The request's own settings over the suite's; its "accept" replaces "Accept". */
	r = &s->checks[1].steps[0].request;
	ck_assert_int_eq(r->timeout_ms, 10000);
	ck_assert_int_eq(r->connect_timeout_ms, 2000);
	ck_assert_int_eq(r->max_body_bytes, 4096);
	ck_assert_uint_eq(r->n_headers, 2);
	ck_assert_str_eq(r->headers[0].name, "X-Trace");
	ck_assert_str_eq(r->headers[1].name, "accept");
	ck_assert_str_eq(text(r->headers[1].value), "text/plain");
	gl_suite_free(s);
}
END_TEST

START_TEST(test_retry_and_deadline)
{
	struct gl_suite *s = load_ok("retry.json");

	ck_assert_uint_eq(s->n_checks, 3);
	/* the suite's defaults */
	ck_assert_uint_eq(s->checks[0].retry_max, 2);
	ck_assert_int_eq(s->checks[0].retry_backoff_ms, 50);
	ck_assert_int_eq(s->checks[0].deadline_ms, 0);
	/* a check's own "retry" replaces the default one whole: backoff_ms
	 * falls back to the built-in default, not to the suite's */
	ck_assert_uint_eq(s->checks[1].retry_max, 5);
	ck_assert_int_eq(s->checks[1].retry_backoff_ms, GL_DEFAULT_RETRY_BACKOFF_MS);
	ck_assert_int_eq(s->checks[1].deadline_ms, 3000);
	ck_assert_uint_eq(s->checks[2].retry_max, 0);
	ck_assert_int_eq(s->checks[2].retry_backoff_ms, 0);
	gl_suite_free(s);

	/* without "retry" anywhere: no retry */
	s = load_ok("full.json");
	for (size_t i = 0; i < s->n_checks; i++) {
		ck_assert_uint_eq(s->checks[i].retry_max, 0);
		ck_assert_int_eq(s->checks[i].deadline_ms, 0);
	}
	gl_suite_free(s);
}
END_TEST

START_TEST(test_bad_retry_and_deadline)
{
	expect_errors("bad_retry.json",
	              "suites/bad_retry.json:2:35: 'max' must be an integer from 0 to 5\n"
	              "suites/bad_retry.json:2:38: unknown key 'backof_ms' (did you mean "
	              "'backoff_ms'?)\n"
	              "suites/bad_retry.json:4:27: 'retry' must be an object: {\"max\": N, "
	              "\"backoff_ms\": MS}\n"
	              "suites/bad_retry.json:5:27: retry is missing 'max'\n"
	              "suites/bad_retry.json:5:43: 'backoff_ms' must be an integer from 0 to "
	              "10000\n"
	              "suites/bad_retry.json:6:36: 'max' must be an integer from 0 to 5\n"
	              "suites/bad_retry.json:6:55: 'backoff_ms' must be an integer from 0 to "
	              "10000\n"
	              "suites/bad_retry.json:7:36: 'max' must be an integer\n"
	              "suites/bad_retry.json:7:58: 'deadline_ms' must be a positive integer\n"
	              "suites/bad_retry.json:8:33: 'deadline_ms' must be a positive integer\n");
}
END_TEST

START_TEST(test_shorthands_and_bom)
{
	struct gl_suite *s = load_ok("bom.json");
	const struct gl_step *st = &s->checks[0].steps[0];

	/* Default name from the file; defaults from suite.h; positions after the BOM. */
	ck_assert_str_eq(s->name, "bom");
	ck_assert_ptr_null(s->description);
	ck_assert_uint_eq(s->n_tags, 0);
	ck_assert_str_eq(st->request.method, "POST");
	ck_assert_str_eq(text(st->request.url), "{{base_url}}/x");
	ck_assert_uint_eq(gl_template_pos(st->request.url).line, 1);
	ck_assert_uint_eq(gl_template_pos(st->request.url).col, 44);
	ck_assert_int_eq(st->request.timeout_ms, GL_DEFAULT_TIMEOUT_MS);
	ck_assert_int_eq(st->request.connect_timeout_ms, GL_DEFAULT_CONNECT_TIMEOUT_MS);
	ck_assert_uint_eq(st->request.n_headers, 0);
	ck_assert_int_eq(st->request.body_kind, GL_BODY_NONE);
	ck_assert_int_eq(st->request.auth_kind, GL_AUTH_NONE);
	/* No "expect": any 2xx, never a pass on a 500. */
	ck_assert_uint_eq(st->n_asserts, 1);
	assert_2xx(&st->asserts[0]);
	ck_assert_uint_eq(st->n_captures, 1);
	ck_assert_str_eq(st->captures[0].name, "id");
	ck_assert_int_eq(st->captures[0].source, GL_CAP_JSON);
	ck_assert_str_eq(st->captures[0].expr, "$.id");
	gl_suite_free(s);
}
END_TEST

START_TEST(test_invalid_json)
{
	expect_errors("invalid_json_comma.json",
	              "suites/invalid_json_comma.json:4:5: invalid JSON: expected ',' or ']' near "
	              "'{'\n");
	expect_errors("invalid_json_token.json",
	              "suites/invalid_json_token.json:2:11: invalid JSON: expected a value near "
	              "'xyz'\n");
	expect_errors("invalid_json_eof.json", "suites/invalid_json_eof.json:4:1: invalid JSON: "
	                                       "expected a quoted key at end of file\n");
}
END_TEST

START_TEST(test_unknown_keys)
{
	expect_errors(
	        "unknown_key.json",
	        "suites/unknown_key.json:5:49: unknown key 'methd' (did you mean 'method'?)\n"
	        "suites/unknown_key.json:6:7: unknown key 'expcet' (did you mean 'expect'?)\n");
}
END_TEST

START_TEST(test_wrong_types)
{
	expect_errors(
	        "wrong_type.json",
	        "suites/wrong_type.json:5:53: 'timeout_ms' must be a positive integer\n"
	        "suites/wrong_type.json:5:81: 'connect_timeout_ms' must be a positive integer\n"
	        "suites/wrong_type.json:5:104: 'max_body_bytes' must be a positive integer\n"
	        "suites/wrong_type.json:6:28: 'status' must be an HTTP status code (100..599) or "
	        "an "
	        "array of them\n"
	        "suites/wrong_type.json:6:48: 'max_time_ms' must be a positive integer\n");
}
END_TEST

START_TEST(test_missing_keys)
{
	expect_errors("missing_key.json",
	              "suites/missing_key.json:3:5: check is missing 'id'\n"
	              "suites/missing_key.json:8:17: step is missing 'name'\n"
	              "suites/missing_key.json:8:43: step is missing 'request'\n");
	expect_errors("no_checks.json", "suites/no_checks.json:1:26: 'checks' must not be empty\n");
}
END_TEST

START_TEST(test_duplicates)
{
	expect_errors("duplicate_id.json", "suites/duplicate_id.json:5:12: duplicate check id "
	                                   "'health' (first at line 3)\n");
	expect_errors("duplicate_key.json", "suites/duplicate_key.json:3:49: duplicate key 'url' "
	                                    "(first at line 3)\n");
	expect_errors(
	        "duplicate_names.json",
	        "suites/duplicate_names.json:7:18: duplicate step name 'login' (first at line "
	        "6)\n"
	        "suites/duplicate_names.json:7:63: duplicate capture name 'token' (first at "
	        "line 6)\n");
}
END_TEST

START_TEST(test_bad_regex_and_paths)
{
	expect_errors("bad_regex.json",
	              "suites/bad_regex.json:6:38: invalid regex '(unclosed': Unmatched ( or \\(\n"
	              "suites/bad_regex.json:7:38: invalid regex '[z-a]': Invalid range end\n");
	expect_errors(
	        "bad_path.json",
	        "suites/bad_path.json:6:42: invalid JSON path '$.items.length()': functions "
	        "are not supported\n"
	        "suites/bad_path.json:6:51: invalid JSON path 'items': a path starts with '$'\n"
	        "suites/bad_path.json:6:67: invalid JSON path '$.a[x]': expected an index or a "
	        "quoted name after '['\n"
	        "suites/bad_path.json:7:27: invalid JSON path '$..b': expected a member name "
	        "after '.'\n");
}
END_TEST

START_TEST(test_bad_templates)
{
	expect_errors("bad_template.json",
	              "suites/bad_template.json:5:27: unterminated '{{' in '{{base_url}/x'\n"
	              "suites/bad_template.json:5:63: expected a variable name after '{{' in '{{ "
	              "1bad }}'\n"
	              "suites/bad_template.json:5:92: unterminated '{{' in '{{x'\n");
}
END_TEST

START_TEST(test_bad_operators)
{
	expect_errors("bad_operators.json",
	              "suites/bad_operators.json:7:30: operator 'lt' does not apply to 'headers'\n"
	              "suites/bad_operators.json:7:47: empty operator object for 'X-B'\n"
	              "suites/bad_operators.json:8:32: 'gt' must be a decimal number such as 0.001 "
	              "(no exponent)\n"
	              "suites/bad_operators.json:8:39: unknown key 'equal' (did you mean "
	              "'equals'?)\n"
	              "suites/bad_operators.json:8:68: 'type' must be one of string, number, "
	              "boolean, null, object, array\n"
	              "suites/bad_operators.json:9:18: operator 'exists' does not apply to 'body'\n"
	              "suites/bad_operators.json:9:34: unknown key 'containz' (did you mean "
	              "'contains'?)\n");
}
END_TEST

START_TEST(test_bad_structure)
{
	expect_errors(
	        "bad_structure.json",
	        "suites/bad_structure.json:2:12: invalid suite name 'bad name': use letters, "
	        "digits, '_', '.' and '-'\n"
	        "suites/bad_structure.json:4:44: check 'both' has both 'request' and 'steps'\n"
	        "suites/bad_structure.json:5:5: check 'neither' needs 'request' or 'steps'\n"
	        "suites/bad_structure.json:6:30: 'steps' must not be empty\n"
	        "suites/bad_structure.json:7:73: 'json' and 'body' cannot both be set\n"
	        "suites/bad_structure.json:8:60: 'auth' must have exactly one of 'bearer' or "
	        "'basic'\n"
	        "suites/bad_structure.json:9:64: invalid method 'GE T'\n");
}
END_TEST

START_TEST(test_missing_file)
{
	expect_errors("does-not-exist.json",
	              "suites/does-not-exist.json: cannot read 'suites/does-not-exist.json': No "
	              "such file or directory\n");
}
END_TEST

START_TEST(test_too_large)
{
	char path[] = "/tmp/gl-suite-large-XXXXXX";
	int fd = mkstemp(path);
	struct gl_diag d;
	struct gl_suite *s = NULL;
	char expected[256];

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 16L * 1024 * 1024 + 1), 0);
	close(fd);
	gl_diag_init(&d);
	ck_assert_int_eq(gl_suite_load(&s, path, &d), -1);
	ck_assert_uint_eq(gl_diag_errors(&d), 1);
	snprintf(expected, sizeof(expected), "'%s' is too large (the limit is 16 MiB)", path);
	ck_assert_str_eq(d.entries[0].msg, expected);
	gl_diag_release(&d);
	unlink(path);
}
END_TEST

static int knows(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "base_url") == 0;
}

START_TEST(test_check_names)
{
	struct gl_suite *s = load_ok("names.json");
	struct gl_diag d;
	char *out;

	gl_diag_init(&d);
	/* The default header's error is reported once, not once per request. */
	ck_assert_uint_eq(gl_suite_check_names(s, knows, NULL, &d), 5);
	out = printed(&d);
	ck_assert_str_eq(
	        out,
	        "suites/names.json:2:38: unknown variable 'region'\n"
	        "suites/names.json:11:72: unknown variable 'token' (step 'login' captures it only "
	        "after its own request)\n"
	        "suites/names.json:16:31: unknown variable 'tokn' (did you mean 'token'?)\n"
	        "suites/names.json:16:75: unknown variable 'order' (captured by the later step "
	        "'order')\n"
	        "suites/names.json:17:74: unknown variable 'nope'\n");
	free(out);
	gl_diag_release(&d);
	gl_suite_free(s);
}
END_TEST

static int knows_all(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return 1;
}

START_TEST(test_check_names_clean)
{
	struct gl_suite *s = load_ok("full.json");
	struct gl_diag d;

	gl_diag_init(&d);
	/* token and user come from the login step, before they are used. */
	ck_assert_uint_eq(gl_suite_check_names(s, knows_all, NULL, &d), 0);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
	gl_diag_release(&d);
	gl_suite_free(s);
}
END_TEST

Suite *suite_suite(void)
{
	Suite *s = suite_create("suite");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, test_full_suite);
	tcase_add_test(tc, test_defaults_merging);
	tcase_add_test(tc, test_shorthands_and_bom);
	tcase_add_test(tc, test_invalid_json);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_wrong_types);
	tcase_add_test(tc, test_retry_and_deadline);
	tcase_add_test(tc, test_bad_retry_and_deadline);
	tcase_add_test(tc, test_missing_keys);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_bad_regex_and_paths);
	tcase_add_test(tc, test_bad_templates);
	tcase_add_test(tc, test_bad_operators);
	tcase_add_test(tc, test_bad_structure);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_too_large);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_add_test(tc, test_check_names);
	tcase_add_test(tc, test_check_names_clean);
	suite_add_tcase(s, tc);
	return s;
}
