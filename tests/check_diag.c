/* Diagnostics: recording, printing and typo suggestions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "diag.h"

/* What gl_diag_print writes, as a string (caller frees). */
static char *printed(const struct gl_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(fp);
	gl_diag_print(d, fp);
	fclose(fp);
	return buf;
}

START_TEST(test_print_formats)
{
	struct gl_diag d;
	char file[] = "suites/smoke.json";

	gl_diag_init(&d);
	gl_diag_add(&d, (struct gl_pos){file, 14, 9}, "unknown key '%s'", "expcet");
	gl_diag_add(&d, (struct gl_pos){file, 3, 0}, "no column");
	gl_diag_add(&d, (struct gl_pos){file, 0, 0}, "cannot read '%s'", file);
	gl_diag_add(&d, (struct gl_pos){NULL, 0, 0}, "no file at all");
	/* The diag keeps its own copy of the file name. */
	file[0] = 'X';
	ck_assert_uint_eq(gl_diag_errors(&d), 4);
	char *out = printed(&d);
	ck_assert_str_eq(out, "suites/smoke.json:14:9: unknown key 'expcet'\n"
	                      "suites/smoke.json:3: no column\n"
	                      "suites/smoke.json: cannot read 'suites/smoke.json'\n"
	                      "no file at all\n");
	free(out);
	gl_diag_release(&d);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
}
END_TEST

START_TEST(test_many_entries)
{
	struct gl_diag d;

	gl_diag_init(&d);
	for (int i = 0; i < 100; i++)
		gl_diag_add(&d, (struct gl_pos){"f", (unsigned)i + 1, 1}, "error %d", i);
	ck_assert_uint_eq(gl_diag_errors(&d), 100);
	ck_assert_str_eq(d.entries[99].msg, "error 99");
	ck_assert_uint_eq(d.entries[99].pos.line, 100);
	gl_diag_release(&d);
}
END_TEST

START_TEST(test_suggest)
{
	const char *const keys[] = {"id", "request", "expect", "capture", "steps"};
	const char *const short_names[] = {"a", "b"};

	ck_assert_str_eq(gl_diag_suggest("expcet", keys, 5), "expect");
	ck_assert_str_eq(gl_diag_suggest("reqest", keys, 5), "request");
	ck_assert_str_eq(gl_diag_suggest("Steps", keys, 5), "steps");
	ck_assert_ptr_null(gl_diag_suggest("zzzzzz", keys, 5));
	/* len/3 = 2 for "capt": "capture" is 3 away, too far. */
	ck_assert_ptr_null(gl_diag_suggest("capt", keys, 5));
	/* Short words still allow one edit. */
	ck_assert_str_eq(gl_diag_suggest("c", short_names, 2), "a");
	ck_assert_ptr_null(gl_diag_suggest("x", keys, 0));
}
END_TEST

START_TEST(test_suggest_picks_closest)
{
	const char *const names[] = {"tokens", "token", "toke"};

	/* "tokn" is 1 from "token" and from "toke", 2 from "tokens": first closest wins. */
	ck_assert_str_eq(gl_diag_suggest("tokn", names, 3), "token");
	ck_assert_str_eq(gl_diag_suggest("tokens", names, 3), "tokens");
}
END_TEST

Suite *diag_suite(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_print_formats);
	tcase_add_test(tc, test_many_entries);
	tcase_add_test(tc, test_suggest);
	tcase_add_test(tc, test_suggest_picks_closest);
	suite_add_tcase(s, tc);
	return s;
}
