#!/usr/bin/env bash
# 511: a move between two folders killed between its two changes (the
# entry added to the new folder, not yet dropped from the old one) is
# finished by the next command of that computer, so that a later rm of
# the old path cannot forget what the new one still names. Played for a
# big file and for a folder, each killed at that point by the hidden
# `mv --test-die-midway` (exit 9, as _exit). Another computer sees the
# half-done state in between; the journal file holds no name in the
# clear; a damaged journal file is named in a warning and the command
# goes on.
. "$(dirname "$0")/lib.sh"

A="--home $T/a $PW"
B="--home $T/b $PW"
net_start --peers 4 --k 2 --n 4
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
"$DZ" login --coordinator "$ADDR" --user alice $PW $KDF --home "$T/b" >/dev/null ||
	fail "login b"
rand "$T/big" 2500000 # above the packing threshold: an object of its own
mkdir -p "$T/tree/inner"
for i in $(seq 5); do echo "secretcanary file $i" >"$T/tree/inner/f$i"; done
rand "$T/tree/bigger" 1800000
"$DZ" put "$T/big" old/secretcanary.bin $A --quiet || fail put
"$DZ" put -r "$T/tree" old/secretfolder $A --quiet || fail "put -r"

# 1: the file
expect_exit 9 "$DZ" mv old/secretcanary.bin new/secretcanary.bin $A --quiet --test-die-midway
"$DZ" ls $B >"$T/ls-b" || fail "ls on b"
grep -q "  old/secretcanary.bin$" "$T/ls-b" && grep -q "  new/secretcanary.bin$" "$T/ls-b" ||
	{ cat "$T/ls-b" >&2; fail "the killed move did not leave the file in both folders"; }
n=$(find "$T/a/moving" -type f | wc -l)
[ "$n" -eq 1 ] || fail "$n journal files after the killed move, not 1"
grep -rqa secretcanary "$T/a/moving" && fail "a name is in the moves journal in the clear"
"$DZ" ls $A >"$T/ls-a" 2>"$T/ls-a.err" || fail "ls on a"
grep -q "finished 1 move" "$T/ls-a.err" ||
	{ cat "$T/ls-a.err" >&2; fail "ls did not say it finished the move"; }
grep -q "  old/secretcanary.bin$" "$T/ls-a" && fail "old/secretcanary.bin still there"
grep -q "  new/secretcanary.bin$" "$T/ls-a" || fail "new/secretcanary.bin is gone"
[ "$(find "$T/a/moving" -type f | wc -l)" -eq 0 ] || fail "the journal file stayed"
expect_exit 1 "$DZ" rm old/secretcanary.bin $A --quiet
"$DZ" get new/secretcanary.bin "$T/got" $A --quiet && cmp -s "$T/big" "$T/got" ||
	fail "the moved file does not come back"
ok "a file move killed half-way: the next command finished it, the file whole at the new place"

# 2: a folder; the next command on that computer is the rm of the old
# path, which must find nothing there rather than forget the subtree
expect_exit 9 "$DZ" mv old/secretfolder new/moved $A --quiet --test-die-midway
"$DZ" ls new $B | grep -q "  new/moved/inner/f3$" || fail "b does not see the new folder"
expect_exit 1 "$DZ" rm -r old/secretfolder $A
grep -q "finished 1 move" "$T/err" || { cat "$T/err" >&2; fail "rm did not finish the move"; }
grep -q "no file or folder 'old/secretfolder'" "$T/err" ||
	{ cat "$T/err" >&2; fail "rm -r of the old path did not say it is not there"; }
mkdir "$T/back"
"$DZ" get -r new/moved "$T/back/moved" $B --quiet || fail "get -r on b"
diff -r "$T/tree" "$T/back/moved" || fail "the moved folder differs"
ok "a folder move killed half-way: finished before the rm of the old path, nothing lost"

# 3: a damaged journal file: named, kept, and the command goes on
mkdir -p "$T/a/moving"
head -c 2257 /dev/urandom >"$T/a/moving/1-1-00000000000000aa"
"$DZ" ls new $A >"$T/ls3" 2>"$T/ls3.err" || { cat "$T/ls3.err" >&2; fail "ls with a damaged journal"; }
grep -q "warning: .*moving/1-1-00000000000000aa is not a move this account began" \
	"$T/ls3.err" || { cat "$T/ls3.err" >&2; fail "no warning naming the damaged file"; }
grep -q "  new/secretcanary.bin$" "$T/ls3" || fail "ls output lost"
ok "a damaged moves journal file is named in a warning and the command goes on"
