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

# A local network for the scenarios: `net_start ARGS...` runs
# `drizzle testnet --dir $NET --port PORT ARGS... --quiet` in the
# background and waits for its `ready ADDR` line (sets ADDR, PORT,
# net_pid). The base port is fixed for the script, so a restart
# (`net_stop; net_restart`) keeps the addresses clients pinned; it is
# below the kernel's ephemeral ports (32768 up), and a first start that
# finds a port taken tries another. net_stop requires exit 0.
NET=$T/net
net_pid=
net_args=()
cleanup_hooks+=('[ -n "$net_pid" ] && { kill "$net_pid"; wait "$net_pid"; } 2>/dev/null; true')
net_run() {
	"$DZ" testnet --dir "$NET" --port "$PORT" "${net_args[@]}" --quiet \
		>"$T/net.out" 2>"$T/net.err" &
	net_pid=$!
	for _ in $(seq 300); do
		grep -q '^ready ' "$T/net.out" 2>/dev/null && break
		kill -0 "$net_pid" 2>/dev/null || break
		sleep 0.1
	done
	ADDR=$(sed -n 's/^ready //p' "$T/net.out")
	[ -n "$ADDR" ] && return 0
	kill "$net_pid" 2>/dev/null
	wait "$net_pid" 2>/dev/null
	net_pid=
	return 1
}
net_start() {
	net_args=("$@")
	for _ in 1 2 3; do
		PORT=$((20000 + RANDOM % 12000))
		rm -rf "$NET"
		net_run && return
		grep -q 'address already in use' "$T/net.err" || break
	done
	cat "$T/net.err" >&2
	fail "testnet not ready"
}
net_restart() { net_run || { cat "$T/net.err" >&2; fail "testnet not ready after a restart"; }; }
net_stop() {
	kill "$net_pid"
	wait "$net_pid" || fail "testnet exit $?"
	net_pid=
}

liar_pids=()
cleanup_hooks+=('for p in ${liar_pids[@]+"${liar_pids[@]}"}; do kill "$p"; wait "$p"; done 2>/dev/null; true')

# liar I MODE: replace testnet's peer I by a peer lying in MODE, same data
# directory, key and address
liar() {
	local i=$1 mode=$2 pid
	pid=$(cat "$NET/peer-$i/pid") || fail "no pid for peer $i"
	kill "$pid" || fail "kill peer $i"
	# gone once testnet has reaped it and removed its pid file
	for _ in $(seq 100); do
		[ -e "$NET/peer-$i/pid" ] || kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$NET/peer-$i/pid" ] && fail "peer $i (pid $pid) did not stop in 10 s"
	"$DZ" peer --datacentre --data "$NET/peer-$i" --coordinator "$ADDR" \
		--listen "127.0.0.1:$((PORT + i))" --capacity "${LIAR_CAPACITY:-16M}" --test-lie "$mode" \
		>"$T/liar-$i.out" 2>"$T/liar-$i.err" &
	liar_pids+=($!)
	for _ in $(seq 100); do
		grep -q 'registered' "$T/liar-$i.err" && break
		kill -0 "${liar_pids[-1]}" 2>/dev/null || { cat "$T/liar-$i.err" >&2; fail "liar $i died"; }
		sleep 0.1
	done
	grep -q 'registered' "$T/liar-$i.err" || { cat "$T/liar-$i.err" >&2; fail "liar $i not registered in 10 s"; }
	grep -q 'TESTING ONLY' "$T/liar-$i.err" || fail "liar $i does not say it lies"
}

# wait_for FILE TEXT SECONDS PID: until FILE has TEXT; fail if PID ends
# first or TEXT is not there within SECONDS
wait_for() {
	for _ in $(seq $(($3 * 20))); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || { cat "$1" >&2; fail "pid $4 ended waiting for '$2'"; }
		sleep 0.05
	done
	cat "$1" >&2
	fail "no '$2' in $1 within $3 s"
}
# A lone coordinator (no peers), for the account scenarios:
# `coord_start ARGS...` runs `drizzle coordinator --data $T/coord
# --listen 127.0.0.1:0 ARGS...` in the background (any free port, so no
# clash) and waits for it (sets CADDR, coord_pid; its log, one line per
# login proof and password change, is $T/coord.err). coord_stop requires
# exit 0 after SIGTERM.
coord_pid=
cleanup_hooks+=('[ -n "$coord_pid" ] && { kill "$coord_pid"; wait "$coord_pid"; } 2>/dev/null; true')
coord_start() {
	"$DZ" coordinator --data "$T/coord" --listen 127.0.0.1:0 "$@" \
		>"$T/coord.out" 2>"$T/coord.err" &
	coord_pid=$!
	for _ in $(seq 200); do
		grep -q "listening" "$T/coord.out" 2>/dev/null && break
		kill -0 "$coord_pid" 2>/dev/null || { cat "$T/coord.err" >&2; fail "coordinator died"; }
		sleep 0.05
	done
	CADDR=$(cat "$T/coord/coordinator.addr" 2>/dev/null) || fail "coordinator not ready in 10 s"
}
coord_stop() {
	kill -TERM "$coord_pid"
	wait "$coord_pid" || fail "coordinator exit $? after SIGTERM"
	coord_pid=
}
# coord_count WORD: how many log lines the coordinator wrote for WORD
# requests (LOGIN, PASSWD) so far
coord_count() { grep -c "^coordinator: $1 " "$T/coord.err"; }

# all_frags: fragment files on every peer of the testnet (temporaries not
# counted); until_frags CMP N: wait up to 20 s until that count compares
# so (test's -eq, -le, ...) to N, else fail
all_frags() { find "$NET"/peer-*/frags -type f ! -name '.tmp-*' | wc -l; }
until_frags() {
	for _ in $(seq 200); do [ "$(all_frags)" "$1" "$2" ] && return 0; sleep 0.1; done
	fail "the peers hold $(all_frags) fragment files (wanted $1 $2)"
}
