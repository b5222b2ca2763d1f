#!/usr/bin/env bash
# Replay over HTTP against costd: record a golden, compare, and catch the
# data-dependent defects smoke checks never see.
. "$(dirname "$0")/lib.sh"

# A slice of the shipped anonymized fixtures, rich in tier boundaries and
# rounding ties (fixtures/README.md).
head -n 3001 "$SRCDIR/fixtures/usage.csv" >"$TMP/cases.csv"
ncases=3000

write_suite() { # FILE GOLDEN [EXTRA-OUTPUT-JSON]
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
write_suite "$TMP/quotes.json" "$TMP/golden/quotes.csv"
mkdir -p "$TMP/golden"
envs=(--env-dir "$DATA/environments" --env it)

start_costd good
gl record record "${envs[@]}" --var "base_url=$URL" "$TMP/quotes.json"
expect_code record 0
if [ -f "$TMP/golden/quotes.csv" ] && [ -f "$TMP/golden/quotes.meta.json" ]; then
	ok "record wrote the golden and its sidecar"
else
	not_ok "record wrote the golden and its sidecar" "$(cat "$TMP/record.err")"
fi
rows=$(($(wc -l <"$TMP/golden/quotes.csv") - 1))
if [ "$rows" -eq "$ncases" ]; then ok "the golden has one row per case"; else not_ok "the golden has one row per case" "$rows rows"; fi
expect_grep "the sidecar names the environment's version" "$TMP/golden/quotes.meta.json" '"version":[[:space:]]*"2\.4\.0"'
expect_grep "the sidecar has the row count" "$TMP/golden/quotes.meta.json" "\"rows\":[[:space:]]*$ncases"

gl again record "${envs[@]}" --var "base_url=$URL" "$TMP/quotes.json"
expect_code again 1
expect_fixed "record refuses to overwrite without --update" "$TMP/again.err" "--update"
(export CI=true; cd "$SRCDIR" && "$GREENLIGHT" record "${envs[@]}" --var "base_url=$URL" --update "$TMP/quotes.json") \
	>"$TMP/ci.out" 2>"$TMP/ci.err"
echo $? >"$TMP/ci.code"
expect_code ci 2
expect_fixed "record never writes in CI" "$TMP/ci.err" "CI=true"

gl pass run "${envs[@]}" --var "base_url=$URL" --junit "$TMP/pass.xml" "$TMP/quotes.json"
expect_code pass 0
expect_junit_valid "$TMP/pass.xml"
for f in list_cost savings cost; do
	expect_case "$f within tolerance" "$TMP/pass.xml" quotes "$f within tolerance" pass
	expect_case "$f drift" "$TMP/pass.xml" quotes "$f drift" pass
	expect_case "$f bias" "$TMP/pass.xml" quotes "$f bias" pass
done
expect_case "completeness" "$TMP/pass.xml" quotes completeness pass
expect_grep "properties carry the row counts" "$TMP/pass.xml" "name=\"replay.rows.cases\" value=\"$ncases\""
expect_grep "properties carry the golden digest" "$TMP/pass.xml" 'name="replay.golden_digest" value="sha256:[0-9a-f]{64}"'

# tier-boundary: wrong only when the quantity sits exactly on a boundary.
start_costd tier --fault tier-boundary
gl tier run "${envs[@]}" --var "base_url=$URL" --junit "$TMP/tier.xml" "$TMP/quotes.json"
expect_code tier 1
expect_case "tier-boundary: cost is out of tolerance" "$TMP/tier.xml" quotes "cost within tolerance" failure
boundary_keys() { # the cases whose quantity is exactly 1000, 10000 or 100000
	awk -F, 'NR > 1 { q = $8; sub(/\.0*$/, "", q); if (q == "1000" || q == "10000" || q == "100000") print $1 }' "$TMP/cases.csv" | sort
}
boundary_keys >"$TMP/boundary.expected"
nb=$(wc -l <"$TMP/boundary.expected")
if [ "$nb" -ge 3 ]; then ok "the slice has boundary cases ($nb)"; else not_ok "the slice has boundary cases" "$nb"; fi
# The worst cases the failure lists are all boundary cases...
python3 - "$TMP/tier.xml" >"$TMP/boundary.listed" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
for c in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    if c.get("name") == "cost within tolerance":
        f = c.find("failure")
        text = (f.text or "") if f is not None else ""
        for key in sorted(set(re.findall(r"\br-\d+\b", text))):
            print(key)
PY
listed=$(wc -l <"$TMP/boundary.listed")
if [ "$listed" -eq $((nb < 20 ? nb : 20)) ] && [ -z "$(comm -23 "$TMP/boundary.listed" "$TMP/boundary.expected")" ]; then
	ok "tier-boundary: the worst cases listed ($listed) are all boundary cases"
else
	not_ok "tier-boundary: the worst cases listed are all boundary cases" \
		"listed $listed; not on a boundary: $(comm -23 "$TMP/boundary.listed" "$TMP/boundary.expected" | head -5)"
fi
# ...and case by case, exactly the boundary cases fail.
gl tierpc run "${envs[@]}" --var "base_url=$URL" --junit-per-case --junit "$TMP/tierpc.xml" "$TMP/quotes.json"
expect_code tierpc 1
python3 - "$TMP/tierpc.xml" >"$TMP/boundary.failed" <<'PY'
import sys
import xml.etree.ElementTree as ET
for c in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    if c.get("name", "").startswith("r-") and c.find("failure") is not None:
        print(c.get("name"))
PY
if diff "$TMP/boundary.expected" <(sort "$TMP/boundary.failed") >"$TMP/boundary.diff"; then
	ok "tier-boundary: the failing cases are exactly the $nb boundary cases"
else
	not_ok "tier-boundary: the failing cases are exactly the boundary cases" "$(head -20 "$TMP/boundary.diff")"
fi
expect_grep "tier-boundary: the message counts them" "$TMP/tier.xml" "$nb of $ncases cases out of tolerance"

# round-half-up: never off by more than 0.001, but always upwards.
start_costd halfup --fault round-half-up
gl halfup run "${envs[@]}" --var "base_url=$URL" --junit "$TMP/halfup.xml" "$TMP/quotes.json"
expect_code halfup 1
expect_case "round-half-up: every cost within tolerance" "$TMP/halfup.xml" quotes "cost within tolerance" pass
expect_case "round-half-up: the cost drifts" "$TMP/halfup.xml" quotes "cost drift" failure
expect_grep "round-half-up: every difference leans up" "$TMP/halfup.xml" "cases: 3000 \\([1-9][0-9]* up, 0 down"

# resign CSV: give an edited golden the sidecar a re-recording would, so the
# comparison (not the digest check) is what these tests exercise.
resign() {
	python3 - "$TMP/golden/quotes.meta.json" "$1" "${1%.csv}.meta.json" <<'PY'
import hashlib, json, sys
meta = json.load(open(sys.argv[1]))
meta["golden_digest"] = "sha256:" + hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
json.dump(meta, open(sys.argv[3], "w"), indent=2)
PY
}

# A golden edited by exactly 0.001 passes; by 0.0011 it fails.
edit_golden() { # DELTA OUT: add DELTA to the cost of the first row
	mkdir -p "$(dirname "$2")"
	python3 - "$TMP/golden/quotes.csv" "$1" "$2" <<'PY'
import decimal, sys
src, delta, out = sys.argv[1], decimal.Decimal(sys.argv[2]), sys.argv[3]
lines = open(src).read().splitlines()
head = lines[0].split(",")
i = head.index("cost")
row = lines[1].split(",")
row[i] = str(decimal.Decimal(row[i]) + delta)
lines[1] = ",".join(row)
open(out, "w").write("\n".join(lines) + "\n")
PY
	resign "$2"
}
edit_golden 0.001 "$TMP/g1/quotes.csv"
write_suite "$TMP/q1.json" "$TMP/g1/quotes.csv"
gl edit1 run "${envs[@]}" --var "base_url=http://127.0.0.1:$(cat "$TMP/good.port")" --junit "$TMP/edit1.xml" "$TMP/q1.json"
expect_case "a difference of exactly 0.001 is within tolerance" "$TMP/edit1.xml" quotes "cost within tolerance" pass
edit_golden 0.0011 "$TMP/g2/quotes.csv"
write_suite "$TMP/q2.json" "$TMP/g2/quotes.csv"
gl edit2 run "${envs[@]}" --var "base_url=http://127.0.0.1:$(cat "$TMP/good.port")" --junit "$TMP/edit2.xml" "$TMP/q2.json"
expect_case "a difference of 0.0011 is not" "$TMP/edit2.xml" quotes "cost within tolerance" failure "1 of $ncases"

# A golden edited without re-recording is caught by its digest.
cp "$TMP/g2/quotes.csv" "$TMP/g2/tmp.csv"
sed -i '3s/,[0-9.]*$/,999.999/' "$TMP/g2/quotes.csv"
gl tampered run "${envs[@]}" --var "base_url=http://127.0.0.1:$(cat "$TMP/good.port")" --junit "$TMP/tampered.xml" "$TMP/q2.json"
expect_code tampered 1
expect_grep "a golden whose digest disagrees with its sidecar is an error" "$TMP/tampered.xml" "digest"

# Shards: 1/2 and 2/2 together account for every case exactly once.
good=http://127.0.0.1:$(cat "$TMP/good.port")
gl s1 run "${envs[@]}" --var "base_url=$good" --shard 1/2 --junit "$TMP/s1.xml" "$TMP/quotes.json"
gl s2 run "${envs[@]}" --var "base_url=$good" --shard 2/2 --junit "$TMP/s2.xml" "$TMP/quotes.json"
expect_code s1 0
expect_code s2 0
count() { grep -o "name=\"replay.rows.cases\" value=\"[0-9]*\"" "$1" | grep -o '[0-9]*"$' | tr -d '"'; }
c1=$(count "$TMP/s1.xml"); c2=$(count "$TMP/s2.xml")
if [ -n "$c1" ] && [ -n "$c2" ] && [ $((c1 + c2)) -eq "$ncases" ] && [ "$c1" -gt 0 ] && [ "$c2" -gt 0 ]; then
	ok "shards 1/2 ($c1) and 2/2 ($c2) cover the $ncases cases once"
else
	not_ok "shards cover every case once" "shard 1: $c1, shard 2: $c2, total $ncases"
fi

# --junit-per-case: one testcase per case.
gl percase run "${envs[@]}" --var "base_url=$good" --junit-per-case --junit "$TMP/percase.xml" "$TMP/quotes.json"
expect_code percase 0
expect_junit_valid "$TMP/percase.xml"
n=$(grep -c '<testcase classname="quotes" name="r-' "$TMP/percase.xml")
if [ "$n" -eq "$ncases" ]; then ok "--junit-per-case writes a testcase per case"; else not_ok "--junit-per-case writes a testcase per case" "$n"; fi

# Missing, extra, duplicate and garbled rows in the golden: each reported.
mkdir -p "$TMP/g3"
python3 - "$TMP/golden/quotes.csv" "$TMP/g3/quotes.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
head, rows = lines[0], lines[1:]
missing = rows.pop(10)             # a case the golden lacks: produced, unexpected
rows[20] = rows[20]                # keep
rows.insert(30, rows[30])          # a duplicate key
k = rows[40].split(",")
k[-1] = "12.3x4"                   # a garbled value: unparsable
rows[40] = ",".join(k)
rows.append("r-9999999,1.000,0.000,1.000")  # a golden row nothing produces: missing
open(sys.argv[2], "w").write("\n".join([head] + rows) + "\n")
print(missing.split(",")[0], file=sys.stderr)
PY
resign "$TMP/g3/quotes.csv"
write_suite "$TMP/q3.json" "$TMP/g3/quotes.csv"
gl broken run "${envs[@]}" --var "base_url=$good" --junit "$TMP/broken.xml" "$TMP/q3.json"
expect_code broken 1
expect_junit_valid "$TMP/broken.xml"
expect_case "completeness fails on a damaged golden" "$TMP/broken.xml" quotes completeness failure
for what in missing unexpected duplicate unparsable; do
	expect_grep "completeness reports the $what row" "$TMP/broken.xml" "$what"
done
expect_fixed "the missing row is named" "$TMP/broken.xml" "r-9999999"

# Outputs computed by something else, in a file: compared the same way.
python3 - "$TMP/golden/quotes.csv" "$TMP/outputs.csv" <<'PY'
import decimal, sys
lines = open(sys.argv[1]).read().splitlines()
out = [lines[0]]
for i, line in enumerate(lines[1:]):
    row = line.split(",")
    if i % 100 == 0:  # every 100th cost off by +0.0005, every 100th+50 by -0.0005
        row[-1] = str(decimal.Decimal(row[-1]) + decimal.Decimal("0.0005"))
    elif i % 100 == 50:
        row[-1] = str(decimal.Decimal(row[-1]) - decimal.Decimal("0.0005"))
    out.append(",".join(row))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
cat >"$TMP/file.json" <<JSON
{ "suite": "quotes", "replay": { "key": "record_id", "calculate": { "file": "$TMP/outputs.csv" },
  "outputs": { "list_cost": {}, "savings": {}, "cost": {} }, "golden": "$TMP/golden/quotes.csv" } }
JSON
gl file run "${envs[@]}" --junit "$TMP/file.xml" "$TMP/file.json"
expect_code file 0
expect_case "outputs from a file: within tolerance, both ways" "$TMP/file.xml" quotes "cost within tolerance" pass
expect_grep "outputs from a file: the differences are counted" "$TMP/file.xml" 'name="replay.rows.within" value="60"'

# A replay cut short by --deadline or SIGTERM: complete, valid evidence that
# says so; never a pass on the cases that happened to be compared.
start_costd slow --fault slow
gl deadline run "${envs[@]}" --var "base_url=$URL" --deadline 3 --junit "$TMP/deadline.xml" "$TMP/quotes.json"
expect_code deadline 1
expect_junit_valid "$TMP/deadline.xml"
expect_case "--deadline: completeness is an error saying so" "$TMP/deadline.xml" quotes completeness error \
	"deadline"
(cd "$SRCDIR" && exec "$GREENLIGHT" run "${envs[@]}" --var "base_url=$URL" --junit "$TMP/term.xml" \
	"$TMP/quotes.json") >"$TMP/term.out" 2>"$TMP/term.err" &
runner=$!
sleep 3.5 # past the health check (2 s with the slow fault): inside the replay
kill -TERM "$runner"
code=0
wait "$runner" || code=$?
echo "$code" >"$TMP/term.code"
expect_code term 1
expect_junit_valid "$TMP/term.xml"
expect_case "SIGTERM mid-replay: completeness is an error naming the signal" "$TMP/term.xml" quotes \
	completeness error "SIGTERM"
expect_fixed "SIGTERM mid-replay: the report says interrupted" "$TMP/term.xml" \
	'<property name="greenlight.interrupted" value="true"/>'

# No golden at all: an error, never a pass.
write_suite "$TMP/q4.json" "$TMP/nowhere/quotes.csv"
gl nogolden run "${envs[@]}" --var "base_url=$good" --junit "$TMP/nogolden.xml" "$TMP/q4.json"
expect_code nogolden 1
expect_case "a missing golden is an error" "$TMP/nogolden.xml" quotes completeness error

done_testing
