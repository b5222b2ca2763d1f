#!/usr/bin/env bash
# Each costd fault, against the shipped smoke suite, produces exactly the
# expected failure: the right testcase, failure or error, with a reason that
# gives expected and actual, method and URL.
. "$(dirname "$0")/lib.sh"

run_fault() { # FAULT: start costd with it and run the shipped suites
	start_costd "$1" --fault "$1"
	gl "$1" run --env local --var "base_url=$URL" --junit "$TMP/$1.xml" --tag post-deploy suites/
}

run_fault health-503
expect_code health-503 1
expect_junit_valid "$TMP/health-503.xml"
expect_case "health-503: health fails on the status" "$TMP/health-503.xml" smoke health failure \
	"status: expected 200, got 503 \(GET http://127\.0\.0\.1:[0-9]+/health\)"
expect_case "health-503: the login flow still passes" "$TMP/health-503.xml" smoke.quote-flow login pass
expect_grep "health-503: console says FAIL" "$TMP/health-503.out" '^verdict: FAIL$'

# The commonest false green: testing a deploy that did not happen. The
# target must report the version under test before anything runs: exit 3,
# every check skipped with both versions named.
run_fault wrong-version
expect_code wrong-version 3
expect_junit_valid "$TMP/wrong-version.xml"
for c in health version; do
	expect_case "wrong-version: $c is skipped, naming both versions" "$TMP/wrong-version.xml" smoke "$c" \
		skipped "target reports version '2\.4\.0-previous', expected '2\.4\.0'"
done
expect_case "wrong-version: the flow is skipped too" "$TMP/wrong-version.xml" smoke.quote-flow login skipped
expect_fixed "wrong-version: stderr says not ready" "$TMP/wrong-version.err" "environment 'local' not ready"
expect_no_fixed "wrong-version: no request but the health check reached the service" "$TMP/wrong-version.costd.log" "POST /login"

# Never healthy, with --wait-healthy: the hook waits, then exit 3 with every
# check skipped and the reason; within the wait and a little more.
start_costd never --fault health-503
t0=$(date +%s)
gl never run --env local --var "base_url=$URL" --wait-healthy 2 --junit "$TMP/never.xml" \
	--tag post-deploy suites/
t1=$(date +%s)
expect_code never 3
expect_junit_valid "$TMP/never.xml"
expect_case "never healthy: every check skipped with the reason" "$TMP/never.xml" smoke health skipped \
	"not ready after 2 s .*HTTP 503"
if [ $((t1 - t0)) -lt 30 ]; then ok "never healthy: gave up after the wait ($((t1 - t0)) s)"; else not_ok "never healthy: gave up after the wait" "$((t1 - t0)) s"; fi

# --expect-version overrides the environment's.
start_costd v25 --version 2.5.0
gl v25 run --env local --var "base_url=$URL" --expect-version 2.5.0 --var expected_version=2.5.0 \
	--junit "$TMP/v25.xml" --tag post-deploy suites/
expect_code v25 0

run_fault auth-broken
expect_code auth-broken 1
expect_case "auth-broken: login step fails with the 500" "$TMP/auth-broken.xml" \
	smoke.quote-flow login failure "status: expected 200, got 500 \(POST http://[^ ]+/login\)"
for step in whoami quote logout token-revoked; do
	expect_case "auth-broken: $step is skipped after login failed" "$TMP/auth-broken.xml" \
		smoke.quote-flow "$step" skipped "step 'login' failed"
done

run_fault drop
expect_code drop 1
expect_junit_valid "$TMP/drop.xml"
expect_case "drop: an API call with no response is an error" "$TMP/drop.xml" \
	smoke.quote-flow whoami error "GET http://[^ ]+/api/me"
expect_case "drop: the unauthenticated API check errors too" "$TMP/drop.xml" \
	smoke api-requires-auth error
expect_case "drop: health is not under /api and passes" "$TMP/drop.xml" smoke health pass

run_fault slow
expect_code slow 1
expect_case "slow: health breaks its time ceiling" "$TMP/slow.xml" smoke health failure \
	"response time: expected at most 1000 ms, got [0-9]+ ms"

# The data-dependent faults are invisible to smoke checks by design: the
# smoke quote is not on a tier boundary and has no rounding tie. Part 2's
# replay is what catches them.
run_fault tier-boundary
expect_code tier-boundary 0
run_fault round-half-up
expect_code round-half-up 0

# A target that is not there at all: not ready (no version can be read),
# every check skipped with the reason; never a pass.
gl refused run --env local --var "base_url=http://127.0.0.1:1" --junit "$TMP/refused.xml" --tag post-deploy suites/
expect_code refused 3
expect_junit_valid "$TMP/refused.xml"
expect_case "refused: health is skipped naming the reason" "$TMP/refused.xml" smoke health skipped \
	"connection refused"
expect_case "refused: the flow is skipped" "$TMP/refused.xml" smoke.quote-flow quote skipped

done_testing
