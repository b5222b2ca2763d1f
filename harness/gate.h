/* The release gate: `greenlight gate --policy FILE VERDICT...` reads the
 * verdict files (verdict.h) of the environments a release went through and
 * decides, against a policy, whether it may be promoted.
 *
 * The policy is a JSON object:
 *
 *   {
 *     "description": "optional text",
 *     "promote_to": "production",
 *     "max_age_hours": 24,
 *     "require": [
 *       { "environment": "staging", "suites": ["smoke", "quotes-http"] },
 *       { "environment": "preprod", "suites": ["smoke"] }
 *     ],
 *     "same_version": true,
 *     "require_junit": true
 *   }
 *
 * Keys:
 *   promote_to     required: the environment the release goes to, named in
 *                  the decision.
 *   require        required: a non-empty array, per environment (each named
 *                  once), of the suites that must have passed there (a
 *                  non-empty array of suite names), and optionally
 *                  "allow_insecure_tls": true (default false) to accept
 *                  verdicts of that environment obtained with TLS
 *                  certificate verification off ("tls_verify": false).
 *   max_age_hours  default 24: a verdict that finished longer ago holds.
 *   same_version   default true: every required verdict reports a version,
 *                  the same one, equal to the version its run expected when
 *                  it expected one.
 *   require_junit  default true: each verdict's JUnit file exists
 *                  (junit.file, relative to the verdict's directory) and
 *                  matches the SHA-256 in the verdict.
 *   description    text, ignored.
 *
 * The decision holds, and says why, for every one of: no verdict given; a
 * verdict that cannot be read, is not a greenlight verdict, or does not add
 * up (counts that do not sum, "pass" with failures, errors, an exit code,
 * an interruption or no passed check); a verdict that says "fail"; a
 * required environment without a verdict; a required suite missing from its
 * environment's verdicts, failed or errored in one, or in which no check
 * passed; a stale verdict (or one finished in the future); a version
 * mismatch; missing or edited JUnit evidence (a verdict whose tls_verify
 * disagrees with its JUnit file's greenlight.tls_verify included); a verdict
 * obtained with TLS verification off, unless its requirement has
 * allow_insecure_tls. Several verdicts for one environment (shards) must each
 * pass, and together cover every required suite. Verdicts for environments
 * the policy does not require are informational: they are noted and do not
 * decide anything.
 *
 * Exit codes (exitcode.h): 0 promote, 1 hold, 2 the policy is invalid (or
 * the invocation is), 4 out of memory. */
#ifndef GL_GATE_H
#define GL_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "diag.h"

#define GL_GATE_DEFAULT_MAX_AGE_HOURS 24

/* Ownership: a decision and everything in it belong to the caller, freed
 * with gl_gate_decision_free(). */
struct gl_gate_decision {
	bool promote;     /* true only when reasons is empty */
	char *promote_to; /* the policy's target */
	char *version;    /* NULL, or the one version every required verdict reports */
	char **reasons;   /* why it holds: "staging: suite 'smoke' failed (3 failures)" */
	size_t n_reasons;
	char **notes; /* informational: verdicts the policy does not require */
	size_t n_notes;
};

/* Read the policy and the n verdicts and decide, as of `now` (time(NULL);
 * tests pass a fixed time). Returns 0 with *out set (promote or hold), or -1
 * with *out NULL after recording in diag why the policy cannot be used
 * (file:line:col for a syntax or schema error) or "out of memory". Problems
 * with verdict files are hold reasons, not errors. */
int gl_gate_decide(struct gl_gate_decision **out, const char *policy_path,
                   const char *const *verdict_paths, size_t n, time_t now, struct gl_diag *diag);

/* The decision, one line each: "note: ..." lines, "hold: <reason>" lines,
 * then "promote: version 2.4.0 to production" or "hold: not promoting to
 * production (N reasons)". Control characters from verdict files are shown
 * as '?', so that a verdict cannot forge a line. */
void gl_gate_print(FILE *fp, const struct gl_gate_decision *d);

/* GL_EXIT_PASS when d promotes, GL_EXIT_FAIL when it holds. */
int gl_gate_exit_code(const struct gl_gate_decision *d);

void gl_gate_decision_free(struct gl_gate_decision *d);

#endif
