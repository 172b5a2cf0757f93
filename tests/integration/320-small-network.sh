#!/usr/bin/env bash
# 320: a put in a network smaller than its code: with 10 peers online a
# 4-of-12 put succeeds (every segment needs k + ceil((n-k)/2) = 8
# fragments stored), the coordinator records all 12 names of every
# segment, the 2 not placed without a holder, and the file comes back
# bit-exact; a code the network cannot reach even that far (4-of-20,
# 12 needed) is refused clearly. Per-file --repair-threshold is recorded
# and checked; when two more peers join, the repair worker places the
# missing fragments (rebuilt from ciphertext, byte-identical to their
# names, though one holder lies) until every segment is at its file's
# threshold or above (the file with threshold 12: all 12 holders).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repair_lib.sh"

net_start --peers 10 --capacity 64M --heartbeat 1 --peer-timeout 3 \
	--grace "$GRACE" --repair-interval 1 --repair-threshold 11
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup

rand "$T/f" 5000000
"$DZ" put "$T/f" f $A --k 4 --n 12 --segment-size 1M --quiet ||
	{ cat "$T/err" 2>/dev/null; fail "a 4-of-12 put on 10 peers failed"; }
[ "$(q 'SELECT k, n, threshold FROM objects')" = "4|12|11" ] ||
	fail "objects row: $(q 'SELECT k, n, threshold FROM objects')"
# every segment: 12 names, 10 of them placed
[ "$(q 'SELECT DISTINCT count(*) FROM fragments GROUP BY object, segment')" = 12 ] ||
	fail "not 12 names per segment"
placed=$(q 'SELECT DISTINCT count(DISTINCT f.idx) FROM fragments f JOIN locations l
	ON l.account = f.account AND l.name = f.name GROUP BY f.object, f.segment')
[ "$placed" = 10 ] || fail "placed per segment: $placed, expected 10"
"$DZ" get f "$T/back" $A --quiet && cmp "$T/f" "$T/back" || fail "get f"
ok "4-of-12 on 10 peers: stored 10 of 12 per segment, 12 names committed, bit-exact"

expect_exit 1 "$DZ" put "$T/f" g $A --k 4 --n 20 --segment-size 1M
grep -q "only 10 of 20 fragments stored" "$T/err" && grep -q "at least 12" "$T/err" ||
	{ cat "$T/err" >&2; fail "unclear refusal of 4-of-20"; }
ok "4-of-20 refused: $(head -c 160 "$T/err")"

expect_exit 2 "$DZ" put "$T/f" g $A --k 4 --n 12 --repair-threshold 4
grep -q "repair-threshold" "$T/err" || fail "threshold 4: $(cat "$T/err")"
expect_exit 2 "$DZ" put "$T/f" g $A --k 4 --n 12 --repair-threshold 13
rand "$T/s" 1000
"$DZ" put "$T/s" s $A --k 4 --n 12 --repair-threshold 12 --quiet || fail "put s"
[ "$(q 'SELECT DISTINCT threshold FROM objects ORDER BY threshold')" = "$(printf '11\n12')" ] ||
	fail "thresholds: $(q 'SELECT threshold FROM objects')"
ok "--repair-threshold: out of range refused (exit 2), 12 recorded"

# a holder that lies (one byte flipped in every FRAG_GET answer): the
# repairer must refuse what it sends and fetch from the others
liar_peer 1 flip
extra_peer x1
extra_peer x2
# every segment back at its object's threshold or above (f: 11, s: 12 =
# all of them). Which of f's segments get one or both of the missing
# fragments depends on whether the repairer saw one new peer or two when
# it found them below 11; s needs both either way.
below=
for _ in $(seq 200); do
	below=$(q "SELECT count(*) FROM (SELECT o.threshold t, count(DISTINCT CASE WHEN
	     p.last_heartbeat >= strftime('%s','now') - $GRACE AND p.left_at IS NULL AND p.state < 2
	     THEN f.idx END) c
	   FROM objects o JOIN fragments f ON f.account = o.account AND f.object = o.object
	   LEFT JOIN locations l ON l.account = f.account AND l.name = f.name
	   LEFT JOIN peers p ON p.id = l.peer
	   GROUP BY f.account, f.object, f.segment) WHERE c < t")
	[ "$below" = 0 ] && break
	sleep 0.2
done
[ "$below" = 0 ] || { tail -5 "$NET/coordinator.log" >&2; fail "$below segment(s) still below their threshold"; }
[ "$(q "SELECT count(DISTINCT f.idx) FROM objects o JOIN fragments f ON f.account = o.account
	AND f.object = o.object JOIN locations l ON l.account = f.account AND l.name = f.name
	WHERE o.threshold = 12")" = 12 ] || fail "s does not have its 12 holders"
grep -q "repair: object [0-9a-f]\{8\} segment [0-9]*: [12] of [12] missing" "$NET/coordinator.log" ||
	{ tail "$NET/coordinator.log" >&2; fail "no repair line in the coordinator's log"; }
kill "${extra_pids[0]}"; wait "${extra_pids[0]}" # the liar
for f in f s; do
	"$DZ" get "$f" "$T/back-$f" $A --quiet 2>"$T/get.err" && cmp "$T/$f" "$T/back-$f" ||
		fail "get $f after repair"
	grep -q "and [1-9][0-9]* corrupt" "$T/get.err" &&
		{ cat "$T/get.err" >&2; fail "a repaired fragment is corrupt"; }
done
ok "two peers joined, a holder lying: the missing fragments were rebuilt right, every segment at its threshold (s: 12 holders)"
net_stop
