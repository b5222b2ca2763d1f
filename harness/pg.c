/* PostgreSQL through libpq: connections, rows streamed with COPY ... TO
 * STDOUT (FORMAT csv), prepared per-case queries, and seeding with COPY FROM
 * STDIN. libpq types stay here: values are copied or lent out, every
 * PGresult is cleared before returning. Every message passes through
 * gl_redact() after the connection's password has been registered. */
#include "pg.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#define SEED_CHUNK (64 * 1024)

struct gl_pg {
	PGconn *conn;
	bool (*stop)(void *ctx); /* gl_pg_on_stop(); NULL: wait as long as it takes */
	void *stop_ctx;
	bool stopped;          /* a wait was cut short: the connection is only good for closing */
	unsigned long n_stmts; /* names prepared statements: gl_1, gl_2, ... */
	bool streaming;        /* a source holds the connection in COPY OUT */
};

struct gl_pg_stmt {
	struct gl_pg *pg;
	char name[32];
	size_t n_params;
	size_t n_fields;
	int *cols; /* cols[i]: the result column of fields[i] */
};

struct pg_source {
	struct gl_pg *pg;
	size_t n_fields;
	char *line; /* the current row as libpq returned it, decoded in place; lent out */
	const char **values;
	size_t *lens;
	unsigned long rows;
	bool done; /* the stream ended: `status` (GL_SOURCE_END or GL_SOURCE_FAIL) sticks */
	enum gl_source_status status;
};

/* ---- messages ---- */

/* One line: runs of whitespace (libpq's messages have newlines and tabs)
 * become one space, and the ends are trimmed. */
static void one_line(char *s)
{
	char *w = s;
	bool space = false;
	for (const char *r = s; *r; r++) {
		if (isspace((unsigned char)*r)) {
			space = w != s;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = '\0';
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	/* Redacted whole, before it is cut or its spaces folded: a password
	 * holding two spaces, or across the cut, must still be recognised. */
	va_list ap, cp;
	va_start(ap, fmt);
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	char *tmp = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (tmp)
		vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	char *safe = tmp ? gl_redact(tmp) : NULL;
	free(tmp);
	if (safe)
		one_line(safe);
	if (errlen > 0)
		snprintf(err, errlen, "%s", safe ? safe : "out of memory");
	free(safe);
}

/* The server's primary message of a failed result, else libpq's. */
static const char *result_message(const PGresult *res, const PGconn *conn)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (m && *m)
		return m;
	m = res ? PQresultErrorMessage(res) : NULL;
	if (m && *m)
		return m;
	m = PQerrorMessage(conn);
	return m && *m ? m : "unknown error";
}

/* The connection is gone: libpq says so, or the server said it was closing
 * it (class 57P: shutdown, crash, admin command; class 08: connection). */
static bool connection_lost(const PGresult *res, const PGconn *conn)
{
	if (PQstatus(conn) == CONNECTION_BAD)
		return true;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return state && (strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0);
}

/* ---- a growable string whose failure sticks ---- */

struct buf {
	char *p;
	size_t len;
	size_t cap;
	bool failed;
};

static void buf_put(struct buf *b, const char *s, size_t len)
{
	if (b->failed)
		return;
	if (len > SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* Append s as a quoted identifier ("a""b"). */
static void buf_put_ident(struct buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		buf_put(b, s, (size_t)(q - s) + 1);
		buf_puts(b, "\"");
	}
	buf_puts(b, s);
	buf_puts(b, "\"");
}

/* ---- connections ---- */

static void ignore_notice(void *arg, const char *message)
{
	/* Server notices (DROP ... IF EXISTS, ...) would go to stderr unredacted. */
	(void)arg;
	(void)message;
}

/* The password of a connection string libpq cannot parse, guessed from the
 * URI's user info or a password= pair, so that libpq's message about the
 * string (which may quote all of it) does not show it. */
static void register_password_guess(const char *conninfo)
{
	const char *scheme = strstr(conninfo, "://");
	if (scheme) {
		const char *host = scheme + 3;
		const char *end = host + strcspn(host, "/?#");
		const char *at = NULL;
		for (const char *p = host; p < end; p++)
			if (*p == '@')
				at = p;
		const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
		if (colon && at > colon + 1) {
			char *pw = strndup(colon + 1, (size_t)(at - colon - 1));
			if (pw)
				gl_redact_add(pw);
			free(pw);
		}
	}
	for (const char *p = conninfo; (p = strstr(p, "password")) != NULL;) {
		p += strlen("password");
		while (*p == ' ')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ')
			p++;
		if (*p == '\'')
			p++;
		size_t n = strcspn(p, " '&");
		char *pw = strndup(p, n);
		if (pw)
			gl_redact_add(pw);
		free(pw);
	}
}

/* Register every password libpq may use; 0, or -1 if conninfo is not a
 * connection string libpq can parse (its reason in err). */
static int register_passwords(const char *conninfo, bool *has_timeout, char *err, size_t errlen)
{
	const char *env = getenv("PGPASSWORD");
	if (env)
		gl_redact_add(env);
	*has_timeout = getenv("PGCONNECT_TIMEOUT") != NULL;
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		register_password_guess(conninfo);
		set_err(err, errlen, "invalid connection string: %s",
		        perr ? perr : "out of memory");
		PQfreemem(perr);
		return -1;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "password") == 0)
			gl_redact_add(o->val);
		else if (strcmp(o->keyword, "connect_timeout") == 0)
			*has_timeout = true;
	}
	PQconninfoFree(opts);
	return 0;
}

bool gl_pg_connected(const struct gl_pg *pg)
{
	assert(pg);
	return !pg->stopped && PQstatus(pg->conn) == CONNECTION_OK;
}

void gl_pg_on_stop(struct gl_pg *pg, bool (*stop)(void *ctx), void *ctx)
{
	assert(pg);
	pg->stop = stop;
	pg->stop_ctx = ctx;
}

enum wait_rc { W_READY = 0, W_LOST = -1, W_STOP = -2 };

/* Wait until libpq has a whole result to give (copy: any input), asking the
 * stop question every 250 ms. libpq's own waits block in poll() and retry on
 * EINTR, so a statement stalled in the database would hold a signal or the
 * deadline for as long as it ran. */
static enum wait_rc await_input(struct gl_pg *pg, bool copy)
{
	int fd = PQsocket(pg->conn);
	for (;;) {
		if (!copy && !PQisBusy(pg->conn))
			return W_READY;
		if (pg->stop && pg->stop(pg->stop_ctx)) {
			pg->stopped = true;
			return W_STOP;
		}
		if (fd < 0)
			return W_LOST;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, 250);
		if (r < 0 && errno != EINTR)
			return W_LOST;
		if (r > 0 && !PQconsumeInput(pg->conn))
			return W_LOST;
		if (copy && r > 0)
			return W_READY;
	}
}

/* The next result of a query sent with PQsend*: NULL at the end, or when a
 * wait ended early (*wr: W_STOP, W_LOST; W_READY otherwise). */
static PGresult *next_result(struct gl_pg *pg, enum wait_rc *wr)
{
	*wr = await_input(pg, false);
	return *wr == W_READY ? PQgetResult(pg->conn) : NULL;
}

/* Read and drop the results that are left, unless a wait is cut short. */
static void drain(struct gl_pg *pg)
{
	enum wait_rc wr;
	PGresult *res;
	while (!pg->stopped && (res = next_result(pg, &wr)) != NULL)
		PQclear(res);
}

int gl_pg_set_timeout(struct gl_pg *pg, long ms, char *err, size_t errlen)
{
	assert(pg && ms >= 0);
	char sql[64];
	snprintf(sql, sizeof sql, "SET statement_timeout = %ld", ms);
	PGresult *res = PQexec(pg->conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		set_err(err, errlen, "%s", PQerrorMessage(pg->conn));
	PQclear(res);
	return ok ? 0 : -1;
}

int gl_pg_connect(struct gl_pg **out, const char *conninfo, char *err, size_t errlen)
{
	assert(out && conninfo);
	*out = NULL;
	bool has_timeout;
	if (register_passwords(conninfo, &has_timeout, err, errlen) < 0)
		return -1;

	/* Keywords are applied in order and conninfo (expanded from dbname) is
	 * last, so whatever it says wins over these defaults. TCP keepalives
	 * (probe after 30 s idle, every 10 s, give up after 3) turn a database
	 * host that vanishes mid-stream into an error within about a minute,
	 * where the kernel's default would wait two hours. */
	const char *keys[] = {"connect_timeout",  "client_encoding", "fallback_application_name",
	                      "keepalives",       "keepalives_idle", "keepalives_interval",
	                      "keepalives_count", "dbname",          NULL};
	const char *vals[] = {has_timeout ? NULL : "10",
	                      "UTF8",
	                      "greenlight",
	                      "1",
	                      "30",
	                      "10",
	                      "3",
	                      conninfo,
	                      NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (!conn) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		set_err(err, errlen, "%s", PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	struct gl_pg *pg = calloc(1, sizeof *pg);
	if (!pg) {
		PQfinish(conn);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	pg->conn = conn;
	*out = pg;
	return 0;
}

void gl_pg_close(struct gl_pg *pg)
{
	if (!pg)
		return;
	assert(!pg->streaming && "close the source before the connection");
	PQfinish(pg->conn);
	free(pg);
}

/* ---- streamed queries ---- */

/* Split one COPY CSV row in place: fields separated by commas, quoted ones in
 * double quotes with "" for a quote. SQL NULL is an unquoted empty field and
 * an empty string is "": the first gives values[i] == NULL. libpq's buffer is
 * NUL-terminated after len bytes, so each value can be terminated where its
 * delimiter was. Returns 0, or -1 if the row is not n fields. */
static int split_csv_row(char *buf, size_t len, const char **values, size_t *lens, size_t n)
{
	char *r = buf;
	char *end = buf + len;
	if (end > buf && end[-1] == '\n')
		end--;
	size_t i = 0;
	for (;;) {
		if (i == n)
			return -1;
		char *start = r;
		char *w = r;
		bool quoted = r < end && *r == '"';
		if (quoted) {
			for (r++;; r++) {
				if (r == end)
					return -1;
				if (*r == '"') {
					if (r + 1 < end && r[1] == '"')
						r++;
					else
						break;
				}
				*w++ = *r;
			}
			r++;
		} else {
			while (r < end && *r != ',')
				r++;
			w = r;
		}
		if (r < end && *r != ',')
			return -1;
		bool more = r < end;
		*w = '\0';
		values[i] = quoted || w > start ? start : NULL;
		lens[i] = (size_t)(w - start);
		i++;
		if (!more)
			break;
		r++;
	}
	return i == n ? 0 : -1;
}

/* The end of the COPY: its result says whether every row came. */
static enum gl_source_status finish_copy(struct gl_source *s, struct pg_source *ps)
{
	PGconn *conn = ps->pg->conn;
	enum wait_rc wr;
	PGresult *res = next_result(ps->pg, &wr);
	enum gl_source_status st = GL_SOURCE_END;
	if (wr == W_STOP) {
		st = GL_SOURCE_FAIL;
		set_err(s->err, sizeof s->err, "stopped after row %lu", ps->rows);
	} else if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		st = GL_SOURCE_FAIL;
		if (connection_lost(res, conn))
			set_err(s->err, sizeof s->err,
			        "connection to the database lost after row %lu: %s", ps->rows,
			        result_message(res, conn));
		else
			set_err(s->err, sizeof s->err, "query failed after row %lu: %s", ps->rows,
			        result_message(res, conn));
	} else if (strtoul(PQcmdTuples(res), NULL, 10) != ps->rows) {
		/* never a silent short read */
		st = GL_SOURCE_FAIL;
		set_err(s->err, sizeof s->err, "the server sent %s rows but %lu arrived",
		        PQcmdTuples(res), ps->rows);
	}
	PQclear(res);
	drain(ps->pg);
	ps->pg->streaming = false;
	ps->done = true;
	ps->status = st;
	return st;
}

static enum gl_source_status pg_source_next(struct gl_source *s, struct gl_row *row)
{
	struct pg_source *ps = s->impl;
	if (ps->done)
		return ps->status;
	PQfreemem(ps->line);
	ps->line = NULL;
	char *buf = NULL;
	int len;
	enum wait_rc wr = W_READY;
	while ((len = PQgetCopyData(ps->pg->conn, &buf, 1)) == 0 &&
	       (wr = await_input(ps->pg, true)) == W_READY)
		;
	if (wr == W_STOP) {
		set_err(s->err, sizeof s->err, "stopped after row %lu", ps->rows);
		ps->pg->streaming = false;
		ps->done = true;
		ps->status = GL_SOURCE_FAIL;
		return GL_SOURCE_FAIL;
	}
	if (len == -1)
		return finish_copy(s, ps);
	if (len < 0 || len == 0) {
		set_err(s->err, sizeof s->err, "connection to the database lost after row %lu: %s",
		        ps->rows, PQerrorMessage(ps->pg->conn));
		ps->pg->streaming = false;
		ps->done = true;
		ps->status = GL_SOURCE_FAIL;
		return GL_SOURCE_FAIL;
	}
	ps->line = buf;
	ps->rows++;
	if (split_csv_row(buf, (size_t)len, ps->values, ps->lens, ps->n_fields) < 0) {
		/* COPY wrote it: a row we cannot read is a harness failure, not data */
		set_err(s->err, sizeof s->err, "row %lu: unreadable COPY data", ps->rows);
		ps->done = true;
		ps->status = GL_SOURCE_FAIL;
		return GL_SOURCE_FAIL;
	}
	row->values = ps->values;
	row->lens = ps->lens;
	row->n = ps->n_fields;
	row->line = ps->rows;
	return GL_SOURCE_ROW;
}

/* Stop a COPY that has not ended: cancel it and read what is left, so that
 * the connection can be used again. */
static void abandon_copy(struct gl_pg *pg)
{
	if (pg->stopped) { /* a stop does not wait for the server: closing ends it */
		pg->streaming = false;
		return;
	}
	PGcancel *cancel = PQgetCancel(pg->conn);
	if (cancel) {
		char ignored[256];
		PQcancel(cancel, ignored, sizeof ignored);
		PQfreeCancel(cancel);
	}
	char *buf;
	while (PQgetCopyData(pg->conn, &buf, 0) >= 0)
		PQfreemem(buf);
	PGresult *res;
	while ((res = PQgetResult(pg->conn)) != NULL)
		PQclear(res);
	pg->streaming = false;
}

static void pg_source_close(struct gl_source *s)
{
	struct pg_source *ps = s->impl;
	if (!ps)
		return;
	if (ps->pg->streaming)
		abandon_copy(ps->pg);
	PQfreemem(ps->line);
	free(ps->values);
	free(ps->lens);
	free(ps);
	s->impl = NULL;
}

static const struct gl_source_ops pg_source_ops = {
        .next = pg_source_next,
        .close = pg_source_close,
};

/* COPY (SELECT "f1", ... FROM (query) q [WHERE shard]) TO STDOUT (FORMAT csv) */
static char *copy_sql(const char *query, const char *const *fields, size_t n_fields,
                      const char *const *keys, size_t n_keys, unsigned shard_k, unsigned shard_n)
{
	struct buf b = {0};
	/* a trailing ';' is natural in a query and wrong inside parentheses */
	size_t qlen = strlen(query);
	while (qlen > 0 && (isspace((unsigned char)query[qlen - 1]) || query[qlen - 1] == ';'))
		qlen--;
	buf_puts(&b, "COPY (SELECT ");
	for (size_t i = 0; i < n_fields; i++) {
		buf_puts(&b, i ? ", q." : "q.");
		buf_put_ident(&b, fields[i]);
	}
	/* newlines: a query ending in a -- comment must not swallow the ')' */
	buf_puts(&b, " FROM (\n");
	buf_put(&b, query, qlen);
	buf_puts(&b, "\n) q");
	if (shard_n > 1) {
		/* the same hash as gl_shard_hash() (source.h) */
		buf_puts(&b, " WHERE (('x' || substr(md5(concat_ws(chr(31)");
		for (size_t i = 0; i < n_keys; i++) {
			buf_puts(&b, ", q.");
			buf_put_ident(&b, keys[i]);
			buf_puts(&b, "::text");
		}
		char tail[96];
		snprintf(tail, sizeof tail, ")), 1, 8))::bit(32)::bigint %% %u) = %u", shard_n,
		         shard_k - 1);
		buf_puts(&b, tail);
	}
	buf_puts(&b, ") TO STDOUT (FORMAT csv)");
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int gl_pg_source_open(struct gl_source **out, struct gl_pg *pg, const char *query,
                      const char *const *fields, size_t n_fields, const char *const *keys,
                      size_t n_keys, unsigned shard_k, unsigned shard_n, char *err, size_t errlen)
{
	assert(out && pg && query && fields && n_fields > 0);
	assert(shard_n <= 1 || (keys && n_keys > 0 && shard_k >= 1 && shard_k <= shard_n));
	*out = NULL;
	if (pg->streaming) {
		set_err(err, errlen, "the connection is already streaming a query");
		return -1;
	}
	struct gl_source *s = calloc(1, sizeof *s);
	struct pg_source *ps = calloc(1, sizeof *ps);
	char *sql = copy_sql(query, fields, n_fields, keys, n_keys, shard_k, shard_n);
	if (s) {
		s->label = strdup("sql");
		s->ops = &pg_source_ops;
		s->impl = ps;
	}
	if (ps) {
		ps->pg = pg;
		ps->n_fields = n_fields;
		ps->values = calloc(n_fields, sizeof *ps->values);
		ps->lens = calloc(n_fields, sizeof *ps->lens);
	}
	if (!s || !s->label || !ps || !ps->values || !ps->lens || !sql) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}

	enum wait_rc wr = W_READY;
	PGresult *res = PQsendQuery(pg->conn, sql) ? next_result(pg, &wr) : NULL;
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		if (wr == W_STOP)
			set_err(err, errlen, "stopped");
		else if (wr == W_LOST || connection_lost(res, pg->conn))
			set_err(err, errlen, "connection to the database lost: %s",
			        result_message(res, pg->conn));
		else
			set_err(err, errlen, "%s", result_message(res, pg->conn));
		PQclear(res);
		drain(pg);
		goto fail;
	}
	PQclear(res);
	pg->streaming = true;
	free(sql);
	*out = s;
	return 0;
fail:
	free(sql);
	if (ps) {
		free(ps->values);
		free(ps->lens);
		free(ps);
	}
	if (s)
		free(s->label);
	free(s);
	return -1;
}

/* ---- prepared per-case queries ---- */

int gl_pg_prepare(struct gl_pg_stmt **out, struct gl_pg *pg, const char *sql, size_t n_params,
                  const char *const *fields, size_t n_fields, char *err, size_t errlen)
{
	assert(out && pg && sql && (fields || n_fields == 0));
	*out = NULL;
	if (pg->streaming) {
		set_err(err, errlen, "the connection is streaming a query");
		return -1;
	}
	if (n_params > INT32_MAX / 2) {
		set_err(err, errlen, "too many parameters");
		return -1;
	}
	struct gl_pg_stmt *st = calloc(1, sizeof *st);
	if (!st || !(st->cols = calloc(n_fields ? n_fields : 1, sizeof *st->cols))) {
		free(st);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	st->pg = pg;
	st->n_params = n_params;
	st->n_fields = n_fields;
	snprintf(st->name, sizeof st->name, "gl_%lu", ++pg->n_stmts);

	PGresult *res = PQprepare(pg->conn, st->name, sql, (int)n_params, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		set_err(err, errlen, "%s", result_message(res, pg->conn));
		PQclear(res);
		free(st->cols);
		free(st);
		return -1;
	}
	PQclear(res);
	res = PQdescribePrepared(pg->conn, st->name);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		set_err(err, errlen, "%s", result_message(res, pg->conn));
		goto fail;
	}
	for (size_t i = 0; i < n_fields; i++) {
		/* exact names: PQfnumber would fold unquoted names to lower case */
		st->cols[i] = -1;
		for (int c = 0; c < PQnfields(res); c++)
			if (strcmp(PQfname(res, c), fields[i]) == 0) {
				st->cols[i] = c;
				break;
			}
		if (st->cols[i] < 0) {
			set_err(err, errlen, "the query has no column '%s'", fields[i]);
			goto fail;
		}
	}
	PQclear(res);
	*out = st;
	return 0;
fail:
	PQclear(res);
	gl_pg_stmt_free(st);
	return -1;
}

int gl_pg_exec(char ***values, struct gl_pg_stmt *st, const char *const *params, char *err,
               size_t errlen)
{
	assert(values && st && (params || st->n_params == 0));
	*values = NULL;
	PGconn *conn = st->pg->conn;
	if (st->pg->streaming) {
		set_err(err, errlen, "the connection is streaming a query");
		return -1;
	}
	if (st->pg->stopped) {
		set_err(err, errlen, "stopped");
		return -2;
	}
	enum wait_rc wr = W_READY;
	PGresult *res =
	        PQsendQueryPrepared(conn, st->name, (int)st->n_params, params, NULL, NULL, 0)
	                ? next_result(st->pg, &wr)
	                : NULL;
	if (res)
		drain(st->pg); /* up to the NULL that ends this query's results */
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int rc = -1;
		if (wr == W_STOP || st->pg->stopped) {
			set_err(err, errlen, "stopped");
			rc = -2;
		} else if (wr == W_LOST || connection_lost(res, conn)) {
			set_err(err, errlen, "connection to the database lost: %s",
			        result_message(res, conn));
			rc = -2;
		} else {
			set_err(err, errlen, "%s", result_message(res, conn));
		}
		PQclear(res);
		return rc;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 1;
	}
	char **v = calloc(st->n_fields ? st->n_fields : 1, sizeof *v);
	bool oom = v == NULL;
	for (size_t i = 0; !oom && i < st->n_fields; i++) {
		if (PQgetisnull(res, 0, st->cols[i]))
			continue;
		size_t len = (size_t)PQgetlength(res, 0, st->cols[i]);
		v[i] = malloc(len + 1);
		if (!v[i]) {
			oom = true;
			break;
		}
		memcpy(v[i], PQgetvalue(res, 0, st->cols[i]), len + 1);
	}
	PQclear(res);
	if (oom) {
		gl_pg_values_free(v, st->n_fields);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	*values = v;
	return 0;
}

void gl_pg_values_free(char **values, size_t n)
{
	if (!values)
		return;
	for (size_t i = 0; i < n; i++)
		free(values[i]);
	free(values);
}

void gl_pg_stmt_free(struct gl_pg_stmt *st)
{
	if (!st)
		return;
	PGconn *conn = st->pg->conn;
	if (!st->pg->streaming && PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) == PQTRANS_IDLE) {
		char sql[64];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
		PQclear(PQexec(conn, sql));
	}
	free(st->cols);
	free(st);
}

/* ---- seeding ---- */

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_err(err, errlen, "'%s': %s", path, strerror(errno));
		return NULL;
	}
	struct buf b = {0};
	char chunk[SEED_CHUNK];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_put(&b, chunk, n);
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad || b.failed) {
		set_err(err, errlen, "'%s': %s", path, bad ? "read error" : "out of memory");
		free(b.p);
		return NULL;
	}
	if (!b.p)
		buf_puts(&b, "");
	return b.p;
}

/* "path:LINE: " for an error at a 1-based character position of a script. */
static unsigned script_line(const char *script, const PGresult *res)
{
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	if (!pos)
		return 0;
	unsigned long chars = strtoul(pos, NULL, 10);
	unsigned line = 1;
	for (const char *p = script; *p && chars > 1; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80)
			chars--; /* count characters, not UTF-8 continuation bytes */
		if (*p == '\n')
			line++;
	}
	return line;
}

static int run_schema(PGconn *conn, const char *path, char *err, size_t errlen)
{
	char *script = read_file(path, err, errlen);
	if (!script)
		return -1;
	PGresult *res = PQexec(conn, script);
	int rc = 0;
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		unsigned line = script_line(script, res);
		if (line)
			set_err(err, errlen, "%s:%u: %s", path, line, result_message(res, conn));
		else
			set_err(err, errlen, "%s: %s", path, result_message(res, conn));
		rc = -1;
	}
	PQclear(res);
	free(script);
	return rc;
}

/* The column list of a CSV header line, as quoted identifiers: "a", "b". */
static int header_columns(struct buf *cols, const char *line, const char *path, char *err,
                          size_t errlen)
{
	const char *p = line;
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	size_t n = 0;
	for (;;) {
		struct buf name = {0};
		buf_puts(&name, "");
		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				buf_put(&name, p, 1);
			}
			if (*p != '"') {
				free(name.p);
				set_err(err, errlen, "%s:1: unterminated quote in the header",
				        path);
				return -1;
			}
			p++;
		} else {
			size_t len = strcspn(p, ",\r\n");
			buf_put(&name, p, len);
			p += len;
		}
		if (!name.failed && name.len == 0) {
			free(name.p);
			set_err(err, errlen, "%s:1: empty column name in the header", path);
			return -1;
		}
		if (n++)
			buf_puts(cols, ", ");
		buf_put_ident(cols, name.p ? name.p : "");
		free(name.p);
		if (*p != ',')
			break;
		p++;
	}
	if (*p && *p != '\r' && *p != '\n') {
		set_err(err, errlen, "%s:1: bad header", path);
		return -1;
	}
	return 0;
}

/* COPY table (header columns) FROM STDIN, streamed from the file. */
static int copy_csv(unsigned long *rows, PGconn *conn, const char *table, const char *path,
                    char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_err(err, errlen, "'%s': %s", path, strerror(errno));
		return -1;
	}
	char *header = NULL;
	size_t header_cap = 0;
	struct buf sql = {0};
	int rc = -1;
	if (getline(&header, &header_cap, f) < 0) {
		set_err(err, errlen, "%s: empty file, no header", path);
		goto out;
	}
	buf_puts(&sql, "COPY ");
	/* schema.table: each part is an identifier */
	const char *dot = strchr(table, '.');
	if (dot) {
		char *schema = strndup(table, (size_t)(dot - table));
		if (!schema)
			sql.failed = true;
		else
			buf_put_ident(&sql, schema);
		free(schema);
		buf_puts(&sql, ".");
		buf_put_ident(&sql, dot + 1);
	} else {
		buf_put_ident(&sql, table);
	}
	buf_puts(&sql, " (");
	if (header_columns(&sql, header, path, err, errlen) < 0)
		goto out;
	buf_puts(&sql, ") FROM STDIN (FORMAT csv, HEADER true)");
	if (sql.failed) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	rewind(f);

	PGresult *res = PQexec(conn, sql.p);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		set_err(err, errlen, "%s: %s", path, result_message(res, conn));
		PQclear(res);
		goto out;
	}
	PQclear(res);
	char chunk[SEED_CHUNK];
	size_t n;
	bool sent = true;
	while (sent && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		sent = PQputCopyData(conn, chunk, (int)n) == 1;
	const char *abort_msg = !sent ? "send failed" : ferror(f) ? "read error" : NULL;
	if (PQputCopyEnd(conn, abort_msg) != 1 && !abort_msg)
		abort_msg = "send failed";
	res = PQgetResult(conn);
	if (PQresultStatus(res) == PGRES_COMMAND_OK && !abort_msg) {
		*rows += strtoul(PQcmdTuples(res), NULL, 10);
		rc = 0;
	} else {
		/* the server's context names the line: "COPY usage, line 3, column ..." */
		const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
		const char *at = ctx ? strstr(ctx, ", line ") : NULL;
		unsigned long line = at ? strtoul(at + 7, NULL, 10) : 0;
		const char *msg = abort_msg && ferror(f) ? "read error" : result_message(res, conn);
		if (line)
			set_err(err, errlen, "%s:%lu: %s", path, line, msg);
		else
			set_err(err, errlen, "%s: %s", path, msg);
	}
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
out:
	free(sql.p);
	free(header);
	fclose(f);
	return rc;
}

static int exec_simple(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, sql);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc < 0)
		set_err(err, errlen, "%s: %s", sql, result_message(res, conn));
	PQclear(res);
	return rc;
}

int gl_pg_seed(unsigned long *rows, struct gl_pg *pg, const char *schema_path,
               const char *const *tables, const char *const *csv_paths, size_t n, char *err,
               size_t errlen)
{
	assert(rows && pg && schema_path && (n == 0 || (tables && csv_paths)));
	*rows = 0;
	if (pg->streaming) {
		set_err(err, errlen, "the connection is streaming a query");
		return -1;
	}
	if (exec_simple(pg->conn, "BEGIN", err, errlen) < 0)
		return -1;
	unsigned long total = 0;
	int rc = run_schema(pg->conn, schema_path, err, errlen);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = copy_csv(&total, pg->conn, tables[i], csv_paths[i], err, errlen);
	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK: check first */
	if (rc == 0 && PQtransactionStatus(pg->conn) != PQTRANS_INTRANS) {
		set_err(err, errlen, "%s: the transaction did not survive the script", schema_path);
		rc = -1;
	}
	if (rc == 0)
		rc = exec_simple(pg->conn, "COMMIT", err, errlen);
	if (rc < 0) {
		if (PQstatus(pg->conn) == CONNECTION_OK)
			PQclear(PQexec(pg->conn, "ROLLBACK"));
		return -1;
	}
	*rows = total;
	return 0;
}
