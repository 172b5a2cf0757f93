#!/usr/bin/env bash
# 120: accounts from the command line, against a real coordinator on
# 127.0.0.1: `drizzle signup` creates an account and pins the
# coordinator's key; `status` shows user, coordinator, key, space and
# peers; `logout` forgets the account (and says so when nobody was
# logged in); `login` from another --home, with --coordinator/--user or
# the profile's; a wrong password exits 3 and prints the hint; `passwd`
# makes the old password fail and the new one work (files and
# environment variables alike); a coordinator showing another key than
# the given one, a taken name and an unreachable coordinator exit 1 with
# a message saying so; --help answers, bad options exit 2; and neither
# the coordinator's data directory nor any profile contains a password.
. "$(dirname "$0")/lib.sh"

for c in signup login logout passwd status; do
	"$DZ" "$c" --help >"$T/help" || fail "$c --help exited $?"
	grep -q "^usage: drizzle $c" "$T/help" || fail "$c --help: $(head -n 1 "$T/help")"
	expect_exit 2 "$DZ" "$c" --bogus
	grep -q "bogus" "$T/err" || fail "$c --bogus: the option is not named"
done
expect_exit 2 "$DZ" signup --coordinator 127.0.0.1:1 --home "$T/h0" $PW
grep -q -- "--user" "$T/err" || fail "missing --user not named: $(cat "$T/err")"
expect_exit 2 "$DZ" login --user alice --home "$T/h0" $PW
expect_exit 2 "$DZ" signup --coordinator nowhere:1 --user alice --home "$T/h0" $PW
expect_exit 2 "$DZ" signup --coordinator 127.0.0.1:1 --user 'Not OK' --home "$T/h0" $PW
expect_exit 2 "$DZ" login --coordinator 127.0.0.1:1 --user alice --coordinator-key xyz --home "$T/h0" $PW
expect_exit 2 "$DZ" status --home "$T/h0" extra
expect_exit 2 "$DZ" passwd --home "$T/h0" --kdf-ops 0
ok "--help and usage errors"

expect_exit 1 "$DZ" login --coordinator 127.0.0.1:1 --user alice --home "$T/h0" $PW
grep -q "cannot reach the coordinator 127.0.0.1:1" "$T/err" || fail "unreachable: $(cat "$T/err")"
grep -q "is it running" "$T/err" || fail "unreachable: no advice: $(cat "$T/err")"
[ ! -e "$T/h0/account" ] || fail "a failed login wrote the profile"
expect_exit 1 "$DZ" status --home "$T/h0" $PW
grep -q "drizzle login" "$T/err" || fail "not logged in: $(cat "$T/err")"
ok "unreachable coordinator, not logged in"

coord_start
addr=$CADDR
key=$(sed -n 's/.* key \([0-9a-f]\{64\}\)$/\1/p' "$T/coord.out")
[ -n "$addr" ] && [ ${#key} -eq 64 ] || fail "coordinator line: $(cat "$T/coord.out")"

printf 'wrong guess\n' >"$T/bad"
printf 'a new and better passphrase\n' >"$T/pw2"

out=$("$DZ" signup --coordinator "$addr" --user alice --hint "the usual one" \
	--home "$T/h1" $PW $KDF 2>/dev/null) || fail "signup exited $?"
[ "$out" = "signed up alice at $addr" ] || fail "signup printed '$out'"
out=$("$DZ" signup --coordinator "$addr" --user quiet-one --home "$T/hq" $PW $KDF \
	--quiet 2>&1) || fail "quiet signup exited $?"
[ -z "$out" ] || fail "signup --quiet printed '$out'"
[ "$(sed -n 2p "$T/h1/coordinator")" = "$key" ] || fail "the coordinator's key is not pinned"
"$DZ" signup --coordinator "$addr" --user alice --home "$T/h1" $PW $KDF 2>&1 >/dev/null |
	grep -q "cannot be\|nobody can reset" || fail "signup does not warn that the password cannot be recovered"
expect_exit 1 "$DZ" signup --coordinator "$addr" --user alice --home "$T/hx" $PW $KDF --quiet
grep -q "taken" "$T/err" || fail "taken name: $(cat "$T/err")"
ok "signup, pin, taken name"

"$DZ" status --home "$T/h1" $PW >"$T/st" || fail "status exited $?"
for want in "alice" "$addr" "$key" "used .* of 10.0 GiB" "peers .*online"; do
	grep -q "$want" "$T/st" || fail "status lacks '$want': $(cat "$T/st")"
done
ok "status"

out=$("$DZ" logout --home "$T/h1") || fail "logout exited $?"
[ "$out" = "logged out alice" ] || fail "logout printed '$out'"
expect_exit 1 "$DZ" status --home "$T/h1" $PW
grep -q "not logged in" "$T/err" || fail "status after logout: $(cat "$T/err")"
out=$("$DZ" logout --home "$T/h1") || fail "second logout exited $?"
echo "$out" | grep -q "nobody was logged in" || fail "second logout printed '$out'"
[ -e "$T/h1/coordinator" ] || fail "logout dropped the pin"
ok "logout"

out=$("$DZ" login $KDF --coordinator "$addr" --user alice --home "$T/h2" $PW) ||
	fail "login exited $?"
[ "$out" = "logged in as alice at $addr" ] || fail "login printed '$out'"
# with the profile's coordinator (kept by logout) and an explicit user
out=$("$DZ" login $KDF --user alice --home "$T/h1" $PW) || fail "login from the profile exited $?"
[ "$out" = "logged in as alice at $addr" ] || fail "login printed '$out'"
ok "login from another home, and with the profile's coordinator"

expect_exit 3 "$DZ" login $KDF --coordinator "$addr" --user alice --home "$T/h3" --password-file "$T/bad"
grep -q "^drizzle: wrong password (hint: the usual one)$" "$T/err" || fail "wrong password: $(cat "$T/err")"
[ ! -e "$T/h3/account" ] || fail "a wrong password wrote the profile"
expect_exit 3 "$DZ" status --home "$T/h2" --password-file "$T/bad"
grep -q "wrong password (hint: the usual one)" "$T/err" || fail "status, wrong password: $(cat "$T/err")"
expect_exit 1 "$DZ" login --coordinator "$addr" --user nobody --home "$T/h3" $PW
grep -q "no user nobody" "$T/err" || fail "unknown user: $(cat "$T/err")"
ok "wrong password exits 3 with the hint; unknown user"

zero=$(printf '0%.0s' $(seq 64))
expect_exit 1 "$DZ" login --coordinator "$addr" --user alice --coordinator-key "$zero" --home "$T/h3" $PW
grep -q "showed key $key, pinned $zero" "$T/err" || fail "key mismatch: $(cat "$T/err")"
[ ! -e "$T/h3/account" ] || fail "a refused coordinator key wrote the profile"
expect_exit 1 "$DZ" login --user alice --coordinator-key "$zero" --home "$T/h2" $PW
grep -q "$zero" "$T/err" && grep -q "$key" "$T/err" || fail "key against the pin: $(cat "$T/err")"
ok "a coordinator key other than the expected one is refused by name"

out=$("$DZ" passwd --home "$T/h2" $PW --new-password-file "$T/pw2" $KDF --quiet) ||
	fail "passwd exited $?"
echo "$out" | grep -q "password changed" || fail "passwd printed '$out'"
expect_exit 3 "$DZ" login $KDF --coordinator "$addr" --user alice --home "$T/h4" $PW
expect_exit 0 "$DZ" login $KDF --coordinator "$addr" --user alice --home "$T/h4" --password-file "$T/pw2"
expect_exit 3 "$DZ" status --home "$T/h2" $PW
expect_exit 0 "$DZ" status --home "$T/h2" --password-file "$T/pw2"
expect_exit 3 "$DZ" passwd --home "$T/h2" --password-file "$T/bad" --new-password-file "$T/pw" $KDF --quiet
# and back, with the environment variables scripts use
DRIZZLE_PASSWORD=$(cat "$T/pw2") DRIZZLE_NEW_PASSWORD=$(cat "$T/pw") \
	"$DZ" passwd --home "$T/h2" $KDF --quiet >/dev/null || fail "passwd from the environment exited $?"
expect_exit 0 "$DZ" status --home "$T/h2" $PW
expect_exit 0 "$DZ" login $KDF --coordinator "$addr" --user alice --home "$T/h5" $PW
ok "passwd: the old password fails, the new one works"

for secret in "$(head -n 1 "$T/pw")" "$(head -n 1 "$T/pw2")"; do
	if grep -rqaF -- "$secret" "$T/coord" "$T"/h[0-9]*; then
		fail "a password is stored in $(grep -rlaF -- "$secret" "$T/coord" "$T"/h[0-9]*)"
	fi
done
ok "no password in the coordinator's data or any profile"

coord_stop
