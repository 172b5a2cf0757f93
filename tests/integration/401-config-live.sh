#!/usr/bin/env bash
# 401: `drizzle config` changes a running peer's limits within seconds,
# without a restart (issue 15, point 3). A testnet peer serves a stream
# of FRAG_GETs (tests/tools/dzrate) under max-upload 1M set through
# `drizzle config`; the stream's rate, read from the peer's own counters
# (SIGUSR1), is 1 MiB/s within 3 %; `drizzle config max-upload 3M` is
# logged as applied within 3 s and the rate from then on is 3 MiB/s
# within 3 %. Bad values are refused with exit 1 and leave the file as it
# was; a hand-written file with an unknown key keeps the settings in
# force (the log names the line) and the rate stays; a peer started on
# such a file refuses to start, naming the line.
. "$(dirname "$0")/lib.sh"

RATE=${DZRATE:-$(dirname "$DZ")/tests/tools/dzrate}
[ -x "$RATE" ] || fail "no $RATE (make tests builds it)"
MIB=$((1 << 20))

rate_pid= sampler=
cleanup_hooks+=('for p in $rate_pid $sampler; do kill "$p"; wait "$p"; done 2>/dev/null; true')

now_ms() { date +%s%3N; }
# rate FILE FIELD: bytes/s of FIELD between the first and last traffic line
rate() {
	awk -v f="$2" '/traffic: at / {
		for (i = 1; i < NF; i++) { if ($i == "at") t = $(i + 1); if ($i == f) b = $(i + 1) }
		if (!n++) { t0 = t; b0 = b } }
		END { if (t > t0) printf "%d\n", (b - b0) * 1000 / (t - t0); else print 0 }' "$1"
}
# near V WANT WHAT: V within 3 % of WANT
near() {
	echo "$3: $1 bytes/s (limit $2)"
	[ "$1" -ge $(($2 * 97 / 100)) ] && [ "$1" -le $(($2 * 103 / 100)) ] ||
		fail "$3: $1 bytes/s, not within 3 % of $2"
}
# applied TEXT: the peer logs TEXT within 3 s of now
applied() {
	local t0 el
	t0=$(now_ms)
	wait_for "$LOG" "$1" 3 "$net_pid"
	el=$(( $(now_ms) - t0 ))
	echo "'$1' logged $el ms after drizzle config"
}
# lines_from N: the traffic lines after line N of the log
lines_from() { tail -n +$(($1 + 1)) "$LOG" | grep 'traffic: at '; }

net_start --peers 1 --capacity 64M
P=$NET/peer-1
LOG=$P/log
PADDR=$(cat "$P/peer.addr") || fail "no peer address"
PPID_=$(cat "$P/pid") || fail "no peer pid"
"$RATE" "$PADDR" --put 256K --sign "$NET/coordinator" "$NET/peer-1" --for 0 >"$T/one" 2>"$T/one.err" ||
	{ cat "$T/one.err" >&2; fail "one put"; }
NAME=$(sed -n 's/^name //p' "$T/one")

"$DZ" config --data "$P" max-upload 1M >/dev/null || fail "config max-upload 1M"
applied "settings: max-upload 1M (was unlimited)"
"$DZ" config --data "$P" max-upload >"$T/v" || fail "config max-upload (show)"
[ "$(cat "$T/v")" = 1M ] || fail "config max-upload shows '$(cat "$T/v")'"
"$DZ" config --data "$P" >"$T/all" || fail "config (show all)"
grep -q "max-upload *1M *from the config file" "$T/all" || { cat "$T/all"; fail "config does not show where max-upload comes from"; }
grep -q "max-download *0 *unlimited, default" "$T/all" || { cat "$T/all"; fail "config does not show the default"; }
ok "drizzle config sets, shows one key and all of them with their source"

"$RATE" "$PADDR" --get "$NAME" --conns 2 --for 14 >"$T/get" 2>"$T/get.err" &
rate_pid=$!
( while kill -USR1 "$PPID_" 2>/dev/null; do sleep 0.2; done ) &
sampler=$!
sleep 1
a=$(wc -l <"$LOG")
sleep 4
b=$(wc -l <"$LOG")
"$DZ" config --data "$P" max-upload 3M >/dev/null || fail "config max-upload 3M"
applied "settings: max-upload 3M (was 1M)"
sleep 1 # the bucket's burst and what was queued at 1M go by
c=$(wc -l <"$LOG")
sleep 4
d=$(wc -l <"$LOG")
lines_from "$a" | head -n $((b - a)) >"$T/before"
lines_from "$c" | head -n $((d - c)) >"$T/after"
near "$(rate "$T/before" sent)" $MIB "at max-upload 1M"
near "$(rate "$T/after" sent)" $((3 * MIB)) "after drizzle config max-upload 3M"
ok "the running peer follows drizzle config within seconds"

# refused values: exit 1, file untouched
cp "$P/config" "$T/config.before"
for bad in "max-upload 12K" "max-upload fast" "max-download 1.5M" "capacity 0"; do
	# shellcheck disable=SC2086
	expect_exit 1 "$DZ" config --data "$P" $bad
	grep -q "config: " "$T/err" || fail "no message for '$bad'"
done
expect_exit 2 "$DZ" config --data "$P" speed 1M
cmp -s "$P/config" "$T/config.before" || fail "a refused value changed the file"
ok "bad values refused with exit 1, an unknown key with exit 2, the file unchanged"

# a broken file: the peer keeps 3M and says which line
e=$(wc -l <"$LOG")
printf 'max-upload 1M\nspeed 9\n' >"$P/config.tmp" && mv "$P/config.tmp" "$P/config"
wait_for "$LOG" "line 2: unknown key 'speed'" 3 "$net_pid"
grep -q "keeping the settings in force" "$LOG" || fail "no word that the settings stay"
sleep 1
f=$(wc -l <"$LOG")
sleep 2
g=$(wc -l <"$LOG")
lines_from "$f" | head -n $((g - f)) >"$T/kept"
near "$(rate "$T/kept" sent)" $((3 * MIB)) "after a broken config file"
tail -n +$((e + 1)) "$LOG" | grep -q "settings: max-upload" && fail "a broken file changed a setting"
ok "a broken config file keeps the settings in force and names the line"
kill "$sampler"; wait "$sampler" 2>/dev/null; sampler=
wait "$rate_pid" || { cat "$T/get.err" >&2; fail "the get stream failed"; }
rate_pid=

mkdir "$T/p2"
cp "$P/config" "$T/p2/config"
expect_exit 1 "$DZ" peer --data "$T/p2" --coordinator "$ADDR" --datacentre
grep -q "config: line 2: unknown key 'speed'" "$T/err" || { cat "$T/err" >&2; fail "start refusal does not name the line"; }
ok "a peer does not start on a broken config file"
net_stop
