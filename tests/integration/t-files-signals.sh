#!/usr/bin/env bash
# The fault matrix, files and signals: a suite greenlight may not read, a
# golden cut short or out of order, a report directory it may not write, a
# disk that fills up while a report is written, and SIGINT and SIGTERM
# during checks and during a replay. Each gives its documented exit code and
# reason, complete and valid reports where one is written (and the old file
# untouched where none can be), no crash and no hang.
. "$(dirname "$0")/lib.sh"

start_costd good
good=$URL
envs=(--env-dir "$DATA/environments" --env it)

cat >"$TMP/ok.json" <<'JSON'
{ "suite": "ok", "checks": [ { "id": "health", "request": "GET {{base_url}}/health" } ] }
JSON

# requests NAME: how many requests costd NAME has logged so far.
requests() { grep -c '^costd: [A-Z]* /' "$TMP/$1.costd.log" || true; }

# wait_log NAME ERE COUNT: wait (up to 60 s) until costd NAME's access log
# has COUNT lines matching ERE. Conditions, not sleeps: the machine may be
# loaded.
wait_log() {
	local i
	for i in $(seq 1200); do
		[ "$(grep -cE -- "$2" "$TMP/$1.costd.log" || true)" -ge "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

# within DESC T0 T1 SECONDS: the run ended within SECONDS of the signal. A
# bound on a hang, not a timing: on a loaded machine it is still generous.
within() {
	if awk -v a="$2" -v b="$3" -v s="$4" 'BEGIN { exit !(b - a < s) }'; then
		ok "$1"
	else
		not_ok "$1" "took $(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", b - a }') s"
	fi
}

# expect_verdict DESC FILE PY-CONDITION: a condition on the JSON verdict v.
expect_verdict() {
	if python3 -c "import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if ($3) else 1)" "$2" 2>/dev/null; then
		ok "$1"
	else
		not_ok "$1" "$(head -c 2000 "$2" 2>&1)"
	fi
}

# no_temporaries DESC DIR: nothing but the reports themselves is in DIR (the
# atomic writer's temporaries would be REPORT.XXXXXX).
no_temporaries() {
	local left
	left=$(find "$2" -mindepth 1 ! -name junit.xml ! -name verdict.json ! -name report.html)
	if [ -z "$left" ]; then ok "$1"; else not_ok "$1" "$left"; fi
}

# ---- Files: a suite that cannot be read -------------------------------------
#
# The tests run as root, which reads everything: the unreadable cases run a
# copy of greenlight as an unprivileged user (uid and gid 65534) in a
# directory of their own that user may enter. The build directory may not be
# (under /root); the sanitizer build links only system libraries.
PUB=$(mktemp -d /tmp/gl-it-pub.XXXXXX)
_cleanups+=("rm -rf '$PUB'")
chmod 755 "$PUB"
cp "$GREENLIGHT" "$PUB/greenlight"
chmod 755 "$PUB/greenlight"
mkdir -p "$PUB/envs"
cp "$DATA/environments/it.json" "$PUB/envs/it.json"
cp "$TMP/ok.json" "$PUB/ok.json"
chmod 644 "$PUB/envs/it.json" "$PUB/ok.json"

as_nobody() {
	if command -v setpriv >/dev/null; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		runuser -u "$(getent passwd 65534 | cut -d: -f1)" -- "$@"
	fi
}

# gl_nobody NAME ARGS...: like gl, as the unprivileged user, from $PUB.
gl_nobody() {
	local name=$1
	shift
	local code=0
	(cd "$PUB" && as_nobody "$PUB/greenlight" "$@") >"$TMP/$name.out" 2>"$TMP/$name.err" || code=$?
	echo "$code" >"$TMP/$name.code"
}

missing_libs=$(ldd "$PUB/greenlight" 2>&1 | grep 'not found' || true)
gl_nobody nobody-version --version
if [ "$(cat "$TMP/nobody-version.code")" = 0 ] && [ "$(as_nobody id -u)" = 65534 ]; then
	ok "a copy of greenlight runs as an unprivileged user"
else
	not_ok "a copy of greenlight runs as an unprivileged user" "$(cat "$TMP/nobody-version.err")" \
		"missing libraries: $missing_libs"
fi
nargs=(--env-dir "$PUB/envs" --env it --var "base_url=$good")

cp "$TMP/ok.json" "$PUB/secret.json"
chmod 000 "$PUB/secret.json"
before=$(requests good)
gl_nobody unreadable run "${nargs[@]}" --junit "$PUB/unreadable.xml" "$PUB/secret.json"
expect_code unreadable 2
expect_fixed "unreadable suite: located message naming the file and the reason" "$TMP/unreadable.err" \
	"$PUB/secret.json: cannot read '$PUB/secret.json': Permission denied"
expect_fixed "unreadable suite: nothing was sent" "$TMP/unreadable.err" "nothing was sent"
if [ "$(requests good)" = "$before" ] && [ ! -e "$PUB/unreadable.xml" ]; then
	ok "unreadable suite: no request reached the target, no report written"
else
	not_ok "unreadable suite: no request reached the target, no report written" "$(tail -3 "$TMP/good.costd.log")"
fi

# A suite in a subdirectory that cannot be listed is not silently left out:
# the readable suite beside it does not make the run valid.
mkdir -p "$PUB/tree/locked"
cp "$TMP/ok.json" "$PUB/tree/ok.json"
cp "$TMP/ok.json" "$PUB/tree/locked/hidden.json"
chmod 644 "$PUB/tree/ok.json"
chmod 755 "$PUB/tree"
chmod 700 "$PUB/tree/locked"
gl_nobody locked run "${nargs[@]}" "$PUB/tree"
expect_code locked 2
expect_fixed "unlistable directory of suites: named, with the reason" "$TMP/locked.err" \
	"$PUB/tree/locked: cannot read directory: Permission denied"

# A directory with no suite in it, or only a FIFO named like one (never
# opened, so never waited on): exit 2, never a pass on nothing.
mkdir -p "$TMP/empty" "$TMP/fifodir"
mkfifo "$TMP/fifodir/x.json"
for d in empty fifodir; do
	code=0
	(cd "$SRCDIR" && timeout 60 "$GREENLIGHT" run "${envs[@]}" --var "base_url=$good" "$TMP/$d") \
		>"$TMP/$d.out" 2>"$TMP/$d.err" || code=$?
	echo "$code" >"$TMP/$d.code"
	expect_code "$d" 2
	expect_fixed "$d: no suite files in the directory" "$TMP/$d.err" \
		"$TMP/$d: no suite files (*.json) in directory"
done

# A suite named on the command line may be a pipe (process substitution, a
# FIFO): it is read to its end.
mkfifo "$TMP/piped.json"
cat "$TMP/ok.json" >"$TMP/piped.json" &
_pids+=("$!")
code=0
(cd "$SRCDIR" && timeout 60 "$GREENLIGHT" validate "${envs[@]}" "$TMP/piped.json") \
	>"$TMP/piped.out" 2>"$TMP/piped.err" || code=$?
echo "$code" >"$TMP/piped.code"
expect_code piped 0
expect_fixed "a suite read from a FIFO" "$TMP/piped.out" "ok: 1 suite, 1 check selected"
# With no writer, opening it waits, as cat would; SIGTERM ends the wait at
# once, before anything is sent or written.
mkfifo "$TMP/lonely.json"
before=$(requests good)
(cd "$SRCDIR" && exec "$GREENLIGHT" run "${envs[@]}" --var "base_url=$good" --junit "$TMP/lonely.xml" \
	"$TMP/lonely.json") >"$TMP/lonely.out" 2>"$TMP/lonely.err" &
runner=$!
sleep 0.5 # whether still starting or already waiting, SIGTERM ends it the same way
t0=$EPOCHREALTIME
kill -TERM "$runner"
code=0
wait "$runner" || code=$?
t1=$EPOCHREALTIME
within "a FIFO without a writer: SIGTERM ends the wait" "$t0" "$t1" 10
if [ "$code" -ne 0 ] && [ ! -e "$TMP/lonely.xml" ] && [ "$(requests good)" = "$before" ]; then
	ok "a FIFO without a writer: not a pass, nothing sent, no report"
else
	not_ok "a FIFO without a writer: not a pass, nothing sent, no report" "exit $code"
fi

# ---- Files: a damaged golden --------------------------------------------------
head -n 201 "$SRCDIR/fixtures/usage.csv" >"$TMP/cases.csv"
write_suite() { # FILE GOLDEN
	cat >"$1" <<JSON
{
  "suite": "quotes",
  "replay": {
    "cases": { "file": "$TMP/cases.csv" },
    "key": "record_id",
    "calculate": {
      "http": {
        "method": "POST",
        "url": "{{base_url}}/api/costs/quote",
        "json": { "record_id": "{{case.record_id}}", "currency": "{{case.currency}}",
                  "quantity": "{{case.quantity}}", "discount_pct": "{{case.discount_pct}}" }
      }
    },
    "outputs": { "list_cost": {}, "savings": {}, "cost": {} },
    "golden": "$2"
  }
}
JSON
}
mkdir -p "$TMP/golden"
write_suite "$TMP/quotes.json" "$TMP/golden/quotes.csv"
gl record record "${envs[@]}" --var "base_url=$good" "$TMP/quotes.json"
expect_code record 0

# damaged NAME PYTHON: a copy of the golden in $TMP/NAME/, edited by PYTHON
# (lines: the file's lines, without their newlines; write the result to out)
# and its suite $TMP/NAME.json.
damaged() {
	mkdir -p "$TMP/$1"
	cp "$TMP/golden/quotes.meta.json" "$TMP/$1/quotes.meta.json"
	python3 - "$TMP/golden/quotes.csv" "$TMP/$1/quotes.csv" <<PY
import sys
lines = open(sys.argv[1]).read().splitlines()
out = open(sys.argv[2], "w")
$2
PY
	write_suite "$TMP/$1.json" "$TMP/$1/quotes.csv"
}
# resign DIR: the sidecar a re-recording would give the edited golden, so
# that the comparison itself, not the digest check, meets the damage.
resign() {
	python3 - "$1/quotes.csv" "$1/quotes.meta.json" <<'PY'
import hashlib, json, sys
meta = json.load(open(sys.argv[2]))
meta["golden_digest"] = "sha256:" + hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
json.dump(meta, open(sys.argv[2], "w"), indent=2)
PY
}

# Truncated in the middle of its last row, no final newline: as it stands,
# the digest in its sidecar gives it away, and nothing is compared against it.
damaged trunc 'out.write("\n".join(lines[:-1]) + "\n" + lines[-1][:lines[-1].index(",") + 3])'
last=$(tail -n 1 "$TMP/golden/quotes.csv" | cut -d, -f1)
if [ -n "$(tail -c 1 "$TMP/trunc/quotes.csv")" ]; then ok "the truncated golden ends mid-row"; else not_ok "the truncated golden ends mid-row"; fi
gl trunc run "${envs[@]}" --var "base_url=$good" --junit "$TMP/trunc.xml" "$TMP/trunc.json"
expect_code trunc 1
expect_junit_valid "$TMP/trunc.xml"
for c in completeness "cost within tolerance" "cost drift"; do
	expect_case "truncated golden: '$c' is an error: changed after it was recorded" "$TMP/trunc.xml" \
		quotes "$c" error "golden '[^']*trunc/quotes\.csv' changed after it was recorded"
done
# Re-signed, the cut row itself is the finding: malformed (its line named)
# and its case unexpected; the rows before it still compared.
resign "$TMP/trunc"
gl trunc2 run "${envs[@]}" --var "base_url=$good" --junit "$TMP/trunc2.xml" "$TMP/trunc.json"
expect_code trunc2 1
expect_junit_valid "$TMP/trunc2.xml"
expect_case "truncated golden: completeness fails naming the row" "$TMP/trunc2.xml" quotes completeness \
	failure "1 unexpected, 1 malformed rows .*first: $last"
expect_fixed "truncated golden: the malformed line is located" "$TMP/trunc2.xml" \
	"$TMP/trunc/quotes.csv:201: expected 4 fields, got 2"
expect_case "truncated golden: the rows before the cut still pass" "$TMP/trunc2.xml" quotes \
	"cost within tolerance" pass

# Not sorted: two neighbouring rows swapped. The row that comes back down is
# out of order, named with the key it follows; its case is then unexpected.
damaged unsorted 'lines[51], lines[52] = lines[52], lines[51]
out.write("\n".join(lines) + "\n")'
k51=$(sed -n 52p "$TMP/golden/quotes.csv" | cut -d, -f1)
k52=$(sed -n 53p "$TMP/golden/quotes.csv" | cut -d, -f1)
resign "$TMP/unsorted"
gl unsorted run "${envs[@]}" --var "base_url=$good" --junit "$TMP/unsorted.xml" "$TMP/unsorted.json"
expect_code unsorted 1
expect_junit_valid "$TMP/unsorted.xml"
expect_case "unsorted golden: completeness fails naming the row" "$TMP/unsorted.xml" quotes \
	completeness failure "1 unexpected, 1 out of order or duplicate .*first: $k51"
expect_fixed "unsorted golden: the order problem is spelled out" "$TMP/unsorted.out" \
	"$TMP/unsorted/quotes.csv out of order: '$k51' after '$k52'"

# ---- Files: a report directory that cannot be written -------------------------
# greenlight's own failure: exit 4, each path named with the reason, the
# console report still printed, and nothing at all left in the directory.
mkdir -p "$PUB/ro"
chmod 555 "$PUB/ro"
gl_nobody rodir run "${nargs[@]}" --junit "$PUB/ro/junit.xml" --verdict "$PUB/ro/verdict.json" \
	--html "$PUB/ro/report.html" "$PUB/ok.json"
expect_code rodir 4
expect_fixed "read-only directory: the JUnit path and reason" "$TMP/rodir.err" \
	"cannot write '$PUB/ro/junit.xml': Permission denied"
expect_fixed "read-only directory: the HTML path and reason" "$TMP/rodir.err" \
	"cannot write '$PUB/ro/report.html': Permission denied"
expect_fixed "read-only directory: the verdict path and reason" "$TMP/rodir.err" \
	"cannot write the verdict '$PUB/ro/verdict.json': Permission denied"
expect_grep "read-only directory: the console report was still printed" "$TMP/rodir.out" '^verdict: PASS$'
if [ -z "$(ls -A "$PUB/ro")" ]; then ok "read-only directory: nothing partially written"; else not_ok "read-only directory: nothing partially written" "$(ls -A "$PUB/ro")"; fi

# ---- Files: the disk fills up while the reports are written ---------------------
# RLIMIT_FSIZE caps every file greenlight writes: a write past it fails
# (EFBIG, with SIGXFSZ ignored), as one on a full disk fails with ENOSPC.
# stdout and stderr go through pipes, which the cap does not reach.
gl_fsize() { # NAME KIB ARGS...
	local name=$1 kib=$2
	shift 2
	{ (trap '' XFSZ; ulimit -f "$kib"; cd "$SRCDIR" && exec "$GREENLIGHT" "$@") 2>&1 >&3 3>&- |
		cat >"$TMP/$name.err"; echo "${PIPESTATUS[0]}" >"$TMP/$name.code"; } 3>&1 | cat >"$TMP/$name.out"
}
# Reports of some size: six suites, each with a failure quoting a body.
mkdir -p "$TMP/many" "$TMP/ev"
for i in 1 2 3 4 5 6; do
	cat >"$TMP/many/s$i.json" <<JSON
{ "suite": "s$i", "checks": [
  { "id": "health", "request": "GET {{base_url}}/health" },
  { "id": "bytes", "request": "GET {{base_url}}/test/bytes?n=200000", "expect": { "status": 201 } } ] }
JSON
done
ev=(--junit "$TMP/ev/junit.xml" --verdict "$TMP/ev/verdict.json" --html "$TMP/ev/report.html")
gl old run "${envs[@]}" --var "base_url=$good" "${ev[@]}" "$TMP/many"
expect_code old 1
mkdir -p "$TMP/ev-old"
cp -p "$TMP/ev/junit.xml" "$TMP/ev/verdict.json" "$TMP/ev/report.html" "$TMP/ev-old/"
sizes=$(stat -c %s "$TMP/ev/junit.xml" "$TMP/ev/verdict.json" "$TMP/ev/report.html" | sort -n | head -1)
if [ "$sizes" -gt 1024 ]; then ok "every old report is over 1 KiB ($sizes bytes at least)"; else not_ok "every old report is over 1 KiB" "$sizes"; fi

kept() { # NAME: every old report byte for byte, valid, and no temporary beside it
	local f ok_all=1
	for f in junit.xml verdict.json report.html; do
		cmp -s "$TMP/ev/$f" "$TMP/ev-old/$f" || ok_all=0
	done
	if [ "$ok_all" = 1 ]; then ok "$1: the old reports are intact"; else not_ok "$1: the old reports are intact" "$(ls -l "$TMP/ev")"; fi
	expect_junit_valid "$TMP/ev/junit.xml"
	no_temporaries "$1: no temporary file left beside them" "$TMP/ev"
}
# 1 KiB: every report fails part way through its first write.
gl_fsize full1 1 run "${envs[@]}" --var "base_url=$good" "${ev[@]}" "$TMP/many"
expect_code full1 4
for f in junit.xml report.html; do
	expect_fixed "disk full (1 KiB): '$f' named with the error" "$TMP/full1.err" \
		"cannot write '$TMP/ev/$f': File too large"
done
expect_fixed "disk full (1 KiB): the verdict named with the error" "$TMP/full1.err" \
	"cannot write the verdict '$TMP/ev/verdict.json': File too large"
expect_grep "disk full (1 KiB): the console report was still printed" "$TMP/full1.out" '^verdict: FAIL$'
kept "disk full (1 KiB)"
# 8 KiB: the JUnit and HTML files fail after several writes went through.
gl_fsize full8 8 run "${envs[@]}" --var "base_url=$good" --junit "$TMP/ev/junit.xml" \
	--html "$TMP/ev/report.html" "$TMP/many"
expect_code full8 4
expect_fixed "disk full (8 KiB): the JUnit file named with the error" "$TMP/full8.err" \
	"cannot write '$TMP/ev/junit.xml': File too large"
kept "disk full (8 KiB)"

# ---- Signals during checks ------------------------------------------------------
# Two jobs: 'fast' and 'hangs' start together; 'stalls' starts only when
# 'fast' has finished. Its request in costd's log means both are in flight
# and 'fast' is done, whatever the machine's load.
cat >"$TMP/hang.json" <<'JSON'
{ "suite": "hang", "checks": [
  { "id": "fast", "request": "GET {{base_url}}/health" },
  { "id": "hangs", "request": { "url": "{{base_url}}/test/hang", "timeout_ms": 60000 } },
  { "id": "stalls", "request": { "url": "{{base_url}}/test/stall-body", "timeout_ms": 60000 } } ] }
JSON
start_costd sig
for s in INT TERM; do
	n=$(( $(grep -c 'GET /test/stall-body' "$TMP/sig.costd.log" || true) + 1 ))
	(cd "$SRCDIR" && exec "$GREENLIGHT" run "${envs[@]}" --var "base_url=$URL" --jobs 2 \
		--junit "$TMP/checks-$s.xml" --verdict "$TMP/checks-$s.json" "$TMP/hang.json") \
		>"$TMP/checks-$s.out" 2>"$TMP/checks-$s.err" &
	runner=$!
	wait_log sig 'GET /test/stall-body' "$n" || not_ok "SIG$s during checks: the checks were in flight"
	t0=$EPOCHREALTIME
	kill -"$s" "$runner"
	code=0
	wait "$runner" || code=$?
	t1=$EPOCHREALTIME
	echo "$code" >"$TMP/checks-$s.code"
	expect_code "checks-$s" 1
	within "SIG$s during checks: ends promptly" "$t0" "$t1" 10
	expect_junit_valid "$TMP/checks-$s.xml"
	expect_case "SIG$s during checks: the finished check is kept" "$TMP/checks-$s.xml" hang fast pass
	for c in hangs stalls; do
		expect_case "SIG$s during checks: '$c' is an error naming the signal" "$TMP/checks-$s.xml" \
			hang "$c" error "^error interrupted by SIG$s\$"
	done
	expect_verdict "SIG$s during checks: the verdict says fail, interrupted" "$TMP/checks-$s.json" \
		'v["verdict"] == "fail" and v["interrupted"] is True and v["exit_code"] == 1'
	expect_grep "SIG$s during checks: the console says interrupted" "$TMP/checks-$s.out" '^interrupted: '
done

# ---- Signals during a replay ----------------------------------------------------
# Every answer of this costd takes 2 s, so the 200 cases would take 50 s at 8
# at a time. A 17th quote request in its log means a case has come back and
# been compared (the ring of cases holds 16). The signal must not wait for
# the cases in flight, let alone for the next 64 (the check every 64 rows
# once did: 16 s here, minutes against a target that hangs).
start_costd slow --fault slow
for s in INT TERM; do
	n=$(( $(grep -c 'POST /api/costs/quote' "$TMP/slow.costd.log" || true) + 17 ))
	(cd "$SRCDIR" && exec "$GREENLIGHT" run "${envs[@]}" --var "base_url=$URL" \
		--junit "$TMP/replay-$s.xml" --verdict "$TMP/replay-$s.json" "$TMP/quotes.json") \
		>"$TMP/replay-$s.out" 2>"$TMP/replay-$s.err" &
	runner=$!
	wait_log slow 'POST /api/costs/quote' "$n" || not_ok "SIG$s during a replay: the replay was under way"
	t0=$EPOCHREALTIME
	kill -"$s" "$runner"
	code=0
	wait "$runner" || code=$?
	t1=$EPOCHREALTIME
	echo "$code" >"$TMP/replay-$s.code"
	expect_code "replay-$s" 1
	within "SIG$s during a replay: ends promptly" "$t0" "$t1" 10
	expect_junit_valid "$TMP/replay-$s.xml"
	expect_case "SIG$s during a replay: completeness is an error naming the signal" \
		"$TMP/replay-$s.xml" quotes completeness error "^error stopped after [1-9][0-9]* cases: interrupted by SIG$s"
	expect_case "SIG$s during a replay: the cases compared keep their outcome" "$TMP/replay-$s.xml" \
		quotes "cost within tolerance" pass
	expect_fixed "SIG$s during a replay: the report says interrupted" "$TMP/replay-$s.xml" \
		'<property name="greenlight.interrupted" value="true"/>'
	expect_verdict "SIG$s during a replay: the verdict says fail, interrupted" "$TMP/replay-$s.json" \
		'v["verdict"] == "fail" and v["interrupted"] is True and v["exit_code"] == 1'
done

done_testing
