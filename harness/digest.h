/* Digests (OpenSSL libcrypto). */
#ifndef GL_DIGEST_H
#define GL_DIGEST_H

#include <stddef.h>

/* "sha256:" followed by 64 lowercase hex digits; out must hold 72 bytes. */
#define GL_DIGEST_LEN 72

void gl_digest_sha256(char out[GL_DIGEST_LEN], const void *data, size_t len);
/* Returns 0, or -1 (errno set) when the file cannot be read. Only a regular
 * file is read: anything else (a FIFO, a device such as /dev/zero, a
 * directory), which could block or never end, is refused with EINVAL. */
int gl_digest_sha256_file(char out[GL_DIGEST_LEN], const char *path);

#endif
