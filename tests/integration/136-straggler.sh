#!/usr/bin/env bash
# 136: a straggler does not hold a put up: a peer that acknowledges
# FRAG_PUT only after 20 s (`--test-lie slowput`) holds some segments'
# last fragment; once most of a segment is stored the rest get a short
# grace and then go to other peers, so the put ends well before 20 s; the
# file comes back bit-exact even with the slow peer gone, since nothing
# counts on what it stored late.
. "$(dirname "$0")/lib.sh"

net_start --peers 8 --capacity 16M
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
liar 1 slowput
rand "$T/f" 3000000
t0=$(date +%s)
"$DZ" put "$T/f" f --home "$T/a" $PW --k 3 --n 6 --segment-size 512K --quiet ||
	fail "put with a straggler"
dt=$(( $(date +%s) - t0 ))
[ "$dt" -lt 15 ] || fail "the put waited for the straggler ($dt s)"
ok "a straggling peer: the put took $dt s, not 20"

# the straggler's late copies are not counted on: kill it and 3 = n - k
# of the others, and every segment still has k fragments (SIGKILL: on
# SIGTERM it would first sit out the 20 s of the put it holds)
kill -9 "${liar_pids[0]}"
wait "${liar_pids[0]}" 2>/dev/null
liar_pids=()
for i in 2 3; do kill -9 "$(cat "$NET/peer-$i/pid")"; done
"$DZ" get f "$T/back" --home "$T/a" $PW --quiet 2>"$T/get.err" ||
	{ cat "$T/get.err"; fail "get without the straggler and 2 others"; }
cmp "$T/f" "$T/back" || fail "wrong data"
ok "bit-exact without the straggler and two other peers"
net_stop
