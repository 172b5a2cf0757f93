#!/usr/bin/env bash
# 265: login throttling that neither leaks nor locks out, against a real
# coordinator. (1) An attacker's wrong guesses from one address are
# slowed (after 5, "too many failed logins from 127.0.0.1: try again in N
# s", exit 1): even the right password from a new computer is refused
# meanwhile, so no guess is judged; the owner, on a computer already
# logged in to the account, still logs in and passes passwd. (2) Behind a
# proxy (--no-source-throttle, every client one address) the account's
# own budget stops a guesser after 10, the owner's computer still gets
# in, and 520 throwaway accounts that each take a failed guess (the old
# table held 256 and forgot its oldest) do not reset the victim's count:
# the attacker's next guess is still refused. On loopback every client
# comes from 127.0.0.1, so the owner's known-device bypass is what lets
# the owner in.
. "$(dirname "$0")/lib.sh"

printf 'wrong guess\n' >"$T/bad"

coord_start
"$DZ" signup --coordinator "$CADDR" --user alice --home "$T/owner" $PW $KDF --quiet ||
	fail "signup"
for i in 1 2 3 4 5; do
	expect_exit 3 "$DZ" login --coordinator "$CADDR" --user alice --home "$T/mallory" \
		--password-file "$T/bad" $KDF
done
expect_exit 1 "$DZ" login --coordinator "$CADDR" --user alice --home "$T/mallory" \
	--password-file "$T/bad" $KDF
grep -q "too many failed logins from 127.0.0.1: try again in [0-9]* s" "$T/err" ||
	fail "sixth guess: $(cat "$T/err")"
expect_exit 1 "$DZ" login --coordinator "$CADDR" --user alice --home "$T/mallory" $PW $KDF
grep -q "too many failed logins" "$T/err" || fail "right password, new computer: $(cat "$T/err")"
[ ! -e "$T/mallory/account" ] || fail "a throttled login was judged and let in"
ok "guesses from one address are slowed; meanwhile no guess is judged"

"$DZ" login --coordinator "$CADDR" --user alice --home "$T/owner" $PW $KDF >/dev/null ||
	fail "the owner's computer was locked out: $(tail -n 2 "$T/coord.err")"
grep -q "LOGIN alice from 127.0.0.1:[0-9]*: ok (a device of the account)" "$T/coord.err" ||
	fail "the coordinator did not see a known device"
"$DZ" status --home "$T/owner" $PW >/dev/null || fail "status on the owner's computer"
printf 'a new and better passphrase\n' >"$T/pw2"
"$DZ" passwd --home "$T/owner" $PW --new-password-file "$T/pw2" $KDF --quiet >/dev/null ||
	fail "passwd on the owner's computer"
ok "the owner's computer still logs in and changes the password"
coord_stop

# (2) behind a proxy: per-account budget only
rm -rf "$T/coord"
coord_start --no-source-throttle
"$DZ" signup --coordinator "$CADDR" --user bob --home "$T/bob" $PW $KDF --quiet || fail "signup bob"
for i in $(seq 10); do
	expect_exit 3 "$DZ" login --coordinator "$CADDR" --user bob --home "$T/eve" \
		--password-file "$T/bad" $KDF
done
expect_exit 1 "$DZ" login --coordinator "$CADDR" --user bob --home "$T/eve" \
	--password-file "$T/bad" $KDF
grep -q "too many failed logins for this account: try again in" "$T/err" ||
	fail "eleventh guess: $(cat "$T/err")"
expect_exit 1 "$DZ" login --coordinator "$CADDR" --user bob --home "$T/eve" $PW $KDF
grep -q "too many failed logins for this account" "$T/err" ||
	fail "right password, new computer, budget spent: $(cat "$T/err")"
"$DZ" login --coordinator "$CADDR" --user bob --home "$T/bob" $PW $KDF >/dev/null ||
	fail "bob's computer was locked out"
ok "the account's budget stops a guesser; the owner's computer gets in"

# 520 throwaway accounts (put straight into the database: signing up is
# free, only slower), each taking a wrong guess through the coordinator
python3 - "$T/coord/coordinator.db" <<'PY' || fail "cannot add the throwaway accounts"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
kf, pk = db.execute("SELECT keyfile, login_pk FROM accounts WHERE name='bob'").fetchone()
db.executemany("INSERT INTO accounts(name, keyfile, login_pk, hint, created) VALUES(?, ?, ?, '', 0)",
               [("junk%d" % i, kf, pk) for i in range(520)])
db.commit()
PY
seq 0 519 | xargs -P 4 -I{} "$DZ" login --coordinator "$CADDR" --user junk{} \
	--home "$T/eve" --password-file "$T/bad" $KDF 2>/dev/null
[ "$(grep -c "LOGIN junk[0-9]* from .*: wrong password" "$T/coord.err")" -ge 520 ] ||
	fail "only $(grep -c "LOGIN junk" "$T/coord.err") throwaway guesses were judged"
expect_exit 1 "$DZ" login --coordinator "$CADDR" --user bob --home "$T/eve" \
	--password-file "$T/bad" $KDF
grep -q "too many failed logins for this account" "$T/err" ||
	fail "after 520 throwaway names the victim's count was reset: $(cat "$T/err")"
ok "520 throwaway names do not reset the victim's count"
coord_stop
