/* The libcurl options every request greenlight sends is set up with, in one
 * place: the checks and the health probe (http.c) and the replays
 * (http_replay.c) go through gl_transport_setup(), so no request can be sent
 * with other rules for redirects, protocols or TLS than the others.
 *
 * TLS: the certificate chain and the host name are verified (libcurl's
 * default, set explicitly here), against the environment's ca_file when it
 * has one, else the system's CAs. Only an environment whose file says
 * "tls_verify": false turns both checks off; env.c refuses that for a
 * production environment, and every report says when it happened. */
#ifndef GL_TRANSPORT_H
#define GL_TRANSPORT_H

#include <curl/curl.h>

#include "env.h"

/* Set on easy everything that does not depend on the request: user agent,
 * no redirects, HTTP and HTTPS only, no signals, errbuf (CURL_ERROR_SIZE
 * bytes, lent: it must outlive the transfers) as the error buffer, and the
 * TLS rules of env (NULL: the defaults, verification on). Returns 0, or -1
 * when libcurl refused an option (then nothing may be sent with easy). */
int gl_transport_setup(CURL *easy, const struct gl_env *env, char *errbuf);

#endif
