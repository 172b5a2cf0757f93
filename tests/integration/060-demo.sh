#!/usr/bin/env bash
# 060: the main job: `drizzle demo` stores, damages, rebuilds and verifies
# a file and shows a refusal when too few fragments remain.
. "$(dirname "$0")/lib.sh"
"$DZ" demo --local --size 9M --segment-size 1M $KDF --dir "$T/demo" >"$T/out" 2>"$T/err" ||
	{ cat "$T/out" "$T/err"; fail "demo failed"; }
grep -q "identical to the original" "$T/out" || fail "no verification line"
grep -q "^ok: put" "$T/out" || fail "no final ok line"
grep -q "the get refuses" "$T/out" || fail "no refusal line"
[ ! -e "$T/demo" ] || fail "the demo left its work directory"
ok demo
