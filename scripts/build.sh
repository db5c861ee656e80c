#!/usr/bin/env bash
# Configure (once) and build into ./build: a release build with link-time optimisation (meson.build's
# b_lto: the stack, TCP and frame-building modules inline into one another).
#   --sanitize: the same tree with ASan and UBSan into ./build-asan (-O2 with debug info, so
#   reports name lines; undefined behaviour stops the program, see meson.build), without LTO.
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
