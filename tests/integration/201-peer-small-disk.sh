#!/usr/bin/env bash
# 201: `drizzle peer --capacity 1G` on an 8 MiB disk (a tmpfs) warns on
# stderr at start, naming the capacity and the free space, and offers the
# coordinator no more than the disk holds (read from the coordinator's
# database). Needs mount rights: without them it prints "skip" and passes.
. "$(dirname "$0")/lib.sh"

cpid= ppid_= mnt=
cleanup_hooks+=('for p in $ppid_ $cpid; do kill "$p" 2>/dev/null && wait "$p"; done; true')
cleanup_hooks+=('[ -n "$mnt" ] && umount "$mnt"; true')

mkdir "$T/p"
if ! mount -t tmpfs -o size=8m,mode=0700 tmpfs "$T/p" 2>"$T/mount.err"; then
	echo "skip: cannot mount a tmpfs: $(cat "$T/mount.err")"
	exit 0
fi
mnt=$T/p

"$DZ" peer --data "$T/p" --print-key >"$T/dc.keys" || fail "--print-key"
"$DZ" coordinator --data "$T/c" --listen 127.0.0.1:0 --datacentre-keys "$T/dc.keys" \
	--placeholder-checks 0 >"$T/c.out" 2>"$T/c.err" &
cpid=$!
wait_for "$T/c.out" "listening" 10 "$cpid"
caddr=$(cat "$T/c/coordinator.addr")
"$DZ" peer --datacentre --data "$T/p" --coordinator "$caddr" --capacity 1G --heartbeat 1 \
	>"$T/p.out" 2>"$T/p.err" &
ppid_=$!
wait_for "$T/p.err" "registered with the coordinator" 10 "$ppid_"
grep -q "warning: --capacity is 1024 MiB but the file system of $T/p has only [0-7] MiB free" \
	"$T/p.err" || { cat "$T/p.err" >&2; fail "no clear warning at start"; }
ok "warns at start when the disk is smaller than --capacity"

# what the coordinator was told (SQLite's own tools, if any, else python)
q="SELECT capacity FROM peers"
if command -v sqlite3 >/dev/null; then
	cap=$(sqlite3 "$T/c/coordinator.db" "$q")
elif command -v python3 >/dev/null; then
	cap=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('$q').fetchone()[0])" "$T/c/coordinator.db")
else
	echo "skip: no sqlite3 or python3 to read the coordinator's database"
	exit 0
fi
[ -n "$cap" ] && [ "$cap" -le $((8 << 20)) ] ||
	fail "the coordinator was offered $cap bytes for an 8 MiB disk"
ok "offers the coordinator $cap bytes, no more than the disk holds"
