#!/usr/bin/env bash
# Folder benchmark (part of make bench, or alone: bench/tree.sh): whole
# trees over a local network of 12 peers (`drizzle testnet`, 4-of-12),
# beside restic on the same trees in the same run (restic is the
# reference: a local repository on the same disk).
#   tree A: 20,000 files of 1 KiB to 1 MiB (log-uniform-ish, about 2 GiB)
#           in 200 nested folders of 100;
#   tree B: 100,000 files of 1 to 16 KiB (about 830 MiB) in 1,000 folders;
#   tree L: one flat folder of 10,000 files of 1 KiB, for `ls`.
# Per tree: put -r (first), put -r with nothing changed, get -r into an
# empty directory (diff -r must agree), beside restic backup (first and
# second) and restic restore; `ls` of L, median of 5, beside `restic ls`
# of the same folder; the client's peak memory (max RSS) for each.
# Every peer shares this machine's disk and cores with the client, so this
# measures software overhead more than any network.
#   SCALE (default 1) multiplies every file count (0.02: a quick run);
#   SEED (default 16) makes the trees (same seed, same bytes);
#   BENCH_DIR (default /var/tmp) holds the files.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
DZ=$PWD/$BUILD/drizzle
SCALE=${SCALE:-1}
SEED=${SEED:-16}
W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/drizzle-treebench-XXXXXX")
net_pid=
cleanup() {
	[ -n "$net_pid" ] && { kill "$net_pid"; wait "$net_pid"; } 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
failed=0

# scaled N: N * SCALE, rounded, at least 1
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s + 0.5); print (v < 1 ? 1 : v) }'; }
NA=$(scaled 20000) NB=$(scaled 100000) NL=$(scaled 10000)

# The reference is installed when missing, never assumed (Debian: restic).
apt_install() {
	local sudo=
	[ "$(id -u)" = 0 ] || sudo="sudo -n"
	$sudo apt-get install -y "$1" >/dev/null 2>&1 ||
		{ $sudo apt-get update >/dev/null 2>&1 && $sudo apt-get install -y "$1" >/dev/null 2>&1; }
}
if ! command -v restic >/dev/null; then
	echo "restic missing: apt-get install -y restic"
	apt_install restic
	command -v restic >/dev/null || { echo "restic could not be installed: no reference, no benchmark"; exit 1; }
fi
[ -x /usr/bin/time ] || apt_install time

# timed CMD...: run CMD (stdout to $W/out.txt, stderr to $W/err), set
# secs and kb (peak resident KiB). Without GNU time, the peak is the
# process's VmHWM, read until it exits (children are not counted).
timed() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%e %M" -o "$W/time" "$@" >"$W/out.txt" 2>"$W/err" ||
			{ echo "FAILED: $*"; cat "$W/err"; return 1; }
		read -r secs kb <"$W/time"
		return 0
	fi
	local t0 pid hwm rc
	t0=$(date +%s.%N)
	"$@" >"$W/out.txt" 2>"$W/err" &
	pid=$! kb=0
	while hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && [ -n "$hwm" ]; do
		[ "$hwm" -gt "$kb" ] && kb=$hwm
		sleep 0.02
	done
	wait "$pid"; rc=$?
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	[ "$rc" = 0 ] || { echo "FAILED: $*"; cat "$W/err"; return 1; }
}

# gentree DIR COUNT MIN MAX PERDIR: COUNT files of MIN..MAX bytes, PERDIR
# to a folder, folders nested two deep (DIR/000/00/f000); sizes from SEED,
# bytes from a ChaCha20 keystream keyed by SEED and the tree (no two files
# share content, so neither tool can deduplicate), mtimes fixed. Prints the
# total bytes.
gentree() {
	local key
	key=$(printf '%032d%032d' "$SEED" "$2")
	openssl enc -chacha20 -nosalt -K "$key" -iv "$(printf '%032d' 1)" -in /dev/zero 2>/dev/null |
		python3 -c '
import os, random, sys
top, count, lo, hi, per, seed = sys.argv[1], *map(int, sys.argv[2:])
rnd = random.Random(seed * 1000003 + count)
src = sys.stdin.buffer
total = 0
for i in range(count):
    d, j = divmod(i, per)
    if lo == hi:
        size = lo
    elif hi <= 16 * lo:  # narrow range: uniform
        size = rnd.randint(lo, hi)
    else:  # wide range: log-scale, skewed small (mean ~107 KiB for 1K..1M)
        size = min(hi, int(lo * (hi / lo) ** (rnd.random() ** 1.5)))
    folder = top if per >= count else os.path.join(top, "%03d" % (d // 10), "%02d" % (d % 10))
    if j == 0:
        os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "f%03d" % j)
    with open(path, "wb") as f:
        f.write(src.read(size))
    os.utime(path, (1700000000 + i, 1700000000 + i))
    total += size
print(total)
' "$@" "$SEED"
}

mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? b / s / 1e6 : 0) }'; }
fps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Results: one line per operation in $W/rows (tab-separated): label, files,
# bytes, drizzle s, restic s; peaks in $W/mem: label, drizzle KiB, restic KiB.
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$W/rows"; }
mem() { printf '%s\t%s\t%s\n' "$@" >>"$W/mem"; }
: >"$W/rows"; : >"$W/mem"

printf 'bench-tree\n' >"$W/pw"
export RESTIC_PASSWORD_FILE=$W/pw RESTIC_CACHE_DIR=$W/restic-cache
echo "== folders: trees over 12 local peers (4-of-12) beside restic (local repository), SCALE=$SCALE"
echo "$(restic version)"
echo "trees: A $NA files of 1 KiB-1 MiB, B $NB files of 1-16 KiB, L $NL files of 1 KiB in one folder (seed $SEED)"

gentree "$W/A" "$NA" 1024 $((1 << 20)) 100 >"$W/A.bytes" || exit 1
gentree "$W/B" "$NB" 1024 16384 100 >"$W/B.bytes" || exit 1
gentree "$W/L" "$NL" 1024 1024 "$NL" >"$W/L.bytes" || exit 1
read -r BA <"$W/A.bytes"; read -r BB <"$W/B.bytes"; read -r BL <"$W/L.bytes"
sync

# The network: 12 peers, the coordinator's default code 4-of-12; each peer
# lends room for its share of all three trees (n/k = 3 times their bytes
# over 12 peers) and as much again.
cap=$(( (BA + BB + BL) / 4 * 2 + (256 << 20) ))
"$DZ" testnet --dir "$W/net" --peers 12 --k 4 --n 12 --capacity $cap --quiet \
	>"$W/net.out" 2>"$W/net.err" &
net_pid=$!
for _ in $(seq 600); do
	grep -q '^ready ' "$W/net.out" && break
	kill -0 "$net_pid" 2>/dev/null || break
	sleep 0.1
done
addr=$(sed -n 's/^ready //p' "$W/net.out")
[ -n "$addr" ] || { echo "testnet did not start"; cat "$W/net.err"; exit 1; }
A=(--home "$W/home" --password-file "$W/pw")
# Cheap Argon2id costs and an unlocked account: the figures are the
# transfers', not the key derivation's.
"$DZ" signup --coordinator "$addr" --user bench "${A[@]}" --kdf-ops 1 --kdf-mem 64K \
	--quiet >/dev/null || exit 1
"$DZ" unlock "${A[@]}" --quiet || exit 1

# same WHAT A B: diff -r A B, "verified" or a failure
same() {
	if diff -r "$2" "$3" >"$W/diff" 2>&1; then echo "$1: diff -r agrees"
	else echo "$1: diff -r DIFFERS: BUG"; head -5 "$W/diff"; failed=1; fi
}

# tree NAME FILES BYTES: the drizzle and restic rounds of one tree
tree() {
	local t=$1 n=$2 b=$3 p1 p1k p2 p2k g gk r1 r1k r2 r2k rr rrk skip
	timed "$DZ" put -r "$W/$t" "$t" "${A[@]}" --quiet || return 1
	p1=$secs p1k=$kb
	# not quiet: its summary says how much it skipped
	timed "$DZ" put -r "$W/$t" "$t" "${A[@]}" || return 1
	p2=$secs p2k=$kb skip=$(tail -n 1 "$W/err")
	# into an empty folder: get -r makes got/$t in it, as cp -r does
	mkdir "$W/got"
	timed "$DZ" get -r "$t" "$W/got" "${A[@]}" --quiet || return 1
	g=$secs gk=$kb
	same "drizzle get -r $t" "$W/$t" "$W/got/$t"
	echo "drizzle second put -r $t: $skip"
	rm -rf "$W/got"

	export RESTIC_REPOSITORY=$W/restic-$t
	restic init --quiet >/dev/null || return 1
	timed restic backup --quiet --host bench "$W/$t" || return 1
	r1=$secs r1k=$kb
	timed restic backup --quiet --host bench "$W/$t" || return 1
	r2=$secs r2k=$kb
	timed restic restore latest --quiet --target "$W/got" || return 1
	rr=$secs rrk=$kb
	same "restic restore $t" "$W/$t" "$W/got$W/$t"
	rm -rf "$W/got"

	row "put -r $t" "$n" "$b" "$p1" "$r1"
	row "put -r $t, unchanged" "$n" "$b" "$p2" "$r2"
	row "get -r $t" "$n" "$b" "$g" "$rr"
	mem "put -r $t" "$p1k" "$r1k"
	mem "put -r $t, unchanged" "$p2k" "$r2k"
	mem "get -r $t" "$gk" "$rrk"
}
tree A "$NA" "$BA" || failed=1
rm -rf "$W/A" "$W/restic-A"
tree B "$NB" "$BB" || failed=1
rm -rf "$W/B" "$W/restic-B"

# ls of one folder of NL files, 5 runs each, the median
ls_bench() {
	local d=() r=() i dk
	timed "$DZ" put -r "$W/L" L "${A[@]}" --quiet || return 1
	for i in 1 2 3 4 5; do
		timed "$DZ" ls L "${A[@]}" || return 1
		d+=("$secs")
	done
	dk=$kb
	[ "$(grep -c . "$W/out.txt")" -ge "$NL" ] ||
		{ echo "drizzle ls L listed $(grep -c . "$W/out.txt") lines, want $NL"; failed=1; }
	export RESTIC_REPOSITORY=$W/restic-L
	restic init --quiet >/dev/null || return 1
	restic backup --quiet --host bench "$W/L" >/dev/null || return 1
	for i in 1 2 3 4 5; do
		timed restic ls latest "$W/L" || return 1
		r+=("$secs")
	done
	row "ls L (median of 5)" "$NL" 0 "$(median "${d[@]}")" "$(median "${r[@]}")"
	mem "ls L" "$dk" "$kb"
}
ls_bench || failed=1

echo
awk -F '\t' '
function rate(x, s) { return s > 0 ? x / s : 0 }
BEGIN {
	printf "%-22s %7s %8s %9s %9s %9s %9s %8s %9s %8s\n", "operation", "files", "MB",
		"drizzle s", "restic s", "dz/restic", "dz file/s", "dz MB/s", "rs file/s", "rs MB/s"
}
{
	mb = $3 > 0 ? sprintf("%.1f", $3 / 1e6) : "-"
	dm = $3 > 0 ? sprintf("%.1f", rate($3 / 1e6, $4)) : "-"
	rm = $3 > 0 ? sprintf("%.1f", rate($3 / 1e6, $5)) : "-"
	printf "%-22s %7d %8s %9.2f %9.2f %9s %9.0f %8s %9.0f %8s\n", $1, $2, mb, $4, $5,
		($5 > 0 ? sprintf("%.2f", $4 / $5) : "n/a"), rate($2, $4), dm, rate($2, $5), rm
}' "$W/rows"
echo "(dz/restic: drizzle time over restic time, above 1 is slower; ls: entries listed a second)"
echo
echo "client peak memory (max RSS):"
awk -F '\t' '{ printf "  %-22s drizzle %5d MiB   restic %5d MiB\n", $1, $2 / 1024, $3 / 1024 }' "$W/mem"
exit "$failed"
