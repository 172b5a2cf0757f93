#!/usr/bin/env bash
# 225: a peer's memory is bounded per connection (issue 13, point 6). Two
# attacks, each from one connection that pipelines requests for a stored
# 256 KiB fragment and then reads nothing (tests/tools/dzflood):
#  - 2,000 FRAG_GETs (--getpipe). Before the bound this took a peer from
#    18 MB to 528 MB resident.
#  - 5,000 AUDITs (--auditpipe), each of which makes the peer re-read and
#    hash the whole fragment and queue a 17 KiB proof: unbounded, 85 MB
#    of replies, and one core busy hashing. Peers answer AUDIT only from
#    the coordinator's key (a stranger's first one is refused), so this
#    flood shows the coordinator's key: what a coordinator gone wrong, or
#    one whose key was stolen, could do.
# Under each the peer's resident memory stays under PEER_RSS_MAX_KB
# (docs/net.md, "Memory per connection"), and the same peer keeps serving
# another client meanwhile: a get that needs it (the only other holders
# are 3 of 4, k = 4) succeeds in bounded time. When the AUDIT attacker
# starts reading, every one of its 5,000 requests gets a proof that
# verifies: held, not dropped.
. "$(dirname "$0")/lib.sh"

FLOOD=${DZFLOOD:-$(dirname "$DZ")/tests/tools/dzflood}
[ -x "$FLOOD" ] || fail "no $FLOOD (make tests builds it)"
# 64 MiB: the peer's own baseline (~20 MB) plus its per-connection reply
# budget (8 MiB) and allocator slack, far below 2,000 replies (500 MiB)
# or 5,000 proofs (85 MiB)
PEER_RSS_MAX_KB=$((64 * 1024))
# under AddressSanitizer (make check) resident memory says nothing of ours:
# the attacks and the gets still run, the bound is not judged
[ -n "${DRIZZLE_SANITIZED:-}" ] && PEER_RSS_MAX_KB=$((1 << 40))
AUDITS=5000
now_ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

flood_pid=
cleanup_hooks+=('[ -n "$flood_pid" ] && { kill "$flood_pid"; wait "$flood_pid"; } 2>/dev/null; true')

# wait_line FILE REGEX SECONDS: until FILE has a line matching REGEX, while
# the flooder lives
wait_line() {
	local end=$(( $(now_ms) + $3 * 1000 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		grep -qE "$2" "$1" && return 0
		kill -0 "$flood_pid" 2>/dev/null || { grep -qE "$2" "$1"; return; }
		sleep 0.1
	done
	return 1
}

# flood_start KIND COUNT: the attacker on peer 1, until its requests are out
flood_start() {
	"$FLOOD" "$paddr" "--$1" "$name" --count "$2" --for 90 "${@:3}" >"$T/$1.out" 2>"$T/$1.err" &
	flood_pid=$!
	wait_line "$T/$1.out" '^sent ' 30 || { cat "$T/$1.err" >&2; fail "$1: the flooder did not send"; }
	grep -q "^sent $2\$" "$T/$1.out" || { cat "$T/$1.out" "$T/$1.err" >&2; fail "$1: the $2 requests did not go out"; }
}

# under_attack WHAT: a get through peer 1 succeeds, and peer 1's resident
# memory, sampled for 3 s while the attack holds, stays under the bound
under_attack() {
	local t0 el max=0 r end
	t0=$(now_ms)
	timeout 60 "$DZ" get f "$T/back" $A --force --quiet || fail "get while peer 1 is flooded with $1"
	cmp "$T/f" "$T/back" || fail "wrong data back"
	el=$(( $(now_ms) - t0 ))
	ok "get through the peer flooded with $1 in $el ms"
	end=$(( $(now_ms) + 3000 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		r=$(rss_kb "$ppid_")
		[ "$r" -gt "$max" ] && max=$r
		sleep 0.1
	done
	kill -0 "$ppid_" 2>/dev/null || fail "peer 1 died"
	echo "peer 1 resident: $base KiB before, at most $max KiB under $1"
	[ "$max" -lt "$PEER_RSS_MAX_KB" ] || fail "peer 1 grew to $max KiB (bound $PEER_RSS_MAX_KB KiB)"
	ok "peer 1 under $PEER_RSS_MAX_KB KiB with $1 unread"
}

net_start --peers 5 --capacity 64M
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet >/dev/null ||
	fail signup
# one 1 MiB segment, 4-of-5: five fragments of 256 KiB (+ header), one a peer
rand "$T/f" 1048576
"$DZ" put "$T/f" f $A --k 4 --n 5 --segment-size 1M --quiet || fail put
frag=$(find "$NET/peer-1/frags" -type f | head -1)
[ -n "$frag" ] || fail "peer 1 holds no fragment"
size=$(stat -c %s "$frag")
[ "$size" -ge 262144 ] && [ "$size" -lt 266240 ] || fail "fragment of $size bytes, not 256 KiB"
name=$(basename "$frag")
paddr=$(cat "$NET/peer-1/peer.addr")
ppid_=$(cat "$NET/peer-1/pid")
base=$(rss_kb "$ppid_")
ok "a 256 KiB fragment on peer 1 ($paddr, pid $ppid_, $base KiB resident)"
# the peer serves someone else meanwhile: peer 5 gone, a get needs peer 1
kill "$(cat "$NET/peer-5/pid")" || fail "kill peer 5"

flood_start getpipe 2000
under_attack "2000 FRAG_GETs"
kill "$flood_pid"; wait "$flood_pid" 2>/dev/null; flood_pid=
ok "FRAG_GET flooder stopped"

# AUDIT is the coordinator's: from any other key the first one is refused
# (DZ_EDENIED), before the peer reads a byte of the fragment
"$FLOOD" "$paddr" --auditpipe "$name" --count 1 --for 10 >"$T/refused.out" 2>"$T/refused.err"
grep -q "^refused -22\$" "$T/refused.out" ||
	{ cat "$T/refused.out" "$T/refused.err" >&2; fail "an AUDIT from a stranger's key was not refused"; }
ok "an AUDIT from another key than the coordinator's is refused"
# the flood itself comes with the coordinator's own key (a coordinator
# gone wrong, or one whose key was stolen): still bounded
flood_start auditpipe "$AUDITS" --identity "$NET/coordinator/identity.key"
under_attack "$AUDITS AUDITs"
# now the attacker reads: every request answered, every proof verifies
t0=$(now_ms)
kill -USR1 "$flood_pid"
wait_line "$T/auditpipe.out" '^read ' 60 || { cat "$T/auditpipe.err" >&2; fail "the AUDIT replies did not come"; }
line=$(grep '^read ' "$T/auditpipe.out")
[ "$line" = "read $AUDITS ok $AUDITS error 0 bad 0" ] ||
	fail "AUDIT replies once read: '$line', not $AUDITS verified proofs"
ok "all $AUDITS AUDITs answered with verified proofs once read ($(( $(now_ms) - t0 )) ms)"
wait "$flood_pid" 2>/dev/null; flood_pid=
ok "AUDIT flooder done"
