#!/usr/bin/env bash
# 502: versions. A file put three times keeps its two earlier versions;
# `versions` lists 3, 2, 1 (3 current); `get PATH@N` gives each back
# bit-exact; `restore PATH@1` makes the first one current (as version 4,
# the one it replaced kept); a put with --versions 1 drops the older ones
# and their fragments leave the peers; rm forgets every version; a file
# literally named x@2 is fetched as it is.
. "$(dirname "$0")/lib.sh"

A="--home $T/a $PW"
net_start --peers 4 --k 2 --n 4 --gc-interval 1 --gc-margin 2
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
for i in 1 2 3; do
	rand "$T/v$i" $((1000 * i + 7))
	"$DZ" put "$T/v$i" doc/report $A --quiet || fail "put $i"
done
until_frags -eq 12
"$DZ" versions doc/report $A >"$T/vers" || fail versions
awk '{print $1}' "$T/vers" | tr '\n' ' ' | grep -qx '3 2 1 ' ||
	{ cat "$T/vers" >&2; fail "versions: not 3 2 1"; }
grep -E '^ +3 .*current$' "$T/vers" >/dev/null || { cat "$T/vers" >&2; fail "3 not current"; }
for i in 1 2 3; do
	"$DZ" get "doc/report@$i" "$T/g$i" $A --quiet || fail "get @$i"
	cmp -s "$T/v$i" "$T/g$i" || fail "version $i differs"
done
"$DZ" get doc/report "$T/cur" $A --quiet && cmp -s "$T/v3" "$T/cur" || fail "current is not 3"
expect_exit 1 "$DZ" get doc/report@9 "$T/g9" $A --quiet
grep -q "no version 9" "$T/err" || { cat "$T/err" >&2; fail "@9: no reason"; }
ok "three puts: versions 3 2 1, each back bit-exact"

"$DZ" restore doc/report@1 $A >"$T/rs" || fail restore
grep -q "now version 4" "$T/rs" || { cat "$T/rs" >&2; fail "restore: not version 4"; }
"$DZ" get doc/report "$T/cur" --force $A --quiet && cmp -s "$T/v1" "$T/cur" || fail "restore: current is not 1"
"$DZ" get doc/report@3 "$T/g3" --force $A --quiet && cmp -s "$T/v3" "$T/g3" || fail "restore lost 3"
expect_exit 2 "$DZ" restore doc/report $A
ok "restore @1 made it current (as 4); 3 is kept"

rand "$T/v5" 5000
"$DZ" put "$T/v5" doc/report --versions 1 $A --quiet || fail "put --versions 1"
n=$("$DZ" versions doc/report $A | wc -l)
[ "$n" -eq 2 ] || fail "--versions 1 kept $((n - 1)) previous versions"
until_frags -eq 8
ok "--versions 1 dropped the older versions; their fragments left the peers"

rand "$T/lit" 10
"$DZ" put "$T/lit" 'x@2' $A --quiet || fail "put x@2"
"$DZ" get 'x@2' "$T/lit.back" $A --quiet && cmp -s "$T/lit" "$T/lit.back" ||
	fail "a file named x@2"
"$DZ" rm doc/report $A --quiet || fail rm
until_frags -eq 4
ok "rm forgot every version; a name ending in @2 is a name"
