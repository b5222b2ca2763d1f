/* Reporters: render a run result. They read only the result. */
#ifndef GL_REPORT_H
#define GL_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "result.h"

/* Render r with `render` into a temporary file beside path and rename it
 * over path (atomic.h): a reader never sees half a report, and a failed
 * write leaves the old file intact. Returns 0, or -1 with "greenlight:
 * cannot write 'PATH': reason" on stderr. Every report writer is this. */
int gl_report_write(const char *path, const struct gl_run_result *r,
                    int (*render)(FILE *fp, const struct gl_run_result *r));

/* Write JUnit XML to path: to a temporary file in the same directory, flushed
 * and fsync'd, then renamed over path, so that a reader never sees half a
 * report and a failed write leaves the old file intact. Returns 0, or -1 with
 * a message on stderr naming the path and the reason. */
int gl_report_junit_write(const char *path, const struct gl_run_result *r);

/* Render JUnit XML to fp (used by the writer above and by tests). */
int gl_report_junit_render(FILE *fp, const struct gl_run_result *r);

/* Write one self-contained HTML5 page to path, atomically as above: the
 * verdict, every suite and case with its outcome, failures with their message
 * and detail, and for replay suites a histogram of the differences, the drift,
 * the statistics and the worst cases. Inline CSS, no script, nothing fetched
 * from anywhere (a Content-Security-Policy says so). Every string is redacted
 * and escaped; details are capped per case and per page. Returns 0, or -1
 * with a message on stderr naming the path and the reason. */
int gl_report_html_write(const char *path, const struct gl_run_result *r);

/* Render the HTML page to fp (used by the writer above and by tests). Returns
 * 0, or -1 with errno set on a write error or out of memory. */
int gl_report_html_render(FILE *fp, const struct gl_run_result *r);

/* The human summary: a line per case (PASS/FAIL/ERROR/SKIP, id, time, the
 * message), the totals, the verdict. Colour only when `color`. */
void gl_report_console(FILE *fp, const struct gl_run_result *r, bool color);

#endif
