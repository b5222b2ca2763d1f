/* Evaluating assertions and captures against one response. See assert.h.
 *
 * Every failure becomes one line that gives the expected and the actual value.
 * Quoted actual values are capped so that a megabyte body cannot turn a
 * message into a megabyte line. */
#include "expect.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

/* Bytes of an actual value shown in a message before "...". */
#define QUOTE_CAP 200

/* A growable string whose failure sticks: check `oom` once after the appends. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		sb_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

/* Append at most QUOTE_CAP bytes of s, control characters escaped so that the
 * message stays on one line, and "..." when cut. */
static void sb_capped(struct sbuf *b, const char *s, size_t n)
{
	size_t shown = n > QUOTE_CAP ? QUOTE_CAP : n;
	/* do not cut a UTF-8 sequence in half */
	if (shown < n)
		while (shown > 0 && ((unsigned char)s[shown] & 0xC0) == 0x80)
			shown--;
	/* redacted before it is cut and escaped: a secret across the cut, or one
	 * holding a control character, would no longer be recognised later */
	size_t len;
	char *red = gl_redact_head(s, n, shown, &len);
	if (!red) {
		b->oom = 1;
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)red[i];
		if (c == '\n')
			sb_str(b, "\\n");
		else if (c == '\r')
			sb_str(b, "\\r");
		else if (c == '\t')
			sb_str(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			sb_printf(b, "\\x%02x", c);
		else
			sb_add(b, &red[i], 1);
	}
	free(red);
	if (shown < n)
		sb_str(b, "...");
}

/* 'text', capped. */
static void sb_quote(struct sbuf *b, const char *s, size_t n)
{
	sb_str(b, "'");
	sb_capped(b, s, n);
	sb_str(b, "'");
}

/* A JSON value as compact JSON text, capped. */
static void sb_json(struct sbuf *b, const cJSON *v)
{
	char *text = cJSON_PrintUnformatted(v);
	if (!text) {
		b->oom = 1;
		return;
	}
	sb_capped(b, text, strlen(text));
	cJSON_free(text);
}

/* The state of one evaluation: the failures found so far. */
struct evalctx {
	const struct gl_response *resp;
	gl_lookup_fn lookup;
	void *lookup_ctx;
	cJSON *doc;          /* the parsed body, or NULL */
	int json_tried;      /* doc is the result of a parse attempt */
	int not_json_listed; /* "not JSON" is listed once, not once per assertion */
	char *first;
	struct sbuf detail;
	size_t n_failures;
	int oom;
};

/* Take the failure line built in msg. */
static void record(struct evalctx *c, struct sbuf *msg)
{
	if (msg->oom) {
		c->oom = 1;
		free(msg->p);
		return;
	}
	c->n_failures++;
	if (c->detail.len)
		sb_str(&c->detail, "\n");
	sb_str(&c->detail, msg->p);
	if (!c->first)
		c->first = msg->p;
	else
		free(msg->p);
}

static const cJSON *document(struct evalctx *c)
{
	if (!c->json_tried) {
		const struct gl_response *r = c->resp;
		c->json_tried = 1;
		/* An embedded NUL or trailing text would otherwise pass as JSON. */
		if (r->body && r->body_len && !memchr(r->body, '\0', r->body_len))
			c->doc = cJSON_ParseWithLengthOpts(r->body, r->body_len + 1, NULL, 1);
	}
	return c->doc;
}

static void fail_not_json(struct evalctx *c)
{
	if (c->not_json_listed)
		return;
	c->not_json_listed = 1;
	struct sbuf m = {0};
	sb_str(&m, "response body is not JSON: got ");
	sb_quote(&m, c->resp->body ? c->resp->body : "", c->resp->body_len);
	record(c, &m);
}

static const cJSON *walk(const cJSON *v, const struct gl_jsonpath *path)
{
	for (size_t i = 0; v && i < path->n_steps; i++) {
		const struct gl_jsonpath_step *s = &path->steps[i];
		if (s->kind == GL_JP_MEMBER) {
			v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, s->member)
			                      : NULL;
		} else {
			if (!cJSON_IsArray(v))
				return NULL;
			long n = cJSON_GetArraySize(v);
			long idx = s->index < 0 ? s->index + n : s->index;
			if (idx < 0 || idx >= n || idx > INT_MAX)
				return NULL;
			v = cJSON_GetArrayItem(v, (int)idx);
		}
	}
	return v;
}

/* A string's contents, else compact JSON. Caller frees. */
static char *value_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	char *j = cJSON_PrintUnformatted(v);
	if (!j)
		return NULL;
	char *s = strdup(j);
	cJSON_free(j);
	return s;
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsNumber(v))
		return "number";
	if (cJSON_IsBool(v))
		return "boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsObject(v))
		return "object";
	if (cJSON_IsArray(v))
		return "array";
	return "invalid";
}

/* A JSON number's text from cJSON ("1e+20", "1.5e-07") as plain decimal text
 * for gl_decimal_text_cmp. Caller frees; NULL when it is not a number. */
static char *expand_exponent(const char *t)
{
	const char *e = strpbrk(t, "eE");
	if (!e)
		return strdup(t);
	long exp = strtol(e + 1, NULL, 10);
	if (exp > 400 || exp < -400)
		return NULL;
	int neg = *t == '-';
	if (*t == '-' || *t == '+')
		t++;
	char digits[64];
	size_t nd = 0;
	long point = -1;
	for (const char *p = t; p < e && nd < sizeof digits - 1; p++) {
		if (*p == '.')
			point = (long)nd;
		else
			digits[nd++] = *p;
	}
	if (point < 0)
		point = (long)nd;
	long pos = point + exp;
	size_t cap = nd + 420 + 4;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t n = 0;
	if (neg)
		out[n++] = '-';
	if (pos <= 0) {
		out[n++] = '0';
		out[n++] = '.';
		for (long i = 0; i < -pos; i++)
			out[n++] = '0';
		memcpy(out + n, digits, nd);
		n += nd;
	} else if ((size_t)pos >= nd) {
		memcpy(out + n, digits, nd);
		n += nd;
		for (size_t i = nd; i < (size_t)pos; i++)
			out[n++] = '0';
	} else {
		memcpy(out + n, digits, (size_t)pos);
		n += (size_t)pos;
		out[n++] = '.';
		memcpy(out + n, digits + pos, nd - (size_t)pos);
		n += nd - (size_t)pos;
	}
	out[n] = '\0';
	return out;
}

/* The decimal text of a JSON value for lt/le/gt/ge: a string holding a
 * decimal as it is; a number through its cJSON text. cJSON holds numbers as
 * doubles, so integers are exact but huge or fractional numbers may lose
 * digits: services that return money should return it as strings. NULL with
 * *oom clear when the value is not a number. */
static char *decimal_of(const cJSON *v, int *oom)
{
	*oom = 0;
	char *t = NULL;
	if (cJSON_IsString(v)) {
		t = strdup(v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		char *j = cJSON_PrintUnformatted(v);
		if (!j) {
			*oom = 1;
			return NULL;
		}
		t = expand_exponent(j);
		cJSON_free(j);
	} else {
		return NULL;
	}
	if (!t) {
		*oom = cJSON_IsString(v);
		return NULL;
	}
	int cmp;
	if (gl_decimal_text_cmp(&cmp, t, "0") < 0) {
		free(t);
		return NULL;
	}
	return t;
}

/* Render an operand; on failure the failure is recorded under subject. */
static char *operand(struct evalctx *c, const struct gl_assertion *a, const char *subject,
                     enum gl_escape esc)
{
	char *out = NULL;
	const char *missing = NULL;
	if (!a->operand) {
		out = strdup("");
		if (!out)
			c->oom = 1;
		return out;
	}
	int rc = gl_template_render(&out, &missing, a->operand, c->lookup, c->lookup_ctx, esc);
	if (rc == -2) {
		c->oom = 1;
		return NULL;
	}
	if (rc < 0) {
		struct sbuf m = {0};
		sb_printf(&m, "%s: cannot render the expected value: unknown variable '%s'",
		          subject, missing ? missing : "?");
		record(c, &m);
		return NULL;
	}
	return out;
}

static const char *cmp_symbol(enum gl_cmp cmp)
{
	switch (cmp) {
	case GL_CMP_LT:
		return "<";
	case GL_CMP_LE:
		return "<=";
	case GL_CMP_GT:
		return ">";
	case GL_CMP_GE:
		return ">=";
	default:
		return "?";
	}
}

static int order_holds(enum gl_cmp cmp, int r)
{
	switch (cmp) {
	case GL_CMP_LT:
		return r < 0;
	case GL_CMP_LE:
		return r <= 0;
	case GL_CMP_GT:
		return r > 0;
	case GL_CMP_GE:
		return r >= 0;
	default:
		return 0;
	}
}

/* Ordering of the decimal text `actual` against the operand. `shown`
 * appends the actual value to a message. */
static void check_order(struct evalctx *c, const struct gl_assertion *a, const char *subject,
                        const char *actual, struct sbuf *shown_actual)
{
	char *want = operand(c, a, subject, GL_ESC_NONE);
	if (!want)
		return;
	struct sbuf m = {0};
	int r;
	if (gl_decimal_text_cmp(&r, want, "0") < 0) {
		sb_printf(&m, "%s: expected value ", subject);
		sb_quote(&m, want, strlen(want));
		sb_str(&m, " is not a decimal number");
		record(c, &m);
	} else if (!actual) {
		sb_printf(&m, "%s: expected %s %s, got ", subject, cmp_symbol(a->cmp), want);
		sb_add(&m, shown_actual->p ? shown_actual->p : "", shown_actual->len);
		sb_str(&m, " (not a number)");
		record(c, &m);
	} else if (gl_decimal_text_cmp(&r, actual, want) == 0 && !order_holds(a->cmp, r)) {
		sb_printf(&m, "%s: expected %s %s, got ", subject, cmp_symbol(a->cmp), want);
		sb_add(&m, shown_actual->p ? shown_actual->p : "", shown_actual->len);
		record(c, &m);
	}
	free(want);
}

static void eval_status(struct evalctx *c, const struct gl_assertion *a)
{
	for (size_t i = 0; i < a->n_statuses; i++)
		if (a->statuses[i] == c->resp->status)
			return;
	struct sbuf m = {0};
	sb_str(&m, "status: expected ");
	if (a->n_statuses > 1)
		sb_str(&m, "one of ");
	/* Three or more consecutive codes read as a range: the default 2xx is
	 * "200-299", not a hundred numbers. */
	for (size_t i = 0; i < a->n_statuses;) {
		size_t j = i;
		while (j + 1 < a->n_statuses && a->statuses[j + 1] == a->statuses[j] + 1)
			j++;
		if (j - i >= 2) {
			sb_printf(&m, "%s%ld-%ld", i ? ", " : "", a->statuses[i], a->statuses[j]);
			i = j + 1;
		} else {
			sb_printf(&m, "%s%ld", i ? ", " : "", a->statuses[i]);
			i++;
		}
	}
	sb_printf(&m, ", got %ld", c->resp->status);
	record(c, &m);
}

static const struct gl_header *find_header(const struct gl_response *r, const char *name)
{
	const struct gl_header *found = NULL;
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			found = &r->headers[i];
	return found;
}

/* Whether the len bytes at hay (which may hold NULs) contain needle. */
static int mem_contains(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return 1;
	for (size_t i = 0; i + n <= len; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* The common text comparisons of header and body targets. subject is
 * "header 'X'" or "body"; actual NULL when the header is absent; hide keeps
 * the values of sensitive headers out of messages. */
static void eval_text(struct evalctx *c, const struct gl_assertion *a, const char *subject,
                      const char *actual, size_t actual_len, int hide)
{
	struct sbuf m = {0};
	struct sbuf got = {0};
	char *want = NULL;
	int ok = 1;

	if (!actual)
		sb_str(&got, "nothing");
	else if (hide)
		sb_str(&got, "'" GL_REDACTED "'");
	else
		sb_quote(&got, actual, actual_len);
	if (got.oom) {
		c->oom = 1;
		goto out;
	}

	switch (a->cmp) {
	case GL_CMP_EXISTS:
		if (!actual)
			sb_printf(&m, "%s: expected to be present, got nothing", subject);
		break;
	case GL_CMP_ABSENT:
		if (actual)
			sb_printf(&m, "%s: expected to be absent, got %s", subject, got.p);
		break;
	case GL_CMP_EQ:
	case GL_CMP_NE:
	case GL_CMP_CONTAINS:
		want = operand(c, a, subject, GL_ESC_NONE);
		if (!want)
			goto out;
		if (a->cmp == GL_CMP_EQ)
			ok = actual && actual_len == strlen(want) &&
			     !memcmp(actual, want, actual_len);
		else if (a->cmp == GL_CMP_NE)
			ok = actual &&
			     !(actual_len == strlen(want) && !memcmp(actual, want, actual_len));
		else
			ok = actual && mem_contains(actual, actual_len, want);
		if (!ok) {
			sb_printf(&m, "%s: expected %s", subject,
			          a->cmp == GL_CMP_EQ   ? ""
			          : a->cmp == GL_CMP_NE ? "not "
			                                : "to contain ");
			sb_quote(&m, want, strlen(want));
			sb_printf(&m, ", got %s", got.p);
		}
		break;
	case GL_CMP_MATCHES:
		/* regexec stops at a NUL: "ok\0ERROR" must not match "^ok$". Text
		 * with a NUL inside never matches. */
		if (!actual || !a->re || memchr(actual, '\0', actual_len) ||
		    regexec(a->re, actual, 0, NULL, 0) != 0) {
			sb_printf(&m, "%s: expected to match ", subject);
			sb_quote(&m, a->operand ? gl_template_text(a->operand) : "",
			         a->operand ? strlen(gl_template_text(a->operand)) : 0);
			sb_printf(&m, ", got %s", got.p);
		}
		break;
	case GL_CMP_LT:
	case GL_CMP_LE:
	case GL_CMP_GT:
	case GL_CMP_GE: {
		int r;
		const char *dec =
		        actual && gl_decimal_text_cmp(&r, actual, "0") == 0 ? actual : NULL;
		check_order(c, a, subject, dec, &got);
		break;
	}
	default:
		sb_printf(&m, "%s: unsupported comparison", subject);
		break;
	}
	if (m.len || m.oom)
		record(c, &m);
	else
		free(m.p);
out:
	free(want);
	free(got.p);
}

static void eval_header(struct evalctx *c, const struct gl_assertion *a)
{
	const struct gl_header *h = find_header(c->resp, a->subject);
	struct sbuf subject = {0};
	sb_str(&subject, "header ");
	sb_quote(&subject, a->subject, strlen(a->subject));
	if (subject.oom) {
		c->oom = 1;
		free(subject.p);
		return;
	}
	eval_text(c, a, subject.p, h ? h->value : NULL, h ? strlen(h->value) : 0,
	          gl_redact_header_is_sensitive(a->subject));
	free(subject.p);
}

static void eval_body(struct evalctx *c, const struct gl_assertion *a)
{
	const char *body = c->resp->body ? c->resp->body : "";
	eval_text(c, a, "body", body, c->resp->body ? c->resp->body_len : 0, 0);
}

/* Whether array holds an element equal to the operand: as JSON when it
 * parses, else as a string. */
static int array_contains(const cJSON *array, const char *want, int *oom)
{
	cJSON *needle = cJSON_ParseWithOpts(want, NULL, 1);
	if (!needle)
		needle = cJSON_CreateString(want);
	if (!needle) {
		*oom = 1;
		return 0;
	}
	int found = 0;
	const cJSON *el;
	cJSON_ArrayForEach(el, array)
	{
		if (cJSON_Compare(el, needle, 1)) {
			found = 1;
			break;
		}
	}
	cJSON_Delete(needle);
	return found;
}

static void eval_json_value(struct evalctx *c, const struct gl_assertion *a, const char *subject,
                            const cJSON *v)
{
	struct sbuf m = {0};
	struct sbuf got = {0};
	char *want = NULL;
	cJSON *expected = NULL;

	sb_json(&got, v);
	if (got.oom) {
		c->oom = 1;
		goto out;
	}
	switch (a->cmp) {
	case GL_CMP_EXISTS:
		break;
	case GL_CMP_ABSENT:
		sb_printf(&m, "%s: expected to be absent, got %s", subject, got.p);
		break;
	case GL_CMP_EQ:
	case GL_CMP_NE:
		want = operand(c, a, subject, GL_ESC_JSON);
		if (!want)
			goto out;
		expected = cJSON_ParseWithOpts(want, NULL, 1);
		if (!expected) {
			sb_printf(&m, "%s: expected value ", subject);
			sb_quote(&m, want, strlen(want));
			sb_str(&m, " is not valid JSON");
		} else if (cJSON_Compare(v, expected, 1) != (a->cmp == GL_CMP_EQ)) {
			sb_printf(&m, "%s: expected %s", subject,
			          a->cmp == GL_CMP_NE ? "not " : "");
			sb_json(&m, expected);
			sb_printf(&m, ", got %s", got.p);
		}
		break;
	case GL_CMP_TYPE:
		want = operand(c, a, subject, GL_ESC_NONE);
		if (!want)
			goto out;
		if (strcmp(want, type_name(v)) != 0)
			sb_printf(&m, "%s: expected type %s, got %s %s", subject, want,
			          type_name(v), got.p);
		break;
	case GL_CMP_MATCHES: {
		char *text = value_text(v);
		if (!text) {
			c->oom = 1;
			goto out;
		}
		if (!a->re || regexec(a->re, text, 0, NULL, 0) != 0) {
			const char *pat = a->operand ? gl_template_text(a->operand) : "";
			sb_printf(&m, "%s: expected to match ", subject);
			sb_quote(&m, pat, strlen(pat));
			sb_printf(&m, ", got %s", got.p);
		}
		free(text);
		break;
	}
	case GL_CMP_CONTAINS: {
		int oom = 0;
		int ok = 0;
		want = operand(c, a, subject, GL_ESC_NONE);
		if (!want)
			goto out;
		if (cJSON_IsString(v))
			ok = strstr(v->valuestring, want) != NULL;
		else if (cJSON_IsArray(v))
			ok = array_contains(v, want, &oom);
		if (oom) {
			c->oom = 1;
			goto out;
		}
		if (!ok) {
			sb_printf(&m, "%s: expected to contain ", subject);
			sb_quote(&m, want, strlen(want));
			sb_printf(&m, ", got %s", got.p);
			if (!cJSON_IsString(v) && !cJSON_IsArray(v))
				sb_str(&m, " (not a string or an array)");
		}
		break;
	}
	case GL_CMP_LT:
	case GL_CMP_LE:
	case GL_CMP_GT:
	case GL_CMP_GE: {
		int oom;
		char *dec = decimal_of(v, &oom);
		if (oom) {
			c->oom = 1;
			goto out;
		}
		check_order(c, a, subject, dec, &got);
		free(dec);
		break;
	}
	default:
		sb_printf(&m, "%s: unsupported comparison", subject);
		break;
	}
	if (m.len || m.oom)
		record(c, &m);
	else
		free(m.p);
out:
	cJSON_Delete(expected);
	free(want);
	free(got.p);
}

static void eval_json(struct evalctx *c, const struct gl_assertion *a)
{
	const cJSON *doc = document(c);
	if (!doc) {
		fail_not_json(c);
		return;
	}
	const char *path = a->subject ? a->subject : a->path->text;
	struct sbuf subject = {0};
	sb_quote(&subject, path, strlen(path));
	if (subject.oom) {
		c->oom = 1;
		free(subject.p);
		return;
	}
	const cJSON *v = walk(doc, a->path);
	if (v) {
		eval_json_value(c, a, subject.p, v);
	} else if (a->cmp != GL_CMP_ABSENT) {
		/* Strict on purpose: "not equals" of a missing member is a failure,
		 * so that a renamed field cannot pass unnoticed; "absent" says it. */
		struct sbuf m = {0};
		sb_printf(&m, "%s not found", subject.p);
		record(c, &m);
	}
	free(subject.p);
}

static void eval_time(struct evalctx *c, const struct gl_assertion *a)
{
	/* Whole milliseconds rounded up: 500.2 ms is over a 500 ms ceiling. */
	long ms = (long)ceil(c->resp->total_seconds * 1000.0 - 1e-6);
	if (ms <= a->limit)
		return;
	struct sbuf m = {0};
	sb_printf(&m, "response time: expected at most %ld ms, got %ld ms", a->limit, ms);
	record(c, &m);
}

static void eval_cert(struct evalctx *c, const struct gl_assertion *a)
{
	struct sbuf m = {0};
	if (c->resp->cert_days == LONG_MIN)
		sb_str(&m, "certificate: no TLS certificate (not https)");
	else if (c->resp->cert_days < a->limit)
		sb_printf(&m, "certificate: expected at least %ld days before expiry, got %ld days",
		          a->limit, c->resp->cert_days);
	else
		return;
	record(c, &m);
}

static void eval_one(struct evalctx *c, const struct gl_assertion *a)
{
	switch (a->target) {
	case GL_T_STATUS:
		eval_status(c, a);
		break;
	case GL_T_HEADER:
		eval_header(c, a);
		break;
	case GL_T_JSON:
		eval_json(c, a);
		break;
	case GL_T_BODY:
		eval_body(c, a);
		break;
	case GL_T_TIME_MS:
		eval_time(c, a);
		break;
	case GL_T_CERT_DAYS:
		eval_cert(c, a);
		break;
	}
}

/* The captured text, or NULL with a failure recorded. */
static char *capture_value(struct evalctx *c, const struct gl_capture *cap)
{
	const struct gl_response *r = c->resp;
	struct sbuf m = {0};
	char *value = NULL;

	sb_str(&m, "capture ");
	sb_quote(&m, cap->name, strlen(cap->name));
	sb_str(&m, ": ");
	if (cap->source == GL_CAP_JSON) {
		const cJSON *doc = document(c);
		const cJSON *v = doc ? walk(doc, cap->path) : NULL;
		if (v) {
			value = value_text(v);
			if (!value)
				c->oom = 1;
		} else if (!doc) {
			sb_str(&m, "response body is not JSON");
		} else {
			sb_quote(&m, cap->expr, strlen(cap->expr));
			sb_str(&m, " not found");
		}
	} else if (cap->source == GL_CAP_HEADER) {
		const struct gl_header *h = find_header(r, cap->expr);
		if (h) {
			value = strdup(h->value);
			if (!value)
				c->oom = 1;
		} else {
			sb_str(&m, "header ");
			sb_quote(&m, cap->expr, strlen(cap->expr));
			sb_str(&m, " not found");
		}
	} else {
		regmatch_t g[2];
		const char *body = r->body ? r->body : "";
		if (regexec(cap->re, body, 2, g, 0) == 0) {
			size_t k = cap->re->re_nsub >= 1 && g[1].rm_so >= 0 ? 1 : 0;
			value = strndup(body + g[k].rm_so, (size_t)(g[k].rm_eo - g[k].rm_so));
			if (!value)
				c->oom = 1;
		} else {
			sb_str(&m, "pattern ");
			sb_quote(&m, cap->expr, strlen(cap->expr));
			sb_str(&m, " did not match the body");
		}
	}
	if (value || c->oom)
		free(m.p);
	else
		record(c, &m);
	return value;
}

static int take_captures(struct gl_eval *out, struct evalctx *c, const struct gl_step *step)
{
	if (!step->n_captures)
		return 0;
	out->captures = calloc(step->n_captures, sizeof *out->captures);
	if (!out->captures)
		return -1;
	for (size_t i = 0; i < step->n_captures; i++) {
		const struct gl_capture *cap = &step->captures[i];
		char *value = capture_value(c, cap);
		if (c->oom) {
			free(value);
			return -1;
		}
		if (!value)
			continue;
		/* Registered at once, so that no output written from here on can
		 * show it, even the messages of this very step. */
		if (cap->secret && gl_redact_add(value) < 0) {
			free(value);
			return -1;
		}
		struct gl_captured *dst = &out->captures[out->n_captures++];
		dst->value = value;
		dst->secret = cap->secret;
		dst->name = strdup(cap->name);
		if (!dst->name)
			return -1;
	}
	return 0;
}

/* A failed step keeps no captures, but its secret ones are still registered:
 * the failure's detail quotes the body they are in. */
static int register_secret_captures(struct evalctx *c, const struct gl_step *step)
{
	for (size_t i = 0; i < step->n_captures; i++) {
		const struct gl_capture *cap = &step->captures[i];
		if (!cap->secret)
			continue;
		char *value = capture_value(c, cap);
		int rc = value ? gl_redact_add(value) : 0;
		free(value);
		if (rc < 0 || c->oom)
			return -1;
	}
	return 0;
}

static void free_captures(struct gl_eval *e)
{
	for (size_t i = 0; i < e->n_captures; i++) {
		free(e->captures[i].name);
		free(e->captures[i].value);
	}
	free(e->captures);
	e->captures = NULL;
	e->n_captures = 0;
}

int gl_assert_eval(struct gl_eval *out, const struct gl_step *step, const struct gl_response *resp,
                   gl_lookup_fn lookup, void *ctx)
{
	int rc = -1;
	struct evalctx c = {.resp = resp, .lookup = lookup, .lookup_ctx = ctx};

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < step->n_asserts && !c.oom; i++)
		eval_one(&c, &step->asserts[i]);
	if (c.oom)
		goto err;
	if (c.n_failures == 0 ? take_captures(out, &c, step) < 0
	                      : register_secret_captures(&c, step) < 0)
		goto err;
	if (c.oom || c.detail.oom)
		goto err;

	out->passed = c.n_failures == 0;
	if (out->passed) {
		free(c.detail.p);
		free(c.first);
	} else {
		free_captures(out);
		out->message = c.first;
		out->detail = c.detail.p;
	}
	cJSON_Delete(c.doc);
	return 0;
err:
	free(c.first);
	free(c.detail.p);
	cJSON_Delete(c.doc);
	gl_eval_release(out);
	return rc;
}

void gl_eval_release(struct gl_eval *e)
{
	if (!e)
		return;
	free(e->message);
	free(e->detail);
	free_captures(e);
	e->message = NULL;
	e->detail = NULL;
	e->passed = false;
}

void gl_response_release(struct gl_response *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
	r->headers = NULL;
	r->n_headers = 0;
	r->body = NULL;
	r->body_len = 0;
}

int gl_json_extract(char **out, const char *body, size_t len, const struct gl_jsonpath *path)
{
	*out = NULL;
	if (!body || !len || memchr(body, '\0', len))
		return 1;
	/* body may not be NUL-terminated here: parse a terminated copy so that
	 * trailing garbage is rejected */
	char *copy = strndup(body, len);
	if (!copy)
		return -1;
	cJSON *doc = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, 1);
	free(copy);
	if (!doc)
		return 1;
	int rc = 1;
	const cJSON *v = walk(doc, path);
	if (v) {
		*out = value_text(v);
		rc = *out ? 0 : -1;
	}
	cJSON_Delete(doc);
	return rc;
}

/* A decimal number split into its significant parts: no sign on zero, no
 * leading zeros in the integer part, no trailing zeros in the fraction. */
struct dec {
	int neg;
	const char *ip;
	size_t in;
	const char *fp;
	size_t fn;
};

static int dec_parse(struct dec *d, const char *s)
{
	size_t digits = 0;
	d->neg = 0;
	if (*s == '-' || *s == '+')
		d->neg = *s++ == '-';
	d->ip = s;
	while (*s >= '0' && *s <= '9')
		s++;
	d->in = (size_t)(s - d->ip);
	digits += d->in;
	d->fp = s;
	d->fn = 0;
	if (*s == '.') {
		d->fp = ++s;
		while (*s >= '0' && *s <= '9')
			s++;
		d->fn = (size_t)(s - d->fp);
		digits += d->fn;
	}
	if (*s != '\0' || digits == 0)
		return -1;
	while (d->in && *d->ip == '0') {
		d->ip++;
		d->in--;
	}
	while (d->fn && d->fp[d->fn - 1] == '0')
		d->fn--;
	if (d->in == 0 && d->fn == 0)
		d->neg = 0;
	return 0;
}

static int dec_cmp_abs(const struct dec *a, const struct dec *b)
{
	if (a->in != b->in)
		return a->in < b->in ? -1 : 1;
	int r = memcmp(a->ip, b->ip, a->in);
	if (r)
		return r < 0 ? -1 : 1;
	size_t n = a->fn > b->fn ? a->fn : b->fn;
	for (size_t i = 0; i < n; i++) {
		char x = i < a->fn ? a->fp[i] : '0';
		char y = i < b->fn ? b->fp[i] : '0';
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

int gl_decimal_text_cmp(int *cmp, const char *a, const char *b)
{
	struct dec x, y;
	if (dec_parse(&x, a) < 0 || dec_parse(&y, b) < 0)
		return -1;
	if (x.neg != y.neg)
		*cmp = x.neg ? -1 : 1;
	else
		*cmp = x.neg ? -dec_cmp_abs(&x, &y) : dec_cmp_abs(&x, &y);
	return 0;
}
