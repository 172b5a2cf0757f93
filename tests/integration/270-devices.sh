#!/usr/bin/env bash
# 270: a password change shuts the door. Three computers of one account:
# `drizzle devices` lists the three (fingerprint, logged in, last seen;
# `*` this computer); after `passwd` on the first, the others' next
# command exits 1 with "not logged in ... drizzle login" until they log
# in with the new password, unless --keep-devices; `passwd --hint` sets
# the hint and a passwd without it clears the old password's hint;
# `devices revoke FPR` logs one computer out, this computer's own only
# with --force. A weak password gets a warning at signup and passwd, and
# on a terminal mismatched confirmations are asked again, three times in
# all, then exit 1.
. "$(dirname "$0")/lib.sh"

coord_start
printf 'wrong guess\n' >"$T/bad"
printf 'a new and better passphrase\n' >"$T/pw2"
printf 'the third of them all\n' >"$T/pw3"
"$DZ" signup --coordinator "$CADDR" --user alice --hint "old hint" --home "$T/a" $PW $KDF --quiet ||
	fail "signup"
for c in b c; do
	"$DZ" login --coordinator "$CADDR" --user alice --home "$T/$c" $PW $KDF >/dev/null ||
		fail "login $c"
done

"$DZ" devices --home "$T/a" $PW >"$T/dev" || fail "devices exited $?"
[ "$(grep -c '^[ *] [0-9a-f]\{16\}  ' "$T/dev")" = 3 ] || fail "devices: $(cat "$T/dev")"
[ "$(grep -c '^\* .*(this computer)$' "$T/dev")" = 1 ] || fail "this computer not marked: $(cat "$T/dev")"
grep -q ' [0-9-]* [0-9:]* UTC  *[0-9-]* [0-9:]* UTC' "$T/dev" || fail "no times: $(cat "$T/dev")"
"$DZ" devices --home "$T/b" $PW >"$T/devb" || fail "devices on b"
fpr_b=$(sed -n 's/^\* \([0-9a-f]\{16\}\) .*/\1/p' "$T/devb")
fpr_a=$(sed -n 's/^\* \([0-9a-f]\{16\}\) .*/\1/p' "$T/dev")
[ -n "$fpr_b" ] && [ "$fpr_b" != "$fpr_a" ] || fail "b's key: '$fpr_b', a's '$fpr_a'"
grep -q "$fpr_b" "$T/dev" || fail "a does not list b"
ok "devices lists the three computers, this one marked"

out=$("$DZ" passwd --home "$T/a" $PW --new-password-file "$T/pw2" --hint "new hint" $KDF --quiet) ||
	fail "passwd exited $?"
echo "$out" | grep -q "logged out" || fail "passwd printed '$out'"
for c in b c; do
	expect_exit 1 "$DZ" status --home "$T/$c" $PW
	grep -q "not logged in" "$T/err" && grep -q "drizzle login" "$T/err" ||
		fail "$c after passwd: $(cat "$T/err")"
done
expect_exit 1 "$DZ" ls --home "$T/c" $PW
grep -q "not logged in" "$T/err" || fail "ls on c after passwd: $(cat "$T/err")"
"$DZ" status --home "$T/a" --password-file "$T/pw2" >/dev/null || fail "a after its passwd"
"$DZ" login --user alice --home "$T/b" --password-file "$T/pw2" $KDF >/dev/null || fail "b logs in again"
"$DZ" status --home "$T/b" --password-file "$T/pw2" >/dev/null || fail "b after logging in again"
# logging in again made b a new key; the old one is gone
"$DZ" devices --home "$T/b" --password-file "$T/pw2" >"$T/devb" || fail "devices on b"
grep -q "$fpr_b" "$T/devb" && fail "b's old key is still bound: $(cat "$T/devb")"
fpr_b=$(sed -n 's/^\* \([0-9a-f]\{16\}\) .*/\1/p' "$T/devb")
[ "$(grep -c '^[ *] [0-9a-f]\{16\}  ' "$T/devb")" = 2 ] || fail "after passwd and b's login: $(cat "$T/devb")"
ok "passwd logs the other computers out until they log in with the new password"

expect_exit 3 "$DZ" login --coordinator "$CADDR" --user alice --home "$T/d" --password-file "$T/bad" $KDF
grep -q "wrong password (hint: new hint)" "$T/err" || fail "hint: $(cat "$T/err")"
out=$("$DZ" passwd --home "$T/a" --password-file "$T/pw2" --new-password-file "$T/pw3" \
	--keep-devices $KDF --quiet) || fail "passwd --keep-devices exited $?"
echo "$out" | grep -q "no hint" || fail "passwd without --hint printed '$out'"
expect_exit 3 "$DZ" login --coordinator "$CADDR" --user alice --home "$T/d" --password-file "$T/bad" $KDF
grep -q "^drizzle: wrong password$" "$T/err" || fail "the old hint stayed: $(cat "$T/err")"
"$DZ" status --home "$T/b" --password-file "$T/pw2" >/dev/null || fail "--keep-devices logged b out"
ok "--hint sets the hint, a passwd without it clears it; --keep-devices keeps the others"

expect_exit 1 "$DZ" devices revoke "$fpr_a" --home "$T/a" --password-file "$T/pw3"
grep -q "this computer" "$T/err" || fail "revoking this computer: $(cat "$T/err")"
expect_exit 2 "$DZ" devices revoke xyz --home "$T/a" --password-file "$T/pw3"
expect_exit 1 "$DZ" devices revoke 0000000000 --home "$T/a" --password-file "$T/pw3"
"$DZ" devices revoke "$fpr_b" --home "$T/a" --password-file "$T/pw3" >/dev/null || fail "revoke b"
expect_exit 1 "$DZ" status --home "$T/b" --password-file "$T/pw2"
grep -q "not logged in" "$T/err" || fail "b after revoke: $(cat "$T/err")"
"$DZ" devices --home "$T/a" --password-file "$T/pw3" >"$T/dev" || fail "devices after revoke"
grep -q "$fpr_b" "$T/dev" && fail "b still listed: $(cat "$T/dev")"
"$DZ" devices revoke "$fpr_a" --force --home "$T/a" --password-file "$T/pw3" >/dev/null ||
	fail "revoke --force of this computer"
expect_exit 1 "$DZ" status --home "$T/a" --password-file "$T/pw3"
grep -q "not logged in" "$T/err" || fail "a after revoking itself: $(cat "$T/err")"
ok "devices revoke logs a computer out; this one only with --force"

printf 'abc\n' >"$T/weak"
"$DZ" signup --coordinator "$CADDR" --user weak --home "$T/w" --password-file "$T/weak" $KDF --quiet \
	2>"$T/err" || fail "signup with a weak password: $(cat "$T/err")"
grep -q "warning: this password is weak" "$T/err" || fail "no warning at signup: $(cat "$T/err")"
printf 'aaaaaaaaaaaa\n' >"$T/weak2"
"$DZ" passwd --home "$T/w" --password-file "$T/weak" --new-password-file "$T/weak2" $KDF --quiet \
	>/dev/null 2>"$T/err" || fail "passwd to a weak password: $(cat "$T/err")"
grep -q "weak (only one kind of character)" "$T/err" || fail "no warning at passwd: $(cat "$T/err")"
ok "weak passwords get a warning"

# a terminal: a typo in the confirmation asks again, three times in all
tty_signup() {
	python3 - "$DZ" "$CADDR" "$1" "$T/$1" "$2" <<'PY'
# run signup on a pseudo-terminal, answering each password prompt in turn
import os, pty, select, sys, time
dz, addr, user, home, answers = sys.argv[1:6]
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop("DRIZZLE_PASSWORD", None)
    os.execv(dz, [dz, "signup", "--coordinator", addr, "--user", user, "--home", home,
                  "--kdf-ops", "1", "--kdf-mem", "64K", "--quiet"])
log, pending, deadline = b"", b"", time.time() + 20
def more():
    global log, pending
    r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
    if not r:
        return False
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        return False
    log += chunk
    pending += chunk
    return bool(chunk)
for a in answers.split(","):
    while b"assword: " not in pending and more():
        pass
    if b"assword: " not in pending:
        break
    pending = pending[pending.index(b"assword: ") + 9:]
    os.write(fd, a.encode() + b"\n")
while more():
    pass
if time.time() >= deadline:
    os.kill(pid, 9) # bounded: a child still waiting for input is stopped
_, status = os.waitpid(pid, 0)
sys.stdout.write(log.decode(errors="replace"))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 99)
PY
}
tty_signup t1 "first one,other,first one,other,first one,other" >"$T/tty" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$T/tty"; fail "three mismatches exited $rc"; }
grep -q "differed three times" "$T/tty" || fail "three mismatches: $(cat "$T/tty")"
[ ! -e "$T/t1/account" ] || fail "three mismatches signed up"
tty_signup t2 "a good long one,typo,a good long one,a good long one" >"$T/tty" 2>&1 ||
	{ cat "$T/tty"; fail "one mismatch, then a match: exit $?"; }
grep -q "try again" "$T/tty" || fail "a mismatch did not ask again: $(cat "$T/tty")"
[ -e "$T/t2/account" ] || fail "signed up after a corrected confirmation, but no profile"
ok "a mismatched confirmation asks again, three times in all"
coord_stop
