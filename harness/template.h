/* {{name}} templates.
 *
 * A template is text with {{name}} references (spaces inside the braces are
 * allowed: {{ name }}). Names match [A-Za-z_][A-Za-z0-9_.-]*. There is no
 * escaping of "{{": a literal "{{" that is not a reference is a parse error.
 * Names are resolved at render time through a lookup callback; suite
 * validation uses gl_template_name() to prove, before anything runs, that
 * every name is known. */
#ifndef GL_TEMPLATE_H
#define GL_TEMPLATE_H

#include <stddef.h>

#include "diag.h"

struct gl_template;

/* Parse text. On a syntax error records it in diag at pos (the column is
 * advanced to the offending brace where the text is on one line) and returns
 * -1. *out belongs to the caller: gl_template_free(). */
int gl_template_parse(struct gl_template **out, const char *text, struct gl_pos pos,
                      struct gl_diag *diag);
void gl_template_free(struct gl_template *t);

/* A template of text taken literally, with no references (a regex pattern,
 * a decimal limit): "{{" in it is kept as it is. Returns 0, or -1 on out of
 * memory. *out belongs to the caller: gl_template_free(). */
int gl_template_literal(struct gl_template **out, const char *text, struct gl_pos pos);

/* The original text (lent). */
const char *gl_template_text(const struct gl_template *t);
/* Number of references and the i-th name (lent), in order of appearance. */
size_t gl_template_n_names(const struct gl_template *t);
const char *gl_template_name(const struct gl_template *t, size_t i);
/* Where the template came from (lent). */
struct gl_pos gl_template_pos(const struct gl_template *t);

/* Returns the value of name or NULL when unknown. */
typedef const char *(*gl_lookup_fn)(void *ctx, const char *name);

enum gl_escape {
	GL_ESC_NONE, /* values inserted as they are */
	GL_ESC_JSON, /* values escaped for the inside of a JSON string literal */
};

/* Render into a new NUL-terminated string (*out, caller frees). Returns 0, or
 * -1 with *missing set to the (lent) first name lookup did not know, or -2 on
 * out of memory. */
int gl_template_render(char **out, const char **missing, const struct gl_template *t,
                       gl_lookup_fn lookup, void *ctx, enum gl_escape esc);

#endif
