#!/usr/bin/env bash
# 245: interrupted commands leave nothing behind. A put killed with SIGINT
# or SIGTERM once its upload has started exits non-zero saying it was
# interrupted, and `drizzle status` shows the space used back where it was
# (the coordinator forgot the object's fragments); a get killed with
# SIGTERM while peers answer slowly leaves no .dz-partial-* file; a file
# truncated while put reads it fails the put, saying so, and nothing of
# it stays counted.
. "$(dirname "$0")/lib.sh"

net_start --peers 4 --capacity 256M
A="--home $T/a $PW"
C="--k 2 --n 4 --segment-size 64K"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
used() { "$DZ" status $A | sed -n 's/^used *//p'; }
rand "$T/small" 5000
"$DZ" put "$T/small" small $A $C --quiet || fail "put small"
u0=$(used)
[ -n "$u0" ] || fail "status shows no used line"

pids=()
cleanup_hooks+=('for p in ${pids[@]+"${pids[@]}"}; do kill "$p"; done 2>/dev/null; true')
# wait_for SECS CMD...: until CMD succeeds, at most SECS seconds
wait_for() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}
used_changed() { [ "$(used)" != "$u0" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# A put fed slowly through a FIFO (a data source, not a wait), killed once
# the coordinator counts some of it.
for sig in INT TERM; do
	rm -f "$T/fifo"; mkfifo "$T/fifo"
	(while head -c 64K /dev/urandom; do sleep 0.02; done) >"$T/fifo" 2>/dev/null &
	pids+=($!); feeder=$!
	"$DZ" put - "slow-$sig" $A $C <"$T/fifo" >"$T/put.out" 2>"$T/put.err" &
	put=$!; pids+=($put)
	wait_for 30 used_changed || fail "put $sig: nothing counted after 30 s: $(cat "$T/put.err")"
	kill -"$sig" "$put"
	wait_for 30 gone "$put" || fail "put did not stop within 30 s of SIG$sig"
	wait "$put"; rc=$?
	kill "$feeder" 2>/dev/null; wait "$feeder" 2>/dev/null
	[ "$rc" -ne 0 ] || fail "an interrupted put exited 0"
	grep -q interrupted "$T/put.err" || fail "put $sig: $(cat "$T/put.err")"
	[ "$(used)" = "$u0" ] || fail "after SIG$sig during put, used is $(used), was $u0"
	"$DZ" ls $A | grep -q "slow-$sig" && fail "the interrupted put is listed"
	ok "SIG$sig during put: exit $rc, says interrupted, used back to $u0"
done

# A file truncated while put reads it
rand "$T/big" 64M
"$DZ" put "$T/big" big $A $C --quiet 2>"$T/put.err" &
put=$!; pids+=($put)
wait_for 30 used_changed || fail "put big: nothing counted after 30 s"
truncate -s 1M "$T/big"
wait_for 60 gone "$put" || fail "put big did not end in 60 s"
wait "$put" && fail "a put of a file truncated under it succeeded"
grep -q "changed while it was being read" "$T/put.err" || fail "put big: $(cat "$T/put.err")"
[ "$(used)" = "$u0" ] || fail "after the truncated put, used is $(used), was $u0"
ok "a file truncated during put fails the put, saying so; nothing counted"

# A get while every peer answers slowly (3 s a fragment), killed with
# SIGTERM once its partial file holds data
rand "$T/mid" 1M
"$DZ" put "$T/mid" mid $A $C --quiet || fail "put mid"
for i in 1 2 3 4; do liar "$i" slow; done
mkdir "$T/out"
"$DZ" get mid "$T/out/mid" $A --quiet 2>"$T/get.err" &
get=$!; pids+=($get)
has_data() { [ -n "$(find "$T/out" -name 'mid.dz-partial-*' -size +0 2>/dev/null)" ]; }
wait_for 40 has_data || fail "no partial data after 40 s: $(cat "$T/get.err")"
kill -TERM "$get"
wait_for 30 gone "$get" || fail "get did not stop within 30 s of SIGTERM"
wait "$get" && fail "an interrupted get exited 0"
grep -q interrupted "$T/get.err" || fail "get: $(cat "$T/get.err")"
ls -a "$T/out" | grep -q 'dz-partial' && fail "the partial file stayed: $(ls -a "$T/out")"
[ ! -e "$T/out/mid" ] || fail "an interrupted get left the file"
ok "SIGTERM during get: says interrupted, no partial file left"
