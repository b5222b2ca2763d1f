/* Gate policy files (gate.h). The input is the policy; the verdicts are the
 * fixture's two passing ones, staging and preprod (gate_fixture.h).
 *
 * Invariants: a policy is refused exactly when an error is recorded, each at
 * the policy's path; an accepted one gives a consistent decision that prints
 * clean (gate_check_decision). */
#include <string.h>

#include "fuzz.h"
#include "gate_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct gate_fixture *fx = gate_fixture();
	const char *path = fuzz_file("fuzz-policy.json", data, size);
	const char *verdicts[] = {fx->staging, fx->preprod};
	struct gl_gate_decision *d = NULL;
	struct gl_diag diag;

	gl_diag_init(&diag);
	if (gl_gate_decide(&d, path, verdicts, 2, GATE_NOW, &diag) != 0) {
		FUZZ_CHECK(d == NULL && gl_diag_errors(&diag) > 0);
		for (size_t i = 0; i < diag.n; i++)
			FUZZ_CHECK(diag.entries[i].pos.file &&
			           strcmp(diag.entries[i].pos.file, path) == 0);
		gl_diag_print(&diag, fuzz_out());
	} else {
		FUZZ_CHECK(gl_diag_errors(&diag) == 0);
		gate_check_decision(d);
		gl_gate_decision_free(d);
	}
	gl_diag_release(&diag);
	return 0;
}
