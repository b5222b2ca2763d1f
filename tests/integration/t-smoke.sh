#!/usr/bin/env bash
# The shipped suites against a healthy costd: everything passes, the evidence
# is complete and valid, and list/validate agree with run.
. "$(dirname "$0")/lib.sh"

start_costd good
gl run run --env local --var "base_url=$URL" --junit "$TMP/run.xml" --tag post-deploy suites/
expect_code run 0
expect_grep "console ends with the verdict" "$TMP/run.out" '^verdict: PASS$'
expect_junit_valid "$TMP/run.xml"
expect_fixed "junit names the environment" "$TMP/run.xml" \
	'<property name="greenlight.environment" value="local"/>'
expect_fixed "junit carries the base URL" "$TMP/run.xml" \
	"<property name=\"greenlight.base_url\" value=\"$URL\"/>"
expect_fixed "junit carries the version the target reported" "$TMP/run.xml" \
	'<property name="greenlight.reported_version" value="2.4.0"/>'
expect_grep "junit carries the suite digest" "$TMP/run.xml" \
	'<property name="greenlight.suite_digest" value="sha256:[0-9a-f]{64}"/>'
expect_fixed "junit carries the harness version" "$TMP/run.xml" \
	'<property name="greenlight.harness_version" value="0.1.0"/>'
expect_case "health passed" "$TMP/run.xml" smoke health pass
for step in login whoami quote logout token-revoked; do
	expect_case "flow step $step passed" "$TMP/run.xml" smoke.quote-flow "$step" pass
done

# The same run twice gives the same testcase ids in the same order.
gl again run --env local --var "base_url=$URL" --jobs 1 --junit "$TMP/again.xml" --tag post-deploy suites/
expect_code again 0
ids() { grep -o '<testcase classname="[^"]*" name="[^"]*"' "$1"; }
if diff <(ids "$TMP/run.xml") <(ids "$TMP/again.xml") >"$TMP/ids.diff"; then
	ok "testcase ids are stable across runs and job counts"
else
	not_ok "testcase ids are stable across runs and job counts" "$(cat "$TMP/ids.diff")"
fi
expect_fixed "declaration order: health first" <(ids "$TMP/run.xml" | head -1) 'name="health"'

gl list list --env local suites/
expect_code list 0
expect_fixed "list shows the flow with its steps" "$TMP/list.out" 'smoke/quote-flow  (flow: 5 steps)'
expect_grep "list shows tags" "$TMP/list.out" '^smoke/health  #post-deploy$'

expect_fixed "list shows a replay suite" "$TMP/list.out" \
	'quotes-http/replay  (replay: http, 3 outputs, golden golden/quotes-http.csv)'

# Secrets are resolved for what is selected: the post-deploy smoke suite
# does not need the database, so an unset GREENLIGHT_DATABASE_URL is fine...
(unset GREENLIGHT_DATABASE_URL; cd "$SRCDIR" && "$GREENLIGHT" validate --env local --tag post-deploy suites/) \
	>"$TMP/validate.out" 2>"$TMP/validate.err"
echo $? >"$TMP/validate.code"
expect_code validate 0
expect_fixed "validate counts the checks" "$TMP/validate.out" "1 suite, 5 checks selected"
# ...but the replays do, and validating everything says so.
(unset GREENLIGHT_DATABASE_URL; cd "$SRCDIR" && "$GREENLIGHT" validate --env local suites/) \
	>"$TMP/validate-all.out" 2>"$TMP/validate-all.err"
echo $? >"$TMP/validate-all.code"
expect_code validate-all 2
expect_fixed "a missing secret that is needed is named" "$TMP/validate-all.err" \
	"'GREENLIGHT_DATABASE_URL'"

gl tag run --env local --var "base_url=$URL" --tag auth --junit "$TMP/tag.xml" suites/
expect_code tag 0
expect_case "--tag auth leaves out health" "$TMP/tag.xml" smoke health missing
expect_case "--tag auth keeps the login check" "$TMP/tag.xml" smoke login-rejects-wrong-password pass

gl filter run --env local --var "base_url=$URL" --filter 'smoke/ver*' --junit "$TMP/filter.xml" suites/smoke.json
expect_code filter 0
expect_grep "--filter keeps exactly one testcase" "$TMP/filter.xml" '<testsuites[^>]* tests="1"'

gl nomatch run --env local --var "base_url=$URL" --tag no-such-tag suites/
expect_code nomatch 2
expect_fixed "an empty selection says so" "$TMP/nomatch.err" "no check matches the selection --tag 'no-such-tag'"

gl version --version
expect_code version 0
expect_fixed "--version prints the version" "$TMP/version.out" "greenlight 0.1.0"
gl help --help
expect_code help 0
expect_fixed "--help documents exit codes" "$TMP/help.out" "exit codes:"

done_testing
