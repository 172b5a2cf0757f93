#!/usr/bin/env bash
# 500: the folder tree: put into nested folders, ls lists folders as well
# as files, mkdir makes an empty folder that stays, mv renames a file and
# moves a folder (its files come back bit-exact from the new place), a
# folder cannot move into itself, rm of a folder needs -r and rm -r
# forgets every file below it (the peers' fragments are cleaned up), and
# an account written by the single-record catalog is migrated on first use.
. "$(dirname "$0")/lib.sh"

H="--home $T/h $PW"
net_start --peers 4 --k 2 --n 4 --gc-interval 1 --gc-margin 2
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/h" --quiet ||
	fail signup
rand "$T/a" 70000
rand "$T/b" 1
"$DZ" put "$T/a" docs/2026/a.bin $H --quiet || fail "put a"
"$DZ" put "$T/b" docs/b.bin $H --quiet || fail "put b"
"$DZ" put "$T/b" top.bin $H --quiet || fail "put top"
"$DZ" mkdir empty/inner $H --quiet || fail mkdir
expect_exit 1 "$DZ" mkdir empty/inner $H --quiet
grep -q "exists" "$T/err" || { cat "$T/err" >&2; fail "mkdir of an existing folder: no reason"; }
expect_exit 1 "$DZ" put "$T/b" docs/b.bin/x $H --quiet
grep -q "is a file, not a folder" "$T/err" || { cat "$T/err" >&2; fail "a file as a folder"; }

"$DZ" ls $H >"$T/ls" || fail ls
cat >"$T/want" <<'W'
docs/
docs/2026/
docs/2026/a.bin
docs/b.bin
empty/
empty/inner/
top.bin
W
sed -E 's/^ *[^ ]+( B| KiB)?  [0-9-]+ [0-9:]+  //' "$T/ls" >"$T/got"
cmp -s "$T/want" "$T/got" || { diff "$T/want" "$T/got" >&2; fail "ls: not the tree that was made"; }
"$DZ" ls docs/2026 $H >"$T/ls2" || fail "ls docs/2026"
[ "$(wc -l <"$T/ls2")" -eq 1 ] && grep -q 'docs/2026/a.bin$' "$T/ls2" ||
	{ cat "$T/ls2" >&2; fail "ls of a folder"; }
"$DZ" ls --json $H >"$T/ls.json" || fail "ls --json"
python3 - "$T/ls.json" <<'PY' || fail "ls --json: folders"
import json, sys
v = json.load(open(sys.argv[1]))
t = {e["path"]: e["type"] for e in v}
assert t["docs"] == "folder" and t["empty/inner"] == "folder", t
assert t["docs/2026/a.bin"] == "file", t
assert [e for e in v if e["path"] == "docs/2026/a.bin"][0]["health"] == 4, v
PY
ok "nested put, mkdir, ls (plain and --json) list folders and files"

"$DZ" mv top.bin docs/top2.bin $H --quiet || fail "mv file"
"$DZ" mv docs archive/docs $H --quiet || fail "mv folder"
"$DZ" get archive/docs/2026/a.bin "$T/a.back" $H --quiet || fail "get moved"
cmp -s "$T/a" "$T/a.back" || fail "moved file differs"
"$DZ" get archive/docs/top2.bin "$T/t.back" $H --quiet || fail "get renamed"
cmp -s "$T/b" "$T/t.back" || fail "renamed file differs"
expect_exit 1 "$DZ" get docs/b.bin "$T/x" $H --quiet
expect_exit 1 "$DZ" mv archive archive/docs/2026/x $H --quiet
grep -q "into itself" "$T/err" || { cat "$T/err" >&2; fail "a folder into itself"; }
ok "mv renames a file and moves a folder; a folder cannot go into itself"

before=$(all_frags)
expect_exit 1 "$DZ" rm archive $H --quiet
grep -q "rm -r" "$T/err" || { cat "$T/err" >&2; fail "rm of a folder without -r: no advice"; }
"$DZ" rm -r archive $H >"$T/rm" || fail "rm -r"
grep -q "(3 files)" "$T/rm" || { cat "$T/rm" >&2; fail "rm -r: count"; }
"$DZ" ls $H >"$T/ls3" || fail "ls after rm"
grep -q archive "$T/ls3" && { cat "$T/ls3" >&2; fail "rm -r left entries"; }
grep -q 'empty/inner/$' "$T/ls3" || fail "the empty folders went"
# the 3 files' objects are forgotten: the clean-up filters empty the peers
# of all but top.bin's... which moved into archive too: every peer to 0
until_frags -eq 0
ok "rm -r removed the folder and its 3 files; the peers dropped all $before fragments"
