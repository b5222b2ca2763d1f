#!/usr/bin/env bash
# The real greenlight binary under valgrind, end to end: every command a
# release gate uses, on passing and failing paths, against costd and a real
# PostgreSQL on loopback. Each command must exit as it should and valgrind
# must find no memory error and no leak of any kind, still reachable
# included: greenlight frees everything, and cleans up the libraries that can
# be cleaned up. tests/valgrind.supp holds the few blocks a library keeps for
# the life of the process, each with its reason.
#
# meson test -C BUILD --setup valgrind --suite valgrind (a build without
# sanitizers) runs this and the unit tests. This script runs valgrind itself:
# under the setup's exe_wrapper, valgrind traces only /usr/bin/env (the #!
# line), which execs bash untraced, so the wrapper adds nothing here.
# Output is TAP.
. "$(dirname "$0")/integration/lib.sh"
. "$SRCDIR/tests/pg.sh"

VG_EXIT=99 # valgrind's "I found something": none of greenlight's own codes (0-4)
vg_opts=(--leak-check=full --show-leak-kinds=all
	--errors-for-leak-kinds=all --error-exitcode=$VG_EXIT
	--suppressions="$SRCDIR/tests/valgrind.supp" --num-callers=40)
if ! command -v valgrind >/dev/null; then
	echo "1..0 # SKIP valgrind is not installed"
	exit 0
fi

# vg NAME EXPECTED-EXIT ARGS...: greenlight ARGS under valgrind, from the
# source tree (as gl does); its output in $TMP/NAME.{out,err,code}, valgrind's
# report in $TMP/NAME.vg.
vg() {
	local name=$1 want=$2 code=0
	shift 2
	(cd "$SRCDIR" && valgrind "${vg_opts[@]}" --log-file="$TMP/$name.vg" "$GREENLIGHT" "$@") \
		>"$TMP/$name.out" 2>"$TMP/$name.err" || code=$?
	echo "$code" >"$TMP/$name.code"
	if [ "$code" != "$VG_EXIT" ] && grep -q 'ERROR SUMMARY: 0 errors' "$TMP/$name.vg"; then
		ok "$name: valgrind finds no error and no leak"
	else
		not_ok "$name: valgrind finds no error and no leak" \
			"$(grep -v '^==[0-9]*== *$' "$TMP/$name.vg" | head -n 150)"
	fi
	expect_code "$name" "$want"
}

start_costd good
mkdir -p "$TMP/envs" "$TMP/golden" "$TMP/fx"
cat >"$TMP/envs/staging.json" <<'JSON'
{ "name": "staging", "base_url": "http://127.0.0.1:9", "expected_version": "2.4.0",
  "variables": { "qa_user": "qa" }, "secrets": { "qa_password": "GREENLIGHT_QA_PASSWORD" },
  "health": { "url": "{{base_url}}/health", "version": "$.version" } }
JSON
cat >"$TMP/policy.json" <<'JSON'
{ "promote_to": "production", "max_age_hours": 24,
  "require": [ { "environment": "staging", "suites": ["smoke"] } ],
  "same_version": true, "require_junit": true }
JSON
# Beside the shipped smoke suite (a flow among its checks): a check that
# fails, one that cannot reach its target, one that captures.
cat >"$TMP/extra.json" <<'JSON'
{ "suite": "extra", "checks": [
  { "id": "teapot", "request": "GET {{base_url}}/health", "expect": { "status": 418 } },
  { "id": "refused", "request": "GET http://127.0.0.1:1/health", "expect": { "status": 200 } },
  { "id": "version", "request": "GET {{base_url}}/health",
    "expect": { "status": 200, "json": { "$.version": { "matches": "^2\\." } } } } ] }
JSON

# Smoke: failing and passing runs, every report, the gate, rerun and merge.
vg smoke 1 run --env local --var "base_url=$URL" --junit "$TMP/smoke.xml" --html "$TMP/smoke.html" \
	--verdict "$TMP/smoke.verdict.json" suites/smoke.json "$TMP/extra.json"
expect_case "the flow passed" "$TMP/smoke.xml" smoke.quote-flow token-revoked pass
expect_case "the failing check failed" "$TMP/smoke.xml" extra teapot failure
expect_case "the refused check errored" "$TMP/smoke.xml" extra refused error
vg staging 0 run --env-dir "$TMP/envs" --env staging --var "base_url=$URL" --tag post-deploy \
	--junit "$TMP/staging.xml" --verdict "$TMP/staging.verdict.json" --html "$TMP/staging.html" suites/
vg gate 0 gate --policy "$TMP/policy.json" "$TMP/staging.verdict.json"
vg gate-hold 1 gate --policy "$TMP/policy.json" "$TMP/smoke.verdict.json"
vg rerun 1 run --env local --var "base_url=$URL" --rerun-failed "$TMP/smoke.xml" \
	--junit "$TMP/rerun.xml" suites/smoke.json "$TMP/extra.json"
vg merge 1 merge "$TMP/merged.xml" "$TMP/smoke.xml" "$TMP/rerun.xml"
expect_junit_valid "$TMP/merged.xml"
vg not-ready 3 run --env local --var "base_url=$URL" --expect-version 9.9.9 --tag post-deploy \
	--junit "$TMP/not-ready.xml" suites/

# Checking without sending: valid and invalid input.
vg validate 0 validate --env local --tag post-deploy suites/
vg list 0 list --env local suites/
vg validate-bad 2 validate --env-dir "$DATA/environments" --env it "$DATA/bad/typo.json" \
	"$DATA/bad/syntax.json" "$DATA/bad/regex.json" "$DATA/bad/unknown-var.json"
vg bad-args 2 run --jobs 0 suites/smoke.json

# An HTTP replay over a slice of the fixtures: record, compare, and a golden
# one value off.
ncases=200
head -n $((ncases + 1)) "$SRCDIR/fixtures/usage.csv" >"$TMP/fx/usage.csv"
cp "$SRCDIR/fixtures/schema.sql" "$TMP/fx/"
replay_suite() { # FILE GOLDEN CASES-JSON CALCULATE-JSON
	cat >"$1" <<JSON
{ "suite": "quotes", "replay": { $3 "key": "record_id", "calculate": $4,
  "outputs": { "list_cost": {}, "savings": {}, "cost": {} }, "golden": "$2" } }
JSON
}
replay_suite "$TMP/http.json" "$TMP/golden/quotes.csv" "\"cases\": { \"file\": \"$TMP/fx/usage.csv\" }," \
	'{ "http": { "method": "POST", "url": "{{base_url}}/api/costs/quote",
	  "json": { "record_id": "{{case.record_id}}", "currency": "{{case.currency}}",
	            "quantity": "{{case.quantity}}", "discount_pct": "{{case.discount_pct}}" } } }'
envs=(--env-dir "$DATA/environments" --env it)
vg record 0 record "${envs[@]}" --var "base_url=$URL" "$TMP/http.json"
vg replay 0 run "${envs[@]}" --var "base_url=$URL" --junit "$TMP/replay.xml" "$TMP/http.json"
expect_fixed "the replay compared every case" "$TMP/replay.xml" \
	"<property name=\"replay.rows.produced\" value=\"$ncases\"/>"
# The service rounding half-up: the replay fails, and says where.
start_costd halfup --fault round-half-up
vg replay-off 1 run "${envs[@]}" --var "base_url=$URL" --junit "$TMP/off.xml" --html "$TMP/off.html" \
	--verdict "$TMP/off.verdict.json" "$TMP/http.json"
expect_grep "rounding half-up is a failure" "$TMP/off.xml" '<failure '
vg per-case 1 run "${envs[@]}" --var "base_url=$URL" --junit "$TMP/per-case.xml" --junit-per-case \
	"$TMP/http.json"

# A bulk SQL replay, per-case SQL and a refused database, against a real
# PostgreSQL seeded by greenlight.
pgdir=$(mktemp -d /tmp/gl-vg-pg.XXXXXX)
pg_start "$pgdir" >"$TMP/pg.log" 2>&1 || { echo "Bail out! PostgreSQL did not start: $(tail -5 "$TMP/pg.log")"; exit 1; }
pg_watch "$pgdir" $$
_cleanups+=("pg_stop '$pgdir' >/dev/null 2>&1; rm -rf '$pgdir'")
export GREENLIGHT_DATABASE_URL=$PG_URL
vg seed 0 seed "${envs[@]}" --fixtures "$TMP/fx"
replay_suite "$TMP/bulk.json" "$TMP/golden/quotes.csv" "" \
	'{ "bulk_sql": "SELECT record_id, list_cost::text AS list_cost, savings::text AS savings, cost::text AS cost FROM quotes ORDER BY record_id COLLATE \"C\"" }'
vg bulk-sql 0 run "${envs[@]}" --junit "$TMP/bulk.xml" --verdict "$TMP/bulk.verdict.json" "$TMP/bulk.json"
expect_fixed "the bulk replay compared every row" "$TMP/bulk.xml" \
	"<property name=\"replay.rows.produced\" value=\"$ncases\"/>"
replay_suite "$TMP/percase.json" "$TMP/golden/quotes.csv" \
	'"cases": { "sql": "SELECT record_id, currency, quantity::text AS quantity, discount_pct::text AS discount_pct FROM usage ORDER BY record_id COLLATE \"C\"" },' \
	'{ "sql": "SELECT list_cost::text AS list_cost, savings::text AS savings, cost::text AS cost FROM quote($1, $2::numeric, $3::numeric)", "params": ["currency", "quantity", "discount_pct"] }'
vg per-case-sql 0 run "${envs[@]}" --jobs 4 --junit "$TMP/percase.xml" "$TMP/percase.json"
GREENLIGHT_DATABASE_URL="postgresql://greenlight:wrong@127.0.0.1:$PG_PORT/greenlight" \
	vg wrong-password 1 run "${envs[@]}" --junit "$TMP/wrong.xml" "$TMP/bulk.json"

done_testing
