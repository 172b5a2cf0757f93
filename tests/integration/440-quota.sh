#!/usr/bin/env bash
# 440: the account's accounting is exact and enforced. used counts every
# file once on the plaintext side (k fragments' worth per segment, not n)
# plus its records, and equals what the peers actually hold divided by
# n/k; `status --json` gives used, earned and quota as integers; removing
# a file gives its bytes back; a put that would pass the quota is refused
# before any byte is uploaded (no new fragment on any peer) with a
# message saying what would make room; a coordinator restart keeps the
# accounting.
. "$(dirname "$0")/lib.sh"

NP=4
net_start --peers $NP --capacity 64M --base-quota 1M --k 2 --n 4
DB=$NET/coordinator/coordinator.db
A="--home $T/a $PW"
C="--k 2 --n 4 --segment-size 64K --quiet"
"$DZ" signup --coordinator "$ADDR" --user alice $PW $KDF --home "$T/a" --quiet ||
	fail signup

# key VALUE from status --json (integers only)
jkey() {
	"$DZ" status $A --json >"$T/st.json" || fail "status --json exited $?"
	python3 - "$T/st.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = d[sys.argv[2]]
assert isinstance(v, int) and not isinstance(v, bool), (sys.argv[2], v)
print(v)
PY
}
nfrags() { find "$NET"/peer-*/frags -type f ! -name '.tmp-*' | wc -l; }
# the accounting from what is stored: per segment, k x the size of its
# fragments as the peers hold them (files named by fragment name), plus
# the live records' bytes
stored() {
	python3 - "$DB" "$NET" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
sizes = {}
for root, _, files in os.walk(sys.argv[2]):
    if "/frags" in root:
        for f in files:
            if not f.startswith(".tmp"):
                sizes[f.lower()] = os.path.getsize(os.path.join(root, f))
seg = {}
for name, obj, s, k in db.execute(
        "SELECT hex(f.name), f.object, f.segment, o.k FROM fragments f"
        " JOIN objects o ON o.account = f.account AND o.object = f.object"):
    if name.lower() in sizes:
        seg[(obj, s)] = (k, max(seg.get((obj, s), (k, 0))[1], sizes[name.lower()]))
rec = db.execute("SELECT coalesce(sum(length(blob)), 0) FROM records"
                 " WHERE blob IS NOT NULL").fetchone()[0]
print(sum(k * sz for k, sz in seg.values()) + rec)
PY
}

u0=$(jkey used); q=$(jkey quota); e=$(jkey earned)
[ "$q" -eq 1048576 ] && [ "$e" -eq 0 ] || fail "quota $q earned $e, expected 1 MiB and 0"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d[k] for k in ("this_peer","peers","network")]; assert "peers_online" in d["network"] and "files_below_full_redundancy" in d["network"]' "$T/st.json" ||
	fail "status --json lacks keys: $(cat "$T/st.json")"
ok "status --json: used $u0, earned 0, quota 1 MiB, and the peer and network keys"

rand "$T/f1" 300000
rand "$T/f2" 200000
"$DZ" put "$T/f1" f1 $A $C || fail "put f1"
"$DZ" put "$T/f2" f2 $A $C || fail "put f2"
u1=$(jkey used); s1=$(stored)
[ "$u1" -eq "$s1" ] || fail "used $u1, the peers hold $s1 (per segment k fragments + records)"
# once, not n/k times: 500000 bytes of files, 2-of-4
[ "$u1" -ge 500000 ] && [ "$u1" -lt 700000 ] || fail "used $u1 for 500000 bytes of files"
ok "used $u1 = what the peers hold x k/n + records, for 500000 bytes of files"

"$DZ" rm f2 $A || fail "rm f2"
u2=$(jkey used); s2=$(stored)
[ "$u2" -eq "$s2" ] && [ "$u2" -lt $((u1 - 190000)) ] || fail "after rm: used $u2 (was $u1), stored $s2"
ok "removing a file frees its bytes: used $u2"

n0=$(nfrags)
rand "$T/big" 900000
expect_exit 1 "$DZ" put "$T/big" big $A $C
grep -q "over quota" "$T/err" && grep -q "more disk" "$T/err" && grep -q "delete files" "$T/err" ||
	fail "quota refusal says: $(cat "$T/err")"
[ "$(nfrags)" -eq "$n0" ] || fail "the refused put left $(( $(nfrags) - n0 )) fragments on peers"
[ "$(jkey used)" -eq "$u2" ] || fail "a refused put changed used"
ok "a put past the quota is refused before any upload: $(head -c 160 "$T/err")"

net_stop
net_restart
[ "$(jkey used)" -eq "$u2" ] && [ "$(jkey quota)" -eq "$q" ] ||
	fail "after a restart: used $(jkey used) quota $(jkey quota), was $u2 $q"
"$DZ" get f1 "$T/f1.out" $A --quiet && cmp -s "$T/f1" "$T/f1.out" || fail "f1 after restart"
ok "the accounting survives a coordinator restart"
