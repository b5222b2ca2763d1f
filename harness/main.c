/* greenlight: argv -> cli -> suites and environment -> plan -> run -> reports
 * -> exit code. Every exit code comes from exitcode.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "env.h"
#include "exitcode.h"
#include "http.h"
#include "plan.h"
#include "redact.h"
#include "report.h"
#include "result.h"
#include "suite.h"

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
 * diag. Secrets are resolved only when `need_secrets` (run, validate). */
static int load_inputs(struct inputs *in, const struct gl_cli *cli, bool need_secrets,
                       struct gl_diag *diag)
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
	if (in->env) {
		for (size_t i = 0; i < in->n_suites; i++)
			gl_suite_check_names(in->suites[i], gl_env_knows, in->env, diag);
		if (need_secrets)
			gl_env_resolve_secrets(in->env, diag);
	}
	return gl_diag_errors(diag) ? -1 : 0;
}

static void register_secrets(const struct gl_env *env)
{
	for (size_t i = 0; i < env->n_vars; i++)
		if (env->vars[i].secret && env->vars[i].value)
			gl_redact_add(env->vars[i].value);
}

static void list_checks(FILE *fp, const struct inputs *in, enum gl_sel **sel)
{
	for (size_t i = 0; i < in->n_suites; i++) {
		const struct gl_suite *s = in->suites[i];
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
	(void)sig;
	gl_http_request_stop();
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

static int run(const struct gl_cli *cli, const struct inputs *in, enum gl_sel **sel)
{
	struct gl_plan plan = {
	        .suites = (const struct gl_suite *const *)in->suites,
	        .n_suites = in->n_suites,
	        .sel = sel,
	        .env = in->env,
	        .jobs = cli->jobs,
	        .harness_version = GL_VERSION,
	};
	struct gl_run_result *result = NULL;

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

	int code = GL_EXIT_PASS;
	struct gl_counts counts;
	gl_run_result_counts(result, &counts);
	if (counts.failures || counts.errors || result->interrupted || counts.passed == 0)
		code = GL_EXIT_FAIL;

	gl_report_console(stdout, result, use_color());
	fflush(stdout);
	if (cli->junit && gl_report_junit_write(cli->junit, result) < 0)
		code = GL_EXIT_HARNESS;
	gl_run_result_free(result);
	return code;
}

int main(int argc, char **argv)
{
	struct gl_cli cli;
	struct gl_diag diag;
	struct inputs in = {0};
	enum gl_sel **sel = NULL;
	size_t n_selected = 0;
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

	gl_diag_init(&diag);
	if (load_inputs(&in, &cli, cli.cmd != GL_CMD_LIST, &diag) < 0) {
		gl_diag_print(&diag, stderr);
		fprintf(stderr, "greenlight: %zu error%s; nothing was sent\n",
		        gl_diag_errors(&diag), gl_diag_errors(&diag) == 1 ? "" : "s");
		code = GL_EXIT_INVALID;
		goto out;
	}

	struct gl_selection selection = {
	        .tags = cli.tags,
	        .n_tags = cli.n_tags,
	        .filter = cli.filter,
	        .allow_mutations = cli.allow_mutations,
	};
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

	switch (cli.cmd) {
	case GL_CMD_VALIDATE:
		printf("ok: %zu suite%s, %zu check%s selected, environment '%s'\n", in.n_suites,
		       in.n_suites == 1 ? "" : "s", n_selected, n_selected == 1 ? "" : "s",
		       in.env->name);
		code = GL_EXIT_PASS;
		break;
	case GL_CMD_LIST:
		list_checks(stdout, &in, sel);
		code = GL_EXIT_PASS;
		break;
	default:
		register_secrets(in.env);
		code = run(&cli, &in, sel);
		break;
	}

out:
	gl_plan_selection_free(sel, in.n_suites);
	inputs_release(&in);
	gl_diag_release(&diag);
	gl_cli_release(&cli);
	gl_redact_reset();
	return code;
}
