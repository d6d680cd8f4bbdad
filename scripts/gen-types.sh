#!/bin/sh
# Regenerates the binding's C++ type support from idl/Chat.idl, the only source of the type.
# Usage: scripts/gen-types.sh [outdir]   (default src/native/gen; needs Debian's fastddsgen)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/src/native/gen}
mkdir -p "$out"
cd "$root/idl"
fastddsgen -replace -d "$out" Chat.idl >/dev/null
