#!/usr/bin/env bash
# Quick start, command 1: install what is needed, build, and run the server on
# its embedded defaults (port 7777, one I/O thread per core). Extra arguments
# go to the server, e.g. scripts/start.sh --port 9000 --log-level debug
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
exec build/bin/citadel "$@"
