#!/usr/bin/env bash
# 040: a damaged file record or keyfile is reported as damaged (exit 4 for
# the record), never crashes and never yields bytes: flipped, truncated,
# emptied, or a record swapped in from another file.
. "$(dirname "$0")/lib.sh"
S=$T/store
new_store "$S"
rand "$T/a" 200000
rand "$T/b" 200000
a=$("$DZ" local put --store "$S" $PW --quiet --segment-size 64K "$T/a") || fail put
b=$("$DZ" local put --store "$S" $PW --quiet --segment-size 64K "$T/b") || fail put
cp "$S/records/$a" "$T/rec"
size=$(stat -c %s "$T/rec")
for off in 0 5 40 100 $((size / 2)) $((size - 1)); do
	cp "$T/rec" "$S/records/$a"
	printf '\x55' | dd of="$S/records/$a" bs=1 seek=$off conv=notrunc status=none
	cmp -s "$T/rec" "$S/records/$a" || {
		expect_exit 4 "$DZ" local get --store "$S" $PW --quiet "$a" "$T/out"
		[ ! -e "$T/out" ] || fail "output left after a damaged record (offset $off)"
	}
done
for cut in 0 10 36 $((size - 1)); do
	head -c $cut "$T/rec" >"$S/records/$a"
	expect_exit 4 "$DZ" local get --store "$S" $PW --quiet "$a" "$T/out"
done
cp "$S/records/$b" "$S/records/$a" # b's record under a's id
expect_exit 4 "$DZ" local get --store "$S" $PW --quiet "$a" "$T/out"
cp "$T/rec" "$S/records/$a"
"$DZ" local get --store "$S" $PW --quiet "$a" "$T/out" || fail "restored record"
cmp "$T/a" "$T/out" || fail differs
head -c 20 "$S/keyfile" >"$T/kf" && cp "$T/kf" "$S/keyfile"
"$DZ" local ls --store "$S" $PW >/dev/null 2>"$T/err" && fail "a truncated keyfile opened"
grep -q "keyfile" "$T/err" || fail "the error does not name the keyfile"
expect_exit 1 "$DZ" local get --store "$T/nowhere" $PW "$a" "$T/out"
grep -q "nowhere" "$T/err" || fail "the error does not name the missing store"
ok "damaged records and keyfiles refused"
