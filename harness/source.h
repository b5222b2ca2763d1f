/* Case sources: rows of named text fields, streamed one at a time.
 *
 * A source yields rows whose values are in the order of the fields the
 * caller asked for at open, whatever the order of the underlying columns.
 * Files (CSV with a header row, or JSON Lines) are read by source.c; SQL
 * queries by pg.c, which builds a struct gl_source with its own ops. Memory
 * does not grow with the number of rows: a row's values are lent until the
 * next call. */
#ifndef GL_SOURCE_H
#define GL_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct gl_row {
	/* values[i] for fields[i]; NULL = SQL NULL / JSON null / absent */
	const char *const *values;
	const size_t *lens; /* byte lengths (values are also NUL-terminated) */
	size_t n;
	unsigned long line; /* files: 1-based line of the record's start; SQL: 1-based row number */
};

enum gl_source_status {
	GL_SOURCE_ROW = 1,   /* *row filled */
	GL_SOURCE_END = 0,   /* no more rows */
	GL_SOURCE_FAIL = -1, /* fatal: I/O, connection lost, query error: s->err says; stop */
	GL_SOURCE_BAD = 2,   /* this record is malformed (wrong field count, bad quoting, not a JSON
	                        object): s->err says, row->line is set; the caller counts it and
	                        may go on */
};

struct gl_source;

struct gl_source_ops {
	enum gl_source_status (*next)(struct gl_source *s, struct gl_row *row);
	void (*close)(struct gl_source *s); /* frees impl, not the struct */
};

struct gl_source {
	const struct gl_source_ops *ops;
	void *impl;
	char *label;   /* for messages: the file path, or "sql" */
	char err[512]; /* set on GL_SOURCE_FAIL / GL_SOURCE_BAD; never holds a password */
};

/* Open a CSV (*.csv: RFC 4180: a header row, commas, double-quoted fields with
 * "" escapes, LF or CRLF) or JSON Lines (*.jsonl: one JSON object per line;
 * strings as they are, numbers as their literal text, true/false, null ->
 * NULL) file and select `fields` from it. A CSV header lacking one of the
 * fields is an error at open, recorded in diag with the file and line 1.
 * Returns 0 or -1. *out belongs to the caller: gl_source_close(). */
int gl_source_open_file(struct gl_source **out, const char *path, const char *const *fields,
                        size_t n_fields, struct gl_diag *diag);

enum gl_source_status gl_source_next(struct gl_source *s, struct gl_row *row);
void gl_source_close(struct gl_source *s);

/* Bytes of buffer a file source holds (from gl_source_open_file only): a fixed
 * read buffer plus record buffers sized by the longest record so far, never
 * by the number of rows. For tests of that promise. */
size_t gl_source_file_buffer_bytes(const struct gl_source *s);

/* Sharding: a case belongs to shard k (1-based) of n when
 * gl_shard_hash(key) % n == k - 1. The hash is the first four bytes of the
 * MD5 of the key text, big-endian, so that PostgreSQL computes the same one:
 *   ('x' || substr(md5(KEY), 1, 8))::bit(32)::bigint
 * A composite key is its parts joined with the unit separator 0x1f. */
unsigned long gl_shard_hash(const char *key, size_t len);

#endif
