/* Diagnostics: every problem found in the inputs, each with its location.
 *
 * A parser records an error once, where it finds it, and keeps going so that a
 * single run reports every problem of a file. Callers pass the diag down
 * unchanged and look at gl_diag_errors() at the end of a stage. */
#ifndef GL_DIAG_H
#define GL_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* A source position. `file` is lent: it points into the struct that owns the
 * parsed file (a suite or an environment) and lives as long as it. line and
 * col are 1-based; 0 means unknown (then only the file is printed). */
struct gl_pos {
	const char *file;
	unsigned line;
	unsigned col;
};

struct gl_diag_entry {
	struct gl_pos pos; /* pos.file is a private copy owned by the diag */
	char *msg;         /* "unknown key 'expcet' (did you mean 'expect'?)" */
};

struct gl_diag {
	struct gl_diag_entry *entries;
	size_t n;
	size_t cap;
	int oom; /* sticky: an entry could not be recorded */
};

void gl_diag_init(struct gl_diag *d);
void gl_diag_release(struct gl_diag *d);

/* Record an error at pos; msg follows the house style: lowercase, subject
 * quoted, no full stop. */
void gl_diag_add(struct gl_diag *d, struct gl_pos pos, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void gl_diag_vadd(struct gl_diag *d, struct gl_pos pos, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

size_t gl_diag_errors(const struct gl_diag *d);

/* Print "file:line:col: msg" lines, in the order recorded, to fp. */
void gl_diag_print(const struct gl_diag *d, FILE *fp);

/* The closest of candidates[0..n) to word by edit distance, or NULL when none
 * is close enough to be a plausible typo. */
const char *gl_diag_suggest(const char *word, const char *const *candidates, size_t n);

#endif
