# Shared by the integration scenarios: a scratch directory removed on exit,
# the program under test, a store with cheap (explicitly chosen) KDF costs,
# and assertions that say what failed.
set -u
DZ=${DRIZZLE:-$(cd "$(dirname "$0")/../.." && pwd)/build/drizzle}
T=$(mktemp -d)
cleanup_hooks=()
cleanup() {
	for h in "${cleanup_hooks[@]}"; do eval "$h"; done
	rm -rf "$T"
}
trap cleanup EXIT
# Cheap Argon2id costs, chosen explicitly: tests need speed, not strength.
KDF="--kdf-ops 1 --kdf-mem 64K"
printf 'correct horse battery staple\n' >"$T/pw"
PW="--password-file $T/pw"

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# new_store DIR: a store in DIR with the password in $T/pw
new_store() { "$DZ" local init --store "$1" $PW $KDF --quiet || fail "init $1"; }

# rand FILE SIZE: SIZE random bytes
rand() { head -c "$2" /dev/urandom >"$1"; }

# expect_exit CODE CMD...: run CMD, require exit CODE, keep stderr in $T/err
expect_exit() {
	local want=$1; shift
	"$@" >"$T/expect.out" 2>"$T/err"
	local got=$?
	[ "$got" -eq "$want" ] || { cat "$T/err" >&2; fail "'$*' exited $got, expected $want"; }
}
