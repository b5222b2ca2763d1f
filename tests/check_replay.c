/* Unit tests of the replay runner (replay.c) and its HTTP calculation
 * (http_replay.c) against the real reference service, costd ($COSTD), with
 * real files: a fixture of cases under $GL_TEST_DATA/replay, goldens
 * recorded from costd into a temporary directory. Suites are built by hand
 * so that these tests depend on the runner alone. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suites.h"
#include "diag.h"
#include "env.h"
#include "golden.h"
#include "http_replay.h"
#include "jsonpath.h"
#include "pg.h"
#include "redact.h"
#include "replay.h"
#include "result.h"
#include "suite.h"
#include "template.h"
#include "tolerance.h"

#define N_CASES 28 /* rows of tests/data/replay/quotes.csv */

static pid_t costd_pid;
static char base_url[64];
static char port_file[64];
static char tmpdir[64];

/* ---- the service ---- */

static void costd_start(const char *fault)
{
	const char *exe = getenv("COSTD");
	ck_assert_msg(exe != NULL, "COSTD must name the costd executable");
	snprintf(port_file, sizeof port_file, "/tmp/gl-replay-test-%ld.port", (long)getpid());
	unlink(port_file);
	costd_pid = fork();
	ck_assert_int_ge(costd_pid, 0);
	if (costd_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		if (fault)
			execl(exe, exe, "--port", "0", "--port-file", port_file, "--fault", fault,
			      (char *)NULL);
		else
			execl(exe, exe, "--port", "0", "--port-file", port_file, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(port_file, "r");
		unsigned port = 0;
		if (f) {
			int n = fscanf(f, "%u", &port);
			fclose(f);
			if (n == 1 && port) {
				snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u", port);
				return;
			}
		}
		usleep(10 * 1000);
	}
	ck_abort_msg("costd did not write its port file");
}

static void costd_stop(void)
{
	if (costd_pid > 0) {
		kill(costd_pid, SIGTERM);
		waitpid(costd_pid, NULL, 0);
	}
	costd_pid = 0;
	unlink(port_file);
}

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/gl-replay-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	costd_stop();
	gl_redact_reset();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

/* ---- suites and environments built by hand ---- */

static struct gl_pos here(unsigned line)
{
	return (struct gl_pos){"suites/quotes.json", line, 1};
}

static struct gl_template *tpl(const char *text)
{
	struct gl_template *t = NULL;
	struct gl_diag d;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_template_parse(&t, text, here(1), &d), 0);
	gl_diag_release(&d);
	return t;
}

static struct gl_jsonpath *jp(const char *text)
{
	struct gl_jsonpath *p = NULL;
	struct gl_diag d;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_jsonpath_compile(&p, text, here(1), &d), 0);
	gl_diag_release(&d);
	return p;
}

static char *data_path(const char *name)
{
	const char *dir = getenv("GL_TEST_DATA");
	ck_assert_msg(dir != NULL, "GL_TEST_DATA must name tests/data");
	size_t n = strlen(dir) + strlen(name) + 16;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	snprintf(p, n, "%s/replay/%s", dir, name);
	return p;
}

static char *tmp_path(const char *name)
{
	size_t n = strlen(tmpdir) + strlen(name) + 2;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	snprintf(p, n, "%s/%s", tmpdir, name);
	return p;
}

static struct gl_var env_vars[1];
static struct gl_env env = {.name = "test", .path = "environments/test.json"};

static const struct gl_env *test_env(void)
{
	env_vars[0].name = "base_url";
	env_vars[0].value = base_url;
	env.vars = env_vars;
	env.n_vars = 1;
	return &env;
}

static const char *quote_body =
        "{\"record_id\":\"{{case.record_id}}\",\"currency\":\"{{case.currency}}\","
        "\"quantity\":\"{{case.quantity}}\",\"discount_pct\":\"{{case.discount_pct}}\"}";

static char *keys1[] = {"record_id"};
static char *case_fields[] = {"record_id", "currency", "quantity", "discount_pct"};

/* The quote replay: cases from cases_file (a fixture name or a path), the
 * outputs cost and list_cost, golden at golden. */
static struct gl_suite *quote_suite(const char *cases_file, const char *golden)
{
	struct gl_suite *s = calloc(1, sizeof *s);
	struct gl_replay *rp = calloc(1, sizeof *rp);
	struct gl_request *req = calloc(1, sizeof *req);
	ck_assert(s && rp && req);
	s->path = strdup("suites/quotes.json");
	s->name = strdup("quotes");
	s->digest = strdup("sha256:00");
	s->replay = rp;
	req->method = strdup("POST");
	req->url = tpl("{{base_url}}/api/costs/quote");
	req->body_kind = GL_BODY_JSON;
	req->body = tpl(quote_body);
	rp->cases_kind = GL_CASES_FILE;
	rp->cases_file = strchr(cases_file, '/') ? strdup(cases_file) : data_path(cases_file);
	rp->keys = keys1;
	rp->n_keys = 1;
	rp->case_fields = case_fields;
	rp->n_case_fields = 4;
	rp->calc = GL_CALC_HTTP;
	rp->request = req;
	rp->n_outputs = 2;
	rp->outputs = calloc(2, sizeof *rp->outputs);
	const char *names[] = {"cost", "list_cost"};
	for (size_t i = 0; i < 2; i++) {
		rp->outputs[i].name = strdup(names[i]);
		char path[32];
		snprintf(path, sizeof path, "$.%s", names[i]);
		rp->outputs[i].path = jp(path);
		rp->outputs[i].tol = gl_tol_spec_default();
		rp->outputs[i].pos = here(10 + (unsigned)i);
	}
	rp->golden = strdup(golden);
	rp->pos = here(3);
	return s;
}

static void quote_suite_free(struct gl_suite *s)
{
	struct gl_replay *rp = s->replay;
	for (size_t i = 0; i < rp->n_outputs; i++) {
		free(rp->outputs[i].name);
		gl_jsonpath_free(rp->outputs[i].path);
	}
	free(rp->outputs);
	free(rp->request->method);
	gl_template_free(rp->request->url);
	gl_template_free(rp->request->body);
	free(rp->request);
	free(rp->cases_file);
	free(rp->golden);
	free(rp);
	free(s->path);
	free(s->name);
	free(s->digest);
	free(s);
}

static struct gl_replay_opts opts_default(void)
{
	return (struct gl_replay_opts){.env = test_env(), .jobs = 8, .allow_edited_golden = true};
}

/* Record the golden of s from a costd without faults. */
static void record(struct gl_suite *s)
{
	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	char err[512] = "";
	int rc = gl_replay_record(s, &o, false, NULL, err, sizeof err);
	ck_assert_msg(rc == 0, "record: %s", err);
	costd_stop();
}

static void result_free(struct gl_suite_result *sr)
{
	struct gl_run_result *run = calloc(1, sizeof *run);
	ck_assert_ptr_nonnull(run);
	run->suites = malloc(sizeof *run->suites);
	ck_assert_ptr_nonnull(run->suites);
	run->suites[0] = *sr;
	run->n_suites = 1;
	gl_run_result_free(run);
}

static const struct gl_case *find_case(const struct gl_suite_result *sr, const char *name)
{
	for (size_t i = 0; i < sr->n_cases; i++)
		if (strcmp(sr->cases[i].name, name) == 0)
			return &sr->cases[i];
	ck_abort_msg("no testcase '%s'", name);
	return NULL;
}

static const char *find_prop(const struct gl_suite_result *sr, const char *name)
{
	for (size_t i = 0; i < sr->n_props; i++)
		if (strcmp(sr->props[i].name, name) == 0)
			return sr->props[i].value;
	ck_abort_msg("no property '%s'", name);
	return NULL;
}

static void dump(const struct gl_suite_result *sr)
{
	for (size_t i = 0; i < sr->n_cases; i++)
		fprintf(stderr, "[%d] %s: %s\n%s\n", sr->cases[i].outcome, sr->cases[i].name,
		        sr->cases[i].message ? sr->cases[i].message : "",
		        sr->cases[i].detail ? sr->cases[i].detail : "");
}

static void assert_outcome(const struct gl_suite_result *sr, const char *name, enum gl_outcome o)
{
	const struct gl_case *c = find_case(sr, name);
	if (c->outcome != o)
		dump(sr);
	ck_assert_msg(c->outcome == o, "'%s': outcome %d, expected %d: %s", name, c->outcome, o,
	              c->message ? c->message : "");
}

static void run(struct gl_suite_result *sr, const struct gl_suite *s,
                const struct gl_replay_opts *o)
{
	ck_assert_int_eq(gl_replay_run(sr, s, o), 0);
	ck_assert_str_eq(sr->name, "quotes");
	for (size_t i = 0; i < sr->n_cases; i++) {
		ck_assert_str_eq(sr->cases[i].classname, "quotes");
		/* every message is one line */
		if (sr->cases[i].message)
			ck_assert_ptr_null(strchr(sr->cases[i].message, '\n'));
		ck_assert(sr->cases[i].outcome == GL_OUT_PASS || sr->cases[i].message);
	}
}

/* Rewrite a golden into a copy line by line: edit(line_no, line, out). */
typedef void (*edit_fn)(unsigned line_no, const char *line, FILE *out);

static char *edit_golden(const char *golden, const char *name, edit_fn edit)
{
	char *copy = tmp_path(name);
	FILE *in = fopen(golden, "r");
	FILE *out = fopen(copy, "w");
	ck_assert(in && out);
	char line[1024];
	unsigned n = 0;
	while (fgets(line, sizeof line, in))
		edit(++n, line, out);
	fclose(in);
	fclose(out);
	/* and its sidecar, which now describes a different file */
	char *meta_in = gl_golden_meta_path(golden);
	char *meta_out = gl_golden_meta_path(copy);
	ck_assert(meta_in && meta_out);
	in = fopen(meta_in, "r");
	out = fopen(meta_out, "w");
	ck_assert(in && out);
	size_t k;
	while ((k = fread(line, 1, sizeof line, in)) > 0)
		ck_assert_uint_eq(fwrite(line, 1, k, out), k);
	fclose(in);
	fclose(out);
	free(meta_in);
	free(meta_out);
	return copy;
}

/* ---- tests ---- */

static struct gl_suite *recorded(void)
{
	char *golden = tmp_path("quotes.csv");
	struct gl_suite *s = quote_suite("quotes.csv", golden);
	free(golden);
	record(s);
	return s;
}

START_TEST(test_clean_passes)
{
	struct gl_suite *s = recorded();
	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	struct gl_suite_result sr;
	run(&sr, s, &o);
	ck_assert_uint_eq(sr.n_cases, 2 * 3 + 1);
	const char *names[] = {"cost within tolerance",
	                       "cost drift",
	                       "cost bias",
	                       "list_cost within tolerance",
	                       "list_cost drift",
	                       "list_cost bias",
	                       "completeness"};
	for (size_t i = 0; i < 7; i++) {
		ck_assert_str_eq(sr.cases[i].name, names[i]);
		assert_outcome(&sr, names[i], GL_OUT_PASS);
	}
	ck_assert_str_eq(find_prop(&sr, "replay.rows.cases"), "28");
	ck_assert_str_eq(find_prop(&sr, "replay.rows.golden"), "28");
	ck_assert_str_eq(find_prop(&sr, "replay.rows.exact"), "28");
	ck_assert_str_eq(find_prop(&sr, "replay.cost.count"), "28");
	ck_assert_str_eq(find_prop(&sr, "replay.cost.max_abs"), "0.000");
	ck_assert_str_eq(find_prop(&sr, "replay.cost.histogram"), "0,0,0,0,28,0,0,0,0");
	ck_assert_int_eq(strncmp(find_prop(&sr, "replay.golden_digest"), "sha256:", 7), 0);
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

/* The planted defect: the boundary quantities (and only they) are out. */
START_TEST(test_tier_boundary_fails_on_boundaries)
{
	struct gl_suite *s = recorded();
	costd_start("tier-boundary");
	struct gl_replay_opts o = opts_default();
	struct gl_suite_result sr;
	run(&sr, s, &o);
	assert_outcome(&sr, "cost within tolerance", GL_OUT_FAIL);
	assert_outcome(&sr, "completeness", GL_OUT_PASS);
	const struct gl_case *c = find_case(&sr, "cost within tolerance");
	ck_assert_msg(strstr(c->message, "4 of 28 cases out of tolerance") != NULL, "%s",
	              c->message);
	/* the worst: 100000 USD, 966.500 billed as 800.000 */
	ck_assert_msg(strstr(c->message, "worst: r-003 expected 966.500 got 800.000 "
	                                 "(diff -166.500)") != NULL,
	              "%s", c->message);
	/* the table lists exactly the boundary keys */
	const char *boundary[] = {"r-001\t", "r-002\t", "r-003\t", "r-004\t"};
	for (size_t i = 0; i < 4; i++)
		ck_assert_msg(strstr(c->detail, boundary[i]) != NULL, "%s", c->detail);
	unsigned lines = 0;
	for (const char *p = c->detail; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 4); /* header + 4 rows */
	ck_assert_str_eq(find_prop(&sr, "replay.rows.out"), "4");
	ck_assert_str_eq(find_prop(&sr, "replay.rows.exact"), "24");
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

/* Every case within tolerance, but the ties all lean up. */
START_TEST(test_round_half_up_drifts_and_biases)
{
	struct gl_suite *s = recorded();
	costd_start("round-half-up");
	struct gl_replay_opts o = opts_default();
	struct gl_suite_result sr;
	run(&sr, s, &o);
	assert_outcome(&sr, "cost within tolerance", GL_OUT_PASS);
	assert_outcome(&sr, "cost drift", GL_OUT_FAIL);
	assert_outcome(&sr, "cost bias", GL_OUT_FAIL);
	assert_outcome(&sr, "completeness", GL_OUT_PASS);
	const struct gl_case *c = find_case(&sr, "cost drift");
	ck_assert_msg(strstr(c->message, "drift +0.014 over 28 cases exceeds the budget 0.001"),
	              "%s", c->message);
	c = find_case(&sr, "cost bias");
	ck_assert_msg(strstr(c->message, "lean upward") != NULL, "%s", c->message);
	ck_assert_str_eq(find_prop(&sr, "replay.rows.within"), "14");
	ck_assert_str_eq(find_prop(&sr, "replay.cost.histogram"), "0,0,0,0,14,0,14,0,0");
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

static void edit_plus_0001(unsigned n, const char *line, FILE *out)
{
	/* r-010 is USD 3: cost and list_cost 0.038 */
	if (strncmp(line, "r-010,", 6) == 0)
		fputs("r-010,0.039,0.038\n", out);
	else
		fputs(line, out);
}

static void edit_plus_00011(unsigned n, const char *line, FILE *out)
{
	if (strncmp(line, "r-010,", 6) == 0)
		fputs("r-010,0.0391,0.038\n", out);
	else
		fputs(line, out);
}

/* The tolerance is inclusive, and exact: 0.001 passes, 0.0011 does not. */
START_TEST(test_tolerance_edge)
{
	struct gl_suite *s = recorded();
	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	struct gl_suite_result sr;

	char *orig = s->replay->golden;
	s->replay->golden = edit_golden(orig, "plus-0.001.csv", edit_plus_0001);
	run(&sr, s, &o);
	for (size_t i = 0; i < sr.n_cases; i++)
		assert_outcome(&sr, sr.cases[i].name, GL_OUT_PASS);
	ck_assert_str_eq(find_prop(&sr, "replay.cost.max_abs"), "0.001");
	result_free(&sr);
	free(s->replay->golden);

	s->replay->golden = edit_golden(orig, "plus-0.0011.csv", edit_plus_00011);
	run(&sr, s, &o);
	assert_outcome(&sr, "cost within tolerance", GL_OUT_FAIL);
	const struct gl_case *c = find_case(&sr, "cost within tolerance");
	ck_assert_msg(strstr(c->message, "1 of 28 cases out of tolerance 0.001; worst: r-010 "
	                                 "expected 0.0391 got 0.038 (diff -0.0011)"),
	              "%s", c->message);
	result_free(&sr);
	free(s->replay->golden);
	s->replay->golden = orig;

	/* an edited golden is refused unless allowed */
	s->replay->golden = edit_golden(orig, "edited.csv", edit_plus_0001);
	o.allow_edited_golden = false;
	run(&sr, s, &o);
	for (size_t i = 0; i < sr.n_cases; i++)
		assert_outcome(&sr, sr.cases[i].name, GL_OUT_ERROR);
	result_free(&sr);
	free(s->replay->golden);
	s->replay->golden = orig;
	quote_suite_free(s);
}
END_TEST

static void edit_garbage(unsigned n, const char *line, FILE *out)
{
	if (strncmp(line, "r-005,", 6) == 0)
		return; /* missing */
	if (strncmp(line, "r-007,", 6) == 0) {
		fputs(line, out);
		fputs(line, out); /* duplicate */
		return;
	}
	if (strncmp(line, "r-011,", 6) == 0) {
		fputs("r-011,12.5x,2166.500\n", out); /* unparsable */
		return;
	}
	if (strncmp(line, "r-012,", 6) == 0) {
		fputs("r-012,1\n", out); /* wrong number of fields */
		return;
	}
	fputs(line, out);
	if (strncmp(line, "r-028,", 6) == 0)
		fputs("r-099,1.000,1.000\n", out); /* extra: never produced */
}

START_TEST(test_golden_defects_in_completeness)
{
	struct gl_suite *s = recorded();
	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	struct gl_suite_result sr;
	char *orig = s->replay->golden;
	s->replay->golden = edit_golden(orig, "garbage.csv", edit_garbage);
	free(orig);
	run(&sr, s, &o);
	assert_outcome(&sr, "completeness", GL_OUT_FAIL);
	const struct gl_case *c = find_case(&sr, "completeness");
	/* r-012's row is malformed, so r-012 is unexpected like r-005 */
	const char *want[] = {
	        "missing (1):\n  r-099",   "unexpected (2):\n  r-005\n  r-012",
	        "duplicate key 'r-007'",   "r-011 cost: golden '12.5x' is not a decimal number",
	        "malformed rows (1):\n  ", "garbage.csv:13: expected 3 fields, got 2"};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		ck_assert_msg(strstr(c->detail, want[i]) != NULL, "no '%s' in:\n%s", want[i],
		              c->detail);
	ck_assert_msg(strstr(c->message, "1 missing, 2 unexpected, 1 unparsable") != NULL, "%s",
	              c->message);
	/* what is there still compares */
	assert_outcome(&sr, "cost within tolerance", GL_OUT_PASS);
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

START_TEST(test_cases_out_of_order)
{
	struct gl_suite *s = recorded();
	/* the same cases with two rows swapped */
	char *src = data_path("quotes.csv");
	char *swapped = tmp_path("swapped.csv");
	FILE *in = fopen(src, "r");
	FILE *out = fopen(swapped, "w");
	ck_assert(in && out);
	char lines[64][256];
	unsigned n = 0;
	while (n < 64 && fgets(lines[n], sizeof lines[n], in))
		n++;
	char t[256];
	memcpy(t, lines[5], sizeof t);
	memcpy(lines[5], lines[6], sizeof t);
	memcpy(lines[6], t, sizeof t);
	for (unsigned i = 0; i < n; i++)
		fputs(lines[i], out);
	fclose(in);
	fclose(out);
	free(s->replay->cases_file);
	s->replay->cases_file = swapped;
	free(src);

	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	struct gl_suite_result sr;
	run(&sr, s, &o);
	assert_outcome(&sr, "completeness", GL_OUT_FAIL);
	const struct gl_case *c = find_case(&sr, "completeness");
	ck_assert_msg(strstr(c->detail, "out of order: 'r-005' after 'r-006'") != NULL, "%s",
	              c->detail);
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

START_TEST(test_shards_cover_every_case_once)
{
	struct gl_suite *s = recorded();
	costd_start(NULL);
	unsigned long cases = 0, golden = 0, exact = 0;
	for (unsigned k = 1; k <= 2; k++) {
		struct gl_replay_opts o = opts_default();
		o.shard_k = k;
		o.shard_n = 2;
		struct gl_suite_result sr;
		run(&sr, s, &o);
		for (size_t i = 0; i < sr.n_cases; i++)
			assert_outcome(&sr, sr.cases[i].name, GL_OUT_PASS);
		char want[8];
		snprintf(want, sizeof want, "%u/2", k);
		ck_assert_str_eq(find_prop(&sr, "replay.shard"), want);
		unsigned long c = strtoul(find_prop(&sr, "replay.rows.cases"), NULL, 10);
		ck_assert_uint_gt(c, 0);
		ck_assert_uint_lt(c, N_CASES);
		cases += c;
		golden += strtoul(find_prop(&sr, "replay.rows.golden"), NULL, 10);
		exact += strtoul(find_prop(&sr, "replay.rows.exact"), NULL, 10);
		result_free(&sr);
	}
	ck_assert_uint_eq(cases, N_CASES);
	ck_assert_uint_eq(golden, N_CASES);
	ck_assert_uint_eq(exact, N_CASES);
	quote_suite_free(s);
}
END_TEST

START_TEST(test_per_case)
{
	struct gl_suite *s = recorded();
	costd_start("tier-boundary");
	struct gl_replay_opts o = opts_default();
	o.per_case = true;
	struct gl_suite_result sr;
	run(&sr, s, &o);
	ck_assert_uint_eq(sr.n_cases, N_CASES + 2 * 2 + 1);
	assert_outcome(&sr, "r-001", GL_OUT_FAIL);
	assert_outcome(&sr, "r-005", GL_OUT_PASS);
	const struct gl_case *c = find_case(&sr, "r-003");
	ck_assert_msg(strstr(c->message, "cost: expected 966.500 got 800.000") != NULL, "%s",
	              c->message);
	ck_assert_str_eq(c->id, "quotes/r-003");
	size_t failed = 0;
	for (size_t i = 0; i < sr.n_cases; i++)
		failed += sr.cases[i].outcome == GL_OUT_FAIL;
	/* four boundary cases; cost and list_cost drift; no bias (four cases) */
	ck_assert_uint_eq(failed, 4 + 2);
	assert_outcome(&sr, "completeness", GL_OUT_PASS);
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

START_TEST(test_golden_missing_is_error)
{
	char *golden = tmp_path("no-such-golden.csv");
	struct gl_suite *s = quote_suite("quotes.csv", golden);
	free(golden);
	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	struct gl_suite_result sr;
	run(&sr, s, &o);
	ck_assert_uint_eq(sr.n_cases, 7);
	for (size_t i = 0; i < sr.n_cases; i++) {
		ck_assert_int_eq(sr.cases[i].outcome, GL_OUT_ERROR);
		ck_assert_msg(strstr(sr.cases[i].message, "no-such-golden.csv") != NULL, "%s",
		              sr.cases[i].message);
	}
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

START_TEST(test_fixture_missing_is_error)
{
	struct gl_suite *s = recorded();
	free(s->replay->cases_file);
	s->replay->cases_file = tmp_path("no-such-cases.csv");
	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	struct gl_suite_result sr;
	run(&sr, s, &o);
	for (size_t i = 0; i < sr.n_cases; i++)
		ck_assert_int_eq(sr.cases[i].outcome, GL_OUT_ERROR);
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

/* The service stops answering: errors, never a pass. */
START_TEST(test_target_down_is_error)
{
	struct gl_suite *s = recorded();
	/* nothing listens at base_url any more */
	struct gl_replay_opts o = opts_default();
	struct gl_suite_result sr;
	run(&sr, s, &o);
	assert_outcome(&sr, "completeness", GL_OUT_ERROR);
	assert_outcome(&sr, "cost within tolerance", GL_OUT_ERROR);
	ck_assert_str_eq(find_prop(&sr, "replay.rows.errors"), "28");
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

/* A golden must be complete: a case the service rejects stops recording. */
START_TEST(test_record_refuses_errors)
{
	char *cases = tmp_path("bad-cases.csv");
	FILE *f = fopen(cases, "w");
	ck_assert_ptr_nonnull(f);
	fputs("record_id,currency,quantity,discount_pct\nr-1,USD,1,0\nr-2,XXX,1,0\n", f);
	fclose(f);
	char *golden = tmp_path("bad.csv");
	struct gl_suite *s = quote_suite(cases, golden);
	free(cases);
	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	char err[512] = "";
	ck_assert_int_eq(gl_replay_record(s, &o, false, NULL, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "case 'r-2': HTTP 400") != NULL, "%s", err);
	ck_assert_int_ne(access(golden, F_OK), 0);
	free(golden);
	quote_suite_free(s);
}
END_TEST

/* ---- http_replay: order under concurrency ---- */

static char *slow_fields[] = {"i", "ms"};

START_TEST(test_http_replay_keeps_submission_order)
{
	costd_start(NULL);
	struct gl_request req = {.method = "GET", .url = tpl("{{base_url}}/test/slow")};
	struct gl_kv q = {.name = "ms", .value = tpl("{{case.ms}}")};
	req.query = &q;
	req.n_query = 1;
	struct gl_jsonpath *path = jp("$.slept_ms");
	const struct gl_jsonpath *paths[] = {path};
	struct gl_http_replay *h = NULL;
	char err[256] = "";
	ck_assert_msg(gl_http_replay_open(&h, &req, test_env(), (const char *const *)slow_fields, 2,
	                                  paths, 1, 8, err, sizeof err) == 0,
	              "%s", err);
	/* each earlier case sleeps longer: responses finish in reverse order
	 * within each window of eight */
	enum { N = 40 };
	unsigned submitted = 0, taken = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		while (submitted < N && gl_http_replay_can_submit(h)) {
			char i[16], ms[16];
			snprintf(i, sizeof i, "%u", submitted);
			snprintf(ms, sizeof ms, "%u", (7 - submitted % 8) * 15);
			const char *v[] = {i, ms};
			ck_assert_int_eq(gl_http_replay_submit(h, v, err, sizeof err), 0);
			submitted++;
		}
		struct gl_hr_done d;
		int rc = gl_http_replay_next(h, &d, submitted < N, err, sizeof err);
		ck_assert_int_ge(rc, 0);
		if (rc == GL_HR_IDLE)
			break;
		if (rc == GL_HR_AGAIN)
			continue;
		ck_assert_int_eq(d.error, GL_HR_OK);
		ck_assert_uint_eq(d.seq, taken);
		char want[16];
		snprintf(want, sizeof want, "%u", taken);
		ck_assert_str_eq(d.values[0], want);
		ck_assert_str_eq(d.outputs[0], d.values[1]);
		taken++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_uint_eq(taken, N);
	/* concurrent: 40 cases of 52 ms on average take far less than 2 s */
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(s < 1.2, "took %.2f s", s);
	gl_http_replay_close(h);
	gl_jsonpath_free(path);
	gl_template_free(req.url);
	gl_template_free(q.value);
}
END_TEST

/* Errors per case: status, missing path, null field; in order. */
START_TEST(test_http_replay_errors)
{
	costd_start(NULL);
	struct gl_request req = {.method = "GET",
	                         .url = tpl("{{base_url}}/test/status/{{case.ms}}")};
	struct gl_jsonpath *path = jp("$.status");
	const struct gl_jsonpath *paths[] = {path};
	struct gl_http_replay *h = NULL;
	char err[256] = "";
	ck_assert_int_eq(gl_http_replay_open(&h, &req, test_env(), (const char *const *)slow_fields,
	                                     2, paths, 1, 2, err, sizeof err),
	                 0);
	const char *v0[] = {"0", "200"};
	const char *v1[] = {"1", "500"};
	const char *v2[] = {"2", NULL};
	ck_assert_int_eq(gl_http_replay_submit(h, v0, err, sizeof err), 0);
	ck_assert_int_eq(gl_http_replay_submit(h, v1, err, sizeof err), 0);
	struct gl_hr_done d;
	ck_assert_int_eq(gl_http_replay_next(h, &d, false, err, sizeof err), GL_HR_DONE);
	ck_assert_int_eq(d.error, GL_HR_OK);
	ck_assert_str_eq(d.outputs[0], "200");
	ck_assert_int_eq(gl_http_replay_next(h, &d, false, err, sizeof err), GL_HR_DONE);
	ck_assert_int_eq(d.error, GL_HR_ANSWER);
	ck_assert_msg(strncmp(d.reason, "HTTP 500", 8) == 0, "%s", d.reason);
	ck_assert_int_eq(gl_http_replay_submit(h, v2, err, sizeof err), 0);
	ck_assert_int_eq(gl_http_replay_next(h, &d, false, err, sizeof err), GL_HR_DONE);
	ck_assert_int_eq(d.error, GL_HR_RENDER);
	ck_assert_msg(strstr(d.reason, "'ms' is null") != NULL, "%s", d.reason);
	ck_assert_int_eq(gl_http_replay_next(h, &d, false, err, sizeof err), GL_HR_IDLE);
	gl_http_replay_close(h);

	/* an unknown case field is refused at open */
	struct gl_request bad = {.method = "GET", .url = tpl("{{base_url}}/{{case.nope}}")};
	ck_assert_int_eq(gl_http_replay_open(&h, &bad, test_env(), (const char *const *)slow_fields,
	                                     2, paths, 1, 2, err, sizeof err),
	                 -1);
	ck_assert_str_eq(err, "'case.nope' is not a field of the cases");
	gl_template_free(bad.url);
	gl_jsonpath_free(path);
	gl_template_free(req.url);
}
END_TEST

/* The stop question is asked before each wait: a case that never comes
 * back does not hold the caller once it says yes. */
static int stop_asked;

static bool stop_on_second_ask(void *ctx)
{
	(void)ctx;
	return ++stop_asked >= 2;
}

START_TEST(test_http_replay_stop_question)
{
	costd_start(NULL);
	struct gl_request req = {
	        .method = "GET", .url = tpl("{{base_url}}/test/hang"), .timeout_ms = 60000};
	struct gl_jsonpath *path = jp("$.status");
	const struct gl_jsonpath *paths[] = {path};
	struct gl_http_replay *h = NULL;
	char err[256] = "";
	ck_assert_int_eq(gl_http_replay_open(&h, &req, test_env(), (const char *const *)slow_fields,
	                                     2, paths, 1, 2, err, sizeof err),
	                 0);
	gl_http_replay_on_stop(h, stop_on_second_ask, NULL);
	const char *v[] = {"0", "0"};
	ck_assert_int_eq(gl_http_replay_submit(h, v, err, sizeof err), 0);
	struct gl_hr_done d;
	ck_assert_int_eq(gl_http_replay_next(h, &d, false, err, sizeof err), GL_HR_STOP);
	ck_assert_int_eq(stop_asked, 2);
	gl_http_replay_close(h);
	gl_jsonpath_free(path);
	gl_template_free(req.url);
}
END_TEST

/* Regression: a deadline (or SIGINT, SIGTERM) passing while the target was
 * slow went unseen until every case in flight had come back, and the merge
 * looked only every 64 rows: with 28 cases never. It stops at the deadline
 * now and says so. */
START_TEST(test_deadline_stops_a_slow_replay)
{
	struct gl_suite *s = recorded();
	costd_stop();
	costd_start("slow"); /* every answer takes 2 s: 28 cases, 8 at a time, 8 s */
	struct gl_replay_opts o = opts_default();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	o.deadline_mono = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9 + 0.5;
	struct gl_suite_result sr;
	run(&sr, s, &o);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_outcome(&sr, "completeness", GL_OUT_ERROR);
	const struct gl_case *c = find_case(&sr, "completeness");
	ck_assert_msg(strstr(c->message, "deadline") != NULL, "%s", c->message);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(took < 5, "took %.2f s", took); /* a bound on a hang, not a timing */
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

/* GL_REPLAY_BENCH=N: record and replay N generated cases, print cases/s. */
START_TEST(test_bench)
{
	const char *nv = getenv("GL_REPLAY_BENCH");
	if (!nv)
		return;
	unsigned long n = strtoul(nv, NULL, 10);
	char *cases = tmp_path("bench.csv");
	FILE *f = fopen(cases, "w");
	ck_assert_ptr_nonnull(f);
	fputs("record_id,currency,quantity,discount_pct\n", f);
	for (unsigned long i = 0; i < n; i++)
		fprintf(f, "r-%08lu,USD,%lu.%02lu,%lu\n", i, (i * 7919) % 200000, i % 100, i % 50);
	fclose(f);
	char *golden = tmp_path("bench-golden.csv");
	struct gl_suite *s = quote_suite(cases, golden);
	free(cases);
	free(golden);
	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	char err[512] = "";
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(gl_replay_record(s, &o, false, NULL, err, sizeof err) == 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct gl_suite_result sr;
	run(&sr, s, &o);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	assert_outcome(&sr, "completeness", GL_OUT_PASS);
	double r = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double p = (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
	fprintf(stderr,
	        "bench: %lu cases, jobs 8: record %.2f s (%.0f/s), replay %.2f s (%.0f/s)\n", n, r,
	        (double)n / r, p, (double)n / p);
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

/* ---- PostgreSQL-backed modes (tests/pg.sh, as tests/check_pg.c) ---- */

static char pg_dir[64];
static char pg_url[512];
static char src_dir[1024];

static int pg_sh(const char *script)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "D='%s' bash -c '. \"%s/tests/pg.sh\" && %s' >/dev/null", pg_dir,
	         src_dir, script);
	return system(cmd);
}

static void pg_up(void)
{
	const char *src = getenv("SRCDIR");
	const char *data = getenv("GL_TEST_DATA");
	if (src)
		snprintf(src_dir, sizeof src_dir, "%s", src);
	else if (data)
		snprintf(src_dir, sizeof src_dir, "%s/../..", data);
	else
		ck_abort_msg("SRCDIR or GL_TEST_DATA must name the sources");
	snprintf(pg_dir, sizeof pg_dir, "/tmp/gl-replay-pg-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(pg_dir));
	ck_assert_msg(pg_sh("pg_start \"$D\" && printf %s \"$PG_URL\" > \"$D/url\"") == 0,
	              "pg_start failed: is PostgreSQL installed?");
	char path[128];
	snprintf(path, sizeof path, "%s/url", pg_dir);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(pg_url, 1, sizeof pg_url - 1, f);
	pg_url[n] = '\0';
	fclose(f);
	ck_assert_str_ne(pg_url, "");
}

static void pg_down(void)
{
	if (!pg_dir[0])
		return;
	if (pg_sh("pg_stop \"$D\" && rm -rf \"$D\"") != 0)
		fprintf(stderr, "check_replay: could not stop the server in %s\n", pg_dir);
	pg_dir[0] = '\0';
}

static struct gl_var pg_vars[2];
static struct gl_env pg_env = {.name = "pg", .path = "environments/pg.json"};

static const struct gl_env *db_env(const char *url)
{
	pg_vars[0] = (struct gl_var){.name = "base_url", .value = base_url};
	pg_vars[1] = (struct gl_var){.name = "database_url", .value = (char *)url};
	pg_env.vars = pg_vars;
	pg_env.n_vars = 2;
	return &pg_env;
}

static void seed(void)
{
	struct gl_pg *pg = NULL;
	char err[512] = "", schema[1200], csv[1200];
	ck_assert_msg(gl_pg_connect(&pg, pg_url, err, sizeof err) == 0, "%s", err);
	snprintf(schema, sizeof schema, "%s/fixtures/schema.sql", src_dir);
	snprintf(csv, sizeof csv, "%s/tests/data/pg/usage.csv", src_dir);
	const char *tables[] = {"usage"};
	const char *paths[] = {csv};
	unsigned long rows = 0;
	ck_assert_msg(gl_pg_seed(&rows, pg, schema, tables, paths, 1, err, sizeof err) == 0, "%s",
	              err);
	gl_pg_close(pg);
}

static const char *cases_sql = "SELECT record_id, currency, quantity::text AS quantity, "
                               "coalesce(discount_pct, 0)::text AS discount_pct FROM usage "
                               "ORDER BY record_id COLLATE \"C\"";

/* Cases from SQL, computed by costd, recorded; then the same golden replayed
 * from the database's own model (bulk SQL): the two implementations agree. */
START_TEST(test_sql_cases_and_bulk)
{
	seed();
	char *golden = tmp_path("usage.csv");
	struct gl_suite *s = quote_suite("quotes.csv", golden);
	free(golden);
	struct gl_replay *rp = s->replay;
	rp->cases_kind = GL_CASES_SQL;
	rp->cases_sql = (char *)cases_sql;
	costd_start(NULL);
	struct gl_replay_opts o = opts_default();
	o.env = db_env(pg_url);
	char err[512] = "";
	ck_assert_msg(gl_replay_record(s, &o, false, NULL, err, sizeof err) == 0, "%s", err);

	struct gl_suite_result sr;
	run(&sr, s, &o);
	for (size_t i = 0; i < sr.n_cases; i++)
		assert_outcome(&sr, sr.cases[i].name, GL_OUT_PASS);
	unsigned long all = strtoul(find_prop(&sr, "replay.rows.cases"), NULL, 10);
	ck_assert_uint_gt(all, 0);
	result_free(&sr);

	/* shards pushed into the query still cover every case once */
	unsigned long sum = 0;
	for (unsigned k = 1; k <= 2; k++) {
		o.shard_k = k;
		o.shard_n = 2;
		run(&sr, s, &o);
		sum += strtoul(find_prop(&sr, "replay.rows.cases"), NULL, 10);
		ck_assert_str_eq(find_prop(&sr, "replay.rows.missing"), "0");
		ck_assert_str_eq(find_prop(&sr, "replay.rows.unexpected"), "0");
		result_free(&sr);
	}
	ck_assert_uint_eq(sum, all);
	o.shard_k = o.shard_n = 0;

	rp->cases_kind = GL_CASES_NONE;
	rp->calc = GL_CALC_BULK_SQL;
	rp->bulk_sql = "SELECT record_id, cost::text AS cost, list_cost::text AS list_cost "
	               "FROM quotes ORDER BY record_id COLLATE \"C\"";
	run(&sr, s, &o);
	for (size_t i = 0; i < sr.n_cases; i++)
		assert_outcome(&sr, sr.cases[i].name, GL_OUT_PASS);
	result_free(&sr);
	rp->bulk_sql = NULL;
	rp->cases_sql = NULL;
	quote_suite_free(s);
}
END_TEST

/* Nothing listens on port 1: every testcase an error, none a pass. */
START_TEST(test_database_unreachable_is_error)
{
	struct gl_suite *s = recorded();
	s->replay->cases_kind = GL_CASES_SQL;
	s->replay->cases_sql = (char *)"SELECT 1";
	struct gl_replay_opts o = opts_default();
	o.env = db_env("postgresql://greenlight:pw@127.0.0.1:1/greenlight?connect_timeout=2");
	struct gl_suite_result sr;
	run(&sr, s, &o);
	ck_assert_uint_eq(sr.n_cases, 7);
	for (size_t i = 0; i < sr.n_cases; i++) {
		ck_assert_int_eq(sr.cases[i].outcome, GL_OUT_ERROR);
		ck_assert_msg(strstr(sr.cases[i].message, "database unreachable") != NULL, "%s",
		              sr.cases[i].message);
	}
	s->replay->cases_sql = NULL;
	result_free(&sr);
	quote_suite_free(s);
}
END_TEST

Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_clean_passes);
	tcase_add_test(tc, test_tier_boundary_fails_on_boundaries);
	tcase_add_test(tc, test_round_half_up_drifts_and_biases);
	tcase_add_test(tc, test_tolerance_edge);
	tcase_add_test(tc, test_golden_defects_in_completeness);
	tcase_add_test(tc, test_cases_out_of_order);
	tcase_add_test(tc, test_shards_cover_every_case_once);
	tcase_add_test(tc, test_per_case);
	tcase_add_test(tc, test_golden_missing_is_error);
	tcase_add_test(tc, test_fixture_missing_is_error);
	tcase_add_test(tc, test_target_down_is_error);
	tcase_add_test(tc, test_record_refuses_errors);
	tcase_add_test(tc, test_http_replay_keeps_submission_order);
	tcase_add_test(tc, test_http_replay_errors);
	tcase_add_test(tc, test_http_replay_stop_question);
	tcase_add_test(tc, test_deadline_stops_a_slow_replay);
	tcase_add_test(tc, test_bench);
	tcase_add_test(tc, test_database_unreachable_is_error);
	suite_add_tcase(s, tc);

	TCase *pg = tcase_create("pg");
	tcase_add_unchecked_fixture(pg, pg_up, pg_down);
	tcase_add_checked_fixture(pg, setup, teardown);
	tcase_set_timeout(pg, 120);
	tcase_add_test(pg, test_sql_cases_and_bulk);
	suite_add_tcase(s, pg);
	return s;
}
