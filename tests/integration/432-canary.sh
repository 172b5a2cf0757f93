#!/usr/bin/env bash
# 432: a canary for the privacy policy: files with a marker in their
# content and in their name are put, read back, listed and one removed,
# with a marker password; then /metrics, the coordinator's log, and
# `drizzle whatdoyouknow` (text and --json) contain neither marker, nor
# the file names, nor the password, nor any 16-byte run of the client's
# key material (its sealed device key and the wrapped master key of its
# keyfile), raw or in hex.
. "$(dirname "$0")/lib.sh"

net_start --peers 4 --capacity 16M --metrics 127.0.0.1:0
MA=$(cat "$NET/coordinator/metrics.addr") || fail "no metrics.addr"
tag=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
content="CANARYCONTENT$tag"
name="canaryname$tag"
printf 'canarypassword%s\n' "$tag" >"$T/cpw"
CP="--password-file $T/cpw"
"$DZ" signup --coordinator "$ADDR" --user carol $CP $KDF --home "$T/c" --quiet \
	>/dev/null || fail "signup"
C="--home $T/c $CP"

for i in 1 2; do
	{ for _ in $(seq 3000); do printf '%s-%d\n' "$content" "$i"; done; } >"$T/$name-$i.txt"
	"$DZ" put "$T/$name-$i.txt" "dir$name/$name-$i.txt" $C --k 2 --n 4 --quiet ||
		fail "put $i"
done
"$DZ" get "dir$name/$name-1.txt" "$T/back" $C --quiet && cmp "$T/back" "$T/$name-1.txt" ||
	fail "get"
"$DZ" ls $C >"$T/ls" || fail "ls"
grep -q "$name-1.txt" "$T/ls" || fail "ls does not show the file (the test would prove nothing)"
"$DZ" rm "dir$name/$name-2.txt" $C --quiet 2>/dev/null || "$DZ" rm "dir$name/$name-2.txt" $C ||
	fail "rm"
ok "carol put, got, listed and removed files named and filled with markers"

curl -sS --max-time 10 "http://$MA/metrics" >"$T/out-metrics" || fail "scrape"
"$DZ" whatdoyouknow $C >"$T/out-know" || fail "whatdoyouknow"
"$DZ" whatdoyouknow $C --json >"$T/out-know-json" || fail "whatdoyouknow --json"
cp "$NET/coordinator.log" "$T/out-log" || fail "no coordinator log"
grep -q 'name          carol' "$T/out-know" || fail "whatdoyouknow does not name carol"
grep -q '^drizzle_puts_total [1-9]' "$T/out-metrics" || fail "no put counted"

# canary FILE...: fails if a marker, name, password or key run is in a FILE
canary() {
python3 - "$T" "$content" "$name" "canarypassword$tag" "$@" <<'EOF'
import sys, os
t, content, name, pw = sys.argv[1:5]
files = sys.argv[5:]
secrets = {"content marker": content.encode(), "file name": name.encode(),
    "password": pw.encode()}
dev = open(os.path.join(t, "c", "device"), "rb").read()
kf = open(os.path.join(t, "c", "keyfile"), "rb").read()
# the wrapped master key is the keyfile's tail (its 40-byte header with
# the salt and KDF parameters, which whatdoyouknow shows, comes first)
blobs = {"device key": dev, "wrapped master key": kf[40:]}
for what, b in blobs.items():
    for i in range(0, len(b) - 16 + 1, 8):
        run = b[i:i + 16]
        secrets["%s bytes %d" % (what, i)] = run
        secrets["%s hex %d" % (what, i)] = run.hex().encode()
bad = 0
for f in files:
    data = open(os.path.join(t, f), "rb").read()
    low = data.lower()
    for what, s in secrets.items():
        if s.lower() in low:
            print("FAIL: %s found in %s" % (what, f), file=sys.stderr)
            bad = 1
sys.exit(bad)
EOF
}
# the control: the client's own listing names the file, and the checker sees it
cp "$T/c/keyfile" "$T/out-kf"
canary ls 2>/dev/null && fail "the checker does not see the file name in ls"
canary out-kf 2>/dev/null && fail "the checker does not see the keyfile's wrapped key"
canary out-metrics out-know out-know-json out-log || fail "a canary leaked"
ok "no marker, file name, password or key material in /metrics, the log, whatdoyouknow"

net_stop
