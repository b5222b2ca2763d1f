#!/usr/bin/env bash
# The verdict and the gate, end to end with the real binary: complete fresh
# evidence promotes; each way evidence can be missing, stale, mismatched,
# tampered or empty holds. And a run stopped by SIGTERM still leaves valid
# evidence that says fail.
. "$(dirname "$0")/lib.sh"

start_costd good
good=$URL
start_costd v25 --version 2.5.0
v25=$URL
start_costd broken --fault health-503
broken=$URL

mkdir -p "$TMP/envs"
for e in staging preprod; do
	printf '{ "name": "%s", "base_url": "http://127.0.0.1:9", "expected_version": "2.4.0",
  "variables": { "qa_user": "qa" }, "secrets": { "qa_password": "GREENLIGHT_QA_PASSWORD" },
  "health": { "url": "{{base_url}}/health", "version": "$.version" } }\n' "$e" >"$TMP/envs/$e.json"
done
cat >"$TMP/policy.json" <<'JSON'
{
  "promote_to": "production",
  "max_age_hours": 24,
  "require": [
    { "environment": "staging", "suites": ["smoke"] },
    { "environment": "preprod", "suites": ["smoke"] }
  ],
  "same_version": true,
  "require_junit": true
}
JSON

evidence() { # NAME ENV URL [more greenlight options]: out/NAME/{junit.xml,verdict.json}
	local name=$1 env=$2 url=$3
	shift 3
	mkdir -p "$TMP/out/$name"
	gl "$name" run --env-dir "$TMP/envs" --env "$env" --var "base_url=$url" --tag post-deploy \
		--junit "$TMP/out/$name/junit.xml" --verdict "$TMP/out/$name/verdict.json" "$@" suites/
}
gate() { # NAME VERDICT...
	local name=$1
	shift
	gl "$name" gate --policy "$TMP/policy.json" "$@"
}

evidence staging staging "$good" --html "$TMP/out/staging/report.html"
expect_code staging 0
expect_grep "the HTML report shows the verdict" "$TMP/out/staging/report.html" ">PASS<"
expect_no_grep "the HTML report loads nothing from anywhere" "$TMP/out/staging/report.html" '<script|src="http|href="http'
expect_no_fixed "the HTML report shows no secret" "$TMP/out/staging/report.html" "$GREENLIGHT_QA_PASSWORD"
expect_grep "the verdict says pass" "$TMP/out/staging/verdict.json" '"verdict":[[:space:]]*"pass"'
expect_grep "the verdict carries the JUnit digest" "$TMP/out/staging/verdict.json" '"sha256":[[:space:]]*"sha256:[0-9a-f]{64}"'
evidence preprod preprod "$good"
expect_code preprod 0

gate promote "$TMP/out/staging/verdict.json" "$TMP/out/preprod/verdict.json"
expect_code promote 0
expect_fixed "complete fresh evidence promotes" "$TMP/promote.out" "promote: version 2.4.0 to production"

evidence failed preprod "$broken"
expect_code failed 1
expect_grep "a failed run's verdict says fail" "$TMP/out/failed/verdict.json" '"verdict":[[:space:]]*"fail"'
gate hold-failed "$TMP/out/staging/verdict.json" "$TMP/out/failed/verdict.json"
expect_code hold-failed 1
expect_grep "a failed suite holds, saying which" "$TMP/hold-failed.out" "^hold: preprod: .*smoke"

gate hold-missing "$TMP/out/staging/verdict.json"
expect_code hold-missing 1
expect_grep "a missing environment holds" "$TMP/hold-missing.out" "^hold: preprod: no verdict"

gate hold-nothing
expect_code hold-nothing 1
expect_grep "no verdicts at all hold" "$TMP/hold-nothing.out" "^hold: no verdicts"

# Stale: the same evidence, finished two days ago.
mkdir -p "$TMP/out/stale"
cp "$TMP/out/preprod/junit.xml" "$TMP/out/stale/"
python3 - "$TMP/out/preprod/verdict.json" "$TMP/out/stale/verdict.json" <<'PY'
import json, sys, datetime
v = json.load(open(sys.argv[1]))
old = datetime.datetime.utcnow() - datetime.timedelta(hours=48)
v["started_at"] = v["finished_at"] = old.strftime("%Y-%m-%dT%H:%M:%SZ")
json.dump(v, open(sys.argv[2], "w"), indent=2)
PY
gate hold-stale "$TMP/out/staging/verdict.json" "$TMP/out/stale/verdict.json"
expect_code hold-stale 1
expect_grep "a stale verdict holds" "$TMP/hold-stale.out" "^hold: preprod: .*old"

# A version mismatch: preprod passed, but for 2.5.0.
evidence v25 preprod "$v25" --var expected_version=2.5.0
expect_code v25 0
gate hold-version "$TMP/out/staging/verdict.json" "$TMP/out/v25/verdict.json"
expect_code hold-version 1
expect_grep "a version mismatch holds" "$TMP/hold-version.out" "^hold: .*version"

# Tampered evidence: the JUnit file edited after the verdict was written.
mkdir -p "$TMP/out/edited"
cp "$TMP/out/preprod/verdict.json" "$TMP/out/edited/"
sed 's/failures="0"/failures="0" /' "$TMP/out/preprod/junit.xml" >"$TMP/out/edited/junit.xml"
gate hold-edited "$TMP/out/staging/verdict.json" "$TMP/out/edited/verdict.json"
expect_code hold-edited 1
expect_grep "an edited JUnit file holds" "$TMP/hold-edited.out" "^hold: preprod: .*junit"

# A verdict with zero checks.
mkdir -p "$TMP/out/zero"
cp "$TMP/out/preprod/junit.xml" "$TMP/out/zero/"
python3 - "$TMP/out/preprod/verdict.json" "$TMP/out/zero/verdict.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
v["counts"] = {k: 0 for k in v["counts"]}
for s in v["suites"]:
    for k in ("tests", "passed", "failures", "errors", "skipped"):
        s[k] = 0
json.dump(v, open(sys.argv[2], "w"), indent=2)
PY
gate hold-zero "$TMP/out/staging/verdict.json" "$TMP/out/zero/verdict.json"
expect_code hold-zero 1
expect_grep "a verdict with zero checks holds" "$TMP/hold-zero.out" "^hold: preprod: .*(zero|no) check"

# A verdict rewritten to "pass" over the failing JUnit it points to, its
# numbers made consistent: the JUnit file's own counts give it away.
mkdir -p "$TMP/out/forged"
cp "$TMP/out/failed/junit.xml" "$TMP/out/forged/"
python3 - "$TMP/out/failed/verdict.json" "$TMP/out/forged/verdict.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
v["verdict"], v["exit_code"] = "pass", 0
for c in [v["counts"]] + v["suites"]:
    c["passed"] += c["failures"] + c["errors"] + c["skipped"]
    c["failures"] = c["errors"] = c["skipped"] = 0
json.dump(v, open(sys.argv[2], "w"), indent=2)
PY
gate hold-forged "$TMP/out/staging/verdict.json" "$TMP/out/forged/verdict.json"
expect_code hold-forged 1
expect_grep "a verdict forged over failing JUnit holds" "$TMP/hold-forged.out" "^hold: preprod: .*edited verdict"

gl badpolicy gate --policy "$DATA/bad/syntax.json" "$TMP/out/staging/verdict.json"
expect_code badpolicy 2
expect_grep "an invalid policy is exit 2 with its location" "$TMP/badpolicy.err" "syntax.json:5:5:"

# The shipped post-deploy hook, as a deploy job calls it.
hook() { # NAME ENV URL [VERSION]
	local name=$1 env=$2 url=$3
	shift 3
	local code=0
	GREENLIGHT=$GREENLIGHT GREENLIGHT_OUT="$TMP/hook" GREENLIGHT_ENV_DIR="$TMP/envs" \
		GREENLIGHT_VARS="base_url=$url" GREENLIGHT_TAGS=post-deploy GREENLIGHT_WAIT=2 \
		"$SRCDIR/ci/hooks/post-deploy" "$env" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || code=$?
	echo "$code" >"$TMP/$name.code"
}
hook hook-staging staging "$good" 2.4.0
expect_code hook-staging 0
hook hook-preprod preprod "$good" 2.4.0
expect_code hook-preprod 0
expect_junit_valid "$TMP/hook/preprod/junit.xml"
if [ -s "$TMP/hook/preprod/verdict.json" ] && [ -s "$TMP/hook/preprod/report.html" ]; then
	ok "the hook leaves JUnit, verdict and HTML evidence"
else
	not_ok "the hook leaves JUnit, verdict and HTML evidence" "$(cat "$TMP/hook-preprod.err")"
fi
gate hook-promote "$TMP/hook/staging/verdict.json" "$TMP/hook/preprod/verdict.json"
expect_code hook-promote 0
hook hook-old preprod "$good" 2.5.0
expect_code hook-old 3
expect_fixed "the hook says the deploy did not happen" "$TMP/hook-old.err" "NOT READY"
gate hook-hold "$TMP/hook/staging/verdict.json" "$TMP/hook/preprod/verdict.json"
expect_code hook-hold 1

# SIGTERM in the middle of a run: complete, valid evidence that says fail.
cat >"$TMP/hang.json" <<'JSON'
{ "suite": "hang", "checks": [
  { "id": "fast", "request": "GET {{base_url}}/health" },
  { "id": "hangs", "request": { "url": "{{base_url}}/test/hang", "timeout_ms": 60000 } },
  { "id": "also-hangs", "request": { "url": "{{base_url}}/test/hang", "timeout_ms": 60000 } } ] }
JSON
mkdir -p "$TMP/out/term"
(cd "$SRCDIR" && exec "$GREENLIGHT" run --env-dir "$TMP/envs" --env staging --var "base_url=$good" \
	--junit "$TMP/out/term/junit.xml" --verdict "$TMP/out/term/verdict.json" "$TMP/hang.json") \
	>"$TMP/term.out" 2>"$TMP/term.err" &
runner=$!
sleep 1
kill -TERM "$runner"
code=0
wait "$runner" || code=$?
echo "$code" >"$TMP/term.code"
expect_code term 1
expect_junit_valid "$TMP/out/term/junit.xml"
expect_case "the finished check is kept" "$TMP/out/term/junit.xml" hang fast pass
expect_case "the unfinished check is an error saying why" "$TMP/out/term/junit.xml" hang hangs error "interrupted"
if python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if v["verdict"]=="fail" and v["interrupted"] else 1)' "$TMP/out/term/verdict.json"; then
	ok "SIGTERM leaves a valid verdict that says fail, interrupted"
else
	not_ok "SIGTERM leaves a valid verdict that says fail, interrupted" "$(cat "$TMP/out/term/verdict.json")"
fi

done_testing
