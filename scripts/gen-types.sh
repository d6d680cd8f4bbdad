#!/bin/sh
# Regenerates the binding's C++ type support from idl/Chat.idl, the only source of the type.
# Usage: scripts/gen-types.sh [outdir]   (default src/native/gen; needs Debian's fastddsgen)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/src/native/gen}
mkdir -p "$out"
cd "$root/idl"
fastddsgen -replace -d "$out" Chat.idl >/dev/null
# fastddsgen writes a Java object hash into a comment; drop it so that the output is reproducible.
sed -i 's/\(com\.eprosima\.idl\.parser\.typecode\.[A-Za-z]*\)@[0-9a-f]*/\1/g' "$out"/*.cxx "$out"/*.h
