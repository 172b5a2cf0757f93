#!/usr/bin/env bash
# 503: put -r / get -r. A tree with nested folders, an empty folder, a
# read-only folder with a file in it, symbolic links (one pointing out of
# the tree, one dangling), odd modes and mtimes to the nanosecond comes
# back identical: diff -r agrees and every entry's lstat (type, mode,
# size, mtime, link target) matches. A socket and a FIFO are named and
# skipped. A second put -r after changing one file uploads only that file
# and says how much it skipped. get -r never writes through a link planted
# in the way, and refuses to overwrite without --force.
. "$(dirname "$0")/lib.sh"

A="--home $T/a $PW"
net_start --peers 4 --k 2 --n 4
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
S=$T/src
mkdir -p "$S/a/b/c" "$S/empty" "$S/ro" "$S/odd mode"
rand "$S/a/b/c/deep.bin" 200000
rand "$S/a/one" 1
: >"$S/zero"
rand "$S/ro/inside" 300
rand "$S/odd mode/x" 77
printf 'hello\n' >"$S/a/hello.txt"
ln -s ../zero "$S/a/up"
ln -s /etc/passwd "$S/outside"
ln -s does/not/exist "$S/dangling"
chmod 0600 "$S/a/one"; chmod 0751 "$S/a/b"; chmod 0700 "$S/empty"
chmod 4755 "$S/odd mode/x"; chmod 1777 "$S/odd mode"
touch -h -d '2001-02-03 04:05:06.123456789' "$S/a/up"
touch -d '1999-12-31 23:59:59.987654321' "$S/a/b/c/deep.bin" "$S/a/b/c"
touch -d '2020-01-01 00:00:00.5' "$S/empty"
chmod 0555 "$S/ro"
mkfifo "$S/fifo"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$S/sock"

"$DZ" put -r "$S" backup $A >"$T/put1" 2>&1 || { cat "$T/put1" >&2; fail "put -r"; }
grep -q "fifo: a FIFO" "$T/put1" && grep -q "sock: a socket" "$T/put1" ||
	{ cat "$T/put1" >&2; fail "put -r: the FIFO and the socket not named"; }
grep -q "6 file(s) uploaded" "$T/put1" || { cat "$T/put1" >&2; fail "put -r: count"; }
rm -f "$S/fifo" "$S/sock"

"$DZ" get -r backup "$T/out" $A >"$T/get1" 2>&1 || { cat "$T/get1" >&2; fail "get -r"; }
diff -r --no-dereference "$S" "$T/out" || fail "diff -r: the trees differ"
snap() { # every entry's lstat, relative to $1
	python3 - "$1" <<'PY'
import os, stat, sys
root = sys.argv[1]
for d, dirs, files in os.walk(root):
    for n in sorted(dirs + files):
        p = os.path.join(d, n)
        s = os.lstat(p)
        t = os.readlink(p) if stat.S_ISLNK(s.st_mode) else ""
        m = stat.S_IMODE(s.st_mode) if not stat.S_ISLNK(s.st_mode) else 0
        size = s.st_size if stat.S_ISREG(s.st_mode) else 0
        print(os.path.relpath(p, root), stat.S_IFMT(s.st_mode), oct(m), size, s.st_mtime_ns, t)
PY
}
snap "$S" >"$T/snap.src"; snap "$T/out" >"$T/snap.out"
cmp -s "$T/snap.src" "$T/snap.out" || { diff "$T/snap.src" "$T/snap.out" >&2; fail "lstat differs"; }
[ "$(wc -l <"$T/snap.src")" -ge 15 ] || fail "the snapshot is too small to mean anything"
ok "put -r / get -r: diff -r and lstat (mode, mtime ns, links) agree; FIFO and socket skipped"

# one file changed: only it is uploaded
sleep 0.01; rand "$S/a/b/c/deep.bin" 200000
"$DZ" put -r "$S" backup $A >"$T/put2" 2>&1 || { cat "$T/put2" >&2; fail "second put -r"; }
grep -q "1 file(s) uploaded (195.3 KiB, .*), 5 unchanged skipped" "$T/put2" ||
	{ cat "$T/put2" >&2; fail "second put -r: not only the changed file"; }
"$DZ" get backup/a/b/c/deep.bin "$T/deep" $A --quiet && cmp -s "$S/a/b/c/deep.bin" "$T/deep" ||
	fail "the changed file did not come back"
"$DZ" versions backup/a/b/c/deep.bin $A | grep -q '^ *1 ' || fail "the old version was not kept"
ok "a second put -r uploads only the changed file and says what it skipped"

# get -r into a tree with a planted link: nothing written outside
mkdir -p "$T/o2/backup" "$T/elsewhere"
ln -s "$T/elsewhere" "$T/o2/backup/a"
expect_exit 1 "$DZ" get -r backup "$T/o2" $A --quiet
grep -q "o2/backup/a\|'a'" "$T/err" || { cat "$T/err" >&2; fail "planted link: not named"; }
# with --force the link itself is replaced by the folder, never followed
"$DZ" get -r backup "$T/o2" --force $A --quiet || fail "get -r --force over a planted link"
[ -d "$T/o2/backup/a" ] && [ ! -L "$T/o2/backup/a" ] || fail "--force: the link is still there"
[ -z "$(ls -A "$T/elsewhere")" ] || fail "get -r wrote through a planted link"
expect_exit 1 "$DZ" get -r backup "$T/o2" $A --quiet
grep -q "exists" "$T/err" || { cat "$T/err" >&2; fail "get -r over existing files: no reason"; }
ok "get -r never writes through a planted link, and keeps existing files without --force"
