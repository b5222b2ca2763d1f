/* Evaluating a step's assertions and captures against one response.
 *
 * Pure: no I/O. The response is plain data filled by http.c; the outcome is
 * plain data for the runner to put in the result. This module owns response
 * JSON (parsed with cJSON and freed before returning). */
#ifndef GL_EXPECT_H
#define GL_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "suite.h"
#include "template.h"

struct gl_header {
	char *name;
	char *value;
};

struct gl_response {
	long status;
	struct gl_header *headers; /* in received order, of the final response */
	size_t n_headers;
	char *body; /* NUL-terminated; may hold NULs before body_len */
	size_t body_len;
	double total_seconds;
	long cert_days; /* whole days until the peer certificate expires; LONG_MIN when no TLS */
};

struct gl_captured {
	char *name;
	char *value;
	bool secret;
};

struct gl_eval {
	bool passed;
	char *message; /* first failure, one line: "expected ..., got ..."; NULL when passed */
	char *detail;  /* every failure, one per line; NULL when passed */
	struct gl_captured *captures; /* in declaration order, only when passed */
	size_t n_captures;
};

/* Evaluate step's assertions in declaration order against resp. Operands
 * are rendered with lookup/ctx (the flow's variables and earlier captures).
 * Every assertion is evaluated (all failures listed); captures are taken only
 * if all assertions pass, and a capture that finds nothing is a failure.
 * Returns 0, or -1 on out of memory. gl_eval_release() frees out's members. */
int gl_assert_eval(struct gl_eval *out, const struct gl_step *step, const struct gl_response *resp,
                   gl_lookup_fn lookup, void *ctx);
void gl_eval_release(struct gl_eval *e);

void gl_response_release(struct gl_response *r);

/* The value at path in a JSON body, as text: a string's contents unquoted,
 * anything else as compact JSON. Returns 0 and sets *out (caller frees); 1
 * when the body is not JSON or the path finds nothing; -1 on out of memory. */
int gl_json_extract(char **out, const char *body, size_t len, const struct gl_jsonpath *path);

/* Compare two decimal numbers given as text ("-12.340", "1e3" is not
 * accepted). Exact, any length. Returns 0 and sets *cmp to -1, 0 or 1; -1 when
 * either is not a decimal number. */
int gl_decimal_text_cmp(int *cmp, const char *a, const char *b);

#endif
