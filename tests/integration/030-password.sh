#!/usr/bin/env bash
# 030: a wrong password is refused with "wrong password" and exit 3, from a
# file, from DRIZZLE_PASSWORD, and never reaches the output; the right one
# in DRIZZLE_PASSWORD works; the password appears in no file of the store.
. "$(dirname "$0")/lib.sh"
S=$T/store
new_store "$S"
rand "$T/in" 5000
id=$("$DZ" local put --store "$S" $PW --quiet "$T/in") || fail put
printf 'wrong horse\n' >"$T/bad"
expect_exit 3 "$DZ" local get --store "$S" --password-file "$T/bad" "$id" "$T/out"
grep -q "wrong password" "$T/err" || fail "no 'wrong password' message: $(cat "$T/err")"
grep -qi "openssl\|sodium\|error:0" "$T/err" && fail "crypto internals in the message"
[ ! -e "$T/out" ] || fail "output written with a wrong password"
DRIZZLE_PASSWORD="nope" expect_exit 3 "$DZ" local ls --store "$S"
DRIZZLE_PASSWORD="correct horse battery staple" "$DZ" local get --store "$S" --quiet "$id" "$T/out" ||
	fail "DRIZZLE_PASSWORD with the right password"
cmp "$T/in" "$T/out" || fail "differs"
if grep -rqa "correct horse" "$S"; then fail "the password is in the store"; fi
# an empty password file is refused, not taken as an empty password
: >"$T/empty"
expect_exit 2 "$DZ" local ls --store "$S" --password-file "$T/empty"
# a keyfile swapped in from another store does not open with this password
S2=$T/store2
printf 'another one\n' >"$T/pw2"
"$DZ" local init --store "$S2" --password-file "$T/pw2" $KDF --quiet || fail init2
cp "$S2/keyfile" "$S/keyfile"
expect_exit 3 "$DZ" local get --store "$S" $PW "$id" "$T/out3"
ok "wrong passwords refused"
