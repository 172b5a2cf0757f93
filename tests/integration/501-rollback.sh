#!/usr/bin/env bash
# 501: a coordinator that serves an older folder record is caught. The
# coordinator's database is copied (an online backup), the tree changes,
# and the old copy is put back (a restore from backup): every command of
# the computer that saw the newer tree refuses with "rolled back", naming
# the folder, and exit code 4, and writes nothing. A computer that logs in
# only after the rollback has nothing to compare with and sees the older
# tree, consistent (docs/security.md says so). A coordinator that drops a
# folder record the client has seen is caught the same way.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || fail "sqlite3 (the CLI) is needed: tools/install-deps.sh"
A="--home $T/a $PW"
net_start --peers 4 --k 2 --n 4
DB=$NET/coordinator/coordinator.db
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
rand "$T/f1" 5000
rand "$T/f2" 6000
"$DZ" put "$T/f1" photos/2024/one $A --quiet || fail "put one"
sqlite3 "$DB" ".backup '$T/old.db'" || fail "backup"
"$DZ" put "$T/f2" photos/2024/two $A --quiet || fail "put two"
"$DZ" ls $A >"$T/ls.new" || fail "ls"
grep -q 'photos/2024/two$' "$T/ls.new" || fail "ls: no two"

net_stop
cp "$T/old.db" "$DB" && rm -f "$DB-wal" "$DB-shm"
net_restart
expect_exit 4 "$DZ" ls $A
grep -q "rolled back" "$T/err" && grep -q "folder 'photos/2024'" "$T/err" ||
	{ cat "$T/err" >&2; fail "ls: no 'rolled back' naming the folder"; }
expect_exit 4 "$DZ" put "$T/f2" photos/2024/three $A --quiet
grep -q "rolled back" "$T/err" || { cat "$T/err" >&2; fail "put: no 'rolled back'"; }
expect_exit 4 "$DZ" get photos/2024/one "$T/x" $A --quiet
[ -e "$T/x" ] && fail "get of a rolled-back tree wrote a file"
ok "a database restored from a backup: ls, put and get refuse with 'rolled back' (exit 4)"

# a computer that never saw the newer tree sees the older one, whole
"$DZ" login --coordinator "$ADDR" --user alice --home "$T/b" $PW $KDF >/dev/null ||
	fail "login b"
"$DZ" ls --home "$T/b" $PW >"$T/ls.b" || fail "ls on b"
grep -q 'photos/2024/one$' "$T/ls.b" && ! grep -q two "$T/ls.b" ||
	{ cat "$T/ls.b" >&2; fail "b: not the older tree"; }
"$DZ" get photos/2024/one "$T/one.b" --home "$T/b" $PW --quiet || fail "get on b"
cmp -s "$T/f1" "$T/one.b" || fail "b: one differs"
ok "a computer logging in after the rollback sees the older tree, consistent"

# the coordinator drops a folder record outright
sqlite3 "$DB" "DELETE FROM records" || fail "delete"
expect_exit 4 "$DZ" ls --home "$T/b" $PW
grep -q "rolled back" "$T/err" || { cat "$T/err" >&2; fail "dropped records: no 'rolled back'"; }
ok "records the coordinator dropped: refused as rolled back"
