#!/usr/bin/env bash
# 140: the main job over the network: `drizzle demo` starts a coordinator
# and 12 peers, signs up, puts a file, kills 4 peers, gets the file back
# identical, and stops everything (no process left, work directory gone).
. "$(dirname "$0")/lib.sh"
"$DZ" demo --size 8M $KDF --dir "$T/demo" >"$T/out" 2>"$T/err" ||
	{ cat "$T/out" "$T/err"; fail "demo failed"; }
grep -q "^network ready at 127.0.0.1:" "$T/out" || fail "no ready line"
grep -q "^killed 4 peers with SIGKILL" "$T/out" || fail "no kill line"
grep -q "identical to the original" "$T/out" || fail "no verification line"
grep -q "^ok: stored" "$T/out" || fail "no final ok line"
[ ! -e "$T/demo" ] || fail "the demo left its work directory"
pgrep -f "$T/demo" >/dev/null && fail "the demo left processes behind"
"$DZ" demo --help | grep -q "usage: drizzle demo" || fail "--help"
expect_exit 2 "$DZ" demo --peers 3 --kill 3
expect_exit 2 "$DZ" demo --bogus
ok "network demo"
