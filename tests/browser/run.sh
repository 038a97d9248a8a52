#!/bin/sh
# The ctest test browser_demo (tests/browser/CMakeLists.txt): the browser demo
# in Debian's chromium against the citadel binary given as $1 (and the demo
# bundle the build put beside it, build/web/demo).
#   CITADEL_SKIP_TS_SDK=1  skip (exit 77, which ctest reports as skipped), as
#                          for ts_sdk: a machine without node
# Installs playwright-core exactly as package-lock.json pins it (npm ci) when
# node_modules is missing or older than the lock file. Never a browser:
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1, and the test launches /usr/bin/chromium.
set -eu
binary=$(realpath "${1:?usage: run.sh PATH_TO_CITADEL}")
cd "$(dirname "$0")"
if [ -n "${CITADEL_SKIP_TS_SDK:-}" ]; then
  echo "browser_demo: skipped (CITADEL_SKIP_TS_SDK is set)"
  exit 77
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if ! out=$(npm ci --no-audit --no-fund 2>&1); then
    printf '%s\n' "$out" >&2
    echo "browser_demo: npm ci failed in tests/browser" >&2
    exit 1
  fi
fi
# Screenshots of a failure go to $CITADEL_BROWSER_ARTIFACTS (ctest sets it to
# build/tests/browser/browser-demo-artifacts); the test prints their paths.
exec node demo.test.mjs "$binary"
