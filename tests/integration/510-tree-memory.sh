#!/usr/bin/env bash
# 510: put -r and get -r of a tree of 80 files stored as objects of their
# own (1.2 MiB each, above the packing threshold) stay within the client's
# 128 MiB resident bound (docs/net.md): memory does not grow with the
# number of files (each transfer's worker threads give their connections
# and buffers back when they end).
. "$(dirname "$0")/lib.sh"

[ -n "${DRIZZLE_SANITIZED:-}" ] && { ok "skipped under the sanitizers (their shadow memory)"; exit 0; }
command -v /usr/bin/time >/dev/null || fail "/usr/bin/time is needed: tools/install-deps.sh"
A="--home $T/a $PW"
net_start --peers 4 --k 2 --n 4 --capacity 1G
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
mkdir -p "$T/big"
for i in $(seq 80); do head -c 1200000 /dev/urandom >"$T/big/f$i"; done
/usr/bin/time -f "%M" -o "$T/m.put" "$DZ" put -r "$T/big" big $A --quiet || fail "put -r"
/usr/bin/time -f "%M" -o "$T/m.get" "$DZ" get -r big "$T/out" $A --quiet || fail "get -r"
diff -r "$T/big" "$T/out" || fail "get -r: differs"
put=$(tail -1 "$T/m.put"); get=$(tail -1 "$T/m.get")
[ "$put" -lt $((128 << 10)) ] || fail "put -r of 80 files peaked at $((put >> 10)) MiB"
[ "$get" -lt $((128 << 10)) ] || fail "get -r of 80 files peaked at $((get >> 10)) MiB"
ok "put -r / get -r of 80 files of 1.2 MiB: peaks $((put >> 10)) / $((get >> 10)) MiB (bound 128)"
