#!/usr/bin/env bash
# A target that hangs, stalls, resets, floods or answers garbage: each is a
# failed or errored testcase with its reason, within its timeout, and the
# report stays complete and valid.
. "$(dirname "$0")/lib.sh"

start_costd t
start=$(date +%s)
gl run run --env-dir "$DATA/environments" --env it --var "base_url=$URL" \
	--junit "$TMP/run.xml" "$DATA/transport.json"
elapsed=$(($(date +%s) - start))
expect_code run 1
expect_junit_valid "$TMP/run.xml"
# Not a timing assertion on speed: a bound that only a hang would break
# (the slowest check has a 1.5 s timeout, checks run concurrently).
if [ "$elapsed" -lt 60 ]; then ok "no hang past the timeouts (${elapsed}s)"; else not_ok "no hang (${elapsed}s)"; fi

x=$TMP/run.xml
expect_case "a healthy check still passes" "$x" transport ok pass
expect_case "accept-then-silence is an error: timeout" "$x" transport hang error "timeout"
expect_case "headers then a stalled body is an error: timeout" "$x" transport stalled-body error "timeout"
expect_case "a connection closed mid-body is an error" "$x" transport reset error
expect_case "a body over the cap is an error naming the cap" "$x" transport huge error \
	"response body exceeds 1048576 bytes"
expect_case "a 502 fails the default 2xx status check" "$x" transport server-error failure \
	"status: expected 2xx, got 502|status: expected .*200.*, got 502"
expect_case "invalid JSON under a JSON assertion fails" "$x" transport garbage-json failure \
	"not JSON"
expect_case "invalid UTF-8 in the body still gives a failure" "$x" transport invalid-utf8 failure
expect_case "the run carries on after the storm" "$x" transport after-the-storm pass
if LC_ALL=C grep -q $'\x1b' "$x"; then not_ok "no ESC byte in the JUnit file"; else ok "no ESC byte in the JUnit file"; fi
if LC_ALL=C grep -q $'\x1b' "$TMP/run.out"; then not_ok "no ESC byte from the target in the console"; else ok "no ESC byte from the target in the console"; fi

# Concurrency does not change the report's order.
gl serial run --env-dir "$DATA/environments" --env it --var "base_url=$URL" --jobs 1 \
	--junit "$TMP/serial.xml" "$DATA/transport.json"
ids() { grep -o '<testcase classname="[^"]*" name="[^"]*"' "$1"; }
if diff <(ids "$TMP/run.xml") <(ids "$TMP/serial.xml") >/dev/null; then
	ok "--jobs 8 and --jobs 1 report in the same, declared order"
else
	not_ok "--jobs 8 and --jobs 1 report in the same, declared order"
fi

# A name that does not resolve: under .invalid, which RFC 6761 reserves so
# that it never will. Outcome as for a refused connection: when the version
# under test is checked (local expects 2.4.0), exit 3 with every check
# skipped; without that check, each check is an error. Either way the reason
# names the resolution failure and the host. glibc is told to give up after
# one try of one second (RES_OPTIONS), so a machine without a reachable
# nameserver fails the same way; greenlight itself bounds resolution by the
# request's connect timeout.
nx="http://greenlight-test.invalid:1"
export RES_OPTIONS="timeout:1 attempts:1"
start=$(date +%s)
gl dns run --env local --var "base_url=$nx" --junit "$TMP/dns.xml" --tag post-deploy suites/
expect_code dns 3
expect_junit_valid "$TMP/dns.xml"
for c in health version; do
	expect_case "dns: $c is skipped naming the resolution failure" "$TMP/dns.xml" smoke "$c" \
		skipped "last: DNS failure \(Could not resolve host: greenlight-test\.invalid\)"
done
expect_case "dns: the flow is skipped too" "$TMP/dns.xml" smoke.quote-flow login skipped
expect_fixed "dns: stderr says not ready" "$TMP/dns.err" "environment 'local' not ready"

gl dns-checks run --env-dir "$DATA/environments" --env it --var "base_url=$nx" \
	--junit "$TMP/dns-checks.xml" "$DATA/transport.json"
expect_code dns-checks 1
expect_junit_valid "$TMP/dns-checks.xml"
for c in ok hang server-error after-the-storm; do
	expect_case "dns, no version check: $c is an error naming the host" "$TMP/dns-checks.xml" \
		transport "$c" error \
		"^error DNS failure: GET http://greenlight-test\.invalid:1/[^ ]* \(curl: Could not resolve host: greenlight-test\.invalid\)"
done

# --wait-healthy keeps asking (a new name may not be published yet), up to the wait.
gl dns-wait run --env local --var "base_url=$nx" --wait-healthy 2 --junit "$TMP/dns-wait.xml" \
	--tag post-deploy suites/
expect_code dns-wait 3
expect_case "dns, --wait-healthy: skipped after the wait, naming the failure" "$TMP/dns-wait.xml" \
	smoke health skipped "not ready after 2 s \(last: DNS failure \(Could not resolve host"
elapsed=$(($(date +%s) - start))
unset RES_OPTIONS
# A bound only a hang would break: three runs, one of them waiting 2 s.
if [ "$elapsed" -lt 30 ]; then ok "dns: no hang (${elapsed}s for three runs)"; else not_ok "dns: no hang (${elapsed}s)"; fi

# Connection refused without a version check (with one, t-faults.sh: exit 3):
# every check an error naming the refusal, never a failure or a pass.
gl refused-checks run --env-dir "$DATA/environments" --env it --var "base_url=http://127.0.0.1:1" \
	--junit "$TMP/refused-checks.xml" "$DATA/transport.json"
expect_code refused-checks 1
expect_junit_valid "$TMP/refused-checks.xml"
for c in ok hang server-error after-the-storm; do
	expect_case "refused, no version check: $c is an error" "$TMP/refused-checks.xml" \
		transport "$c" error "^error connection refused: GET http://127\.0\.0\.1:1/"
done

done_testing
