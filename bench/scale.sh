#!/usr/bin/env bash
# Scale benchmark of the folder tree (part of make bench, or alone:
# bench/scale.sh): an account of FILES tiny files (default 1,000,000, in
# 1,000 folders of 1,000) put with put -r over a local network of 12 peers
# (4-of-12), then, in the same run:
#   - put of one more 1 KiB file into that account, REPS times (default
#     11, median), interleaved with the same put into an empty account
#     (the reference): the tree's promise
#     is that they cost the same, whatever the account holds;
#   - ls of one folder of 10,000 files, 5 times (median);
#   - ls of one 1,000-file folder of the big account.
# The source files live in /dev/shm (tmpfs) so that making them is quick;
# SCALE=0.01 makes 10,000 files for a quick run. Figures on stdout.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
DZ=$PWD/$BUILD/drizzle
SCALE=${SCALE:-1}
REPS=${REPS:-11}
W=$(mktemp -d /var/tmp/drizzle-scale-XXXXXX)
S=$(mktemp -d /dev/shm/drizzle-scale-XXXXXX)
net_pid=
cleanup() {
	[ -n "$net_pid" ] && { kill "$net_pid"; wait "$net_pid"; } 2>/dev/null
	rm -rf "$W" "$S"
}
trap cleanup EXIT
folders=$(awk -v s="$SCALE" 'BEGIN { n = int(1000 * s); print (n < 1 ? 1 : n) }')
files=$((folders * 1000))
now() { date +%s.%N; }
el() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf 'scale-bench-password\n' >"$W/pw"
echo "== scale: an account of $files files ($folders folders of 1,000), 12 peers, 4-of-12"
python3 - "$S/big" "$folders" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for d in range(n):
    p = os.path.join(root, "d%04d" % d)
    os.makedirs(p)
    for f in range(1000):
        with open(os.path.join(p, "f%04d" % f), "w") as o:
            o.write("file %d/%d\n" % (d, f))
os.makedirs(os.path.join(root, "..", "flat"))
for f in range(10000):
    with open(os.path.join(root, "..", "flat", "f%05d" % f), "w") as o:
        o.write("flat %d\n" % f)
PY
"$DZ" testnet --dir "$W/net" --peers 12 --capacity 2G --quiet >"$W/net.out" 2>"$W/net.err" &
net_pid=$!
for _ in $(seq 600); do grep -q '^ready ' "$W/net.out" && break; sleep 0.1; done
addr=$(sed -n 's/^ready //p' "$W/net.out")
[ -n "$addr" ] || { echo "testnet did not start"; cat "$W/net.err"; exit 1; }
for u in big empty; do
	"$DZ" signup --coordinator "$addr" --user $u --password-file "$W/pw" \
		--kdf-ops 1 --kdf-mem 64K --home "$W/$u" --quiet >/dev/null || exit 1
	"$DZ" unlock --home "$W/$u" --password-file "$W/pw" --quiet || exit 1
done
B="--home $W/big --password-file $W/pw"
E="--home $W/empty --password-file $W/pw"
t0=$(now)
/usr/bin/time -f "%e %M" -o "$W/time" "$DZ" put -r "$S/big" tree $B --quiet ||
	{ echo "put -r failed"; exit 1; }
read -r secs kb <"$W/time"
echo "put -r of $files files: $secs s ($(awk -v f=$files -v s=$secs 'BEGIN{printf "%.0f", f/s}') files/s), client peak $((kb / 1024)) MiB"
"$DZ" mkdir tree/d0000 $E --quiet || exit 1
head -c 1024 /dev/urandom >"$W/one"
# interleaved, so that the machine's drift (it is shared) falls on both
for i in $(seq "$REPS"); do
	for u in big empty; do
		a=$(now)
		"$DZ" put "$W/one" "tree/d0000/new-$i" --home "$W/$u" --password-file "$W/pw" \
			--quiet || exit 1
		b=$(now)
		echo "$(el "$a" "$b")" >>"$W/puts-$u"
	done
done
pb=$(median <"$W/puts-big"); pe=$(median <"$W/puts-empty")
echo "put of one more file: $pb s into the $files-file account, $pe s into an empty one (medians of $REPS, interleaved; ratio $(awk -v a=$pb -v b=$pe 'BEGIN{printf "%.2f", a/b}'))"
"$DZ" put -r "$S/flat" flat $E --quiet || exit 1
for i in 1 2 3 4 5; do
	a=$(now); "$DZ" ls flat $E >"$W/ls" || exit 1; b=$(now); el "$a" "$b"; echo
done | median >"$W/ls-flat"
[ "$(wc -l <"$W/ls")" -eq 10000 ] || { echo "ls: $(wc -l <"$W/ls") lines, not 10000"; exit 1; }
echo "ls of a 10,000-file folder: $(cat "$W/ls-flat") s (median of 5)"
a=$(now); "$DZ" ls tree/d0001 $B >"$W/ls2" || exit 1; b=$(now)
echo "ls of a 1,000-file folder of the $files-file account: $(el "$a" "$b") s ($(wc -l <"$W/ls2") lines)"
