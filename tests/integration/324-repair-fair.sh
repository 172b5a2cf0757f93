#!/usr/bin/env bash
# 324: a segment that cannot be repaired does not hold up one that can.
# One repair per tick (--repair-batch 1); file X (6-of-12, the most urgent:
# 4 healthy beyond k) and file Y (4-of-12, 6 beyond k) each have 10 of 12
# fragments per segment; the only peers that join are too small for X's
# fragments but take Y's. X's segments fail, wait (longer after each
# failure), and Y is repaired to 12 holders meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repair_lib.sh"

net_start --peers 10 --capacity 64M --heartbeat 1 --peer-timeout 3 \
	--grace "$GRACE" --repair-interval 1 --repair-batch 1 --repair-threshold 12
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
rand "$T/x" 3000000
rand "$T/y" 1000
"$DZ" put "$T/x" x $A --k 6 --n 12 --segment-size 1M --quiet || fail "put x"
"$DZ" put "$T/y" y $A --k 4 --n 12 --quiet || fail "put y"
extra_peer s1 100K
extra_peer s2 100K
# Y's one segment: indexes with a holder
yheld() {
	q "SELECT count(DISTINCT f.idx) FROM fragments f JOIN objects o
	   ON o.account = f.account AND o.object = f.object AND o.k = 4
	   JOIN locations l ON l.account = f.account AND l.name = f.name"
}
for _ in $(seq 150); do [ "$(yheld)" = 12 ] && break; sleep 0.2; done
[ "$(yheld)" = 12 ] || { tail "$NET/coordinator.log" >&2; fail "Y not repaired in 30 s: $(yheld) held"; }
grep -q "not repaired now: no online peer with room" "$NET/coordinator.log" ||
	fail "X's segments were not tried"
ok "X cannot be repaired, Y was: 12 holders"
"$DZ" get y "$T/back" $A --quiet 2>/dev/null && cmp "$T/y" "$T/back" || fail "get y"
ok "y bit-exact"
net_stop
