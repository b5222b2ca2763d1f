#!/usr/bin/env bash
# Load, for correctness (the speed and memory figures are bench/smoke-10000
# and bench/replay-*, never assertions here): 10,000 checks in one run, each
# in the JUnit report exactly once, in declared order, with its own outcome;
# and a 1,000,000-case file replay whose counts come out exact.
. "$(dirname "$0")/lib.sh"

n=10000
start_costd load
cat >"$TMP/env.json" <<JSON
{ "name": "load", "base_url": "$URL" }
JSON

# Known outcomes at known places: failures (wrong status, wrong JSON value)
# and errors (a refused port) among passes, first and last included.
python3 - "$n" "$TMP" <<'PY'
import json, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
fail_status = {0, 4321, n - 1}
fail_json = {5000}
error = {2500, 7777}
checks, want = [], []
for i in range(n):
    c = {"id": f"c-{i:05d}", "request": "GET {{base_url}}/health",
         "expect": {"status": 200, "json": {"$.status": "ok"}}}
    outcome = "pass"
    if i in fail_status:
        c["expect"]["status"] = 201
        outcome = "failure"
    elif i in fail_json:
        c["expect"]["json"]["$.status"] = "down"
        outcome = "failure"
    elif i in error:
        c["request"] = "GET http://127.0.0.1:1/health"
        outcome = "error"
    checks.append(c)
    want.append(f"{c['id']} {outcome}")
json.dump({"suite": "load", "checks": checks}, open(f"{tmp}/load.json", "w"), indent=1)
open(f"{tmp}/want.txt", "w").write("\n".join(want) + "\n")
PY

gl load run --env "$TMP/env.json" --jobs 8 --junit "$TMP/load.xml" --verdict "$TMP/load.verdict.json" \
	"$TMP/load.json"
expect_code load 1
expect_junit_valid "$TMP/load.xml"
expect_fixed "the console counts every check" "$TMP/load.out" \
	"$n checks: 9994 passed, 4 failed, 2 errored, 0 skipped"

# Every declared check once, in declared order, with its outcome.
python3 - "$TMP/load.xml" >"$TMP/got.txt" <<'PY'
import sys
import xml.etree.ElementTree as ET
for c in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    outcome = "pass"
    for tag in ("failure", "error", "skipped"):
        if c.find(tag) is not None:
            outcome = tag
    print(c.get("classname"), c.get("name"), outcome)
PY
if diff <(sed 's/^/load /' "$TMP/want.txt") "$TMP/got.txt" >"$TMP/order.diff"; then
	ok "all $n checks in the report once each, in declared order, with their outcomes"
else
	not_ok "all $n checks in the report once each, in declared order, with their outcomes" \
		"$(head -n 20 "$TMP/order.diff")"
fi
expect_case "a wrong status at the first place fails" "$TMP/load.xml" load c-00000 failure "201"
expect_case "a wrong JSON value in the middle fails" "$TMP/load.xml" load c-05000 failure "down"
expect_case "a refused port is an error" "$TMP/load.xml" load c-07777 error
expect_grep "junit: the suite's counts" "$TMP/load.xml" \
	"<testsuite [^>]*tests=\"$n\" failures=\"4\" errors=\"2\""

# The verdict agrees with the report.
if msg=$(python3 - "$TMP/load.verdict.json" "$n" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
want = {"tests": int(sys.argv[2]), "passed": int(sys.argv[2]) - 6, "failures": 4, "errors": 2,
        "skipped": 0}
if v["counts"] != want or v["verdict"] != "fail" or v["exit_code"] != 1:
    sys.exit(f"verdict {v['verdict']}, exit_code {v['exit_code']}, counts {v['counts']}; "
             f"expected fail, 1, {want}")
PY
); then
	ok "the verdict's counts match the report"
else
	not_ok "the verdict's counts match the report" "$msg"
fi

# A 1,000,000-case replay, outputs from a file: every row compared, and the
# few that differ counted exactly. Keys are in byte order, as a replay needs.
rows=1000000
python3 - "$rows" "$TMP" <<'PY'
import sys
rows, tmp = int(sys.argv[1]), sys.argv[2]
head = "record_id,list_cost,savings,cost\n"
def money(m):
    return f"{m // 1000}.{m % 1000:03d}"
with open(f"{tmp}/base.csv", "w") as base, open(f"{tmp}/outputs.csv", "w") as out:
    base.write(head)
    out.write(head)
    for i in range(1, rows + 1):
        lc = (i * 7919) % 100000 + 20000  # in thousandths, at least 20.000
        sv = lc // 10
        key, row = f"r-{i:07d}", [money(lc), money(sv), money(lc - sv)]
        base.write(f"{key},{','.join(row)}\n")
        if i == 400000:  # missing from the outputs
            continue
        if i == 100000:  # cost 0.0005 up and, next, down: within 0.001
            row[2] = money(lc - sv) + "5"
        if i == 200000:
            row[2] = money(lc - sv - 1) + "5"
        if i in (300000, 600000):  # list_cost off by 0.01 either way: out
            row[0] = money(lc + (10 if i == 300000 else -10))
        out.write(f"{key},{','.join(row)}\n")
        if i == 400001:  # not in the golden
            out.write(f"r-0400001x,{','.join(row)}\n")
PY
write_replay() { # FILE OUTPUTS
	cat >"$1" <<JSON
{ "suite": "million", "replay": { "key": "record_id", "calculate": { "file": "$2" },
  "outputs": { "list_cost": {}, "savings": {}, "cost": {} }, "golden": "$TMP/golden/million.csv" } }
JSON
}
mkdir -p "$TMP/golden"
write_replay "$TMP/record.json" "$TMP/base.csv"
write_replay "$TMP/million.json" "$TMP/outputs.csv"
gl record record --env "$TMP/env.json" "$TMP/record.json"
expect_code record 0
gl million run --env "$TMP/env.json" --junit "$TMP/million.xml" "$TMP/million.json"
expect_code million 1
expect_junit_valid "$TMP/million.xml"
prop() { # DESC NAME VALUE
	expect_fixed "$1" "$TMP/million.xml" "<property name=\"replay.$2\" value=\"$3\"/>"
}
prop "1M replay: every golden row read" rows.golden "$rows"
prop "1M replay: every output row read" rows.produced "$rows"
prop "1M replay: the rows matching exactly" rows.exact $((rows - 1 - 4))
prop "1M replay: the rows within tolerance" rows.within 2
prop "1M replay: the rows out of tolerance" rows.out 2
prop "1M replay: the missing row" rows.missing 1
prop "1M replay: the unexpected row" rows.unexpected 1
prop "1M replay: cost within, both ways" cost.within 2
prop "1M replay: list_cost out, both ways" list_cost.out 2
prop "1M replay: savings compared on every common row" savings.count $((rows - 1))
expect_case "1M replay: list_cost out of tolerance fails" "$TMP/million.xml" million \
	"list_cost within tolerance" failure
expect_case "1M replay: cost within tolerance passes" "$TMP/million.xml" million \
	"cost within tolerance" pass
expect_case "1M replay: completeness names the missing row" "$TMP/million.xml" million \
	completeness failure "r-0400000"
expect_fixed "1M replay: and the unexpected one" "$TMP/million.xml" "r-0400001x"

done_testing
