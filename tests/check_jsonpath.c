/* JSON paths: compiling the supported subset, rejecting the rest with a position. */
#include <check.h>
#include <stdlib.h>

#include "check_suites.h"
#include "jsonpath.h"

static const struct gl_pos at = {"p.json", 7, 20};

START_TEST(test_root)
{
	struct gl_diag d;
	struct gl_jsonpath *p = NULL;

	gl_diag_init(&d);
	ck_assert_int_eq(gl_jsonpath_compile(&p, "$", at, &d), 0);
	ck_assert_str_eq(p->text, "$");
	ck_assert_uint_eq(p->n_steps, 0);
	gl_jsonpath_free(p);
	gl_diag_release(&d);
}
END_TEST

START_TEST(test_members_and_indexes)
{
	struct gl_diag d;
	struct gl_jsonpath *p = NULL;

	gl_diag_init(&d);
	ck_assert_int_eq(
	        gl_jsonpath_compile(&p, "$.items[0].a-b_c[-1][\"odd \\\"key\\\\\"]", at, &d), 0);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
	ck_assert_uint_eq(p->n_steps, 5);
	ck_assert_int_eq(p->steps[0].kind, GL_JP_MEMBER);
	ck_assert_str_eq(p->steps[0].member, "items");
	ck_assert_int_eq(p->steps[1].kind, GL_JP_INDEX);
	ck_assert_int_eq(p->steps[1].index, 0);
	ck_assert_str_eq(p->steps[2].member, "a-b_c");
	ck_assert_int_eq(p->steps[3].kind, GL_JP_INDEX);
	ck_assert_int_eq(p->steps[3].index, -1);
	ck_assert_int_eq(p->steps[4].kind, GL_JP_MEMBER);
	ck_assert_str_eq(p->steps[4].member, "odd \"key\\");
	gl_jsonpath_free(p);
	gl_diag_release(&d);
}
END_TEST

static void expect_error(const char *text, unsigned col, const char *msg)
{
	struct gl_diag d;
	struct gl_jsonpath *p = (struct gl_jsonpath *)&d;

	gl_diag_init(&d);
	ck_assert_int_eq(gl_jsonpath_compile(&p, text, at, &d), -1);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(gl_diag_errors(&d), 1);
	ck_assert_uint_eq(d.entries[0].pos.line, 7);
	ck_assert_uint_eq(d.entries[0].pos.col, col);
	ck_assert_str_eq(d.entries[0].msg, msg);
	gl_diag_release(&d);
}

START_TEST(test_invalid)
{
	expect_error("", 20, "invalid JSON path '': a path starts with '$'");
	expect_error("items", 20, "invalid JSON path 'items': a path starts with '$'");
	expect_error("$..a", 22, "invalid JSON path '$..a': expected a member name after '.'");
	expect_error("$.a.", 24, "invalid JSON path '$.a.': expected a member name after '.'");
	expect_error("$.items.length()", 34,
	             "invalid JSON path '$.items.length()': functions are not supported");
	expect_error("$.a[x]", 24,
	             "invalid JSON path '$.a[x]': expected an index or a quoted name after '['");
	expect_error("$.a[1", 25, "invalid JSON path '$.a[1': expected ']'");
	expect_error("$.a[1.5]", 25, "invalid JSON path '$.a[1.5]': expected ']'");
	expect_error("$[\"a\"", 25, "invalid JSON path '$[\"a\"': expected ']'");
	expect_error("$[\"a", 22, "invalid JSON path '$[\"a': unterminated quoted name");
	expect_error("$[\"a\\n\"]", 24,
	             "invalid JSON path '$[\"a\\n\"]': only \\\" and \\\\ escapes are allowed in a "
	             "quoted name");
	expect_error("$a", 21, "invalid JSON path '$a': expected '.' or '['");
	expect_error("$.a b", 23, "invalid JSON path '$.a b': expected '.' or '['");
	expect_error("$[99999999999999999999]", 22,
	             "invalid JSON path '$[99999999999999999999]': index out of range");
}
END_TEST

Suite *jsonpath_suite(void)
{
	Suite *s = suite_create("jsonpath");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_root);
	tcase_add_test(tc, test_members_and_indexes);
	tcase_add_test(tc, test_invalid);
	suite_add_tcase(s, tc);
	return s;
}
