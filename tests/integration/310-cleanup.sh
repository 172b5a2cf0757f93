#!/usr/bin/env bash
# 310: clean-up gives the peers' disks back. With --gc-interval 1 and a
# 2 s safety margin: after every file is removed, each peer's fragment
# count returns to what it was before the first put (0), including a peer
# that was stopped during the removal and started again after; a file
# still stored comes back bit-exact after several rounds; every peer holds
# exactly the fragments the coordinator has locations for (a replaced
# file's old fragments go too); the fragments of a put killed with SIGKILL
# mid-segment (stored, never committed) are deleted, and so are the
# segments it had committed: the next command of that computer finds the
# put in its journal, sees that no path names it, and forgets it.
. "$(dirname "$0")/lib.sh"

NP=5
net_start --peers $NP --capacity 256M --gc-interval 1 --gc-margin 2
A="--home $T/a $PW"
C="--k 2 --n 4 --segment-size 64K"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
DB=$NET/coordinator/coordinator.db
used() { "$DZ" status $A | sed -n 's/^used *//p'; }

nfrags() { find "$NET/peer-$1/frags" -type f ! -name '.tmp-*' | wc -l; }
# rows in the coordinator's locations for peer I (its address identifies it)
nlocs() {
	python3 - "$DB" "127.0.0.1:$((PORT + $1))" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
print(db.execute("SELECT count(*) FROM locations l JOIN peers p ON p.id = l.peer"
                 " WHERE p.addr = ?", (sys.argv[2],)).fetchone()[0])
PY
}
# until_all SECS PEERS...: every listed peer holds exactly its locations
until_all() {
	local end=$((SECONDS + $1)) i; shift
	while :; do
		local bad=
		for i in "$@"; do
			[ "$(nfrags "$i")" = "$(nlocs "$i")" ] || bad="$bad $i"
		done
		[ -z "$bad" ] && return 0
		[ "$SECONDS" -lt "$end" ] || {
			for i in $bad; do echo "peer $i: $(nfrags "$i") files, $(nlocs "$i") locations" >&2; done
			return 1
		}
		sleep 0.2
	done
}
# until_zero SECS PEERS...: every listed peer holds no fragment
until_zero() {
	local end=$((SECONDS + $1)) i; shift
	while :; do
		local n=0
		for i in "$@"; do n=$((n + $(nfrags "$i"))); done
		[ "$n" = 0 ] && return 0
		[ "$SECONDS" -lt "$end" ] || { echo "$n fragments left" >&2; return 1; }
		sleep 0.2
	done
}
ALL=$(seq $NP)
for i in $ALL; do [ "$(nfrags "$i")" = 0 ] || fail "peer $i starts with fragments"; done

# files, one of them kept
rand "$T/keep" 300000
"$DZ" put "$T/keep" keep $A $C --quiet || fail "put keep"
for f in 1 2 3; do
	rand "$T/f$f" $((100000 * f))
	"$DZ" put "$T/f$f" "f$f" $A $C --quiet || fail "put f$f"
done
# a replaced file: its old fragments are garbage too
rand "$T/f1b" 150000
"$DZ" put "$T/f1b" f1 $A $C --quiet || fail "replace f1"
total=0; for i in $ALL; do total=$((total + $(nfrags "$i"))); done
[ "$total" -gt 0 ] || fail "the puts stored nothing"
until_all 20 $ALL || fail "peers do not match the coordinator after the puts"
ok "after the puts ($total fragments), every peer holds exactly its locations"

# peer 3 stops, the files go, peer 3 comes back
p3=$(cat "$NET/peer-3/pid")
kill "$p3"
for _ in $(seq 100); do kill -0 "$p3" 2>/dev/null || break; sleep 0.1; done
kill -0 "$p3" 2>/dev/null && fail "peer 3 did not stop"
n3=$(nfrags 3)
for f in 1 2 3; do "$DZ" rm "f$f" $A --quiet || fail "rm f$f"; done
until_all 20 1 2 4 5 || fail "the online peers kept removed files' fragments"
[ "$(nfrags 3)" = "$n3" ] || fail "peer 3's store changed while it was stopped"
ok "removed files' fragments deleted on the online peers"

ppid3=
cleanup_hooks+=('[ -n "$ppid3" ] && kill "$ppid3" 2>/dev/null && wait "$ppid3"; true')
"$DZ" peer --datacentre --data "$NET/peer-3" --coordinator "$ADDR" --listen "127.0.0.1:$((PORT + 3))" \
	--capacity 256M --heartbeat 1 >"$T/p3.out" 2>"$T/p3.err" &
ppid3=$!
wait_for "$T/p3.err" "registered with the coordinator" 10 "$ppid3"
until_all 20 3 || fail "the returning peer kept removed files' fragments"
wait_for "$T/p3.err" "clean-up: deleted" 10 "$ppid3"
ok "the peer that was offline during rm cleaned up on its return"

# the kept file survived the rounds bit-exact
"$DZ" get keep "$T/keep.out" $A --quiet || fail "get keep"
cmp -s "$T/keep" "$T/keep.out" || fail "keep came back different"
ok "a file still stored comes back bit-exact after clean-up"

# remove the last file: every disk back to 0, and nothing counted
"$DZ" rm keep $A --quiet || fail "rm keep"
until_zero 20 $ALL || fail "fragments left after removing every file"
# what stays counted is the folder records (the metadata of an empty
# store), a few KiB, not the files' 1 MB
u=$(used)
case "$u" in [0-9]" B "*|[0-9][0-9]" B "*|[0-9]" KiB "*|[0-9].[0-9]" KiB "*) ;;
*) fail "status says used $u with no file" ;; esac
ok "every file removed: every peer back to 0 fragments, used $u"

# fragment rows the coordinator counts for the account
nrows() { sqlite3 -batch -noheader "file:$DB?mode=ro" "SELECT count(*) FROM fragments" 2>/dev/null || echo 0; }
# a put killed mid-segment: what was stored and never committed goes
rm -f "$T/fifo"; mkfifo "$T/fifo"
(while head -c 64K /dev/urandom; do sleep 0.05; done) >"$T/fifo" 2>/dev/null &
feeder=$!
cleanup_hooks+=('kill "$feeder" 2>/dev/null; true')
"$DZ" put - slow $A $C <"$T/fifo" >/dev/null 2>"$T/put.err" &
put=$!
end=$((SECONDS + 30))
while :; do
	n=0; for i in $ALL; do n=$((n + $(nfrags "$i"))); done
	[ "$n" -ge 8 ] && [ "$(nrows)" -ge 4 ] && break
	[ "$SECONDS" -lt "$end" ] || fail "the slow put stored nothing in 30 s"
	sleep 0.05
done
kill -9 "$put"; wait "$put" 2>/dev/null
kill "$feeder" 2>/dev/null; wait "$feeder" 2>/dev/null
until_all 20 $ALL || fail "fragments of the killed put outlived the margin"
ok "a put killed with SIGKILL: its uncommitted fragments deleted"
[ "$(nrows)" -ge 4 ] || fail "the killed put had committed no segment"
[ "$(stat -c %s "$T/a/pending")" -gt 4 ] || fail "the killed put is not in the profile's journal"
"$DZ" ls $A >/dev/null || fail "ls after the killed put"
[ "$(nrows)" = 0 ] || fail "$(nrows) fragment rows of the killed put still counted after ls"
until_zero 20 $ALL || fail "the killed put's committed fragments stayed on the peers"
u=$(used)
case "$u" in [0-9]" B "*|[0-9][0-9]" B "*|[0-9]" KiB "*|[0-9].[0-9]" KiB "*) ;;
*) fail "status says used $u after the killed put was cleaned up" ;; esac
ok "its committed segments: forgotten by the next command (ls), deleted from every peer, used $u"
net_stop
