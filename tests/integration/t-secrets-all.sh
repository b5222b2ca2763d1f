#!/usr/bin/env bash
# Secrets, end to end. Secrets that every encoding changes (costd's QA
# password, a PostgreSQL role's password inside database_url, and wrong
# values of both) travel every way they can: every shipped suite against
# costd with every fault and without, the echo and transport suites, wrong
# passwords on either side, a refused database, validate, list, record,
# --rerun-failed, merge, gate, and targets that quote the secret back in an
# error. Every file written and every console capture is then scanned for
# every form of every secret (secret-scan.py, which never prints one): none
# may be found.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/pg.sh"
t0=$(date +%s)
SCAN=$SRCDIR/tests/integration/secret-scan.py
OUT=$TMP/out
mkdir -p "$OUT/golden" "$TMP/suites"

# Quote, backslash, slash, plus, colon, @, &, =, %, #, <, >, a space, an
# apostrophe and a non-ASCII letter: every encoding changes them. The runs of
# letters and digits let the scanner see a piece of a value cut short.
QA_PW='Qk7Vw-p@ss/w:rd+"x\y&z=é 50%Jm4Tz'"'"'<b>#Ry8Nc'
QA_WRONG='Wx5Hq-wr@ng/p:w+"q\t&u=ñ 9%Lc3Pd'"'"'<i>#Zn6Bv'
DB_PW='Dp3Xq-db@pw/s:x+"m\n&o=ü 7%Kv2Jr'"'"'<u>#Hs9Ft'
DB_WRONG='Gz4Yt-no@pe/d:b+"k\w&j=ø 3%Mf8Ws'"'"'<s>#Tq1Xe'
export GREENLIGHT_QA_PASSWORD=$QA_PW
SECRETS=$TMP/secrets.json
python3 - "$SECRETS" qa_password qa "$QA_PW" wrong_qa_password qa "$QA_WRONG" \
	db_password gl_secret "$DB_PW" wrong_db_password gl_secret "$DB_WRONG" <<'PY'
import json, sys
a = sys.argv[2:]
with open(sys.argv[1], "w", encoding="utf-8") as fp:
    json.dump({a[i]: {"user": a[i + 1], "value": a[i + 2]} for i in range(0, len(a), 3)}, fp)
PY
# A failed check's diagnostics quote consoles and reports: masked, so that a
# leak fails the test without the log showing the secret.
eval "_lib_$(declare -f not_ok)"
not_ok() {
	local desc=$1 line masked=()
	shift
	for line in "$@"; do
		masked+=("$(printf '%s\n' "$line" | python3 "$SCAN" "$SECRETS" mask)")
	done
	_lib_not_ok "$desc" "${masked[@]}"
}
urlenc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# scan DESCRIPTION PATH...: one TAP line; on a finding, each file, line,
# secret and form, with the secret masked out of the context.
scan() {
	local desc=$1 out
	shift
	if out=$(python3 "$SCAN" "$SECRETS" scan "$TMP" "$@" 2>&1); then
		ok "$desc: no secret in $out"
	else
		not_ok "$desc: no secret in any output" "$out"
	fi
}

# check_run NAME CODE [REPORT...]: the exit code; each report in $OUT/NAME
# written and not empty; then $OUT/NAME and the console scanned.
check_run() {
	local name=$1 code=$2 f missing=()
	shift 2
	expect_code "$name" "$code"
	mkdir -p "$OUT/$name"
	if [ $# -gt 0 ]; then
		for f in "$@"; do
			[ -s "$OUT/$name/$f" ] || missing+=("$f")
		done
		if [ ${#missing[@]} -eq 0 ]; then
			ok "$name: wrote $*"
		else
			not_ok "$name: wrote $*" "missing or empty: ${missing[*]}" "$(head -c 2000 "$TMP/$name.err")"
		fi
	fi
	scan "$name" "$OUT/$name" "$TMP/$name.out" "$TMP/$name.err"
}

# glrun NAME ARGS...: greenlight run with every report in $OUT/NAME.
glrun() {
	local name=$1
	shift
	mkdir -p "$OUT/$name"
	gl "$name" run "$@" --junit "$OUT/$name/junit.xml" --verdict "$OUT/$name/verdict.json" \
		--html "$OUT/$name/report.html"
}

grun() { # NAME CODE ARGS...
	local name=$1 code=$2
	shift 2
	glrun "$name" "$@"
	check_run "$name" "$code" junit.xml verdict.json report.html
}

# The scanner cannot pass by seeing nothing: every form of every secret,
# planted in a file of its own, is found under its own name.
if msg=$(python3 "$SCAN" "$SECRETS" control "$TMP/control" 2>&1); then
	ok "positive control: $msg"
else
	not_ok "positive control: the scanner finds every planted form" "$msg"
fi

# PostgreSQL with password authentication over TCP (pg.sh: scram for every
# host connection), and a role whose password is the secret.
pgdir=$(mktemp -d /tmp/gl-it-pg.XXXXXX)
pg_start "$pgdir" >"$TMP/pg.log" 2>&1 || {
	echo "Bail out! PostgreSQL did not start: $(tail -5 "$TMP/pg.log")"
	exit 1
}
pg_watch "$pgdir" $$
_cleanups+=("pg_stop '$pgdir' >/dev/null 2>&1; rm -rf '$pgdir'")
_pg_as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$PG_PORT" -U postgres -d postgres \
	-v "pw=$DB_PW" >"$TMP/role.log" 2>&1 <<'SQL' || {
CREATE ROLE gl_secret LOGIN PASSWORD :'pw';
CREATE DATABASE glsec OWNER gl_secret;
SQL
	echo "Bail out! cannot create the role: $(python3 "$SCAN" "$SECRETS" mask <"$TMP/role.log")"
	exit 1
}
_pg_as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$PG_PORT" -U postgres -d glsec \
	-c 'ALTER SCHEMA public OWNER TO gl_secret' >>"$TMP/role.log" 2>&1
expect_grep "PostgreSQL asks TCP clients for a password" "$pgdir/data/pg_hba.conf" \
	'^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+scram-sha-256'
DB_HOST="127.0.0.1:$PG_PORT"
export GREENLIGHT_DATABASE_URL="postgresql://gl_secret:$(urlenc "$DB_PW")@$DB_HOST/glsec"
wrong_db_url="postgresql://gl_secret:$(urlenc "$DB_WRONG")@$DB_HOST/glsec"

start_costd good
good=$URL
good_port=$PORT
envs=(--env local --var "base_url=$good")

# A target that quotes the API key back in an error answer, as real services
# do ("invalid api key: ..."): after `pad` bytes, so that the key straddles
# the place where an excerpt of the answer is cut. /ok answers a quote.
cat >"$TMP/quoting-target.py" <<'PY'
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path, _, query = self.path.partition("?")
        key = (self.headers.get("X-Api-Key") or "").encode("latin-1")  # the bytes sent
        if path == "/health":
            status, out = 200, b'{"status":"ok","version":"2.4.0"}'
        elif path == "/ok":
            status, out = 200, b'{"list_cost":"1.000","savings":"0.000","cost":"1.000"}'
        else:
            pad = int(query.split("pad=")[1]) if "pad=" in query else 0
            status, out = 500, b"x" * pad + b"invalid api key: " + key + b"; request: " + body
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = answer
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as fp:
    fp.write("%d\n" % srv.server_address[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
python3 "$TMP/quoting-target.py" "$TMP/quoting.port" 2>"$TMP/quoting.log" &
_pids+=("$!")
for _ in $(seq 100); do
	[ -s "$TMP/quoting.port" ] && break
	sleep 0.05
done
quoting="http://127.0.0.1:$(cat "$TMP/quoting.port")"

# ---- the database: seed with the role's password, then each way it fails

gl seed seed --env local
check_run seed 0
expect_fixed "seed: the role's password was accepted" "$TMP/seed.out" "seeded 'local': 1 table, 20000 rows"
gl seed-wrong-password seed --env local --var "database_url=$wrong_db_url"
check_run seed-wrong-password 1

# ---- every shipped suite, no fault: a pass that used both passwords

grun good 0 "${envs[@]}" --wait-healthy 1 suites/
expect_case "good: costd accepted the QA password" "$OUT/good/junit.xml" smoke.quote-flow login pass
expect_case "good: PostgreSQL accepted the role's password" "$OUT/good/junit.xml" \
	quotes-bulk-sql completeness pass

# The scanner finds a secret planted in a real report, names the file and the
# form, and does not print the secret while doing so.
mkdir -p "$TMP/planted"
python3 - "$OUT/good/junit.xml" "$TMP/planted/junit.xml" "$QA_PW" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
mid = len(data) // 2
open(sys.argv[2], "wb").write(data[:mid] + sys.argv[3].encode() + data[mid:])
PY
if python3 "$SCAN" "$SECRETS" scan "$TMP" "$TMP/planted" >"$TMP/planted.scan" 2>&1; then
	not_ok "positive control: a secret planted in a report is found" "$(cat "$TMP/planted.scan")"
else
	expect_grep "positive control: a secret planted in a report is found, file and form named" \
		"$TMP/planted.scan" "^planted/junit.xml:[0-9]+: qa_password as 'as is' \(1x\)"
	scan "positive control: the scanner's own report" "$TMP/planted.scan"
fi

# The echo and transport suites: the target echoes every secret back into
# failure messages; the transport storm fails every way it can.
grun echo 1 "${envs[@]}" --wait-healthy 1 "$DATA/secrets.json" "$DATA/transport.json"
expect_case "echo: the echoed request is a failure" "$OUT/echo/junit.xml" \
	secrets echo-everywhere failure
expect_fixed "echo: the echoed secret is shown redacted" "$TMP/echo.out" '"X-Api-Key":"***"'
expect_case "echo: the transport storm ran" "$OUT/echo/junit.xml" transport hang error timeout

# ---- every fault: every shipped suite (replays sharded to keep this quick)

faults=(health-503 wrong-version auth-broken drop tier-boundary round-half-up slow)
declare -A fault_url fault_pid fault_port
for f in "${faults[@]}"; do
	start_costd "fault-$f" --fault "$f"
	fault_url[$f]=$URL
	fault_pid[$f]=$COSTD_PID
	fault_port[$f]=$PORT
done
jobs_=()
for f in "${faults[@]}"; do
	if [ "$f" = slow ]; then
		# every answer takes 2 s: the smoke suite only, cut by the deadline
		glrun "fault-$f" --env local --var "base_url=${fault_url[$f]}" --jobs 8 --deadline 6 \
			suites/smoke.json &
	else
		glrun "fault-$f" --env local --var "base_url=${fault_url[$f]}" --wait-healthy 1 \
			--shard 1/8 suites/ "$DATA/secrets.json" &
	fi
	jobs_+=("$!")
done
wait "${jobs_[@]}"
for f in "${faults[@]}"; do
	case $f in
	health-503 | wrong-version) code=3 ;;
	*) code=1 ;;
	esac
	check_run "fault-$f" "$code" junit.xml verdict.json report.html
done
expect_case "auth-broken: the login fails" "$OUT/fault-auth-broken/junit.xml" \
	smoke.quote-flow login failure
expect_case "tier-boundary: the replay holds it" "$OUT/fault-tier-boundary/junit.xml" \
	quotes-http "cost within tolerance" failure
expect_case "drop: the replay is an error" "$OUT/fault-drop/junit.xml" \
	quotes-http completeness error
expect_fixed "slow: the deadline cut the run" "$OUT/fault-slow/junit.xml" "run deadline of 6 s exceeded"

# ---- QA's loop: the fix deployed where the broken build was, rerun, merge

kill "${fault_pid[auth-broken]}"
wait "${fault_pid[auth-broken]}" 2>/dev/null
COSTD_PORT=${fault_port[auth-broken]} start_costd fixed
grun rerun 1 --env local --var "base_url=$URL" \
	--rerun-failed "$OUT/fault-auth-broken/junit.xml" suites/ "$DATA/secrets.json"
expect_case "rerun: the fixed login passes" "$OUT/rerun/junit.xml" smoke.quote-flow login pass
mkdir -p "$OUT/merge"
gl merge merge "$OUT/merge/merged.xml" "$OUT/fault-auth-broken/junit.xml" "$OUT/rerun/junit.xml"
check_run merge 1 merged.xml

# ---- the gate, promoting and holding

cat >"$TMP/policy.json" <<'JSON'
{
  "promote_to": "production",
  "max_age_hours": 24,
  "require": [ { "environment": "local", "suites": ["smoke", "quotes-http", "quotes-bulk-sql"] } ],
  "same_version": true,
  "require_junit": true
}
JSON
gl gate-promote gate --policy "$TMP/policy.json" "$OUT/good/verdict.json"
check_run gate-promote 0
gl gate-hold gate --policy "$TMP/policy.json" "$OUT/fault-tier-boundary/verdict.json"
check_run gate-hold 1

# ---- the QA password wrong on one side or the other: neither value shows

(
	export GREENLIGHT_QA_PASSWORD=$QA_WRONG
	glrun wrong-qa-password "${envs[@]}" suites/smoke.json "$DATA/secrets.json"
)
check_run wrong-qa-password 1 junit.xml verdict.json report.html
expect_case "wrong QA password: the login is refused" "$OUT/wrong-qa-password/junit.xml" \
	smoke.quote-flow login failure "got 401"
grun wrong-qa-password-var 1 "${envs[@]}" --var "qa_password=$QA_WRONG" \
	suites/smoke.json "$DATA/secrets.json"
expect_case "a password given with --var: the login is refused" \
	"$OUT/wrong-qa-password-var/junit.xml" smoke.quote-flow login failure "got 401"
GREENLIGHT_QA_PASSWORD=$QA_WRONG start_costd other-password
GREENLIGHT_QA_PASSWORD=$QA_PW
grun wrong-qa-password-server 1 --env local --var "base_url=$URL" \
	suites/smoke.json "$DATA/secrets.json"
expect_case "the server has another password: the login is refused" \
	"$OUT/wrong-qa-password-server/junit.xml" smoke.quote-flow login failure "got 401"

# The password in base_url's user info, URL-encoded as it must be.
grun url-credentials 1 --env local \
	--var "base_url=http://qa:$(urlenc "$QA_PW")@127.0.0.1:$good_port" \
	suites/smoke.json "$DATA/secrets.json"
expect_case "credentials in base_url: the smoke suite still passes" \
	"$OUT/url-credentials/junit.xml" smoke.quote-flow login pass

# ---- the database password wrong, refused, malformed, as a conninfo string

grun db-wrong-password 1 "${envs[@]}" --var "database_url=$wrong_db_url" \
	suites/quotes-bulk-sql.json
expect_case "database: a wrong password is an error saying so" \
	"$OUT/db-wrong-password/junit.xml" quotes-bulk-sql completeness error "password"
grun db-refused 1 "${envs[@]}" \
	--var "database_url=postgresql://gl_secret:$(urlenc "$DB_PW")@127.0.0.1:1/glsec" \
	suites/quotes-bulk-sql.json
expect_case "database: refused is an error" "$OUT/db-refused/junit.xml" \
	quotes-bulk-sql completeness error
grun db-malformed-url 1 "${envs[@]}" \
	--var "database_url=postgresql://gl_secret:$(urlenc "$DB_PW")@127.0.0.1:no-port/glsec" \
	suites/quotes-bulk-sql.json
conninfo_pw=$(printf '%s' "$DB_PW" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")
grun db-conninfo 0 "${envs[@]}" --shard 1/8 \
	--var "database_url=host=127.0.0.1 port=$PG_PORT user=gl_secret dbname=glsec password='$conninfo_pw'" \
	suites/quotes-bulk-sql.json

# ---- validate, list: nothing sent, nothing shown

gl validate validate "${envs[@]}" suites/ "$DATA/secrets.json" "$DATA/transport.json"
check_run validate 0
cat >"$TMP/suites/invalid.json" <<'JSON'
{
  "suite": "invalid",
  "checks": [
    {
      "id": "typo-and-bad-regex",
      "request": { "url": "{{base_url}}/health", "headers": { "X-Api-Key": "{{qa_pasword}}" } },
      "expect": { "body": { "matches": "({{qa_password}}" } }
    }
  ]
}
JSON
gl validate-invalid validate "${envs[@]}" "$TMP/suites/invalid.json"
check_run validate-invalid 2
gl list list "${envs[@]}" suites/ "$DATA/secrets.json"
check_run list 0

# ---- record: goldens and sidecars of a replay whose requests carry the secret

head -n 301 "$SRCDIR/fixtures/usage.csv" >"$TMP/usage.csv"
replay_suite() { # NAME GOLDEN URL HEADERS-AND-QUERY OUTPUTS
	cat >"$TMP/suites/$1.json" <<JSON
{
  "suite": "$1",
  "replay": {
    "cases": { "file": "$TMP/usage.csv" },
    "key": "record_id",
    "calculate": { "http": { "method": "POST", "url": "$3", $4
      "json": { "record_id": "{{case.record_id}}", "currency": "{{case.currency}}",
                "quantity": "{{case.quantity}}", "discount_pct": "{{case.discount_pct}}",
                "password": "{{qa_password}}" } } },
    "outputs": $5,
    "golden": "$OUT/golden/$2.csv"
  }
}
JSON
}
money='{ "list_cost": {}, "savings": {}, "cost": {} }'
with_key='"headers": { "X-Api-Key": "{{qa_password}}" }, "query": { "pw": "{{qa_password}}" },'
replay_suite quotes quotes '{{base_url}}/api/costs/quote' "$with_key" "$money"
gl record record "${envs[@]}" "$TMP/suites/quotes.json"
check_run record 0
gl record-exists record "${envs[@]}" "$TMP/suites/quotes.json"
check_run record-exists 1
gl record-update record --env local --var "base_url=${fault_url[round-half-up]}" --update \
	"$TMP/suites/quotes.json"
check_run record-update 0
expect_grep "record --update shows what changed" "$TMP/record-update.out" 'changed'
scan "record: the goldens and their sidecars" "$OUT/golden"

# A replay whose outputs are the echoed secrets: recorded, it is refused (not
# a number) without quoting them; compared, every difference is redacted.
replay_suite echoed echoed '{{base_url}}/test/echo' "$with_key" \
	'{ "list_cost": { "path": "$.headers.X-Api-Key" }, "savings": { "path": "$.query.pw" }, "cost": { "path": "$.body" } }'
gl record-echoed record "${envs[@]}" "$TMP/suites/echoed.json"
check_run record-echoed 1
replay_suite echoed-vs-golden quotes '{{base_url}}/test/echo' "$with_key" \
	'{ "list_cost": { "path": "$.headers.X-Api-Key" }, "savings": { "path": "$.query.pw" }, "cost": { "path": "$.body" } }'
grun echoed-replay 1 "${envs[@]}" "$TMP/suites/echoed-vs-golden.json"
grun echoed-replay-per-case 1 "${envs[@]}" --junit-per-case "$TMP/suites/echoed-vs-golden.json"

# ---- a target quoting the secret in its error answers, across the places
# where excerpts are cut: a failure's response (2048 bytes), a quoted body
# (200), a replay's reason (120); and with bytes an excerpt cleans (é).

cat >"$TMP/suites/quoting.json" <<'JSON'
{
  "suite": "quoting",
  "checks": [
    { "id": "quoted", "request": { "method": "POST", "url": "{{base_url}}/error",
      "headers": { "X-Api-Key": "{{qa_password}}" }, "json": { "password": "{{qa_password}}" } } },
    { "id": "quoted-at-the-cut", "request": { "url": "{{base_url}}/error?pad=2000",
      "headers": { "X-Api-Key": "{{qa_password}}" } } },
    { "id": "quoted-at-the-quote-cut", "request": { "url": "{{base_url}}/error?pad=163",
      "headers": { "X-Api-Key": "{{qa_password}}" } },
      "expect": { "status": 500, "body": { "contains": "never there" } } }
  ]
}
JSON
grun quoting-checks 1 --env local --var "base_url=$quoting" "$TMP/suites/quoting.json"
expect_case "quoting target: the error is a failure" "$OUT/quoting-checks/junit.xml" \
	quoting quoted failure "got 500"
printf 'record_id,pad\nq-1,0\nq-2,80\n' >"$TMP/pads.csv"
cat >"$TMP/suites/quoting-replay.json" <<JSON
{
  "suite": "quoting-replay",
  "replay": {
    "cases": { "file": "$TMP/pads.csv" },
    "key": "record_id",
    "calculate": { "http": { "method": "POST", "url": "{{base_url}}/{{mode}}?pad={{case.pad}}",
      "headers": { "X-Api-Key": "{{qa_password}}" }, "json": { "record_id": "{{case.record_id}}" } } },
    "outputs": $money,
    "golden": "$OUT/golden/quoting-replay.csv"
  }
}
JSON
gl quoting-record record --env local --var "base_url=$quoting" --var mode=ok \
	"$TMP/suites/quoting-replay.json"
check_run quoting-record 0
grun quoting-replay 1 --env local --var "base_url=$quoting" --var mode=error \
	"$TMP/suites/quoting-replay.json"
expect_case "quoting target, replay: an error" "$OUT/quoting-replay/junit.xml" \
	quoting-replay completeness failure "HTTP 500: invalid api key: \*\*\*"

# ---- everything together, once more: every file under the output directory
# (reports, goldens, sidecars, anything left beside them) and every console.

scan "every output of every run" "$OUT" "$TMP"/*.out "$TMP"/*.err
n=$(find "$OUT" -type f | wc -l)
if [ "$n" -ge 60 ]; then ok "$n files written and scanned"; else not_ok "the runs wrote their files" "$n files"; fi
echo "# ran in $(($(date +%s) - t0)) s"
done_testing
