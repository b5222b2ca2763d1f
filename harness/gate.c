/* The release gate. See gate.h. The policy goes through jsondoc.h for its
 * positions; verdicts through cJSON, copied into plain structs before any
 * decision is taken. cJSON never leaves this file.
 *
 * Fail closed: the decision promotes only when it found no reason to hold,
 * every required environment had a verdict, and every check below ran. */
#include "gate.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "exitcode.h"
#include "jsondoc.h"
#include "junit_read.h"
#include "result.h"
#include "verdict.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A verdict may have finished this far ahead of the gate's clock (skew). */
#define FUTURE_SLACK_SECONDS 300

struct requirement {
	char *env;
	char **suites;
	size_t n_suites;
	bool allow_insecure_tls; /* a verdict obtained with tls_verify false may count */
};

struct policy {
	char *promote_to;
	long max_age_hours;
	bool same_version;
	bool require_junit;
	struct requirement *req;
	size_t n_req;
};

struct counts {
	size_t tests, passed, failures, errors, skipped;
};

struct vsuite {
	char *name;
	struct counts c;
};

/* One verdict file, copied out of its JSON. */
struct verdict {
	const char *path; /* lent from the caller */
	bool says_pass;
	long exit_code;
	char *env;
	char *version_expected; /* NULL when null */
	char *version_reported; /* NULL when null */
	bool tls_verify;        /* false: certificates were not verified */
	time_t finished;
	struct counts c;
	struct vsuite *suites;
	size_t n_suites;
	bool interrupted;
	char *junit_file; /* NULL when the verdict has no JUnit evidence */
	char *junit_sha256;
	char *filter;     /* NULL, or the --filter the run was narrowed by */
	unsigned shard_k; /* shard_n 0: not sharded */
	unsigned shard_n;
};

/* Growable list of malloced lines; out of memory sticks. */
struct lines {
	char **v;
	size_t n;
	size_t cap;
	bool oom;
};

static void vadd_line(struct lines *l, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));

static void vadd_line(struct lines *l, const char *fmt, va_list ap)
{
	va_list ap2;
	char *s = NULL;

	if (l->oom)
		return;
	va_copy(ap2, ap);
	int len = vsnprintf(NULL, 0, fmt, ap);
	if (len >= 0)
		s = malloc((size_t)len + 1);
	if (s)
		vsnprintf(s, (size_t)len + 1, fmt, ap2);
	va_end(ap2);
	if (s && l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **grown = realloc(l->v, cap * sizeof(*grown));
		if (grown) {
			l->v = grown;
			l->cap = cap;
		}
	}
	if (!s || l->n == l->cap) {
		free(s);
		l->oom = true;
		return;
	}
	l->v[l->n++] = s;
}

static void add_line(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_line(struct lines *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd_line(l, fmt, ap);
	va_end(ap);
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- the policy ---- */

static void policy_release(struct policy *p)
{
	for (size_t i = 0; i < p->n_req; i++) {
		free(p->req[i].env);
		free_lines(p->req[i].suites, p->req[i].n_suites);
	}
	free(p->req);
	free(p->promote_to);
	memset(p, 0, sizeof(*p));
}

static bool get_bool(struct gl_jsondoc *doc, const cJSON *obj, const char *key, bool def)
{
	const cJSON *v =
	        gl_jsondoc_get(doc, obj, key, cJSON_True | cJSON_False, "true or false", NULL);
	return v ? cJSON_IsTrue(v) : def;
}

/* A non-empty string member, copied into *out; problems go to the diag. */
static void get_name(char **out, struct gl_jsondoc *doc, const cJSON *obj, const char *key,
                     const char *owner)
{
	const cJSON *v = gl_jsondoc_get(doc, obj, key, cJSON_String, "a string", owner);

	if (!v)
		return;
	if (v->valuestring[0] == '\0') {
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, v), "'%s' must not be empty", key);
		return;
	}
	*out = strdup(v->valuestring);
	if (!*out)
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, v), "out of memory");
}

static void load_requirement(struct policy *p, struct gl_jsondoc *doc, const cJSON *item)
{
	static const char *const keys[] = {"environment", "suites", "allow_insecure_tls"};
	struct requirement *r = &p->req[p->n_req++];

	if (!cJSON_IsObject(item)) {
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, item),
		            "a requirement must be an object with 'environment' and 'suites'");
		return;
	}
	gl_jsondoc_check_keys(doc, item, keys, N(keys));
	get_name(&r->env, doc, item, "environment", "requirement");
	r->allow_insecure_tls = get_bool(doc, item, "allow_insecure_tls", false);
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(item, "environment");
	for (size_t i = 0; r->env && i + 1 < p->n_req; i++)
		if (p->req[i].env && strcmp(p->req[i].env, r->env) == 0)
			gl_diag_add(doc->diag, gl_jsondoc_pos(doc, env),
			            "environment '%s' is required twice", r->env);

	const cJSON *suites = gl_jsondoc_get(doc, item, "suites", cJSON_Array,
	                                     "an array of suite names", "requirement");
	if (!suites)
		return;
	size_t n = (size_t)cJSON_GetArraySize(suites);
	if (n == 0) {
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, suites),
		            "'suites' must name at least one suite");
		return;
	}
	r->suites = calloc(n, sizeof(*r->suites));
	if (!r->suites) {
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, suites), "out of memory");
		return;
	}
	for (const cJSON *s = suites->child; s; s = s->next) {
		if (!cJSON_IsString(s) || s->valuestring[0] == '\0') {
			gl_diag_add(doc->diag, gl_jsondoc_pos(doc, s),
			            "a suite name must be a non-empty string");
			continue;
		}
		char *name = strdup(s->valuestring);
		if (!name) {
			gl_diag_add(doc->diag, gl_jsondoc_pos(doc, s), "out of memory");
			continue;
		}
		r->suites[r->n_suites++] = name;
	}
}

static void load_policy_doc(struct policy *p, struct gl_jsondoc *doc)
{
	static const char *const keys[] = {"description", "promote_to",   "max_age_hours",
	                                   "require",     "same_version", "require_junit"};
	const cJSON *root = doc->root;

	if (!cJSON_IsObject(root)) {
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, root), "a policy must be a JSON object");
		return;
	}
	gl_jsondoc_check_keys(doc, root, keys, N(keys));
	gl_jsondoc_get(doc, root, "description", cJSON_String, "a string", NULL);
	get_name(&p->promote_to, doc, root, "promote_to", "policy");
	p->max_age_hours = GL_GATE_DEFAULT_MAX_AGE_HOURS;
	const cJSON *age = gl_jsondoc_get(doc, root, "max_age_hours", cJSON_Number,
	                                  "a positive integer", NULL);
	if (age)
		gl_jsondoc_long(&p->max_age_hours, doc, age, "max_age_hours", 1);
	p->same_version = get_bool(doc, root, "same_version", true);
	p->require_junit = get_bool(doc, root, "require_junit", true);

	const cJSON *req = gl_jsondoc_get(doc, root, "require", cJSON_Array,
	                                  "an array of requirements", "policy");
	if (!req)
		return;
	size_t n = (size_t)cJSON_GetArraySize(req);
	if (n == 0) {
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, req),
		            "'require' must name at least one environment: a gate that requires "
		            "nothing would promote anything");
		return;
	}
	p->req = calloc(n, sizeof(*p->req));
	if (!p->req) {
		gl_diag_add(doc->diag, gl_jsondoc_pos(doc, req), "out of memory");
		return;
	}
	for (const cJSON *item = req->child; item; item = item->next)
		load_requirement(p, doc, item);
}

static int load_policy(struct policy *p, const char *path, struct gl_diag *diag)
{
	struct gl_jsondoc doc;
	char *text = NULL;
	size_t len = 0;
	size_t before = gl_diag_errors(diag);
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (gl_jsondoc_read_file(&text, &len, path, diag) < 0)
		return -1;
	if (gl_jsondoc_parse(&doc, path, text, len, diag) == 0)
		load_policy_doc(p, &doc);
	gl_jsondoc_sort_diag(diag, before);
	gl_jsondoc_release(&doc);
	free(text);
	if (gl_diag_errors(diag) == before && !diag->oom)
		rc = 0;
	else
		policy_release(p);
	return rc;
}

/* ---- verdicts ---- */

static void verdict_release(struct verdict *v)
{
	for (size_t i = 0; i < v->n_suites; i++)
		free(v->suites[i].name);
	free(v->suites);
	free(v->env);
	free(v->version_expected);
	free(v->version_reported);
	free(v->junit_file);
	free(v->junit_sha256);
	free(v->filter);
}

/* Why a verdict cannot be used, as a hold reason; reading stops at the first. */
struct vread {
	const char *why; /* NULL, or a static description */
	const char *key;
	bool oom;
};

static void bad(struct vread *rd, const char *why, const char *key)
{
	if (!rd->why) {
		rd->why = why;
		rd->key = key;
	}
}

static char *get_str(struct vread *rd, const cJSON *obj, const char *key, bool nullable)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (nullable && cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v)) {
		bad(rd, "missing or not a string", key);
		return NULL;
	}
	char *s = strdup(v->valuestring);
	if (!s)
		rd->oom = true;
	return s;
}

static size_t get_size(struct vread *rd, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 1e15 ||
	    v->valuedouble != floor(v->valuedouble)) {
		bad(rd, "missing or not a count", key);
		return 0;
	}
	return (size_t)v->valuedouble;
}

static void get_counts(struct vread *rd, const cJSON *obj, struct counts *c)
{
	c->tests = get_size(rd, obj, "tests");
	c->passed = get_size(rd, obj, "passed");
	c->failures = get_size(rd, obj, "failures");
	c->errors = get_size(rd, obj, "errors");
	c->skipped = get_size(rd, obj, "skipped");
}

/* "2026-11-22T03:00:00Z", exactly as verdict.c writes it. */
static bool parse_time(time_t *out, const char *s)
{
	struct tm tm = {0};
	int n = 0;

	if (!s ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 20 || s[n] != '\0')
		return false;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return *out != (time_t)-1;
}

static void read_selection(struct verdict *v, struct vread *rd, const cJSON *sel)
{
	if (!cJSON_IsObject(sel)) {
		bad(rd, "missing or not an object", "selection");
		return;
	}
	v->filter = get_str(rd, sel, "filter", true);
	char *shard = get_str(rd, sel, "shard", true);
	int n = 0;
	if (shard &&
	    (sscanf(shard, "%u/%u%n", &v->shard_k, &v->shard_n, &n) != 2 || shard[n] != '\0' ||
	     v->shard_k < 1 || v->shard_k > v->shard_n || v->shard_n > 1000000))
		bad(rd, "not K/N with 1 <= K <= N", "selection.shard");
	free(shard);
}

static void read_fields(struct verdict *v, struct vread *rd, const cJSON *root)
{
	const cJSON *item;
	char *s;

	if (!cJSON_IsObject(root)) {
		bad(rd, "not a JSON object", NULL);
		return;
	}
	item = cJSON_GetObjectItemCaseSensitive(root, "format");
	if (!cJSON_IsString(item) || strcmp(item->valuestring, GL_VERDICT_FORMAT) != 0) {
		bad(rd, "not a greenlight verdict (format is not '" GL_VERDICT_FORMAT "')", NULL);
		return;
	}
	s = get_str(rd, root, "verdict", false);
	if (s && strcmp(s, "pass") != 0 && strcmp(s, "fail") != 0)
		bad(rd, "neither 'pass' nor 'fail'", "verdict");
	v->says_pass = s && strcmp(s, "pass") == 0;
	free(s);
	item = cJSON_GetObjectItemCaseSensitive(root, "exit_code");
	if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
	    fabs(item->valuedouble) > 255)
		bad(rd, "missing or not an exit code", "exit_code");
	else
		v->exit_code = (long)item->valuedouble;
	v->env = get_str(rd, root, "environment", false);
	v->version_expected = get_str(rd, root, "version_expected", true);
	v->version_reported = get_str(rd, root, "version_reported", true);
	/* Absent in verdicts older than the key, when TLS was always verified. */
	item = cJSON_GetObjectItemCaseSensitive(root, "tls_verify");
	if (item && !cJSON_IsBool(item))
		bad(rd, "not true or false", "tls_verify");
	v->tls_verify = !item || cJSON_IsTrue(item);
	s = get_str(rd, root, "finished_at", false);
	if (s && !parse_time(&v->finished, s))
		bad(rd, "not a UTC time like 2026-11-22T03:00:00Z", "finished_at");
	free(s);
	item = cJSON_GetObjectItemCaseSensitive(root, "counts");
	if (!cJSON_IsObject(item))
		bad(rd, "missing or not an object", "counts");
	else
		get_counts(rd, item, &v->c);
	item = cJSON_GetObjectItemCaseSensitive(root, "interrupted");
	if (!cJSON_IsBool(item))
		bad(rd, "missing or not true or false", "interrupted");
	v->interrupted = cJSON_IsTrue(item);

	item = cJSON_GetObjectItemCaseSensitive(root, "suites");
	if (!cJSON_IsArray(item)) {
		bad(rd, "missing or not an array", "suites");
	} else {
		size_t n = (size_t)cJSON_GetArraySize(item);
		v->suites = calloc(n ? n : 1, sizeof(*v->suites));
		if (!v->suites)
			rd->oom = true;
		for (const cJSON *s2 = item->child; s2 && v->suites; s2 = s2->next) {
			struct vsuite *vs = &v->suites[v->n_suites++];
			if (!cJSON_IsObject(s2)) {
				bad(rd, "has an entry that is not an object", "suites");
				continue;
			}
			vs->name = get_str(rd, s2, "name", false);
			get_counts(rd, s2, &vs->c);
		}
	}

	read_selection(v, rd, cJSON_GetObjectItemCaseSensitive(root, "selection"));
	item = cJSON_GetObjectItemCaseSensitive(root, "junit");
	if (cJSON_IsObject(item)) {
		v->junit_file = get_str(rd, item, "file", false);
		v->junit_sha256 = get_str(rd, item, "sha256", false);
	} else if (!cJSON_IsNull(item)) {
		bad(rd, "missing or neither an object nor null", "junit");
	}
}

/* Read one verdict file. Returns 0, or -1 after adding a hold reason (or
 * setting l->oom). */
static int read_verdict(struct verdict *v, const char *path, struct lines *reasons)
{
	struct gl_diag d;
	struct vread rd = {0};
	cJSON *root = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	v->path = path;
	gl_diag_init(&d);
	if (gl_jsondoc_read_file(&text, &len, path, &d) < 0) {
		if (d.n > 0)
			add_line(reasons, "%s", d.entries[0].msg);
		else
			reasons->oom = true;
		goto out;
	}
	root = cJSON_ParseWithLength(text, len);
	if (!root) {
		add_line(reasons, "verdict '%s' is not valid JSON", path);
		goto out;
	}
	read_fields(v, &rd, root);
	if (rd.oom) {
		reasons->oom = true;
		goto out;
	}
	if (rd.why) {
		if (rd.key)
			add_line(reasons, "verdict '%s' is unusable: '%s' is %s", path, rd.key,
			         rd.why);
		else
			add_line(reasons, "verdict '%s' is unusable: %s", path, rd.why);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		verdict_release(v);
	cJSON_Delete(root);
	free(text);
	gl_diag_release(&d);
	return rc;
}

static bool adds_up(const struct counts *c)
{
	return c->passed + c->failures + c->errors + c->skipped == c->tests;
}

/* A verdict that contradicts itself was edited: say so, and hold. */
static void check_consistency(const struct verdict *v, struct lines *reasons)
{
	struct counts sum = {0};
	const char *e = v->env;

	for (size_t i = 0; i < v->n_suites; i++) {
		const struct counts *c = &v->suites[i].c;
		if (!adds_up(c))
			add_line(reasons, "%s: suite '%s' counts do not add up (tampered?)", e,
			         v->suites[i].name);
		sum.tests += c->tests;
		sum.passed += c->passed;
		sum.failures += c->failures;
		sum.errors += c->errors;
		sum.skipped += c->skipped;
	}
	if (!adds_up(&v->c) || memcmp(&sum, &v->c, sizeof(sum)) != 0)
		add_line(reasons, "%s: verdict counts do not add up (tampered?)", e);
	if (!v->says_pass)
		return;
	if (v->c.failures > 0)
		add_line(reasons, "%s: verdict says pass with %zu failure%s (tampered?)", e,
		         v->c.failures, v->c.failures == 1 ? "" : "s");
	if (v->c.errors > 0)
		add_line(reasons, "%s: verdict says pass with %zu error%s (tampered?)", e,
		         v->c.errors, v->c.errors == 1 ? "" : "s");
	if (v->c.passed == 0)
		add_line(reasons, "%s: verdict says pass with no passed check (tampered?)", e);
	if (v->exit_code != 0)
		add_line(reasons, "%s: verdict says pass with exit code %ld (tampered?)", e,
		         v->exit_code);
	if (v->interrupted)
		add_line(reasons, "%s: verdict says pass for an interrupted run (tampered?)", e);
}

static void check_outcome(const struct verdict *v, struct lines *reasons)
{
	const char *e = v->env;

	if (!v->says_pass)
		add_line(reasons, "%s: verdict says fail", e);
	if (v->c.tests == 0)
		add_line(reasons, "%s: zero checks ran", e);
	else if (v->c.passed == 0)
		add_line(reasons, "%s: no check passed (%zu skipped)", e, v->c.skipped);
	if (v->interrupted)
		add_line(reasons, "%s: the run was interrupted", e);
	/* A filter is for debugging: what it left out is not evidence. Tags
	 * and shards are a deliberate split, checked as a whole below. */
	if (v->filter)
		add_line(reasons, "%s: verdict '%s' ran only the checks matching '%s'", e, v->path,
		         v->filter);
	for (size_t i = 0; i < v->n_suites; i++) {
		const struct vsuite *s = &v->suites[i];
		if (s->c.failures > 0)
			add_line(reasons, "%s: suite '%s' failed (%zu failure%s)", e, s->name,
			         s->c.failures, s->c.failures == 1 ? "" : "s");
		if (s->c.errors > 0)
			add_line(reasons, "%s: suite '%s' could not be run (%zu error%s)", e,
			         s->name, s->c.errors, s->c.errors == 1 ? "" : "s");
	}
}

static void check_age(const struct verdict *v, const struct policy *p, time_t now,
                      struct lines *reasons)
{
	double age = difftime(now, v->finished);

	if (age > (double)p->max_age_hours * 3600.0)
		add_line(reasons, "%s: verdict is %.1f hours old (max %ld)", v->env, age / 3600.0,
		         p->max_age_hours);
	else if (age < -FUTURE_SLACK_SECONDS)
		add_line(reasons, "%s: verdict finished %.1f hours in the future (clock?)", v->env,
		         -age / 3600.0);
}

/* junit.file, resolved against the verdict's directory when relative. */
static char *junit_path(const struct verdict *v)
{
	if (v->junit_file[0] == '/')
		return strdup(v->junit_file);
	char *copy = strdup(v->path);
	if (!copy)
		return NULL;
	const char *dir = dirname(copy);
	size_t len = strlen(dir) + 1 + strlen(v->junit_file) + 1;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%s/%s", dir, v->junit_file);
	free(copy);
	return p;
}

/* The digest proves the JUnit file was not edited; this proves the verdict
 * was not: its per-suite counts must be the ones the JUnit file shows. A
 * verdict rewritten to "pass" over a failing report holds here. */
static void check_junit_counts(const struct verdict *v, const char *path, struct lines *reasons)
{
	struct gl_run_result *r = NULL;
	struct gl_diag diag;

	gl_diag_init(&diag);
	if (gl_junit_read(&r, path, &diag) < 0) {
		add_line(reasons, "%s: junit '%s' cannot be read as JUnit", v->env, path);
		goto out;
	}
	/* The JUnit file is digest-checked: a verdict claiming verification the
	 * evidence does not show was edited. */
	if (r->tls_verify_off == v->tls_verify)
		add_line(reasons,
		         "%s: the verdict says TLS verification was %s but junit '%s' says %s "
		         "(edited verdict?)",
		         v->env, v->tls_verify ? "on" : "off", path,
		         r->tls_verify_off ? "off" : "on");
	for (size_t i = 0; i < v->n_suites; i++) {
		const struct vsuite *vs = &v->suites[i];
		const struct gl_suite_result *js = NULL;
		for (size_t j = 0; j < r->n_suites && !js; j++)
			if (strcmp(r->suites[j].name, vs->name) == 0)
				js = &r->suites[j];
		if (!js) {
			add_line(reasons, "%s: suite '%s' is in the verdict but not in junit '%s'",
			         v->env, vs->name, path);
			continue;
		}
		struct gl_counts c;
		gl_suite_result_counts(js, &c);
		if (c.tests != vs->c.tests || c.passed != vs->c.passed ||
		    c.failures != vs->c.failures || c.errors != vs->c.errors ||
		    c.skipped != vs->c.skipped)
			add_line(reasons,
			         "%s: suite '%s': the verdict counts %zu passed, %zu failed, %zu "
			         "errored but junit '%s' shows %zu, %zu, %zu (edited verdict?)",
			         v->env, vs->name, vs->c.passed, vs->c.failures, vs->c.errors, path,
			         c.passed, c.failures, c.errors);
	}
out:
	gl_run_result_free(r);
	gl_diag_release(&diag);
}

static void check_junit(const struct verdict *v, struct lines *reasons)
{
	char digest[GL_DIGEST_LEN];

	if (!v->junit_file) {
		add_line(reasons, "%s: verdict '%s' has no junit evidence", v->env, v->path);
		return;
	}
	char *path = junit_path(v);
	if (!path) {
		reasons->oom = true;
		return;
	}
	if (gl_digest_sha256_file(digest, path) < 0)
		add_line(reasons, "%s: junit '%s' cannot be read: %s", v->env, path,
		         errno == EINVAL ? "not a regular file" : strerror(errno));
	else if (strcmp(digest, v->junit_sha256) != 0)
		add_line(reasons, "%s: junit '%s' does not match its digest (edited?)", v->env,
		         path);
	else
		check_junit_counts(v, path, reasons);
	free(path);
}

static const struct requirement *required(const struct policy *p, const char *env)
{
	for (size_t i = 0; i < p->n_req; i++)
		if (strcmp(p->req[i].env, env) == 0)
			return &p->req[i];
	return NULL;
}

/* Evidence obtained without verifying the target's certificate does not show
 * that the target was the one deployed: it holds, unless the policy accepts it
 * for that environment (a test environment whose certificate nobody fixes). */
static void check_tls(const struct verdict *v, const struct requirement *r, struct lines *reasons)
{
	if (!v->tls_verify && !r->allow_insecure_tls)
		add_line(reasons,
		         "%s: verdict '%s' was obtained with TLS certificate verification off "
		         "(tls_verify: false); the policy does not allow it for this environment "
		         "(\"allow_insecure_tls\")",
		         v->env, v->path);
}

/* Sharded verdicts of one environment: one N, and every K from 1 to N. */
static void check_shards(const char *env, const struct verdict *vs, size_t n, struct lines *reasons)
{
	const struct verdict *first = NULL;
	size_t distinct = 0;

	for (size_t i = 0; i < n; i++) {
		const struct verdict *v = &vs[i];
		if (strcmp(v->env, env) != 0 || v->shard_n == 0)
			continue;
		if (!first) {
			first = v;
		} else if (v->shard_n != first->shard_n) {
			add_line(reasons, "%s: shards disagree: %u/%u and %u/%u", env,
			         first->shard_k, first->shard_n, v->shard_k, v->shard_n);
			return;
		}
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(vs[j].env, env) == 0 && vs[j].shard_n == v->shard_n &&
			      vs[j].shard_k == v->shard_k;
		distinct += !dup;
	}
	if (first && distinct < first->shard_n)
		add_line(reasons, "%s: only %zu of %u shards have a verdict", env, distinct,
		         first->shard_n);
}

static bool has_suite(const struct verdict *v, const char *suite)
{
	for (size_t j = 0; j < v->n_suites; j++)
		if (strcmp(v->suites[j].name, suite) == 0)
			return true;
	return false;
}

/* A suite is covered whole: by an unsharded verdict, or by verdicts that
 * carry it for every shard K of N. Counted per suite: shard 2/2 run with
 * only the smoke checks does not complete a replay run in shard 1/2. */
static void check_suite_shards(const char *env, const char *suite, const struct verdict *vs,
                               size_t n, struct lines *reasons)
{
	unsigned shard_n = 0;
	size_t distinct = 0;

	for (size_t i = 0; i < n; i++) {
		const struct verdict *v = &vs[i];
		if (strcmp(v->env, env) != 0 || !has_suite(v, suite))
			continue;
		if (v->shard_n == 0)
			return; /* a whole run of the suite */
		shard_n = v->shard_n;
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(vs[j].env, env) == 0 && has_suite(&vs[j], suite) &&
			      vs[j].shard_n == v->shard_n && vs[j].shard_k == v->shard_k;
		distinct += !dup;
	}
	if (shard_n && distinct < shard_n)
		add_line(reasons, "%s: suite '%s' ran in only %zu of %u shards", env, suite,
		         distinct, shard_n);
}

/* Every required suite is covered, across the environment's verdicts, with
 * at least one passed check. Failures were reported per verdict already. */
static void check_requirement(const struct requirement *r, const struct verdict *vs, size_t n,
                              struct lines *reasons)
{
	size_t found = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(vs[i].env, r->env) == 0)
			found++;
	if (found == 0) {
		add_line(reasons, "%s: no verdict", r->env);
		return;
	}
	check_shards(r->env, vs, n, reasons);
	for (size_t k = 0; k < r->n_suites; k++) {
		struct counts sum = {0};
		bool seen = false;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(vs[i].env, r->env) != 0)
				continue;
			for (size_t j = 0; j < vs[i].n_suites; j++) {
				const struct vsuite *s = &vs[i].suites[j];
				if (strcmp(s->name, r->suites[k]) != 0)
					continue;
				seen = true;
				sum.passed += s->c.passed;
				sum.failures += s->c.failures;
				sum.errors += s->c.errors;
			}
		}
		if (!seen)
			add_line(reasons, "%s: suite '%s' was not run", r->env, r->suites[k]);
		else if (sum.passed == 0 && sum.failures == 0 && sum.errors == 0)
			add_line(reasons, "%s: suite '%s' ran no checks", r->env, r->suites[k]);
		else
			check_suite_shards(r->env, r->suites[k], vs, n, reasons);
	}
}

/* same_version: every required verdict reports one version, the one it
 * expected. Sets *version to the common version (lent) when there is one. */
static void check_versions(const struct verdict *vs, size_t n, const struct policy *p,
                           const char **version, struct lines *reasons)
{
	const struct verdict *first = NULL;
	bool mixed = false;

	for (size_t i = 0; i < n; i++) {
		const struct verdict *v = &vs[i];
		if (!required(p, v->env))
			continue;
		if (!v->version_reported) {
			mixed = true;
			if (p->same_version)
				add_line(reasons, "%s: verdict reports no version", v->env);
			continue;
		}
		if (p->same_version && v->version_expected &&
		    strcmp(v->version_expected, v->version_reported) != 0)
			add_line(reasons, "%s: reports version %s, expected %s", v->env,
			         v->version_reported, v->version_expected);
		if (!first) {
			first = v;
		} else if (strcmp(first->version_reported, v->version_reported) != 0) {
			mixed = true;
			if (p->same_version)
				add_line(reasons, "version mismatch: %s reports %s, %s reports %s",
				         first->env, first->version_reported, v->env,
				         v->version_reported);
		}
	}
	*version = first && !mixed ? first->version_reported : NULL;
}

static void decide(struct gl_gate_decision *d, const struct policy *p, struct verdict *vs,
                   size_t n_ok, size_t n_given, time_t now, struct lines *reasons,
                   struct lines *notes)
{
	const char *version = NULL;

	if (n_given == 0)
		add_line(reasons, "no verdicts given");
	for (size_t i = 0; i < n_ok; i++) {
		const struct verdict *v = &vs[i];
		const struct requirement *r = required(p, v->env);
		if (!r) {
			add_line(notes, "%s: verdict '%s' says %s%s (not required by the policy)",
			         v->env, v->path, v->says_pass ? "pass" : "fail",
			         v->tls_verify ? "" : ", TLS verification off");
			continue;
		}
		check_consistency(v, reasons);
		check_tls(v, r, reasons);
		check_outcome(v, reasons);
		check_age(v, p, now, reasons);
		if (p->require_junit)
			check_junit(v, reasons);
	}
	for (size_t i = 0; i < p->n_req; i++)
		check_requirement(&p->req[i], vs, n_ok, reasons);
	check_versions(vs, n_ok, p, &version, reasons);

	d->promote_to = strdup(p->promote_to);
	if (version)
		d->version = strdup(version);
	if (!d->promote_to || (version && !d->version))
		reasons->oom = true;
	/* Fail closed: no reason to hold is not enough on its own. */
	d->promote = reasons->n == 0 && n_given > 0 && n_ok == n_given && p->n_req > 0;
}

int gl_gate_decide(struct gl_gate_decision **out, const char *policy_path,
                   const char *const *verdict_paths, size_t n, time_t now, struct gl_diag *diag)
{
	struct policy p;
	struct verdict *vs = NULL;
	struct gl_gate_decision *d = NULL;
	struct lines reasons = {0};
	struct lines notes = {0};
	size_t n_ok = 0;
	int rc = -1;

	assert(out && policy_path && (verdict_paths || n == 0) && diag);
	*out = NULL;
	if (load_policy(&p, policy_path, diag) < 0)
		return -1;
	d = calloc(1, sizeof(*d));
	vs = calloc(n ? n : 1, sizeof(*vs));
	if (!d || !vs)
		goto oom;
	for (size_t i = 0; i < n; i++)
		if (read_verdict(&vs[n_ok], verdict_paths[i], &reasons) == 0)
			n_ok++;
	decide(d, &p, vs, n_ok, n, now, &reasons, &notes);
	if (reasons.oom || notes.oom)
		goto oom;
	d->reasons = reasons.v;
	d->n_reasons = reasons.n;
	d->notes = notes.v;
	d->n_notes = notes.n;
	reasons = (struct lines){0};
	notes = (struct lines){0};
	*out = d;
	d = NULL;
	rc = 0;
	goto out;
oom:
	gl_diag_add(diag, (struct gl_pos){policy_path, 0, 0}, "out of memory");
out:
	for (size_t i = 0; i < n_ok; i++)
		verdict_release(&vs[i]);
	free(vs);
	free_lines(reasons.v, reasons.n);
	free_lines(notes.v, notes.n);
	gl_gate_decision_free(d);
	policy_release(&p);
	return rc;
}

/* Bytes a terminal would act on become '?': a verdict cannot print a line
 * of its own. */
static void put_clean(FILE *fp, const char *s)
{
	for (; *s; s++)
		fputc(iscntrl((unsigned char)*s) ? '?' : *s, fp);
}

void gl_gate_print(FILE *fp, const struct gl_gate_decision *d)
{
	for (size_t i = 0; i < d->n_notes; i++) {
		fputs("note: ", fp);
		put_clean(fp, d->notes[i]);
		fputc('\n', fp);
	}
	for (size_t i = 0; i < d->n_reasons; i++) {
		fputs("hold: ", fp);
		put_clean(fp, d->reasons[i]);
		fputc('\n', fp);
	}
	if (d->promote) {
		fputs("promote: ", fp);
		if (d->version) {
			fputs("version ", fp);
			put_clean(fp, d->version);
			fputc(' ', fp);
		}
		fputs("to ", fp);
		put_clean(fp, d->promote_to);
		fputc('\n', fp);
		return;
	}
	fputs("hold: not promoting to ", fp);
	put_clean(fp, d->promote_to);
	fprintf(fp, " (%zu reason%s)\n", d->n_reasons, d->n_reasons == 1 ? "" : "s");
}

int gl_gate_exit_code(const struct gl_gate_decision *d)
{
	return d && d->promote ? GL_EXIT_PASS : GL_EXIT_FAIL;
}

void gl_gate_decision_free(struct gl_gate_decision *d)
{
	if (!d)
		return;
	free(d->promote_to);
	free(d->version);
	free_lines(d->reasons, d->n_reasons);
	free_lines(d->notes, d->n_notes);
	free(d);
}
