#!/usr/bin/env bash
# 321: 2 of the peers killed (SIGKILL) while a 64 MiB 4-of-12 put is
# running: the put succeeds; with 14 peers, 12 stay alive, and once the
# dead ones count as lost (--grace) the repair worker brings every
# segment back to 12 healthy holders (--repair-threshold 12: repair as
# soon as one is missing); the file comes back bit-exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repair_lib.sh"

net_start --peers 14 --capacity 256M --heartbeat 1 --peer-timeout 3 \
	--grace "$GRACE" --repair-interval 1 --repair-threshold 12
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup

rand "$T/f" $((64 << 20))
"$DZ" put "$T/f" big $A --k 4 --n 12 --segment-size 2M --threads 2 --quiet \
	2>"$T/put.err" &
put=$!
# the put has started once a segment is committed
for _ in $(seq 300); do
	[ "$(q 'SELECT count(DISTINCT segment) FROM fragments' 2>/dev/null)" -ge 2 ] 2>/dev/null && break
	kill -0 "$put" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$put" 2>/dev/null || { cat "$T/put.err" >&2; fail "the put ended before the kill"; }
kill_peer 3
kill_peer 4
# not vacuous: the dead peers held fragments of the segments stored so far
held=$(find "$NET/peer-3/frags" "$NET/peer-4/frags" -type f 2>/dev/null | wc -l)
segs=$(q 'SELECT count(DISTINCT segment) FROM fragments')
wait "$put" || { cat "$T/put.err" >&2; fail "the put failed after 2 peers were killed"; }
[ "$segs" -lt 32 ] || fail "all 32 segments were stored before the kill"
ok "2 peers killed after $segs of 32 segments: the put succeeded"

[ "$held" -gt 0 ] || fail "the killed peers held no fragment: the test proves nothing"
until_lost 2 20
until_health 12 60
ok "every segment back at 12 healthy holders"
n=$(grep -c "repair: object [0-9a-f]\{8\} segment .* rebuilt and placed" "$NET/coordinator.log")
[ "$n" -ge 1 ] || fail "no repair logged"
ok "$n segment repairs logged"
"$DZ" get big "$T/back" $A --quiet 2>/dev/null && cmp "$T/f" "$T/back" || fail "get after repair"
ok "bit-exact after repair"
net_stop
