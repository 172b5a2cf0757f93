#!/usr/bin/env bash
# 010: a stored file comes back byte for byte whatever its size: empty, one
# byte, exactly one segment, one byte more, many segments; from a file or
# from standard input, to a file or to standard output.
. "$(dirname "$0")/lib.sh"
S=$T/store
new_store "$S"
seg=65536
for size in 0 1 $((seg - 1)) $seg $((seg + 1)) $((37 * seg + 5)); do
	rand "$T/in" $size
	id=$("$DZ" local put --store "$S" $PW --quiet --segment-size 64K --k 3 --n 7 "$T/in") ||
		fail "put of $size bytes"
	[ ${#id} -eq 64 ] || fail "put printed '$id', not an id"
	"$DZ" local get --store "$S" $PW --quiet "$id" "$T/out-$size" || fail "get of $size bytes"
	cmp "$T/in" "$T/out-$size" || fail "$size bytes came back different"
	"$DZ" local get --store "$S" $PW --quiet "$id" - >"$T/stdout" || fail "get to stdout"
	cmp "$T/in" "$T/stdout" || fail "$size bytes to stdout came back different"
done
ok "sizes 0 .. 37 segments round trip"

rand "$T/in" 300000
id=$("$DZ" local put --store "$S" $PW --quiet --name from-stdin.bin - <"$T/in") || fail "put from stdin"
"$DZ" local get --store "$S" $PW --quiet from-stdin.bin "$T/by-name" || fail "get by name"
cmp "$T/in" "$T/by-name" || fail "stdin put came back different"
"$DZ" local ls --store "$S" $PW | grep -q " from-stdin.bin$" || fail "ls does not list from-stdin.bin"
ok "stdin, names and ls"

# no output name: the stored base name, in the current directory
mkdir "$T/cwd" && cd "$T/cwd" || fail "cd"
"$DZ" local get --store "$S" $PW --quiet "$id" || fail "get with default name"
cmp "$T/in" "$T/cwd/from-stdin.bin" || fail "default-name output differs"
ok "default output name"
