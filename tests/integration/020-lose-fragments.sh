#!/usr/bin/env bash
# 020: a file survives losing any n-k fragments of every segment (deleted,
# corrupted, truncated or swapped for another fragment); with one fragment
# more lost the get fails with exit 4, names the segment, and leaves no
# output file.
. "$(dirname "$0")/lib.sh"
S=$T/store
new_store "$S"
rand "$T/in" $((20 * 65536 + 999))
id=$("$DZ" local put --store "$S" $PW --quiet --segment-size 64K --k 4 --n 9 "$T/in") || fail put
"$DZ" local frags --store "$S" $PW "$id" >"$T/frags" || fail frags
[ "$(wc -l <"$T/frags")" -eq $((21 * 9)) ] || fail "expected 21 segments x 9 fragments"
path() { echo "$S/frags/${1:0:2}/$1"; }

# segment by segment, damage 5 (= n-k) fragments, in a different way each
for seg in $(seq 0 20); do
	mapfile -t names < <(awk -v s=$seg '$1 == s { print $3 }' "$T/frags" | shuf)
	rm "$(path "${names[0]}")" "$(path "${names[1]}")"
	printf '\xff' | dd of="$(path "${names[2]}")" bs=1 seek=100 conv=notrunc status=none
	truncate -s -1 "$(path "${names[3]}")"
	cp "$(path "${names[5]}")" "$(path "${names[4]}")" # another fragment's bytes
	printf '%s\n' "${names[@]:0:5}" >>"$T/damaged"
done
"$DZ" local get --store "$S" $PW --quiet "$id" "$T/out" 2>"$T/warn" || fail "get after losing n-k per segment"
cmp "$T/in" "$T/out" || fail "rebuilt file differs"
grep -q "warning: segment [0-9]* fragment [0-9]* .* is missing" "$T/warn" || fail "missing fragments not named"
grep -q "is corrupt" "$T/warn" || fail "corrupt fragments not named"
grep -q "every segment was rebuilt" "$T/warn" || fail "no damage summary: $(cat "$T/warn")"
ok "n-k lost in every segment: identical"

# one more fragment of segment 7: too few
victim=$(awk '$1 == 7 { print $3 }' "$T/frags" | grep -vxFf "$T/damaged" | head -n 1)
[ -n "$victim" ] || fail "no intact fragment left in segment 7"
rm "$(path "$victim")"
expect_exit 4 "$DZ" local get --store "$S" $PW --quiet "$id" "$T/out2"
grep -q "segment 7" "$T/err" || fail "the error does not name segment 7: $(cat "$T/err")"
[ ! -e "$T/out2" ] || fail "a partial output file was left behind"
ls "$T" | grep -q partial && fail "a temporary output file was left behind"
ok "n-k+1 lost: refused, named, no output"
