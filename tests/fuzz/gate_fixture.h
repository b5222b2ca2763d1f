/* What the verdict and policy targets share: a JUnit file, two verdicts
 * that pass (staging and preprod, finished at GATE_FINISHED, pointing at that
 * JUnit file by its digest), a policy that requires both, and the checks
 * every gate decision must pass. */
#ifndef GL_FUZZ_GATE_FIXTURE_H
#define GL_FUZZ_GATE_FIXTURE_H

#include <time.h>

#include "gate.h"

/* 2026-11-22T03:00:00Z, when the fixture's verdicts finished. */
#define GATE_FINISHED ((time_t)1795316400)
#define GATE_NOW      (GATE_FINISHED + 3600)

struct gate_fixture {
	const char *junit;
	const char *junit_digest; /* "sha256:..." of junit */
	const char *staging;      /* a verdict that passes */
	const char *preprod;      /* another, for the other environment */
	const char *policy;       /* requires both, smoke in each */
};

/* Write the files once (later calls return the same paths). */
const struct gate_fixture *gate_fixture(void);

/* A decision holds or promotes, never both; promoting has no reason to hold;
 * printed, it shows no control character a verdict could have slipped in. */
void gate_check_decision(const struct gl_gate_decision *d);

#endif
