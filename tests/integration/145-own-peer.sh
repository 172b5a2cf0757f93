#!/usr/bin/env bash
# 145: the coordinator never places a user's fragments on a peer that user
# runs (`drizzle peer --home` of her profile): with 6 other peers and alice's own
# peer (the emptiest, so first by free space), four 3-of-6 puts by alice
# succeed and leave her peer without a single fragment; a 3-of-12 put by
# alice fails clearly (only 6 peers are eligible, 8 needed); bob's 3-of-7 put uses
# all 7 peers, alice's included.
. "$(dirname "$0")/lib.sh"

own_pid=
cleanup_hooks+=('[ -n "$own_pid" ] && { kill "$own_pid"; wait "$own_pid"; } 2>/dev/null; true')

# nfrags DIR: fragment files stored under DIR/frags
nfrags() { find "$1/frags" -type f 2>/dev/null | wc -l; }

net_start --peers 6 --capacity 16M
for u in alice bob; do
	"$DZ" signup --coordinator "$ADDR" --user "$u" $PW $KDF --home "$T/$u" \
		--quiet >/dev/null || fail "signup $u"
done
A="--home $T/alice $PW"
B="--home $T/bob $PW"

"$DZ" peer --home "$T/alice" $PW --data "$T/own" --listen "127.0.0.1:$((PORT + 50))" \
	--capacity 16M >"$T/own.out" 2>"$T/own.err" &
own_pid=$!
for _ in $(seq 100); do
	grep -q 'registered' "$T/own.err" && break
	kill -0 "$own_pid" 2>/dev/null || { cat "$T/own.err" >&2; fail "alice's peer died"; }
	sleep 0.1
done
grep -q 'registered' "$T/own.err" || { cat "$T/own.err" >&2; fail "alice's peer not registered in 10 s"; }
ok "6 peers, alice and bob signed up, alice's own peer registered"

expect_exit 2 "$DZ" peer --data "$T/bad" --coordinator "$ADDR" --owner alice
[ ! -e "$T/bad" ] || fail "a refused --owner created the data directory"
ok "--owner (an unchecked claim) is gone: exit 2"

for i in 1 2 3 4; do
	rand "$T/f$i" 2000000
	"$DZ" put "$T/f$i" "f$i" $A --k 3 --n 6 --segment-size 512K --quiet ||
		fail "alice's put $i"
done
[ "$(nfrags "$T/own")" = 0 ] || fail "alice's peer holds $(nfrags "$T/own") of her fragments"
"$DZ" get f4 "$T/back4" $A --quiet && cmp "$T/f4" "$T/back4" || fail "get f4"
ok "alice put 4 files 3-of-6: none of their fragments on her own peer"

# 3-of-12 needs 3 + ceil(9/2) = 8 fragments stored: more than 6 peers
expect_exit 1 "$DZ" put "$T/f1" g1 $A --k 3 --n 12 --segment-size 512K --quiet
grep -q 'peers' "$T/err" || { cat "$T/err" >&2; fail "unclear refusal"; }
grep -q 'only 6 peers' "$T/err" || { cat "$T/err" >&2; fail "refusal does not say 6 peers"; }
ok "alice's 3-of-12 put refused: $(head -1 "$T/err")"

"$DZ" put "$T/f1" b1 $B --k 3 --n 7 --segment-size 512K --quiet || fail "bob's put"
n=$(nfrags "$T/own")
[ "$n" -ge 4 ] || fail "alice's peer holds $n of bob's fragments, expected one per segment"
"$DZ" get b1 "$T/backb" $B --quiet && cmp "$T/f1" "$T/backb" || fail "get b1"
ok "bob's 3-of-7 put uses alice's peer too ($n fragments there)"

kill "$own_pid"
wait "$own_pid" || fail "alice's peer exit $?"
own_pid=
net_stop
