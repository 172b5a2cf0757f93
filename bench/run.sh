#!/usr/bin/env bash
# Benchmarks (make bench). Figures are printed, never asserted: this machine
# is shared and noisy, so every figure stands beside a reference measured in
# the same run (memcpy, libsodium, restic) and its ratio.
#   1. bench_core: the single stages on 4 MiB buffers (seal, hash, RS);
#      bench_pipeline: put and get with fragments kept in memory, beside
#      the slowest stage (hashing), so the disk is out of the figure.
#   2. the whole local pipeline: put and get of a 1 GiB file through a
#      local directory store, 10-of-30 and 4-of-12, beside restic backup and
#      restore of the same file when restic is installed.
#   3. the client's peak memory (max RSS) for 1 GiB and 4 GiB, 10-of-30;
#   4. bench/net.sh: put and get over a local testnet, each peak beside
#      the client's 128 MiB bound.
#   5. bench/ratelimit.sh: a peer's measured rate beside its --max-upload
#      and --max-download, and the same peer unlimited.
#   6. bench/tree.sh: put -r, an unchanged put -r and get -r of a
#      20,000-file and a 100,000-file tree over 12 local peers, and ls of
#      a 10,000-file folder, beside restic on the same trees (quick:
#      SCALE=0.02, a fiftieth of the files).
# BENCH_DIR (default: a directory under /var/tmp, on disk) holds the
# temporary files; BENCH_QUICK=1 shrinks everything for a smoke run.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
DZ=$PWD/$BUILD/drizzle
base=${BENCH_DIR:-/var/tmp}
W=$(mktemp -d "$base/drizzle-bench-XXXXXX")
trap 'rm -rf "$W"' EXIT
# BIG is past 4 GiB on purpose: sizes and offsets must not wrap at 32 bits
if [ "${BENCH_QUICK:-0}" = 1 ]; then GB=$((64 << 20)); BIG=$(((128 << 20) + 4099)); quick=--quick
else GB=$((1 << 30)); BIG=$(((4 << 30) + 4099)); quick=; fi

echo "== stages (4 MiB buffers, one core)"
"$BUILD/bench/bench_core" $quick | tee "$W/core.txt"
# figure LABEL: the first "N MB/s" on bench_core's line starting with LABEL
figure() { awk -v l="$1" 'index($0, l) == 1 { for (i = 1; i < NF; i++) if ($(i+1) == "MB/s") { print $i; exit } }' "$W/core.txt"; }
memcpy=$(figure memcpy); [ -n "$memcpy" ] || memcpy=0
hash=$(figure "merkle sha-256"); [ -n "$hash" ] || hash=0

echo
echo "== the pipeline without a disk (fragments in memory)"
"$BUILD/bench/bench_pipeline" $quick

# gen N: N pseudo-random bytes on stdout, fast (ChaCha20 keystream)
gen() { head -c "$1" < <(openssl enc -chacha20 -nosalt -K "$(printf '%064d' 7)" -iv "$(printf '%032d' 1)" -in /dev/zero 2>/dev/null); }

# run LABEL CMD...: time CMD, print seconds and peak RSS
run() {
	local label=$1; shift
	/usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" ||
		{ echo "$label FAILED"; cat "$W/err"; return 1; }
	read -r secs rss <"$W/time"
	echo "$secs $rss"
}

mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1e6 : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

printf 'bench\n' >"$W/pw"
PW="--password-file $W/pw"
# Cheap Argon2id costs, explicitly: at the default (MODERATE) unlocking the
# store takes 256 MiB for half a second, which would hide the pipeline's
# own peak memory (measured on its own, once, below).
KDF="--kdf-ops 1 --kdf-mem 64K"
gen $GB >"$W/in"
sync
echo
echo "== pipeline: put and get of $((GB >> 20)) MiB through a local store on disk"
for code in "10 30" "4 12"; do
	set -- $code
	rm -rf "$W/s"
	"$DZ" local init --store "$W/s" $PW $KDF --quiet || exit 1
	r=$(run put "$DZ" local put --store "$W/s" $PW --quiet --k $1 --n $2 "$W/in") || exit 1
	set -- $1 $2 $r
	put_mbs=$(mbs $GB $3)
	r=$(run get "$DZ" local get --store "$W/s" $PW --quiet in -) || exit 1
	set -- $1 $2 $3 $4 $r
	get_mbs=$(mbs $GB $5)
	printf '%-8s put %5s MB/s (%5s x memcpy, peak %4d MiB)   get %5s MB/s (%5s x memcpy, peak %4d MiB)\n' \
		"$1-of-$2" "$put_mbs" "$(ratio "$put_mbs" "$memcpy")" $(($4 / 1024)) \
		"$get_mbs" "$(ratio "$get_mbs" "$memcpy")" $(($6 / 1024))
	# the slowest stage of a put is hashing n/k bytes per input byte (one
	# core); a get hashes only the k fragments it uses: one byte per byte
	stage_put=$(awk -v h="$hash" -v k=$1 -v n=$2 'BEGIN { printf "%.0f", h * k / n }')
	printf '         slowest stage (hashing, one core): put %s MB/s, get %s MB/s; pipeline / stage: put %s, get %s\n' \
		"$stage_put" "$hash" "$(ratio "$put_mbs" "$stage_put")" "$(ratio "$get_mbs" "$hash")"
	eval "put_$1=$put_mbs get_$1=$get_mbs"
done
if command -v restic >/dev/null; then
	export RESTIC_PASSWORD=bench RESTIC_REPOSITORY="$W/restic"
	restic init --quiet >/dev/null 2>&1
	r=$(run restic restic backup --quiet "$W/in") || exit 1
	set -- $r; rb=$(mbs $GB $1)
	r=$(run restic restic restore latest --quiet --target "$W/restored") || exit 1
	set -- $r; rr=$(mbs $GB $1)
	printf 'restic   backup %5s MB/s   restore %5s MB/s   (drizzle 10-of-30 / restic: put %s, get %s)\n' \
		"$rb" "$rr" "$(ratio "$put_10" "$rb")" "$(ratio "$get_10" "$rr")"
else
	echo "restic not installed: no side-by-side reference (apt-get install restic)"
fi
rm -rf "$W/restic" "$W/restored" # room on the disk for what follows
echo
echo "== peak memory of the client, 10-of-30 (target: under 128 MiB, flat in file size)"
for size in $GB $BIG; do
	rm -rf "$W/s"
	"$DZ" local init --store "$W/s" $PW $KDF --quiet || exit 1
	id=$(gen $size | tee >(sha256sum >"$W/want") |
		/usr/bin/time -f "%e %M" -o "$W/time" "$DZ" local put --store "$W/s" $PW \
		--quiet --k 10 --n 30 --name big -) ||
		{ echo "put of $size bytes FAILED (see above); going on"; failed=1; continue; }
	read -r ps pm <"$W/time"
	/usr/bin/time -f "%e %M" -o "$W/time" "$DZ" local get --store "$W/s" $PW --quiet big - |
		sha256sum >"$W/got" ||
		{ echo "get of $size bytes FAILED (see above); going on"; failed=1; continue; }
	read -r gs gm <"$W/time"
	cmp -s "$W/want" "$W/got" && same=verified || same="DIFFERENT: BUG"
	printf '%10d bytes: put peak %4d MiB (%s MB/s), get peak %4d MiB (%s MB/s), %s\n' \
		$size $((pm / 1024)) "$(mbs $size $ps)" $((gm / 1024)) "$(mbs $size $gs)" "$same"
done
rm -rf "$W/s"
"$DZ" local init --store "$W/s" $PW --quiet || exit 1
r=$(run unlock "$DZ" local ls --store "$W/s" $PW) || exit 1
set -- $r
printf 'unlocking at the default Argon2id cost (MODERATE): %s s, peak %d MiB (transient, before any transfer)\n' "$1" $(($2 / 1024))
echo
BUILD=$BUILD bench/net.sh || failed=1
echo
if [ "${BENCH_QUICK:-0}" = 1 ]; then rsecs=11; else rsecs=20; fi
BUILD=$BUILD SECS=$rsecs bench/ratelimit.sh || failed=1
echo
if [ "${BENCH_QUICK:-0}" = 1 ]; then scale=0.01; else scale=1; fi
BUILD=$BUILD SCALE=$scale bench/scale.sh || failed=1
echo
if [ "${BENCH_QUICK:-0}" = 1 ]; then tscale=0.02; else tscale=${SCALE:-1}; fi
BUILD=$BUILD SCALE=$tscale bench/tree.sh || failed=1
# a step that failed (e.g. the shared disk full for a moment) fails the run,
# after the others have printed their figures
exit "${failed:-0}"
