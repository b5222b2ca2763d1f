/* Exact money: see decimal.h. */
#include "decimal.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

typedef gl_dec_uint u128;

/* Shown subjects are cut here: a message line, not a dump of the input. */
#define SHOWN_MAX 48

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool in_range(gl_dec_int u)
{
	return u >= -GL_DEC_MAX_UNITS;
}

/* Check the grammar, report where the digits are. */
static int scan(const char *text, size_t len, size_t *int_at, size_t *n_int, size_t *frac_at,
                size_t *n_frac)
{
	size_t i = 0;

	if (len == 0)
		return GL_DEC_EEMPTY;
	if (text[i] == '+' || text[i] == '-')
		i++;
	*int_at = i;
	while (i < len && is_digit(text[i]))
		i++;
	*n_int = i - *int_at;
	*frac_at = i;
	*n_frac = 0;
	if (i < len && text[i] == '.') {
		i++;
		*frac_at = i;
		while (i < len && is_digit(text[i]))
			i++;
		*n_frac = i - *frac_at;
		if (*n_frac == 0)
			return GL_DEC_ESYNTAX;
	}
	if (*n_int == 0)
		return GL_DEC_ESYNTAX;
	if (i < len && (text[i] == 'e' || text[i] == 'E'))
		return GL_DEC_EEXPONENT;
	if (i < len)
		return GL_DEC_ESYNTAX;
	return 0;
}

/* Append one decimal digit to a non-negative accumulator, checking range. */
static int push_digit(gl_dec_int *acc, int digit)
{
	gl_dec_int v;

	if (__builtin_mul_overflow(*acc, 10, &v) || __builtin_add_overflow(v, digit, &v))
		return GL_DEC_ERANGE;
	*acc = v;
	return 0;
}

static const uint64_t pow10[GL_DEC_PLACES + 1] = {1,      10,      100,      1000,      10000,
                                                  100000, 1000000, 10000000, 100000000, 1000000000};

/* The common amount ([+-]digits[.digits], at most 18 digits and GL_DEC_PLACES
 * decimals) in one pass: replays parse a value per case and field, so this
 * is their hottest loop. Returns false for anything else, which scan() then
 * checks and reports; the digits are summed in 64 bits (wrapping harmlessly
 * when there are too many: the result is then discarded) and scaled once. */
static bool parse_short(struct gl_dec *out, const char *text, size_t len)
{
	size_t i = len > 0 && (text[0] == '+' || text[0] == '-');
	size_t int_at = i;
	uint64_t v = 0;

	while (i < len && is_digit(text[i]))
		v = v * 10 + (uint64_t)(text[i++] - '0');
	size_t n_int = i - int_at;
	size_t n_frac = 0;
	if (i < len && text[i] == '.') {
		size_t frac_at = ++i;
		while (i < len && is_digit(text[i]))
			v = v * 10 + (uint64_t)(text[i++] - '0');
		n_frac = i - frac_at;
		if (n_frac == 0)
			return false;
	}
	if (i < len || n_int == 0 || n_frac > GL_DEC_PLACES || n_int + n_frac > 18)
		return false;
	gl_dec_int acc = (gl_dec_int)v * (gl_dec_int)pow10[GL_DEC_PLACES - n_frac];
	out->units = text[0] == '-' ? -acc : acc;
	return true;
}

/* Everything parse_short() does not take: errors, and more than 18 digits.
 * Kept out of line so that the common path stays a leaf with a short
 * prologue. */
static __attribute__((noinline)) int parse_long(struct gl_dec *out, const char *text, size_t len)
{
	size_t int_at, n_int, frac_at, n_frac;
	gl_dec_int acc = 0;
	int rc;

	rc = scan(text, len, &int_at, &n_int, &frac_at, &n_frac);
	if (rc < 0)
		return rc;
	if (n_frac > GL_DEC_PLACES)
		return GL_DEC_EPLACES;
	/* parse_short() took every value of at most 18 digits */
	for (size_t i = 0; i < n_int; i++) {
		if (push_digit(&acc, text[int_at + i] - '0') < 0)
			return GL_DEC_ERANGE;
	}
	for (size_t i = 0; i < GL_DEC_PLACES; i++) {
		int digit = i < n_frac ? text[frac_at + i] - '0' : 0;
		if (push_digit(&acc, digit) < 0)
			return GL_DEC_ERANGE;
	}
	out->units = text[0] == '-' ? -acc : acc;
	return 0;
}

int gl_dec_parse(struct gl_dec *out, const char *text, size_t len)
{
	assert(out);
	assert(text || len == 0);
	if (parse_short(out, text, len))
		return 0;
	return parse_long(out, text, len);
}

/* Copy text for a message: redacted (the text may be an echoed secret), then
 * cut long, no control bytes. */
static void shown(char *dst, size_t n, const char *text, size_t len)
{
	size_t k;
	char *red = gl_redact_head(text, len, SHOWN_MAX, &k);

	assert(n > SHOWN_MAX + 3);
	if (!red) {
		memcpy(dst, "...", 4);
		return;
	}
	bool cut = len > SHOWN_MAX || k > SHOWN_MAX;
	if (k > SHOWN_MAX)
		k = SHOWN_MAX;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)red[i];
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	free(red);
	if (cut) {
		memcpy(dst + k, "...", 4);
	} else {
		dst[k] = '\0';
	}
}

void gl_dec_strerror(char *buf, size_t n, int code, const char *text, size_t len)
{
	char subject[SHOWN_MAX + 4];

	if (n == 0)
		return;
	shown(subject, sizeof(subject), text ? text : "", text ? len : 0);
	switch (code) {
	case 0:
		snprintf(buf, n, "'%s' is a decimal number", subject);
		break;
	case GL_DEC_EEMPTY:
	case GL_DEC_ESYNTAX:
		snprintf(buf, n, "'%s' is not a decimal number", subject);
		break;
	case GL_DEC_EEXPONENT:
		snprintf(buf, n, "'%s' is not a decimal number: exponents are not accepted",
		         subject);
		break;
	case GL_DEC_EPLACES:
		snprintf(buf, n, "'%s' has more than %d decimal places", subject, GL_DEC_PLACES);
		break;
	case GL_DEC_ERANGE:
		snprintf(buf, n, "'%s' is out of range (magnitude above 1.7e29)", subject);
		break;
	default:
		snprintf(buf, n, "'%s': decimal error %d", subject, code);
		break;
	}
}

/* Digits of u, most significant first, into dst; returns how many. */
static size_t put_digits(char *dst, u128 u, size_t min_digits)
{
	char rev[48];
	size_t k = 0;

	do {
		rev[k++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	while (k < min_digits)
		rev[k++] = '0';
	for (size_t i = 0; i < k; i++)
		dst[i] = rev[k - 1 - i];
	return k;
}

static u128 pow10u(int e)
{
	u128 p = 1;

	while (e-- > 0)
		p *= 10;
	return p;
}

int gl_dec_format(char *buf, size_t n, struct gl_dec v, int places)
{
	char tmp[GL_DEC_BUFSZ];
	size_t k = 0;
	u128 mag, div, q, r, unit;

	assert(buf || n == 0);
	assert(places >= 0 && places <= GL_DEC_PLACES);
	assert(in_range(v.units));
	mag = v.units < 0 ? (u128)(-v.units) : (u128)v.units;
	div = pow10u(GL_DEC_PLACES - places);
	q = mag / div;
	r = mag % div;
	/* Half to even; div is even whenever places < 9, and r is 0 otherwise. */
	if (r > div / 2 || (r == div / 2 && r != 0 && (q & 1)))
		q++;
	if (v.units < 0 && q != 0)
		tmp[k++] = '-';
	unit = pow10u(places);
	k += put_digits(tmp + k, q / unit, 1);
	if (places > 0) {
		tmp[k++] = '.';
		k += put_digits(tmp + k, q % unit, (size_t)places);
	}
	tmp[k] = '\0';
	if (k + 1 > n) {
		if (n > 0)
			buf[0] = '\0';
		return GL_DEC_ESPACE;
	}
	memcpy(buf, tmp, k + 1);
	return 0;
}

int gl_dec_add(struct gl_dec *out, struct gl_dec a, struct gl_dec b)
{
	gl_dec_int s;

	assert(out);
	if (__builtin_add_overflow(a.units, b.units, &s) || !in_range(s))
		return GL_DEC_ERANGE;
	out->units = s;
	return 0;
}

int gl_dec_sub(struct gl_dec *out, struct gl_dec a, struct gl_dec b)
{
	gl_dec_int s;

	assert(out);
	if (__builtin_sub_overflow(a.units, b.units, &s) || !in_range(s))
		return GL_DEC_ERANGE;
	out->units = s;
	return 0;
}

int gl_dec_cmp(struct gl_dec a, struct gl_dec b)
{
	return (a.units > b.units) - (a.units < b.units);
}

struct gl_dec gl_dec_abs(struct gl_dec v)
{
	assert(in_range(v.units));
	if (v.units < 0)
		v.units = -v.units;
	return v;
}

double gl_dec_to_double(struct gl_dec v)
{
	/* Split so each part converts with at most one rounding. Within 64
	 * bits (|v| < 9.2e9), do it without a 128-bit division: replays convert
	 * every difference for the statistics. */
	if (v.units >= INT64_MIN && v.units <= INT64_MAX) {
		int64_t u = (int64_t)v.units;
		return (double)(u / GL_DEC_SCALE) + (double)(u % GL_DEC_SCALE) / GL_DEC_SCALE;
	}
	gl_dec_int whole = v.units / GL_DEC_SCALE;
	gl_dec_int frac = v.units % GL_DEC_SCALE;

	return (double)whole + (double)frac / GL_DEC_SCALE;
}

bool gl_dec_within(struct gl_dec expected, struct gl_dec actual, struct gl_dec abs_tol)
{
	struct gl_dec d;

	assert(abs_tol.units >= 0);
	if (gl_dec_sub(&d, actual, expected) < 0)
		return false;
	return gl_dec_abs(d).units <= abs_tol.units;
}
