#!/usr/bin/env bash
# 507: three computers of one account change one folder at once and lose
# nothing: each puts a tree of 40 files with put -r into shared/, puts 8
# files one by one into shared/, and makes a folder, all at the same time;
# afterwards every computer lists all 3 x (40 + 8) files and 3 folders,
# and each file comes back as its computer wrote it. Meanwhile a fourth
# move (shared/sub to moved/) while a computer writes into shared/sub
# ends in a consistent tree: every file is found in one place.
. "$(dirname "$0")/lib.sh"

net_start --peers 4 --k 2 --n 4
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
for c in b c; do
	"$DZ" login --coordinator "$ADDR" --user alice --home "$T/$c" $PW $KDF >/dev/null ||
		fail "login $c"
done
"$DZ" mkdir shared/sub --home "$T/a" $PW --quiet || fail mkdir
for c in a b c; do
	mkdir -p "$T/tree-$c"
	for i in $(seq 40); do echo "$c tree $i" >"$T/tree-$c/t-$c-$i"; done
done
work() { # computer c
	local c=$1 H="--home $T/$1 $PW" i
	"$DZ" put -r "$T/tree-$c" shared/ $H --quiet || echo "put -r $c failed" >>"$T/errors"
	for i in $(seq 8); do
		echo "$c one $i" >"$T/one-$c-$i"
		"$DZ" put "$T/one-$c-$i" "shared/one-$c-$i" $H --quiet ||
			echo "put $c $i failed" >>"$T/errors"
	done
	"$DZ" mkdir "shared/dir-$c" $H --quiet || echo "mkdir $c failed" >>"$T/errors"
}
work a & pa=$!; work b & pb=$!; work c & pc=$!
# and a move racing a writer into the moved folder
( for i in $(seq 6); do echo "sub $i" >"$T/sub-$i"
	"$DZ" put "$T/sub-$i" "shared/sub/s$i" --home "$T/b" $PW --quiet ||
		echo "put sub $i failed" >>"$T/errors"; done ) & ps=$!
"$DZ" mv shared/sub moved-sub --home "$T/c" $PW --quiet || echo "mv failed" >>"$T/errors"
wait $pa $pb $pc $ps
[ -s "$T/errors" ] && fail "$(cat "$T/errors")"
for c in a b c; do
	"$DZ" ls shared --home "$T/$c" $PW >"$T/ls-$c" || fail "ls on $c"
	for w in a b c; do
		n=$(grep -c "  shared/tree-$w/t-$w-" "$T/ls-$c")
		[ "$n" -eq 40 ] || fail "$c sees $n of $w's 40 tree files"
		n=$(grep -c "  shared/one-$w-" "$T/ls-$c")
		[ "$n" -eq 8 ] || fail "$c sees $n of $w's 8 files"
		grep -q "  shared/dir-$w/$" "$T/ls-$c" || fail "$c does not see dir-$w"
	done
done
"$DZ" get shared/tree-b/t-b-17 "$T/x" --home "$T/a" $PW --quiet && [ "$(cat "$T/x")" = "b tree 17" ] ||
	fail "a file of b's tree, read on a"
ok "three computers changing one folder at once: all 144 files and 3 folders on each"
"$DZ" ls --home "$T/a" $PW >"$T/all" || fail "ls all"
for i in $(seq 6); do
	n=$(grep -cE "  (shared/sub|moved-sub)/s$i$" "$T/all")
	[ "$n" -eq 1 ] || { cat "$T/all" >&2; fail "s$i is in $n places after the racing move"; }
done
ok "a move racing writes into the moved folder: each file in exactly one place"
