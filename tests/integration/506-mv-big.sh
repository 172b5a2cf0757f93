#!/usr/bin/env bash
# 506: mv of a folder of 1,000 files uploads no file data: the peers hold
# the very same fragment files before and after, the coordinator the same
# objects, only folder records change; the files come back bit-exact from
# the new place and the old one is gone. A rename inside one folder and a
# move to another parent alike.
. "$(dirname "$0")/lib.sh"

A="--home $T/a $PW"
net_start --peers 4 --k 2 --n 4
DB=$NET/coordinator/coordinator.db
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
mkdir -p "$T/src/photos/2024"
for i in $(seq 1000); do printf 'photo %d\n' "$i" >"$T/src/photos/2024/p$i.jpg"; done
rand "$T/src/photos/big.raw" 1500000
"$DZ" put -r "$T/src/photos" photos $A --quiet || fail "put -r"
state() { # fragment files with their sizes, then the object rows
	find "$NET"/peer-*/frags -type f ! -name '.tmp-*' -printf '%P %s\n' | sort
	sqlite3 "$DB" "SELECT hex(object) FROM objects ORDER BY 1" || fail "sqlite3"
}
state >"$T/before"
[ "$(grep -c ' ' "$T/before")" -ge 8 ] && [ "$(grep -vc ' ' "$T/before")" -ge 2 ] ||
	{ cat "$T/before" >&2; fail "too few fragments or objects to compare"; }
"$DZ" mv photos/2024 photos/year-2024 $A --quiet || fail "rename"
"$DZ" mkdir archive $A --quiet || fail mkdir
"$DZ" mv photos archive/ $A --quiet || fail "move"
state >"$T/after"
cmp -s "$T/before" "$T/after" || fail "mv changed fragments or objects (file data moved)"
"$DZ" ls archive/photos/year-2024 $A | wc -l | grep -qx 1000 || fail "not 1000 files after mv"
"$DZ" get archive/photos/year-2024/p777.jpg "$T/p777" $A --quiet || fail get
[ "$(cat "$T/p777")" = "photo 777" ] || fail "p777 differs"
"$DZ" get archive/photos/big.raw "$T/big" $A --quiet && cmp -s "$T/src/photos/big.raw" "$T/big" ||
	fail "big.raw differs"
expect_exit 1 "$DZ" ls photos $A
ok "mv of a folder of 1,000 files: no fragment or object changed, all there at the new place"
