/* PostgreSQL (libpq): connections, streamed queries, prepared per-case
 * queries, and COPY for seeding. No PGconn or PGresult leaves pg.c: values
 * are copied out and results cleared. Messages never contain a password:
 * libpq's own messages are passed through gl_redact() with the connection
 * string's password registered as a secret. */
#ifndef GL_PG_H
#define GL_PG_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "source.h"

struct gl_pg;

/* Connect with a libpq URI or conninfo string. The password in it (if any)
 * is registered with gl_redact_add() first. Returns 0, or -1 with a one-line
 * reason in err (e.g. "connection refused", "password authentication failed
 * for user 'qa'"). *out belongs to the caller: gl_pg_close(). */
int gl_pg_connect(struct gl_pg **out, const char *conninfo, char *err, size_t errlen);
void gl_pg_close(struct gl_pg *pg);
/* Whether the connection is still usable (false once the server has gone or
 * a wait was stopped). */
bool gl_pg_connected(const struct gl_pg *pg);

/* Every wait for the server asks stop(ctx) at least every 250 ms (libpq's
 * own waits would hold a signal or the deadline for as long as a statement
 * stalls); when it says yes the call fails ("stopped"; gl_pg_exec returns -2)
 * and the connection is only good for gl_pg_close. */
void gl_pg_on_stop(struct gl_pg *pg, bool (*stop)(void *ctx), void *ctx);

/* Bound every later statement on this connection to ms milliseconds (the
 * server's statement_timeout; 0: none): the run's --deadline reaches into
 * the database. Returns 0, or -1 with err set. */
int gl_pg_set_timeout(struct gl_pg *pg, long ms, char *err, size_t errlen);

/* Stream the rows of `query`, selecting `fields` (column names) in that
 * order, with COPY (query) TO STDOUT or single-row mode so that memory does
 * not grow with the result. When shard_n > 1 only the rows whose key (the
 * columns named by keys[], joined with 0x1f) falls in shard shard_k of
 * shard_n are returned, filtered inside PostgreSQL (see source.h). Errors
 * while opening (unknown column, syntax) return -1 with err set; errors while
 * streaming (server gone) are GL_SOURCE_FAIL from gl_source_next. The source
 * borrows pg: close the source first. */
int gl_pg_source_open(struct gl_source **out, struct gl_pg *pg, const char *query,
                      const char *const *fields, size_t n_fields, const char *const *keys,
                      size_t n_keys, unsigned shard_k, unsigned shard_n, char *err, size_t errlen);

/* A query prepared once and executed per case with text parameters $1..$n;
 * returns the first row's `fields`. */
struct gl_pg_stmt;
int gl_pg_prepare(struct gl_pg_stmt **out, struct gl_pg *pg, const char *sql, size_t n_params,
                  const char *const *fields, size_t n_fields, char *err, size_t errlen);
/* Execute with params (NULL = SQL NULL). On 0, values[i] (malloc'd, NULL for
 * SQL NULL) hold fields[i] of the first row; the caller frees each and the
 * array with gl_pg_values_free. Returns 0, 1 when the query returned no row,
 * -1 with err set when the query failed (this case's error), -2 with err set
 * when the connection is lost or a wait was stopped (no later case can run). */
int gl_pg_exec(char ***values, struct gl_pg_stmt *st, const char *const *params, char *err,
               size_t errlen);
void gl_pg_values_free(char **values, size_t n);
void gl_pg_stmt_free(struct gl_pg_stmt *st);

/* Seed: run the SQL script at schema_path (it creates the tables and
 * functions, dropping old ones), then COPY each CSV file into its table
 * (tables[i] from csv_paths[i], columns from the CSV header), in one
 * transaction. Returns 0, or -1 with err set. *rows receives the total. */
int gl_pg_seed(unsigned long *rows, struct gl_pg *pg, const char *schema_path,
               const char *const *tables, const char *const *csv_paths, size_t n, char *err,
               size_t errlen);

#endif
