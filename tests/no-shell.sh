#!/usr/bin/env bash
# No shell is ever invoked with data from suites, environments, responses or
# fixtures: greenlight runs no program at all. The binary imports none of the
# functions that start one, and the harness sources call none of them. Of the
# libraries, libcurl can run ntlm_auth (fork, execl) for NTLM_WB
# authentication and libpq can popen() $PAGER in PQprint(): greenlight asks
# libcurl for Basic authentication only and never calls PQprint. TAP output.
set -u
: "${GREENLIGHT:?GREENLIGHT must name the greenlight binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	printf '%s\n' "$@" | sed 's/^/#   /'
}

# Everything that runs a program: through a shell (system, popen, wordexp)
# or directly (the exec family, posix_spawn).
starters=(system popen wordexp execl execlp execle execv execve execvp execvpe fexecve
	posix_spawn posix_spawnp)
names=$(
	IFS='|'
	echo "${starters[*]}"
)

imports=$(nm -D --undefined-only "$GREENLIGHT" | awk '{ sub(/@.*/, "", $2); print $2 }' | sort -u)
# The listing is real: what greenlight does use is there.
missing=()
for sym in curl_multi_perform PQconnectdbParams; do
	grep -qx "$sym" <<<"$imports" || missing+=("$sym")
done
if [ ${#missing[@]} -eq 0 ]; then
	ok "nm lists the binary's imports ($(wc -l <<<"$imports") symbols)"
else
	not_ok "nm lists the binary's imports" "missing: ${missing[*]}"
fi
found=$(grep -xE "$names" <<<"$imports")
if [ -z "$found" ]; then
	ok "the binary imports none of: ${starters[*]}"
else
	not_ok "the binary imports none of the functions that run a program" "imports: $found"
fi
if grep -qx PQprint <<<"$imports"; then
	not_ok "the binary never calls PQprint (libpq's popen of \$PAGER)"
else
	ok "the binary never calls PQprint (libpq's popen of \$PAGER)"
fi

# A call: the name as a word, then an opening parenthesis ("system-ui" in
# the HTML report's CSS is not one).
call="(^|[^A-Za-z0-9_])($names)[[:space:]]*\\("
sample='x = system("ls"); fp = popen (cmd, "r"); font: system-ui; <system-out>; PQexec(c, q); regexec(&re, s, 0, NULL, 0); posix_spawnp(&pid'
hits=$(grep -oE "$call" <<<"$sample" | tr -d ' (=;' | tr '\n' ' ')
if [ "$hits" = "system popen posix_spawnp " ]; then
	ok "the pattern finds calls and nothing else"
else
	not_ok "the pattern finds calls and nothing else" "found: $hits"
fi
mapfile -t sources < <(find "$SRCDIR/harness" -name '*.[ch]' | sort)
found=$(grep -nE "$call" "${sources[@]}")
if [ ${#sources[@]} -gt 0 ] && [ -z "$found" ]; then
	ok "harness/: ${#sources[@]} files call none of them"
else
	not_ok "harness/ calls none of them" "${found:-no sources found}"
fi
found=$(grep -nE '#[[:space:]]*include[[:space:]]*<(spawn|wordexp)\.h>' "${sources[@]}")
if [ -z "$found" ]; then
	ok "harness/ includes neither <spawn.h> nor <wordexp.h>"
else
	not_ok "harness/ includes neither <spawn.h> nor <wordexp.h>" "$found"
fi

# libcurl runs ntlm_auth only for CURLAUTH_NTLM_WB (also part of CURLAUTH_ANY
# and friends): Basic is the one scheme greenlight asks for.
auth=$(grep -ohE 'CURLAUTH_[A-Z_0-9]+' "${sources[@]}" | sort -u | tr '\n' ' ')
if [ "$auth" = "CURLAUTH_BASIC " ]; then
	ok "libcurl is asked for Basic authentication only"
else
	not_ok "libcurl is asked for Basic authentication only" "found: $auth"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
