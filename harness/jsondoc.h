/* Internal to suite.c and env.c: a JSON file parsed with cJSON, plus the
 * source position of every key and value, and the typed getters both loaders
 * use. cJSON keeps no positions, so after a successful parse the text is
 * walked again in step with the tree (cJSON keeps member and element order).
 *
 * Every helper records its problems in doc->diag at the right position.
 * Ownership: a gl_jsondoc owns its cJSON tree and tables (gl_jsondoc_release);
 * it lends file and text, which must outlive it. Nothing here leaves the two
 * loaders: their results hold plain C data only. */
#ifndef GL_JSONDOC_H
#define GL_JSONDOC_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "diag.h"

/* Larger input files are refused: they are declarations, not data. */
#define GL_JSONDOC_MAX_BYTES (16L * 1024 * 1024)

struct gl_jsondoc_node; /* private: one item's key and value offsets */

struct gl_jsondoc {
	const char *file; /* lent: the file named in positions */
	const char *text; /* lent: the text after any UTF-8 BOM, NUL-terminated */
	size_t len;
	cJSON *root; /* NULL when the text is not JSON */
	struct gl_jsondoc_node *nodes;
	size_t n_nodes;
	size_t cap_nodes;
	size_t *lines; /* offset where each line starts */
	size_t n_lines;
	struct gl_diag *diag; /* lent */
};

/* Read a whole file into *out (NUL-terminated, caller frees; *len excludes the
 * NUL). Missing, unreadable or larger than GL_JSONDOC_MAX_BYTES: an error at
 * {path, 0, 0} and -1. */
int gl_jsondoc_read_file(char **out, size_t *len, const char *path, struct gl_diag *diag);

/* Parse text[0..len) (text[len] must be '\0'). Returns 0 when doc->root is
 * usable (duplicate keys are recorded but do not stop it), -1 after recording
 * why it is not. Release doc in either case. */
int gl_jsondoc_parse(struct gl_jsondoc *doc, const char *file, const char *text, size_t len,
                     struct gl_diag *diag);
void gl_jsondoc_release(struct gl_jsondoc *doc);

/* Where item's value starts, where its key starts (its value when it has no
 * key), and the first character inside a string value or key (for templates,
 * whose own errors point inside the string). */
struct gl_pos gl_jsondoc_pos(const struct gl_jsondoc *doc, const cJSON *item);
struct gl_pos gl_jsondoc_key_pos(const struct gl_jsondoc *doc, const cJSON *item);
struct gl_pos gl_jsondoc_inner_pos(const struct gl_jsondoc *doc, const cJSON *item);
struct gl_pos gl_jsondoc_key_inner_pos(const struct gl_jsondoc *doc, const cJSON *item);

/* The value's text exactly as written (lent, not NUL-terminated). */
const char *gl_jsondoc_literal(const struct gl_jsondoc *doc, const cJSON *item, size_t *len);

/* Compact JSON text of item (*out: caller frees), numbers as written in the
 * file rather than as cJSON's doubles. Returns 0 or -1 on out of memory. */
int gl_jsondoc_compact(char **out, const struct gl_jsondoc *doc, const cJSON *item);

/* Record "unknown key 'k' (did you mean 'x'?)" for every member of obj not in
 * keys[0..n). Returns how many. */
size_t gl_jsondoc_check_keys(struct gl_jsondoc *doc, const cJSON *obj, const char *const *keys,
                             size_t n);

/* obj's member key when its cJSON type is in the mask `types` (cJSON_String,
 * cJSON_True | cJSON_False, ...). Absent: NULL, and when owner is not NULL
 * "<owner> is missing '<key>'" at obj. Another type: NULL and
 * "'<key>' must be <desc>" at the value. */
const cJSON *gl_jsondoc_get(struct gl_jsondoc *doc, const cJSON *obj, const char *key, int types,
                            const char *desc, const char *owner);

/* An integer >= min written as plain digits (no fraction, no exponent).
 * Otherwise "'<name>' must be a positive integer" (min 1) or "... a
 * non-negative integer" (min 0) at the value, and -1. */
int gl_jsondoc_long(long *out, struct gl_jsondoc *doc, const cJSON *item, const char *name,
                    long min);

/* Order the entries recorded since diag->n was `from` by line and column, so
 * that a file's problems read top to bottom whatever order they were found in. */
void gl_jsondoc_sort_diag(struct gl_diag *diag, size_t from);

/* A suite's or environment's default name: its file name without directories
 * and without ".json". Caller frees; NULL on out of memory. */
char *gl_jsondoc_default_name(const char *path);

#endif
