/* Replay: recompute the application's calculations for real (anonymized)
 * cases and compare them with golden outputs, field by field, exactly where
 * it decides and with GSL where it measures.
 *
 * The declaration (struct gl_replay) is loaded by suite.c from a suite file's
 * "replay" object; the runner (replay.c) streams cases -> calculation ->
 * merge with the golden by key -> tolerance.c, and returns a plain-data suite
 * result. Memory stays flat whatever the number of cases: cases and golden
 * are both read in key order and merged, never loaded. */
#ifndef GL_REPLAY_H
#define GL_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "env.h"
#include "jsonpath.h"
#include "result.h"
#include "tolerance.h"

struct gl_request; /* suite.h */
struct gl_suite;   /* suite.h */

enum gl_replay_cases {
	GL_CASES_FILE, /* a fixture file (CSV or JSON Lines) */
	GL_CASES_SQL,  /* a query against the environment's database_url */
	GL_CASES_NONE, /* bulk SQL: the calculation query is its own source of cases */
};

enum gl_replay_calc {
	GL_CALC_HTTP,     /* one request per case, outputs from JSON paths of the response */
	GL_CALC_SQL,      /* a parameterised query per case, prepared once */
	GL_CALC_BULK_SQL, /* one query returning keys and outputs for every case, streamed */
	GL_CALC_FILE,     /* outputs already computed, read from a file (keys + outputs) */
};

struct gl_replay_output {
	char *name;               /* the output field, also its golden column */
	char *path_text;          /* HTTP: JSON path of the value (default "$.<name>") */
	struct gl_jsonpath *path; /* HTTP */
	char *column;             /* SQL and FILE: the column (default: name) */
	struct gl_tol_spec tol;
	struct gl_pos pos;
};

struct gl_replay {
	enum gl_replay_cases cases_kind;
	char *cases_file; /* GL_CASES_FILE; relative to the working directory */
	char *cases_sql;  /* GL_CASES_SQL; must return the keys (sorted: see below) */
	char **keys;      /* the key field(s) identifying a case */
	size_t n_keys;
	/* The fields each case must provide: the keys first, then every
	 * {{case.NAME}} of the request (HTTP) or every SQL parameter. */
	char **case_fields;
	size_t n_case_fields;

	enum gl_replay_calc calc;
	struct gl_request *request; /* GL_CALC_HTTP; templates may use {{case.NAME}} */
	char *sql;                  /* GL_CALC_SQL: $1..$n are params[] */
	char **params;              /* case field names */
	size_t n_params;
	char *bulk_sql;     /* GL_CALC_BULK_SQL: returns keys and output columns */
	char *outputs_file; /* GL_CALC_FILE */

	struct gl_replay_output *outputs;
	size_t n_outputs;
	char *golden; /* golden/NAME.csv */
	struct gl_pos pos;
};

/* Whether the replay reads the environment's database (database_url). */
bool gl_replay_uses_database(const struct gl_replay *r);

/* Cases and outputs must come in increasing key order (byte order of the key
 * parts joined with 0x1f, i.e. ORDER BY ... COLLATE "C" in SQL): the merge
 * with the golden is a single streaming pass. A source out of order is an
 * error of the replay (a failed completeness testcase naming the two keys),
 * never a silent mismatch. */

struct gl_replay_opts {
	const struct gl_env *env; /* variables, database_url */
	unsigned jobs;            /* HTTP requests in flight */
	unsigned shard_k;         /* 1-based; shard_n <= 1: everything */
	unsigned shard_n;
	bool per_case;            /* --junit-per-case: one testcase per case instead of per field */
	bool allow_edited_golden; /* accept a golden whose digest no longer matches its sidecar */
	/* CLOCK_MONOTONIC seconds by which the whole run must end (--deadline);
	 * 0: none. Past it, or on SIGINT/SIGTERM (gl_http_stop_pending()), the
	 * replay stops: completeness is an error saying why, the fields keep what
	 * was compared. */
	double deadline_mono;
};

/* Run one replay suite against its golden. out is filled (its name, file,
 * digest, cases and properties), owned by the caller like any suite result.
 * The testcases, classname "<suite>":
 *   "<field> within tolerance"  one per output field: fails naming the worst
 *                               cases (key, expected, actual, difference; at
 *                               most 20, then the count of the rest);
 *   "<field> drift"             the exact sum of signed differences within
 *                               its budget;
 *   "<field> bias"              sign test and t test: fails when a lean is
 *                               both significant and large enough to matter;
 *   "completeness"              every golden case produced once, nothing
 *                               unexpected, nothing unparsable, no duplicate
 *                               key, sources in order; fails listing them.
 * A calculation that cannot be carried out at all (database unreachable,
 * fixture missing, golden missing) makes every testcase an error with the
 * reason. Properties carry per field: count, mean, stddev, max_abs, p50, p95,
 * p99, sum, the histogram; and rows (cases, golden, produced, exact, within,
 * out, missing, unexpected, unparsable, errors) and the golden digest.
 * Returns 0, or -1 only when greenlight itself failed (out of memory). */
int gl_replay_run(struct gl_suite_result *out, const struct gl_suite *s,
                  const struct gl_replay_opts *opts);

/* The testcases gl_replay_run() would give, every one with `outcome` and
 * `reason`: a replay not run because the environment was not ready
 * (GL_OUT_SKIP) or the run was interrupted first (GL_OUT_ERROR). Nothing
 * declared and selected is missing from a report. Returns 0 or -1 (out of
 * memory). */
int gl_replay_not_run(struct gl_suite_result *out, const struct gl_suite *s, bool per_case,
                      enum gl_outcome outcome, const char *reason);

/* greenlight record: compute every case (sharding ignored) and write the
 * golden with its sidecar (golden.h), refusing to overwrite unless update.
 * Returns 0, or -1 with err set. */
int gl_replay_record(const struct gl_suite *s, const struct gl_replay_opts *opts, bool update,
                     FILE *report, char *err, size_t errlen);

#endif
