/* The one Check runner: every module's suite. CK_RUN_SUITE=<name> (set by
 * tests/meson.build) runs one suite, so each shows as its own meson test. */
#include <check.h>
#include <stdlib.h>

#include "check_suites.h"
#include "redact.h"

int main(void)
{
	SRunner *sr = srunner_create(diag_suite());
	srunner_add_suite(sr, template_suite());
	srunner_add_suite(sr, jsonpath_suite());
	srunner_add_suite(sr, suite_suite());
	srunner_add_suite(sr, env_suite());
	srunner_add_suite(sr, expect_suite());
	srunner_add_suite(sr, http_suite());
	srunner_add_suite(sr, redact_suite());
	srunner_add_suite(sr, report_suite());
	srunner_add_suite(sr, costd_suite());
	srunner_add_suite(sr, decimal_suite());
	srunner_add_suite(sr, tolerance_suite());
	srunner_add_suite(sr, golden_suite());
	srunner_add_suite(sr, pg_suite());
	srunner_add_suite(sr, source_suite());
	srunner_add_suite(sr, replay_suite());
	srunner_add_suite(sr, junit_read_suite());
	srunner_add_suite(sr, verdict_suite());
	srunner_add_suite(sr, gate_suite());
	srunner_add_suite(sr, report_html_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Connecting registers the database password for redaction, in one
	 * registry for the process: released as greenlight's main releases it,
	 * so that under valgrind nothing is left. */
	gl_redact_reset();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
