#!/usr/bin/env bash
# 441: earned space follows availability. A peer run by alice (--home)
# offering 4 MiB proves its space with placeholders and earns it while it
# stays online; killed without a goodbye (SIGKILL), it is offline after
# the peer timeout and its availability over the window falls, and with
# it alice's earned space and quota, to nothing once it is below the
# minimum availability; the quota refusal then says how much more disk or
# uptime would make room. Placeholders here are small and quick to make:
# this tests the accounting, not the cost of regenerating (bench/placeholder.sh).
. "$(dirname "$0")/lib.sh"

net_start --peers 3 --capacity 64M --base-quota 64K --k 2 --n 3 \
	--peer-timeout 3 --audit-interval 1 --availability-window 60 \
	--min-availability 0.5 --placeholder-block 64K --placeholder-rounds 2 \
	--placeholder-deadline 3000 --placeholder-checks 2
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
peer_pid=
cleanup_hooks+=('[ -n "$peer_pid" ] && { kill -9 "$peer_pid"; wait "$peer_pid"; } 2>/dev/null; true')
"$DZ" peer --data "$T/a/peer" --coordinator "$ADDR" --capacity 4M --heartbeat 1 \
	--home "$T/a" $PW >"$T/peer.out" 2>"$T/peer.err" &
peer_pid=$!

j() {
	"$DZ" status $A --json >"$T/st.json" 2>"$T/st.err" || return 1
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["this_peer"]
e=sys.argv[2]
print(eval(e))' "$T/st.json" "$1"
}
earned() { j 'd["earned"]'; }
full() { [ "$(j 'd["this_peer"]["capacity_proven"] if d["this_peer"] and "capacity_proven" in d["this_peer"] else 0')" -eq $((4 << 20)) ]; }
wait_until() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.3; done
}
wait_until 40 full || { cat "$T/st.json" "$T/peer.err" >&2; fail "the peer never proved its 4 MiB"; }
e1=$(earned)
[ "$e1" -gt $((3 << 20)) ] && [ "$(j 'd["quota"]')" -eq $((e1 + 65536)) ] ||
	fail "online peer: earned $e1, quota $(j 'd["quota"]')"
a1=$(j 'p["availability"]')
ok "a peer online all along proves its 4 MiB offer and earns $e1 (availability $a1)"

kill -9 "$peer_pid"; wait "$peer_pid" 2>/dev/null; peer_pid=
offline() { [ "$(j 'p["online"]')" = False ]; }
wait_until 10 offline || fail "the killed peer still online: $(cat "$T/st.json")"
ok "killed without a goodbye, it is offline within the timeout"
falls() { [ "$(earned)" -lt "$e1" ]; }
wait_until 20 falls || fail "earned stays $(earned) after the peer went away"
zero() { [ "$(earned)" -eq 0 ]; }
wait_until 60 zero || fail "earned $(earned) with availability $(j 'p["availability"]') below 0.5"
ok "its availability falls, earned falls to 0 below the minimum: $(j 'p["availability"]')"

rand "$T/f" 200000
expect_exit 1 "$DZ" put "$T/f" f $A --k 2 --n 3 --quiet
grep -q "over quota" "$T/err" && grep -Eq "keep your peers online [0-9]+% of the time|more disk" "$T/err" ||
	fail "refusal: $(cat "$T/err")"
ok "a put is refused with what would make room: $(sed 's/.*to make room//' "$T/err" | head -c 150)"
