/* Redaction: every secret is registered with each form in which it can leak,
 * and every output is scrubbed of all of them in one pass. */
/* memmem(3): glibc declares it only for GNU sources. */
#define _GNU_SOURCE

#include "redact.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct form {
	char *s;
	size_t len;
};

/* One process-wide registry: greenlight is single-threaded (see redact.h). */
static struct form *forms;
static size_t n_forms;
static size_t cap_forms;
static size_t max_form_len; /* how far past a cut a form can reach */

/* A growable byte buffer whose failure sticks: appends after an allocation
 * failure are no-ops, and the caller checks `failed` once at the end. */
struct buf {
	char *p;
	size_t len;
	size_t cap;
	bool failed;
};

static void buf_put(struct buf *b, const void *data, size_t len)
{
	if (b->failed)
		return;
	if (len > SIZE_MAX - b->len - 1) {
		b->failed = true;
		return;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + len + 1)
			cap = cap > SIZE_MAX / 2 ? b->len + len + 1 : cap * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void buf_putc(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

static void buf_release(struct buf *b)
{
	free(b->p);
	*b = (struct buf){0};
}

/* Takes ownership of b's bytes whatever happens. Identical forms are kept
 * once: the registry is scanned for every output, so duplicates cost time. */
static int add_form(struct buf *b)
{
	int rc = -1;

	if (b->failed)
		goto out;
	if (b->len == 0) {
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < n_forms; i++) {
		if (forms[i].len == b->len && memcmp(forms[i].s, b->p, b->len) == 0) {
			rc = 0;
			goto out;
		}
	}
	if (n_forms == cap_forms) {
		size_t cap = cap_forms ? cap_forms * 2 : 16;
		struct form *f = realloc(forms, cap * sizeof(*f));
		if (!f)
			goto out;
		forms = f;
		cap_forms = cap;
	}
	forms[n_forms].s = b->p;
	forms[n_forms].len = b->len;
	n_forms++;
	if (b->len > max_form_len)
		max_form_len = b->len;
	*b = (struct buf){0};
	rc = 0;
out:
	buf_release(b);
	return rc;
}

static int add_bytes(const char *s, size_t len)
{
	struct buf b = {0};
	buf_put(&b, s, len);
	return add_form(&b);
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Base64 of the secret as it appears when the secret is the whole encoded
 * value: padded and unpadded. */
static int add_base64_whole(const unsigned char *s, size_t len, const char *alphabet)
{
	struct buf padded = {0};

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;
		if (n > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (n > 2)
			v |= s[i + 2];
		buf_putc(&padded, alphabet[(v >> 18) & 63]);
		buf_putc(&padded, alphabet[(v >> 12) & 63]);
		buf_putc(&padded, n > 1 ? alphabet[(v >> 6) & 63] : '=');
		buf_putc(&padded, n > 2 ? alphabet[v & 63] : '=');
	}
	if (padded.failed)
		goto fail;
	size_t unpadded = padded.len;
	while (unpadded > 0 && padded.p[unpadded - 1] == '=')
		unpadded--;
	if (add_bytes(padded.p, unpadded) < 0)
		goto fail;
	return add_form(&padded);
fail:
	buf_release(&padded);
	return -1;
}

/* Base64 of the secret embedded in a larger value ("user:password" in Basic
 * auth, a token inside a JSON blob): the secret starts `shift` bytes into a
 * 3-byte group, so only the characters whose 6 bits all come from the secret
 * are the same whatever surrounds it. Those are the ones registered. */
static int add_base64_embedded(const unsigned char *s, size_t len, unsigned shift,
                               const char *alphabet)
{
	size_t first_bit = 8 * (size_t)shift;
	size_t end_bit = first_bit + 8 * len;
	size_t first_char = (first_bit + 5) / 6;
	size_t end_char = end_bit / 6;
	struct buf b = {0};

	/* A few characters match too much unrelated base64 to be worth it. */
	if (end_char <= first_char || end_char - first_char < 4)
		return 0;
	for (size_t c = first_char; c < end_char; c++) {
		unsigned v = 0;
		for (size_t bit = 6 * c; bit < 6 * c + 6; bit++) {
			size_t byte = bit / 8 - shift;
			unsigned on = (s[byte] >> (7 - bit % 8)) & 1;
			v = (v << 1) | on;
		}
		buf_putc(&b, alphabet[v]);
	}
	return add_form(&b);
}

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encoding of everything but unreserved characters; `plus` writes a
 * space as '+' the way HTML forms do. */
static int add_url(const unsigned char *s, size_t len, const char *hex, bool plus)
{
	struct buf b = {0};

	for (size_t i = 0; i < len; i++) {
		if (is_unreserved(s[i])) {
			buf_putc(&b, (char)s[i]);
		} else if (plus && s[i] == ' ') {
			buf_putc(&b, '+');
		} else {
			char e[3] = {'%', hex[s[i] >> 4], hex[s[i] & 15]};
			buf_put(&b, e, sizeof(e));
		}
	}
	return add_form(&b);
}

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0 when
 * it is not valid. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
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
	if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

enum json_style {
	JSON_PLAIN = 0,       /* what cJSON and most encoders write */
	JSON_SLASH = 1,       /* "/" written as "\/" */
	JSON_UPPER = 2,       /* \u001B rather than \u001b */
	JSON_ASCII = 4,       /* non-ASCII as \uXXXX, as Python's json.dumps does */
	JSON_ALL_CONTROL = 8, /* \u000a rather than \n */
};

static void put_u(struct buf *b, uint32_t v, bool upper)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char e[6] = {'\\',       'u', hex[(v >> 12) & 15], hex[(v >> 8) & 15], hex[(v >> 4) & 15],
	             hex[v & 15]};
	buf_put(b, e, sizeof(e));
}

static void put_json(struct buf *b, const unsigned char *s, size_t len, unsigned style)
{
	bool upper = style & JSON_UPPER;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n;
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
			i++;
		} else if (c == '/' && (style & JSON_SLASH)) {
			buf_put(b, "\\/", 2);
			i++;
		} else if (c < 0x20) {
			const char *short_esc = NULL;
			switch (c) {
			case '\b':
				short_esc = "\\b";
				break;
			case '\f':
				short_esc = "\\f";
				break;
			case '\n':
				short_esc = "\\n";
				break;
			case '\r':
				short_esc = "\\r";
				break;
			case '\t':
				short_esc = "\\t";
				break;
			}
			if (short_esc && !(style & JSON_ALL_CONTROL))
				buf_put(b, short_esc, 2);
			else
				put_u(b, c, upper);
			i++;
		} else if (c >= 0x80 && (style & JSON_ASCII) &&
		           (n = utf8_decode(s + i, len - i, &cp))) {
			if (cp >= 0x10000) {
				cp -= 0x10000;
				put_u(b, 0xD800 + (cp >> 10), upper);
				put_u(b, 0xDC00 + (cp & 0x3FF), upper);
			} else {
				put_u(b, cp, upper);
			}
			i += n;
		} else {
			buf_putc(b, (char)c);
			i++;
		}
	}
}

static int add_json(const unsigned char *s, size_t len, unsigned style)
{
	struct buf b = {0};

	put_json(&b, s, len, style);
	return add_form(&b);
}

/* A JSON document carried in a JSON string (an echoed or logged request:
 * "body":"{\"password\":\"a\\\"b\"}") holds the secret escaped twice. */
static int add_json_in_json(const unsigned char *s, size_t len, unsigned style)
{
	struct buf once = {0};
	int rc = -1;

	put_json(&once, s, len, style);
	if (!once.failed)
		rc = add_json((const unsigned char *)once.p, once.len, style);
	buf_release(&once);
	return rc;
}

/* `quotes`: also escape " and ', as in attribute values; text content
 * usually leaves them alone. */
static int add_xml(const unsigned char *s, size_t len, bool quotes)
{
	struct buf b = {0};

	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			buf_put(&b, "&amp;", 5);
			break;
		case '<':
			buf_put(&b, "&lt;", 4);
			break;
		case '>':
			buf_put(&b, "&gt;", 4);
			break;
		case '"':
			if (quotes)
				buf_put(&b, "&quot;", 6);
			else
				buf_putc(&b, '"');
			break;
		case '\'':
			if (quotes)
				buf_put(&b, "&apos;", 6);
			else
				buf_putc(&b, '\'');
			break;
		default:
			buf_putc(&b, (char)s[i]);
			break;
		}
	}
	return add_form(&b);
}

int gl_redact_add(const char *secret)
{
	int rc = -1;

	if (!secret || !*secret)
		return 0;
	const unsigned char *s = (const unsigned char *)secret;
	size_t len = strlen(secret);

	if (add_bytes(secret, len) < 0)
		goto out;
	for (int a = 0; a < 2; a++) {
		const char *alphabet = a == 0 ? b64_std : b64_url;
		if (add_base64_whole(s, len, alphabet) < 0)
			goto out;
		for (unsigned shift = 0; shift < 3; shift++) {
			if (add_base64_embedded(s, len, shift, alphabet) < 0)
				goto out;
		}
	}
	if (add_url(s, len, "0123456789ABCDEF", false) < 0 ||
	    add_url(s, len, "0123456789abcdef", false) < 0 ||
	    add_url(s, len, "0123456789ABCDEF", true) < 0 ||
	    add_url(s, len, "0123456789abcdef", true) < 0)
		goto out;
	for (unsigned style = 0; style < 16; style++) {
		if (add_json(s, len, style) < 0 || add_json_in_json(s, len, style) < 0)
			goto out;
	}
	if (add_xml(s, len, true) < 0 || add_xml(s, len, false) < 0)
		goto out;
	rc = 0;
out:
	/* On failure the forms already added stay: over-redacting is safe. */
	return rc;
}

struct span {
	size_t start;
	size_t end;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a;
	const struct span *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/* Every occurrence of every form, overlapping ones included. The union of
 * their bytes is what gets hidden, so a form that contains another, two
 * secrets that overlap, or a secret that overlaps itself ("aaa" in "aaaa")
 * never leaves a piece of a secret behind. */
static int find_spans(struct span **out, size_t *out_n, const char *text, size_t len)
{
	struct span *spans = NULL;
	size_t n = 0;
	size_t cap = 0;

	for (size_t f = 0; f < n_forms; f++) {
		const char *p = text;
		const char *end = text + len;
		while ((size_t)(end - p) >= forms[f].len) {
			const char *hit = memmem(p, (size_t)(end - p), forms[f].s, forms[f].len);
			if (!hit)
				break;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct span *ns = realloc(spans, ncap * sizeof(*ns));
				if (!ns) {
					free(spans);
					return -1;
				}
				spans = ns;
				cap = ncap;
			}
			spans[n].start = (size_t)(hit - text);
			spans[n].end = spans[n].start + forms[f].len;
			n++;
			p = hit + 1;
		}
	}
	*out = spans;
	*out_n = n;
	return 0;
}

char *gl_redact_head(const char *text, size_t len, size_t cut, size_t *out_len)
{
	struct span *spans = NULL;
	size_t n = 0;
	struct buf b = {0};

	if (!text)
		return NULL;
	if (cut > len)
		cut = len;
	/* a form that starts before the cut ends within max_form_len of it */
	size_t searched = len - cut > max_form_len ? cut + max_form_len : len;
	if (find_spans(&spans, &n, text, searched) < 0)
		goto fail;
	if (n > 1)
		qsort(spans, n, sizeof(*spans), span_cmp);

	size_t pos = 0;
	size_t i = 0;
	while (i < n && spans[i].start < cut) {
		size_t start = spans[i].start;
		size_t end = spans[i].end;
		for (i++; i < n && spans[i].start <= end; i++) {
			if (spans[i].end > end)
				end = spans[i].end;
		}
		buf_put(&b, text + pos, start - pos);
		buf_put(&b, GL_REDACTED, strlen(GL_REDACTED));
		pos = end;
	}
	if (pos < cut)
		buf_put(&b, text + pos, cut - pos);
	/* An empty input still gets a (malloc'd) empty string back. */
	buf_put(&b, "", 0);
	if (b.failed || !b.p) {
		buf_release(&b);
		goto fail;
	}
	free(spans);
	if (out_len)
		*out_len = b.len;
	return b.p;
fail:
	free(spans);
	return NULL;
}

char *gl_redact_mem(const char *text, size_t len, size_t *out_len)
{
	return gl_redact_head(text, len, len, out_len);
}

char *gl_redact(const char *text)
{
	if (!text)
		return NULL;
	return gl_redact_mem(text, strlen(text), NULL);
}

int gl_redact_header_is_sensitive(const char *name)
{
	static const char *const sensitive[] = {"Authorization", "Proxy-Authorization", "Cookie",
	                                        "Set-Cookie"};

	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(sensitive) / sizeof(sensitive[0]); i++) {
		if (strcasecmp(name, sensitive[i]) == 0)
			return 1;
	}
	return 0;
}

void gl_redact_reset(void)
{
	for (size_t i = 0; i < n_forms; i++)
		free(forms[i].s);
	free(forms);
	forms = NULL;
	n_forms = 0;
	cap_forms = 0;
	max_form_len = 0;
}

int gl_redact_add_url_password(const char *url)
{
	const char *start = url ? strstr(url, "://") : NULL;
	if (!start)
		return 0;
	start += 3;
	size_t authority = strcspn(start, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < authority; i++)
		if (start[i] == '@')
			at = start + i; /* the last '@' ends the userinfo */
	if (!at)
		return 0;
	const char *colon = memchr(start, ':', (size_t)(at - start));
	if (!colon || colon + 1 == at)
		return 0;
	char *password = strndup(colon + 1, (size_t)(at - colon - 1));
	if (!password)
		return -1;
	int rc = gl_redact_add(password);
	free(password);
	return rc;
}
