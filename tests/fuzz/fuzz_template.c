/* {{name}} templates (template.h): every string of a suite or an
 * environment file that may hold a reference goes through gl_template_parse().
 * The input is the template text (up to its first NUL, as a JSON string
 * would give it).
 *
 * Invariants: names follow the documented grammar; a text without references
 * renders as itself, as does any text taken literally; rendering is bounded:
 * each reference takes at least five bytes of text ("{{a}}") and adds its
 * value, escaped at most six bytes a byte for JSON; an unknown name is
 * reported as the first one lookup did not know. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "template.h"

/* Every byte JSON escaping treats specially, and some UTF-8. */
static const char value[] = "v\"\\\n\r\t\x01\x7f\xc3\xa9}}{{";

static const char *lookup_all(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return value;
}

static const char *lookup_empty(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return "";
}

/* Knows every name but the one ctx points to. */
static const char *lookup_but(void *ctx, const char *name)
{
	return strcmp(name, ctx) == 0 ? NULL : value;
}

static bool valid_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	size_t len = strlen(text);
	struct gl_pos pos = {"fuzz.json", 3, 17};
	struct gl_template *t = NULL;
	struct gl_diag diag;
	const char *missing = NULL;
	char *out = NULL;

	gl_diag_init(&diag);
	/* taken literally, any text renders as itself */
	FUZZ_CHECK(gl_template_literal(&t, text, pos) == 0);
	FUZZ_CHECK(gl_template_n_names(t) == 0);
	FUZZ_CHECK(gl_template_render(&out, &missing, t, lookup_all, NULL, GL_ESC_JSON) == 0);
	FUZZ_CHECK(strcmp(out, text) == 0);
	free(out);
	gl_template_free(t);

	if (gl_template_parse(&t, text, pos, &diag) != 0) {
		FUZZ_CHECK(t == NULL);
		FUZZ_CHECK(gl_diag_errors(&diag) == 1);
		FUZZ_CHECK(diag.entries[0].pos.line == pos.line);
		/* the column points into the text: at most its length past the start */
		FUZZ_CHECK(diag.entries[0].pos.col >= pos.col);
		FUZZ_CHECK(diag.entries[0].pos.col <= pos.col + len);
		gl_diag_print(&diag, fuzz_out());
		goto out;
	}
	FUZZ_CHECK(gl_diag_errors(&diag) == 0);
	FUZZ_CHECK(strcmp(gl_template_text(t), text) == 0);
	size_t n = gl_template_n_names(t);
	FUZZ_CHECK(n * 5 <= len);
	FUZZ_CHECK(gl_template_name(t, n) == NULL);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(valid_name(gl_template_name(t, i)));

	FUZZ_CHECK(gl_template_render(&out, &missing, t, lookup_empty, NULL, GL_ESC_NONE) == 0);
	FUZZ_CHECK(strlen(out) + n * 5 <= len);
	if (n == 0)
		FUZZ_CHECK(strcmp(out, text) == 0);
	free(out);

	FUZZ_CHECK(gl_template_render(&out, &missing, t, lookup_all, NULL, GL_ESC_NONE) == 0);
	FUZZ_CHECK(strlen(out) <= len - n * 5 + n * strlen(value));
	free(out);

	FUZZ_CHECK(gl_template_render(&out, &missing, t, lookup_all, NULL, GL_ESC_JSON) == 0);
	FUZZ_CHECK(strlen(out) <= len - n * 5 + n * 6 * strlen(value));
	/* a control byte in the output comes from the text: values are escaped */
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		FUZZ_CHECK((*p >= 0x20 && *p != 0x7f) || strchr(text, *p));
	free(out);

	if (n > 0) {
		const char *last = gl_template_name(t, n - 1);
		size_t first = 0;
		while (strcmp(gl_template_name(t, first), last) != 0)
			first++;
		out = (char *)1;
		FUZZ_CHECK(gl_template_render(&out, &missing, t, lookup_but, (void *)last,
		                              GL_ESC_JSON) == -1);
		FUZZ_CHECK(out == NULL);
		FUZZ_CHECK(missing == gl_template_name(t, first));
	}
	gl_template_free(t);
out:
	gl_diag_release(&diag);
	free(text);
	return 0;
}
