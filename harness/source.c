/* File sources: CSV (RFC 4180) and JSON Lines, streamed through a fixed read
 * buffer into one record buffer that is reused for every record. A record is
 * parsed in place: fields are unquoted and NUL-terminated inside the record
 * buffer, so reading a row allocates nothing (JSON Lines: cJSON's own tree
 * aside). The common CSV record, one line without quotes that lies whole in
 * the read buffer, is not even copied: it is cut in the read buffer. */
#include "source.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define READ_BUF_SIZE (64 * 1024)
#define RECORD_MAX    (1024 * 1024) /* a longer record is bad, and skipped */
#define RECORD_INIT   4096
#define REC_PAD       16             /* slack after a record for split_plain's last block */
#define NO_VALUE      SIZE_MAX       /* JSON Lines: absent */
#define NULL_VALUE    (SIZE_MAX - 1) /* JSON Lines: null */

enum format {
	FMT_CSV,
	FMT_JSONL,
};

/* Where a CSV record is, byte by byte, as parse_csv() would read it. Followed
 * only through a record too long to keep, to find where that record ends: a
 * quoted field may go on over many lines, and the next record starts after
 * it, not at the next line. */
enum csv_at {
	AT_FIELD,  /* at the start of a field */
	AT_PLAIN,  /* in an unquoted field */
	AT_QUOTED, /* in a quoted field: a line end is part of the value */
	AT_QUOTE,  /* just after a quote in a quoted field: "" or its end */
	AT_BAD,    /* after a closing quote, something else: bad up to the line end */
	AT_END,    /* past the record's line end */
};

enum parse {
	PARSE_OK,
	PARSE_AFTER_QUOTE, /* a character other than , or a line end after a closing quote */
	PARSE_UNTERMINATED,
	PARSE_TOO_LONG,
	PARSE_IO,
};

struct file_source {
	int fd;
	enum format fmt;
	bool eof;    /* read() said end of file */
	bool failed; /* sticky: an I/O error was returned */
	bool done;   /* END was returned */

	char *rbuf; /* READ_BUF_SIZE bytes and REC_PAD of zeros; [rpos, rlen) unread */
	size_t rpos;
	size_t rlen;

	char *rec; /* the current record; rec_cap >= rec_len + 1 for a NUL */
	size_t rec_len;
	size_t rec_cap;
	bool too_long;           /* the current record passed RECORD_MAX */
	enum csv_at at;          /* CSV, once too_long: where the record is in what was read */
	size_t scan_from;        /* rec[scan_from, rec_len) follows `at` when too_long starts */
	unsigned long next_line; /* 1-based line of the next unread byte */

	size_t n_fields;
	char **fields; /* the caller's field names, copied */

	/* CSV: the header's columns, and where each field of a record is. */
	char **cols;
	size_t n_cols;
	size_t *col_of; /* col_of[i]: the column of fields[i] */
	size_t *off;    /* per column, in rec; cap_off entries */
	size_t *len;
	size_t cap_off;

	/* JSON Lines: value copies, NUL-terminated, in vbuf (off[i]: NO_VALUE for null). */
	char *vbuf;
	size_t vcap;

	const char **values; /* n_fields each */
	size_t *lens;
};

/* Fill rbuf after its unread bytes. Returns bytes read, 0 at end of file, -1 on error. */
static ssize_t refill(struct file_source *fs)
{
	if (fs->rpos == fs->rlen) {
		fs->rpos = 0;
		fs->rlen = 0;
	}
	for (;;) {
		ssize_t got = read(fs->fd, fs->rbuf + fs->rlen, READ_BUF_SIZE - fs->rlen);
		if (got < 0 && errno == EINTR)
			continue;
		if (got > 0)
			fs->rlen += (size_t)got;
		if (got == 0)
			fs->eof = true;
		return got;
	}
}

static enum csv_at csv_scan(enum csv_at at, const char *p, size_t n)
{
	for (size_t i = 0; i < n && at != AT_END; i++) {
		if (at == AT_QUOTED) { /* the long part of a long record, most likely */
			const char *q = memchr(p + i, '"', n - i);
			if (!q)
				return at;
			i = (size_t)(q - p);
		}
		char c = p[i];
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
			at = c == '"' ? AT_QUOTED : c == ',' ? AT_FIELD : AT_BAD;
			break;
		case AT_BAD:
		case AT_END:
			break;
		}
		if (c == '\n' && at != AT_QUOTED)
			at = AT_END;
	}
	return at;
}

/* Stop keeping the record (too long, or no memory for it): from here its
 * bytes are only followed, so that skip_record() can find its end. */
static void give_up(struct file_source *fs, const char *p, size_t n)
{
	if (fs->fmt != FMT_CSV)
		return;
	if (!fs->too_long)
		fs->at = csv_scan(fs->at, fs->rec + fs->scan_from, fs->rec_len - fs->scan_from);
	fs->at = csv_scan(fs->at, p, n);
}

static void keep(struct file_source *fs, const char *p, size_t n)
{
	if (fs->too_long || n > RECORD_MAX - fs->rec_len) {
		give_up(fs, p, n);
		fs->too_long = true;
		return;
	}
	if (fs->rec_len + n + 1 + REC_PAD > fs->rec_cap) {
		size_t cap = fs->rec_cap;
		while (cap < fs->rec_len + n + 1 + REC_PAD)
			cap *= 2;
		if (cap > RECORD_MAX + 1 + REC_PAD)
			cap = RECORD_MAX + 1 + REC_PAD;
		char *grown = realloc(fs->rec, cap);
		if (!grown) {
			/* Out of memory for a record under the cap: bad rather than fatal. */
			give_up(fs, p, n);
			fs->too_long = true;
			return;
		}
		fs->rec = grown;
		fs->rec_cap = cap;
	}
	memcpy(fs->rec + fs->rec_len, p, n);
	fs->rec_len += n;
}

/* Append the next physical line, its '\n' included, to rec (or only consume it
 * once the record is too long). Returns 1 when a line was read (the last one
 * may lack its '\n'), 0 at end of file, -1 on an I/O error. */
static int read_line(struct file_source *fs)
{
	bool any = false;

	for (;;) {
		if (fs->rpos == fs->rlen) {
			if (fs->eof)
				return any ? 1 : 0;
			if (refill(fs) < 0)
				return -1;
			continue;
		}
		const char *start = fs->rbuf + fs->rpos;
		size_t avail = fs->rlen - fs->rpos;
		const char *nl = memchr(start, '\n', avail);
		size_t take = nl ? (size_t)(nl - start) + 1 : avail;
		keep(fs, start, take);
		fs->rpos += take;
		any = true;
		if (nl) {
			fs->next_line++;
			return 1;
		}
	}
}

/* Make room for the header's columns; a data record's extra fields are only counted. */
static int grow_fields(struct file_source *fs)
{
	size_t cap = fs->cap_off ? fs->cap_off * 2 : 16;
	size_t *o = realloc(fs->off, cap * sizeof *o);

	if (!o)
		return -1;
	fs->off = o;
	size_t *l = realloc(fs->len, cap * sizeof *l);
	if (!l)
		return -1;
	fs->len = l;
	fs->cap_off = cap;
	return 0;
}

static inline int put_field(struct file_source *fs, size_t k, size_t off, size_t len, bool grow)
{
	if (k >= fs->cap_off && (!grow || grow_fields(fs) < 0))
		return grow ? -1 : 0;
	fs->off[k] = off;
	fs->len[k] = len;
	return 0;
}

/* Parse the CSV record that starts with the line in rec, reading more lines
 * while a quoted field goes on. Fields are unquoted in place: the write
 * offset w never passes the read offset r, and each field gets a NUL where
 * its delimiter or closing quote was. */
static enum parse parse_csv(struct file_source *fs, size_t *n_out, bool grow)
{
	size_t r = 0;
	size_t w = 0;
	size_t k = 0;

	if (fs->too_long)
		return PARSE_TOO_LONG;
	for (;;) {
		size_t start = w;
		if (r < fs->rec_len && fs->rec[r] == '"') {
			r++;
			for (;;) {
				char *q = memchr(fs->rec + r, '"', fs->rec_len - r);
				if (!q) {
					memmove(fs->rec + w, fs->rec + r, fs->rec_len - r);
					w += fs->rec_len - r;
					r = fs->rec_len;
					fs->at = AT_QUOTED; /* at rec_len, if too long */
					fs->scan_from = fs->rec_len;
					int rc = read_line(fs);
					if (rc < 0)
						return PARSE_IO;
					if (fs->too_long)
						return PARSE_TOO_LONG;
					if (rc == 0)
						return PARSE_UNTERMINATED;
					continue;
				}
				size_t qi = (size_t)(q - fs->rec);
				memmove(fs->rec + w, fs->rec + r, qi - r);
				w += qi - r;
				r = qi + 1;
				if (r < fs->rec_len && fs->rec[r] == '"') {
					fs->rec[w++] = '"';
					r++;
					continue;
				}
				break;
			}
			if (put_field(fs, k++, start, w - start, grow) < 0)
				return PARSE_TOO_LONG;
			fs->rec[w++] = '\0';
			if (r >= fs->rec_len)
				break;
			char c = fs->rec[r];
			if (c == ',') {
				r++;
				continue;
			}
			if (c == '\n' ||
			    (c == '\r' && (r + 1 == fs->rec_len || fs->rec[r + 1] == '\n')))
				break;
			return PARSE_AFTER_QUOTE;
		}
		/* Unquoted: up to the next comma on the record's last line. */
		size_t le = fs->rec_len;
		if (le > 0 && fs->rec[le - 1] == '\n')
			le--;
		const char *c = memchr(fs->rec + r, ',', le - r);
		size_t ce = c ? (size_t)(c - fs->rec) : le;
		bool last = !c;
		size_t n = ce - r;
		if (last && n > 0 && fs->rec[ce - 1] == '\r')
			n--;
		if (w != r)
			memmove(fs->rec + w, fs->rec + r, n);
		if (put_field(fs, k++, start, n, grow) < 0)
			return PARSE_TOO_LONG;
		fs->rec[w + n] = '\0';
		w += n + 1;
		r = ce + 1;
		if (last)
			break;
	}
	*n_out = k;
	return PARSE_OK;
}

/* Field k of a plain line p ends at `at`: cut it there. */
static inline void cut_plain(struct file_source *fs, char *p, size_t k, size_t start, size_t at)
{
	if (k < fs->cap_off) {
		fs->off[k] = start;
		fs->len[k] = at - start;
		p[at] = '\0';
	}
}

/* A '"' was found after some fields of p were cut: put their commas back. */
static bool uncut_plain(struct file_source *fs, char *p, size_t k)
{
	size_t cut = k < fs->cap_off ? k : fs->cap_off;

	for (size_t f = 0; f < cut; f++)
		p[fs->off[f] + fs->len[f]] = ',';
	return false;
}

/* The common record: one line p (rec, or a line inside rbuf), no quotes.
 * Commas are found sixteen bytes at a time (a memchr call per field costs
 * more than the field); rec and rbuf have REC_PAD bytes of slack so the last
 * block may be read whole. Returns false, with p as it was, when the line has
 * a '"': parse_csv then takes it. */
static bool split_plain(struct file_source *fs, char *p, size_t le, size_t *n_out)
{
	size_t k = 0;
	size_t start = 0;
	size_t i = 0;

#ifdef __SSE2__
	const __m128i comma = _mm_set1_epi8(',');
	const __m128i quote = _mm_set1_epi8('"');
	for (; i < le; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned live = le - i >= 16 ? 0xFFFFu : (1u << (le - i)) - 1;
		if ((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) & live)
			return uncut_plain(fs, p, k);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)) & live;
		while (m) {
			size_t at = i + (size_t)__builtin_ctz(m);
			m &= m - 1;
			cut_plain(fs, p, k++, start, at);
			start = at + 1;
		}
	}
#else
	for (; i < le; i++) {
		if (p[i] == '"')
			return uncut_plain(fs, p, k);
		if (p[i] == ',') {
			cut_plain(fs, p, k++, start, i);
			start = i + 1;
		}
	}
#endif
	size_t end = le;
	if (end > start && p[end - 1] == '\r')
		end--;
	cut_plain(fs, p, k++, start, end);
	*n_out = k;
	return true;
}

/* Consume the rest of a record that passed RECORD_MAX, so that the next one
 * starts where it should: after the line end that closes its last quoted
 * field, not at the next line. Returns 1, 0 at end of file, -1 on an I/O
 * error. */
static int skip_record(struct file_source *fs)
{
	assert(fs->too_long);
	while (fs->at != AT_END) {
		int rc = read_line(fs);
		if (rc <= 0)
			return rc;
	}
	return 1;
}

/* CSV: only line ends (a blank line is no record). JSON Lines: cJSON's whitespace. */
static bool blank_line(const char *p, size_t n, bool json)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\n' || c == '\r' || (json && c <= 32))
			continue;
		return false;
	}
	return true;
}

static enum gl_source_status io_fail(struct gl_source *s, int err)
{
	struct file_source *fs = s->impl;

	fs->failed = true;
	snprintf(s->err, sizeof s->err, "cannot read '%s': %s", s->label, strerror(err));
	return GL_SOURCE_FAIL;
}

static enum gl_source_status bad(struct gl_source *s, struct gl_row *row, unsigned long line,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum gl_source_status bad(struct gl_source *s, struct gl_row *row, unsigned long line,
                                 const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(s->err, sizeof s->err, "%s:%lu: ", s->label, line);

	if (n < 0 || (size_t)n >= sizeof s->err)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
	va_end(ap);
	row->values = NULL;
	row->lens = NULL;
	row->n = 0;
	row->line = line;
	return GL_SOURCE_BAD;
}

/* The next line lies whole in rbuf and is a plain record: cut it there, with
 * no copy, and consume it. Returns false, with rbuf and rpos as they were,
 * when the line is not whole in rbuf, may be blank or has a '"'. */
static bool csv_in_place(struct file_source *fs, char **base, size_t *n_out)
{
	char *start = fs->rbuf + fs->rpos;
	char *nl = memchr(start, '\n', fs->rlen - fs->rpos);

	if (!nl)
		return false;
	size_t le = (size_t)(nl - start);
	if (le == 0 || start[0] == '\r')
		return false; /* perhaps blank: the general path skips those */
	if (!split_plain(fs, start, le, n_out))
		return false;
	fs->rpos += le + 1;
	fs->next_line++;
	*base = start;
	return true;
}

/* Select the caller's fields from a record of n columns cut in base. */
static enum gl_source_status csv_row(struct gl_source *s, struct gl_row *row, unsigned long line,
                                     const char *base, size_t n)
{
	struct file_source *fs = s->impl;

	if (n != fs->n_cols)
		return bad(s, row, line, "expected %zu fields, got %zu", fs->n_cols, n);
	for (size_t i = 0; i < fs->n_fields; i++) {
		fs->values[i] = base + fs->off[fs->col_of[i]];
		fs->lens[i] = fs->len[fs->col_of[i]];
	}
	row->values = fs->values;
	row->lens = fs->lens;
	row->n = fs->n_fields;
	row->line = line;
	return GL_SOURCE_ROW;
}

static enum gl_source_status csv_next(struct gl_source *s, struct gl_row *row)
{
	struct file_source *fs = s->impl;

	if (fs->failed)
		return GL_SOURCE_FAIL;
	for (;;) {
		if (fs->done)
			return GL_SOURCE_END;
		unsigned long line = fs->next_line;
		char *base = NULL;
		size_t n = 0;
		if (csv_in_place(fs, &base, &n))
			return csv_row(s, row, line, base, n);
		fs->rec_len = 0;
		fs->too_long = false;
		fs->at = AT_FIELD;
		fs->scan_from = 0;
		int rc = read_line(fs);
		if (rc < 0)
			return io_fail(s, errno);
		if (rc == 0) {
			fs->done = true;
			return GL_SOURCE_END;
		}
		if (!fs->too_long && blank_line(fs->rec, fs->rec_len, false))
			continue;
		size_t le = fs->rec_len;
		if (le > 0 && fs->rec[le - 1] == '\n')
			le--;
		if (!fs->too_long) /* defined bytes for split_plain's last block */
			memset(fs->rec + fs->rec_len, 0, REC_PAD);
		if (fs->too_long || !split_plain(fs, fs->rec, le, &n)) {
			switch (parse_csv(fs, &n, false)) {
			case PARSE_OK:
				break;
			case PARSE_IO:
				return io_fail(s, errno);
			case PARSE_TOO_LONG:
				if (skip_record(fs) < 0)
					return io_fail(s, errno);
				return bad(s, row, line, "record is over 1 MiB");
			case PARSE_AFTER_QUOTE:
				return bad(s, row, line,
				           "unexpected character after a closing quote");
			case PARSE_UNTERMINATED:
				fs->done = true;
				return bad(s, row, line, "unterminated quoted field");
			}
		}
		return csv_row(s, row, line, fs->rec, n);
	}
}

/* A minimal walk over the top level of an object cJSON has already accepted,
 * to find each member's value text: cJSON keeps numbers only as doubles. */
static size_t skip_ws(const char *p, size_t i, size_t n)
{
	/* cJSON's whitespace: every byte up to 32; the two must stay in step */
	while (i < n && (unsigned char)p[i] <= 32)
		i++;
	return i;
}

static size_t skip_string(const char *p, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '"')
			return i + 1;
	}
	return n;
}

static size_t skip_value(const char *p, size_t i, size_t n)
{
	if (i >= n)
		return n;
	if (p[i] == '"')
		return skip_string(p, i, n);
	if (p[i] == '{' || p[i] == '[') {
		size_t depth = 0;
		while (i < n) {
			if (p[i] == '"') {
				i = skip_string(p, i, n);
				continue;
			}
			if (p[i] == '{' || p[i] == '[')
				depth++;
			else if ((p[i] == '}' || p[i] == ']') && --depth == 0)
				return i + 1;
			i++;
		}
		return n;
	}
	/* a number (cJSON's own character set) or true, false, null */
	while (i < n && strchr("0123456789+-.eEtruefalsn", p[i]) && p[i] != '\0')
		i++;
	return i;
}

static size_t put_value(struct file_source *fs, size_t *used, const char *p, size_t n)
{
	size_t at = *used;

	memcpy(fs->vbuf + at, p, n);
	fs->vbuf[at + n] = '\0';
	*used = at + n + 1;
	return at;
}

static enum gl_source_status jsonl_row(struct gl_source *s, struct gl_row *row, unsigned long line,
                                       const cJSON *root)
{
	struct file_source *fs = s->impl;
	const char *p = fs->rec;
	size_t n = fs->rec_len;
	size_t used = 0;

	/* Every value fits in the line it came from, plus a NUL each. */
	if (fs->vcap < n + fs->n_fields + 1) {
		char *grown = realloc(fs->vbuf, fs->rec_cap + fs->n_fields + 1);
		if (!grown)
			return bad(s, row, line, "out of memory");
		fs->vbuf = grown;
		fs->vcap = fs->rec_cap + fs->n_fields + 1;
	}
	for (size_t i = 0; i < fs->n_fields; i++)
		fs->off[i] = NO_VALUE;
	size_t at = skip_ws(p, 0, n) + 1; /* past '{' */
	for (const cJSON *m = root->child; m; m = m->next) {
		at = skip_ws(p, at, n);
		at = skip_ws(p, skip_string(p, at, n), n) + 1; /* key, ':' */
		size_t vs = skip_ws(p, at, n);
		size_t ve = skip_value(p, vs, n);
		at = skip_ws(p, ve, n) + 1; /* ',' or '}' */
		size_t i = 0;
		while (i < fs->n_fields && strcmp(fs->fields[i], m->string) != 0)
			i++;
		if (i == fs->n_fields)
			continue;
		if (fs->off[i] != NO_VALUE)
			return bad(s, row, line, "duplicate key '%s'", m->string);
		if (cJSON_IsString(m)) {
			fs->lens[i] = strlen(m->valuestring);
			fs->off[i] = put_value(fs, &used, m->valuestring, fs->lens[i]);
		} else if (cJSON_IsNull(m)) {
			fs->off[i] = NULL_VALUE;
		} else {
			/* numbers as written; true, false and nested values as their text */
			fs->off[i] = put_value(fs, &used, p + vs, ve - vs);
			fs->lens[i] = ve - vs;
		}
	}
	for (size_t i = 0; i < fs->n_fields; i++) {
		bool none = fs->off[i] == NO_VALUE || fs->off[i] == NULL_VALUE;
		fs->values[i] = none ? NULL : fs->vbuf + fs->off[i];
		if (none)
			fs->lens[i] = 0;
	}
	row->values = fs->values;
	row->lens = fs->lens;
	row->n = fs->n_fields;
	row->line = line;
	return GL_SOURCE_ROW;
}

static enum gl_source_status jsonl_next(struct gl_source *s, struct gl_row *row)
{
	struct file_source *fs = s->impl;

	if (fs->failed)
		return GL_SOURCE_FAIL;
	for (;;) {
		if (fs->done)
			return GL_SOURCE_END;
		fs->rec_len = 0;
		fs->too_long = false;
		unsigned long line = fs->next_line;
		int rc = read_line(fs);
		if (rc < 0)
			return io_fail(s, errno);
		if (rc == 0) {
			fs->done = true;
			return GL_SOURCE_END;
		}
		if (fs->too_long)
			return bad(s, row, line, "record is over 1 MiB");
		if (blank_line(fs->rec, fs->rec_len, true))
			continue;
		fs->rec[fs->rec_len] = '\0';
		const char *end = NULL;
		cJSON *root = cJSON_ParseWithLengthOpts(fs->rec, fs->rec_len, &end, 0);
		if (!root)
			return bad(s, row, line, "not valid JSON");
		enum gl_source_status st;
		size_t rest = (size_t)(end - fs->rec);
		if (!cJSON_IsObject(root))
			st = bad(s, row, line, "not a JSON object");
		else if (!blank_line(end, fs->rec_len - rest, true))
			st = bad(s, row, line, "text after the JSON object");
		else
			st = jsonl_row(s, row, line, root);
		cJSON_Delete(root);
		return st;
	}
}

static void free_strings(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void file_close(struct gl_source *s)
{
	struct file_source *fs = s->impl;

	if (!fs)
		return;
	if (fs->fd >= 0)
		close(fs->fd);
	free(fs->rbuf);
	free(fs->rec);
	free_strings(fs->fields, fs->n_fields);
	free_strings(fs->cols, fs->n_cols);
	free(fs->col_of);
	free(fs->off);
	free(fs->len);
	free(fs->vbuf);
	free(fs->values);
	free(fs->lens);
	free(fs);
	s->impl = NULL;
}

static const struct gl_source_ops csv_ops = {csv_next, file_close};
static const struct gl_source_ops jsonl_ops = {jsonl_next, file_close};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s);
	size_t m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* "a, b, c" (caller frees), or NULL when out of memory. */
static char *join(char **v, size_t n)
{
	size_t total = 1;

	for (size_t i = 0; i < n; i++)
		total += strlen(v[i]) + 2;
	char *out = malloc(total);
	if (!out)
		return NULL;
	char *p = out;
	for (size_t i = 0; i < n; i++) {
		if (i > 0) {
			memcpy(p, ", ", 2);
			p += 2;
		}
		size_t len = strlen(v[i]);
		memcpy(p, v[i], len);
		p += len;
	}
	*p = '\0';
	return out;
}

/* Read the header row and find each field's column; every problem is recorded. */
static int read_header(struct file_source *fs, const char *path, struct gl_diag *diag)
{
	struct gl_pos pos = {path, 1, 0};
	size_t n = 0;
	int rc;

	do {
		fs->rec_len = 0;
		fs->at = AT_FIELD;
		fs->scan_from = 0;
		pos.line = (unsigned)fs->next_line;
		rc = read_line(fs);
		if (rc < 0)
			goto io;
		if (rc == 0) {
			gl_diag_add(diag, pos, "'%s' is empty: a header row is required", path);
			return -1;
		}
	} while (!fs->too_long && blank_line(fs->rec, fs->rec_len, false));
	switch (parse_csv(fs, &n, true)) {
	case PARSE_OK:
		break;
	case PARSE_IO:
		goto io;
	case PARSE_TOO_LONG:
		gl_diag_add(diag, pos, "header row is over 1 MiB");
		return -1;
	case PARSE_AFTER_QUOTE:
		gl_diag_add(diag, pos, "header: unexpected character after closing quote");
		return -1;
	case PARSE_UNTERMINATED:
		gl_diag_add(diag, pos, "header: unterminated quoted field");
		return -1;
	}
	fs->cols = calloc(n, sizeof *fs->cols);
	if (!fs->cols)
		goto oom;
	fs->n_cols = n;
	for (size_t c = 0; c < n; c++) {
		fs->cols[c] = strndup(fs->rec + fs->off[c], fs->len[c]);
		if (!fs->cols[c])
			goto oom;
	}
	int errors = 0;
	for (size_t i = 0; i < fs->n_fields; i++) {
		size_t found = n;
		size_t count = 0;
		for (size_t c = 0; c < n; c++) {
			if (strcmp(fs->cols[c], fs->fields[i]) == 0) {
				if (count++ == 0)
					found = c;
			}
		}
		if (count > 1) {
			gl_diag_add(diag, pos, "column '%s' appears %zu times in the header",
			            fs->fields[i], count);
			errors++;
		} else if (count == 0) {
			const char *hint =
			        gl_diag_suggest(fs->fields[i], (const char *const *)fs->cols, n);
			char *names = join(fs->cols, n);
			gl_diag_add(diag, pos, "no column '%s'%s%s%s; the columns are: %s",
			            fs->fields[i], hint ? " (did you mean '" : "", hint ? hint : "",
			            hint ? "'?)" : "", names ? names : "?");
			free(names);
			errors++;
		}
		fs->col_of[i] = found;
	}
	return errors ? -1 : 0;
io:
	gl_diag_add(diag, pos, "cannot read '%s': %s", path, strerror(errno));
	return -1;
oom:
	gl_diag_add(diag, pos, "cannot read '%s': out of memory", path);
	return -1;
}

int gl_source_open_file(struct gl_source **out, const char *path, const char *const *fields,
                        size_t n_fields, struct gl_diag *diag)
{
	struct gl_pos pos = {path, 0, 0};
	struct gl_source *s = NULL;
	struct file_source *fs = NULL;
	enum format fmt;

	assert(out && path && diag && (fields || n_fields == 0));
	*out = NULL;
	if (ends_with(path, ".csv")) {
		fmt = FMT_CSV;
	} else if (ends_with(path, ".jsonl")) {
		fmt = FMT_JSONL;
	} else {
		gl_diag_add(diag, pos, "'%s': unknown file type (expected .csv or .jsonl)", path);
		return -1;
	}
	s = calloc(1, sizeof *s);
	fs = calloc(1, sizeof *fs);
	if (!s || !fs)
		goto oom;
	s->impl = fs;
	s->ops = fmt == FMT_CSV ? &csv_ops : &jsonl_ops;
	fs->fd = -1;
	fs->fmt = fmt;
	fs->next_line = 1;
	s->label = strdup(path);
	fs->rbuf = calloc(1, READ_BUF_SIZE + REC_PAD);
	fs->rec = malloc(RECORD_INIT);
	fs->rec_cap = RECORD_INIT;
	fs->fields = calloc(n_fields + 1, sizeof *fs->fields);
	fs->col_of = calloc(n_fields + 1, sizeof *fs->col_of);
	fs->values = calloc(n_fields + 1, sizeof *fs->values);
	fs->lens = calloc(n_fields + 1, sizeof *fs->lens);
	if (!s->label || !fs->rbuf || !fs->rec || !fs->fields || !fs->col_of || !fs->values ||
	    !fs->lens)
		goto oom;
	for (size_t i = 0; i < n_fields; i++) {
		fs->fields[i] = strdup(fields[i]);
		if (!fs->fields[i])
			goto oom;
		fs->n_fields = i + 1;
	}
	if (fmt == FMT_JSONL) {
		/* off[i]: where field i's value is in vbuf, NO_VALUE or NULL_VALUE */
		fs->off = calloc(n_fields + 1, sizeof *fs->off);
		if (!fs->off)
			goto oom;
		fs->cap_off = n_fields + 1;
	}
	fs->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fs->fd < 0) {
		gl_diag_add(diag, pos, "cannot open '%s': %s", path, strerror(errno));
		goto fail;
	}
	/* A UTF-8 byte order mark is not part of the first column's name or line. */
	while (fs->rlen - fs->rpos < 3 && !fs->eof) {
		if (refill(fs) < 0) {
			gl_diag_add(diag, pos, "cannot read '%s': %s", path, strerror(errno));
			goto fail;
		}
	}
	if (fs->rlen - fs->rpos >= 3 && memcmp(fs->rbuf + fs->rpos, "\xEF\xBB\xBF", 3) == 0)
		fs->rpos += 3;
	if (fmt == FMT_CSV && read_header(fs, path, diag) < 0)
		goto fail;
	*out = s;
	return 0;
oom:
	gl_diag_add(diag, pos, "cannot open '%s': out of memory", path);
fail:
	if (s) {
		file_close(s);
		free(s->label);
		free(s);
	} else {
		free(fs);
	}
	return -1;
}

enum gl_source_status gl_source_next(struct gl_source *s, struct gl_row *row)
{
	assert(s && row);
	return s->ops->next(s, row);
}

void gl_source_close(struct gl_source *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s->label);
	free(s);
}

size_t gl_source_file_buffer_bytes(const struct gl_source *s)
{
	const struct file_source *fs = s->impl;

	assert(s->ops == &csv_ops || s->ops == &jsonl_ops);
	return READ_BUF_SIZE + REC_PAD + fs->rec_cap + fs->vcap;
}

unsigned long gl_shard_hash(const char *key, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	/* EVP_Digest fails only when libcrypto cannot allocate; every key then
	 * lands in shard 1 rather than aborting the run. */
	if (!EVP_Digest(key ? key : "", key ? len : 0, md, &md_len, EVP_md5(), NULL) || md_len < 4)
		return 0;
	return (unsigned long)md[0] << 24 | (unsigned long)md[1] << 16 | (unsigned long)md[2] << 8 |
	       (unsigned long)md[3];
}
