/* Replacing a file atomically: write a temporary in the same directory,
 * flush and fsync it, then rename it over the target, so that a reader sees
 * either the old file or the whole new one, never half of it, and a failed
 * write leaves the old file intact.
 *
 * Used by the JUnit writer and by golden recording, which writes two
 * temporaries, reads them back, and renames them in an order of its own. */
#ifndef GL_ATOMIC_H
#define GL_ATOMIC_H

#include <stdio.h>

struct gl_atomic {
	char *path; /* malloced copy of the target */
	char *tmp;  /* malloced: the temporary "PATH.XXXXXX"; NULL once renamed or removed */
	FILE *fp;   /* open for writing until gl_atomic_close(); NULL after */
};

/* Create the temporary for path (mode as a plain fopen would give it, not
 * mkstemp's 0600) and open a->fp on it. Returns 0, or -1 with errno set and
 * nothing left behind (*a is then empty: gl_atomic_abort() is harmless). */
int gl_atomic_open(struct gl_atomic *a, const char *path);

/* Flush, fsync and close a->fp; a write error seen at any point of the
 * stream is reported here. The temporary stays (a->tmp) to be read back or
 * committed. Returns 0, or -1 with errno set. Idempotent once closed. */
int gl_atomic_close(struct gl_atomic *a);

/* gl_atomic_close() if still open, then rename the temporary over the target
 * and fsync the directory (best effort). On failure the temporary is
 * removed. Either way *a is released. Returns 0, or -1 with errno set. */
int gl_atomic_commit(struct gl_atomic *a);

/* Close and remove the temporary, release *a. The target is untouched. */
void gl_atomic_abort(struct gl_atomic *a);

#endif
