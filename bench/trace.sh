#!/usr/bin/env bash
# Instructions per connection of the TCP stack, counted by callgrind on a
# fixed workload (tcpterm-trace: short HTTP connections through the real
# tt_stack, frames in memory).  Repeatable to the instruction whatever the
# machine is doing, so it shows what a change costs before a benchmark can.
#
#   bench/trace.sh [connections] [concurrent]     defaults: 20000 64
#
# Prints the stack's instructions per connection (tt_stack_input_burst and the
# timers; the in-memory buffers excluded) and the functions where all the
# trace's instructions go (the client's frames are built and parsed by the
# same tt_net code, so parse and checksum appear for both sides).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
C=${2:-64}
command -v valgrind >/dev/null || { echo "trace.sh: valgrind missing (apt-get install valgrind)" >&2; exit 2; }
scripts/build.sh
out=$(mktemp /tmp/tt-trace.XXXXXX)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" '--toggle-collect=run_connections*' \
	build/tcpterm-trace "$N" "$C" 2>/dev/null
/usr/bin/python3 - "$out" "$N" <<'PY'
import re, subprocess, sys
path, n = sys.argv[1], int(sys.argv[2])
def table(inclusive):
    txt = subprocess.run(['callgrind_annotate', f'--inclusive={inclusive}', path],
                         capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in txt.splitlines():
        m = re.match(r'\s*([\d,]+) \([\s\d.]+%\)\s+\S*?:(\S+)', line)
        if m:
            rows.setdefault(m.group(2).split('.')[0], int(m.group(1).replace(',', '')))
    return rows
inc, own = table('yes'), table('no')
stack = (inc.get('tt_stack_input_burst', 0) + inc.get('tt_stack_input', 0)
         + inc.get('tt_stack_timers', 0))
harness = inc.get('frame_alloc', 0) + inc.get('frame_free', 0)
print(f'connections {n}')
print(f'stack instructions per connection: {(stack - harness) / n:,.0f} '
      f'(tt_stack_input_burst + timers, less the in-memory buffers)')
print('top functions by own instructions per connection:')
for name, v in sorted(own.items(), key=lambda kv: -kv[1])[:15]:
    print(f'  {v / n:9,.0f}  {name}')
PY
