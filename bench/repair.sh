#!/usr/bin/env bash
# Repair benchmark (alone: bench/repair.sh): 20 peers hold one file, 4-of-10
# (1 GiB; BENCH_QUICK=1: 128 MiB); 3 peers are killed; measured: the time
# from their loss (once the grace period has passed) until every segment is
# back at 10 healthy holders, the bytes the repair worker read and wrote
# (its log lines), and the bytes read per fragment rebuilt against the
# ideal (k fragments read per segment repaired). Every peer shares this
# machine's disk and cores with the coordinator: this measures software
# overhead, not a network. BENCH_BATCH (default 64) is --repair-batch,
# with a 1 s --repair-interval. BENCH_DIR (default /var/tmp) holds the files.
set -u
cd "$(dirname "$0")/.." || exit 2
DZ=$PWD/${BUILD:-build}/drizzle
W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/drizzle-repairbench-XXXXXX")
net_pid=
cleanup() {
	[ -n "$net_pid" ] && { kill "$net_pid"; wait "$net_pid"; } 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
if [ "${BENCH_QUICK:-0}" = 1 ]; then SIZE=$((128 << 20)); else SIZE=$((1 << 30)); fi
GRACE=3
DB=$W/net/coordinator/coordinator.db
q() { sqlite3 -batch -noheader "$DB" "$1"; }
health() {
	q "SELECT min(c) FROM (SELECT count(DISTINCT CASE WHEN
	     p.last_heartbeat >= strftime('%s','now') - $GRACE AND p.left_at IS NULL AND p.state < 2
	     THEN f.idx END) c FROM fragments f
	   LEFT JOIN locations l ON l.account = f.account AND l.name = f.name
	   LEFT JOIN peers p ON p.id = l.peer GROUP BY f.account, f.object, f.segment)"
}
"$DZ" testnet --dir "$W/net" --peers 20 --capacity 1G --heartbeat 1 --peer-timeout 3 \
	--grace $GRACE --repair-interval 1 --repair-batch "${BENCH_BATCH:-64}" \
	--repair-threshold 10 --k 4 --n 10 --quiet >"$W/net.out" 2>"$W/net.err" &
net_pid=$!
for _ in $(seq 300); do grep -q '^ready ' "$W/net.out" && break; sleep 0.1; done
ADDR=$(sed -n 's/^ready //p' "$W/net.out")
[ -n "$ADDR" ] || { cat "$W/net.err"; exit 1; }
printf 'bench-repair-pw\n' >"$W/pw"
A="--home $W/a --password-file $W/pw"
"$DZ" signup --coordinator "$ADDR" --user bench $A --kdf-ops 1 --kdf-mem 64K --quiet || exit 1
head -c $SIZE /dev/urandom >"$W/in"
"$DZ" put "$W/in" f $A --quiet || exit 1
nseg=$(q 'SELECT count(DISTINCT segment) FROM fragments')
fsize=$(q 'SELECT max(size) FROM fragments')
tk=$(date +%s.%N)
for i in 1 2 3; do kill -9 "$(cat "$W/net/peer-$i/pid")"; done
until [ "$(q "SELECT count(*) FROM peers WHERE last_heartbeat < strftime('%s','now') - $GRACE")" -ge 3 ]; do
	sleep 0.1
done
t0=$(date +%s.%N)
until [ "$(health)" = 10 ]; do sleep 0.2; done
t1=$(date +%s.%N)
L=$W/net/coordinator.log
awk -v k=4 -v fs="$fsize" -v t0="$t0" -v t1="$t1" -v tk="$tk" -v grace=$GRACE -v nseg="$nseg" -v size="$SIZE" '
/rebuilt and placed/ {
	segs++; split($0, a, ": "); split(a[4], b, " "); frags += b[1]
	for (i = 1; i <= NF; i++) { if ($i == "read,") rd += $(i - 2); if ($i == "written") wr += $(i - 1) }
}
END {
	printf "file %d MiB, %d segments of 4-of-10, fragments of %d bytes; 3 of 20 peers killed\n", size / 1048576, nseg, fs
	printf "restored in %.1f s after all 3 losses counted (%.1f s after the kills, grace %d s): %d segment repairs, %d fragments rebuilt\n", t1 - t0, t1 - tk, grace, segs, frags
	printf "read %.1f MiB, wrote %.1f MiB (%.0f MB/s rebuilt)\n", rd / 1048576, wr / 1048576, wr / (t1 - t0) / 1e6
	printf "read per segment repaired: %.2f x the ideal (k fragments); per fragment rebuilt: %.2f fragments read\n", rd / (segs * k * fs), rd / frags / fs
}' "$L"
