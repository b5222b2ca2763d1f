/* Environment files to plain C structs, --var overrides and secrets from the
 * process environment. The cJSON tree never leaves gl_env_load(). */
#include "env.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsondoc.h"
#include "jsonpath.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const env_keys[] = {
        "name",    "base_url", "production", "expected_version", "variables",
        "secrets", "health",   "ca_file",    "tls_verify",
};
static const char *const health_keys[] = {"url", "version"};

struct loader {
	struct gl_jsondoc doc;
	struct gl_diag *diag;
	struct gl_env *env;
	size_t errors; /* in diag before this file */
	int oom;       /* recorded once */
};

static void oom(struct gl_diag *diag, int *flag, struct gl_pos pos)
{
	if (!*flag)
		gl_diag_add(diag, pos, "out of memory");
	*flag = 1;
}

static bool is_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool is_env_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool is_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static struct gl_var *find_var(const struct gl_env *env, const char *name)
{
	for (size_t i = 0; i < env->n_vars; i++)
		if (strcmp(env->vars[i].name, name) == 0)
			return &env->vars[i];
	return NULL;
}

/* Appends a variable; takes value and from_env (NULL or malloced) in every case. */
static struct gl_var *append_var(struct gl_env *env, const char *name, char *value, char *from_env,
                                 struct gl_pos pos)
{
	struct gl_var *vars = realloc(env->vars, (env->n_vars + 1) * sizeof(*vars));
	char *copy = strdup(name);

	if (!vars || !copy) {
		if (vars)
			env->vars = vars;
		free(copy);
		free(value);
		free(from_env);
		return NULL;
	}
	env->vars = vars;
	vars = &env->vars[env->n_vars++];
	memset(vars, 0, sizeof(*vars));
	vars->name = copy;
	vars->value = value;
	vars->from_env = from_env;
	vars->secret = from_env != NULL;
	vars->pos = pos;
	return vars;
}

/* A name may be defined once across base_url, variables and secrets. */
static void declare(struct loader *ld, const cJSON *at, const char *name, char *value,
                    char *from_env)
{
	struct gl_pos pos = gl_jsondoc_key_pos(&ld->doc, at);
	struct gl_var *prev = find_var(ld->env, name);

	if (prev) {
		gl_diag_add(ld->diag, pos, "duplicate variable '%s' (first at line %u)", name,
		            prev->pos.line);
		free(value);
		free(from_env);
		return;
	}
	if (!append_var(ld->env, name, value, from_env, pos))
		oom(ld->diag, &ld->oom, pos);
}

static char *variable_text(struct loader *ld, const cJSON *v)
{
	size_t len;
	const char *lit;

	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "true" : "false");
	/* Numbers as written: "1.10" stays "1.10", not cJSON's double. */
	lit = gl_jsondoc_literal(&ld->doc, v, &len);
	return strndup(lit, len);
}

static void load_variables(struct loader *ld, const cJSON *obj)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		if (!is_name(c->string)) {
			gl_diag_add(ld->diag, gl_jsondoc_key_pos(&ld->doc, c),
			            "invalid variable name '%s': use letters, digits and '_'",
			            c->string);
			continue;
		}
		if (!cJSON_IsString(c) && !cJSON_IsNumber(c) && !cJSON_IsBool(c)) {
			gl_diag_add(ld->diag, gl_jsondoc_pos(&ld->doc, c),
			            "variable '%s' must be a string, a number or a boolean",
			            c->string);
			continue;
		}
		char *value = variable_text(ld, c);
		if (!value) {
			oom(ld->diag, &ld->oom, gl_jsondoc_pos(&ld->doc, c));
			continue;
		}
		declare(ld, c, c->string, value, NULL);
	}
}

static void load_secrets(struct loader *ld, const cJSON *obj)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		if (!is_name(c->string)) {
			gl_diag_add(ld->diag, gl_jsondoc_key_pos(&ld->doc, c),
			            "invalid variable name '%s': use letters, digits and '_'",
			            c->string);
			continue;
		}
		if (!cJSON_IsString(c) || !is_env_name(c->valuestring)) {
			gl_diag_add(ld->diag, gl_jsondoc_pos(&ld->doc, c),
			            "secret '%s' must name a process environment variable "
			            "([A-Z_][A-Z0-9_]*)",
			            c->string);
			continue;
		}
		char *from = strdup(c->valuestring);
		if (!from) {
			oom(ld->diag, &ld->oom, gl_jsondoc_pos(&ld->doc, c));
			continue;
		}
		declare(ld, c, c->string, NULL, from);
	}
}

/* The health URL runs before any suite: its names must be the environment's own. */
static void check_health_names(struct loader *ld, const struct gl_template *url)
{
	const char **names = calloc(ld->env->n_vars + 1, sizeof(*names));

	for (size_t i = 0; names && i < ld->env->n_vars; i++)
		names[i] = ld->env->vars[i].name;
	for (size_t i = 0; i < gl_template_n_names(url); i++) {
		const char *name = gl_template_name(url, i);
		if (find_var(ld->env, name))
			continue;
		const char *hint = names ? gl_diag_suggest(name, names, ld->env->n_vars) : NULL;
		if (hint)
			gl_diag_add(ld->diag, gl_template_pos(url),
			            "unknown variable '%s' (did you mean '%s'?)", name, hint);
		else
			gl_diag_add(ld->diag, gl_template_pos(url), "unknown variable '%s'", name);
	}
	free(names);
}

static void load_health(struct loader *ld, const cJSON *h)
{
	struct gl_health *health;
	const cJSON *url = h;
	const cJSON *version = NULL;

	if (cJSON_IsObject(h)) {
		gl_jsondoc_check_keys(&ld->doc, h, health_keys, N(health_keys));
		url = gl_jsondoc_get(&ld->doc, h, "url", cJSON_String, "a string", "health");
		version = gl_jsondoc_get(&ld->doc, h, "version", cJSON_String, "a JSON path string",
		                         NULL);
		if (!url)
			return;
	} else if (!cJSON_IsString(h)) {
		gl_diag_add(ld->diag, gl_jsondoc_pos(&ld->doc, h),
		            "'health' must be a URL string or an object");
		return;
	}
	health = calloc(1, sizeof(*health));
	if (!health) {
		oom(ld->diag, &ld->oom, gl_jsondoc_pos(&ld->doc, h));
		return;
	}
	ld->env->health = health;
	health->pos = gl_jsondoc_pos(&ld->doc, h);
	/* Only in an otherwise sound file: a missing base_url is reported once. */
	if (gl_template_parse(&health->url, url->valuestring, gl_jsondoc_inner_pos(&ld->doc, url),
	                      ld->diag) == 0 &&
	    gl_diag_errors(ld->diag) == ld->errors)
		check_health_names(ld, health->url);
	if (version) {
		struct gl_jsonpath *path = NULL;
		if (gl_jsonpath_compile(&path, version->valuestring,
		                        gl_jsondoc_inner_pos(&ld->doc, version), ld->diag) == 0) {
			health->version_path = strdup(version->valuestring);
			if (!health->version_path)
				oom(ld->diag, &ld->oom, health->pos);
		}
		gl_jsonpath_free(path);
	}
}

/* A relative CA path is relative to the environment file, so an environment
 * and its CA bundle travel together whatever the working directory. The file
 * must be readable now: a typo is an input error, not a TLS error per check. */
static void load_ca_file(struct loader *ld, const cJSON *v)
{
	const char *name = v->valuestring;
	const char *slash = strrchr(ld->env->path, '/');
	size_t dir = name[0] != '/' && slash ? (size_t)(slash - ld->env->path) + 1 : 0;
	size_t len = strlen(name);
	char *path = malloc(dir + len + 1);

	if (!path) {
		oom(ld->diag, &ld->oom, gl_jsondoc_pos(&ld->doc, v));
		return;
	}
	memcpy(path, ld->env->path, dir);
	memcpy(path + dir, name, len + 1);
	if (access(path, R_OK) != 0) {
		gl_diag_add(ld->diag, gl_jsondoc_pos(&ld->doc, v), "cannot read 'ca_file' '%s': %s",
		            path, strerror(errno));
		free(path);
		return;
	}
	ld->env->ca_file = path;
}

/* "tls_verify": false turns certificate and host name checks off, for a test
 * environment with a certificate nobody can fix today. Never in production:
 * evidence for a release must come from the real, verified target, so the
 * combination is an input error, whatever the order of the keys. */
static void load_tls_verify(struct loader *ld, const cJSON *root)
{
	const cJSON *v = gl_jsondoc_get(&ld->doc, root, "tls_verify", cJSON_True | cJSON_False,
	                                "true or false", NULL);

	if (!v)
		return;
	ld->env->tls_verify_pos = gl_jsondoc_pos(&ld->doc, v);
	ld->env->tls_verify_off = cJSON_IsFalse(v);
	if (ld->env->tls_verify_off && ld->env->production)
		gl_diag_add(ld->diag, ld->env->tls_verify_pos,
		            "'tls_verify' cannot be false in a production environment");
}

static void load_env(struct loader *ld, const cJSON *root)
{
	struct gl_env *env = ld->env;
	const cJSON *v;

	if (!cJSON_IsObject(root)) {
		gl_diag_add(ld->diag, gl_jsondoc_pos(&ld->doc, root),
		            "an environment must be a JSON object");
		return;
	}
	gl_jsondoc_check_keys(&ld->doc, root, env_keys, N(env_keys));
	v = gl_jsondoc_get(&ld->doc, root, "name", cJSON_String, "a string", NULL);
	if (v && !is_id(v->valuestring))
		gl_diag_add(ld->diag, gl_jsondoc_pos(&ld->doc, v),
		            "invalid environment name '%s': use letters, digits, '_', '.' and '-'",
		            v->valuestring);
	env->name = v ? strdup(v->valuestring) : gl_jsondoc_default_name(env->path);
	if (!env->name)
		oom(ld->diag, &ld->oom, gl_jsondoc_pos(&ld->doc, root));
	v = gl_jsondoc_get(&ld->doc, root, "production", cJSON_True | cJSON_False, "true or false",
	                   NULL);
	env->production = cJSON_IsTrue(v);
	v = gl_jsondoc_get(&ld->doc, root, "base_url", cJSON_String, "a string", "environment");
	if (v) {
		char *value = strdup(v->valuestring);
		if (value)
			declare(ld, v, "base_url", value, NULL);
		else
			oom(ld->diag, &ld->oom, gl_jsondoc_pos(&ld->doc, v));
	}
	/* The version under test is also the variable {{expected_version}}, so
	 * a suite's version check and the environment cannot disagree. */
	v = gl_jsondoc_get(&ld->doc, root, "expected_version", cJSON_String, "a string", NULL);
	if (v) {
		char *value = strdup(v->valuestring);
		env->expected_version = strdup(v->valuestring);
		if (value && env->expected_version)
			declare(ld, v, "expected_version", value, NULL);
		else
			oom(ld->diag, &ld->oom, gl_jsondoc_pos(&ld->doc, v));
		if (!env->expected_version)
			free(value);
	}
	v = gl_jsondoc_get(&ld->doc, root, "variables", cJSON_Object, "an object", NULL);
	if (v)
		load_variables(ld, v);
	v = gl_jsondoc_get(&ld->doc, root, "secrets", cJSON_Object, "an object", NULL);
	if (v)
		load_secrets(ld, v);
	v = cJSON_GetObjectItemCaseSensitive(root, "health");
	if (v)
		load_health(ld, v);
	v = gl_jsondoc_get(&ld->doc, root, "ca_file", cJSON_String, "a path string", NULL);
	if (v)
		load_ca_file(ld, v);
	load_tls_verify(ld, root);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "'local', 'qa'": the environments in dir, for a message; NULL when none. */
static char *list_environments(const char *dir)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	size_t len = 1;
	char *out = NULL;
	struct dirent *e;

	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l <= 5 || e->d_name[0] == '.' || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		char **grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		if (!(names[n] = strndup(e->d_name, l - 5)))
			break;
		len += l + 4;
		n++;
	}
	closedir(d);
	if (n > 0) {
		qsort(names, n, sizeof(*names), cmp_str);
		out = malloc(len);
	}
	if (out) {
		out[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			strcat(out, i ? ", '" : "'");
			strcat(out, names[i]);
			strcat(out, "'");
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return out;
}

static char *env_path(const char *dir, const char *name, bool *named)
{
	size_t len = strlen(name);
	char *path;

	*named = !(strchr(name, '/') || (len > 5 && strcmp(name + len - 5, ".json") == 0));
	if (!*named)
		return strdup(name);
	if (!dir || !*dir)
		dir = ".";
	path = malloc(strlen(dir) + len + 7);
	if (path)
		sprintf(path, "%s/%s.json", dir, name);
	return path;
}

int gl_env_load(struct gl_env **out, const char *dir, const char *name, struct gl_diag *diag)
{
	struct loader ld = {.diag = diag, .errors = gl_diag_errors(diag)};
	size_t errors = ld.errors;
	size_t first = diag->n;
	struct gl_env *env = calloc(1, sizeof(*env));
	char *text = NULL;
	size_t len = 0;
	bool named = false;

	*out = NULL;
	if (!env || !(env->path = env_path(dir, name, &named))) {
		gl_diag_add(diag, (struct gl_pos){0}, "out of memory");
		goto out;
	}
	ld.env = env;
	if (named && !is_id(name)) {
		gl_diag_add(diag, (struct gl_pos){0}, "invalid environment name '%s'", name);
		goto out;
	}
	if (named) {
		FILE *probe = fopen(env->path, "rb");
		if (!probe && errno == ENOENT) {
			char *list = list_environments(dir && *dir ? dir : ".");
			gl_diag_add(diag, (struct gl_pos){0},
			            "environment '%s' not found (looked for '%s'; %s%s)", name,
			            env->path, list ? "available: " : "there are none",
			            list ? list : "");
			free(list);
			goto out;
		}
		if (probe)
			fclose(probe);
	}
	if (gl_jsondoc_read_file(&text, &len, env->path, diag) < 0)
		goto out;
	if (gl_jsondoc_parse(&ld.doc, env->path, text, len, diag) == 0)
		load_env(&ld, ld.doc.root);
out:
	gl_jsondoc_sort_diag(diag, first);
	gl_jsondoc_release(&ld.doc);
	free(text);
	if (gl_diag_errors(diag) > errors) {
		gl_env_free(env);
		return -1;
	}
	*out = env;
	return 0;
}

void gl_env_free(struct gl_env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->n_vars; i++) {
		free(env->vars[i].name);
		free(env->vars[i].value);
		free(env->vars[i].from_env);
	}
	free(env->vars);
	if (env->health) {
		gl_template_free(env->health->url);
		free(env->health->version_path);
		free(env->health);
	}
	free(env->name);
	free(env->path);
	free(env->expected_version);
	free(env->ca_file);
	free(env);
}

int gl_env_apply_overrides(struct gl_env *env, const char *const *assignments, size_t n,
                           struct gl_diag *diag)
{
	const struct gl_pos at = {"--var", 0, 0};
	int rc = 0;
	int no_mem = 0;

	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(assignments[i], '=');
		char *name;
		char *value;
		if (!eq) {
			gl_diag_add(diag, at, "invalid --var '%s': expected NAME=VALUE",
			            assignments[i]);
			rc = -1;
			continue;
		}
		name = strndup(assignments[i], (size_t)(eq - assignments[i]));
		value = strdup(eq + 1);
		if (!name || !value) {
			free(name);
			free(value);
			oom(diag, &no_mem, at);
			rc = -1;
			continue;
		}
		if (!is_name(name)) {
			/* Only the name is quoted: the value may be a secret. */
			gl_diag_add(diag, at,
			            "invalid --var '%s=...': expected NAME=VALUE with NAME "
			            "[A-Za-z_][A-Za-z0-9_]*",
			            name);
			free(name);
			free(value);
			rc = -1;
			continue;
		}
		struct gl_var *var = find_var(env, name);
		if (var) {
			free(var->value);
			var->value = value;
			var->overridden = true;
		} else if ((var = append_var(env, name, value, NULL, at))) {
			var->overridden = true;
		} else {
			oom(diag, &no_mem, at);
			rc = -1;
		}
		/* --var expected_version=V retargets the version under test. */
		if (var && strcmp(name, "expected_version") == 0) {
			char *copy = strdup(var->value);
			if (copy) {
				free(env->expected_version);
				env->expected_version = copy;
			} else {
				oom(diag, &no_mem, at);
				rc = -1;
			}
		}
		free(name);
	}
	return rc;
}

static int resolve(struct gl_env *env, bool only_used, struct gl_diag *diag)
{
	int rc = 0;
	int no_mem = 0;

	for (size_t i = 0; i < env->n_vars; i++) {
		struct gl_var *v = &env->vars[i];
		if (!v->secret || v->overridden || !v->from_env || (only_used && !v->used))
			continue;
		const char *value = getenv(v->from_env);
		if (!value || !*value) {
			gl_diag_add(diag, v->pos,
			            "secret '%s' needs the environment variable '%s', which is "
			            "not set",
			            v->name, v->from_env);
			rc = -1;
			continue;
		}
		free(v->value);
		v->value = strdup(value);
		if (!v->value) {
			oom(diag, &no_mem, v->pos);
			rc = -1;
		}
	}
	return rc;
}

int gl_env_resolve_secrets(struct gl_env *env, struct gl_diag *diag)
{
	return resolve(env, false, diag);
}

int gl_env_resolve_used_secrets(struct gl_env *env, struct gl_diag *diag)
{
	return resolve(env, true, diag);
}

void gl_env_mark_used(struct gl_env *env, const char *name)
{
	struct gl_var *v = find_var(env, name);
	if (v)
		v->used = true;
}

const char *gl_env_lookup(void *env, const char *name)
{
	const struct gl_var *v = find_var(env, name);

	return v ? v->value : NULL;
}

int gl_env_knows(void *env, const char *name)
{
	return find_var(env, name) != NULL;
}
