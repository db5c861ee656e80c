#!/usr/bin/env bash
# Instructions tt_http_parse spends per request, counted by callgrind on fixed request heads
# (bench/http/http_trace.c: the trace's GET, wrk's, curl's, a browser's, a small form POST).
# Repeatable to the instruction whatever the machine is doing, like bench/trace.sh but for the
# parser alone, everything it calls included.
#
#   bench/http_trace.sh [repeats]     default 1000
#
# Columns: the head's bytes, instructions per request when the head arrives in one piece and
# when it arrives one byte per call (the worst cut TCP can make), and per byte of the first.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-1000}
command -v valgrind >/dev/null || { echo "http_trace.sh: valgrind missing (apt-get install valgrind)" >&2; exit 2; }
scripts/build.sh
out=$(mktemp /tmp/tt-http-trace.XXXXXX)
trap 'rm -f "$out"' EXIT
count() {
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=tt_http_parse \
		build/tcpterm-http-trace "$@" 2>/dev/null
	awk '/^(summary|totals):/ {print $2; exit}' "$out"
}
printf '%-8s %6s %12s %12s %9s\n' case bytes whole bytewise per-byte
build/tcpterm-http-trace --list | while read -r name bytes; do
	whole=$(count "$name" "$R" 0)
	bytewise=$(count "$name" "$R" 1)
	awk -v n="$name" -v b="$bytes" -v w="$whole" -v s="$bytewise" -v r="$R" \
		'BEGIN {printf "%-8s %6d %12.0f %12.0f %9.1f\n", n, b, w / r, s / r, w / r / b}'
done
