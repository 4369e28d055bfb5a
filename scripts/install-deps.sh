#!/bin/sh
# Install the Debian 12 packages Coffer needs to build and test: the build
# tools, the libraries, and the applications the integration tests and
# benchmarks run unmodified under coffer (Node.js, OpenJDK, Redis, nginx,
# memcached, PostgreSQL, Go programs built from source) with their native
# clients (curl, redis-tools, wrk, psql and pgbench).
# Idempotent: packages already present are skipped, and apt is not run at all
# when nothing is missing. Run as root or with sudo available.
set -eu

PACKAGES="
build-essential
meson
ninja-build
pkg-config
libbearssl-dev
libssl-dev
libyaml-dev
python3
python3-pytest
file
clang
libclang-rt-dev
llvm
curl
procps
strace
nodejs
openjdk-17-jdk-headless
golang-go
redis-server
redis-tools
nginx-light
memcached
wrk
postgresql
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
