/* Exact money: parsing, formatting, checked sums, the tolerance boundary. */
#include <check.h>
#include <string.h>

#include "check_suites.h"
#include "decimal.h"

#define MAX_TEXT "170141183460469231731687303715.884105727"

static struct gl_dec dec(const char *text)
{
	struct gl_dec v = {0};
	int rc = gl_dec_parse(&v, text, strlen(text));
	ck_assert_msg(rc == 0, "'%s' should parse, got %d", text, rc);
	return v;
}

static void assert_units(const char *text, long long whole, long long nanos)
{
	struct gl_dec v = dec(text);
	gl_dec_int want = (gl_dec_int)whole * GL_DEC_SCALE + nanos;
	ck_assert_msg(v.units == want, "'%s' parsed to the wrong value", text);
}

/* Parse fails with code and the message that goes with it. */
static void assert_refused(const char *text, int code, const char *msg)
{
	struct gl_dec v = {42};
	char buf[160];
	int rc = gl_dec_parse(&v, text, strlen(text));
	ck_assert_msg(rc == code, "'%s': want %d, got %d", text, code, rc);
	ck_assert_msg(v.units == 42, "'%s': out changed on failure", text);
	gl_dec_strerror(buf, sizeof(buf), rc, text, strlen(text));
	ck_assert_str_eq(buf, msg);
}

static void assert_format(const char *text, int places, const char *want)
{
	char buf[GL_DEC_BUFSZ];
	ck_assert_int_eq(gl_dec_format(buf, sizeof(buf), dec(text), places), 0);
	ck_assert_msg(strcmp(buf, want) == 0, "'%s' at %d places: want '%s', got '%s'", text,
	              places, want, buf);
}

START_TEST(test_parse_valid)
{
	assert_units("-0.5", 0, -500000000);
	assert_units("+3", 3, 0);
	assert_units("007.100", 7, 100000000);
	assert_units("0", 0, 0);
	assert_units("-0", 0, 0);
	assert_units("-0.000", 0, 0);
	assert_units("0.000000001", 0, 1);
	assert_units("-12.345678901", -12, -345678901);
	assert_units("999999999999.999999999", 999999999999LL, 999999999);
	ck_assert(dec(MAX_TEXT).units == GL_DEC_MAX_UNITS);
	ck_assert(dec("-" MAX_TEXT).units == -GL_DEC_MAX_UNITS);
}
END_TEST

START_TEST(test_parse_uses_len)
{
	struct gl_dec v;
	ck_assert_int_eq(gl_dec_parse(&v, "12.5xyz", 4), 0);
	ck_assert(v.units == (gl_dec_int)12500000000LL);
	/* An embedded NUL is not the end of the text. */
	ck_assert_int_eq(gl_dec_parse(&v, "1\0002", 3), GL_DEC_ESYNTAX);
	ck_assert_int_eq(gl_dec_parse(&v, NULL, 0), GL_DEC_EEMPTY);
}
END_TEST

START_TEST(test_parse_invalid)
{
	assert_refused("", GL_DEC_EEMPTY, "'' is not a decimal number");
	assert_refused("12.3.4", GL_DEC_ESYNTAX, "'12.3.4' is not a decimal number");
	assert_refused(".", GL_DEC_ESYNTAX, "'.' is not a decimal number");
	assert_refused("-", GL_DEC_ESYNTAX, "'-' is not a decimal number");
	assert_refused("+", GL_DEC_ESYNTAX, "'+' is not a decimal number");
	assert_refused("-.", GL_DEC_ESYNTAX, "'-.' is not a decimal number");
	assert_refused("5.", GL_DEC_ESYNTAX, "'5.' is not a decimal number");
	assert_refused(".5", GL_DEC_ESYNTAX, "'.5' is not a decimal number");
	assert_refused(" 1", GL_DEC_ESYNTAX, "' 1' is not a decimal number");
	assert_refused("1 ", GL_DEC_ESYNTAX, "'1 ' is not a decimal number");
	assert_refused("1,5", GL_DEC_ESYNTAX, "'1,5' is not a decimal number");
	assert_refused("--1", GL_DEC_ESYNTAX, "'--1' is not a decimal number");
	assert_refused("+-1", GL_DEC_ESYNTAX, "'+-1' is not a decimal number");
	assert_refused("0x10", GL_DEC_ESYNTAX, "'0x10' is not a decimal number");
	assert_refused("inf", GL_DEC_ESYNTAX, "'inf' is not a decimal number");
	assert_refused("NaN", GL_DEC_ESYNTAX, "'NaN' is not a decimal number");
	assert_refused("1\t", GL_DEC_ESYNTAX, "'1?' is not a decimal number");
	assert_refused("1e3", GL_DEC_EEXPONENT,
	               "'1e3' is not a decimal number: exponents are not accepted");
	assert_refused("-2.5E-3", GL_DEC_EEXPONENT,
	               "'-2.5E-3' is not a decimal number: exponents are not accepted");
	/* Syntax is judged before the number of places. */
	assert_refused("0.0000000001x", GL_DEC_ESYNTAX, "'0.0000000001x' is not a decimal number");
}
END_TEST

START_TEST(test_parse_places)
{
	assert_units("0.123456789", 0, 123456789);
	assert_refused("0.0000000001", GL_DEC_EPLACES,
	               "'0.0000000001' has more than 9 decimal places");
	/* Trailing zeros too: precision is never dropped silently. */
	assert_refused("1.0000000000", GL_DEC_EPLACES,
	               "'1.0000000000' has more than 9 decimal places");
}
END_TEST

START_TEST(test_parse_overflow)
{
	assert_refused("170141183460469231731687303715.884105728", GL_DEC_ERANGE,
	               "'170141183460469231731687303715.884105728' is out of range "
	               "(magnitude above 1.7e29)");
	/* INT128_MIN is never produced: negation stays safe. */
	assert_refused("-170141183460469231731687303715.884105728", GL_DEC_ERANGE,
	               "'-170141183460469231731687303715.884105728' is out of range "
	               "(magnitude above 1.7e29)");
	assert_refused(
	        "1000000000000000000000000000000", GL_DEC_ERANGE,
	        "'1000000000000000000000000000000' is out of range (magnitude above 1.7e29)");
	/* Overflow while scaling the integer part by 10^9, not only while reading. */
	assert_refused("170141183460469231731687303716", GL_DEC_ERANGE,
	               "'170141183460469231731687303716' is out of range (magnitude above 1.7e29)");
	ck_assert(dec("170141183460469231731687303715").units == GL_DEC_MAX_UNITS - 884105727);
}
END_TEST

START_TEST(test_message_cut)
{
	char buf[160];
	const char *long_text = "123456789012345678901234567890123456789012345678abc";
	gl_dec_strerror(buf, sizeof(buf), GL_DEC_ESYNTAX, long_text, strlen(long_text));
	ck_assert_str_eq(
	        buf,
	        "'123456789012345678901234567890123456789012345678...' is not a decimal number");
	gl_dec_strerror(buf, 8, GL_DEC_ESYNTAX, "12.3.4", 6);
	ck_assert_str_eq(buf, "'12.3.4");
}
END_TEST

START_TEST(test_format_half_even)
{
	assert_format("0.0125", 3, "0.012");
	assert_format("0.0135", 3, "0.014");
	assert_format("-0.0125", 3, "-0.012");
	assert_format("-0.0135", 3, "-0.014");
	assert_format("0.012500001", 3, "0.013");
	assert_format("0.0126", 3, "0.013");
	assert_format("0.0124999", 3, "0.012");
	assert_format("2.5", 0, "2");
	assert_format("3.5", 0, "4");
	assert_format("-0.5", 0, "0");
	assert_format("-0.0004", 3, "0.000");
	assert_format("9.9995", 3, "10.000");
	assert_format("1", 9, "1.000000000");
	assert_format("-0.000000001", 9, "-0.000000001");
	assert_format("007.100", 2, "7.10");
	assert_format("0", 0, "0");
	assert_format(MAX_TEXT, 9, MAX_TEXT);
	assert_format("-" MAX_TEXT, 9, "-" MAX_TEXT);
}
END_TEST

START_TEST(test_format_small_buffer)
{
	char buf[5];
	ck_assert_int_eq(gl_dec_format(buf, sizeof(buf), dec("12.5"), 1), 0);
	ck_assert_str_eq(buf, "12.5");
	ck_assert_int_eq(gl_dec_format(buf, sizeof(buf), dec("-12.5"), 1), GL_DEC_ESPACE);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(gl_dec_format(NULL, 0, dec("1"), 0), GL_DEC_ESPACE);
}
END_TEST

START_TEST(test_add_sub)
{
	struct gl_dec r = {7};
	ck_assert_int_eq(gl_dec_add(&r, dec("0.1"), dec("0.2")), 0);
	ck_assert_int_eq(gl_dec_cmp(r, dec("0.3")), 0);
	ck_assert_int_eq(gl_dec_sub(&r, dec("0.1"), dec("0.3")), 0);
	ck_assert_int_eq(gl_dec_cmp(r, dec("-0.2")), 0);

	r.units = 7;
	ck_assert_int_eq(gl_dec_add(&r, dec(MAX_TEXT), dec("0.000000001")), GL_DEC_ERANGE);
	ck_assert(r.units == 7);
	ck_assert_int_eq(gl_dec_add(&r, dec("-" MAX_TEXT), dec("-0.000000001")), GL_DEC_ERANGE);
	ck_assert_int_eq(gl_dec_sub(&r, dec(MAX_TEXT), dec("-1")), GL_DEC_ERANGE);
	/* Would be INT128_MIN: out of the symmetric range. */
	ck_assert_int_eq(gl_dec_sub(&r, dec("-" MAX_TEXT), dec("0.000000001")), GL_DEC_ERANGE);
	ck_assert(r.units == 7);
	ck_assert_int_eq(gl_dec_add(&r, dec(MAX_TEXT), dec("-" MAX_TEXT)), 0);
	ck_assert(r.units == 0);
}
END_TEST

START_TEST(test_cmp_abs_double)
{
	ck_assert_int_eq(gl_dec_cmp(dec("1.000000001"), dec("1")), 1);
	ck_assert_int_eq(gl_dec_cmp(dec("-1"), dec("1")), -1);
	ck_assert_int_eq(gl_dec_cmp(dec("-0"), dec("0")), 0);
	ck_assert_int_eq(gl_dec_cmp(gl_dec_abs(dec("-2.5")), dec("2.5")), 0);
	ck_assert(gl_dec_abs(dec("-" MAX_TEXT)).units == GL_DEC_MAX_UNITS);
	ck_assert_double_eq(gl_dec_to_double(dec("-2.5")), -2.5);
	ck_assert_double_eq_tol(gl_dec_to_double(dec("12345.678901234")), 12345.678901234, 1e-9);
	ck_assert_double_eq_tol(gl_dec_to_double(dec(MAX_TEXT)), 1.7014118346046923e29, 1e14);
}
END_TEST

START_TEST(test_within_boundary)
{
	struct gl_dec tol = dec("0.001");
	struct gl_dec e = dec("10.000");

	ck_assert(gl_dec_within(e, dec("10.000"), tol));
	ck_assert(gl_dec_within(e, dec("10.001"), tol));
	ck_assert(!gl_dec_within(e, dec("10.0011"), tol));
	ck_assert(!gl_dec_within(e, dec("10.001000001"), tol));
	/* 0.0010000001 is finer than the scale: refused at parse, never rounded
	 * into a pass. */
	assert_refused("10.0010000001", GL_DEC_EPLACES,
	               "'10.0010000001' has more than 9 decimal places");
	/* Negative differences, symmetric. */
	ck_assert(gl_dec_within(e, dec("9.999"), tol));
	ck_assert(!gl_dec_within(e, dec("9.9989"), tol));
	ck_assert(!gl_dec_within(e, dec("9.998999999"), tol));
	/* Expected and actual swapped. */
	ck_assert(gl_dec_within(dec("10.001"), e, tol));
	ck_assert(!gl_dec_within(dec("10.0011"), e, tol));
	/* Zero tolerance: exact only. */
	ck_assert(gl_dec_within(e, dec("10"), dec("0")));
	ck_assert(!gl_dec_within(e, dec("10.000000001"), dec("0")));
	/* A difference too large to represent fails, even with a huge tolerance. */
	ck_assert(!gl_dec_within(dec("-" MAX_TEXT), dec(MAX_TEXT), dec(MAX_TEXT)));
}
END_TEST

Suite *decimal_suite(void)
{
	Suite *s = suite_create("decimal");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_valid);
	tcase_add_test(tc, test_parse_uses_len);
	tcase_add_test(tc, test_parse_invalid);
	tcase_add_test(tc, test_parse_places);
	tcase_add_test(tc, test_parse_overflow);
	tcase_add_test(tc, test_message_cut);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format_half_even);
	tcase_add_test(tc, test_format_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("arithmetic");
	tcase_add_test(tc, test_add_sub);
	tcase_add_test(tc, test_cmp_abs_double);
	tcase_add_test(tc, test_within_boundary);
	suite_add_tcase(s, tc);
	return s;
}
