/* The replay runner: cases -> calculation -> merge with the golden by key ->
 * tolerance.c -> a plain-data suite result. See replay.h.
 *
 * Everything streams. A "producer" yields, in source order, one produced
 * row per case: its key and its outputs, or why it has none. The golden is
 * read in key order alongside, and the two are merged in one pass, like the
 * merge step of a merge sort. Memory is a few buffers per side, the fixed
 * state of each field (tolerance.c) and lists capped at LIST_CAP; nothing
 * grows with the number of cases, except the per-case testcases that
 * opts->per_case asks for. */
#include "replay.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decimal.h"
#include "digest.h"
#include "golden.h"
#include "http.h"
#include "http_replay.h"
#include "pg.h"
#include "source.h"
#include "suite.h"
#include "tolerance.h"

#ifndef GL_VERSION
#define GL_VERSION "unknown"
#endif

#define LIST_CAP 20 /* entries kept per completeness list */
#define KEY_SEP  '\x1f'

static char *xvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *xvprintf(const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvprintf(fmt, ap);
	va_end(ap);
	return s;
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

/* ---- keys ---- */

/* A growable byte buffer; its size follows the longest key, not the cases. */
struct buf {
	char *p;
	size_t len, cap;
	int oom; /* sticky */
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_set(struct buf *b, const char *s, size_t n)
{
	b->len = 0;
	buf_put(b, s, n);
}

/* The key parts joined with 0x1f (a NULL part is empty). lens: the parts'
 * lengths when the source knows them, else NULL. */
static void key_join(struct buf *b, const char *const *parts, const size_t *lens, size_t n)
{
	b->len = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_put(b, &(char){KEY_SEP}, 1);
		if (parts[i])
			buf_put(b, parts[i], lens ? lens[i] : strlen(parts[i]));
	}
	if (!b->p)
		buf_put(b, "", 0);
}

/* The key as people read it: parts joined with '/'. */
static void key_show(struct buf *out, const struct buf *key)
{
	buf_set(out, key->p, key->len);
	for (size_t i = 0; !out->oom && i < out->len; i++)
		if (out->p[i] == KEY_SEP)
			out->p[i] = '/';
}

static inline uint64_t load_be64(const char *p)
{
	uint64_t x;
	memcpy(&x, p, sizeof x);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

/* Byte order, a prefix first. Keys and values are short: eight bytes at a
 * time inline beats a call to memcmp, which was the merge's hottest call.
 * Past the whole words, the last eight bytes are compared as one word: the
 * bytes it shares with the words before are equal, so its order is that of
 * the first byte that differs. */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x = load_be64(a + i);
		uint64_t y = load_be64(b + i);
		if (x != y)
			return x < y ? -1 : 1;
	}
	if (i < n && n >= 8) {
		uint64_t x = load_be64(a + n - 8);
		uint64_t y = load_be64(b + n - 8);
		if (x != y)
			return x < y ? -1 : 1;
		i = n;
	}
	for (; i < n; i++) {
		unsigned char x = (unsigned char)a[i];
		unsigned char y = (unsigned char)b[i];
		if (x != y)
			return x < y ? -1 : 1;
	}
	return an < bn ? -1 : an > bn;
}

/* Equal bytes; short texts as two overlapping words. */
static bool bytes_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	if (an >= 4 && an <= 8) {
		uint32_t x0, y0, x1, y1;
		memcpy(&x0, a, 4);
		memcpy(&y0, b, 4);
		memcpy(&x1, a + an - 4, 4);
		memcpy(&y1, b + an - 4, 4);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	return bytes_cmp(a, an, b, bn) == 0;
}

static int key_cmp(const struct buf *a, const struct buf *b)
{
	return bytes_cmp(a->p, a->len, b->p, b->len);
}

static int in_shard(const struct buf *key, unsigned k, unsigned n)
{
	return n <= 1 || gl_shard_hash(key->p, key->len) % n == k - 1;
}

/* ---- capped lists for completeness ---- */

struct list {
	const char *what; /* "missing", ... */
	char *items[LIST_CAP];
	size_t n_kept;
	uint64_t n;
	int oom;
};

static void list_add(struct list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void list_add(struct list *l, const char *fmt, ...)
{
	l->n++;
	if (l->n_kept == LIST_CAP)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = xvprintf(fmt, ap);
	va_end(ap);
	if (!s) {
		l->oom = 1;
		return;
	}
	l->items[l->n_kept++] = s;
}

static void list_release(struct list *l)
{
	for (size_t i = 0; i < l->n_kept; i++)
		free(l->items[i]);
	l->n_kept = 0;
}

/* ---- the producer: one produced row per case, in source order ---- */

struct prow {
	const char *const *keys; /* n_keys parts */
	const char *const *outs; /* n_outputs, when !error; an entry may be NULL */
	const size_t *key_lens;  /* the parts' lengths, or NULL: unknown (strlen) */
	const size_t *out_lens;  /* the outputs' lengths, or NULL: unknown (strlen) */
	const char *error;       /* NULL, or why the case has no outputs */
	int transport;           /* the error is a failure to reach the target */
	unsigned long line;
};

enum { P_END = 0, P_ROW = 1, P_BAD = 2, P_FAIL = -1 };

struct producer {
	const struct gl_replay *rp;
	const struct gl_env *env;
	unsigned shard_k, shard_n; /* filtered here (files); 0/0 when none or pushed into SQL */
	struct gl_pg *pg;          /* the cases' (or bulk outputs') connection */
	struct gl_pg *calc_pg;     /* SQL per case: its own connection, since the cases may be
	                              streaming on pg at the same time */
	struct gl_source *src;     /* the cases, or (BULK_SQL, FILE) the outputs */
	int src_is_sql;
	struct gl_pg_stmt *stmt;
	struct gl_http_replay *http;
	const char **fields; /* asked of src */
	size_t n_fields;
	const char **columns; /* BULK_SQL, FILE: output columns; SQL: output columns */
	const struct gl_jsonpath **paths;
	size_t *param_idx; /* SQL: params[i] is case field param_idx[i] */
	const char **params;
	char **sql_vals; /* the last gl_pg_exec() result */
	const char **outs;
	int cases_eof;
	int pending_fail; /* the case source failed while requests were in flight */
	/* gl_replay_opts.deadline_mono, for the stop question; 0: none */
	double deadline_mono;
	uint64_t n_cases;
	struct buf key;
	/* record: a digest of the case stream of a SQL source */
	int digest_cases;
	char digest[GL_DIGEST_LEN];
	struct buf dbuf;
	char err[1024];
};

/* Whether the run must stop now: SIGINT or SIGTERM (gl_http_stop_pending()),
 * or the deadline (CLOCK_MONOTONIC seconds; 0: none) passed. why says which. */
static bool stop_now(char *why, size_t len, double deadline_mono)
{
	int sig = gl_http_stop_pending();
	if (sig) {
		snprintf(why, len, "interrupted by %s",
		         sig == SIGTERM  ? "SIGTERM"
		         : sig == SIGINT ? "SIGINT"
		                         : "a stop request");
		return true;
	}
	if (deadline_mono > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 >= deadline_mono) {
			snprintf(why, len, "run deadline exceeded");
			return true;
		}
	}
	return false;
}

/* The producer's stop question: a case awaited from a slow or hanging target
 * must not hold the run past a signal or the deadline. Sets p->err. */
static bool producer_stop(void *ctx)
{
	struct producer *p = ctx;
	return stop_now(p->err, sizeof p->err, p->deadline_mono);
}

static void producer_close(struct producer *p)
{
	gl_http_replay_close(p->http);
	if (p->sql_vals)
		gl_pg_values_free(p->sql_vals, p->rp->n_outputs);
	gl_pg_stmt_free(p->stmt);
	if (p->calc_pg)
		gl_pg_close(p->calc_pg);
	if (p->src)
		gl_source_close(p->src);
	if (p->pg)
		gl_pg_close(p->pg);
	free(p->fields);
	free(p->columns);
	free(p->paths);
	free(p->param_idx);
	free(p->params);
	free(p->outs);
	free(p->key.p);
	free(p->dbuf.p);
	memset(p, 0, sizeof *p);
}

static int diag_to_err(struct gl_diag *d, char *err, size_t errlen, const char *fallback)
{
	if (d->n > 0) {
		const struct gl_diag_entry *e = &d->entries[0];
		if (e->pos.file && e->pos.line)
			errf(err, errlen, "%s:%u: %s", e->pos.file, e->pos.line, e->msg);
		else if (e->pos.file && *e->pos.file)
			errf(err, errlen, "%s: %s", e->pos.file, e->msg);
		else
			errf(err, errlen, "%s", e->msg);
	} else {
		errf(err, errlen, "%s", fallback);
	}
	return -1;
}

static int open_file(struct gl_source **out, const char *path, const char **fields, size_t n,
                     char *err, size_t errlen)
{
	struct gl_diag d;
	gl_diag_init(&d);
	int rc = gl_source_open_file(out, path, fields, n, &d);
	if (rc < 0)
		diag_to_err(&d, err, errlen, "cannot open the file");
	gl_diag_release(&d);
	return rc;
}

static int connect_db(struct producer *p, struct gl_pg **conn, char *err, size_t errlen)
{
	const char *url = p->env ? gl_env_lookup((void *)p->env, "database_url") : NULL;
	if (!url) {
		errf(err, errlen, "environment '%s' has no 'database_url'",
		     p->env && p->env->name ? p->env->name : "");
		return -1;
	}
	char why[400];
	if (gl_pg_connect(conn, url, why, sizeof why) < 0) {
		errf(err, errlen, "database unreachable: %s", why);
		return -1;
	}
	/* Every wait for the server asks whether to stop (a signal, the
	 * deadline), and the deadline is also the server's statement_timeout,
	 * so that a statement left behind by a stop ends there too. */
	gl_pg_on_stop(*conn, producer_stop, p);
	if (p->deadline_mono > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		double left = p->deadline_mono - ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
		long ms = left < 0.001 ? 1 : (long)(left * 1000.0) + 1;
		if (gl_pg_set_timeout(*conn, ms, why, sizeof why) < 0) {
			if (!stop_now(err, errlen, p->deadline_mono))
				errf(err, errlen, "database: cannot set the deadline: %s", why);
			gl_pg_close(*conn);
			*conn = NULL;
			return -1;
		}
	}
	return 0;
}

/* The fields asked of the outputs source: keys, then output columns. */
static int outputs_fields(struct producer *p)
{
	const struct gl_replay *rp = p->rp;
	p->n_fields = rp->n_keys + rp->n_outputs;
	p->fields = calloc(p->n_fields, sizeof *p->fields);
	if (!p->fields)
		return -1;
	for (size_t i = 0; i < rp->n_keys; i++)
		p->fields[i] = rp->keys[i];
	for (size_t i = 0; i < rp->n_outputs; i++)
		p->fields[rp->n_keys + i] =
		        rp->outputs[i].column ? rp->outputs[i].column : rp->outputs[i].name;
	return 0;
}

static int open_cases(struct producer *p, unsigned shard_k, unsigned shard_n, char *err,
                      size_t errlen)
{
	const struct gl_replay *rp = p->rp;
	p->n_fields = rp->n_case_fields;
	p->fields = calloc(p->n_fields ? p->n_fields : 1, sizeof *p->fields);
	if (!p->fields) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < rp->n_case_fields; i++)
		p->fields[i] = rp->case_fields[i];
	if (rp->cases_kind == GL_CASES_FILE) {
		p->shard_k = shard_k;
		p->shard_n = shard_n;
		return open_file(&p->src, rp->cases_file, p->fields, p->n_fields, err, errlen);
	}
	if (rp->cases_kind != GL_CASES_SQL) {
		errf(err, errlen, "the calculation needs cases (a file or a query)");
		return -1;
	}
	if (connect_db(p, &p->pg, err, errlen) < 0)
		return -1;
	p->src_is_sql = 1;
	char why[400];
	if (gl_pg_source_open(&p->src, p->pg, rp->cases_sql, p->fields, p->n_fields,
	                      (const char *const *)rp->keys, rp->n_keys, shard_k, shard_n, why,
	                      sizeof why) < 0) {
		errf(err, errlen, "cases query failed: %s", why);
		return -1;
	}
	return 0;
}

static int producer_open(struct producer *p, const struct gl_replay *rp, const struct gl_env *env,
                         unsigned jobs, unsigned shard_k, unsigned shard_n, double deadline_mono,
                         char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->deadline_mono = deadline_mono;
	p->rp = rp;
	p->env = env;
	if (shard_n <= 1)
		shard_k = shard_n = 0;
	p->outs = calloc(rp->n_outputs ? rp->n_outputs : 1, sizeof *p->outs);
	if (!p->outs)
		goto oom;

	switch (rp->calc) {
	case GL_CALC_FILE:
		if (outputs_fields(p) < 0)
			goto oom;
		p->shard_k = shard_k;
		p->shard_n = shard_n;
		return open_file(&p->src, rp->outputs_file, p->fields, p->n_fields, err, errlen);
	case GL_CALC_BULK_SQL: {
		if (outputs_fields(p) < 0)
			goto oom;
		if (connect_db(p, &p->pg, err, errlen) < 0)
			return -1;
		p->src_is_sql = 1;
		char why[400];
		if (gl_pg_source_open(&p->src, p->pg, rp->bulk_sql, p->fields, p->n_fields,
		                      (const char *const *)rp->keys, rp->n_keys, shard_k, shard_n,
		                      why, sizeof why) < 0) {
			errf(err, errlen, "bulk query failed: %s", why);
			return -1;
		}
		return 0;
	}
	case GL_CALC_SQL: {
		if (open_cases(p, shard_k, shard_n, err, errlen) < 0)
			return -1;
		if (connect_db(p, &p->calc_pg, err, errlen) < 0)
			return -1;
		p->param_idx = calloc(rp->n_params ? rp->n_params : 1, sizeof *p->param_idx);
		p->params = calloc(rp->n_params ? rp->n_params : 1, sizeof *p->params);
		p->columns = calloc(rp->n_outputs ? rp->n_outputs : 1, sizeof *p->columns);
		if (!p->param_idx || !p->params || !p->columns)
			goto oom;
		for (size_t i = 0; i < rp->n_params; i++) {
			size_t j = 0;
			while (j < rp->n_case_fields && strcmp(rp->case_fields[j], rp->params[i]))
				j++;
			if (j == rp->n_case_fields) {
				errf(err, errlen, "parameter '%s' is not a field of the cases",
				     rp->params[i]);
				return -1;
			}
			p->param_idx[i] = j;
		}
		for (size_t i = 0; i < rp->n_outputs; i++)
			p->columns[i] =
			        rp->outputs[i].column ? rp->outputs[i].column : rp->outputs[i].name;
		char why[400];
		if (gl_pg_prepare(&p->stmt, p->calc_pg, rp->sql, rp->n_params, p->columns,
		                  rp->n_outputs, why, sizeof why) < 0) {
			errf(err, errlen, "calculation query failed: %s", why);
			return -1;
		}
		return 0;
	}
	case GL_CALC_HTTP: {
		if (open_cases(p, shard_k, shard_n, err, errlen) < 0)
			return -1;
		p->paths = calloc(rp->n_outputs ? rp->n_outputs : 1, sizeof *p->paths);
		if (!p->paths)
			goto oom;
		for (size_t i = 0; i < rp->n_outputs; i++)
			p->paths[i] = rp->outputs[i].path;
		char why[400];
		if (gl_http_replay_open(&p->http, rp->request, env, p->fields, p->n_fields,
		                        p->paths, rp->n_outputs, jobs ? jobs : 1, why,
		                        sizeof why) < 0) {
			errf(err, errlen, "%s", why);
			return -1;
		}
		gl_http_replay_on_stop(p->http, producer_stop, p);
		return 0;
	}
	}
	errf(err, errlen, "unknown calculation");
	return -1;
oom:
	errf(err, errlen, "out of memory");
	return -1;
}

/* Chain the case into the digest of a SQL case stream: h = sha256(h, row). */
static void digest_row(struct producer *p, const struct gl_row *row)
{
	struct buf *b = &p->dbuf;
	buf_set(b, p->digest, strlen(p->digest));
	for (size_t i = 0; i < row->n; i++) {
		buf_put(b, "\x1e", 1);
		if (row->values[i])
			buf_put(b, row->values[i], row->lens[i]);
		else
			buf_put(b, "\x1d", 1); /* NULL differs from "" */
	}
	if (!b->oom)
		gl_digest_sha256(p->digest, b->p, b->len);
}

/* The next case or output row of src within the shard. */
static int source_row(struct producer *p, struct gl_row *row)
{
	for (;;) {
		enum gl_source_status st = gl_source_next(p->src, row);
		if (st == GL_SOURCE_END)
			return P_END;
		if (st == GL_SOURCE_FAIL) {
			/* file sources name themselves; a query does not */
			snprintf(p->err, sizeof p->err, "%s%.600s", p->src_is_sql ? "query: " : "",
			         p->src->err);
			return P_FAIL;
		}
		if (st == GL_SOURCE_BAD) {
			snprintf(p->err, sizeof p->err, "%.600s", p->src->err);
			return P_BAD;
		}
		if (p->shard_n > 1) {
			key_join(&p->key, row->values, row->lens, p->rp->n_keys);
			if (p->key.oom) {
				snprintf(p->err, sizeof p->err, "out of memory");
				return P_FAIL;
			}
			if (!in_shard(&p->key, p->shard_k, p->shard_n))
				continue;
		}
		if (p->digest_cases && p->src_is_sql)
			digest_row(p, row);
		p->n_cases++;
		return P_ROW;
	}
}

static int next_http(struct producer *p, struct prow *out)
{
	struct gl_row row;
	for (;;) {
		/* nothing more is sent once the run is to stop */
		if (producer_stop(p))
			return P_FAIL;
		while (!p->cases_eof && gl_http_replay_can_submit(p->http)) {
			int st = source_row(p, &row);
			if (st == P_BAD)
				return P_BAD;
			if (st == P_FAIL)
				p->pending_fail = 1;
			if (st != P_ROW) {
				p->cases_eof = 1;
				break;
			}
			if (gl_http_replay_submit(p->http, row.values, p->err, sizeof p->err) < 0)
				return P_FAIL;
		}
		struct gl_hr_done d;
		char why[256];
		int rc = gl_http_replay_next(p->http, &d, !p->cases_eof, why, sizeof why);
		if (rc < 0) {
			snprintf(p->err, sizeof p->err, "%s", why);
			return P_FAIL;
		}
		if (rc == GL_HR_AGAIN)
			continue;
		if (rc == GL_HR_STOP) /* p->err says why */
			return P_FAIL;
		if (rc == GL_HR_IDLE)
			return p->pending_fail ? P_FAIL : P_END;
		out->keys = d.values;
		out->outs = d.outputs;
		out->error = d.error == GL_HR_OK ? NULL : d.reason;
		out->transport = d.error == GL_HR_TRANSPORT;
		out->line = 0;
		return P_ROW;
	}
}

static int next_sql(struct producer *p, struct prow *out)
{
	struct gl_row row;
	int st = source_row(p, &row);
	if (st != P_ROW)
		return st;
	const struct gl_replay *rp = p->rp;
	if (p->sql_vals)
		gl_pg_values_free(p->sql_vals, rp->n_outputs);
	p->sql_vals = NULL;
	for (size_t i = 0; i < rp->n_params; i++)
		p->params[i] = row.values[p->param_idx[i]];
	out->keys = row.values;
	out->key_lens = row.lens;
	out->line = row.line;
	out->transport = 0;
	out->error = NULL;
	/* nothing more is sent once the run is to stop */
	if (producer_stop(p))
		return P_FAIL;
	int rc = gl_pg_exec(&p->sql_vals, p->stmt, p->params, p->err, sizeof p->err);
	if (rc == -2) {
		/* stopped (the reason is the stop's) or the connection is gone:
		 * no later case can run */
		producer_stop(p);
		return P_FAIL;
	}
	if (rc < 0) { /* a query error on this case's data is this case's */
		out->error = p->err;
	} else if (rc == 1) {
		out->error = "the calculation query returned no row";
	} else {
		for (size_t i = 0; i < rp->n_outputs; i++)
			p->outs[i] = p->sql_vals[i];
		out->outs = p->outs;
	}
	return P_ROW;
}

/* The next produced row: P_ROW, P_BAD (p->err: a malformed record; go on),
 * P_END, or P_FAIL (p->err: fatal). */
static int producer_next(struct producer *p, struct prow *out)
{
	memset(out, 0, sizeof *out);
	switch (p->rp->calc) {
	case GL_CALC_HTTP:
		return next_http(p, out);
	case GL_CALC_SQL:
		return next_sql(p, out);
	case GL_CALC_FILE:
	case GL_CALC_BULK_SQL:
		break;
	}
	struct gl_row row;
	int st = source_row(p, &row);
	if (st != P_ROW)
		return st;
	/* the fields asked of src are the keys, then the outputs */
	out->keys = row.values;
	out->key_lens = row.lens;
	out->outs = row.values + p->rp->n_keys;
	out->out_lens = row.lens + p->rp->n_keys;
	out->line = row.line;
	return P_ROW;
}

/* ---- formatting ---- */

/* A decimal with its trailing zeros cut, keeping at least 3 places. */
static const char *dec_text(char buf[GL_DEC_BUFSZ], struct gl_dec v, int plus)
{
	char tmp[GL_DEC_BUFSZ];
	gl_dec_format(tmp, sizeof tmp, v, GL_DEC_PLACES);
	size_t n = strlen(tmp);
	const char *dot = strchr(tmp, '.');
	while (dot && n > (size_t)(dot - tmp) + 4 && tmp[n - 1] == '0')
		n--;
	tmp[n] = '\0';
	snprintf(buf, GL_DEC_BUFSZ, "%s%s", plus && v.units > 0 ? "+" : "", tmp);
	return buf;
}

static const char *verdict_text(enum gl_verdict v)
{
	return v == GL_V_EXACT ? "exact" : v == GL_V_WITHIN ? "within" : "out";
}

/* ---- the result ---- */

struct res {
	struct gl_suite_result *out;
	const struct gl_suite *suite;
	size_t cap_cases, cap_props;
	int oom;
};

static struct gl_case *add_case(struct res *r, const char *name, unsigned line,
                                enum gl_outcome outcome, char *message, char *detail)
{
	if (r->out->n_cases == r->cap_cases) {
		size_t cap = r->cap_cases ? r->cap_cases * 2 : 16;
		struct gl_case *c = realloc(r->out->cases, cap * sizeof *c);
		if (!c) {
			free(message);
			free(detail);
			r->oom = 1;
			return NULL;
		}
		r->out->cases = c;
		r->cap_cases = cap;
	}
	struct gl_case *c = &r->out->cases[r->out->n_cases++];
	memset(c, 0, sizeof *c);
	c->id = xprintf("%s/%s", r->suite->name, name);
	c->classname = strdup(r->suite->name);
	c->name = strdup(name);
	c->file = strdup(r->suite->path ? r->suite->path : "");
	c->line = line;
	c->outcome = outcome;
	c->message = message;
	c->detail = detail;
	if (!c->id || !c->classname || !c->name || !c->file || (outcome != GL_OUT_PASS && !message))
		r->oom = 1;
	return c;
}

static void add_prop(struct res *r, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void add_prop(struct res *r, const char *name, const char *fmt, ...)
{
	if (r->out->n_props == r->cap_props) {
		size_t cap = r->cap_props ? r->cap_props * 2 : 32;
		struct gl_property *p = realloc(r->out->props, cap * sizeof *p);
		if (!p) {
			r->oom = 1;
			return;
		}
		r->out->props = p;
		r->cap_props = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *value = xvprintf(fmt, ap);
	va_end(ap);
	char *n = strdup(name);
	if (!value || !n) {
		free(value);
		free(n);
		r->oom = 1;
		return;
	}
	r->out->props[r->out->n_props++] = (struct gl_property){n, value};
}

static int res_init(struct res *r, struct gl_suite_result *out, const struct gl_suite *s)
{
	memset(out, 0, sizeof *out);
	memset(r, 0, sizeof *r);
	r->out = out;
	r->suite = s;
	out->name = strdup(s->name);
	out->file = strdup(s->path ? s->path : "");
	out->digest = s->digest ? strdup(s->digest) : NULL;
	out->started = time(NULL);
	return out->name && out->file && (out->digest || !s->digest) ? 0 : -1;
}

/* Every testcase with one outcome and reason: the comparison could not run. */
static void all_cases(struct res *r, const struct gl_replay *rp, bool per_case,
                      enum gl_outcome outcome, const char *reason)
{
	static const char *const kinds[] = {"within tolerance", "drift", "bias"};
	for (size_t i = 0; i < rp->n_outputs; i++) {
		for (size_t k = per_case ? 1 : 0; k < 3; k++) {
			char name[GL_TOL_NAME_MAX + 32];
			snprintf(name, sizeof name, "%s %s", rp->outputs[i].name, kinds[k]);
			add_case(r, name, rp->outputs[i].pos.line, outcome, xprintf("%s", reason),
			         NULL);
		}
	}
	add_case(r, "completeness", rp->pos.line, outcome, xprintf("%s", reason), NULL);
}

int gl_replay_not_run(struct gl_suite_result *out, const struct gl_suite *s, bool per_case,
                      enum gl_outcome outcome, const char *reason)
{
	struct res r;

	assert(s && s->replay && reason);
	if (res_init(&r, out, s) < 0)
		return -1;
	all_cases(&r, s->replay, per_case, outcome, reason);
	return r.oom ? -1 : 0;
}

/* ---- the merge ---- */

/* key is the current row's key, prev the last accepted one: after an
 * accepted row both point to the same buffer of kb, and the next key is
 * built in the other, so no key is copied. */
struct side {
	struct buf kb[2], show;
	struct buf *key, *prev;
	int have_prev;
	uint64_t rows; /* in order, in the shard */
};

struct merge {
	const struct gl_replay *rp;
	const struct gl_replay_opts *opts;
	struct res *r;
	struct producer prod;
	struct gl_source *golden;
	struct gl_tol_field *fields;
	size_t n_fields_init;
	struct side ps, gs;
	struct prow prow;
	struct gl_row grow;
	struct list missing, unexpected, unparsable, errors, order, malformed;
	uint64_t n_transport;
	uint64_t n_exact, n_within, n_out, n_compared;
	int fatal; /* the stream stopped early */
	char fatal_reason[600];
	struct buf tmp;
};

/* The key of a row, checked against the side's previous one: 1 when in
 * order, 0 when out of order or duplicate (recorded, row to be skipped). */
/* The key of a side's current row as people read it. */
static const char *show(const struct merge *m, const struct side *sd)
{
	return m->rp->n_keys > 1 ? sd->show.p : sd->key->p;
}

/* Build a row's key in the buffer that does not hold the last accepted key;
 * it becomes sd->key. */
static struct buf *side_key(struct merge *m, struct side *sd, const char *const *parts,
                            const size_t *lens)
{
	sd->key = sd->prev == &sd->kb[0] ? &sd->kb[1] : &sd->kb[0];
	key_join(sd->key, parts, lens, m->rp->n_keys);
	return sd->key;
}

/* Check the key side_key() built against the side's previous one. */
static int side_accept(struct merge *m, struct side *sd, const char *label)
{
	/* A single key reads as it is: no copy per row (see show()). */
	if (m->rp->n_keys > 1)
		key_show(&sd->show, sd->key);
	if (sd->have_prev) {
		int c = key_cmp(sd->key, sd->prev);
		if (c <= 0) {
			key_show(&m->tmp, sd->prev);
			if (c == 0)
				list_add(&m->order, "duplicate key '%s' in %s", show(m, sd), label);
			else
				list_add(&m->order, "%s out of order: '%s' after '%s'", label,
				         show(m, sd), m->tmp.p);
			return 0;
		}
	}
	sd->prev = sd->key;
	sd->have_prev = 1;
	sd->rows++;
	return 1;
}

static const char *golden_label(const struct merge *m)
{
	return m->rp->golden;
}

static const char *cases_label(const struct merge *m)
{
	const struct gl_replay *rp = m->rp;
	if (rp->calc == GL_CALC_FILE)
		return rp->outputs_file;
	if (rp->calc == GL_CALC_BULK_SQL)
		return "the bulk query";
	return rp->cases_kind == GL_CASES_FILE ? rp->cases_file : "the cases query";
}

static int golden_next(struct merge *m)
{
	for (;;) {
		enum gl_source_status st = gl_source_next(m->golden, &m->grow);
		if (st == GL_SOURCE_END)
			return P_END;
		if (st == GL_SOURCE_FAIL) {
			snprintf(m->fatal_reason, sizeof m->fatal_reason, "%s", m->golden->err);
			return P_FAIL;
		}
		if (st == GL_SOURCE_BAD) {
			list_add(&m->malformed, "%s", m->golden->err);
			continue;
		}
		struct buf *key = side_key(m, &m->gs, m->grow.values, m->grow.lens);
		if (m->opts->shard_n > 1 && !in_shard(key, m->opts->shard_k, m->opts->shard_n))
			continue;
		if (side_accept(m, &m->gs, golden_label(m)))
			return P_ROW;
	}
}

static int produced_next(struct merge *m)
{
	for (;;) {
		int st = producer_next(&m->prod, &m->prow);
		if (st == P_END)
			return P_END;
		if (st == P_FAIL) {
			/* A query cancelled by a signal or cut by the deadline
			 * fails with the server's words; the cause is the stop. */
			if (!stop_now(m->fatal_reason, sizeof m->fatal_reason,
			              m->prod.deadline_mono))
				snprintf(m->fatal_reason, sizeof m->fatal_reason, "%.590s",
				         m->prod.err);
			return P_FAIL;
		}
		if (st == P_BAD) {
			list_add(&m->malformed, "%s", m->prod.err);
			continue;
		}
		side_key(m, &m->ps, m->prow.keys, m->prow.key_lens);
		if (side_accept(m, &m->ps, cases_label(m)))
			return P_ROW;
	}
}

/* A per-case testcase (opts->per_case). */
static void per_case_add(struct merge *m, const char *key, enum gl_outcome o, char *msg,
                         char *detail)
{
	add_case(m->r, key, m->rp->pos.line, o, msg, detail);
}

/* The same key on both sides: compare every field. */
static void compare(struct merge *m)
{
	const struct gl_replay *rp = m->rp;
	const char *key = show(m, &m->ps);
	bool per_case = m->opts->per_case;

	if (m->prow.error) {
		list_add(&m->errors, "%s: %s", key, m->prow.error);
		m->n_transport += m->prow.transport;
		if (per_case)
			per_case_add(m, key, m->prow.transport ? GL_OUT_ERROR : GL_OUT_FAIL,
			             xprintf("%s", m->prow.error), NULL);
		return;
	}
	enum gl_verdict worst = GL_V_EXACT;
	int unparsable = 0;
	struct buf detail = {0};
	char *first_bad = NULL;
	for (size_t i = 0; i < rp->n_outputs; i++) {
		const char *g = m->grow.values[rp->n_keys + i];
		const char *a = m->prow.outs[i];
		struct gl_dec ge, ae;
		size_t glen = g ? m->grow.lens[rp->n_keys + i] : 0;
		size_t alen = !a ? 0 : m->prow.out_lens ? m->prow.out_lens[i] : strlen(a);
		int rg = g ? gl_dec_parse(&ge, g, glen) : GL_DEC_EEMPTY;
		int ra;
		/* Most cases reproduce the golden's text exactly: parse it once. */
		if (a && g && rg == 0 && bytes_eq(a, alen, g, glen)) {
			ae = ge;
			ra = 0;
		} else {
			ra = a ? gl_dec_parse(&ae, a, alen) : GL_DEC_EEMPTY;
		}
		if (rg < 0 || ra < 0) {
			char why[160];
			/* NULL is not '': a SQL NULL or an absent value says so. */
			if (rg < 0 ? !g : !a)
				snprintf(why, sizeof why, "no value (NULL or absent)");
			else if (rg < 0)
				gl_dec_strerror(why, sizeof why, rg, g ? g : "", glen);
			else
				gl_dec_strerror(why, sizeof why, ra, a ? a : "", alen);
			list_add(&m->unparsable, "%s %s: %s %s", key, rp->outputs[i].name,
			         rg < 0 ? "golden" : "produced", why);
			unparsable = 1;
			if (per_case && !first_bad)
				first_bad = xprintf("%s: %s %s", rp->outputs[i].name,
				                    rg < 0 ? "golden" : "produced", why);
			continue;
		}
		enum gl_verdict v;
		gl_tol_field_add(&m->fields[i], key, ge, ae, &v);
		if (v > worst)
			worst = v;
		if (per_case) {
			char e[GL_DEC_BUFSZ], ac[GL_DEC_BUFSZ], d[GL_DEC_BUFSZ];
			struct gl_dec diff;
			if (gl_dec_sub(&diff, ae, ge) < 0)
				diff.units = 0;
			char line[3 * GL_DEC_BUFSZ + GL_TOL_NAME_MAX + 64];
			snprintf(line, sizeof line, "%s%s: expected %s got %s (diff %s) %s",
			         detail.len ? "\n" : "", rp->outputs[i].name, dec_text(e, ge, 0),
			         dec_text(ac, ae, 0), dec_text(d, diff, 1), verdict_text(v));
			buf_put(&detail, line, strlen(line));
		}
	}
	if (!unparsable) {
		m->n_compared++;
		m->n_exact += worst == GL_V_EXACT;
		m->n_within += worst == GL_V_WITHIN;
		m->n_out += worst == GL_V_OUT;
	}
	if (per_case) {
		enum gl_outcome o = unparsable || worst == GL_V_OUT ? GL_OUT_FAIL : GL_OUT_PASS;
		char *msg = NULL;
		if (first_bad)
			msg = first_bad;
		else if (o == GL_OUT_FAIL)
			msg = xprintf("out of tolerance: %s", detail.p ? detail.p : "");
		if (msg && o == GL_OUT_FAIL)
			for (char *c = msg; *c; c++)
				if (*c == '\n')
					*c = ';';
		if (o == GL_OUT_PASS) {
			free(msg);
			msg = NULL;
		}
		per_case_add(m, key, o, msg, detail.p);
	} else {
		free(detail.p);
		free(first_bad);
	}
}

/* A signal or the run's deadline: checked every 64 rows, a clock read is not
 * free. Sets the fatal reason when it is time to stop. (A producer waiting
 * on the target asks at every case: producer_stop().) */
static bool cut_short(struct merge *m, uint64_t *tick)
{
	if ((++*tick & 63) != 0)
		return false;
	return stop_now(m->fatal_reason, sizeof m->fatal_reason, m->opts->deadline_mono);
}

static int merge_run(struct merge *m)
{
	uint64_t tick = 0;
	int pst = produced_next(m);
	int gst = pst == P_FAIL ? P_END : golden_next(m);
	while ((pst == P_ROW || gst == P_ROW) && pst != P_FAIL && gst != P_FAIL) {
		if (cut_short(m, &tick)) {
			m->fatal = 1;
			return 0;
		}
		int c = pst == P_ROW && gst == P_ROW ? key_cmp(m->ps.key, m->gs.key)
		        : pst == P_ROW               ? -1
		                                     : 1;
		if (c < 0) {
			if (m->prow.error)
				list_add(&m->unexpected, "%s (and it failed: %s)", show(m, &m->ps),
				         m->prow.error);
			else
				list_add(&m->unexpected, "%s", show(m, &m->ps));
			if (m->opts->per_case)
				per_case_add(
				        m, show(m, &m->ps), GL_OUT_FAIL,
				        xprintf("unexpected: not in golden '%s'", m->rp->golden),
				        NULL);
			pst = produced_next(m);
		} else if (c > 0) {
			list_add(&m->missing, "%s", show(m, &m->gs));
			if (m->opts->per_case)
				per_case_add(m, show(m, &m->gs), GL_OUT_FAIL,
				             xprintf("missing: in golden '%s' but not produced",
				                     m->rp->golden),
				             NULL);
			gst = golden_next(m);
		} else {
			compare(m);
			pst = produced_next(m);
			if (pst != P_FAIL)
				gst = golden_next(m);
		}
		if (m->r->oom || m->ps.kb[0].oom || m->ps.kb[1].oom || m->gs.kb[0].oom ||
		    m->gs.kb[1].oom)
			return -1;
	}
	if (pst == P_FAIL || gst == P_FAIL)
		m->fatal = 1;
	return 0;
}

/* ---- reporting ---- */

static char *join_list(char *acc, const struct list *l)
{
	if (!l->n)
		return acc;
	struct buf b = {0};
	if (acc) {
		buf_put(&b, acc, strlen(acc));
		buf_put(&b, "\n", 1);
		free(acc);
	}
	char head[128];
	snprintf(head, sizeof head, "%s (%" PRIu64 "):", l->what, l->n);
	buf_put(&b, head, strlen(head));
	for (size_t i = 0; i < l->n_kept; i++) {
		buf_put(&b, "\n  ", 3);
		buf_put(&b, l->items[i], strlen(l->items[i]));
	}
	if (l->n > l->n_kept) {
		snprintf(head, sizeof head, "\n  ... and %" PRIu64 " more", l->n - l->n_kept);
		buf_put(&b, head, strlen(head));
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static void report_completeness(struct merge *m)
{
	struct list *lists[] = {&m->missing, &m->unexpected, &m->unparsable,
	                        &m->errors,  &m->order,      &m->malformed};
	struct buf msg = {0};
	const char *first = NULL;
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
		if (!lists[i]->n)
			continue;
		char part[96];
		snprintf(part, sizeof part, "%s%" PRIu64 " %s", msg.len ? ", " : "", lists[i]->n,
		         lists[i]->what);
		buf_put(&msg, part, strlen(part));
		if (!first && lists[i]->n_kept)
			first = lists[i]->items[0];
	}
	char *detail = NULL;
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		detail = join_list(detail, lists[i]);
	enum gl_outcome o = GL_OUT_PASS;
	char *message = NULL;
	if (m->fatal) {
		o = GL_OUT_ERROR;
		message = xprintf("stopped after %" PRIu64 " cases: %s%s%s", m->ps.rows,
		                  m->fatal_reason, msg.len ? "; " : "", msg.len ? msg.p : "");
	} else if (msg.len) {
		o = m->n_transport ? GL_OUT_ERROR : GL_OUT_FAIL;
		message = xprintf("%s (%" PRIu64 " golden cases, %" PRIu64 " produced); first: %s",
		                  msg.p, m->gs.rows, m->ps.rows, first ? first : "");
	}
	if (msg.oom)
		m->r->oom = 1;
	free(msg.p);
	add_case(m->r, "completeness", m->rp->pos.line, o, message, detail);
}

static void report_field(struct merge *m, size_t i, const struct gl_tol_summary *s)
{
	const struct gl_replay_output *o = &m->rp->outputs[i];
	struct res *r = m->r;
	char name[GL_TOL_NAME_MAX + 32];
	char a[GL_DEC_BUFSZ], b[GL_DEC_BUFSZ], c[GL_DEC_BUFSZ], d[GL_DEC_BUFSZ];
	/* with nothing compared there is no evidence: an error when the target
	 * or a source failed, else a failure */
	enum gl_outcome none = m->fatal || m->n_transport ? GL_OUT_ERROR : GL_OUT_FAIL;

	if (!m->opts->per_case) {
		snprintf(name, sizeof name, "%s within tolerance", o->name);
		if (s->n == 0) {
			add_case(r, name, o->pos.line, none, xprintf("no cases compared"), NULL);
		} else if (s->n_out == 0) {
			add_case(r, name, o->pos.line, GL_OUT_PASS, NULL, NULL);
		} else {
			const struct gl_tol_worst *w = &s->worst[0];
			char *msg = xprintf("%" PRIu64 " of %" PRIu64 " cases out of tolerance %s; "
			                    "worst: %s expected %s got %s (diff %s)",
			                    s->n_out, s->n, dec_text(a, s->spec.abs_tol, 0), w->key,
			                    dec_text(b, w->expected, 0), dec_text(c, w->actual, 0),
			                    dec_text(d, w->diff, 1));
			struct buf t = {0};
			const char *head = "key\texpected\tactual\tdiff\tverdict";
			buf_put(&t, head, strlen(head));
			for (size_t k = 0; k < s->n_worst; k++) {
				w = &s->worst[k];
				if (w->diff.units == 0)
					continue;
				char line[GL_TOL_KEY_MAX + 4 * GL_DEC_BUFSZ];
				snprintf(line, sizeof line, "\n%s\t%s\t%s\t%s\t%s", w->key,
				         dec_text(a, w->expected, 0), dec_text(b, w->actual, 0),
				         dec_text(c, w->diff, 1), verdict_text(w->verdict));
				buf_put(&t, line, strlen(line));
			}
			if (s->n_out_rest) {
				char line[96];
				snprintf(line, sizeof line, "\n... and %" PRIu64 " more",
				         s->n_out_rest);
				buf_put(&t, line, strlen(line));
			}
			if (t.oom)
				r->oom = 1;
			add_case(r, name, o->pos.line, GL_OUT_FAIL, msg, t.p);
		}
	}

	snprintf(name, sizeof name, "%s drift", o->name);
	char *detail =
	        xprintf("sum of signed differences: %s\nbudget: %s\ncases: %" PRIu64 " (%" PRIu64
	                " up, %" PRIu64 " down, %" PRIu64 " exact)%s",
	                dec_text(a, s->sum, 1), dec_text(b, s->spec.drift_budget, 0), s->n,
	                s->n_pos, s->n_neg, s->n_zero, s->saturated ? "\nthe sum overflowed" : "");
	if (s->n == 0)
		add_case(r, name, o->pos.line, none, xprintf("no cases compared"), detail);
	else if (s->drift_ok)
		add_case(r, name, o->pos.line, GL_OUT_PASS, NULL, detail);
	else
		add_case(r, name, o->pos.line, GL_OUT_FAIL,
		         xprintf("drift %s over %" PRIu64 " cases exceeds the budget %s",
		                 dec_text(a, s->sum, 1), s->n,
		                 dec_text(b, s->spec.drift_budget, 0)),
		         detail);

	snprintf(name, sizeof name, "%s bias", o->name);
	char tp[48];
	if (s->t_valid)
		snprintf(tp, sizeof tp, "%.3g", s->t_p);
	else
		snprintf(tp, sizeof tp, "n/a");
	detail = xprintf("sign test p = %.3g (%" PRIu64 " up, %" PRIu64 " down)\nt test p = %s\n"
	                 "alpha = %g\nmean difference = %+.6g\nminimum effect = %s\n"
	                 "significant: %s, large enough: %s",
	                 s->sign_p, s->n_pos, s->n_neg, tp, s->spec.alpha, s->mean,
	                 dec_text(a, s->spec.min_effect, 0), s->bias_significant ? "yes" : "no",
	                 s->bias_large ? "yes" : "no");
	if (s->n == 0)
		add_case(r, name, o->pos.line, none, xprintf("no cases compared"), detail);
	else if (!s->bias_flagged)
		add_case(r, name, o->pos.line, GL_OUT_PASS, NULL, detail);
	else
		add_case(r, name, o->pos.line, GL_OUT_FAIL,
		         xprintf("differences lean %s: mean %+.6g over %" PRIu64
		                 " cases (minimum effect %s; sign test p = %.3g, t test p = %s)",
		                 s->n_pos > s->n_neg ? "upward" : "downward", s->mean, s->n,
		                 dec_text(b, s->spec.min_effect, 0), s->sign_p, tp),
		         detail);
}

static void field_props(struct res *r, const struct gl_tol_summary *s)
{
	char p[GL_TOL_NAME_MAX + 48];
	char a[GL_DEC_BUFSZ];
#define PROP(suffix, ...)                                                                          \
	do {                                                                                       \
		snprintf(p, sizeof p, "replay.%s.%s", s->name, suffix);                            \
		add_prop(r, p, __VA_ARGS__);                                                       \
	} while (0)
	PROP("count", "%" PRIu64, s->n);
	PROP("exact", "%" PRIu64, s->n_exact);
	PROP("within", "%" PRIu64, s->n_within);
	PROP("out", "%" PRIu64, s->n_out);
	PROP("mean", "%.9g", s->mean);
	PROP("stddev", "%.9g", s->stddev);
	PROP("max_abs", "%s", dec_text(a, s->max_abs, 0));
	PROP("p50", "%s", dec_text(a, s->p50, 0));
	PROP("p95", "%s", dec_text(a, s->p95, 0));
	PROP("p99", "%s", dec_text(a, s->p99, 0));
	PROP("sum", "%s", dec_text(a, s->sum, 1));
	PROP("histogram",
	     "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
	     ",%" PRIu64 ",%" PRIu64,
	     s->bins[0], s->bins[1], s->bins[2], s->bins[3], s->bins[4], s->bins[5], s->bins[6],
	     s->bins[7], s->bins[8]);
#undef PROP
}

static void merge_release(struct merge *m)
{
	producer_close(&m->prod);
	if (m->golden)
		gl_source_close(m->golden);
	for (size_t i = 0; i < m->n_fields_init; i++)
		gl_tol_field_release(&m->fields[i]);
	free(m->fields);
	struct list *lists[] = {&m->missing, &m->unexpected, &m->unparsable,
	                        &m->errors,  &m->order,      &m->malformed};
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		list_release(lists[i]);
	struct side *sides[] = {&m->ps, &m->gs};
	for (size_t i = 0; i < 2; i++) {
		free(sides[i]->kb[0].p);
		free(sides[i]->kb[1].p);
		free(sides[i]->show.p);
	}
	free(m->tmp.p);
}

/* Open everything a comparison needs; on failure reason says why. */
static int merge_open(struct merge *m, const struct gl_suite *s, const struct gl_replay_opts *opts,
                      char *reason, size_t n)
{
	const struct gl_replay *rp = s->replay;
	struct gl_diag d;

	m->fields = calloc(rp->n_outputs ? rp->n_outputs : 1, sizeof *m->fields);
	if (!m->fields) {
		errf(reason, n, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < rp->n_outputs; i++) {
		int rc = gl_tol_field_init(&m->fields[i], rp->outputs[i].name, rp->outputs[i].tol);
		if (rc < 0) {
			errf(reason, n, "field '%s': %s", rp->outputs[i].name, gl_tol_strerror(rc));
			return -1;
		}
		m->n_fields_init++;
	}

	/* the golden first: without it nothing can be compared */
	char digest[GL_DIGEST_LEN];
	if (gl_digest_sha256_file(digest, rp->golden) < 0) {
		errf(reason, n, "golden '%s' cannot be read: %s", rp->golden, strerror(errno));
		return -1;
	}
	add_prop(m->r, "replay.golden_digest", "%s", digest);
	struct gl_golden_meta *meta = NULL;
	gl_diag_init(&d);
	int rc = gl_golden_meta_read_digest(&meta, rp->golden, opts->allow_edited_golden, digest,
	                                    &d);
	if (rc < 0)
		diag_to_err(&d, reason, n, "golden metadata cannot be read");
	gl_diag_release(&d);
	gl_golden_meta_free(meta);
	if (rc < 0)
		return -1;

	size_t nf = rp->n_keys + rp->n_outputs;
	const char **fields = calloc(nf, sizeof *fields);
	if (!fields) {
		errf(reason, n, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < rp->n_keys; i++)
		fields[i] = rp->keys[i];
	for (size_t i = 0; i < rp->n_outputs; i++)
		fields[rp->n_keys + i] = rp->outputs[i].name;
	rc = open_file(&m->golden, rp->golden, fields, nf, reason, n);
	free(fields);
	if (rc < 0)
		return -1;

	return producer_open(&m->prod, rp, opts->env, opts->jobs, opts->shard_k, opts->shard_n,
	                     opts->deadline_mono, reason, n);
}

int gl_replay_run(struct gl_suite_result *out, const struct gl_suite *s,
                  const struct gl_replay_opts *opts)
{
	assert(out && s && s->replay && opts);
	const struct gl_replay *rp = s->replay;
	struct res r;
	struct merge m = {.rp = rp, .opts = opts, .r = &r};
	char reason[600];
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (res_init(&r, out, s) < 0)
		goto oom;
	m.missing.what = "missing";
	m.unexpected.what = "unexpected";
	m.unparsable.what = "unparsable";
	m.errors.what = "errors";
	m.order.what = "out of order or duplicate";
	m.malformed.what = "malformed rows";
	if (opts->shard_n > 1)
		add_prop(&r, "replay.shard", "%u/%u", opts->shard_k, opts->shard_n);

	if (merge_open(&m, s, opts, reason, sizeof reason) < 0) {
		/* a stop while opening (a query cut short) is the stop's doing */
		stop_now(reason, sizeof reason, opts->deadline_mono);
		all_cases(&r, rp, opts->per_case, GL_OUT_ERROR, reason);
	} else {
		if (merge_run(&m) < 0)
			goto oom;
		for (size_t i = 0; i < rp->n_outputs; i++) {
			struct gl_tol_summary sum;
			if (gl_tol_field_finish(&sum, &m.fields[i]) < 0) {
				snprintf(m.fatal_reason, sizeof m.fatal_reason, "field '%s': %s",
				         rp->outputs[i].name, gl_tol_strerror(GL_TOL_EGSL));
				m.fatal = 1;
				memset(&sum, 0, sizeof sum);
				snprintf(sum.name, sizeof sum.name, "%s", rp->outputs[i].name);
			}
			report_field(&m, i, &sum);
			field_props(&r, &sum);
		}
		report_completeness(&m);
	}
	add_prop(&r, "replay.rows.cases", "%" PRIu64, m.prod.n_cases);
	add_prop(&r, "replay.rows.golden", "%" PRIu64, m.gs.rows);
	add_prop(&r, "replay.rows.produced", "%" PRIu64, m.ps.rows);
	add_prop(&r, "replay.rows.exact", "%" PRIu64, m.n_exact);
	add_prop(&r, "replay.rows.within", "%" PRIu64, m.n_within);
	add_prop(&r, "replay.rows.out", "%" PRIu64, m.n_out);
	add_prop(&r, "replay.rows.missing", "%" PRIu64, m.missing.n);
	add_prop(&r, "replay.rows.unexpected", "%" PRIu64, m.unexpected.n);
	add_prop(&r, "replay.rows.unparsable", "%" PRIu64, m.unparsable.n);
	add_prop(&r, "replay.rows.errors", "%" PRIu64, m.errors.n);
	struct list *lists[] = {&m.missing, &m.unexpected, &m.unparsable,
	                        &m.errors,  &m.order,      &m.malformed};
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		if (lists[i]->oom)
			r.oom = 1;
	if (r.oom)
		goto oom;
	merge_release(&m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
oom:
	merge_release(&m);
	return -1;
}

/* ---- record ---- */

int gl_replay_record(const struct gl_suite *s, const struct gl_replay_opts *opts, bool update,
                     FILE *report, char *err, size_t errlen)
{
	assert(s && s->replay && opts);
	const struct gl_replay *rp = s->replay;
	struct producer p;
	struct gl_golden_writer *w = NULL;
	const char **names = NULL;
	char *version = NULL;
	struct buf show = {0}, key = {0};
	int rc = -1;

	if (producer_open(&p, rp, opts->env, opts->jobs, 0, 0, opts->deadline_mono, err, errlen) <
	    0)
		goto out;
	p.digest_cases = 1;
	snprintf(p.digest, sizeof p.digest, "sha256:");
	names = calloc(rp->n_outputs ? rp->n_outputs : 1, sizeof *names);
	if (!names) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < rp->n_outputs; i++)
		names[i] = rp->outputs[i].name;
	if (gl_golden_writer_open(&w, rp->golden, (const char *const *)rp->keys, rp->n_keys, names,
	                          rp->n_outputs, err, errlen) < 0)
		goto out;

	for (;;) {
		struct prow row;
		int st = producer_next(&p, &row);
		if (st == P_END)
			break;
		if (st == P_FAIL || st == P_BAD) {
			errf(err, errlen, "%s", p.err);
			goto out;
		}
		key_join(&key, row.keys, row.key_lens, rp->n_keys);
		key_show(&show, &key);
		if (key.oom || show.oom) {
			errf(err, errlen, "out of memory");
			goto out;
		}
		if (row.error) {
			errf(err, errlen, "case '%s': %s", show.p, row.error);
			goto out;
		}
		for (size_t i = 0; i < rp->n_outputs; i++)
			if (!row.outs[i]) {
				errf(err, errlen, "case '%s': '%s' is null", show.p,
				     rp->outputs[i].name);
				goto out;
			}
		if (gl_golden_writer_add(w, row.keys, row.outs, err, errlen) < 0)
			goto out;
	}

	char cases_digest[GL_DIGEST_LEN];
	const char *file = rp->calc == GL_CALC_FILE ? rp->outputs_file
	                   : rp->cases_kind == GL_CASES_FILE && rp->calc != GL_CALC_BULK_SQL
	                           ? rp->cases_file
	                           : NULL;
	if (file) {
		if (gl_digest_sha256_file(cases_digest, file) < 0) {
			errf(err, errlen, "'%s' cannot be read: %s", file, strerror(errno));
			goto out;
		}
	} else {
		snprintf(cases_digest, sizeof cases_digest, "%s", p.digest);
	}
	if (gl_http_probe_version(&version, opts->env) < 0) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	struct gl_golden_provenance prov = {
	        .suite = s->name,
	        .environment = opts->env ? opts->env->name : NULL,
	        .version = version,
	        .harness_version = GL_VERSION,
	        .suite_digest = s->digest,
	        .cases_digest = cases_digest,
	};
	struct gl_golden_writer *wc = w;
	w = NULL;
	rc = gl_golden_writer_commit(wc, &prov, update, report, err, errlen);
out:
	if (w)
		gl_golden_writer_abort(w);
	producer_close(&p);
	free(names);
	free(version);
	free(show.p);
	free(key.p);
	return rc;
}

bool gl_replay_uses_database(const struct gl_replay *r)
{
	return r->cases_kind == GL_CASES_SQL || r->calc == GL_CALC_SQL ||
	       r->calc == GL_CALC_BULK_SQL;
}
