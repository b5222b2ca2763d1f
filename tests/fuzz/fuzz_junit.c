/* JUnit files read back by `merge` and `--rerun-failed` (junit_read.h):
 * greenlight's own, and other tools' (pytest, Surefire), through libxml2
 * with no entities and no network. The input is the file.
 *
 * Invariants: a read fails exactly when it records an error; what is read
 * has a name for every suite and case, and each case an id; it merges with
 * itself (the rerun of the same evidence) into the same counts; the rerun
 * selection names only cases that did not pass; and rendered back to JUnit
 * with report_junit.c, it reads back with the same counts: what merge writes,
 * merge can read. The HTML and console reports render it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "junit_read.h"
#include "merge.h"
#include "report.h"

static void same_counts(const struct gl_run_result *a, const struct gl_run_result *b)
{
	struct gl_counts x, y;

	gl_run_result_counts(a, &x);
	gl_run_result_counts(b, &y);
	FUZZ_CHECK(x.tests == y.tests && x.passed == y.passed && x.failures == y.failures &&
	           x.errors == y.errors && x.skipped == y.skipped);
}

static void check_read(const struct gl_run_result *r)
{
	struct gl_counts c;

	for (size_t i = 0; i < r->n_suites; i++) {
		const struct gl_suite_result *s = &r->suites[i];
		FUZZ_CHECK(s->name && s->name[0]);
		for (size_t j = 0; j < s->n_cases; j++)
			FUZZ_CHECK(s->cases[j].id && s->cases[j].name && s->cases[j].classname);
	}
	gl_run_result_counts(r, &c);
	FUZZ_CHECK(c.tests == c.passed + c.failures + c.errors + c.skipped);
}

static void check_rerun(const struct gl_run_result *r)
{
	char **ids = NULL;
	size_t n = 0;
	struct gl_counts c;

	FUZZ_CHECK(gl_rerun_selection(&ids, &n, r) == 0);
	gl_run_result_counts(r, &c);
	FUZZ_CHECK(n <= c.failures + c.errors);
	FUZZ_CHECK((n == 0) == (ids == NULL));
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(ids[i] && strchr(ids[i], '/'));
	gl_rerun_selection_free(ids, n);
}

/* Render r as JUnit and read it back. */
static void check_round_trip(const struct gl_run_result *r)
{
	struct gl_run_result *back = NULL;
	struct gl_diag diag;
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (!fp)
		abort();
	FUZZ_CHECK(gl_report_junit_render(fp, r) == 0);
	if (fclose(fp) != 0)
		abort();
	const char *path = fuzz_file("round-trip.xml", text, len);
	gl_diag_init(&diag);
	if (gl_junit_read(&back, path, &diag) != 0) {
		gl_diag_print(&diag, stderr);
		FUZZ_CHECK(!"greenlight's own JUnit reads back");
	}
	same_counts(r, back);
	FUZZ_CHECK(back->n_suites == r->n_suites);
	gl_run_result_free(back);
	gl_diag_release(&diag);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("fuzz.xml", data, size);
	struct gl_run_result *r = NULL;
	struct gl_run_result *merged = NULL;
	struct gl_diag diag;

	gl_diag_init(&diag);
	if (gl_junit_read(&r, path, &diag) != 0) {
		FUZZ_CHECK(r == NULL && gl_diag_errors(&diag) > 0);
		gl_diag_print(&diag, fuzz_out());
		gl_diag_release(&diag);
		return 0;
	}
	FUZZ_CHECK(gl_diag_errors(&diag) == 0);
	check_read(r);
	check_rerun(r);

	struct gl_run_result *const twice[] = {r, r};
	const char *const names[] = {"a.xml", "b.xml"};
	if (gl_merge(&merged, twice, names, 2, &diag) == 0) {
		same_counts(r, merged);
		check_read(merged);
		gl_run_result_free(merged);
	} else {
		FUZZ_CHECK(merged == NULL && gl_diag_errors(&diag) > 0);
	}
	check_round_trip(r);
	FUZZ_CHECK(gl_report_html_render(fuzz_out(), r) == 0);
	gl_report_console(fuzz_out(), r, true);
	gl_run_result_free(r);
	gl_diag_release(&diag);
	return 0;
}
