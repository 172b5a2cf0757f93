#!/usr/bin/env bash
# 508: folder names, file names and symbolic-link targets appear in no
# byte any server keeps or sends: after put -r of a tree whose names and
# link target carry markers, then mkdir, mv, versions and ls, neither the
# coordinator's directory (its database, WAL and log) nor any peer's
# directory (fragments, database, log) holds a marker, raw, in hex or in
# UTF-16, and the packs hold no small file's content in the clear.
. "$(dirname "$0")/lib.sh"

net_start --peers 4 --k 2 --n 4
tag=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
A="--home $T/a $PW"
S=$T/src
mkdir -p "$S/canarydir$tag/inner$tag" "$S/emptycanary$tag"
printf 'canarycontent%s\n' "$tag" >"$S/canarydir$tag/canaryfile$tag.txt"
rand "$S/canarydir$tag/inner$tag/bigcanary$tag.bin" 1200000
ln -s "/home/canarytarget$tag/secret" "$S/canarylink$tag"
"$DZ" put -r "$S" "backup$tag" $A --quiet || fail "put -r"
"$DZ" mkdir "made$tag" $A --quiet || fail mkdir
"$DZ" mv "backup$tag/canarydir$tag" "made$tag/moved$tag" $A --quiet || fail mv
"$DZ" put -r "$S" "backup$tag" $A --quiet || fail "second put -r"
"$DZ" ls $A >"$T/ls" || fail ls
grep -q "canarylink$tag -> /home/canarytarget$tag/secret" "$T/ls" ||
	{ cat "$T/ls" >&2; fail "ls does not show the tree (the test would prove nothing)"; }
net_stop # everything flushed to disk
# the search does see what the servers keep: the account's name is there
grep -rqaF alice "$NET" || fail "the search finds nothing (the test would prove nothing)"
for m in "canarydir$tag" "inner$tag" "emptycanary$tag" "canaryfile$tag" "bigcanary$tag" \
	"canarytarget$tag" "canarylink$tag" "made$tag" "moved$tag" "canarycontent$tag"; do
	hex=$(printf '%s' "$m" | od -An -tx1 | tr -d ' \n')
	u16=$(printf '%s' "$m" | iconv -f ascii -t utf-16le | od -An -tx1 | tr -d ' \n')
	if grep -rqaF -e "$m" -e "$hex" "$NET"; then
		fail "marker $m found in $(grep -rlaF -e "$m" -e "$hex" "$NET" | head -3)"
	fi
	python3 - "$NET" "$u16" <<'PY' || fail "marker $m found in UTF-16"
import os, sys
needle = bytes.fromhex(sys.argv[2])
for d, _, fs in os.walk(sys.argv[1]):
    for f in fs:
        p = os.path.join(d, f)
        try:
            if needle in open(p, "rb").read():
                print(p); sys.exit(1)
        except OSError:
            pass
PY
done
ok "no folder name, file name, link target or content marker in any server byte"
