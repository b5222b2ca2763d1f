/* Merging run results and choosing what to rerun. See merge.h for the rules.
 *
 * The merge works on a private, growable form of each suite (struct msuite),
 * with cases found by key through a small hash table, since a replay run
 * with a testcase per case may carry hundreds of thousands; it is turned into
 * plain gl_suite_results at the end. Pointers into the inputs (names,
 * shard labels) are lent for the duration of gl_merge only. */
#include "merge.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE         SIZE_MAX
#define ATTEMPT_CAP  1024          /* of one attempt's message */
#define HISTORY_CAP  (1024 * 1024) /* of one case's attempt lines */
#define PROP_SHARD   "replay.shard"
#define PROP_FROM    "greenlight.merged_from"
#define PROP_ATTEMPT "greenlight.attempts"
#define PROP_OMITTED "greenlight.attempts_omitted"
/* A rerun of a replay with a testcase per case could supersede every one of
 * them: past this many, the suite says how many more (the details keep
 * them). */
#define ATTEMPT_PROPS_MAX 1000

/* ---- strings ---- */

/* A growable string with a cap; a failure sticks and is checked once. */
struct sb {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > HISTORY_CAP) {
		b->oom = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		b->oom = 1;
	else
		sb_add(b, buf, (size_t)n);
}

static char *xstrdup(const char *s, int *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

static char *xjoin(const char *a, const char *sep, const char *b, int *oom)
{
	size_t len = strlen(a) + strlen(sep) + strlen(b) + 1;
	char *p = malloc(len);
	if (!p) {
		*oom = 1;
		return NULL;
	}
	snprintf(p, len, "%s%s%s", a, sep, b);
	return p;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const char *outcome_text(enum gl_outcome o)
{
	switch (o) {
	case GL_OUT_PASS:
		return "pass";
	case GL_OUT_FAIL:
		return "failure";
	case GL_OUT_SKIP:
		return "skipped";
	case GL_OUT_ERROR:
		return "error";
	}
	return "error";
}

/* ---- the merged form ---- */

struct mcase {
	struct gl_case c;  /* owned: the current (latest) attempt */
	const char *shard; /* lent: the replay.shard it came with, or NULL */
	const char *src;   /* lent: the input of the latest attempt, kept or not */
	struct sb hist;    /* earlier attempts, one line each */
	size_t attempts;   /* lines in hist */
	unsigned retries;  /* earlier attempts, with those the inputs counted */
	size_t next;       /* the next case with the same key, or NONE */
	bool dropped;      /* superseded by a case it was merged into */
};

struct mprop {
	char *name, *value; /* owned */
	const char *shard;  /* lent */
	bool dropped;
};

struct msuite {
	struct gl_suite_result s; /* name, file, digest, seconds, started: owned */
	const char *digest_src;   /* lent: the input the digest was first seen in */
	struct mcase *cases;
	size_t n_cases, cap_cases;
	size_t *table; /* heads of key chains, or NONE; size a power of 2 */
	size_t table_size;
	struct mprop *props;
	size_t n_props, cap_props;
	struct sb from;         /* greenlight.merged_from */
	struct sb shards;       /* replay.shard labels seen */
	size_t n_attempt_props; /* greenlight.attempts written for this suite */
	size_t n_shards;
};

struct merger {
	struct gl_diag *diag;
	struct gl_run_result *out;
	struct msuite *suites;
	size_t n_suites, cap_suites;
	const char *env_src, *url_src, *version_src; /* lent: who set the run fields */
	int oom;
};

static const char *classname_of(const struct gl_suite_result *s, const struct gl_case *c)
{
	return c->classname ? c->classname : s->name;
}

static uint64_t hash_key(const char *classname, const char *name)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)classname; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0x1f) * 1099511628211ULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static bool key_eq(const struct mcase *m, const char *classname, const char *name)
{
	return strcmp(m->c.classname, classname) == 0 && strcmp(m->c.name, name) == 0;
}

/* The table slot of the chain for (classname, name): its head, or an empty
 * slot where it goes. */
static size_t *slot_of(struct msuite *ms, const char *classname, const char *name)
{
	size_t mask = ms->table_size - 1;
	for (size_t i = (size_t)hash_key(classname, name) & mask;; i = (i + 1) & mask) {
		size_t *slot = &ms->table[i];
		if (*slot == NONE || key_eq(&ms->cases[*slot], classname, name))
			return slot;
	}
}

/* Keep the table at most half full. */
static int table_grow(struct msuite *ms, size_t n_keys)
{
	if (ms->table_size && n_keys * 2 < ms->table_size)
		return 0;
	size_t size = ms->table_size ? ms->table_size * 2 : 64;
	size_t *old = ms->table;
	size_t old_size = ms->table_size;
	ms->table = malloc(size * sizeof *ms->table);
	if (!ms->table) {
		ms->table = old;
		return -1;
	}
	ms->table_size = size;
	for (size_t i = 0; i < size; i++)
		ms->table[i] = NONE;
	for (size_t i = 0; i < old_size; i++)
		if (old[i] != NONE) {
			const struct gl_case *c = &ms->cases[old[i]].c;
			*slot_of(ms, c->classname, c->name) = old[i];
		}
	free(old);
	return 0;
}

static void case_release(struct gl_case *c)
{
	free(c->id);
	free(c->classname);
	free(c->name);
	free(c->file);
	free(c->message);
	free(c->detail);
	free(c->method);
	free(c->url);
}

static void case_copy(struct gl_case *to, const struct gl_suite_result *s, const struct gl_case *c,
                      int *oom)
{
	*to = *c;
	to->id = xstrdup(c->id, oom);
	to->classname = xstrdup(classname_of(s, c), oom);
	to->name = xstrdup(c->name ? c->name : c->id ? c->id : "", oom);
	to->file = xstrdup(c->file, oom);
	to->message = xstrdup(c->message, oom);
	to->detail = xstrdup(c->detail, oom);
	to->method = xstrdup(c->method, oom);
	to->url = xstrdup(c->url, oom);
}

static void msuite_release(struct msuite *ms)
{
	for (size_t i = 0; i < ms->n_cases; i++) {
		case_release(&ms->cases[i].c);
		free(ms->cases[i].hist.p);
	}
	free(ms->cases);
	free(ms->table);
	for (size_t i = 0; i < ms->n_props; i++) {
		free(ms->props[i].name);
		free(ms->props[i].value);
	}
	free(ms->props);
	free(ms->from.p);
	free(ms->shards.p);
	free(ms->s.name);
	free(ms->s.file);
	free(ms->s.digest);
}

/* ---- merging one input ---- */

static void err(struct merger *m, const char *src, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void err(struct merger *m, const char *src, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gl_diag_vadd(m->diag, (struct gl_pos){src, 0, 0}, fmt, ap);
	va_end(ap);
}

/* A run field every input must agree on (when it has one). */
static void agree(struct merger *m, char **field, const char **field_src, const char *value,
                  const char *what, const char *src)
{
	if (!value || !*value)
		return;
	if (!*field || !**field) {
		free(*field);
		*field = xstrdup(value, &m->oom);
		*field_src = src;
	} else if (strcmp(*field, value) != 0) {
		err(m, src,
		    "%s is '%s' here but '%s' in '%s': evidence about different targets "
		    "cannot be merged",
		    what, value, *field, *field_src);
	}
}

static const char *prop_of(const struct gl_suite_result *s, const char *name)
{
	for (size_t i = 0; i < s->n_props; i++)
		if (strcmp(s->props[i].name, name) == 0)
			return s->props[i].value;
	return NULL;
}

/* Whether a later attempt from shard `later` may supersede a kept one from
 * shard `kept` (NULL: not sharded). The same shard, or an unsharded rerun
 * of everything, may; a sharded attempt never supersedes an unsharded one:
 * it covers only part of the cases, and the failures may be in the rest. */
static bool may_supersede(const char *kept, const char *later)
{
	return !later || (kept && strcmp(kept, later) == 0);
}

static struct msuite *find_or_add_suite(struct merger *m, const struct gl_suite_result *s,
                                        const char *src)
{
	for (size_t i = 0; i < m->n_suites; i++) {
		struct msuite *ms = &m->suites[i];
		if (strcmp(ms->s.name, s->name) != 0)
			continue;
		if (!same(ms->s.digest, s->digest))
			err(m, src,
			    "suite '%s' has digest '%s' here but '%s' in '%s': evidence from "
			    "different "
			    "suite versions cannot be merged",
			    s->name, s->digest ? s->digest : "(none)",
			    ms->s.digest ? ms->s.digest : "(none)", ms->digest_src);
		return ms;
	}
	if (m->n_suites == m->cap_suites) {
		size_t cap = m->cap_suites ? m->cap_suites * 2 : 8;
		struct msuite *p = realloc(m->suites, cap * sizeof *p);
		if (!p) {
			m->oom = 1;
			return NULL;
		}
		m->suites = p;
		m->cap_suites = cap;
	}
	struct msuite *ms = &m->suites[m->n_suites++];
	memset(ms, 0, sizeof *ms);
	ms->s.name = xstrdup(s->name, &m->oom);
	ms->s.file = xstrdup(s->file, &m->oom);
	ms->s.digest = xstrdup(s->digest, &m->oom);
	ms->digest_src = src;
	return ms;
}

static void add_prop(struct merger *m, struct msuite *ms, const char *name, const char *value,
                     const char *shard)
{
	if (ms->n_props == ms->cap_props) {
		size_t cap = ms->cap_props ? ms->cap_props * 2 : 16;
		struct mprop *p = realloc(ms->props, cap * sizeof *p);
		if (!p) {
			m->oom = 1;
			return;
		}
		ms->props = p;
		ms->cap_props = cap;
	}
	struct mprop *p = &ms->props[ms->n_props++];
	p->name = xstrdup(name, &m->oom);
	p->value = xstrdup(value ? value : "", &m->oom);
	p->shard = shard;
	p->dropped = false;
}

static void merge_props(struct merger *m, struct msuite *ms, const struct gl_suite_result *s,
                        const char *shard)
{
	for (size_t i = 0; i < s->n_props; i++) {
		const struct gl_property *p = &s->props[i];
		struct mprop *hit = NULL;
		if (strcmp(p->name, PROP_FROM) == 0)
			continue;
		if (strcmp(p->name, PROP_ATTEMPT) == 0) {
			add_prop(m, ms, p->name, p->value, NULL);
			continue;
		}
		for (size_t j = 0; j < ms->n_props; j++) {
			struct mprop *q = &ms->props[j];
			if (q->dropped || strcmp(q->name, p->name) != 0)
				continue;
			if (strcmp(p->name, PROP_SHARD) != 0 && !may_supersede(q->shard, shard))
				continue;
			if (!hit) {
				hit = q;
				char *v = xstrdup(p->value ? p->value : "", &m->oom);
				free(q->value);
				q->value = v;
				q->shard = shard ? shard : q->shard;
			} else {
				q->dropped = true;
			}
		}
		if (!hit)
			add_prop(m, ms, p->name, p->value, shard);
	}
}

/* One line of history, "(SRC): OUTCOME[: MESSAGE]", for an attempt as it
 * arrives; lines are numbered when the case is finished. */
static void record_attempt(struct mcase *mc, const struct gl_case *c, const char *src)
{
	sb_puts(&mc->hist, "(");
	sb_puts(&mc->hist, src);
	sb_puts(&mc->hist, "): ");
	sb_puts(&mc->hist, outcome_text(c->outcome));
	if (c->message && c->outcome != GL_OUT_PASS) {
		size_t len = strcspn(c->message, "\n");
		sb_puts(&mc->hist, ": ");
		sb_add(&mc->hist, c->message, len > ATTEMPT_CAP ? ATTEMPT_CAP : len);
		if (len > ATTEMPT_CAP)
			sb_puts(&mc->hist, "...");
	}
	sb_puts(&mc->hist, "\n");
	mc->attempts++;
	mc->retries += c->retries;
	mc->src = src;
}

/* A later attempt supersedes the kept one, unless it did not run: a skip
 * (the environment not ready on the rerun, say) is no evidence, and must
 * not turn a failure into something that is not one. */
static bool supersedes(const struct gl_case *later, const struct gl_case *kept)
{
	return later->outcome != GL_OUT_SKIP || kept->outcome == GL_OUT_SKIP;
}

static void add_case(struct merger *m, struct msuite *ms, const struct gl_suite_result *s,
                     const struct gl_case *c, const char *shard, const char *src)
{
	if (table_grow(ms, ms->n_cases + 1) != 0) {
		m->oom = 1;
		return;
	}
	const char *classname = classname_of(s, c);
	const char *name = c->name ? c->name : c->id ? c->id : "";
	size_t *slot = slot_of(ms, classname, name);
	size_t hit = NONE;
	size_t last = NONE;

	for (size_t i = *slot; i != NONE; i = ms->cases[i].next) {
		struct mcase *mc = &ms->cases[i];
		last = i;
		if (mc->dropped || !may_supersede(mc->shard, shard))
			continue;
		if (hit == NONE) {
			hit = i;
			if (!supersedes(c, &mc->c))
				break;
			continue;
		}
		/* a second compatible case (shards 1/2 and 2/2 both kept, then an
		 * unsharded rerun that ran): folded into the first as attempts */
		struct mcase *first = &ms->cases[hit];
		sb_puts(&first->hist, mc->hist.p ? mc->hist.p : "");
		first->attempts += mc->attempts;
		first->retries += mc->retries;
		if (mc->hist.oom)
			first->hist.oom = 1;
		mc->dropped = true;
	}
	if (hit != NONE) {
		struct mcase *mc = &ms->cases[hit];
		if (mc->src == src) {
			/* Two outcomes of one check in one report are not attempts:
			 * which came last cannot be known, and a pass after a
			 * failure must not hide it. */
			err(m, src, "suite '%s': case '%s' named '%s' appears twice", ms->s.name,
			    classname, name);
			return;
		}
		record_attempt(mc, c, src);
		if (!supersedes(c, &mc->c))
			return;
		case_release(&mc->c);
		case_copy(&mc->c, s, c, &m->oom);
		mc->shard = shard ? shard : mc->shard;
		return;
	}
	if (ms->n_cases == ms->cap_cases) {
		size_t cap = ms->cap_cases ? ms->cap_cases * 2 : 16;
		struct mcase *p = realloc(ms->cases, cap * sizeof *p);
		if (!p) {
			m->oom = 1;
			return;
		}
		ms->cases = p;
		ms->cap_cases = cap;
	}
	size_t idx = ms->n_cases++;
	struct mcase *mc = &ms->cases[idx];
	memset(mc, 0, sizeof *mc);
	case_copy(&mc->c, s, c, &m->oom);
	mc->shard = shard;
	mc->next = NONE;
	if (!mc->c.classname || !mc->c.name) {
		m->oom = 1;
		ms->n_cases--;
		case_release(&mc->c);
		return;
	}
	record_attempt(mc, c, src);
	if (last == NONE)
		*slot = idx;
	else
		ms->cases[last].next = idx;
}

static void merge_suite(struct merger *m, const struct gl_suite_result *s, const char *src)
{
	struct msuite *ms = find_or_add_suite(m, s, src);
	const char *shard = prop_of(s, PROP_SHARD);
	const char *from = prop_of(s, PROP_FROM);

	if (!ms)
		return;
	ms->s.seconds += s->seconds > 0 ? s->seconds : 0;
	if (s->started && (!ms->s.started || s->started < ms->s.started))
		ms->s.started = s->started;
	if (ms->from.len)
		sb_puts(&ms->from, ", ");
	sb_puts(&ms->from, from ? from : src);
	if (shard) {
		bool seen = false;
		const char *p = ms->shards.p;
		size_t len = strlen(shard);
		for (size_t i = 0; p && i < ms->n_shards; i++) {
			seen = seen || (strncmp(p, shard, len) == 0 && (p[len] == ',' || !p[len]));
			p = strchr(p, ',');
			p = p ? p + 2 : NULL;
		}
		if (!seen) {
			if (ms->n_shards++)
				sb_puts(&ms->shards, ", ");
			sb_puts(&ms->shards, shard);
		}
	}
	merge_props(m, ms, s, shard);
	for (size_t i = 0; i < s->n_cases; i++)
		add_case(m, ms, s, &s->cases[i], shard, src);
}

/* ---- the merged result ---- */

/* Whether another kept case with mc's key came from a different shard. */
static bool other_shard(const struct msuite *ms, const struct mcase *mc)
{
	if (!mc->shard)
		return false;
	const char *classname = mc->c.classname;
	const char *name = mc->c.name;
	size_t mask = ms->table_size - 1;
	size_t head = NONE;
	for (size_t i = (size_t)hash_key(classname, name) & mask;; i = (i + 1) & mask) {
		head = ms->table[i];
		if (head == NONE || key_eq(&ms->cases[head], classname, name))
			break;
	}
	for (size_t i = head; i != NONE; i = ms->cases[i].next) {
		const struct mcase *o = &ms->cases[i];
		if (o != mc && !o->dropped && o->shard && strcmp(o->shard, mc->shard) != 0)
			return true;
	}
	return false;
}

static char *shard_suffixed(const char *name, const char *shard, int *oom)
{
	char *tail = xjoin(" [shard ", shard, "]", oom);
	char *r = tail ? xjoin(name, "", tail, oom) : NULL;
	free(tail);
	return r;
}

/* The attempts of a case superseded at least once: numbered lines first in
 * its detail, and the same, "; "-separated, in a suite property. */
static void finish_attempts(struct merger *m, struct msuite *ms, struct mcase *mc,
                            struct gl_case *out)
{
	struct sb prop = {0};
	struct sb detail = {0};
	size_t k = 0;

	sb_puts(&prop, out->id);
	sb_puts(&prop, ": ");
	for (const char *p = mc->hist.p; p && *p;) {
		size_t len = strcspn(p, "\n");
		if (k)
			sb_puts(&prop, "; ");
		k++;
		sb_printf(&detail, "attempt %zu ", k);
		sb_add(&detail, p, len);
		sb_puts(&detail, "\n");
		sb_printf(&prop, "attempt %zu ", k);
		sb_add(&prop, p, len);
		p += len;
		if (*p == '\n')
			p++;
	}
	if (out->detail) {
		sb_puts(&detail, "\n");
		sb_puts(&detail, out->detail);
	}
	if (detail.oom || prop.oom || mc->hist.oom) {
		m->oom = 1;
		free(detail.p);
	} else {
		free(out->detail);
		out->detail = detail.p;
		if (ms->n_attempt_props++ < ATTEMPT_PROPS_MAX)
			add_prop(m, ms, PROP_ATTEMPT, prop.p, NULL);
	}
	free(prop.p);
}

static void finish_case(struct merger *m, struct msuite *ms, struct mcase *mc, bool split,
                        struct gl_case *out)
{
	*out = mc->c;
	memset(&mc->c, 0, sizeof mc->c);
	if (split) {
		char *name = shard_suffixed(out->name, mc->shard, &m->oom);
		if (name) {
			free(out->name);
			out->name = name;
		}
	}
	char *id = xjoin(out->classname, "/", out->name, &m->oom);
	if (id) {
		free(out->id);
		out->id = id;
	}
	out->retries = mc->retries + (unsigned)(mc->attempts - 1);
	if (mc->attempts > 1)
		finish_attempts(m, ms, mc, out);
}

static int finish_suite(struct merger *m, struct msuite *ms, struct gl_suite_result *out)
{
	bool *split = calloc(ms->n_cases ? ms->n_cases : 1, sizeof *split);

	*out = ms->s;
	memset(&ms->s, 0, sizeof ms->s);
	out->cases = calloc(ms->n_cases ? ms->n_cases : 1, sizeof *out->cases);
	if (!split || !out->cases) {
		free(split);
		return -1;
	}
	/* decided before any case moves out: the test reads the table */
	for (size_t i = 0; i < ms->n_cases; i++)
		split[i] = !ms->cases[i].dropped && other_shard(ms, &ms->cases[i]);
	for (size_t i = 0; i < ms->n_cases; i++)
		if (!ms->cases[i].dropped)
			finish_case(m, ms, &ms->cases[i], split[i], &out->cases[out->n_cases++]);
	free(split);

	if (ms->n_attempt_props > ATTEMPT_PROPS_MAX) {
		char n[32];
		snprintf(n, sizeof n, "%zu", ms->n_attempt_props - ATTEMPT_PROPS_MAX);
		add_prop(m, ms, PROP_OMITTED, n, NULL);
	}
	if (ms->from.len)
		add_prop(m, ms, PROP_FROM, ms->from.p, NULL);
	out->props = calloc(ms->n_props ? ms->n_props : 1, sizeof *out->props);
	split = calloc(ms->n_props ? ms->n_props : 1, sizeof *split);
	if (!out->props || !split) {
		free(split);
		return -1;
	}
	/* the same rule as for cases: a property from two different shards is
	 * kept for each, suffixed */
	for (size_t i = 0; i < ms->n_props; i++) {
		const struct mprop *p = &ms->props[i];
		for (size_t j = 0; p->shard && !p->dropped && j < ms->n_props; j++) {
			const struct mprop *o = &ms->props[j];
			split[i] = split[i] ||
			           (!o->dropped && o->shard && strcmp(o->name, p->name) == 0 &&
			            strcmp(o->shard, p->shard) != 0);
		}
	}
	for (size_t i = 0; i < ms->n_props; i++) {
		struct mprop *p = &ms->props[i];
		if (p->dropped)
			continue;
		if (strcmp(p->name, PROP_SHARD) == 0 && ms->shards.p) {
			free(p->value);
			p->value = xstrdup(ms->shards.p, &m->oom);
		}
		struct gl_property *q = &out->props[out->n_props++];
		q->name = split[i] ? shard_suffixed(p->name, p->shard, &m->oom) : p->name;
		q->value = p->value;
		if (split[i])
			free(p->name);
		p->name = NULL;
		p->value = NULL;
	}
	free(split);
	if (ms->from.oom || ms->shards.oom)
		m->oom = 1;
	return 0;
}

int gl_merge(struct gl_run_result **out, struct gl_run_result *const *ins, const char *const *names,
             size_t n, struct gl_diag *diag)
{
	struct merger m = {.diag = diag};
	size_t errors_before = gl_diag_errors(diag);
	char **labels = calloc(n ? n : 1, sizeof *labels);
	struct gl_run_result *r = calloc(1, sizeof *r);

	assert(out && (ins || n == 0));
	*out = NULL;
	m.out = r;
	if (!labels || !r) {
		m.oom = 1;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		char buf[32];
		snprintf(buf, sizeof buf, "input %zu", i + 1);
		labels[i] = xstrdup(names && names[i] ? names[i] : buf, &m.oom);
	}
	if (m.oom)
		goto done;
	for (size_t i = 0; i < n; i++) {
		const struct gl_run_result *in = ins[i];
		const char *src = labels[i];
		assert(in);
		agree(&m, &r->env_name, &m.env_src, in->env_name, "the environment", src);
		agree(&m, &r->base_url, &m.url_src, in->base_url, "the base URL", src);
		agree(&m, &r->reported_version, &m.version_src, in->reported_version,
		      "the reported version", src);
		if (in->harness_version && *in->harness_version) {
			free(r->harness_version);
			r->harness_version = xstrdup(in->harness_version, &m.oom);
		}
		r->interrupted = r->interrupted || in->interrupted;
		/* one input obtained without TLS verification taints the whole */
		r->tls_verify_off = r->tls_verify_off || in->tls_verify_off;
		if (in->started && (!r->started || in->started < r->started))
			r->started = in->started;
		if (in->finished > r->finished)
			r->finished = in->finished;
		for (size_t j = 0; j < in->n_suites; j++)
			merge_suite(&m, &in->suites[j], src);
	}
	if (m.oom || gl_diag_errors(diag) > errors_before)
		goto done;
	r->suites = calloc(m.n_suites ? m.n_suites : 1, sizeof *r->suites);
	if (!r->suites) {
		m.oom = 1;
		goto done;
	}
	for (size_t i = 0; i < m.n_suites; i++) {
		r->n_suites++;
		if (finish_suite(&m, &m.suites[i], &r->suites[i]) != 0)
			m.oom = 1;
	}
	for (size_t i = 0; i < m.n_suites; i++)
		for (size_t j = 0; j < m.suites[i].n_cases; j++)
			if (m.suites[i].cases[j].hist.oom)
				m.oom = 1;
done:
	if (m.oom)
		gl_diag_add(diag, (struct gl_pos){0}, "merge: out of memory or attempts too long");
	for (size_t i = 0; i < m.n_suites; i++)
		msuite_release(&m.suites[i]);
	free(m.suites);
	for (size_t i = 0; labels && i < n; i++)
		free(labels[i]);
	free(labels);
	if (m.oom || gl_diag_errors(diag) > errors_before) {
		gl_run_result_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

/* ---- rerun ---- */

static bool is_replay(const struct gl_suite_result *s)
{
	for (size_t i = 0; i < s->n_props; i++)
		if (strncmp(s->props[i].name, "replay.", 7) == 0)
			return true;
	return false;
}

/* The check a failed case belongs to: "suite/check", "suite/flow" or
 * "suite/replay"; a foreign classname gives "classname/name". */
static char *check_id(const struct gl_suite_result *s, const struct gl_case *c, bool replay,
                      int *oom)
{
	const char *cls = classname_of(s, c);
	size_t nlen = strlen(s->name);
	const char *name = c->name ? c->name : "";

	if (replay)
		return xjoin(s->name, "/", "replay", oom);
	if (strcmp(cls, s->name) == 0)
		return xjoin(s->name, "/", name, oom);
	if (strncmp(cls, s->name, nlen) == 0 && cls[nlen] == '.' && cls[nlen + 1])
		return xjoin(s->name, "/", cls + nlen + 1, oom);
	return xjoin(cls, "/", name, oom);
}

int gl_rerun_selection(char ***ids, size_t *n, const struct gl_run_result *last)
{
	char **list = NULL;
	size_t len = 0;
	size_t cap = 0;
	int oom = 0;

	assert(ids && n && last);
	*ids = NULL;
	*n = 0;
	for (size_t i = 0; i < last->n_suites && !oom; i++) {
		const struct gl_suite_result *s = &last->suites[i];
		bool replay = is_replay(s);
		for (size_t j = 0; j < s->n_cases && !oom; j++) {
			const struct gl_case *c = &s->cases[j];
			bool dup = false;
			if (c->outcome == GL_OUT_PASS || c->outcome == GL_OUT_SKIP)
				continue;
			char *id = check_id(s, c, replay, &oom);
			if (!id)
				break;
			for (size_t k = len; k-- > 0 && !dup;)
				dup = strcmp(list[k], id) == 0;
			if (dup) {
				free(id);
				continue;
			}
			if (len == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				char **p = realloc(list, ncap * sizeof *p);
				if (!p) {
					free(id);
					oom = 1;
					break;
				}
				list = p;
				cap = ncap;
			}
			list[len++] = id;
		}
	}
	if (oom) {
		gl_rerun_selection_free(list, len);
		return -1;
	}
	*ids = list;
	*n = len;
	return 0;
}

void gl_rerun_selection_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}
