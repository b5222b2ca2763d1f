/* Environments: loading, errors with positions, --var overrides, secrets. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_suites.h"
#include "env.h"

static char *env_dir(void)
{
	const char *dir = getenv("GL_TEST_DATA");
	size_t size;
	char *path;

	if (!dir)
		dir = "tests/data";
	size = strlen(dir) + 16;
	path = malloc(size);
	ck_assert_ptr_nonnull(path);
	snprintf(path, size, "%s/environments", dir);
	return path;
}

/* The printed diag with the environments directory shown as "env". */
static char *printed(const struct gl_diag *d, const char *dir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	char *hit;

	ck_assert_ptr_nonnull(fp);
	gl_diag_print(d, fp);
	fclose(fp);
	while ((hit = strstr(buf, dir))) {
		memcpy(hit, "env", 3);
		memmove(hit + 3, hit + strlen(dir), strlen(hit + strlen(dir)) + 1);
	}
	return buf;
}

static struct gl_env *load_ok(const char *name)
{
	char *dir = env_dir();
	struct gl_diag d;
	struct gl_env *env = NULL;
	char *out;

	gl_diag_init(&d);
	int rc = gl_env_load(&env, dir, name, &d);
	out = printed(&d, dir);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(rc, 0);
	free(out);
	free(dir);
	gl_diag_release(&d);
	return env;
}

static void expect_errors(const char *name, const char *expected)
{
	char *dir = env_dir();
	struct gl_diag d;
	struct gl_env *env = (struct gl_env *)&d;
	char *out;

	gl_diag_init(&d);
	ck_assert_int_eq(gl_env_load(&env, dir, name, &d), -1);
	ck_assert_ptr_null(env);
	out = printed(&d, dir);
	ck_assert_str_eq(out, expected);
	free(out);
	free(dir);
	gl_diag_release(&d);
}

START_TEST(test_load_full)
{
	struct gl_env *env = load_ok("local");

	ck_assert_str_eq(env->name, "local");
	ck_assert(!env->production);
	ck_assert_str_eq(env->expected_version, "0.1.0");
	/* base_url, expected_version (also a variable), four variables, a secret */
	ck_assert_uint_eq(env->n_vars, 7);
	ck_assert_str_eq(gl_env_lookup(env, "expected_version"), "0.1.0");
	ck_assert_str_eq(env->vars[0].name, "base_url");
	ck_assert_str_eq(env->vars[0].value, "http://127.0.0.1:8080");
	ck_assert_uint_eq(env->vars[0].pos.line, 3);
	ck_assert_uint_eq(env->vars[0].pos.col, 3);
	ck_assert_ptr_eq(env->vars[0].pos.file, env->path);
	/* Numbers as written, booleans as words. */
	ck_assert_str_eq(gl_env_lookup(env, "retries"), "3");
	ck_assert_str_eq(gl_env_lookup(env, "ratio"), "1.10");
	ck_assert_str_eq(gl_env_lookup(env, "verbose"), "true");
	ck_assert_str_eq(gl_env_lookup(env, "qa_user"), "qa");
	/* A secret is declared but has no value until resolved. */
	ck_assert_ptr_null(gl_env_lookup(env, "qa_password"));
	ck_assert(gl_env_knows(env, "qa_password"));
	ck_assert(!gl_env_knows(env, "nope"));
	ck_assert_ptr_null(gl_env_lookup(env, "nope"));
	const struct gl_var *v = &env->vars[6];
	ck_assert_str_eq(v->name, "qa_password");
	ck_assert(v->secret);
	ck_assert_str_eq(v->from_env, "GREENLIGHT_QA_PASSWORD");
	ck_assert_ptr_nonnull(env->health);
	ck_assert_str_eq(gl_template_text(env->health->url), "{{base_url}}/health");
	ck_assert_str_eq(env->health->version_path, "$.version");
	gl_env_free(env);
}
END_TEST

START_TEST(test_load_shorthand_and_path)
{
	struct gl_env *env = load_ok("short");
	char *dir = env_dir();
	char path[4096];
	struct gl_diag d;

	ck_assert_str_eq(env->name, "short");
	ck_assert(env->production);
	ck_assert_ptr_null(env->expected_version);
	ck_assert_uint_eq(env->n_vars, 1);
	ck_assert_str_eq(gl_template_text(env->health->url), "{{base_url}}/healthz");
	ck_assert_ptr_null(env->health->version_path);
	gl_env_free(env);
	/* A name with '/' or ending in .json is a path, whatever dir says. */
	snprintf(path, sizeof(path), "%s/short.json", dir);
	gl_diag_init(&d);
	ck_assert_int_eq(gl_env_load(&env, "/nonexistent", path, &d), 0);
	ck_assert_str_eq(env->path, path);
	ck_assert_str_eq(env->name, "short");
	gl_env_free(env);
	gl_diag_release(&d);
	free(dir);
}
END_TEST

START_TEST(test_not_found)
{
	expect_errors("staging",
	              "environment 'staging' not found (looked for 'env/staging.json'; available: "
	              "'invalid_duplicate', 'invalid_health', 'invalid_json', 'invalid_keys', "
	              "'local', 'short')\n");

	struct gl_diag d;
	struct gl_env *env = NULL;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_env_load(&env, "/nonexistent", "qa", &d), -1);
	ck_assert_str_eq(d.entries[0].msg, "environment 'qa' not found (looked for "
	                                   "'/nonexistent/qa.json'; there are none)");
	gl_diag_release(&d);
}
END_TEST

START_TEST(test_errors)
{
	expect_errors(
	        "invalid_duplicate",
	        "env/invalid_duplicate.json:3:31: duplicate variable 'base_url' (first at line "
	        "2)\n"
	        "env/invalid_duplicate.json:4:15: duplicate variable 'token' (first at line "
	        "3)\n");
	expect_errors(
	        "invalid_keys",
	        "env/invalid_keys.json:1:1: environment is missing 'base_url'\n"
	        "env/invalid_keys.json:2:3: unknown key 'base_ulr' (did you mean 'base_url'?)\n"
	        "env/invalid_keys.json:3:17: 'production' must be true or false\n"
	        "env/invalid_keys.json:4:25: variable 'list' must be a string, a number or a "
	        "boolean\n"
	        "env/invalid_keys.json:4:30: invalid variable name 'bad-name': use letters, digits "
	        "and '_'\n"
	        "env/invalid_keys.json:5:21: secret 'pw' must name a process environment variable "
	        "([A-Z_][A-Z0-9_]*)\n"
	        "env/invalid_keys.json:6:51: invalid JSON path 'version': a path starts with "
	        "'$'\n");
	expect_errors("invalid_health", "env/invalid_health.json:3:22: unknown variable 'bse_url' "
	                                "(did you mean 'base_url'?)\n");
	expect_errors("invalid_json",
	              "env/invalid_json.json:3:24: invalid JSON: expected a quoted key near '}'\n");
}
END_TEST

START_TEST(test_overrides)
{
	struct gl_env *env = load_ok("local");
	struct gl_diag d;
	const char *const ok[] = {"qa_user=alice", "new_var=a=b", "qa_password=", "empty="};
	const char *const bad[] = {"x", "qa-password=hunter2", "=v", "fine=1"};

	gl_diag_init(&d);
	ck_assert_int_eq(gl_env_apply_overrides(env, ok, 4, &d), 0);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
	ck_assert_str_eq(gl_env_lookup(env, "qa_user"), "alice");
	ck_assert(env->vars[2].overridden);
	/* Everything after the first '=' is the value. */
	ck_assert_str_eq(gl_env_lookup(env, "new_var"), "a=b");
	ck_assert(gl_env_knows(env, "new_var"));
	/* An overridden secret stays a secret. */
	ck_assert_str_eq(gl_env_lookup(env, "qa_password"), "");
	ck_assert(env->vars[6].secret);
	/* Overriding the version under test moves the variable and the field together. */
	const char *const version[] = {"expected_version=9.9.9"};
	ck_assert_int_eq(gl_env_apply_overrides(env, version, 1, &d), 0);
	ck_assert_str_eq(gl_env_lookup(env, "expected_version"), "9.9.9");
	ck_assert_str_eq(env->expected_version, "9.9.9");
	ck_assert(env->vars[6].overridden);

	ck_assert_int_eq(gl_env_apply_overrides(env, bad, 4, &d), -1);
	ck_assert_uint_eq(gl_diag_errors(&d), 3);
	ck_assert_str_eq(d.entries[0].pos.file, "--var");
	ck_assert_uint_eq(d.entries[0].pos.line, 0);
	ck_assert_str_eq(d.entries[0].msg, "invalid --var 'x': expected NAME=VALUE");
	/* The value of a malformed assignment may be a secret: never echoed. */
	ck_assert_str_eq(d.entries[1].msg, "invalid --var 'qa-password=...': expected NAME=VALUE "
	                                   "with NAME [A-Za-z_][A-Za-z0-9_]*");
	ck_assert_ptr_null(strstr(d.entries[1].msg, "hunter2"));
	ck_assert_str_eq(d.entries[2].msg, "invalid --var '=...': expected NAME=VALUE with NAME "
	                                   "[A-Za-z_][A-Za-z0-9_]*");
	/* The good ones among the bad still apply. */
	ck_assert_str_eq(gl_env_lookup(env, "fine"), "1");
	gl_diag_release(&d);
	gl_env_free(env);
}
END_TEST

START_TEST(test_secrets)
{
	struct gl_env *env = load_ok("local");
	struct gl_diag d;
	char *dir = env_dir();
	char *out;

	gl_diag_init(&d);
	unsetenv("GREENLIGHT_QA_PASSWORD");
	ck_assert_int_eq(gl_env_resolve_secrets(env, &d), -1);
	out = printed(&d, dir);
	ck_assert_str_eq(out, "env/local.json:7:15: secret 'qa_password' needs the environment "
	                      "variable 'GREENLIGHT_QA_PASSWORD', which is not set\n");
	free(out);
	gl_diag_release(&d);

	/* Empty counts as missing: an empty password is never what was meant. */
	gl_diag_init(&d);
	setenv("GREENLIGHT_QA_PASSWORD", "", 1);
	ck_assert_int_eq(gl_env_resolve_secrets(env, &d), -1);
	ck_assert_uint_eq(gl_diag_errors(&d), 1);
	gl_diag_release(&d);

	gl_diag_init(&d);
	setenv("GREENLIGHT_QA_PASSWORD", "s3cret", 1);
	ck_assert_int_eq(gl_env_resolve_secrets(env, &d), 0);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
	ck_assert_str_eq(gl_env_lookup(env, "qa_password"), "s3cret");
	unsetenv("GREENLIGHT_QA_PASSWORD");
	gl_diag_release(&d);
	gl_env_free(env);
	free(dir);
}
END_TEST

START_TEST(test_secret_overridden_not_read)
{
	struct gl_env *env = load_ok("local");
	struct gl_diag d;
	const char *const set[] = {"qa_password=from-cli"};

	gl_diag_init(&d);
	unsetenv("GREENLIGHT_QA_PASSWORD");
	ck_assert_int_eq(gl_env_apply_overrides(env, set, 1, &d), 0);
	ck_assert_int_eq(gl_env_resolve_secrets(env, &d), 0);
	ck_assert_str_eq(gl_env_lookup(env, "qa_password"), "from-cli");
	gl_diag_release(&d);
	gl_env_free(env);
}
END_TEST

/* ---- tls_verify: environment files written to a temporary directory ---- */

struct tmpenv {
	char dir[64];
	char path[128];
};

static void tmpenv_write(struct tmpenv *t, const char *text)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/gl-env-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/e.json", t->dir);
	FILE *fp = fopen(t->path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

static void tmpenv_release(struct tmpenv *t)
{
	ck_assert_int_eq(unlink(t->path), 0);
	ck_assert_int_eq(rmdir(t->dir), 0);
}

/* Load text as an environment; the printed diag with the directory as "env". */
static char *load_text(struct gl_env **env, const char *text)
{
	struct tmpenv t;
	struct gl_diag d;

	tmpenv_write(&t, text);
	gl_diag_init(&d);
	gl_env_load(env, NULL, t.path, &d);
	char *out = printed(&d, t.dir);
	gl_diag_release(&d);
	tmpenv_release(&t);
	return out;
}

START_TEST(test_tls_verify_default_on)
{
	struct gl_env *env = load_ok("local");
	ck_assert(!env->tls_verify_off);
	ck_assert_uint_eq(env->tls_verify_pos.line, 0);
	gl_env_free(env);

	/* true, said explicitly, is the default */
	char *out = load_text(&env, "{ \"base_url\": \"https://x\", \"tls_verify\": true }\n");
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(env);
	ck_assert(!env->tls_verify_off);
	ck_assert_uint_eq(env->tls_verify_pos.line, 1);
	free(out);
	gl_env_free(env);
}
END_TEST

START_TEST(test_tls_verify_off_outside_production)
{
	struct gl_env *env = NULL;
	char *out = load_text(&env, "{\n"
	                            "  \"name\": \"staging\",\n"
	                            "  \"base_url\": \"https://x\",\n"
	                            "  \"production\": false,\n"
	                            "  \"tls_verify\": false\n"
	                            "}\n");
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(env);
	ck_assert(env->tls_verify_off);
	/* where it is said, for the warning */
	ck_assert_ptr_eq(env->tls_verify_pos.file, env->path);
	ck_assert_uint_eq(env->tls_verify_pos.line, 5);
	ck_assert_uint_eq(env->tls_verify_pos.col, 17);
	/* not a variable */
	ck_assert(!gl_env_knows(env, "tls_verify"));
	free(out);
	gl_env_free(env);
}
END_TEST

/* Refused in production, located at the value, whatever the key order. */
START_TEST(test_tls_verify_off_refused_in_production)
{
	struct gl_env *env = (struct gl_env *)1;
	char *out = load_text(&env, "{\n"
	                            "  \"base_url\": \"https://x\",\n"
	                            "  \"production\": true,\n"
	                            "  \"tls_verify\": false\n"
	                            "}\n");
	ck_assert_ptr_null(env);
	ck_assert_str_eq(out, "env/e.json:4:17: 'tls_verify' cannot be false in a production "
	                      "environment\n");
	free(out);

	env = (struct gl_env *)1;
	out = load_text(&env,
	                "{ \"tls_verify\": false, \"production\": true, \"base_url\": \"x\" }\n");
	ck_assert_ptr_null(env);
	ck_assert_str_eq(out, "env/e.json:1:17: 'tls_verify' cannot be false in a production "
	                      "environment\n");
	free(out);

	/* true in production is what production is */
	out = load_text(&env,
	                "{ \"base_url\": \"x\", \"production\": true, \"tls_verify\": true }\n");
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(env);
	ck_assert(!env->tls_verify_off);
	free(out);
	gl_env_free(env);
}
END_TEST

START_TEST(test_tls_verify_must_be_boolean)
{
	struct gl_env *env = (struct gl_env *)1;
	char *out = load_text(&env, "{ \"base_url\": \"x\", \"tls_verify\": \"false\" }\n");
	ck_assert_ptr_null(env);
	ck_assert_str_eq(out, "env/e.json:1:34: 'tls_verify' must be true or false\n");
	free(out);
}
END_TEST

/* --var is no way around it: tls_verify is a key of the file, and an
 * assignment only makes an ordinary variable of that name. */
START_TEST(test_tls_verify_not_overridable)
{
	struct gl_env *env = NULL;
	struct gl_diag d;
	const char *const set[] = {"tls_verify=false", "production=false"};
	char *out = load_text(&env, "{ \"base_url\": \"x\", \"production\": true }\n");

	ck_assert_str_eq(out, "");
	free(out);
	gl_diag_init(&d);
	ck_assert_int_eq(gl_env_apply_overrides(env, set, 2, &d), 0);
	ck_assert(!env->tls_verify_off);
	ck_assert(env->production);
	gl_diag_release(&d);
	gl_env_free(env);
}
END_TEST

Suite *env_suite(void)
{
	Suite *s = suite_create("env");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_load_full);
	tcase_add_test(tc, test_load_shorthand_and_path);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_secrets);
	tcase_add_test(tc, test_secret_overridden_not_read);
	tcase_add_test(tc, test_tls_verify_default_on);
	tcase_add_test(tc, test_tls_verify_off_outside_production);
	tcase_add_test(tc, test_tls_verify_off_refused_in_production);
	tcase_add_test(tc, test_tls_verify_must_be_boolean);
	tcase_add_test(tc, test_tls_verify_not_overridable);
	suite_add_tcase(s, tc);
	return s;
}
