/* JSON path expressions (jsonpath.h), as written in suites' "json"
 * assertions, captures and an environment's health version. The input is the
 * path text (up to its first NUL).
 *
 * Invariants: a compiled path has at most len / 2 + 1 steps, each a member
 * with a name or an index; written back in canonical form ($["name"] and
 * [index]) it compiles to the same steps; evaluated against a fixed document
 * it either finds a value (whose text is then returned) or nothing. */
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "fuzz.h"
#include "jsonpath.h"

static const char doc[] = "{\"a\":{\"b\":[1,2.50,{\"c\":\"d\"}],\"e\":null},\"odd key\":"
                          "[12345678901234567890,true],\"\":{\"\":\"empty\"},\"q\\\"b\":\"x\","
                          "\"items\":[[],{},\"\\u00e9\"]}";

/* $["name"]...[index]: the canonical text of p (caller frees). */
static char *canonical(const struct gl_jsonpath *p)
{
	size_t cap = 2;
	for (size_t i = 0; i < p->n_steps; i++)
		cap += p->steps[i].kind == GL_JP_MEMBER ? 2 * strlen(p->steps[i].member) + 4 : 24;
	char *out = malloc(cap);
	size_t n = 0;
	if (!out)
		abort();
	out[n++] = '$';
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct gl_jsonpath_step *s = &p->steps[i];
		if (s->kind == GL_JP_INDEX) {
			n += (size_t)snprintf(out + n, cap - n, "[%ld]", s->index);
			continue;
		}
		out[n++] = '[';
		out[n++] = '"';
		for (const char *c = s->member; *c; c++) {
			if (*c == '"' || *c == '\\')
				out[n++] = '\\';
			out[n++] = *c;
		}
		out[n++] = '"';
		out[n++] = ']';
	}
	out[n] = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	size_t len = strlen(text);
	struct gl_jsonpath *p = NULL;
	struct gl_jsonpath *q = NULL;
	struct gl_diag diag;
	char *canon = NULL;
	char *value = NULL;
	int rc;

	gl_diag_init(&diag);
	if (gl_jsonpath_compile(&p, text, (struct gl_pos){"fuzz.json", 2, 9}, &diag) != 0) {
		FUZZ_CHECK(p == NULL);
		FUZZ_CHECK(gl_diag_errors(&diag) == 1);
		FUZZ_CHECK(diag.entries[0].pos.col >= 9 && diag.entries[0].pos.col <= 9 + len);
		goto out;
	}
	FUZZ_CHECK(gl_diag_errors(&diag) == 0);
	FUZZ_CHECK(strcmp(p->text, text) == 0);
	FUZZ_CHECK(p->n_steps <= len / 2 + 1);
	for (size_t i = 0; i < p->n_steps; i++)
		FUZZ_CHECK(p->steps[i].kind == GL_JP_INDEX ||
		           (p->steps[i].kind == GL_JP_MEMBER && p->steps[i].member));

	canon = canonical(p);
	FUZZ_CHECK(gl_jsonpath_compile(&q, canon, (struct gl_pos){"canon", 1, 1}, &diag) == 0);
	FUZZ_CHECK(q->n_steps == p->n_steps);
	for (size_t i = 0; i < p->n_steps; i++) {
		FUZZ_CHECK(q->steps[i].kind == p->steps[i].kind);
		if (p->steps[i].kind == GL_JP_INDEX)
			FUZZ_CHECK(q->steps[i].index == p->steps[i].index);
		else
			FUZZ_CHECK(strcmp(q->steps[i].member, p->steps[i].member) == 0);
	}

	rc = gl_json_extract(&value, doc, strlen(doc), p);
	FUZZ_CHECK(rc == 0 || rc == 1);
	FUZZ_CHECK((rc == 0) == (value != NULL));
	free(value);
	/* the path's own text as the body: mostly not JSON, which is not an error */
	rc = gl_json_extract(&value, text, len, p);
	FUZZ_CHECK(rc == 0 || rc == 1);
	FUZZ_CHECK((rc == 0) == (value != NULL));
	free(value);
out:
	gl_jsonpath_free(q);
	gl_jsonpath_free(p);
	free(canon);
	gl_diag_release(&diag);
	free(text);
	return 0;
}
