/* The verdict file: a small JSON summary of one run that a release gate
 * (gate.h) reads, written after the JUnit file so that it can carry the JUnit
 * file's SHA-256.
 *
 *   { "format": "greenlight-verdict/1", "verdict": "pass" | "fail",
 *     "exit_code": 0, "environment": "staging", "base_url": "...",
 *     "version_expected": "2.4.0" | null, "version_reported": "2.4.0" | null,
 *     "harness_version": "0.1.0", "tls_verify": true,
 *     "started_at": "2026-11-22T03:00:00Z", "finished_at": "...",
 *     "counts": { "tests", "passed", "failures", "errors", "skipped" },
 *     "suites": [ { "name", "file", "digest", "tests", "passed", "failures",
 *                   "errors", "skipped", "golden_digest" (replays only) } ],
 *     "selection": { "tags": [...], "filter": "..." | null, "shard": "K/N" | null },
 *     "interrupted": false,
 *     "junit": { "file": "junit.xml", "sha256": "sha256:..." } | null }
 *
 * "verdict" is "pass" only when the exit code is 0, at least one check
 * passed, none failed or errored, and the run was not interrupted: a run of
 * zero checks is a "fail". "tls_verify" is false when the environment turned
 * TLS certificate verification off: the verdict may still say "pass", and the
 * gate holds it unless its policy allows that environment to be insecure.
 * junit.file is relative to the verdict file's directory (absolute only when
 * no relative path exists), so that the two files can be moved together.
 * Every string passes through gl_redact().
 *
 * The only module that uses cJSON for verdicts on the writing side. */
#ifndef GL_VERDICT_H
#define GL_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

#define GL_VERDICT_FORMAT "greenlight-verdict/1"

/* What the verdict says that the run result does not. Everything is lent. */
struct gl_verdict_info {
	const char *junit_path;       /* NULL when no JUnit file was written */
	const char *expected_version; /* NULL when the environment expects none */
	const char *const *tags;      /* the --tag selection */
	size_t n_tags;
	const char *filter; /* NULL or the --filter glob */
	unsigned shard_k;   /* --shard K/N; shard_n 0: no sharding */
	unsigned shard_n;
	int exit_code; /* the exit code greenlight is about to return */
};

/* True when the run deserves "pass" (see above). */
bool gl_verdict_passed(const struct gl_run_result *r, int exit_code);

/* Render the verdict JSON into *out (caller frees; NUL-terminated, ends with
 * a newline). junit_rel is what goes in junit.file (NULL: the info's path as
 * given). Returns 0, or -1 with a message on stderr (the JUnit file cannot be
 * read, out of memory). */
int gl_verdict_render(char **out, const struct gl_run_result *r, const struct gl_verdict_info *info,
                      const char *junit_rel);

/* Write the verdict to path atomically (harness/atomic.h). Returns 0, or -1
 * with a message on stderr naming the path and the reason; greenlight then
 * exits GL_EXIT_HARNESS. */
int gl_verdict_write(const char *path, const struct gl_run_result *r,
                     const struct gl_verdict_info *info);

#endif
