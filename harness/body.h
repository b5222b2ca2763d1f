/* Response bodies: a NUL-terminated buffer that grows as a transfer delivers
 * data, up to a cap. Shared by the two users of libcurl's write callback
 * (http.c for checks, http_replay.c for replays). */
#ifndef GL_BODY_H
#define GL_BODY_H

#include <stddef.h>

/* Append n bytes of data to *buf (*len bytes used, *cap allocated; *buf may
 * start NULL), keeping a NUL after the last byte. Returns 0; 1 when the body
 * would pass max bytes (nothing is appended: the caller aborts the transfer
 * and reports the cap); -1 on out of memory. */
int gl_body_append(char **buf, size_t *len, size_t *cap, size_t max, const char *data, size_t n);

#endif
