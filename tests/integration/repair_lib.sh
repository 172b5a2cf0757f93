# Shared by the repair scenarios (320-329), after lib.sh: the coordinator
# database read with the sqlite3 CLI, extra peers, waits with deadlines.
DB=$NET/coordinator/coordinator.db
GRACE=${GRACE:-3}

q() { sqlite3 -batch -noheader "$DB" "$1"; }

# health: the fewest fragment indexes of any segment held by a peer heard
# from within the grace period (the coordinator's "healthy holder"), over
# every segment of every object; "" if there is no segment
health() {
	q "SELECT min(c) FROM (SELECT count(DISTINCT CASE WHEN
	     p.last_heartbeat >= strftime('%s','now') - $GRACE AND p.left_at IS NULL AND p.state < 2
	     THEN f.idx END) c
	   FROM fragments f
	   LEFT JOIN locations l ON l.account = f.account AND l.name = f.name
	   LEFT JOIN peers p ON p.id = l.peer
	   GROUP BY f.account, f.object, f.segment)"
}

# until_health N SECONDS: every segment back at N healthy within SECONDS
until_health() {
	local h
	for _ in $(seq $(($2 * 5))); do
		h=$(health)
		[ -n "$h" ] && [ "$h" -ge "$1" ] && return 0
		sleep 0.2
	done
	tail -5 "$NET/coordinator.log" >&2
	fail "health $(health), not $1, after $2 s"
}

# kill_peer I: SIGKILL testnet's peer I (it stays dead: testnet reports
# it and keeps the others running)
kill_peer() {
	local pid
	pid=$(cat "$NET/peer-$1/pid") || fail "no pid for peer $1"
	kill -9 "$pid" || fail "kill peer $1"
}

# extra_peer NAME [CAPACITY]: one more peer, outside testnet, on any free
# port, lending CAPACITY (default 256M), run by an account of its own
# (user peer.NAME, profile $T/home-NAME) as any user's peer would be
extra_pids=()
cleanup_hooks+=('for p in ${extra_pids[@]+"${extra_pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null; true')
extra_peer() {
	"$DZ" signup --coordinator "$ADDR" --user "peer.$1" $PW $KDF --home "$T/home-$1" \
		--quiet >/dev/null || fail "signup peer.$1"
	"$DZ" peer --home "$T/home-$1" $PW --data "$T/$1" --listen 127.0.0.1:0 \
		--capacity "${2:-256M}" --heartbeat 1 >"$T/$1.out" 2>"$T/$1.err" &
	extra_pids+=($!)
	wait_for "$T/$1.err" "registered with the coordinator" 10 "${extra_pids[-1]}"
}

# until_lost N SECONDS: at least N peers count as lost (not heard from
# within the grace period) within SECONDS
until_lost() {
	for _ in $(seq $(($2 * 5))); do
		[ "$(q "SELECT count(*) FROM peers WHERE
		       last_heartbeat < strftime('%s','now') - $GRACE")" -ge "$1" ] && return 0
		sleep 0.2
	done
	fail "not $1 peers lost after $2 s"
}

# liar_peer I MODE: testnet's peer I replaced by one answering FRAG_GET
# wrongly in MODE (same data, key and address; heartbeats every second)
liar_peer() {
	local i=$1 pid
	pid=$(cat "$NET/peer-$i/pid") || fail "no pid for peer $i"
	kill "$pid" || fail "kill peer $i"
	for _ in $(seq 100); do
		[ -e "$NET/peer-$i/pid" ] || break
		sleep 0.1
	done
	"$DZ" peer --datacentre --data "$NET/peer-$i" --coordinator "$ADDR" --heartbeat 1 \
		--listen "127.0.0.1:$((PORT + i))" --capacity 64M --test-lie "$2" \
		>"$T/liar-$i.out" 2>"$T/liar-$i.err" &
	extra_pids+=($!)
	wait_for "$T/liar-$i.err" "registered with the coordinator" 10 "${extra_pids[-1]}"
}
