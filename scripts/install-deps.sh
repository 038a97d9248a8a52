#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of Citadel from Debian 12's
# archive. Idempotent: re-running it only installs what is missing. Needs root.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev clang-format
  # libraries
  libboost1.81-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libflatbuffers-dev flatbuffers-compiler
  libsqlite3-dev libsodium-dev libssl-dev liburing-dev
  nlohmann-json3-dev  # validates player storage values (JSON objects)
  libpq-dev    # the PostgreSQL store's client library (store.backend: postgres)
  libsystemd-dev  # sd_notify: READY, RELOADING, STOPPING and WATCHDOG for the systemd unit
  libhiredis-dev  # Redis client (hiredis 0.14.1 on Debian 12), its async API driven by our
                  # event loop: leaderboards in Redis when redis.url is set (src/redis)
  libgoogle-perftools-dev google-perftools
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  golang-go prometheus gnuplot-nox curl procps util-linux
  # the real PostgreSQL 15 server that store_pg_test and auth_pg_test start in a
  # temp dir (tests/support/postgres); the package's own cluster is not used
  postgresql-15
  # the real Redis 7 server that the Redis suites (redis_client_test,
  # leaderboard_backend_test) start in a temp dir on a free loopback port
  # (tests/support/redis); the package's own service is not used
  redis-server
  # the real etcd 3.4 that the fleet's etcd suites (tests/fleet) start in a temp dir on
  # free loopback ports (tests/support/etcd), spoken to through its v3 JSON gateway;
  # etcd-client adds etcdctl, for debugging only (no test needs it)
  etcd-server etcd-client
  python3      # bench/summarize*.py and their unit test (ctest: bench_summarize_test)
  python3-websockets  # an independent WebSocket client for tests/websocket/ws_cross_client_test.py
  python3-yaml  # parses deploy/kubernetes's manifests (ctest: deploy_kubernetes_manifests)
  openssl      # makes the test certificate of tests/tls/tls_cross_client_test.py
  systemd      # systemd-analyze verify/security on deploy/systemd/citadel.service (ctest: deploy_systemd_unit)
  supervisor   # the real supervisord that runs deploy/supervisor/citadel.conf (ctest: deploy_supervisor_restart)
  # the README's 60-second tour: nc -q (netcat-openbsd's nc has -q and -N), xxd
  netcat-openbsd xxd
  # the TypeScript SDK (sdk/typescript, scripts/build-ts-sdk.sh): node runs its build
  # and its tests (ctest: ts_sdk), npm installs its pinned packages; flatc is above
  nodejs npm
  # the browser demo's real-browser test (tests/browser, ctest: browser_demo):
  # playwright-core drives Debian's chromium; no browser is ever downloaded
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  # A nodejs package from outside Debian (e.g. NodeSource's) bundles npm and
  # declares Conflicts: npm; Debian's npm would not install beside it. Its npm counts.
  [[ $p == npm ]] && command -v npm >/dev/null && continue
  missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
