#!/usr/bin/env bash
# 431: `drizzle whatdoyouknow` shows what the coordinator stores about the
# account: its name, hint and KDF parameters, both computers logged in
# (their full keys, matching `drizzle devices`), the peer the account
# runs (its address and capacity), and used bytes that are exactly the
# files counted once (k of each segment's n fragments: 2 of 4 here) plus
# the record bytes it holds, the fragment bytes equal to the sizes of the
# fragment files on the peers, and used falls when a file is removed.
# --json is valid JSON with the same figures; bob sees none of alice's.
. "$(dirname "$0")/lib.sh"

own_pid=
cleanup_hooks+=('[ -n "$own_pid" ] && { kill "$own_pid"; wait "$own_pid"; } 2>/dev/null; true')

net_start --peers 4 --capacity 16M
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice --hint "the usual one" $PW $KDF \
	--home "$T/a" --quiet >/dev/null || fail "signup"
"$DZ" login --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a2" \
	>/dev/null 2>&1 || fail "login on a second computer"
"$DZ" signup --coordinator "$ADDR" --user bob $PW $KDF --home "$T/b" --quiet \
	>/dev/null || fail "signup bob"

# the account's own peer, bound to it by the account's device key
own=(--home "$T/a" $PW)
"$DZ" peer --data "$T/own" --coordinator "$ADDR" --listen "127.0.0.1:$((PORT + 50))" \
	--capacity 8M "${own[@]}" >"$T/own.out" 2>"$T/own.err" &
own_pid=$!
wait_for "$T/own.err" registered 10 "$own_pid"

rand "$T/f1" 200000
rand "$T/f2" 50000
"$DZ" put "$T/f1" f1 $A --k 2 --n 4 --quiet || fail "put f1"
"$DZ" put "$T/f2" f2 $A --k 2 --n 4 --quiet || fail "put f2"

"$DZ" whatdoyouknow $A >"$T/k.txt" || fail "whatdoyouknow"
"$DZ" whatdoyouknow $A --json >"$T/k.json" || fail "whatdoyouknow --json"
python3 -m json.tool "$T/k.json" >/dev/null || fail "--json is not JSON"
j() { python3 -c "import json,sys; d=json.load(open('$T/k.json')); print($1)"; }

grep -q '^  name          alice$' "$T/k.txt" || fail "no account name"
grep -q 'the usual one' "$T/k.txt" || fail "no hint"
grep -q 'Argon2id, 1 passes' "$T/k.txt" || fail "no KDF parameters"
grep -q '^not stored$' "$T/k.txt" || fail "no 'not stored' section"
[ "$(j 'd["user"]')" = alice ] || fail "json user"
[ "$(j 'd["kdf"]["memlimit"]')" = 65536 ] || fail "json memlimit"
[ "$(j 'len(d["salt"])')" = 32 ] || fail "json salt"
ok "account: name, hint, KDF parameters and salt, what is not stored"

"$DZ" devices $A >"$T/dev" || fail "devices"
[ "$(j 'len(d["devices"])')" = 2 ] || fail "not 2 devices"
for f in $(awk 'NR > 1 { print ($1 == "*") ? $2 : $1 }' "$T/dev"); do
	grep -q "key $f" "$T/k.txt" || fail "device $f not shown"
done
ok "both computers' keys shown, as drizzle devices lists them"

[ "$(j 'len(d["peers"])')" = 1 ] || fail "not 1 peer: $(j 'd["peers"]')"
[ "$(j 'd["peers"][0]["addr"]')" = "127.0.0.1:$((PORT + 50))" ] || fail "peer address"
[ "$(j 'd["peers"][0]["capacity"]')" = $((8 << 20)) ] || fail "peer capacity"
[ "$(j 'd["peers"][0]["online"]')" = True ] || fail "peer not online"
grep -q "address 127.0.0.1:$((PORT + 50)), capacity 8.0 MiB" "$T/k.txt" || fail "peer line"
bobs=$("$DZ" whatdoyouknow --home "$T/b" $PW --json) || fail "bob's whatdoyouknow"
echo "$bobs" | grep -q '"peers":\[\]' || fail "bob sees a peer"
echo "$bobs" | grep -q '"fragments":0,' || fail "bob sees fragments"
ok "alice's peer shown (address, 8 MiB, online); bob sees no peer, no fragment"

used=$(j 'd["used"]')
fb=$(j 'd["fragment_bytes"]')
rb=$(j 'd["record_bytes"]')
[ "$used" = $((fb * 2 / 4 + rb)) ] || fail "used $used != 2/4 of fragments $fb + records $rb"
[ "$(j 'd["objects"]')" = 2 ] || fail "not 2 objects"
[ "$(j 'd["copies"]')" = "$(j 'd["fragments"]')" ] || fail "copies != fragments"
ondisk=0
for d in "$NET"/peer-*/frags "$T/own/frags"; do
	[ -d "$d" ] || continue
	n=$(find "$d" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	ondisk=$((ondisk + n))
done
[ "$fb" = "$ondisk" ] || fail "fragment bytes $fb, on the peers' disks $ondisk"
[ "$fb" -ge $((250000 * 2)) ] || fail "fragment bytes $fb below 2x the files"
ok "used $used = 2/4 of fragments $fb (the bytes on the peers' disks) + records $rb"

"$DZ" rm f1 $A --quiet 2>/dev/null || "$DZ" rm f1 $A || fail "rm f1"
"$DZ" whatdoyouknow $A --json >"$T/k.json" || fail "whatdoyouknow after rm"
[ "$(j 'd["used"]')" -lt "$used" ] || fail "used did not fall after rm"
[ "$(j 'd["objects"]')" = 1 ] || fail "not 1 object after rm"
ok "after rm f1: used $(j 'd["used"]') < $used, 1 object"

net_stop
