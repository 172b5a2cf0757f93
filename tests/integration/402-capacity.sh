#!/usr/bin/env bash
# 402: a peer never stores more than it offers, and a capacity changed
# through `drizzle config` holds at once (issue 15, point 3). A peer of
# 1 MiB takes 16 FRAG_PUTs of distinct 128 KiB fragments sent at the
# same moment by 16 clients (tests/tools/dzrate): at most 8 are stored
# (the store charges each under one lock), the others are refused as
# "peer full", and its fragment files hold at most 1 MiB. Raised to 2M
# on the running peer, the coordinator is told at once (its database
# has 2 MiB within 3 s, though the peer's heartbeat is every 30 s) and
# puts are taken again; lowered to 512K, below what it holds, new puts
# are refused, nothing is deleted (every stored fragment is still
# served) and the coordinator is told 512 KiB.
. "$(dirname "$0")/lib.sh"

RATE=${DZRATE:-$(dirname "$DZ")/tests/tools/dzrate}
[ -x "$RATE" ] || fail "no $RATE (make tests builds it)"
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3 to read the coordinator's database"; exit 0; }

put_pids=()
cleanup_hooks+=('for p in ${put_pids[@]+"${put_pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null; true')

# offered BYTES: the coordinator's database says the peer offers BYTES
# within 3 s
offered() {
	local cap
	for _ in $(seq 30); do
		cap=$(sqlite3 "$NET/coordinator/coordinator.db" "SELECT capacity FROM peers" 2>/dev/null)
		[ "$cap" = "$1" ] && return 0
		sleep 0.1
	done
	fail "the coordinator has capacity '$cap', not $1, 3 s after the change"
}

net_start --peers 1 --capacity 1M --heartbeat 30
P=$NET/peer-1
PADDR=$(cat "$P/peer.addr") || fail "no peer address"

for i in $(seq 16); do
	"$RATE" "$PADDR" --put 128K --sign "$NET/coordinator" "$NET/peer-1" --for 0 >"$T/put.$i" 2>"$T/put.$i.err" &
	put_pids+=($!)
done
stored=0 full=0
for i in $(seq 16); do
	if wait "${put_pids[$((i - 1))]}"; then
		stored=$((stored + 1))
	elif grep -q "peer full" "$T/put.$i.err"; then
		full=$((full + 1))
	else
		cat "$T/put.$i.err" >&2
		fail "put $i failed otherwise"
	fi
done
put_pids=()
bytes=$(find "$P" -type f -size +100k -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
echo "16 puts at once: $stored stored, $full refused; $bytes bytes of fragments"
[ "$stored" -ge 1 ] && [ "$stored" -le 8 ] || fail "$stored of 16 stored in 1 MiB"
[ $((stored + full)) -eq 16 ] || fail "some puts neither stored nor refused"
[ "$bytes" -le $((1 << 20)) ] || fail "$bytes bytes stored on a 1 MiB peer"
ok "concurrent puts never take a peer past its capacity"

"$DZ" config --data "$P" capacity 2M >/dev/null || fail "config capacity 2M"
offered $((2 << 20))
ok "a raised capacity reaches the coordinator within 3 s"
"$RATE" "$PADDR" --put 128K --sign "$NET/coordinator" "$NET/peer-1" --for 0 >"$T/more" 2>"$T/more.err" ||
	{ cat "$T/more.err" >&2; fail "no put after raising the capacity"; }
ok "puts are taken again"

"$DZ" config --data "$P" capacity 512K >/dev/null || fail "config capacity 512K"
offered $((512 << 10))
wait_for "$P/log" "new fragments are refused until there is room" 3 "$net_pid"
expect_exit 1 "$RATE" "$PADDR" --put 128K --sign "$NET/coordinator" "$NET/peer-1" --for 0
grep -q "peer full" "$T/err" || { cat "$T/err" >&2; fail "a put over the lowered capacity was not refused as full"; }
for f in "$T"/put.* "$T/more"; do
	case $f in *.err) continue ;; esac
	[ -s "${f}.err" ] && continue # refused at the start
	name=$(sed -n 's/^name //p' "$f")
	"$RATE" "$PADDR" --get "$name" --for 0 >/dev/null 2>"$T/get.err" ||
		{ cat "$T/get.err" >&2; fail "fragment $name gone after lowering the capacity"; }
done
ok "a lowered capacity refuses new puts, deletes nothing, and reaches the coordinator"
net_stop
