/* The options every easy handle is sent with. See transport.h. */
#include "transport.h"

#ifndef GL_VERSION
#define GL_VERSION "unknown"
#endif

int gl_transport_setup(CURL *easy, const struct gl_env *env, char *errbuf)
{
	/* Set explicitly, not left to libcurl's defaults: whatever libcurl was
	 * built with, only "tls_verify": false turns verification off. */
	long verify = env && env->tls_verify_off ? 0L : 1L;
	int bad = 0;

	bad |= curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_USERAGENT, "greenlight/" GL_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
#else
	bad |= curl_easy_setopt(easy, CURLOPT_PROTOCOLS,
	                        (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) != CURLE_OK;
#endif
	bad |= curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, verify) != CURLE_OK;
	/* 2 checks the name against the certificate; 0 does not */
	bad |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L) != CURLE_OK;
	if (env && env->ca_file)
		bad |= curl_easy_setopt(easy, CURLOPT_CAINFO, env->ca_file) != CURLE_OK;
	return bad ? -1 : 0;
}
