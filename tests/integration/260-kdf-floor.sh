#!/usr/bin/env bash
# 260: no key-stretching downgrade. A coordinator whose stored keyfile
# parameters were lowered (1 pass, 8 KiB: its SQLite database edited
# under it) or raised past what a computer gives (17 passes) gets no LOGIN
# and no PASSWD frame: login and passwd exit 1 with "weak (or excessive)
# key-stretching parameters", never "wrong password", before deriving
# anything from the password. Without --kdf-ops/--kdf-mem the floor is
# libsodium's MODERATE, so an account made with cheaper costs is refused
# until the user asks for them explicitly, and then only down to what was
# asked. The coordinator's log counts the LOGIN and PASSWD frames it got.
. "$(dirname "$0")/lib.sh"

coord_start
KDF2="--kdf-ops 2 --kdf-mem 1M"
"$DZ" signup --coordinator "$CADDR" --user alice --home "$T/h1" $PW $KDF2 --quiet ||
	fail "signup"
printf 'a new and better passphrase\n' >"$T/pw2"

# set the stored keyfile's costs (opslimit u64 at byte 8, memlimit at 16)
set_costs() {
	python3 - "$T/coord/coordinator.db" "$1" "$2" <<'PY' || fail "cannot edit the database"
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
kf = bytearray(db.execute("SELECT keyfile FROM accounts WHERE name='alice'").fetchone()[0])
kf[8:24] = struct.pack("<QQ", int(sys.argv[2]), int(sys.argv[3]))
db.execute("UPDATE accounts SET keyfile=? WHERE name='alice'", (bytes(kf),))
db.commit()
PY
}

# refused WORD CMD...: CMD exits 1 saying WORD key-stretching parameters,
# never "wrong password", and no LOGIN or PASSWD frame reached the
# coordinator
refused() {
	local word=$1 l p; shift
	l=$(coord_count LOGIN); p=$(coord_count PASSWD)
	expect_exit 1 "$@"
	grep -q "$word key-stretching parameters" "$T/err" || fail "$*: $(cat "$T/err")"
	grep -qi "wrong password" "$T/err" && fail "$*: says wrong password: $(cat "$T/err")"
	[ "$(coord_count LOGIN)" = "$l" ] || fail "$*: a LOGIN frame reached the coordinator"
	[ "$(coord_count PASSWD)" = "$p" ] || fail "$*: a PASSWD frame reached the coordinator"
}

# cheaper than MODERATE and not asked for: refused; asked for: accepted
refused weak "$DZ" login --coordinator "$CADDR" --user alice --home "$T/h2" $PW
[ ! -e "$T/h2/account" ] || fail "a refused login wrote the profile"
refused weak "$DZ" login --coordinator "$CADDR" --user alice --home "$T/h2" $PW --kdf-ops 3 --kdf-mem 1M
l=$(coord_count LOGIN)
"$DZ" login --coordinator "$CADDR" --user alice --home "$T/h2" $PW $KDF2 >/dev/null ||
	fail "login with the costs asked for exited $?"
[ "$(coord_count LOGIN)" = $((l + 1)) ] || fail "the coordinator's log does not count LOGIN frames"
ok "costs below MODERATE only when asked for, and only down to them"

# the coordinator lowers them: refused even with the costs asked before
set_costs 1 8192
refused weak "$DZ" login --coordinator "$CADDR" --user alice --home "$T/h3" $PW $KDF2
refused weak "$DZ" login --coordinator "$CADDR" --user alice --home "$T/h3" $PW $KDF
refused weak "$DZ" login --user alice --home "$T/h1" $PW
refused weak "$DZ" passwd --home "$T/h1" $PW --new-password-file "$T/pw2" $KDF2 --quiet
ok "lowered to 1 pass over 8 KiB: no LOGIN, no PASSWD"

# or raises them past what a computer gives
set_costs 17 1048576
refused excessive "$DZ" login --coordinator "$CADDR" --user alice --home "$T/h3" $PW $KDF2
refused excessive "$DZ" passwd --home "$T/h1" $PW --new-password-file "$T/pw2" $KDF2 --quiet
ok "raised to 17 passes: refused as excessive"

# back as they were: everything works again
set_costs 2 1048576
"$DZ" passwd --home "$T/h1" $PW --new-password-file "$T/pw2" $KDF2 --quiet >/dev/null ||
	fail "passwd after the costs came back exited $?"
"$DZ" login --coordinator "$CADDR" --user alice --home "$T/h3" --password-file "$T/pw2" $KDF2 >/dev/null ||
	fail "login after the costs came back exited $?"
ok "the real costs: passwd and login work"
coord_stop
