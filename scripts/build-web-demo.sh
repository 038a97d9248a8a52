#!/usr/bin/env bash
# Builds the browser demo (web/demo, docs/browser-demo.md) into a directory the
# server serves at web.path:
#   scripts/build-web-demo.sh [OUT]     (default: build/web/demo, where the
#                                        server's default web.root looks: the
#                                        binary's ../web/demo)
# The demo imports the TypeScript SDK's sources (sdk/typescript/src), so this
# installs the SDK's pinned npm packages (its flatbuffers runtime) and compiles
# the protocol's schemas with flatc --ts, but not the SDK's dist/ or tests:
# scripts/build-ts-sdk.sh does those, for scripts/test.sh. Then it installs
# the demo's own pinned tools (esbuild, typescript) with npm ci, type-checks
# with tsc, bundles with esbuild, and swaps the result in whole.
# scripts/build.sh release runs it (so scripts/start.sh does);
# CITADEL_SKIP_WEB_DEMO=1 there leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-build/web/demo}
[[ $out = /* ]] || out=$root/$out

# Quiet when it works; everything npm said when it does not.
npm_ci() {
  local out
  if ! out=$(cd "$1" && npm ci --no-audit --no-fund 2>&1); then
    printf '%s\n' "$out" >&2
    echo "build-web-demo: npm ci failed in $1" >&2
    exit 1
  fi
}

# npm ci wipes node_modules; skip it where the installed tree is newer than
# the lock file (build-ts-sdk.sh may have just run it for the SDK).
fresh() { [[ -f $1/node_modules/.package-lock.json && $1/node_modules/.package-lock.json -nt $1/package-lock.json ]]; }

fresh sdk/typescript || npm_ci sdk/typescript
sh sdk/typescript/scripts/generate-schemas.sh
fresh web/demo || npm_ci web/demo

web/demo/node_modules/.bin/tsc -p web/demo/tsconfig.json
tmp=$(mktemp -d "$(dirname "$out")/.demo.XXXXXX" 2>/dev/null || { mkdir -p "$(dirname "$out")" && mktemp -d "$(dirname "$out")/.demo.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
web/demo/node_modules/.bin/esbuild web/demo/src/main.ts --bundle --format=iife \
  --target=es2020 --minify --sourcemap --log-level=warning --outfile="$tmp/demo.js"
cp web/demo/static/* "$tmp/"
chmod 755 "$tmp"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "build-web-demo: web/demo built into ${out#"$root"/} ($(du -sk "$out" | cut -f1) KiB)"
