/* From options to the plan: which files are suites, which checks run.
 *
 * No I/O beyond listing directories; no library types. */
#ifndef GL_PLAN_H
#define GL_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "env.h"
#include "http.h"
#include "suite.h"

/* Expand PATHs (files, or directories searched recursively for *.json,
 * skipping directories named "environments") into a sorted, de-duplicated
 * list of suite files. *out (an array of malloc'd strings) belongs to the
 * caller: gl_plan_paths_free(). A PATH that does not exist, or a directory
 * with no suite, is an error in diag. Returns 0 or -1. */
int gl_plan_expand_paths(char ***out, size_t *n_out, const char *const *paths, size_t n_paths,
                         struct gl_diag *diag);
void gl_plan_paths_free(char **paths, size_t n);

struct gl_selection {
	const char *const *tags; /* a check runs if it has any of these; none given: all */
	size_t n_tags;
	const char *filter;     /* NULL, or fnmatch glob over "suite/check" */
	const char *const *ids; /* --rerun-failed: when n_ids > 0, exactly these "suite/check"
	                           (or "suite/replay") ids, and nothing else */
	size_t n_ids;
	bool allow_mutations;
};

/* Decide, for every check of every suite, whether it runs (see enum
 * gl_sel). A replay suite has no checks: sel[i][0] says whether its replay,
 * "<suite>/replay" to --filter, runs. *out is sel[i][j] as struct gl_plan wants it, owned by the
 * caller: gl_plan_selection_free(out, n_suites). *n_selected counts the checks not GL_SEL_OUT.
 * Returns 0 or -1 on out of memory. */
int gl_plan_select(enum gl_sel ***out, size_t *n_selected, const struct gl_suite *const *suites,
                   size_t n_suites, const struct gl_env *env, const struct gl_selection *sel);
void gl_plan_selection_free(enum gl_sel **sel, size_t n_suites);

/* The first of sel->ids that names no check (or replay) of the suites, or
 * NULL when every one does. A rerun that silently skipped a renamed check
 * would let a merged report read green. */
const char *gl_plan_unknown_id(const struct gl_suite *const *suites, size_t n_suites,
                               const struct gl_selection *sel);

#endif
