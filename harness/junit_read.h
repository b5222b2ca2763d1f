/* Reading JUnit XML back into a run result: greenlight's own reports, and
 * reasonably any JUnit (pytest, Surefire, Ant), so that `merge` and
 * `--rerun-failed` work on evidence files and every reporter can render what
 * was read.
 *
 * libxml2 is used here and nowhere else; no libxml2 type leaves this module.
 * The parser never loads external entities or DTDs and never touches the
 * network (no XXE), and files over GL_JUNIT_READ_MAX bytes are refused. */
#ifndef GL_JUNIT_READ_H
#define GL_JUNIT_READ_H

#include "diag.h"
#include "result.h"

#define GL_JUNIT_READ_MAX (256L * 1024 * 1024)

/* Read the JUnit file at path into *out, which belongs to the caller:
 * gl_run_result_free().
 *
 * The root is <testsuites> (suites nested in suites are flattened) or a lone
 * <testsuite>. Each <testcase> becomes a case: classname (default: the
 * suite's name), name, time, and <failure>, <error> or <skipped> with its
 * message (default: the first line of the text) and its text as the detail.
 * When a case carries several of them the worst wins (error, failure, skip).
 * Case ids are "classname/name". The "file:line" first line greenlight writes
 * into a failure is read back into the case's file and line.
 *
 * Properties of a suite go to its props, except greenlight's own, mapped back:
 * greenlight.environment -> env_name, .base_url, .harness_version,
 * .reported_version -> the run's fields; .suite_file -> the suite's file,
 * .suite_digest -> its digest; .interrupted -> interrupted; .tls_verify ->
 * tls_verify_off, set by any value but "on" in any suite (absent: on, as
 * greenlight always verified before the property existed). Suites of one file
 * that disagree on a run field are an error.
 *
 * Errors, each in diag with the path (and the line when known): the file
 * cannot be read or is too large; it is not well-formed XML (libxml2's
 * message and line); the root is not JUnit; a testsuite or testcase has no
 * name; a testsuite declares more failures or errors than its testcases
 * carry (a report cut short must not read as greener than it was). Returns 0,
 * or -1 with *out NULL. */
int gl_junit_read(struct gl_run_result **out, const char *path, struct gl_diag *diag);

#endif
