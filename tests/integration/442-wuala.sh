#!/usr/bin/env bash
# 442: Wuala's two cheats earn nothing beyond the disk really there.
# (1) Two peers of alice share one 64 MiB disk (a tmpfs of 64 MiB),
# each offering 64M; (2) bob's one peer offers 640M on another 64 MiB
# tmpfs. Each peer fills what it can with placeholders and the
# coordinator checks them: alice's two peers together, and bob's, are
# credited with at most 64 MiB, while carol's honest peer (16M offered on
# a roomy disk) is credited its whole offer. Needs root for the tmpfs
# mounts (without it the test says SKIP: a directory cannot be bounded
# in size without one).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/d1" "$T/d2"
pids=()
# the peers first: a busy mount would stay
cleanup_hooks+=('for p in ${pids[@]+"${pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null; umount "$T/d1" "$T/d2" 2>/dev/null; true')
mount -t tmpfs -o size=64m tmpfs "$T/d1" 2>/dev/null &&
	mount -t tmpfs -o size=64m tmpfs "$T/d2" 2>/dev/null ||
	{ umount "$T/d1" 2>/dev/null; echo "SKIP: cannot mount a 64 MiB tmpfs (not root)"; exit 0; }

net_start --peers 3 --capacity 64M --k 2 --n 3 --peer-timeout 5 --audit-interval 1 \
	--placeholder-block 1M --placeholder-rounds 1 --placeholder-deadline 3000 \
	--placeholder-checks 2
for u in alice bob carol; do
	"$DZ" signup --coordinator "$ADDR" --user $u $PW $KDF --home "$T/$u" --quiet ||
		fail "signup $u"
done
peer() { # DIR CAPACITY OWNER
	"$DZ" peer --data "$1" --coordinator "$ADDR" --capacity "$2" --heartbeat 1 \
		--home "$T/$3" $PW >"$1.out" 2>"$1.err" &
	pids+=($!)
}
peer "$T/d1/p1" 64M alice
peer "$T/d1/p2" 64M alice
peer "$T/d2/p3" 640M bob
peer "$T/honest" 16M carol

# proven bytes of USER's peers (sum), from status --json
proven() {
	"$DZ" status --home "$T/$1" $PW --json >"$T/$1.json" 2>/dev/null || { echo -1; return; }
	python3 -c 'import json,sys; print(sum(p["capacity_proven"] for p in json.load(open(sys.argv[1]))["peers"]))' "$T/$1.json"
}
claims() {
	python3 -c 'import json,sys; print(sum(p["placeholders"]["claimed"] for p in json.load(open(sys.argv[1]))["peers"]))' "$T/$1.json"
}
MiB=$((1 << 20))
# settled: carol's peer proved its offer, and the shared disks are full
# (no more than a block free) with the claims proven
settled() {
	local c a b
	c=$(proven carol); a=$(proven alice); b=$(proven bob)
	[ "$c" -eq $((16 * MiB)) ] || return 1
	[ "$(df --output=avail -B1 "$T/d1" | tail -1)" -lt $((3 * MiB)) ] || return 1
	[ "$(df --output=avail -B1 "$T/d2" | tail -1)" -lt $((3 * MiB)) ] || return 1
	[ "$a" -eq $(($(claims alice) * MiB)) ] && [ "$b" -eq $(($(claims bob) * MiB)) ]
}
end=$((SECONDS + 50))
until settled; do
	[ "$SECONDS" -lt "$end" ] || { cat "$T"/*.json >&2; fail "not settled in 50 s: alice $(proven alice), bob $(proven bob), carol $(proven carol)"; }
	sleep 0.5
done
a=$(proven alice); b=$(proven bob)
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(p["capacity_offered"] for p in d["peers"]))' "$T/alice.json" >"$T/offered"
[ "$a" -le $((64 * MiB)) ] && [ "$a" -ge $((48 * MiB)) ] ||
	fail "alice's two peers on one 64 MiB disk are credited $a bytes"
[ "$b" -le $((64 * MiB)) ] && [ "$b" -ge $((48 * MiB)) ] ||
	fail "bob's 640M peer on a 64 MiB disk is credited $b bytes"
ok "two peers on one 64 MiB disk: $((a / MiB)) MiB proven; 640M offered on 64 MiB: $((b / MiB)) MiB proven"
ok "the honest peer is credited its whole 16 MiB offer"
