/* The HTTP calculation of a replay over libcurl's multi interface: see
 * http_replay.h.
 *
 * Each slot of the ring owns an easy handle, set up once with everything
 * that does not change from case to case; per case only what a {{case.NAME}}
 * reaches is rendered and set again. The ring keeps submission order: a slot
 * is returned only when every earlier one has been. */
#include "http_replay.h"

#include "body.h"

#include <assert.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expect.h"
#include "redact.h"
#include "suite.h"
#include "template.h"
#include "transport.h"

/* How long one wait may block; a wait ends early when a transfer moves. */
#define POLL_MS 1000
/* Bytes of a non-2xx body quoted in the reason. */
#define REASON_BODY_CAP 120

enum slot_state { SLOT_FREE, SLOT_RUNNING, SLOT_DONE };

struct slot {
	struct gl_http_replay *h;
	CURL *easy;
	enum slot_state state;
	uint64_t seq;
	/* the case: vals[i] points into vbuf or is NULL */
	char **vals;
	char *vbuf;
	size_t vcap;
	/* what was rendered for this case (only the per-case parts) */
	char *url;
	char *body;
	char *user;
	char *password;
	struct curl_slist *headers;
	/* the response */
	char *buf;
	size_t len, cap;
	int too_big, oom;
	char errbuf[CURL_ERROR_SIZE];
	/* the outcome */
	enum gl_hr_error error;
	char *reason;
	char **outs; /* n_paths */
	long status;
};

struct gl_http_replay {
	const struct gl_request *req;
	const struct gl_env *env;
	const char *const *fields;
	size_t n_fields;
	const struct gl_jsonpath *const *paths;
	size_t n_paths;
	struct gl_jsonpath *root; /* "$": tells "not JSON" from "path not found" */
	CURLM *multi;
	struct slot *slots;
	size_t n_slots;
	unsigned jobs;
	size_t head, count; /* ring: count slots from head are submitted, not yet released */
	unsigned running;
	int curl_inited;
	int held;        /* slots[head] was lent by the last next() */
	uint64_t n_seq;  /* cases submitted */
	size_t max_body; /* bytes */
	/* asked before each wait (gl_http_replay_on_stop()); NULL: never */
	bool (*stop)(void *ctx);
	void *stop_ctx;
	/* rendered once at open when they use no case field; else NULL */
	char *url_fixed;
	char *body_fixed;
	char *user_fixed;
	char *password_fixed;
	struct curl_slist *headers_fixed;
	int url_per_case, body_per_case, headers_per_case, auth_per_case;
};

/* Templates see {{case.NAME}} and the environment. */
struct lookup_ctx {
	const struct gl_http_replay *h;
	const struct slot *s; /* NULL at open: case fields are not known yet */
};

static const char *lookup(void *ctx, const char *name)
{
	const struct lookup_ctx *c = ctx;
	if (strncmp(name, "case.", 5) == 0) {
		if (!c->s)
			return NULL;
		for (size_t i = 0; i < c->h->n_fields; i++)
			if (strcmp(c->h->fields[i], name + 5) == 0)
				return c->s->vals[i];
		return NULL;
	}
	/* gl_env_lookup does not modify the environment */
	return c->h->env ? gl_env_lookup((void *)c->h->env, name) : NULL;
}

static void errf(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
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

static int uses_case(const struct gl_template *t)
{
	if (!t)
		return 0;
	for (size_t i = 0; i < gl_template_n_names(t); i++)
		if (strncmp(gl_template_name(t, i), "case.", 5) == 0)
			return 1;
	return 0;
}

/* Every name a template uses must be known before anything is sent. */
static int check_names(const struct gl_http_replay *h, const struct gl_template *t, char *err,
                       size_t errlen)
{
	if (!t)
		return 0;
	for (size_t i = 0; i < gl_template_n_names(t); i++) {
		const char *name = gl_template_name(t, i);
		if (strncmp(name, "case.", 5) == 0) {
			size_t j = 0;
			while (j < h->n_fields && strcmp(h->fields[j], name + 5) != 0)
				j++;
			if (j == h->n_fields) {
				errf(err, errlen, "'%s' is not a field of the cases", name);
				return -1;
			}
		} else if (!h->env || !gl_env_lookup((void *)h->env, name)) {
			errf(err, errlen, "unknown variable '%s'", name);
			return -1;
		}
	}
	return 0;
}

/* Render t for slot s (NULL: at open). Returns 0, -1 with *missing set, -2
 * on out of memory. */
static int render(char **out, const char **missing, const struct gl_http_replay *h,
                  const struct slot *s, const struct gl_template *t, enum gl_escape esc, int secret)
{
	struct lookup_ctx ctx = {h, s};
	int rc = gl_template_render(out, missing, t, lookup, &ctx, esc);
	if (rc == 0 && secret && gl_redact_add(*out) < 0) {
		free(*out);
		*out = NULL;
		return -2;
	}
	return rc;
}

static int append(char **buf, size_t *len, const char *add)
{
	size_t n = strlen(add);
	char *p = realloc(*buf, *len + n + 1);
	if (!p)
		return -2;
	memcpy(p + *len, add, n + 1);
	*buf = p;
	*len += n;
	return 0;
}

/* The URL with the query parameters appended, URL-encoded. */
static int build_url(char **out, const char **missing, const struct gl_http_replay *h,
                     const struct slot *s, CURL *easy)
{
	const struct gl_request *req = h->req;
	char *url = NULL;
	int rc = render(&url, missing, h, s, req->url, GL_ESC_NONE, 0);
	if (rc < 0)
		return rc;
	size_t len = strlen(url);
	const char *sep = strchr(url, '?') ? "&" : "?";
	if (len && (url[len - 1] == '?' || url[len - 1] == '&'))
		sep = "";
	for (size_t i = 0; i < req->n_query; i++) {
		char *value = NULL;
		rc = render(&value, missing, h, s, req->query[i].value, GL_ESC_NONE, 0);
		if (rc < 0)
			break;
		char *en = curl_easy_escape(easy, req->query[i].name, 0);
		char *ev = curl_easy_escape(easy, value, 0);
		free(value);
		rc = en && ev ? 0 : -2;
		if (rc == 0)
			rc = append(&url, &len, sep);
		if (rc == 0)
			rc = append(&url, &len, en);
		if (rc == 0)
			rc = append(&url, &len, "=");
		if (rc == 0)
			rc = append(&url, &len, ev);
		curl_free(en);
		curl_free(ev);
		if (rc < 0)
			break;
		sep = "&";
	}
	if (rc < 0) {
		free(url);
		return rc;
	}
	*out = url;
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

static int has_header(const struct gl_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return 1;
	return 0;
}

static int build_headers(struct curl_slist **out, const char **missing,
                         const struct gl_http_replay *h, const struct slot *s)
{
	const struct gl_request *req = h->req;
	struct curl_slist *list = NULL;
	char *value = NULL;
	int rc = 0;

	for (size_t i = 0; i < req->n_headers && rc == 0; i++) {
		rc = render(&value, missing, h, s, req->headers[i].value, GL_ESC_NONE,
		            gl_redact_header_is_sensitive(req->headers[i].name));
		if (rc == 0)
			rc = add_header(&list, req->headers[i].name, value);
		free(value);
		value = NULL;
	}
	if (rc == 0 && req->body_kind == GL_BODY_JSON && !has_header(req, "Content-Type"))
		rc = add_header(&list, "Content-Type", "application/json");
	if (rc == 0 && req->auth_kind == GL_AUTH_BEARER) {
		rc = render(&value, missing, h, s, req->auth_token, GL_ESC_NONE, 1);
		if (rc == 0) {
			char *line = xprintf("Bearer %s", value);
			rc = line ? add_header(&list, "Authorization", line) : -2;
			free(line);
		}
		free(value);
	}
	if (rc == 0) {
		/* curl would otherwise wait for "100 Continue" on bigger bodies */
		struct curl_slist *l = curl_slist_append(list, "Expect:");
		if (l)
			list = l;
		else
			rc = -2;
	}
	if (rc < 0) {
		curl_slist_free_all(list);
		return rc;
	}
	*out = list;
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct slot *s = userdata;
	size_t n = size * nmemb;

	switch (gl_body_append(&s->buf, &s->len, &s->cap, s->h->max_body, data, n)) {
	case 0:
		return n;
	case 1:
		s->too_big = 1;
		return 0;
	default:
		s->oom = 1;
		return 0;
	}
}

static int method_sends_body(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
}

/* Everything that is the same for every case. */
static int easy_setup(struct gl_http_replay *h, struct slot *s)
{
	const struct gl_request *req = h->req;
	CURL *e = s->easy;
	const char *m = req->method ? req->method : "GET";

	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	if (gl_transport_setup(e, h->env, s->errbuf) < 0)
		return -1;
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	                 req->timeout_ms > 0 ? req->timeout_ms : GL_DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 req->connect_timeout_ms > 0 ? req->connect_timeout_ms
	                                             : GL_DEFAULT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	if (h->url_fixed)
		curl_easy_setopt(e, CURLOPT_URL, h->url_fixed);
	if (h->headers_fixed)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers_fixed);
	if (req->auth_kind == GL_AUTH_BASIC) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		if (!h->auth_per_case) {
			curl_easy_setopt(e, CURLOPT_USERNAME, h->user_fixed);
			curl_easy_setopt(e, CURLOPT_PASSWORD, h->password_fixed);
		}
	}
	int has_body = req->body_kind != GL_BODY_NONE && req->body;
	if (strcmp(m, "GET") == 0 && !has_body) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
		if (!has_body && method_sends_body(m)) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		} else if (h->body_fixed) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->body_fixed);
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			                 (curl_off_t)strlen(h->body_fixed));
		}
	}
	return 0;
}

/* Render at open what uses no case field. */
static int render_fixed(struct gl_http_replay *h, char *err, size_t errlen)
{
	const struct gl_request *req = h->req;
	const char *missing = NULL;
	int rc = 0;

	h->url_per_case = uses_case(req->url);
	for (size_t i = 0; i < req->n_query; i++)
		h->url_per_case |= uses_case(req->query[i].value);
	for (size_t i = 0; i < req->n_headers; i++)
		h->headers_per_case |= uses_case(req->headers[i].value);
	h->headers_per_case |= req->auth_kind == GL_AUTH_BEARER && uses_case(req->auth_token);
	h->auth_per_case = req->auth_kind == GL_AUTH_BASIC &&
	                   (uses_case(req->auth_user) || uses_case(req->auth_password));
	h->body_per_case = req->body_kind != GL_BODY_NONE && uses_case(req->body);

	if (!h->url_per_case) {
		CURL *e = curl_easy_init();
		if (!e)
			return -2;
		rc = build_url(&h->url_fixed, &missing, h, NULL, e);
		curl_easy_cleanup(e);
	}
	if (rc == 0 && !h->headers_per_case)
		rc = build_headers(&h->headers_fixed, &missing, h, NULL);
	if (rc == 0 && req->auth_kind == GL_AUTH_BASIC && !h->auth_per_case) {
		rc = render(&h->user_fixed, &missing, h, NULL, req->auth_user, GL_ESC_NONE, 0);
		if (rc == 0)
			rc = render(&h->password_fixed, &missing, h, NULL, req->auth_password,
			            GL_ESC_NONE, 1);
	}
	if (rc == 0 && req->body_kind != GL_BODY_NONE && req->body && !h->body_per_case)
		rc = render(&h->body_fixed, &missing, h, NULL, req->body,
		            req->body_kind == GL_BODY_JSON ? GL_ESC_JSON : GL_ESC_NONE, 0);
	if (rc == -1)
		errf(err, errlen, "cannot render the request: unknown variable '%s'",
		     missing ? missing : "?");
	else if (rc < 0)
		errf(err, errlen, "out of memory");
	return rc;
}

int gl_http_replay_open(struct gl_http_replay **out, const struct gl_request *req,
                        const struct gl_env *env, const char *const *fields, size_t n_fields,
                        const struct gl_jsonpath *const *paths, size_t n_paths, unsigned jobs,
                        char *err, size_t errlen)
{
	assert(req && req->url && jobs >= 1);
	struct gl_http_replay *h = calloc(1, sizeof *h);
	*out = NULL;
	if (!h) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	h->req = req;
	h->env = env;
	h->fields = fields;
	h->n_fields = n_fields;
	h->paths = paths;
	h->n_paths = n_paths;
	h->jobs = jobs;
	h->max_body = req->max_body_bytes > 0 ? (size_t)req->max_body_bytes
	                                      : (size_t)GL_DEFAULT_MAX_BODY_BYTES;

	const struct gl_template *all[4] = {req->url, req->body, NULL, NULL};
	if (req->auth_kind == GL_AUTH_BEARER)
		all[2] = req->auth_token;
	if (req->auth_kind == GL_AUTH_BASIC) {
		all[2] = req->auth_user;
		all[3] = req->auth_password;
	}
	for (size_t i = 0; i < 4; i++)
		if (check_names(h, all[i], err, errlen) < 0)
			goto fail;
	for (size_t i = 0; i < req->n_query; i++)
		if (check_names(h, req->query[i].value, err, errlen) < 0)
			goto fail;
	for (size_t i = 0; i < req->n_headers; i++)
		if (check_names(h, req->headers[i].value, err, errlen) < 0)
			goto fail;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		errf(err, errlen, "curl could not initialise");
		free(h);
		return -1;
	}
	h->curl_inited = 1;
	struct gl_diag diag;
	gl_diag_init(&diag);
	int prc = gl_jsonpath_compile(&h->root, "$", (struct gl_pos){"", 0, 0}, &diag);
	gl_diag_release(&diag);
	if (prc < 0 || render_fixed(h, err, errlen) < 0)
		goto fail;

	h->multi = curl_multi_init();
	h->n_slots = (size_t)jobs * 2;
	h->slots = calloc(h->n_slots, sizeof *h->slots);
	if (!h->multi || !h->slots)
		goto oom;
	/* keep-alive connections for every job, not curl's default few */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)jobs + 4);
	for (size_t i = 0; i < h->n_slots; i++) {
		struct slot *s = &h->slots[i];
		s->h = h;
		s->easy = curl_easy_init();
		s->vals = calloc(n_fields ? n_fields : 1, sizeof *s->vals);
		s->outs = calloc(n_paths ? n_paths : 1, sizeof *s->outs);
		if (!s->easy || !s->vals || !s->outs)
			goto oom;
		if (easy_setup(h, s) < 0) {
			errf(err, errlen, "libcurl refused an option (TLS settings?)");
			goto fail;
		}
	}
	*out = h;
	return 0;
oom:
	errf(err, errlen, "out of memory");
fail:
	gl_http_replay_close(h);
	return -1;
}

bool gl_http_replay_can_submit(const struct gl_http_replay *h)
{
	return h->count < h->n_slots && h->running < h->jobs;
}

void gl_http_replay_on_stop(struct gl_http_replay *h, bool (*stop)(void *ctx), void *ctx)
{
	h->stop = stop;
	h->stop_ctx = ctx;
}

static void slot_clear(struct gl_http_replay *h, struct slot *s)
{
	free(s->url);
	free(s->body);
	free(s->user);
	free(s->password);
	curl_slist_free_all(s->headers);
	s->url = s->body = s->user = s->password = NULL;
	s->headers = NULL;
	free(s->reason);
	s->reason = NULL;
	for (size_t i = 0; i < h->n_paths; i++) {
		free(s->outs[i]);
		s->outs[i] = NULL;
	}
	s->len = 0;
	s->too_big = s->oom = 0;
	s->errbuf[0] = '\0';
	s->error = GL_HR_OK;
	s->status = 0;
	s->state = SLOT_FREE;
}

static int copy_values(struct gl_http_replay *h, struct slot *s, const char *const *values)
{
	size_t need = 0;
	for (size_t i = 0; i < h->n_fields; i++)
		need += values[i] ? strlen(values[i]) + 1 : 0;
	if (need > s->vcap) {
		char *p = realloc(s->vbuf, need);
		if (!p)
			return -1;
		s->vbuf = p;
		s->vcap = need;
	}
	char *p = s->vbuf;
	for (size_t i = 0; i < h->n_fields; i++) {
		if (!values[i]) {
			s->vals[i] = NULL;
			continue;
		}
		size_t n = strlen(values[i]) + 1;
		memcpy(p, values[i], n);
		s->vals[i] = p;
		p += n;
	}
	return 0;
}

/* Set what depends on the case. Returns 0, -1 with *missing set, -2. */
static int prepare(struct gl_http_replay *h, struct slot *s, const char **missing)
{
	const struct gl_request *req = h->req;
	CURL *e = s->easy;
	int rc = 0;

	if (h->url_per_case) {
		rc = build_url(&s->url, missing, h, s, e);
		if (rc < 0)
			return rc;
		curl_easy_setopt(e, CURLOPT_URL, s->url);
	}
	if (h->headers_per_case) {
		rc = build_headers(&s->headers, missing, h, s);
		if (rc < 0)
			return rc;
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	}
	if (h->auth_per_case) {
		rc = render(&s->user, missing, h, s, req->auth_user, GL_ESC_NONE, 0);
		if (rc == 0)
			rc = render(&s->password, missing, h, s, req->auth_password, GL_ESC_NONE,
			            1);
		if (rc < 0)
			return rc;
		curl_easy_setopt(e, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, s->password);
	}
	if (h->body_per_case) {
		rc = render(&s->body, missing, h, s, req->body,
		            req->body_kind == GL_BODY_JSON ? GL_ESC_JSON : GL_ESC_NONE, 0);
		if (rc < 0)
			return rc;
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(s->body));
	}
	return 0;
}

int gl_http_replay_submit(struct gl_http_replay *h, const char *const *values, char *err,
                          size_t errlen)
{
	assert(gl_http_replay_can_submit(h));
	struct slot *s = &h->slots[(h->head + h->count) % h->n_slots];
	const char *missing = NULL;

	slot_clear(h, s);
	if (copy_values(h, s, values) < 0)
		goto oom;
	s->seq = h->n_seq++;
	h->count++;
	int rc = prepare(h, s, &missing);
	if (rc == -2)
		goto oom;
	if (rc == -1) {
		s->state = SLOT_DONE;
		s->error = GL_HR_RENDER;
		s->reason =
		        xprintf("cannot build the request: case field '%s' is null",
		                missing && strncmp(missing, "case.", 5) == 0 ? missing + 5 : "?");
		if (!s->reason)
			goto oom;
		return 0;
	}
	if (curl_multi_add_handle(h->multi, s->easy) != CURLM_OK) {
		errf(err, errlen, "curl could not start a transfer");
		return -1;
	}
	s->state = SLOT_RUNNING;
	h->running++;
	return 0;
oom:
	errf(err, errlen, "out of memory");
	return -1;
}

/* A short excerpt of a body for a one-line reason: redacted before it is cut
 * and cleaned (a target may quote the secret it was sent), then printable
 * ASCII only. -1 on out of memory. */
static int excerpt(char *out, size_t n, const char *body, size_t len)
{
	size_t red_len;
	char *red = gl_redact_head(body ? body : "", len, REASON_BODY_CAP, &red_len);
	if (!red)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < red_len && i < REASON_BODY_CAP && k + 4 < n; i++) {
		unsigned char ch = (unsigned char)red[i];
		out[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (len > REASON_BODY_CAP || red_len > REASON_BODY_CAP) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	free(red);
	return 0;
}

/* The transfer of s finished with code: classify and extract. */
static int complete(struct gl_http_replay *h, struct slot *s, CURLcode code)
{
	curl_multi_remove_handle(h->multi, s->easy);
	h->running--;
	s->state = SLOT_DONE;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->oom)
		return -1;
	if (s->too_big) {
		s->error = GL_HR_TRANSPORT;
		s->reason = xprintf("response body exceeds %zu bytes", h->max_body);
	} else if (code != CURLE_OK) {
		s->error = GL_HR_TRANSPORT;
		s->reason = xprintf("%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(code));
	} else if (s->status < 200 || s->status > 299) {
		char ex[REASON_BODY_CAP + 8];
		if (excerpt(ex, sizeof ex, s->buf, s->len) < 0)
			return -1;
		s->error = GL_HR_ANSWER;
		s->reason = xprintf("HTTP %ld%s%s", s->status, *ex ? ": " : "", ex);
	} else {
		for (size_t i = 0; i < h->n_paths; i++) {
			int rc = gl_json_extract(&s->outs[i], s->buf, s->len, h->paths[i]);
			if (rc < 0)
				return -1;
			if (rc == 0)
				continue;
			/* the rare failure pays for a second parse to say which */
			char *whole = NULL;
			rc = gl_json_extract(&whole, s->buf, s->len, h->root);
			free(whole);
			if (rc < 0)
				return -1;
			s->error = GL_HR_ANSWER;
			s->reason = rc == 0 ? xprintf("'%s' not found in the response",
			                              h->paths[i]->text)
			                    : xprintf("response is not JSON");
			break;
		}
		return s->error == GL_HR_OK || s->reason ? 0 : -1;
	}
	return s->reason ? 0 : -1;
}

/* One round of curl: progress, then collect what finished. */
static int pump(struct gl_http_replay *h, char *err, size_t errlen)
{
	int still = 0;
	if (curl_multi_perform(h->multi, &still) != CURLM_OK) {
		errf(err, errlen, "curl multi failure");
		return -1;
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;
		CURLcode code = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if (complete(h, (struct slot *)priv, code) < 0) {
			errf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

int gl_http_replay_next(struct gl_http_replay *h, struct gl_hr_done *done, bool more, char *err,
                        size_t errlen)
{
	if (h->held) {
		slot_clear(h, &h->slots[h->head]);
		h->head = (h->head + 1) % h->n_slots;
		h->count--;
		h->held = 0;
	}
	if (h->count == 0)
		return GL_HR_IDLE;
	struct slot *s = &h->slots[h->head];
	for (;;) {
		if (s->state == SLOT_DONE) {
			h->held = 1;
			done->seq = s->seq;
			done->values = (const char *const *)s->vals;
			done->error = s->error;
			done->reason = s->reason;
			done->outputs = (const char *const *)s->outs;
			done->status = s->status;
			return GL_HR_DONE;
		}
		if (pump(h, err, errlen) < 0)
			return -1;
		if (s->state == SLOT_DONE)
			continue;
		if (more && gl_http_replay_can_submit(h))
			return GL_HR_AGAIN;
		if (h->stop && h->stop(h->stop_ctx))
			return GL_HR_STOP;
		if (curl_multi_poll(h->multi, NULL, 0, POLL_MS, NULL) != CURLM_OK) {
			errf(err, errlen, "curl multi failure");
			return -1;
		}
	}
}

void gl_http_replay_close(struct gl_http_replay *h)
{
	if (!h)
		return;
	for (size_t i = 0; h->slots && i < h->n_slots; i++) {
		struct slot *s = &h->slots[i];
		if (s->state == SLOT_RUNNING && h->multi)
			curl_multi_remove_handle(h->multi, s->easy);
		if (s->vals && s->outs)
			slot_clear(h, s);
		if (s->easy)
			curl_easy_cleanup(s->easy);
		free(s->vals);
		free(s->outs);
		free(s->vbuf);
		free(s->buf);
	}
	free(h->slots);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	curl_slist_free_all(h->headers_fixed);
	free(h->url_fixed);
	free(h->body_fixed);
	free(h->user_fixed);
	free(h->password_fixed);
	gl_jsonpath_free(h->root);
	int inited = h->curl_inited;
	free(h);
	if (inited)
		curl_global_cleanup();
}
