#!/usr/bin/env bash
# 240: restores are exact and safe, and names leak nothing. On a testnet:
# get gives back the permission bits (0600 stays 0600, never wider than
# stored: the umask narrows) and the modification time; get --force onto a
# character device, a FIFO, a socket or a directory is refused and leaves
# it as it was; get REMOTE DIR writes DIR/<base name> (and keeps an
# existing one without --force); a remote path component over 255 bytes
# is refused at put; file names and remote paths holding ESC and newline
# never reach the terminal raw; and file records of paths 1 and 57 bytes
# long have the same size at the coordinator (padding).
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || fail "sqlite3 (the CLI) is needed: tools/install-deps.sh"
net_start --peers 4 --capacity 64M
A="--home $T/a $PW"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
C="--k 2 --n 4 --segment-size 64K --quiet"

# --- mode and modification time ----------------------------------------
rand "$T/key" 3000
chmod 0600 "$T/key"
touch -d '2001-02-03 04:05:06.123456789' "$T/key"
rand "$T/wide" 100
chmod 0777 "$T/wide"
"$DZ" put "$T/key" keys/key $A $C || fail "put key"
"$DZ" put "$T/wide" wide $A $C || fail "put wide"
mkdir "$T/out"
"$DZ" get keys/key "$T/out/key" $A --quiet || fail "get key"
[ "$(stat -c %a "$T/out/key")" = 600 ] || fail "0600 came back $(stat -c %a "$T/out/key")"
[ "$(stat -c %Y.%y "$T/out/key")" = "$(stat -c %Y.%y "$T/key")" ] ||
	fail "mtime $(stat -c %y "$T/out/key"), stored $(stat -c %y "$T/key")"
cmp "$T/key" "$T/out/key" || fail "key differs"
(umask 027; "$DZ" get wide "$T/out/wide" $A --quiet) || fail "get wide"
[ "$(stat -c %a "$T/out/wide")" = 750 ] || fail "0777 under umask 027 came back $(stat -c %a "$T/out/wide")"
ok "mode (0600 stays 0600; the umask narrows) and mtime to the nanosecond restored"

# --- never replace what is not a regular file -------------------------
mknod "$T/out/chr" c 1 3 || fail "mknod"
mkfifo "$T/out/fifo" || fail "mkfifo"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/out/sock" ||
	fail "socket"
mkdir "$T/out/dir" "$T/out/dir/key"
for t in chr:character fifo:FIFO sock:socket; do
	f=${t%%:*} kind=${t#*:}
	before=$(stat -c %F "$T/out/$f")
	expect_exit 1 "$DZ" get keys/key "$T/out/$f" $A --force --quiet
	grep -q "$kind" "$T/err" || fail "refusal for $f does not say $kind: $(cat "$T/err")"
	[ "$(stat -c %F "$T/out/$f")" = "$before" ] || fail "$f became $(stat -c %F "$T/out/$f")"
done
# a symbolic link to a device is a device too
ln -s "$T/out/chr" "$T/out/link"
expect_exit 1 "$DZ" get keys/key "$T/out/link" $A --force --quiet
[ -c "$T/out/chr" ] || fail "the device behind a link was replaced"
# DIR/<base> that is itself a directory: refused, even with --force
expect_exit 1 "$DZ" get keys/key "$T/out/dir" $A --force --quiet
grep -q "directory" "$T/err" || fail "refusal for a directory: $(cat "$T/err")"
[ -d "$T/out/dir/key" ] || fail "a directory was replaced"
ls -a "$T/out" | grep -q dz-partial && fail "a refused get left a partial file"
ok "get --force refuses a character device, FIFO, socket, link to a device and directory"

rmdir "$T/out/dir/key"
"$DZ" get keys/key "$T/out/dir" $A --quiet || fail "get into a directory"
cmp "$T/key" "$T/out/dir/key" || fail "get REMOTE DIR did not write DIR/key"
expect_exit 1 "$DZ" get keys/key "$T/out/dir/" $A --quiet
grep -q "already exists" "$T/err" || fail "DIR/base overwritten without --force: $(cat "$T/err")"
"$DZ" get keys/key "$T/out/dir/" $A --force --quiet || fail "get DIR --force"
ok "get REMOTE DIR writes DIR/<base name>, keeps it without --force"

# --- names: long components, escapes ---------------------------------
long=$(printf 'x%.0s' $(seq 256))
expect_exit 1 "$DZ" put "$T/key" "d/$long" $A $C
grep -q "longer than 255" "$T/err" || fail "256-byte component: $(cat "$T/err")"
"$DZ" put "$T/key" "d/${long:1}" $A $C || fail "a 255-byte component is refused"
ok "a path component over 255 bytes is refused at put, 255 taken"

esc=$(printf 'red\033[31mX\nline')
cp "$T/key" "$T/$esc"
# a remote path with ESC is refused (its message escaped), a local name
# with ESC and newline is shown escaped
"$DZ" put "$T/key" "bad$esc" $A $C >"$T/o1" 2>"$T/e1" && fail "a remote path with ESC was taken"
"$DZ" put "$T/$esc" "$esc-local" $A $C >"$T/o2" 2>"$T/e2"
"$DZ" put "$T/$esc" $A --k 2 --n 4 --segment-size 64K >"$T/o3" 2>"$T/e3"
"$DZ" get "x$esc" "$T/out/" $A >"$T/o4" 2>"$T/e4" && fail "get of a path with ESC"
"$DZ" get nothing "$T/out/$esc" $A >"$T/o5" 2>"$T/e5" && fail "get of nothing"
"$DZ" ls $A >"$T/o6" 2>"$T/e6" || fail ls
"$DZ" rm "$esc" $A >"$T/o7" 2>"$T/e7"
for f in o1 e1 o2 e2 o3 e3 o4 e4 o5 e5 o6 e6 o7 e7; do
	if grep -q $'\033' "$T/$f"; then fail "raw ESC in $f: $(cat -v "$T/$f")"; fi
	# every line of a message starts as messages do: no stray newline
	# (ls lines: a size, or - for a folder)
	if grep -qv -e '^drizzle: ' -e '^ *[0-9.]* [KMG]*i*B  ' -e '^ *-  ' -e '^$' "$T/$f"; then
		fail "stray line in $f: $(cat -v "$T/$f")"
	fi
done
grep -q 'red\\x1b\[31mX\\nline' "$T/e1" || fail "escape not shown: $(cat "$T/e1")"
grep -q '/red\\x1b\[31mX\\nline: ' "$T/e3" || fail "local name not escaped: $(cat "$T/e3")"
ok "ESC and newline in local names and remote paths are shown escaped, never raw"

# --- padding: the record's size does not tell the name's length --------
DB=$NET/coordinator/coordinator.db
[ -f "$DB" ] || DB=$(find "$NET" -name '*.db' | head -1)
records() { sqlite3 "$DB" 'SELECT hex(id) || " " || length(blob) FROM records ORDER BY 1'; }
# the record a put adds: the one id not there before
new_record() {
	records >"$T/rec.before"
	"$DZ" put "$T/p" "$1" $A $C || fail "put $1"
	records | comm -13 "$T/rec.before" - | awk '{print $2}'
}
rand "$T/p" 1000
s1=$(new_record a)
s57=$(new_record "$(printf 'b%.0s' $(seq 57))")
[ -n "$s1" ] && [ "$s1" = "$s57" ] || fail "file records of paths 1 and 57 bytes long: '$s1' and '$s57' bytes"
ok "file records of 1- and 57-byte paths have one size at the coordinator ($s1 bytes)"
net_stop
