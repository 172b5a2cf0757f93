#!/usr/bin/env bash
# 125: the coordinator's default code reaches its users: a network started
# with `drizzle testnet --k 2 --n 5` shows `default code 2-of-5` in
# `drizzle status`; a put without --k and --n stores 2-of-5 (its summary
# says so); --n 6 alone takes k from the coordinator (2-of-6); --k 5 alone
# against the default n of 5 exits 2 with a message naming both, and
# stores nothing; bad --k/--n on coordinator and testnet exit 2.
. "$(dirname "$0")/lib.sh"

# usage errors first: no network needed
expect_exit 2 "$DZ" coordinator --data "$T/c" --k 0
expect_exit 2 "$DZ" coordinator --data "$T/c" --n 256
expect_exit 2 "$DZ" coordinator --data "$T/c" --k 12
grep -q -- "--k (12) must be smaller than --n (12)" "$T/err" ||
	fail "coordinator --k 12: $(cat "$T/err")"
expect_exit 2 "$DZ" coordinator --data "$T/c" --k 3 --n 3
expect_exit 2 "$DZ" testnet --dir "$T/tn" --peers 1 --k 5 --n 5
expect_exit 2 "$DZ" testnet --dir "$T/tn" --peers 1 --n 1
[ ! -e "$T/c" ] && [ ! -e "$T/tn" ] || fail "a refused command made a directory"
ok "bad --k/--n on coordinator and testnet exit 2"

net_start --peers 6 --k 2 --n 5 --capacity 16M
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user dora $PW $KDF --home "$T/a" --quiet ||
	fail signup
"$DZ" status $A >"$T/status" || fail "status exited $?"
grep -q '^default code *2-of-5$' "$T/status" || { cat "$T/status"; fail "status misses 2-of-5"; }
ok "status shows the coordinator's default code 2-of-5"

rand "$T/f" 300000
"$DZ" put "$T/f" f $A 2>"$T/put.err" || { cat "$T/put.err" >&2; fail "default put"; }
grep -q "^stored .*, 2-of-5$" "$T/put.err" || { cat "$T/put.err"; fail "default put not 2-of-5"; }
"$DZ" get f "$T/back" $A --quiet && cmp "$T/f" "$T/back" || fail "default put does not come back"
ok "put without --k/--n: 2-of-5"

"$DZ" put "$T/f" f6 $A --n 6 2>"$T/put.err" || { cat "$T/put.err" >&2; fail "put --n 6"; }
grep -q "^stored .*, 2-of-6$" "$T/put.err" || { cat "$T/put.err"; fail "put --n 6 not 2-of-6"; }
ok "put --n 6 alone: 2-of-6"

expect_exit 2 "$DZ" put "$T/f" f5 $A --k 5
grep -q -- "--k (5) must be smaller than the coordinator's default n (5)" "$T/err" ||
	fail "put --k 5: $(cat "$T/err")"
"$DZ" ls $A >"$T/ls" || fail ls
! grep -q f5 "$T/ls" || fail "a refused put stored f5"
expect_exit 2 "$DZ" put "$T/f" f5 $A --k 4 --n 4
ok "put --k 5 alone (not below n 5) and --k 4 --n 4 exit 2"

net_stop
ok "network stopped"
