/* Redaction: the one place every output passes through.
 *
 * Secrets are registered once (environment secrets at start, bearer tokens,
 * basic-auth passwords and captures marked secret as they appear). Each is
 * registered with the forms in which it can leak: as it is, base64,
 * URL-encoded, JSON-escaped (also twice: a JSON document inside a JSON
 * string) and XML-escaped. gl_redact() replaces every
 * occurrence of every form with "***". One process-wide registry: greenlight
 * is single-threaded. */
#ifndef GL_REDACT_H
#define GL_REDACT_H

#include <stddef.h>

#define GL_REDACTED "***"

/* Register a secret value (copied). Values shorter than 4 bytes are still
 * registered: a short password is still a password. Empty values are
 * ignored. Returns 0 or -1 on out of memory. */
int gl_redact_add(const char *secret);

/* Register the password of a URL's userinfo (scheme://user:password@host),
 * if it has one. Returns 0 (also when there is none) or -1 on out of memory. */
int gl_redact_add_url_password(const char *url);

/* A new string with every registered form replaced (caller frees), or NULL on
 * out of memory. NULL in, NULL out. */
char *gl_redact(const char *text);
/* The same for a buffer of len bytes; *out_len receives the new length. */
char *gl_redact_mem(const char *text, size_t len, size_t *out_len);
/* The first `cut` bytes of the buffer, redacted, for an excerpt: redact
 * before cutting or cleaning (control bytes to '?', ...), never after, or a
 * secret across the cut or holding such bytes is shown. A secret that starts
 * before the cut is hidden whole; only the head of the buffer is searched.
 * Caller frees; NULL on out of memory. */
char *gl_redact_head(const char *text, size_t len, size_t cut, size_t *out_len);

/* Header names whose values are never shown: Authorization, Proxy-
 * Authorization, Cookie, Set-Cookie (case-insensitive). */
int gl_redact_header_is_sensitive(const char *name);

/* Forget every secret (tests; end of run). */
void gl_redact_reset(void);

#endif
