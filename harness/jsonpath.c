/* JSON path compilation: text to a list of member and index steps. */
#include "jsonpath.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool member_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static struct gl_pos pos_at(struct gl_pos pos, size_t off)
{
	if (pos.col != 0)
		pos.col += (unsigned)off;
	return pos;
}

/* A step has at least two characters of text, so len / 2 + 1 steps always fit. */
static int add_step(struct gl_jsonpath *p, enum gl_jsonpath_step_kind kind, char *member,
                    long index)
{
	if (kind == GL_JP_MEMBER && !member)
		return -1;
	p->steps[p->n_steps].kind = kind;
	p->steps[p->n_steps].member = member;
	p->steps[p->n_steps].index = index;
	p->n_steps++;
	return 0;
}

/* A double-quoted name starting at text[*i] (the quote). */
static char *quoted(const char *text, size_t *i, const char **why)
{
	size_t len = strlen(text);
	char *out = malloc(len + 1);
	size_t n = 0;
	size_t j = *i + 1;

	if (!out) {
		*why = "out of memory";
		return NULL;
	}
	for (; text[j] && text[j] != '"'; j++) {
		if (text[j] == '\\') {
			if (text[j + 1] != '"' && text[j + 1] != '\\') {
				*i = j;
				*why = "only \\\" and \\\\ escapes are allowed in a quoted name";
				free(out);
				return NULL;
			}
			j++;
		}
		out[n++] = text[j];
	}
	if (!text[j]) {
		*why = "unterminated quoted name";
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*i = j + 1;
	return out;
}

int gl_jsonpath_compile(struct gl_jsonpath **out, const char *text, struct gl_pos pos,
                        struct gl_diag *diag)
{
	struct gl_jsonpath *p = calloc(1, sizeof(*p));
	size_t len = strlen(text);
	const char *why = NULL;
	size_t i = 1;

	*out = NULL;
	if (!p || !(p->text = strdup(text)) ||
	    !(p->steps = calloc(len / 2 + 1, sizeof(*p->steps)))) {
		gl_diag_add(diag, pos, "out of memory");
		goto fail;
	}
	if (text[0] != '$') {
		why = "a path starts with '$'";
		i = 0;
		goto bad;
	}
	while (text[i]) {
		if (text[i] == '.') {
			size_t start = ++i;
			while (member_char(text[i]))
				i++;
			if (i == start) {
				why = "expected a member name after '.'";
				goto bad;
			}
			if (text[i] == '(') {
				why = "functions are not supported";
				goto bad;
			}
			if (add_step(p, GL_JP_MEMBER, strndup(text + start, i - start), 0) < 0)
				goto oom;
		} else if (text[i] == '[' && text[i + 1] == '"') {
			i++;
			char *name = quoted(text, &i, &why);
			if (!name)
				goto bad;
			if (text[i] != ']') {
				free(name);
				why = "expected ']'";
				goto bad;
			}
			i++;
			if (add_step(p, GL_JP_MEMBER, name, 0) < 0)
				goto oom;
		} else if (text[i] == '[') {
			size_t start = ++i;
			char *end;
			if (text[i] == '-')
				i++;
			if (text[i] < '0' || text[i] > '9') {
				why = "expected an index or a quoted name after '['";
				goto bad;
			}
			errno = 0;
			long index = strtol(text + start, &end, 10);
			if (errno == ERANGE) {
				why = "index out of range";
				goto bad;
			}
			i = (size_t)(end - text);
			if (text[i] != ']') {
				why = "expected ']'";
				goto bad;
			}
			i++;
			if (add_step(p, GL_JP_INDEX, NULL, index) < 0)
				goto oom;
		} else {
			why = "expected '.' or '['";
			goto bad;
		}
	}
	*out = p;
	return 0;
bad:
	if (strcmp(why, "out of memory") == 0)
		goto oom;
	gl_diag_add(diag, pos_at(pos, i), "invalid JSON path '%s': %s", text, why);
	goto fail;
oom:
	gl_diag_add(diag, pos, "out of memory");
fail:
	gl_jsonpath_free(p);
	return -1;
}

void gl_jsonpath_free(struct gl_jsonpath *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_steps; i++)
		free(p->steps[i].member);
	free(p->steps);
	free(p->text);
	free(p);
}
