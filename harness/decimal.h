/* Exact money: decimal text parsed straight into scaled integers.
 *
 * A struct gl_dec holds a signed count of units of 10^-9 (nine fraction
 * digits: the application's intermediates carry eight). Binary floating point
 * never decides a pass or a fail here: parsing, sums, comparisons and the
 * tolerance check are exact integer arithmetic.
 *
 * Why 128 bits: at a scale of 10^-9 an int64_t ends at about 9.2e9, so the sum
 * of a million rows of ten thousand each would already overflow. GCC's
 * __int128 reaches +/-1.7e29 (30 integer digits): the exact sum of a billion
 * amounts of a hundred billion each (1e20) fits with room to spare, and
 * the arithmetic is still a couple of instructions. Sums are checked anyway:
 * they return an error, they never wrap.
 *
 * Range: every value satisfies |units| <= GL_DEC_MAX_UNITS, which is
 * INT128_MAX units (170141183460469231731687303715.884105727). The one value below
 * -GL_DEC_MAX_UNITS (INT128_MIN) is never produced, so negation and
 * gl_dec_abs() cannot overflow.
 *
 * Values are plain data: copy them freely; nothing here allocates. */
#ifndef GL_DECIMAL_H
#define GL_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>

/* __extension__: -Wpedantic rejects __int128 in ISO C otherwise. */
__extension__ typedef __int128 gl_dec_int;
__extension__ typedef unsigned __int128 gl_dec_uint;

struct gl_dec {
	gl_dec_int units; /* value * 10^9 */
};

#define GL_DEC_PLACES    9
#define GL_DEC_SCALE     1000000000                                  /* units per 1 */
#define GL_DEC_MAX_UNITS ((gl_dec_int)(((gl_dec_uint)1 << 127) - 1)) /* ~1.7e38 units: ~1.7e29 */

/* A buffer this large holds any formatted value: sign, 30 integer digits,
 * point, 9 places, NUL. */
#define GL_DEC_BUFSZ 48

/* Errors of gl_dec_parse(), gl_dec_add() and gl_dec_format(). */
enum {
	GL_DEC_EEMPTY = -1,    /* no text at all */
	GL_DEC_ESYNTAX = -2,   /* not [+-]digits[.digits] */
	GL_DEC_EEXPONENT = -3, /* 1e3: exponents are refused, not converted */
	GL_DEC_EPLACES = -4,   /* more than 9 fraction digits: never rounded */
	GL_DEC_ERANGE = -5,    /* magnitude above GL_DEC_MAX_UNITS */
	GL_DEC_ESPACE = -6,    /* gl_dec_format(): the buffer is too small */
};

/* Parse len bytes of text (no NUL needed) into *out.
 *
 * Accepted: an optional sign, one or more digits, and optionally a '.'
 * followed by one to nine digits: "-0.5", "+3", "007.100", "0". Like JSON,
 * a '.' needs digits on both sides ("5." and ".5" are refused: in golden data
 * they are more likely truncation than intent). Refused: empty text, spaces
 * anywhere, exponents, "inf"/"nan", hex, more than nine fraction digits (even
 * trailing zeros: precision is never silently dropped), out of range. Syntax
 * errors are reported before too many places, and those before range.
 *
 * Returns 0, or a negative GL_DEC_E* code with *out untouched. */
int gl_dec_parse(struct gl_dec *out, const char *text, size_t len);

/* Write the message for a gl_dec_parse() failure on text into buf (always
 * NUL-terminated when n > 0), in the house style, e.g.
 *   '12.3.4' is not a decimal number
 *   '0.0000000001' has more than 9 decimal places
 * The subject is quoted; text longer than 48 bytes is cut with "...", and
 * bytes that are not printable ASCII are shown as '?'. */
void gl_dec_strerror(char *buf, size_t n, int code, const char *text, size_t len);

/* Format v with exactly places fraction digits (0..9), rounding half to even
 * when places < 9 (0.0125 -> "0.012", 0.0135 -> "0.014", -0.0125 ->
 * "-0.012"): half-even does not drift one way over many values. A value that
 * rounds to zero prints without a sign. Returns 0, or GL_DEC_ESPACE when buf
 * (n bytes) is too small (buf is then "" if n > 0). GL_DEC_BUFSZ always
 * suffices. places outside 0..9 is a programmer error (abort). */
int gl_dec_format(char *buf, size_t n, struct gl_dec v, int places);

/* *out = a + b, or a - b. Returns 0, or GL_DEC_ERANGE when the exact result is
 * out of range (then *out is untouched). */
int gl_dec_add(struct gl_dec *out, struct gl_dec a, struct gl_dec b);
int gl_dec_sub(struct gl_dec *out, struct gl_dec a, struct gl_dec b);

/* -1, 0 or 1 as a < b, a == b, a > b. */
int gl_dec_cmp(struct gl_dec a, struct gl_dec b);

/* |v|; cannot overflow (see Range above). */
struct gl_dec gl_dec_abs(struct gl_dec v);

/* The nearest double, for statistics ONLY (means, deviations, p-values,
 * display of ratios). Never use it to decide a pass or a fail. */
double gl_dec_to_double(struct gl_dec v);

/* The tolerance check, exact and inclusive: |actual - expected| <= abs_tol.
 * With abs_tol 0.001 a difference of exactly 0.001 passes and 0.0011 or
 * 0.0010000001 fails, in either direction. A difference too large to
 * represent fails. abs_tol must not be negative (abort). */
bool gl_dec_within(struct gl_dec expected, struct gl_dec actual, struct gl_dec abs_tol);

#endif
