#!/usr/bin/env bash
# Bad invocations, suites and environments: exit 2, a message with the file,
# line and column and the offending key, every problem of a file at once, and
# nothing sent (costd's log shows no request).
. "$(dirname "$0")/lib.sh"

start_costd watch
B=$DATA/bad
envs=(--env-dir "$DATA/environments" --env it --var "base_url=$URL")

gl typo run "${envs[@]}" "$B/typo.json"
expect_code typo 2
expect_fixed "a typo'd key is named with a suggestion and its position" "$TMP/typo.err" \
	"$B/typo.json:7:7: unknown key 'expcet' (did you mean 'expect'?)"
expect_grep "a duplicate check id is reported with its first place" "$TMP/typo.err" \
	"$B/typo.json:10:[0-9]+: duplicate check id 'health' \(first at line 5\)"
expect_grep "a negative timeout is a type error at the value" "$TMP/typo.err" \
	"$B/typo.json:11:[0-9]+: 'timeout_ms' must be a positive integer"
expect_fixed "the error count is printed and nothing was sent" "$TMP/typo.err" \
	"greenlight: 3 errors; nothing was sent"

gl unknownvar validate "${envs[@]}" "$B/unknown-var.json"
expect_code unknownvar 2
expect_grep "an unknown variable is named at its place" "$TMP/unknownvar.err" \
	"$B/unknown-var.json:6:[0-9]+: unknown variable 'base_ur'"
expect_grep "a capture used before the step that captures it is unknown" "$TMP/unknownvar.err" \
	"$B/unknown-var.json:11:[0-9]+: unknown variable 'token'"

gl syntax validate "${envs[@]}" "$B/syntax.json"
expect_code syntax 2
expect_grep "invalid JSON gives line and column" "$TMP/syntax.err" "$B/syntax.json:5:5: invalid JSON"

gl regex validate "${envs[@]}" "$B/regex.json"
expect_code regex 2
expect_grep "a bad regex is located" "$TMP/regex.err" "$B/regex.json:7:[0-9]+: invalid regex '\(\[unclosed'"

gl all validate "${envs[@]}" "$B"
expect_code all 2
expect_fixed "a directory reports every bad file (typo)" "$TMP/all.err" "$B/typo.json:7:7:"
expect_fixed "a directory reports every bad file (syntax)" "$TMP/all.err" "$B/syntax.json:5:5:"

gl envtypo validate --env-dir "$DATA/environments" --env typo-env suites/
expect_code envtypo 2
expect_fixed "an environment typo is located with a suggestion" "$TMP/envtypo.err" \
	"typo-env.json:3:3: unknown key 'prodution' (did you mean 'production'?)"
expect_grep "a secret must name a variable, not hold a value" "$TMP/envtypo.err" \
	"typo-env.json:4:[0-9]+: .*super-secret-value|typo-env.json:4:[0-9]+: .*environment variable"

gl noenv run --env no-such-env suites/
expect_code noenv 2
expect_fixed "an unknown environment is named" "$TMP/noenv.err" "environment 'no-such-env' not found"

(unset GREENLIGHT_QA_PASSWORD; cd "$SRCDIR" && "$GREENLIGHT" run --env local --var "base_url=$URL" suites/) \
	>"$TMP/nosecret.out" 2>"$TMP/nosecret.err"
echo $? >"$TMP/nosecret.code"
expect_code nosecret 2
expect_fixed "a missing secret names its environment variable" "$TMP/nosecret.err" \
	"GREENLIGHT_QA_PASSWORD"

gl nodb validate --env-dir "$DATA/environments" --env prod suites/quotes-bulk-sql.json
expect_code nodb 2
expect_fixed "a selected SQL replay needs the environment's database_url" "$TMP/nodb.err" \
	"this replay reads a database, but environment 'prod' has no 'database_url' variable"

gl badvar run --env local --var "no-equals-sign" suites/
expect_code badvar 2
expect_fixed "a malformed --var is explained" "$TMP/badvar.err" "invalid --var 'no-equals-sign'"

gl nopath run --env local
expect_code nopath 2
expect_fixed "a missing PATH is explained" "$TMP/nopath.err" "missing PATH"

gl missing run --env local suites/no-such-file.json
expect_code missing 2
expect_fixed "a missing suite file is named" "$TMP/missing.err" "suites/no-such-file.json"

gl badopt run --no-such-option suites/
expect_code badopt 2
expect_fixed "an unknown option is named" "$TMP/badopt.err" "unknown option '--no-such-option'"

gl badjobs run --jobs 0 suites/
expect_code badjobs 2
expect_fixed "--jobs 0 is refused" "$TMP/badjobs.err" "invalid --jobs '0'"

gl nocmd frobnicate suites/
expect_code nocmd 2

# Not one request reached the service during any of the above.
if grep -q 'GET\|POST' "$TMP/watch.costd.log" 2>/dev/null; then
	not_ok "nothing was sent" "$(cat "$TMP/watch.costd.log")"
else
	ok "nothing was sent"
fi
# ...and the log does show requests when there are some, so the check above
# is not vacuous.
gl valid run --env local --var "base_url=$URL" --filter 'smoke/health' suites/
expect_code valid 0
expect_fixed "costd's access log records a request that was sent" "$TMP/watch.costd.log" \
	"costd: GET /health"

done_testing
