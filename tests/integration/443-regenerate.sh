#!/usr/bin/env bash
# 443: placeholders cannot be made again on demand. With blocks that take
# about 0.6 s to make (256 KiB, 512 rounds) and 150 ms to prove one, an honest peer that
# keeps its blocks proves its 1 MiB offer, while a lying peer that claims
# the same offer, keeps nothing and makes each block again when the
# coordinator asks for it (`--test-lie phregen`) is credited nothing: its
# proofs come late, its claim is cut at each failed check, and the
# coordinator logs why.
. "$(dirname "$0")/lib.sh"

net_start --peers 2 --capacity 64M --k 1 --n 2 --peer-timeout 5 --audit-interval 1 \
	--placeholder-block 256K --placeholder-rounds 512 --placeholder-deadline 150 \
	--placeholder-checks 1
for u in alice mallory; do
	"$DZ" signup --coordinator "$ADDR" --user $u $PW $KDF --home "$T/$u" --quiet ||
		fail "signup $u"
done
pids=()
cleanup_hooks+=('for p in ${pids[@]+"${pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null; true')
"$DZ" peer --data "$T/honest" --coordinator "$ADDR" --capacity 1M --heartbeat 1 \
	--home "$T/alice" $PW >"$T/honest.out" 2>"$T/honest.err" &
pids+=($!)
"$DZ" peer --data "$T/liar" --coordinator "$ADDR" --capacity 1M --heartbeat 1 \
	--home "$T/mallory" $PW --test-lie phregen >"$T/liar.out" 2>"$T/liar.err" &
pids+=($!)

# FIELD of USER's first peer
field() {
	"$DZ" status --home "$T/$1" $PW --json >"$T/$1.json" 2>/dev/null || { echo -1; return; }
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["peers"]
print(eval(sys.argv[2]) if p else -1)' "$T/$1.json" "$2"
}
MiB=$((1 << 20))
end=$((SECONDS + 50))
until [ "$(field alice 'p[0]["capacity_proven"]')" -eq $((1 * MiB)) ]; do
	[ "$SECONDS" -lt "$end" ] || { cat "$T/alice.json" "$T/honest.err" >&2; fail "the honest peer never proved 1 MiB"; }
	sleep 0.5
done
ok "the honest peer keeps its blocks and proves its 1 MiB offer"
grep -q "TESTING ONLY" "$T/liar.err" || fail "the liar does not say it lies"
until [ "$(field mallory 'p[0]["placeholders"]["failed"]')" -ge 2 ]; do
	[ "$SECONDS" -lt "$end" ] || { cat "$T/mallory.json" >&2; fail "the liar was not checked twice"; }
	sleep 0.5
done
[ "$(field mallory 'p[0]["capacity_proven"]')" -eq 0 ] && [ "$(field mallory 'p[0]["placeholders"]["passed"]')" -eq 0 ] ||
	{ cat "$T/mallory.json" >&2; fail "the regenerating liar is credited"; }
grep -Eq "placeholder audit failed: peer [0-9a-f]{16} block [0-9]+: no proof in time" "$NET/coordinator.log" ||
	{ tail "$NET/coordinator.log" >&2; fail "the coordinator does not say why"; }
[ "$(field mallory 'd["earned"]')" -eq 0 ] || fail "mallory earns"
ok "a peer making blocks again on demand is too late every time and earns nothing"
