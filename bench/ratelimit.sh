#!/usr/bin/env bash
# Rate-limit benchmark (alone: bench/ratelimit.sh): how closely a peer
# keeps to --max-upload and --max-download. A one-peer testnet limited to
# LIMIT (default 2M) both ways is driven by tests/tools/dzrate for SECS
# (default 20) seconds, FRAG_GETs and (refused, so the disk is out of the
# figure) FRAG_PUTs at once, two connections each; the peer's own
# counters (SIGUSR1, every 200 ms) give the rate over every 10 s window,
# printed beside the limit with the accuracy in percent. Then, in the
# same run, the limits are lifted through `drizzle config` and the same
# streams run unlimited for 5 s: the reference, what this machine does
# without a limit. Figures are printed, never asserted.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
DZ=$PWD/$BUILD/drizzle
RATE=$PWD/$BUILD/tests/tools/dzrate
[ -x "$RATE" ] || { echo "no $RATE: make tests first" >&2; exit 2; }
LIMIT=${LIMIT:-2M}
SECS=${SECS:-20}
W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/drizzle-ratebench-XXXXXX")
pids=()
cleanup() {
	for p in ${pids[@]+"${pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

limit_b=$("$DZ" config --data "$W/probe" max-upload "$LIMIT" >/dev/null &&
	sed -n 's/^max-upload //p' "$W/probe/config")
limit_b=$(awk -v s="$limit_b" 'BEGIN { n = s + 0; u = substr(s, length(s));
	m = u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1; print n * m }')

"$DZ" testnet --dir "$W/net" --peers 1 --capacity 64M --max-upload "$LIMIT" \
	--max-download "$LIMIT" --quiet >"$W/net.out" 2>"$W/net.err" &
pids+=($!)
for _ in $(seq 300); do grep -q '^ready ' "$W/net.out" && break; sleep 0.1; done
grep -q '^ready ' "$W/net.out" || { cat "$W/net.err" >&2; exit 1; }
P=$W/net/peer-1
PADDR=$(cat "$P/peer.addr")
PPID_=$(cat "$P/pid")
"$RATE" "$PADDR" --put 256K --sign "$W/net/coordinator" "$W/net/peer-1" --for 0 >"$W/one" || exit 1
NAME=$(sed -n 's/^name //p' "$W/one")

# run SECS: both streams for SECS seconds, the peer's counters sampled
# into $W/traffic
run() {
	local from a b
	"$RATE" "$PADDR" --put 256K --sign "$W/net/coordinator" "$W/net/peer-1" --refused --conns 2 --for "$1" >"$W/put" 2>&1 & a=$!
	"$RATE" "$PADDR" --get "$NAME" --conns 2 --for "$1" >"$W/get" 2>&1 & b=$!
	sleep 0.5
	from=$(wc -l <"$P/log")
	local end=$(( $(date +%s%3N) + ($1 * 1000) - 1000 ))
	while [ "$(date +%s%3N)" -lt "$end" ]; do kill -USR1 "$PPID_"; sleep 0.2; done
	wait "$a" "$b"
	tail -n +$((from + 1)) "$P/log" | grep 'traffic: at ' >"$W/traffic"
}
# report FIELD WHAT WINDOW_S: rate of FIELD over every WINDOW_S window
report() {
	awk -v f="$1" -v what="$2" -v w="$3" -v lim="$4" '/traffic: at / {
		for (i = 1; i < NF; i++) { if ($i == "at") t = $(i + 1); if ($i == f) b = $(i + 1) }
		n++; T[n] = t; B[n] = b }
	END { min = -1; max = 0; k = 0
		for (i = 1; i <= n; i++) {
			for (j = i; j <= n && T[j] - T[i] < w * 1000; j++) ;
			if (j > n) break
			v = (B[j] - B[i]) * 1000 / (T[j] - T[i]); k++
			if (min < 0 || v < min) min = v; if (v > max) max = v }
		all = (T[n] > T[1]) ? (B[n] - B[1]) * 1000 / (T[n] - T[1]) : 0
		if (lim > 0)
			printf "%-9s limit %.3f MiB/s: whole run %.3f MiB/s (%+.2f %%); %d windows of %d s: %.3f to %.3f MiB/s (%+.2f %% to %+.2f %%)\n",
			    what, lim / 1048576, all / 1048576, (all / lim - 1) * 100, k, w,
			    min / 1048576, max / 1048576, (min / lim - 1) * 100, (max / lim - 1) * 100
		else
			printf "%-9s unlimited: %.1f MiB/s\n", what, all / 1048576 }' "$W/traffic"
}

echo "== peer limited to $LIMIT a second both ways, ${SECS} s, 2+2 connections"
run "$SECS"
report sent upload 10 "$limit_b"
report received download 10 "$limit_b"
"$DZ" config --data "$P" max-upload 0 >/dev/null
"$DZ" config --data "$P" max-download 0 >/dev/null
for _ in $(seq 50); do
	grep -q "settings: max-download unlimited" "$P/log" && break; sleep 0.1
done
echo "== the same peer unlimited (drizzle config ... 0), 5 s: the reference"
run 5
report sent upload 10 0
report received download 10 0
