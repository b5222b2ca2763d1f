/* One self-contained HTML5 page for people doing acceptance: the verdict at
 * the top, every suite and case with its outcome, the failures with what was
 * expected and what came back, and for replay suites the distribution of the
 * differences, the drift, the statistics and the worst cases.
 *
 * Self-contained means checkable: inline CSS, no script, no link, no image,
 * no font, and a Content-Security-Policy that forbids loading anything, so a
 * page opened from an archive years later looks the same and phones nowhere.
 * Text from the result appears only as element content, never in a src or
 * href: the one href is a fragment of the page itself.
 *
 * Every string from the result is redacted, then capped, then escaped, in
 * that order (a cap must not cut a secret in two). Numbers shown from replay
 * properties are parsed from the redacted value, so a count equal to a short
 * secret is not drawn where the JUnit report would show "***". */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomic.h"
#include "out.h"
#include "redact.h"

#define MESSAGE_CAP 1024
#define ROW_CAP     240 /* a message in the table of cases; the full one is below it */
#define DETAIL_CAP  (64 * 1024)
/* Detail text across the whole page. Past it, details are left out with a
 * note (every case and its message still appear): ten thousand failing checks
 * each quoting a large body must not make a page no browser can open. */
#define PAGE_DETAIL_BUDGET (4 * 1024 * 1024)
#define MAX_PROPS_SHOWN    400
#define MAX_WORST_ROWS     50

#define NBINS 9 /* tolerance.h GL_TOL_NBINS; the property is the contract */

/* Length of the UTF-8 sequence at s if it is a character to show as it is,
 * else 0. HTML's rules are not XML's (report_junit.c) nor a terminal's
 * (report_console.c): tab and newline pass; other C0 controls, DEL, C1
 * controls, surrogates, noncharacters and invalid or overlong sequences do
 * not. A CR is handled by the caller. */
static size_t html_char_len(const unsigned char *s, size_t len)
{
	if (s[0] < 0x80)
		return (s[0] >= 0x20 && s[0] != 0x7F) || s[0] == '\t' || s[0] == '\n' ? 1 : 0;
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
	if (n == 0 || n > len || s[0] > 0xF4)
		return 0;
	uint32_t v = s[0] & (0x7F >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || v <= 0x9F ||
	    (v >= 0xFDD0 && v <= 0xFDEF) || (v & 0xFFFE) == 0xFFFE)
		return 0;
	return n;
}

/* Escape already-redacted bytes for element content or a quoted attribute:
 * & < > " ' become references, anything html_char_len() refuses becomes
 * U+FFFD, and CR LF becomes LF. */
static void put_escaped(struct gl_out *o, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t run = 0; /* start of the pending run of bytes that need no escaping */
	size_t i = 0;

	while (i < len) {
		const char *rep = NULL;
		size_t n = html_char_len(s + i, len - i);
		if (n == 0) {
			rep = s[i] == '\r' && i + 1 < len && s[i + 1] == '\n' ? "" : "\xEF\xBF\xBD";
			n = 1;
		} else if (n == 1) {
			switch (s[i]) {
			case '&':
				rep = "&amp;";
				break;
			case '<':
				rep = "&lt;";
				break;
			case '>':
				rep = "&gt;";
				break;
			case '"':
				rep = "&quot;";
				break;
			case '\'':
				rep = "&#39;";
				break;
			}
		}
		if (rep) {
			gl_out_put_mem(o, text + run, i - run);
			gl_out_put(o, rep);
			run = i + n;
		}
		i += n;
	}
	gl_out_put_mem(o, text + run, len - run);
}

/* Where to cut len bytes of text to at most cap on a UTF-8 boundary. */
static size_t cut_at(const char *text, size_t len, size_t cap)
{
	if (len <= cap)
		return len;
	size_t cut = cap;
	for (int k = 0; k < 3 && cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80; k++)
		cut--;
	return cut;
}

static void put_capped(struct gl_out *o, const char *text, size_t len, size_t cap)
{
	size_t cut = cut_at(text, len, cap);

	put_escaped(o, text, cut);
	if (cut < len)
		gl_out_putf(o, " \xE2\x80\xA6 (%zu bytes more)", len - cut);
}

/* A redacted copy of raw (NULL for NULL); out of memory sticks. */
static char *redacted(struct gl_out *o, const char *raw, size_t *len)
{
	char *red;

	*len = 0;
	if (!raw)
		return NULL;
	red = gl_redact_mem(raw, strlen(raw), len);
	if (!red)
		gl_out_fail(o, ENOMEM);
	return red;
}

/* A string from the result, as text: redacted, capped, escaped. NULL writes
 * `none` (greenlight's own text). */
static void put_field(struct gl_out *o, const char *raw, size_t cap, const char *none)
{
	size_t len;
	char *red;

	if (!raw) {
		gl_out_put(o, none);
		return;
	}
	red = redacted(o, raw, &len);
	if (red)
		put_capped(o, red, len, cap);
	free(red);
}

/* A detail block, charged to the page budget. */
static void put_detail(struct gl_out *o, const char *raw)
{
	size_t len;
	char *red = redacted(o, raw, &len);

	if (!red)
		return;
	if (o->budget < 256) {
		gl_out_put(
		        o,
		        "<p class=\"note\">detail left out: this page reached its size limit; the "
		        "JUnit report carries it</p>\n");
		free(red);
		return;
	}
	size_t cap = o->budget < DETAIL_CAP ? o->budget : DETAIL_CAP;
	size_t shown = cut_at(red, len, cap);
	o->budget -= shown;
	gl_out_put(o, "<pre class=\"detail\">");
	put_capped(o, red, len, cap);
	gl_out_put(o, "</pre>\n");
	free(red);
}

/* ---- outcomes and counts ---- */

/* The same rule as the other reporters: an outcome outside the enum is an
 * error, never a pass. */
static enum gl_outcome outcome_of(enum gl_outcome outcome)
{
	switch (outcome) {
	case GL_OUT_PASS:
	case GL_OUT_FAIL:
	case GL_OUT_SKIP:
	case GL_OUT_ERROR:
		return outcome;
	}
	return GL_OUT_ERROR;
}

static const char *label_of(enum gl_outcome outcome)
{
	switch (outcome_of(outcome)) {
	case GL_OUT_PASS:
		return "PASS";
	case GL_OUT_FAIL:
		return "FAIL";
	case GL_OUT_SKIP:
		return "SKIP";
	case GL_OUT_ERROR:
		break;
	}
	return "ERROR";
}

static const char *class_of(enum gl_outcome outcome)
{
	switch (outcome_of(outcome)) {
	case GL_OUT_PASS:
		return "pass";
	case GL_OUT_FAIL:
		return "fail";
	case GL_OUT_SKIP:
		return "skip";
	case GL_OUT_ERROR:
		break;
	}
	return "error";
}

static void tally(const struct gl_suite_result *s, struct gl_counts *c)
{
	for (size_t i = 0; i < s->n_cases; i++) {
		c->tests++;
		switch (outcome_of(s->cases[i].outcome)) {
		case GL_OUT_PASS:
			c->passed++;
			break;
		case GL_OUT_FAIL:
			c->failures++;
			break;
		case GL_OUT_SKIP:
			c->skipped++;
			break;
		case GL_OUT_ERROR:
			c->errors++;
			break;
		}
	}
}

static void put_badge(struct gl_out *o, enum gl_outcome outcome)
{
	gl_out_putf(o, "<span class=\"badge %s\">%s</span>", class_of(outcome), label_of(outcome));
}

static long long to_ms(double seconds)
{
	if (!isfinite(seconds) || seconds <= 0)
		return 0;
	if (seconds >= 1e12)
		return 1000000000000000LL;
	return (long long)(seconds * 1000.0 + 0.5);
}

static void put_time(struct gl_out *o, time_t t)
{
	char stamp[40] = "";
	struct tm tm;

	if (t > 0 && gmtime_r(&t, &tm))
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S UTC", &tm);
	gl_out_put(o, stamp[0] ? stamp : "unknown");
}

/* ---- the head and the verdict ---- */

static const char STYLE[] =
        ":root{--pass:#1b7f3b;--fail:#b3261e;--error:#8e24aa;--skip:#8a6d00;--ink:#1d1d1f;"
        "--mute:#5f6368;--line:#d9dce1;--bg:#f6f7f9}\n"
        "*{box-sizing:border-box}\n"
        "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',"
        "sans-serif;color:var(--ink);background:var(--bg)}\n"
        "main{max-width:1180px;margin:0 auto;padding:24px}\n"
        "h1,h2,h3,h4{line-height:1.2;margin:0 0 8px}\n"
        ".verdict{border-radius:10px;padding:20px 24px;color:#fff;margin-bottom:20px}\n"
        ".verdict.pass{background:var(--pass)}.verdict.fail{background:var(--fail)}\n"
        ".verdict .big{font-size:56px;font-weight:800;letter-spacing:2px}\n"
        ".verdict .why{font-size:18px;margin:4px 0 12px}\n"
        ".verdict .insecure{background:#fff3cd;color:#5c4400;border-radius:6px;padding:6px 10px;"
        "margin:0 0 12px;font-weight:700}\n"
        ".verdict dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}\n"
        ".verdict dt{opacity:.85}.verdict dd{margin:0;font-weight:600;overflow-wrap:anywhere}\n"
        ".counts{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0 0;padding:0;list-style:none}\n"
        ".counts li{background:rgba(255,255,255,.16);border-radius:8px;padding:6px 12px}\n"
        ".counts b{font-size:20px;margin-right:4px}\n"
        "section,nav{background:#fff;border:1px solid var(--line);border-radius:10px;"
        "padding:18px 22px;margin-bottom:20px}\n"
        "table{border-collapse:collapse;width:100%;margin:8px 0 12px}\n"
        "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);"
        "vertical-align:top;overflow-wrap:anywhere}\n"
        "th{font-size:13px;color:var(--mute);font-weight:600}\n"
        "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
        ".badge{display:inline-block;min-width:54px;text-align:center;border-radius:5px;"
        "padding:1px 6px;font-weight:700;font-size:13px;color:#fff}\n"
        ".badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}\n"
        ".badge.error{background:var(--error)}.badge.skip{background:var(--skip)}\n"
        "table.cases td:first-child,table.cases th:first-child{width:1%;white-space:nowrap}\n"
        "table.cases td:nth-child(2){width:30%}\n"
        "tr.fail td,tr.error td{background:#fff3f2}tr.skip td{background:#fffbea}\n"
        ".meta,.note{color:var(--mute);font-size:13px;overflow-wrap:anywhere}\n"
        "article{border-left:5px solid var(--fail);padding:6px 0 6px 14px;margin:14px 0}\n"
        "article.error{border-color:var(--error)}\n"
        "pre{background:#f1f3f5;border:1px solid var(--line);border-radius:6px;padding:8px 10px;"
        "white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.4 ui-monospace,'DejaVu Sans "
        "Mono',monospace;margin:6px 0}\n"
        "pre.message{background:#fff3f2;border-color:#f1c0bc}\n"
        ".field{border-top:1px solid var(--line);padding-top:12px;margin-top:12px}\n"
        ".cols{display:flex;flex-wrap:wrap;gap:24px}.cols>div{flex:1 1 360px}\n"
        "svg text{font:11px system-ui,'DejaVu Sans',sans-serif;fill:#333}\n"
        ".gauge{height:12px;background:#e6e8eb;border-radius:6px;overflow:hidden;"
        "max-width:360px}\n"
        ".gauge span{display:block;height:100%}\n"
        ".ok{color:var(--pass);font-weight:700}.bad{color:var(--fail);font-weight:700}\n"
        "a{color:#0b57d0}\n"
        "@media print{body{background:#fff}section,nav{break-inside:avoid-page}}\n";

static void put_head(struct gl_out *o, const struct gl_run_result *r, bool pass)
{
	gl_out_put(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	              "style-src 'unsafe-inline'; img-src data:\">\n"
	              "<meta name=\"referrer\" content=\"no-referrer\">\n"
	              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	              "<meta name=\"generator\" content=\"greenlight\">\n<title>");
	gl_out_putf(o, "%s: ", pass ? "PASS" : "FAIL");
	put_field(o, r->env_name, MESSAGE_CAP, "no environment");
	gl_out_put(o, " \xE2\x80\x94 greenlight</title>\n<style>\n");
	gl_out_put(o, STYLE);
	gl_out_put(o, "</style>\n</head>\n<body>\n<main>\n");
}

static void put_dl(struct gl_out *o, const char *term, const char *raw, const char *none)
{
	gl_out_putf(o, "<dt>%s</dt><dd>", term);
	put_field(o, raw, MESSAGE_CAP, none);
	gl_out_put(o, "</dd>\n");
}

static void put_verdict(struct gl_out *o, const struct gl_run_result *r, const struct gl_counts *t,
                        bool pass)
{
	gl_out_putf(o, "<header class=\"verdict %s\" id=\"verdict\">\n", pass ? "pass" : "fail");
	gl_out_putf(o, "<div class=\"big\">%s</div>\n<div class=\"why\">", pass ? "PASS" : "FAIL");
	if (pass) {
		gl_out_put(o, "every selected check passed: the release may leave pre-production");
	} else if (r->not_ready) {
		gl_out_put(o, "the environment was not ready: ");
		put_field(o, r->not_ready_reason, MESSAGE_CAP, "no reason recorded");
	} else if (r->interrupted) {
		gl_out_put(o, "the run was interrupted: not every check ran");
	} else if (t->failures || t->errors) {
		gl_out_putf(o, "%zu failed and %zu errored: the release is held", t->failures,
		            t->errors);
	} else {
		gl_out_put(o, "nothing passed: no evidence, the release is held");
	}
	gl_out_put(o, "</div>\n");
	if (r->tls_verify_off)
		gl_out_put(
		        o,
		        "<p class=\"insecure\" role=\"alert\">TLS certificate verification was OFF "
		        "for this environment (tls_verify: false): the target's identity was not "
		        "checked</p>\n");
	gl_out_put(o, "<dl>\n");
	put_dl(o, "Environment", r->env_name, "unknown");
	put_dl(o, "Base URL", r->base_url, "unknown");
	put_dl(o, "Version reported", r->reported_version, "none reported");
	gl_out_putf(o, "<dt>TLS verification</dt><dd>%s</dd>\n",
	            r->tls_verify_off ? "OFF (tls_verify: false)" : "on");
	put_dl(o, "greenlight version", r->harness_version, "unknown");
	gl_out_put(o, "<dt>Started</dt><dd>");
	put_time(o, r->started);
	gl_out_put(o, "</dd>\n<dt>Finished</dt><dd>");
	put_time(o, r->finished);
	if (r->started > 0 && r->finished >= r->started)
		gl_out_putf(o, " (%lld s)", (long long)(r->finished - r->started));
	gl_out_put(o, "</dd>\n");
	if (r->ready_after_s > 0)
		gl_out_putf(o, "<dt>Waited for readiness</dt><dd>%lld ms%s</dd>\n",
		            to_ms(r->ready_after_s), r->not_ready ? ", in vain" : "");
	gl_out_put(o, "</dl>\n<ul class=\"counts\">");
	gl_out_putf(o,
	            "<li><b>%zu</b>checks</li><li><b>%zu</b>passed</li><li><b>%zu</b>failed</li>"
	            "<li><b>%zu</b>errored</li><li><b>%zu</b>skipped</li>",
	            t->tests, t->passed, t->failures, t->errors, t->skipped);
	gl_out_put(o, "</ul>\n</header>\n");
}

/* The suites at a glance, and a link to every failure and error. */
static void put_overview(struct gl_out *o, const struct gl_run_result *r)
{
	gl_out_put(o, "<nav aria-label=\"suites\">\n<h2>Suites</h2>\n<table>\n<tr><th>suite</th>"
	              "<th>outcome</th><th class=\"num\">checks</th><th class=\"num\">passed</th>"
	              "<th class=\"num\">failed</th><th class=\"num\">errored</th>"
	              "<th class=\"num\">skipped</th><th class=\"num\">time</th></tr>\n");
	for (size_t i = 0; i < r->n_suites; i++) {
		const struct gl_suite_result *s = &r->suites[i];
		struct gl_counts c = {0};
		tally(s, &c);
		enum gl_outcome oc = c.errors     ? GL_OUT_ERROR
		                     : c.failures ? GL_OUT_FAIL
		                     : c.passed   ? GL_OUT_PASS
		                                  : GL_OUT_SKIP;
		gl_out_putf(o, "<tr class=\"%s\"><td><a href=\"#s%zu\">", class_of(oc), i);
		put_field(o, s->name, MESSAGE_CAP, "(unnamed)");
		gl_out_put(o, "</a></td><td>");
		put_badge(o, oc);
		gl_out_putf(
		        o,
		        "</td><td class=\"num\">%zu</td><td class=\"num\">%zu</td><td "
		        "class=\"num\">%zu</td><td class=\"num\">%zu</td><td class=\"num\">%zu</td>"
		        "<td class=\"num\">%lld ms</td></tr>\n",
		        c.tests, c.passed, c.failures, c.errors, c.skipped, to_ms(s->seconds));
	}
	gl_out_put(o, "</table>\n");

	bool any = false;
	for (size_t i = 0; i < r->n_suites; i++) {
		const struct gl_suite_result *s = &r->suites[i];
		for (size_t j = 0; j < s->n_cases; j++) {
			enum gl_outcome oc = outcome_of(s->cases[j].outcome);
			if (oc != GL_OUT_FAIL && oc != GL_OUT_ERROR)
				continue;
			if (!any)
				gl_out_put(o, "<h3>Needs attention</h3>\n<ul>\n");
			any = true;
			gl_out_put(o, "<li>");
			put_badge(o, oc);
			gl_out_putf(o, " <a href=\"#s%zu-c%zu\">", i, j);
			put_field(o, s->cases[j].id ? s->cases[j].id : s->cases[j].name,
			          MESSAGE_CAP, "(unnamed)");
			gl_out_put(o, "</a></li>\n");
		}
	}
	if (any)
		gl_out_put(o, "</ul>\n");
	gl_out_put(o, "</nav>\n");
}

/* ---- replay suites ---- */

static const char *prop(const struct gl_suite_result *s, const char *name)
{
	for (size_t i = 0; i < s->n_props; i++)
		if (s->props[i].name && strcmp(s->props[i].name, name) == 0)
			return s->props[i].value;
	return NULL;
}

static const char *field_prop(const struct gl_suite_result *s, const char *field,
                              const char *suffix)
{
	char name[512];
	int n = snprintf(name, sizeof name, "replay.%s.%s", field, suffix);
	if (n < 0 || (size_t)n >= sizeof name)
		return NULL;
	return prop(s, name);
}

/* The case named "<field><suffix>", or NULL. */
static const struct gl_case *field_case(const struct gl_suite_result *s, const char *field,
                                        const char *suffix)
{
	size_t fl = strlen(field);
	for (size_t i = 0; i < s->n_cases; i++) {
		const char *n = s->cases[i].name;
		if (n && strncmp(n, field, fl) == 0 && strcmp(n + fl, suffix) == 0)
			return &s->cases[i];
	}
	return NULL;
}

/* Nine counts from a redacted "a,b,...,i"; 0 if it is anything else. */
static int parse_bins(const char *text, uint64_t bins[NBINS])
{
	const char *p = text;
	for (size_t i = 0; i < NBINS; i++) {
		char *end;
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if (errno)
			return -1;
		bins[i] = v;
		if (i + 1 < NBINS && *end != ',')
			return -1;
		p = end + (i + 1 < NBINS);
	}
	return *p == '\0' ? 0 : -1;
}

static const char *const BIN_LABEL[NBINS] = {
        "< \xE2\x88\x92"
        "2t",
        "\xE2\x88\x92"
        "2t\xE2\x80\xA6\xE2\x88\x92t",
        "\xE2\x88\x92t\xE2\x80\xA6\xE2\x88\x92t/2",
        "\xE2\x88\x92t/2\xE2\x80\xA6"
        "0",
        "0",
        "0\xE2\x80\xA6t/2",
        "t/2\xE2\x80\xA6t",
        "t\xE2\x80\xA6"
        "2t",
        "> 2t",
};

/* Out of tolerance, within it, exact: see tolerance.h for the bins. */
static const char *bin_colour(size_t i)
{
	if (i == 4)
		return "#1b7f3b";
	if (i <= 1 || i >= 7)
		return "#b3261e";
	return "#e0a100";
}

/* The histogram as bars whose height grows with log(1 + count): the exact
 * bin usually dwarfs the rest, and the few cases out of tolerance are the
 * ones that must be seen. Every bar carries its count as text. */
static void put_histogram(struct gl_out *o, const char *field_red, const char *raw)
{
	size_t len;
	char *red = redacted(o, raw, &len);
	uint64_t bins[NBINS];

	if (!red)
		return;
	if (parse_bins(red, bins) != 0) {
		gl_out_put(o, "<p class=\"note\">histogram unavailable: ");
		put_capped(o, red, len, 200);
		gl_out_put(o, "</p>\n");
		free(red);
		return;
	}
	free(red);

	uint64_t max = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < NBINS; i++) {
		max = bins[i] > max ? bins[i] : max;
		total += bins[i];
	}
	const int slot = 64, bar = 46, left = 8, top = 22, plot = 150;
	const int width = left * 2 + slot * NBINS;
	const int height = top + plot + 44;
	gl_out_putf(o,
	            "<svg class=\"histogram\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	            "role=\"img\" aria-label=\"",
	            width, height, width, height);
	put_escaped(o, field_red, strlen(field_red));
	gl_out_put(o, ": differences by bin, in tolerance units:");
	for (size_t i = 0; i < NBINS; i++) {
		gl_out_put(o, " ");
		put_escaped(o, BIN_LABEL[i], strlen(BIN_LABEL[i]));
		gl_out_putf(o, " %" PRIu64 "%s", bins[i], i + 1 < NBINS ? ";" : "");
	}
	gl_out_put(o, "\">\n");
	gl_out_putf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", left,
	            top + plot, width - left, top + plot);
	for (size_t i = 0; i < NBINS; i++) {
		double f = max ? log1p((double)bins[i]) / log1p((double)max) : 0;
		int h = (int)(f * plot + 0.5);
		if (bins[i] && h < 2)
			h = 2;
		int x = left + (int)i * slot + (slot - bar) / 2;
		gl_out_putf(o,
		            "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		            "fill=\"%s\"><title>",
		            x, top + plot - h, bar, h, bin_colour(i));
		put_escaped(o, BIN_LABEL[i], strlen(BIN_LABEL[i]));
		gl_out_putf(o, ": %" PRIu64 "</title></rect>\n", bins[i]);
		gl_out_putf(o,
		            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%" PRIu64 "</text>\n",
		            x + bar / 2, top + plot - h - 5, bins[i]);
		gl_out_putf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x + bar / 2,
		            top + plot + 16);
		put_escaped(o, BIN_LABEL[i], strlen(BIN_LABEL[i]));
		gl_out_put(o, "</text>\n");
	}
	gl_out_putf(
	        o,
	        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">difference (actual \xE2\x88\x92 "
	        "expected), t = the field's absolute tolerance; %" PRIu64 " cases</text>\n",
	        width / 2, top + plot + 36, total);
	gl_out_put(o, "</svg>\n<p class=\"note\">Bar height grows with log(1 + count). "
	              "<span style=\"color:#1b7f3b\">\xE2\x96\xA0</span> exact, "
	              "<span style=\"color:#e0a100\">\xE2\x96\xA0</span> within tolerance, "
	              "<span style=\"color:#b3261e\">\xE2\x96\xA0</span> out of tolerance.</p>\n");
}

/* The value after "label: " on a line of text, copied into buf. */
static int line_value(const char *text, const char *label, char *buf, size_t size)
{
	size_t ll = strlen(label);
	const char *p = text;

	while (strncmp(p, label, ll) != 0) {
		p = strchr(p, '\n');
		if (!p)
			return -1;
		p++;
	}
	size_t n = strcspn(p + ll, "\n");
	if (n >= size)
		return -1;
	memcpy(buf, p + ll, n);
	buf[n] = '\0';
	return 0;
}

/* The drift: the sum of the signed differences against the budget, which
 * only the drift case's detail states. The gauge is drawn in double for the
 * eye; the verdict shown is the case's, decided in exact decimals. */
static void put_drift(struct gl_out *o, const struct gl_suite_result *s, const char *field)
{
	const struct gl_case *c = field_case(s, field, " drift");
	const char *sum_raw = field_prop(s, field, "sum");
	size_t len;
	char *sum = redacted(o, sum_raw, &len);
	char *detail = c ? redacted(o, c->detail, &len) : NULL;
	char budget[96];
	bool have_budget = detail && line_value(detail, "budget: ", budget, sizeof budget) == 0;

	gl_out_put(o, "<h4>Drift</h4>\n<p>sum of signed differences: <b>");
	if (sum)
		put_capped(o, sum, strlen(sum), 96);
	else
		gl_out_put(o, "unknown");
	gl_out_put(o, "</b>; budget: <b>");
	if (have_budget)
		put_escaped(o, budget, strlen(budget));
	else
		gl_out_put(o, "unknown");
	gl_out_put(o, "</b>");
	if (c) {
		gl_out_put(o, " \xE2\x80\x94 ");
		put_badge(o, c->outcome);
		gl_out_put(o, c->outcome == GL_OUT_PASS ? " <span class=\"ok\">within budget</span>"
		              : c->outcome == GL_OUT_FAIL
		                      ? " <span class=\"bad\">over budget</span>"
		                      : "");
	}
	gl_out_put(o, "</p>\n");
	if (sum && have_budget) {
		char *e1, *e2;
		double a = strtod(sum, &e1);
		double b = strtod(budget, &e2);
		if (e1 != sum && e2 != budget && isfinite(a) && isfinite(b) && b > 0) {
			double f = fabs(a) / b;
			int pct = f >= 1 ? 100 : (int)(f * 100 + 0.5);
			gl_out_putf(o,
			            "<div class=\"gauge\" role=\"img\" aria-label=\"drift is %d%% "
			            "of the "
			            "budget%s\"><span "
			            "style=\"width:%d%%;background:%s\"></span></div>\n",
			            pct, f > 1 ? " or more" : "", pct,
			            f > 1 ? "#b3261e" : "#1b7f3b");
		}
	}
	free(sum);
	free(detail);
}

static void put_stats(struct gl_out *o, const struct gl_suite_result *s, const char *field)
{
	static const char *const rows[][2] = {
	        {"count", "cases compared"},         {"exact", "exact"},
	        {"within", "within tolerance"},      {"out", "out of tolerance"},
	        {"mean", "mean difference"},         {"stddev", "standard deviation"},
	        {"max_abs", "largest |difference|"}, {"p50", "median |difference| (p50)"},
	        {"p95", "p95 |difference|"},         {"p99", "p99 |difference|"},
	        {"sum", "sum of differences"},
	};
	gl_out_put(o, "<h4>Statistics</h4>\n<table class=\"stats\">\n");
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		const char *v = field_prop(s, field, rows[i][0]);
		if (!v)
			continue;
		gl_out_putf(o, "<tr><th>%s</th><td class=\"num\">", rows[i][1]);
		put_field(o, v, 96, "");
		gl_out_put(o, "</td></tr>\n");
	}
	gl_out_put(o, "</table>\n");
}

/* One line of the table: five cells separated by tabs; missing cells are
 * empty (a cell at the end of the line has length 0). */
static void put_worst_row(struct gl_out *o, const char *line)
{
	static const char *const cls[] = {"", " class=\"num\"", " class=\"num\"", " class=\"num\"",
	                                  ""};
	const char *cell = line;

	gl_out_put(o, "<tr>");
	for (int k = 0; k < 5; k++) {
		size_t cl = strcspn(cell, "\t\n");
		bool out = k == 4 && strncmp(cell, "out", 3) == 0;
		gl_out_putf(o, "<td%s>", out ? " class=\"bad\"" : cls[k]);
		put_capped(o, cell, cl, 200);
		gl_out_put(o, "</td>");
		cell += cl;
		if (*cell == '\t')
			cell++;
	}
	gl_out_put(o, "</tr>\n");
}

/* The worst cases, from the tab-separated table replay.c writes as the
 * detail of a "<field> within tolerance" failure. */
static void put_worst(struct gl_out *o, const struct gl_suite_result *s, const char *field)
{
	static const char head[] = "key\texpected\tactual\tdiff\tverdict";
	const struct gl_case *c = field_case(s, field, " within tolerance");
	size_t len;
	char *red;

	if (!c || !c->detail)
		return;
	red = redacted(o, c->detail, &len);
	if (!red)
		return;
	len = cut_at(red, len, DETAIL_CAP);
	red[len] = '\0';
	if (strncmp(red, head, sizeof head - 1) != 0 ||
	    (red[sizeof head - 1] != '\n' && red[sizeof head - 1] != '\0')) {
		free(red);
		return;
	}
	gl_out_put(o, "<h4>Worst cases</h4>\n<table class=\"worst\">\n<tr><th>key</th>"
	              "<th class=\"num\">expected</th><th class=\"num\">actual</th>"
	              "<th class=\"num\">difference</th><th>verdict</th></tr>\n");
	size_t rows = 0;
	char *p = red + sizeof head - 1;
	while (*p == '\n') {
		p++;
		size_t n = strcspn(p, "\n");
		if (rows == MAX_WORST_ROWS) {
			gl_out_put(o, "<tr><td colspan=\"5\" class=\"note\">more in the JUnit "
			              "report</td></tr>\n");
			break;
		}
		if (memchr(p, '\t', n) == NULL) {
			/* "... and N more" */
			gl_out_put(o, "<tr><td colspan=\"5\" class=\"note\">");
			put_capped(o, p, n, 200);
			gl_out_put(o, "</td></tr>\n");
		} else {
			put_worst_row(o, p);
			rows++;
		}
		p += n;
	}
	gl_out_put(o, "</table>\n");
	free(red);
}

/* Fields are the names of replay.<field>.histogram properties, in order. */
static void put_replay(struct gl_out *o, const struct gl_suite_result *s)
{
	static const char prefix[] = "replay.";
	static const char suffix[] = ".histogram";
	static const char *const rows[][2] = {
	        {"replay.rows.cases", "cases"},           {"replay.rows.golden", "golden rows"},
	        {"replay.rows.produced", "produced"},     {"replay.rows.exact", "exact"},
	        {"replay.rows.within", "within"},         {"replay.rows.out", "out of tolerance"},
	        {"replay.rows.missing", "missing"},       {"replay.rows.unexpected", "unexpected"},
	        {"replay.rows.unparsable", "unparsable"}, {"replay.rows.errors", "errors"},
	};
	bool any = false;

	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		const char *v = prop(s, rows[i][0]);
		if (!v)
			continue;
		if (!any)
			gl_out_put(o, "<h3>Replay</h3>\n<table class=\"rows\"><tr>");
		any = true;
		gl_out_putf(o, "<th class=\"num\">%s</th>", rows[i][1]);
	}
	if (any) {
		gl_out_put(o, "</tr>\n<tr>");
		for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
			const char *v = prop(s, rows[i][0]);
			if (!v)
				continue;
			gl_out_put(o, "<td class=\"num\">");
			put_field(o, v, 64, "");
			gl_out_put(o, "</td>");
		}
		gl_out_put(o, "</tr>\n</table>\n");
	}

	for (size_t i = 0; i < s->n_props; i++) {
		const char *n = s->props[i].name;
		size_t nl = n ? strlen(n) : 0;
		if (nl <= sizeof prefix - 1 + sizeof suffix - 1 ||
		    strncmp(n, prefix, sizeof prefix - 1) != 0 ||
		    strcmp(n + nl - (sizeof suffix - 1), suffix) != 0)
			continue;
		size_t fl = nl - (sizeof prefix - 1) - (sizeof suffix - 1);
		char *field = strndup(n + sizeof prefix - 1, fl);
		size_t rl;
		char *field_red = field ? redacted(o, field, &rl) : NULL;
		if (!field || !field_red) {
			gl_out_fail(o, ENOMEM);
			free(field);
			free(field_red);
			return;
		}
		gl_out_put(o, "<div class=\"field\">\n<h3>Field <code>");
		put_capped(o, field_red, rl, 200);
		gl_out_put(o, "</code></h3>\n<div class=\"cols\">\n<div>\n<h4>Distribution of "
		              "differences</h4>\n");
		put_histogram(o, field_red, s->props[i].value);
		put_drift(o, s, field);
		gl_out_put(o, "</div>\n<div>\n");
		put_stats(o, s, field);
		gl_out_put(o, "</div>\n</div>\n");
		put_worst(o, s, field);
		gl_out_put(o, "</div>\n");
		free(field);
		free(field_red);
	}
}

/* ---- suites and cases ---- */

static void put_where(struct gl_out *o, const struct gl_case *c)
{
	if (!c->file)
		return;
	put_field(o, c->file, MESSAGE_CAP, "");
	gl_out_putf(o, ":%u", c->line);
}

static void put_case_row(struct gl_out *o, size_t si, size_t ci, const struct gl_case *c)
{
	enum gl_outcome oc = outcome_of(c->outcome);

	gl_out_putf(o, "<tr class=\"%s\"><td>", class_of(oc));
	put_badge(o, oc);
	gl_out_put(o, "</td><td>");
	if (oc == GL_OUT_FAIL || oc == GL_OUT_ERROR)
		gl_out_putf(o, "<a href=\"#s%zu-c%zu\">", si, ci);
	put_field(o, c->name ? c->name : c->id, MESSAGE_CAP, "(unnamed)");
	if (oc == GL_OUT_FAIL || oc == GL_OUT_ERROR)
		gl_out_put(o, "</a>");
	gl_out_put(o, "<div class=\"meta\">");
	put_where(o, c);
	if (c->retries)
		gl_out_putf(o, " \xC2\xB7 %u %s", c->retries,
		            c->retries == 1 ? "retry" : "retries");
	gl_out_put(o, "</div></td><td>");
	/* a pass has a message only when it says something (passed after retries) */
	if (oc != GL_OUT_PASS || c->message)
		put_field(o, c->message, ROW_CAP,
		          oc == GL_OUT_SKIP ? "skipped" : "no message recorded");
	gl_out_put(o, "</td>");
	gl_out_putf(o, "<td class=\"num\">%lld ms</td></tr>\n", to_ms(c->seconds));
}

static void put_failure(struct gl_out *o, size_t si, size_t ci, const struct gl_case *c)
{
	enum gl_outcome oc = outcome_of(c->outcome);

	gl_out_putf(o, "<article class=\"%s\" id=\"s%zu-c%zu\">\n<h4>", class_of(oc), si, ci);
	put_badge(o, oc);
	gl_out_put(o, " ");
	put_field(o, c->name ? c->name : c->id, MESSAGE_CAP, "(unnamed)");
	gl_out_put(o, "</h4>\n<p class=\"meta\">");
	put_field(o, c->id, MESSAGE_CAP, "");
	gl_out_put(o, " \xC2\xB7 ");
	put_where(o, c);
	if (c->method) {
		gl_out_put(o, " \xC2\xB7 ");
		put_field(o, c->method, 32, "");
		gl_out_put(o, " ");
		put_field(o, c->url, MESSAGE_CAP, "");
		if (c->status)
			gl_out_putf(o, " \xE2\x86\x92 HTTP %ld", c->status);
	}
	if (c->retries)
		gl_out_putf(o, " \xC2\xB7 %u retries", c->retries);
	gl_out_put(o, "</p>\n<pre class=\"message\">");
	put_field(o, c->message, MESSAGE_CAP, "no message recorded");
	gl_out_put(o, "</pre>\n");
	if (c->detail)
		put_detail(o, c->detail);
	gl_out_put(o, "</article>\n");
}

static void put_suite(struct gl_out *o, const struct gl_suite_result *s, size_t si)
{
	struct gl_counts c = {0};
	bool replay = false;

	tally(s, &c);
	for (size_t i = 0; i < s->n_props && !replay; i++)
		replay = s->props[i].name && strncmp(s->props[i].name, "replay.", 7) == 0;

	gl_out_putf(o, "<section id=\"s%zu\">\n<h2>", si);
	put_field(o, s->name, MESSAGE_CAP, "(unnamed)");
	gl_out_putf(o, "%s</h2>\n<p class=\"meta\">", replay ? " <small>(replay)</small>" : "");
	put_field(o, s->file, MESSAGE_CAP, "");
	if (s->digest) {
		gl_out_put(o, " \xC2\xB7 ");
		put_field(o, s->digest, 128, "");
	}
	gl_out_putf(o,
	            " \xC2\xB7 %zu checks: %zu passed, %zu failed, %zu errored, %zu skipped "
	            "\xC2\xB7 %lld "
	            "ms</p>\n",
	            c.tests, c.passed, c.failures, c.errors, c.skipped, to_ms(s->seconds));

	if (replay)
		put_replay(o, s);
	gl_out_put(o, "<h3>Checks</h3>\n<table "
	              "class=\"cases\">\n<tr><th>outcome</th><th>check</th><th>message</th>"
	              "<th class=\"num\">time</th></tr>\n");
	for (size_t i = 0; i < s->n_cases; i++)
		put_case_row(o, si, i, &s->cases[i]);
	gl_out_put(o, "</table>\n");

	if (c.failures || c.errors) {
		gl_out_put(o, "<h3>Failures and errors</h3>\n");
		for (size_t i = 0; i < s->n_cases; i++) {
			enum gl_outcome oc = outcome_of(s->cases[i].outcome);
			if (oc == GL_OUT_FAIL || oc == GL_OUT_ERROR)
				put_failure(o, si, i, &s->cases[i]);
		}
	}
	if (s->n_props) {
		gl_out_put(o, "<details><summary>properties</summary>\n<table class=\"props\">\n");
		for (size_t i = 0; i < s->n_props && i < MAX_PROPS_SHOWN; i++) {
			gl_out_put(o, "<tr><th>");
			put_field(o, s->props[i].name, 256, "");
			gl_out_put(o, "</th><td>");
			put_field(o, s->props[i].value, MESSAGE_CAP, "");
			gl_out_put(o, "</td></tr>\n");
		}
		gl_out_put(o, "</table>\n");
		if (s->n_props > MAX_PROPS_SHOWN)
			gl_out_putf(
			        o,
			        "<p class=\"note\">%zu more properties in the JUnit report</p>\n",
			        s->n_props - MAX_PROPS_SHOWN);
		gl_out_put(o, "</details>\n");
	}
	gl_out_put(o, "</section>\n");
}

int gl_report_html_render(FILE *fp, const struct gl_run_result *r)
{
	struct gl_out o = {.fp = fp, .budget = PAGE_DETAIL_BUDGET};
	struct gl_counts total = {0};

	for (size_t i = 0; i < r->n_suites; i++)
		tally(&r->suites[i], &total);
	/* The verdict rule of main.c and the console: a pass needs evidence. */
	bool pass = total.passed > 0 && total.failures == 0 && total.errors == 0 &&
	            !r->interrupted && !r->not_ready;

	put_head(&o, r, pass);
	put_verdict(&o, r, &total, pass);
	put_overview(&o, r);
	for (size_t i = 0; i < r->n_suites; i++)
		put_suite(&o, &r->suites[i], i);
	gl_out_put(&o, "<p class=\"note\">Generated by greenlight ");
	put_field(&o, r->harness_version, 64, "");
	gl_out_put(&o,
	           ". Text from the target is redacted and shown as text.</p>\n</main>\n</body>\n"
	           "</html>\n");
	return gl_out_finish(&o);
}

int gl_report_html_write(const char *path, const struct gl_run_result *r)
{
	return gl_report_write(path, r, gl_report_html_render);
}
