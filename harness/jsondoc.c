/* JSON documents with positions: a strict scanner walks the text in step with
 * cJSON's tree and records where every key and value is. */
#include "jsondoc.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NO_KEY    ((size_t)-1)
#define MAX_DEPTH 1000 /* cJSON's own nesting limit */

struct gl_jsondoc_node {
	const cJSON *item;
	size_t key_off; /* NO_KEY for the root and array elements */
	size_t val_off;
	size_t val_end;
};

int gl_jsondoc_read_file(char **out, size_t *len, const char *path, struct gl_diag *diag)
{
	struct gl_pos pos = {path, 0, 0};
	FILE *fp = NULL;
	char *buf = NULL;
	size_t n = 0;
	size_t cap = 0;
	struct stat st;
	int rc = -1;

	*out = NULL;
	*len = 0;
	fp = fopen(path, "rb");
	if (!fp) {
		gl_diag_add(diag, pos, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		gl_diag_add(diag, pos, "cannot read '%s': %s", path, strerror(EISDIR));
		goto out;
	}
	/* Read to the end rather than trusting st_size: pipes and growing files. */
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			char *grown = realloc(buf, cap + 1);
			if (!grown) {
				gl_diag_add(diag, pos, "cannot read '%s': out of memory", path);
				goto out;
			}
			buf = grown;
		}
		size_t got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (n > (size_t)GL_JSONDOC_MAX_BYTES) {
			gl_diag_add(diag, pos, "'%s' is too large (the limit is 16 MiB)", path);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		gl_diag_add(diag, pos, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	if (fp)
		fclose(fp);
	free(buf);
	return rc;
}

static struct gl_pos pos_of(const struct gl_jsondoc *doc, size_t off)
{
	size_t lo = 0;
	size_t hi = doc->n_lines;

	/* The last line starting at or before off. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (doc->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return (struct gl_pos){doc->file, (unsigned)lo + 1, (unsigned)(off - doc->lines[lo]) + 1};
}

static int index_lines(struct gl_jsondoc *doc)
{
	size_t n = 1;

	for (size_t i = 0; i < doc->len; i++)
		n += doc->text[i] == '\n';
	doc->lines = malloc(n * sizeof(*doc->lines));
	if (!doc->lines)
		return -1;
	doc->lines[0] = 0;
	doc->n_lines = 1;
	for (size_t i = 0; i < doc->len; i++)
		if (doc->text[i] == '\n')
			doc->lines[doc->n_lines++] = i + 1;
	return 0;
}

struct scan {
	struct gl_jsondoc *doc;
	bool record; /* walking a tree cJSON built, else only validating */
	const char *s;
	size_t len;
	size_t i;
	const char *err; /* first problem: what was expected */
	size_t err_off;
	bool near; /* describe the text at err_off */
	bool oom;
};

static bool fail(struct scan *sc, size_t off, const char *err, bool near)
{
	if (!sc->err) {
		sc->err = err;
		sc->err_off = off;
		sc->near = near;
	}
	return false;
}

static void skip_ws(struct scan *sc)
{
	while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' ||
	                           sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r'))
		sc->i++;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool scan_string(struct scan *sc)
{
	size_t open = sc->i++;

	while (sc->i < sc->len) {
		unsigned char c = (unsigned char)sc->s[sc->i];
		if (c == '"') {
			sc->i++;
			return true;
		}
		if (c < 0x20)
			return fail(sc, sc->i, "control character in a string (escape it)", false);
		if (c == '\\') {
			char e = sc->i + 1 < sc->len ? sc->s[sc->i + 1] : '\0';
			if (e == 'u') {
				for (size_t k = 2; k < 6; k++)
					if (sc->i + k >= sc->len || !is_hex(sc->s[sc->i + k]))
						return fail(sc, sc->i, "invalid \\u escape", false);
				sc->i += 6;
				continue;
			}
			if (!e || !strchr("\"\\/bfnrt", e))
				return fail(sc, sc->i, "invalid escape in a string", false);
			sc->i += 2;
			continue;
		}
		sc->i++;
	}
	return fail(sc, open, "unterminated string", false);
}

static bool scan_number(struct scan *sc)
{
	size_t start = sc->i;
	const char *s = sc->s;

	if (s[sc->i] == '-')
		sc->i++;
	if (s[sc->i] == '0') {
		sc->i++;
	} else if (is_digit(s[sc->i])) {
		while (is_digit(s[sc->i]))
			sc->i++;
	} else {
		return fail(sc, start, "invalid number", true);
	}
	if (s[sc->i] == '.') {
		sc->i++;
		if (!is_digit(s[sc->i]))
			return fail(sc, start, "invalid number", true);
		while (is_digit(s[sc->i]))
			sc->i++;
	}
	if (s[sc->i] == 'e' || s[sc->i] == 'E') {
		sc->i++;
		if (s[sc->i] == '+' || s[sc->i] == '-')
			sc->i++;
		if (!is_digit(s[sc->i]))
			return fail(sc, start, "invalid number", true);
		while (is_digit(s[sc->i]))
			sc->i++;
	}
	/* "01" or "1x": cJSON would take a prefix; JSON does not. */
	if (is_digit(s[sc->i]) || s[sc->i] == '.' || (s[sc->i] >= 'A' && s[sc->i] <= 'Z') ||
	    (s[sc->i] >= 'a' && s[sc->i] <= 'z'))
		return fail(sc, start, "invalid number", true);
	return true;
}

static bool record(struct scan *sc, const cJSON *item, size_t key_off, size_t val_off)
{
	struct gl_jsondoc *doc = sc->doc;

	if (!sc->record)
		return true;
	if (doc->n_nodes == doc->cap_nodes) {
		size_t cap = doc->cap_nodes ? doc->cap_nodes * 2 : 64;
		struct gl_jsondoc_node *n = realloc(doc->nodes, cap * sizeof(*n));
		if (!n) {
			sc->oom = true;
			return fail(sc, val_off, "out of memory", false);
		}
		doc->nodes = n;
		doc->cap_nodes = cap;
	}
	doc->nodes[doc->n_nodes++] = (struct gl_jsondoc_node){item, key_off, val_off, sc->i};
	return true;
}

static bool scan_value(struct scan *sc, const cJSON *item, size_t key_off, int depth);

static bool out_of_step(struct scan *sc)
{
	return fail(sc, sc->i, "internal error: the parse tree and the text disagree", false);
}

static bool scan_container(struct scan *sc, const cJSON *item, int depth, bool object)
{
	char close = object ? '}' : ']';
	const char *expect_sep = object ? "expected ',' or '}'" : "expected ',' or ']'";
	const cJSON *child = NULL;
	bool first = true;

	if (depth > MAX_DEPTH)
		return fail(sc, sc->i, "nested too deeply", false);
	sc->i++;
	skip_ws(sc);
	if (sc->i < sc->len && sc->s[sc->i] == close) {
		sc->i++;
		return true;
	}
	for (;;) {
		size_t key_off = NO_KEY;
		skip_ws(sc);
		if (object) {
			if (sc->i >= sc->len || sc->s[sc->i] != '"')
				return fail(sc, sc->i,
				            first ? "expected a quoted key or '}'"
				                  : "expected a quoted key",
				            true);
			key_off = sc->i;
			if (!scan_string(sc))
				return false;
			skip_ws(sc);
			if (sc->i >= sc->len || sc->s[sc->i] != ':')
				return fail(sc, sc->i, "expected ':'", true);
			sc->i++;
		}
		if (sc->record) {
			child = first ? (item ? item->child : NULL) : (child ? child->next : NULL);
			if (!child)
				return out_of_step(sc);
		}
		first = false;
		if (!scan_value(sc, child, key_off, depth + 1))
			return false;
		skip_ws(sc);
		if (sc->i < sc->len && sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (sc->i < sc->len && sc->s[sc->i] == close) {
			sc->i++;
			return !(sc->record && child->next) || out_of_step(sc);
		}
		return fail(sc, sc->i, expect_sep, true);
	}
}

static bool scan_word(struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	if (sc->len - sc->i < n || memcmp(sc->s + sc->i, word, n) != 0)
		return fail(sc, sc->i, "expected a value", true);
	sc->i += n;
	return true;
}

static bool scan_value(struct scan *sc, const cJSON *item, size_t key_off, int depth)
{
	size_t start;
	bool ok;
	int type = item ? (item->type & 0xFF) : 0;

	skip_ws(sc);
	start = sc->i;
	if (sc->i >= sc->len)
		return fail(sc, sc->i, "expected a value", true);
	switch (sc->s[sc->i]) {
	case '{':
		ok = (!sc->record || type == cJSON_Object) ? scan_container(sc, item, depth, true)
		                                           : out_of_step(sc);
		break;
	case '[':
		ok = (!sc->record || type == cJSON_Array) ? scan_container(sc, item, depth, false)
		                                          : out_of_step(sc);
		break;
	case '"':
		ok = scan_string(sc);
		break;
	case 't':
		ok = scan_word(sc, "true");
		break;
	case 'f':
		ok = scan_word(sc, "false");
		break;
	case 'n':
		ok = scan_word(sc, "null");
		break;
	default:
		if (sc->s[sc->i] == '-' || is_digit(sc->s[sc->i]))
			ok = scan_number(sc);
		else
			ok = fail(sc, sc->i, "expected a value", true);
	}
	if (!ok)
		return false;
	return record(sc, item, key_off, start);
}

/* The text at off, for "near '...'": a word, a string's start, or one character. */
static void describe(char *out, size_t size, const char *s, size_t len, size_t off)
{
	size_t n = 0;

	if (off >= len) {
		snprintf(out, size, "at end of file");
		return;
	}
	unsigned char c = (unsigned char)s[off];
	if (c < 0x20 || c >= 0x7f) {
		snprintf(out, size, "near byte 0x%02x", c);
		return;
	}
	if (c == '"') {
		n = 1;
		while (off + n < len && n < 20 && s[off + n] != '"' && s[off + n] != '\n')
			n++;
		if (off + n < len && s[off + n] == '"')
			n++;
	} else {
		while (off + n < len && n < 20 &&
		       (strchr("+-._", s[off + n]) || is_digit(s[off + n]) ||
		        (s[off + n] >= 'A' && s[off + n] <= 'Z') ||
		        (s[off + n] >= 'a' && s[off + n] <= 'z')))
			n++;
		if (n == 0)
			n = 1;
	}
	snprintf(out, size, "near '%.*s'", (int)n, s + off);
}

static void report_scan(struct gl_jsondoc *doc, const struct scan *sc)
{
	char near[64];

	if (sc->oom) {
		gl_diag_add(doc->diag, pos_of(doc, sc->err_off), "out of memory");
		return;
	}
	if (!sc->near) {
		gl_diag_add(doc->diag, pos_of(doc, sc->err_off), "invalid JSON: %s", sc->err);
		return;
	}
	describe(near, sizeof(near), doc->text, doc->len, sc->err_off);
	gl_diag_add(doc->diag, pos_of(doc, sc->err_off), "invalid JSON: %s %s", sc->err, near);
}

static int cmp_node(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct gl_jsondoc_node *)a)->item;
	uintptr_t y = (uintptr_t)((const struct gl_jsondoc_node *)b)->item;
	return x < y ? -1 : x > y;
}

static const struct gl_jsondoc_node *find(const struct gl_jsondoc *doc, const cJSON *item)
{
	struct gl_jsondoc_node key = {.item = item};

	if (!doc->nodes)
		return NULL;
	return bsearch(&key, doc->nodes, doc->n_nodes, sizeof(key), cmp_node);
}

/* cJSON keeps every member of a duplicated key and finds the first: the later
 * one would be silently ignored. */
static void check_duplicates(struct gl_jsondoc *doc, const cJSON *item)
{
	for (const cJSON *c = item->child; c; c = c->next) {
		if ((item->type & 0xFF) == cJSON_Object) {
			for (const cJSON *p = item->child; p != c; p = p->next) {
				if (strcmp(p->string, c->string) == 0) {
					gl_diag_add(doc->diag, gl_jsondoc_key_pos(doc, c),
					            "duplicate key '%s' (first at line %u)",
					            c->string, gl_jsondoc_key_pos(doc, p).line);
					break;
				}
			}
		}
		check_duplicates(doc, c);
	}
}

int gl_jsondoc_parse(struct gl_jsondoc *doc, const char *file, const char *text, size_t len,
                     struct gl_diag *diag)
{
	struct scan sc = {0};
	const char *end = NULL;
	const char *nul;

	memset(doc, 0, sizeof(*doc));
	doc->file = file;
	doc->diag = diag;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	doc->text = text;
	doc->len = len;
	if (index_lines(doc) < 0) {
		gl_diag_add(diag, (struct gl_pos){file, 0, 0}, "out of memory");
		return -1;
	}
	nul = memchr(text, '\0', len);
	if (nul) {
		gl_diag_add(diag, pos_of(doc, (size_t)(nul - text)), "invalid JSON: NUL byte");
		return -1;
	}
	sc = (struct scan){.doc = doc, .s = text, .len = len};
	doc->root = cJSON_ParseWithOpts(text, &end, 1);
	sc.record = doc->root != NULL;
	if (scan_value(&sc, doc->root, NO_KEY, 1)) {
		skip_ws(&sc);
		if (sc.i < len)
			fail(&sc, sc.i, "expected the end of the file", true);
	}
	if (!sc.err && !doc->root) {
		/* The strict scan found nothing: fall back on where cJSON stopped. */
		sc.err = "unexpected text";
		sc.err_off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		sc.near = true;
	}
	if (sc.err) {
		report_scan(doc, &sc);
		return -1;
	}
	qsort(doc->nodes, doc->n_nodes, sizeof(*doc->nodes), cmp_node);
	check_duplicates(doc, doc->root);
	return 0;
}

void gl_jsondoc_release(struct gl_jsondoc *doc)
{
	cJSON_Delete(doc->root);
	free(doc->nodes);
	free(doc->lines);
	memset(doc, 0, sizeof(*doc));
}

struct gl_pos gl_jsondoc_pos(const struct gl_jsondoc *doc, const cJSON *item)
{
	const struct gl_jsondoc_node *n = find(doc, item);

	if (!n)
		return (struct gl_pos){doc->file, 0, 0};
	return pos_of(doc, n->val_off);
}

struct gl_pos gl_jsondoc_key_pos(const struct gl_jsondoc *doc, const cJSON *item)
{
	const struct gl_jsondoc_node *n = find(doc, item);

	if (!n)
		return (struct gl_pos){doc->file, 0, 0};
	return pos_of(doc, n->key_off == NO_KEY ? n->val_off : n->key_off);
}

struct gl_pos gl_jsondoc_inner_pos(const struct gl_jsondoc *doc, const cJSON *item)
{
	struct gl_pos pos = gl_jsondoc_pos(doc, item);

	if (pos.col && cJSON_IsString(item))
		pos.col++;
	return pos;
}

struct gl_pos gl_jsondoc_key_inner_pos(const struct gl_jsondoc *doc, const cJSON *item)
{
	const struct gl_jsondoc_node *n = find(doc, item);

	if (!n || n->key_off == NO_KEY)
		return gl_jsondoc_inner_pos(doc, item);
	return pos_of(doc, n->key_off + 1);
}

const char *gl_jsondoc_literal(const struct gl_jsondoc *doc, const cJSON *item, size_t *len)
{
	const struct gl_jsondoc_node *n = find(doc, item);

	if (!n) {
		*len = 0;
		return "";
	}
	*len = n->val_end - n->val_off;
	return doc->text + n->val_off;
}

struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom; /* sticky */
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
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

static void put_string(struct buf *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(b, esc, 6);
		} else {
			put(b, s, 1);
		}
	}
	put(b, "\"", 1);
}

static void put_value(struct buf *b, const struct gl_jsondoc *doc, const cJSON *item)
{
	size_t len;
	const char *lit;

	switch (item->type & 0xFF) {
	case cJSON_Object:
	case cJSON_Array: {
		bool object = (item->type & 0xFF) == cJSON_Object;
		put(b, object ? "{" : "[", 1);
		for (const cJSON *c = item->child; c; c = c->next) {
			if (c != item->child)
				put(b, ",", 1);
			if (object) {
				put_string(b, c->string);
				put(b, ":", 1);
			}
			put_value(b, doc, c);
		}
		put(b, object ? "}" : "]", 1);
		break;
	}
	case cJSON_String:
		put_string(b, item->valuestring);
		break;
	default:
		/* Numbers, true, false, null: as written. */
		lit = gl_jsondoc_literal(doc, item, &len);
		put(b, lit, len);
	}
}

int gl_jsondoc_compact(char **out, const struct gl_jsondoc *doc, const cJSON *item)
{
	struct buf b = {0};

	put(&b, "", 0);
	put_value(&b, doc, item);
	if (b.oom) {
		free(b.data);
		*out = NULL;
		return -1;
	}
	*out = b.data;
	return 0;
}

size_t gl_jsondoc_check_keys(struct gl_jsondoc *doc, const cJSON *obj, const char *const *keys,
                             size_t n)
{
	size_t bad = 0;

	for (const cJSON *c = obj->child; c; c = c->next) {
		size_t i;
		for (i = 0; i < n; i++)
			if (strcmp(c->string, keys[i]) == 0)
				break;
		if (i < n)
			continue;
		const char *hint = gl_diag_suggest(c->string, keys, n);
		if (hint)
			gl_diag_add(doc->diag, gl_jsondoc_key_pos(doc, c),
			            "unknown key '%s' (did you mean '%s'?)", c->string, hint);
		else
			gl_diag_add(doc->diag, gl_jsondoc_key_pos(doc, c), "unknown key '%s'",
			            c->string);
		bad++;
	}
	return bad;
}

const cJSON *gl_jsondoc_get(struct gl_jsondoc *doc, const cJSON *obj, const char *key, int types,
                            const char *desc, const char *owner)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!item) {
		if (owner)
			gl_diag_add(doc->diag, gl_jsondoc_pos(doc, obj), "%s is missing '%s'",
			            owner, key);
		return NULL;
	}
	if (!(item->type & types & 0xFF)) {
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, item), "'%s' must be %s", key, desc);
		return NULL;
	}
	return item;
}

int gl_jsondoc_long(long *out, struct gl_jsondoc *doc, const cJSON *item, const char *name,
                    long min)
{
	size_t len = 0;
	const char *lit = cJSON_IsNumber(item) ? gl_jsondoc_literal(doc, item, &len) : "";
	long value = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!is_digit(lit[i]))
			break;
		if (value > (LONG_MAX - (lit[i] - '0')) / 10)
			break;
		value = value * 10 + (lit[i] - '0');
	}
	if (len == 0 || i < len || value < min) {
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, item), "'%s' must be a %s integer", name,
		            min > 0 ? "positive" : "non-negative");
		return -1;
	}
	*out = value;
	return 0;
}

static bool before(const struct gl_diag_entry *a, const struct gl_diag_entry *b)
{
	return a->pos.line < b->pos.line || (a->pos.line == b->pos.line && a->pos.col < b->pos.col);
}

void gl_jsondoc_sort_diag(struct gl_diag *diag, size_t from)
{
	/* Insertion sort: stable, and a file has few errors. */
	for (size_t i = from + 1; i < diag->n; i++) {
		struct gl_diag_entry e = diag->entries[i];
		size_t j = i;
		while (j > from && before(&e, &diag->entries[j - 1])) {
			diag->entries[j] = diag->entries[j - 1];
			j--;
		}
		diag->entries[j] = e;
	}
}

char *gl_jsondoc_default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".json") == 0)
		len -= 5;
	return strndup(base, len);
}
