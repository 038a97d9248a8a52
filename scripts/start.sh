#!/usr/bin/env bash
# Quick start, command 1: install what is needed, build, and run the server on
# its embedded defaults (port 7777, one I/O thread per core). Extra arguments
# go to the server, e.g. scripts/start.sh --port 9000 --log-level debug
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Only the server and the tools the README's tour uses; the test suites (most of
# a full build's time) are left to scripts/test.sh, which builds them in the
# same build/ directory on top of these objects, and so is the TypeScript SDK
# (its dist/ and tests). The browser demo is built (build.sh runs
# scripts/build-web-demo.sh): the server serves it at http://127.0.0.1:7777/demo/.
CITADEL_SKIP_TS_SDK=1 CITADEL_BUILD_TARGET="citadel citadel-cli citadel-bench" scripts/build.sh release
exec build/bin/citadel "$@"
