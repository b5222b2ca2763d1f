/* Decimal numbers (decimal.h), as found in golden files, sidecar totals and
 * tolerances. The input is up to three texts, one per line: a, b, tol.
 *
 * Invariants: what parses formats and parses back to the same value; a value
 * formatted with fewer places is off by at most half a unit of the last
 * place; comparison is a total order that agrees with the subtraction and
 * with expect.c's text comparison (gl_decimal_text_cmp), which compares the
 * same numbers without converting them; a + b - b == a; within() is
 * symmetric. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "expect.h"
#include "fuzz.h"

/* Half a unit of the last of `places` fraction digits, in units of 10^-9. */
static gl_dec_int half_unit(int places)
{
	gl_dec_int u = 1;

	for (int i = places; i < GL_DEC_PLACES; i++)
		u *= 10;
	return u / 2;
}

static void check_one(const char *text, size_t len, struct gl_dec *out, bool *ok)
{
	char buf[GL_DEC_BUFSZ];
	char msg[128];
	struct gl_dec v = {0};
	struct gl_dec back = {0};
	int rc = gl_dec_parse(&v, text, len);

	*ok = rc == 0;
	/* the message for any outcome, and in a buffer too small for it */
	gl_dec_strerror(msg, sizeof msg, rc, text, len);
	FUZZ_CHECK(strlen(msg) < sizeof msg);
	gl_dec_strerror(msg, 8, rc, text, len);
	FUZZ_CHECK(strlen(msg) < 8);
	if (rc != 0) {
		FUZZ_CHECK(rc >= GL_DEC_ERANGE && rc <= GL_DEC_EEMPTY);
		return;
	}
	*out = v;
	FUZZ_CHECK(v.units >= -GL_DEC_MAX_UNITS && v.units <= GL_DEC_MAX_UNITS);
	FUZZ_CHECK(gl_dec_format(buf, sizeof buf, v, GL_DEC_PLACES) == 0);
	FUZZ_CHECK(gl_dec_parse(&back, buf, strlen(buf)) == 0);
	FUZZ_CHECK(gl_dec_cmp(back, v) == 0);
	for (int places = 0; places < GL_DEC_PLACES; places++) {
		struct gl_dec d;
		FUZZ_CHECK(gl_dec_format(buf, sizeof buf, v, places) == 0);
		if (gl_dec_parse(&back, buf, strlen(buf)) != 0) {
			/* rounding up may pass the top of the range, never elsewhere */
			FUZZ_CHECK(gl_dec_abs(v).units > GL_DEC_MAX_UNITS - half_unit(places));
			continue;
		}
		FUZZ_CHECK(gl_dec_sub(&d, back, v) == 0);
		FUZZ_CHECK(gl_dec_abs(d).units <= half_unit(places));
	}
	/* too small a buffer is an error, never an overflow */
	FUZZ_CHECK(gl_dec_format(buf, 2, v, GL_DEC_PLACES) == GL_DEC_ESPACE);
	FUZZ_CHECK(buf[0] == '\0');
	double x = gl_dec_to_double(v);
	FUZZ_CHECK(v.units == 0 ? x == 0 : (v.units < 0) == (x < 0));
	FUZZ_CHECK(gl_dec_abs(v).units >= 0);
}

static void check_pair(const char *a, const char *b, struct gl_dec x, struct gl_dec y)
{
	struct gl_dec s, back, d;
	int c = gl_dec_cmp(x, y);
	int text_c = 2;

	FUZZ_CHECK(c == -gl_dec_cmp(y, x));
	if (gl_dec_sub(&d, x, y) == 0)
		FUZZ_CHECK(c == (d.units > 0) - (d.units < 0));
	if (gl_dec_add(&s, x, y) == 0) {
		FUZZ_CHECK(gl_dec_sub(&back, s, y) == 0);
		FUZZ_CHECK(gl_dec_cmp(back, x) == 0);
	}
	/* expect.c compares the same text without converting it */
	if (gl_decimal_text_cmp(&text_c, a, b) == 0)
		FUZZ_CHECK(text_c == c);
	/* within() as a tolerance of |x|: y is within |x| of 0 iff |y| <= |x| */
	struct gl_dec zero = {0};
	FUZZ_CHECK(gl_dec_within(zero, y, gl_dec_abs(x)) ==
	           (gl_dec_cmp(gl_dec_abs(y), gl_dec_abs(x)) <= 0));
	FUZZ_CHECK(gl_dec_within(x, y, gl_dec_abs(x)) == gl_dec_within(y, x, gl_dec_abs(x)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_strndup(data, size);
	const char *text[3] = {NULL, NULL, NULL};
	size_t len[3] = {0, 0, 0};
	struct gl_dec v[3] = {{0}, {0}, {0}};
	bool ok[3] = {false, false, false};
	size_t n = 0;
	size_t start = 0;

	for (size_t i = 0; i <= size && n < 3; i++) {
		if (i == size || copy[i] == '\n') {
			text[n] = copy + start;
			len[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		check_one(text[i], len[i], &v[i], &ok[i]);
	/* the pairs, as NUL-terminated texts without NULs inside */
	for (size_t i = 0; i < n; i++)
		copy[text[i] - copy + len[i]] = '\0';
	bool clean[3];
	for (size_t i = 0; i < n; i++)
		clean[i] = strlen(text[i]) == len[i];
	if (n >= 2 && ok[0] && ok[1] && clean[0] && clean[1])
		check_pair(text[0], text[1], v[0], v[1]);
	if (n == 3 && ok[0] && ok[1] && ok[2] && v[2].units >= 0)
		FUZZ_CHECK(gl_dec_within(v[0], v[1], v[2]) == gl_dec_within(v[1], v[0], v[2]));
	free(copy);
	return 0;
}
