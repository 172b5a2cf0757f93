#!/usr/bin/env bash
# 300: audits and reputation, played with real processes (audit every
# 1 s, 3 passed audits to be trusted): an honest peer passes its audits
# and becomes trusted; bit rot (bytes flipped in every fragment file on a
# peer's disk) fails audits as "wrong data"; a peer that deletes what it
# stores but keeps sending heartbeats fails them as "missing"; both are
# suspended, each peer's own log says why ("audit failed: fragment
# <hex16>: <reason>"), their owners see the record and the reason in
# `drizzle status`, and placement no longer uses them.
. "$(dirname "$0")/lib.sh"

pids=()
cleanup_hooks+=('for p in ${pids[@]+"${pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null; true')
nfrags() { find "$1/frags" -type f 2>/dev/null | wc -l; }

# own_peer NAME OWNER OFFSET: a peer run by OWNER (`--home` of OWNER's
# profile), heartbeat every second
own_peer() {
	"$DZ" peer --home "$T/$2" $PW --data "$T/$1" --listen "127.0.0.1:$((PORT + $3))" \
		--capacity 16M --heartbeat 1 >"$T/$1.out" 2>"$T/$1.err" &
	pids+=($!)
	wait_for "$T/$1.err" registered 10 "${pids[-1]}"
}

# wait_until SECONDS CMD...: until CMD succeeds
wait_until() {
	local s=$1; shift
	for _ in $(seq $((s * 10))); do "$@" && return 0; sleep 0.1; done
	return 1
}

net_start --peers 6 --capacity 16M --audit-interval 1 --vetting-audits 3
for u in alice bob carol; do
	"$DZ" signup --coordinator "$ADDR" --user "$u" $PW $KDF --home "$T/$u" \
		--quiet >/dev/null || fail "signup $u"
done
own_peer honest alice 50
own_peer rot alice 51
own_peer del bob 52
C="--home $T/carol $PW"
A="--home $T/alice $PW"
for i in 1 2 3; do
	rand "$T/f$i" 1000000
	"$DZ" put "$T/f$i" "f$i" $C --k 3 --n 9 --segment-size 256K --quiet || fail "put f$i"
done
# alice's two peers are one owner: one fragment of each segment between
# them (8 owners for 9 fragments: 8 stored, enough for 3-of-9)
for p in honest rot del; do
	[ "$(nfrags "$T/$p")" -ge 1 ] || fail "$p holds $(nfrags "$T/$p") fragments"
done
[ "$(nfrags "$T/del")" -ge 10 ] || fail "del holds $(nfrags "$T/del") fragments"
[ $(( $(nfrags "$T/honest") + $(nfrags "$T/rot") )) -ge 10 ] ||
	fail "alice's peers hold $(nfrags "$T/honest") + $(nfrags "$T/rot") fragments"
ok "9 peers (3 run by alice and bob), carol put 3 files 3-of-9 on all 8 owners"

status() { "$DZ" status --home "$T/$1" $PW >"$T/st-$1" 2>&1; }
trusted() { status alice && grep -q "trusted, online" "$T/st-alice"; }
wait_until 30 trusted || { cat "$T/st-alice" >&2; fail "alice's peers never trusted"; }
grep -q "your peers   2" "$T/st-alice" || { cat "$T/st-alice" >&2; fail "status lists $(grep 'your peers' "$T/st-alice")"; }
grep -Eq "audits [3-9][0-9]* passed, 0 failed" "$T/st-alice" ||
	{ cat "$T/st-alice" >&2; fail "no passed audits in status"; }
grep -q "audit failed" "$T/honest.err" && fail "the honest peer failed an audit"
ok "honest peers pass their audits and become trusted; status shows it"

# bit rot: a byte flipped in the middle of every fragment file
find "$T/rot/frags" -type f | while read -r f; do
	sz=$(stat -c %s "$f")
	printf '\xff' | dd of="$f" bs=1 seek=$((sz / 2)) conv=notrunc status=none
	printf '\x00' | dd of="$f" bs=1 seek=$((sz / 3)) conv=notrunc status=none
done
# a liar that deletes everything and keeps answering heartbeats
find "$T/del/frags" -type f -delete
n_rot=$(nfrags "$T/rot"); n_del=$(nfrags "$T/del")

wait_for "$T/rot.err" "audit failed: fragment " 30 "${pids[1]}"
grep -Eq "audit failed: fragment [0-9a-f]{16}: wrong data$" "$T/rot.err" ||
	{ cat "$T/rot.err" >&2; fail "the rotten peer's log does not say wrong data"; }
wait_for "$T/del.err" "audit failed: fragment " 30 "${pids[2]}"
grep -Eq "audit failed: fragment [0-9a-f]{16}: missing$" "$T/del.err" ||
	{ cat "$T/del.err" >&2; fail "the emptied peer's log does not say missing"; }
ok "each peer's log says which fragment failed and why"

suspended() { [ "$(grep -Ec "peer [0-9a-f]{16} suspended" "$NET/coordinator.log")" -ge 2 ]; }
wait_until 30 suspended || { tail -20 "$NET/coordinator.log" >&2; fail "not suspended"; }
wait_for "$T/rot.err" "rate this peer suspended" 20 "${pids[1]}"
wait_for "$T/del.err" "rate this peer suspended" 20 "${pids[2]}"
status alice || fail "alice's status"
grep -Eq "(suspended|disqualified), online" "$T/st-alice" &&
	grep -q "trusted, online" "$T/st-alice" &&
	grep -Eq "wrong data [1-9]" "$T/st-alice" &&
	grep -Eq "(suspended|disqualified) because [0-9]+ of its last 20 audits failed" "$T/st-alice" ||
	{ cat "$T/st-alice" >&2; fail "alice's status does not show the rotten peer's record"; }
status bob || fail "bob's status"
grep -Eq "missing [1-9]" "$T/st-bob" && grep -q "last failure: fragment" "$T/st-bob" &&
	grep -Eq "(suspended|disqualified), online" "$T/st-bob" ||
	{ cat "$T/st-bob" >&2; fail "bob's status does not show his peer's record"; }
ok "both suspended; the coordinator, the peers and their owners' status say why"

"$DZ" put "$T/f1" g1 $C --k 3 --n 7 --segment-size 256K --quiet || fail "put on the 7 good peers"
[ "$(nfrags "$T/rot")" -le "$n_rot" ] && [ "$(nfrags "$T/del")" -le "$n_del" ] ||
	fail "a suspended peer got new fragments"
# a put succeeds short of n (k + ceil((n-k)/2) stored) and leaves the
# rest to repair: 3-of-8 goes on the 7 good peers only; 3-of-12 needs 8
"$DZ" put "$T/f2" g2 $C --k 3 --n 8 --segment-size 256K --quiet || fail "3-of-8 on 7 good peers"
[ "$(nfrags "$T/rot")" -le "$n_rot" ] && [ "$(nfrags "$T/del")" -le "$n_del" ] ||
	fail "a suspended peer got new fragments (3-of-8)"
expect_exit 1 "$DZ" put "$T/f2" g3 $C --k 3 --n 12 --segment-size 256K --quiet
grep -q "only 7 " "$T/err" || { cat "$T/err" >&2; fail "unclear refusal"; }
"$DZ" get g1 "$T/back" $C --quiet && cmp "$T/f1" "$T/back" || fail "get g1"
ok "placement skips suspended peers: 3-of-7 and 3-of-8 go on the 7 good ones, 3-of-12 is refused"

# vetting: three new peers, emptier than everyone, share one fragment of
# each segment while 7 trusted peers have room (unlimited, the three
# would take one fragment of every segment each)
own_peer new1 carol 53
own_peer new2 carol 54
own_peer new3 carol 55
rand "$T/v" 1000000
"$DZ" put "$T/v" v $A --k 3 --n 6 --segment-size 256K --quiet 2>"$T/err" ||
	{ cat "$T/err" >&2; fail "put with vetting peers"; }
nv=$(( $(nfrags "$T/new1") + $(nfrags "$T/new2") + $(nfrags "$T/new3") ))
[ "$nv" -ge 1 ] && [ "$nv" -le 5 ] || fail "vetting peers got $nv fragments of a 4-segment put"
"$DZ" get v "$T/vback" $A --quiet && cmp "$T/v" "$T/vback" || fail "get v"
ok "vetting peers get one fragment of each segment between them ($nv)"

# a peer that stops answering (SIGSTOP) but is still counted online: its
# audits time out; once it runs again its log says so
p6=$(cat "$NET/peer-6/pid")
kill -STOP "$p6"
timed_out() { grep -Eq "audit failed: peer [0-9a-f]{16} fragment [0-9a-f]{16}: timeout" "$NET/coordinator.log"; }
wait_until 20 timed_out || { kill -CONT "$p6"; fail "no audit timed out"; }
kill -CONT "$p6"
wait_for "$NET/peer-6/log" "audit failed: fragment " 20 "$p6"
grep -Eq "audit failed: fragment [0-9a-f]{16}: timeout$" "$NET/peer-6/log" ||
	{ cat "$NET/peer-6/log" >&2; fail "the stopped peer's log does not say timeout"; }
ok "a peer that does not answer fails with 'timeout', and learns it when back"
