#!/usr/bin/env bash
# 504: an account written by a build before the folder tree (its files in
# one catalog record) is migrated on first use: ls shows the same paths
# as folders and files, every file comes back bit-exact (no file record
# or fragment was rewritten: the peers hold the same fragment files), a
# put and a mv work on the migrated tree, and a second computer sees it.
. "$(dirname "$0")/lib.sh"

CAT=${DZCATALOG:-$(dirname "$DZ")/tests/tools/dzcatalog}
[ -x "$CAT" ] || fail "no $CAT (make tests builds it)"
A="--home $T/a $PW"
net_start --peers 4 --k 2 --n 4
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
rand "$T/f1" 100000; rand "$T/f2" 10; rand "$T/f3" 2000
"$CAT" --home "$T/a" --password-file "$T/pw" docs/a/f1="$T/f1" docs/f2="$T/f2" \
	top="$T/f3" >/dev/null || fail dzcatalog
frags() { find "$NET"/peer-*/frags -type f ! -name '.tmp-*' | sort; }
frags >"$T/frags.before"

"$DZ" ls $A >"$T/ls" || fail "ls (migrating)"
sed -E 's/^ *[^ ]+( B| KiB)?  [0-9-]+ [0-9:]+  //' "$T/ls" >"$T/got"
printf 'docs/\ndocs/a/\ndocs/a/f1\ndocs/f2\ntop\n' >"$T/want"
cmp -s "$T/want" "$T/got" || { diff "$T/want" "$T/got" >&2; fail "ls after migration"; }
for p in docs/a/f1:f1 docs/f2:f2 top:f3; do
	"$DZ" get "${p%%:*}" "$T/back" --force $A --quiet || fail "get ${p%%:*}"
	cmp -s "$T/${p##*:}" "$T/back" || fail "${p%%:*} differs after migration"
done
frags | cmp -s - "$T/frags.before" || fail "the migration rewrote fragments"
ok "the catalog became folders: same paths, files bit-exact, no fragment rewritten"

"$DZ" put "$T/f2" docs/new $A --quiet || fail "put after migration"
"$DZ" mv docs/a archive $A --quiet || fail "mv after migration"
"$DZ" login --coordinator "$ADDR" --user alice --home "$T/b" $PW $KDF >/dev/null ||
	fail "login b"
"$DZ" ls --home "$T/b" $PW >"$T/ls.b" || fail "ls on b"
grep -q '^.*  archive/f1$' "$T/ls.b" && grep -q 'docs/new$' "$T/ls.b" ||
	{ cat "$T/ls.b" >&2; fail "b does not see the migrated tree"; }
"$DZ" get archive/f1 "$T/f1.b" --home "$T/b" $PW --quiet && cmp -s "$T/f1" "$T/f1.b" ||
	fail "b: f1"
ok "put and mv work on the migrated tree; another computer sees it"
