/* Suite files to plain C structs. The cJSON tree lives in a struct gl_jsondoc
 * for the duration of gl_suite_load() only. Every problem is recorded with its
 * position and loading goes on, so one run reports all of a file's errors. */
#include "suite.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "jsondoc.h"
#include "replay.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct loader {
	struct gl_jsondoc doc;
	struct gl_diag *diag;
	struct gl_suite *suite;
	const cJSON *default_headers; /* NULL or a checked object */
	long timeout_ms;
	long connect_timeout_ms;
	long max_body_bytes;
	unsigned retry_max; /* from defaults */
	long retry_backoff_ms;
	int oom; /* recorded once */
};

static const char *const top_keys[] = {"suite",    "description", "tags",
                                       "defaults", "checks",      "replay"};
static const char *const replay_keys[] = {"cases", "key", "calculate", "outputs", "golden"};
static const char *const cases_keys[] = {"file", "sql"};
static const char *const calculate_keys[] = {"http", "sql", "params", "bulk_sql", "file"};
static const char *const output_keys[] = {"path",  "column", "abs",       "rel",
                                          "drift", "alpha",  "min_effect"};
static const char *const defaults_keys[] = {"headers", "timeout_ms", "connect_timeout_ms",
                                            "max_body_bytes", "retry"};
static const char *const check_keys[] = {"id",      "description", "tags",    "mutating",
                                         "request", "expect",      "capture", "steps",
                                         "retry",   "deadline_ms"};
static const char *const retry_keys[] = {"max", "backoff_ms"};
static const char *const step_keys[] = {"name", "request", "expect", "capture"};
static const char *const request_keys[] = {"method",        "url",        "headers",
                                           "query",         "json",       "body",
                                           "auth",          "timeout_ms", "connect_timeout_ms",
                                           "max_body_bytes"};
static const char *const auth_keys[] = {"bearer", "basic"};
static const char *const basic_keys[] = {"user", "password"};
static const char *const expect_keys[] = {"status", "headers",     "json",
                                          "body",   "max_time_ms", "cert_days_min"};
static const char *const capture_keys[] = {"json", "header", "regex", "secret"};
static const char *const json_types[] = {"string", "number", "boolean", "null", "object", "array"};

enum { ON_HEADER = 1, ON_JSON = 2, ON_BODY = 4 };

static const struct op {
	const char *name;
	enum gl_cmp cmp;
	int targets;
} ops[] = {
        {"equals", GL_CMP_EQ, ON_HEADER | ON_JSON | ON_BODY},
        {"not_equals", GL_CMP_NE, ON_HEADER | ON_JSON | ON_BODY},
        {"exists", GL_CMP_EXISTS, ON_HEADER | ON_JSON},
        {"type", GL_CMP_TYPE, ON_JSON},
        {"matches", GL_CMP_MATCHES, ON_HEADER | ON_JSON | ON_BODY},
        {"contains", GL_CMP_CONTAINS, ON_HEADER | ON_JSON | ON_BODY},
        {"lt", GL_CMP_LT, ON_JSON},
        {"le", GL_CMP_LE, ON_JSON},
        {"gt", GL_CMP_GT, ON_JSON},
        {"ge", GL_CMP_GE, ON_JSON},
};

static void oom(struct loader *ld, struct gl_pos pos)
{
	if (!ld->oom)
		gl_diag_add(ld->diag, pos, "out of memory");
	ld->oom = 1;
}

static char *dup_text(struct loader *ld, const char *s, const cJSON *at)
{
	char *d = strdup(s);

	if (!d)
		oom(ld, gl_jsondoc_pos(&ld->doc, at));
	return d;
}

static struct gl_pos pos(struct loader *ld, const cJSON *item)
{
	return gl_jsondoc_pos(&ld->doc, item);
}

static struct gl_pos key_pos(struct loader *ld, const cJSON *item)
{
	return gl_jsondoc_key_pos(&ld->doc, item);
}

static bool is_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static bool is_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* An HTTP token (RFC 9110): what a header name may be, so that no name can
 * smuggle a ':' or a line break into a request. */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

static struct gl_template *string_template(struct loader *ld, const cJSON *item)
{
	struct gl_template *t = NULL;

	gl_template_parse(&t, item->valuestring, gl_jsondoc_inner_pos(&ld->doc, item), ld->diag);
	return t;
}

static struct gl_template *literal(struct loader *ld, const char *text, struct gl_pos at)
{
	struct gl_template *t = NULL;

	if (gl_template_literal(&t, text, at) < 0)
		oom(ld, at);
	return t;
}

/* Templates inside a JSON value's strings (and keys), checked where each is
 * written, so that a bad "{{" in a body points at its own line. */
static int check_json_templates(struct loader *ld, const cJSON *item)
{
	struct gl_template *t = NULL;
	int bad = 0;

	if (item->string) {
		if (gl_template_parse(&t, item->string, gl_jsondoc_key_inner_pos(&ld->doc, item),
		                      ld->diag) < 0)
			bad = -1;
		gl_template_free(t);
		t = NULL;
	}
	if (cJSON_IsString(item)) {
		t = string_template(ld, item);
		if (!t)
			bad = -1;
		gl_template_free(t);
	}
	for (const cJSON *c = item->child; c; c = c->next)
		if (check_json_templates(ld, c) < 0)
			bad = -1;
	return bad;
}

/* A JSON value as a template of its compact text. */
static struct gl_template *json_template(struct loader *ld, const cJSON *item, struct gl_pos at)
{
	struct gl_template *t = NULL;
	struct gl_diag scratch;
	char *text = NULL;

	if (check_json_templates(ld, item) < 0)
		return NULL;
	if (gl_jsondoc_compact(&text, &ld->doc, item) < 0) {
		oom(ld, at);
		return NULL;
	}
	/* Each string parsed on its own above; the compact text adds no "{{". */
	gl_diag_init(&scratch);
	if (gl_template_parse(&t, text, at, &scratch) < 0)
		gl_diag_add(ld->diag, at, "cannot use '%s' as a template", text);
	gl_diag_release(&scratch);
	free(text);
	return t;
}

static void load_tags(struct loader *ld, char ***out, size_t *n_out, const cJSON *arr,
                      char *const *inherit, size_t n_inherit)
{
	size_t cap = n_inherit + (size_t)(arr ? cJSON_GetArraySize(arr) : 0);
	char **tags = calloc(cap + 1, sizeof(*tags));
	size_t n = 0;

	if (!tags) {
		oom(ld, pos(ld, arr));
		return;
	}
	*out = tags;
	for (size_t i = 0; i < n_inherit; i++)
		if (inherit[i] && (tags[n] = dup_text(ld, inherit[i], arr)))
			n++;
	for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next) {
		size_t k;
		if (!cJSON_IsString(c) || !c->valuestring[0]) {
			gl_diag_add(ld->diag, pos(ld, c),
			            "'tags' must be an array of non-empty strings");
			continue;
		}
		for (k = 0; k < n; k++)
			if (strcmp(tags[k], c->valuestring) == 0)
				break;
		if (k < n)
			continue;
		if ((tags[n] = dup_text(ld, c->valuestring, c)))
			n++;
	}
	*n_out = n;
}

static int load_kv(struct loader *ld, struct gl_kv *kv, const cJSON *c, const char *what,
                   bool header)
{
	kv->pos = key_pos(ld, c);
	if (header && !is_token(c->string)) {
		gl_diag_add(ld->diag, key_pos(ld, c), "invalid header name '%s'", c->string);
		return -1;
	}
	if (!cJSON_IsString(c)) {
		gl_diag_add(ld->diag, pos(ld, c), "%s '%s' must be a string", what, c->string);
		return -1;
	}
	if (header && strpbrk(c->valuestring, "\r\n")) {
		gl_diag_add(ld->diag, pos(ld, c), "header '%s' must not contain a line break",
		            c->string);
		return -1;
	}
	kv->name = dup_text(ld, c->string, c);
	kv->value = string_template(ld, c);
	return kv->name && kv->value ? 0 : -1;
}

/* An integer in [lo, hi] written as plain digits, else "'<name>' must be an
 * integer from lo to hi" at the value. */
static int ranged_long(struct loader *ld, long *out, const cJSON *item, const char *name, long lo,
                       long hi)
{
	size_t len = 0;
	const char *lit = cJSON_IsNumber(item) ? gl_jsondoc_literal(&ld->doc, item, &len) : "";
	long v = 0;
	size_t i;

	for (i = 0; i < len && lit[i] >= '0' && lit[i] <= '9' && v <= hi; i++)
		v = v * 10 + (lit[i] - '0');
	if (len == 0 || i < len || v < lo || v > hi) {
		gl_diag_add(ld->diag, pos(ld, item), "'%s' must be an integer from %ld to %ld",
		            name, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* "retry": {"max": 0..5, "backoff_ms": 0..10000 (default 200)}. */
static void load_retry(struct loader *ld, unsigned *max, long *backoff_ms, const cJSON *obj)
{
	const cJSON *v;
	long m = 0;

	if (!cJSON_IsObject(obj)) {
		gl_diag_add(ld->diag, pos(ld, obj),
		            "'retry' must be an object: {\"max\": N, \"backoff_ms\": MS}");
		return;
	}
	gl_jsondoc_check_keys(&ld->doc, obj, retry_keys, N(retry_keys));
	v = gl_jsondoc_get(&ld->doc, obj, "max", cJSON_Number, "an integer", "retry");
	if (v && ranged_long(ld, &m, v, "max", 0, GL_RETRY_MAX_MAX) == 0)
		*max = (unsigned)m;
	*backoff_ms = GL_DEFAULT_RETRY_BACKOFF_MS;
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "backoff_ms")))
		ranged_long(ld, backoff_ms, v, "backoff_ms", 0, GL_RETRY_BACKOFF_MAX_MS);
}

static void load_defaults(struct loader *ld, const cJSON *obj)
{
	const cJSON *item;

	gl_jsondoc_check_keys(&ld->doc, obj, defaults_keys, N(defaults_keys));
	item = gl_jsondoc_get(&ld->doc, obj, "headers", cJSON_Object, "an object", NULL);
	if (item) {
		int ok = 1;
		for (const cJSON *c = item->child; c; c = c->next) {
			struct gl_kv kv = {0};
			ok &= load_kv(ld, &kv, c, "header", true) == 0;
			free(kv.name);
			gl_template_free(kv.value);
		}
		if (ok)
			ld->default_headers = item;
	}
	if ((item = cJSON_GetObjectItemCaseSensitive(obj, "timeout_ms")))
		gl_jsondoc_long(&ld->timeout_ms, &ld->doc, item, "timeout_ms", 1);
	if ((item = cJSON_GetObjectItemCaseSensitive(obj, "connect_timeout_ms")))
		gl_jsondoc_long(&ld->connect_timeout_ms, &ld->doc, item, "connect_timeout_ms", 1);
	if ((item = cJSON_GetObjectItemCaseSensitive(obj, "max_body_bytes")))
		gl_jsondoc_long(&ld->max_body_bytes, &ld->doc, item, "max_body_bytes", 1);
	if ((item = cJSON_GetObjectItemCaseSensitive(obj, "retry")))
		load_retry(ld, &ld->retry_max, &ld->retry_backoff_ms, item);
}

/* 1 when c loaded into *kv, else 0 with *kv left empty. */
static size_t keep_kv(struct loader *ld, struct gl_kv *kv, const cJSON *c, const char *what,
                      bool header)
{
	if (load_kv(ld, kv, c, what, header) == 0)
		return 1;
	free(kv->name);
	gl_template_free(kv->value);
	memset(kv, 0, sizeof(*kv));
	return 0;
}

static void load_kvs(struct loader *ld, struct gl_kv **out, size_t *n_out, const cJSON *obj,
                     const char *what, bool header, const cJSON *defaults)
{
	size_t cap = (size_t)cJSON_GetArraySize(obj) +
	             (defaults ? (size_t)cJSON_GetArraySize(defaults) : 0);
	struct gl_kv *kvs = calloc(cap + 1, sizeof(*kvs));
	size_t n = 0;

	if (!kvs) {
		oom(ld, pos(ld, obj));
		return;
	}
	*out = kvs;
	/* Default headers first, unless the request sets the same name itself. */
	for (const cJSON *d = defaults ? defaults->child : NULL; d; d = d->next) {
		bool own = false;
		for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next)
			own |= strcasecmp(c->string, d->string) == 0;
		if (own)
			continue;
		n += keep_kv(ld, &kvs[n], d, what, header);
	}
	for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next)
		n += keep_kv(ld, &kvs[n], c, what, header);
	*n_out = n;
}

static void load_auth(struct loader *ld, struct gl_request *r, const cJSON *auth)
{
	const cJSON *bearer = cJSON_GetObjectItemCaseSensitive(auth, "bearer");
	const cJSON *basic = cJSON_GetObjectItemCaseSensitive(auth, "basic");
	const cJSON *item;

	gl_jsondoc_check_keys(&ld->doc, auth, auth_keys, N(auth_keys));
	if (!bearer == !basic) {
		gl_diag_add(ld->diag, pos(ld, auth),
		            "'auth' must have exactly one of 'bearer' or 'basic'");
		return;
	}
	if (bearer) {
		if (!cJSON_IsString(bearer)) {
			gl_diag_add(ld->diag, pos(ld, bearer), "'bearer' must be a string");
			return;
		}
		r->auth_kind = GL_AUTH_BEARER;
		r->auth_token = string_template(ld, bearer);
		return;
	}
	if (!cJSON_IsObject(basic)) {
		gl_diag_add(ld->diag, pos(ld, basic), "'basic' must be an object");
		return;
	}
	gl_jsondoc_check_keys(&ld->doc, basic, basic_keys, N(basic_keys));
	r->auth_kind = GL_AUTH_BASIC;
	item = gl_jsondoc_get(&ld->doc, basic, "user", cJSON_String, "a string", "basic auth");
	if (item)
		r->auth_user = string_template(ld, item);
	item = gl_jsondoc_get(&ld->doc, basic, "password", cJSON_String, "a string", "basic auth");
	if (item)
		r->auth_password = string_template(ld, item);
}

static void set_method(struct loader *ld, struct gl_request *r, const char *m, size_t len,
                       const cJSON *at)
{
	char *up = strndup(m, len);

	if (!up) {
		oom(ld, pos(ld, at));
		return;
	}
	for (char *p = up; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	if (!*up || strspn(up, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(up))
		gl_diag_add(ld->diag, pos(ld, at), "invalid method '%s'", up);
	r->method = up;
}

/* "METHOD URL" or "URL". */
static void load_request_string(struct loader *ld, struct gl_request *r, const cJSON *item)
{
	const char *s = item->valuestring;
	size_t word = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
	size_t url = 0;
	struct gl_pos at = gl_jsondoc_inner_pos(&ld->doc, item);

	if (word > 0 && s[word] == ' ') {
		url = word + strspn(s + word, " ");
		set_method(ld, r, s, word, item);
	} else {
		set_method(ld, r, "GET", 3, item);
	}
	if (!s[url]) {
		gl_diag_add(ld->diag, pos(ld, item), "'request' has no URL");
		return;
	}
	at.col += (unsigned)url;
	gl_template_parse(&r->url, s + url, at, ld->diag);
}

static void load_request(struct loader *ld, struct gl_request *r, const cJSON *item)
{
	const cJSON *v;

	r->pos = pos(ld, item);
	r->timeout_ms = ld->timeout_ms;
	r->connect_timeout_ms = ld->connect_timeout_ms;
	r->max_body_bytes = ld->max_body_bytes;
	if (cJSON_IsString(item)) {
		load_request_string(ld, r, item);
		load_kvs(ld, &r->headers, &r->n_headers, NULL, "header", true, ld->default_headers);
		return;
	}
	if (!cJSON_IsObject(item)) {
		gl_diag_add(ld->diag, pos(ld, item),
		            "'request' must be a string \"METHOD URL\" or an object");
		return;
	}
	gl_jsondoc_check_keys(&ld->doc, item, request_keys, N(request_keys));
	v = gl_jsondoc_get(&ld->doc, item, "method", cJSON_String, "a string", NULL);
	if (v)
		set_method(ld, r, v->valuestring, strlen(v->valuestring), v);
	else if (!r->method)
		set_method(ld, r, "GET", 3, item);
	v = gl_jsondoc_get(&ld->doc, item, "url", cJSON_String, "a string", "request");
	if (v)
		r->url = string_template(ld, v);
	v = gl_jsondoc_get(&ld->doc, item, "headers", cJSON_Object, "an object", NULL);
	load_kvs(ld, &r->headers, &r->n_headers, v, "header", true, ld->default_headers);
	v = gl_jsondoc_get(&ld->doc, item, "query", cJSON_Object, "an object", NULL);
	if (v)
		load_kvs(ld, &r->query, &r->n_query, v, "query parameter", false, NULL);
	const cJSON *json = cJSON_GetObjectItemCaseSensitive(item, "json");
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(item, "body");
	if (json && body) {
		gl_diag_add(ld->diag, key_pos(ld, body), "'json' and 'body' cannot both be set");
	} else if (json) {
		r->body_kind = GL_BODY_JSON;
		r->body = json_template(ld, json, gl_jsondoc_pos(&ld->doc, json));
	} else if (body) {
		if (!cJSON_IsString(body)) {
			gl_diag_add(ld->diag, pos(ld, body),
			            "'body' must be a string (use 'json' for a JSON body)");
		} else {
			r->body_kind = GL_BODY_RAW;
			r->body = string_template(ld, body);
		}
	}
	v = gl_jsondoc_get(&ld->doc, item, "auth", cJSON_Object, "an object", NULL);
	if (v)
		load_auth(ld, r, v);
	if ((v = cJSON_GetObjectItemCaseSensitive(item, "timeout_ms")))
		gl_jsondoc_long(&r->timeout_ms, &ld->doc, v, "timeout_ms", 1);
	if ((v = cJSON_GetObjectItemCaseSensitive(item, "connect_timeout_ms")))
		gl_jsondoc_long(&r->connect_timeout_ms, &ld->doc, v, "connect_timeout_ms", 1);
	if ((v = cJSON_GetObjectItemCaseSensitive(item, "max_body_bytes")))
		gl_jsondoc_long(&r->max_body_bytes, &ld->doc, v, "max_body_bytes", 1);
}

static struct gl_assertion *add_assert(struct loader *ld, struct gl_step *st, enum gl_target t,
                                       enum gl_cmp cmp, struct gl_pos at)
{
	struct gl_assertion *a = realloc(st->asserts, (st->n_asserts + 1) * sizeof(*a));

	if (!a) {
		oom(ld, at);
		return NULL;
	}
	st->asserts = a;
	a = &st->asserts[st->n_asserts++];
	memset(a, 0, sizeof(*a));
	a->target = t;
	a->cmp = cmp;
	a->pos = at;
	return a;
}

static regex_t *compile_regex(struct loader *ld, const cJSON *item)
{
	regex_t *re = calloc(1, sizeof(*re));
	int rc;

	if (!re) {
		oom(ld, pos(ld, item));
		return NULL;
	}
	rc = regcomp(re, item->valuestring, REG_EXTENDED);
	if (rc != 0) {
		char why[128];
		regerror(rc, re, why, sizeof(why));
		gl_diag_add(ld->diag, pos(ld, item), "invalid regex '%s': %s", item->valuestring,
		            why);
		free(re);
		return NULL;
	}
	return re;
}

static void free_regex(regex_t *re)
{
	if (re) {
		regfree(re);
		free(re);
	}
}

/* -?digits(.digits)?: exact decimal text, never an exponent. */
static bool is_decimal(const char *s, size_t len)
{
	size_t i = 0;
	size_t digits;

	if (i < len && s[i] == '-')
		i++;
	digits = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == digits)
		return false;
	if (i < len && s[i] == '.') {
		digits = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == digits)
			return false;
	}
	return i == len;
}

static const char *target_name(int on)
{
	return on == ON_HEADER ? "headers" : on == ON_JSON ? "json" : "body";
}

/* One operator of an operator object: one assertion. */
static void add_op(struct loader *ld, struct gl_step *st, int on, const cJSON *subject,
                   const struct op *op, const cJSON *v)
{
	enum gl_target t = on == ON_HEADER ? GL_T_HEADER : on == ON_JSON ? GL_T_JSON : GL_T_BODY;
	enum gl_cmp cmp = op->cmp;
	struct gl_pos at = key_pos(ld, v);
	struct gl_template *operand = NULL;
	regex_t *re = NULL;
	struct gl_jsonpath *path = NULL;
	struct gl_assertion *a;

	switch (op->cmp) {
	case GL_CMP_EQ:
	case GL_CMP_NE:
		if (on == ON_JSON) {
			operand = json_template(ld, v, pos(ld, v));
		} else if (!cJSON_IsString(v)) {
			gl_diag_add(ld->diag, pos(ld, v), "'%s' must be a string", op->name);
			return;
		} else {
			operand = string_template(ld, v);
		}
		if (!operand)
			return;
		break;
	case GL_CMP_EXISTS:
		if (!cJSON_IsBool(v)) {
			gl_diag_add(ld->diag, pos(ld, v), "'exists' must be true or false");
			return;
		}
		cmp = cJSON_IsTrue(v) ? GL_CMP_EXISTS : GL_CMP_ABSENT;
		break;
	case GL_CMP_TYPE: {
		size_t i = 0;
		while (cJSON_IsString(v) && i < N(json_types) &&
		       strcmp(v->valuestring, json_types[i]) != 0)
			i++;
		if (!cJSON_IsString(v) || i == N(json_types)) {
			gl_diag_add(ld->diag, pos(ld, v),
			            "'type' must be one of string, number, boolean, null, object, "
			            "array");
			return;
		}
		if (!(operand = literal(ld, json_types[i], pos(ld, v))))
			return;
		break;
	}
	case GL_CMP_MATCHES:
		if (!cJSON_IsString(v)) {
			gl_diag_add(ld->diag, pos(ld, v), "'matches' must be a string");
			return;
		}
		if (!(re = compile_regex(ld, v)))
			return;
		/* Patterns are not templates: "{{" in one is a regex brace. */
		if (!(operand = literal(ld, v->valuestring, pos(ld, v)))) {
			free_regex(re);
			return;
		}
		break;
	case GL_CMP_CONTAINS:
		if (!cJSON_IsString(v)) {
			gl_diag_add(ld->diag, pos(ld, v), "'contains' must be a string");
			return;
		}
		if (!(operand = string_template(ld, v)))
			return;
		break;
	default: { /* lt le gt ge */
		size_t len = 0;
		const char *text = NULL;
		char *dec;
		if (cJSON_IsNumber(v))
			text = gl_jsondoc_literal(&ld->doc, v, &len);
		else if (cJSON_IsString(v)) {
			text = v->valuestring;
			len = strlen(text);
		}
		if (!text || !is_decimal(text, len)) {
			gl_diag_add(ld->diag, pos(ld, v),
			            "'%s' must be a decimal number such as 0.001 (no exponent)",
			            op->name);
			return;
		}
		if (!(dec = strndup(text, len))) {
			oom(ld, at);
			return;
		}
		operand = literal(ld, dec, pos(ld, v));
		free(dec);
		if (!operand)
			return;
	}
	}
	if (on == ON_JSON) {
		struct gl_diag scratch;
		/* Checked once with positions by the caller; this copy cannot fail to parse. */
		gl_diag_init(&scratch);
		gl_jsonpath_compile(&path, subject->string, at, &scratch);
		gl_diag_release(&scratch);
		if (!path) {
			oom(ld, at);
			goto fail;
		}
	}
	a = add_assert(ld, st, t, cmp, at);
	if (!a)
		goto fail;
	a->subject = on == ON_BODY ? NULL : dup_text(ld, subject->string, subject);
	a->path = path;
	a->operand = operand;
	a->re = re;
	return;
fail:
	gl_jsonpath_free(path);
	gl_template_free(operand);
	free_regex(re);
}

static const struct op *find_op(const char *name)
{
	for (size_t i = 0; i < N(ops); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

/* subject -> a literal (equals) or an operator object; body: the object itself. */
static void load_ops(struct loader *ld, struct gl_step *st, int on, const cJSON *subject,
                     const cJSON *obj)
{
	const char *names[N(ops)];
	size_t n_names = 0;

	if (!cJSON_IsObject(obj)) {
		add_op(ld, st, on, subject, &ops[0], obj);
		return;
	}
	if (!obj->child) {
		gl_diag_add(ld->diag, pos(ld, obj), "empty operator object for '%s'",
		            on == ON_BODY ? "body" : subject->string);
		return;
	}
	for (size_t i = 0; i < N(ops); i++)
		if (ops[i].targets & on)
			names[n_names++] = ops[i].name;
	for (const cJSON *c = obj->child; c; c = c->next) {
		const struct op *op = find_op(c->string);
		if (op && !(op->targets & on)) {
			gl_diag_add(ld->diag, key_pos(ld, c),
			            "operator '%s' does not apply to '%s'", c->string,
			            target_name(on));
			continue;
		}
		if (!op) {
			const char *hint = gl_diag_suggest(c->string, names, n_names);
			if (hint)
				gl_diag_add(ld->diag, key_pos(ld, c),
				            "unknown key '%s' (did you mean '%s'?)", c->string,
				            hint);
			else
				gl_diag_add(ld->diag, key_pos(ld, c), "unknown key '%s'",
				            c->string);
			continue;
		}
		add_op(ld, st, on, subject, op, c);
	}
}

static bool status_code(struct loader *ld, const cJSON *v, long *out)
{
	size_t len;
	const char *lit = cJSON_IsNumber(v) ? gl_jsondoc_literal(&ld->doc, v, &len) : NULL;

	if (!lit || len != 3 || strspn(lit, "0123456789") < 3)
		return false;
	*out = strtol(lit, NULL, 10);
	return *out >= 100 && *out <= 599;
}

static void load_status(struct loader *ld, struct gl_step *st, const cJSON *v)
{
	size_t n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 1;
	long *codes = calloc(n ? n : 1, sizeof(*codes));
	struct gl_assertion *a;
	bool ok = n > 0;

	if (!codes) {
		oom(ld, pos(ld, v));
		return;
	}
	if (cJSON_IsArray(v)) {
		size_t i = 0;
		for (const cJSON *c = v->child; c; c = c->next)
			ok &= status_code(ld, c, &codes[i++]);
	} else {
		ok = status_code(ld, v, &codes[0]);
	}
	if (!ok) {
		gl_diag_add(ld->diag, pos(ld, v),
		            "'status' must be an HTTP status code (100..599) or an array of them");
		free(codes);
		return;
	}
	a = add_assert(ld, st, GL_T_STATUS, GL_CMP_STATUS_IN, key_pos(ld, v));
	if (!a) {
		free(codes);
		return;
	}
	a->statuses = codes;
	a->n_statuses = n;
}

/* No "status" in expect: any 2xx, so that no request passes on a 500 by omission. */
static void default_status(struct loader *ld, struct gl_step *st, struct gl_pos at)
{
	long *codes = calloc(100, sizeof(*codes));
	struct gl_assertion *a;

	if (!codes) {
		oom(ld, at);
		return;
	}
	for (long i = 0; i < 100; i++)
		codes[i] = 200 + i;
	a = add_assert(ld, st, GL_T_STATUS, GL_CMP_STATUS_IN, at);
	if (!a) {
		free(codes);
		return;
	}
	a->statuses = codes;
	a->n_statuses = 100;
}

static void load_limit(struct loader *ld, struct gl_step *st, const cJSON *expect, const char *key,
                       enum gl_target t, long min)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(expect, key);
	long limit;
	struct gl_assertion *a;

	if (!v || gl_jsondoc_long(&limit, &ld->doc, v, key, min) < 0)
		return;
	a = add_assert(ld, st, t, GL_CMP_LIMIT, key_pos(ld, v));
	if (a)
		a->limit = limit;
}

static void load_expect(struct loader *ld, struct gl_step *st, const cJSON *expect)
{
	const cJSON *v;

	if (expect && !cJSON_IsObject(expect)) {
		gl_diag_add(ld->diag, pos(ld, expect), "'expect' must be an object");
		expect = NULL;
	}
	if (expect)
		gl_jsondoc_check_keys(&ld->doc, expect, expect_keys, N(expect_keys));
	v = expect ? cJSON_GetObjectItemCaseSensitive(expect, "status") : NULL;
	if (v)
		load_status(ld, st, v);
	else
		default_status(ld, st, st->request.pos);
	if (!expect)
		return;
	v = gl_jsondoc_get(&ld->doc, expect, "headers", cJSON_Object, "an object", NULL);
	for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
		if (!is_token(c->string)) {
			gl_diag_add(ld->diag, key_pos(ld, c), "invalid header name '%s'",
			            c->string);
			continue;
		}
		if (!cJSON_IsString(c) && !cJSON_IsObject(c)) {
			gl_diag_add(ld->diag, pos(ld, c),
			            "header '%s' must be a string or an operator object",
			            c->string);
			continue;
		}
		load_ops(ld, st, ON_HEADER, c, c);
	}
	v = gl_jsondoc_get(&ld->doc, expect, "json", cJSON_Object, "an object", NULL);
	for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
		struct gl_jsonpath *path = NULL;
		if (gl_jsonpath_compile(&path, c->string, gl_jsondoc_key_inner_pos(&ld->doc, c),
		                        ld->diag) < 0)
			continue;
		gl_jsonpath_free(path);
		load_ops(ld, st, ON_JSON, c, c);
	}
	v = gl_jsondoc_get(&ld->doc, expect, "body", cJSON_Object, "an object of operators", NULL);
	if (v)
		load_ops(ld, st, ON_BODY, v, v);
	load_limit(ld, st, expect, "max_time_ms", GL_T_TIME_MS, 1);
	load_limit(ld, st, expect, "cert_days_min", GL_T_CERT_DAYS, 0);
}

static int load_capture(struct loader *ld, struct gl_capture *cap, const cJSON *c)
{
	const cJSON *src = c;
	const char *key = "json";

	cap->pos = key_pos(ld, c);
	if (!is_name(c->string)) {
		gl_diag_add(ld->diag, key_pos(ld, c),
		            "invalid capture name '%s': use letters, digits and '_'", c->string);
		return -1;
	}
	if (cJSON_IsObject(c)) {
		const char *const sources[] = {"json", "header", "regex"};
		const cJSON *secret;
		size_t found = 0;
		gl_jsondoc_check_keys(&ld->doc, c, capture_keys, N(capture_keys));
		for (size_t i = 0; i < N(sources); i++) {
			const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, sources[i]);
			if (s) {
				src = s;
				key = sources[i];
				found++;
			}
		}
		if (found != 1) {
			gl_diag_add(ld->diag, pos(ld, c),
			            "capture '%s' must have exactly one of 'json', 'header' or "
			            "'regex'",
			            c->string);
			return -1;
		}
		secret = gl_jsondoc_get(&ld->doc, c, "secret", cJSON_True | cJSON_False,
		                        "true or false", NULL);
		cap->secret = cJSON_IsTrue(secret);
	} else if (!cJSON_IsString(c)) {
		gl_diag_add(ld->diag, pos(ld, c),
		            "capture '%s' must be a JSON path string or an object", c->string);
		return -1;
	}
	if (!cJSON_IsString(src)) {
		gl_diag_add(ld->diag, pos(ld, src), "'%s' must be a string", key);
		return -1;
	}
	cap->name = dup_text(ld, c->string, c);
	cap->expr = dup_text(ld, src->valuestring, src);
	if (strcmp(key, "json") == 0) {
		cap->source = GL_CAP_JSON;
		return gl_jsonpath_compile(&cap->path, src->valuestring,
		                           gl_jsondoc_inner_pos(&ld->doc, src), ld->diag);
	}
	if (strcmp(key, "header") == 0) {
		cap->source = GL_CAP_HEADER;
		if (!is_token(src->valuestring)) {
			gl_diag_add(ld->diag, pos(ld, src), "invalid header name '%s'",
			            src->valuestring);
			return -1;
		}
		return 0;
	}
	cap->source = GL_CAP_REGEX;
	cap->re = compile_regex(ld, src);
	return cap->re ? 0 : -1;
}

static void free_capture(struct gl_capture *c)
{
	free(c->name);
	free(c->expr);
	gl_jsonpath_free(c->path);
	free_regex(c->re);
}

static void load_captures(struct loader *ld, struct gl_step *st, const cJSON *obj)
{
	if (!obj)
		return;
	if (!cJSON_IsObject(obj)) {
		gl_diag_add(ld->diag, pos(ld, obj), "'capture' must be an object");
		return;
	}
	st->captures = calloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof(*st->captures));
	if (!st->captures) {
		oom(ld, pos(ld, obj));
		return;
	}
	for (const cJSON *c = obj->child; c; c = c->next) {
		struct gl_capture *cap = &st->captures[st->n_captures];
		if (load_capture(ld, cap, c) == 0 && cap->name && cap->expr) {
			st->n_captures++;
			continue;
		}
		free_capture(cap);
		memset(cap, 0, sizeof(*cap));
	}
}

static void step_body(struct loader *ld, struct gl_step *st, const cJSON *obj)
{
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(obj, "request");

	load_request(ld, &st->request, req);
	load_expect(ld, st, cJSON_GetObjectItemCaseSensitive(obj, "expect"));
	load_captures(ld, st, cJSON_GetObjectItemCaseSensitive(obj, "capture"));
}

static void load_steps(struct loader *ld, struct gl_check *ch, const cJSON *steps)
{
	size_t n = (size_t)cJSON_GetArraySize(steps);

	if (n == 0) {
		gl_diag_add(ld->diag, pos(ld, steps), "'steps' must not be empty");
		return;
	}
	ch->steps = calloc(n, sizeof(*ch->steps));
	if (!ch->steps) {
		oom(ld, pos(ld, steps));
		return;
	}
	ch->n_steps = n;
	size_t i = 0;
	for (const cJSON *s = steps->child; s; s = s->next, i++) {
		struct gl_step *st = &ch->steps[i];
		const cJSON *name;
		st->pos = pos(ld, s);
		if (!cJSON_IsObject(s)) {
			gl_diag_add(ld->diag, pos(ld, s), "a step must be an object");
			continue;
		}
		gl_jsondoc_check_keys(&ld->doc, s, step_keys, N(step_keys));
		name = gl_jsondoc_get(&ld->doc, s, "name", cJSON_String, "a string", "step");
		if (name && !is_id(name->valuestring))
			gl_diag_add(ld->diag, pos(ld, name),
			            "invalid step name '%s': use letters, digits, '_', '.' and '-'",
			            name->valuestring);
		if (name) {
			const cJSON *p = steps->child;
			for (size_t k = 0; k < i; k++, p = p->next) {
				const cJSON *pn = cJSON_GetObjectItemCaseSensitive(p, "name");
				if (cJSON_IsString(pn) &&
				    strcmp(pn->valuestring, name->valuestring) == 0) {
					gl_diag_add(ld->diag, pos(ld, name),
					            "duplicate step name '%s' (first at line %u)",
					            name->valuestring, pos(ld, pn).line);
					break;
				}
			}
			st->name = dup_text(ld, name->valuestring, name);
		}
		if (!gl_jsondoc_get(&ld->doc, s, "request", cJSON_String | cJSON_Object,
		                    "a string \"METHOD URL\" or an object", "step"))
			continue;
		step_body(ld, st, s);
	}
	/* A capture name set twice in one flow would silently change meaning mid-flow. */
	for (size_t a = 0; a < ch->n_steps; a++)
		for (size_t c = 0; c < ch->steps[a].n_captures; c++)
			for (size_t b = 0; b < a; b++)
				for (size_t d = 0; d < ch->steps[b].n_captures; d++)
					if (strcmp(ch->steps[a].captures[c].name,
					           ch->steps[b].captures[d].name) == 0)
						gl_diag_add(ld->diag, ch->steps[a].captures[c].pos,
						            "duplicate capture name '%s' (first at "
						            "line %u)",
						            ch->steps[a].captures[c].name,
						            ch->steps[b].captures[d].pos.line);
}

struct id_ref {
	const cJSON *id;
	size_t index;
};

static int by_id_then_index(const void *a, const void *b)
{
	const struct id_ref *x = a;
	const struct id_ref *y = b;
	int c = strcmp(x->id->valuestring, y->id->valuestring);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* dup_of[i] (n zeroed slots): the "id" of the first check before check i with
 * the same id, or NULL. Sorted once rather than compared pairwise: a suite of
 * 10,000 checks took 1.5 s to load that way. Returns 0 or -1 (out of memory). */
static int find_duplicate_ids(const cJSON **dup_of, const cJSON *checks, size_t n)
{
	struct id_ref *refs = malloc(n * sizeof(*refs));
	size_t m = 0;
	size_t i = 0;

	if (!refs)
		return -1;
	for (const cJSON *c = checks->child; c && i < n; c = c->next, i++) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
		if (cJSON_IsString(id))
			refs[m++] = (struct id_ref){.id = id, .index = i};
	}
	qsort(refs, m, sizeof(*refs), by_id_then_index);
	/* In id order, then file order: each run of equal ids starts with the first. */
	const cJSON *first = m ? refs[0].id : NULL;
	for (size_t k = 1; k < m; k++) {
		if (strcmp(refs[k].id->valuestring, first->valuestring) == 0)
			dup_of[refs[k].index] = first;
		else
			first = refs[k].id;
	}
	free(refs);
	return 0;
}

/* dup_of: NULL, or the "id" of the first earlier check with this one's id. */
static void load_check(struct loader *ld, struct gl_check *ch, const cJSON *obj,
                       const cJSON *dup_of)
{
	const cJSON *id;
	const cJSON *v;
	const cJSON *req;
	const cJSON *steps;

	ch->pos = pos(ld, obj);
	if (!cJSON_IsObject(obj)) {
		gl_diag_add(ld->diag, pos(ld, obj), "a check must be an object");
		return;
	}
	gl_jsondoc_check_keys(&ld->doc, obj, check_keys, N(check_keys));
	id = gl_jsondoc_get(&ld->doc, obj, "id", cJSON_String, "a string", "check");
	if (id && !is_id(id->valuestring))
		gl_diag_add(ld->diag, pos(ld, id),
		            "invalid check id '%s': use letters, digits, '_', '.' and '-'",
		            id->valuestring);
	if (id) {
		if (dup_of)
			gl_diag_add(ld->diag, pos(ld, id),
			            "duplicate check id '%s' (first at line %u)", id->valuestring,
			            pos(ld, dup_of).line);
		ch->id = dup_text(ld, id->valuestring, id);
	}
	v = gl_jsondoc_get(&ld->doc, obj, "description", cJSON_String, "a string", NULL);
	if (v)
		ch->description = dup_text(ld, v->valuestring, v);
	v = gl_jsondoc_get(&ld->doc, obj, "tags", cJSON_Array, "an array of strings", NULL);
	load_tags(ld, &ch->tags, &ch->n_tags, v, ld->suite->tags, ld->suite->n_tags);
	v = gl_jsondoc_get(&ld->doc, obj, "mutating", cJSON_True | cJSON_False, "true or false",
	                   NULL);
	ch->mutating = cJSON_IsTrue(v);
	ch->retry_max = ld->retry_max;
	ch->retry_backoff_ms = ld->retry_backoff_ms;
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "retry")))
		load_retry(ld, &ch->retry_max, &ch->retry_backoff_ms, v);
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "deadline_ms")))
		gl_jsondoc_long(&ch->deadline_ms, &ld->doc, v, "deadline_ms", 1);

	req = cJSON_GetObjectItemCaseSensitive(obj, "request");
	steps = cJSON_GetObjectItemCaseSensitive(obj, "steps");
	const char *what = id ? id->valuestring : "?";
	if (req && steps) {
		gl_diag_add(ld->diag, key_pos(ld, steps),
		            "check '%s' has both 'request' and 'steps'", what);
		return;
	}
	if (!req && !steps) {
		gl_diag_add(ld->diag, pos(ld, obj), "check '%s' needs 'request' or 'steps'", what);
		return;
	}
	if (steps) {
		ch->is_flow = true;
		static const char *const step_only[] = {"expect", "capture"};
		for (size_t k = 0; k < N(step_only); k++)
			if ((v = cJSON_GetObjectItemCaseSensitive(obj, step_only[k])))
				gl_diag_add(ld->diag, key_pos(ld, v),
				            "'%s' belongs in a step when a check has 'steps'",
				            step_only[k]);
		if (!cJSON_IsArray(steps))
			gl_diag_add(ld->diag, pos(ld, steps), "'steps' must be an array");
		else
			load_steps(ld, ch, steps);
		return;
	}
	ch->steps = calloc(1, sizeof(*ch->steps));
	if (!ch->steps) {
		oom(ld, ch->pos);
		return;
	}
	ch->n_steps = 1;
	ch->steps[0].pos = ch->pos;
	if (id)
		ch->steps[0].name = dup_text(ld, id->valuestring, id);
	step_body(ld, &ch->steps[0], obj);
}

/* The file name without directories and without ".json". */
/* ---- replay suites ---- */

static void free_step(struct gl_step *st);
static void free_strings(char **v, size_t n);

static void add_string(struct loader *ld, char ***arr, size_t *n, const char *v, const cJSON *at)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i], v) == 0)
			return;
	char **grown = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!grown) {
		oom(ld, pos(ld, at));
		return;
	}
	*arr = grown;
	if ((grown[*n] = dup_text(ld, v, at)))
		(*n)++;
}

/* A name list: "a" or ["a", "b"], each a field name. */
static void load_names(struct loader *ld, char ***out, size_t *n, const cJSON *v, const char *what)
{
	if (cJSON_IsString(v)) {
		if (!is_id(v->valuestring))
			gl_diag_add(ld->diag, pos(ld, v), "invalid %s '%s'", what, v->valuestring);
		else
			add_string(ld, out, n, v->valuestring, v);
		return;
	}
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
		gl_diag_add(ld->diag, pos(ld, v),
		            "'%s' must be a field name or a non-empty array of them", what);
		return;
	}
	for (const cJSON *c = v->child; c; c = c->next) {
		if (!cJSON_IsString(c) || !is_id(c->valuestring))
			gl_diag_add(ld->diag, pos(ld, c), "invalid %s: expected a field name",
			            what);
		else
			add_string(ld, out, n, c->valuestring, c);
	}
}

/* A money amount such as "0.001": text, parsed exactly. */
static void load_amount(struct loader *ld, struct gl_dec *out, const cJSON *v, const char *what)
{
	size_t len = 0;
	const char *text = NULL;

	if (cJSON_IsString(v)) {
		text = v->valuestring;
		len = strlen(text);
	} else if (cJSON_IsNumber(v)) {
		text = gl_jsondoc_literal(&ld->doc, v, &len);
	}
	if (!text || gl_dec_parse(out, text, len) != 0 || out->units < 0)
		gl_diag_add(ld->diag, pos(ld, v),
		            "'%s' must be a non-negative decimal amount such as \"0.001\"", what);
}

static void load_ratio(struct loader *ld, double *out, const cJSON *v, const char *what, double lo,
                       double hi)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble > lo && v->valuedouble < hi)) {
		gl_diag_add(ld->diag, pos(ld, v), "'%s' must be a number between %g and %g", what,
		            lo, hi);
		return;
	}
	*out = v->valuedouble;
}

static void load_output(struct loader *ld, struct gl_replay_output *o, const cJSON *c)
{
	const cJSON *v;

	o->pos = key_pos(ld, c);
	o->name = dup_text(ld, c->string, c);
	o->tol = gl_tol_spec_default();
	if (!is_id(c->string))
		gl_diag_add(ld->diag, key_pos(ld, c), "invalid output name '%s'", c->string);
	if (!cJSON_IsObject(c)) {
		gl_diag_add(ld->diag, pos(ld, c),
		            "output '%s' must be an object (use {} for the defaults)", c->string);
		return;
	}
	gl_jsondoc_check_keys(&ld->doc, c, output_keys, N(output_keys));
	v = gl_jsondoc_get(&ld->doc, c, "path", cJSON_String, "a JSON path string", NULL);
	if (v) {
		o->path_text = dup_text(ld, v->valuestring, v);
	} else if (o->name) {
		size_t len = strlen(o->name) + 3;
		o->path_text = malloc(len);
		if (o->path_text)
			snprintf(o->path_text, len, "$.%s", o->name);
		else
			oom(ld, o->pos);
	}
	if (o->path_text)
		gl_jsonpath_compile(&o->path, o->path_text,
		                    v ? gl_jsondoc_inner_pos(&ld->doc, v) : o->pos, ld->diag);
	v = gl_jsondoc_get(&ld->doc, c, "column", cJSON_String, "a column name", NULL);
	o->column = dup_text(ld, v ? v->valuestring : c->string, v ? v : c);
	if ((v = cJSON_GetObjectItemCaseSensitive(c, "abs")))
		load_amount(ld, &o->tol.abs_tol, v, "abs");
	if ((v = cJSON_GetObjectItemCaseSensitive(c, "rel")))
		load_ratio(ld, &o->tol.rel_tol, v, "rel", 0, 0.5);
	if ((v = cJSON_GetObjectItemCaseSensitive(c, "drift")))
		load_amount(ld, &o->tol.drift_budget, v, "drift");
	if ((v = cJSON_GetObjectItemCaseSensitive(c, "alpha")))
		load_ratio(ld, &o->tol.alpha, v, "alpha", 0, 1);
	if ((v = cJSON_GetObjectItemCaseSensitive(c, "min_effect")))
		load_amount(ld, &o->tol.min_effect, v, "min_effect");
}

/* The case fields a request needs: every {{case.NAME}} in its templates. */
static void collect_case_names(struct loader *ld, struct gl_replay *r, const struct gl_template *t,
                               const cJSON *at)
{
	if (!t)
		return;
	for (size_t i = 0; i < gl_template_n_names(t); i++) {
		const char *name = gl_template_name(t, i);
		if (strncmp(name, "case.", 5) == 0 && name[5])
			add_string(ld, &r->case_fields, &r->n_case_fields, name + 5, at);
	}
}

static void load_calculate(struct loader *ld, struct gl_replay *r, const cJSON *calc)
{
	const cJSON *http = cJSON_GetObjectItemCaseSensitive(calc, "http");
	const cJSON *sql = cJSON_GetObjectItemCaseSensitive(calc, "sql");
	const cJSON *bulk = cJSON_GetObjectItemCaseSensitive(calc, "bulk_sql");
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(calc, "file");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(calc, "params");

	gl_jsondoc_check_keys(&ld->doc, calc, calculate_keys, N(calculate_keys));
	if ((http != NULL) + (sql != NULL) + (bulk != NULL) + (file != NULL) != 1) {
		gl_diag_add(
		        ld->diag, pos(ld, calc),
		        "'calculate' needs exactly one of 'http', 'sql', 'bulk_sql' and 'file'");
		return;
	}
	if (params && !sql)
		gl_diag_add(ld->diag, key_pos(ld, params), "'params' goes with 'sql'");
	if (http) {
		r->calc = GL_CALC_HTTP;
		r->request = calloc(1, sizeof(*r->request));
		if (!r->request) {
			oom(ld, pos(ld, http));
			return;
		}
		load_request(ld, r->request, http);
		struct gl_request *q = r->request;
		collect_case_names(ld, r, q->url, http);
		for (size_t i = 0; i < q->n_headers; i++)
			collect_case_names(ld, r, q->headers[i].value, http);
		for (size_t i = 0; i < q->n_query; i++)
			collect_case_names(ld, r, q->query[i].value, http);
		collect_case_names(ld, r, q->body, http);
		collect_case_names(ld, r, q->auth_user, http);
		collect_case_names(ld, r, q->auth_password, http);
		collect_case_names(ld, r, q->auth_token, http);
	} else if (sql) {
		r->calc = GL_CALC_SQL;
		if (!cJSON_IsString(sql) || !sql->valuestring[0]) {
			gl_diag_add(ld->diag, pos(ld, sql), "'sql' must be a query string");
			return;
		}
		r->sql = dup_text(ld, sql->valuestring, sql);
		if (params)
			load_names(ld, &r->params, &r->n_params, params, "params");
		for (size_t i = 0; i < r->n_params; i++)
			add_string(ld, &r->case_fields, &r->n_case_fields, r->params[i], params);
	} else if (bulk) {
		r->calc = GL_CALC_BULK_SQL;
		if (!cJSON_IsString(bulk) || !bulk->valuestring[0])
			gl_diag_add(ld->diag, pos(ld, bulk), "'bulk_sql' must be a query string");
		else
			r->bulk_sql = dup_text(ld, bulk->valuestring, bulk);
	} else {
		r->calc = GL_CALC_FILE;
		if (!cJSON_IsString(file) || !file->valuestring[0])
			gl_diag_add(ld->diag, pos(ld, file), "'file' must be a path");
		else
			r->outputs_file = dup_text(ld, file->valuestring, file);
	}
}

static void load_cases(struct loader *ld, struct gl_replay *r, const cJSON *cases)
{
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(cases, "file");
	const cJSON *sql = cJSON_GetObjectItemCaseSensitive(cases, "sql");

	gl_jsondoc_check_keys(&ld->doc, cases, cases_keys, N(cases_keys));
	if ((file != NULL) == (sql != NULL)) {
		gl_diag_add(ld->diag, pos(ld, cases),
		            "'cases' needs exactly one of 'file' and 'sql'");
		return;
	}
	const cJSON *v = file ? file : sql;
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		gl_diag_add(ld->diag, pos(ld, v), "'%s' must be a non-empty string", v->string);
		return;
	}
	r->cases_kind = file ? GL_CASES_FILE : GL_CASES_SQL;
	if (file)
		r->cases_file = dup_text(ld, v->valuestring, v);
	else
		r->cases_sql = dup_text(ld, v->valuestring, v);
}

static void load_replay(struct loader *ld, const cJSON *obj)
{
	struct gl_replay *r = calloc(1, sizeof(*r));
	const cJSON *v;

	if (!r) {
		oom(ld, pos(ld, obj));
		return;
	}
	ld->suite->replay = r;
	r->pos = key_pos(ld, obj);
	gl_jsondoc_check_keys(&ld->doc, obj, replay_keys, N(replay_keys));
	v = cJSON_GetObjectItemCaseSensitive(obj, "key");
	if (v)
		load_names(ld, &r->keys, &r->n_keys, v, "key");
	else
		gl_diag_add(ld->diag, pos(ld, obj), "replay is missing 'key'");
	/* Keys come first among the case fields: the runner reads them there. */
	for (size_t i = 0; i < r->n_keys; i++)
		add_string(ld, &r->case_fields, &r->n_case_fields, r->keys[i], v);
	v = gl_jsondoc_get(&ld->doc, obj, "calculate", cJSON_Object, "an object", "replay");
	if (v)
		load_calculate(ld, r, v);
	v = gl_jsondoc_get(&ld->doc, obj, "cases", cJSON_Object, "an object", NULL);
	if (r->calc == GL_CALC_BULK_SQL || r->calc == GL_CALC_FILE) {
		r->cases_kind = GL_CASES_NONE;
		if (v)
			gl_diag_add(ld->diag, key_pos(ld, v),
			            "'cases' does not go with 'bulk_sql' or 'file': they are the "
			            "cases");
	} else if (v) {
		load_cases(ld, r, v);
	} else if (cJSON_GetObjectItemCaseSensitive(obj, "calculate")) {
		gl_diag_add(ld->diag, pos(ld, obj), "replay is missing 'cases'");
	}
	v = gl_jsondoc_get(&ld->doc, obj, "outputs", cJSON_Object, "an object", "replay");
	if (v) {
		size_t n = (size_t)cJSON_GetArraySize(v);
		if (n == 0)
			gl_diag_add(ld->diag, pos(ld, v), "'outputs' must name at least one field");
		r->outputs = calloc(n ? n : 1, sizeof(*r->outputs));
		if (!r->outputs) {
			oom(ld, pos(ld, v));
			return;
		}
		for (const cJSON *c = v->child; c; c = c->next) {
			for (size_t i = 0; i < r->n_keys; i++)
				if (strcmp(r->keys[i], c->string) == 0)
					gl_diag_add(ld->diag, key_pos(ld, c),
					            "output '%s' is also a key", c->string);
			load_output(ld, &r->outputs[r->n_outputs++], c);
		}
	}
	v = gl_jsondoc_get(&ld->doc, obj, "golden", cJSON_String, "a path string", "replay");
	if (v) {
		size_t len = strlen(v->valuestring);
		if (len < 5 || strcmp(v->valuestring + len - 4, ".csv") != 0)
			gl_diag_add(ld->diag, pos(ld, v), "'golden' must name a .csv file");
		r->golden = dup_text(ld, v->valuestring, v);
	}
}

static void free_replay(struct gl_replay *r)
{
	if (!r)
		return;
	free(r->cases_file);
	free(r->cases_sql);
	free_strings(r->keys, r->n_keys);
	free_strings(r->case_fields, r->n_case_fields);
	if (r->request) {
		struct gl_step st = {.request = *r->request};
		free_step(&st);
		free(r->request);
	}
	free(r->sql);
	free_strings(r->params, r->n_params);
	free(r->bulk_sql);
	free(r->outputs_file);
	for (size_t i = 0; i < r->n_outputs; i++) {
		free(r->outputs[i].name);
		free(r->outputs[i].path_text);
		gl_jsonpath_free(r->outputs[i].path);
		free(r->outputs[i].column);
	}
	free(r->outputs);
	free(r->golden);
	free(r);
}

static void load_suite(struct loader *ld, const cJSON *root)
{
	struct gl_suite *s = ld->suite;
	const cJSON *v;
	const cJSON *checks;

	if (!cJSON_IsObject(root)) {
		gl_diag_add(ld->diag, pos(ld, root), "a suite must be a JSON object");
		return;
	}
	gl_jsondoc_check_keys(&ld->doc, root, top_keys, N(top_keys));
	v = gl_jsondoc_get(&ld->doc, root, "suite", cJSON_String, "a string", NULL);
	if (v && !is_id(v->valuestring))
		gl_diag_add(ld->diag, pos(ld, v),
		            "invalid suite name '%s': use letters, digits, '_', '.' and '-'",
		            v->valuestring);
	s->name = v ? strdup(v->valuestring) : gl_jsondoc_default_name(s->path);
	if (!s->name)
		oom(ld, pos(ld, root));
	v = gl_jsondoc_get(&ld->doc, root, "description", cJSON_String, "a string", NULL);
	if (v)
		s->description = dup_text(ld, v->valuestring, v);
	v = gl_jsondoc_get(&ld->doc, root, "tags", cJSON_Array, "an array of strings", NULL);
	load_tags(ld, &s->tags, &s->n_tags, v, NULL, 0);
	v = gl_jsondoc_get(&ld->doc, root, "defaults", cJSON_Object, "an object", NULL);
	if (v)
		load_defaults(ld, v);
	/* A suite is either smoke checks or one replay, never both: a gate reads
	 * its testcases by kind. */
	v = cJSON_GetObjectItemCaseSensitive(root, "replay");
	if (v) {
		if (cJSON_GetObjectItemCaseSensitive(root, "checks"))
			gl_diag_add(ld->diag, key_pos(ld, v),
			            "a suite has 'checks' or 'replay', not both");
		else if (!cJSON_IsObject(v))
			gl_diag_add(ld->diag, pos(ld, v), "'replay' must be an object");
		else
			load_replay(ld, v);
		return;
	}
	checks = gl_jsondoc_get(&ld->doc, root, "checks", cJSON_Array, "an array of checks",
	                        "suite");
	if (!checks)
		return;
	size_t n = (size_t)cJSON_GetArraySize(checks);
	if (n == 0) {
		gl_diag_add(ld->diag, pos(ld, checks), "'checks' must not be empty");
		return;
	}
	s->checks = calloc(n, sizeof(*s->checks));
	const cJSON **dup_of = calloc(n, sizeof(*dup_of));
	if (!s->checks || !dup_of || find_duplicate_ids(dup_of, checks, n) < 0) {
		free(dup_of);
		oom(ld, pos(ld, checks));
		return;
	}
	s->n_checks = n;
	size_t i = 0;
	for (const cJSON *c = checks->child; c; c = c->next, i++)
		load_check(ld, &s->checks[i], c, dup_of[i]);
	free(dup_of);
}

int gl_suite_load(struct gl_suite **out, const char *path, struct gl_diag *diag)
{
	struct loader ld = {.diag = diag,
	                    .timeout_ms = GL_DEFAULT_TIMEOUT_MS,
	                    .connect_timeout_ms = GL_DEFAULT_CONNECT_TIMEOUT_MS,
	                    .max_body_bytes = GL_DEFAULT_MAX_BODY_BYTES,
	                    .retry_backoff_ms = GL_DEFAULT_RETRY_BACKOFF_MS};
	size_t errors = gl_diag_errors(diag);
	size_t first = diag->n;
	char digest[GL_DIGEST_LEN];
	char *text = NULL;
	size_t len = 0;
	struct gl_suite *s = NULL;
	int parsed = -1;

	*out = NULL;
	if (gl_jsondoc_read_file(&text, &len, path, diag) < 0)
		goto out;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		gl_diag_add(diag, (struct gl_pos){path, 0, 0}, "out of memory");
		goto out;
	}
	ld.suite = s;
	gl_digest_sha256(digest, text, len);
	s->digest = strdup(digest);
	if (!s->digest)
		oom(&ld, (struct gl_pos){path, 0, 0});
	parsed = gl_jsondoc_parse(&ld.doc, s->path, text, len, diag);
	if (parsed == 0)
		load_suite(&ld, ld.doc.root);
out:
	gl_jsondoc_sort_diag(diag, first);
	gl_jsondoc_release(&ld.doc);
	free(text);
	if (gl_diag_errors(diag) > errors) {
		gl_suite_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static void free_kvs(struct gl_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].name);
		gl_template_free(kv[i].value);
	}
	free(kv);
}

static void free_step(struct gl_step *st)
{
	struct gl_request *r = &st->request;

	free(st->name);
	free(r->method);
	gl_template_free(r->url);
	free_kvs(r->headers, r->n_headers);
	free_kvs(r->query, r->n_query);
	gl_template_free(r->body);
	gl_template_free(r->auth_user);
	gl_template_free(r->auth_password);
	gl_template_free(r->auth_token);
	for (size_t i = 0; i < st->n_asserts; i++) {
		struct gl_assertion *a = &st->asserts[i];
		free(a->subject);
		gl_jsonpath_free(a->path);
		gl_template_free(a->operand);
		free_regex(a->re);
		free(a->statuses);
	}
	free(st->asserts);
	for (size_t i = 0; i < st->n_captures; i++)
		free_capture(&st->captures[i]);
	free(st->captures);
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void gl_suite_free(struct gl_suite *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_checks; i++) {
		struct gl_check *c = &s->checks[i];
		free(c->id);
		free(c->description);
		free_strings(c->tags, c->n_tags);
		for (size_t k = 0; k < c->n_steps; k++)
			free_step(&c->steps[k]);
		free(c->steps);
	}
	free(s->checks);
	free_replay(s->replay);
	free_strings(s->tags, s->n_tags);
	free(s->path);
	free(s->name);
	free(s->description);
	free(s->digest);
	free(s);
}

struct scope {
	const struct gl_check *check;
	size_t step; /* the step whose templates are checked */
	gl_name_known_fn known;
	void *ctx;
	struct gl_diag *diag;
	size_t errors;
};

/* Whether diag already holds this very message: default headers are copied
 * into every request and would otherwise repeat one error per check. */
static bool already(const struct gl_diag *d, struct gl_pos at, const char *msg)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct gl_diag_entry *e = &d->entries[i];
		if (e->pos.line == at.line && e->pos.col == at.col && strcmp(e->msg, msg) == 0 &&
		    ((!e->pos.file && !at.file) ||
		     (e->pos.file && at.file && strcmp(e->pos.file, at.file) == 0)))
			return true;
	}
	return false;
}

static void report(struct scope *sc, struct gl_pos at, const char *msg)
{
	if (already(sc->diag, at, msg))
		return;
	gl_diag_add(sc->diag, at, "%s", msg);
	sc->errors++;
}

static void check_name(struct scope *sc, const struct gl_template *t, const char *name)
{
	const struct gl_check *ch = sc->check;
	const char **visible = NULL;
	size_t n_visible = 0;
	size_t cap = 0;
	char msg[512];

	if (sc->known(sc->ctx, name))
		return;
	for (size_t i = 0; i < ch->n_steps; i++)
		cap += ch->steps[i].n_captures;
	visible = calloc(cap + 1, sizeof(*visible));
	for (size_t i = 0; i < ch->n_steps; i++) {
		const struct gl_step *st = &ch->steps[i];
		for (size_t k = 0; k < st->n_captures; k++) {
			if (i < sc->step) {
				if (strcmp(st->captures[k].name, name) == 0)
					goto out;
				if (visible)
					visible[n_visible++] = st->captures[k].name;
			} else if (strcmp(st->captures[k].name, name) == 0) {
				if (i == sc->step)
					snprintf(msg, sizeof(msg),
					         "unknown variable '%s' (step '%s' captures it "
					         "only after its own request)",
					         name, st->name ? st->name : "?");
				else
					snprintf(msg, sizeof(msg),
					         "unknown variable '%s' (captured by the later "
					         "step '%s')",
					         name, st->name ? st->name : "?");
				report(sc, gl_template_pos(t), msg);
				goto out;
			}
		}
	}
	const char *hint = gl_diag_suggest(name, visible, n_visible);
	if (hint)
		snprintf(msg, sizeof(msg), "unknown variable '%s' (did you mean '%s'?)", name,
		         hint);
	else
		snprintf(msg, sizeof(msg), "unknown variable '%s'", name);
	report(sc, gl_template_pos(t), msg);
out:
	free(visible);
}

static void check_template(struct scope *sc, const struct gl_template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < gl_template_n_names(t); i++)
		check_name(sc, t, gl_template_name(t, i));
}

struct replay_scope {
	gl_name_known_fn known;
	void *ctx;
};

/* In a replay's request, {{case.NAME}} names a field of the case. */
static int replay_knows(void *ctx, const char *name)
{
	const struct replay_scope *rs = ctx;
	return (strncmp(name, "case.", 5) == 0 && name[5]) || rs->known(rs->ctx, name);
}

static void check_request(struct scope *sc, const struct gl_request *r);

static size_t check_replay_names(const struct gl_replay *r, gl_name_known_fn known, void *ctx,
                                 struct gl_diag *diag)
{
	struct replay_scope rs = {known, ctx};
	struct gl_step step = {.name = "calculate"};
	struct gl_check check = {.steps = &step, .n_steps = 1};
	struct scope sc = {.check = &check, .known = replay_knows, .ctx = &rs, .diag = diag};

	if (r->request) {
		step.request = *r->request;
		check_request(&sc, r->request);
	}
	return sc.errors;
}

static void check_request(struct scope *sc, const struct gl_request *r)
{
	check_template(sc, r->url);
	for (size_t k = 0; k < r->n_headers; k++)
		check_template(sc, r->headers[k].value);
	for (size_t k = 0; k < r->n_query; k++)
		check_template(sc, r->query[k].value);
	check_template(sc, r->body);
	check_template(sc, r->auth_user);
	check_template(sc, r->auth_password);
	check_template(sc, r->auth_token);
}

size_t gl_suite_check_names(const struct gl_suite *s, gl_name_known_fn known, void *ctx,
                            struct gl_diag *diag)
{
	struct scope sc = {.known = known, .ctx = ctx, .diag = diag};

	if (s->replay)
		return check_replay_names(s->replay, known, ctx, diag);

	for (size_t c = 0; c < s->n_checks; c++) {
		sc.check = &s->checks[c];
		for (size_t i = 0; i < sc.check->n_steps; i++) {
			const struct gl_step *st = &sc.check->steps[i];
			const struct gl_request *r = &st->request;
			sc.step = i;
			check_request(&sc, r);
			for (size_t k = 0; k < st->n_asserts; k++)
				check_template(&sc, st->asserts[k].operand);
		}
	}
	return sc.errors;
}
