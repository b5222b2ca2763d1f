/* Reporters: JUnit XML a release gate accepts, and the console summary. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "redact.h"
#include "report.h"
#include "result.h"

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

static struct gl_suite_result *init_suite(struct gl_run_result *r, size_t i, const char *name,
                                          size_t n_cases)
{
	struct gl_suite_result *s = &r->suites[i];
	char file[256];
	snprintf(file, sizeof(file), "suites/%s.json", name);
	s->name = xstrdup(name);
	s->file = xstrdup(file);
	s->digest =
	        xstrdup("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	s->n_cases = n_cases;
	s->cases = calloc(n_cases ? n_cases : 1, sizeof(*s->cases));
	ck_assert_ptr_nonnull(s->cases);
	s->seconds = 0.12;
	s->started = r->started;
	return s;
}

static void set_case(struct gl_suite_result *s, size_t i, const char *name, enum gl_outcome out,
                     const char *message, const char *detail)
{
	struct gl_case *c = &s->cases[i];
	char id[512];
	snprintf(id, sizeof(id), "%s/%s", s->name, name);
	c->id = xstrdup(id);
	c->classname = xstrdup(s->name);
	c->name = xstrdup(name);
	c->file = xstrdup(s->file);
	c->line = (unsigned)(10 + i);
	c->outcome = out;
	c->message = xstrdup(message);
	c->detail = xstrdup(detail);
	c->method = xstrdup("GET");
	c->url = xstrdup("http://127.0.0.1:8080/x");
	c->status = 200;
	c->seconds = 0.003;
}

/* smoke: pass, fail, error, skip, pass; auth: pass. */
static struct gl_run_result *mixed_run(void)
{
	struct gl_run_result *r = new_run(2);
	struct gl_suite_result *s = init_suite(r, 0, "smoke", 5);
	set_case(s, 0, "health", GL_OUT_PASS, NULL, NULL);
	set_case(s, 1, "version", GL_OUT_FAIL,
	         "status: expected 200, got 500 (GET http://127.0.0.1:8080/version)",
	         "$.version: expected \"2.4.0\", got \"2.3.9\"\nbody: {\"version\":\"2.3.9\"}");
	set_case(s, 2, "login", GL_OUT_ERROR,
	         "connection refused (POST http://127.0.0.1:8080/login)", NULL);
	set_case(s, 3, "profile", GL_OUT_SKIP, "skipped: step 'login' failed", NULL);
	set_case(s, 4, "ready", GL_OUT_PASS, NULL, NULL);
	s = init_suite(r, 1, "auth", 1);
	set_case(s, 0, "token", GL_OUT_PASS, NULL, NULL);
	r->reported_version = xstrdup("2.4.0");
	return r;
}

static struct gl_run_result *all_pass_run(void)
{
	struct gl_run_result *r = new_run(1);
	struct gl_suite_result *s = init_suite(r, 0, "smoke", 3);
	set_case(s, 0, "health", GL_OUT_PASS, NULL, NULL);
	set_case(s, 1, "version", GL_OUT_PASS, NULL, NULL);
	set_case(s, 2, "ready", GL_OUT_PASS, NULL, NULL);
	return r;
}

static struct gl_run_result *one_case_run(enum gl_outcome out, const char *message,
                                          const char *detail)
{
	struct gl_run_result *r = new_run(1);
	struct gl_suite_result *s = init_suite(r, 0, "smoke", 1);
	set_case(s, 0, "check", out, message, detail);
	return r;
}

static char *render(const struct gl_run_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(gl_report_junit_render(fp, r), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_uint_eq(strlen(buf), len);
	return buf;
}

static char *console(const struct gl_run_result *r, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	gl_report_console(fp, r, color);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The numeric value of attribute `name` in the start tag at `tag`, or -1. */
static long attr_num(const char *tag, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), " %s=\"", name);
	const char *end = strchr(tag, '>');
	const char *p = strstr(tag, key);
	if (!p || (end && p > end))
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

static int xmllint_file(const char *path)
{
	const char *data = getenv("GL_TEST_DATA");
	ck_assert_msg(data != NULL, "GL_TEST_DATA is not set");
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "xmllint --noout --schema '%s/junit-10.xsd' '%s'", data, path);
	int st = system(cmd);
	ck_assert_int_ne(st, -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Render r to a temporary file and validate it against the Jenkins schema. */
static void assert_valid(const struct gl_run_result *r)
{
	char path[] = "/tmp/gl-junit-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(gl_report_junit_render(fp, r), 0);
	ck_assert_int_eq(fclose(fp), 0);
	int rc = xmllint_file(path);
	unlink(path);
	ck_assert_int_eq(rc, 0);
}

static void teardown(void)
{
	gl_redact_reset();
}

START_TEST(test_counts_equal_testcases)
{
	struct gl_run_result *r = mixed_run();
	char *xml = render(r);

	const char *root = strstr(xml, "<testsuites");
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(attr_num(root, "tests"), 6);
	ck_assert_int_eq(attr_num(root, "failures"), 1);
	ck_assert_int_eq(attr_num(root, "errors"), 1);
	ck_assert_uint_eq(count(xml, "<testsuite "), 2);

	/* Every <testsuite>'s counts against the elements inside it. */
	for (const char *ts = strstr(xml, "<testsuite "); ts; ts = strstr(ts + 1, "<testsuite ")) {
		const char *end = strstr(ts, "</testsuite>");
		ck_assert_ptr_nonnull(end);
		size_t body_len = (size_t)(end - ts);
		char *body = strndup(ts, body_len);
		ck_assert_ptr_nonnull(body);
		ck_assert_int_eq(attr_num(ts, "tests"), (long)count(body, "<testcase "));
		ck_assert_int_eq(attr_num(ts, "failures"), (long)count(body, "<failure "));
		ck_assert_int_eq(attr_num(ts, "errors"), (long)count(body, "<error "));
		ck_assert_int_eq(attr_num(ts, "skipped"), (long)count(body, "<skipped "));
		free(body);
	}
	ck_assert_ptr_nonnull(strstr(xml, "tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"1\""));
	ck_assert_ptr_nonnull(strstr(xml, "<failure type=\"assertion\" message=\"status: expected "
	                                  "200, got 500 (GET http://127.0.0.1:8080/version)\">"));
	ck_assert_ptr_nonnull(strstr(xml, "<error type=\"transport\""));
	ck_assert_ptr_nonnull(strstr(xml, "<skipped message=\"skipped: step &apos;login&apos; "
	                                  "failed\"/>"));
	ck_assert_ptr_nonnull(strstr(xml, "name=\"greenlight.reported_version\" value=\"2.4.0\""));
	ck_assert_ptr_nonnull(
	        strstr(xml, "name=\"greenlight.suite_file\" value=\"suites/smoke.json\""));
	ck_assert_ptr_nonnull(strstr(xml, "timestamp=\"2026-11-22T03:01:30\""));
	ck_assert_ptr_null(strstr(xml, "greenlight.interrupted"));
	free(xml);
	gl_run_result_free(r);
}
END_TEST

/* An outcome outside the enum must never render as a pass. */
START_TEST(test_unknown_outcome_is_error)
{
	struct gl_run_result *r = one_case_run(GL_OUT_PASS, NULL, NULL);
	r->suites[0].cases[0].outcome = (enum gl_outcome)42;
	char *xml = render(r);
	ck_assert_ptr_nonnull(strstr(xml, "errors=\"1\""));
	ck_assert_uint_eq(count(xml, "<error "), 1);
	free(xml);
	char *out = console(r, false);
	ck_assert_ptr_nonnull(strstr(out, "verdict: FAIL"));
	free(out);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_time_format)
{
	struct gl_run_result *r = one_case_run(GL_OUT_PASS, NULL, NULL);
	r->suites[0].cases[0].seconds = 1.2345;
	r->suites[0].seconds = -3;
	char *xml = render(r);
	ck_assert_ptr_nonnull(strstr(xml, "time=\"1.235\""));
	ck_assert_ptr_nonnull(strstr(xml, "skipped=\"0\" time=\"0.000\""));
	free(xml);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_escaping)
{
	struct gl_run_result *r =
	        one_case_run(GL_OUT_FAIL, "a&b<c>d\"e'f", "<tag attr=\"v\">x & y 'z'</tag>");
	char *xml = render(r);
	ck_assert_ptr_nonnull(strstr(xml, "message=\"a&amp;b&lt;c&gt;d&quot;e&apos;f\""));
	ck_assert_ptr_nonnull(
	        strstr(xml, "&lt;tag attr=&quot;v&quot;&gt;x &amp; y &apos;z&apos;&lt;/tag&gt;"));
	ck_assert_ptr_null(strstr(xml, "<tag"));
	free(xml);
	assert_valid(r);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_forbidden_characters)
{
	struct gl_run_result *r = one_case_run(GL_OUT_FAIL, "a\x01z\tb\nc\rd",
	                                       "\x1b[31mred\x1b[0m \xff bad ]]> end \xed\xa0\x80 "
	                                       "\xef\xbf\xbe ok \xc3\xa9");
	char *xml = render(r);
	/* In an attribute, tab and line breaks survive as references. */
	ck_assert_ptr_nonnull(strstr(xml, "message=\"a\xEF\xBF\xBDz&#9;b&#10;c&#13;d\""));
	ck_assert_ptr_nonnull(strstr(xml, "\xEF\xBF\xBD[31mred\xEF\xBF\xBD[0m \xEF\xBF\xBD bad"));
	ck_assert_ptr_nonnull(strstr(xml, "]]&gt; end"));
	ck_assert_ptr_nonnull(strstr(xml, "ok \xc3\xa9"));
	ck_assert_ptr_null(strstr(xml, "\x01"));
	ck_assert_ptr_null(strstr(xml, "\x1b"));
	ck_assert_ptr_null(strstr(xml, "\xff"));
	ck_assert_ptr_null(strstr(xml, "\xed\xa0\x80"));
	ck_assert_ptr_null(strstr(xml, "\xef\xbf\xbe"));
	ck_assert_ptr_null(strstr(xml, "CDATA"));
	free(xml);
	assert_valid(r);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_secret_absent_in_all_forms)
{
	const char *secret = "sup3r/s3cret&tok";
	ck_assert_int_eq(gl_redact_add(secret), 0);
	struct gl_run_result *r =
	        one_case_run(GL_OUT_FAIL, "header 'x-api-key' was sup3r/s3cret&tok, expected none",
	                     "raw: sup3r/s3cret&tok\n"
	                     "base64: c3VwM3IvczNjcmV0JnRvaw==\n"
	                     "url: sup3r%2Fs3cret%26tok\n"
	                     "json: {\"k\":\"sup3r\\/s3cret&tok\"}\n"
	                     "xml: <k>sup3r/s3cret&amp;tok</k>\n");
	free(r->base_url);
	r->base_url = xstrdup("http://user:sup3r%2Fs3cret%26tok@127.0.0.1:8080");
	char *xml = render(r);
	static const char *const leaks[] = {"s3cret", "c3VwM3IvczNjcmV0JnRvaw", "sup3r%2F",
	                                    "sup3r\\/"};
	for (size_t i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++)
		ck_assert_msg(strstr(xml, leaks[i]) == NULL, "'%s' leaked", leaks[i]);
	ck_assert_uint_ge(count(xml, "***"), 7);
	free(xml);
	char *out = console(r, false);
	for (size_t i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++)
		ck_assert_msg(strstr(out, leaks[i]) == NULL, "'%s' leaked to the console",
		              leaks[i]);
	free(out);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_caps)
{
	size_t big = 1024 * 1024;
	char *detail = malloc(big + 1);
	char *message = malloc(5001);
	ck_assert_ptr_nonnull(detail);
	ck_assert_ptr_nonnull(message);
	/* An odd prefix then 2-byte characters: the 64 KiB cap falls inside
	 * one, and must back up to its start. */
	detail[0] = 'x';
	for (size_t i = 1; i + 1 < big; i += 2) {
		detail[i] = '\xc3';
		detail[i + 1] = '\xa9';
	}
	detail[big - 1] = 'x';
	detail[big] = '\0';
	memset(message, 'm', 5000);
	message[5000] = '\0';
	struct gl_run_result *r = one_case_run(GL_OUT_FAIL, message, detail);
	free(detail);
	free(message);

	char *xml = render(r);
	ck_assert_uint_lt(strlen(xml), 64 * 1024 + 1024 + 4096);
	ck_assert_ptr_nonnull(strstr(xml, " ... (3976 bytes more)\""));
	ck_assert_ptr_nonnull(strstr(xml, " ... (983041 bytes more)</failure>"));
	ck_assert_ptr_null(strstr(xml, "\xEF\xBF\xBD"));
	free(xml);
	assert_valid(r);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_schema_all_pass)
{
	struct gl_run_result *r = all_pass_run();
	assert_valid(r);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_schema_mixed)
{
	struct gl_run_result *r = mixed_run();
	r->interrupted = 1;
	char *xml = render(r);
	ck_assert_ptr_nonnull(strstr(xml, "name=\"greenlight.interrupted\" value=\"true\""));
	free(xml);
	assert_valid(r);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_schema_empty)
{
	/* A suite with no cases, then a run with no suites at all. */
	struct gl_run_result *r = new_run(1);
	init_suite(r, 0, "empty", 0);
	char *xml = render(r);
	ck_assert_ptr_nonnull(strstr(xml, "tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\""));
	free(xml);
	assert_valid(r);
	gl_run_result_free(r);

	r = new_run(0);
	assert_valid(r);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_render_reports_write_errors)
{
	FILE *fp = fopen("/dev/full", "w");
	ck_assert_ptr_nonnull(fp);
	/* Unbuffered, so the first write fails inside the render. */
	setvbuf(fp, NULL, _IONBF, 0);
	struct gl_run_result *r = all_pass_run();
	ck_assert_int_eq(gl_report_junit_render(fp, r), -1);
	fclose(fp);
	gl_run_result_free(r);
}
END_TEST

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(mem);
	int c;
	while ((c = fgetc(fp)) != EOF)
		fputc(c, mem);
	fclose(fp);
	fclose(mem);
	return buf;
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

START_TEST(test_write_missing_directory)
{
	char dir[] = "/tmp/gl-write-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/missing/report.xml", dir);
	struct gl_run_result *r = all_pass_run();
	ck_assert_int_eq(gl_report_junit_write(path, r), -1);
	ck_assert_uint_eq(dir_entries(dir), 0);
	gl_run_result_free(r);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_write_failure_leaves_no_temp)
{
	/* The target is a directory: the rename fails after the temporary file
	 * was written, which must then be removed. */
	char dir[] = "/tmp/gl-write-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/report.xml", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	struct gl_run_result *r = all_pass_run();
	ck_assert_int_eq(gl_report_junit_write(path, r), -1);
	ck_assert_uint_eq(dir_entries(dir), 1);
	gl_run_result_free(r);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_write_replaces)
{
	char dir[] = "/tmp/gl-write-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/report.xml", dir);
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("old report", fp);
	ck_assert_int_eq(fclose(fp), 0);

	struct gl_run_result *r = mixed_run();
	ck_assert_int_eq(gl_report_junit_write(path, r), 0);
	char *got = slurp(path);
	ck_assert_ptr_nonnull(got);
	char *want = render(r);
	ck_assert_str_eq(got, want);
	ck_assert_ptr_null(strstr(got, "old report"));
	ck_assert_uint_eq(dir_entries(dir), 1);
	ck_assert_int_eq(xmllint_file(path), 0);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_ne(st.st_mode & 0044, 0); /* not left 0600 by mkstemp */
	free(got);
	free(want);
	gl_run_result_free(r);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_console_mixed)
{
	struct gl_run_result *r = mixed_run();
	free(r->suites[0].cases[1].message);
	r->suites[0].cases[1].message = xstrdup("status: expected 200, got \x1b[2J500");
	char *out = console(r, false);
	ck_assert_ptr_nonnull(strstr(out, "  PASS  smoke/health  3 ms\n"));
	ck_assert_ptr_nonnull(strstr(out, "  FAIL  smoke/version  3 ms\n"));
	ck_assert_ptr_nonnull(strstr(out, "  ERROR smoke/login  3 ms\n"));
	ck_assert_ptr_nonnull(strstr(out, "  SKIP  smoke/profile\n"));
	ck_assert_ptr_nonnull(strstr(out, "skipped: step 'login' failed\n"));
	ck_assert_ptr_nonnull(strstr(out, "got \xEF\xBF\xBD[2J500\n"));
	ck_assert_ptr_nonnull(strstr(out, "$.version: expected \"2.4.0\", got \"2.3.9\"\n"));
	ck_assert_ptr_nonnull(
	        strstr(out, "smoke: 5 checks: 2 passed, 1 failed, 1 errored, 1 skipped\n"));
	ck_assert_ptr_nonnull(
	        strstr(out, "\n6 checks: 3 passed, 1 failed, 1 errored, 1 skipped\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nverdict: FAIL\n"));
	ck_assert_ptr_null(strstr(out, "\x1b"));
	free(out);

	out = console(r, true);
	ck_assert_ptr_nonnull(strstr(out, "\x1b[31m"));
	ck_assert_ptr_null(strstr(out, "\x1b[2J"));
	free(out);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_console_verdicts)
{
	struct gl_run_result *r = all_pass_run();
	char *out = console(r, false);
	ck_assert_ptr_nonnull(strstr(out, "\nverdict: PASS\n"));
	free(out);
	r->interrupted = 1;
	out = console(r, false);
	ck_assert_ptr_nonnull(strstr(out, "\nverdict: FAIL\n"));
	free(out);
	gl_run_result_free(r);

	/* Nothing ran, or everything was skipped: no evidence, no pass. */
	r = new_run(0);
	out = console(r, false);
	ck_assert_ptr_nonnull(strstr(out, "0 checks: 0 passed"));
	ck_assert_ptr_nonnull(strstr(out, "\nverdict: FAIL\n"));
	free(out);
	gl_run_result_free(r);
	r = one_case_run(GL_OUT_SKIP, "skipped: environment not ready", NULL);
	out = console(r, false);
	ck_assert_ptr_nonnull(strstr(out, "\nverdict: FAIL\n"));
	free(out);
	gl_run_result_free(r);
}
END_TEST

/* Certificates not verified: a property on every testsuite, valid JUnit, and
 * a warning line in the console report right above the verdict. */
START_TEST(test_tls_verify_off_reported)
{
	struct gl_run_result *r = mixed_run();
	char *xml = render(r);
	ck_assert_uint_eq(count(xml, "<property name=\"greenlight.tls_verify\" value=\"on\"/>"), 2);
	char *out = console(r, false);
	ck_assert_ptr_null(strstr(out, "TLS"));
	free(out);
	free(xml);

	r->tls_verify_off = 1;
	xml = render(r);
	ck_assert_uint_eq(count(xml, "<property name=\"greenlight.tls_verify\" value=\"off\"/>"),
	                  2);
	ck_assert_uint_eq(count(xml, "value=\"on\""), 0);
	assert_valid(r);
	out = console(r, false);
	ck_assert_ptr_nonnull(strstr(out, "\nwarning: TLS certificate verification was OFF for "
	                                  "environment 'local' (tls_verify: false): the "
	                                  "target's identity was not checked\nverdict: FAIL\n"));
	free(out);
	free(xml);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_console_detail_capped)
{
	char detail[4096] = "";
	for (int i = 0; i < 50; i++) {
		char line[32];
		snprintf(line, sizeof(line), "line %d\n", i);
		strcat(detail, line);
	}
	struct gl_run_result *r = one_case_run(GL_OUT_FAIL, "body mismatch", detail);
	char *out = console(r, false);
	ck_assert_ptr_nonnull(strstr(out, "line 19\n"));
	ck_assert_ptr_null(strstr(out, "line 20\n"));
	ck_assert_ptr_nonnull(strstr(out, "... (30 more lines)\n"));
	free(out);
	gl_run_result_free(r);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *junit = tcase_create("junit");
	TCase *write = tcase_create("write");
	TCase *con = tcase_create("console");

	tcase_add_checked_fixture(junit, NULL, teardown);
	tcase_add_test(junit, test_counts_equal_testcases);
	tcase_add_test(junit, test_unknown_outcome_is_error);
	tcase_add_test(junit, test_time_format);
	tcase_add_test(junit, test_escaping);
	tcase_add_test(junit, test_forbidden_characters);
	tcase_add_test(junit, test_secret_absent_in_all_forms);
	tcase_add_test(junit, test_caps);
	tcase_add_test(junit, test_schema_all_pass);
	tcase_add_test(junit, test_schema_mixed);
	tcase_add_test(junit, test_schema_empty);
	tcase_set_timeout(junit, 60);
	suite_add_tcase(s, junit);

	tcase_add_test(write, test_render_reports_write_errors);
	tcase_add_test(write, test_write_missing_directory);
	tcase_add_test(write, test_write_failure_leaves_no_temp);
	tcase_add_test(write, test_write_replaces);
	tcase_set_timeout(write, 60);
	suite_add_tcase(s, write);

	tcase_add_checked_fixture(con, NULL, teardown);
	tcase_add_test(con, test_console_mixed);
	tcase_add_test(con, test_console_verdicts);
	tcase_add_test(con, test_console_detail_capped);
	tcase_add_test(con, test_tls_verify_off_reported);
	suite_add_tcase(s, con);
	return s;
}
