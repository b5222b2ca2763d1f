/* Counting and freeing run results. See result.h. */
#include "result.h"

#include <stdlib.h>
#include <string.h>

void gl_suite_result_counts(const struct gl_suite_result *s, struct gl_counts *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < s->n_cases; i++) {
		out->tests++;
		switch (s->cases[i].outcome) {
		case GL_OUT_PASS:
			out->passed++;
			break;
		case GL_OUT_FAIL:
			out->failures++;
			break;
		case GL_OUT_ERROR:
			out->errors++;
			break;
		case GL_OUT_SKIP:
			out->skipped++;
			break;
		}
	}
}

void gl_run_result_counts(const struct gl_run_result *r, struct gl_counts *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < r->n_suites; i++) {
		struct gl_counts c;
		gl_suite_result_counts(&r->suites[i], &c);
		out->tests += c.tests;
		out->passed += c.passed;
		out->failures += c.failures;
		out->errors += c.errors;
		out->skipped += c.skipped;
	}
}

static void case_release(struct gl_case *c)
{
	free(c->id);
	free(c->classname);
	free(c->name);
	free(c->file);
	free(c->message);
	free(c->detail);
	free(c->method);
	free(c->url);
}

void gl_run_result_free(struct gl_run_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_suites; i++) {
		struct gl_suite_result *s = &r->suites[i];
		for (size_t j = 0; j < s->n_cases; j++)
			case_release(&s->cases[j]);
		free(s->cases);
		free(s->name);
		free(s->file);
		free(s->digest);
		for (size_t j = 0; j < s->n_props; j++) {
			free(s->props[j].name);
			free(s->props[j].value);
		}
		free(s->props);
	}
	free(r->suites);
	free(r->env_name);
	free(r->base_url);
	free(r->reported_version);
	free(r->harness_version);
	free(r->not_ready_reason);
	free(r);
}
