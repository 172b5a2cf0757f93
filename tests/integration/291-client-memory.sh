#!/usr/bin/env bash
# 291: the client's memory is bounded. With the account unlocked (so no
# Argon2id in the command), a put and a get of 96 MiB with 10-of-30 on a
# 30-peer testnet, and with 4-of-12 and 2-of-3 on the same network, each
# peak below 128 MiB resident at the default 4 threads (before the bound,
# 10-of-30 put peaked at 202 MiB and get at 138 MiB), and come back
# bit-exact; so does a wide code with big segments asked for (1-of-8 with
# --segment-size 16M: one segment and its fragments alone would be 144 MiB
# and the put peaked at 307 MiB, so put takes smaller segments). A
# behaviour bound, not a timing: the peaks are printed.
. "$(dirname "$0")/lib.sh"

limit=$((128 * 1024)) # KiB
# under AddressSanitizer (make check) resident memory says nothing of ours:
# the round trips still run, the bound is not judged
[ -n "${DRIZZLE_SANITIZED:-}" ] && limit=$((1 << 40))
net_start --peers 30 --capacity 128M
"$DZ" signup --coordinator "$ADDR" --user alice --home "$T/a" $PW $KDF --quiet ||
	fail signup
"$DZ" unlock --home "$T/a" $PW --quiet || fail unlock
rand "$T/f96" $((96 << 20))
rand "$T/f16" $((16 << 20))
ok "30 peers up, alice unlocked"

# peak CMD...: run drizzle CMD with no password reachable; PEAK in KiB
peak() {
	local rc=0
	env -u DRIZZLE_PASSWORD setsid -w /usr/bin/time -f %M -o "$T/rss" "$DZ" "$@" \
		</dev/null >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$T/err" >&2; fail "'$*' exited $rc"; }
	PEAK=$(tail -n 1 "$T/rss")
}
for code in "10 30 96 4M" "4 12 96 4M" "2 3 96 4M" "1 8 16 16M"; do
	set -- $code
	cp "$T/f$3" "$T/f"
	peak put "$T/f" "f$1" --home "$T/a" --k "$1" --n "$2" --segment-size "$4" --quiet
	put_peak=$PEAK
	rm -f "$T/back"
	peak get "f$1" "$T/back" --home "$T/a" --quiet
	get_peak=$PEAK
	cmp -s "$T/f" "$T/back" || fail "$1-of-$2: the file came back different"
	[ "$put_peak" -lt "$limit" ] || fail "$1-of-$2 put peaked at $((put_peak / 1024)) MiB"
	[ "$get_peak" -lt "$limit" ] || fail "$1-of-$2 get peaked at $((get_peak / 1024)) MiB"
	# room for the next code
	nopw_rm=$(env -u DRIZZLE_PASSWORD setsid -w "$DZ" rm "f$1" --home "$T/a" </dev/null 2>&1) ||
		fail "rm f$1: $nopw_rm"
	ok "$1-of-$2, $3 MiB, --segment-size $4: put peak $((put_peak / 1024)) MiB, get peak $((get_peak / 1024)) MiB"
done
"$DZ" lock --home "$T/a" >/dev/null || fail lock
net_stop
