#!/usr/bin/env bash
# 509: compaction frees what removed packed files leave behind. Three
# folders of small files go into one pack; two are removed (rm -r) and
# one file of the third replaced with --versions 0: compact rewrites the
# pack with only the live files (they come back bit-exact, as does the
# replaced file's new content), the old pack's fragments leave the peers
# and used falls; once everything is removed, compact forgets the last
# pack and the peers hold no fragment.
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

"$DZ" rm -r tree $A --quiet || fail "rm -r all"
"$DZ" compact $A >"$T/c2" || fail "compact 2"
grep -q "removed" "$T/c2" || { cat "$T/c2" >&2; fail "compact 2"; }
until_frags -eq 0
ok "with nothing named, compact forgets the packs: the peers hold no fragment"
