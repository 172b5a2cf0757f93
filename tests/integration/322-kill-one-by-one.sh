#!/usr/bin/env bash
# 322: 20 peers, several 4-of-10 files; peers are killed one at a time,
# each kill waited out until repair has brought every segment back to 10
# healthy holders, until 7 peers (more than n - k = 6) are gone: every
# file still comes back bit-exact, which without repair it could not.
# After each repair the owner's own view agrees: `ls --json` shows every
# file at health 10 again.
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

# ls_health_all N: `ls --json` lists the 4 files, every one at health N
# (the client's view, from OBJ_HEALTH, not the database)
ls_health_all() {
	"$DZ" ls --json $A >"$T/ls.json" 2>"$T/ls.err" || { cat "$T/ls.err" >&2; return 1; }
	[ "$(grep -o '"health": [0-9]*' "$T/ls.json" | grep -c "\"health\": $1\$")" = 4 ]
}
# until_ls_health N SECONDS
until_ls_health() {
	for _ in $(seq $(($2 * 5))); do ls_health_all "$1" && return 0; sleep 0.2; done
	cat "$T/ls.json" >&2
	fail "ls --json does not show every file at health $1 after $2 s"
}
until_ls_health 10 10
ok "4 files, 4-of-10, on 20 peers"

total=0
for i in 1 2 3 4 5 6 7; do
	held=$(q "SELECT count(*) FROM locations l JOIN peers p ON p.id = l.peer
		WHERE p.addr = '127.0.0.1:$((PORT + i))'")
	total=$((total + held))
	kill_peer "$i"
	until_lost "$i" 20
	until_health 10 30
	until_ls_health 10 10
	ok "peer $i killed ($held fragment(s) there, $i lost in all): health back at 10 (ls --json too)"
done
[ "$total" -gt 0 ] || fail "the peers killed held nothing"
for i in 1 2 3 4; do
	"$DZ" get "f$i" "$T/back$i" $A --quiet 2>/dev/null && cmp "$T/f$i" "$T/back$i" ||
		fail "get f$i after 7 peers lost"
done
ok "7 peers lost (more than n - k): every file bit-exact"
net_stop
