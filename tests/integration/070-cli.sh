#!/usr/bin/env bash
# 070: every command answers --help with exit 0; unknown commands, unknown
# options, bad numbers and bad codes exit 2 with a message, never a crash.
. "$(dirname "$0")/lib.sh"
"$DZ" --help | grep -q "usage: drizzle" || fail "drizzle --help"
for c in local demo; do
	"$DZ" $c --help | grep -q "usage: drizzle $c" || fail "$c --help"
done
expect_exit 2 "$DZ"
expect_exit 2 "$DZ" frobnicate
expect_exit 2 "$DZ" local frobnicate --store "$T/s"
expect_exit 2 "$DZ" local put --store "$T/s" --bogus x
expect_exit 2 "$DZ" local put --store "$T/s" --k 5 --n 5 x
expect_exit 2 "$DZ" local put --store "$T/s" --k 0 x
expect_exit 2 "$DZ" local put --store "$T/s" --n 256 x
expect_exit 2 "$DZ" local put --store "$T/s" --k 1x x
expect_exit 2 "$DZ" local put --store "$T/s" --segment-size 1 x
expect_exit 2 "$DZ" local init --store "$T/s" --kdf-ops 0
expect_exit 2 "$DZ" local init --store "$T/s" --kdf-mem 1
expect_exit 2 "$DZ" local put x
expect_exit 2 "$DZ" demo --size lots
ok "usage errors"
