/* Every module's Check suite, for tests/check_main.c. */
#ifndef GL_CHECK_SUITES_H
#define GL_CHECK_SUITES_H

#include <check.h>

Suite *diag_suite(void);
Suite *template_suite(void);
Suite *jsonpath_suite(void);
Suite *suite_suite(void);
Suite *env_suite(void);
Suite *expect_suite(void);
Suite *http_suite(void);
Suite *redact_suite(void);
Suite *report_suite(void);
Suite *costd_suite(void);
Suite *decimal_suite(void);
Suite *tolerance_suite(void);
Suite *golden_suite(void);
Suite *pg_suite(void);
Suite *source_suite(void);
Suite *replay_suite(void);
Suite *junit_read_suite(void);
Suite *verdict_suite(void);
Suite *gate_suite(void);
Suite *report_html_suite(void);

#endif
