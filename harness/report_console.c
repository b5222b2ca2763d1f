/* The human summary on a terminal. Text from the target (messages, bodies in
 * details) is redacted and stripped of control characters, so that a response
 * cannot move the cursor, recolour the verdict or hide a line. */
#include "report.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#define MAX_DETAIL_LINES 20
#define MAX_LINE_BYTES   512

#define GREEN  "\033[32m"
#define RED    "\033[31m"
#define YELLOW "\033[33m"
#define BOLD   "\033[1m"
#define RESET  "\033[0m"

/* Length of the valid UTF-8 sequence at s if it is a printable character,
 * else 0: invalid sequences, C0 and C1 controls (ESC, the 8-bit CSI) and
 * DEL. */
static size_t printable_len(const unsigned char *s, size_t len)
{
	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7F ? 1 : 0;
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
	if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (v >= 0x80 && v <= 0x9F))
		return 0;
	return n;
}

/* Write one line of redacted text, at most MAX_LINE_BYTES of it, with every
 * unprintable character as U+FFFD (a tab as a space). */
static void put_clean(FILE *fp, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t shown = len > MAX_LINE_BYTES ? MAX_LINE_BYTES : len;
	size_t i = 0;

	while (i < shown) {
		size_t n = printable_len(s + i, len - i);
		if (n == 0) {
			fputs(s[i] == '\t' ? " " : "\xEF\xBF\xBD", fp);
			n = 1;
		} else {
			fwrite(s + i, 1, n, fp);
		}
		i += n;
	}
	if (i < len)
		fprintf(fp, " ... (%zu bytes more)", len - i);
}

/* Redact text and write it as indented lines, at most max_lines of them. */
static void put_block(FILE *fp, const char *raw, const char *indent, size_t max_lines)
{
	size_t len = 0;
	char *red = gl_redact_mem(raw, strlen(raw), &len);
	size_t lines = 0;

	if (!red) {
		/* Never fall back to the unredacted text. */
		fprintf(fp, "%s%s (out of memory)\n", indent, GL_REDACTED);
		return;
	}
	const char *p = red;
	const char *end = red + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if (lines == max_lines) {
			size_t more = 0;
			for (const char *q = p; q < end; q++)
				more += *q == '\n';
			fprintf(fp, "%s... (%zu more lines)\n", indent, more + (end[-1] != '\n'));
			break;
		}
		size_t l = (size_t)(eol - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		fputs(indent, fp);
		put_clean(fp, p, l);
		fputc('\n', fp);
		lines++;
		p = nl ? nl + 1 : end;
	}
	free(red);
}

static long long to_ms(double seconds)
{
	if (!isfinite(seconds) || seconds <= 0)
		return 0;
	if (seconds >= 1e12)
		return 1000000000000000LL;
	return (long long)(seconds * 1000.0 + 0.5);
}

/* The same rule as the JUnit reporter: an outcome outside the enum is an
 * error, never a pass. */
static void tally(const struct gl_suite_result *s, struct gl_counts *c)
{
	for (size_t i = 0; i < s->n_cases; i++) {
		c->tests++;
		switch (s->cases[i].outcome) {
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
		default:
			c->errors++;
			break;
		}
	}
}

static void put_counts(FILE *fp, const char *prefix, const struct gl_counts *c)
{
	fprintf(fp, "%s%zu %s: %zu passed, %zu failed, %zu errored, %zu skipped\n", prefix,
	        c->tests, c->tests == 1 ? "check" : "checks", c->passed, c->failures, c->errors,
	        c->skipped);
}

static void put_case(FILE *fp, const struct gl_case *c, bool color)
{
	const char *label;
	const char *col;

	switch (c->outcome) {
	case GL_OUT_PASS:
		label = "PASS ";
		col = GREEN;
		break;
	case GL_OUT_FAIL:
		label = "FAIL ";
		col = RED;
		break;
	case GL_OUT_SKIP:
		label = "SKIP ";
		col = YELLOW;
		break;
	case GL_OUT_ERROR:
	default:
		label = "ERROR";
		col = RED;
		break;
	}
	fprintf(fp, "  %s%s%s ", color ? col : "", label, color ? RESET : "");
	char *id = gl_redact(c->id ? c->id : "?");
	if (id) {
		put_clean(fp, id, strlen(id));
		free(id);
	} else {
		fputs(GL_REDACTED, fp);
	}
	if (c->outcome == GL_OUT_SKIP) {
		fputc('\n', fp);
		if (c->message)
			put_block(fp, c->message, "        ", 1);
		return;
	}
	fprintf(fp, "  %lld ms\n", to_ms(c->seconds));
	if (c->outcome == GL_OUT_PASS)
		return;
	put_block(fp, c->message ? c->message : "no message recorded", "        ", 3);
	if (c->detail)
		put_block(fp, c->detail, "          ", MAX_DETAIL_LINES);
}

void gl_report_console(FILE *fp, const struct gl_run_result *r, bool color)
{
	struct gl_counts total = {0};

	for (size_t i = 0; i < r->n_suites; i++) {
		const struct gl_suite_result *s = &r->suites[i];
		struct gl_counts c = {0};

		tally(s, &c);
		for (size_t j = 0; j < s->n_cases; j++)
			put_case(fp, &s->cases[j], color);
		char *name = gl_redact(s->name ? s->name : "?");
		fputs("  ", fp);
		if (name) {
			put_clean(fp, name, strlen(name));
			free(name);
		} else {
			fputs(GL_REDACTED, fp);
		}
		put_counts(fp, ": ", &c);
		total.tests += c.tests;
		total.passed += c.passed;
		total.failures += c.failures;
		total.errors += c.errors;
		total.skipped += c.skipped;
	}
	put_counts(fp, "", &total);
	if (r->interrupted)
		fputs("interrupted: not every check ran\n", fp);
	if (r->tls_verify_off) {
		char *env = gl_redact(r->env_name ? r->env_name : "?");
		fprintf(fp, "%swarning:%s TLS certificate verification was OFF for environment '",
		        color ? YELLOW BOLD : "", color ? RESET : "");
		if (env)
			put_clean(fp, env, strlen(env));
		else
			fputs(GL_REDACTED, fp);
		fputs("' (tls_verify: false): the target's identity was not checked\n", fp);
		free(env);
	}

	/* A pass needs evidence: at least one check passed, none failed or
	 * errored, and the run was not cut short. */
	bool pass = total.passed > 0 && total.failures == 0 && total.errors == 0 && !r->interrupted;
	fprintf(fp, "verdict: %s%s%s\n", color ? (pass ? GREEN BOLD : RED BOLD) : "",
	        pass ? "PASS" : "FAIL", color ? RESET : "");
}
