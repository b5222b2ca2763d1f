/* The runner over HTTP: libcurl's multi interface. See http.h.
 *
 * Each selected check is a task: its steps run in order on one easy handle.
 * Up to plan->jobs tasks are in flight; the multi handle's connection cache
 * lets them share connections. Every case has a preallocated slot in the
 * result, filled at the start with "interrupted before completion": a case
 * that is never reached (a stop request, a bug) reads as an error, never as a
 * pass. */
#include "http.h"

#include "body.h"

#include <curl/curl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "expect.h"
#include "jsonpath.h"
#include "redact.h"
#include "template.h"
#include "transport.h"

#ifndef GL_VERSION
#define GL_VERSION "unknown"
#endif

/* How long one wait may block before the stop flag is looked at again. */
#define POLL_MS 100
/* A response with more headers than this is not read: a hostile or broken
 * target must not make the harness grow without bound. */
#define MAX_HEADERS 1000
/* Bytes of the body shown in a failure's detail. */
#define DETAIL_BODY_CAP 2048

#define INTERRUPTED "interrupted before completion"

/* Readiness polling: the first wait, doubling up to the cap. */
#define READY_BACKOFF_MS     200
#define READY_BACKOFF_CAP_MS 5000
/* The shortest timeout a readiness probe is given, even at the end of the wait. */
#define READY_MIN_TIMEOUT_MS 100
/* Characters of a reported version quoted in a message. */
#define VERSION_QUOTE_CAP 200

/* 0, -1 for gl_http_request_stop(), or the signal that asked for the stop. */
static volatile sig_atomic_t stop_requested;

void gl_http_request_stop(void)
{
	stop_requested = -1;
}

void gl_http_request_stop_signal(int sig)
{
	stop_requested = sig > 0 ? sig : -1;
}

int gl_http_stop_pending(void)
{
	return stop_requested;
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What may cut a run short: a stop request, or the run's deadline. */
struct runctl {
	double deadline; /* monotonic seconds; 0: none */
	int deadline_hit;
};

static int should_stop(struct runctl *ctl)
{
	if (stop_requested)
		return 1;
	if (ctl->deadline > 0 && mono_now() >= ctl->deadline)
		ctl->deadline_hit = 1;
	return ctl->deadline_hit;
}

/* Milliseconds until the run's deadline, capped at cap. */
static long ms_left(const struct runctl *ctl, long cap)
{
	if (ctl->deadline <= 0)
		return cap;
	double left = (ctl->deadline - mono_now()) * 1000.0;
	if (left < 0)
		return 0;
	return left < (double)cap ? (long)left + 1 : cap;
}

/* One capture of an earlier step, as a template variable. */
struct var {
	char *name;
	char *value;
};

/* What one transfer is receiving. */
struct xfer {
	struct gl_response resp;
	size_t body_cap; /* allocated */
	size_t max_body; /* the request's limit */
	size_t header_cap;
	int too_big;
	int too_many_headers;
	int oom;
};

struct task {
	const struct gl_suite *suite;
	const struct gl_check *check;
	struct gl_case *cases; /* check->n_steps slots in the result */
	double *suite_seconds;
	time_t *suite_started;
	const struct gl_env *env;
	size_t step;
	CURL *easy;
	char *errbuf; /* CURL_ERROR_SIZE bytes, with easy: a run keeps a task per check,
	                 and only those started need one */
	struct curl_slist *headers;
	char *body; /* the rendered request body */
	struct xfer x;
	struct var *vars; /* captures, in order taken; later ones shadow earlier */
	size_t n_vars;
	long timeout_cap_ms;     /* > 0: no transfer of this task gets a longer timeout */
	double flow_end;         /* > 0: the check's deadline_ms, as a monotonic time */
	int flow_capped;         /* the current transfer's timeout was cut to flow_end */
	int flow_expired;        /* the check's deadline passed */
	const char *first_error; /* the current step's first transient error, when retried */
	double resume_at;        /* > 0: waiting to retry the current step until then */
	int running;             /* added to the multi */
	int done;
};

/* Templates see a flow's captures first, then the environment. */
static const char *task_lookup(void *ctx, const char *name)
{
	const struct task *t = ctx;
	for (size_t i = t->n_vars; i-- > 0;)
		if (strcmp(t->vars[i].name, name) == 0)
			return t->vars[i].value;
	/* gl_env_lookup does not modify the environment; its signature takes
	 * void * to fit gl_lookup_fn */
	return t->env ? gl_env_lookup((void *)t->env, name) : NULL;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static void set_message(struct gl_case *c, char *msg)
{
	free(c->message);
	c->message = msg;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	struct gl_response *r = &x->resp;

	/* returning less than n aborts the transfer: the rest is not read */
	switch (gl_body_append(&r->body, &r->body_len, &x->body_cap, x->max_body, data, n)) {
	case 0:
		return n;
	case 1:
		x->too_big = 1;
		return 0;
	default:
		x->oom = 1;
		return 0;
	}
}

static void clear_headers(struct gl_response *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	r->n_headers = 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	struct gl_response *r = &x->resp;
	size_t n = size * nmemb;
	size_t len = n;

	/* A status line starts a response: only the final one's headers count
	 * (after "100 Continue", for instance). */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		clear_headers(r);
		return n;
	}
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	const char *colon = memchr(data, ':', len);
	if (!colon)
		return n;
	if (r->n_headers == MAX_HEADERS) {
		x->too_many_headers = 1;
		return 0;
	}
	if (r->n_headers == x->header_cap) {
		size_t cap = x->header_cap ? x->header_cap * 2 : 16;
		struct gl_header *h = realloc(r->headers, cap * sizeof *h);
		if (!h) {
			x->oom = 1;
			return 0;
		}
		r->headers = h;
		x->header_cap = cap;
	}
	const char *v = colon + 1;
	const char *end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	char *name = strndup(data, (size_t)(colon - data));
	char *value = strndup(v, (size_t)(end - v));
	if (!name || !value) {
		free(name);
		free(value);
		x->oom = 1;
		return 0;
	}
	r->headers[r->n_headers].name = name;
	r->headers[r->n_headers].value = value;
	r->n_headers++;
	return n;
}

static void xfer_reset(struct xfer *x, long max_body)
{
	gl_response_release(&x->resp);
	memset(x, 0, sizeof *x);
	x->max_body = max_body > 0 ? (size_t)max_body : (size_t)GL_DEFAULT_MAX_BODY_BYTES;
	x->resp.cert_days = LONG_MIN;
}

static const char *month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Seconds since the epoch of a certificate date as curl prints it with
 * OpenSSL ("Jan  1 00:00:00 2030 GMT") or other TLS backends ("2030-01-01
 * 00:00:00 GMT"); -1 when it cannot be read. */
static long long cert_time(const char *s)
{
	struct tm tm = {0};
	char mon[4] = {0};
	int y, mo = 0, d, h, mi, se;

	if (sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se) == 6) {
		/* mo already set */
	} else if (sscanf(s, "%3s %d %d:%d:%d %d", mon, &d, &h, &mi, &se, &y) == 6) {
		for (int i = 0; i < 12; i++)
			if (strcmp(mon, month_names[i]) == 0)
				mo = i + 1;
	} else {
		return -1;
	}
	if (mo < 1 || mo > 12)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (long long)timegm(&tm);
}

/* Whole days until the leaf certificate expires, or LONG_MIN without TLS. */
static long cert_days(CURL *easy)
{
	struct curl_certinfo *ci = NULL;
	if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
	    ci->num_of_certs < 1)
		return LONG_MIN;
	for (struct curl_slist *e = ci->certinfo[0]; e; e = e->next) {
		if (strncmp(e->data, "Expire date:", 12) != 0)
			continue;
		long long t = cert_time(e->data + 12 + strspn(e->data + 12, " "));
		if (t < 0)
			return LONG_MIN;
		long long left = t - (long long)time(NULL);
		/* whole days, rounded towards minus infinity: an expired
		 * certificate has a negative count */
		long long days = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
		return (long)days;
	}
	return LONG_MIN;
}

/* A short class of a transfer error for the one-line message. */
static const char *error_class(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return "connection refused";
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "DNS failure";
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return "connection reset";
	case CURLE_GOT_NOTHING:
		return "empty reply";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return "TLS error";
	case CURLE_UNSUPPORTED_PROTOCOL:
		return "unsupported protocol";
	case CURLE_URL_MALFORMAT:
		return "malformed URL";
	case CURLE_BAD_CONTENT_ENCODING:
		return "bad content encoding";
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return "protocol error";
	default:
		return "transfer error";
	}
}

/* The URL with the query parameters appended, URL-encoded. */
static int build_url(char **out, CURL *easy, const char *base, const struct gl_request *req,
                     struct task *t, const char **missing)
{
	size_t len = strlen(base);
	size_t cap = len + 1;
	char *url = malloc(cap);
	if (!url)
		return -2;
	memcpy(url, base, len + 1);
	char sep = strchr(base, '?') ? '&' : '?';
	if (len && (base[len - 1] == '?' || base[len - 1] == '&'))
		sep = 0;

	for (size_t i = 0; i < req->n_query; i++) {
		char *value = NULL;
		int rc = gl_template_render(&value, missing, req->query[i].value, task_lookup, t,
		                            GL_ESC_NONE);
		if (rc < 0) {
			free(url);
			return rc;
		}
		char *en = curl_easy_escape(easy, req->query[i].name, 0);
		char *ev = curl_easy_escape(easy, value, 0);
		free(value);
		if (!en || !ev) {
			curl_free(en);
			curl_free(ev);
			free(url);
			return -2;
		}
		size_t add = 1 + strlen(en) + 1 + strlen(ev);
		char *p = realloc(url, len + add + 1);
		if (!p) {
			curl_free(en);
			curl_free(ev);
			free(url);
			return -2;
		}
		url = p;
		len += (size_t)sprintf(url + len, "%s%s=%s", sep ? (char[]){sep, 0} : "", en, ev);
		sep = '&';
		curl_free(en);
		curl_free(ev);
	}
	*out = url;
	return 0;
}

static int has_header(const struct gl_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return 1;
	return 0;
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	/* "Name;" is curl's way to send a header with an empty value */
	char *line = *value ? xprintf("%s: %s", name, value) : xprintf("%s;", name);
	if (!line)
		return -2;
	struct curl_slist *l = curl_slist_append(*list, line);
	free(line);
	if (!l)
		return -2;
	*list = l;
	return 0;
}

/* Render a template owned by the request, registering the value as a secret
 * when asked. */
static int render(char **out, const char **missing, const struct gl_template *tpl, struct task *t,
                  enum gl_escape esc, int secret)
{
	int rc = gl_template_render(out, missing, tpl, task_lookup, t, esc);
	if (rc == 0 && secret && gl_redact_add(*out) < 0) {
		free(*out);
		*out = NULL;
		return -2;
	}
	return rc;
}

/* Set up the easy handle for the current step. Returns 0, -1 after a render
 * failure (*missing set), -2 on out of memory. */
static int prepare(struct task *t, const char **missing)
{
	const struct gl_step *step = &t->check->steps[t->step];
	const struct gl_request *req = &step->request;
	struct gl_case *c = &t->cases[t->step];
	CURL *e = t->easy;
	char *url = NULL;
	char *user = NULL;
	char *secret = NULL;
	char *value = NULL;
	int rc;

	curl_easy_reset(e);
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	free(t->body);
	t->body = NULL;
	xfer_reset(&t->x, req->max_body_bytes);
	t->errbuf[0] = '\0';

	rc = render(&value, missing, req->url, t, GL_ESC_NONE, 0);
	if (rc < 0)
		goto out;
	rc = build_url(&url, e, value, req, t, missing);
	if (rc < 0)
		goto out;
	free(c->url);
	c->url = url;
	/* A URL may carry credentials (user:password@host): never shown. */
	if (gl_redact_add_url_password(url) < 0) {
		rc = -2;
		goto out;
	}

	for (size_t i = 0; i < req->n_headers; i++) {
		free(value);
		value = NULL;
		rc = render(&value, missing, req->headers[i].value, t, GL_ESC_NONE,
		            gl_redact_header_is_sensitive(req->headers[i].name));
		if (rc < 0)
			goto out;
		rc = add_header(&t->headers, req->headers[i].name, value);
		if (rc < 0)
			goto out;
	}
	if (req->body_kind != GL_BODY_NONE && req->body) {
		enum gl_escape esc = req->body_kind == GL_BODY_JSON ? GL_ESC_JSON : GL_ESC_NONE;
		rc = render(&t->body, missing, req->body, t, esc, 0);
		if (rc < 0)
			goto out;
		if (req->body_kind == GL_BODY_JSON && !has_header(req, "Content-Type")) {
			rc = add_header(&t->headers, "Content-Type", "application/json");
			if (rc < 0)
				goto out;
		}
	}
	if (req->auth_kind == GL_AUTH_BEARER) {
		rc = render(&secret, missing, req->auth_token, t, GL_ESC_NONE, 1);
		if (rc < 0)
			goto out;
		char *h = xprintf("Bearer %s", secret);
		rc = h ? add_header(&t->headers, "Authorization", h) : -2;
		free(h);
		if (rc < 0)
			goto out;
	} else if (req->auth_kind == GL_AUTH_BASIC) {
		rc = render(&user, missing, req->auth_user, t, GL_ESC_NONE, 0);
		if (rc < 0)
			goto out;
		rc = render(&secret, missing, req->auth_password, t, GL_ESC_NONE, 1);
		if (rc < 0)
			goto out;
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, secret);
	}
	/* curl would otherwise wait up to a second for "100 Continue" on
	 * bigger bodies */
	struct curl_slist *l = curl_slist_append(t->headers, "Expect:");
	if (!l) {
		rc = -2;
		goto out;
	}
	t->headers = l;

	if (!c->method) {
		c->method = strdup(req->method ? req->method : "GET");
		if (!c->method) {
			rc = -2;
			goto out;
		}
	}
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	/* after curl_easy_reset(): every step gets the common options again */
	if (gl_transport_setup(e, t->env, t->errbuf) < 0) {
		rc = -2;
		goto out;
	}
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : GL_DEFAULT_TIMEOUT_MS;
	if (t->timeout_cap_ms > 0 && t->timeout_cap_ms < timeout)
		timeout = t->timeout_cap_ms;
	t->flow_capped = 0;
	if (t->flow_end > 0) {
		double left = (t->flow_end - mono_now()) * 1000.0;
		if (left < (double)timeout) {
			/* curl takes 0 as "no timeout": at least 1 ms */
			timeout = left < 1 ? 1 : (long)left;
			t->flow_capped = 1;
		}
	}
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 req->connect_timeout_ms > 0 ? req->connect_timeout_ms
	                                             : GL_DEFAULT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &t->x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	if (strncasecmp(c->url, "https:", 6) == 0) {
		curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
		/* certificate details come from a handshake: a reused
		 * connection has none to give */
		for (size_t i = 0; i < step->n_asserts; i++)
			if (step->asserts[i].target == GL_T_CERT_DAYS)
				curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	}

	const char *m = req->method ? req->method : "GET";
	if (strcmp(m, "GET") == 0 && !t->body) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
		if (t->body || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
		    strcmp(m, "PATCH") == 0) {
			/* an empty body still sends Content-Length: 0 */
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body ? t->body : "");
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			                 (curl_off_t)(t->body ? strlen(t->body) : 0));
		}
	}
	rc = 0;
out:
	free(value);
	free(user);
	free(secret);
	return rc;
}

/* Append the response and up to DETAIL_BODY_CAP bytes of its body. */
static char *failure_detail(const char *failures, const struct gl_response *r)
{
	size_t n = r->body_len < DETAIL_BODY_CAP ? r->body_len : DETAIL_BODY_CAP;
	/* do not cut a UTF-8 sequence in half */
	if (n < r->body_len)
		while (n > 0 && ((unsigned char)r->body[n] & 0xC0) == 0x80)
			n--;
	/* redacted before it is cut and cleaned: a secret across the cut, or one
	 * holding a control byte, would no longer be recognised later */
	size_t len;
	char *excerpt = gl_redact_head(r->body ? r->body : "", r->body_len, n, &len);
	if (!excerpt)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)excerpt[i];
		/* NULs and other control bytes cannot travel in a report */
		if ((ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') || ch == 0x7f)
			excerpt[i] = '?';
	}
	char *d = xprintf("%s\nresponse: HTTP %ld, %zu bytes%s%s%s", failures ? failures : "",
	                  r->status, r->body_len, len ? "\n" : "", excerpt,
	                  n < r->body_len ? "\n..." : "");
	free(excerpt);
	return d;
}

static int add_captures(struct task *t, struct gl_eval *ev)
{
	if (!ev->n_captures)
		return 0;
	struct var *v = realloc(t->vars, (t->n_vars + ev->n_captures) * sizeof *v);
	if (!v)
		return -1;
	t->vars = v;
	for (size_t i = 0; i < ev->n_captures; i++) {
		/* moved, not copied */
		t->vars[t->n_vars].name = ev->captures[i].name;
		t->vars[t->n_vars].value = ev->captures[i].value;
		ev->captures[i].name = NULL;
		ev->captures[i].value = NULL;
		t->n_vars++;
	}
	return 0;
}

/* Record the outcome of the finished transfer of the current step. */
static int finish_step(struct task *t, CURLcode code)
{
	const struct gl_step *step = &t->check->steps[t->step];
	struct gl_case *c = &t->cases[t->step];
	struct gl_response *r = &t->x.resp;
	curl_off_t us = 0;
	long status = 0;

	curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &us);
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	r->status = status;
	r->total_seconds = (double)us / 1e6;
	c->status = status;
	c->seconds += r->total_seconds;
	*t->suite_seconds += r->total_seconds;
	if (t->x.oom)
		return -1;

	if (code != CURLE_OK || t->x.too_big || t->x.too_many_headers) {
		char *msg;
		c->outcome = GL_OUT_ERROR;
		if (code == CURLE_OPERATION_TIMEDOUT && t->flow_capped) {
			t->flow_expired = 1;
			msg = xprintf("flow deadline of %ld ms exceeded: %s %s",
			              t->check->deadline_ms, c->method, c->url);
		} else if (t->x.too_big)
			msg = xprintf("response body exceeds %zu bytes: %s %s", t->x.max_body,
			              c->method, c->url);
		else if (t->x.too_many_headers)
			msg = xprintf("response has more than %d headers: %s %s", MAX_HEADERS,
			              c->method, c->url);
		else
			msg = xprintf("%s: %s %s (curl: %s)", error_class(code), c->method, c->url,
			              t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
		if (!msg)
			return -1;
		set_message(c, msg);
		return 0;
	}

	if (!r->body) {
		r->body = strdup("");
		if (!r->body)
			return -1;
	}
	r->cert_days = cert_days(t->easy);

	struct gl_eval ev;
	if (gl_assert_eval(&ev, step, r, task_lookup, t) < 0)
		return -1;
	int rc = -1;
	if (ev.passed) {
		c->outcome = GL_OUT_PASS;
		set_message(c, NULL);
		if (add_captures(t, &ev) < 0)
			goto out;
	} else {
		c->outcome = GL_OUT_FAIL;
		char *msg = xprintf("%s (%s %s)", ev.message, c->method, c->url);
		if (!msg)
			goto out;
		set_message(c, msg);
		c->detail = failure_detail(ev.detail, r);
		if (!c->detail)
			goto out;
	}
	rc = 0;
out:
	gl_eval_release(&ev);
	return rc;
}

/* After a step failed, the rest of a flow is not run. */
static int skip_rest(struct task *t)
{
	const char *failed = t->check->steps[t->step].name;
	for (size_t i = t->step + 1; i < t->check->n_steps; i++) {
		char *msg = t->flow_expired ? xprintf("skipped: flow deadline of %ld ms exceeded",
		                                      t->check->deadline_ms)
		                            : xprintf("skipped: step '%s' failed", failed);
		if (!msg)
			return -1;
		t->cases[i].outcome = GL_OUT_SKIP;
		set_message(&t->cases[i], msg);
	}
	t->step = t->check->n_steps;
	return 0;
}

static void task_end(struct task *t)
{
	if (t->easy)
		curl_easy_cleanup(t->easy);
	t->easy = NULL;
	free(t->errbuf);
	t->errbuf = NULL;
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	free(t->body);
	t->body = NULL;
	gl_response_release(&t->x.resp);
	for (size_t i = 0; i < t->n_vars; i++) {
		free(t->vars[i].name);
		free(t->vars[i].value);
	}
	free(t->vars);
	t->vars = NULL;
	t->n_vars = 0;
	t->done = 1;
	t->running = 0;
	t->resume_at = 0;
}

/* The check's deadline passed before the current step could be (re)sent. */
static int flow_deadline_error(struct task *t)
{
	struct gl_case *c = &t->cases[t->step];
	char *msg;

	t->flow_expired = 1;
	c->outcome = GL_OUT_ERROR;
	if (c->method && c->url && t->first_error)
		msg = xprintf("flow deadline of %ld ms exceeded: %s %s (retrying after %s)",
		              t->check->deadline_ms, c->method, c->url, t->first_error);
	else
		msg = xprintf("flow deadline of %ld ms exceeded before step '%s' started",
		              t->check->deadline_ms, t->check->steps[t->step].name);
	if (!msg)
		return -1;
	set_message(c, msg);
	return skip_rest(t);
}

/* Start the current step, or, when it cannot be sent, record why and move
 * on. Returns 0 with t->running or t->done set; -1 on out of memory. */
static int advance(struct task *t, CURLM *multi)
{
	while (t->step < t->check->n_steps) {
		struct gl_case *c = &t->cases[t->step];
		const char *missing = NULL;
		if (t->flow_end > 0 && mono_now() >= t->flow_end) {
			if (flow_deadline_error(t) < 0)
				return -1;
			break;
		}
		int rc = prepare(t, &missing);
		if (rc == -2)
			return -1;
		if (rc == 0) {
			if (curl_multi_add_handle(multi, t->easy) != CURLM_OK)
				return -1;
			t->running = 1;
			return 0;
		}
		c->outcome = GL_OUT_ERROR;
		const struct gl_request *req = &t->check->steps[t->step].request;
		char *msg = xprintf("cannot render the request: unknown variable '%s': %s %s",
		                    missing ? missing : "?", req->method ? req->method : "GET",
		                    gl_template_text(req->url));
		if (!msg)
			return -1;
		set_message(c, msg);
		free(c->url);
		c->url = NULL;
		if (skip_rest(t) < 0)
			return -1;
	}
	task_end(t);
	return 0;
}

static int task_start(struct task *t, CURLM *multi)
{
	if (*t->suite_started == 0)
		*t->suite_started = time(NULL);
	if (t->check->deadline_ms > 0)
		t->flow_end = mono_now() + (double)t->check->deadline_ms / 1000.0;
	t->easy = curl_easy_init();
	t->errbuf = malloc(CURL_ERROR_SIZE);
	if (!t->easy || !t->errbuf)
		return -1;
	return advance(t, multi);
}

/* Errors of reaching the target that a second attempt may not meet. An HTTP
 * status, an assertion, TLS, a malformed URL or an oversized body are never
 * transient: retrying them could turn a red into a green. */
static int is_transient(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
		return 1;
	default:
		return 0;
	}
}

static int is_idempotent(const char *method)
{
	return !method || strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	       strcmp(method, "OPTIONS") == 0;
}

/* Milliseconds to wait before the current step's next attempt, or -1 when it
 * is not to be retried. */
static long retry_delay(const struct task *t, CURLcode code)
{
	const struct gl_check *k = t->check;
	const struct gl_case *c = &t->cases[t->step];

	if (!is_transient(code) || t->x.too_big || t->x.too_many_headers || t->x.oom ||
	    c->retries >= k->retry_max)
		return -1;
	/* the check's own deadline, not a transient fault */
	if (code == CURLE_OPERATION_TIMEDOUT && t->flow_capped)
		return -1;
	/* a mutating check's POST may have reached the target before the
	 * connection broke: sending it twice is not ours to decide */
	if (k->mutating && !is_idempotent(k->steps[t->step].request.method))
		return -1;
	long delay = k->retry_backoff_ms;
	for (unsigned i = 0; i < c->retries && delay < GL_RETRY_BACKOFF_MAX_MS * 32; i++)
		delay *= 2;
	/* no time left in the check's deadline for another attempt: the error
	 * stands as it is */
	if (t->flow_end > 0 && mono_now() + (double)delay / 1000.0 >= t->flow_end)
		return -1;
	return delay;
}

/* Say on a finished step that it was retried, and what went wrong first. */
static int note_retries(struct task *t)
{
	struct gl_case *c = &t->cases[t->step];
	char *msg;

	if (c->retries == 0)
		return 0;
	if (c->outcome == GL_OUT_PASS)
		msg = xprintf("passed after %u %s (first: %s)", c->retries,
		              c->retries == 1 ? "retry" : "retries", t->first_error);
	else
		msg = xprintf("%s, after %u attempts (first: %s)",
		              c->message ? c->message : "no message recorded", c->retries + 1,
		              t->first_error);
	if (!msg)
		return -1;
	set_message(c, msg);
	return 0;
}

/* The transfer of t's current step completed. */
static int task_completed(struct task *t, CURLM *multi, CURLcode code)
{
	curl_multi_remove_handle(multi, t->easy);
	t->running = 0;
	if (t->x.oom)
		return -1;
	long delay = retry_delay(t, code);
	if (delay >= 0) {
		struct gl_case *c = &t->cases[t->step];
		curl_off_t us = 0;
		curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &us);
		c->seconds += (double)us / 1e6;
		*t->suite_seconds += (double)us / 1e6;
		if (c->retries == 0)
			t->first_error = error_class(code);
		c->retries++;
		t->resume_at = mono_now() + (double)delay / 1000.0;
		return 0;
	}
	if (finish_step(t, code) < 0 || note_retries(t) < 0)
		return -1;
	t->first_error = NULL;
	if (t->cases[t->step].outcome != GL_OUT_PASS) {
		if (skip_rest(t) < 0)
			return -1;
	} else {
		t->step++;
	}
	return advance(t, multi);
}

static char *dup_or_null(const char *s, int *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

/* Fill a case's identity; the outcome says "interrupted" until a step
 * completes. */
static int case_init(struct gl_case *c, const struct gl_suite *s, const struct gl_check *k,
                     const struct gl_step *step)
{
	int oom = 0;
	if (k->is_flow) {
		c->id = xprintf("%s/%s/%s", s->name, k->id, step->name);
		c->classname = xprintf("%s.%s", s->name, k->id);
		c->name = dup_or_null(step->name, &oom);
		c->line = step->pos.line;
	} else {
		c->id = xprintf("%s/%s", s->name, k->id);
		c->classname = dup_or_null(s->name, &oom);
		c->name = dup_or_null(k->id, &oom);
		c->line = k->pos.line ? k->pos.line : step->pos.line;
	}
	c->file = dup_or_null(s->path, &oom);
	c->outcome = GL_OUT_ERROR;
	c->message = strdup(INTERRUPTED);
	if (oom || !c->id || !c->classname || !c->message)
		return -1;
	return 0;
}

/* Build the result skeleton and one task per check to run. */
static int build(struct gl_run_result *run, struct task **tasks_out, size_t *n_tasks_out,
                 const struct gl_plan *plan)
{
	size_t n_tasks = 0;
	for (size_t i = 0; i < plan->n_suites; i++)
		for (size_t j = 0; j < plan->suites[i]->n_checks; j++)
			n_tasks += plan->sel[i][j] == GL_SEL_RUN;
	struct task *tasks = calloc(n_tasks ? n_tasks : 1, sizeof *tasks);
	run->suites = calloc(plan->n_suites ? plan->n_suites : 1, sizeof *run->suites);
	*tasks_out = tasks;
	*n_tasks_out = 0;
	if (!tasks || !run->suites)
		return -1;

	for (size_t i = 0; i < plan->n_suites; i++) {
		const struct gl_suite *s = plan->suites[i];
		size_t n_cases = 0;
		for (size_t j = 0; j < s->n_checks; j++)
			if (plan->sel[i][j] != GL_SEL_OUT)
				n_cases += s->checks[j].n_steps;
		if (n_cases == 0)
			continue;
		struct gl_suite_result *sr = &run->suites[run->n_suites++];
		int oom = 0;
		sr->name = dup_or_null(s->name, &oom);
		sr->file = dup_or_null(s->path, &oom);
		sr->digest = dup_or_null(s->digest, &oom);
		sr->cases = calloc(n_cases, sizeof *sr->cases);
		if (oom || !sr->cases)
			return -1;
		for (size_t j = 0; j < s->n_checks; j++) {
			const struct gl_check *k = &s->checks[j];
			if (plan->sel[i][j] == GL_SEL_OUT)
				continue;
			struct gl_case *first = &sr->cases[sr->n_cases];
			for (size_t st = 0; st < k->n_steps; st++) {
				if (case_init(&sr->cases[sr->n_cases++], s, k, &k->steps[st]) < 0)
					return -1;
			}
			if (plan->sel[i][j] == GL_SEL_SKIP_MUTATING) {
				for (size_t st = 0; st < k->n_steps; st++) {
					char *msg = xprintf("mutating check not run in production "
					                    "environment '%s' (use "
					                    "--allow-mutations)",
					                    plan->env ? plan->env->name : "");
					if (!msg)
						return -1;
					first[st].outcome = GL_OUT_SKIP;
					set_message(&first[st], msg);
				}
				continue;
			}
			struct task *t = &tasks[(*n_tasks_out)++];
			t->suite = s;
			t->check = k;
			t->cases = first;
			t->env = plan->env;
			t->suite_seconds = &sr->seconds;
			t->suite_started = &sr->started;
		}
	}
	return 0;
}

/* Start the retries that are due; returns the earliest time one is still
 * waiting for (0: none), or -1 on out of memory. */
static double resume_due(struct task *tasks, size_t n, CURLM *multi, size_t *active)
{
	double now = mono_now();
	double wake = 0;
	for (size_t i = 0; i < n; i++) {
		struct task *t = &tasks[i];
		if (t->done || t->running || t->resume_at <= 0)
			continue;
		if (t->resume_at > now) {
			if (wake == 0 || t->resume_at < wake)
				wake = t->resume_at;
			continue;
		}
		t->resume_at = 0;
		if (advance(t, multi) < 0)
			return -1;
		if (t->done)
			(*active)--;
	}
	return wake;
}

/* Drive the multi handle until every transfer and every task is done, or a
 * stop is requested, or the run's deadline passes. */
static int drive(CURLM *multi, struct task *tasks, size_t n_tasks, unsigned jobs,
                 struct runctl *ctl)
{
	size_t next = 0;
	size_t active = 0; /* started, not done: running or waiting to retry */
	size_t first = 0;  /* every task before it is done */

	for (;;) {
		if (should_stop(ctl))
			return 0;
		while (active < jobs && next < n_tasks) {
			struct task *t = &tasks[next++];
			if (task_start(t, multi) < 0)
				return -1;
			active += !t->done;
		}
		/* Only the window of started tasks not yet done is looked at: a scan
		 * from the start made 10,000 checks quadratic. */
		while (first < next && tasks[first].done)
			first++;
		double wake = resume_due(tasks + first, next - first, multi, &active);
		if (wake < 0)
			return -1;
		if (active == 0 && next == n_tasks)
			return 0;

		int still = 0;
		if (curl_multi_perform(multi, &still) != CURLM_OK)
			return -1;
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			char *priv = NULL;
			CURLcode code = msg->data.result;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			struct task *t = (struct task *)priv;
			if (task_completed(t, multi, code) < 0)
				return -1;
			if (t->done)
				active--;
			else if (t->resume_at > 0 && (wake == 0 || t->resume_at < wake))
				wake = t->resume_at;
		}
		if (active == 0)
			continue;
		long timeout = ms_left(ctl, POLL_MS);
		if (wake > 0) {
			double until = (wake - mono_now()) * 1000.0;
			if (until < (double)timeout)
				timeout = until < 0 ? 0 : (long)until + 1;
		}
		if (curl_multi_poll(multi, NULL, 0, (int)timeout, NULL) != CURLM_OK)
			return -1;
	}
}

/* One answer (or none) of the environment's health check. */
struct probe {
	int answered;      /* an HTTP response came back whole */
	CURLcode code;     /* the transfer's result when it did not */
	long status;       /* when answered */
	char *version;     /* NULL, or what the body holds at the version path */
	char *retry_after; /* NULL, or the Retry-After header's value */
	int stopped;       /* a stop request or the run's deadline cut it short */
	/* libcurl's words when it did not answer, or "" */
	char why[CURL_ERROR_SIZE];
};

/* The value of a response header (the first of that name), or NULL. */
static const char *header_value(const struct gl_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static void probe_release(struct probe *p)
{
	free(p->version);
	free(p->retry_after);
	memset(p, 0, sizeof *p);
}

/* Ask the environment's health check once, as a one-step task of its own
 * sharing the multi handle. timeout_ms > 0 caps the request's timeout. Any
 * failure of the target is in *p; returns -1 on out of memory only. */
static int probe_once(struct probe *p, CURLM *multi, const struct gl_env *env, long timeout_ms,
                      struct runctl *ctl)
{
	struct gl_request req = {.method = "GET", .url = env->health->url};
	struct gl_step step = {.name = "health", .request = req};
	struct gl_check check = {.id = "health", .steps = &step, .n_steps = 1};
	struct gl_case c = {0};
	struct gl_suite s = {.name = "health", .path = env->path};
	double seconds = 0;
	time_t started = 0;
	struct task t = {.suite = &s,
	                 .check = &check,
	                 .cases = &c,
	                 .env = env,
	                 .suite_seconds = &seconds,
	                 .suite_started = &started,
	                 .timeout_cap_ms = timeout_ms};
	const char *missing = NULL;
	int rc = -1;

	memset(p, 0, sizeof *p);
	p->code = CURLE_FAILED_INIT;
	t.easy = curl_easy_init();
	t.errbuf = malloc(CURL_ERROR_SIZE);
	if (!t.easy || !t.errbuf)
		goto out;
	int prc = prepare(&t, &missing);
	if (prc == -2)
		goto out;
	if (prc == 0) {
		if (curl_multi_add_handle(multi, t.easy) != CURLM_OK)
			goto out;
		int done = 0;
		while (!done && !(p->stopped = should_stop(ctl))) {
			int still = 0;
			if (curl_multi_perform(multi, &still) != CURLM_OK)
				break;
			CURLMsg *msg;
			int left;
			while ((msg = curl_multi_info_read(multi, &left)))
				if (msg->msg == CURLMSG_DONE) {
					p->code = msg->data.result;
					done = 1;
				}
			if (done && p->code != CURLE_OK)
				memcpy(p->why, t.errbuf, sizeof p->why);
			if (!done && curl_multi_poll(multi, NULL, 0, (int)ms_left(ctl, POLL_MS),
			                             NULL) != CURLM_OK)
				break;
		}
		curl_multi_remove_handle(multi, t.easy);
		if (t.x.oom)
			goto out;
		if (done && p->code == CURLE_OK && !t.x.too_big && !t.x.too_many_headers) {
			p->answered = 1;
			curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &p->status);
			const char *ra = header_value(&t.x.resp, "Retry-After");
			if (ra && !(p->retry_after = strdup(ra)))
				goto out;
			if (env->health->version_path) {
				struct gl_diag diag;
				struct gl_jsonpath *path = NULL;
				gl_diag_init(&diag);
				int bad = gl_jsonpath_compile(&path, env->health->version_path,
				                              env->health->pos, &diag) == 0 &&
				          gl_json_extract(&p->version,
				                          t.x.resp.body ? t.x.resp.body : "",
				                          t.x.resp.body_len, path) < 0;
				gl_jsonpath_free(path);
				gl_diag_release(&diag);
				if (bad)
					goto out;
			}
		}
	}
	rc = 0;
out:
	task_end(&t);
	free(c.method);
	free(c.url);
	free(c.message);
	if (rc < 0)
		probe_release(p);
	return rc;
}

/* Ask the environment's health check for the version the target reports.
 * Any failure leaves *version NULL: the probe informs, it does not decide. */
static int probe_health(char **version, CURLM *multi, const struct gl_env *env, struct runctl *ctl)
{
	struct probe p;

	*version = NULL;
	if (!env || !env->health || !env->health->url)
		return 0;
	if (probe_once(&p, multi, env, 0, ctl) < 0)
		return -1;
	*version = p.version;
	p.version = NULL;
	probe_release(&p);
	return 0;
}

int gl_http_probe_version(char **version, const struct gl_env *env)
{
	*version = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	CURLM *multi = curl_multi_init();
	struct runctl ctl = {0};
	int rc = multi ? probe_health(version, multi, env, &ctl) : -1;
	if (multi)
		curl_multi_cleanup(multi);
	curl_global_cleanup();
	return rc;
}

int gl_http_plan_check(const struct gl_plan *plan, char *msg, size_t size)
{
	const struct gl_env *env = plan->env;
	const char *name = env && env->name ? env->name : "?";

	if (plan->wait_healthy_s > 0 && (!env || !env->health)) {
		snprintf(msg, size,
		         "--wait-healthy needs a health check, and environment '%s' declares none "
		         "(add \"health\": {\"url\": ..., \"version\": ...} to it)",
		         name);
		return -1;
	}
	if (plan->expect_version && (!env || !env->health || !env->health->version_path)) {
		snprintf(msg, size,
		         "cannot check that the target reports version '%s': environment '%s' "
		         "declares no health check with a \"version\" path",
		         plan->expect_version, name);
		return -1;
	}
	return 0;
}

/* Milliseconds a Retry-After value asks for (delay-seconds or an HTTP date,
 * RFC 9110 10.2.3), or -1 when it cannot be read. */
static long retry_after_ms(const char *v)
{
	char *end;
	if (*v >= '0' && *v <= '9') {
		unsigned long long sec = strtoull(v, &end, 10);
		if (*end != '\0')
			return -1;
		return sec > 86400 ? 86400L * 1000 : (long)sec * 1000;
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	struct tm tm = {0};
	char mon[4] = {0};
	int d, y, h, mi, se, mo = 0;
	if (sscanf(v, "%*3s, %d %3s %d %d:%d:%d GMT", &d, mon, &y, &h, &mi, &se) != 6)
		return -1;
	for (int i = 0; i < 12; i++)
		if (strcmp(mon, month_names[i]) == 0)
			mo = i + 1;
	if (!mo)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	long long left = (long long)timegm(&tm) - (long long)time(NULL);
	if (left <= 0)
		return 0;
	return left > 86400 ? 86400L * 1000 : (long)left * 1000;
}

/* Sleep until `until` (monotonic), waking for stop requests and the run's
 * deadline. Returns 1 when stopped. */
static int nap(double until, struct runctl *ctl)
{
	for (;;) {
		if (should_stop(ctl))
			return 1;
		double left = until - mono_now();
		if (left <= 0)
			return 0;
		long ms = ms_left(ctl, POLL_MS);
		if ((double)ms > left * 1000.0)
			ms = (long)(left * 1000.0) + 1;
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* What the last probe saw, for a reason: "HTTP 503, Retry-After 1" or
 * "connection refused". A DNS, TLS or timeout failure adds libcurl's words:
 * "DNS failure" alone would not tell a typo in base_url from an outage, "TLS
 * error" an expired certificate from a wrong CA, nor "timeout" a resolver
 * that never answered from a server that never did. */
static char *describe(const struct probe *p)
{
	const char *cls = error_class(p->code);
	if (!p->answered && p->why[0] &&
	    (strcmp(cls, "DNS failure") == 0 || strcmp(cls, "TLS error") == 0 ||
	     strcmp(cls, "timeout") == 0))
		return xprintf("%s (%s)", cls, p->why);
	if (!p->answered)
		return xprintf("%s", p->code == CURLE_FAILED_INIT ? "no request could be sent"
		                                                  : error_class(p->code));
	if (p->retry_after)
		return xprintf("HTTP %ld, Retry-After %.40s", p->status, p->retry_after);
	return xprintf("HTTP %ld", p->status);
}

static int is_2xx(const struct probe *p)
{
	return p->answered && p->status >= 200 && p->status <= 299;
}

/* Why the version the probe saw is not the one expected; NULL (and *oom
 * clear) when it is. */
static char *version_problem(const struct probe *p, const char *expected, const struct gl_env *env,
                             int *oom)
{
	char *msg = NULL;
	char *last = NULL;

	*oom = 0;
	if (p->version && strcmp(p->version, expected) == 0)
		return NULL;
	if (p->version) {
		msg = xprintf("target reports version '%.*s', expected '%s' (the deploy did not "
		              "happen?)",
		              VERSION_QUOTE_CAP, p->version, expected);
	} else if (!(last = describe(p))) {
		*oom = 1;
		return NULL;
	} else {
		msg = xprintf("target reports no version at '%s' (last: %s), expected '%s'",
		              env->health->version_path, last, expected);
	}
	free(last);
	if (!msg)
		*oom = 1;
	return msg;
}

/* Make sure the environment is ready before any check: see gl_http_run().
 * Sets run->reported_version and run->ready_after_s; *reason (caller frees)
 * stays NULL when the checks may run, or when stopped (ctl says so). Returns
 * -1 on out of memory. */
static int await_ready(char **reason, struct gl_run_result *run, CURLM *multi,
                       const struct gl_plan *plan, struct runctl *ctl)
{
	const struct gl_env *env = plan->env;
	const char *expected = plan->expect_version;
	double wait = plan->wait_healthy_s;
	struct probe p = {0};
	int oom = 0;

	*reason = NULL;
	if (wait <= 0 && !expected)
		return probe_health(&run->reported_version, multi, env, ctl);
	if (!env || !env->health || !env->health->url || (expected && !env->health->version_path)) {
		/* gl_http_plan_check() refuses this plan; fail closed anyway */
		*reason = xprintf("environment '%s' declares no health check%s to ask",
		                  env && env->name ? env->name : "?",
		                  expected ? " with a version" : "");
		return *reason ? 0 : -1;
	}

	double start = mono_now();
	double end = start + wait;
	long backoff = READY_BACKOFF_MS;
	for (;;) {
		long timeout = 0;
		if (wait > 0) {
			double left = (end - mono_now()) * 1000.0;
			timeout = left < READY_MIN_TIMEOUT_MS ? READY_MIN_TIMEOUT_MS : (long)left;
		}
		if (probe_once(&p, multi, env, timeout, ctl) < 0)
			return -1;
		if (p.stopped)
			break;
		free(run->reported_version);
		run->reported_version = p.version ? strdup(p.version) : NULL;
		if (p.version && !run->reported_version)
			goto oom;
		if (wait <= 0) {
			/* no wait asked: only the version decides */
			*reason = version_problem(&p, expected, env, &oom);
			break;
		}
		if (is_2xx(&p)) {
			if (expected) {
				*reason = version_problem(&p, expected, env, &oom);
				if (oom)
					goto oom;
			}
			if (!*reason) {
				run->ready_after_s = mono_now() - start;
				break;
			}
		}
		double now = mono_now();
		if (now >= end) {
			if (!*reason) {
				char *last = describe(&p);
				*reason = last ? xprintf("environment not ready after %g s (last: "
				                         "%s)",
				                         wait, last)
				               : NULL;
				free(last);
				oom = !*reason;
			}
			run->ready_after_s = now - start;
			break;
		}
		free(*reason);
		*reason = NULL;
		long delay = backoff;
		long asked = p.retry_after ? retry_after_ms(p.retry_after) : -1;
		if (asked > delay)
			delay = asked;
		backoff = backoff * 2 > READY_BACKOFF_CAP_MS ? READY_BACKOFF_CAP_MS : backoff * 2;
		double until = now + (double)delay / 1000.0;
		probe_release(&p);
		if (nap(until < end ? until : end, ctl))
			break;
	}
	probe_release(&p);
	if (oom)
		goto oom;
	if (ctl->deadline_hit || stop_requested) {
		free(*reason);
		*reason = NULL;
	}
	return 0;
oom:
	probe_release(&p);
	free(*reason);
	*reason = NULL;
	return -1;
}

/* Every case that would have run is skipped: the environment is not ready. */
static int skip_all(struct task *tasks, size_t n_tasks, const char *reason)
{
	for (size_t i = 0; i < n_tasks; i++) {
		struct task *t = &tasks[i];
		for (size_t st = 0; st < t->check->n_steps; st++) {
			char *msg = xprintf("not run: %s", reason);
			if (!msg)
				return -1;
			t->cases[st].outcome = GL_OUT_SKIP;
			set_message(&t->cases[st], msg);
		}
		t->done = 1;
	}
	return 0;
}

/* Why the run stopped early, for every case it left unfinished. */
static char *stop_reason(const struct gl_plan *plan, const struct runctl *ctl)
{
	int sig = stop_requested;
	if (sig == SIGTERM)
		return xprintf("interrupted by SIGTERM");
	if (sig == SIGINT)
		return xprintf("interrupted by SIGINT");
	if (sig > 0)
		return xprintf("interrupted by signal %d", sig);
	if (sig == 0 && ctl->deadline_hit)
		return xprintf("run deadline of %g s exceeded", (double)plan->deadline_ms / 1000.0);
	return xprintf("%s", INTERRUPTED);
}

/* The cases a stop left unfinished say why. */
static int mark_unfinished(struct task *tasks, size_t n_tasks, const char *why)
{
	for (size_t i = 0; i < n_tasks; i++) {
		struct task *t = &tasks[i];
		if (t->done)
			continue;
		for (size_t st = t->step; st < t->check->n_steps; st++) {
			struct gl_case *c = &t->cases[st];
			char *msg = NULL;
			if (st == t->step && t->first_error)
				msg = xprintf("%s (retrying after %s)", why, t->first_error);
			else
				msg = strdup(why);
			if (!msg)
				return -1;
			c->outcome = GL_OUT_ERROR;
			set_message(c, msg);
		}
	}
	return 0;
}

int gl_http_run(struct gl_run_result **out, const struct gl_plan *plan)
{
	struct gl_run_result *run = NULL;
	struct task *tasks = NULL;
	size_t n_tasks = 0;
	CURLM *multi = NULL;
	struct runctl ctl = {0};
	char *reason = NULL;
	int oom = 0;
	int stop_consumed = 0;
	int rc = -1;

	*out = NULL;
	if (plan->deadline_ms > 0)
		ctl.deadline = mono_now() + (double)plan->deadline_ms / 1000.0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	run = calloc(1, sizeof *run);
	if (!run)
		goto out;
	run->started = time(NULL);
	run->env_name = dup_or_null(plan->env ? plan->env->name : NULL, &oom);
	run->base_url =
	        dup_or_null(plan->env ? gl_env_lookup((void *)plan->env, "base_url") : NULL, &oom);
	run->harness_version = dup_or_null(plan->harness_version, &oom);
	run->tls_verify_off = plan->env && plan->env->tls_verify_off;
	if (oom)
		goto out;
	if (build(run, &tasks, &n_tasks, plan) < 0)
		goto out;

	multi = curl_multi_init();
	if (!multi)
		goto out;
	if (await_ready(&reason, run, multi, plan, &ctl) < 0)
		goto out;
	if (reason) {
		if (skip_all(tasks, n_tasks, reason) < 0)
			goto out;
		run->not_ready = 1;
		run->not_ready_reason = reason;
		reason = NULL;
	} else if (drive(multi, tasks, n_tasks, plan->jobs ? plan->jobs : 1, &ctl) < 0) {
		goto out;
	}

	/* Abandoned transfers and tasks never started: their cases say why. */
	for (size_t i = 0; i < n_tasks; i++) {
		if (tasks[i].running)
			curl_multi_remove_handle(multi, tasks[i].easy);
		tasks[i].running = 0;
		if (!tasks[i].done)
			run->interrupted = 1;
	}
	if (stop_requested || ctl.deadline_hit)
		run->interrupted = 1;
	stop_consumed = stop_requested != 0;
	if (run->interrupted) {
		char *why = stop_reason(plan, &ctl);
		if (!why || mark_unfinished(tasks, n_tasks, why) < 0) {
			free(why);
			goto out;
		}
		free(why);
	}
	run->finished = time(NULL);
	for (size_t i = 0; i < run->n_suites; i++)
		if (run->suites[i].started == 0)
			run->suites[i].started = run->started;
	*out = run;
	run = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < n_tasks; i++) {
		if (tasks[i].running && multi)
			curl_multi_remove_handle(multi, tasks[i].easy);
		tasks[i].running = 0;
		task_end(&tasks[i]);
	}
	free(tasks);
	free(reason);
	if (multi)
		curl_multi_cleanup(multi);
	gl_run_result_free(run);
	/* The stop is consumed by the run it interrupted. One that arrived after
	 * the run's last look is left pending, for the replays that follow. */
	if (stop_consumed)
		stop_requested = 0;
	curl_global_cleanup();
	return rc;
}
