/* JSON path expressions: the small subset people write by hand.
 *
 *   $                 the whole document
 *   $.a.b             object members (names of [A-Za-z0-9_-]+)
 *   $.items[0]        array index (0-based; negative counts from the end: [-1])
 *   $["odd key"]      any member name, double-quoted, with \" and \\ escapes
 *   $.items.length()  not supported: use "type" and "count" assertions instead
 *
 * Compiling is pure text work; evaluation against a parsed document lives in
 * assert.c, the module that owns response bodies. */
#ifndef GL_JSONPATH_H
#define GL_JSONPATH_H

#include <stddef.h>

#include "diag.h"

enum gl_jsonpath_step_kind { GL_JP_MEMBER, GL_JP_INDEX };

struct gl_jsonpath_step {
	enum gl_jsonpath_step_kind kind;
	char *member; /* GL_JP_MEMBER */
	long index;   /* GL_JP_INDEX */
};

struct gl_jsonpath {
	char *text; /* as written */
	struct gl_jsonpath_step *steps;
	size_t n_steps;
};

/* Returns 0, or -1 after recording the error at pos in diag. */
int gl_jsonpath_compile(struct gl_jsonpath **out, const char *text, struct gl_pos pos,
                        struct gl_diag *diag);
void gl_jsonpath_free(struct gl_jsonpath *p);

#endif
