/* Diagnostics: a growable list of located messages. */
#include "diag.h"

#include <stdlib.h>
#include <string.h>

void gl_diag_init(struct gl_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void gl_diag_release(struct gl_diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->entries[i].pos.file);
		free(d->entries[i].msg);
	}
	free(d->entries);
	gl_diag_init(d);
}

static char *format(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *format(const char *fmt, va_list ap)
{
	va_list copy;
	char *buf;
	int len;

	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len < 0)
		return NULL;
	buf = malloc((size_t)len + 1);
	if (!buf)
		return NULL;
	vsnprintf(buf, (size_t)len + 1, fmt, ap);
	return buf;
}

void gl_diag_vadd(struct gl_diag *d, struct gl_pos pos, const char *fmt, va_list ap)
{
	char *msg = NULL;
	char *file = NULL;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct gl_diag_entry *e = realloc(d->entries, cap * sizeof(*e));
		if (!e)
			goto oom;
		d->entries = e;
		d->cap = cap;
	}
	msg = format(fmt, ap);
	if (!msg)
		goto oom;
	if (pos.file) {
		file = strdup(pos.file);
		if (!file)
			goto oom;
	}
	pos.file = file;
	d->entries[d->n].pos = pos;
	d->entries[d->n].msg = msg;
	d->n++;
	return;
oom:
	/* The error still counts: a diag that lost a message must not read as clean. */
	free(msg);
	free(file);
	d->oom = 1;
}

void gl_diag_add(struct gl_diag *d, struct gl_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gl_diag_vadd(d, pos, fmt, ap);
	va_end(ap);
}

size_t gl_diag_errors(const struct gl_diag *d)
{
	return d->n + (d->oom ? 1 : 0);
}

void gl_diag_print(const struct gl_diag *d, FILE *fp)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct gl_diag_entry *e = &d->entries[i];
		if (!e->pos.file)
			fprintf(fp, "%s\n", e->msg);
		else if (e->pos.line == 0)
			fprintf(fp, "%s: %s\n", e->pos.file, e->msg);
		else if (e->pos.col == 0)
			fprintf(fp, "%s:%u: %s\n", e->pos.file, e->pos.line, e->msg);
		else
			fprintf(fp, "%s:%u:%u: %s\n", e->pos.file, e->pos.line, e->pos.col, e->msg);
	}
	if (d->oom)
		fprintf(fp, "out of memory while recording errors\n");
}

/* Edit distance with one row of memory; words here are short (keys, names). */
static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	size_t *row = malloc((lb + 1) * sizeof(*row));
	size_t result;

	if (!row)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	result = row[lb];
	free(row);
	return result;
}

const char *gl_diag_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t len = strlen(word);
	size_t limit = len / 3 > 1 ? len / 3 : 1;
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	for (size_t i = 0; i < n; i++) {
		size_t dist = levenshtein(word, candidates[i]);
		if (dist <= limit && dist < best_d) {
			best = candidates[i];
			best_d = dist;
		}
	}
	return best;
}
