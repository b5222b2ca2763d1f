/* The HTML report: the verdict, every case with its outcome label, escaping,
 * redaction, the replay histogram, nothing fetched from the network, caps. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check_suites.h"
#include "html/sample.h"
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

static void set_str(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static char *render(const struct gl_run_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(gl_report_html_render(fp, r), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_uint_eq(strlen(buf), len);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static const char *strcasestr_(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

/* The text between the first `from` and the next `to`, or NULL. */
static char *between(const char *hay, const char *from, const char *to)
{
	const char *a = strstr(hay, from);
	if (!a)
		return NULL;
	const char *b = strstr(a, to);
	if (!b)
		return NULL;
	return strndup(a, (size_t)(b - a) + strlen(to));
}

/* The whole page is valid UTF-8 without control characters other than tab
 * and newline. */
static void assert_clean_utf8(const char *html)
{
	const unsigned char *s = (const unsigned char *)html;
	while (*s) {
		if (*s < 0x80) {
			ck_assert_msg(*s >= 0x20 || *s == '\n' || *s == '\t',
			              "control byte 0x%02x at %td", *s, (const char *)s - html);
			ck_assert_msg(*s != 0x7F, "DEL at %td", (const char *)s - html);
			s++;
			continue;
		}
		size_t n = *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : *s >= 0xC0 ? 2 : 0;
		ck_assert_msg(n >= 2 && *s >= 0xC2 && *s <= 0xF4, "bad lead byte at %td",
		              (const char *)s - html);
		for (size_t i = 1; i < n; i++)
			ck_assert_msg((s[i] & 0xC0) == 0x80, "bad continuation at %td",
			              (const char *)s - html);
		/* no C1 controls (U+0080..U+009F are C2 80..C2 9F) */
		ck_assert_msg(!(n == 2 && s[0] == 0xC2 && s[1] <= 0x9F), "C1 control at %td",
		              (const char *)s - html);
		s += n;
	}
}

static struct gl_run_result *one_case_run(enum gl_outcome out, const char *message,
                                          const char *detail)
{
	struct gl_run_result *r = calloc(1, sizeof *r);
	ck_assert_ptr_nonnull(r);
	r->env_name = xstrdup("local");
	r->base_url = xstrdup("http://127.0.0.1:8080");
	r->harness_version = xstrdup("0.1.0");
	r->started = 1795316490;
	r->finished = r->started + 1;
	r->n_suites = 1;
	r->suites = calloc(1, sizeof *r->suites);
	ck_assert_ptr_nonnull(r->suites);
	struct gl_suite_result *s = &r->suites[0];
	s->name = xstrdup("smoke");
	s->file = xstrdup("suites/smoke.json");
	s->n_cases = 1;
	s->cases = calloc(1, sizeof *s->cases);
	ck_assert_ptr_nonnull(s->cases);
	s->cases[0].id = xstrdup("smoke/check");
	s->cases[0].name = xstrdup("check");
	s->cases[0].file = xstrdup("suites/smoke.json");
	s->cases[0].line = 7;
	s->cases[0].outcome = out;
	s->cases[0].message = xstrdup(message);
	s->cases[0].detail = xstrdup(detail);
	return r;
}

static void teardown(void)
{
	gl_redact_reset();
}

START_TEST(test_verdict_and_header)
{
	struct gl_run_result *r = html_sample_run();
	char *html = render(r);

	ck_assert_ptr_nonnull(strstr(html, "<!DOCTYPE html>"));
	ck_assert_ptr_nonnull(strstr(html, "<header class=\"verdict fail\""));
	ck_assert_ptr_nonnull(strstr(html, "<div class=\"big\">FAIL</div>"));
	ck_assert_ptr_null(strstr(html, "<div class=\"big\">PASS</div>"));
	ck_assert_ptr_nonnull(strstr(html, "<dt>Environment</dt><dd>preprod</dd>"));
	ck_assert_ptr_nonnull(
	        strstr(html, "<dt>Base URL</dt><dd>https://costs.preprod.example.internal</dd>"));
	ck_assert_ptr_nonnull(strstr(html, "<dt>Version reported</dt><dd>2.3.9</dd>"));
	ck_assert_ptr_nonnull(strstr(html, "<dt>greenlight version</dt><dd>0.1.0</dd>"));
	ck_assert_ptr_nonnull(strstr(html, "<dt>Started</dt><dd>2026-11-22 03:01:30 UTC</dd>"));
	ck_assert_ptr_nonnull(strstr(html, "2026-11-22 03:01:35 UTC (5 s)"));
	/* 12 checks: 7 passed, 3 failed, 1 errored, 1 skipped */
	ck_assert_ptr_nonnull(strstr(html, "<li><b>12</b>checks</li><li><b>7</b>passed</li>"
	                                   "<li><b>3</b>failed</li><li><b>1</b>errored</li>"
	                                   "<li><b>1</b>skipped</li>"));
	ck_assert_ptr_nonnull(strstr(html, "<title>FAIL: preprod"));
	ck_assert_ptr_nonnull(strstr(html, "<dt>TLS verification</dt><dd>on</dd>"));
	ck_assert_ptr_null(strstr(html, "class=\"insecure\""));
	free(html);

	/* Certificates not verified: said in the header, where nobody misses it. */
	r->tls_verify_off = 1;
	html = render(r);
	ck_assert_ptr_nonnull(strstr(html, "<dt>TLS verification</dt><dd>OFF (tls_verify: "
	                                   "false)</dd>"));
	ck_assert_ptr_nonnull(strstr(html, "<p class=\"insecure\" role=\"alert\">TLS certificate "
	                                   "verification was OFF for this environment"));
	ck_assert(strstr(html, "class=\"insecure\"") < strstr(html, "</header>"));
	free(html);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_verdicts)
{
	/* a pass needs evidence; an interruption is never a pass */
	struct gl_run_result *r = one_case_run(GL_OUT_PASS, NULL, NULL);
	char *html = render(r);
	ck_assert_ptr_nonnull(strstr(html, "<div class=\"big\">PASS</div>"));
	free(html);
	r->interrupted = 1;
	html = render(r);
	ck_assert_ptr_nonnull(strstr(html, "<div class=\"big\">FAIL</div>"));
	ck_assert_ptr_nonnull(strstr(html, "interrupted"));
	free(html);
	gl_run_result_free(r);

	r = one_case_run(GL_OUT_SKIP, "skipped: mutating check in production", NULL);
	html = render(r);
	ck_assert_ptr_nonnull(strstr(html, "<div class=\"big\">FAIL</div>"));
	ck_assert_ptr_nonnull(strstr(html, "nothing passed"));
	free(html);
	gl_run_result_free(r);

	/* a pass after retries is a pass, and says so */
	r = one_case_run(GL_OUT_PASS, "passed after 2 retries", NULL);
	r->suites[0].cases[0].retries = 2;
	html = render(r);
	ck_assert_ptr_nonnull(strstr(html, "<div class=\"big\">PASS</div>"));
	ck_assert_ptr_nonnull(strstr(html, "suites/smoke.json:7 \xC2\xB7 2 retries</div></td>"
	                                   "<td>passed after 2 retries</td>"));
	free(html);

	/* an environment that was not ready: held, with the reason */
	r->not_ready = 1;
	r->not_ready_reason = xstrdup("environment not ready after 30 s (last: HTTP 503)");
	r->ready_after_s = 30.0;
	html = render(r);
	ck_assert_ptr_nonnull(strstr(html, "<div class=\"big\">FAIL</div>"));
	ck_assert_ptr_nonnull(strstr(html, "the environment was not ready: environment not ready "
	                                   "after 30 s (last: HTTP 503)</div>"));
	ck_assert_ptr_nonnull(
	        strstr(html, "<dt>Waited for readiness</dt><dd>30000 ms, in vain</dd>"));
	free(html);
	gl_run_result_free(r);

	/* an outcome outside the enum is an error, never a pass */
	r = one_case_run((enum gl_outcome)42, "?", NULL);
	html = render(r);
	ck_assert_ptr_nonnull(strstr(html, "<div class=\"big\">FAIL</div>"));
	ck_assert_ptr_nonnull(strstr(html, "<span class=\"badge error\">ERROR</span>"));
	ck_assert_ptr_null(strstr(html, "badge pass"));
	free(html);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_every_case_with_its_label)
{
	struct gl_run_result *r = html_sample_run();
	char *html = render(r);

	for (size_t i = 0; i < r->n_suites; i++) {
		const struct gl_suite_result *s = &r->suites[i];
		for (size_t j = 0; j < s->n_cases; j++) {
			const struct gl_case *c = &s->cases[j];
			static const char *const cls[] = {"pass", "fail", "error", "skip"};
			static const char *const label[] = {"PASS", "FAIL", "ERROR", "SKIP"};
			const char *k = cls[c->outcome];
			bool linked = c->outcome == GL_OUT_FAIL || c->outcome == GL_OUT_ERROR;
			char want[512];
			char anchor[64] = "";
			if (linked)
				snprintf(anchor, sizeof anchor, "<a href=\"#s%zu-c%zu\">", i, j);
			snprintf(want, sizeof want,
			         "<tr class=\"%s\"><td><span class=\"badge "
			         "%s\">%s</span></td><td>%s%s",
			         k, k, label[c->outcome], anchor, c->name);
			ck_assert_msg(strstr(html, want), "no row '%s'", want);
			if (linked) {
				snprintf(want, sizeof want,
				         "<article class=\"%s\" id=\"s%zu-c%zu\">", k, i, j);
				ck_assert_msg(strstr(html, want), "no failure '%s'", want);
			}
		}
	}
	/* the failure shows what was expected and what came back, in <pre> */
	ck_assert_ptr_nonnull(
	        strstr(html, "<pre class=\"message\">$.version: expected &quot;2.4.0&quot;, got "
	                     "&quot;2.3.9&quot; (GET http://127.0.0.1:8080/health)</pre>"));
	ck_assert_ptr_nonnull(strstr(html, "<pre class=\"detail\">$.version: expected"));
	ck_assert_ptr_nonnull(strstr(html, "POST http://127.0.0.1:8080/login"));
	ck_assert_ptr_nonnull(strstr(html, "skipped: step &#39;login&#39; failed"));
	free(html);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_escaping)
{
	struct gl_run_result *r =
	        one_case_run(GL_OUT_FAIL, "body was <script>alert('x')</script> & more",
	                     "<SCRIPT src=\"http://evil.example/x.js\"></SCRIPT>\n"
	                     "<img src=x onerror=alert(1)>\n\"quoted\" 'single'");
	set_str(&r->env_name, "<script>env</script>");
	set_str(&r->suites[0].name, "<b>suite</b>");
	set_str(&r->suites[0].cases[0].name, "<i onmouseover=x>");
	char *html = render(r);

	ck_assert_ptr_null(strcasestr_(html, "<script"));
	ck_assert_ptr_null(strcasestr_(html, "<img"));
	ck_assert_ptr_null(strstr(html, "<b>suite"));
	ck_assert_ptr_null(strstr(html, "<i "));
	ck_assert_ptr_nonnull(strstr(
	        html, "body was &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;SCRIPT src=&quot;http://evil.example/x.js&quot;"));
	ck_assert_ptr_nonnull(strstr(html, "&quot;quoted&quot; &#39;single&#39;"));
	ck_assert_ptr_nonnull(strstr(html, "<title>FAIL: &lt;script&gt;env&lt;/script&gt;"));
	free(html);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_forbidden_characters)
{
	/* ANSI escapes, C0 and C1 controls, DEL, invalid and overlong UTF-8, a
	 * surrogate, a noncharacter: each becomes U+FFFD; CR LF becomes LF. */
	struct gl_run_result *r = one_case_run(
	        GL_OUT_FAIL, "\x1b[31mred\x1b[0m \x01\x7f \xc2\x85",
	        "bad \xff\xfe, overlong \xc0\xaf, surrogate \xed\xa0\x80, nonchar "
	        "\xef\xbf\xbe, cut \xe2\x82\r\nok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80");
	char *html = render(r);
	assert_clean_utf8(html);
	ck_assert_ptr_nonnull(strstr(html, "\xEF\xBF\xBD[31mred\xEF\xBF\xBD[0m"));
	ck_assert_ptr_nonnull(strstr(html, "cut \xEF\xBF\xBD\xEF\xBF\xBD\nok \xc3\xa9 \xe2\x82\xac "
	                                   "\xf0\x9f\x9a\x80"));
	free(html);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_secret_absent_in_all_forms)
{
	const char *secret = "sup3r/s3cret&tok<1>";
	ck_assert_int_eq(gl_redact_add(secret), 0);
	struct gl_run_result *r = html_sample_run();
	struct gl_suite_result *replay = &r->suites[0];
	struct gl_suite_result *smoke = &r->suites[1];
	set_str(&r->base_url, "https://user:sup3r%2Fs3cret%26tok%3C1%3E@costs.example");
	set_str(&r->reported_version, "2.3.9-sup3r/s3cret&tok<1>");
	set_str(&smoke->cases[1].message, "header 'x-api-key' was sup3r/s3cret&tok<1>");
	set_str(&smoke->cases[1].detail, "raw: sup3r/s3cret&tok<1>\n"
	                                 "base64: c3VwM3IvczNjcmV0JnRvazwxPg==\n"
	                                 "url: sup3r%2Fs3cret%26tok%3C1%3E\n"
	                                 "json: {\"k\":\"sup3r\\/s3cret&tok<1>\"}\n"
	                                 "xml: <k>sup3r/s3cret&amp;tok&lt;1&gt;</k>\n");
	set_str(&smoke->cases[1].url, "https://costs.example/?key=sup3r%2Fs3cret%26tok%3C1%3E");
	set_str(&smoke->cases[2].name, "login as sup3r/s3cret&tok<1>");
	/* in the worst-cases table, a property and the drift detail */
	set_str(&replay->cases[3].detail, "key\texpected\tactual\tdiff\tverdict\n"
	                                  "sup3r/s3cret&tok<1>\t1.00\t1.01\t+0.01\tout");
	set_str(&replay->props[0].value, "sup3r/s3cret&tok<1>");
	set_str(&replay->cases[4].detail, "budget: sup3r/s3cret&tok<1>");
	char *html = render(r);

	static const char *const leaks[] = {
	        "s3cret",   "c3VwM3IvczNjcmV0JnRva", "sup3r%2F", "sup3r\\/",
	        "sup3r/s3", "s3cret&amp;tok",        "tok&lt;1",
	};
	for (size_t i = 0; i < sizeof leaks / sizeof *leaks; i++)
		ck_assert_msg(strstr(html, leaks[i]) == NULL, "'%s' leaked", leaks[i]);
	ck_assert_uint_ge(count(html, GL_REDACTED), 10);
	free(html);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_histogram)
{
	struct gl_run_result *r = html_sample_run();
	char *html = render(r);

	/* two fields, nine bars each */
	ck_assert_uint_eq(count(html, "<svg class=\"histogram\""), 2);
	ck_assert_uint_eq(count(html, "<rect class=\"bar\""), 18);
	char *tax = between(html, "<h3>Field <code>tax</code></h3>", "</svg>");
	ck_assert_ptr_nonnull(tax);
	ck_assert_uint_eq(count(tax, "<rect class=\"bar\""), 9);
	/* the tallest bar is the exact bin, full height; every count is shown */
	ck_assert_ptr_nonnull(strstr(tax, "height=\"150\" fill=\"#1b7f3b\"><title>0: 941</title>"));
	ck_assert_ptr_nonnull(strstr(tax, "<title>&lt; \xE2\x88\x92"
	                                  "2t: 2</title>"));
	ck_assert_ptr_nonnull(strstr(tax, "<title>&gt; 2t: 4</title>"));
	ck_assert_ptr_nonnull(strstr(tax, ">t/2\xE2\x80\xA6t</text>"));
	ck_assert_ptr_nonnull(strstr(tax, "role=\"img\" aria-label=\"tax: differences by bin"));
	free(tax);
	char *total = between(html, "<h3>Field <code>total</code></h3>", "</svg>");
	ck_assert_ptr_nonnull(total);
	/* an empty bin draws a bar of no height */
	ck_assert_ptr_nonnull(strstr(total, "height=\"0\" fill=\"#b3261e\"><title>&lt; "));
	free(total);

	/* the drift against its budget, the statistics, the worst cases */
	ck_assert_ptr_nonnull(strstr(html, "sum of signed differences: <b>+0.231</b>; budget: "
	                                   "<b>0.05</b>"));
	ck_assert_ptr_nonnull(strstr(html, "over budget"));
	ck_assert_ptr_nonnull(strstr(html, "budget: <b>0.01</b>"));
	ck_assert_ptr_nonnull(strstr(html, "<tr><th>p99 |difference|</th><td class=\"num\">0.012"));
	ck_assert_ptr_nonnull(strstr(html, "<tr><th>standard deviation</th><td "
	                                   "class=\"num\">0.00214</td></tr>"));
	char *worst = between(html, "<table class=\"worst\">", "</table>");
	ck_assert_ptr_nonnull(worst);
	ck_assert_uint_eq(count(worst, "<tr>"), 9); /* the head and eight cases */
	ck_assert_ptr_nonnull(strstr(worst, "<tr><td>quote-0412</td><td class=\"num\">118.40</td>"
	                                    "<td class=\"num\">118.441</td><td "
	                                    "class=\"num\">+0.041</td><td class=\"bad\">out</td>"));
	free(worst);
	ck_assert_uint_eq(count(html, "<table class=\"worst\">"), 1);
	free(html);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_histogram_malformed)
{
	struct gl_run_result *r = html_sample_run();
	struct gl_suite_result *s = &r->suites[0];
	for (size_t i = 0; i < s->n_props; i++)
		if (strcmp(s->props[i].name, "replay.tax.histogram") == 0)
			set_str(&s->props[i].value, "1,2,3,<b>");
	char *html = render(r);
	ck_assert_uint_eq(count(html, "<svg class=\"histogram\""), 1);
	ck_assert_ptr_nonnull(strstr(html, "histogram unavailable: 1,2,3,&lt;b&gt;"));
	free(html);
	gl_run_result_free(r);

	/* a smoke suite has no replay section at all */
	r = one_case_run(GL_OUT_PASS, NULL, NULL);
	html = render(r);
	ck_assert_ptr_null(strstr(html, "<svg"));
	ck_assert_ptr_null(strstr(html, "<h3>Replay</h3>"));
	free(html);
	gl_run_result_free(r);
}
END_TEST

/* The markup of a page: every tag, and the style sheet; no text content. */
static char *markup_of(const char *html)
{
	size_t len = strlen(html);
	char *m = malloc(len + 1);
	ck_assert_ptr_nonnull(m);
	size_t n = 0;
	bool in_tag = false;
	bool in_style = false;
	for (const char *p = html; *p; p++) {
		if (*p == '<') {
			in_tag = true;
			in_style = strncmp(p, "<style>", 7) == 0;
		}
		if (in_tag || in_style)
			m[n++] = *p;
		if (*p == '>') {
			in_tag = false;
			m[n++] = ' ';
		}
	}
	m[n] = '\0';
	return m;
}

/* Nothing that a browser would fetch: no URL in any tag or in the style
 * sheet ("http://" and "https://" appear only as escaped text), no element or
 * CSS that names a resource, every href a fragment of the page. */
START_TEST(test_self_contained)
{
	struct gl_run_result *r = html_sample_run();
	set_str(&r->suites[1].cases[1].detail, "<link rel=stylesheet href=\"https://cdn.example/"
	                                       "a.css\"> url(https://x.example/) @import 'y' "
	                                       "<img src=//x.example/p.png>");
	char *html = render(r);

	ck_assert_ptr_nonnull(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" "
	                                   "content=\"default-src 'none'; style-src "
	                                   "'unsafe-inline'; img-src data:\">"));
	ck_assert_uint_gt(count(html, "http://"), 5);
	ck_assert_uint_gt(count(html, "https://"), 1);
	char *markup = markup_of(html);
	ck_assert_ptr_nonnull(strstr(markup, "<style>"));
	ck_assert_ptr_nonnull(strstr(markup, "<svg class=\"histogram\""));
	static const char *const banned[] = {"http:",   "https:",
	                                     "//",      "src=",
	                                     "<link",   "<img",
	                                     "<script", "<iframe",
	                                     "<object", "<embed",
	                                     "url(",    "@import",
	                                     "<base",   "<form",
	                                     "action=", "srcset",
	                                     "xlink",   "<use",
	                                     "<image",  "<audio",
	                                     "<video",  "<meta http-equiv=\"refresh"};
	for (size_t i = 0; i < sizeof banned / sizeof *banned; i++)
		ck_assert_msg(strcasestr_(markup, banned[i]) == NULL, "'%s' in the markup",
		              banned[i]);
	for (const char *p = strstr(markup, "href="); p; p = strstr(p + 1, "href="))
		ck_assert_msg(strncmp(p, "href=\"#", 7) == 0, "href not a fragment: %.40s", p);
	ck_assert_uint_gt(count(markup, "href=\"#"), 3);
	free(markup);
	free(html);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_caps)
{
	/* an 8 MiB body in a detail, a 5000-byte message */
	size_t big = 8 * 1024 * 1024;
	char *detail = malloc(big + 1);
	char *message = malloc(5001);
	ck_assert_ptr_nonnull(detail);
	ck_assert_ptr_nonnull(message);
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
	char *html = render(r);
	ck_assert_uint_lt(strlen(html), 64 * 1024 + 32 * 1024);
	/* cut on a character boundary, saying how much was left out */
	ck_assert_ptr_nonnull(strstr(html, " \xE2\x80\xA6 (8323073 bytes more)</pre>"));
	ck_assert_ptr_nonnull(strstr(html, " \xE2\x80\xA6 (3976 bytes more)</pre>"));
	ck_assert_ptr_null(strstr(html, "\xEF\xBF\xBD"));
	assert_clean_utf8(html);
	free(html);
	gl_run_result_free(r);
}
END_TEST

START_TEST(test_page_budget)
{
	/* 100 failures each with a 256 KiB detail: every case is still there,
	 * the page stays within its budget */
	enum { N = 100 };
	size_t big = 256 * 1024;
	char *detail = malloc(big + 1);
	ck_assert_ptr_nonnull(detail);
	memset(detail, 'd', big);
	detail[big] = '\0';
	struct gl_run_result *r = one_case_run(GL_OUT_FAIL, "m", NULL);
	struct gl_suite_result *s = &r->suites[0];
	free(s->cases[0].id);
	free(s->cases[0].name);
	free(s->cases[0].file);
	free(s->cases[0].message);
	free(s->cases);
	s->cases = calloc(N, sizeof *s->cases);
	ck_assert_ptr_nonnull(s->cases);
	s->n_cases = N;
	for (size_t i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof name, "case-%03zu", i);
		s->cases[i].name = xstrdup(name);
		s->cases[i].outcome = GL_OUT_FAIL;
		s->cases[i].message = xstrdup("expected 200, got 500");
		s->cases[i].detail = xstrdup(detail);
	}
	free(detail);
	char *html = render(r);
	ck_assert_uint_lt(strlen(html), 4 * 1024 * 1024 + 256 * 1024);
	ck_assert_uint_eq(count(html, "<article class=\"fail\""), N);
	ck_assert_ptr_nonnull(strstr(html, ">case-099</a>"));
	ck_assert_ptr_nonnull(strstr(html, "this page reached its size limit"));
	free(html);
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

START_TEST(test_write)
{
	char dir[] = "/tmp/gl-html-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/report.html", dir);
	struct gl_run_result *r = html_sample_run();
	ck_assert_int_eq(gl_report_html_write(path, r), 0);
	char *written = slurp(path);
	ck_assert_ptr_nonnull(written);
	char *html = render(r);
	ck_assert_str_eq(written, html);
	free(written);
	free(html);
	ck_assert_int_eq(unlink(path), 0);

	/* a missing directory: -1, nothing left behind */
	snprintf(path, sizeof path, "%s/missing/report.html", dir);
	ck_assert_int_eq(gl_report_html_write(path, r), -1);
	ck_assert_int_eq(rmdir(dir), 0);

	FILE *fp = fopen("/dev/full", "w");
	ck_assert_ptr_nonnull(fp);
	setvbuf(fp, NULL, _IONBF, 0);
	ck_assert_int_eq(gl_report_html_render(fp, r), -1);
	fclose(fp);
	gl_run_result_free(r);
}
END_TEST

Suite *report_html_suite(void)
{
	Suite *s = suite_create("report_html");
	TCase *tc = tcase_create("html");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_verdict_and_header);
	tcase_add_test(tc, test_verdicts);
	tcase_add_test(tc, test_every_case_with_its_label);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_forbidden_characters);
	tcase_add_test(tc, test_secret_absent_in_all_forms);
	tcase_add_test(tc, test_histogram);
	tcase_add_test(tc, test_histogram_malformed);
	tcase_add_test(tc, test_self_contained);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_page_budget);
	tcase_add_test(tc, test_write);
	suite_add_tcase(s, tc);
	return s;
}
