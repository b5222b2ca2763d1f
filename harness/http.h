/* The runner: executes the selected checks over HTTP with libcurl's multi
 * interface and returns the plain-data result.
 *
 * Up to `jobs` checks are in flight at once; the steps of a flow run in order
 * on one easy handle; connections are reused across checks. Whatever order
 * checks complete in, the result lists them in declaration order. Every
 * selected or skipped check is in the result: nothing declared and selected is
 * ever missing. CURL handles never leave http.c. */
#ifndef GL_HTTP_H
#define GL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "env.h"
#include "result.h"
#include "suite.h"

enum gl_sel {
	GL_SEL_RUN,
	GL_SEL_OUT,           /* not selected: absent from the result */
	GL_SEL_SKIP_MUTATING, /* selected, but mutating in a production environment */
};

struct gl_plan {
	const struct gl_suite *const *suites;
	size_t n_suites;
	enum gl_sel **sel; /* sel[i][j]: suite i, check j */
	const struct gl_env *env;
	unsigned jobs; /* >= 1 */
	const char *harness_version;
	/* Readiness, before any check (see gl_http_run). */
	double wait_healthy_s;      /* > 0: poll env->health until it answers 2xx (and reports
	                               expect_version, when set) for at most this long */
	const char *expect_version; /* NULL, or the version env->health must report, exactly */
	long deadline_ms;           /* > 0: the whole run, readiness wait included */
};

/* Whether the plan's readiness options can be honoured by its environment:
 * wait_healthy_s needs a declared health check, expect_version one with a
 * version path. Returns 0, or -1 with a one-line message in msg (an
 * invocation error: nothing has been sent). */
int gl_http_plan_check(const struct gl_plan *plan, char *msg, size_t size);

/* Run the plan. *out belongs to the caller (gl_run_result_free). Returns 0,
 * or -1 when greenlight itself failed (out of memory, curl could not
 * initialise); target faults are never a -1, they are in the result.
 *
 * Readiness comes first. With wait_healthy_s, the health check is polled
 * (backoff from 200 ms doubling to 5 s, or longer when a Retry-After asks for
 * it) until it answers 2xx and, with expect_version, reports that version: a
 * rolling deploy may serve the old build for a while. Without wait_healthy_s
 * the health check is asked once and only the version must match. When the
 * environment is not ready, every case that would have run is SKIPPED with
 * "not run: <reason>", nothing else is sent, and run->not_ready and
 * run->not_ready_reason say why (exit code 3).
 *
 * Retries (gl_check.retry_max) are of transport errors only, never of an HTTP
 * status or an assertion. A check's deadline_ms bounds its steps and
 * retries: the step running when it passes is an error, the rest skipped.
 * The run's deadline_ms, like a stop request, abandons what is in flight:
 * every unfinished case is an error "run deadline of N s exceeded" and
 * run->interrupted is set. */
int gl_http_run(struct gl_run_result **out, const struct gl_plan *plan);

/* Ask the environment's health check (when one is declared) for the version
 * the target reports, as gl_http_run() does: for provenance (greenlight
 * record). *version (caller frees) stays NULL when there is no health check
 * or it gave no version: the probe informs, it does not decide. Returns 0,
 * or -1 on out of memory or when curl could not initialise. */
int gl_http_probe_version(char **version, const struct gl_env *env);

/* Ask a running gl_http_run() to stop: async-signal-safe (SIGINT, SIGTERM).
 * Transfers in flight are abandoned and every unfinished case is reported as
 * an error "interrupted before completion"; the result is still complete. A
 * request made while no run is going on applies to the next run. */
void gl_http_request_stop(void);

/* The same, from a signal handler: unfinished cases say "interrupted by
 * SIGTERM" (SIGINT, or "signal N" for others). Async-signal-safe. */
void gl_http_request_stop_signal(int sig);

/* Whether a stop was asked for and not yet consumed by gl_http_run(): 0, -1
 * for gl_http_request_stop(), or the signal. The replays poll it. */
int gl_http_stop_pending(void);

#endif
