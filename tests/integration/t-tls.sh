#!/usr/bin/env bash
# TLS: certificate days to expiry against a real HTTPS costd with a
# certificate made here; an untrusted certificate is an error, not a pass;
# an expired one (from a CA made here too) is an error saying it expired.
# "tls_verify": false turns verification off, loudly in every output, never
# in production, never through --var, and the gate holds what it produced.
. "$(dirname "$0")/lib.sh"

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=127.0.0.1 \
	-addext "subjectAltName=IP:127.0.0.1" \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>"$TMP/openssl.log" ||
	{ echo "Bail out! openssl could not make a certificate: $(cat "$TMP/openssl.log")"; exit 1; }
start_costd tls --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem"
https="https://127.0.0.1:$PORT"

mkdir -p "$TMP/envs"
cp "$TMP/cert.pem" "$TMP/envs/ca.pem"
printf '{ "base_url": "%s", "ca_file": "ca.pem" }\n' "$https" >"$TMP/envs/trusting.json"
printf '{ "base_url": "%s" }\n' "$https" >"$TMP/envs/default.json"
printf '{ "base_url": "%s", "ca_file": "no-such.pem" }\n' "$https" >"$TMP/envs/badca.json"

gl trusted run --env-dir "$TMP/envs" --env trusting --junit "$TMP/trusted.xml" "$DATA/tls.json"
expect_code trusted 1
expect_junit_valid "$TMP/trusted.xml"
expect_case "a certificate with 29+ days left meets a 20-day minimum" "$TMP/trusted.xml" \
	tls certificate-lasts pass
expect_case "and fails a 60-day minimum, with the days left" "$TMP/trusted.xml" \
	tls certificate-expires-soon failure "certificate: expected at least 60 days before expiry, got (29|30) days"

gl untrusted run --env-dir "$TMP/envs" --env default --junit "$TMP/untrusted.xml" "$DATA/tls.json"
expect_code untrusted 1
expect_case "a self-signed certificate is not trusted by default: an error" "$TMP/untrusted.xml" \
	tls certificate-lasts error "TLS|SSL|certificate"

gl badca validate --env-dir "$TMP/envs" --env badca "$DATA/tls.json"
expect_code badca 2
expect_grep "an unreadable ca_file is an input error with its place" "$TMP/badca.err" \
	"badca.json:1:[0-9]+: cannot read 'ca_file'"

# Verification is on by default, and every report says so.
expect_fixed "junit says verification was on" "$TMP/trusted.xml" \
	'<property name="greenlight.tls_verify" value="on"/>'
expect_no_fixed "no warning when verification is on" "$TMP/trusted.err" "verification is OFF"

# --var cannot turn it off: tls_verify is an environment key, not a variable.
gl varoff run --env-dir "$TMP/envs" --env default --var tls_verify=false \
	--junit "$TMP/varoff.xml" "$DATA/tls.json"
expect_code varoff 1
expect_case "--var tls_verify=false changes nothing: still an error" "$TMP/varoff.xml" \
	tls reachable error "TLS|SSL|certificate"
expect_fixed "--var tls_verify=false: junit says on" "$TMP/varoff.xml" \
	'<property name="greenlight.tls_verify" value="on"/>'

# "tls_verify": false in a non-production environment: the self-signed
# certificate is accepted, loudly, in every output.
printf '{\n  "name": "insecure",\n  "base_url": "%s",\n  "tls_verify": false\n}\n' "$https" \
	>"$TMP/envs/insecure.json"
gl insecure run --env-dir "$TMP/envs" --env insecure --junit "$TMP/insecure.xml" \
	--verdict "$TMP/insecure.json" --html "$TMP/insecure.html" "$DATA/tls.json"
expect_code insecure 1
expect_junit_valid "$TMP/insecure.xml"
expect_case "tls_verify false: the self-signed target is reached" "$TMP/insecure.xml" \
	tls reachable pass
expect_case "tls_verify false: certificate days are still read" "$TMP/insecure.xml" \
	tls certificate-lasts pass
expect_grep "tls_verify false: a warning on stderr with the place" "$TMP/insecure.err" \
	"^greenlight: warning: TLS certificate verification is OFF for environment 'insecure' \(.*insecure\.json:4:17\)$"
expect_fixed "tls_verify false: a line in the console report" "$TMP/insecure.out" \
	"warning: TLS certificate verification was OFF for environment 'insecure'"
expect_fixed "tls_verify false: a property on the testsuite" "$TMP/insecure.xml" \
	'<property name="greenlight.tls_verify" value="off"/>'
expect_grep "tls_verify false: the verdict says so" "$TMP/insecure.json" '"tls_verify":[[:space:]]*false'
expect_fixed "tls_verify false: the HTML report says so" "$TMP/insecure.html" \
	"TLS certificate verification was OFF"
for cmd in validate list; do
	gl "insecure-$cmd" "$cmd" --env-dir "$TMP/envs" --env insecure "$DATA/tls.json"
	expect_code "insecure-$cmd" 0
	expect_fixed "tls_verify false: $cmd warns too" "$TMP/insecure-$cmd.err" \
		"TLS certificate verification is OFF for environment 'insecure'"
done

# Never in production, whatever the order of the keys: exit 2, nothing sent.
printf '{\n  "base_url": "%s",\n  "production": true,\n  "tls_verify": false\n}\n' "$https" \
	>"$TMP/envs/prod-insecure.json"
printf '{\n  "tls_verify": false,\n  "production": true,\n  "base_url": "%s"\n}\n' "$https" \
	>"$TMP/envs/prod-insecure-first.json"
sent=$(wc -l <"$TMP/tls.costd.log")
for e in prod-insecure prod-insecure-first; do
	gl "$e" run --env-dir "$TMP/envs" --env "$e" --junit "$TMP/$e.xml" "$DATA/tls.json"
	expect_code "$e" 2
	expect_grep "$e: refused at the tls_verify value" "$TMP/$e.err" \
		"$e\.json:[0-9]+:17: 'tls_verify' cannot be false in a production environment"
	expect_fixed "$e: nothing was sent" "$TMP/$e.err" "nothing was sent"
	if [ -e "$TMP/$e.xml" ]; then not_ok "$e: no report written"; else ok "$e: no report written"; fi
done
if [ "$(wc -l <"$TMP/tls.costd.log")" -eq "$sent" ]; then
	ok "production refusals sent no request"
else
	not_ok "production refusals sent no request" "$(tail -n +"$((sent + 1))" "$TMP/tls.costd.log")"
fi

# The gate holds evidence obtained without verification, unless the policy
# allows it for that environment.
gl reach run --env-dir "$TMP/envs" --env insecure --tag reach --junit "$TMP/reach.xml" \
	--verdict "$TMP/reach.json" "$DATA/tls.json"
expect_code reach 0
policy() { # FILE ALLOW
	printf '{ "promote_to": "production", "same_version": false,
  "require": [ { "environment": "insecure", "suites": ["tls"]%s } ] }\n' "$2" >"$1"
}
policy "$TMP/strict.json" ""
policy "$TMP/lenient.json" ', "allow_insecure_tls": true'
gl gate-strict gate --policy "$TMP/strict.json" "$TMP/reach.json"
expect_code gate-strict 1
expect_fixed "gate: holds a verdict obtained with verification off" "$TMP/gate-strict.out" \
	"hold: insecure: verdict '$TMP/reach.json' was obtained with TLS certificate verification off"
gl gate-lenient gate --policy "$TMP/lenient.json" "$TMP/reach.json"
expect_code gate-lenient 0
# A verdict edited to claim verification: its JUnit file says otherwise.
sed 's/"tls_verify":[[:space:]]*false/"tls_verify": true/' "$TMP/reach.json" >"$TMP/edited.json"
gl gate-edited gate --policy "$TMP/lenient.json" "$TMP/edited.json"
expect_code gate-edited 1
expect_fixed "gate: a verdict claiming verification its JUnit denies holds" "$TMP/gate-edited.out" \
	"the verdict says TLS verification was on but junit"

# An expired certificate, issued by a CA the environment trusts: made with
# `openssl ca`, whose -startdate/-enddate can put validity in the past.
mkdir -p "$TMP/ca/db"
: >"$TMP/ca/db/index.txt"
echo 01 >"$TMP/ca/db/serial"
cat >"$TMP/ca/ca.cnf" <<EOF
[ca]
default_ca = tiny
[tiny]
database = $TMP/ca/db/index.txt
new_certs_dir = $TMP/ca/db
serial = $TMP/ca/db/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
EOF
{
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=greenlight test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout "$TMP/ca/ca.key" -out "$TMP/ca/ca.pem" &&
		openssl req -new -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
			-addext "subjectAltName=IP:127.0.0.1" \
			-keyout "$TMP/ca/expired.key" -out "$TMP/ca/expired.csr" &&
		openssl ca -batch -config "$TMP/ca/ca.cnf" -cert "$TMP/ca/ca.pem" \
			-keyfile "$TMP/ca/ca.key" -in "$TMP/ca/expired.csr" -out "$TMP/ca/expired.pem" \
			-notext -startdate 20200101000000Z -enddate 20200201000000Z
} 2>"$TMP/openssl-ca.log" ||
	{ echo "Bail out! openssl could not make an expired certificate: $(cat "$TMP/openssl-ca.log")"; exit 1; }
if openssl verify -CAfile "$TMP/ca/ca.pem" "$TMP/ca/expired.pem" 2>&1 | grep -q "certificate has expired"; then
	ok "the test certificate is expired and otherwise valid for its CA"
else
	not_ok "the test certificate is expired and otherwise valid for its CA" \
		"$(openssl verify -CAfile "$TMP/ca/ca.pem" "$TMP/ca/expired.pem" 2>&1)"
fi
start_costd expired --tls-cert "$TMP/ca/expired.pem" --tls-key "$TMP/ca/expired.key"
expired="https://127.0.0.1:$PORT"
cp "$TMP/ca/ca.pem" "$TMP/envs/test-ca.pem"
printf '{ "base_url": "%s", "ca_file": "test-ca.pem" }\n' "$expired" >"$TMP/envs/expired.json"
printf '{\n  "base_url": "%s",\n  "ca_file": "test-ca.pem",\n  "tls_verify": false\n}\n' \
	"$expired" >"$TMP/envs/expired-insecure.json"
printf '{ "base_url": "%s", "ca_file": "test-ca.pem", "expected_version": "2.4.0",
  "health": { "url": "{{base_url}}/health", "version": "$.version" } }\n' \
	"$expired" >"$TMP/envs/expired-ready.json"

gl expired run --env-dir "$TMP/envs" --env expired --junit "$TMP/expired.xml" "$DATA/tls.json"
expect_code expired 1
expect_junit_valid "$TMP/expired.xml"
for c in reachable certificate-lasts certificate-expires-soon; do
	expect_case "expired certificate: $c is an error saying it expired" "$TMP/expired.xml" \
		tls "$c" error "^error TLS error: GET https://127\.0\.0\.1:[0-9]+/health \(curl: .*certificate has expired"
done

gl expired-ready run --env-dir "$TMP/envs" --env expired-ready --junit "$TMP/expired-ready.xml" \
	"$DATA/tls.json"
expect_code expired-ready 3
expect_case "expired certificate at the version check: not ready, saying it expired" \
	"$TMP/expired-ready.xml" tls reachable skipped "TLS error \(.*certificate has expired\)"

gl expired-insecure run --env-dir "$TMP/envs" --env expired-insecure \
	--junit "$TMP/expired-insecure.xml" "$DATA/tls.json"
expect_code expired-insecure 1
expect_junit_valid "$TMP/expired-insecure.xml"
expect_case "expired, tls_verify false: the target is reached" "$TMP/expired-insecure.xml" \
	tls reachable pass
expect_case "expired, tls_verify false: cert_days_min still fails, days negative" \
	"$TMP/expired-insecure.xml" tls certificate-lasts failure \
	"certificate: expected at least 20 days before expiry, got -[0-9]+ days"
expect_fixed "expired, tls_verify false: the warning" "$TMP/expired-insecure.err" \
	"TLS certificate verification is OFF for environment 'expired-insecure'"
expect_fixed "expired, tls_verify false: junit says off" "$TMP/expired-insecure.xml" \
	'<property name="greenlight.tls_verify" value="off"/>'

# Replays over HTTPS go through the same TLS rules as checks.
head -n 21 "$SRCDIR/fixtures/usage.csv" >"$TMP/cases.csv"
mkdir -p "$TMP/golden"
cat >"$TMP/quotes.json" <<JSON
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
    "golden": "$TMP/golden/quotes.csv"
  }
}
JSON
gl replay-record record --env-dir "$TMP/envs" --env expired-insecure "$TMP/quotes.json"
expect_code replay-record 0
expect_fixed "record warns that verification is off" "$TMP/replay-record.err" \
	"TLS certificate verification is OFF"
gl replay-insecure run --env-dir "$TMP/envs" --env expired-insecure \
	--junit "$TMP/replay-insecure.xml" "$TMP/quotes.json"
expect_code replay-insecure 0
gl replay-verified run --env-dir "$TMP/envs" --env expired --junit "$TMP/replay-verified.xml" \
	"$TMP/quotes.json"
expect_code replay-verified 1
expect_junit_valid "$TMP/replay-verified.xml"
expect_grep "a replay against an expired certificate errors, saying so" "$TMP/replay-verified.xml" \
	"<error [^>]*certificate has expired"

done_testing
