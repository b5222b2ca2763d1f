/* See source_ref.h. */
#include "source_ref.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "source.h"

#define PAD     "#PAD#"
#define PAD_LEN ((size_t)1024 * 1024)

enum at { AT_FIELD, AT_PLAIN, AT_QUOTED, AT_QUOTE, AT_BAD };

/* source.c's blank records: CSV, only line ends; JSON Lines, cJSON's
 * whitespace (every byte up to 32). */
static bool blank(const char *p, size_t n, bool csv)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\n' || c == '\r' || (!csv && c <= 32))
			continue;
		return false;
	}
	return true;
}

/* Where the record starting at p[i] ends (one past its '\n', or n). */
static size_t record_end(const char *p, size_t i, size_t n, bool csv)
{
	enum at at = AT_FIELD;

	for (; i < n; i++) {
		char c = p[i];
		if (!csv) {
			if (c == '\n')
				return i + 1;
			continue;
		}
		switch (at) {
		case AT_FIELD:
			at = c == '"' ? AT_QUOTED : c == ',' ? AT_FIELD : AT_PLAIN;
			break;
		case AT_PLAIN:
			at = c == ',' ? AT_FIELD : AT_PLAIN;
			break;
		case AT_QUOTED:
			at = c == '"' ? AT_QUOTE : AT_QUOTED;
			break;
		case AT_QUOTE:
			/* "" is a quote; a closing one ends the field; else the record is bad */
			at = c == '"' ? AT_QUOTED : c == ',' ? AT_FIELD : AT_BAD;
			break;
		case AT_BAD:
			break;
		}
		if (c == '\n' && at != AT_QUOTED)
			return i + 1;
	}
	return n;
}

size_t ref_record_lines(unsigned long **lines, const char *p, size_t n, bool csv)
{
	unsigned long line = 1;
	size_t count = 0;
	size_t i = 0;
	bool header = csv;

	*lines = malloc((n + 1) * sizeof **lines);
	if (!*lines)
		abort();
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < n) {
		size_t end = record_end(p, i, n, csv);
		unsigned long start = line;
		for (size_t k = i; k < end; k++)
			line += p[k] == '\n';
		/* a blank line is skipped; a record is blank only as its first line */
		const char *nl = memchr(p + i, '\n', end - i);
		size_t first = nl ? (size_t)(nl - (p + i)) + 1 : end - i;
		if (!blank(p + i, first, csv)) {
			if (header)
				header = false;
			else
				(*lines)[count++] = start;
		}
		i = end;
	}
	return count;
}

char *ref_expand(const unsigned char *data, size_t size, size_t *n_out)
{
	const char *p = (const char *)data;
	const char *at = NULL;

	for (size_t i = 0; !at && i + 5 <= size; i++)
		if (memcmp(p + i, PAD, 5) == 0)
			at = p + i;
	size_t n = at ? size - 5 + PAD_LEN : size;
	char *out = malloc(n + 1);

	if (!out)
		abort();
	if (!at) {
		memcpy(out, p, size);
	} else {
		size_t before = (size_t)(at - p);
		memcpy(out, p, before);
		memset(out + before, 'y', PAD_LEN);
		memcpy(out + before + PAD_LEN, at + 5, size - before - 5);
	}
	out[n] = '\0';
	*n_out = n;
	return out;
}

bool ref_check_source(const char *path, const char *p, size_t n, bool csv,
                      const char *const *fields, size_t n_fields)
{
	struct gl_source *s = NULL;
	struct gl_diag diag;
	unsigned long *want = NULL;
	size_t n_want = ref_record_lines(&want, p, n, csv);
	size_t got = 0;
	enum gl_source_status st;
	struct gl_row row;

	gl_diag_init(&diag);
	if (gl_source_open_file(&s, path, fields, n_fields, &diag) != 0) {
		FUZZ_CHECK(s == NULL && gl_diag_errors(&diag) > 0);
		/* JSON Lines has no header: only a failure to open fails it */
		FUZZ_CHECK(csv);
		gl_diag_release(&diag);
		free(want);
		return false;
	}
	FUZZ_CHECK(gl_diag_errors(&diag) == 0);
	while ((st = gl_source_next(s, &row)) != GL_SOURCE_END) {
		FUZZ_CHECK(st == GL_SOURCE_ROW || st == GL_SOURCE_BAD);
		/* exactly one outcome per record, where the record starts */
		FUZZ_CHECK(got < n_want);
		FUZZ_CHECK(row.line == want[got]);
		got++;
		if (st == GL_SOURCE_BAD) {
			FUZZ_CHECK(s->err[0] && strlen(s->err) < sizeof s->err);
			continue;
		}
		FUZZ_CHECK(row.n == n_fields);
		for (size_t i = 0; i < row.n; i++) {
			if (!row.values[i]) {
				FUZZ_CHECK(!csv && row.lens[i] == 0);
				continue;
			}
			FUZZ_CHECK(row.values[i][row.lens[i]] == '\0');
			FUZZ_CHECK(row.lens[i] <= n);
		}
		/* memory does not grow with rows: a read buffer, and records of 1 MiB */
		FUZZ_CHECK(gl_source_file_buffer_bytes(s) <= 4 * PAD_LEN);
	}
	FUZZ_CHECK(got == n_want);
	/* the end stays the end */
	FUZZ_CHECK(gl_source_next(s, &row) == GL_SOURCE_END);
	gl_source_close(s);
	gl_diag_release(&diag);
	free(want);
	return true;
}
