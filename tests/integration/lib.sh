# Integration test helpers: start costd on a free loopback port, run the real
# greenlight binary, compare exit codes, reports and messages. Output is TAP.
# shellcheck shell=bash
set -u

: "${GREENLIGHT:?GREENLIGHT must name the greenlight binary}"
: "${COSTD:?COSTD must name the costd binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gl-it.XXXXXX")
DATA="$SRCDIR/tests/integration/data"
XSD="$SRCDIR/tests/data/junit-10.xsd"
export GREENLIGHT_QA_PASSWORD="it-pass-$$-$RANDOM"
# Hermetic: a database URL from the caller's shell must not make a test pass
# that would fail in CI. Tests that need one start their own PostgreSQL.
unset GREENLIGHT_DATABASE_URL
# CI=true makes `record` refuse to write (on purpose); CI systems export it,
# and the tests that record goldens must behave the same there as here. The
# test of that refusal sets it itself.
unset CI
_pids=()
_n=0
_failed=0

_cleanups=() # commands run at exit, last registered first

_cleanup() {
	local pid i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[i]}" || true
	done
	for pid in "${_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap _cleanup EXIT

ok() {
	_n=$((_n + 1))
	echo "ok $_n - $1"
}

not_ok() {
	_n=$((_n + 1))
	_failed=$((_failed + 1))
	echo "not ok $_n - $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

# start_costd NAME [costd options...]: sets NAME's port in PORT and URL, and
# COSTD_PID. COSTD_PORT=N picks the port (a redeploy on the same address).
start_costd() {
	local name=$1
	shift
	"$COSTD" --port "${COSTD_PORT:-0}" --port-file "$TMP/$name.port" \
		--password "$GREENLIGHT_QA_PASSWORD" "$@" 2>"$TMP/$name.costd.log" &
	_pids+=("$!")
	local i
	for i in $(seq 200); do
		[ -s "$TMP/$name.port" ] && break
		sleep 0.05
	done
	if [ ! -s "$TMP/$name.port" ]; then
		echo "Bail out! costd '$name' did not start: $(cat "$TMP/$name.costd.log")"
		exit 1
	fi
	PORT=$(cat "$TMP/$name.port")
	URL="http://127.0.0.1:$PORT"
	COSTD_PID=${_pids[${#_pids[@]} - 1]}
}

# gl NAME ARGS...: run greenlight; stdout, stderr and the exit code land in
# $TMP/NAME.out, .err, .code. Run from the source tree so suites/ resolves.
gl() {
	local name=$1
	shift
	local code=0
	(cd "$SRCDIR" && "$GREENLIGHT" "$@") >"$TMP/$name.out" 2>"$TMP/$name.err" || code=$?
	echo "$code" >"$TMP/$name.code"
}

expect_code() { # NAME EXPECTED
	local got
	got=$(cat "$TMP/$1.code")
	if [ "$got" = "$2" ]; then
		ok "$1: exit $2"
	else
		not_ok "$1: exit $2" "got exit $got" "stdout:" "$(head -c 3000 "$TMP/$1.out")" \
			"stderr:" "$(head -c 3000 "$TMP/$1.err")"
	fi
}

# expect_grep DESCRIPTION FILE ERE: the file has a line matching ERE.
expect_grep() {
	if grep -Eq -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1" "no line of $(basename "$2") matches: $3" "$(head -c 3000 "$2")"
	fi
}

expect_no_grep() {
	if ! grep -Eq -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1" "$(basename "$2") has a line matching: $3" "$(grep -E -- "$3" "$2" | head -5)"
	fi
}

# expect_fixed DESCRIPTION FILE STRING / expect_no_fixed: fixed strings.
expect_fixed() {
	if grep -Fq -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1" "$(basename "$2") lacks: $3" "$(head -c 3000 "$2")"
	fi
}

expect_no_fixed() {
	if ! grep -Fq -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1" "$(basename "$2") contains: $3"
	fi
}

# expect_junit_valid FILE: well-formed, valid against the Jenkins xUnit
# schema, and its counts add up.
expect_junit_valid() {
	local f=$1 msg
	if msg=$(xmllint --noout --schema "$XSD" "$f" 2>&1); then
		ok "$(basename "$f") is valid JUnit"
	else
		not_ok "$(basename "$f") is valid JUnit" "$msg"
		return
	fi
	if msg=$(junit_counts_agree "$f"); then
		ok "$(basename "$f") counts equal its testcases"
	else
		not_ok "$(basename "$f") counts equal its testcases" "$msg"
	fi
}

# Each testsuite's tests/failures/errors/skipped attributes against its
# testcases; prints the first disagreement.
junit_counts_agree() {
	python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tot = {"tests": 0, "failures": 0, "errors": 0}
for s in suites:
    cases = s.findall("testcase")
    got = {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }
    for k, v in got.items():
        if s.get(k) is not None and int(s.get(k)) != v:
            print(f"suite {s.get('name')}: {k}={s.get(k)} but {v} testcases")
            sys.exit(1)
    for k in tot:
        tot[k] += got[k]
if root.tag == "testsuites":
    for k, v in tot.items():
        if root.get(k) is not None and int(root.get(k)) != v:
            print(f"testsuites: {k}={root.get(k)} but {v}")
            sys.exit(1)
PY
}

# junit_case FILE CLASSNAME NAME: prints the outcome of one testcase:
# pass, failure, error, skipped or missing, then its message.
junit_case() {
	python3 - "$@" <<'PY'
import sys
import xml.etree.ElementTree as ET
f, cls, name = sys.argv[1:4]
for c in ET.parse(f).getroot().iter("testcase"):
    if c.get("classname") == cls and c.get("name") == name:
        for tag in ("failure", "error", "skipped"):
            e = c.find(tag)
            if e is not None:
                print(tag, e.get("message") or "")
                break
        else:
            print("pass")
        break
else:
    print("missing")
PY
}

# expect_case DESC FILE CLASSNAME NAME OUTCOME [MESSAGE-ERE]
expect_case() {
	local got
	got=$(junit_case "$2" "$3" "$4")
	local outcome=${got%% *}
	if [ "$outcome" != "$5" ]; then
		not_ok "$1" "$3/$4: expected $5, got: $got"
		return
	fi
	if [ $# -ge 6 ] && ! printf '%s\n' "$got" | grep -Eq -- "$6"; then
		not_ok "$1" "$3/$4: message does not match: $6" "got: $got"
		return
	fi
	ok "$1"
}

done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}
