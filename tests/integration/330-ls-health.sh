#!/usr/bin/env bash
# 330: `drizzle ls -l` shows each file's exact size, its code and its
# health n/n; once 2 of the peers holding its fragments are killed and the
# grace period has passed, `ls --json` shows health n-2 (every peer holds
# one fragment of every segment here: 6 peers, 3-of-6), `ls -l` shows the
# lower durability, and `drizzle status` warns that the files are
# under-replicated. The JSON parses, and a path with a quote and a
# backslash comes back from it byte for byte (a newline cannot be in a
# remote path: put refuses it).
. "$(dirname "$0")/lib.sh"

H="--home $T/h $PW"
# grace 8 s: longer than the peers' 5 s heartbeat, short for the test
net_start --peers 6 --k 3 --n 6 --grace 8 --peer-timeout 6
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/h" --quiet ||
	fail signup
rand "$T/f1" 300001
rand "$T/f2" 1
weird='we"ird\name.txt'
"$DZ" put "$T/f1" "$weird" --segment-size 64K $H --quiet || fail "put f1"
"$DZ" put "$T/f2" small $H --quiet || fail "put f2"
expect_exit 1 "$DZ" put "$T/f2" $'new\nline' $H --quiet
grep -q "control" "$T/err" || { cat "$T/err" >&2; fail "a newline in a path: no reason given"; }

# plain ls keeps its format: human size, date, path
"$DZ" ls $H >"$T/ls" || fail "ls"
grep -qE '^ +1 B  [0-9-]+ [0-9:]+  small$' "$T/ls" || { cat "$T/ls" >&2; fail "plain ls changed"; }

"$DZ" ls -l $H >"$T/ll" || fail "ls -l"
grep -qE '^ +300001  [0-9-]+ [0-9:]+  3-of-6 +6/6  [0-9.]+ nines +we"ird\\\\name\.txt$' "$T/ll" ||
	{ cat "$T/ll" >&2; fail "ls -l: no exact size, code and full health for the 5-segment file"; }
grep -qE '^ +1  .*  3-of-6 +6/6  .*small$' "$T/ll" || { cat "$T/ll" >&2; fail "ls -l: small"; }
ok "ls -l: exact size, code, health 6/6"

"$DZ" status $H >"$T/st" || fail status
grep -q '^files        2, 0 under-replicated$' "$T/st" || { cat "$T/st" >&2; fail "status: file count"; }
grep -q '^warning' "$T/st" && { cat "$T/st" >&2; fail "status warns with every file at full health"; }

# json_check FILE HEALTH: FILE parses as JSON and says what we stored
json_check() {
	if command -v python3 >/dev/null; then
		python3 - "$1" "$2" "$weird" <<'PY' || fail "ls --json: not what was stored (above)"
import json, sys
files = {f["path"]: f for f in json.load(open(sys.argv[1]))}
want_h, weird = int(sys.argv[2]), sys.argv[3]
assert set(files) == {weird, "small"}, files.keys()
assert files[weird]["size"] == 300001 and files["small"]["size"] == 1
for f in files.values():
    assert (f["k"], f["n"], f["health"]) == (3, 6, want_h), f
    assert isinstance(f["mtime"], int) and f["durability"] >= 0, f
assert files[weird]["segments"] == 5, files[weird]
PY
	else
		# no python3 (not in every CI image): the fields, not the parse
		echo "note: python3 missing, JSON checked by pattern only" >&2
		grep -qF '"path": "we\"ird\\name.txt", "size": 300001' "$1" || fail "ls --json: weird path"
		[ "$(grep -c "\"k\": 3, \"n\": 6, \"health\": $2," "$1")" = 2 ] || fail "ls --json: health"
	fi
}
"$DZ" ls --json $H >"$T/j" || fail "ls --json"
json_check "$T/j" 6
ok "ls --json parses; the quote and backslash round-trip"

# kill 2 peers without a word (no PEER_LEAVE): lost once the grace passes
for i in 1 2; do kill -KILL "$(cat "$NET/peer-$i/pid")" || fail "kill peer $i"; done
t0=$(date +%s)
for _ in $(seq 60); do
	"$DZ" ls --json $H >"$T/j" 2>"$T/j.err" || { cat "$T/j.err" >&2; fail "ls --json after the kill"; }
	[ "$(grep -c '"health": 4,' "$T/j")" = 2 ] && break
	sleep 0.5
done
[ "$(grep -c '"health": 4,' "$T/j")" = 2 ] || { cat "$T/j" >&2; fail "health not 4/6 within 30 s"; }
# the last heartbeat was at most 5 s before the kill: lost 3 s after it at the earliest
[ $(($(date +%s) - t0)) -ge 2 ] || fail "health fell before the grace period could pass"
json_check "$T/j" 4
ok "ls --json: health 4 of 6 after killing 2 holders (grace 8 s)"

"$DZ" ls -l $H >"$T/ll2" || fail "ls -l after the kill"
grep -qE '3-of-6 +4/6 .*small$' "$T/ll2" || { cat "$T/ll2" >&2; fail "ls -l: 4/6"; }
d1=$(sed -n 's/.* \([0-9.]*\) nines *small$/\1/p' "$T/ll")
d2=$(sed -n 's/.* \([0-9.]*\) nines *small$/\1/p' "$T/ll2")
awk -v a="$d1" -v b="$d2" 'BEGIN { exit !(b < a) }' ||
	fail "durability did not drop: $d1 nines before, $d2 after"
"$DZ" status $H >"$T/st" || fail status
grep -q '^files        2, 2 under-replicated$' "$T/st" || { cat "$T/st" >&2; fail "status: count"; }
grep -q '^warning: 2 of 2 files under-replicated.*2 below the repair threshold, 0 unreadable' "$T/st" ||
	{ cat "$T/st" >&2; fail "status does not warn"; }
ok "ls -l shows 4/6 and less durability ($d1 -> $d2 nines); status warns"

# still readable: 4 >= k
"$DZ" get "$weird" "$T/back" $H --quiet 2>"$T/get.err" || { cat "$T/get.err" >&2; fail "get after the kill"; }
cmp -s "$T/f1" "$T/back" || fail "file changed"
net_stop
ok "the file still comes back bit-exact"
