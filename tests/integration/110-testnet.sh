#!/usr/bin/env bash
# 110: `drizzle testnet --dir DIR --peers N` starts a coordinator and N
# peers, prints `ready ADDR` only once every peer has registered with the
# coordinator at ADDR, writes ADDR to DIR/coordinator.addr and live pids to
# the pid files; a peer killed with SIGKILL is reported and the network
# keeps running; SIGTERM (and SIGINT) stop every child and exit 0, leaving
# no process behind; a restart on the same DIR (here with --port) keeps
# every node's key; a child that cannot start, or a network not ready in
# --timeout, fails with exit 1 and the child's log; usage errors exit 2.
. "$(dirname "$0")/lib.sh"

# ---- usage ----
"$DZ" testnet --help >"$T/help" || fail "--help exit $?"
grep -q "usage: drizzle testnet" "$T/help" || fail "--help text"
"$DZ" --help | grep -q "testnet" || fail "testnet not in the command list"
expect_exit 2 "$DZ" testnet
expect_exit 2 "$DZ" testnet --dir "$T/x"
expect_exit 2 "$DZ" testnet --peers 3
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers 0
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers 256
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers x
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers 2 --bogus
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers 2 --port 0
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers 5 --port 65533
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers 2 --capacity lots
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers 2 --timeout 0
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers 2 extra
expect_exit 2 "$DZ" testnet --dir "$T/x" --peers
[ ! -e "$T/x" ] || fail "a usage error created DIR"
ok "usage: --help, bad options, --peers 0 and 256 exit 2"

# ---- helpers ----
tpid=
all_pids=() # every pid a network of this test ever had, to check and clean
stop_left() {
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	for _ in $(seq 100); do
		[ -n "$tpid" ] && kill -0 "$tpid" 2>/dev/null || break
		sleep 0.1
	done
	# only what is still ours: a pid whose command line names this test's
	# directory (pids are reused)
	for p in "${all_pids[@]}"; do
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF "$T/" &&
			kill -9 "$p" 2>/dev/null
	done
	true
}
cleanup_hooks+=('stop_left')

# alive PID: the process exists and is not a zombie
alive() {
	local s
	s=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$s" ] && [ "$s" != Z ]
}

# start_net DIR N [ARGS...]: start testnet in the background, wait (bounded)
# for its ready line; sets tpid, addr. Returns 1 (quietly) if it exited.
start_net() {
	local dir=$1 n=$2 line
	shift 2
	"$DZ" testnet --dir "$dir" --peers "$n" "$@" >"$T/tn.out" 2>"$T/tn.err" &
	tpid=$!
	for _ in $(seq 400); do
		grep -q '^ready ' "$T/tn.out" && break
		kill -0 "$tpid" 2>/dev/null || { wait "$tpid"; tpid=; return 1; }
		sleep 0.1
	done
	line=$(cat "$T/tn.out")
	[[ $line =~ ^ready\ (127\.0\.0\.1:[1-9][0-9]*)$ ]] ||
		{ cat "$T/tn.err" >&2; fail "no single ready line within 40 s: '$line'"; }
	addr=${BASH_REMATCH[1]}
	[ "$(cat "$dir/coordinator.addr")" = "$addr" ] ||
		fail "DIR/coordinator.addr '$(cat "$dir/coordinator.addr")' != ready $addr"
	[ "$(cat "$dir/coordinator/coordinator.addr")" = "$addr" ] ||
		fail "the coordinator's own address file != ready $addr"
	local cpid
	cpid=$(cat "$dir/coordinator/pid") || fail "no coordinator pid file"
	alive "$cpid" || fail "coordinator pid $cpid not alive"
	all_pids+=("$cpid")
	for i in $(seq "$n"); do
		local p
		p=$(cat "$dir/peer-$i/pid") || fail "no pid file for peer $i"
		[[ $p =~ ^[1-9][0-9]*$ ]] || fail "peer $i pid file holds '$p'"
		alive "$p" || fail "peer $i pid $p not alive"
		tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "peer --data $dir/peer-$i " ||
			fail "pid $p is not peer $i: $(tr '\0' ' ' <"/proc/$p/cmdline")"
		all_pids+=("$p")
		# ready means registered: the log already says so
		grep -q "registered with the coordinator $addr " "$dir/peer-$i/log" ||
			fail "ready before peer $i registered: $(cat "$dir/peer-$i/log")"
	done
}

# stop_net SIG: send SIG to testnet, require exit 0 within 15 s
stop_net() {
	kill -"$1" "$tpid"
	for _ in $(seq 150); do
		kill -0 "$tpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$tpid" 2>/dev/null && fail "testnet still running 15 s after SIG$1"
	wait "$tpid"
	local rc=$?
	tpid=
	[ "$rc" -eq 0 ] || { cat "$T/tn.err" >&2; fail "testnet exit $rc after SIG$1"; }
}

# keys DIR N: "coordinator-key peer1-key ..." from the last start in the logs
keys() {
	local k
	k=$(grep -o 'coordinator listening on .* key [0-9a-f]*' "$1/coordinator.log" |
		tail -n 1 | awk '{print $NF}')
	for i in $(seq "$2"); do
		k="$k $(grep -o '^peer listening on .* key [0-9a-f]*' "$1/peer-$i/log" |
			tail -n 1 | awk '{print $NF}')"
	done
	echo "$k"
}

# ---- start, kill a peer, stop ----
start_net "$T/net" 5 || { cat "$T/tn.err" >&2; fail "testnet exited before ready"; }
pids1=$(cat "$T/net/coordinator/pid" "$T/net"/peer-*/pid)
keys1=$(keys "$T/net" 5)
[ "$(wc -w <<<"$keys1")" -eq 6 ] || fail "keys not found in logs: $keys1"
ok "ready $addr after 5 peers registered; address and pid files right"

p3=$(cat "$T/net/peer-3/pid")
kill -9 "$p3"
for _ in $(seq 100); do
	grep -q "peer 3 (pid $p3) exited: killed by signal 9" "$T/tn.err" && break
	sleep 0.1
done
grep -q "peer 3 (pid $p3) exited: killed by signal 9" "$T/tn.err" ||
	{ cat "$T/tn.err" >&2; fail "the SIGKILLed peer was not reported"; }
alive "$p3" && fail "killed peer 3 left a zombie (not reaped)"
sleep 0.5
kill -0 "$tpid" 2>/dev/null || fail "testnet ended when a peer was killed"
for p in $pids1; do
	[ "$p" = "$p3" ] || alive "$p" || fail "pid $p died along with peer 3"
done
[ -e "$T/net/peer-3/pid" ] && fail "dead peer 3 kept its pid file"
ok "peer 3 SIGKILLed: reported, the network keeps running"

stop_net TERM
for p in $pids1; do alive "$p" && fail "pid $p still alive after testnet stopped"; done
for i in $(seq 5); do
	[ -e "$T/net/peer-$i/pid" ] && fail "pid file of peer $i left after stop"
done
grep -q "SIGTERM: stopping" "$T/net/peer-1/log" || fail "peer 1 was not stopped by SIGTERM"
ok "SIGTERM: exit 0, every child stopped"

# ---- restart the same network on fixed ports (retry if a port is taken) ----
started=
for _ in 1 2 3 4 5; do
	base=$((20000 + RANDOM % 40000))
	if start_net "$T/net" 5 --port "$base"; then started=1; break; fi
	grep -q "in use" "$T/tn.err" || { cat "$T/tn.err" >&2; fail "restart failed"; }
done
[ -n "$started" ] || fail "no free port range in 5 tries"
[ "$addr" = "127.0.0.1:$base" ] || fail "--port $base: coordinator at $addr"
for i in $(seq 5); do
	grep "^peer listening on" "$T/net/peer-$i/log" | tail -n 1 |
		grep -q "on 127.0.0.1:$((base + i)) " || fail "peer $i not on port $((base + i))"
done
keys2=$(keys "$T/net" 5)
[ "$keys1" = "$keys2" ] || fail "keys changed across restart: '$keys1' -> '$keys2'"
# (a start that found a port taken may have added one more)
[ "$(grep -c '^--- drizzle testnet: starting peer 2 at ' "$T/net/peer-2/log")" -ge 2 ] ||
	fail "peer 2's log not appended across restart"
pids2=$(cat "$T/net/coordinator/pid" "$T/net"/peer-*/pid)
stop_net INT
for p in $pids2; do alive "$p" && fail "pid $p alive after SIGINT"; done
ok "restart on the same DIR with --port $base: same keys; SIGINT stops it"

# ---- a second testnet on a DIR in use is refused ----
start_net "$T/net" 2 || fail "restart with 2 peers"
expect_exit 1 "$DZ" testnet --dir "$T/net" --peers 2
grep -q "in use" "$T/err" || fail "DIR in use not said: $(cat "$T/err")"
stop_net TERM
ok "one testnet per DIR"

# ---- failures before ready: exit 1, the failing child's log, nothing left ----
mkdir -p "$T/bad/peer-2"
echo garbage >"$T/bad/peer-2/identity.key"
chmod 600 "$T/bad/peer-2/identity.key"
expect_exit 1 timeout 60 "$DZ" testnet --dir "$T/bad" --peers 3
# testnet makes the peers' keys (for its --datacentre-keys) before it
# starts anything: a damaged one stops it there, naming the file
grep -q "peer-2/identity.key" "$T/err" ||
	fail "the failing peer not named: $(cat "$T/err")"
pgrep -f "$T/bad/" >/dev/null && fail "processes of the failed network left running"
[ -e "$T/bad/coordinator/pid" ] && fail "coordinator pid file left"
ok "a peer whose key is damaged: exit 1 naming it, nothing started"

mkdir -p "$T/pinned/peer-1"
printf '%064d\n' 0 >"$T/pinned/peer-1/coordinator.key" # not this coordinator
s=$SECONDS
expect_exit 1 timeout 60 "$DZ" testnet --dir "$T/pinned" --peers 2 --timeout 2
[ $((SECONDS - s)) -le 10 ] || fail "--timeout 2 took $((SECONDS - s)) s"
grep -q "not ready after 2 s: 1 of 2 peers" "$T/err" || fail "timeout message: $(cat "$T/err")"
grep -q "peer 1" "$T/err" || fail "the peer not ready not named"
pgrep -f "$T/pinned/" >/dev/null && fail "processes left after the timeout"
ok "not ready within --timeout: exit 1 naming the peer, everything stopped"
