#!/usr/bin/env bash
# Instructions per connection of the TCP stack, counted by callgrind on a
# fixed workload (tcpterm-trace: short HTTP connections through the real
# tt_stack, frames in memory).  Repeatable to the instruction whatever the
# machine is doing, so it shows what a change costs before a benchmark can.
#
#   bench/trace.sh [connections] [concurrent]     defaults: 20000 64
#   bench/trace.sh --synflood [syns]              default: 100000
#   bench/trace.sh --keepalive [conns] [requests] defaults: 64 200000
#
# Prints the stack's instructions per connection (tt_stack_input_burst and the
# timers; the in-memory buffers excluded) and the functions where all the
# trace's instructions go (the client's frames are built and parsed by the
# same tt_net code, so parse and checksum appear for both sides).
#
# --synflood: SYNs from distinct 4-tuples to a listener with syncookies
# "always"; prints the stack's instructions per cookie SYN-ACK, the worker's
# parse per SYN apart (tt_net_parse, not part of tt_stack), and the top
# functions of the two (the SYNs are built outside the count).
#
# --keepalive: conns connections opened once (not counted), then requests GETs
# round-robin, one in flight per connection as wrk and the rps scenario keep
# it, each answered and ACKed (by the connection's next GET); prints the
# stack's instructions per request (tt_stack_input_burst + timers) and the top
# functions of the request phase.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--synflood" ]; then
	MODE=synflood N=${2:-100000}
	ARGS=(--synflood "$N") COLLECT=(--toggle-collect='run_synflood*' --toggle-collect='parse_syns*')
elif [ "${1:-}" = "--keepalive" ]; then
	MODE=requests N=${3:-200000}
	ARGS=(--keepalive "${2:-64}" "$N") COLLECT=(--toggle-collect='run_requests*')
else
	MODE=connections N=${1:-20000}
	ARGS=("$N" "${2:-64}") COLLECT=(--toggle-collect='run_connections*')
fi
command -v valgrind >/dev/null || { echo "trace.sh: valgrind missing (apt-get install valgrind)" >&2; exit 2; }
scripts/build.sh
out=$(mktemp /tmp/tt-trace.XXXXXX)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "${COLLECT[@]}" \
	build/tcpterm-trace "${ARGS[@]}" 2>/dev/null
/usr/bin/python3 - "$out" "$N" "$MODE" <<'PY'
import re, subprocess, sys
path, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
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
if mode == 'synflood':
    print(f'syns {n}')
    print(f'stack instructions per cookie SYN-ACK: {(stack - harness) / n:,.0f} '
          f'(tt_stack_input_burst, less the in-memory buffers)')
    print(f'worker parse per SYN: {inc.get("tt_net_parse", 0) / n:,.0f} (tt_net_parse, apart)')
    print('top functions by own instructions per SYN:')
elif mode == 'requests':
    print(f'keep-alive requests {n}')
    print(f'stack instructions per request: {(stack - harness) / n:,.0f} '
          f'(tt_stack_input_burst + timers, less the in-memory buffers)')
    print('top functions by own instructions per request:')
else:
    print(f'connections {n}')
    print(f'stack instructions per connection: {(stack - harness) / n:,.0f} '
          f'(tt_stack_input_burst + timers, less the in-memory buffers)')
    print('top functions by own instructions per connection:')
# The trace's own buffers (malloc'd and freed around the stack) are not the stack's.
buffers = {'malloc', 'free', '_int_malloc', '_int_free', 'malloc_consolidate', 'unlink_chunk',
           'frame_alloc', 'frame_free', 'take_synacks'}
rows = [(k, v) for k, v in own.items() if mode == 'connections' or k not in buffers]
for name, v in sorted(rows, key=lambda kv: -kv[1])[:15]:
    print(f'  {v / n:9,.0f}  {name}')
PY
