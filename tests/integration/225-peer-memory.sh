#!/usr/bin/env bash
# 225: a peer's memory is bounded per connection (issue 13, point 6). The
# attack: one connection pipelines 2,000 FRAG_GETs of a 256 KiB fragment
# and never reads (tests/tools/dzflood --getpipe). Before the bound this
# took a peer from 18 MB to 528 MB resident; now its resident memory
# stays under PEER_RSS_MAX_KB (docs/net.md, "Memory per connection"), and
# the same peer keeps serving another client meanwhile: a get that needs
# it (the only other holders are 3 of 4, k = 4) succeeds in bounded time.
. "$(dirname "$0")/lib.sh"

FLOOD=${DZFLOOD:-$(dirname "$DZ")/tests/tools/dzflood}
[ -x "$FLOOD" ] || fail "no $FLOOD (make tests builds it)"
# 64 MiB: the peer's own baseline (~20 MB) plus its per-connection reply
# budget (8 MiB) and allocator slack, far below 2,000 replies (500 MiB)
PEER_RSS_MAX_KB=$((64 * 1024))
now_ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

flood_pid=
cleanup_hooks+=('[ -n "$flood_pid" ] && { kill "$flood_pid"; wait "$flood_pid"; } 2>/dev/null; true')

net_start --peers 5 --capacity 64M
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet >/dev/null ||
	fail signup
# one 1 MiB segment, 4-of-5: five fragments of 256 KiB (+ header), one a peer
rand "$T/f" 1048576
"$DZ" put "$T/f" f $A --k 4 --n 5 --segment-size 1M --quiet || fail put
frag=$(find "$NET/peer-1/frags" -type f | head -1)
[ -n "$frag" ] || fail "peer 1 holds no fragment"
size=$(stat -c %s "$frag")
[ "$size" -ge 262144 ] && [ "$size" -lt 266240 ] || fail "fragment of $size bytes, not 256 KiB"
name=$(basename "$frag")
paddr=$(cat "$NET/peer-1/peer.addr")
ppid_=$(cat "$NET/peer-1/pid")
base=$(rss_kb "$ppid_")
ok "a 256 KiB fragment on peer 1 ($paddr, pid $ppid_, $base KiB resident)"

"$FLOOD" "$paddr" --getpipe "$name" --count 2000 --for 90 >"$T/flood.out" 2>"$T/flood.err" &
flood_pid=$!
for _ in $(seq 100); do
	grep -q '^sent ' "$T/flood.out" && break
	kill -0 "$flood_pid" 2>/dev/null || { cat "$T/flood.err" >&2; fail "flooder died"; }
	sleep 0.1
done
grep -q '^sent 2000' "$T/flood.out" || { cat "$T/flood.err" >&2; fail "the 2,000 FRAG_GETs did not go out"; }

# the peer serves someone else meanwhile: peer 5 gone, a get needs peer 1
kill "$(cat "$NET/peer-5/pid")" || fail "kill peer 5"
t0=$(now_ms)
timeout 60 "$DZ" get f "$T/back" $A --quiet || fail "get while peer 1 is flooded"
cmp "$T/f" "$T/back" || fail "wrong data back"
el=$(( $(now_ms) - t0 ))
ok "get through the flooded peer in $el ms"

# resident memory, sampled for 3 s while the attack holds
max=0
end=$(( $(now_ms) + 3000 ))
while [ "$(now_ms)" -lt "$end" ]; do
	r=$(rss_kb "$ppid_")
	[ "$r" -gt "$max" ] && max=$r
	sleep 0.1
done
kill -0 "$ppid_" 2>/dev/null || fail "peer 1 died"
echo "peer 1 resident: $base KiB before, at most $max KiB under the attack"
[ "$max" -lt "$PEER_RSS_MAX_KB" ] || fail "peer 1 grew to $max KiB (bound $PEER_RSS_MAX_KB KiB)"
ok "peer 1 under $PEER_RSS_MAX_KB KiB with 2,000 FRAG_GETs unread"

kill "$flood_pid"; wait "$flood_pid" 2>/dev/null; flood_pid=
ok "flooder stopped"
