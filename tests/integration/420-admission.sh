#!/usr/bin/env bash
# 420: peer admission against Sybils, played as the attacks.
# - The Sybil flood: one account (mallory) registers 40 peers from one
#   process and address, each claiming 2^62 bytes free (and losing
#   whatever it is sent: nothing listens at their address). PLACE
#   replies never hold more than one of them (one owner, one fragment),
#   and alice's put succeeds on the 6 honest peers, bit-exact, with
#   nothing on the Sybils.
# - A peer without a binding, with a binding forged by a key that is no
#   device of the account, and an operator (datacentre) claim for a key
#   the operator did not list are all refused, saying what to do.
# - A real peer run for bob from his second computer is admitted; once bob
#   revokes that computer, the peer is refused at its next registration,
#   told to log in and run `drizzle peer --home` again.
# - alice's own peer (`drizzle peer --home`) never gets her fragments.
. "$(dirname "$0")/lib.sh"
DB=$NET/coordinator/coordinator.db
q() { sqlite3 -batch -noheader "$DB" "$1"; }
SYBIL=${DZSYBIL:-$(dirname "$DZ")/tests/tools/dzsybil}
[ -x "$SYBIL" ] || fail "no $SYBIL (make tests)"

pids=()
cleanup_hooks+=('for p in ${pids[@]+"${pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null; true')
nfrags() { find "$1/frags" -type f 2>/dev/null | wc -l; }

# the operator's list: a line that is not a key refuses to start, naming it
printf '# ours\n%064d\nnot-a-key\n' 0 >"$T/bad.keys"
expect_exit 1 "$DZ" coordinator --data "$T/c" --listen 127.0.0.1:0 --datacentre-keys "$T/bad.keys"
grep -q "bad.keys line 3" "$T/err" || fail "bad keys file: $(cat "$T/err")"
ok "a bad --datacentre-keys line refuses to start, naming the line"

net_start --peers 6 --capacity 64M --heartbeat 1 --peer-timeout 30
for u in alice mallory bob; do
	"$DZ" signup --coordinator "$ADDR" --user "$u" $PW $KDF --home "$T/$u" \
		--quiet >/dev/null || fail "signup $u"
done
A="--home $T/alice $PW"

# ---- the flood ----
"$SYBIL" --home "$T/mallory" --password-file "$T/pw" --count 40 --mode bound --for 60 \
	>"$T/sybil.out" 2>"$T/sybil.err" &
pids+=($!)
wait_for "$T/sybil.out" "registered " 20 "${pids[-1]}"
grep -q "^registered 40 refused 0$" "$T/sybil.out" ||
	{ cat "$T/sybil.out" "$T/sybil.err" >&2; fail "the Sybils were not all registered"; }
sed -n 's/^key //p' "$T/sybil.out" >"$T/sybil.keys"
mid=$(q "SELECT id FROM accounts WHERE name = 'mallory'")
[ "$(q "SELECT count(*) FROM peers WHERE owner = $mid AND capacity >= 4611686018427387904")" = 40 ] ||
	fail "the coordinator does not hold 40 huge peers of mallory"
ok "mallory registered 40 peers from one process, each claiming 2^62 bytes"

# a patient attacker's Sybils pass their vetting in time: made trusted
# here, so that only the one-owner rule stands between them and PLACE
q "PRAGMA busy_timeout = 5000; UPDATE peers SET state = 1 WHERE owner = $mid" >/dev/null ||
	fail "cannot make the Sybils trusted"
for i in $(seq 20); do
	"$SYBIL" --home "$T/alice" --password-file "$T/pw" --place 6 >"$T/place" 2>"$T/place.err" ||
		{ cat "$T/place" "$T/place.err" >&2; fail "PLACE $i"; }
	[ "$(wc -l <"$T/place")" = 6 ] || fail "PLACE $i answered $(wc -l <"$T/place") peers"
	ns=$(grep -cxFf "$T/sybil.keys" "$T/place")
	[ "$ns" -le 1 ] || fail "PLACE $i gave $ns of 6 fragments to one account's Sybils"
done
ok "20 PLACE replies of 6 with the Sybils trusted: never more than one Sybil in any"

rand "$T/f" 1500000
"$DZ" put "$T/f" f $A --k 3 --n 6 --segment-size 256K --quiet 2>"$T/put.err" ||
	{ cat "$T/put.err" >&2; fail "alice's put failed among the Sybils"; }
"$DZ" get f "$T/back" $A --quiet && cmp "$T/f" "$T/back" || fail "get f"
on_sybils=$(q "SELECT count(*) FROM locations l JOIN peers p ON p.id = l.peer WHERE p.owner = $mid")
[ "$on_sybils" = 0 ] || fail "$on_sybils fragments committed on Sybils"
ok "alice's put succeeds on the honest peers, bit-exact, nothing on the Sybils"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null; unset 'pids[-1]'

# ---- peers without a valid binding ----
"$SYBIL" --home "$T/mallory" --count 1 --mode nobind --for 0 >"$T/nobind" ||
	fail "dzsybil nobind"
grep -q "^registered 0 refused 1$" "$T/nobind" && grep -q "drizzle peer --home" "$T/nobind" ||
	fail "a peer without a binding: $(cat "$T/nobind")"
"$SYBIL" --home "$T/mallory" --count 1 --mode forged --for 0 >"$T/forged" ||
	fail "dzsybil forged"
grep -q "^registered 0 refused 1$" "$T/forged" && grep -q "no longer logged in" "$T/forged" ||
	fail "a forged binding: $(cat "$T/forged")"
"$SYBIL" --home "$T/mallory" --count 1 --mode datacentre --for 0 >"$T/dc" ||
	fail "dzsybil datacentre"
grep -q "^registered 0 refused 1$" "$T/dc" && grep -q -- "--datacentre-keys" "$T/dc" ||
	fail "an unlisted datacentre claim: $(cat "$T/dc")"
"$DZ" peer --datacentre --data "$T/dcpeer" --coordinator "$ADDR" --heartbeat 1 \
	>"$T/dcpeer.out" 2>"$T/dcpeer.err" &
pids+=($!)
wait_for "$T/dcpeer.err" "refused this peer" 10 "${pids[-1]}"
grep -q -- "add it to the coordinator's --datacentre-keys" "$T/dcpeer.err" ||
	{ cat "$T/dcpeer.err" >&2; fail "the unlisted operator peer is not told what to do"; }
key=$(sed -n 's/.* key \([0-9a-f]\{64\}\)$/\1/p' "$T/dcpeer.out")
[ "$(q "SELECT count(*) FROM peers WHERE hex(id) = upper('$key')")" = 0 ] ||
	fail "the unlisted operator peer was registered"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null; unset 'pids[-1]'
ok "no binding, a forged binding, an unlisted --datacentre: all refused, saying what to do"

# ---- a revoked device's peer ----
"$DZ" login --coordinator "$ADDR" --user bob --home "$T/bob2" $PW $KDF >/dev/null || fail "bob's login"
"$DZ" peer --home "$T/bob2" $PW --heartbeat 1 >"$T/bp.out" 2>"$T/bp.err" &
pids+=($!)
wait_for "$T/bp.err" "registered with the coordinator" 10 "${pids[-1]}"
[ -e "$T/bob2/peer/binding" ] || fail "no binding kept in the peer's data directory"
grep -qa "correct horse" "$T/bob2/peer/binding" && fail "the password is in the binding"
bid=$(q "SELECT id FROM accounts WHERE name = 'bob'")
[ "$(q "SELECT count(*) FROM peers WHERE owner = $bid")" = 1 ] || fail "bob's peer not owned by bob"
kill "${pids[-1]}"; wait "${pids[-1]}" || fail "bob's peer exit $?"; unset 'pids[-1]'
"$DZ" devices --home "$T/bob2" $PW >"$T/dev" || fail "devices"
fpr=$(sed -n 's/^\* \([0-9a-f]\{16\}\) .*/\1/p' "$T/dev")
"$DZ" devices revoke "$fpr" --home "$T/bob" $PW >/dev/null || fail "revoke bob2"
: >"$T/bp.err"
"$DZ" peer --home "$T/bob2" --heartbeat 1 </dev/null >"$T/bp.out" 2>"$T/bp.err" &
pids+=($!)
wait_for "$T/bp.err" "refused this peer" 10 "${pids[-1]}"
grep -q "no longer logged in" "$T/bp.err" && grep -q "drizzle peer --home" "$T/bp.err" ||
	{ cat "$T/bp.err" >&2; fail "the revoked device's peer is not told what to do"; }
wait_for "$T/bp.err" "removed " 10 "${pids[-1]}"
[ -e "$T/bob2/peer/binding" ] && fail "the refused binding was kept"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null; unset 'pids[-1]'
ok "a peer bound by a since revoked device is refused (restarting needed no password)"

# ---- alice's own peer ----
"$DZ" peer --home "$T/alice" $PW --data "$T/own" --capacity 64M --heartbeat 1 \
	>"$T/own.out" 2>"$T/own.err" &
pids+=($!)
wait_for "$T/own.err" "registered with the coordinator" 10 "${pids[-1]}"
"$DZ" put "$T/f" f2 $A --k 3 --n 6 --segment-size 256K --quiet || fail "put f2"
[ "$(nfrags "$T/own")" = 0 ] || fail "alice's own peer holds $(nfrags "$T/own") of her fragments"
ok "alice's own peer gets none of her fragments"
net_stop
