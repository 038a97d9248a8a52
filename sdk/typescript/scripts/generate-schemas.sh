#!/bin/sh
# Compiles the protocol's FlatBuffers schemas (src/protocol/schemas/*.fbs at the
# repository root) to TypeScript in src/generated/, with Debian's flatc 2.0.8
# (package flatbuffers-compiler). The output is not committed: it is rebuilt
# from the schemas on every build, so it can never drift from them.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
schemas="$here/../../src/protocol/schemas"
out="$here/src/generated"
flatc=${FLATC:-flatc}
command -v "$flatc" >/dev/null 2>&1 || {
  echo "generate-schemas: flatc not found (Debian: apt-get install flatbuffers-compiler)" >&2
  exit 1
}
# The npm flatbuffers runtime is pinned to 2.0.7, the release nearest flatc 2.0.8
# (npm has no 2.0.8); warn if another flatc is used.
version=$("$flatc" --version | awk '{print $3}')
[ "$version" = "2.0.8" ] || echo "generate-schemas: warning: flatc $version, expected 2.0.8" >&2
rm -rf "$out"
mkdir -p "$out"
"$flatc" --ts -o "$out" "$schemas"/*.fbs
