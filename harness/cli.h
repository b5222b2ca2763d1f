/* Command-line options: argv to a plain struct, with getopt_long. */
#ifndef GL_CLI_H
#define GL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum gl_command {
	GL_CMD_RUN,
	GL_CMD_VALIDATE,
	GL_CMD_LIST,
	GL_CMD_RECORD,
	GL_CMD_SEED,
	GL_CMD_GATE,
	GL_CMD_MERGE,
	GL_CMD_HELP,
	GL_CMD_VERSION,
};

#define GL_DEFAULT_ENV      "local"
#define GL_DEFAULT_ENV_DIR  "suites/environments"
#define GL_DEFAULT_JOBS     8u
#define GL_MAX_JOBS         256u
#define GL_DEFAULT_FIXTURES "fixtures"

struct gl_cli {
	enum gl_command cmd;
	const char *env_name; /* lent from argv, or the default */
	const char *env_dir;
	const char **vars; /* "NAME=VALUE", lent from argv; the array is owned */
	size_t n_vars;
	const char **tags; /* lent; array owned */
	size_t n_tags;
	const char *filter; /* NULL or a glob over check ids */
	unsigned jobs;
	const char *junit; /* NULL or a path */
	bool allow_mutations;
	unsigned shard_k; /* --shard K/N; shard_n 0: no sharding */
	unsigned shard_n;
	bool update;                /* record: replace an existing golden */
	bool junit_per_case;        /* replay: a testcase per case */
	const char *fixtures;       /* seed: the directory of schema.sql and *.csv */
	const char *verdict;        /* run: NULL or the verdict JSON path */
	const char *html;           /* run: NULL or the HTML report path */
	const char *policy;         /* gate: the policy file */
	double wait_healthy_s;      /* run: > 0 polls the health check this long first */
	const char *expect_version; /* run: NULL, or the version the target must report */
	double deadline_s;          /* run: > 0 bounds the whole run */
	const char *rerun_failed;   /* run: NULL, or the JUnit file whose failures to rerun */
	const char **paths;         /* lent; array owned */
	size_t n_paths;
};

/* Parse argv. Returns 0, or -1 after printing the problem (and a hint to
 * --help) to err. out is usable for gl_cli_release() either way. */
int gl_cli_parse(struct gl_cli *out, int argc, char **argv, FILE *err);
void gl_cli_release(struct gl_cli *c);

void gl_cli_usage(FILE *fp);

#endif
