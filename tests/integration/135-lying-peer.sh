#!/usr/bin/env bash
# 135: peers that lie on the wire (`drizzle peer --test-lie`, test only):
# with 3 = n-k holders answering FRAG_GET with garbage, a flipped byte or a
# truncated fragment, `drizzle get` still returns the file bit-exact and
# names the bad fragments; with a slow holder added it still succeeds,
# waiting for the slow one, in bounded time; with one liar too many it
# either succeeds bit-exact or fails with exit 4 naming what was lost, and
# never writes wrong data. The liars are the peers holding the most
# fragments (placement may leave a peer empty), so that when every segment
# sits on the same 6 peers the slow wait and the refusal are certain.
. "$(dirname "$0")/lib.sh"

now_ms() { date +%s%3N; }

net_start --peers 7 --capacity 16M
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet >/dev/null ||
	fail signup
rand "$T/f" 3000000
"$DZ" put "$T/f" f $A --k 3 --n 6 --segment-size 1M --quiet || fail put
ok "network of 7 peers, a 3 MB file put 3-of-6"

# L: peers by fragments held, most first; full: the first 5 hold a
# fragment of every segment (nseg: the most any peer holds, one per segment)
for i in $(seq 7); do
	echo "$(find "$NET/peer-$i/frags" -type f 2>/dev/null | wc -l) $i"
done | sort -k1,1nr -k2,2n >"$T/held"
L=($(cut -d' ' -f2 "$T/held"))
nseg=$(head -1 "$T/held" | cut -d' ' -f1)
[ "$nseg" -ge 3 ] || { cat "$T/held"; fail "only $nseg segments placed"; }
full=0
[ "$(sed -n 5p "$T/held" | cut -d' ' -f1)" = "$nseg" ] && full=1

liar "${L[0]}" garbage
liar "${L[1]}" flip
liar "${L[2]}" truncate
# a liar whose answer comes after k intact ones is cancelled unheard, so
# one get may by chance name none: up to 3 gets, each must be bit-exact
for try in 1 2 3; do
	rm -f "$T/back1"
	"$DZ" get f "$T/back1" $A --quiet 2>"$T/get1.err" || {
		cat "$T/get1.err" >&2; fail "get with 3 lying peers"; }
	cmp "$T/f" "$T/back1" || fail "wrong data with 3 lying peers"
	grep -q 'warning: segment [0-9]* fragment [0-9]* ' "$T/get1.err" && break
done
grep -Eq 'warning: 0 fragment\(s\) missing or unreachable and [1-9][0-9]* corrupt' "$T/get1.err" ||
	{ cat "$T/get1.err" >&2; fail "corrupt fragments not counted (3 gets)"; }
grep -Eq 'warning: segment [0-9]+ fragment [0-9]+ \([0-9a-f]{16}\.\.\.\) ' "$T/get1.err" ||
	{ cat "$T/get1.err" >&2; fail "corrupt fragments not named"; }
grep -Eq 'is missing|is unreachable' "$T/get1.err" && { cat "$T/get1.err" >&2; fail "a lie taken for a loss"; }
ok "peers ${L[*]:0:3} lying (garbage, flip, truncate): bit-exact; get $try named $(grep -c 'warning: segment' "$T/get1.err") bad fragment(s)"

liar "${L[3]}" slow
t0=$(now_ms)
"$DZ" get f "$T/back2" $A --quiet 2>"$T/get2.err" || {
	cat "$T/get2.err" >&2; fail "get with 3 lying peers and a slow one"; }
dt=$(($(now_ms) - t0))
cmp "$T/f" "$T/back2" || fail "wrong data with a slow peer"
[ "$dt" -lt 30000 ] || fail "get with a slow peer took $dt ms"
# with every segment on these peers, only 2 honest holders are left: the
# slow one must have been waited for
[ "$full" = 0 ] || [ "$dt" -ge 3000 ] || fail "the slow peer was not needed ($dt ms): is it lying?"
ok "and peer ${L[3]} slow: bit-exact in $dt ms"

liar "${L[4]}" garbage
if "$DZ" get f "$T/back3" $A --quiet 2>"$T/get3.err"; then
	[ "$full" = 0 ] || fail "get succeeded with 1 honest holder and k = 3"
	cmp "$T/f" "$T/back3" || fail "wrong data with 4 lying peers"
	ok "and peer ${L[4]} lying too: bit-exact (placement was lucky)"
else
	ex=$?
	[ "$ex" -eq 4 ] || { cat "$T/get3.err" >&2; fail "get exited $ex, expected 4"; }
	grep -Eq 'segment [0-9]+.*fragments' "$T/get3.err" ||
		{ cat "$T/get3.err" >&2; fail "unclear error"; }
	[ ! -e "$T/back3" ] || fail "a failed get left output"
	ls -a "$T" | grep -q 'back3' && fail "a failed get left a temporary file"
	ok "and peer ${L[4]} lying too: refused (exit 4), no output: $(tail -1 "$T/get3.err")"
fi

for p in "${liar_pids[@]}"; do kill "$p"; wait "$p" || fail "liar pid $p exit $?"; done
liar_pids=()
net_stop
