/* The plain-data result of a run: everything a reporter needs, and nothing
 * that points back into suites, environments or libraries.
 *
 * Ownership: a struct gl_run_result and everything reachable from it belong
 * to whoever holds the run result; gl_run_result_free() frees it all. Strings
 * are raw (not yet redacted, not escaped): reporters pass each one through
 * redact.h and escape for their format. */
#ifndef GL_RESULT_H
#define GL_RESULT_H

#include <stddef.h>
#include <time.h>

enum gl_outcome {
	GL_OUT_PASS,
	GL_OUT_FAIL,  /* the target answered, wrongly: JUnit <failure> */
	GL_OUT_ERROR, /* the target could not be reached or read: JUnit <error> */
	GL_OUT_SKIP,  /* not run, with a reason: JUnit <skipped> */
};

struct gl_case {
	char *id;        /* stable: "suite/check" or "suite/flow/step" */
	char *classname; /* "suite" or "suite.flow" */
	char *name;      /* check id, or step name */
	char *file;      /* the suite file */
	unsigned line;   /* the check's or step's line in it */
	enum gl_outcome outcome;
	char *message; /* one line; NULL on pass. Failures give expected, actual, method and URL */
	char *detail;  /* NULL or more lines: every failed assertion, an excerpt of the body */
	char *method;  /* NULL when nothing was sent */
	char *url;     /* as sent, NULL when nothing was sent */
	long status;   /* HTTP status, 0 when none */
	double seconds;
	unsigned retries; /* transport retries taken; a pass after retries says so in message */
};

/* A JUnit <property>: a name and a value, both owned. */
struct gl_property {
	char *name;
	char *value;
};

struct gl_suite_result {
	char *name;
	char *file;
	char *digest;          /* "sha256:<hex>" of the suite file */
	struct gl_case *cases; /* declaration order, whatever the completion order */
	size_t n_cases;
	double seconds;
	time_t started;
	struct gl_property *props; /* suite-specific properties (replay statistics), after the
	                              standard ones */
	size_t n_props;
};

struct gl_run_result {
	char *env_name;
	char *base_url;
	char *reported_version; /* NULL when no health check ran or it gave none */
	char *harness_version;
	struct gl_suite_result *suites;
	size_t n_suites;
	time_t started;
	time_t finished;
	int interrupted;        /* a signal or deadline cut the run short */
	int not_ready;          /* the environment was not ready or reported another version: the
	                           checks were skipped and nothing else may run (exit code 3) */
	char *not_ready_reason; /* NULL, or why, e.g. "environment not ready after 30 s (last: HTTP
	                           503, Retry-After 1)" */
	double ready_after_s;   /* seconds waited for readiness: until ready, or in vain when
	                           not_ready; 0 without a wait */
	int tls_verify_off;     /* TLS certificates were not verified (the environment says
	                           "tls_verify": false): every report says so */
};

struct gl_counts {
	size_t tests, passed, failures, errors, skipped;
};

void gl_suite_result_counts(const struct gl_suite_result *s, struct gl_counts *out);
void gl_run_result_counts(const struct gl_run_result *r, struct gl_counts *out);
void gl_run_result_free(struct gl_run_result *r);

#endif
