#!/usr/bin/env bash
# 505: small files are packed. 10,000 files of 100 B to 2 KiB in 100
# folders, put with put -r, occupy about as many fragment files on the
# peers as one file of their total size (a handful of packs, not 10,000
# objects), come back bit-exact with get -r, and a single packed file
# comes back with get, with get of its earlier version, and its health
# shows in ls -l.
. "$(dirname "$0")/lib.sh"

A="--home $T/a $PW"
net_start --peers 4 --k 2 --n 4 --gc-interval 1 --gc-margin 2
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup
python3 - "$T/small" <<'PY'
import os, random, sys
random.seed(505)
root = sys.argv[1]
for d in range(100):
    os.makedirs(os.path.join(root, "d%03d" % d))
    for f in range(100):
        with open(os.path.join(root, "d%03d" % d, "f%03d" % f), "wb") as o:
            o.write(random.randbytes(random.randint(100, 2048)))
PY
total=$(du -sb --apparent-size "$T/small" | awk '{print $1}')
"$DZ" put -r "$T/small" small $A >"$T/put" 2>&1 || { cat "$T/put" >&2; fail "put -r"; }
grep -q "10000 file(s) uploaded" "$T/put" || { cat "$T/put" >&2; fail "put -r count"; }
packed=$(all_frags)
"$DZ" get -r small "$T/back" $A --quiet || fail "get -r"
diff -r "$T/small" "$T/back" || fail "get -r: the small files differ"
"$DZ" rm -r small $A --quiet || fail "rm -r"
head -c "$total" /dev/urandom >"$T/one"
"$DZ" put "$T/one" one $A --quiet || fail "put one"
for _ in $(seq 200); do [ "$(all_frags)" -le $((packed + 12)) ] && break; sleep 0.1; done
one=$(all_frags)
# the same ballpark: at most one segment's fragments (n = 4) per pack more
# than the single file, and never near one object per file (40,000)
[ "$packed" -le $((one * 2 + 8)) ] ||
	fail "10,000 packed files took $packed fragment files; one file of $total bytes takes $one"
ok "10,000 small files ($total bytes): $packed fragment files; one file of that size: $one"

mkdir -p "$T/v"
echo one >"$T/v/f"; "$DZ" put -r "$T/v" v $A --quiet || fail "put v1"
echo two >"$T/v/f"; touch -d '2020-01-01' "$T/v/f"; "$DZ" put -r "$T/v" v $A --quiet || fail "put v2"
"$DZ" get v/f "$T/f2" $A --quiet && [ "$(cat "$T/f2")" = two ] || fail "get of a packed file"
"$DZ" get v/f@1 "$T/f1" $A --quiet && [ "$(cat "$T/f1")" = one ] || fail "get of a packed version"
"$DZ" ls -l v $A >"$T/ll" || fail "ls -l"
grep -qE '^ +4  .*2-of-4 +4/4 .* v/f$' "$T/ll" || { cat "$T/ll" >&2; fail "ls -l of a packed file"; }
ok "a packed file: get, get @1 of its packed version, ls -l with the pack's health"
