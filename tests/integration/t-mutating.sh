#!/usr/bin/env bash
# A mutating check is skipped, with its reason, in a production environment
# unless --allow-mutations; it runs elsewhere.
. "$(dirname "$0")/lib.sh"

start_costd m
gl prod run --env-dir "$DATA/environments" --env prod --var "base_url=$URL" \
	--junit "$TMP/prod.xml" "$DATA/mutating.json"
expect_code prod 0
expect_junit_valid "$TMP/prod.xml"
expect_case "the read-only check runs in production" "$TMP/prod.xml" mutating read-only pass
for step in login logout; do
	expect_case "mutating step $step is skipped in production, with the reason" "$TMP/prod.xml" \
		mutating.creates-a-session "$step" skipped "production environment 'prod'.*--allow-mutations"
done
gl list list --env-dir "$DATA/environments" --env prod "$DATA/mutating.json"
expect_fixed "list says the mutating check will be skipped" "$TMP/list.out" \
	"mutating/creates-a-session  (flow: 2 steps)  mutating  [skipped: production environment]"

gl allowed run --env-dir "$DATA/environments" --env prod --var "base_url=$URL" --allow-mutations \
	--junit "$TMP/allowed.xml" "$DATA/mutating.json"
expect_code allowed 0
expect_case "--allow-mutations runs it" "$TMP/allowed.xml" mutating.creates-a-session logout pass

gl nonprod run --env-dir "$DATA/environments" --env it --var "base_url=$URL" \
	--junit "$TMP/nonprod.xml" "$DATA/mutating.json"
expect_code nonprod 0
expect_case "outside production it runs" "$TMP/nonprod.xml" mutating.creates-a-session login pass

# Only skipped checks selected: nothing passed, so nothing is proven: exit 1.
gl onlyskip run --env-dir "$DATA/environments" --env prod --var "base_url=$URL" \
	--filter 'mutating/creates-*' --junit "$TMP/onlyskip.xml" "$DATA/mutating.json"
expect_code onlyskip 1
expect_grep "a run where everything was skipped is not a pass" "$TMP/onlyskip.out" '^verdict: FAIL$'

done_testing
