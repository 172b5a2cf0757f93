#!/usr/bin/env bash
# 281: a coordinator showing another key than the one pinned at first
# contact (another server at its address: an impostor, or a new identity)
# is refused with exit 1, not 4 ("damaged" is for data that cannot be
# rebuilt or authenticated: nothing here is), and the message names the
# key pinned, the key shown and what to do.
. "$(dirname "$0")/lib.sh"

net_start --peers 1 --capacity 16M
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
# another coordinator at the pinned address: refused, exit 1, both keys named
pinned=$(sed -n 's/^key *//p' <("$DZ" status $A))
[ -n "$pinned" ] || fail "status shows no key"
net_stop
evil_pid=
cleanup_hooks+=('[ -n "$evil_pid" ] && { kill "$evil_pid"; wait "$evil_pid"; } 2>/dev/null; true')
"$DZ" coordinator --data "$T/evil" --listen "$ADDR" >"$T/evil.out" 2>&1 &
evil_pid=$!
for _ in $(seq 100); do
	grep -q "^coordinator listening on" "$T/evil.out" && break
	kill -0 "$evil_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "^coordinator listening on" "$T/evil.out" || fail "the other coordinator: $(cat "$T/evil.out")"
expect_exit 1 "$DZ" ls $A
grep -q "$pinned" "$T/err" || fail "the pinned key is not named: $(cat "$T/err")"
shown=$(sed -n 's/.* key \([0-9a-f]\{64\}\)$/\1/p' "$T/evil.out")
grep -q "$shown" "$T/err" || fail "the key shown ($shown) is not named: $(cat "$T/err")"
grep -q "coordinator-key" "$T/err" || fail "no advice: $(cat "$T/err")"
ok "a coordinator with another key: exit 1, both keys named"
kill "$evil_pid"
wait "$evil_pid" || fail "the other coordinator exited $?"
evil_pid=
