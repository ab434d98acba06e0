#!/bin/sh
# Installs the peer servers the bench compares against: redis-server (Redis Streams) and
# nats-server (NATS JetStream), and librdkafka-dev (with gcc) for the librdkafka client system. Idempotent: a peer already on PATH is left alone, so the script
# is safe to re-run. The npm clients (ioredis, nats) are dev dependencies of the repository
# root and come with `pnpm install`.
#
# The packages only install binaries; Debian's redis-server package also enables a system
# service on port 6379, which the bench does not use (it starts its own servers on free ports
# bound to 127.0.0.1), so the script stops and disables that service when systemd is present.
set -eu

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v nats-server >/dev/null 2>&1 || missing="$missing nats-server"
# The librdkafka system compiles its C driver (bench/systems/rdkafka-bench.c) with gcc against these headers.
[ -f /usr/include/librdkafka/rdkafka.h ] || missing="$missing librdkafka-dev"
command -v gcc >/dev/null 2>&1 || missing="$missing gcc"

if [ -z "$missing" ]; then
  echo "peers already installed: $(command -v redis-server) $(command -v nats-server) librdkafka-dev"
  exit 0
fi

echo "installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # $missing is a word list on purpose.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing

if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  $SUDO systemctl disable --now redis-server || true
fi

echo "installed: $(command -v redis-server || echo 'redis-server missing') $(command -v nats-server || echo 'nats-server missing')"
