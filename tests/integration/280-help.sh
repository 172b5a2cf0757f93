#!/usr/bin/env bash
# 280: the command line explains itself. Every command in the program's
# table (as `drizzle --help` lists it) and every `drizzle local` command
# answers --help and -h with exit 0 and its own "usage: drizzle CMD";
# `drizzle help CMD` prints exactly that text; each help lists the options
# its command takes and no other command's (put has no --force, get no
# --k), and every option it lists is one the command knows. A missing
# value says "--NAME needs a value", an unknown option names the nearest
# one of that command, exit 2. Progress goes only to a terminal: piped,
# stderr holds the summary alone; on a terminal get shows its total and
# a percentage, and the progress line is erased before the summary.
. "$(dirname "$0")/lib.sh"

cmds=$("$DZ" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 14 ] || fail "drizzle --help lists too few commands: $cmds"
for c in $cmds; do
	for h in --help -h; do
		"$DZ" $c $h >"$T/h" 2>"$T/err" || fail "drizzle $c $h exits $?"
		grep -q "^usage: drizzle $c" "$T/h" || fail "drizzle $c $h: no 'usage: drizzle $c'"
		grep -q "^Exit codes: " "$T/h" || fail "drizzle $c $h: no exit codes"
		grep -qi "^examples\?:" "$T/h" || fail "drizzle $c $h: no example"
	done
	"$DZ" help $c >"$T/h2" || fail "drizzle help $c exits $?"
	cmp -s "$T/h" "$T/h2" || fail "drizzle help $c differs from drizzle $c --help"
done
for c in init put get ls frags; do
	for h in --help -h; do
		"$DZ" local $c $h >"$T/h" || fail "drizzle local $c $h exits $?"
		grep -q "^usage: drizzle local $c" "$T/h" || fail "drizzle local $c $h"
		grep -q "^Exit codes: " "$T/h" || fail "drizzle local $c $h: no exit codes"
	done
	"$DZ" help local $c >"$T/h2" || fail "drizzle help local $c exits $?"
	cmp -s "$T/h" "$T/h2" || fail "drizzle help local $c differs from drizzle local $c --help"
done
expect_exit 2 "$DZ" help nosuch
expect_exit 2 "$DZ" help gett
grep -q "did you mean \`drizzle get\`" "$T/err" || fail "help gett: $(cat "$T/err")"
ok "every command and local command answers --help, -h and drizzle help CMD"

# options: each help lists its own; what it lists, the command knows
opts() { "$DZ" "$@" --help | grep -o -- '--[a-z][a-z-]*' | sort -u; }
opts put >"$T/put.opts"
opts get >"$T/get.opts"
grep -qx -- --force "$T/put.opts" && fail "put's help lists get's --force"
for o in --k --n --segment-size; do
	grep -qx -- "$o" "$T/get.opts" && fail "get's help lists put's $o"
	grep -qx -- "$o" "$T/put.opts" || fail "put's help lacks $o"
done
grep -qx -- --force "$T/get.opts" || fail "get's help lacks --force"
for c in put get ls rm; do
	for o in $(opts $c); do
		"$DZ" $c "$o" >/dev/null 2>"$T/err"
		grep -q "unknown option" "$T/err" && fail "$c refuses $o, which its help lists"
	done
done
expect_exit 2 "$DZ" put --force x
grep -q "unknown option '--force'" "$T/err" || fail "put --force: $(cat "$T/err")"
expect_exit 2 "$DZ" get --k 3 x
ok "put and get list and take their own options only"

expect_exit 2 "$DZ" put --k
grep -qx "drizzle: --k needs a value" "$T/err" || fail "put --k: $(cat "$T/err")"
expect_exit 2 "$DZ" peer --data
grep -q -- "--data needs a value" "$T/err" || fail "peer --data: $(cat "$T/err")"
expect_exit 2 "$DZ" local get --store
grep -q -- "--store needs a value" "$T/err" || fail "local get --store: $(cat "$T/err")"
expect_exit 2 "$DZ" get --forse x
grep -q "unknown option '--forse' (did you mean --force?)" "$T/err" ||
	fail "get --forse: $(cat "$T/err")"
expect_exit 2 "$DZ" testnet --peers 3 --dri x
grep -q "did you mean --dir?" "$T/err" || fail "testnet --dri: $(cat "$T/err")"
expect_exit 2 "$DZ" signup --coordinatr x
grep -q "did you mean --coordinator?" "$T/err" || fail "signup --coordinatr: $(cat "$T/err")"
expect_exit 2 "$DZ" local put --store "$T/s" -q x
grep -q "did you mean --quiet?" "$T/err" || fail "local put -q: $(cat "$T/err")"
expect_exit 2 "$DZ" put --quiet=1 x
grep -q -- "--quiet takes no value" "$T/err" || fail "put --quiet=1: $(cat "$T/err")"
expect_exit 2 "$DZ" put --zzzzzz x
grep -q "did you mean" "$T/err" && fail "put --zzzzzz suggests something: $(cat "$T/err")"
ok "a missing value and an unknown option say so, exit 2"

# progress: silent when piped, on a terminal a line with the total that is
# erased before the summary
net_start --peers 4 --capacity 48M
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
rand "$T/big" $((64 << 20))
"$DZ" put "$T/big" big $A --k 2 --n 4 2>"$T/err" | cat || fail "put piped"
grep -q $'[\r\033]' "$T/err" && fail "put piped printed progress: $(od -c "$T/err" | head)"
grep -q "^stored .* in [0-9.]* s ([0-9.]* [KMG]\?i\?B/s), 2-of-4$" "$T/err" ||
	fail "put's summary: $(cat "$T/err")"
"$DZ" get big "$T/back" $A --threads 1 2>&1 | cat >"$T/err" || fail "get piped"
grep -q $'[\r\033]' "$T/err" && fail "get piped printed progress"
grep -q "^fetched big into .*: 64.0 MiB in [0-9.]* s ([0-9.]* [KMG]\?i\?B/s)$" "$T/err" ||
	fail "get's summary: $(cat "$T/err")"
cmp -s "$T/big" "$T/back" || fail "the file came back different"
rm -f "$T/back"
# a terminal: script(1) gives the command a pty (whose line ends are
# "\r\n": dropped); 64 MiB on one thread take long enough (over 0.2 s)
# for progress to show
SHELL=/bin/sh timeout 60 script -qec "'$DZ' get big '$T/back' $A --threads 1" /dev/null \
	</dev/null | sed 's/\r$//' >"$T/tty" || fail "get on a terminal: $(cat "$T/tty")"
cmp -s "$T/big" "$T/back" || fail "the file came back different (terminal)"
if grep -q "get .* of 64.0 MiB (" "$T/tty"; then
	grep -q "MiB/s"$'\033\\[K' "$T/tty" || fail "progress without a rate in MiB/s"
	grep -q $'\r\033\\[Kfetched big' "$T/tty" || fail "progress line not erased before the summary: $(od -c "$T/tty" | tail)"
	ok "progress: silent when piped; on a terminal, total and percentage, erased when done"
else
	grep -q "^fetched big" "$T/tty" || fail "no summary on the terminal: $(cat "$T/tty")"
	grep -q $'\r' "$T/tty" && fail "progress without its total: $(od -c "$T/tty" | head)"
	ok "progress: silent when piped (the get was too fast to show a line)"
fi

net_stop
