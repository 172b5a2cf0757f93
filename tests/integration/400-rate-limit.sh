#!/usr/bin/env bash
# 400: a peer keeps to its bandwidth limits (issue 15, point 3). A
# testnet peer started with --max-upload 2M --max-download 2M is driven
# as hard as clients can (tests/tools/dzrate: 16 requests outstanding on
# each of two connections that share the limit) for 14 s, both ways at
# once: FRAG_PUTs of a 256 KiB fragment (refused ones, with a wrong name:
# the peer reads each body whole, so what is measured is its download and
# not the disk syncs that stored ones wait for) and FRAG_GETs. The peer's
# own counters, read every 200 ms (SIGUSR1 logs them with the time), give
# the bytes sent and received over every 10 s window from 0.5 s in: at
# most 3 % over 2 MiB/s (the limit holds) and at most 3 % under (it is not
# far undershot). Then `drizzle config max-upload 0` on the running peer
# and a get stream runs at least 5 times faster: the limit, not the
# machine, was what held it.
. "$(dirname "$0")/lib.sh"

RATE=${DZRATE:-$(dirname "$DZ")/tests/tools/dzrate}
[ -x "$RATE" ] || fail "no $RATE (make tests builds it)"
LIMIT=$((2 << 20))

rate_pids=()
cleanup_hooks+=('for p in ${rate_pids[@]+"${rate_pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null; true')

# sample PID SECONDS: the peer logs its counters every 200 ms
sample() {
	local end=$(( $(date +%s%3N) + $2 * 1000 ))
	while [ "$(date +%s%3N)" -lt "$end" ]; do
		kill -USR1 "$1" || fail "peer $1 is gone"
		sleep 0.2
	done
}

# windows FILE FIELD: "MIN MAX" bytes/s of FIELD (sent, received) over
# every 10 s window between the traffic lines of FILE
windows() {
	awk -v f="$2" '/traffic: at / {
		for (i = 1; i < NF; i++) { if ($i == "at") t = $(i + 1); if ($i == f) b = $(i + 1) }
		n++; T[n] = t; B[n] = b }
	END { min = -1; max = 0
		for (i = 1; i <= n; i++) {
			for (j = i; j <= n && T[j] - T[i] < 10000; j++) ;
			if (j > n) break
			v = (B[j] - B[i]) * 1000 / (T[j] - T[i])
			if (min < 0 || v < min) min = v; if (v > max) max = v }
		printf "%d %d\n", min, max }' "$1"
}

# judge WHAT LO HI: the windows of $T/traffic for WHAT within [LO, HI]
judge() {
	local lo hi
	read -r lo hi < <(windows "$T/traffic" "$1")
	echo "$1: every 10 s window between $lo and $hi bytes/s (limit $LIMIT)"
	[ "$lo" -gt 0 ] || fail "$1: no 10 s window measured"
	[ "$lo" -ge "$2" ] && [ "$hi" -le "$3" ] ||
		fail "$1: windows $lo..$hi bytes/s, outside $2..$3"
}

net_start --peers 1 --capacity 64M --max-upload 2M --max-download 2M
PADDR=$(cat "$NET/peer-1/peer.addr") || fail "no peer address"
PPID_=$(cat "$NET/peer-1/pid") || fail "no peer pid"
"$RATE" "$PADDR" --put 256K --sign "$NET/coordinator" "$NET/peer-1" --for 0 >"$T/one" 2>"$T/one.err" ||
	{ cat "$T/one.err" >&2; fail "one put"; }
NAME=$(sed -n 's/^name //p' "$T/one")

"$RATE" "$PADDR" --put 256K --sign "$NET/coordinator" "$NET/peer-1" --refused --conns 2 --for 14 >"$T/put" 2>"$T/put.err" &
rate_pids+=($!)
"$RATE" "$PADDR" --get "$NAME" --conns 2 --for 14 >"$T/get" 2>"$T/get.err" &
rate_pids+=($!)
sleep 0.5 # the streams get going
from=$(wc -l <"$NET/peer-1/log")
sample "$PPID_" 13
for p in "${rate_pids[@]}"; do
	wait "$p" || { cat "$T"/*.err >&2; fail "a measuring client failed"; }
done
rate_pids=()
tail -n +$((from + 1)) "$NET/peer-1/log" | grep 'traffic: at ' >"$T/traffic"
echo "clients saw: download $(grep ^window10 "$T/put"), upload $(grep ^window10 "$T/get")"

judge received $((LIMIT * 97 / 100)) $((LIMIT * 103 / 100))
ok "download within 3 % of --max-download 2M in every 10 s window"
judge sent $((LIMIT * 97 / 100)) $((LIMIT * 103 / 100))
ok "upload within 3 % of --max-upload 2M in every 10 s window"

# the reference: the same peer unlimited is much faster
"$DZ" config --data "$NET/peer-1" max-upload 0 >/dev/null || fail "config max-upload 0"
wait_for "$NET/peer-1/log" "settings: max-upload unlimited" 5 "$net_pid"
"$RATE" "$PADDR" --get "$NAME" --for 3 >"$T/free" 2>"$T/free.err" ||
	{ cat "$T/free.err" >&2; fail "unlimited get stream"; }
free=$(sed -n 's/^total \([0-9]*\) seconds \([0-9.]*\) .*/\1 \2/p' "$T/free" |
	awk '{ printf "%d", $1 / $2 }')
echo "unlimited: $free bytes/s"
[ "$free" -ge $((LIMIT * 5)) ] || fail "unlimited only $free bytes/s: the test cannot tell"
ok "unlimited, the same peer serves at $free bytes/s"
net_stop
