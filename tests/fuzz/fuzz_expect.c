/* Response bodies under assertion (expect.h): the JSON, text and headers a
 * target answers, evaluated against every kind of assertion and capture. The
 * input is the response: "HTTP/1.1 STATUS\r\nName: value\r\n...\r\n\r\nBODY",
 * or, when it does not start with "HTTP/", a 200 whose whole body it is.
 *
 * Invariants: an evaluation passes exactly when it has no message; a failure
 * has a message of one line, and every failure a line of the detail; captures
 * are taken only on a pass, one per declaration, each with a value;
 * gl_json_extract() finds a value or says it found none. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "fuzz.h"
#include "redact.h"
#include "suite.h"

/* Every target, comparison and capture source, on paths the seeds use. */
static const char suite_text[] =
        "{\"suite\": \"fuzz\", \"checks\": [\n"
        " {\"id\": \"all\", \"request\": \"{{base_url}}/\", \"expect\": {\n"
        "  \"status\": [200, 201, 204],\n"
        "  \"max_time_ms\": 500, \"cert_days_min\": 14,\n"
        "  \"body\": {\"contains\": \"ok\", \"matches\": \"^[{\\\\[]\", \"not_equals\": \"\"},\n"
        "  \"headers\": {\"Content-Type\": {\"matches\": \"^application/(problem\\\\+)?json\"},\n"
        "   \"X-Request-Id\": {\"exists\": true}, \"Cache-Control\": \"no-store\",\n"
        "   \"Location\": {\"contains\": \"{{base_url}}\"}, \"Set-Cookie\": {\"exists\": false}},\n"
        "  \"json\": {\"$.status\": \"ok\", \"$.version\": {\"equals\": "
        "\"{{expected_version}}\"},\n"
        "   \"$.items\": {\"type\": \"array\"}, \"$.items[0].id\": {\"type\": \"number\"},\n"
        "   \"$.items[-1]\": {\"exists\": true}, \"$.cost\": {\"ge\": \"0\", \"lt\": 100.25},\n"
        "   \"$.total\": {\"le\": \"1000.5\", \"gt\": \"-0.000000001\"},\n"
        "   \"$.error\": {\"exists\": false}, \"$[\\\"odd key\\\"][0]\": 12345678901234567890,\n"
        "   \"$.name\": {\"equals\": {\"first\": \"{{user}}\"}, \"not_equals\": \"x\"},\n"
        "   \"$.flags\": {\"equals\": [true, false, null, 1.50]},\n"
        "   \"$.text\": {\"contains\": \"\\u00e9\", \"matches\": \"^(a|b)+$\"}}}},\n"
        " {\"id\": \"flow\", \"steps\": [\n"
        "  {\"name\": \"login\", \"request\": {\"method\": \"POST\", \"url\": "
        "\"{{base_url}}/login\"},\n"
        "   \"capture\": {\"token\": {\"json\": \"$.token\", \"secret\": true},\n"
        "    \"etag\": {\"header\": \"ETag\"}, \"order\": {\"regex\": \"order-([0-9]+)\"},\n"
        "    \"whole\": {\"regex\": \"[a-z]+\"}, \"user\": \"$.user\",\n"
        "    \"doc\": \"$\"}},\n"
        "  {\"name\": \"me\", \"request\": \"{{base_url}}/me/{{user}}\",\n"
        "   \"expect\": {\"status\": 200, \"json\": {\"$\": {\"type\": \"object\"}}}}]}]}\n";

static struct gl_suite *suite;

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "expected_version") == 0)
		return "2.4.0";
	if (strcmp(name, "user") == 0)
		return "qa\"\\";
	return "http://127.0.0.1:8080";
}

static void load_suite(void)
{
	struct gl_diag diag;
	const char *path = fuzz_file("fuzz-expect.json", suite_text, sizeof suite_text - 1);

	gl_diag_init(&diag);
	if (gl_suite_load(&suite, path, &diag) != 0) {
		gl_diag_print(&diag, stderr);
		abort();
	}
	gl_diag_release(&diag);
}

static void free_suite(void)
{
	gl_suite_free(suite);
}

/* "HTTP/1.1 404 x\r\nA: b\r\n\r\nbody" into r; anything else is a 200 body. */
static void parse_response(struct gl_response *r, const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *end = p + size;

	r->status = 200;
	r->total_seconds = 0.25;
	r->cert_days = 30;
	if (size >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		const char *eol = memchr(p, '\n', size);
		const char *sp = memchr(p, ' ', eol ? (size_t)(eol - p) : size);
		const char *d = sp ? sp + 1 : end;
		r->status = 0;
		for (int k = 0; k < 3 && d < end && *d >= '0' && *d <= '9'; k++, d++)
			r->status = r->status * 10 + (*d - '0');
		r->cert_days = r->status == 204 ? LONG_MIN : 1;
		p = eol ? eol + 1 : end;
		while (p < end) {
			eol = memchr(p, '\n', (size_t)(end - p));
			const char *le = eol ? eol : end;
			if (le > p && le[-1] == '\r')
				le--;
			if (le == p) {
				p = eol ? eol + 1 : end;
				break;
			}
			const char *colon = memchr(p, ':', (size_t)(le - p));
			if (colon) {
				struct gl_header *h =
				        realloc(r->headers, (r->n_headers + 1) * sizeof *h);
				if (!h)
					abort();
				r->headers = h;
				const char *v = colon + 1;
				while (v < le && *v == ' ')
					v++;
				h[r->n_headers].name =
				        fuzz_strndup((const uint8_t *)p, (size_t)(colon - p));
				h[r->n_headers].value =
				        fuzz_strndup((const uint8_t *)v, (size_t)(le - v));
				r->n_headers++;
			}
			p = eol ? eol + 1 : end;
		}
	}
	r->body_len = (size_t)(end - p);
	r->body = fuzz_strndup((const uint8_t *)p, r->body_len);
}

static void check_eval(const struct gl_step *st, const struct gl_response *resp)
{
	struct gl_eval ev;

	FUZZ_CHECK(gl_assert_eval(&ev, st, resp, lookup, NULL) == 0);
	if (ev.passed) {
		FUZZ_CHECK(!ev.message && !ev.detail);
		FUZZ_CHECK(ev.n_captures == st->n_captures);
		for (size_t i = 0; i < ev.n_captures; i++)
			FUZZ_CHECK(ev.captures[i].name && ev.captures[i].value);
	} else {
		FUZZ_CHECK(ev.message && ev.message[0] && !strchr(ev.message, '\n'));
		FUZZ_CHECK(ev.detail && ev.detail[0]);
		FUZZ_CHECK(ev.n_captures == 0);
		/* the first line of the detail is the message */
		FUZZ_CHECK(strncmp(ev.detail, ev.message, strlen(ev.message)) == 0);
	}
	gl_eval_release(&ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {"$", "$.a", "$.items[0]", "$.items[-1]",
	                                    "$[\"odd key\"]"};
	struct gl_response resp = {0};

	if (!suite) {
		load_suite();
		atexit(free_suite);
	}
	parse_response(&resp, data, size);
	for (size_t i = 0; i < suite->n_checks; i++)
		for (size_t j = 0; j < suite->checks[i].n_steps; j++)
			check_eval(&suite->checks[i].steps[j], &resp);
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct gl_jsonpath *p = NULL;
		struct gl_diag diag;
		char *value = NULL;
		gl_diag_init(&diag);
		FUZZ_CHECK(gl_jsonpath_compile(&p, paths[i], (struct gl_pos){0}, &diag) == 0);
		int rc = gl_json_extract(&value, resp.body, resp.body_len, p);
		FUZZ_CHECK(rc == 0 || rc == 1);
		FUZZ_CHECK((rc == 0) == (value != NULL));
		free(value);
		gl_jsonpath_free(p);
		gl_diag_release(&diag);
	}
	gl_response_release(&resp);
	gl_redact_reset(); /* secret captures register themselves */
	return 0;
}
