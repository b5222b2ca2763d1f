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

done_testing
