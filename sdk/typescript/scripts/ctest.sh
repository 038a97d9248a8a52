#!/bin/sh
# The ctest test ts_sdk (tests/sdk/CMakeLists.txt): builds the SDK and runs its
# tests against the citadel binary given as $1.
#   CITADEL_SKIP_TS_SDK=1  skip (exit 77, which ctest reports as skipped)
set -eu
cd "$(dirname "$0")/.."
if [ -n "${CITADEL_SKIP_TS_SDK:-}" ]; then
  echo "ts_sdk: skipped (CITADEL_SKIP_TS_SDK is set)"
  exit 77
fi
if [ ! -d node_modules ]; then
  echo "ts_sdk: sdk/typescript/node_modules is missing: run scripts/build-ts-sdk.sh first" >&2
  exit 1
fi
CITADEL_BIN=$1 exec npm test --silent
