/* The release gate: real verdict files written by gl_verdict_write from
 * hand-built run results, then copies edited for every way evidence can be
 * missing, stale, inconsistent or tampered with. Each hold test asserts the
 * exact reason, so a hold for the wrong reason fails too. */
#include <check.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "diag.h"
#include "exitcode.h"
#include "gate.h"
#include "report.h"
#include "result.h"
#include "verdict.h"

#define STARTED  1795316490 /* 2026-11-22T03:01:30Z */
#define FINISHED (STARTED + 42)
#define NOW      (FINISHED + 3600)

static const char policy_text[] =
        "{\n"
        "  \"promote_to\": \"production\",\n"
        "  \"max_age_hours\": 24,\n"
        "  \"require\": [\n"
        "    { \"environment\": \"staging\",\n"
        "      \"suites\": [\"smoke\", \"quotes-http\", \"quotes-bulk-sql\"] },\n"
        "    { \"environment\": \"preprod\", \"suites\": [\"smoke\"] }\n"
        "  ],\n"
        "  \"same_version\": true,\n"
        "  \"require_junit\": true\n"
        "}\n";

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

/* ---- run results ---- */

static void set_suite(struct gl_run_result *r, size_t i, const char *name, size_t n_pass,
                      size_t n_fail, size_t n_skip)
{
	struct gl_suite_result *s = &r->suites[i];

	s->name = xstrdup(name);
	s->file = xstrdup("suites/x.json");
	s->digest = xstrdup("sha256:1111");
	s->n_cases = n_pass + n_fail + n_skip;
	s->cases = calloc(s->n_cases ? s->n_cases : 1, sizeof(*s->cases));
	ck_assert_ptr_nonnull(s->cases);
	s->started = r->started;
	for (size_t k = 0; k < s->n_cases; k++) {
		struct gl_case *c = &s->cases[k];
		char id[300];
		snprintf(id, sizeof(id), "%s/c%zu", name, k);
		c->id = xstrdup(id);
		c->classname = xstrdup(name);
		c->name = xstrdup(id + strlen(name) + 1);
		c->file = xstrdup(s->file);
		c->outcome = k < n_pass            ? GL_OUT_PASS
		             : k < n_pass + n_fail ? GL_OUT_FAIL
		                                   : GL_OUT_SKIP;
		if (c->outcome != GL_OUT_PASS)
			c->message = xstrdup("expected 200, got 500");
	}
}

static struct gl_run_result *new_run(const char *env, const char *version, size_t n_suites)
{
	struct gl_run_result *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->env_name = xstrdup(env);
	r->base_url = xstrdup("https://costs.example.com");
	r->reported_version = version ? xstrdup(version) : NULL;
	r->harness_version = xstrdup("0.1.0");
	r->started = STARTED;
	r->finished = FINISHED;
	r->n_suites = n_suites;
	r->suites = calloc(n_suites ? n_suites : 1, sizeof(*r->suites));
	ck_assert_ptr_nonnull(r->suites);
	return r;
}

/* smoke, quotes-http and quotes-bulk-sql, every check passed; `failures`
 * failed checks in quotes-http. */
static struct gl_run_result *full_run(const char *env, const char *version, size_t failures)
{
	struct gl_run_result *r = new_run(env, version, 3);
	set_suite(r, 0, "smoke", 3, 0, 0);
	set_suite(r, 1, "quotes-http", 5, failures, 0);
	set_suite(r, 2, "quotes-bulk-sql", 4, 0, 0);
	return r;
}

/* ---- a directory of evidence ---- */

struct gt {
	char dir[64];
	char policy[512];
	char *paths[8];
	size_t n;
};

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	long n = ftell(fp);
	rewind(fp);
	char *s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	return s;
}

static void gt_init(struct gt *g)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->dir, sizeof(g->dir), "/tmp/gl-gate-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(g->dir));
	snprintf(g->policy, sizeof(g->policy), "%s/policy.json", g->dir);
	write_text(g->policy, policy_text);
}

/* Two levels: the directory and one directory per verdict. */
static void rm_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[512];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0 && depth > 0)
			rm_tree(p, depth - 1);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(dir), 0);
}

static void gt_release(struct gt *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->paths[i]);
	rm_tree(g->dir, 1);
}

/* The selection a run was narrowed by. */
struct sel {
	const char *filter;
	unsigned shard_k;
	unsigned shard_n;
};

/* Write <dir>/<name>/junit.xml and verdict.json from r (freed) as greenlight
 * would after a run that returned exit_code; returns the verdict's path. */
static const char *emit_sel(struct gt *g, const char *name, struct gl_run_result *r, int exit_code,
                            const char *expected, struct sel sel)
{
	char sub[200];
	char junit[260];
	char verdict[260];

	snprintf(sub, sizeof(sub), "%s/%s", g->dir, name);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(junit, sizeof(junit), "%s/junit.xml", sub);
	snprintf(verdict, sizeof(verdict), "%s/verdict.json", sub);
	ck_assert_int_eq(gl_report_junit_write(junit, r), 0);
	struct gl_verdict_info info = {.junit_path = junit,
	                               .expected_version = expected,
	                               .filter = sel.filter,
	                               .shard_k = sel.shard_k,
	                               .shard_n = sel.shard_n,
	                               .exit_code = exit_code};
	ck_assert_int_eq(gl_verdict_write(verdict, r, &info), 0);
	gl_run_result_free(r);
	ck_assert_uint_lt(g->n, 8);
	g->paths[g->n++] = xstrdup(verdict);
	return g->paths[g->n - 1];
}

static const char *emit(struct gt *g, const char *name, struct gl_run_result *r, int exit_code,
                        const char *expected)
{
	return emit_sel(g, name, r, exit_code, expected, (struct sel){0});
}

/* Complete, fresh evidence for the test policy. */
static void emit_good(struct gt *g)
{
	emit(g, "staging", full_run("staging", "2.4.0", 0), 0, "2.4.0");
	emit(g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
}

static struct gl_gate_decision *decide_at(struct gt *g, time_t now)
{
	struct gl_gate_decision *d = NULL;
	struct gl_diag diag;

	gl_diag_init(&diag);
	int rc = gl_gate_decide(&d, g->policy, (const char *const *)g->paths, g->n, now, &diag);
	if (rc != 0)
		gl_diag_print(&diag, stderr);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(gl_diag_errors(&diag), 0);
	gl_diag_release(&diag);
	ck_assert_ptr_nonnull(d);
	return d;
}

static struct gl_gate_decision *decide(struct gt *g)
{
	return decide_at(g, NOW);
}

static bool has_reason(const struct gl_gate_decision *d, const char *text)
{
	for (size_t i = 0; i < d->n_reasons; i++)
		if (strstr(d->reasons[i], text))
			return true;
	return false;
}

static void dump(const struct gl_gate_decision *d)
{
	gl_gate_print(stderr, d);
}

/* Held, and for this reason among others. */
static void assert_hold(const struct gl_gate_decision *d, const char *reason)
{
	if (d->promote || !has_reason(d, reason)) {
		dump(d);
		ck_abort_msg("expected a hold with '%s'", reason);
	}
	ck_assert_int_eq(gl_gate_exit_code(d), GL_EXIT_FAIL);
}

static char *printed(const struct gl_gate_decision *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	gl_gate_print(fp, d);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

/* Parse a verdict, let edit change it, write it back. */
static void edit_verdict(const char *path, void (*edit)(cJSON *root))
{
	char *text = slurp(path);
	cJSON *root = cJSON_Parse(text);
	ck_assert_ptr_nonnull(root);
	edit(root);
	char *out = cJSON_Print(root);
	ck_assert_ptr_nonnull(out);
	write_text(path, out);
	free(out);
	cJSON_Delete(root);
	free(text);
}

static void set_num(cJSON *obj, const char *key, double v)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	ck_assert_ptr_nonnull(item);
	cJSON_SetNumberValue(item, v);
}

/* ---- promote ---- */

START_TEST(test_gate_promotes_complete_fresh_evidence)
{
	struct gt g;

	gt_init(&g);
	emit_good(&g);
	struct gl_gate_decision *d = decide(&g);
	if (!d->promote)
		dump(d);
	ck_assert(d->promote);
	ck_assert_uint_eq(d->n_reasons, 0);
	ck_assert_str_eq(d->version, "2.4.0");
	ck_assert_int_eq(gl_gate_exit_code(d), GL_EXIT_PASS);
	char *out = printed(d);
	ck_assert_str_eq(out, "promote: version 2.4.0 to production\n");
	free(out);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* The policy shipped in ci/hooks: staging and preprod, all three suites. */
START_TEST(test_gate_shipped_policy)
{
	struct gt g;
	const char *src = getenv("SRCDIR");

	gt_init(&g);
	snprintf(g.policy, sizeof(g.policy), "%s/ci/hooks/policy.json", src ? src : "..");
	emit(&g, "staging", full_run("staging", "2.4.0", 0), 0, "2.4.0");
	emit(&g, "dev", full_run("dev", "2.4.1", 2), 1, "2.4.1");
	struct gl_gate_decision *d = decide(&g);
	/* dev failed, but it is informational; preprod is what is missing. */
	assert_hold(d, "preprod: no verdict");
	ck_assert_uint_eq(d->n_reasons, 1);
	ck_assert_uint_eq(d->n_notes, 1);
	ck_assert_ptr_nonnull(strstr(d->notes[0], "dev: verdict"));
	gl_gate_decision_free(d);

	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	d = decide(&g);
	if (!d->promote)
		dump(d);
	ck_assert(d->promote);
	char *out = printed(d);
	ck_assert_ptr_nonnull(strstr(out, "note: dev: verdict"));
	ck_assert_ptr_nonnull(strstr(out, "promote: version 2.4.0 to production\n"));
	free(out);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* Shards: each verdict passes and together they cover every suite, each
 * suite in every shard. */
START_TEST(test_gate_shards_cover_together)
{
	struct gt g;

	gt_init(&g);
	struct gl_run_result *a = new_run("staging", "2.4.0", 2);
	set_suite(a, 0, "smoke", 2, 0, 0);
	set_suite(a, 1, "quotes-http", 2, 0, 0);
	emit_sel(&g, "staging-1", a, 0, "2.4.0", (struct sel){.shard_k = 1, .shard_n = 2});
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: only 1 of 2 shards have a verdict");
	assert_hold(d, "staging: suite 'quotes-bulk-sql' was not run");
	gl_gate_decision_free(d);

	/* Regression (found in review): shard 2/2 carrying only another suite
	 * does not complete shard 1/2's suites: half their cases never ran. */
	struct gl_run_result *b = new_run("staging", "2.4.0", 1);
	set_suite(b, 0, "quotes-bulk-sql", 2, 0, 0);
	emit_sel(&g, "staging-2", b, 0, "2.4.0", (struct sel){.shard_k = 2, .shard_n = 2});
	d = decide(&g);
	assert_hold(d, "staging: suite 'quotes-http' ran in only 1 of 2 shards");
	assert_hold(d, "staging: suite 'quotes-bulk-sql' ran in only 1 of 2 shards");
	gl_gate_decision_free(d);
	gt_release(&g);

	/* Every suite in both shards: promote. */
	gt_init(&g);
	for (unsigned k = 1; k <= 2; k++) {
		struct gl_run_result *r = new_run("staging", "2.4.0", 3);
		set_suite(r, 0, "smoke", 2, 0, 0);
		set_suite(r, 1, "quotes-http", 2, 0, 0);
		set_suite(r, 2, "quotes-bulk-sql", 2, 0, 0);
		emit_sel(&g, k == 1 ? "staging-1" : "staging-2", r, 0, "2.4.0",
		         (struct sel){.shard_k = k, .shard_n = 2});
	}
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	d = decide(&g);
	if (!d->promote)
		dump(d);
	ck_assert(d->promote);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_shards_that_disagree)
{
	struct gt g;

	gt_init(&g);
	emit_sel(&g, "staging-1", full_run("staging", "2.4.0", 0), 0, "2.4.0",
	         (struct sel){.shard_k = 1, .shard_n = 2});
	emit_sel(&g, "staging-2", full_run("staging", "2.4.0", 0), 0, "2.4.0",
	         (struct sel){.shard_k = 1, .shard_n = 3});
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: shards disagree: 1/2 and 1/3");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* --filter narrows a run for debugging; what it left out was not tested. */
START_TEST(test_gate_holds_filtered_run)
{
	struct gt g;

	gt_init(&g);
	emit_sel(&g, "staging", full_run("staging", "2.4.0", 0), 0, "2.4.0",
	         (struct sel){.filter = "*/health"});
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "/staging/verdict.json' ran only the checks matching '*/health'");
	ck_assert_uint_eq(d->n_reasons, 1);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* ---- hold ---- */

START_TEST(test_gate_holds_failed_suite)
{
	struct gt g;

	gt_init(&g);
	emit(&g, "staging", full_run("staging", "2.4.0", 3), 1, "2.4.0");
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: suite 'quotes-http' failed (3 failures)");
	assert_hold(d, "staging: verdict says fail");
	char *out = printed(d);
	ck_assert_ptr_nonnull(
	        strstr(out, "hold: staging: suite 'quotes-http' failed (3 failures)\n"));
	ck_assert_ptr_nonnull(strstr(out, "hold: not promoting to production (2 reasons)\n"));
	ck_assert_ptr_null(strstr(out, "promote:"));
	free(out);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* A shard that failed holds even when another shard passed the same suite. */
START_TEST(test_gate_holds_one_failed_shard)
{
	struct gt g;

	gt_init(&g);
	emit(&g, "staging-1", full_run("staging", "2.4.0", 0), 0, "2.4.0");
	emit(&g, "staging-2", full_run("staging", "2.4.0", 1), 1, "2.4.0");
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: suite 'quotes-http' failed (1 failure)");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_missing_environment)
{
	struct gt g;

	gt_init(&g);
	emit(&g, "staging", full_run("staging", "2.4.0", 0), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "preprod: no verdict");
	ck_assert_uint_eq(d->n_reasons, 1);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_missing_suite)
{
	struct gt g;

	gt_init(&g);
	struct gl_run_result *r = new_run("staging", "2.4.0", 2);
	set_suite(r, 0, "smoke", 2, 0, 0);
	set_suite(r, 1, "quotes-http", 2, 0, 0);
	emit(&g, "staging", r, 0, "2.4.0");
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: suite 'quotes-bulk-sql' was not run");
	ck_assert_uint_eq(d->n_reasons, 1);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_stale_verdict)
{
	struct gt g;

	gt_init(&g);
	emit_good(&g);
	struct gl_gate_decision *d = decide_at(&g, FINISHED + 108720); /* 30.2 h */
	assert_hold(d, "staging: verdict is 30.2 hours old (max 24)");
	assert_hold(d, "preprod: verdict is 30.2 hours old (max 24)");
	gl_gate_decision_free(d);
	/* Exactly max_age is still fresh. */
	d = decide_at(&g, FINISHED + 24 * 3600);
	ck_assert(d->promote);
	gl_gate_decision_free(d);
	/* A verdict from the future is not fresh evidence either. */
	d = decide_at(&g, FINISHED - 2 * 3600);
	assert_hold(d, "staging: verdict finished 2.0 hours in the future");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_version_mismatch)
{
	struct gt g;

	gt_init(&g);
	emit(&g, "staging", full_run("staging", "2.4.0", 0), 0, "2.4.0");
	emit(&g, "preprod", full_run("preprod", "2.3.9", 0), 0, "2.3.9");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "version mismatch: staging reports 2.4.0, preprod reports 2.3.9");
	ck_assert_uint_eq(d->n_reasons, 1);
	ck_assert_ptr_null(d->version);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* The run expected 2.4.0 and the service said 2.3.9 — even if the smoke
 * suite did not check it, the gate does. */
START_TEST(test_gate_holds_unexpected_version)
{
	struct gt g;

	gt_init(&g);
	emit(&g, "staging", full_run("staging", "2.3.9", 0), 0, "2.4.0");
	emit(&g, "preprod", full_run("preprod", "2.3.9", 0), 0, "2.3.9");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: reports version 2.3.9, expected 2.4.0");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_no_reported_version)
{
	struct gt g;

	gt_init(&g);
	emit(&g, "staging", full_run("staging", NULL, 0), 0, NULL);
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: verdict reports no version");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_edited_junit)
{
	struct gt g;
	char junit[300];

	gt_init(&g);
	emit_good(&g);
	snprintf(junit, sizeof(junit), "%s/staging/junit.xml", g.dir);
	FILE *fp = fopen(junit, "ab");
	ck_assert_ptr_nonnull(fp);
	fputs("<!-- all green, honest -->\n", fp);
	fclose(fp);
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: junit '");
	assert_hold(d, "/staging/junit.xml' does not match its digest (edited?)");
	ck_assert_uint_eq(d->n_reasons, 1);
	gl_gate_decision_free(d);

	/* Gone altogether. */
	ck_assert_int_eq(unlink(junit), 0);
	d = decide(&g);
	assert_hold(d, "/staging/junit.xml' cannot be read");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

static void drop_junit(cJSON *root)
{
	cJSON_ReplaceItemInObjectCaseSensitive(root, "junit", cJSON_CreateNull());
}

START_TEST(test_gate_holds_no_junit_evidence)
{
	struct gt g;

	gt_init(&g);
	emit_good(&g);
	edit_verdict(g.paths[1], drop_junit);
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "preprod: verdict '");
	assert_hold(d, "' has no junit evidence");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_zero_checks)
{
	struct gt g;

	gt_init(&g);
	emit(&g, "staging", new_run("staging", "2.4.0", 0), 1, "2.4.0");
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: zero checks ran");
	assert_hold(d, "staging: verdict says fail");
	assert_hold(d, "staging: suite 'smoke' was not run");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* The run passed (other suites passed), but a required suite had every
 * check skipped: it proves nothing. */
START_TEST(test_gate_holds_empty_required_suite)
{
	struct gt g;

	gt_init(&g);
	emit(&g, "staging", full_run("staging", "2.4.0", 0), 0, "2.4.0");
	struct gl_run_result *r = new_run("preprod", "2.4.0", 2);
	set_suite(r, 0, "smoke", 0, 0, 3);
	set_suite(r, 1, "quotes-http", 2, 0, 0);
	emit(&g, "preprod", r, 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "preprod: suite 'smoke' ran no checks");
	ck_assert_uint_eq(d->n_reasons, 1);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* quotes-http: one passed check turned into a failure, counts kept
 * consistent, "verdict" left at "pass". */
static void pass_with_failure(cJSON *root)
{
	cJSON *s1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "suites"), 1);
	cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "counts");
	set_num(s1, "passed", 4);
	set_num(s1, "failures", 1);
	set_num(c, "passed", 11);
	set_num(c, "failures", 1);
}

START_TEST(test_gate_holds_pass_with_failures)
{
	struct gt g;

	gt_init(&g);
	emit_good(&g);
	edit_verdict(g.paths[0], pass_with_failure);
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: verdict says pass with 1 failure (tampered?)");
	assert_hold(d, "staging: suite 'quotes-http' failed (1 failure)");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

static void counts_off(cJSON *root)
{
	set_num(cJSON_GetObjectItemCaseSensitive(root, "counts"), "tests", 99);
}

static void zero_checks_pass(cJSON *root)
{
	cJSON_ReplaceItemInObjectCaseSensitive(root, "suites", cJSON_CreateArray());
	cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "counts");
	set_num(c, "tests", 0);
	set_num(c, "passed", 0);
}

START_TEST(test_gate_holds_counts_that_do_not_add_up)
{
	struct gt g;

	gt_init(&g);
	emit_good(&g);
	edit_verdict(g.paths[0], counts_off);
	edit_verdict(g.paths[1], zero_checks_pass);
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "staging: verdict counts do not add up (tampered?)");
	assert_hold(d, "preprod: verdict says pass with no passed check (tampered?)");
	assert_hold(d, "preprod: zero checks ran");
	assert_hold(d, "preprod: suite 'smoke' was not run");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_no_verdicts)
{
	struct gt g;

	gt_init(&g);
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "no verdicts given");
	assert_hold(d, "staging: no verdict");
	assert_hold(d, "preprod: no verdict");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

START_TEST(test_gate_holds_unreadable_verdicts)
{
	struct gt g;
	char path[200];

	gt_init(&g);
	emit_good(&g);
	snprintf(path, sizeof(path), "%s/nothing.json", g.dir);
	g.paths[g.n++] = xstrdup(path);
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "/nothing.json': No such file or directory");
	ck_assert_uint_eq(d->n_reasons, 1);
	gl_gate_decision_free(d);

	write_text(path, "{\"format\": \"greenlight-verdict/1\", \"verdict\": \"pass\"");
	d = decide(&g);
	assert_hold(d, "/nothing.json' is not valid JSON");
	gl_gate_decision_free(d);

	write_text(path, "{\"format\": \"something-else\"}");
	d = decide(&g);
	assert_hold(d, "/nothing.json' is unusable: not a greenlight verdict");
	gl_gate_decision_free(d);

	/* A verdict stripped down to the claim. */
	write_text(path, "{\"format\": \"greenlight-verdict/1\", \"verdict\": \"pass\"}");
	d = decide(&g);
	assert_hold(d, "/nothing.json' is unusable: 'exit_code' is missing");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* ---- TLS verification off ("tls_verify": false) ---- */

static struct gl_run_result *insecure_run(const char *env)
{
	struct gl_run_result *r = full_run(env, "2.4.0", 0);
	r->tls_verify_off = 1;
	return r;
}

/* Evidence obtained without verifying the target's certificate does not
 * show the target was the one deployed: held, unless the policy allows it
 * for that environment. */
START_TEST(test_gate_holds_verdict_without_tls_verification)
{
	struct gt g;

	gt_init(&g);
	const char *staging = emit(&g, "staging", insecure_run("staging"), 0, "2.4.0");
	emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
	emit(&g, "dev", insecure_run("dev"), 0, "2.4.0");
	struct gl_gate_decision *d = decide(&g);
	char want[600];
	snprintf(want, sizeof(want),
	         "staging: verdict '%s' was obtained with TLS certificate verification off "
	         "(tls_verify: false); the policy does not allow it for this environment "
	         "(\"allow_insecure_tls\")",
	         staging);
	assert_hold(d, want);
	ck_assert_uint_eq(d->n_reasons, 1);
	/* an environment the policy does not require is noted, saying so */
	ck_assert_uint_eq(d->n_notes, 1);
	ck_assert_ptr_nonnull(strstr(d->notes[0], "says pass, TLS verification off (not required"));
	gl_gate_decision_free(d);

	write_text(g.policy, "{ \"promote_to\": \"production\", \"require\": [\n"
	                     "  { \"environment\": \"staging\", \"suites\": [\"smoke\"],\n"
	                     "    \"allow_insecure_tls\": true },\n"
	                     "  { \"environment\": \"preprod\", \"suites\": [\"smoke\"],\n"
	                     "    \"allow_insecure_tls\": false } ] }\n");
	d = decide(&g);
	if (!d->promote)
		dump(d);
	ck_assert(d->promote);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

static void claim_tls_verify(cJSON *root)
{
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(root, "tls_verify", cJSON_CreateTrue()));
}

static void drop_tls_verify(cJSON *root)
{
	cJSON_DeleteItemFromObjectCaseSensitive(root, "tls_verify");
}

static void garble_tls_verify(cJSON *root)
{
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(root, "tls_verify",
	                                                 cJSON_CreateString("yes")));
}

/* The JUnit file is digest-checked and says greenlight.tls_verify "off": a
 * verdict edited to claim verification, or to say nothing, holds. */
START_TEST(test_gate_holds_verdict_claiming_tls_verification)
{
	struct gt g;
	void (*edits[])(cJSON *) = {claim_tls_verify, drop_tls_verify};

	for (size_t i = 0; i < 2; i++) {
		gt_init(&g);
		emit(&g, "staging", insecure_run("staging"), 0, "2.4.0");
		emit(&g, "preprod", full_run("preprod", "2.4.0", 0), 0, "2.4.0");
		edit_verdict(g.paths[0], edits[i]);
		struct gl_gate_decision *d = decide(&g);
		assert_hold(d, "staging: the verdict says TLS verification was on but junit '");
		assert_hold(d, "/staging/junit.xml' says off (edited verdict?)");
		ck_assert_uint_eq(d->n_reasons, 1);
		gl_gate_decision_free(d);
		gt_release(&g);
	}

	gt_init(&g);
	emit_good(&g);
	edit_verdict(g.paths[0], garble_tls_verify);
	struct gl_gate_decision *d = decide(&g);
	assert_hold(d, "/staging/verdict.json' is unusable: 'tls_verify' is not true or false");
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* A verdict without the key (written before it existed, when TLS was always
 * verified) with JUnit evidence that agrees still promotes. */
START_TEST(test_gate_verdict_without_tls_verify_key)
{
	struct gt g;

	gt_init(&g);
	emit_good(&g);
	edit_verdict(g.paths[0], drop_tls_verify);
	edit_verdict(g.paths[1], drop_tls_verify);
	struct gl_gate_decision *d = decide(&g);
	if (!d->promote)
		dump(d);
	ck_assert(d->promote);
	gl_gate_decision_free(d);
	gt_release(&g);
}
END_TEST

/* ---- invalid policies: exit code 2, with a location ---- */

static void assert_invalid(const char *policy, unsigned line, unsigned col, const char *msg)
{
	struct gl_gate_decision *d = (struct gl_gate_decision *)1;
	struct gl_diag diag;

	gl_diag_init(&diag);
	ck_assert_int_eq(gl_gate_decide(&d, policy, NULL, 0, NOW, &diag), -1);
	ck_assert_ptr_null(d);
	ck_assert_uint_ge(gl_diag_errors(&diag), 1);
	bool found = false;
	for (size_t i = 0; i < diag.n; i++)
		found = found ||
		        (diag.entries[i].pos.line == line && diag.entries[i].pos.col == col &&
		         strstr(diag.entries[i].msg, msg) != NULL);
	if (!found)
		gl_diag_print(&diag, stderr);
	ck_assert_msg(found, "no '%s' at %u:%u", msg, line, col);
	gl_diag_release(&diag);
}

static void data_path(char *out, size_t size, const char *name)
{
	const char *data = getenv("GL_TEST_DATA");
	snprintf(out, size, "%s/gate/%s", data ? data : "tests/data", name);
}

START_TEST(test_gate_policy_syntax_error)
{
	char path[512];

	data_path(path, sizeof(path), "bad-syntax.json");
	assert_invalid(path, 5, 53, "");
}
END_TEST

START_TEST(test_gate_policy_schema_errors)
{
	char path[512];

	data_path(path, sizeof(path), "bad-schema.json");
	assert_invalid(path, 1, 1, "policy is missing 'require'");
	assert_invalid(path, 3, 3, "unknown key 'requir' (did you mean 'require'?)");
	assert_invalid(path, 4, 20, "'max_age_hours' must be a positive integer");
	assert_invalid(path, 5, 19, "'same_version' must be true or false");
}
END_TEST

START_TEST(test_gate_policy_requirement_errors)
{
	char path[512];

	data_path(path, sizeof(path), "bad-require.json");
	assert_invalid(path, 4, 43, "'suites' must name at least one suite");
	assert_invalid(path, 5, 22, "environment 'staging' is required twice");
	assert_invalid(path, 6, 5, "requirement is missing 'suites'");
	assert_invalid(path, 7, 49, "a suite name must be a non-empty string");

	data_path(path, sizeof(path), "require-nothing.json");
	assert_invalid(path, 3, 14, "'require' must name at least one environment");

	data_path(path, sizeof(path), "does-not-exist.json");
	assert_invalid(path, 0, 0, "cannot read");
}
END_TEST

START_TEST(test_gate_policy_allow_insecure_tls_is_boolean)
{
	struct gt g;

	gt_init(&g);
	write_text(g.policy, "{ \"promote_to\": \"production\", \"require\": [\n"
	                     "  { \"environment\": \"staging\", \"suites\": [\"smoke\"],\n"
	                     "    \"allow_insecure_tls\": \"yes\" } ] }\n");
	assert_invalid(g.policy, 3, 27, "'allow_insecure_tls' must be true or false");
	gt_release(&g);
}
END_TEST

/* A verdict cannot print a line of its own into the decision. */
START_TEST(test_gate_print_cleans_control_characters)
{
	char *reasons[] = {xstrdup("staging\n"
	                           "promote: version 6.6.6 to production")};
	struct gl_gate_decision d = {.promote = false,
	                             .promote_to = (char *)"production",
	                             .reasons = reasons,
	                             .n_reasons = 1};
	char *out = printed(&d);
	ck_assert_str_eq(out, "hold: staging?promote: version 6.6.6 to production\n"
	                      "hold: not promoting to production (1 reason)\n");
	free(out);
	free(reasons[0]);
}
END_TEST

Suite *gate_suite(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("decide");
	tcase_add_test(tc, test_gate_promotes_complete_fresh_evidence);
	tcase_add_test(tc, test_gate_shipped_policy);
	tcase_add_test(tc, test_gate_shards_cover_together);
	tcase_add_test(tc, test_gate_holds_shards_that_disagree);
	tcase_add_test(tc, test_gate_holds_filtered_run);
	tcase_add_test(tc, test_gate_holds_failed_suite);
	tcase_add_test(tc, test_gate_holds_one_failed_shard);
	tcase_add_test(tc, test_gate_holds_missing_environment);
	tcase_add_test(tc, test_gate_holds_missing_suite);
	tcase_add_test(tc, test_gate_holds_stale_verdict);
	tcase_add_test(tc, test_gate_holds_version_mismatch);
	tcase_add_test(tc, test_gate_holds_unexpected_version);
	tcase_add_test(tc, test_gate_holds_no_reported_version);
	tcase_add_test(tc, test_gate_holds_edited_junit);
	tcase_add_test(tc, test_gate_holds_no_junit_evidence);
	tcase_add_test(tc, test_gate_holds_zero_checks);
	tcase_add_test(tc, test_gate_holds_empty_required_suite);
	tcase_add_test(tc, test_gate_holds_pass_with_failures);
	tcase_add_test(tc, test_gate_holds_counts_that_do_not_add_up);
	tcase_add_test(tc, test_gate_holds_no_verdicts);
	tcase_add_test(tc, test_gate_holds_unreadable_verdicts);
	tcase_add_test(tc, test_gate_holds_verdict_without_tls_verification);
	tcase_add_test(tc, test_gate_holds_verdict_claiming_tls_verification);
	tcase_add_test(tc, test_gate_verdict_without_tls_verify_key);
	tcase_add_test(tc, test_gate_policy_syntax_error);
	tcase_add_test(tc, test_gate_policy_schema_errors);
	tcase_add_test(tc, test_gate_policy_requirement_errors);
	tcase_add_test(tc, test_gate_policy_allow_insecure_tls_is_boolean);
	tcase_add_test(tc, test_gate_print_cleans_control_characters);
	suite_add_tcase(s, tc);
	return s;
}
