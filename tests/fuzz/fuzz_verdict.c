/* Verdict files (verdict.h) as the gate reads them. The input is a verdict;
 * the policy requires staging and preprod, and a good preprod verdict is
 * given beside it (gate_fixture.h). "@SHA256@" in the input stands for the
 * digest of the fixture's JUnit file, so that a seed can pass the gate.
 *
 * Invariants: a verdict, however broken, is a reason to hold, never an error
 * of the gate; the decision is consistent and prints clean
 * (gate_check_decision); given twice (as shards of one run), it decides the
 * same or holds. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gate_fixture.h"

#define DIGEST_MARK "@SHA256@"

static struct gl_gate_decision *decide(const char *const *verdicts, size_t n)
{
	const struct gate_fixture *fx = gate_fixture();
	struct gl_gate_decision *d = NULL;
	struct gl_diag diag;

	gl_diag_init(&diag);
	FUZZ_CHECK(gl_gate_decide(&d, fx->policy, verdicts, n, GATE_NOW, &diag) == 0);
	FUZZ_CHECK(gl_diag_errors(&diag) == 0);
	gate_check_decision(d);
	gl_diag_release(&diag);
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct gate_fixture *fx = gate_fixture();
	const char *mark = NULL;
	size_t mark_len = strlen(DIGEST_MARK);

	for (size_t i = 0; !mark && i + mark_len <= size; i++)
		if (memcmp(data + i, DIGEST_MARK, mark_len) == 0)
			mark = (const char *)data + i;
	size_t at = mark ? (size_t)(mark - (const char *)data) : size;
	size_t rest = mark ? size - at - mark_len : 0;
	size_t dlen = mark ? strlen(fx->junit_digest) : 0;
	char *text = malloc(size + dlen + 1);
	if (!text)
		abort();
	memcpy(text, data, at);
	memcpy(text + at, fx->junit_digest, dlen);
	memcpy(text + at + dlen, data + at + (mark ? mark_len : 0), rest);
	const char *path = fuzz_file("verdict.json", text, at + dlen + rest);
	free(text);
	const char *one[] = {path, fx->preprod};
	const char *twice[] = {path, path, fx->preprod};

	struct gl_gate_decision *a = decide(one, 2);
	struct gl_gate_decision *b = decide(twice, 3);
	/* the same verdict twice is no better than once */
	FUZZ_CHECK(!b->promote || a->promote);
	gl_gate_decision_free(a);
	gl_gate_decision_free(b);
	return 0;
}
