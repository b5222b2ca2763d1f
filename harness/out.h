/* A report's output stream whose first failure sticks: a renderer writes
 * without checking each call and asks once, at the end, whether everything
 * reached the stream (gl_out_finish). Used by the JUnit and HTML reports. */
#ifndef GL_OUT_H
#define GL_OUT_H

#include <stddef.h>
#include <stdio.h>

struct gl_out {
	FILE *fp;      /* lent */
	int err;       /* 0, or the errno of the first failure */
	size_t budget; /* the renderer's own cap on what it may still add; unused here */
};

/* Record a failure (err 0 counts as EIO); only the first is kept. */
void gl_out_fail(struct gl_out *o, int err);
/* Write s, or len bytes of s; nothing once a failure stuck. */
void gl_out_put(struct gl_out *o, const char *s);
void gl_out_put_mem(struct gl_out *o, const char *s, size_t len);
/* Formatted text greenlight generates itself: never from the result, so
 * never to be redacted or escaped. */
void gl_out_putf(struct gl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 if everything was written (the stream's error flag included), else -1
 * with errno set to the first failure. */
int gl_out_finish(struct gl_out *o);

#endif
