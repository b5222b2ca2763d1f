/* Suite files (suite.h): the JSON declarations of checks, flows and
 * replays, with jsondoc.c's positions, templates, JSON paths, regexes and
 * every typed getter behind them. The input is the file.
 *
 * Invariants: a load fails exactly when it records an error, and every
 * error has the file and a position inside it; a loaded suite has at least
 * one check or a replay, unique check ids, and only templates that render;
 * gl_suite_check_names() counts what it records. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "suite.h"

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return "v";
}

/* Every name is known but those starting with 'x'. */
static int known(void *ctx, const char *name)
{
	(void)ctx;
	return name[0] != 'x';
}

static void render(const struct gl_template *t)
{
	char *out = NULL;
	const char *missing = NULL;

	if (!t)
		return;
	FUZZ_CHECK(gl_template_render(&out, &missing, t, lookup, NULL, GL_ESC_JSON) == 0);
	free(out);
}

static void render_step(const struct gl_step *st)
{
	const struct gl_request *r = &st->request;

	FUZZ_CHECK(r->method && r->url);
	render(r->url);
	render(r->body);
	render(r->auth_user);
	render(r->auth_password);
	render(r->auth_token);
	for (size_t i = 0; i < r->n_headers; i++)
		render(r->headers[i].value);
	for (size_t i = 0; i < r->n_query; i++)
		render(r->query[i].value);
	for (size_t i = 0; i < st->n_asserts; i++) {
		const struct gl_assertion *a = &st->asserts[i];
		render(a->operand);
		FUZZ_CHECK(a->target != GL_T_JSON || a->path);
		FUZZ_CHECK(a->cmp != GL_CMP_MATCHES || a->re);
	}
	for (size_t i = 0; i < st->n_captures; i++)
		FUZZ_CHECK(st->captures[i].name && st->captures[i].expr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("fuzz-suite.json", data, size);
	struct gl_suite *s = NULL;
	struct gl_diag diag;
	unsigned lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	gl_diag_init(&diag);
	if (gl_suite_load(&s, path, &diag) != 0) {
		FUZZ_CHECK(s == NULL);
		FUZZ_CHECK(gl_diag_errors(&diag) > 0);
		for (size_t i = 0; i < diag.n; i++) {
			FUZZ_CHECK(diag.entries[i].pos.file);
			FUZZ_CHECK(strcmp(diag.entries[i].pos.file, path) == 0);
			FUZZ_CHECK(diag.entries[i].pos.line <= lines);
			FUZZ_CHECK(diag.entries[i].msg && diag.entries[i].msg[0]);
		}
		gl_diag_print(&diag, fuzz_out());
		gl_diag_release(&diag);
		return 0;
	}
	FUZZ_CHECK(gl_diag_errors(&diag) == 0);
	FUZZ_CHECK(s->name && s->digest && strncmp(s->digest, "sha256:", 7) == 0);
	FUZZ_CHECK(s->n_checks > 0 || s->replay);
	for (size_t i = 0; i < s->n_checks; i++) {
		const struct gl_check *c = &s->checks[i];
		FUZZ_CHECK(c->id && c->id[0]);
		FUZZ_CHECK(c->n_steps >= 1 && (c->is_flow || c->n_steps == 1));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(s->checks[j].id, c->id) != 0);
		for (size_t j = 0; j < c->n_steps; j++)
			render_step(&c->steps[j]);
	}
	size_t n = gl_suite_check_names(s, known, NULL, &diag);
	FUZZ_CHECK(n == gl_diag_errors(&diag));
	gl_diag_print(&diag, fuzz_out());
	gl_suite_free(s);
	gl_diag_release(&diag);
	return 0;
}
