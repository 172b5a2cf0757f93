#!/usr/bin/env bash
# 430: `drizzle coordinator --metrics` serves Prometheus text at /metrics
# and its figures move with the network: every metric has HELP and TYPE
# lines and no label; peers online is right and drops when a peer is
# killed; a put counts in drizzle_puts_total and the stored bytes, a get
# in drizzle_gets_total. Hostile requests (garbage, an oversized head, a
# wrong method or path, a client that sends nothing) get an error status
# and the server keeps serving, several scrapes at once included; a
# non-loopback address is refused without --metrics-public.
. "$(dirname "$0")/lib.sh"

net_start --peers 4 --capacity 16M --metrics 127.0.0.1:0 --heartbeat 1 \
	--peer-timeout 3
MA=$(cat "$NET/coordinator/metrics.addr") || fail "no metrics.addr"
MPORT=${MA##*:}

scrape() { curl -sS --max-time 10 "http://$MA/metrics"; }
# metric NAME: its value in a fresh scrape
metric() { scrape | sed -n "s/^$1 //p"; }
# wait_metric NAME VALUE SECONDS
wait_metric() {
	for _ in $(seq $(($3 * 10))); do
		[ "$(metric "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 is $(metric "$1"), not $2, after $3 s"
}
# raw REQUEST: send REQUEST bytes on a fresh connection, print the status line
raw() {
	exec 3<>"/dev/tcp/127.0.0.1/$MPORT" || fail "connect $MA"
	printf '%b' "$1" >&3
	timeout 10 head -1 <&3 | tr -d '\r'
	exec 3<&- 3>&-
}

scrape >"$T/m0" || fail "first scrape"
names=(drizzle_peers_online drizzle_peers_total drizzle_capacity_offered_bytes
	drizzle_capacity_proven_bytes drizzle_stored_bytes drizzle_accounts
	drizzle_puts_total drizzle_put_errors_total drizzle_gets_total
	drizzle_get_errors_total drizzle_audits_passed_total
	drizzle_audits_failed_total drizzle_repair_backlog_segments
	drizzle_repairs_total drizzle_gc_rounds_total)
for n in "${names[@]}"; do
	grep -q "^# HELP $n " "$T/m0" || fail "no HELP for $n"
	grep -q "^# TYPE $n \(gauge\|counter\)$" "$T/m0" || fail "no TYPE for $n"
	grep -q "^$n [0-9][0-9]*$" "$T/m0" || fail "no value for $n"
done
grep -v '^#' "$T/m0" | grep -q '{' && fail "a metric has labels: $(grep '{' "$T/m0")"
wait_metric drizzle_peers_online 4 10
[ "$(metric drizzle_peers_total)" = 4 ] || fail "peers total not 4"
[ "$(metric drizzle_capacity_offered_bytes)" = $((4 * 16 << 20)) ] ||
	fail "capacity offered $(metric drizzle_capacity_offered_bytes)"
ok "${#names[@]} metrics with HELP and TYPE, no labels; 4 peers online, 64 MiB offered"

"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet \
	>/dev/null || fail "signup"
[ "$(metric drizzle_accounts)" = 1 ] || fail "accounts not 1"
puts0=$(metric drizzle_puts_total)
rand "$T/f" 300000
"$DZ" put "$T/f" f --home "$T/a" $PW --k 2 --n 4 --quiet || fail "put"
puts1=$(metric drizzle_puts_total)
[ "$puts1" -gt "$puts0" ] || fail "puts_total $puts0 -> $puts1 after a put"
stored=$(metric drizzle_stored_bytes)
[ "$stored" -ge $((300000 * 2)) ] || fail "stored bytes $stored after a 2x put of 300000"
gets0=$(metric drizzle_gets_total)
"$DZ" get f "$T/back" --home "$T/a" $PW --quiet && cmp "$T/f" "$T/back" || fail "get"
[ "$(metric drizzle_gets_total)" -gt "$gets0" ] || fail "gets_total did not move"
ok "a put counted ($puts0 -> $puts1 commits, $stored bytes stored), a get counted"

# several at once, with a stalled client holding a connection open
exec 4<>"/dev/tcp/127.0.0.1/$MPORT" || fail "connect"
pids=()
for i in $(seq 8); do scrape >"$T/par$i" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || fail "a parallel scrape failed"; done
for i in $(seq 8); do grep -q '^drizzle_peers_total 4$' "$T/par$i" || fail "parallel scrape $i"; done
ok "8 scrapes at once served while a silent client holds a connection"
start=$(date +%s)
st=$(timeout 15 head -1 <&4 | tr -d '\r')
exec 4<&- 4>&-
[ "$st" = "HTTP/1.1 408 Request Timeout" ] || fail "silent client got '$st'"
[ $(($(date +%s) - start)) -le 10 ] || fail "silent client held on too long"
ok "the silent client got 408 within the deadline"

[ "$(raw 'GARBAGE\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] || fail "garbage not 400"
[ "$(raw 'GET /metrics HTTP/2.0\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] || fail "HTTP/2.0 not 400"
[ "$(raw 'POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n')" = "HTTP/1.1 405 Method Not Allowed" ] ||
	fail "POST not 405"
[ "$(raw 'GET /nope HTTP/1.1\r\n\r\n')" = "HTTP/1.1 404 Not Found" ] || fail "/nope not 404"
big=$(head -c 6000 /dev/zero | tr '\0' 'a')
[ "$(raw "GET /metrics HTTP/1.1\r\nX: $big\r\n\r\n")" = "HTTP/1.1 431 Request Header Fields Too Large" ] ||
	fail "oversized head not 431"
[ "$(raw 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')" = "HTTP/1.1 200 OK" ] || fail "raw GET not 200"
[ "$(metric drizzle_metrics_bad_requests_total)" -ge 5 ] || fail "bad requests not counted"
ok "garbage 400, HTTP/2 400, POST 405, /nope 404, oversized 431; still serving"

pid=$(cat "$NET/peer-4/pid") || fail "no pid for peer 4"
kill -9 "$pid"
wait_metric drizzle_peers_online 3 15
[ "$(metric drizzle_peers_total)" = 4 ] || fail "peers total changed"
ok "a killed peer drops peers online to 3"

expect_exit 1 "$DZ" coordinator --data "$T/c2" --listen 127.0.0.1:0 --metrics 0.0.0.0:0
grep -q -- '--metrics-public' "$T/err" || fail "refusal unclear: $(cat "$T/err")"
expect_exit 1 "$DZ" coordinator --data "$T/c2" --listen 127.0.0.1:0 --metrics 192.0.2.1:9100
expect_exit 2 "$DZ" coordinator --data "$T/c2" --metrics-public
ok "non-loopback --metrics refused without --metrics-public"

net_stop
