#!/usr/bin/env bash
# Installs the Debian 12 packages Drizzle builds, tests and benchmarks with,
# skipping the update when everything is already there. Needs root.
set -eu
pkgs="build-essential pkg-config clang libsodium-dev libssl-dev libisal-dev libcmocka-dev libuv1-dev libsqlite3-dev sqlite3 libkeyutils-dev openssl time restic"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq $missing >/dev/null
fi
