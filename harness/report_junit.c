/* JUnit XML for release gates, valid against the Jenkins xUnit plugin's
 * junit-10.xsd (tests/data/junit-10.xsd), which is the strictest consumer:
 * it skips a file that fails the schema. So no `skipped` on <testsuites>, no
 * file/line on <testcase>, one of <failure>/<error>/<skipped> per case, and
 * `time` as plain decimal seconds. */
#include "report.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "out.h"
#include "redact.h"

#define MESSAGE_CAP 1024
#define DETAIL_CAP  (64 * 1024)

/* Length of the UTF-8 sequence at s if it encodes a character XML 1.0 allows,
 * else 0: invalid or overlong sequences, surrogates, U+FFFE, U+FFFF and C0
 * controls other than tab, newline and carriage return. */
static size_t xml_char_len(const unsigned char *s, size_t len)
{
	if (s[0] < 0x80)
		return s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' ? 1 : 0;
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
	if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || v == 0xFFFE ||
	    v == 0xFFFF)
		return 0;
	return n;
}

/* Escape already-redacted bytes. Characters XML cannot carry, even as
 * character references, become U+FFFD: an ANSI colour escape in a response
 * body must not make the whole report unreadable. In attributes, tab and line
 * breaks are written as references so that attribute normalisation keeps
 * them. */
static void put_escaped(struct gl_out *o, const char *text, size_t len, bool attr)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t run = 0; /* start of the pending run of bytes that need no escaping */
	size_t i = 0;

	while (i < len) {
		const char *rep = NULL;
		size_t n = xml_char_len(s + i, len - i);
		if (n == 0) {
			rep = "\xEF\xBF\xBD";
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
				rep = "&apos;";
				break;
			/* A parser turns a raw CR into LF, even in text. */
			case '\r':
				rep = "&#13;";
				break;
			case '\t':
				rep = attr ? "&#9;" : NULL;
				break;
			case '\n':
				rep = attr ? "&#10;" : NULL;
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

/* Cap at `cap` bytes on a UTF-8 boundary with a note of what was cut, then
 * escape. */
static void put_capped(struct gl_out *o, const char *text, size_t len, size_t cap, bool attr)
{
	if (len <= cap) {
		put_escaped(o, text, len, attr);
		return;
	}
	size_t cut = cap;
	/* Back up over at most 3 continuation bytes to the start of the
	 * character the cap falls in. */
	for (int k = 0; k < 3 && cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80; k++)
		cut--;
	char note[64];
	snprintf(note, sizeof(note), " ... (%zu bytes more)", len - cut);
	put_escaped(o, text, cut, attr);
	gl_out_put(o, note);
}

/* A string from the result: redacted first, so that the cap can never cut a
 * secret in two and leave half of it behind. */
static void put_field(struct gl_out *o, const char *raw, size_t cap, bool attr)
{
	size_t len = 0;
	char *red;

	if (!raw)
		return;
	red = gl_redact_mem(raw, strlen(raw), &len);
	if (!red) {
		gl_out_fail(o, ENOMEM);
		return;
	}
	put_capped(o, red, len, cap, attr);
	free(red);
}

/* An attribute whose value comes from the result (NULL is written empty). */
static void put_attr(struct gl_out *o, const char *name, const char *raw, size_t cap)
{
	gl_out_put(o, " ");
	gl_out_put(o, name);
	gl_out_put(o, "=\"");
	put_field(o, raw ? raw : "", cap, true);
	gl_out_put(o, "\"");
}

/* An attribute greenlight generates itself (a count, a time, a constant):
 * never redacted, because a short secret such as "1" must not turn
 * tests="1" into tests="***". */
static void put_attr_own(struct gl_out *o, const char *name, const char *value)
{
	gl_out_put(o, " ");
	gl_out_put(o, name);
	gl_out_put(o, "=\"");
	put_escaped(o, value, strlen(value), true);
	gl_out_put(o, "\"");
}

static void put_attr_size(struct gl_out *o, const char *name, size_t v)
{
	char num[32];
	snprintf(num, sizeof(num), "%zu", v);
	put_attr_own(o, name, num);
}

/* Plain decimal seconds with a '.', whatever the locale: integer formatting
 * is never localised, floating point may be. */
static void format_seconds(char buf[32], double seconds)
{
	long long ms = 0;

	if (isfinite(seconds) && seconds > 0)
		ms = seconds >= 1e12 ? 1000000000000000LL : (long long)(seconds * 1000.0 + 0.5);
	snprintf(buf, 32, "%lld.%03lld", ms / 1000, ms % 1000);
}

static void put_attr_seconds(struct gl_out *o, const char *name, double seconds)
{
	char buf[32];
	format_seconds(buf, seconds);
	put_attr_own(o, name, buf);
}

/* The counts are taken with the same rule that chooses the element written,
 * so the attributes always equal the testcases they count. An outcome outside
 * the enum is counted and written as an error: never as a pass. */
enum kind { KIND_PASS, KIND_FAIL, KIND_ERROR, KIND_SKIP };

static enum kind kind_of(enum gl_outcome outcome)
{
	switch (outcome) {
	case GL_OUT_PASS:
		return KIND_PASS;
	case GL_OUT_FAIL:
		return KIND_FAIL;
	case GL_OUT_SKIP:
		return KIND_SKIP;
	case GL_OUT_ERROR:
		return KIND_ERROR;
	}
	return KIND_ERROR;
}

static void tally(const struct gl_suite_result *s, struct gl_counts *c)
{
	for (size_t i = 0; i < s->n_cases; i++) {
		c->tests++;
		switch (kind_of(s->cases[i].outcome)) {
		case KIND_PASS:
			c->passed++;
			break;
		case KIND_FAIL:
			c->failures++;
			break;
		case KIND_ERROR:
			c->errors++;
			break;
		case KIND_SKIP:
			c->skipped++;
			break;
		}
	}
}

static void put_property(struct gl_out *o, const char *name, const char *value)
{
	gl_out_put(o, "      <property");
	put_attr_own(o, "name", name);
	put_attr(o, "value", value, MESSAGE_CAP);
	gl_out_put(o, "/>\n");
}

static void put_properties(struct gl_out *o, const struct gl_run_result *r,
                           const struct gl_suite_result *s)
{
	gl_out_put(o, "    <properties>\n");
	put_property(o, "greenlight.environment", r->env_name);
	put_property(o, "greenlight.base_url", r->base_url);
	put_property(o, "greenlight.harness_version", r->harness_version);
	put_property(o, "greenlight.suite_file", s->file);
	put_property(o, "greenlight.suite_digest", s->digest);
	/* On every suite, "on" included: evidence states how it was obtained. */
	put_property(o, "greenlight.tls_verify", r->tls_verify_off ? "off" : "on");
	if (r->reported_version)
		put_property(o, "greenlight.reported_version", r->reported_version);
	if (r->interrupted)
		gl_out_put(o, "      <property name=\"greenlight.interrupted\" value=\"true\"/>\n");
	for (size_t i = 0; i < s->n_props; i++)
		put_property(o, s->props[i].name, s->props[i].value);
	gl_out_put(o, "    </properties>\n");
}

/* The body of a failure or error: where the check is declared, then the
 * detail. */
static void put_body(struct gl_out *o, const struct gl_case *c)
{
	if (c->file) {
		char line[32];
		put_field(o, c->file, MESSAGE_CAP, false);
		snprintf(line, sizeof(line), ":%u\n", c->line);
		gl_out_put(o, line);
	}
	put_field(o, c->detail, DETAIL_CAP, false);
}

static void put_testcase(struct gl_out *o, const struct gl_suite_result *s, const struct gl_case *c)
{
	const char *elem = NULL;
	const char *type = NULL;

	gl_out_put(o, "    <testcase");
	put_attr(o, "classname", c->classname ? c->classname : s->name, MESSAGE_CAP);
	put_attr(o, "name", c->name ? c->name : c->id, MESSAGE_CAP);
	put_attr_seconds(o, "time", c->seconds);
	switch (kind_of(c->outcome)) {
	case KIND_PASS:
		/* A pass that needed retries says so: never silently turned green.
		 * <system-out> is the one place the Jenkins schema allows it. */
		if (c->retries && c->message) {
			gl_out_put(o, ">\n      <system-out>");
			put_field(o, c->message, MESSAGE_CAP, false);
			gl_out_put(o, "</system-out>\n    </testcase>\n");
			return;
		}
		gl_out_put(o, "/>\n");
		return;
	case KIND_FAIL:
		elem = "failure";
		type = "assertion";
		break;
	case KIND_ERROR:
		elem = "error";
		type = c->outcome == GL_OUT_ERROR ? "transport" : "internal";
		break;
	case KIND_SKIP:
		gl_out_put(o, ">\n      <skipped");
		put_attr(o, "message", c->message ? c->message : "skipped", MESSAGE_CAP);
		gl_out_put(o, "/>\n    </testcase>\n");
		return;
	}
	gl_out_put(o, ">\n      <");
	gl_out_put(o, elem);
	put_attr_own(o, "type", type);
	put_attr(o, "message", c->message ? c->message : "no message recorded", MESSAGE_CAP);
	gl_out_put(o, ">");
	put_body(o, c);
	gl_out_put(o, "</");
	gl_out_put(o, elem);
	gl_out_put(o, ">\n    </testcase>\n");
}

static void put_testsuite(struct gl_out *o, const struct gl_run_result *r,
                          const struct gl_suite_result *s, size_t index)
{
	struct gl_counts c = {0};
	char host[256] = "";
	char stamp[32] = "";
	struct tm tm;
	time_t started = s->started ? s->started : r->started;

	tally(s, &c);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* ISO 8601 in UTC, without a zone suffix: the form Ant and Surefire
	 * write and every consumer reads. */
	if (gmtime_r(&started, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

	gl_out_put(o, "  <testsuite");
	put_attr(o, "name", s->name, MESSAGE_CAP);
	put_attr_size(o, "tests", c.tests);
	put_attr_size(o, "failures", c.failures);
	put_attr_size(o, "errors", c.errors);
	put_attr_size(o, "skipped", c.skipped);
	put_attr_seconds(o, "time", s->seconds);
	put_attr_own(o, "timestamp", stamp);
	put_attr(o, "hostname", host, MESSAGE_CAP);
	put_attr_size(o, "id", index);
	put_attr_own(o, "package", "greenlight");
	gl_out_put(o, ">\n");
	put_properties(o, r, s);
	for (size_t i = 0; i < s->n_cases; i++)
		put_testcase(o, s, &s->cases[i]);
	gl_out_put(o, "  </testsuite>\n");
}

int gl_report_junit_render(FILE *fp, const struct gl_run_result *r)
{
	struct gl_out o = {.fp = fp};
	struct gl_counts total = {0};
	double seconds = 0;

	for (size_t i = 0; i < r->n_suites; i++) {
		tally(&r->suites[i], &total);
		seconds += r->suites[i].seconds > 0 ? r->suites[i].seconds : 0;
	}
	gl_out_put(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	put_attr_own(&o, "name", "greenlight");
	put_attr_size(&o, "tests", total.tests);
	put_attr_size(&o, "failures", total.failures);
	put_attr_size(&o, "errors", total.errors);
	put_attr_seconds(&o, "time", seconds);
	gl_out_put(&o, ">\n");
	for (size_t i = 0; i < r->n_suites; i++)
		put_testsuite(&o, r, &r->suites[i], i);
	gl_out_put(&o, "</testsuites>\n");
	return gl_out_finish(&o);
}

int gl_report_write(const char *path, const struct gl_run_result *r,
                    int (*render)(FILE *fp, const struct gl_run_result *r))
{
	struct gl_atomic a;
	int err = 0;

	if (gl_atomic_open(&a, path) != 0) {
		err = errno;
		goto fail;
	}
	if (render(a.fp, r) != 0) {
		err = errno;
		gl_atomic_abort(&a);
		goto fail;
	}
	if (gl_atomic_commit(&a) != 0) {
		err = errno;
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "greenlight: cannot write '%s': %s\n", path, strerror(err ? err : EIO));
	return -1;
}

int gl_report_junit_write(const char *path, const struct gl_run_result *r)
{
	return gl_report_write(path, r, gl_report_junit_render);
}
