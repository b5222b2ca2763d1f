#!/usr/bin/env bash
# TLS: certificate days to expiry against a real HTTPS costd with a
# certificate made here; an untrusted certificate is an error, not a pass.
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

done_testing
