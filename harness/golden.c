/* Golden files: recording (a streamed CSV, exact totals, the sidecar), reading
 * the sidecar back, and the report of what an --update changes.
 *
 * Order of the two renames at commit: the sidecar is renamed first, the .csv
 * last. The sidecar carries the SHA-256 of the .csv it describes, so a crash
 * (or a failed rename) between the two leaves a new sidecar beside the old
 * .csv, whose digest then disagrees: gl_golden_meta_read() reports it (unless
 * allow_edited) and the golden is re-recorded. No order of two renames is
 * atomic; this one makes the half-done state loud, never silent. A sidecar
 * left without its .csv does not count as an existing golden: recording
 * replaces it without --update.
 *
 * The --update report reads the old .csv and the new temporary side by side
 * with a small private RFC 4180 reader, not gl_source_open_file(): the old
 * header is not known in advance (fields may have been added or removed) and
 * the temporary's name does not end in ".csv". */
#include "golden.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "atomic.h"
#include "decimal.h"
#include "digest.h"

#define KEY_SEP      '\x1f'
#define SHOW_CAP     80                  /* bytes of a key or value quoted in a message */
#define SHOW_BUFSZ   (SHOW_CAP + 4)      /* ... plus "..." and NUL */
#define RECORD_CAP   (1024 * 1024)       /* the longest CSV record read back */
#define SIDECAR_CAP  (16L * 1024 * 1024) /* sidecars are small; anything larger is not one */
#define MAX_EXAMPLES 10

/* ---- small helpers ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* len bytes of text made fit to quote in a message: at most SHOW_CAP bytes
 * (cut on a UTF-8 boundary, with "..."), control bytes as '?', and the key
 * separator as '/' so that a composite key reads "r-1/2024-01". */
static const char *show(char out[SHOW_BUFSZ], const char *text, size_t len)
{
	size_t n = len;
	size_t i;

	if (n > SHOW_CAP) {
		n = SHOW_CAP;
		for (int k = 0; k < 3 && n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80; k++)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		out[i] = c == KEY_SEP ? '/' : c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (n < len) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* A growable byte buffer. */
struct buf {
	char *p;
	size_t len;
	size_t cap;
};

static int buf_reserve(struct buf *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap - b->len < extra) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_append(struct buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static void buf_swap(struct buf *a, struct buf *b)
{
	struct buf t = *a;
	*a = *b;
	*b = t;
}

/* Key parts joined with the unit separator (no NUL terminator). */
static int join_key(struct buf *b, const char *const *parts, size_t n)
{
	b->len = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && buf_append(b, "\x1f", 1) != 0)
			return -1;
		if (buf_append(b, parts[i], strlen(parts[i])) != 0)
			return -1;
	}
	return 0;
}

static int key_cmp(const struct buf *a, const struct buf *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->p, b->p, n) : 0;
	if (c != 0)
		return c < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}

/* The number of fraction digits of text that gl_dec_parse() accepted. */
static int places_of(const char *text)
{
	const char *dot = strchr(text, '.');
	return dot ? (int)strlen(dot + 1) : 0;
}

char *gl_golden_meta_path(const char *csv_path)
{
	static const char ext[] = ".csv";
	static const char meta[] = ".meta.json";
	size_t len = strlen(csv_path);

	if (len > 4 && strcmp(csv_path + len - 4, ext) == 0)
		len -= 4;
	char *out = malloc(len + sizeof(meta));
	if (!out)
		return NULL;
	memcpy(out, csv_path, len);
	memcpy(out + len, meta, sizeof(meta));
	return out;
}

static void free_names(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ---- the CSV writer ---- */

struct gl_golden_writer {
	struct gl_atomic csv; /* csv.path: the golden; csv.tmp: where it is written */
	char **names;         /* the key columns, then the fields */
	size_t n_keys;
	size_t n_fields;
	struct gl_dec *totals; /* n_fields exact sums */
	int *places;           /* n_fields: the most fraction digits seen */
	struct gl_dec *next;   /* n_fields scratch: the totals with this row added */
	unsigned long rows;
	struct buf prev; /* the last accepted key, joined */
	struct buf cur;
	/* The first refused row. It sticks: a golden missing a row must never
	 * be committed, whatever the caller does after the error. */
	char refused[512];
};

static void put_value(FILE *fp, const char *s)
{
	size_t len = strlen(s);

	/* An empty value is quoted too: in a one-column file an empty line
	 * would be read as no record at all. */
	if (len > 0 && !strpbrk(s, ",\"\r\n")) {
		fwrite(s, 1, len, fp);
		return;
	}
	putc('"', fp);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			putc('"', fp);
		putc(*p, fp);
	}
	putc('"', fp);
}

static void put_record(FILE *fp, const char *const *a, size_t na, const char *const *b, size_t nb)
{
	for (size_t i = 0; i < na + nb; i++) {
		if (i > 0)
			putc(',', fp);
		put_value(fp, i < na ? a[i] : b[i - na]);
	}
	putc('\n', fp);
}

static void writer_free(struct gl_golden_writer *w)
{
	if (!w)
		return;
	gl_atomic_abort(&w->csv);
	if (w->names)
		for (size_t i = 0; i < w->n_keys + w->n_fields; i++)
			free(w->names[i]);
	free(w->names);
	free(w->totals);
	free(w->places);
	free(w->next);
	free(w->prev.p);
	free(w->cur.p);
	free(w);
}

static int check_names(const char *csv_path, const char *const *keys, size_t n_keys,
                       const char *const *fields, size_t n_fields, char *err, size_t errlen)
{
	size_t n = n_keys + n_fields;

	if (n_keys == 0) {
		set_err(err, errlen, "golden '%s': no key columns", csv_path);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *a = i < n_keys ? keys[i] : fields[i - n_keys];
		assert(a);
		if (!*a) {
			set_err(err, errlen, "golden '%s': empty column name", csv_path);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			const char *b = j < n_keys ? keys[j] : fields[j - n_keys];
			if (strcmp(a, b) == 0) {
				char s[SHOW_BUFSZ];
				set_err(err, errlen, "golden '%s': column '%s' appears twice",
				        csv_path, show(s, a, strlen(a)));
				return -1;
			}
		}
	}
	return 0;
}

int gl_golden_writer_open(struct gl_golden_writer **out, const char *csv_path,
                          const char *const *keys, size_t n_keys, const char *const *fields,
                          size_t n_fields, char *err, size_t errlen)
{
	struct gl_golden_writer *w = NULL;
	size_t n = n_keys + n_fields;

	assert(out && csv_path && (keys || !n_keys) && (fields || !n_fields));
	*out = NULL;
	if (check_names(csv_path, keys, n_keys, fields, n_fields, err, errlen) != 0)
		return -1;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto oom;
	w->n_keys = n_keys;
	w->n_fields = n_fields;
	w->names = calloc(n, sizeof(*w->names));
	w->totals = calloc(n_fields + 1, sizeof(*w->totals));
	w->places = calloc(n_fields + 1, sizeof(*w->places));
	w->next = calloc(n_fields + 1, sizeof(*w->next));
	if (!w->names || !w->totals || !w->places || !w->next)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		w->names[i] = strdup(i < n_keys ? keys[i] : fields[i - n_keys]);
		if (!w->names[i])
			goto oom;
	}
	if (gl_atomic_open(&w->csv, csv_path) != 0) {
		set_err(err, errlen, "cannot create a temporary file beside '%s': %s", csv_path,
		        strerror(errno));
		writer_free(w);
		return -1;
	}
	put_record(w->csv.fp, keys, n_keys, fields, n_fields);
	*out = w;
	return 0;
oom:
	writer_free(w);
	set_err(err, errlen, "golden '%s': out of memory", csv_path);
	return -1;
}

static int refuse(struct gl_golden_writer *w, char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int refuse(struct gl_golden_writer *w, char *err, size_t errlen, const char *fmt, ...)
{
	char msg[sizeof(w->refused)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!w->refused[0])
		memcpy(w->refused, msg, sizeof(msg));
	set_err(err, errlen, "%s", msg);
	return -1;
}

/* Join the key into w->cur and check it comes after the last one. */
static int check_key(struct gl_golden_writer *w, const char *const *key_values, char *err,
                     size_t errlen)
{
	char a[SHOW_BUFSZ];
	char b[SHOW_BUFSZ];

	for (size_t i = 0; i < w->n_keys; i++) {
		const char *v = key_values[i];
		if (!v)
			return refuse(w, err, errlen, "key column '%s' has no value", w->names[i]);
		if (strchr(v, KEY_SEP))
			return refuse(w, err, errlen,
			              "key '%s' contains the unit separator (0x1f), which joins "
			              "key parts",
			              show(a, v, strlen(v)));
	}
	if (join_key(&w->cur, key_values, w->n_keys) != 0)
		return refuse(w, err, errlen, "out of memory");
	if (w->rows == 0)
		return 0;
	int c = key_cmp(&w->cur, &w->prev);
	if (c == 0)
		return refuse(w, err, errlen, "duplicate key '%s'", show(a, w->cur.p, w->cur.len));
	if (c < 0)
		return refuse(w, err, errlen, "keys out of order: '%s' after '%s'",
		              show(a, w->cur.p, w->cur.len), show(b, w->prev.p, w->prev.len));
	return 0;
}

int gl_golden_writer_add(struct gl_golden_writer *w, const char *const *key_values,
                         const char *const *field_values, char *err, size_t errlen)
{
	char key[SHOW_BUFSZ];

	assert(w && key_values && (field_values || !w->n_fields));
	if (check_key(w, key_values, err, errlen) != 0)
		return -1;
	show(key, w->cur.p, w->cur.len);
	for (size_t j = 0; j < w->n_fields; j++) {
		const char *name = w->names[w->n_keys + j];
		const char *v = field_values[j];
		struct gl_dec d;
		int rc;

		if (!v)
			return refuse(w, err, errlen, "key '%s': field '%s' has no value", key,
			              name);
		rc = gl_dec_parse(&d, v, strlen(v));
		if (rc != 0) {
			char msg[160];
			gl_dec_strerror(msg, sizeof(msg), rc, v, strlen(v));
			return refuse(w, err, errlen, "key '%s': field '%s': %s", key, name, msg);
		}
		if (gl_dec_add(&w->next[j], w->totals[j], d) != 0)
			return refuse(w, err, errlen,
			              "key '%s': the total of field '%s' is out of range", key,
			              name);
	}
	/* The row is good: only now does it count. */
	for (size_t j = 0; j < w->n_fields; j++) {
		int p = places_of(field_values[j]);
		w->totals[j] = w->next[j];
		if (p > w->places[j])
			w->places[j] = p;
	}
	put_record(w->csv.fp, key_values, w->n_keys, field_values, w->n_fields);
	buf_swap(&w->prev, &w->cur);
	w->rows++;
	return 0;
}

void gl_golden_writer_abort(struct gl_golden_writer *w)
{
	writer_free(w);
}

/* ---- reading CSV back, for the --update report ---- */

struct csv_reader {
	FILE *fp;
	unsigned long line;      /* where the current record starts, 1-based */
	unsigned long next_line; /* where the next one starts */
	struct buf text;         /* the record's values, each NUL-terminated */
	size_t *offs;            /* where each value starts in text */
	size_t n;
	size_t cap;
	char err[200];
};

static const char *csv_value(const struct csv_reader *r, size_t i)
{
	return r->text.p + r->offs[i];
}

static int csv_put(struct csv_reader *r, int c)
{
	char ch = (char)c;
	if (r->text.len >= RECORD_CAP) {
		snprintf(r->err, sizeof(r->err), "line %lu: record longer than %d bytes", r->line,
		         RECORD_CAP);
		return -1;
	}
	if (buf_append(&r->text, &ch, 1) != 0) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -1;
	}
	return 0;
}

static int csv_start_value(struct csv_reader *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		size_t *p = realloc(r->offs, cap * sizeof(*p));
		if (!p) {
			snprintf(r->err, sizeof(r->err), "out of memory");
			return -1;
		}
		r->offs = p;
		r->cap = cap;
	}
	r->offs[r->n++] = r->text.len;
	return 0;
}

static int csv_bad(struct csv_reader *r, const char *what)
{
	snprintf(r->err, sizeof(r->err), "line %lu: %s", r->next_line, what);
	return -1;
}

/* A quoted value; *c is then the byte after its closing quote. */
static int csv_quoted(struct csv_reader *r, int *c)
{
	for (;;) {
		int ch = getc(r->fp);
		if (ch == EOF)
			return csv_bad(r, "unterminated quoted value");
		if (ch == '"') {
			ch = getc(r->fp);
			if (ch != '"') {
				*c = ch;
				return 0;
			}
		}
		if (ch == '\n')
			r->next_line++;
		if (csv_put(r, ch) != 0)
			return -1;
	}
}

/* The next record: 1, 0 at the end, -1 with r->err set. */
static int csv_next(struct csv_reader *r)
{
	int c = getc(r->fp);

	if (c == EOF) {
		if (ferror(r->fp))
			return csv_bad(r, strerror(errno ? errno : EIO));
		return 0;
	}
	r->line = r->next_line;
	r->text.len = 0;
	r->n = 0;
	for (;;) {
		if (csv_start_value(r) != 0)
			return -1;
		if (c == '"') {
			if (csv_quoted(r, &c) != 0)
				return -1;
		} else {
			while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
				if (c == '"')
					return csv_bad(r, "quote inside an unquoted value");
				if (csv_put(r, c) != 0)
					return -1;
				c = getc(r->fp);
			}
		}
		if (csv_put(r, '\0') != 0)
			return -1;
		if (c == ',') {
			c = getc(r->fp);
			continue;
		}
		if (c == '\r' && (c = getc(r->fp)) != '\n')
			return csv_bad(r, "carriage return not followed by a line feed");
		if (c == '\n') {
			r->next_line++;
			return 1;
		}
		if (c == EOF)
			return ferror(r->fp) ? csv_bad(r, strerror(errno ? errno : EIO)) : 1;
		return csv_bad(r, "text after a closing quote");
	}
}

static void csv_close(struct csv_reader *r)
{
	if (r->fp)
		fclose(r->fp);
	free(r->text.p);
	free(r->offs);
	*r = (struct csv_reader){0};
}

/* ---- the --update report ---- */

#define NO_COLUMN SIZE_MAX

struct side {
	struct csv_reader r;
	const char *label;
	size_t n_cols;         /* values per record, from the header */
	const size_t *key_col; /* where each key part is */
	const char **parts;    /* scratch for joining */
	struct buf key;
	struct buf prev;
	unsigned long rows;
};

struct diff {
	const struct gl_golden_writer *w;
	size_t *old_col;  /* per column of the new golden: its index in the old, or NO_COLUMN */
	size_t *new_col;  /* the identity: the new golden is written keys then fields */
	char **old_names; /* the old header, old.n_cols names */
	struct side old;
	struct side neu;
	unsigned long changed;
	unsigned long added;
	unsigned long removed;
	char *examples[MAX_EXAMPLES];
	size_t n_examples;
	struct gl_dec *old_totals;
	int *old_places;
	char problem[300]; /* why the old golden cannot be compared; "" when it can */
};

static void example(struct diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void example(struct diff *d, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (d->n_examples == MAX_EXAMPLES)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	d->examples[d->n_examples] = strdup(line);
	if (d->examples[d->n_examples])
		d->n_examples++;
}

static int problem(struct diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int problem(struct diff *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->problem, sizeof(d->problem), fmt, ap);
	va_end(ap);
	return -1;
}

/* The next row of a side: joined key, checked order. 1, 0 at the end, -1. */
static int side_next(struct diff *d, struct side *s)
{
	int rc = csv_next(&s->r);

	if (rc < 0)
		return problem(d, "%s: %s", s->label, s->r.err);
	if (rc == 0)
		return 0;
	if (s->r.n != s->n_cols)
		return problem(d, "%s: line %lu: %zu values, the header has %zu", s->label,
		               s->r.line, s->r.n, s->n_cols);
	for (size_t i = 0; i < d->w->n_keys; i++)
		s->parts[i] = csv_value(&s->r, s->key_col[i]);
	buf_swap(&s->key, &s->prev);
	if (join_key(&s->key, s->parts, d->w->n_keys) != 0)
		return problem(d, "out of memory");
	if (s->rows > 0 && key_cmp(&s->key, &s->prev) <= 0)
		return problem(d, "%s: line %lu: not sorted by key", s->label, s->r.line);
	s->rows++;
	return 1;
}

/* Add the old row's values to the old totals. */
static int sum_old(struct diff *d)
{
	const struct gl_golden_writer *w = d->w;

	for (size_t j = 0; j < w->n_fields; j++) {
		size_t col = d->old_col[w->n_keys + j];
		if (col == NO_COLUMN)
			continue;
		const char *v = csv_value(&d->old.r, col);
		struct gl_dec x;
		int rc = gl_dec_parse(&x, v, strlen(v));
		if (rc == 0)
			rc = gl_dec_add(&d->old_totals[j], d->old_totals[j], x);
		if (rc != 0) {
			char msg[160];
			gl_dec_strerror(msg, sizeof(msg), rc, v, strlen(v));
			return problem(d, "%s: line %lu: field '%s': %s", d->old.label,
			               d->old.r.line, w->names[w->n_keys + j], msg);
		}
		int p = places_of(v);
		if (p > d->old_places[j])
			d->old_places[j] = p;
	}
	return 0;
}

static void compare_row(struct diff *d)
{
	const struct gl_golden_writer *w = d->w;
	char k[SHOW_BUFSZ];
	char a[SHOW_BUFSZ];
	char b[SHOW_BUFSZ];
	bool any = false;

	for (size_t j = 0; j < w->n_fields; j++) {
		size_t col = d->old_col[w->n_keys + j];
		if (col == NO_COLUMN)
			continue;
		const char *ov = csv_value(&d->old.r, col);
		const char *nv = csv_value(&d->neu.r, w->n_keys + j);
		if (strcmp(ov, nv) == 0)
			continue;
		any = true;
		example(d, "  %s %s: %s -> %s", show(k, d->neu.key.p, d->neu.key.len),
		        w->names[w->n_keys + j], show(a, ov, strlen(ov)), show(b, nv, strlen(nv)));
	}
	d->changed += any;
}

static void merge(struct diff *d)
{
	char k[SHOW_BUFSZ];
	int ho = side_next(d, &d->old);
	int hn = ho < 0 ? -1 : side_next(d, &d->neu);

	if (ho > 0 && sum_old(d) != 0)
		return;
	while (ho > 0 || hn > 0) {
		if (ho < 0 || hn < 0)
			return;
		int c = ho == 0 ? 1 : hn == 0 ? -1 : key_cmp(&d->old.key, &d->neu.key);
		if (c < 0) {
			d->removed++;
			example(d, "  %s removed", show(k, d->old.key.p, d->old.key.len));
		} else if (c > 0) {
			d->added++;
			example(d, "  %s added", show(k, d->neu.key.p, d->neu.key.len));
		} else {
			compare_row(d);
		}
		if (c <= 0) {
			ho = side_next(d, &d->old);
			if (ho > 0 && sum_old(d) != 0)
				return;
		}
		if (c >= 0)
			hn = side_next(d, &d->neu);
	}
}

static int side_open(struct diff *d, struct side *s, const char *path, const char *label,
                     const size_t *key_col)
{
	s->label = label;
	s->key_col = key_col;
	s->r.next_line = 1;
	s->parts = calloc(d->w->n_keys, sizeof(*s->parts));
	if (!s->parts)
		return problem(d, "out of memory");
	s->r.fp = fopen(path, "rb");
	if (!s->r.fp)
		return problem(d, "cannot read '%s': %s", label, strerror(errno));
	int rc = csv_next(&s->r);
	if (rc < 0)
		return problem(d, "%s: %s", label, s->r.err);
	if (rc == 0)
		return problem(d, "%s: no header row", label);
	s->n_cols = s->r.n;
	return 0;
}

static void side_close(struct side *s)
{
	csv_close(&s->r);
	free(s->parts);
	free(s->key.p);
	free(s->prev.p);
}

/* Map the new golden's columns to the old header's. */
static int map_columns(struct diff *d)
{
	const struct gl_golden_writer *w = d->w;
	size_t n = w->n_keys + w->n_fields;

	d->old_names = calloc(d->old.n_cols, sizeof(*d->old_names));
	if (!d->old_names)
		return problem(d, "out of memory");
	for (size_t c = 0; c < d->old.n_cols; c++)
		if (!(d->old_names[c] = strdup(csv_value(&d->old.r, c))))
			return problem(d, "out of memory");
	for (size_t i = 0; i < n; i++) {
		d->new_col[i] = i;
		d->old_col[i] = NO_COLUMN;
		for (size_t c = 0; c < d->old.n_cols; c++)
			if (strcmp(csv_value(&d->old.r, c), w->names[i]) == 0)
				d->old_col[i] = c;
		if (i < w->n_keys && d->old_col[i] == NO_COLUMN)
			return problem(d, "the old golden has no key column '%s'", w->names[i]);
	}
	return 0;
}

static void print_total(FILE *fp, const struct diff *d, size_t j)
{
	const struct gl_golden_writer *w = d->w;
	const char *name = w->names[w->n_keys + j];
	char nt[GL_DEC_BUFSZ];
	char ot[GL_DEC_BUFSZ];
	char dt[GL_DEC_BUFSZ];
	struct gl_dec delta;

	gl_dec_format(nt, sizeof(nt), w->totals[j], w->places[j]);
	if (d->problem[0] || !d->old_totals) {
		fprintf(fp, "  total %s: %s\n", name, nt);
		return;
	}
	if (d->old_col[w->n_keys + j] == NO_COLUMN) {
		fprintf(fp, "  total %s: %s (new field)\n", name, nt);
		return;
	}
	int places = d->old_places[j] > w->places[j] ? d->old_places[j] : w->places[j];
	gl_dec_format(ot, sizeof(ot), d->old_totals[j], d->old_places[j]);
	if (gl_dec_sub(&delta, w->totals[j], d->old_totals[j]) != 0) {
		fprintf(fp, "  total %s: %s -> %s (difference out of range)\n", name, ot, nt);
		return;
	}
	if (delta.units == 0) {
		fprintf(fp, "  total %s: %s -> %s (unchanged)\n", name, ot, nt);
		return;
	}
	gl_dec_format(dt, sizeof(dt), delta, places);
	fprintf(fp, "  total %s: %s -> %s (%s%s)\n", name, ot, nt, delta.units > 0 ? "+" : "", dt);
}

static void print_report(FILE *fp, const struct diff *d)
{
	const struct gl_golden_writer *w = d->w;
	const char *path = w->csv.path;

	if (d->problem[0]) {
		fprintf(fp, "%s: %lu rows; cannot compare with the old golden: %s\n", path, w->rows,
		        d->problem);
	} else {
		fprintf(fp, "%s: %lu rows -> %lu rows; %lu changed, %lu added, %lu removed\n", path,
		        d->old.rows, w->rows, d->changed, d->added, d->removed);
		for (size_t i = w->n_keys; i < w->n_keys + w->n_fields; i++)
			if (d->old_col[i] == NO_COLUMN)
				fprintf(fp, "  field '%s' added\n", w->names[i]);
		for (size_t c = 0; c < d->old.n_cols; c++) {
			bool kept = false;
			for (size_t i = 0; i < w->n_keys + w->n_fields; i++)
				kept = kept || d->old_col[i] == c;
			if (!kept)
				fprintf(fp, "  field '%s' removed\n", d->old_names[c]);
		}
		for (size_t i = 0; i < d->n_examples; i++)
			fprintf(fp, "%s\n", d->examples[i]);
	}
	for (size_t j = 0; j < w->n_fields; j++)
		print_total(fp, d, j);
}

/* Print what replacing old_path with the writer's temporary changes. Memory
 * does not grow with the rows: both files are sorted by key and read side by
 * side. The old golden may have been edited by hand: whatever makes it
 * unreadable is said in the report, and the update goes on. */
static void report_update(FILE *fp, const struct gl_golden_writer *w, const char *old_path)
{
	struct diff d = {.w = w};
	size_t n = w->n_keys + w->n_fields;

	d.old_col = calloc(n, sizeof(*d.old_col));
	d.new_col = calloc(n, sizeof(*d.new_col));
	d.old_totals = calloc(w->n_fields + 1, sizeof(*d.old_totals));
	d.old_places = calloc(w->n_fields + 1, sizeof(*d.old_places));
	if (!d.old_col || !d.new_col || !d.old_totals || !d.old_places)
		problem(&d, "out of memory");
	else if (side_open(&d, &d.old, old_path, old_path, d.old_col) == 0 &&
	         map_columns(&d) == 0 &&
	         side_open(&d, &d.neu, w->csv.tmp, "the new golden", d.new_col) == 0)
		merge(&d);
	print_report(fp, &d);
	side_close(&d.old);
	side_close(&d.neu);
	for (size_t i = 0; i < d.n_examples; i++)
		free(d.examples[i]);
	free_names(d.old_names, d.old_names ? d.old.n_cols : 0);
	free(d.old_col);
	free(d.new_col);
	free(d.old_totals);
	free(d.old_places);
}

static void report_new(FILE *fp, const struct gl_golden_writer *w)
{
	struct diff d = {.w = w};

	fprintf(fp, "%s: new golden, %lu rows\n", w->csv.path, w->rows);
	for (size_t j = 0; j < w->n_fields; j++)
		print_total(fp, &d, j);
}

/* ---- the sidecar ---- */

static cJSON *string_array(char *const *items, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++) {
		cJSON *s = cJSON_CreateString(items[i]);
		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static bool add_item(cJSON *obj, const char *name, cJSON *item)
{
	if (!item)
		return false;
	if (!cJSON_AddItemToObject(obj, name, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

/* The sidecar's text (cJSON_free it), or NULL when out of memory. */
static char *meta_text(const struct gl_golden_writer *w, const struct gl_golden_provenance *prov,
                       const char *digest)
{
	char stamp[32] = "";
	time_t now = time(NULL);
	struct tm tm;
	cJSON *root = cJSON_CreateObject();
	cJSON *totals = cJSON_CreateObject();
	char *text = NULL;
	bool ok = root && totals;

	if (gmtime_r(&now, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t j = 0; ok && j < w->n_fields; j++) {
		char t[GL_DEC_BUFSZ];
		gl_dec_format(t, sizeof(t), w->totals[j], w->places[j]);
		ok = cJSON_AddStringToObject(totals, w->names[w->n_keys + j], t) != NULL;
	}
	ok = ok && cJSON_AddStringToObject(root, "suite", prov->suite);
	ok = ok && cJSON_AddStringToObject(root, "environment", prov->environment);
	ok = ok && (prov->version ? cJSON_AddStringToObject(root, "version", prov->version)
	                          : cJSON_AddNullToObject(root, "version"));
	ok = ok && cJSON_AddStringToObject(root, "recorded_at", stamp);
	ok = ok && cJSON_AddStringToObject(root, "harness_version", prov->harness_version);
	ok = ok && cJSON_AddNumberToObject(root, "rows", (double)w->rows);
	ok = ok && add_item(root, "keys", string_array(w->names, w->n_keys));
	ok = ok && add_item(root, "fields", string_array(w->names + w->n_keys, w->n_fields));
	if (ok)
		ok = add_item(root, "totals", totals);
	totals = NULL; /* root owns it now, or add_item() freed it */
	ok = ok && cJSON_AddStringToObject(root, "suite_digest", prov->suite_digest);
	ok = ok && cJSON_AddStringToObject(root, "cases_digest", prov->cases_digest);
	ok = ok && cJSON_AddStringToObject(root, "golden_digest", digest);
	if (ok)
		text = cJSON_Print(root);
	cJSON_Delete(totals);
	cJSON_Delete(root);
	return text;
}

static int write_meta(const struct gl_golden_writer *w, const struct gl_golden_provenance *prov,
                      const char *digest, struct gl_atomic *meta, const char *meta_path, char *err,
                      size_t errlen)
{
	char *text = meta_text(w, prov, digest);

	if (!text) {
		set_err(err, errlen, "cannot write '%s': out of memory", meta_path);
		return -1;
	}
	if (gl_atomic_open(meta, meta_path) != 0) {
		set_err(err, errlen, "cannot create a temporary file beside '%s': %s", meta_path,
		        strerror(errno));
		cJSON_free(text);
		return -1;
	}
	fputs(text, meta->fp);
	putc('\n', meta->fp);
	cJSON_free(text);
	if (gl_atomic_close(meta) != 0) {
		set_err(err, errlen, "cannot write '%s': %s", meta_path, strerror(errno));
		return -1;
	}
	return 0;
}

int gl_golden_writer_commit(struct gl_golden_writer *w, const struct gl_golden_provenance *prov,
                            bool update, FILE *report, char *err, size_t errlen)
{
	struct gl_atomic meta = {0};
	char digest[GL_DIGEST_LEN];
	char *meta_path = NULL;
	const char *path;
	struct stat st;
	bool exists;
	int rc = -1;

	assert(w && prov && prov->suite && prov->environment && prov->harness_version &&
	       prov->suite_digest && prov->cases_digest);
	path = w->csv.path;
	if (w->refused[0]) {
		set_err(err, errlen, "golden '%s' not recorded: a row was refused: %s", path,
		        w->refused);
		goto out;
	}
	if (gl_atomic_close(&w->csv) != 0) {
		set_err(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	if (stat(path, &st) == 0) {
		exists = true;
		if (!S_ISREG(st.st_mode)) {
			set_err(err, errlen, "golden '%s' is not a regular file", path);
			goto out;
		}
	} else if (errno == ENOENT)
		exists = false;
	else {
		set_err(err, errlen, "cannot check '%s': %s", path, strerror(errno));
		goto out;
	}
	if (exists && !update) {
		set_err(err, errlen, "golden '%s' exists: use --update to replace it", path);
		goto out;
	}
	meta_path = gl_golden_meta_path(path);
	if (!meta_path) {
		set_err(err, errlen, "golden '%s': out of memory", path);
		goto out;
	}
	if (gl_digest_sha256_file(digest, w->csv.tmp) != 0) {
		set_err(err, errlen, "cannot read back '%s': %s", w->csv.tmp, strerror(errno));
		goto out;
	}
	if (report && exists)
		report_update(report, w, path);
	else if (report)
		report_new(report, w);
	if (write_meta(w, prov, digest, &meta, meta_path, err, errlen) != 0)
		goto out;
	/* The sidecar first, the .csv last: see the top of this file. */
	if (gl_atomic_commit(&meta) != 0) {
		set_err(err, errlen, "cannot replace '%s': %s", meta_path, strerror(errno));
		goto out;
	}
	if (gl_atomic_commit(&w->csv) != 0) {
		set_err(err, errlen,
		        "cannot replace '%s': %s ('%s' was replaced and no longer matches it: "
		        "record again)",
		        path, strerror(errno), meta_path);
		goto out;
	}
	rc = 0;
out:
	gl_atomic_abort(&meta);
	free(meta_path);
	writer_free(w);
	return rc;
}

/* ---- reading the sidecar ---- */

static const char *const meta_keys[] = {
        "suite", "environment", "version", "recorded_at",  "harness_version", "rows",
        "keys",  "fields",      "totals",  "suite_digest", "cases_digest",    "golden_digest",
};
#define N_META_KEYS (sizeof(meta_keys) / sizeof(meta_keys[0]))

struct meta_ctx {
	const char *path; /* the sidecar */
	struct gl_diag *diag;
	const cJSON *root;
};

static void meta_error(struct meta_ctx *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void meta_error(struct meta_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gl_diag_vadd(c->diag, (struct gl_pos){c->path, 0, 0}, fmt, ap);
	va_end(ap);
}

static const cJSON *member(struct meta_ctx *c, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(c->root, name);
	if (!item)
		meta_error(c, "missing key '%s'", name);
	return item;
}

static char *dup_or_oom(struct meta_ctx *c, const char *s)
{
	char *out = strdup(s);
	if (!out)
		meta_error(c, "out of memory");
	return out;
}

static void get_string(struct meta_ctx *c, const char *name, bool nullable, char **dst)
{
	const cJSON *item = member(c, name);

	if (!item || (nullable && cJSON_IsNull(item)))
		return;
	if (!cJSON_IsString(item)) {
		meta_error(c, "'%s' must be a string%s", name, nullable ? " or null" : "");
		return;
	}
	*dst = dup_or_oom(c, item->valuestring);
}

static void get_rows(struct meta_ctx *c, unsigned long *dst)
{
	const cJSON *item = member(c, "rows");

	if (!item)
		return;
	/* A count, not money: a double holds every whole number up to 2^53
	 * exactly, and cJSON keeps nothing else. */
	double v = cJSON_IsNumber(item) ? item->valuedouble : -1;
	if (!(v >= 0 && v <= 9007199254740992.0 && v == (double)(unsigned long)v)) {
		meta_error(c, "'rows' must be a whole number, not negative");
		return;
	}
	*dst = (unsigned long)v;
}

static void get_names(struct meta_ctx *c, const char *name, bool nonempty, char ***dst, size_t *n)
{
	const cJSON *item = member(c, name);
	const cJSON *e;
	size_t before = gl_diag_errors(c->diag);
	char **names = NULL;
	size_t i = 0;

	if (!item)
		return;
	if (!cJSON_IsArray(item)) {
		meta_error(c, "'%s' must be an array of strings", name);
		return;
	}
	size_t count = (size_t)cJSON_GetArraySize(item);
	if (nonempty && count == 0) {
		meta_error(c, "'%s' must not be empty", name);
		return;
	}
	names = calloc(count + 1, sizeof(*names));
	if (!names) {
		meta_error(c, "out of memory");
		return;
	}
	cJSON_ArrayForEach(e, item)
	{
		if (!cJSON_IsString(e))
			meta_error(c, "'%s[%zu]' must be a string", name, i);
		else
			names[i] = dup_or_oom(c, e->valuestring);
		i++;
	}
	if (gl_diag_errors(c->diag) != before || c->diag->oom) {
		free_names(names, count);
		return;
	}
	*dst = names;
	*n = count;
}

static void get_totals(struct meta_ctx *c, struct gl_golden_meta *m)
{
	const cJSON *item = member(c, "totals");
	const cJSON *e;
	char s[SHOW_BUFSZ];

	if (!item)
		return;
	if (!cJSON_IsObject(item)) {
		meta_error(c, "'totals' must be an object of decimal strings");
		return;
	}
	if (!m->fields) { /* already reported: the totals cannot be checked */
		return;
	}
	cJSON_ArrayForEach(e, item)
	{
		bool known = false;
		for (size_t j = 0; j < m->n_fields; j++)
			known = known || strcmp(e->string, m->fields[j]) == 0;
		if (!known)
			meta_error(c, "'totals' has a total for '%s', which is not a field",
			           show(s, e->string, strlen(e->string)));
	}
	m->totals = calloc(m->n_fields + 1, sizeof(*m->totals));
	if (!m->totals) {
		meta_error(c, "out of memory");
		return;
	}
	for (size_t j = 0; j < m->n_fields; j++) {
		const char *f = m->fields[j];
		struct gl_dec d;
		int rc;

		e = cJSON_GetObjectItemCaseSensitive(item, f);
		if (!e) {
			meta_error(c, "'totals' has no total for field '%s'", f);
			continue;
		}
		if (!cJSON_IsString(e)) {
			meta_error(c, "'totals.%s' must be a string", f);
			continue;
		}
		rc = gl_dec_parse(&d, e->valuestring, strlen(e->valuestring));
		if (rc != 0) {
			char msg[160];
			gl_dec_strerror(msg, sizeof(msg), rc, e->valuestring,
			                strlen(e->valuestring));
			meta_error(c, "'totals.%s': %s", f, msg);
			continue;
		}
		m->totals[j] = dup_or_oom(c, e->valuestring);
	}
}

static void check_members(struct meta_ctx *c)
{
	const cJSON *e;
	char s[SHOW_BUFSZ];

	cJSON_ArrayForEach(e, c->root)
	{
		bool known = false;
		for (size_t i = 0; i < N_META_KEYS; i++)
			known = known || strcmp(e->string, meta_keys[i]) == 0;
		if (!known) {
			const char *hint = gl_diag_suggest(e->string, meta_keys, N_META_KEYS);
			show(s, e->string, strlen(e->string));
			if (hint)
				meta_error(c, "unknown key '%s' (did you mean '%s'?)", s, hint);
			else
				meta_error(c, "unknown key '%s'", s);
		}
		for (const cJSON *p = c->root->child; p != e; p = p->next)
			if (strcmp(p->string, e->string) == 0) {
				meta_error(c, "duplicate key '%s'",
				           show(s, e->string, strlen(e->string)));
				break;
			}
	}
}

/* The whole sidecar, NUL-terminated, or NULL after recording why. */
static char *slurp(struct meta_ctx *c, size_t *len)
{
	FILE *fp = fopen(c->path, "rb");
	struct buf b = {0};
	char chunk[4096];
	size_t n;

	if (!fp) {
		meta_error(c, "cannot read '%s': %s", c->path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (b.len + n > SIDECAR_CAP) {
			meta_error(c, "larger than %ld bytes: not a golden sidecar", SIDECAR_CAP);
			goto fail;
		}
		if (buf_append(&b, chunk, n) != 0) {
			meta_error(c, "out of memory");
			goto fail;
		}
	}
	if (ferror(fp)) {
		meta_error(c, "cannot read '%s': %s", c->path, strerror(errno ? errno : EIO));
		goto fail;
	}
	if (buf_append(&b, "", 1) != 0) {
		meta_error(c, "out of memory");
		goto fail;
	}
	fclose(fp);
	*len = b.len - 1;
	return b.p;
fail:
	fclose(fp);
	free(b.p);
	return NULL;
}

static void parse_error(struct meta_ctx *c, const char *text, const char *at)
{
	unsigned line = 1;
	unsigned col = 1;

	for (const char *p = text; at && *p && p < at; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	gl_diag_add(c->diag, (struct gl_pos){c->path, line, col}, "not valid JSON");
}

static void check_digest(struct meta_ctx *c, const char *csv_path, const struct gl_golden_meta *m,
                         bool allow_edited, const char *known)
{
	char found[GL_DIGEST_LEN];

	if (known) {
		snprintf(found, sizeof found, "%s", known);
	} else if (gl_digest_sha256_file(found, csv_path) != 0) {
		gl_diag_add(c->diag, (struct gl_pos){csv_path, 0, 0}, "cannot read '%s': %s",
		            csv_path, strerror(errno));
		return;
	}
	if (!m->golden_digest || allow_edited || strcmp(found, m->golden_digest) == 0)
		return;
	gl_diag_add(c->diag, (struct gl_pos){csv_path, 0, 0},
	            "golden '%s' changed after it was recorded: '%s' says %s, the file is %s "
	            "(record it again with --update)",
	            csv_path, c->path, m->golden_digest, found);
}

int gl_golden_meta_read(struct gl_golden_meta **out, const char *csv_path, bool allow_edited,
                        struct gl_diag *diag)
{
	return gl_golden_meta_read_digest(out, csv_path, allow_edited, NULL, diag);
}

int gl_golden_meta_read_digest(struct gl_golden_meta **out, const char *csv_path, bool allow_edited,
                               const char *digest, struct gl_diag *diag)
{
	struct meta_ctx c = {.diag = diag};
	struct gl_golden_meta *m = NULL;
	size_t before = gl_diag_errors(diag);
	char *meta_path = gl_golden_meta_path(csv_path);
	char *text = NULL;
	cJSON *root = NULL;
	size_t len = 0;

	assert(out && csv_path && diag);
	*out = NULL;
	if (!meta_path) {
		gl_diag_add(diag, (struct gl_pos){csv_path, 0, 0}, "out of memory");
		return -1;
	}
	c.path = meta_path;
	text = slurp(&c, &len);
	if (!text)
		goto out;
	const char *end = NULL;
	/* The length includes the NUL: cJSON wants it to see the end. A NUL
	 * inside the file ends the parse early: end then falls short. */
	root = cJSON_ParseWithLengthOpts(text, len + 1, &end, true);
	if (!root || end != text + len) {
		parse_error(&c, text, end);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		meta_error(&c, "not a JSON object");
		goto out;
	}
	c.root = root;
	m = calloc(1, sizeof(*m));
	if (!m) {
		meta_error(&c, "out of memory");
		goto out;
	}
	check_members(&c);
	get_string(&c, "suite", false, &m->suite);
	get_string(&c, "environment", false, &m->environment);
	get_string(&c, "version", true, &m->version);
	get_string(&c, "recorded_at", false, &m->recorded_at);
	get_string(&c, "harness_version", false, &m->harness_version);
	get_rows(&c, &m->rows);
	get_names(&c, "keys", true, &m->keys, &m->n_keys);
	get_names(&c, "fields", false, &m->fields, &m->n_fields);
	get_totals(&c, m);
	get_string(&c, "suite_digest", false, &m->suite_digest);
	get_string(&c, "cases_digest", false, &m->cases_digest);
	get_string(&c, "golden_digest", false, &m->golden_digest);
	check_digest(&c, csv_path, m, allow_edited, digest);
out:
	cJSON_Delete(root);
	free(text);
	free(meta_path);
	if (gl_diag_errors(diag) != before || diag->oom) {
		gl_golden_meta_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void gl_golden_meta_free(struct gl_golden_meta *m)
{
	if (!m)
		return;
	free(m->suite);
	free(m->environment);
	free(m->version);
	free(m->recorded_at);
	free(m->harness_version);
	free_names(m->keys, m->n_keys);
	free_names(m->fields, m->n_fields);
	free_names(m->totals, m->n_fields);
	free(m->suite_digest);
	free(m->cases_digest);
	free(m->golden_digest);
	free(m);
}
