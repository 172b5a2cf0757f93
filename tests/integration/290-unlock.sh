#!/usr/bin/env bash
# 290: unlock once. After `drizzle unlock` (password checked once, with
# libsodium's MODERATE Argon2id), put, ls, get and status work with no
# password anywhere (no --password-file, no DRIZZLE_PASSWORD, no
# terminal) and each stays far below Argon2id's 256 MiB peak (while the
# same get with the password goes above it: the measure can fail);
# `unlock --status` and `status` say until when; nothing new lands in the
# profile directory; `drizzle lock` makes the next command ask for the
# password (and fail, having no terminal); a second profile never uses
# the first one's key; `--for 2s` expires by itself; logout forgets the
# key even when the same account logs in again with the same keyfile; a
# password change on this computer makes the kept key stale (asked
# again); a wrong password stores nothing; bad durations exit 2.
. "$(dirname "$0")/lib.sh"

# nopw CMD...: run drizzle with no way to get a password: no file, no
# variable, no controlling terminal (setsid), stdin /dev/null
nopw() { env -u DRIZZLE_PASSWORD setsid -w "$DZ" "$@" </dev/null; }
# rss_of CMD...: run CMD (drizzle, no password) and set RSS to its peak
# resident memory in KiB
rss_of() {
	local rc=0
	env -u DRIZZLE_PASSWORD setsid -w /usr/bin/time -f %M -o "$T/rss" "$DZ" "$@" \
		</dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$T/err" >&2; fail "'$*' exited $rc"; }
	RSS=$(tail -n 1 "$T/rss")
}
# asks CMD...: CMD must fail for want of a password (exit 2, saying so)
asks() {
	nopw "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[ "$rc" -eq 2 ] && grep -q "no terminal to ask the password" "$T/err" ||
		{ cat "$T/err" >&2; fail "'$*' exited $rc without asking for the password"; }
}

for c in unlock lock; do
	"$DZ" "$c" --help >"$T/help" || fail "$c --help exited $?"
	grep -q "^usage: drizzle $c" "$T/help" || fail "$c --help: $(head -n 1 "$T/help")"
done
expect_exit 2 "$DZ" unlock --for
grep -q -- "--for needs a value" "$T/err" || fail "--for without value: $(cat "$T/err")"
for d in 0 0s 25h 10x -5 m 1h-; do
	expect_exit 2 "$DZ" unlock --for "$d" --home "$T/a"
done
ok "--help, bad durations"

net_start --peers 4 --capacity 64M
"$DZ" signup --coordinator "$ADDR" --user alice --home "$T/a" $PW --quiet ||
	fail "signup alice (MODERATE)"
"$DZ" signup --coordinator "$ADDR" --user bob --home "$T/b" $PW $KDF --quiet ||
	fail "signup bob"
rand "$T/f" 3000000
ok "network up; alice (MODERATE key stretching) and bob signed up"

expect_exit 1 "$DZ" unlock --status --home "$T/a"
grep -q "alice locked" "$T/expect.out" || fail "status before unlock: $(cat "$T/expect.out")"
printf 'wrong guess\n' >"$T/bad"
expect_exit 3 "$DZ" unlock --home "$T/a" --password-file "$T/bad"
asks ls --home "$T/a"
ok "a wrong password unlocks nothing"

ls -la "$T/a" >"$T/before"
out=$("$DZ" unlock --home "$T/a" $PW) || fail "unlock exited $?"
echo "$out" | grep -q "^alice unlocked until .* (1[45]m [0-9]*s left)$" ||
	fail "unlock printed '$out'"
ls -la "$T/a" | cmp -s - "$T/before" || fail "unlock changed the profile directory"
nopw unlock --status --home "$T/a" >"$T/st" || fail "unlock --status exited $?"
grep -q "^alice unlocked until" "$T/st" || fail "unlock --status: $(cat "$T/st")"
ok "unlock: 15 minutes by default, nothing written to the profile"

limit=$((128 * 1024)) # KiB; Argon2id MODERATE alone takes 256 MiB
[ -n "${DRIZZLE_SANITIZED:-}" ] && limit=$((1 << 40)) # ASan: not judged
rss_of put "$T/f" docs/f --home "$T/a" --k 2 --n 4 --segment-size 1M --quiet
put_rss=$RSS
rss_of ls --home "$T/a"
grep -q "docs/f" "$T/out" || fail "ls: $(cat "$T/out")"
ls_rss=$RSS
rss_of get docs/f "$T/back" --home "$T/a" --quiet
get_rss=$RSS
cmp "$T/f" "$T/back" || fail "get returned other bytes"
rss_of status --home "$T/a"
grep -q "^unlock .*unlocked until" "$T/out" || fail "status: $(cat "$T/out")"
for r in $put_rss $ls_rss $get_rss $RSS; do
	[ "$r" -lt "$limit" ] || fail "a command took $r KiB while unlocked (put $put_rss, ls $ls_rss, get $get_rss)"
done
ok "unlocked: put/ls/get/status with no password; peaks put $put_rss, ls $ls_rss, get $get_rss, status $RSS KiB"

# bob's profile never finds alice's key
asks ls --home "$T/b"
ok "another profile is not unlocked"

out=$("$DZ" lock --home "$T/a") || fail "lock exited $?"
[ "$out" = locked ] || fail "lock printed '$out'"
asks ls --home "$T/a"
asks get docs/f "$T/back2" --home "$T/a"
[ ! -e "$T/back2" ] || fail "a get that asked for the password left a file"
out=$("$DZ" lock --home "$T/a") || fail "second lock exited $?"
[ "$out" = "was not unlocked" ] || fail "second lock printed '$out'"
expect_exit 1 "$DZ" unlock --status --home "$T/a"
# the control: the same get with the password pays Argon2id's memory
/usr/bin/time -f %M -o "$T/rss" "$DZ" get docs/f "$T/back3" --home "$T/a" $PW --quiet ||
	fail "get with the password"
pw_rss=$(tail -n 1 "$T/rss")
[ "$pw_rss" -gt $((256 * 1024)) ] || fail "get with the password took only $pw_rss KiB: the RSS check proves nothing"
ok "lock: commands ask for the password again (with it, get peaks at $pw_rss KiB)"

# expiry is the kernel's: wait for it with a deadline
"$DZ" unlock --for 2s --home "$T/b" $PW --quiet || fail "unlock --for 2s"
nopw ls --home "$T/b" >/dev/null 2>&1 || fail "ls right after unlock --for 2s"
for _ in $(seq 100); do
	nopw unlock --status --home "$T/b" >/dev/null 2>&1 || break
	sleep 0.1
done
nopw unlock --status --home "$T/b" >/dev/null 2>&1 && fail "still unlocked 10 s after --for 2s"
asks ls --home "$T/b"
ok "--for 2s expires"

# logout forgets the key: logging in again gives the very same keyfile,
# so only the logout can have dropped it
"$DZ" unlock --home "$T/b" $PW --quiet || fail "unlock bob"
cp "$T/b/keyfile" "$T/kf"
out=$("$DZ" logout --home "$T/b") || fail "logout exited $?"
"$DZ" login --user bob --home "$T/b" $PW $KDF >/dev/null || fail "login bob again"
cmp -s "$T/b/keyfile" "$T/kf" || fail "login gave another keyfile: the test proves nothing"
asks ls --home "$T/b"
ok "logout forgets the unlocked key"

# a password change here re-wraps the key: the kept one is stale
"$DZ" unlock --home "$T/b" $PW --quiet || fail "unlock bob again"
printf 'a new and better passphrase\n' >"$T/pw2"
"$DZ" passwd --home "$T/b" $PW --new-password-file "$T/pw2" $KDF --quiet >/dev/null ||
	fail "passwd"
asks ls --home "$T/b"
"$DZ" ls --home "$T/b" --password-file "$T/pw2" >/dev/null || fail "ls with the new password"
ok "a password change makes the kept key stale"
"$DZ" lock --home "$T/b" >/dev/null || fail "lock bob"
net_stop
