#!/usr/bin/env bash
# Runs every test of the project and ends with one line "N passed, N failed".
#   unit tests:        $BUILD/tests/test_* (cmocka, TAP output: one count per case)
#   integration tests: tests/integration/[0-9]*.sh (one count per scenario)
#   fuzz smoke runs:   build/fuzz/fuzz_* for a few seconds on their seed corpus
# Each is bounded by a timeout; a binary that crashes or exits non-zero
# without reporting a failure counts as one failure.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export DRIZZLE="$PWD/$BUILD/drizzle"
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
pass=0 fail=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

note() { printf '%-8s %s\n' "$1" "$2"; }

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	CMOCKA_MESSAGE_OUTPUT=TAP timeout 600 "$t" >"$log/$name" 2>&1
	rc=$?
	p=$(grep -cE '^ok ' "$log/$name")
	f=$(grep -cE '^not ok ' "$log/$name")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -gt 0 ]; then
		note FAIL "$name (exit $rc)"; sed 's/^/    /' "$log/$name" | tail -n 40
	else
		note ok "$name ($p cases)"
	fi
done

for t in tests/integration/[0-9]*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	timeout 900 bash "$t" >"$log/$name" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1)); note ok "$name"
	else
		fail=$((fail + 1)); note FAIL "$name (exit $rc)"
		sed 's/^/    /' "$log/$name" | tail -n 40
	fi
done

for t in build/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	work="$log/corpus-$name"
	mkdir -p "$work" "$seeds"
	timeout $((FUZZ_SECONDS + 60)) "$t" -max_total_time="$FUZZ_SECONDS" \
		-rss_limit_mb=2048 -artifact_prefix="$log/" "$work" "$seeds" \
		>"$log/$name" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1)); note ok "$name ($(grep -oE 'Done [0-9]+ runs' "$log/$name"))"
	else
		fail=$((fail + 1)); note FAIL "$name (exit $rc)"
		tail -n 40 "$log/$name" | sed 's/^/    /'
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
