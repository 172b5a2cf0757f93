#!/usr/bin/env bash
# 050: outputs are never half-written or overwritten: an existing file is
# kept unless --force; an unreadable input fails clearly; a full disk fails
# with "no space", removes the partial output and leaves what was there.
. "$(dirname "$0")/lib.sh"
S=$T/store
new_store "$S"
rand "$T/in" 700000
id=$("$DZ" local put --store "$S" $PW --quiet --segment-size 64K "$T/in") || fail put
echo "precious" >"$T/existing"
expect_exit 1 "$DZ" local get --store "$S" $PW --quiet "$id" "$T/existing"
grep -q "already exists" "$T/err" || fail "no 'already exists'"
[ "$(cat "$T/existing")" = precious ] || fail "existing file changed"
"$DZ" local get --store "$S" $PW --quiet --force "$id" "$T/existing" || fail "--force"
cmp "$T/in" "$T/existing" || fail "--force output differs"
ok "no overwrite without --force"

expect_exit 1 "$DZ" local put --store "$S" $PW "$T/does-not-exist"
grep -q "does-not-exist" "$T/err" || fail "missing input not named"
expect_exit 1 "$DZ" local put --store "$S" $PW "$T"
grep -q "directory" "$T/err" || fail "directory input not explained"
if [ "$(id -u)" -ne 0 ]; then
	rand "$T/secret" 10 && chmod 000 "$T/secret"
	expect_exit 1 "$DZ" local put --store "$S" $PW "$T/secret"
fi
ok "unreadable inputs"

"$DZ" local get --store "$S" $PW --quiet "$id" - >/dev/full 2>"$T/err"
[ $? -eq 1 ] || fail "get to a full standard output did not exit 1"
grep -qi "no space" "$T/err" || fail "stdout on a full device: $(cat "$T/err")"
ok "full standard output"

# a small file system of our own, to fill
mkdir "$T/small"
if mount -t tmpfs -o size=256k tmpfs "$T/small" 2>/dev/null; then
	cleanup_hooks+=("umount '$T/small'")
	echo "old" >"$T/small/keep"
	expect_exit 1 "$DZ" local get --store "$S" $PW --quiet "$id" "$T/small/out"
	grep -qi "no space" "$T/err" || fail "full disk not explained: $(cat "$T/err")"
	[ -z "$(ls "$T/small" | grep -v '^keep$')" ] || fail "partial output left: $(ls "$T/small")"
	[ "$(cat "$T/small/keep")" = old ] || fail "existing file changed"
	# a store on a full disk: the put fails and leaves no fragment behind
	new_store "$T/small/store"
	expect_exit 1 "$DZ" local put --store "$T/small/store" $PW --quiet "$T/in"
	grep -qi "no space" "$T/err" || fail "full store not explained: $(cat "$T/err")"
	[ -z "$(find "$T/small/store/frags" "$T/small/store/records" -type f)" ] ||
		fail "a failed put left files in the store"
	ok "full disk"
else
	echo "note: cannot mount a tmpfs here; the full-disk file case ran on /dev/full only"
fi
