#!/bin/sh
# Runs the SDK's tests (compiled by `npm run build` to build-test/) with Node's
# built-in runner: the unit tests, then the integration tests, each of which
# starts a real citadel server on a free loopback port.
#   CITADEL_BIN  the server binary (default: build/bin/citadel at the repository root)
set -eu
cd "$(dirname "$0")/.."
: "${CITADEL_BIN:=$(cd ../.. && pwd)/build/bin/citadel}"
if [ ! -x "$CITADEL_BIN" ]; then
  echo "run-tests: no citadel binary at $CITADEL_BIN (build it: CITADEL_BUILD_TARGET=citadel scripts/build.sh release, or set CITADEL_BIN)" >&2
  exit 1
fi
export CITADEL_BIN
exec node --test build-test/unit/*.test.js build-test/integration/*.test.js
