#!/usr/bin/env bash
# Secrets never appear in any output: console, stderr or JUnit, in any of the
# forms they travel in, even when the target echoes them into failures.
. "$(dirname "$0")/lib.sh"

# A password whose JSON, URL, XML and base64 forms all differ from it.
export GREENLIGHT_QA_PASSWORD='it-p@ss/"w0rd&<x>+'"$$"
start_costd s

gl run run --env-dir "$DATA/environments" --env it --var "base_url=$URL" \
	--junit "$TMP/run.xml" "$DATA/secrets.json"
expect_code run 1
expect_junit_valid "$TMP/run.xml"
expect_case "the echo check failed, so the echoed body was reported" "$TMP/run.xml" \
	secrets echo-everywhere failure
expect_case "the token flow logged in" "$TMP/run.xml" secrets.token-flow login pass

pw=$GREENLIGHT_QA_PASSWORD
forms=(
	"$pw"
	"$(printf '%s' "$pw" | base64 -w0)"
	"$(printf '%s' "qa:$pw" | base64 -w0)"
	"$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$pw")"
	"$(python3 -c 'import sys,json;print(json.dumps(sys.argv[1])[1:-1])' "$pw")"
	"$(python3 -c 'import sys,html;print(html.escape(sys.argv[1]))' "$pw")"
)
# The session token is captured as a secret: it was sent in a URL and a
# bearer header and echoed back, and must show nowhere.
for f in "$TMP/run.out" "$TMP/run.err" "$TMP/run.xml"; do
	for form in "${forms[@]}"; do
		if grep -Fq -- "$form" "$f"; then
			not_ok "$(basename "$f") holds no form of the secret" "found: $form"
		else
			ok "$(basename "$f") holds no form of the secret (${#form} bytes)"
		fi
	done
	expect_no_grep "$(basename "$f") shows no bearer token" "$f" 'Bearer [0-9a-f]{8}'
	expect_no_grep "$(basename "$f") shows no cookie value" "$f" 'session=[^*]'
	expect_no_grep "$(basename "$f") shows no token in a URL" "$f" 't=[0-9a-f]{32}'
done
expect_fixed "the echoed secret was replaced, not dropped" "$TMP/run.xml" "***"
# A secret capture of a step that failed: its body is quoted in the failure.
expect_case "the login whose assertion fails" "$TMP/run.xml" \
	secrets.failing-login-with-secret-capture login failure "X-Not-There"
for f in "$TMP/run.out" "$TMP/run.xml"; do
	expect_no_grep "$(basename "$f"): a failed step's secret capture is redacted" "$f" \
		'token[^0-9a-f]{1,12}[0-9a-f]{32}'
done

# Credentials in a URL (user:password@host) are never shown.
gl urlpw run --env-dir "$DATA/environments" --env it \
	--var "base_url=http://admin:url-pw-$$@127.0.0.1:$PORT" --junit "$TMP/urlpw.xml" "$DATA/secrets.json"
expect_code urlpw 1
for f in "$TMP/urlpw.out" "$TMP/urlpw.err" "$TMP/urlpw.xml"; do
	expect_no_fixed "$(basename "$f") never shows a URL's password" "$f" "url-pw-$$"
done

done_testing
