#!/usr/bin/env bash
# 200: a `drizzle peer` stopped with SIGTERM (or SIGINT) tells the
# coordinator it is leaving: `drizzle status` counts it offline at once,
# though the coordinator's heartbeat timeout (--peer-timeout 120) is far
# away; started again, it is online again.
. "$(dirname "$0")/lib.sh"

cpid= ppid_=
cleanup_hooks+=('for p in $ppid_ $cpid; do kill "$p" 2>/dev/null && wait "$p"; done; true')

# online: the "N" of status's "peers N online of M" line
online() {
	"$DZ" status --home "$T/h" $PW >"$T/st" 2>"$T/st.err" ||
		{ cat "$T/st.err" >&2; fail "status exited $?"; }
	sed -n 's/^peers *\([0-9]*\) online of [0-9]*$/\1/p' "$T/st"
}

# until_online N SECONDS: status says N online within SECONDS
until_online() {
	for _ in $(seq $(($2 * 10))); do
		[ "$(online)" = "$1" ] && return 0
		sleep 0.1
	done
	cat "$T/st" >&2
	fail "not $1 peers online within $2 s"
}

"$DZ" coordinator --data "$T/c" --listen 127.0.0.1:0 --placeholder-checks 0 --peer-timeout 120 \
	>"$T/c.out" 2>"$T/c.err" &
cpid=$!
wait_for "$T/c.out" "listening" 10 "$cpid"
caddr=$(cat "$T/c/coordinator.addr")
"$DZ" signup --coordinator "$caddr" --user leaver --home "$T/h" $PW $KDF --quiet ||
	fail "signup"

for sig in TERM INT; do
	: >"$T/p.err"
	"$DZ" peer --home "$T/h" $PW --data "$T/p" --heartbeat 1 \
		>"$T/p.out" 2>"$T/p.err" &
	ppid_=$!
	wait_for "$T/p.err" "registered with the coordinator" 10 "$ppid_"
	until_online 1 5
	t0=$(date +%s)
	kill -"$sig" "$ppid_"
	wait "$ppid_" || fail "peer exited $? after SIG$sig"
	ppid_=
	grep -q "that this peer is leaving" "$T/p.err" ||
		{ cat "$T/p.err" >&2; fail "SIG$sig: the peer did not say it was leaving"; }
	[ "$(online)" = 0 ] || { cat "$T/st" >&2; fail "SIG$sig: the peer still counts as online"; }
	[ $(($(date +%s) - t0)) -lt 10 ] || fail "SIG$sig: leaving took 10 s or more"
	ok "SIG$sig: offline at once, not after the 120 s timeout"
done
