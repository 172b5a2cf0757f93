#!/usr/bin/env bash
# 325: peers that lose data while they stay online. One peer's disk rots
# (bytes flipped in every fragment file), another deletes everything it
# stores but keeps sending heartbeats. Audits find both, suspend them,
# and repair rebuilds their fragments on other peers: the segments are
# back at n healthy holders without the suspended two (in the coordinator's
# records and in the owner's `ls --json`), new fragment files appear on the
# good peers, every file comes back bit-exact, and it still does once the
# two bad peers are stopped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repair_lib.sh"

# 9 peers, 3-of-6: after the two bad ones, 7 good peers are left for 6
net_start --peers 9 --capacity 64M --heartbeat 1 --peer-timeout 3 --grace "$GRACE" \
	--audit-interval 1 --vetting-audits 1 --repair-interval 1 --repair-threshold 6 \
	--k 3 --n 6
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet || fail signup
for i in 1 2 3; do
	rand "$T/f$i" $((i * 300000))
	"$DZ" put "$T/f$i" "f$i" $A --segment-size 128K --quiet || fail "put f$i"
done
nfrags() { find "$NET/peer-$1/frags" -type f 2>/dev/null | wc -l; }
held_on() { q "SELECT count(*) FROM locations l JOIN peers p ON p.id = l.peer
	WHERE p.addr = '127.0.0.1:$((PORT + $1))'"; }
# the two peers holding most, so that losing them matters
read -r rot del < <(for i in $(seq 1 9); do echo "$(held_on "$i") $i"; done |
	sort -rn | head -2 | awk '{ printf "%s ", $2 } END { print "" }')
n_rot=$(held_on "$rot"); n_del=$(held_on "$del")
[ "$n_rot" -gt 0 ] && [ "$n_del" -gt 0 ] || fail "peers $rot and $del hold nothing"
good_before=0
for i in $(seq 1 9); do
	[ "$i" = "$rot" ] || [ "$i" = "$del" ] || good_before=$((good_before + $(nfrags "$i")))
done
[ "$(health)" = 6 ] || fail "health $(health) after the puts"
ok "3 files 3-of-6 on 9 peers; peer $rot ($n_rot fragments) will rot, peer $del ($n_del) will delete"

find "$NET/peer-$rot/frags" -type f | while read -r f; do
	sz=$(stat -c %s "$f")
	printf '\xff\x00' | dd of="$f" bs=1 seek=$((sz / 2)) conv=notrunc status=none
done
find "$NET/peer-$del/frags" -type f -delete

suspended() {
	local n=0 i
	for i in "$rot" "$del"; do
		[ "$(q "SELECT state FROM peers WHERE addr = '127.0.0.1:$((PORT + i))'")" -ge 2 ] &&
			n=$((n + 1))
	done
	[ "$n" = 2 ]
}
for _ in $(seq 300); do suspended && break; sleep 0.1; done
suspended || { tail -20 "$NET/coordinator.log" >&2; fail "the two bad peers were not suspended"; }
ok "audits suspended both (reasons in the log: $(grep -c 'audit failed' "$NET/coordinator.log") failures)"

until_health 6 60
for _ in $(seq 100); do
	"$DZ" ls --json $A >"$T/ls.json" 2>"$T/ls.err" &&
		[ "$(grep -o '"health": [0-9]*' "$T/ls.json" | grep -c '"health": 6$')" = 3 ] && break
	sleep 0.2
done
[ "$(grep -o '"health": [0-9]*' "$T/ls.json" | grep -c '"health": 6$')" = 3 ] ||
	{ cat "$T/ls.json" "$T/ls.err" >&2; fail "ls --json does not show every file back at 6"; }
good_after=0
for i in $(seq 1 9); do
	[ "$i" = "$rot" ] || [ "$i" = "$del" ] || good_after=$((good_after + $(nfrags "$i")))
done
[ $((good_after - good_before)) -ge $((n_rot + n_del)) ] ||
	fail "only $((good_after - good_before)) new fragment files on the good peers for $((n_rot + n_del)) lost"
grep -q "rebuilt and placed" "$NET/coordinator.log" || fail "the coordinator logged no repair"
ok "repair rebuilt $((good_after - good_before)) fragments on the good peers; health 6 in the db and in ls --json"

kill "$(cat "$NET/peer-$rot/pid")" "$(cat "$NET/peer-$del/pid")"
for i in 1 2 3; do
	"$DZ" get "f$i" "$T/back$i" $A --quiet && cmp "$T/f$i" "$T/back$i" || fail "get f$i"
done
ok "every file bit-exact without the two bad peers"
net_stop
