#!/usr/bin/env bash
# Configure (once) and build into ./build.
#   --sanitize: the same tree with ASan and UBSan into ./build-asan (-O2 with debug info and no
#   link-time optimisation, so reports name lines; undefined behaviour stops the program, see
#   meson.build).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
opts=()
if [ "${1:-}" = "--sanitize" ]; then
	dir=build-asan
	opts=(-Db_sanitize=address,undefined -Dbuildtype=debugoptimized -Db_lto=false)
fi
[ -f "$dir/build.ninja" ] || meson setup "$dir" "${opts[@]}" >/dev/null
ninja -C "$dir" >/dev/null
