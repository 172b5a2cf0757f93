#!/usr/bin/env bash
# 220: servers keep serving under a connection flood (issue 13, point 5).
# The coordinator and one peer each get 1,000 idle TCP connections, 20
# that send garbage and 20 stalled TLS handshakes (tests/tools/dzflood,
# which reopens whatever the server closes, so the pressure lasts), while
# a client signs up, logs in on a second computer, puts, lists and gets a
# file whose fragments must come from the flooded peer. Every step must
# succeed within its usual time (60 s, generous); the servers recycle
# the unproven slots (docs/net.md, "Limits and deadlines") and never
# close a proven connection for them.
. "$(dirname "$0")/lib.sh"

FLOOD=${DZFLOOD:-$(dirname "$DZ")/tests/tools/dzflood}
[ -x "$FLOOD" ] || fail "no $FLOOD (make tests builds it)"
now_ms() { date +%s%3N; }

flood_pids=()
cleanup_hooks+=('for p in ${flood_pids[@]+"${flood_pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null; true')

# flood ADDR: 1,000 idle, 20 garbage, 20 stalled, until stopped
flood() {
	local n=${#flood_pids[@]}
	"$FLOOD" "$1" --idle 1000 --garbage 20 --stall 20 --for 120 \
		>"$T/flood-$n.out" 2>"$T/flood-$n.err" &
	flood_pids+=($!)
	for _ in $(seq 100); do
		grep -q '^ready' "$T/flood-$n.out" && return
		kill -0 "${flood_pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/flood-$n.err" >&2
	fail "flooder of $1 not ready"
}

# step NAME CMD...: CMD must succeed within 60 s
step() {
	local name=$1 t0 el rc=0; shift
	t0=$(now_ms)
	timeout 60 "$@" >"$T/step.out" 2>"$T/step.err" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$T/step.err" >&2; fail "$name under the flood (exit $rc)"; }
	el=$(( $(now_ms) - t0 ))
	ok "$name: $el ms"
}

net_start --peers 4 --capacity 64M
paddr=$(cat "$NET/peer-1/peer.addr")
flood "$ADDR"
flood "$paddr"
ok "flooding the coordinator $ADDR and peer 1 $paddr"

A="--home $T/a $PW"
B="--home $T/b $PW"
step signup "$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet
step login "$DZ" login --coordinator "$ADDR" --user alice $PW $KDF --home "$T/b"
rand "$T/f" 2000000
# 3-of-4: every segment has a fragment on peer 1, and the get below needs it
step put "$DZ" put "$T/f" f $A --k 3 --n 4 --segment-size 1M --quiet
find "$NET/peer-1/frags" -type f | grep -q . || fail "no fragment on the flooded peer"
step ls "$DZ" ls $B
grep -qw f "$T/step.out" || fail "ls does not show f"
kill "$(cat "$NET/peer-4/pid")" || fail "kill peer 4"
step get "$DZ" get f "$T/back" $B --quiet
cmp "$T/f" "$T/back" || fail "wrong data back"

# figures for docs/net.md: what the flood costs the servers
for who in coordinator peer-1; do
	echo "$who resident under the flood: $(awk '/^VmRSS:/ {print $2, $3}' "/proc/$(cat "$NET/$who/pid")/status")"
done

# the flood really was there all along, and was answered
for i in "${!flood_pids[@]}"; do
	kill -0 "${flood_pids[$i]}" 2>/dev/null || fail "flooder $i died"
done
for p in "${flood_pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null; done
flood_pids=()
for f in "$T"/flood-*.out; do
	echo "$(basename "$f" .out): $(tail -1 "$f")"
	read -r _ opened _ closed < <(tail -1 "$f")
	[ "$opened" -ge 1040 ] || fail "$f: only $opened connections opened"
	[ "$closed" -gt 0 ] || fail "$f: the server closed none of the flood"
done
ok "flooders stopped; both servers still up"
kill -0 "$(cat "$NET/coordinator/pid")" || fail "coordinator died"
kill -0 "$(cat "$NET/peer-1/pid")" || fail "peer 1 died"
