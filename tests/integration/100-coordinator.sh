#!/usr/bin/env bash
# 100: `drizzle coordinator` answers --help, refuses bad options (exit 2)
# and an unusable data directory (exit 1, naming it), listens on an
# ephemeral port, prints its address and key and writes the address file,
# stops cleanly on SIGTERM and SIGINT (exit 0), and keeps its identity key
# across restarts with the same --data.
. "$(dirname "$0")/lib.sh"

"$DZ" coordinator --help | grep -q "usage: drizzle coordinator" || fail "--help"
expect_exit 2 "$DZ" coordinator
expect_exit 2 "$DZ" coordinator --data "$T/c" --bogus
expect_exit 2 "$DZ" coordinator --data "$T/c" --peer-timeout 0
expect_exit 2 "$DZ" coordinator --data "$T/c" --peer-timeout x
expect_exit 2 "$DZ" coordinator --data "$T/c" --base-quota lots
expect_exit 2 "$DZ" coordinator --data "$T/c" extra
ok "usage errors"

: >"$T/afile"
expect_exit 1 "$DZ" coordinator --data "$T/afile" --listen 127.0.0.1:0
grep -q "$T/afile" "$T/err" || fail "unusable DIR not named: $(cat "$T/err")"
expect_exit 1 "$DZ" coordinator --data "$T/c" --listen nowhere:1
ok "unusable directory and address"

pid=
cleanup_hooks+=('[ -n "$pid" ] && kill "$pid" 2>/dev/null; true')

# start SIG: run the coordinator on port 0, wait for its line
start() {
	"$DZ" coordinator --data "$T/c" --listen 127.0.0.1:0 >"$T/out" 2>"$T/cerr" &
	pid=$!
	for _ in $(seq 100); do
		grep -q "listening" "$T/out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || { cat "$T/cerr" >&2; fail "coordinator died"; }
		sleep 0.05
	done
	line=$(head -n 1 "$T/out")
	[[ $line =~ ^coordinator\ listening\ on\ (127\.0\.0\.1:[1-9][0-9]*)\ key\ ([0-9a-f]{64})$ ]] ||
		fail "bad start line: '$line'"
	addr=${BASH_REMATCH[1]} key=${BASH_REMATCH[2]}
	[ "$(cat "$T/c/coordinator.addr")" = "$addr" ] || fail "addr file != printed address"
}

# stop SIG: send SIG, require exit 0
stop() {
	kill -"$1" "$pid"
	wait "$pid"
	local rc=$?
	pid=
	[ "$rc" -eq 0 ] || { cat "$T/cerr" >&2; fail "exit $rc after SIG$1"; }
}

start
key1=$key
[ "$(stat -c %a "$T/c/identity.key")" = 600 ] || fail "identity.key not 0600"
stop TERM
ok "start, address file, SIGTERM"

start
[ "$key" = "$key1" ] || fail "key changed across restart: $key1 -> $key"
expect_exit 1 "$DZ" coordinator --data "$T/c" --listen 127.0.0.1:0
grep -q "in use" "$T/err" || fail "second coordinator on one directory: $(cat "$T/err")"
stop INT
ok "same key after restart, one coordinator per directory, SIGINT"
