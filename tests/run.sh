#!/usr/bin/env bash
# Runs every test of the project and ends with one line "N passed, N failed".
#   unit tests:        $BUILD/tests/test_* (cmocka, TAP output: one count per case)
#   integration tests: tests/integration/[0-9]*.sh (one count per scenario)
#   fuzz smoke runs:   build/fuzz/fuzz_* for a few seconds on their seed corpus
# Each is bounded by a timeout; a binary that crashes or exits non-zero
# without reporting a failure counts as one failure.
#
# Up to JOBS tests (default 3) run at once: most integration scenarios
# spend their time waiting (heartbeats, grace periods, repair rounds), so
# on two cores three at a time roughly halve the run without starving the
# compute-bound ones. Each scenario has its own scratch directory and picks
# random ports, retrying a taken one (tests/integration/lib.sh), so they do
# not meet. Results print in one fixed order (the order above, each kind
# sorted by name) as soon as every test before them is done: one line per
# test, a failure's log after its line. JOBS=1 runs one at a time (in
# the interleaved order below).
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export DRIZZLE="$PWD/$BUILD/drizzle"
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
JOBS=${JOBS:-3}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# result ID P F LINE: record test ID's counts and its line (+ its log on a
# failure, from $log/ID.log)
result() {
	{
		printf '%-8s %s\n' "$([ "$3" -gt 0 ] && echo FAIL || echo ok)" "$4"
		[ "$3" -gt 0 ] && tail -n 40 "$log/$1.log" | sed 's/^/    /'
	} >"$log/$1.line"
	echo "$2 $3" >"$log/$1.count.tmp" && mv "$log/$1.count.tmp" "$log/$1.count"
}

run_unit() {
	local id=$1 t=$2 name rc p f
	name=$(basename "$t")
	CMOCKA_MESSAGE_OUTPUT=TAP timeout 600 "$t" >"$log/$id.log" 2>&1
	rc=$?
	p=$(grep -cE '^ok ' "$log/$id.log")
	f=$(grep -cE '^not ok ' "$log/$id.log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$f" -gt 0 ]; then
		result "$id" "$p" "$f" "$name (exit $rc)"
	else
		result "$id" "$p" 0 "$name ($p cases)"
	fi
}

run_integration() {
	local id=$1 t=$2 name rc
	name=$(basename "$t" .sh)
	timeout 900 bash "$t" >"$log/$id.log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		result "$id" 1 0 "$name"
	else
		result "$id" 0 1 "$name (exit $rc)"
	fi
}

run_fuzz() {
	local id=$1 t=$2 name seeds work rc
	name=$(basename "$t")
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	work="$log/corpus-$name"
	mkdir -p "$work" "$seeds"
	timeout $((FUZZ_SECONDS + 60)) "$t" -max_total_time="$FUZZ_SECONDS" \
		-rss_limit_mb=2048 -artifact_prefix="$log/$id-" "$work" "$seeds" \
		>"$log/$id.log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		result "$id" 1 0 "$name ($(grep -oE 'Done [0-9]+ runs' "$log/$id.log"))"
	else
		result "$id" 0 1 "$name (exit $rc)"
	fi
}

# The tests, in printing order: "kind path" each.
tests=()
for t in "$BUILD"/tests/test_*; do [ -x "$t" ] && tests+=("unit $t"); done
nunit=${#tests[@]}
for t in tests/integration/[0-9]*.sh; do [ -f "$t" ] && tests+=("integration $t"); done
nint=$((${#tests[@]} - nunit))
for t in build/fuzz/fuzz_*; do [ -x "$t" ] && tests+=("fuzz $t"); done
nfuzz=$((${#tests[@]} - nunit - nint))
# Tests whose assertions are measured rates or disk timings (a rate limit
# within 3 %, puts per fsync) or that saturate a server on purpose (a
# connection flood, whose TLS handshakes a loaded CPU slows past their
# deadline): they run alone, after the others, since on two cores a
# neighbour's load is enough to push them out of bounds.
ALONE=" 220-flood 400-rate-limit 401-config-live test_fragstore "
alone() { local b; b=$(basename "${tests[$1]#* }" .sh); [[ "$ALONE" == *" $b "* ]]; }
# The order they start in: the three kinds taken in turn, so that the
# compute-bound unit tests and fuzzers run beside scenarios that wait.
order=() solo=()
for ((k = 0; k < ${#tests[@]}; k++)); do
	for i in $([ "$k" -lt "$nint" ] && echo $((nunit + k))) \
	    $([ "$k" -lt "$nunit" ] && echo "$k") \
	    $([ "$k" -lt "$nfuzz" ] && echo $((nunit + nint + k))); do
		if alone "$i"; then solo+=("$i"); else order+=("$i"); fi
	done
done

pass=0 fail=0 shown=0
# show: print, in order, every result whose predecessors are all printed
show() {
	local p f
	while [ "$shown" -lt "${#tests[@]}" ] && [ -e "$log/$shown.count" ]; do
		cat "$log/$shown.line"
		read -r p f <"$log/$shown.count"
		pass=$((pass + p)); fail=$((fail + f))
		shown=$((shown + 1))
	done
}

running=0
for i in "${order[@]}"; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
		show
	fi
	read -r kind path <<<"${tests[$i]}"
	"run_$kind" "$i" "$path" &
	running=$((running + 1))
done
wait
show
for i in "${solo[@]}"; do
	read -r kind path <<<"${tests[$i]}"
	"run_$kind" "$i" "$path"
	show
done
show

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$shown" -eq "${#tests[@]}" ]
