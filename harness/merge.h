/* Combining run results (shards, reruns) into one, and choosing what to run
 * again. Both read only plain-data results (result.h), typically read back
 * from JUnit files with gl_junit_read().
 *
 * The merge rules, in full:
 *
 * - Suites are matched by name, in order of first appearance; cases by
 *   (classname, name), in order of first appearance. Shards (disjoint cases)
 *   simply concatenate.
 * - A case present in several inputs is kept once: the LATER input's outcome,
 *   message and detail win (a rerun after a fix supersedes the failure), and
 *   the attempts are kept: retries counts the earlier attempts, the detail
 *   starts with one line per attempt ("attempt 1 (a.xml): failure: ...",
 *   "attempt 2 (b.xml): pass"), and the suite gets a property
 *   "greenlight.attempts" = "CLASSNAME/NAME: attempt 1 (a.xml): failure: ...;
 *   attempt 2 (b.xml): pass" (a JUnit file shows no detail for a pass);
 *   past 1000 such properties in a suite, "greenlight.attempts_omitted"
 *   counts the rest.
 *   Except: a skipped attempt never supersedes one that ran. A check not run
 *   is no evidence, and a rerun against an environment that was not ready
 *   must not turn a failure into a skip (which a gate does not count as
 *   red); it is kept in the attempts all the same.
 * - Replay shards: a replay suite run with --shard K/N carries the property
 *   "replay.shard" = "K/N", and its per-field testcases ("cost within
 *   tolerance", "completeness", ...) appear in every shard. Those are
 *   different shards' results, not attempts: when the same case comes from
 *   inputs whose replay.shard differ, every one is kept, named
 *   "NAME [shard K/N]" (and so are the suite's properties). When the shard is
 *   the same, or the later input is not sharded (a rerun of everything), the
 *   later supersedes the earlier as above; a sharded input never supersedes
 *   an unsharded one, which it covers only in part. The merged suite's
 *   replay.shard lists the shards, ", "-separated.
 * - Each merged suite gets "greenlight.merged_from": the inputs that carried
 *   it, ", "-separated, in order (an input's own greenlight.merged_from
 *   stands for it).
 * - Errors, never silent: a suite whose digest differs between inputs
 *   (evidence from different suite versions), or is known in one input and
 *   missing in another; a case that appears twice in one input (two
 *   outcomes in one report are not attempts: neither may hide the other);
 *   inputs that disagree on the environment, the base URL or the version
 *   the target reported (evidence about different targets or deploys is not
 *   one release's evidence: run everything again). The
 *   harness version is taken from the last input that has one. A run is
 *   interrupted if any input was, and without TLS verification if any input
 *   was (greenlight.tls_verify "off"). Start is the earliest, end the latest; a
 *   suite's time is the sum of its inputs'.
 */
#ifndef GL_MERGE_H
#define GL_MERGE_H

#include <stddef.h>

#include "diag.h"
#include "result.h"

/* Merge ins[0..n) (n >= 1), earliest first, into *out, which belongs to the
 * caller: gl_run_result_free(). names[i] names input i in messages, attempts
 * and greenlight.merged_from (the file it was read from); names may be NULL
 * ("input 1", ...). The inputs are only read. Returns 0, or -1 with every
 * problem in diag (each located at the input's name) and *out NULL. */
int gl_merge(struct gl_run_result **out, struct gl_run_result *const *ins, const char *const *names,
             size_t n, struct gl_diag *diag);

/* The check ids to run again: "suite/check" for every case of `last` that
 * failed or errored, in order, without duplicates. A flow step (classname
 * "suite.flow") gives "suite/flow": the whole flow runs again. Any case of a
 * replay suite (one with a "replay.*" property) gives "suite/replay". A case
 * whose classname is neither the suite's name nor "suite.something" (a
 * foreign report) gives "classname/name", which matches no greenlight check:
 * the caller must treat an id that selects nothing as an error, never drop
 * it. Nothing failed: *n is 0 (and *ids NULL).
 *
 * *ids (malloc'd strings) belongs to the caller: gl_rerun_selection_free().
 * Returns 0, or -1 on out of memory. */
int gl_rerun_selection(char ***ids, size_t *n, const struct gl_run_result *last);
void gl_rerun_selection_free(char **ids, size_t n);

#endif
