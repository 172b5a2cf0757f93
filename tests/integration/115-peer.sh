#!/usr/bin/env bash
# 115: `drizzle peer` as a process: it refuses bad options (exit 2) and an
# unusable data directory (exit 1, naming it); registers with the
# coordinator; stops with exit 0 on SIGTERM; keeps its identity key across
# restarts; refuses a second peer on the same --data; restarts cleanly on
# the same --data after SIGKILL; started while the coordinator is down it
# serves anyway and registers once the coordinator comes up, and it
# registers again after losing the coordinator.
. "$(dirname "$0")/lib.sh"

# ---- usage and unusable directories ----
"$DZ" peer --help >"$T/help" || fail "--help exit $?"
grep -q "usage: drizzle peer" "$T/help" || fail "--help text"
C=127.0.0.1:9 # any valid address: these must fail before connecting
# an operator's peer (--datacentre): the option checks of every peer
D="--datacentre"
expect_exit 2 "$DZ" peer $D
expect_exit 2 "$DZ" peer $D --data "$T/p"
expect_exit 2 "$DZ" peer $D --coordinator $C
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator nowhere:1
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator 127.0.0.1:0
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator $C --listen bad
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator $C --capacity 0
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator $C --capacity lots
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator $C --heartbeat 0
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator $C --coordinator-key xyz
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator $C --bogus
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator $C extra
expect_exit 2 "$DZ" peer $D --data "$T/p" --coordinator
expect_exit 2 "$DZ" peer $D --home "$T/h" --data "$T/p" --coordinator $C
[ ! -e "$T/p" ] || fail "a usage error created the data directory"
# for an account: nobody logged in at the profile is exit 1, saying so
DRIZZLE_HOME=$T/nohome expect_exit 1 "$DZ" peer --coordinator $C
grep -q "drizzle login" "$T/err" || fail "no account: $(cat "$T/err")"
expect_exit 1 "$DZ" peer --home "$T/nohome" --data "$T/p"
[ ! -e "$T/p" ] && [ ! -e "$T/nohome/peer" ] || fail "a peer for nobody created its data directory"
ok "usage errors exit 2"

: >"$T/afile"
expect_exit 1 "$DZ" peer $D --data "$T/afile" --coordinator $C
grep -q "$T/afile" "$T/err" || fail "unusable --data not named: $(cat "$T/err")"
expect_exit 1 "$DZ" peer $D --data "$T/afile/sub" --coordinator $C
grep -q "$T/afile/sub" "$T/err" || fail "unusable --data not named: $(cat "$T/err")"
mkdir "$T/bad"
echo garbage >"$T/bad/identity.key"
chmod 600 "$T/bad/identity.key"
expect_exit 1 "$DZ" peer $D --data "$T/bad" --coordinator $C
grep -q "$T/bad" "$T/err" || fail "damaged identity not named: $(cat "$T/err")"
ok "unusable data directory exits 1 naming it"

# ---- helpers ----
cpid= ppid_=
# kill_ours PID...: SIGKILL those still running from this test's directory
# (a pid may have been reused since)
kill_ours() {
	for p in "$@"; do
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF "$T/" &&
			kill -9 "$p"
	done
	true
}
cleanup_hooks+=('kill_ours $ppid_ $cpid')

# the peer is an operator's: its key listed for the coordinator
"$DZ" peer --data "$T/p" --print-key >"$T/dc.keys" || fail "--print-key"
grep -Eqx "[0-9a-f]{64}" "$T/dc.keys" || fail "--print-key printed $(cat "$T/dc.keys")"

# start_coord [LISTEN]: coordinator in $T/c; sets cpid, caddr
start_coord() {
	"$DZ" coordinator --data "$T/c" --listen "${1:-127.0.0.1:0}" \
		--datacentre-keys "$T/dc.keys" --placeholder-checks 0 >"$T/c.out" 2>"$T/c.err" &
	cpid=$!
	wait_for "$T/c.out" "listening" 10 "$cpid"
	caddr=$(cat "$T/c/coordinator.addr")
}

# stop PID NAME: SIGTERM, require exit 0 within 10 s
stop() {
	kill -TERM "$1"
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$1" 2>/dev/null && fail "$2 still running 10 s after SIGTERM"
	wait "$1"
	local rc=$?
	[ "$rc" -eq 0 ] || fail "$2 exited $rc after SIGTERM"
}

# start_peer: peer on $T/p with the coordinator at $caddr; waits for its
# listening line; sets ppid_, key, paddr
start_peer() {
	"$DZ" peer $D --data "$T/p" --coordinator "$caddr" --heartbeat 1 \
		>"$T/p.out" 2>"$T/p.err" &
	ppid_=$!
	wait_for "$T/p.out" "peer listening on" 10 "$ppid_"
	local line
	line=$(cat "$T/p.out")
	[[ $line =~ ^peer\ listening\ on\ (127\.0\.0\.1:[1-9][0-9]*)\ key\ ([0-9a-f]{64})$ ]] ||
		fail "bad start line: '$line'"
	paddr=${BASH_REMATCH[1]} key=${BASH_REMATCH[2]}
	[ "$(cat "$T/p/peer.addr")" = "$paddr" ] || fail "peer.addr != printed address"
}

# ---- run, stop, restart ----
start_coord
start_peer
key1=$key
wait_for "$T/p.err" "registered with the coordinator $caddr " 10 "$ppid_"
[ "$(stat -c %a "$T/p/identity.key")" = 600 ] || fail "identity.key not 0600"
stop "$ppid_" peer
ok "registers with the coordinator; SIGTERM: exit 0"

start_peer
[ "$key" = "$key1" ] || fail "key changed across restart: $key1 -> $key"
wait_for "$T/p.err" "registered with the coordinator $caddr " 10 "$ppid_"
expect_exit 1 "$DZ" peer $D --data "$T/p" --coordinator "$caddr"
grep -q "in use" "$T/err" || fail "second peer on the same --data: $(cat "$T/err")"
kill -0 "$ppid_" || fail "the first peer died when a second one tried its --data"
ok "same key after restart; a second peer on the same --data exits 1"

kill -9 "$ppid_"
wait "$ppid_" 2>/dev/null
start_peer
[ "$key" = "$key1" ] || fail "key changed across SIGKILL: $key1 -> $key"
wait_for "$T/p.err" "registered with the coordinator $caddr " 10 "$ppid_"
stop "$ppid_" peer
ok "SIGKILL, then a clean restart on the same --data"

# ---- the coordinator down at start, then lost and back ----
stop "$cpid" coordinator
cpid=
start_peer # $caddr: nobody listens there now
wait_for "$T/p.err" "unreachable" 10 "$ppid_"
port=${paddr##*:}
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
	fail "peer not accepting connections while the coordinator is down"
grep -q "registered" "$T/p.err" && fail "registered with no coordinator?"
start_coord "$caddr"
# backoff 1 s doubling: a few attempts fit in 20 s
wait_for "$T/p.err" "registered with the coordinator $caddr " 20 "$ppid_"
ok "coordinator down at start: the peer serves, then registers when it is up"

stop "$cpid" coordinator
cpid=
wait_for "$T/p.err" "lost the coordinator" 10 "$ppid_"
start_coord "$caddr"
for _ in $(seq 200); do
	[ "$(grep -c "registered with the coordinator $caddr " "$T/p.err")" -ge 2 ] && break
	kill -0 "$ppid_" || fail "peer died"
	sleep 0.1
done
[ "$(grep -c "registered with the coordinator $caddr " "$T/p.err")" -ge 2 ] ||
	{ cat "$T/p.err" >&2; fail "no new registration after the coordinator came back"; }
stop "$ppid_" peer
ppid_=
stop "$cpid" coordinator
cpid=
ok "coordinator lost and back: the peer registers again"
