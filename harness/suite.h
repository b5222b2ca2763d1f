/* Suite files: JSON declarations of checks, loaded into plain C structs that
 * carry their source positions.
 *
 * Ownership: gl_suite_load() gives the caller a struct gl_suite to free with
 * gl_suite_free(); everything reachable from it belongs to it. cJSON never
 * leaves suite.c. Format: README.md, "Writing suites". */
#ifndef GL_SUITE_H
#define GL_SUITE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "jsonpath.h"
#include "template.h"

struct gl_replay; /* replay.h */

/* A name and a templated value: a header, a query parameter. */
struct gl_kv {
	char *name;
	struct gl_template *value;
	struct gl_pos pos;
};

enum gl_body_kind {
	GL_BODY_NONE,
	GL_BODY_JSON, /* "json": any JSON value; templates inside its strings are JSON-escaped */
	GL_BODY_RAW,  /* "body": a string sent as it is */
};

enum gl_auth_kind { GL_AUTH_NONE, GL_AUTH_BASIC, GL_AUTH_BEARER };

#define GL_DEFAULT_TIMEOUT_MS         10000L
#define GL_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define GL_DEFAULT_MAX_BODY_BYTES     (8L * 1024 * 1024)
#define GL_RETRY_MAX_MAX              5
#define GL_RETRY_BACKOFF_MAX_MS       10000L
#define GL_DEFAULT_RETRY_BACKOFF_MS   200L

struct gl_request {
	char *method; /* upper case: GET, POST, ... */
	struct gl_template *url;
	struct gl_kv *headers;
	size_t n_headers;
	struct gl_kv *query; /* appended to the URL, names and values URL-encoded */
	size_t n_query;
	enum gl_body_kind body_kind;
	struct gl_template *body; /* GL_BODY_JSON: compact JSON text; GL_BODY_RAW: the text */
	enum gl_auth_kind auth_kind;
	struct gl_template *auth_user;     /* basic */
	struct gl_template *auth_password; /* basic */
	struct gl_template *auth_token;    /* bearer */
	long timeout_ms;                   /* whole transfer */
	long connect_timeout_ms;
	long max_body_bytes; /* a larger body is an error, the rest is not read */
	struct gl_pos pos;
};

enum gl_target {
	GL_T_STATUS,    /* statuses[] */
	GL_T_HEADER,    /* subject = header name (case-insensitive) */
	GL_T_JSON,      /* subject = path text, path compiled */
	GL_T_BODY,      /* the raw body */
	GL_T_TIME_MS,   /* limit = ceiling in ms, inclusive */
	GL_T_CERT_DAYS, /* limit = minimum whole days before the peer certificate expires */
};

enum gl_cmp {
	GL_CMP_EQ, /* JSON: operand is JSON text, compared as JSON; header: text */
	GL_CMP_NE,
	GL_CMP_EXISTS,   /* operand NULL */
	GL_CMP_ABSENT,   /* operand NULL */
	GL_CMP_TYPE,     /* operand: string|number|boolean|null|object|array */
	GL_CMP_MATCHES,  /* re (POSIX extended), operand = the pattern text for messages */
	GL_CMP_CONTAINS, /* operand: text (body, header, JSON string) */
	GL_CMP_LT,       /* operand: decimal text; compared exactly as decimals */
	GL_CMP_LE,
	GL_CMP_GT,
	GL_CMP_GE,
	GL_CMP_STATUS_IN, /* GL_T_STATUS only */
	GL_CMP_LIMIT,     /* GL_T_TIME_MS, GL_T_CERT_DAYS */
};

struct gl_assertion {
	enum gl_target target;
	enum gl_cmp cmp;
	char *subject;               /* header name or JSON path text; NULL otherwise */
	struct gl_jsonpath *path;    /* GL_T_JSON */
	struct gl_template *operand; /* see enum gl_cmp; NULL where none */
	regex_t *re;                 /* GL_CMP_MATCHES, compiled at load */
	long *statuses;              /* GL_CMP_STATUS_IN */
	size_t n_statuses;
	long limit; /* GL_CMP_LIMIT */
	struct gl_pos pos;
};

enum gl_capture_source { GL_CAP_JSON, GL_CAP_HEADER, GL_CAP_REGEX };

struct gl_capture {
	char *name;
	enum gl_capture_source source;
	char *expr;               /* path text, header name or pattern, as written */
	struct gl_jsonpath *path; /* GL_CAP_JSON */
	regex_t *re;              /* GL_CAP_REGEX: group 1 if the pattern has one, else the match */
	bool secret;              /* the captured value is redacted from every output */
	struct gl_pos pos;
};

struct gl_step {
	char *name; /* a lone request's step is named after its check */
	struct gl_request request;
	struct gl_assertion *asserts;
	size_t n_asserts;
	struct gl_capture *captures;
	size_t n_captures;
	struct gl_pos pos;
};

struct gl_check {
	char *id;          /* unique in its suite: [A-Za-z0-9_.-]+ */
	char *description; /* NULL or text */
	char **tags;       /* the check's own tags plus the suite's */
	size_t n_tags;
	bool mutating;
	bool is_flow; /* declared with "steps"; else exactly one step */
	struct gl_step *steps;
	size_t n_steps;
	/* "retry": {"max", "backoff_ms"} on the check, else in the suite's
	 * defaults, else none. Only transport errors are retried, never a status
	 * or an assertion; the wait before retry k (1-based) is
	 * backoff_ms * 2^(k-1). Steps of a mutating check are retried only when
	 * idempotent (GET, HEAD, OPTIONS). */
	unsigned retry_max;    /* 0..GL_RETRY_MAX_MAX; 0: no retry */
	long retry_backoff_ms; /* 0..GL_RETRY_BACKOFF_MAX_MS */
	long deadline_ms;      /* "deadline_ms": > 0 bounds the whole check (every step and retry);
	                          0: none */
	struct gl_pos pos;
};

struct gl_suite {
	char *path;        /* as given; every gl_pos.file inside points here */
	char *name;        /* "suite" key, else the file name without .json */
	char *description; /* NULL or text */
	char *digest;      /* "sha256:<hex>" of the file's bytes */
	char **tags;
	size_t n_tags;
	struct gl_check *checks; /* a smoke suite: at least one; a replay suite: none */
	size_t n_checks;
	struct gl_replay *replay; /* a replay suite ("replay" key): the declaration; else NULL */
};

/* Load and validate one suite file. Syntax errors, unknown keys (with a
 * suggestion), wrong types, bad regexes and paths, duplicate ids: every one is
 * recorded in diag with its position. Returns 0 when the file is valid, -1
 * otherwise (then *out is NULL). Names used in templates are not checked
 * here: see gl_suite_check_names(). */
int gl_suite_load(struct gl_suite **out, const char *path, struct gl_diag *diag);
void gl_suite_free(struct gl_suite *s);

/* Whether a name is defined outside the suite (by the environment). */
typedef int (*gl_name_known_fn)(void *ctx, const char *name);

/* Check that every {{name}} in the suite is known: defined by known(), or
 * captured by an earlier step of the same flow. Records each unknown name
 * at its template's position. Returns the number of errors. */
size_t gl_suite_check_names(const struct gl_suite *s, gl_name_known_fn known, void *ctx,
                            struct gl_diag *diag);

#endif
