#!/usr/bin/env bash
# Builds the TypeScript SDK in sdk/typescript: installs its pinned npm packages
# exactly as package-lock.json says (npm ci), compiles the protocol's schemas
# with Debian's flatc --ts, and compiles the SDK and its tests with tsc.
# scripts/build.sh runs it after the release build; set CITADEL_SKIP_TS_SDK=1
# there to leave it out (e.g. on a machine without node).
set -euo pipefail
cd "$(dirname "$0")/../sdk/typescript"
# Quiet when it works; everything npm said when it does not.
if ! out=$(npm ci --no-audit --no-fund 2>&1); then
  printf '%s\n' "$out" >&2
  echo "build-ts-sdk: npm ci failed" >&2
  exit 1
fi
npm run --silent build
echo "build-ts-sdk: sdk/typescript built (dist/, build-test/)"
