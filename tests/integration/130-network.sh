#!/usr/bin/env bash
# 130: files across a real local network (`drizzle testnet`: a coordinator
# and 8 peers as processes on 127.0.0.1): put/get round trips of several
# sizes; nothing readable reaches the coordinator or any peer (canary);
# any n-k fragment holders killed or lying (corrupted fragments on disk)
# and the file still comes back bit-exact; one loss too many fails
# clearly; the whole network restarted between put and get; a second
# computer logs in and sees the same files; puts larger than the network
# refused clearly; ls and rm.
. "$(dirname "$0")/lib.sh"

peer_pid() { cat "$NET/peer-$1/pid"; }

net_start --peers 8 --capacity 16M
MARK=zebracanary7
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
ok "network of 8 peers up, alice signed up"

# content and name both carry the marker, in the clear, many times
{ for _ in $(seq 20000); do printf '%s-secret-line\n' "$MARK"; done
  head -c 3M /dev/urandom; } >"$T/$MARK.txt"
rand "$T/empty" 0
rand "$T/one" 1
rand "$T/odd" 1234567
for f in "$MARK.txt" empty one odd; do
	"$DZ" put "$T/$f" "docs/$f" $A --k 3 --n 6 --segment-size 1M --quiet ||
		fail "put $f"
done
ok "put 4 files, 3-of-6"

"$DZ" ls $A >"$T/ls" || fail ls
# 4 files, and their folder (ls lists folders too: docs/)
[ "$(grep -vc '/$' "$T/ls")" = 4 ] && grep -q '  docs/$' "$T/ls" ||
	{ cat "$T/ls"; fail "ls shows $(grep -vc '/$' "$T/ls") files"; }
grep -q "docs/$MARK.txt" "$T/ls" || fail "ls misses the file"
"$DZ" ls docs/one $A >"$T/ls" && [ "$(wc -l <"$T/ls")" = 1 ] || fail "ls of one path"
expect_exit 1 "$DZ" ls nothing/here $A
ok "ls"

for f in "$MARK.txt" empty one odd; do
	"$DZ" get "docs/$f" "$T/back-$f" $A --quiet || fail "get $f"
	cmp "$T/$f" "$T/back-$f" || fail "$f differs"
done
"$DZ" get "docs/one" - $A --quiet | cmp - "$T/one" || fail "get to stdout"
expect_exit 1 "$DZ" get "docs/one" "$T/back-one" $A --quiet
grep -q "exists" "$T/err" || fail "get over an existing file: $(cat "$T/err")"
expect_exit 1 "$DZ" get docs/nope "$T/nope" $A
[ ! -e "$T/nope" ] || fail "a failed get left a file"
ok "get: every size bit-exact, stdout, no overwrite, missing file"

# canary: the marker, the file name and the password are nowhere on the
# servers' disks, in any form grep finds
pw=$(cat "$T/pw")
for pat in "$MARK" "secret-line" "$pw" "docs/"; do
	if grep -rlaF -- "$pat" "$NET" >"$T/found"; then
		cat "$T/found" >&2
		fail "'$pat' found on a server's disk"
	fi
done
ok "canary: no content, name or password on any server"

# lying peers: corrupt every fragment on two peers' disks, kill a third:
# any segment loses at most 3 = n - k fragments
corrupt() {
	find "$NET/peer-$1/frags" -type f | while read -r f; do
		printf 'garbage!' | dd of="$f" bs=1 seek=300 conv=notrunc status=none
	done
}
corrupt 1
corrupt 2
kill -9 "$(peer_pid 3)"
"$DZ" get "docs/$MARK.txt" "$T/back2" $A --quiet 2>"$T/get.err" || {
	cat "$T/get.err"; fail "get with 2 lying peers and 1 dead"; }
cmp "$T/$MARK.txt" "$T/back2" || fail "wrong data with lying peers"
ok "two peers lying and one dead: bit-exact"

# one more holder dead: 4 > n - k for some segment unless placement was
# lucky; the get must either succeed bit-exact or fail clearly
kill -9 "$(peer_pid 4)" "$(peer_pid 5)"
sleep 0.2
if "$DZ" get "docs/$MARK.txt" "$T/back3" $A --quiet 2>"$T/get.err"; then
	cmp "$T/$MARK.txt" "$T/back3" || fail "wrong data after too many losses"
else
	grep -qi "fragment" "$T/get.err" || fail "unclear error: $(cat "$T/get.err")"
	[ ! -e "$T/back3" ] || fail "a failed get left partial output"
fi
ok "too many losses: bit-exact or a clear refusal, never wrong data"

# restart everything (the killed peers come back too) between put and get
net_stop
net_restart
"$DZ" put "$T/odd" "later/odd" $A --k 3 --n 6 --quiet || fail "put after restart"
"$DZ" get "docs/odd" "$T/back4" $A --quiet || fail "get after restart"
cmp "$T/odd" "$T/back4" || fail "odd differs after restart"
ok "coordinator and peers restarted: files still there"

# a second computer: log in with the same user name and password
"$DZ" login --coordinator "$ADDR" --user alice $PW $KDF --home "$T/b" >/dev/null || fail login
"$DZ" ls --home "$T/b" $PW >"$T/ls2" || fail "ls on b"
[ "$(grep -vc '/$' "$T/ls2")" = 5 ] ||
	{ cat "$T/ls2"; fail "second computer sees $(grep -vc '/$' "$T/ls2") files"; }
"$DZ" get later/odd "$T/back5" --home "$T/b" $PW --quiet || fail "get on b"
cmp "$T/odd" "$T/back5" || fail "second computer got wrong data"
ok "second computer sees and gets the same files"

# two clients at once: bob on his own account, alice on both computers
# (their file tree is one record, updated by compare-and-swap)
"$DZ" signup --coordinator "$ADDR" --user bob $PW $KDF --home "$T/bob" --quiet ||
	fail "signup bob"
rand "$T/c1" 700000
rand "$T/c2" 800000
rand "$T/c3" 900000
"$DZ" put "$T/c1" c1 $A --k 3 --n 6 --quiet & p1=$!
"$DZ" put "$T/c2" c2 --home "$T/b" $PW --k 3 --n 6 --quiet & p2=$!
"$DZ" put "$T/c3" c3 --home "$T/bob" $PW --k 3 --n 6 --quiet & p3=$!
wait $p1 || fail "concurrent put 1"
wait $p2 || fail "concurrent put 2"
wait $p3 || fail "concurrent put 3"
"$DZ" ls $A >"$T/ls" || fail ls
grep -q " c1$" "$T/ls" && grep -q " c2$" "$T/ls" || { cat "$T/ls"; fail "a concurrent put was lost"; }
grep -q " c3$" "$T/ls" && fail "alice sees bob's file"
"$DZ" ls --home "$T/bob" $PW >"$T/ls" && [ "$(wc -l <"$T/ls")" = 1 ] || fail "bob's list"
"$DZ" get c3 "$T/back-c3" --home "$T/bob" $PW --quiet && cmp "$T/c3" "$T/back-c3" ||
	fail "bob's get"
expect_exit 1 "$DZ" get c1 "$T/x" --home "$T/bob" $PW
ok "two clients at once: nothing lost, accounts apart"

# more than the network holds: 8 peers x 16M = 128M of fragments; a 3-of-6
# put of 80M needs 160M
head -c 80M /dev/zero >"$T/big"
expect_exit 1 "$DZ" put "$T/big" big $A --k 3 --n 6 --quiet
grep -qiE "room|space|capacity|quota" "$T/err" || fail "unclear capacity error: $(cat "$T/err")"
"$DZ" ls big $A >/dev/null 2>&1 && fail "a failed put is listed"
rm -f "$T/big"
# 3-of-16 needs 3 + ceil(13/2) = 10 of its fragments stored: more than 8 peers
expect_exit 1 "$DZ" put "$T/one" x $A --k 3 --n 16
grep -q "peers" "$T/err" || fail "n > peers: unclear error: $(cat "$T/err")"
ok "puts beyond the network refused clearly"

"$DZ" rm docs/one $A >/dev/null || fail rm
expect_exit 1 "$DZ" rm docs/one $A
"$DZ" ls $A >"$T/ls" && [ "$(grep -vc '/$' "$T/ls")" = 6 ] && ! grep -q 'docs/one$' "$T/ls" ||
	{ cat "$T/ls"; fail "rm did not remove"; }
ok "rm"

net_stop
