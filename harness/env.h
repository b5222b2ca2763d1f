/* Environments: where a suite runs, with its variables and secrets.
 *
 * An environment file (suites/environments/NAME.json) names a base URL,
 * variables, secrets (names of process environment variables, never values),
 * an optional health check, a production flag and the TLS settings (ca_file,
 * tls_verify). base_url is an ordinary variable named "base_url". Ownership:
 * *out from gl_env_load() belongs to the caller, freed with gl_env_free(). */
#ifndef GL_ENV_H
#define GL_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "template.h"

struct gl_var {
	char *name;
	char *value;    /* NULL for a secret until gl_env_resolve_secrets() */
	char *from_env; /* secrets: the process environment variable's name; else NULL */
	bool secret;
	bool overridden; /* set by --var */
	bool used;       /* referenced by what is about to run: gl_env_mark_used() */
	struct gl_pos pos;
};

/* The environment's declared health check: used to learn the version the
 * target reports (a JUnit property) and, later, to wait for readiness. */
struct gl_health {
	struct gl_template *url;
	char *version_path; /* JSON path text of the version in the body, or NULL */
	struct gl_pos pos;
};

struct gl_env {
	char *name;
	char *path;
	bool production;
	char *expected_version; /* NULL or the version the target must report */
	struct gl_var *vars;
	size_t n_vars;
	struct gl_health *health; /* NULL when none is declared */
	char *ca_file; /* NULL, or a PEM bundle of the CAs trusted for this environment's TLS,
	                  made relative to the environment file's directory at load */
	/* The file says "tls_verify": false: libcurl checks neither the certificate
	 * chain nor the host name for this environment. Named for the exception,
	 * so that a zeroed struct verifies. Never set for a production environment
	 * (a load error) and not reachable from --var: tls_verify is a key, not a
	 * variable. */
	bool tls_verify_off;
	struct gl_pos tls_verify_pos; /* where "tls_verify" is set; line 0 when it is not */
};

/* Load `name`: a path to a .json file when it contains '/' or ends in
 * ".json", else DIR/NAME.json. Every problem goes to diag; returns 0 or -1. */
int gl_env_load(struct gl_env **out, const char *dir, const char *name, struct gl_diag *diag);
void gl_env_free(struct gl_env *env);

/* Apply "NAME=VALUE" overrides (from --var) in order. A NAME not declared
 * adds a variable; a secret overridden keeps its secret flag. A malformed
 * assignment is recorded in diag (file "--var"). Returns 0 or -1. */
int gl_env_apply_overrides(struct gl_env *env, const char *const *assignments, size_t n,
                           struct gl_diag *diag);

/* Read each secret not overridden from the process environment. A missing or
 * empty one is an error naming the variable and where it is declared. */
int gl_env_resolve_secrets(struct gl_env *env, struct gl_diag *diag);

/* Mark a variable as needed by what will run (no effect on unknown names). */
void gl_env_mark_used(struct gl_env *env, const char *name);

/* Like gl_env_resolve_secrets(), for the secrets marked used only: a secret
 * that nothing selected needs must not stop a run because it is unset. */
int gl_env_resolve_used_secrets(struct gl_env *env, struct gl_diag *diag);

/* The value of a variable (lent), or NULL. Fits gl_lookup_fn. */
const char *gl_env_lookup(void *env, const char *name);
/* Whether a variable is declared. Fits gl_name_known_fn. */
int gl_env_knows(void *env, const char *name);

#endif
