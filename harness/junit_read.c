/* JUnit XML -> a plain-data run result. See junit_read.h.
 *
 * The file is read into memory under a cap and parsed with entity
 * substitution, DTD loading and network access all off: a report is data
 * from another machine, and an external entity in it must not pull a local
 * file into our evidence. */
#include "junit_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

struct reader {
	const char *path;
	struct gl_diag *diag;
	struct gl_run_result *r;
	size_t cap_suites;
	int oom;
};

static void err_at(struct reader *rd, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void err_at(struct reader *rd, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gl_diag_vadd(rd->diag, (struct gl_pos){rd->path, line, 0}, fmt, ap);
	va_end(ap);
}

static char *dup_or_oom(struct reader *rd, const char *s)
{
	char *d;
	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		rd->oom = 1;
	return d;
}

/* ---- the file ---- */

static int slurp(char **out, size_t *len, struct reader *rd)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	size_t cap = 0;
	int fd = open(rd->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_at(rd, 0, "cannot be read: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		err_at(rd, 0, "cannot be read: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err_at(rd, 0, "cannot be read: %s",
		       S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
		goto fail;
	}
	if (st.st_size > GL_JUNIT_READ_MAX) {
		err_at(rd, 0, "is larger than %ld bytes: not read", GL_JUNIT_READ_MAX);
		goto fail;
	}
	cap = st.st_size > 0 && st.st_size <= GL_JUNIT_READ_MAX ? (size_t)st.st_size + 1 : 4096;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap * 2;
			char *p = realloc(buf, ncap);
			if (!p) {
				rd->oom = 1;
				goto fail;
			}
			buf = p;
			cap = ncap;
		} else if (!buf) {
			buf = malloc(cap);
			if (!buf) {
				rd->oom = 1;
				goto fail;
			}
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err_at(rd, 0, "cannot be read: %s", strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > (size_t)GL_JUNIT_READ_MAX) {
			err_at(rd, 0, "is larger than %ld bytes: not read", GL_JUNIT_READ_MAX);
			goto fail;
		}
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

/* ---- nodes ---- */

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, (const xmlChar *)name);
}

static unsigned line_of(const xmlNode *n)
{
	long line = xmlGetLineNo(n);
	return line > 0 && line <= (long)UINT_MAX ? (unsigned)line : 0;
}

/* A malloc'd copy of attribute `name`, or NULL when absent. */
static char *attr(struct reader *rd, xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s;
	if (!v)
		return NULL;
	s = dup_or_oom(rd, (const char *)v);
	xmlFree(v);
	return s;
}

/* The text of an element (text and CDATA; references to internal entities
 * as declared; external entities are never loaded, so they give nothing). */
static char *text(struct reader *rd, xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s;
	if (!v)
		return NULL;
	s = dup_or_oom(rd, (const char *)v);
	xmlFree(v);
	return s;
}

static double seconds_of(const char *v)
{
	char *end;
	double d;
	if (!v)
		return 0;
	d = strtod(v, &end);
	return end != v && d > 0 && d < 1e12 ? d : 0;
}

/* "YYYY-MM-DDTHH:MM:SS", read as UTC (what greenlight, Ant and Surefire
 * write); anything after the seconds (fractions, a zone) is ignored. */
static time_t timestamp_of(const char *v)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!v || sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? 0 : t;
}

/* ---- properties ---- */

/* A run field named by a suite property: the first suite sets it, the others
 * must agree. */
static void set_run_field(struct reader *rd, char **field, const char *value, const char *prop,
                          unsigned line)
{
	if (!*field) {
		*field = dup_or_oom(rd, value);
		return;
	}
	if (strcmp(*field, value) != 0)
		err_at(rd, line, "property '%s' is '%s' here but '%s' in an earlier testsuite",
		       prop, value, *field);
}

static void add_prop(struct reader *rd, struct gl_suite_result *s, size_t *cap, const char *name,
                     const char *value)
{
	if (s->n_props == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct gl_property *p = realloc(s->props, ncap * sizeof *p);
		if (!p) {
			rd->oom = 1;
			return;
		}
		s->props = p;
		*cap = ncap;
	}
	char *n = dup_or_oom(rd, name);
	char *v = dup_or_oom(rd, value);
	if (!n || !v) {
		free(n);
		free(v);
		return;
	}
	s->props[s->n_props++] = (struct gl_property){n, v};
}

static void read_property(struct reader *rd, struct gl_suite_result *s, size_t *cap, xmlNode *n)
{
	struct gl_run_result *r = rd->r;
	unsigned line = line_of(n);
	char *name = attr(rd, n, "name");
	char *value = attr(rd, n, "value");

	if (!value)
		value = text(rd, n);
	if (!name) {
		err_at(rd, line, "property has no 'name'");
		goto done;
	}
	if (!value && !rd->oom)
		value = dup_or_oom(rd, "");
	if (!value)
		goto done;
	if (strcmp(name, "greenlight.environment") == 0)
		set_run_field(rd, &r->env_name, value, name, line);
	else if (strcmp(name, "greenlight.base_url") == 0)
		set_run_field(rd, &r->base_url, value, name, line);
	else if (strcmp(name, "greenlight.harness_version") == 0)
		set_run_field(rd, &r->harness_version, value, name, line);
	else if (strcmp(name, "greenlight.reported_version") == 0)
		set_run_field(rd, &r->reported_version, value, name, line);
	else if (strcmp(name, "greenlight.interrupted") == 0)
		r->interrupted = r->interrupted || strcmp(value, "false") != 0;
	else if (strcmp(name, "greenlight.tls_verify") == 0)
		r->tls_verify_off = r->tls_verify_off || strcmp(value, "on") != 0;
	else if (strcmp(name, "greenlight.suite_file") == 0 && !s->file)
		s->file = *value ? dup_or_oom(rd, value) : NULL;
	else if (strcmp(name, "greenlight.suite_digest") == 0 && !s->digest)
		s->digest = *value ? dup_or_oom(rd, value) : NULL;
	else
		add_prop(rd, s, cap, name, value);
done:
	free(name);
	free(value);
}

/* ---- testcases ---- */

static int rank(const xmlNode *n)
{
	if (is_elem(n, "error"))
		return 3;
	if (is_elem(n, "failure"))
		return 2;
	if (is_elem(n, "skipped"))
		return 1;
	return 0;
}

/* greenlight writes "FILE:LINE\n" (the suite file) before the detail of a
 * failure or error: read it back into the case's file and line. */
static char *split_location(struct reader *rd, struct gl_case *c, const struct gl_suite_result *s,
                            char *body)
{
	size_t flen = s->file ? strlen(s->file) : 0;
	char *p;
	char *end;
	unsigned long line;

	if (!body || flen == 0 || strncmp(body, s->file, flen) != 0 || body[flen] != ':')
		return body;
	p = body + flen + 1;
	if (*p < '0' || *p > '9')
		return body;
	errno = 0;
	line = strtoul(p, &end, 10);
	if (errno || line > UINT_MAX || (*end != '\n' && *end != '\0'))
		return body;
	c->line = (unsigned)line;
	if (*end == '\n')
		end++;
	char *rest = *end ? dup_or_oom(rd, end) : NULL;
	free(body);
	return rest;
}

/* The first non-empty line of text, trimmed, or NULL. */
static char *first_line(struct reader *rd, const char *t)
{
	if (!t)
		return NULL;
	while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
		t++;
	size_t len = strcspn(t, "\r\n");
	while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t'))
		len--;
	if (len == 0)
		return NULL;
	char *s = strndup(t, len);
	if (!s)
		rd->oom = 1;
	return s;
}

static void read_case(struct reader *rd, struct gl_suite_result *s, size_t *cap, xmlNode *n)
{
	static const enum gl_outcome outcomes[] = {GL_OUT_PASS, GL_OUT_SKIP, GL_OUT_FAIL,
	                                           GL_OUT_ERROR};
	static const char *const kinds[] = {"pass", "skipped", "failure", "error"};
	struct gl_case c = {0};
	xmlNode *worst = NULL;
	int worst_rank = 0;
	char *time_attr = NULL;

	c.name = attr(rd, n, "name");
	if (!c.name) {
		if (!rd->oom)
			err_at(rd, line_of(n), "testcase in testsuite '%s' has no 'name'", s->name);
		return;
	}
	c.classname = attr(rd, n, "classname");
	if (!c.classname || !*c.classname) {
		free(c.classname);
		c.classname = dup_or_oom(rd, s->name);
	}
	time_attr = attr(rd, n, "time");
	c.seconds = seconds_of(time_attr);
	free(time_attr);
	for (xmlNode *k = n->children; k; k = k->next) {
		int rk = rank(k);
		if (rk > worst_rank) {
			worst_rank = rk;
			worst = k;
		}
	}
	c.outcome = outcomes[worst_rank];
	if (worst) {
		char *body = text(rd, worst);
		if (body && !*body) {
			free(body);
			body = NULL;
		}
		c.message = attr(rd, worst, "message");
		if (!c.message || !*c.message) {
			free(c.message);
			c.message = first_line(rd, body);
		}
		if (!c.message)
			c.message = dup_or_oom(rd, kinds[worst_rank]);
		if (worst_rank >= 2)
			body = split_location(rd, &c, s, body);
		c.detail = body;
	}
	c.file = dup_or_oom(rd, s->file);
	if (c.classname && c.name) {
		size_t len = strlen(c.classname) + strlen(c.name) + 2;
		c.id = malloc(len);
		if (c.id)
			snprintf(c.id, len, "%s/%s", c.classname, c.name);
		else
			rd->oom = 1;
	}
	if (s->n_cases == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct gl_case *p = realloc(s->cases, ncap * sizeof *p);
		if (!p) {
			rd->oom = 1;
			goto drop;
		}
		s->cases = p;
		*cap = ncap;
	}
	s->cases[s->n_cases++] = c;
	return;
drop:
	free(c.id);
	free(c.classname);
	free(c.name);
	free(c.file);
	free(c.message);
	free(c.detail);
}

/* ---- suites ---- */

static struct gl_suite_result *new_suite(struct reader *rd)
{
	struct gl_run_result *r = rd->r;
	if (r->n_suites == rd->cap_suites) {
		size_t ncap = rd->cap_suites ? rd->cap_suites * 2 : 8;
		struct gl_suite_result *p = realloc(r->suites, ncap * sizeof *p);
		if (!p) {
			rd->oom = 1;
			return NULL;
		}
		r->suites = p;
		rd->cap_suites = ncap;
	}
	struct gl_suite_result *s = &r->suites[r->n_suites++];
	memset(s, 0, sizeof *s);
	return s;
}

/* A testsuite must not declare more failures or errors than its testcases
 * carry: such a file was cut or edited, and would read greener than it was. */
static void check_counts(struct reader *rd, const struct gl_suite_result *s, xmlNode *n)
{
	static const char *const what[] = {"failures", "errors"};
	struct gl_counts c;
	gl_suite_result_counts(s, &c);
	size_t found[] = {c.failures, c.errors};

	for (size_t i = 0; i < 2; i++) {
		char *v = attr(rd, n, what[i]);
		char *end;
		unsigned long long declared;
		if (!v)
			continue;
		errno = 0;
		declared = strtoull(v, &end, 10);
		if (end != v && !errno && declared > found[i])
			err_at(rd, line_of(n),
			       "testsuite '%s' declares %llu %s but its testcases carry %zu",
			       s->name, declared, what[i], found[i]);
		free(v);
	}
}

static void read_suite(struct reader *rd, xmlNode *n)
{
	bool nested = false;
	bool own_cases = false;

	for (xmlNode *k = n->children; k; k = k->next) {
		nested = nested || is_elem(k, "testsuite");
		own_cases = own_cases || is_elem(k, "testcase");
	}
	if (own_cases || !nested) {
		char *name = attr(rd, n, "name");
		if (!name || !*name) {
			free(name);
			if (!rd->oom)
				err_at(rd, line_of(n), "testsuite has no 'name'");
		} else {
			struct gl_suite_result *s = new_suite(rd);
			size_t cap_props = 0;
			size_t cap_cases = 0;
			char *v;
			if (!s) {
				free(name);
				return;
			}
			s->name = name;
			v = attr(rd, n, "time");
			s->seconds = seconds_of(v);
			free(v);
			v = attr(rd, n, "timestamp");
			s->started = timestamp_of(v);
			free(v);
			/* properties first, whatever their place: the suite file
			 * they name is needed to read the testcases */
			for (xmlNode *k = n->children; k; k = k->next)
				if (is_elem(k, "properties"))
					for (xmlNode *p = k->children; p; p = p->next)
						if (is_elem(p, "property"))
							read_property(rd, s, &cap_props, p);
			for (xmlNode *k = n->children; k; k = k->next)
				if (is_elem(k, "testcase"))
					read_case(rd, s, &cap_cases, k);
			if (!nested)
				check_counts(rd, s, n);
		}
	}
	for (xmlNode *k = n->children; k; k = k->next)
		if (is_elem(k, "testsuite"))
			read_suite(rd, k);
}

static void finish_run(struct gl_run_result *r)
{
	for (size_t i = 0; i < r->n_suites; i++) {
		const struct gl_suite_result *s = &r->suites[i];
		time_t end;
		if (!s->started)
			continue;
		end = s->started + (time_t)s->seconds + 1;
		if (!r->started || s->started < r->started)
			r->started = s->started;
		if (end > r->finished)
			r->finished = end;
	}
}

/* libxml2's message, one line, lowercase first letter as our messages are. */
static void xml_error(struct reader *rd, xmlParserCtxt *ctxt)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	char msg[512] = "unknown error";
	unsigned line = 0;

	if (e && e->message) {
		snprintf(msg, sizeof msg, "%s", e->message);
		msg[strcspn(msg, "\r\n")] = '\0';
		if (msg[0] >= 'A' && msg[0] <= 'Z' && !(msg[1] >= 'A' && msg[1] <= 'Z'))
			msg[0] = (char)(msg[0] - 'A' + 'a');
	}
	if (e && e->line > 0)
		line = (unsigned)e->line;
	err_at(rd, line, "not well-formed XML: %s", msg);
}

int gl_junit_read(struct gl_run_result **out, const char *path, struct gl_diag *diag)
{
	struct reader rd = {.path = path, .diag = diag};
	size_t errors_before = gl_diag_errors(diag);
	xmlParserCtxt *ctxt = NULL;
	xmlDoc *doc = NULL;
	xmlNode *root;
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	rd.r = calloc(1, sizeof *rd.r);
	if (!rd.r) {
		rd.oom = 1;
		goto done;
	}
	if (slurp(&buf, &len, &rd) != 0)
		goto done;
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		rd.oom = 1;
		goto done;
	}
	/* No XML_PARSE_NOENT, XML_PARSE_DTDLOAD or XML_PARSE_DTDATTR: external
	 * entities and DTDs are never fetched. XML_PARSE_NONET in case. */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, path, NULL,
	                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		xml_error(&rd, ctxt);
		goto done;
	}
	root = xmlDocGetRootElement(doc);
	if (!root) {
		err_at(&rd, 0, "not JUnit: no root element");
	} else if (is_elem(root, "testsuites")) {
		for (xmlNode *k = root->children; k; k = k->next)
			if (is_elem(k, "testsuite"))
				read_suite(&rd, k);
	} else if (is_elem(root, "testsuite")) {
		read_suite(&rd, root);
	} else {
		err_at(&rd, line_of(root),
		       "not JUnit: the root element is '%s', not 'testsuites' or 'testsuite'",
		       (const char *)root->name);
	}
	finish_run(rd.r);
done:
	if (rd.oom)
		err_at(&rd, 0, "out of memory");
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	free(buf);
	if (gl_diag_errors(diag) > errors_before || rd.oom) {
		gl_run_result_free(rd.r);
		return -1;
	}
	*out = rd.r;
	return 0;
}
