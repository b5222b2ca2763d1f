/* See gate_fixture.h. */
#include "gate_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "exitcode.h"
#include "fuzz.h"

/* As greenlight writes it, one suite, one passing case. */
static const char junit[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites name=\"greenlight\" tests=\"1\" failures=\"0\" errors=\"0\" "
        "skipped=\"0\">\n"
        "  <testsuite name=\"smoke\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" "
        "time=\"0.012\" timestamp=\"2026-11-22T02:59:59\">\n"
        "    <properties>\n"
        "      <property name=\"greenlight.environment\" value=\"staging\"/>\n"
        "      <property name=\"greenlight.reported_version\" value=\"2.4.0\"/>\n"
        "    </properties>\n"
        "    <testcase classname=\"smoke\" name=\"health\" time=\"0.012\"/>\n"
        "  </testsuite>\n"
        "</testsuites>\n";

static const char verdict_fmt[] =
        "{\"format\": \"greenlight-verdict/1\", \"verdict\": \"pass\", \"exit_code\": 0,\n"
        " \"environment\": \"%s\", \"base_url\": \"http://127.0.0.1:8080\",\n"
        " \"version_expected\": \"2.4.0\", \"version_reported\": \"2.4.0\",\n"
        " \"harness_version\": \"0.1.0\", \"started_at\": \"2026-11-22T02:59:59Z\",\n"
        " \"finished_at\": \"2026-11-22T03:00:00Z\",\n"
        " \"counts\": {\"tests\": 1, \"passed\": 1, \"failures\": 0, \"errors\": 0, "
        "\"skipped\": 0},\n"
        " \"suites\": [{\"name\": \"smoke\", \"file\": \"suites/smoke.json\", "
        "\"digest\": \"sha256:00\", \"tests\": 1, \"passed\": 1, \"failures\": 0, "
        "\"errors\": 0, \"skipped\": 0}],\n"
        " \"selection\": {\"tags\": [], \"filter\": null, \"shard\": null},\n"
        " \"interrupted\": false,\n"
        " \"junit\": {\"file\": \"junit.xml\", \"sha256\": \"%s\"}}\n";

static const char policy[] =
        "{\"promote_to\": \"production\", \"max_age_hours\": 24,\n"
        " \"require\": [{\"environment\": \"staging\", \"suites\": [\"smoke\"]},\n"
        "             {\"environment\": \"preprod\", \"suites\": [\"smoke\"]}],\n"
        " \"same_version\": true, \"require_junit\": true}\n";

static struct gate_fixture fx;
static char junit_digest[GL_DIGEST_LEN];

static const char *verdict(const char *name, const char *env, const char *digest)
{
	char text[sizeof verdict_fmt + 128];
	int n = snprintf(text, sizeof text, verdict_fmt, env, digest);

	if (n < 0 || (size_t)n >= sizeof text)
		abort();
	return fuzz_file(name, text, (size_t)n);
}

const struct gate_fixture *gate_fixture(void)
{
	if (fx.junit)
		return &fx;
	gl_digest_sha256(junit_digest, junit, sizeof junit - 1);
	fx.junit = fuzz_file("junit.xml", junit, sizeof junit - 1);
	fx.junit_digest = junit_digest;
	fx.staging = verdict("staging.json", "staging", junit_digest);
	fx.preprod = verdict("preprod.json", "preprod", junit_digest);
	fx.policy = fuzz_file("policy.json", policy, sizeof policy - 1);
	return &fx;
}

void gate_check_decision(const struct gl_gate_decision *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	FUZZ_CHECK(d && d->promote_to);
	FUZZ_CHECK(!d->promote || d->n_reasons == 0);
	FUZZ_CHECK(gl_gate_exit_code(d) == (d->promote ? GL_EXIT_PASS : GL_EXIT_FAIL));
	for (size_t i = 0; i < d->n_reasons; i++)
		FUZZ_CHECK(d->reasons[i] && d->reasons[i][0]);
	if (!fp)
		abort();
	gl_gate_print(fp, d);
	gl_gate_print(fuzz_out(), d);
	if (fclose(fp) != 0)
		abort();
	/* one line per note, reason and the decision: nothing forged */
	size_t lines = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		FUZZ_CHECK(c == '\n' || (c >= 0x20 && c != 0x7f) || c >= 0x80);
		lines += c == '\n';
	}
	FUZZ_CHECK(lines == d->n_notes + d->n_reasons + 1);
	free(text);
}
