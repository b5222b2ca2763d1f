/* greenlight: argv -> cli -> suites and environment -> plan -> run -> reports
 * -> exit code. Every exit code comes from exitcode.h. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "env.h"
#include "exitcode.h"
#include "gate.h"
#include "http.h"
#include "junit_read.h"
#include "merge.h"
#include "pg.h"
#include "plan.h"
#include "redact.h"
#include "replay.h"
#include "report.h"
#include "result.h"
#include "suite.h"
#include "verdict.h"

struct inputs {
	struct gl_env *env;
	char **paths;
	size_t n_paths;
	struct gl_suite **suites;
	size_t n_suites;
};

static void inputs_release(struct inputs *in)
{
	for (size_t i = 0; i < in->n_suites; i++)
		gl_suite_free(in->suites[i]);
	free(in->suites);
	gl_plan_paths_free(in->paths, in->n_paths);
	gl_env_free(in->env);
	memset(in, 0, sizeof(*in));
}

/* Two suites with one name would give two JUnit testsuites with one name and
 * ambiguous ids: refuse. */
static void check_unique_names(const struct inputs *in, struct gl_diag *diag)
{
	for (size_t i = 0; i < in->n_suites; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(in->suites[i]->name, in->suites[j]->name) == 0)
				gl_diag_add(diag, (struct gl_pos){in->suites[i]->path, 0, 0},
				            "duplicate suite name '%s' (also in '%s')",
				            in->suites[i]->name, in->suites[j]->path);
}

/* Load everything a command needs; every problem of every file lands in
 * diag. Secrets are resolved later, once the selection says which are used. */
static int load_inputs(struct inputs *in, const struct gl_cli *cli, struct gl_diag *diag)
{
	memset(in, 0, sizeof(*in));
	if (gl_env_load(&in->env, cli->env_dir, cli->env_name, diag) == 0)
		gl_env_apply_overrides(in->env, cli->vars, cli->n_vars, diag);

	gl_plan_expand_paths(&in->paths, &in->n_paths, cli->paths, cli->n_paths, diag);
	in->suites = calloc(in->n_paths ? in->n_paths : 1, sizeof(*in->suites));
	if (!in->suites) {
		gl_diag_add(diag, (struct gl_pos){"greenlight", 0, 0}, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < in->n_paths; i++) {
		struct gl_suite *s = NULL;
		if (gl_suite_load(&s, in->paths[i], diag) == 0)
			in->suites[in->n_suites++] = s;
	}
	check_unique_names(in, diag);
	if (in->env)
		for (size_t i = 0; i < in->n_suites; i++)
			gl_suite_check_names(in->suites[i], gl_env_knows, in->env, diag);
	return gl_diag_errors(diag) ? -1 : 0;
}

/* Whether anything of suite s is selected (sel: its row of the selection). */
static bool suite_selected(const struct gl_suite *s, const enum gl_sel *sel)
{
	for (size_t j = 0; j < (s->replay ? 1 : s->n_checks); j++)
		if (sel[j] != GL_SEL_OUT)
			return true;
	return false;
}

/* gl_name_known_fn that also marks the name as used. */
static int knows_and_marks(void *env, const char *name)
{
	gl_env_mark_used(env, name);
	return gl_env_knows(env, name);
}

/* Resolve exactly the secrets the selected suites (and the environment's
 * health check) use: one nothing selected needs does not stop a run. */
static int resolve_used_secrets(struct inputs *in, enum gl_sel **sel, struct gl_diag *diag)
{
	struct gl_diag scratch;
	size_t before = gl_diag_errors(diag);

	gl_diag_init(&scratch); /* names were checked at load; only marking here */
	for (size_t i = 0; i < in->n_suites; i++) {
		const struct gl_suite *s = in->suites[i];
		if (!suite_selected(s, sel[i]))
			continue;
		gl_suite_check_names(s, knows_and_marks, in->env, &scratch);
		/* Checked here, for what is selected, not at load: the same
		 * suites/ directory runs against environments without a database
		 * when only the smoke checks are selected. */
		if (s->replay && gl_replay_uses_database(s->replay)) {
			if (!gl_env_knows(in->env, "database_url"))
				gl_diag_add(
				        diag, s->replay->pos,
				        "this replay reads a database, but environment '%s' has "
				        "no 'database_url' variable",
				        in->env->name);
			gl_env_mark_used(in->env, "database_url");
		}
	}
	gl_diag_release(&scratch);
	if (in->env->health && in->env->health->url)
		for (size_t i = 0; i < gl_template_n_names(in->env->health->url); i++)
			gl_env_mark_used(in->env, gl_template_name(in->env->health->url, i));
	if (gl_env_resolve_used_secrets(in->env, diag) < 0 || gl_diag_errors(diag) > before)
		return -1;
	return 0;
}

static size_t suites_selected(const struct inputs *in, enum gl_sel **sel)
{
	size_t n = 0;
	for (size_t i = 0; i < in->n_suites; i++)
		n += suite_selected(in->suites[i], sel[i]);
	return n;
}

/* Loud, first thing, on every command that sends (or would send) this
 * environment's requests: nothing it proves is about a verified target. */
static void warn_tls_off(const struct gl_env *env)
{
	if (!env->tls_verify_off)
		return;
	fprintf(stderr,
	        "greenlight: warning: TLS certificate verification is OFF for environment '%s' "
	        "(%s:%u:%u)\n",
	        env->name, env->tls_verify_pos.file ? env->tls_verify_pos.file : env->path,
	        env->tls_verify_pos.line, env->tls_verify_pos.col);
}

static int print_invalid(const struct gl_diag *diag)
{
	gl_diag_print(diag, stderr);
	fprintf(stderr, "greenlight: %zu error%s; nothing was sent\n", gl_diag_errors(diag),
	        gl_diag_errors(diag) == 1 ? "" : "s");
	return GL_EXIT_INVALID;
}

static void register_secrets(const struct gl_env *env)
{
	for (size_t i = 0; i < env->n_vars; i++) {
		if (env->vars[i].secret && env->vars[i].value)
			gl_redact_add(env->vars[i].value);
		/* base_url=https://user:password@host, a database URL given with
		 * --var: the password is a secret wherever it comes from. */
		if (env->vars[i].value)
			gl_redact_add_url_password(env->vars[i].value);
	}
}

static void list_checks(FILE *fp, const struct inputs *in, enum gl_sel **sel)
{
	static const char *const calc_names[] = {"http", "sql", "bulk_sql", "file"};
	for (size_t i = 0; i < in->n_suites; i++) {
		const struct gl_suite *s = in->suites[i];
		if (s->replay) {
			if (sel[i][0] == GL_SEL_RUN)
				fprintf(fp, "%s/replay  (replay: %s, %zu output%s, golden %s)\n",
				        s->name, calc_names[s->replay->calc], s->replay->n_outputs,
				        s->replay->n_outputs == 1 ? "" : "s", s->replay->golden);
			continue;
		}
		for (size_t j = 0; j < s->n_checks; j++) {
			const struct gl_check *c = &s->checks[j];
			if (sel[i][j] == GL_SEL_OUT)
				continue;
			fprintf(fp, "%s/%s", s->name, c->id);
			if (c->is_flow)
				fprintf(fp, "  (flow: %zu steps)", c->n_steps);
			for (size_t t = 0; t < c->n_tags; t++)
				fprintf(fp, "%s#%s", t == 0 ? "  " : " ", c->tags[t]);
			if (c->mutating)
				fputs("  mutating", fp);
			if (sel[i][j] == GL_SEL_SKIP_MUTATING)
				fputs("  [skipped: production environment]", fp);
			fputc('\n', fp);
		}
	}
}

static void on_signal(int sig)
{
	gl_http_request_stop_signal(sig);
}

static void install_signal_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static bool use_color(void)
{
	const char *no_color = getenv("NO_COLOR");
	if (no_color && no_color[0])
		return false;
	return isatty(STDOUT_FILENO) == 1;
}

static struct gl_replay_opts replay_opts(const struct gl_cli *cli, const struct inputs *in)
{
	return (struct gl_replay_opts){
	        .env = in->env,
	        .jobs = cli->jobs,
	        .shard_k = cli->shard_k,
	        .shard_n = cli->shard_n,
	        .per_case = cli->junit_per_case,
	};
}

static char *not_run_reason(const char *prefix, const char *reason)
{
	size_t len = strlen(prefix) + strlen(reason ? reason : "not ready") + 1;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%s%s", prefix, reason ? reason : "not ready");
	return p;
}

/* Run the selected replay suites and put their results among the smoke
 * suites' in the order the suite files were given, so reports read in
 * declaration order. */
static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_replays(struct gl_run_result *result, const struct gl_cli *cli,
                       const struct inputs *in, enum gl_sel **sel, double deadline_mono)
{
	struct gl_replay_opts opts = replay_opts(cli, in);
	opts.deadline_mono = deadline_mono;
	struct gl_suite_result *merged =
	        calloc(in->n_suites + result->n_suites + 1, sizeof(*merged));
	size_t n = 0;
	size_t next_http = 0;
	int failed = 0;

	if (!merged)
		return -1;
	for (size_t i = 0; i < in->n_suites && !failed; i++) {
		const struct gl_suite *s = in->suites[i];
		if (s->replay) {
			if (sel[i][0] != GL_SEL_RUN)
				continue;
			int rc;
			if (result->not_ready) {
				char *why = not_run_reason("not run: ", result->not_ready_reason);
				rc = why ? gl_replay_not_run(&merged[n], s, opts.per_case,
				                             GL_OUT_SKIP, why)
				         : -1;
				free(why);
			} else if (result->interrupted || gl_http_stop_pending() ||
			           (deadline_mono > 0 && mono_now() >= deadline_mono)) {
				result->interrupted = 1;
				rc = gl_replay_not_run(&merged[n], s, opts.per_case, GL_OUT_ERROR,
				                       "interrupted before the replay ran");
			} else {
				if (isatty(STDERR_FILENO) == 1)
					fprintf(stderr, "greenlight: replaying '%s'\n", s->name);
				rc = gl_replay_run(&merged[n], s, &opts);
			}
			/* Out of memory: the replays' results so far, and whatever
			 * the failed one holds, go into result with the rest, for
			 * the caller to free; they leaked before. */
			failed = rc < 0;
			n++;
		} else if (next_http < result->n_suites &&
		           strcmp(result->suites[next_http].name, s->name) == 0) {
			merged[n++] = result->suites[next_http++];
		}
	}
	/* Anything the loop did not place (it cannot happen: http.c keeps suite
	 * order) is kept rather than lost. */
	while (next_http < result->n_suites)
		merged[n++] = result->suites[next_http++];
	free(result->suites);
	result->suites = merged;
	result->n_suites = n;
	return failed ? -1 : 0;
}

static int run(const struct gl_cli *cli, const struct inputs *in, enum gl_sel **sel)
{
	/* The version under test: --expect-version, else the environment's own
	 * when its health check can tell. Checked on every run, not only with
	 * --wait-healthy: testing a deploy that did not happen is the commonest
	 * false green. */
	const char *expect = cli->expect_version;
	if (!expect && in->env->health && in->env->health->version_path)
		expect = in->env->expected_version;
	struct gl_plan plan = {
	        .suites = (const struct gl_suite *const *)in->suites,
	        .n_suites = in->n_suites,
	        .sel = sel,
	        .env = in->env,
	        .jobs = cli->jobs,
	        .harness_version = GL_VERSION,
	        .wait_healthy_s = cli->wait_healthy_s,
	        .expect_version = expect,
	        .deadline_ms = cli->deadline_s > 0 ? (long)ceil(cli->deadline_s * 1000) : 0,
	};
	struct gl_run_result *result = NULL;
	char why[512];

	if (gl_http_plan_check(&plan, why, sizeof why) < 0) {
		fprintf(stderr, "greenlight: %s; nothing was sent\n", why);
		return GL_EXIT_INVALID;
	}
	/* The deadline covers everything: readiness, checks and replays. */
	double deadline_mono = cli->deadline_s > 0 ? mono_now() + cli->deadline_s : 0;
	install_signal_handlers();
	if (isatty(STDERR_FILENO) == 1)
		fprintf(stderr, "greenlight: running against '%s' with %u jobs\n", in->env->name,
		        cli->jobs);
	if (gl_http_run(&result, &plan) < 0) {
		fputs("greenlight: the run could not be carried out (out of memory or libcurl "
		      "failed to start)\n",
		      stderr);
		return GL_EXIT_HARNESS;
	}

	if (run_replays(result, cli, in, sel, deadline_mono) < 0) {
		fputs("greenlight: out of memory\n", stderr);
		gl_run_result_free(result);
		return GL_EXIT_HARNESS;
	}

	/* A replay cut short by a signal or the deadline makes the run
	 * interrupted, like a check would. */
	if (gl_http_stop_pending() || (deadline_mono > 0 && mono_now() >= deadline_mono))
		result->interrupted = 1;

	int code = GL_EXIT_PASS;
	struct gl_counts counts;
	gl_run_result_counts(result, &counts);
	if (result->not_ready) {
		/* The reason quotes what the target said: redacted, and no
		 * control character reaches the terminal. */
		char *reason =
		        gl_redact(result->not_ready_reason ? result->not_ready_reason : "unknown");
		for (char *p = reason; p && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		fprintf(stderr, "greenlight: environment '%s' not ready: %s\n", in->env->name,
		        reason ? reason : "unknown");
		free(reason);
		code = GL_EXIT_NOT_READY;
	} else if (counts.failures || counts.errors || result->interrupted || counts.passed == 0) {
		code = GL_EXIT_FAIL;
	}

	gl_report_console(stdout, result, use_color());
	fflush(stdout);
	bool junit_ok = true;
	if (cli->junit && gl_report_junit_write(cli->junit, result) < 0) {
		code = GL_EXIT_HARNESS;
		junit_ok = false;
	}
	if (cli->html && gl_report_html_write(cli->html, result) < 0)
		code = GL_EXIT_HARNESS;
	/* After the JUnit file, whose digest it carries; never the digest of a
	 * stale file a failed write left in place. */
	if (cli->verdict) {
		struct gl_verdict_info vi = {
		        .junit_path = cli->junit && junit_ok ? cli->junit : NULL,
		        .expected_version = expect,
		        .tags = cli->tags,
		        .n_tags = cli->n_tags,
		        .filter = cli->filter,
		        .shard_k = cli->shard_k,
		        .shard_n = cli->shard_n,
		        .exit_code = code,
		};
		if (gl_verdict_write(cli->verdict, result, &vi) < 0)
			code = GL_EXIT_HARNESS;
	}
	/* The console said its verdict before the files were written; a gate
	 * acts on the files, so say plainly that this run proves nothing. */
	if (code == GL_EXIT_HARNESS)
		fputs("greenlight: the evidence was not written, so this run is not a pass "
		      "whatever the verdict above says (exit 4)\n",
		      stderr);
	gl_run_result_free(result);
	return code;
}

/* greenlight record: goldens are evidence, so they are never rewritten by a
 * CI job, and never overwritten without --update. */
static int record(const struct gl_cli *cli, const struct inputs *in, enum gl_sel **sel)
{
	const char *ci = getenv("CI");
	struct gl_replay_opts opts = replay_opts(cli, in);
	int code = GL_EXIT_PASS;
	size_t done = 0;

	if (ci && strcmp(ci, "true") == 0) {
		fputs("greenlight: record refuses to write goldens in CI (CI=true): record them "
		      "from a reference environment and commit them\n",
		      stderr);
		return GL_EXIT_INVALID;
	}
	opts.shard_k = opts.shard_n = 0;
	for (size_t i = 0; i < in->n_suites; i++) {
		const struct gl_suite *s = in->suites[i];
		char err[1024] = "";
		if (!s->replay || sel[i][0] != GL_SEL_RUN)
			continue;
		done++;
		if (gl_replay_record(s, &opts, cli->update, stdout, err, sizeof(err)) < 0) {
			char *safe = gl_redact(err);
			fprintf(stderr, "greenlight: cannot record '%s': %s\n", s->name,
			        safe ? safe : "out of memory");
			free(safe);
			code = GL_EXIT_FAIL;
			continue;
		}
		printf("recorded %s -> %s\n", s->name, s->replay->golden);
	}
	if (done == 0) {
		fputs("greenlight: no replay suite selected: nothing to record\n", stderr);
		return GL_EXIT_INVALID;
	}
	return code;
}

static int ends_with_csv(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".csv") == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* greenlight seed: DIR/schema.sql, then every DIR/NAME.csv into table NAME. */
static int seed(const struct gl_cli *cli, const struct inputs *in)
{
	const char *url = gl_env_lookup(in->env, "database_url");
	char err[1024] = "";
	char schema[4096];
	char **files = NULL;
	char **tables = NULL;
	size_t n = 0;
	struct gl_pg *pg = NULL;
	unsigned long rows = 0;
	int code = GL_EXIT_FAIL;

	if (!url || !*url) {
		fprintf(stderr, "greenlight: environment '%s' has no 'database_url' to seed\n",
		        in->env->name);
		return GL_EXIT_INVALID;
	}
	snprintf(schema, sizeof(schema), "%s/schema.sql", cli->fixtures);
	DIR *d = opendir(cli->fixtures);
	if (!d) {
		fprintf(stderr, "greenlight: cannot read fixtures '%s': %s\n", cli->fixtures,
		        strerror(errno));
		return GL_EXIT_INVALID;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.' || !ends_with_csv(e->d_name))
			continue;
		char **f = realloc(files, (n + 1) * sizeof(*files));
		char **t = f ? realloc(tables, (n + 1) * sizeof(*tables)) : NULL;
		if (f)
			files = f;
		if (t)
			tables = t;
		if (!f || !t)
			goto oom;
		size_t len = strlen(cli->fixtures) + strlen(e->d_name) + 2;
		if (!(files[n] = malloc(len)))
			goto oom;
		snprintf(files[n], len, "%s/%s", cli->fixtures, e->d_name);
		if (!(tables[n] = strndup(e->d_name, strlen(e->d_name) - 4))) {
			free(files[n]);
			goto oom;
		}
		n++;
	}
	closedir(d);
	d = NULL;
	if (n > 1) {
		qsort(files, n, sizeof(*files), cmp_names);
		qsort(tables, n, sizeof(*tables), cmp_names);
	}
	if (gl_pg_connect(&pg, url, err, sizeof(err)) < 0 ||
	    gl_pg_seed(&rows, pg, schema, (const char *const *)tables, (const char *const *)files,
	               n, err, sizeof(err)) < 0) {
		char *safe = gl_redact(err);
		fprintf(stderr, "greenlight: cannot seed '%s': %s\n", in->env->name,
		        safe ? safe : "out of memory");
		free(safe);
		goto out;
	}
	printf("seeded '%s': %zu table%s, %lu rows\n", in->env->name, n, n == 1 ? "" : "s", rows);
	code = GL_EXIT_PASS;
	goto out;
oom:
	fputs("greenlight: out of memory\n", stderr);
	code = GL_EXIT_HARNESS;
out:
	if (d)
		closedir(d);
	gl_pg_close(pg);
	for (size_t i = 0; i < n; i++) {
		free(files[i]);
		free(tables[i]);
	}
	free(files);
	free(tables);
	return code;
}

/* greenlight merge OUT IN...: every input read (all problems reported), then
 * one report with each case once and its attempts; the exit code judges the
 * merged evidence like a run's. */
static int merge(const struct gl_cli *cli)
{
	const char *out_path = cli->paths[0];
	const char *const *in_paths = cli->paths + 1;
	size_t n = cli->n_paths - 1;
	struct gl_run_result **ins = calloc(n, sizeof(*ins));
	struct gl_run_result *m = NULL;
	struct gl_diag diag;
	int code = GL_EXIT_INVALID;

	gl_diag_init(&diag);
	if (!ins) {
		fputs("greenlight: out of memory\n", stderr);
		return GL_EXIT_HARNESS;
	}
	bool all_read = true;
	for (size_t i = 0; i < n; i++)
		all_read &= gl_junit_read(&ins[i], in_paths[i], &diag) == 0;
	if (!all_read || gl_merge(&m, ins, in_paths, n, &diag) < 0) {
		gl_diag_print(&diag, stderr);
		fputs("greenlight: nothing merged\n", stderr);
		goto out;
	}
	struct gl_counts counts;
	gl_run_result_counts(m, &counts);
	gl_report_console(stdout, m, use_color());
	fflush(stdout);
	code = counts.failures || counts.errors || m->interrupted || counts.passed == 0
	               ? GL_EXIT_FAIL
	               : GL_EXIT_PASS;
	if (gl_report_junit_write(out_path, m) < 0)
		code = GL_EXIT_HARNESS;
out:
	for (size_t i = 0; i < n; i++)
		gl_run_result_free(ins[i]);
	free(ins);
	gl_run_result_free(m);
	gl_diag_release(&diag);
	return code;
}

/* --rerun-failed FILE: the ids of what failed or errored there. Nothing
 * failed is exit 2, never a pass on nothing. */
static int rerun_ids(char ***ids, size_t *n, const char *path)
{
	struct gl_run_result *last = NULL;
	struct gl_diag diag;
	int code = 0;

	gl_diag_init(&diag);
	if (gl_junit_read(&last, path, &diag) < 0) {
		gl_diag_print(&diag, stderr);
		code = GL_EXIT_INVALID;
	} else if (gl_rerun_selection(ids, n, last) < 0) {
		fputs("greenlight: out of memory\n", stderr);
		code = GL_EXIT_HARNESS;
	} else if (*n == 0) {
		fprintf(stderr, "greenlight: nothing failed last time in '%s': nothing to rerun\n",
		        path);
		code = GL_EXIT_INVALID;
	}
	gl_run_result_free(last);
	gl_diag_release(&diag);
	return code;
}

/* greenlight gate: promote (0) or hold (1), every reason printed; 2 when the
 * policy itself is invalid. */
static int gate(const struct gl_cli *cli)
{
	struct gl_gate_decision *d = NULL;
	struct gl_diag diag;
	int code;

	gl_diag_init(&diag);
	if (gl_gate_decide(&d, cli->policy, cli->paths, cli->n_paths, time(NULL), &diag) < 0) {
		gl_diag_print(&diag, stderr);
		fputs("greenlight: the policy is invalid: no decision\n", stderr);
		code = GL_EXIT_INVALID;
	} else {
		gl_gate_print(stdout, d);
		code = gl_gate_exit_code(d);
	}
	gl_gate_decision_free(d);
	gl_diag_release(&diag);
	return code;
}

int main(int argc, char **argv)
{
	struct gl_cli cli;
	struct gl_diag diag;
	struct inputs in = {0};
	enum gl_sel **sel = NULL;
	size_t n_selected = 0;
	char **rerun = NULL;
	size_t n_rerun = 0;
	int code;

	if (gl_cli_parse(&cli, argc, argv, stderr) < 0) {
		gl_cli_release(&cli);
		return GL_EXIT_INVALID;
	}
	if (cli.cmd == GL_CMD_HELP) {
		gl_cli_usage(stdout);
		gl_cli_release(&cli);
		return GL_EXIT_PASS;
	}
	if (cli.cmd == GL_CMD_VERSION) {
		printf("greenlight %s\n", GL_VERSION);
		gl_cli_release(&cli);
		return GL_EXIT_PASS;
	}

	if (cli.cmd == GL_CMD_GATE || cli.cmd == GL_CMD_MERGE) {
		code = cli.cmd == GL_CMD_GATE ? gate(&cli) : merge(&cli);
		gl_cli_release(&cli);
		return code;
	}
	if (cli.rerun_failed) {
		code = rerun_ids(&rerun, &n_rerun, cli.rerun_failed);
		if (code != 0) {
			gl_rerun_selection_free(rerun, n_rerun);
			gl_cli_release(&cli);
			return code;
		}
	}

	gl_diag_init(&diag);
	if (load_inputs(&in, &cli, &diag) < 0) {
		code = print_invalid(&diag);
		goto out;
	}

	if (cli.cmd == GL_CMD_SEED) {
		gl_env_mark_used(in.env, "database_url");
		if (gl_env_resolve_used_secrets(in.env, &diag) < 0) {
			code = print_invalid(&diag);
			goto out;
		}
		register_secrets(in.env);
		code = seed(&cli, &in);
		goto out;
	}
	warn_tls_off(in.env);

	struct gl_selection selection = {
	        .tags = cli.tags,
	        .n_tags = cli.n_tags,
	        .filter = cli.filter,
	        .ids = (const char *const *)rerun,
	        .n_ids = n_rerun,
	        .allow_mutations = cli.allow_mutations,
	};
	const char *unknown = gl_plan_unknown_id((const struct gl_suite *const *)in.suites,
	                                         in.n_suites, &selection);
	if (unknown) {
		fprintf(stderr,
		        "greenlight: '%s' failed last time but is not among the suites given: "
		        "nothing was sent\n",
		        unknown);
		code = GL_EXIT_INVALID;
		goto out;
	}
	if (gl_plan_select(&sel, &n_selected, (const struct gl_suite *const *)in.suites,
	                   in.n_suites, in.env, &selection) < 0) {
		fputs("greenlight: out of memory\n", stderr);
		code = GL_EXIT_HARNESS;
		goto out;
	}
	/* A selection that matches nothing must never look like a pass. */
	if (n_selected == 0) {
		fputs("greenlight: no check matches the selection", stderr);
		for (size_t i = 0; i < cli.n_tags; i++)
			fprintf(stderr, " --tag '%s'", cli.tags[i]);
		if (cli.filter)
			fprintf(stderr, " --filter '%s'", cli.filter);
		fputs("; nothing was sent\n", stderr);
		code = GL_EXIT_INVALID;
		goto out;
	}

	if (cli.cmd != GL_CMD_LIST && resolve_used_secrets(&in, sel, &diag) < 0) {
		code = print_invalid(&diag);
		goto out;
	}

	switch (cli.cmd) {
	case GL_CMD_VALIDATE:
		printf("ok: %zu suite%s, %zu check%s selected, environment '%s'\n",
		       suites_selected(&in, sel), suites_selected(&in, sel) == 1 ? "" : "s",
		       n_selected, n_selected == 1 ? "" : "s", in.env->name);
		code = GL_EXIT_PASS;
		break;
	case GL_CMD_LIST:
		list_checks(stdout, &in, sel);
		code = GL_EXIT_PASS;
		break;
	case GL_CMD_RECORD:
		register_secrets(in.env);
		code = record(&cli, &in, sel);
		break;
	default:
		register_secrets(in.env);
		code = run(&cli, &in, sel);
		break;
	}

out:
	gl_plan_selection_free(sel, in.n_suites);
	gl_rerun_selection_free(rerun, n_rerun);
	inputs_release(&in);
	gl_diag_release(&diag);
	gl_cli_release(&cli);
	gl_redact_reset();
	return code;
}
