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
};

/* Run the plan. *out belongs to the caller (gl_run_result_free). Returns 0,
 * or -1 when greenlight itself failed (out of memory, curl could not
 * initialise); target faults are never a -1, they are in the result. */
int gl_http_run(struct gl_run_result **out, const struct gl_plan *plan);

/* Ask the environment's health check (when one is declared) for the version
 * the target reports, as gl_http_run() does: for provenance (greenlight
 * record). *version (caller frees) stays NULL when there is no health check
 * or it gave no version: the probe informs, it does not decide. Returns 0,
 * or -1 on out of memory or when curl could not initialise. */
int gl_http_probe_version(char **version, const struct gl_env *env);

/* Ask a running gl_http_run() to stop: async-signal-safe (SIGINT, SIGTERM).
 * Transfers in flight are abandoned and every unfinished case is reported as
 * an error "interrupted"; the result is still complete. */
void gl_http_request_stop(void);

#endif
