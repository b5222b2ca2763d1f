#!/usr/bin/env bash
# Reports: written whole or not at all; colour only on a terminal and never
# with NO_COLOR; diagnostics on stderr.
. "$(dirname "$0")/lib.sh"

start_costd r
args=(--env local --var "base_url=$URL" --tag post-deploy)

# A JUnit path that cannot be written: greenlight's own failure, exit 4,
# with the path and the reason; the console report is still printed.
touch "$TMP/not-a-dir"
gl nodir run "${args[@]}" --junit "$TMP/not-a-dir/junit.xml" suites/
expect_code nodir 4
expect_fixed "the unwritable path is named" "$TMP/nodir.err" "cannot write '$TMP/not-a-dir/junit.xml'"
expect_grep "the console report was still printed" "$TMP/nodir.out" '^verdict: PASS$'
expect_fixed "and stderr says the run is not a pass for want of evidence" "$TMP/nodir.err" \
	"the evidence was not written, so this run is not a pass"

# Writing over an existing report replaces it whole; no temporary is left.
echo "old" >"$TMP/keep.xml"
gl replace run "${args[@]}" --junit "$TMP/keep.xml" suites/
expect_code replace 0
expect_junit_valid "$TMP/keep.xml"
leftovers=$(find "$TMP" -name 'keep.xml.*' | wc -l)
if [ "$leftovers" -eq 0 ]; then ok "no temporary file left beside the report"; else not_ok "no temporary file left" "$(find "$TMP" -name 'keep.xml.*')"; fi

# Colour: on a terminal yes, with NO_COLOR no, in a pipe no.
tty_run() { # OUTFILE [env...]: run greenlight under a pseudo-terminal
	local out=$1
	shift
	(cd "$SRCDIR" && env "$@" script -qec "'$GREENLIGHT' run --env local --var base_url=$URL --tag post-deploy suites/" /dev/null) >"$out" 2>&1 || true
}
tty_run "$TMP/tty.out" TERM=xterm
tty_run "$TMP/nocolor.out" TERM=xterm NO_COLOR=1
if LC_ALL=C grep -q $'\x1b\[' "$TMP/tty.out"; then ok "colour on a terminal"; else not_ok "colour on a terminal" "$(head -20 "$TMP/tty.out")"; fi
if LC_ALL=C grep -q $'\x1b\[' "$TMP/nocolor.out"; then not_ok "no colour with NO_COLOR"; else ok "no colour with NO_COLOR"; fi
gl pipe run "${args[@]}" suites/
if LC_ALL=C grep -q $'\x1b' "$TMP/pipe.out" "$TMP/pipe.err"; then not_ok "no colour in a pipe"; else ok "no colour in a pipe"; fi
expect_no_grep "diagnostics stay off stdout" "$TMP/pipe.out" '^greenlight:'

done_testing
