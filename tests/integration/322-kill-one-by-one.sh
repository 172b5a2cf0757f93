#!/usr/bin/env bash
# 322: 20 peers, several 4-of-10 files; peers are killed one at a time,
# each kill waited out until repair has brought every segment back to 10
# healthy holders, until 7 peers (more than n - k = 6) are gone: every
# file still comes back bit-exact, which without repair it could not.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repair_lib.sh"

net_start --peers 20 --capacity 128M --heartbeat 1 --peer-timeout 3 \
	--grace "$GRACE" --repair-interval 1 --repair-threshold 10 --k 4 --n 10
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
for i in 1 2 3 4; do
	rand "$T/f$i" $((i * 700000))
	"$DZ" put "$T/f$i" "f$i" $A --segment-size 512K --quiet || fail "put f$i"
done
[ "$(health)" = 10 ] || fail "health $(health) after the puts"
ok "4 files, 4-of-10, on 20 peers"

total=0
for i in 1 2 3 4 5 6 7; do
	held=$(q "SELECT count(*) FROM locations l JOIN peers p ON p.id = l.peer
		WHERE p.addr = '127.0.0.1:$((PORT + i))'")
	total=$((total + held))
	kill_peer "$i"
	until_lost "$i" 20
	until_health 10 30
	ok "peer $i killed ($held fragment(s) there, $i lost in all): health back at 10"
done
[ "$total" -gt 0 ] || fail "the peers killed held nothing"
for i in 1 2 3 4; do
	"$DZ" get "f$i" "$T/back$i" $A --quiet 2>/dev/null && cmp "$T/f$i" "$T/back$i" ||
		fail "get f$i after 7 peers lost"
done
ok "7 peers lost (more than n - k): every file bit-exact"
net_stop
