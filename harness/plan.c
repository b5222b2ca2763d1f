/* Suite discovery and check selection. */
#include "plan.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct pathlist {
	char **items;
	size_t n;
	size_t cap;
	int oom;
};

static void pathlist_push(struct pathlist *l, char *owned)
{
	if (!owned) {
		l->oom = 1;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **grown = realloc(l->items, cap * sizeof(*grown));
		if (!grown) {
			free(owned);
			l->oom = 1;
			return;
		}
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = owned;
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir);
	size_t b = strlen(name);
	char *p = malloc(a + b + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, a);
	size_t off = a;
	if (a == 0 || dir[a - 1] != '/')
		p[off++] = '/';
	memcpy(p + off, name, b + 1);
	return p;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s);
	size_t b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Collect *.json below dir. Hidden entries and "environments" directories are
 * skipped: environment files are not suites. */
static void walk(struct pathlist *l, const char *dir, struct gl_diag *diag)
{
	DIR *d = opendir(dir);
	if (!d) {
		gl_diag_add(diag, (struct gl_pos){dir, 0, 0}, "cannot read directory: %s",
		            strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *path = join(dir, e->d_name);
		if (!path) {
			l->oom = 1;
			break;
		}
		struct stat st;
		if (stat(path, &st) != 0) {
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (strcmp(e->d_name, "environments") != 0)
				walk(l, path, diag);
			free(path);
		} else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".json")) {
			pathlist_push(l, path);
		} else {
			free(path);
		}
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int gl_plan_expand_paths(char ***out, size_t *n_out, const char *const *paths, size_t n_paths,
                         struct gl_diag *diag)
{
	struct pathlist l = {0};
	size_t errors_before = gl_diag_errors(diag);
	*out = NULL;
	*n_out = 0;

	for (size_t i = 0; i < n_paths; i++) {
		struct stat st;
		struct gl_pos pos = {paths[i], 0, 0};
		if (stat(paths[i], &st) != 0) {
			gl_diag_add(diag, pos, "cannot read suite: %s", strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			size_t before = l.n;
			walk(&l, paths[i], diag);
			if (l.n == before)
				gl_diag_add(diag, pos, "no suite files (*.json) in directory");
		} else {
			pathlist_push(&l, strdup(paths[i]));
		}
	}
	if (l.oom) {
		gl_plan_paths_free(l.items, l.n);
		gl_diag_add(diag, (struct gl_pos){"greenlight", 0, 0}, "out of memory");
		return -1;
	}
	if (l.n > 1)
		qsort(l.items, l.n, sizeof(*l.items), cmp_str);
	size_t w = 0;
	for (size_t r = 0; r < l.n; r++) {
		if (w > 0 && strcmp(l.items[w - 1], l.items[r]) == 0)
			free(l.items[r]);
		else
			l.items[w++] = l.items[r];
	}
	*out = l.items;
	*n_out = w;
	return gl_diag_errors(diag) > errors_before ? -1 : 0;
}

void gl_plan_paths_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static int has_any_tag(char *const *tags, size_t n_tags, const struct gl_selection *sel)
{
	if (sel->n_tags == 0)
		return 1;
	for (size_t i = 0; i < sel->n_tags; i++)
		for (size_t j = 0; j < n_tags; j++)
			if (strcmp(sel->tags[i], tags[j]) == 0)
				return 1;
	return 0;
}

static bool id_is(const char *id, const struct gl_suite *s, const char *check_id)
{
	size_t n = strlen(s->name);
	return strncmp(id, s->name, n) == 0 && id[n] == '/' && strcmp(id + n + 1, check_id) == 0;
}

static int matches_filter(const struct gl_suite *s, const char *check_id,
                          const struct gl_selection *sel)
{
	if (sel->n_ids) {
		for (size_t i = 0; i < sel->n_ids; i++)
			if (id_is(sel->ids[i], s, check_id))
				return 1;
		return 0;
	}
	if (!sel->filter)
		return 1;
	size_t len = strlen(s->name) + strlen(check_id) + 2;
	char *id = malloc(len);
	if (!id)
		return -1;
	snprintf(id, len, "%s/%s", s->name, check_id);
	int m = fnmatch(sel->filter, id, 0) == 0;
	free(id);
	return m;
}

int gl_plan_select(enum gl_sel ***out, size_t *n_selected, const struct gl_suite *const *suites,
                   size_t n_suites, const struct gl_env *env, const struct gl_selection *sel)
{
	enum gl_sel **m = calloc(n_suites ? n_suites : 1, sizeof(*m));
	*out = NULL;
	*n_selected = 0;
	if (!m)
		return -1;
	for (size_t i = 0; i < n_suites; i++) {
		const struct gl_suite *s = suites[i];
		m[i] = calloc(s->n_checks ? s->n_checks : 1, sizeof(**m));
		if (!m[i])
			goto oom;
		if (s->replay) {
			/* A replay is one selectable unit, "<suite>/replay", with
			 * the suite's tags. sel[i][0] is its fate. */
			int f = matches_filter(s, "replay", sel);
			if (f < 0)
				goto oom;
			m[i][0] =
			        f && has_any_tag(s->tags, s->n_tags, sel) ? GL_SEL_RUN : GL_SEL_OUT;
			*n_selected += m[i][0] == GL_SEL_RUN;
			continue;
		}
		for (size_t j = 0; j < s->n_checks; j++) {
			const struct gl_check *c = &s->checks[j];
			int f = matches_filter(s, c->id, sel);
			if (f < 0)
				goto oom;
			if (!f || !has_any_tag(c->tags, c->n_tags, sel)) {
				m[i][j] = GL_SEL_OUT;
				continue;
			}
			(*n_selected)++;
			if (c->mutating && env->production && !sel->allow_mutations)
				m[i][j] = GL_SEL_SKIP_MUTATING;
			else
				m[i][j] = GL_SEL_RUN;
		}
	}
	*out = m;
	return 0;
oom:
	gl_plan_selection_free(m, n_suites);
	*n_selected = 0;
	return -1;
}

void gl_plan_selection_free(enum gl_sel **sel, size_t n_suites)
{
	if (!sel)
		return;
	for (size_t i = 0; i < n_suites; i++)
		free(sel[i]);
	free(sel);
}

const char *gl_plan_unknown_id(const struct gl_suite *const *suites, size_t n_suites,
                               const struct gl_selection *sel)
{
	for (size_t i = 0; i < sel->n_ids; i++) {
		bool found = false;
		for (size_t k = 0; k < n_suites && !found; k++) {
			const struct gl_suite *s = suites[k];
			if (s->replay)
				found = id_is(sel->ids[i], s, "replay");
			for (size_t j = 0; j < s->n_checks && !found; j++)
				found = id_is(sel->ids[i], s, s->checks[j].id);
		}
		if (!found)
			return sel->ids[i];
	}
	return NULL;
}
