/* costd: the reference service greenlight's tests and demo run against. A real HTTP service on
 * libmicrohttpd standing in for the cost-optimisation application: health, login, a cost
 * quote endpoint, test endpoints that misbehave on request, and --fault switches that plant
 * realistic defects. API, faults and model: README.md. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "model.h"

#define EXIT_USAGE    2
#define MAX_BODY      (1024 * 1024)
#define MAX_BYTES     (200L * 1024 * 1024)
#define MAX_TOKENS    256
#define TOKEN_HEX     32
#define NAP_STEP_MS   20
#define HANG_MAX_MS   (3600L * 1000)
#define STALL_MAX_MS  (60L * 1000)
#define SLOW_FAULT_MS 2000

/* Service faults; the model's own faults travel separately in `model_faults`. */
enum {
	FAULT_HEALTH_503 = 1u << 0,
	FAULT_SLOW = 1u << 1,
	FAULT_AUTH_BROKEN = 1u << 2,
	FAULT_DROP = 1u << 3,
	FAULT_WRONG_VERSION = 1u << 4,
};

struct fault_name {
	const char *name;
	unsigned service; /* FAULT_* */
	unsigned model;   /* COSTD_FAULT_* */
};

static const struct fault_name fault_names[] = {
        {"health-503", FAULT_HEALTH_503, 0},
        {"slow", FAULT_SLOW, 0},
        {"auth-broken", FAULT_AUTH_BROKEN, 0},
        {"drop", FAULT_DROP, 0},
        {"wrong-version", FAULT_WRONG_VERSION, 0},
        {"tier-boundary", 0, COSTD_FAULT_TIER_BOUNDARY},
        {"round-half-up", 0, COSTD_FAULT_ROUND_HALF_UP},
};

struct server {
	const char *version;
	const char *password;
	unsigned faults;
	unsigned model_faults;
	struct timespec started;
	atomic_int stopping; /* set before MHD_stop_daemon so sleeping handlers let go */

	pthread_mutex_t lock; /* guards the token ring */
	char tokens[MAX_TOKENS][TOKEN_HEX + 1];
	int next_token;
};

/* Per-request state: the upload body, NUL-terminated for the echo endpoint. */
struct request {
	char *body; /* NULL or malloced */
	size_t len;
	int too_large;
};

/* One request as the endpoint handlers see it. */
struct call {
	struct server *srv;
	struct MHD_Connection *conn;
	const char *url;
	const char *method;
	const struct request *req;
};

typedef enum MHD_Result (*handler_fn)(const struct call *c);

struct route {
	const char *path;
	int prefix; /* match `path` as a prefix */
	const char *allow;
	handler_fn fn;
};

/* ---- small helpers ---- */

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

/* A client that closed its end leaves the socket in CLOSE_WAIT even when bytes are still
 * unread (a TLS close_notify); a reset one shows as an error on a peek. */
static int client_gone(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	char c;

	if (fd < 0)
		return 0;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    ti.tcpi_state != TCP_ESTABLISHED)
		return 1;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static int connection_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci != NULL ? ci->connect_fd : -1;
}

/* Sleep `ms` in short steps so shutdown is quick. Returns 0, or -1 if the daemon is stopping
 * or the client on `fd` (-1: don't watch) went away. */
static int nap(struct server *srv, int fd, long ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (atomic_load(&srv->stopping) || client_gone(fd))
			return -1;
		long left = ms - elapsed_ms(&start);
		if (left <= 0)
			return 0;
		long step = left < NAP_STEP_MS ? left : NAP_STEP_MS;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = step * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* Parse a whole non-negative decimal no greater than `max`. */
static int parse_long(long *out, const char *s, long max)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* ---- responses ---- */

/* Queue `len` bytes with `status`; `headers` are NULL-terminated name, value pairs. */
static enum MHD_Result send_body(struct MHD_Connection *conn, unsigned status, const char *ctype,
                                 const void *data, size_t len, const char *const *headers)
{
	struct MHD_Response *res =
	        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc = MHD_NO;

	if (res == NULL)
		return MHD_NO;
	if (ctype != NULL && MHD_add_response_header(res, "Content-Type", ctype) != MHD_YES)
		goto out;
	for (; headers != NULL && headers[0] != NULL; headers += 2) {
		if (MHD_add_response_header(res, headers[0], headers[1]) != MHD_YES)
			goto out;
	}
	rc = MHD_queue_response(conn, status, res);
out:
	MHD_destroy_response(res);
	return rc;
}

/* Send `obj` as JSON and delete it; NULL (allocation failure) closes the connection. */
static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, cJSON *obj,
                                 const char *const *headers)
{
	char *text = obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;
	enum MHD_Result rc = MHD_NO;

	if (text != NULL)
		rc = send_body(conn, status, "application/json", text, strlen(text), headers);
	free(text);
	cJSON_Delete(obj);
	return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg,
                                  const char *const *headers)
{
	cJSON *obj = cJSON_CreateObject();

	if (obj != NULL && cJSON_AddStringToObject(obj, "error", msg) == NULL) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return send_json(conn, status, obj, headers);
}

/* ---- tokens ---- */

static int token_new(struct server *srv, char out[TOKEN_HEX + 1])
{
	unsigned char raw[TOKEN_HEX / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	/* a full ring forgets the oldest session, as a bounded session cache would */
	pthread_mutex_lock(&srv->lock);
	memcpy(srv->tokens[srv->next_token], out, TOKEN_HEX + 1);
	srv->next_token = (srv->next_token + 1) % MAX_TOKENS;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

/* Is the bearer token of `conn` live? With `revoke`, also forget it. */
static int token_check(struct server *srv, struct MHD_Connection *conn, int revoke)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	int found = 0;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	auth += 7;
	if (strlen(auth) != TOKEN_HEX)
		return 0;
	pthread_mutex_lock(&srv->lock);
	for (int i = 0; i < MAX_TOKENS && !found; i++) {
		if (strcmp(srv->tokens[i], auth) == 0) {
			found = 1;
			if (revoke)
				srv->tokens[i][0] = '\0';
		}
	}
	pthread_mutex_unlock(&srv->lock);
	return found;
}

/* ---- application endpoints ---- */

static enum MHD_Result do_health(const struct call *c)
{
	static const char *const retry[] = {"Retry-After", "1", NULL};
	char version[128];
	cJSON *obj = cJSON_CreateObject();
	int starting = (c->srv->faults & FAULT_HEALTH_503) != 0;

	/* the previous build still answering after a botched deploy */
	snprintf(version, sizeof(version), "%s%s", c->srv->version,
	         (c->srv->faults & FAULT_WRONG_VERSION) ? "-previous" : "");
	if (obj == NULL ||
	    cJSON_AddStringToObject(obj, "status", starting ? "starting" : "ok") == NULL ||
	    cJSON_AddStringToObject(obj, "version", version) == NULL)
		goto fail;
	if (starting)
		return send_json(c->conn, MHD_HTTP_SERVICE_UNAVAILABLE, obj, retry);
	if (cJSON_AddNumberToObject(obj, "uptime_s",
	                            (double)(elapsed_ms(&c->srv->started) / 1000)) == NULL)
		goto fail;
	return send_json(c->conn, MHD_HTTP_OK, obj, NULL);
fail:
	cJSON_Delete(obj);
	return MHD_NO;
}

static enum MHD_Result do_login(const struct call *c)
{
	char token[TOKEN_HEX + 1];
	char cookie[TOKEN_HEX + 32];
	enum MHD_Result rc;

	if (c->srv->faults & FAULT_AUTH_BROKEN)
		return send_error(c->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error", NULL);

	cJSON *body = cJSON_ParseWithLength(c->req->body ? c->req->body : "", c->req->len);
	if (!cJSON_IsObject(body)) {
		cJSON_Delete(body);
		return send_error(c->conn, MHD_HTTP_BAD_REQUEST, "invalid JSON", NULL);
	}
	const cJSON *user = cJSON_GetObjectItemCaseSensitive(body, "user");
	const cJSON *pass = cJSON_GetObjectItemCaseSensitive(body, "password");
	if (!cJSON_IsString(user) || !cJSON_IsString(pass)) {
		rc = send_error(c->conn, MHD_HTTP_BAD_REQUEST, "user and password are required",
		                NULL);
	} else if (strcmp(user->valuestring, "qa") != 0 ||
	           strcmp(pass->valuestring, c->srv->password) != 0) {
		rc = send_error(c->conn, MHD_HTTP_UNAUTHORIZED, "invalid credentials", NULL);
	} else if (token_new(c->srv, token) != 0) {
		rc = send_error(c->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "no randomness", NULL);
	} else {
		snprintf(cookie, sizeof(cookie), "session=%s; HttpOnly", token);
		const char *const headers[] = {"Set-Cookie", cookie, NULL};
		cJSON *obj = cJSON_CreateObject();
		if (obj != NULL && (cJSON_AddStringToObject(obj, "token", token) == NULL ||
		                    cJSON_AddStringToObject(obj, "user", "qa") == NULL)) {
			cJSON_Delete(obj);
			obj = NULL;
		}
		rc = send_json(c->conn, MHD_HTTP_OK, obj, headers);
	}
	cJSON_Delete(body);
	return rc;
}

static const char *const bearer_challenge[] = {"WWW-Authenticate", "Bearer", NULL};

static enum MHD_Result do_me(const struct call *c)
{
	if (!token_check(c->srv, c->conn, 0))
		return send_error(c->conn, MHD_HTTP_UNAUTHORIZED, "unauthorized", bearer_challenge);
	cJSON *obj = cJSON_CreateObject();
	if (obj != NULL && (cJSON_AddStringToObject(obj, "user", "qa") == NULL ||
	                    cJSON_AddStringToObject(obj, "role", "analyst") == NULL)) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return send_json(c->conn, MHD_HTTP_OK, obj, NULL);
}

static enum MHD_Result do_logout(const struct call *c)
{
	if (!token_check(c->srv, c->conn, 1))
		return send_error(c->conn, MHD_HTTP_UNAUTHORIZED, "unauthorized", bearer_challenge);
	return send_body(c->conn, MHD_HTTP_NO_CONTENT, NULL, "", 0, NULL);
}

static enum MHD_Result do_quote(const struct call *c)
{
	char *out = NULL;
	int status = 0;

	if (costd_quote_json(&out, &status, c->req->body ? c->req->body : "", c->req->len,
	                     c->srv->model_faults) != 0)
		return MHD_NO;
	enum MHD_Result rc =
	        send_body(c->conn, (unsigned)status, "application/json", out, strlen(out), NULL);
	free(out);
	return rc;
}

/* ---- test endpoints ---- */

/* Repeated names are joined with ", " as HTTP allows for headers. */
static enum MHD_Result add_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	cJSON *obj = cls;
	cJSON *prev = cJSON_GetObjectItemCaseSensitive(obj, key);

	(void)kind;
	if (value == NULL)
		value = "";
	if (cJSON_IsString(prev)) {
		size_t n = strlen(prev->valuestring) + strlen(value) + 3;
		char *joined = malloc(n);
		if (joined == NULL)
			return MHD_NO;
		snprintf(joined, n, "%s, %s", prev->valuestring, value);
		cJSON *item = cJSON_CreateString(joined);
		free(joined);
		if (item == NULL)
			return MHD_NO;
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
		return MHD_YES;
	}
	return cJSON_AddStringToObject(obj, key, value) != NULL ? MHD_YES : MHD_NO;
}

static enum MHD_Result do_echo(const struct call *c)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *query = NULL;
	cJSON *headers = NULL;

	/* every header, secrets included: the harness's redaction tests need them echoed */
	if (obj == NULL || cJSON_AddStringToObject(obj, "method", c->method) == NULL ||
	    cJSON_AddStringToObject(obj, "path", c->url) == NULL ||
	    (query = cJSON_AddObjectToObject(obj, "query")) == NULL ||
	    (headers = cJSON_AddObjectToObject(obj, "headers")) == NULL ||
	    MHD_get_connection_values(c->conn, MHD_GET_ARGUMENT_KIND, add_value, query) < 0 ||
	    MHD_get_connection_values(c->conn, MHD_HEADER_KIND, add_value, headers) < 0 ||
	    cJSON_AddStringToObject(obj, "body", c->req->body ? c->req->body : "") == NULL) {
		cJSON_Delete(obj);
		return MHD_NO;
	}
	return send_json(c->conn, MHD_HTTP_OK, obj, NULL);
}

static enum MHD_Result do_status(const struct call *c)
{
	long code;

	if (parse_long(&code, c->url + strlen("/test/status/"), 999) != 0 || code < 200 ||
	    code > 599)
		return send_error(c->conn, MHD_HTTP_BAD_REQUEST, "status must be 200..599", NULL);
	/* these statuses carry no body */
	if (code == 204 || code == 304)
		return send_body(c->conn, (unsigned)code, NULL, "", 0, NULL);
	cJSON *obj = cJSON_CreateObject();
	if (obj != NULL && cJSON_AddNumberToObject(obj, "status", (double)code) == NULL) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return send_json(c->conn, (unsigned)code, obj, NULL);
}

/* Streamed bodies: state shared by the content reader callbacks below. */
struct stream {
	struct server *srv;
	int fd;
	uint64_t total;
	const char *prefix; /* sent first, then 'x' */
	size_t prefix_len;
};

static ssize_t read_bytes(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	uint64_t left = st->total - pos;
	size_t n = left < max ? (size_t)left : max;

	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memset(buf, 'x', n);
	return (ssize_t)n;
}

/* Copy what is left of the prefix at `pos`; 0 once it is all sent. */
static size_t copy_prefix(const struct stream *st, uint64_t pos, char *buf, size_t max)
{
	if (pos >= st->prefix_len)
		return 0;
	size_t n = st->prefix_len - (size_t)pos;
	n = n < max ? n : max;
	memcpy(buf, st->prefix + pos, n);
	return n;
}

static ssize_t read_stall(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	size_t n = copy_prefix(st, pos, buf, max);

	if (n > 0)
		return (ssize_t)n;
	/* then nothing more, ever: the client has to time out */
	nap(st->srv, st->fd, STALL_MAX_MS);
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static ssize_t read_reset(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	size_t n = copy_prefix(st, pos, buf, max);

	if (n > 0)
		return (ssize_t)n;
	/* give the part already sent time to leave before the connection is dropped */
	nap(st->srv, -1, 100);
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static enum MHD_Result send_stream(struct server *srv, struct MHD_Connection *conn, uint64_t total,
                                   const char *ctype, const char *prefix,
                                   MHD_ContentReaderCallback reader)
{
	struct stream *st = calloc(1, sizeof(*st));
	struct MHD_Response *res = NULL;
	enum MHD_Result rc = MHD_NO;

	if (st == NULL)
		return MHD_NO;
	st->srv = srv;
	st->fd = connection_fd(conn);
	st->total = total;
	st->prefix = prefix != NULL ? prefix : "";
	st->prefix_len = strlen(st->prefix);
	res = MHD_create_response_from_callback(total, 64 * 1024, reader, st, free);
	if (res == NULL) {
		free(st);
		return MHD_NO;
	}
	if (MHD_add_response_header(res, "Content-Type", ctype) == MHD_YES)
		rc = MHD_queue_response(conn, MHD_HTTP_OK, res);
	MHD_destroy_response(res);
	return rc;
}

static enum MHD_Result do_bytes(const struct call *c)
{
	long n;
	const char *arg = MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, "n");

	if (parse_long(&n, arg, MAX_BYTES) != 0)
		return send_error(c->conn, MHD_HTTP_BAD_REQUEST, "n must be 0..209715200", NULL);
	return send_stream(c->srv, c->conn, (uint64_t)n, "text/plain", NULL, read_bytes);
}

static enum MHD_Result do_garbage(const struct call *c)
{
	static const char body[] = "{\"status\": \"ok\", ";

	return send_body(c->conn, MHD_HTTP_OK, "application/json", body, sizeof(body) - 1, NULL);
}

static enum MHD_Result do_invalid_utf8(const struct call *c)
{
	static const char body[] = "invalid utf-8: \xff\xfe; nul: \0; ansi: \x1b[31mred\x1b[0m; "
	                           "cdata end: ]]>; markup: <&>\n";

	return send_body(c->conn, MHD_HTTP_OK, "text/plain", body, sizeof(body) - 1, NULL);
}

static enum MHD_Result do_hang(const struct call *c)
{
	/* never answer; let go of the thread when the client or the daemon does */
	nap(c->srv, connection_fd(c->conn), HANG_MAX_MS);
	return MHD_NO;
}

static enum MHD_Result do_stall_body(const struct call *c)
{
	return send_stream(c->srv, c->conn, 1024, "application/json",
	                   "{\"status\":\"ok\",\"data\":\"", read_stall);
}

static enum MHD_Result do_reset(const struct call *c)
{
	return send_stream(c->srv, c->conn, 1000, "application/json",
	                   "{\"status\":\"ok\",\"data\":\"the connection closes before this "
	                   "body reaches its declared length of 1000 bytes",
	                   read_reset);
}

static enum MHD_Result do_slow(const struct call *c)
{
	long ms;
	const char *arg = MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, "ms");

	if (parse_long(&ms, arg, 600000) != 0)
		return send_error(c->conn, MHD_HTTP_BAD_REQUEST, "ms must be 0..600000", NULL);
	if (nap(c->srv, -1, ms) != 0)
		return MHD_NO;
	cJSON *obj = cJSON_CreateObject();
	if (obj != NULL && cJSON_AddNumberToObject(obj, "slept_ms", (double)ms) == NULL) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return send_json(c->conn, MHD_HTTP_OK, obj, NULL);
}

/* ---- routing ---- */

static const struct route routes[] = {
        {"/health", 0, "GET, HEAD", do_health},
        {"/login", 0, "POST", do_login},
        {"/logout", 0, "POST", do_logout},
        {"/api/me", 0, "GET, HEAD", do_me},
        {"/api/costs/quote", 0, "POST", do_quote},
        {"/test/echo", 0, "GET, HEAD, POST", do_echo},
        {"/test/status/", 1, "GET, HEAD", do_status},
        {"/test/bytes", 0, "GET, HEAD", do_bytes},
        {"/test/garbage", 0, "GET, HEAD", do_garbage},
        {"/test/invalid-utf8", 0, "GET, HEAD", do_invalid_utf8},
        {"/test/hang", 0, "GET, HEAD", do_hang},
        {"/test/stall-body", 0, "GET, HEAD", do_stall_body},
        {"/test/reset", 0, "GET, HEAD", do_reset},
        {"/test/slow", 0, "GET, HEAD", do_slow},
};

static int method_allowed(const char *allow, const char *method)
{
	size_t n = strlen(method);

	for (const char *p = allow; *p != '\0'; p += strcspn(p, ","), p += strspn(p, ", ")) {
		if (strncmp(p, method, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

static enum MHD_Result dispatch(struct server *srv, struct MHD_Connection *conn, const char *url,
                                const char *method, const struct request *req)
{
	/* a stalled dependency: everything answers, late */
	if ((srv->faults & FAULT_SLOW) && nap(srv, -1, SLOW_FAULT_MS) != 0)
		return MHD_NO;
	if (req->too_large)
		return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "body too large", NULL);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (r->prefix ? strncmp(url, r->path, strlen(r->path)) != 0
		              : strcmp(url, r->path) != 0)
			continue;
		if (!method_allowed(r->allow, method)) {
			const char *const headers[] = {"Allow", r->allow, NULL};
			return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
			                  headers);
		}
		const struct call call = {srv, conn, url, method, req};
		return r->fn(&call);
	}
	return send_error(conn, MHD_HTTP_NOT_FOUND, "not found", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	struct request *req = *con_cls;

	(void)version;
	if (req == NULL) {
		/* An access log (path only: MHD keeps the query apart, and it may
		 * hold secrets) lets tests prove what was, or was not, sent. */
		fprintf(stderr, "costd: %s %s\n", method, url);
		/* a crashed backend behind the proxy: no status line at all */
		if ((srv->faults & FAULT_DROP) && strncmp(url, "/api/", 5) == 0)
			return MHD_NO;
		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->too_large || req->len + n > MAX_BODY) {
			req->too_large = 1;
			return MHD_YES;
		}
		char *grown = realloc(req->body, req->len + n + 1);
		if (grown == NULL)
			return MHD_NO;
		memcpy(grown + req->len, upload_data, n);
		req->body = grown;
		req->len += n;
		req->body[req->len] = '\0';
		return MHD_YES;
	}
	return dispatch(srv, conn, url, method, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (req != NULL) {
		free(req->body);
		free(req);
		*con_cls = NULL;
	}
}

/* ---- command line ---- */

struct options {
	long port;
	const char *port_file;
	const char *tls_cert;
	const char *tls_key;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: costd --port N [--port-file FILE] [--version V] [--password P]\n"
	           "             [--fault NAME]... [--tls-cert FILE --tls-key FILE]\n"
	           "faults: health-503 slow auth-broken drop wrong-version tier-boundary "
	           "round-half-up\n");
}

static int parse_args(struct options *opt, struct server *srv, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"port", required_argument, NULL, 'p'},
	        {"port-file", required_argument, NULL, 'f'},
	        {"version", required_argument, NULL, 'v'},
	        {"password", required_argument, NULL, 'w'},
	        {"fault", required_argument, NULL, 'F'},
	        {"tls-cert", required_argument, NULL, 'c'},
	        {"tls-key", required_argument, NULL, 'k'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c;
	size_t i;

	opt->port = -1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_long(&opt->port, optarg, 65535) != 0) {
				fprintf(stderr, "costd: invalid port '%s'\n", optarg);
				return -1;
			}
			break;
		case 'f':
			opt->port_file = optarg;
			break;
		case 'v':
			srv->version = optarg;
			break;
		case 'w':
			srv->password = optarg;
			break;
		case 'F':
			for (i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
				if (strcmp(optarg, fault_names[i].name) == 0)
					break;
			}
			if (i == sizeof(fault_names) / sizeof(fault_names[0])) {
				fprintf(stderr, "costd: unknown fault '%s'\n", optarg);
				usage(stderr);
				return -1;
			}
			srv->faults |= fault_names[i].service;
			srv->model_faults |= fault_names[i].model;
			break;
		case 'c':
			opt->tls_cert = optarg;
			break;
		case 'k':
			opt->tls_key = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "costd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (opt->port < 0) {
		fprintf(stderr, "costd: --port is required\n");
		return -1;
	}
	if ((opt->tls_cert == NULL) != (opt->tls_key == NULL)) {
		fprintf(stderr, "costd: --tls-cert and --tls-key go together\n");
		return -1;
	}
	return 0;
}

/* Read a whole PEM file into a NUL-terminated malloced string. */
static int read_file(char **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	size_t n;
	char chunk[4096];
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, "costd: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *grown = realloc(buf, len + n + 1);
		if (grown == NULL)
			goto out;
		buf = grown;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	if (ferror(f) || buf == NULL) {
		fprintf(stderr, "costd: cannot read '%s'\n", path);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* Write the port to FILE.tmp and rename it, so a reader never sees half a number. */
static int write_port_file(const char *path, unsigned port)
{
	size_t n = strlen(path) + 5;
	char *tmp = malloc(n);
	FILE *f = NULL;
	int rc = -1;

	if (tmp == NULL)
		return -1;
	snprintf(tmp, n, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%u\n", port) < 0)
		goto out;
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) == 0)
		rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "costd: cannot write port file '%s': %s\n", path, strerror(errno));
	if (f != NULL)
		fclose(f);
	free(tmp);
	return rc;
}

int main(int argc, char **argv)
{
	static struct server srv = {.version = "2.4.0", .password = "qa-password"};
	struct options opt = {0};
	struct MHD_Daemon *d = NULL;
	char *cert = NULL;
	char *key = NULL;
	sigset_t sigs;
	int sig;
	int rc = 1;

	if (parse_args(&opt, &srv, argc, argv) != 0)
		return EXIT_USAGE;
	pthread_mutex_init(&srv.lock, NULL);
	if (opt.tls_cert != NULL &&
	    (read_file(&cert, opt.tls_cert) != 0 || read_file(&key, opt.tls_key) != 0)) {
		rc = EXIT_USAGE;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &srv.started);

	/* block the stop signals in every thread MHD starts; main takes them with sigwait */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_in addr = {.sin_family = AF_INET,
	                           .sin_port = htons((uint16_t)opt.port),
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct MHD_OptionItem tls[] = {
	        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
	        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
	        {MHD_OPTION_END, 0, NULL},
	};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	                 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (cert != NULL)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	d = MHD_start_daemon(flags, (uint16_t)opt.port, NULL, NULL, on_request, &srv,
	                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv, MHD_OPTION_ARRAY, tls,
	                     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "costd: cannot listen on 127.0.0.1:%ld\n", opt.port);
		goto out;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info != NULL ? info->port : (unsigned)opt.port;
	if (opt.port_file != NULL && write_port_file(opt.port_file, port) != 0)
		goto out;
	fprintf(stderr, "costd: listening on 127.0.0.1:%u\n", port);

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	rc = 0;
out:
	atomic_store(&srv.stopping, 1);
	if (d != NULL)
		MHD_stop_daemon(d);
	pthread_mutex_destroy(&srv.lock);
	free(cert);
	free(key);
	return rc;
}
