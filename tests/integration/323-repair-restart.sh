#!/usr/bin/env bash
# 323: repair interrupted: the coordinator is killed (SIGKILL) in the
# middle of the repairs (one segment per tick, --repair-batch 1), started
# again on the same data directory, and the repair finishes: every
# segment back at 6 healthy holders of 3-of-6 (4 segments a tick after
# the restart), the file bit-exact.
# Canary: after the repairs, neither the coordinator's logs nor its data
# directory (the repairer's disk) hold the file's plaintext marker, its
# name or the password.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repair_lib.sh"

c2=
cleanup_hooks+=('[ -n "$c2" ] && { kill "$c2"; wait "$c2"; } 2>/dev/null; true')
OPTS=(--peer-timeout 3 --grace "$GRACE" --repair-interval 1 --repair-batch 1
	--repair-threshold 6 --k 3 --n 6)
net_start --peers 9 --capacity 64M --heartbeat 1 "${OPTS[@]}"
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
MARK=quokkacanary5
{ for _ in $(seq 20000); do printf '%s-plain-line\n' "$MARK"; done
  head -c 2M /dev/urandom; } >"$T/$MARK.txt"
"$DZ" put "$T/$MARK.txt" "docs/$MARK.txt" $A --segment-size 128K --quiet || fail put
nseg=$(q 'SELECT count(DISTINCT segment) FROM fragments')
ok "put $nseg segments, 3-of-6, on 9 peers"

kill_peer 1
kill_peer 2
until_lost 2 20
wait_for "$NET/coordinator.log" "rebuilt and placed" 60 "$net_pid"
cpid=$(cat "$NET/coordinator/pid") || fail "no coordinator pid"
kill -9 "$cpid" || fail "kill the coordinator"
# gone (its port free) once testnet has reaped it and removed its pid
# file: a restart before that can find the port still taken
for _ in $(seq 100); do [ -e "$NET/coordinator/pid" ] || break; sleep 0.1; done
[ -e "$NET/coordinator/pid" ] && fail "the coordinator (pid $cpid) was not reaped in 10 s"
done1=$(grep -c "rebuilt and placed" "$NET/coordinator.log")
h=$(health)
[ "$h" -lt 6 ] || fail "all repaired before the coordinator was killed"
ok "coordinator killed after $done1 repairs, health $h"

# testnet's peers are operator peers: the coordinator needs their list;
# restarted with 4 segments a tick (the interruption is the point, not
# the pace after it)
"$DZ" coordinator --data "$NET/coordinator" --listen "$ADDR" "${OPTS[@]}" \
	--repair-batch 4 --datacentre-keys "$NET/datacentre.keys" \
	>"$T/c2.out" 2>"$T/c2.err" &
c2=$!
wait_for "$T/c2.out" "listening" 10 "$c2"
until_health 6 90
"$DZ" get "docs/$MARK.txt" "$T/back" $A --quiet 2>/dev/null && cmp "$T/$MARK.txt" "$T/back" ||
	fail "get after the interrupted repair"
ok "restarted on the same data: repair finished ($(grep -c "rebuilt and placed" "$T/c2.err") more), bit-exact"

pw=$(cat "$T/pw")
for f in "$NET/coordinator.log" "$T/c2.err" "$NET"/coordinator/*; do
	grep -aqF -e "$MARK" -e "$pw" "$f" && fail "$f holds the marker, the file name or the password"
done
ok "canary: no plaintext, file name or password in the repairer's logs or data"
# the peers first, while their coordinator still answers PEER_LEAVE
net_stop
kill "$c2"; wait "$c2" || fail "coordinator exit $?"
c2=
