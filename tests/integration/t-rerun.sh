#!/usr/bin/env bash
# QA's loop: a run fails; the fault is fixed; --rerun-failed runs only what
# failed; merge makes one evidence file with each case once and its attempts.
. "$(dirname "$0")/lib.sh"

start_costd broken --fault auth-broken
gl first run --env local --var "base_url=$URL" --tag post-deploy --junit "$TMP/first.xml" suites/
expect_code first 1
expect_case "the first run fails the login" "$TMP/first.xml" smoke.quote-flow login failure

# The fix is deployed where the broken build was: same address.
kill "$COSTD_PID"
wait "$COSTD_PID" 2>/dev/null
COSTD_PORT=$PORT start_costd fixed
gl rerun run --env local --var "base_url=$URL" --rerun-failed "$TMP/first.xml" --junit "$TMP/rerun.xml" suites/
expect_code rerun 0
expect_junit_valid "$TMP/rerun.xml"
expect_case "the rerun runs the failed flow" "$TMP/rerun.xml" smoke.quote-flow login pass
expect_case "the rerun runs nothing that passed" "$TMP/rerun.xml" smoke health missing
# auth-broken also turned the wrong-password check's 401 into a 500.
expect_case "the rerun runs the other failed check" "$TMP/rerun.xml" smoke login-rejects-wrong-password pass
n=$(grep -c '<testcase ' "$TMP/rerun.xml")
if [ "$n" -eq 6 ]; then ok "the rerun has exactly what failed: 6 testcases"; else not_ok "the rerun has exactly what failed" "$n testcases"; fi

gl merge merge "$TMP/final.xml" "$TMP/first.xml" "$TMP/rerun.xml"
expect_code merge 0
expect_junit_valid "$TMP/final.xml"
expect_case "merged: the rerun's pass supersedes the failure" "$TMP/final.xml" smoke.quote-flow login pass
expect_case "merged: what passed the first time is kept" "$TMP/final.xml" smoke health pass
n=$(grep -c '<testcase ' "$TMP/final.xml")
if [ "$n" -eq 9 ]; then ok "merged: each of the 9 cases once"; else not_ok "merged: each case once" "$n testcases"; fi
expect_grep "merged: the attempts are recorded" "$TMP/final.xml" 'name="greenlight.attempts" value="[^"]*login[^"]*attempt 1'

# Merging in the other order: the later input (the failure) wins: the order
# of evidence is the order of the runs.
gl merge-back merge "$TMP/back.xml" "$TMP/rerun.xml" "$TMP/first.xml"
expect_code merge-back 1

gl nothing run --env local --var "base_url=$URL" --rerun-failed "$TMP/rerun.xml" suites/
expect_code nothing 2
expect_fixed "nothing failed: nothing to rerun, never a pass" "$TMP/nothing.err" "nothing failed last time"

sed 's/classname="smoke.quote-flow"/classname="smoke.renamed-flow"/' "$TMP/first.xml" >"$TMP/renamed.xml"
gl renamed run --env local --var "base_url=$URL" --rerun-failed "$TMP/renamed.xml" suites/
expect_code renamed 2
expect_fixed "a failed check that no longer exists is named" "$TMP/renamed.err" "'smoke/renamed-flow'"

gl both run --env local --rerun-failed "$TMP/first.xml" --tag post-deploy suites/
expect_code both 2

printf 'not xml' >"$TMP/garbage.xml"
gl garbage merge "$TMP/out.xml" "$TMP/first.xml" "$TMP/garbage.xml"
expect_code garbage 2
if [ ! -e "$TMP/out.xml" ]; then ok "a bad input merges nothing"; else not_ok "a bad input merges nothing"; fi

done_testing
