/* argv to struct gl_cli. The only module that uses getopt_long. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_ALLOW_MUTATIONS = 256,
	OPT_ENV_DIR,
	OPT_SHARD,
	OPT_UPDATE,
	OPT_JUNIT_PER_CASE,
	OPT_FIXTURES,
	OPT_VERDICT,
	OPT_POLICY,
	OPT_HTML,
	OPT_WAIT_HEALTHY,
	OPT_EXPECT_VERSION,
	OPT_DEADLINE,
	OPT_RERUN_FAILED,
};

static const struct option long_options[] = {
        {"env", required_argument, NULL, 'e'},
        {"env-dir", required_argument, NULL, OPT_ENV_DIR},
        {"var", required_argument, NULL, 'v'},
        {"tag", required_argument, NULL, 't'},
        {"filter", required_argument, NULL, 'f'},
        {"jobs", required_argument, NULL, 'j'},
        {"junit", required_argument, NULL, 'o'},
        {"allow-mutations", no_argument, NULL, OPT_ALLOW_MUTATIONS},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"update", no_argument, NULL, OPT_UPDATE},
        {"junit-per-case", no_argument, NULL, OPT_JUNIT_PER_CASE},
        {"fixtures", required_argument, NULL, OPT_FIXTURES},
        {"verdict", required_argument, NULL, OPT_VERDICT},
        {"policy", required_argument, NULL, OPT_POLICY},
        {"html", required_argument, NULL, OPT_HTML},
        {"wait-healthy", required_argument, NULL, OPT_WAIT_HEALTHY},
        {"expect-version", required_argument, NULL, OPT_EXPECT_VERSION},
        {"deadline", required_argument, NULL, OPT_DEADLINE},
        {"rerun-failed", required_argument, NULL, OPT_RERUN_FAILED},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
};

void gl_cli_usage(FILE *fp)
{
	fputs("usage: greenlight run [OPTIONS] PATH...\n"
	      "       greenlight validate [OPTIONS] PATH...\n"
	      "       greenlight list [OPTIONS] PATH...\n"
	      "       greenlight record [--env NAME] [--update] PATH...\n"
	      "       greenlight seed [--env NAME] [--fixtures DIR]\n"
	      "       greenlight gate --policy FILE VERDICT...\n"
	      "       greenlight merge OUT.xml IN.xml...\n"
	      "       greenlight --help | --version\n"
	      "\n"
	      "PATH is a suite file or a directory searched for suite files (*.json;\n"
	      "directories named 'environments' are skipped).\n"
	      "\n"
	      "commands:\n"
	      "  run       run the selected checks and report the verdict\n"
	      "  validate  check suites and the environment; send nothing\n"
	      "  list      show the checks that would run; send nothing\n"
	      "  record    compute replay suites' outputs and write their golden files\n"
	      "  seed      load the fixtures into the environment's database (COPY)\n"
	      "  gate      decide from verdict files whether a version may be promoted\n"
	      "            (exit 0 promote, 1 hold, 2 invalid policy)\n"
	      "  merge     combine shard and rerun JUnit reports into one, each case once\n"
	      "            with its attempts\n"
	      "\n"
	      "options:\n"
	      "  -e, --env NAME         environment: NAME.json in the environment directory,\n"
	      "                         or a path to a .json file (default: local)\n"
	      "      --env-dir DIR      where environments live (default: suites/environments)\n"
	      "  -v, --var NAME=VALUE   set or override a variable (repeatable); base_url too\n"
	      "  -t, --tag TAG          only checks with this tag (repeatable: any of them)\n"
	      "  -f, --filter GLOB      only checks whose id (suite/check) matches GLOB\n"
	      "  -j, --jobs N           checks in flight at once (default: 8, 1 to 256)\n"
	      "  -o, --junit FILE       write JUnit XML evidence to FILE\n"
	      "      --verdict FILE     write a JSON verdict (pass/fail, counts, digests) to FILE\n"
	      "      --html FILE        write a self-contained HTML report to FILE\n"
	      "      --wait-healthy S   poll the environment's health check for up to S seconds\n"
	      "                         before any check; not healthy in time: exit 3\n"
	      "      --expect-version V the target must report version V (default: the\n"
	      "                         environment's expected_version); else exit 3\n"
	      "      --deadline S       the whole run within S seconds; unfinished checks are\n"
	      "                         errors\n"
	      "      --rerun-failed FILE  run only what failed or errored in that JUnit file\n"
	      "      --allow-mutations  run checks marked mutating in a production environment\n"
	      "      --shard K/N        replays: run the K-th of N deterministic shards of the "
	      "cases\n"
	      "      --junit-per-case   replays: one testcase per case instead of per field\n"
	      "      --update           record: replace existing golden files, showing what "
	      "changed\n"
	      "      --fixtures DIR     seed: schema.sql and *.csv to load (default: fixtures)\n"
	      "      --policy FILE      gate: the promotion policy\n"
	      "  -h, --help             show this help\n"
	      "  -V, --version          show the version\n"
	      "\n"
	      "exit codes:\n"
	      "  0  every selected check passed\n"
	      "  1  at least one check failed or errored\n"
	      "  2  invalid invocation, suite or environment; nothing was sent\n"
	      "  3  the environment was not ready\n"
	      "  4  greenlight itself failed (e.g. a report could not be written)\n"
	      "\n"
	      "Colour is used only on a terminal and never when NO_COLOR is set.\n",
	      fp);
}

static int push(const char ***arr, size_t *n, const char *item)
{
	const char **grown = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!grown)
		return -1;
	grown[(*n)++] = item;
	*arr = grown;
	return 0;
}

static int parse_jobs(unsigned *out, const char *text)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < 1 || v > (long)GL_MAX_JOBS)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* "K/N" with 1 <= K <= N <= 1000000. */
static int parse_shard(unsigned *k, unsigned *n, const char *text)
{
	char *end = NULL;
	errno = 0;
	unsigned long a = strtoul(text, &end, 10);
	if (errno || end == text || *end != '/' || text[0] == '-')
		return -1;
	const char *rest = end + 1;
	unsigned long b = strtoul(rest, &end, 10);
	if (errno || end == rest || *end != '\0' || rest[0] == '-' || a < 1 || b < 1 || a > b ||
	    b > 1000000)
		return -1;
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

/* Seconds: a positive decimal number up to a day. */
static int parse_seconds(double *out, const char *text)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || *end != '\0' || !(v > 0) || v > 86400)
		return -1;
	*out = v;
	return 0;
}

static int parse_command(enum gl_command *out, const char *word)
{
	static const struct {
		const char *name;
		enum gl_command cmd;
	} commands[] = {
	        {"run", GL_CMD_RUN},       {"validate", GL_CMD_VALIDATE}, {"list", GL_CMD_LIST},
	        {"record", GL_CMD_RECORD}, {"seed", GL_CMD_SEED},         {"gate", GL_CMD_GATE},
	        {"merge", GL_CMD_MERGE},   {"help", GL_CMD_HELP},
	};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(word, commands[i].name) == 0) {
			*out = commands[i].cmd;
			return 0;
		}
	}
	return -1;
}

int gl_cli_parse(struct gl_cli *out, int argc, char **argv, FILE *err)
{
	memset(out, 0, sizeof(*out));
	out->env_name = GL_DEFAULT_ENV;
	out->env_dir = GL_DEFAULT_ENV_DIR;
	out->jobs = GL_DEFAULT_JOBS;
	out->fixtures = GL_DEFAULT_FIXTURES;

	bool have_command = false;
	if (argc > 1 && argv[1][0] != '-') {
		if (parse_command(&out->cmd, argv[1]) < 0) {
			fprintf(err, "greenlight: unknown command '%s' (try 'greenlight --help')\n",
			        argv[1]);
			return -1;
		}
		have_command = true;
		argv++;
		argc--;
	}

	optind = 1;
	opterr = 0;
	int c;
	int oom = 0;
	bool help = false;
	bool version = false;
	/* glibc's getopt_long permutes argv, so options may follow PATHs; the
	 * leading ':' lets us tell a missing value from an unknown option. */
	while ((c = getopt_long(argc, argv, ":e:v:t:f:j:o:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'e':
			out->env_name = optarg;
			break;
		case OPT_ENV_DIR:
			out->env_dir = optarg;
			break;
		case 'v':
			oom |= push(&out->vars, &out->n_vars, optarg);
			break;
		case 't':
			oom |= push(&out->tags, &out->n_tags, optarg);
			break;
		case 'f':
			out->filter = optarg;
			break;
		case 'j':
			if (parse_jobs(&out->jobs, optarg) < 0) {
				fprintf(err,
				        "greenlight: invalid --jobs '%s': expected a whole number "
				        "from 1 to %u\n",
				        optarg, GL_MAX_JOBS);
				return -1;
			}
			break;
		case 'o':
			out->junit = optarg;
			break;
		case OPT_ALLOW_MUTATIONS:
			out->allow_mutations = true;
			break;
		case OPT_SHARD:
			if (parse_shard(&out->shard_k, &out->shard_n, optarg) < 0) {
				fprintf(err,
				        "greenlight: invalid --shard '%s': expected K/N with "
				        "1 <= K <= N\n",
				        optarg);
				return -1;
			}
			break;
		case OPT_UPDATE:
			out->update = true;
			break;
		case OPT_JUNIT_PER_CASE:
			out->junit_per_case = true;
			break;
		case OPT_FIXTURES:
			out->fixtures = optarg;
			break;
		case OPT_VERDICT:
			out->verdict = optarg;
			break;
		case OPT_POLICY:
			out->policy = optarg;
			break;
		case OPT_HTML:
			out->html = optarg;
			break;
		case OPT_WAIT_HEALTHY:
		case OPT_DEADLINE:
			if (parse_seconds(c == OPT_DEADLINE ? &out->deadline_s
			                                    : &out->wait_healthy_s,
			                  optarg) < 0) {
				fprintf(err,
				        "greenlight: invalid %s '%s': expected seconds, more than "
				        "0 "
				        "and at most 86400\n",
				        c == OPT_DEADLINE ? "--deadline" : "--wait-healthy",
				        optarg);
				return -1;
			}
			break;
		case OPT_EXPECT_VERSION:
			if (!*optarg) {
				fputs("greenlight: --expect-version needs a version\n", err);
				return -1;
			}
			out->expect_version = optarg;
			break;
		case OPT_RERUN_FAILED:
			out->rerun_failed = optarg;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			version = true;
			break;
		case ':':
			fprintf(err,
			        "greenlight: option '%s' needs a value (try 'greenlight --help')\n",
			        argv[optind - 1]);
			return -1;
		default:
			fprintf(err, "greenlight: unknown option '%s' (try 'greenlight --help')\n",
			        argv[optind - 1]);
			return -1;
		}
	}
	if (oom) {
		fputs("greenlight: out of memory\n", err);
		return -1;
	}
	for (int i = optind; i < argc; i++) {
		if (push(&out->paths, &out->n_paths, argv[i]) < 0) {
			fputs("greenlight: out of memory\n", err);
			return -1;
		}
	}

	if (help || out->cmd == GL_CMD_HELP) {
		out->cmd = GL_CMD_HELP;
		return 0;
	}
	if (version) {
		out->cmd = GL_CMD_VERSION;
		return 0;
	}
	if (!have_command) {
		fputs("greenlight: missing command: run, validate, list, record or seed (try "
		      "'greenlight --help')\n",
		      err);
		return -1;
	}
	if (out->rerun_failed && (out->n_tags || out->filter)) {
		/* A rerun must run exactly what failed; narrowing it further could
		 * leave a failure unrerun and a merge reading green. */
		fputs("greenlight: --rerun-failed does not go with --tag or --filter\n", err);
		return -1;
	}
	if (out->cmd == GL_CMD_MERGE) {
		if (out->n_paths < 2) {
			fputs("greenlight: merge needs OUT.xml and at least one IN.xml\n", err);
			return -1;
		}
		return 0;
	}
	if (out->cmd == GL_CMD_GATE) {
		/* No verdicts at all is allowed here: the gate holds on it, with
		 * that reason, rather than failing as a usage error. */
		if (!out->policy) {
			fputs("greenlight: gate needs --policy FILE\n", err);
			return -1;
		}
		return 0;
	}
	if (out->cmd == GL_CMD_SEED) {
		if (out->n_paths) {
			fprintf(err, "greenlight: seed takes no PATH (got '%s')\n", out->paths[0]);
			return -1;
		}
		return 0;
	}
	if (out->n_paths == 0) {
		fputs("greenlight: missing PATH: name at least one suite file or directory\n", err);
		return -1;
	}
	return 0;
}

void gl_cli_release(struct gl_cli *c)
{
	free(c->vars);
	free(c->tags);
	free(c->paths);
	memset(c, 0, sizeof(*c));
}
