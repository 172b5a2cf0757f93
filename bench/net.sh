#!/usr/bin/env bash
# Network benchmark (part of make bench, or alone: bench/net.sh): put and
# get of one file over a local network started with `drizzle testnet`,
# 10-of-30 on 30 peers and 4-of-12 on 12 peers, with the client's peak
# memory beside its 128 MiB bound (the account is unlocked first, so the
# peaks are the transfers', not Argon2id's), beside restic backup and
# restore of the same file to a local repository in the same run. Every peer shares this machine's one disk
# and two cores with the client, so this measures the software's overhead
# more than any network.
# BENCH_DIR (default /var/tmp) holds the files; BENCH_QUICK=1 uses 64 MiB.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
DZ=$PWD/$BUILD/drizzle
base=${BENCH_DIR:-/var/tmp}
W=$(mktemp -d "$base/drizzle-netbench-XXXXXX")
net_pid=
cleanup() {
	[ -n "$net_pid" ] && { kill "$net_pid"; wait "$net_pid"; } 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
if [ "${BENCH_QUICK:-0}" = 1 ]; then SIZE=$((64 << 20)); else SIZE=$((1 << 30)); fi
MEM_BOUND_KB=$((128 << 10)) # the client's resident bound (docs/net.md)

gen() { head -c "$1" < <(openssl enc -chacha20 -nosalt -K "$(printf '%064d' 7)" -iv "$(printf '%032d' 1)" -in /dev/zero 2>/dev/null); }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1e6 : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
# timed CMD...: run CMD, print "seconds peak-KiB"
timed() {
	/usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" ||
		{ echo "FAILED: $*" >&2; cat "$W/err" >&2; return 1; }
	cat "$W/time"
}

printf 'bench\n' >"$W/pw"
gen $SIZE >"$W/in"
want=$(sha256sum <"$W/in")
sync
echo "== network: put and get of $((SIZE >> 20)) MiB over a local network (testnet on 127.0.0.1)"
for cfg in "30 10 30" "12 4 12"; do
	set -- $cfg
	peers=$1 k=$2 n=$3
	# each peer lends room for its share and half as much again
	cap=$(( SIZE / k * n / peers * 3 / 2 + (64 << 20) ))
	rm -rf "$W/net" "$W/home" "$W/out"
	"$DZ" testnet --dir "$W/net" --peers $peers --capacity $cap --quiet >"$W/net.out" 2>"$W/net.err" &
	net_pid=$!
	for _ in $(seq 600); do grep -q '^ready ' "$W/net.out" && break; sleep 0.1; done
	addr=$(sed -n 's/^ready //p' "$W/net.out")
	[ -n "$addr" ] || { echo "testnet did not start"; cat "$W/net.err"; exit 1; }
	"$DZ" signup --coordinator "$addr" --user bench --password-file "$W/pw" \
		--kdf-ops 1 --kdf-mem 64K --home "$W/home" --quiet >/dev/null || exit 1
	"$DZ" unlock --home "$W/home" --password-file "$W/pw" --quiet || exit 1
	r=$(timed "$DZ" put "$W/in" big --home "$W/home" --password-file "$W/pw" \
		--k $k --n $n --quiet) || exit 1
	set -- $r; put_s=$1 put_kb=$2
	r=$(timed "$DZ" get big "$W/out" --home "$W/home" --password-file "$W/pw" --quiet) || exit 1
	set -- $r; get_s=$1 get_kb=$2
	[ "$(sha256sum <"$W/out")" = "$want" ] && same=verified || same="DIFFERENT: BUG"
	kill "$net_pid"; wait "$net_pid"; net_pid=
	printf '%-8s on %2d peers: put %5s MB/s (peak %4d MiB)   get %5s MB/s (peak %4d MiB)   %s\n' \
		"$k-of-$n" $peers "$(mbs $SIZE $put_s)" $((put_kb / 1024)) "$(mbs $SIZE $get_s)" \
		$((get_kb / 1024)) "$same"
	printf '%-8s client memory: put peak %d MiB, get peak %d MiB, bound %d MiB: %s\n' \
		"$k-of-$n" $((put_kb / 1024)) $((get_kb / 1024)) $((MEM_BOUND_KB / 1024)) \
		"$( [ "$put_kb" -lt $MEM_BOUND_KB ] && [ "$get_kb" -lt $MEM_BOUND_KB ] && echo within || echo EXCEEDED)"
	eval "put_$k=$(mbs $SIZE $put_s) get_$k=$(mbs $SIZE $get_s)"
done
rm -rf "$W/net" "$W/out"
if command -v restic >/dev/null; then
	export RESTIC_PASSWORD=bench RESTIC_REPOSITORY="$W/restic"
	restic init --quiet >/dev/null 2>&1
	r=$(timed restic backup --quiet "$W/in") || exit 1
	set -- $r; rb=$(mbs $SIZE $1); rbm=$(($2 / 1024))
	r=$(timed restic restore latest --quiet --target "$W/restored") || exit 1
	set -- $r; rr=$(mbs $SIZE $1); rrm=$(($2 / 1024))
	printf 'restic   local repo: backup %5s MB/s (peak %4d MiB)   restore %5s MB/s (peak %4d MiB)\n' \
		"$rb" $rbm "$rr" $rrm
	printf 'drizzle / restic:   10-of-30 put %s, get %s    4-of-12 put %s, get %s\n' \
		"$(ratio "$put_10" "$rb")" "$(ratio "$get_10" "$rr")" \
		"$(ratio "$put_4" "$rb")" "$(ratio "$get_4" "$rr")"
else
	echo "restic not installed: no side-by-side reference (apt-get install restic)"
fi
