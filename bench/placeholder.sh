#!/usr/bin/env bash
# Placeholder costs (docs/trading.md, "Earning"), printed, not asserted:
#   1. bench_placeholder: making and proving one block for a few block
#      sizes and rounds (the deadline must sit between the two);
#   2. a coordinator and one honest peer offering OFFER (default 64M) with
#      BLOCK:ROUNDS (default 4M:32) placeholders and 5 s audit rounds: how
#      long until the offer is proven (the new peer's credit growth), the
#      bytes the peer wrote, and the CPU seconds the peer (making) and the
#      coordinator (checking) spent, per check and in all.
# Each check costs a PH_PROVE of 40 bytes and a reply of 32 bytes (plus
# the 16-byte frame header and TLS record overhead each way).
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
DZ=$PWD/$BUILD/drizzle
OFFER=${OFFER:-64M}
BR=${BLOCK:-4M}:${ROUNDS:-32}
W=$(mktemp -d)
pids=()
trap 'for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$W"' EXIT

echo "== making and proving one block"
"$BUILD/bench/bench_placeholder" "16M:32" "$BR" || exit 1

echo "== an honest peer offering $OFFER, blocks $BR, checks every 5 s"
"$DZ" coordinator --data "$W/c" --listen 127.0.0.1:0 --audit-interval 5 \
	--placeholder-block "${BR%%:*}" --placeholder-rounds "${BR##*:}" \
	--placeholder-checks 1 >"$W/c.out" 2>"$W/c.err" &
pids+=($!); cpid=$!
for _ in $(seq 100); do [ -s "$W/c/coordinator.addr" ] && break; sleep 0.1; done
addr=$(cat "$W/c/coordinator.addr")
t0=$(date +%s.%N)
"$DZ" peer --data "$W/p" --coordinator "$addr" --capacity "$OFFER" --heartbeat 1 \
	>"$W/p.out" 2>"$W/p.err" &
pids+=($!); ppid=$!
cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }
db=$W/c/coordinator.db
q() { python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5).execute(sys.argv[2]).fetchone()[0])' "$db" "$1"; }
want=$(numfmt --from=iec "$OFFER")
while :; do
	p=$(q "SELECT coalesce(max(ph_proven * ph_block), 0) FROM peers" 2>/dev/null || echo 0)
	[ "$p" -ge "$want" ] && break
	[ "$(echo "$(date +%s.%N) - $t0 > 600" | bc)" = 1 ] && { echo "not proven in 600 s ($p bytes)"; exit 1; }
	sleep 0.5
done
t=$(echo "$(date +%s.%N) - $t0" | bc)
checks=$(q "SELECT ph_passed + ph_failed FROM peers")
written=$(du -sb "$W/p/placeholders" | cut -f1)
pc=$(cpu "$ppid"); cc=$(cpu "$cpid")
printf 'credit reaches the %s offer in %.1f s; the peer wrote %s bytes of placeholders\n' "$OFFER" "$t" "$written"
printf 'CPU: peer %.1f s (making), coordinator %.1f s for %s checks (%.2f s each)\n' \
	"$pc" "$cc" "$checks" "$(echo "$cc / ($checks + ($checks == 0))" | bc -l)"
