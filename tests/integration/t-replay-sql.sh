#!/usr/bin/env bash
# Replay against a real PostgreSQL: seed it with greenlight seed, then the
# database's own cost function in bulk and per case, cases from SQL, shards
# pushed into the query, and every way the database can fail: never a pass.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/pg.sh"

pgdir=$(mktemp -d /tmp/gl-it-pg.XXXXXX)
pg_start "$pgdir" >"$TMP/pg.log" 2>&1 || { echo "Bail out! PostgreSQL did not start: $(tail -5 "$TMP/pg.log")"; exit 1; }
pg_watch "$pgdir" $$
_cleanups+=("pg_stop '$pgdir' >/dev/null 2>&1; rm -rf '$pgdir'")
export GREENLIGHT_DATABASE_URL=$PG_URL
envs=(--env-dir "$DATA/environments" --env it)

ncases=3000
mkdir -p "$TMP/fx" "$TMP/golden"
cp "$SRCDIR/fixtures/schema.sql" "$TMP/fx/"
head -n $((ncases + 1)) "$SRCDIR/fixtures/usage.csv" >"$TMP/fx/usage.csv"

gl seed seed "${envs[@]}" --fixtures "$TMP/fx"
expect_code seed 0
expect_fixed "seed loads every row with COPY" "$TMP/seed.out" "seeded 'it': 1 table, $ncases rows"

replay_suite() { # FILE NAME GOLDEN CASES-JSON CALCULATE-JSON
	cat >"$1" <<JSON
{
  "suite": "$2",
  "replay": {
    $4
    "key": "record_id",
    "calculate": $5,
    "outputs": { "list_cost": {}, "savings": {}, "cost": {} },
    "golden": "$3"
  }
}
JSON
}
http_calc='{ "http": { "method": "POST", "url": "{{base_url}}/api/costs/quote",
  "json": { "record_id": "{{case.record_id}}", "currency": "{{case.currency}}",
            "quantity": "{{case.quantity}}", "discount_pct": "{{case.discount_pct}}" } } }'
bulk_calc='{ "bulk_sql": "SELECT record_id, list_cost::text AS list_cost, savings::text AS savings, cost::text AS cost FROM quotes ORDER BY record_id COLLATE \"C\"" }'
sql_cases='"cases": { "sql": "SELECT record_id, currency, quantity::text AS quantity, discount_pct::text AS discount_pct FROM usage ORDER BY record_id COLLATE \"C\"" },'
case_calc='{ "sql": "SELECT list_cost::text AS list_cost, savings::text AS savings, cost::text AS cost FROM quote($1, $2::numeric, $3::numeric)", "params": ["currency", "quantity", "discount_pct"] }'

# The golden comes from the HTTP service; the database must agree with it.
start_costd good
replay_suite "$TMP/http.json" quotes "$TMP/golden/quotes.csv" "\"cases\": { \"file\": \"$TMP/fx/usage.csv\" }," "$http_calc"
gl record record "${envs[@]}" --var "base_url=$URL" "$TMP/http.json"
expect_code record 0

replay_suite "$TMP/bulk.json" quotes "$TMP/golden/quotes.csv" "" "$bulk_calc"
gl bulk run "${envs[@]}" --junit "$TMP/bulk.xml" "$TMP/bulk.json"
expect_code bulk 0
expect_junit_valid "$TMP/bulk.xml"
expect_case "bulk SQL: the database's function matches the service's golden" "$TMP/bulk.xml" quotes "cost within tolerance" pass
expect_grep "bulk SQL: every case compared" "$TMP/bulk.xml" "name=\"replay.rows.cases\" value=\"$ncases\""

replay_suite "$TMP/percase.json" quotes "$TMP/golden/quotes.csv" "$sql_cases" "$case_calc"
gl percase run "${envs[@]}" --junit "$TMP/percase.xml" "$TMP/percase.json"
expect_code percase 0
expect_case "SQL per case, prepared once: matches" "$TMP/percase.xml" quotes completeness pass

replay_suite "$TMP/sqlhttp.json" quotes "$TMP/golden/quotes.csv" "$sql_cases" "$http_calc"
gl sqlhttp run "${envs[@]}" --var "base_url=$URL" --junit "$TMP/sqlhttp.xml" "$TMP/sqlhttp.json"
expect_code sqlhttp 0
expect_case "cases from SQL, calculated over HTTP: matches" "$TMP/sqlhttp.xml" quotes "savings within tolerance" pass

# Shards pushed into SQL: three shards account for every case once.
total=0
for k in 1 2 3; do
	gl "shard$k" run "${envs[@]}" --shard "$k/3" --junit "$TMP/shard$k.xml" "$TMP/bulk.json"
	expect_code "shard$k" 0
	c=$(grep -o 'name="replay.rows.cases" value="[0-9]*"' "$TMP/shard$k.xml" | grep -o '[0-9]*"$' | tr -d '"')
	total=$((total + ${c:-0}))
done
if [ "$total" -eq "$ncases" ]; then ok "shards 1..3 of 3 cover the $ncases cases once"; else not_ok "shards cover every case once" "total $total"; fi

# A wrong password: an error, and the password shows nowhere.
bad="postgresql://greenlight:Wr0ng-Pa55-$$@127.0.0.1:$PG_PORT/greenlight"
gl wrongpw run "${envs[@]}" --var "database_url=$bad" --junit "$TMP/wrongpw.xml" "$TMP/bulk.json"
expect_code wrongpw 1
expect_junit_valid "$TMP/wrongpw.xml"
expect_case "a wrong password is an error" "$TMP/wrongpw.xml" quotes completeness error "password"
for f in "$TMP/wrongpw.out" "$TMP/wrongpw.err" "$TMP/wrongpw.xml"; do
	expect_no_fixed "$(basename "$f") never shows the database password" "$f" "Wr0ng-Pa55-$$"
done
expect_no_fixed "nor the real one" "$TMP/bulk.xml" "$PG_PASSWORD"

gl refused run "${envs[@]}" --var "database_url=postgresql://greenlight:x@127.0.0.1:1/greenlight" \
	--junit "$TMP/refused.xml" "$TMP/bulk.json"
expect_code refused 1
expect_case "a refused connection is an error" "$TMP/refused.xml" quotes "cost within tolerance" error

replay_suite "$TMP/badq.json" quotes "$TMP/golden/quotes.csv" "" \
	'{ "bulk_sql": "SELECT record_id, no_such_column AS cost, 1 AS list_cost, 1 AS savings FROM usage" }'
gl badq run "${envs[@]}" --junit "$TMP/badq.xml" "$TMP/badq.json"
expect_code badq 1
expect_case "a query error is an error with the server's reason" "$TMP/badq.xml" quotes completeness error "no_such_column"

# NULLs and non-numeric text where money should be: unparsable, reported.
replay_suite "$TMP/nulls.json" quotes "$TMP/golden/quotes.csv" "" \
	'{ "bulk_sql": "SELECT record_id, CASE WHEN record_id = (SELECT min(record_id) FROM usage) THEN NULL ELSE list_cost::text END AS list_cost, savings::text AS savings, CASE WHEN record_id = (SELECT max(record_id) FROM usage) THEN '"'"'n/a'"'"' ELSE cost::text END AS cost FROM quotes ORDER BY record_id COLLATE \"C\"" }'
gl nulls run "${envs[@]}" --junit "$TMP/nulls.xml" "$TMP/nulls.json"
expect_code nulls 1
expect_case "NULL and 'n/a' in money fields fail completeness" "$TMP/nulls.xml" quotes completeness failure "unparsable"
expect_fixed "a NULL is named as such, not shown as ''" "$TMP/nulls.xml" "list_cost: produced no value (NULL or absent)"
expect_grep "non-numeric text is quoted" "$TMP/nulls.xml" "cost: produced (&apos;|')n/a(&apos;|') is not a decimal number"

# A query that stalls in the database must not hold a signal or the deadline:
# SIGTERM cancels the running statement (PQcancel from the handler), and
# --deadline becomes the connection's statement_timeout.
stall_calc='{ "sql": "SELECT q.list_cost::text AS list_cost, q.savings::text AS savings, q.cost::text AS cost FROM quote($1, $2::numeric, $3::numeric) q, pg_sleep(60)", "params": ["currency", "quantity", "discount_pct"] }'
replay_suite "$TMP/stall.json" quotes "$TMP/golden/quotes.csv" "$sql_cases" "$stall_calc"
(cd "$SRCDIR" && exec "$GREENLIGHT" run "${envs[@]}" --junit "$TMP/stall.xml" "$TMP/stall.json") \
	>"$TMP/stall.out" 2>"$TMP/stall.err" &
runner=$!
for _ in $(seq 100); do # until the statement is running
	psql "$PG_URL" -Atc \
		"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()" \
		2>/dev/null | grep -qx '[1-9][0-9]*' && break
	sleep 0.1
done
t0=$(date +%s)
kill -TERM "$runner"
code=0
wait "$runner" || code=$?
t1=$(date +%s)
echo "$code" >"$TMP/stall.code"
expect_code stall 1
expect_junit_valid "$TMP/stall.xml"
expect_case "SIGTERM during a stalled per-case query: completeness names the signal" "$TMP/stall.xml" \
	quotes completeness error "interrupted by SIGTERM"
if [ $((t1 - t0)) -lt 10 ]; then ok "the stalled query did not hold SIGTERM ($((t1 - t0)) s)"; else not_ok "the stalled query did not hold SIGTERM ($((t1 - t0)) s)"; fi

replay_suite "$TMP/stallbulk.json" quotes "$TMP/golden/quotes.csv" "" \
	'{ "bulk_sql": "SELECT record_id, list_cost::text AS list_cost, savings::text AS savings, cost::text AS cost FROM quotes, pg_sleep(60) ORDER BY record_id COLLATE \"C\"" }'
t0=$(date +%s)
gl stallbulk run "${envs[@]}" --deadline 2 --junit "$TMP/stallbulk.xml" "$TMP/stallbulk.json"
t1=$(date +%s)
expect_code stallbulk 1
expect_junit_valid "$TMP/stallbulk.xml"
expect_case "--deadline cuts a stalled bulk query: completeness says so" "$TMP/stallbulk.xml" \
	quotes completeness error "run deadline exceeded"
if [ $((t1 - t0)) -lt 10 ]; then ok "the stalled bulk query ended at the deadline ($((t1 - t0)) s)"; else not_ok "the stalled bulk query ended at the deadline ($((t1 - t0)) s)"; fi

# The deadline also binds a statement that starts late: three cases take
# 1.5 s each, the fourth would take a minute. The server's statement_timeout
# (set at connect to the time then left) would end it only at about 9.5 s;
# greenlight's own wait stops at the 5 s deadline.
psql "$PG_URL" -qAtc "DROP SEQUENCE IF EXISTS gl_it_seq; CREATE SEQUENCE gl_it_seq" >/dev/null
late_calc='{ "sql": "SELECT q.list_cost::text AS list_cost, q.savings::text AS savings, q.cost::text AS cost FROM quote($1, $2::numeric, $3::numeric) q, pg_sleep(CASE WHEN nextval('"'"'gl_it_seq'"'"') <= 3 THEN 1.5 ELSE 60 END)", "params": ["currency", "quantity", "discount_pct"] }'
replay_suite "$TMP/late.json" quotes "$TMP/golden/quotes.csv" "$sql_cases" "$late_calc"
t0=$(date +%s)
gl late run "${envs[@]}" --deadline 5 --junit "$TMP/late.xml" "$TMP/late.json"
t1=$(date +%s)
expect_code late 1
expect_junit_valid "$TMP/late.xml"
expect_case "--deadline cuts a per-case query that started late" "$TMP/late.xml" \
	quotes completeness error "stopped after 3 cases: run deadline exceeded"
if [ $((t1 - t0)) -lt 8 ]; then ok "it ended at the deadline, not at the server's timeout ($((t1 - t0)) s)"; else not_ok "it ended at the deadline, not at the server's timeout ($((t1 - t0)) s)"; fi

# The database stopped in the middle of a streamed replay: an error, never a
# pass, never a silently shorter comparison.
replay_suite "$TMP/long.json" quotes "$TMP/golden/quotes.csv" "" \
	'{ "bulk_sql": "SELECT '"'"'r-'"'"' || lpad(g::text, 12, '"'"'0'"'"') AS record_id, '"'"'1.000'"'"' AS list_cost, '"'"'0.000'"'"' AS savings, '"'"'1.000'"'"' AS cost FROM (SELECT generate_series(1, 200000000) AS g) s" }'
(cd "$SRCDIR" && "$GREENLIGHT" run "${envs[@]}" --junit "$TMP/long.xml" "$TMP/long.json") \
	>"$TMP/long.out" 2>"$TMP/long.err" &
runner=$!
sleep 2
pg_stop "$pgdir" immediate >/dev/null 2>&1
code=0
wait "$runner" || code=$?
echo "$code" >"$TMP/long.code"
expect_code long 1
expect_junit_valid "$TMP/long.xml"
expect_case "the database stopped mid-replay: completeness is an error" "$TMP/long.xml" quotes completeness error "lost|terminat|closed"
expect_no_grep "the database stopped mid-replay: nothing passes" "$TMP/long.out" '^verdict: PASS$'

done_testing
