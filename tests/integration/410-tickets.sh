#!/usr/bin/env bash
# 410: a peer stores a fragment only with a placement ticket its
# coordinator signed for it, that name and that size, not expired
# (issue 15, point 1; docs/trading.md, "Tickets"). Played by a raw client
# with a throwaway key (tests/tools/dzticket) against every real peer of
# a test network:
#  - the old attack (a throwaway key with no account filled all 6 peers
#    of a test network): a FRAG_PUT without a ticket, or with one the
#    attacker signed itself, is refused with DZ_EDENIED on every peer, and
#    no peer holds the fragment;
#  - tickets signed with the coordinator's own key (as it signs them for
#    placements) but not good for this put: for another peer, another
#    name, another size, expired ten minutes ago, or altered after
#    signing: each refused, the fragment not held; a good one (the
#    control) stores.
# And the honest path still works: a put and a get through the network
# (PLACE hands out the tickets, FRAG_PUT carries them), and a second put
# of the same file is not refused.
. "$(dirname "$0")/lib.sh"

TOOL=${DZTICKET:-$(dirname "$DZ")/tests/tools/dzticket}
[ -x "$TOOL" ] || fail "no $TOOL (make tests builds it)"
NPEERS=4
DENIED=-22 # DZ_EDENIED, src/core/err.h

net_start --peers $NPEERS --capacity 16M

# refused CASE FILE: CASE was refused with DZ_EDENIED and a clear message
refused() {
	grep -q "^$1 refused $DENIED .*ticket" "$2" ||
		fail "$1 not refused as DZ_EDENIED: $(grep "^$1 " "$2")"
}

for i in $(seq $NPEERS); do
	"$TOOL" "$NET/peer-$i" "127.0.0.1:$((PORT + i))" >"$T/throwaway-$i" 2>&1 ||
		fail "dzticket on peer $i: $(cat "$T/throwaway-$i")"
	refused none "$T/throwaway-$i"
	refused forged "$T/throwaway-$i"
	grep -qx "held 0" "$T/throwaway-$i" || fail "peer $i holds the fragment: $(cat "$T/throwaway-$i")"
done
grep -q "^none refused .*no placement ticket" "$T/throwaway-1" || fail "no reason: $(cat "$T/throwaway-1")"
grep -q "^forged refused .*not signed by this peer's coordinator" "$T/throwaway-1" ||
	fail "no reason: $(cat "$T/throwaway-1")"
ok "a throwaway key stores nothing on any of $NPEERS peers (no ticket, or its own)"

"$TOOL" "$NET/peer-1" "127.0.0.1:$((PORT + 1))" "$NET/coordinator" >"$T/coordkey" 2>&1 ||
	fail "dzticket: $(cat "$T/coordkey")"
for c in otherpeer othername othersize expired tampered; do
	refused $c "$T/coordkey"
done
grep -q "^otherpeer refused .*for another peer" "$T/coordkey" || fail "$(cat "$T/coordkey")"
grep -q "^othername refused .*another fragment name" "$T/coordkey" || fail "$(cat "$T/coordkey")"
grep -q "^othersize refused .*bytes, the fragment has" "$T/coordkey" || fail "$(cat "$T/coordkey")"
grep -q "^expired refused .*expired .* clock skew" "$T/coordkey" || fail "$(cat "$T/coordkey")"
[ "$(grep -c '^held ' "$T/coordkey")" = 2 ] || fail "$(cat "$T/coordkey")"
sed -n '/^held /{p;q}' "$T/coordkey" | grep -qx "held 0" || fail "held before the valid ticket: $(cat "$T/coordkey")"
ok "coordinator-signed tickets for another peer, name or size, expired or altered: refused"
grep -q "^valid stored" "$T/coordkey" || fail "a good ticket does not store: $(cat "$T/coordkey")"
tail -n 1 "$T/coordkey" | grep -qx "held 1" || fail "not held after the good ticket: $(cat "$T/coordkey")"
ok "the same fragment with a good ticket is stored"

"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet || fail signup
A="--home $T/a $PW"
rand "$T/f" 3000000
"$DZ" put "$T/f" f $A --k 2 --n 4 --segment-size 1M --quiet || fail "put: $(cat "$T/err" 2>/dev/null)"
"$DZ" get f "$T/back" $A --quiet || fail get
cmp -s "$T/f" "$T/back" || fail "the file came back different"
"$DZ" put "$T/f" g $A --k 2 --n 4 --segment-size 1M --quiet || fail "second put"
ok "put and get through the network carry their tickets"
net_stop
