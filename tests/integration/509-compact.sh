#!/usr/bin/env bash
# 509: compaction frees what removed packed files leave behind. Three
# folders of small files go into one pack; two are removed (rm -r) and
# one file of the third replaced with --versions 0: compact rewrites the
# pack with only the live files (they come back bit-exact, as does the
# replaced file's new content), the old pack's fragments leave the peers
# and used falls; once everything is removed, compact forgets the last
# pack and the peers hold no fragment. put -r compacts by itself once a
# day (the profile's `compacted` file says when it last did), or at once
# with --compact, and never with --no-compact.
. "$(dirname "$0")/lib.sh"

A="--home $T/a $PW"
net_start --peers 4 --k 2 --n 4 --gc-interval 1 --gc-margin 2
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
used() { "$DZ" status $A | sed -n 's/^used *//p' | awk '{print $1 $2}'; }
for d in keep gone1 gone2; do
	mkdir -p "$T/src/$d"
	for i in $(seq 60); do head -c $((20000 + i)) /dev/urandom >"$T/src/$d/f$i"; done
done
"$DZ" put -r "$T/src" tree $A >"$T/put" 2>&1 || { cat "$T/put" >&2; fail "put -r"; }
grep -q "180 file(s) uploaded (.*1 pack(s)" "$T/put" || { cat "$T/put" >&2; fail "not one pack"; }
before=$(all_frags)
used0=$("$DZ" status --json $A | python3 -c 'import json,sys; print(json.load(sys.stdin)["used"])')
"$DZ" rm -r tree/gone1 $A --quiet && "$DZ" rm -r tree/gone2 $A --quiet || fail "rm -r"
head -c 777 /dev/urandom >"$T/src/keep/f1"
"$DZ" put -r "$T/src/keep" tree/keep --versions 0 $A --quiet || fail "replace f1"
# nothing freed yet: the pack is shared
[ "$(all_frags)" -ge "$before" ] || fail "a shared pack lost fragments before compaction"
"$DZ" compact $A >"$T/c1" || fail compact
grep -q "1 rewritten" "$T/c1" || { cat "$T/c1" >&2; fail "compact did not rewrite the pack"; }
"$DZ" get -r tree/keep "$T/back" $A --quiet || fail "get -r after compact"
diff -r "$T/src/keep" "$T/back/keep" 2>/dev/null || diff -r "$T/src/keep" "$T/back" ||
	fail "live files differ after compaction"
used1=$("$DZ" status --json $A | python3 -c 'import json,sys; print(json.load(sys.stdin)["used"])')
[ "$used1" -lt $((used0 / 2)) ] || fail "used $used0 -> $used1: not freed"
ok "compact rewrote the pack: live files bit-exact, used $used0 -> $used1 bytes"

# put -r: a day after the last compaction it compacts by itself
mkdir -p "$T/s2/a" "$T/s2/b"
for i in $(seq 40); do head -c 30000 /dev/urandom >"$T/s2/a/f$i"; done
for i in $(seq 20); do head -c 30000 /dev/urandom >"$T/s2/b/f$i"; done
"$DZ" put -r "$T/s2" two $A --quiet || fail "put -r two"
"$DZ" rm -r two/a $A --quiet || fail "rm -r two/a"
mkdir -p "$T/s3"; echo x >"$T/s3/x"
"$DZ" put -r "$T/s3" three --no-compact $A 2>"$T/p3" || fail "put -r --no-compact"
grep -q compacted "$T/p3" && fail "put -r --no-compact compacted"
[ -f "$T/a/compacted" ] || fail "no compaction clock in the profile"
echo 1000000000 >"$T/a/compacted" # a day and more ago
"$DZ" put -r "$T/s3" three $A 2>"$T/p4" || fail "put -r (daily compaction)"
grep -q "compacted: .* 1 rewritten" "$T/p4" || { cat "$T/p4" >&2; fail "put -r did not compact"; }
"$DZ" get -r two "$T/two" $A --quiet && diff -r "$T/s2/b" "$T/two/b" || fail "two/b after compaction"
"$DZ" put -r "$T/s3" three $A 2>"$T/p5" || fail "put -r (compacted just now)"
grep -q compacted "$T/p5" && fail "put -r compacted twice in a day"
ok "put -r compacts once a day by itself (not with --no-compact); the live files are intact"

"$DZ" rm -r tree $A --quiet && "$DZ" rm -r two $A --quiet && "$DZ" rm -r three $A --quiet ||
	fail "rm -r all"
"$DZ" compact $A >"$T/c2" || fail "compact 2"
grep -q "removed" "$T/c2" || { cat "$T/c2" >&2; fail "compact 2"; }
until_frags -eq 0
ok "with nothing named, compact forgets the packs: the peers hold no fragment"
