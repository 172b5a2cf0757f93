#!/usr/bin/env bash
# Audit traffic benchmark (alone, as root: bench/audit.sh). Two identical
# test networks of 20 peers, each in a network namespace of its own, hold
# the same amount of data (BENCH_SIZE, default 256 MiB, 4-of-10). Network
# A audits every AUDIT_S seconds (default 31: longer than the coordinator's
# 30 s connection reuse, so every round pays its TLS handshakes, as at the
# 300 s default); network B never audits in the window. Both then sit idle
# for WINDOW seconds (default 3 rounds) while the bytes crossing each
# namespace's loopback are counted (every TCP/IP packet, headers and TLS
# included). A's bytes minus B's (heartbeats and the rest cancel) are the
# audits'; scaled to the default interval they give audit bytes per peer
# per day and per stored GiB per day (stored: the fragment files on the
# peers' disks). The reference is the stored data itself: the ratio is
# the share of it that audits move each day.
set -u
cd "$(dirname "$0")/.." || exit 2
DZ=$PWD/${BUILD:-build}/drizzle
[ "$(id -u)" = 0 ] || { echo "bench/audit.sh: needs root (network namespaces)" >&2; exit 2; }
command -v ip >/dev/null || { echo "bench/audit.sh: needs ip (iproute2)" >&2; exit 2; }
SIZE=${BENCH_SIZE:-$((256 << 20))}
[ "${BENCH_QUICK:-0}" = 1 ] && SIZE=$((32 << 20))
AUDIT_S=${AUDIT_S:-31}
WINDOW=${WINDOW:-$((AUDIT_S * 3))}
DEFAULT_S=300 # COORD_AUDIT_INTERVAL_DEFAULT
W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/drizzle-auditbench-XXXXXX")
NS_A=dzbench-audit-a-$$ NS_B=dzbench-audit-b-$$
pids=()
cleanup() {
	for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
lo_bytes() { ip netns exec "$1" cat /sys/class/net/lo/statistics/tx_bytes; }

# start NS DIR AUDIT_INTERVAL: a testnet inside NS; prints its address
start() {
	ip netns add "$1" && ip netns exec "$1" ip link set lo up || exit 1
	ip netns exec "$1" "$DZ" testnet --dir "$2" --peers 20 --capacity 1G \
		--heartbeat 60 --peer-timeout 200 --audit-interval "$3" --gc-interval 0 \
		--repair-interval 0 --k 4 --n 10 --quiet >"$2.out" 2>"$2.err" &
	pids+=($!)
}
addr_of() {
	for _ in $(seq 300); do grep -q '^ready ' "$1.out" && break; sleep 0.1; done
	sed -n 's/^ready //p' "$1.out"
}
start "$NS_A" "$W/a" "$AUDIT_S"
start "$NS_B" "$W/b" 86400
head -c "$SIZE" /dev/urandom >"$W/in"
printf 'bench-audit-pw\n' >"$W/pw"
for x in a b; do
	ns=$NS_A; [ $x = b ] && ns=$NS_B
	addr=$(addr_of "$W/$x")
	[ -n "$addr" ] || { cat "$W/$x.err"; exit 1; }
	H="--home $W/home-$x --password-file $W/pw"
	ip netns exec "$ns" "$DZ" signup --coordinator "$addr" --user bench $H \
		--kdf-ops 1 --kdf-mem 64K --quiet || exit 1
	ip netns exec "$ns" "$DZ" put "$W/in" f $H --quiet || exit 1
done
stored=$(find "$W/a" -path '*/frags/*' -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
DB=$W/a/coordinator/coordinator.db
audits() { sqlite3 -batch -noheader "$DB" "SELECT coalesce(sum(audits_passed + audits_wrong + audits_missing + audits_timeout), 0) FROM peers"; }
n0=$(audits)
a0=$(lo_bytes "$NS_A"); b0=$(lo_bytes "$NS_B"); t0=$(date +%s.%N)
sleep "$WINDOW"
a1=$(lo_bytes "$NS_A"); b1=$(lo_bytes "$NS_B"); t1=$(date +%s.%N)
n1=$(audits)
held=$(sqlite3 -batch -noheader "$DB" "SELECT count(DISTINCT peer) FROM locations")
awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v t0="$t0" -v t1="$t1" -v iv="$AUDIT_S" \
	-v def="$DEFAULT_S" -v stored="$stored" -v size="$SIZE" -v audits=$((n1 - n0)) -v held="$held" '
BEGIN {
	t = t1 - t0; d = a - b
	if (audits == 0) { print "no audit in the window"; exit 1 }
	per = d / audits
	# COORD_AUDIT_FRAGS = 2 fragments per peer per round
	per_peer_day = per * 2 * 86400 / def
	printf "stored %.0f MiB of fragments (file %d MiB, 4-of-10) on %d of 20 peers; %.0f s idle window, audits every %d s\n", stored / 1048576, size / 1048576, held, t, iv
	printf "loopback bytes in the window: with audits %d, without %d; %d audits judged: %.1f KiB per audit (a 16 KiB Merkle block, its path, TLS handshake and TCP)\n", a, b, audits, per / 1024
	printf "at the %d s default (2 audits per peer per round): %.2f MiB per peer per day, whatever it holds\n", def, per_peer_day / 1048576
	printf "per stored GiB per day: %.1f MiB here (%.3f%%; peers holding %.0f MiB each); for peers holding 1, 10, 100 GiB: %.3f%%, %.4f%%, %.5f%% of their bytes per day\n", per_peer_day * held / (stored / 1073741824) / 1048576, 100 * per_peer_day * held / stored, stored / held / 1048576, 100 * per_peer_day / 1073741824, 10 * per_peer_day / 1073741824, per_peer_day / 1073741824
}'
