/* The verdict file: what it says, its digests, redaction, and that nothing
 * short of a real pass is written as "pass". */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "digest.h"
#include "redact.h"
#include "report.h"
#include "result.h"
#include "verdict.h"

#define STARTED 1795316490 /* 2026-11-22T03:01:30Z */

static char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

static void set_suite(struct gl_run_result *r, size_t i, const char *name, size_t n_pass,
                      size_t n_fail, size_t n_skip)
{
	struct gl_suite_result *s = &r->suites[i];
	char file[256];

	snprintf(file, sizeof(file), "suites/%s.json", name);
	s->name = xstrdup(name);
	s->file = xstrdup(file);
	s->digest =
	        xstrdup("sha256:1111111111111111111111111111111111111111111111111111111111111111");
	s->n_cases = n_pass + n_fail + n_skip;
	s->cases = calloc(s->n_cases ? s->n_cases : 1, sizeof(*s->cases));
	ck_assert_ptr_nonnull(s->cases);
	s->started = r->started;
	for (size_t k = 0; k < s->n_cases; k++) {
		struct gl_case *c = &s->cases[k];
		char id[300];
		snprintf(id, sizeof(id), "%s/c%zu", name, k);
		c->id = xstrdup(id);
		c->classname = xstrdup(name);
		c->name = xstrdup(id + strlen(name) + 1);
		c->file = xstrdup(file);
		c->outcome = k < n_pass            ? GL_OUT_PASS
		             : k < n_pass + n_fail ? GL_OUT_FAIL
		                                   : GL_OUT_SKIP;
		if (c->outcome != GL_OUT_PASS)
			c->message = xstrdup("expected 200, got 500");
	}
}

static struct gl_run_result *new_run(size_t n_suites)
{
	struct gl_run_result *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->env_name = xstrdup("staging");
	r->base_url = xstrdup("https://costs.staging.example.com");
	r->reported_version = xstrdup("2.4.0");
	r->harness_version = xstrdup("0.1.0");
	r->started = STARTED;
	r->finished = STARTED + 42;
	r->n_suites = n_suites;
	r->suites = calloc(n_suites ? n_suites : 1, sizeof(*r->suites));
	ck_assert_ptr_nonnull(r->suites);
	return r;
}

static void add_prop(struct gl_suite_result *s, const char *name, const char *value)
{
	s->props = realloc(s->props, (s->n_props + 1) * sizeof(*s->props));
	ck_assert_ptr_nonnull(s->props);
	s->props[s->n_props].name = xstrdup(name);
	s->props[s->n_props].value = xstrdup(value);
	s->n_props++;
}

struct tmp {
	char dir[64];
	char junit[128];
	char verdict[128];
};

static void tmp_init(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/gl-verdict-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	snprintf(t->junit, sizeof(t->junit), "%s/junit.xml", t->dir);
	snprintf(t->verdict, sizeof(t->verdict), "%s/verdict.json", t->dir);
}

static void tmp_release(struct tmp *t)
{
	unlink(t->junit);
	unlink(t->verdict);
	ck_assert_int_eq(rmdir(t->dir), 0);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	long n = ftell(fp);
	ck_assert_int_ge(n, 0);
	rewind(fp);
	char *s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	return s;
}

static cJSON *write_and_parse(struct tmp *t, const struct gl_run_result *r,
                              const struct gl_verdict_info *info)
{
	ck_assert_int_eq(gl_verdict_write(t->verdict, r, info), 0);
	char *text = slurp(t->verdict);
	cJSON *root = cJSON_Parse(text);
	free(text);
	ck_assert_ptr_nonnull(root);
	return root;
}

static const char *str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	ck_assert_msg(cJSON_IsString(v), "'%s' is not a string", key);
	return v->valuestring;
}

static double num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	ck_assert_msg(cJSON_IsNumber(v), "'%s' is not a number", key);
	return v->valuedouble;
}

static bool is_null(const cJSON *obj, const char *key)
{
	return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, key));
}

START_TEST(test_verdict_pass_content)
{
	struct tmp t;
	struct gl_run_result *r = new_run(2);
	const char *tags[] = {"post-deploy", "critical"};
	char digest[GL_DIGEST_LEN];

	tmp_init(&t);
	set_suite(r, 0, "smoke", 3, 0, 1);
	set_suite(r, 1, "quotes-http", 2, 0, 0);
	add_prop(&r->suites[1], "replay.cases", "2");
	add_prop(&r->suites[1], "replay.golden_digest", "sha256:2222");
	ck_assert_int_eq(gl_report_junit_write(t.junit, r), 0);
	struct gl_verdict_info info = {.junit_path = t.junit,
	                               .expected_version = "2.4.0",
	                               .tags = tags,
	                               .n_tags = 2,
	                               .filter = "smoke/*",
	                               .shard_k = 1,
	                               .shard_n = 2,
	                               .exit_code = 0};
	cJSON *root = write_and_parse(&t, r, &info);

	ck_assert_str_eq(str(root, "format"), "greenlight-verdict/1");
	ck_assert_str_eq(str(root, "verdict"), "pass");
	ck_assert_int_eq((int)num(root, "exit_code"), 0);
	ck_assert_str_eq(str(root, "environment"), "staging");
	ck_assert_str_eq(str(root, "base_url"), "https://costs.staging.example.com");
	ck_assert_str_eq(str(root, "version_expected"), "2.4.0");
	ck_assert_str_eq(str(root, "version_reported"), "2.4.0");
	ck_assert_str_eq(str(root, "harness_version"), "0.1.0");
	ck_assert_str_eq(str(root, "started_at"), "2026-11-22T03:01:30Z");
	ck_assert_str_eq(str(root, "finished_at"), "2026-11-22T03:02:12Z");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "interrupted")));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "tls_verify")));

	const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "counts");
	ck_assert_int_eq((int)num(c, "tests"), 6);
	ck_assert_int_eq((int)num(c, "passed"), 5);
	ck_assert_int_eq((int)num(c, "failures"), 0);
	ck_assert_int_eq((int)num(c, "errors"), 0);
	ck_assert_int_eq((int)num(c, "skipped"), 1);

	const cJSON *suites = cJSON_GetObjectItemCaseSensitive(root, "suites");
	ck_assert_int_eq(cJSON_GetArraySize(suites), 2);
	const cJSON *s0 = cJSON_GetArrayItem(suites, 0);
	const cJSON *s1 = cJSON_GetArrayItem(suites, 1);
	ck_assert_str_eq(str(s0, "name"), "smoke");
	ck_assert_str_eq(str(s0, "file"), "suites/smoke.json");
	ck_assert_str_eq(str(s0, "digest"), r->suites[0].digest);
	ck_assert_int_eq((int)num(s0, "tests"), 4);
	ck_assert_int_eq((int)num(s0, "skipped"), 1);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(s0, "golden_digest"));
	ck_assert_str_eq(str(s1, "name"), "quotes-http");
	ck_assert_int_eq((int)num(s1, "passed"), 2);
	ck_assert_str_eq(str(s1, "golden_digest"), "sha256:2222");

	const cJSON *sel = cJSON_GetObjectItemCaseSensitive(root, "selection");
	const cJSON *jt = cJSON_GetObjectItemCaseSensitive(sel, "tags");
	ck_assert_int_eq(cJSON_GetArraySize(jt), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(jt, 1)->valuestring, "critical");
	ck_assert_str_eq(str(sel, "filter"), "smoke/*");
	ck_assert_str_eq(str(sel, "shard"), "1/2");

	/* junit.file is relative to the verdict's directory; the digest is the
	 * JUnit file's as written. */
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, "junit");
	ck_assert_str_eq(str(j, "file"), "junit.xml");
	ck_assert_int_eq(gl_digest_sha256_file(digest, t.junit), 0);
	ck_assert_str_eq(str(j, "sha256"), digest);

	cJSON_Delete(root);
	gl_run_result_free(r);
	tmp_release(&t);
}
END_TEST

START_TEST(test_verdict_nulls_without_junit_or_expectation)
{
	struct tmp t;
	struct gl_run_result *r = new_run(1);

	tmp_init(&t);
	set_suite(r, 0, "smoke", 1, 0, 0);
	free(r->reported_version);
	r->reported_version = NULL;
	struct gl_verdict_info info = {.exit_code = 0};
	cJSON *root = write_and_parse(&t, r, &info);
	ck_assert(is_null(root, "junit"));
	ck_assert(is_null(root, "version_expected"));
	ck_assert(is_null(root, "version_reported"));
	const cJSON *sel = cJSON_GetObjectItemCaseSensitive(root, "selection");
	ck_assert(is_null(sel, "filter"));
	ck_assert(is_null(sel, "shard"));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sel, "tags")), 0);
	cJSON_Delete(root);
	gl_run_result_free(r);
	tmp_release(&t);
}
END_TEST

/* Certificates not verified: the verdict says so, and may still say pass (the
 * gate decides what that evidence is worth). */
START_TEST(test_verdict_tls_verify_off)
{
	struct tmp t;
	struct gl_run_result *r = new_run(1);

	tmp_init(&t);
	set_suite(r, 0, "smoke", 1, 0, 0);
	r->tls_verify_off = 1;
	struct gl_verdict_info info = {.exit_code = 0};
	cJSON *root = write_and_parse(&t, r, &info);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "tls_verify")));
	ck_assert_str_eq(str(root, "verdict"), "pass");
	cJSON_Delete(root);
	gl_run_result_free(r);
	tmp_release(&t);
}
END_TEST

/* A gate must never go green on nothing: zero checks is "fail" even when the
 * caller passes exit code 0. */
START_TEST(test_verdict_zero_checks_is_fail)
{
	struct tmp t;
	struct gl_run_result *r = new_run(0);

	tmp_init(&t);
	struct gl_verdict_info info = {.exit_code = 0};
	cJSON *root = write_and_parse(&t, r, &info);
	ck_assert_str_eq(str(root, "verdict"), "fail");
	ck_assert_int_eq((int)num(cJSON_GetObjectItemCaseSensitive(root, "counts"), "tests"), 0);
	cJSON_Delete(root);
	gl_run_result_free(r);
	tmp_release(&t);
}
END_TEST

START_TEST(test_verdict_not_pass_unless_all_passed)
{
	struct gl_run_result *r = new_run(1);

	set_suite(r, 0, "smoke", 2, 0, 0);
	ck_assert(gl_verdict_passed(r, 0));
	/* The exit code decides too: a harness failure is never a pass. */
	ck_assert(!gl_verdict_passed(r, 4));
	r->interrupted = 1;
	ck_assert(!gl_verdict_passed(r, 0));
	r->interrupted = 0;
	r->suites[0].cases[1].outcome = GL_OUT_ERROR;
	ck_assert(!gl_verdict_passed(r, 0));
	r->suites[0].cases[1].outcome = GL_OUT_FAIL;
	ck_assert(!gl_verdict_passed(r, 0));
	/* Everything skipped: nothing passed. */
	r->suites[0].cases[0].outcome = GL_OUT_SKIP;
	r->suites[0].cases[1].outcome = GL_OUT_SKIP;
	ck_assert(!gl_verdict_passed(r, 0));
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_verdict_failure_counts)
{
	struct tmp t;
	struct gl_run_result *r = new_run(1);

	tmp_init(&t);
	set_suite(r, 0, "smoke", 1, 3, 0);
	struct gl_verdict_info info = {.exit_code = 1};
	cJSON *root = write_and_parse(&t, r, &info);
	ck_assert_str_eq(str(root, "verdict"), "fail");
	ck_assert_int_eq((int)num(root, "exit_code"), 1);
	ck_assert_int_eq((int)num(cJSON_GetObjectItemCaseSensitive(root, "counts"), "failures"), 3);
	const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "suites"), 0);
	ck_assert_int_eq((int)num(s0, "failures"), 3);
	ck_assert_int_eq((int)num(s0, "passed"), 1);
	cJSON_Delete(root);
	gl_run_result_free(r);
	tmp_release(&t);
}
END_TEST

START_TEST(test_verdict_redacts_secrets)
{
	struct tmp t;
	struct gl_run_result *r = new_run(1);

	tmp_init(&t);
	ck_assert_int_eq(gl_redact_add("hunter2-token"), 0);
	free(r->base_url);
	r->base_url = xstrdup("https://qa:hunter2-token@costs.staging.example.com");
	set_suite(r, 0, "smoke", 1, 0, 0);
	struct gl_verdict_info info = {.filter = "hunter2-token", .exit_code = 0};
	cJSON *root = write_and_parse(&t, r, &info);
	ck_assert_str_eq(str(root, "base_url"), "https://qa:***@costs.staging.example.com");
	ck_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(root, "selection"), "filter"), "***");
	char *text = slurp(t.verdict);
	ck_assert_ptr_null(strstr(text, "hunter2"));
	free(text);
	cJSON_Delete(root);
	gl_redact_reset();
	gl_run_result_free(r);
	tmp_release(&t);
}
END_TEST

/* The gate resolves junit.file against the verdict's directory, so the
 * writer must name it from there. */
START_TEST(test_verdict_junit_path_relative_to_verdict)
{
	struct tmp t;
	char a[160];
	char b[160];
	char junit[200];
	char verdict[200];
	struct gl_run_result *r = new_run(1);

	tmp_init(&t);
	set_suite(r, 0, "smoke", 1, 0, 0);
	snprintf(a, sizeof(a), "%s/reports", t.dir);
	snprintf(b, sizeof(b), "%s/evidence", t.dir);
	ck_assert_int_eq(mkdir(a, 0700), 0);
	ck_assert_int_eq(mkdir(b, 0700), 0);
	snprintf(junit, sizeof(junit), "%s/junit.xml", a);
	snprintf(verdict, sizeof(verdict), "%s/verdict.json", b);
	ck_assert_int_eq(gl_report_junit_write(junit, r), 0);
	struct gl_verdict_info info = {.junit_path = junit, .exit_code = 0};
	ck_assert_int_eq(gl_verdict_write(verdict, r, &info), 0);
	char *text = slurp(verdict);
	cJSON *root = cJSON_Parse(text);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(root, "junit"), "file"),
	                 "../reports/junit.xml");
	cJSON_Delete(root);
	free(text);
	unlink(junit);
	unlink(verdict);
	rmdir(a);
	rmdir(b);
	gl_run_result_free(r);
	tmp_release(&t);
}
END_TEST

/* A JUnit file that is not there cannot be vouched for: no verdict. */
START_TEST(test_verdict_missing_junit_is_an_error)
{
	struct tmp t;
	struct gl_run_result *r = new_run(1);

	tmp_init(&t);
	set_suite(r, 0, "smoke", 1, 0, 0);
	struct gl_verdict_info info = {.junit_path = t.junit, .exit_code = 0};
	ck_assert_int_eq(gl_verdict_write(t.verdict, r, &info), -1);
	ck_assert_int_ne(access(t.verdict, F_OK), 0);
	gl_run_result_free(r);
	tmp_release(&t);
}
END_TEST

Suite *verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("write");
	tcase_add_test(tc, test_verdict_pass_content);
	tcase_add_test(tc, test_verdict_nulls_without_junit_or_expectation);
	tcase_add_test(tc, test_verdict_zero_checks_is_fail);
	tcase_add_test(tc, test_verdict_not_pass_unless_all_passed);
	tcase_add_test(tc, test_verdict_failure_counts);
	tcase_add_test(tc, test_verdict_redacts_secrets);
	tcase_add_test(tc, test_verdict_junit_path_relative_to_verdict);
	tcase_add_test(tc, test_verdict_missing_junit_is_an_error);
	tcase_add_test(tc, test_verdict_tls_verify_off);
	suite_add_tcase(s, tc);
	return s;
}
