/* {{name}} templates: parsed once into literal and reference segments. */
#include "template.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct segment {
	size_t start; /* offset of a literal in text, or of the name in names */
	size_t len;
	bool is_ref;
};

struct gl_template {
	char *text;
	struct gl_pos pos;
	struct segment *segs;
	size_t n_segs;
	char **names; /* each reference, in order */
	size_t n_names;
};

static bool name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* The column of text[off], when pos has one and no newline comes before. */
static struct gl_pos pos_at(struct gl_pos pos, const char *text, size_t off)
{
	if (pos.col == 0 || memchr(text, '\n', off))
		return pos;
	pos.col += (unsigned)off;
	return pos;
}

static struct gl_template *alloc_template(const char *text, struct gl_pos pos)
{
	struct gl_template *t = calloc(1, sizeof(*t));
	size_t len = strlen(text);

	if (!t)
		return NULL;
	t->text = strdup(text);
	/* A template has at most one segment per character, plus one. */
	t->segs = calloc(len + 1, sizeof(*t->segs));
	t->names = calloc(len / 4 + 1, sizeof(*t->names));
	if (!t->text || !t->segs || !t->names) {
		gl_template_free(t);
		return NULL;
	}
	t->pos = pos;
	return t;
}

/* The arrays were sized for the worst case, a segment per character: give
 * the rest back once parsed, since a suite of 10,000 checks keeps tens of
 * thousands of templates for the whole run. A failed shrink keeps them. */
static void fit(struct gl_template *t)
{
	struct segment *segs = realloc(t->segs, (t->n_segs ? t->n_segs : 1) * sizeof(*segs));
	char **names = realloc(t->names, (t->n_names ? t->n_names : 1) * sizeof(*names));

	if (segs)
		t->segs = segs;
	if (names)
		t->names = names;
}

static void add_literal(struct gl_template *t, size_t start, size_t len)
{
	if (len == 0)
		return;
	t->segs[t->n_segs++] = (struct segment){.start = start, .len = len, .is_ref = false};
}

int gl_template_literal(struct gl_template **out, const char *text, struct gl_pos pos)
{
	struct gl_template *t = alloc_template(text, pos);

	*out = NULL;
	if (!t)
		return -1;
	add_literal(t, 0, strlen(text));
	fit(t);
	*out = t;
	return 0;
}

int gl_template_parse(struct gl_template **out, const char *text, struct gl_pos pos,
                      struct gl_diag *diag)
{
	struct gl_template *t = alloc_template(text, pos);
	size_t lit = 0;
	size_t i = 0;

	*out = NULL;
	if (!t) {
		gl_diag_add(diag, pos, "out of memory");
		return -1;
	}
	while (text[i]) {
		if (text[i] != '{' || text[i + 1] != '{') {
			i++;
			continue;
		}
		size_t open = i;
		size_t j = i + 2;
		while (text[j] == ' ')
			j++;
		if (!name_start(text[j])) {
			gl_diag_add(diag, pos_at(pos, text, open),
			            "expected a variable name after '{{' in '%s'", text);
			goto fail;
		}
		size_t name = j;
		while (name_char(text[j]))
			j++;
		size_t name_len = j - name;
		while (text[j] == ' ')
			j++;
		if (text[j] != '}' || text[j + 1] != '}') {
			if (!strstr(text + j, "}}"))
				gl_diag_add(diag, pos_at(pos, text, open),
				            "unterminated '{{' in '%s'", text);
			else
				gl_diag_add(diag, pos_at(pos, text, open),
				            "expected '}}' after '{{%.*s' in '%s'", (int)name_len,
				            text + name, text);
			goto fail;
		}
		add_literal(t, lit, open - lit);
		t->names[t->n_names] = strndup(text + name, name_len);
		if (!t->names[t->n_names]) {
			gl_diag_add(diag, pos, "out of memory");
			goto fail;
		}
		t->segs[t->n_segs++] =
		        (struct segment){.start = t->n_names, .len = name_len, .is_ref = true};
		t->n_names++;
		i = j + 2;
		lit = i;
	}
	add_literal(t, lit, i - lit);
	fit(t);
	*out = t;
	return 0;
fail:
	gl_template_free(t);
	return -1;
}

void gl_template_free(struct gl_template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_names; i++)
		free(t->names[i]);
	free(t->names);
	free(t->segs);
	free(t->text);
	free(t);
}

const char *gl_template_text(const struct gl_template *t)
{
	return t->text;
}

size_t gl_template_n_names(const struct gl_template *t)
{
	return t->n_names;
}

const char *gl_template_name(const struct gl_template *t, size_t i)
{
	return i < t->n_names ? t->names[i] : NULL;
}

struct gl_pos gl_template_pos(const struct gl_template *t)
{
	return t->pos;
}

struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom; /* sticky */
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			b->oom = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* For the inside of a JSON string literal: quotes, backslashes and control
 * characters escaped, everything else (UTF-8 included) as it is. */
static void buf_add_json(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		switch (c) {
		case '"':
			buf_add(b, "\\\"", 2);
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				buf_add(b, esc, 6);
			} else {
				buf_add(b, s, 1);
			}
		}
	}
}

int gl_template_render(char **out, const char **missing, const struct gl_template *t,
                       gl_lookup_fn lookup, void *ctx, enum gl_escape esc)
{
	struct buf b = {0};

	*out = NULL;
	*missing = NULL;
	buf_add(&b, "", 0);
	for (size_t i = 0; i < t->n_segs; i++) {
		const struct segment *s = &t->segs[i];
		if (!s->is_ref) {
			buf_add(&b, t->text + s->start, s->len);
			continue;
		}
		const char *name = t->names[s->start];
		const char *value = lookup(ctx, name);
		if (!value) {
			free(b.data);
			*missing = name;
			return -1;
		}
		if (esc == GL_ESC_JSON)
			buf_add_json(&b, value);
		else
			buf_add(&b, value, strlen(value));
	}
	if (b.oom) {
		free(b.data);
		return -2;
	}
	*out = b.data;
	return 0;
}
