/* Templates: parsing, error positions and rendering. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "template.h"

static const struct gl_pos at = {"t.json", 4, 10};

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "base_url") == 0)
		return "http://127.0.0.1:8080";
	if (strcmp(name, "quote") == 0)
		return "say \"hi\"\\\n\t\x01";
	if (strcmp(name, "empty") == 0)
		return "";
	if (strcmp(name, "app.version") == 0)
		return "1.2";
	return NULL;
}

START_TEST(test_parse_names)
{
	struct gl_diag d;
	struct gl_template *t = NULL;

	gl_diag_init(&d);
	ck_assert_int_eq(gl_template_parse(&t, "{{base_url}}/x/{{ id }}?v={{app.version}}", at, &d),
	                 0);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
	ck_assert_str_eq(gl_template_text(t), "{{base_url}}/x/{{ id }}?v={{app.version}}");
	ck_assert_uint_eq(gl_template_n_names(t), 3);
	ck_assert_str_eq(gl_template_name(t, 0), "base_url");
	ck_assert_str_eq(gl_template_name(t, 1), "id");
	ck_assert_str_eq(gl_template_name(t, 2), "app.version");
	ck_assert_uint_eq(gl_template_pos(t).line, 4);
	ck_assert_uint_eq(gl_template_pos(t).col, 10);
	gl_template_free(t);
	gl_diag_release(&d);
}
END_TEST

START_TEST(test_render_plain)
{
	struct gl_diag d;
	struct gl_template *t = NULL;
	char *out = NULL;
	const char *missing = NULL;

	gl_diag_init(&d);
	ck_assert_int_eq(
	        gl_template_parse(&t, "{{base_url}}/h}}?x={{empty}}{{ app.version }}", at, &d), 0);
	ck_assert_int_eq(gl_template_render(&out, &missing, t, lookup, NULL, GL_ESC_NONE), 0);
	ck_assert_str_eq(out, "http://127.0.0.1:8080/h}}?x=1.2");
	ck_assert_ptr_null(missing);
	free(out);
	gl_template_free(t);
	gl_diag_release(&d);
}
END_TEST

START_TEST(test_render_json_escape)
{
	struct gl_diag d;
	struct gl_template *t = NULL;
	char *out = NULL;
	const char *missing = NULL;

	gl_diag_init(&d);
	ck_assert_int_eq(gl_template_parse(&t, "{\"m\":\"{{quote}}\"}", at, &d), 0);
	ck_assert_int_eq(gl_template_render(&out, &missing, t, lookup, NULL, GL_ESC_JSON), 0);
	ck_assert_str_eq(out, "{\"m\":\"say \\\"hi\\\"\\\\\\n\\t\\u0001\"}");
	free(out);
	/* The same template without escaping inserts the value as it is. */
	ck_assert_int_eq(gl_template_render(&out, &missing, t, lookup, NULL, GL_ESC_NONE), 0);
	ck_assert_str_eq(out, "{\"m\":\"say \"hi\"\\\n\t\x01\"}");
	free(out);
	gl_template_free(t);
	gl_diag_release(&d);
}
END_TEST

START_TEST(test_render_missing)
{
	struct gl_diag d;
	struct gl_template *t = NULL;
	char *out = (char *)"sentinel";
	const char *missing = NULL;

	gl_diag_init(&d);
	ck_assert_int_eq(gl_template_parse(&t, "{{base_url}}/{{tokn}}/{{other}}", at, &d), 0);
	ck_assert_int_eq(gl_template_render(&out, &missing, t, lookup, NULL, GL_ESC_NONE), -1);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(missing, "tokn");
	gl_template_free(t);
	gl_diag_release(&d);
}
END_TEST

/* Parse text expecting one error; returns the printed message. */
static void expect_error(const char *text, unsigned col, const char *msg)
{
	struct gl_diag d;
	struct gl_template *t = (struct gl_template *)&d;

	gl_diag_init(&d);
	ck_assert_int_eq(gl_template_parse(&t, text, at, &d), -1);
	ck_assert_ptr_null(t);
	ck_assert_uint_eq(gl_diag_errors(&d), 1);
	ck_assert_str_eq(d.entries[0].pos.file, "t.json");
	ck_assert_uint_eq(d.entries[0].pos.line, 4);
	ck_assert_uint_eq(d.entries[0].pos.col, col);
	ck_assert_str_eq(d.entries[0].msg, msg);
	gl_diag_release(&d);
}

START_TEST(test_parse_errors)
{
	expect_error("{{base_url}/x", 10, "unterminated '{{' in '{{base_url}/x'");
	expect_error("abc{{x", 13, "unterminated '{{' in 'abc{{x'");
	expect_error("a {{ 1bad }}", 12, "expected a variable name after '{{' in 'a {{ 1bad }}'");
	expect_error("{{}}", 10, "expected a variable name after '{{' in '{{}}'");
	expect_error("{{a}}{{b c}}", 15, "expected '}}' after '{{b' in '{{a}}{{b c}}'");
	expect_error("literal {{ is not allowed", 18,
	             "unterminated '{{' in 'literal {{ is not allowed'");
	expect_error("a {{ b c }} d", 12, "expected '}}' after '{{b' in 'a {{ b c }} d'");
}
END_TEST

START_TEST(test_error_position_multiline)
{
	struct gl_diag d;
	struct gl_template *t = NULL;

	/* After a line break the column would lie: keep the template's own. */
	gl_diag_init(&d);
	ck_assert_int_eq(gl_template_parse(&t, "line\n{{x", at, &d), -1);
	ck_assert_uint_eq(d.entries[0].pos.col, 10);
	gl_diag_release(&d);
}
END_TEST

START_TEST(test_literal)
{
	struct gl_template *t = NULL;
	char *out = NULL;
	const char *missing = NULL;

	ck_assert_int_eq(gl_template_literal(&t, "^a{{2}}$", at), 0);
	ck_assert_uint_eq(gl_template_n_names(t), 0);
	ck_assert_str_eq(gl_template_text(t), "^a{{2}}$");
	ck_assert_int_eq(gl_template_render(&out, &missing, t, lookup, NULL, GL_ESC_JSON), 0);
	ck_assert_str_eq(out, "^a{{2}}$");
	free(out);
	gl_template_free(t);
}
END_TEST

START_TEST(test_empty_and_no_refs)
{
	struct gl_diag d;
	struct gl_template *t = NULL;
	char *out = NULL;
	const char *missing = NULL;

	gl_diag_init(&d);
	ck_assert_int_eq(gl_template_parse(&t, "", at, &d), 0);
	ck_assert_int_eq(gl_template_render(&out, &missing, t, lookup, NULL, GL_ESC_NONE), 0);
	ck_assert_str_eq(out, "");
	free(out);
	gl_template_free(t);
	ck_assert_int_eq(gl_template_parse(&t, "{ \"a\": {\"b\": 1}}", at, &d), 0);
	ck_assert_uint_eq(gl_template_n_names(t), 0);
	gl_template_free(t);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
	gl_diag_release(&d);
}
END_TEST

Suite *template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_names);
	tcase_add_test(tc, test_render_plain);
	tcase_add_test(tc, test_render_json_escape);
	tcase_add_test(tc, test_render_missing);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_error_position_multiline);
	tcase_add_test(tc, test_literal);
	tcase_add_test(tc, test_empty_and_no_refs);
	suite_add_tcase(s, tc);
	return s;
}
