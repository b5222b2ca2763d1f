/* The verdict file. See verdict.h. cJSON builds the document and never
 * leaves this file. */
#include "verdict.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomic.h"
#include "digest.h"
#include "redact.h"

bool gl_verdict_passed(const struct gl_run_result *r, int exit_code)
{
	struct gl_counts c;

	gl_run_result_counts(r, &c);
	return exit_code == 0 && c.passed > 0 && c.failures == 0 && c.errors == 0 &&
	       !r->interrupted;
}

/* Add key: the redacted string, or null for NULL. Returns false on out of
 * memory. */
static bool add_string(cJSON *obj, const char *key, const char *value)
{
	if (!value)
		return cJSON_AddNullToObject(obj, key) != NULL;
	char *red = gl_redact(value);
	if (!red)
		return false;
	bool ok = cJSON_AddStringToObject(obj, key, red) != NULL;
	free(red);
	return ok;
}

static bool add_time(cJSON *obj, const char *key, time_t t)
{
	struct tm tm;
	char stamp[32];

	if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return cJSON_AddNullToObject(obj, key) != NULL;
	return cJSON_AddStringToObject(obj, key, stamp) != NULL;
}

static bool add_counts(cJSON *obj, const struct gl_counts *c)
{
	return cJSON_AddNumberToObject(obj, "tests", (double)c->tests) &&
	       cJSON_AddNumberToObject(obj, "passed", (double)c->passed) &&
	       cJSON_AddNumberToObject(obj, "failures", (double)c->failures) &&
	       cJSON_AddNumberToObject(obj, "errors", (double)c->errors) &&
	       cJSON_AddNumberToObject(obj, "skipped", (double)c->skipped);
}

static const char *prop(const struct gl_suite_result *s, const char *name)
{
	for (size_t i = 0; i < s->n_props; i++)
		if (s->props[i].name && strcmp(s->props[i].name, name) == 0)
			return s->props[i].value;
	return NULL;
}

static bool add_suites(cJSON *root, const struct gl_run_result *r)
{
	cJSON *arr = cJSON_AddArrayToObject(root, "suites");
	if (!arr)
		return false;
	for (size_t i = 0; i < r->n_suites; i++) {
		const struct gl_suite_result *s = &r->suites[i];
		struct gl_counts c;
		cJSON *o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			return false;
		}
		gl_suite_result_counts(s, &c);
		if (!add_string(o, "name", s->name) || !add_string(o, "file", s->file) ||
		    !add_string(o, "digest", s->digest) || !add_counts(o, &c))
			return false;
		const char *golden = prop(s, "replay.golden_digest");
		if (golden && !add_string(o, "golden_digest", golden))
			return false;
	}
	return true;
}

static bool add_selection(cJSON *root, const struct gl_verdict_info *info)
{
	cJSON *sel = cJSON_AddObjectToObject(root, "selection");
	cJSON *tags = sel ? cJSON_AddArrayToObject(sel, "tags") : NULL;
	if (!tags)
		return false;
	for (size_t i = 0; i < info->n_tags; i++) {
		char *red = gl_redact(info->tags[i]);
		cJSON *t = red ? cJSON_CreateString(red) : NULL;
		free(red);
		if (!t || !cJSON_AddItemToArray(tags, t)) {
			cJSON_Delete(t);
			return false;
		}
	}
	if (!add_string(sel, "filter", info->filter))
		return false;
	if (info->shard_n == 0)
		return cJSON_AddNullToObject(sel, "shard") != NULL;
	char shard[32];
	snprintf(shard, sizeof(shard), "%u/%u", info->shard_k, info->shard_n);
	return cJSON_AddStringToObject(sel, "shard", shard) != NULL;
}

/* Returns 1 when added, 0 on out of memory, -1 when the JUnit file cannot be
 * read (reported). */
static int add_junit(cJSON *root, const struct gl_verdict_info *info, const char *junit_rel)
{
	char digest[GL_DIGEST_LEN];

	if (!info->junit_path)
		return cJSON_AddNullToObject(root, "junit") != NULL;
	if (gl_digest_sha256_file(digest, info->junit_path) < 0) {
		fprintf(stderr, "greenlight: cannot read the junit file '%s' for the verdict: %s\n",
		        info->junit_path, strerror(errno));
		return -1;
	}
	cJSON *j = cJSON_AddObjectToObject(root, "junit");
	return j && add_string(j, "file", junit_rel ? junit_rel : info->junit_path) &&
	       cJSON_AddStringToObject(j, "sha256", digest);
}

int gl_verdict_render(char **out, const struct gl_run_result *r, const struct gl_verdict_info *info,
                      const char *junit_rel)
{
	struct gl_counts c;
	cJSON *root = cJSON_CreateObject();
	char *text = NULL;
	int rc = -1;
	bool pass = gl_verdict_passed(r, info->exit_code);

	*out = NULL;
	gl_run_result_counts(r, &c);
	if (!root)
		goto oom;
	cJSON *counts = NULL;
	if (!cJSON_AddStringToObject(root, "format", GL_VERDICT_FORMAT) ||
	    !cJSON_AddStringToObject(root, "verdict", pass ? "pass" : "fail") ||
	    !cJSON_AddNumberToObject(root, "exit_code", info->exit_code) ||
	    !add_string(root, "environment", r->env_name) ||
	    !add_string(root, "base_url", r->base_url) ||
	    !add_string(root, "version_expected", info->expected_version) ||
	    !add_string(root, "version_reported", r->reported_version) ||
	    !add_string(root, "harness_version", r->harness_version) ||
	    !cJSON_AddBoolToObject(root, "tls_verify", !r->tls_verify_off) ||
	    !add_time(root, "started_at", r->started) ||
	    !add_time(root, "finished_at", r->finished))
		goto oom;
	counts = cJSON_AddObjectToObject(root, "counts");
	if (!counts || !add_counts(counts, &c) || !add_suites(root, r) ||
	    !add_selection(root, info) ||
	    !cJSON_AddBoolToObject(root, "interrupted", r->interrupted != 0))
		goto oom;
	int j = add_junit(root, info, junit_rel);
	if (j < 0)
		goto out;
	if (j == 0)
		goto oom;
	text = cJSON_Print(root);
	if (!text)
		goto oom;
	size_t len = strlen(text);
	char *nl = realloc(text, len + 2);
	if (!nl)
		goto oom;
	text = nl;
	memcpy(text + len, "\n", 2);
	*out = text;
	text = NULL;
	rc = 0;
	goto out;
oom:
	fputs("greenlight: out of memory writing the verdict\n", stderr);
out:
	free(text);
	cJSON_Delete(root);
	return rc;
}

/* The canonical directory of path's parent, malloced, or NULL (errno). */
static char *real_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return NULL;
	char *real = realpath(dirname(copy), NULL);
	int saved = errno;
	free(copy);
	errno = saved;
	return real;
}

/* Path of `to` relative to the directory of `from` (both exist), malloced in
 * *out. Returns 0 or -1 (errno). */
static int relative_to(char **out, const char *from, const char *to)
{
	char *a = real_dir(from);
	char *b = real_dir(to);
	char *base_copy = strdup(to);
	char *res = NULL;
	int rc = -1;

	*out = NULL;
	if (!a || !b || !base_copy)
		goto out;
	const char *base = basename(base_copy);
	/* The root is the empty path, so that counting '/' counts components. */
	if (strcmp(a, "/") == 0)
		a[0] = '\0';
	if (strcmp(b, "/") == 0)
		b[0] = '\0';
	/* The common prefix, component by component. */
	size_t i = 0;
	size_t common = 0;
	while (a[i] && a[i] == b[i]) {
		i++;
		if ((a[i] == '/' || a[i] == '\0') && (b[i] == '/' || b[i] == '\0'))
			common = i;
	}
	if (a[i] == '\0' && b[i] == '\0')
		common = i;
	size_t ups = 0;
	for (const char *p = a + common; *p; p++)
		if (*p == '/')
			ups++;
	const char *down = b + common;
	while (*down == '/')
		down++;
	size_t need = ups * 3 + strlen(down) + 1 + strlen(base) + 1;
	res = malloc(need);
	if (!res)
		goto out;
	res[0] = '\0';
	for (size_t k = 0; k < ups; k++)
		strcat(res, "../");
	if (*down) {
		strcat(res, down);
		strcat(res, "/");
	}
	strcat(res, base);
	*out = res;
	res = NULL;
	rc = 0;
out:
	free(a);
	free(b);
	free(base_copy);
	free(res);
	return rc;
}

int gl_verdict_write(const char *path, const struct gl_run_result *r,
                     const struct gl_verdict_info *info)
{
	struct gl_atomic a = {0};
	char *rel = NULL;
	char *text = NULL;
	int rc = -1;

	if (gl_atomic_open(&a, path) < 0) {
		fprintf(stderr, "greenlight: cannot write the verdict '%s': %s\n", path,
		        strerror(errno));
		return -1;
	}
	if (info->junit_path && relative_to(&rel, path, info->junit_path) < 0) {
		fprintf(stderr,
		        "greenlight: cannot locate the junit file '%s' for the verdict: %s\n",
		        info->junit_path, strerror(errno));
		goto out;
	}
	if (gl_verdict_render(&text, r, info, rel) < 0)
		goto out;
	if (fputs(text, a.fp) == EOF || gl_atomic_commit(&a) < 0) {
		fprintf(stderr, "greenlight: cannot write the verdict '%s': %s\n", path,
		        strerror(errno ? errno : EIO));
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		gl_atomic_abort(&a);
	free(rel);
	free(text);
	return rc;
}
