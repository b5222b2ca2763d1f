/* Environment files (env.h): base URL, variables, secrets, health check,
 * the production flag. The input is the file, loaded by name from the fuzz
 * directory as `--env NAME` does.
 *
 * Invariants: a load fails exactly when it records an error; a loaded
 * environment defines base_url and knows every variable it lists, each
 * exactly once; overrides replace or add; secrets read from the process
 * environment get its value, and only they are marked secret. */
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "fuzz.h"

#define SECRET_VAR   "GL_FUZZ_SECRET"
#define SECRET_VALUE "s3cret-value"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const overrides[] = {"base_url=http://127.0.0.1:9", "fuzz_new=1",
	                                        "expected_version=9.9.9", "bad name=x", "noequals"};
	struct gl_env *env = NULL;
	struct gl_diag diag;

	setenv(SECRET_VAR, SECRET_VALUE, 1);
	fuzz_file("fuzz-env.json", data, size);
	gl_diag_init(&diag);
	if (gl_env_load(&env, fuzz_dir(), "fuzz-env", &diag) != 0) {
		FUZZ_CHECK(env == NULL);
		FUZZ_CHECK(gl_diag_errors(&diag) > 0);
		gl_diag_print(&diag, fuzz_out());
		gl_diag_release(&diag);
		return 0;
	}
	FUZZ_CHECK(gl_diag_errors(&diag) == 0);
	FUZZ_CHECK(env->name && env->path);
	FUZZ_CHECK(gl_env_knows(env, "base_url"));
	for (size_t i = 0; i < env->n_vars; i++) {
		const struct gl_var *v = &env->vars[i];
		FUZZ_CHECK(v->name && gl_env_knows(env, v->name));
		FUZZ_CHECK(v->secret ? v->from_env && !v->value : v->value != NULL);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(env->vars[j].name, v->name) != 0);
		gl_env_mark_used(env, v->name);
	}
	/* two overrides add variables unless declared; two are malformed */
	size_t expected = env->n_vars + !gl_env_knows(env, "fuzz_new") +
	                  !gl_env_knows(env, "expected_version");
	FUZZ_CHECK(gl_env_apply_overrides(env, overrides, 5, &diag) == -1);
	FUZZ_CHECK(gl_diag_errors(&diag) == 2);
	FUZZ_CHECK(env->n_vars == expected);
	FUZZ_CHECK(strcmp(gl_env_lookup(env, "base_url"), "http://127.0.0.1:9") == 0);
	FUZZ_CHECK(strcmp(gl_env_lookup(env, "fuzz_new"), "1") == 0);
	FUZZ_CHECK(strcmp(env->expected_version, "9.9.9") == 0);
	gl_env_resolve_used_secrets(env, &diag);
	for (size_t i = 0; i < env->n_vars; i++) {
		const struct gl_var *v = &env->vars[i];
		if (v->secret && !v->overridden && strcmp(v->from_env, SECRET_VAR) == 0)
			FUZZ_CHECK(v->value && strcmp(v->value, SECRET_VALUE) == 0);
		if (v->value)
			FUZZ_CHECK(gl_env_lookup(env, v->name) == v->value);
	}
	if (env->health) {
		char *url = NULL;
		const char *missing = NULL;
		int rc = gl_template_render(&url, &missing, env->health->url, gl_env_lookup, env,
		                            GL_ESC_NONE);
		FUZZ_CHECK(rc == 0 || rc == -1);
		FUZZ_CHECK(rc == 0 ? url != NULL : missing != NULL);
		free(url);
	}
	gl_diag_print(&diag, fuzz_out());
	gl_env_free(env);
	gl_diag_release(&diag);
	return 0;
}
